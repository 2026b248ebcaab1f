"""Every route of the app with a URL that names tenant A's objects, and who may use it.

A route missing here fails `test_every_route_is_in_the_matrix`. Expectations per role:
  "allow"  — the request is served (2xx, or a redirect that is not to the login page),
  "deny"   — 403, "login" — redirect to the login page, "404" — not found.
"""
from __future__ import annotations

from tests.security.world import ROLES, World

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, SIGNED_IN, only  # noqa: E402,F401

ADMIN_ONLY = {**{r: DENY for r in ROLES}, "public": LOGIN, "admin": ALLOW}
STAFF_A = {**{r: DENY for r in ROLES}, "public": LOGIN}


# endpoint -> (url builder, {method: expectations})
ROUTES: dict[str, tuple] = {
    "public.index": (lambda w: "/", {"GET": ANYONE}),
    "public.dashboard": (lambda w: "/dashboard", {"GET": SIGNED_IN}),
    "auth.register": (lambda w: "/auth/register", {"GET": ANYONE, "POST": ANYONE}),
    "auth.login": (lambda w: "/auth/login", {"GET": ANYONE, "POST": ANYONE}),
    "auth.logout": (lambda w: "/auth/logout", {"POST": SIGNED_IN}),
    "auth.reauthenticate": (lambda w: "/auth/reauthenticate", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    "auth.confirm_email": (lambda w: "/auth/confirm/not-a-token", {"GET": ANYONE}),
    "auth.resend_confirmation": (lambda w: "/auth/confirm/resend", {"POST": SIGNED_IN}),
    "auth.forgot_password": (lambda w: "/auth/forgot", {"GET": ANYONE, "POST": ANYONE}),
    "auth.reset_password": (lambda w: "/auth/reset/not-a-token", {"GET": ANYONE, "POST": ANYONE}),
    "auth.account": (lambda w: "/auth/account", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    "auth.change_password": (lambda w: "/auth/password", {"POST": SIGNED_IN}),
    "auth.set_language": (lambda w: "/auth/language", {"POST": ANYONE}),

    # organizations
    "orgs.directory": (lambda w: "/orgs/", {"GET": ANYONE}),
    "orgs.profile": (lambda w: f"/orgs/{_o(w, 'org')}", {"GET": ANYONE}),
    "orgs.mine": (lambda w: "/orgs/mine", {"GET": SIGNED_IN}),
    # An unconfirmed user is sent back to the dashboard to confirm the email first.
    "orgs.create": (lambda w: "/orgs/new", {"GET": {**SIGNED_IN, "unconfirmed": "302"},
                                            "POST": {**SIGNED_IN, "unconfirmed": "302"}}),
    "orgs.edit": (lambda w: f"/orgs/{_o(w, 'org')}/edit",
                  {"GET": only("applicant_own", "member_own"), "POST": only("applicant_own", "member_own")}),
    "orgs.staff_fields": (lambda w: f"/orgs/{_o(w, 'org')}/staff-fields", {"POST": only("officer")}),
    "orgs.members": (lambda w: f"/orgs/{_o(w, 'org')}/members", {"GET": only("applicant_own")}),
    "orgs.invite": (lambda w: f"/orgs/{_o(w, 'org')}/invitations", {"POST": only("applicant_own")}),
    "orgs.change_role": (lambda w: f"/orgs/{_o(w, 'org')}/members/{_o(w, 'membership')}/role",
                         {"POST": only("applicant_own")}),
    "orgs.remove_member": (lambda w: f"/orgs/{_o(w, 'org')}/members/{_o(w, 'membership')}/remove",
                           {"POST": only("applicant_own")}),
    "orgs.revoke_invitation": (lambda w: f"/orgs/{_o(w, 'org')}/invitations/{_o(w, 'invitation')}/revoke",
                               {"POST": only("applicant_own")}),
    # Anyone signed in may look at an invitation link; only the invited address may accept.
    "orgs.invitation": (lambda w: f"/orgs/invitations/{_invitation_token(w)}",
                        {"GET": SIGNED_IN, "POST": only("reviewer")}),

    # platform administration
    "admin.index": (lambda w: "/admin/", {"GET": ADMIN_ONLY}),
    "admin.users": (lambda w: "/admin/users", {"GET": ADMIN_ONLY}),
    "admin.user_new": (lambda w: "/admin/users/new", {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}),
    "admin.user_detail": (lambda w: f"/admin/users/{_u(w, 'applicant_own')}", {"GET": ADMIN_ONLY}),
    "admin.user_add_staff": (lambda w: f"/admin/users/{_u(w, 'applicant_own')}/staff", {"POST": ADMIN_ONLY}),
    "admin.user_remove_staff": (
        lambda w: f"/admin/users/{_u(w, 'officer')}/staff/{_o(w, 'staff_membership')}/remove",
        {"POST": ADMIN_ONLY}),
    "admin.user_deactivate": (lambda w: f"/admin/users/{_u(w, 'applicant_own')}/deactivate", {"POST": ADMIN_ONLY}),
    "admin.user_reactivate": (lambda w: f"/admin/users/{_u(w, 'applicant_own')}/reactivate", {"POST": ADMIN_ONLY}),
    "admin.user_grant_admin": (lambda w: f"/admin/users/{_u(w, 'applicant_own')}/admin/grant", {"POST": ADMIN_ONLY}),
    "admin.user_revoke_admin": (lambda w: f"/admin/users/{_u(w, 'applicant_own')}/admin/revoke", {"POST": ADMIN_ONLY}),
    "admin.funders": (lambda w: "/admin/funders", {"GET": ADMIN_ONLY}),
    "admin.funder_new": (lambda w: "/admin/funders/new", {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}),
    "admin.funder_detail": (lambda w: f"/admin/funders/{_o(w, 'funder')}", {"GET": ADMIN_ONLY}),
    "admin.funder_edit": (lambda w: f"/admin/funders/{_o(w, 'funder')}/edit", {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}),
    "admin.funder_add_staff": (lambda w: f"/admin/funders/{_o(w, 'funder')}/staff", {"POST": ADMIN_ONLY}),
    "admin.funder_remove_staff": (
        lambda w: f"/admin/funders/{_o(w, 'funder')}/staff/{_o(w, 'staff_membership')}/remove",
        {"POST": ADMIN_ONLY}),
    "admin.regions": (lambda w: "/admin/regions", {"GET": ADMIN_ONLY}),
    "admin.region_new": (lambda w: f"/admin/regions/new?parent={_o(w, 'county_a')}",
                         {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}),
    "admin.region_edit": (lambda w: f"/admin/regions/{_o(w, 'county_a')}/edit", {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}),

    # calls (项目征集): management URLs name tenant A's draft call
    "calls.index": (lambda w: "/calls/", {"GET": ANYONE}),
    # A draft is visible only to its funder's staff and admins; others get 404.
    "calls.detail": (lambda w: f"/calls/{_o(w, 'call_draft')}",
                     {"GET": {**{r: "404" for r in ROLES}, "officer": ALLOW, "finance": ALLOW,
                              "auditor": ALLOW, "admin": ALLOW}}),
    "calls.manage": (lambda w: "/calls/manage", {"GET": only("officer", "officer_other")}),
    "calls.create": (lambda w: f"/calls/new?funder={_o(w, 'funder')}",
                     {"GET": only("officer", "officer_other"), "POST": only("officer", "officer_other")}),
    "calls.edit": (lambda w: f"/calls/{_o(w, 'call_draft')}/edit", {"GET": only("officer"), "POST": only("officer")}),
    "calls.rubric": (lambda w: f"/calls/{_o(w, 'call_draft')}/rubric", {"GET": only("officer"), "POST": only("officer")}),
    "calls.installments": (lambda w: f"/calls/{_o(w, 'call_draft')}/installments",
                           {"GET": only("officer"), "POST": only("officer")}),
    "calls.publish": (lambda w: f"/calls/{_o(w, 'call_draft')}/publish", {"POST": only("officer")}),
    "calls.advance": (lambda w: f"/calls/{_o(w, 'call_open')}/advance", {"POST": only("officer")}),
    "calls.cancel": (lambda w: f"/calls/{_o(w, 'call_draft')}/cancel", {"POST": only("officer")}),
}


# Each later domain keeps its rows in its own file beside this one (one owner per file).
from tests.security import (routes_agreements, routes_applications, routes_attachments,  # noqa: E402
                            routes_awards, routes_chair, routes_disbursement, routes_documents,
                            routes_donations, routes_money, routes_notifications, routes_panels,
                            routes_opendata, routes_reports, routes_reviews, routes_scoring,
                            routes_screening, routes_transparency, routes_statistics, routes_api,
                            routes_credit)

for _part in (routes_applications, routes_attachments, routes_documents, routes_notifications, routes_reviews,
              routes_screening, routes_panels, routes_scoring, routes_chair, routes_awards, routes_money,
              routes_agreements, routes_disbursement, routes_reports, routes_donations, routes_transparency,
              routes_opendata, routes_statistics, routes_api, routes_credit):
    _clash = set(_part.ROUTES) & set(ROUTES)
    assert not _clash, f"endpoints listed twice: {_clash}"
    ROUTES.update(_part.ROUTES)


def _o(world: World, key: str) -> int:
    return world.objects[key].id


def _u(world: World, role: str) -> int:
    return world.users[role].id


def _invitation_token(world: World) -> str:
    from app.orgs.services import invitation_token

    return invitation_token(world.objects["invitation"])


def url_for_route(endpoint: str, world: World) -> str:
    return ROUTES[endpoint][0](world)

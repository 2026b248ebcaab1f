"""Authorization matrix rows for the applications routes (see routes.py for the meaning)."""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

MEMBERS = only("applicant_own", "member_own")
# A submitted application: the organization's members and the call's funder staff.
VIEWERS = only("applicant_own", "member_own", "officer", "finance", "auditor")
FUNDER_STAFF = only("officer", "finance", "auditor")

ROUTES: dict[str, tuple] = {
    # Everyone signed in has a list (empty without an organization).
    "applications.mine": (lambda w: "/applications/", {"GET": SIGNED_IN}),
    # Anyone signed in sees the start page (it says what is missing: an organization, a
    # confirmed email); a POST without a valid organization of the user's is a form error.
    "applications.new": (lambda w: f"/applications/new?call={o(w, 'call_open')}",
                         {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    "applications.edit": (lambda w: f"/applications/{o(w, 'app_draft')}/edit", {"GET": MEMBERS, "POST": MEMBERS}),
    "applications.detail": (lambda w: f"/applications/{o(w, 'app_submitted')}", {"GET": VIEWERS}),
    "applications.submit": (lambda w: f"/applications/{o(w, 'app_draft')}/submit", {"POST": MEMBERS}),
    "applications.withdraw": (lambda w: f"/applications/{o(w, 'app_submitted')}/withdraw", {"POST": MEMBERS}),
    "applications.return_": (lambda w: f"/applications/{o(w, 'app_submitted')}/return", {"POST": only("officer")}),
    "applications.versions": (lambda w: f"/applications/{o(w, 'app_submitted')}/versions", {"GET": VIEWERS}),
    "applications.call_list": (lambda w: f"/applications/call/{o(w, 'call_open')}", {"GET": FUNDER_STAFF}),
}

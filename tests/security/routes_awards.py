"""Authorization matrix rows for the notice and award routes (see routes.py for the meaning).

Notices and award lists are public, and anyone may object while a notice runs (the world's
`notice` on call_notice runs for six more days). Publishing, answering objections and
closing belong to the program officers of the call's funder — not its finance staff or
auditors, not another funder's officers. An award notice PDF: the organization's members
and the funder's staff (and admins).
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

AWARD_VIEWERS = ("applicant_own", "member_own", "officer", "finance", "auditor", "admin")

ROUTES: dict[str, tuple] = {
    "awards.notices": (lambda w: "/notices/", {"GET": ANYONE}),
    "awards.notice": (lambda w: f"/notices/{o(w, 'call_notice')}", {"GET": ANYONE}),
    # call_reviewing's panel is not finalized: the page says why it cannot be published
    # yet (200); an empty POST gives the form back with the message (200).
    "awards.publish": (lambda w: f"/notices/{o(w, 'call_reviewing')}/publish",
                       {"GET": only("officer"), "POST": only("officer")}),
    # An empty POST gives the notice page back with the form's messages (200).
    "awards.object": (lambda w: f"/notices/{o(w, 'call_notice')}/objections", {"POST": ANYONE}),
    # An empty POST flashes "choose upheld or not" and redirects to the notice (302).
    "awards.answer": (lambda w: f"/notices/objections/{o(w, 'objection')}/answer", {"POST": only("officer")}),
    # The notice still runs: closing flashes why not and redirects (302).
    "awards.close": (lambda w: f"/notices/{o(w, 'call_notice')}/close", {"POST": only("officer")}),
    "awards.index": (lambda w: "/awards/", {"GET": ANYONE}),
    "awards.call_awards": (lambda w: f"/awards/calls/{o(w, 'call_awarded')}", {"GET": ANYONE}),
    "awards.award_pdf": (lambda w: f"/awards/{o(w, 'award')}/notice.pdf", {"GET": only(*AWARD_VIEWERS)}),
}

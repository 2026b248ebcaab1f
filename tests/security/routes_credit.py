"""Authorization matrix rows for the credit routes (issue 6).

The credit page and the rule explanation are public. Recording a breach on the world's
award: the program officers of the call's funder (an empty POST gives the form back with
the message: 200). Lifting the world's active bar ("debarment", funder F on organization X):
the barring funder's program officers (an empty POST flashes the message and redirects).
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

ROUTES: dict[str, tuple] = {
    "orgs.credit": (lambda w: f"/orgs/{o(w, 'org')}/credit", {"GET": ANYONE}),
    "orgs.credit_rules": (lambda w: "/orgs/credit-rules", {"GET": ANYONE}),
    "awards.record_breach": (lambda w: f"/awards/{o(w, 'award')}/breach",
                           {"GET": only("officer"), "POST": only("officer")}),
    "awards.lift_debarment": (lambda w: f"/debarments/{o(w, 'debarment')}/lift", {"POST": only("officer")}),
}

"""Authorization matrix rows for the screening routes (see routes.py for the meaning).

Screening belongs to the program officers of the call's funder: not to its finance staff
or auditors, not to another funder's officers, not to the applying organization.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

ROUTES: dict[str, tuple] = {
    "applications.screening_batch": (lambda w: f"/applications/call/{o(w, 'call_screening')}/screening",
                                     {"GET": only("officer")}),
    # An empty POST confirms the clean pending applications and redirects back (302).
    "applications.screening_confirm_all": (
        lambda w: f"/applications/call/{o(w, 'call_screening')}/screening/confirm", {"POST": only("officer")}),
    # An empty POST gives the form back with a message (200).
    "applications.screen": (lambda w: f"/applications/{o(w, 'app_screening')}/screening",
                            {"GET": only("officer"), "POST": only("officer")}),
}

"""Authorization matrix rows for the document (PDF) routes (see routes.py for the meaning)."""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

ROUTES: dict[str, tuple] = {
    # The submitted 申报书: the organization's members and the call's funder staff
    # (application.view); app_submitted has version 1 (a draft has none → 404).
    "applications.pdf": (lambda w: f"/applications/{o(w, 'app_submitted')}/pdf",
                         {"GET": only("applicant_own", "member_own", "officer", "finance", "auditor")}),
}

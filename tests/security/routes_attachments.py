"""Authorization matrix rows for the attachments routes (see routes.py for the meaning)."""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

ROUTES: dict[str, tuple] = {
    # Upload: the organization's members (an empty form is flashed back: a redirect).
    "applications.upload_attachment": (lambda w: f"/applications/{o(w, 'app_draft')}/attachments",
                                       {"POST": only("applicant_own", "member_own")}),
    # Download: whoever may view the application — its organization's members, and the
    # call's funder staff once it has been submitted.
    "applications.download_attachment": (
        lambda w: f"/applications/{o(w, 'app_submitted')}/attachments/{o(w, 'attachment')}",
        {"GET": only("applicant_own", "member_own", "officer", "finance", "auditor")}),
    # Delete: the organization's members; the world's attachment is locked, so the service
    # refuses and the page is flashed back (a redirect), which still proves access.
    "applications.delete_attachment": (
        lambda w: f"/applications/{o(w, 'app_submitted')}/attachments/{o(w, 'attachment')}/delete",
        {"POST": only("applicant_own", "member_own")}),
}

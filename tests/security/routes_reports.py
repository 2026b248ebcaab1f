"""Authorization matrix rows for the report routes (see routes.py for the meaning).

The world's `report` is the award's SUBMITTED progress report. Reports are read by the
organization's members and the funder's staff (and admins); written and submitted by the
members; reviewed by the funder's program officers. Writing a submitted report (saving,
submitting, photos) is out of order for the members: "409"; its edit page only says so. An empty review POST by the
officer: accept has no required field (a progress report needs no rating), so it is
accepted and redirects (302); return and fail give the page back with the message (200).
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

VIEWERS = ("applicant_own", "member_own", "officer", "finance", "auditor", "admin")
WRITERS_OUT_OF_ORDER = {**only(), "applicant_own": "409", "member_own": "409"}

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005d0b7e3b0000000049454e44ae426082")


def _photo(w) -> int:
    """A photo of the world's (submitted) report, stored like an upload."""
    import io

    from app.core import uploads
    from app.extensions import db
    from app.reports.models import ReportPhoto

    stored = uploads.store(io.BytesIO(PNG), allowed={"png"}, subdir="reports", filename="活动.png")
    photo = ReportPhoto(report_id=w.objects["report"].id, caption="活动照片", original_name=stored.original_name,
                        stored_name=stored.stored_name, content_type=stored.content_type,
                        size_bytes=stored.size_bytes, sha256=stored.sha256)
    db.session.add(photo)
    db.session.commit()
    return photo.id


def _accepted_final(w) -> int:
    """The award's final report, accepted with a rating (its certificate can be issued)."""
    from app.core.db import utcnow
    from app.extensions import db
    from app.reports.models import ReportKind, ReportRating, ReportStatus
    from tests.factories import make_report

    report = make_report(w.objects["award"], kind=ReportKind.FINAL, status=ReportStatus.ACCEPTED)
    report.rating, report.reviewed_at = ReportRating.GOOD, utcnow()
    db.session.commit()
    return report.id


ROUTES: dict[str, tuple] = {
    "reports.index": (lambda w: "/reports/", {"GET": SIGNED_IN}),
    "reports.award_reports": (lambda w: f"/reports/awards/{o(w, 'award')}", {"GET": only(*VIEWERS)}),
    "reports.detail": (lambda w: f"/reports/{o(w, 'report')}", {"GET": only(*VIEWERS)}),
    # GET of a submitted report's form says it can no longer be changed (200); saving is 409.
    "reports.edit": (lambda w: f"/reports/{o(w, 'report')}/edit",
                     {"GET": only("applicant_own", "member_own"), "POST": WRITERS_OUT_OF_ORDER}),
    "reports.submit": (lambda w: f"/reports/{o(w, 'report')}/submit", {"POST": WRITERS_OUT_OF_ORDER}),
    "reports.photo_upload": (lambda w: f"/reports/{o(w, 'report')}/photos", {"POST": WRITERS_OUT_OF_ORDER}),
    "reports.photo": (lambda w: f"/reports/photos/{_photo(w)}", {"GET": only(*VIEWERS)}),
    "reports.photo_delete": (lambda w: f"/reports/photos/{_photo(w)}/delete", {"POST": WRITERS_OUT_OF_ORDER}),
    "reports.accept": (lambda w: f"/reports/{o(w, 'report')}/accept", {"POST": only("officer")}),
    "reports.return_": (lambda w: f"/reports/{o(w, 'report')}/return", {"POST": only("officer")}),
    "reports.fail": (lambda w: f"/reports/{o(w, 'report')}/fail", {"POST": only("officer")}),
    "reports.certificate": (lambda w: f"/reports/{_accepted_final(w)}/certificate.pdf", {"GET": only(*VIEWERS)}),
}

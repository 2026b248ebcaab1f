"""The reports' part of an organization's credit record (app.orgs.credit): every report of
its awards with rating, due date, first submission and returns — one query."""
from __future__ import annotations

from sqlalchemy import select

from app.applications.models import Application
from app.awards.models import Award
from app.extensions import db
from app.orgs.credit import Records, record_source
from app.reports.models import Report, ReportRating, ReportStatus

RATED = (ReportStatus.ACCEPTED, ReportStatus.FAILED)


@record_source("reports")
def load_reports(organization_ids: frozenset[int], records: Records) -> None:
    rows = db.session.execute(
        select(Award.organization_id, Award.id, Application.title, Report.kind, Report.status, Report.rating,
               Report.due_on, Report.first_submitted_at, Report.submitted_at, Report.reviewed_at,
               Report.times_returned)
        .join(Award, Award.id == Report.award_id)
        .join(Application, Application.id == Award.application_id)
        .where(Award.organization_id.in_(organization_ids))
        .order_by(Report.id)).all()
    for org_id, award_id, title, kind, status, rating, due_on, first, submitted, reviewed, returned in rows:
        rated = status in RATED and rating is not None
        records.add_report(
            org_id, award_id=award_id, title=title, kind_label=kind.label, status=status.value,
            rating=ReportRating(rating).value if rated else None,
            rating_label=ReportRating(rating).label if rated else None,
            due_on=due_on, first_submitted=first or submitted, reviewed=reviewed, times_returned=returned)

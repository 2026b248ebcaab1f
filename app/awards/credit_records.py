"""The awards domain's part of an organization's credit record (app.orgs.credit): objections
upheld against its applications during a public notice, and the project titles of the awards
its breaches name — one query each."""
from __future__ import annotations

from sqlalchemy import select

from app.applications.models import Application
from app.awards.models import Award, Objection, ObjectionStatus
from app.extensions import db
from app.orgs.credit import Records, record_source


@record_source("objections")
def load_upheld_objections(organization_ids: frozenset[int], records: Records) -> None:
    rows = db.session.execute(
        select(Application.organization_id, Application.call_id, Application.title, Objection.answered_at)
        .join(Application, Application.id == Objection.application_id)
        .where(Objection.status == ObjectionStatus.UPHELD, Application.organization_id.in_(organization_ids))
        .order_by(Objection.id)).all()
    for org_id, call_id, title, answered in rows:
        records.add_upheld_objection(org_id, call_id=call_id, title=title, answered=answered)


@record_source("breach_titles")
def load_breach_titles(organization_ids: frozenset[int], records: Records) -> None:
    award_ids = {bar.award_id for bars in records.bars.values() for bar in bars if bar.award_id is not None}
    if not award_ids:
        return
    records.award_titles.update(db.session.execute(
        select(Award.id, Application.title).join(Application, Application.id == Award.application_id)
        .where(Award.id.in_(award_ids))).all())

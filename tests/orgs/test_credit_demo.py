"""The demo's credit data (app/demo/credit.py): the organization whose midterm failed is
barred by the district bureau (grade D), the foundation's draft round uses the credit."""
from __future__ import annotations

from sqlalchemy import func, select

from app.calls.models import Call
from app.demo import load
from app.orgs import credit
from app.orgs.models import Debarment
from app.reports.models import Report, ReportKind, ReportStatus


def test_demo_breach_and_credit_call(db):
    load()
    db.session.flush()
    failed = db.session.scalar(select(Report).where(Report.kind == ReportKind.PROGRESS,
                                                    Report.status == ReportStatus.FAILED))
    bar = db.session.scalar(select(Debarment))
    assert bar.award_id == failed.award_id and bar.funder.name == "昆明市五华区民政局"
    assert (bar.ends_on.year - bar.starts_on.year, bar.lifted_on) == (3, None)
    a = credit.assess(bar.organization_id)
    # 80 − 15 (不合格) − 30 (违约) = 35, barred: D.
    assert (a.score, a.grade.value, a.active_bars) == (35, "D", [bar])
    call = db.session.scalar(select(Call).where(Call.title == "翠湖片区邻里互助微创投"))
    assert (call.min_credit_score, call.credit_bonus_max) == (60, 3)
    # A second load adds nothing.
    assert load()["created"] == 0
    assert db.session.scalar(select(func.count(Debarment.id))) == 1

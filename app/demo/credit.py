"""Demo credit (issue 6): the organization whose midterm report failed in the awarded round
(app/demo/money.py) has its breach recorded by the district bureau's program officer — a
three-year bar from the bureau's calls, grade D on its credit page — and the foundation's
upcoming (draft) micro-venture round uses the credit as a rule (at least 60 points) and a
bonus (up to 3 points). Both through the services; idempotent.
"""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.awards.models import Award
from app.calls import services as call_services
from app.calls.models import Call, CallStatus
from app.demo.clock import today as _today
from app.extensions import db
from app.awards import breaches
from app.orgs.models import Debarment
from app.reports.models import Report, ReportKind, ReportStatus

BREACH_REASON = ("中期评估不合格：服务人次仅完成目标的15%，项目负责人离职后机构未按协议第七条报告并调整实施方案，"
                 "且未按期退回未使用资金的全部金额，构成违约。")
CREDIT_CALL = "翠湖片区邻里互助微创投"
MIN_CREDIT_SCORE, CREDIT_BONUS_MAX = 60, 3


def load_credit(counts: dict[str, int]) -> None:
    from app.demo.reviews import AWARDED_TITLE

    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@gongyi.demo")))}
    award = db.session.scalar(
        select(Award).join(Report, Report.award_id == Award.id).join(Call, Call.id == Award.call_id)
        .where(Call.title == AWARDED_TITLE, Report.kind == ReportKind.PROGRESS, Report.status == ReportStatus.FAILED)
        .order_by(Award.rank).limit(1))
    if award is not None and db.session.scalar(select(Debarment.id).where(Debarment.award_id == award.id)) is None:
        breaches.record_breach(users["district.officer@gongyi.demo"], award, BREACH_REASON,
                               starts_on=_today(-2), years=breaches.DEFAULT_YEARS, today=_today())
        counts["created"] += 1
    call = db.session.scalar(select(Call).where(Call.title == CREDIT_CALL))
    if call is not None and call.status == CallStatus.DRAFT and call.min_credit_score is None:
        call_services.set_credit_rules(users["foundation@gongyi.demo"], call, MIN_CREDIT_SCORE, CREDIT_BONUS_MAX)
        counts["created"] += 1
    db.session.flush()

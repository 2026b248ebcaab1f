"""Breaches of agreement (违约) and the bars that follow them (SPEC §3.2).

A program officer of the call's funder records a breach on an award: the organization is
barred from that funder's calls from the start date for a number of whole years (default
3, at most 5) — eligibility screening's "not_barred" rule refuses it — and its credit
loses BREACH_POINTS (app/orgs/credit.py, which reads the Debarment rows) whether or not the bar is later lifted. The
barring funder's officers may lift a bar early with a reason; the breach stays on record.

Services flush, never commit; they raise DomainError subclasses with the message shown.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit
from app.core.db import MAX_ID
from app.core.errors import Conflict, ValidationError
from app.core.events import emit
from app.core.forms import clean_reason
from app.awards.models import Award
from app.core.permissions import require
from app.extensions import db
from app.orgs.credit import china_date, china_today
from app.orgs.models import Debarment

REASON_MAX = 500
DEFAULT_YEARS = 3
MIN_YEARS, MAX_YEARS = 1, 5


def get_debarment(debarment_id: int) -> Debarment | None:
    return db.session.get(Debarment, debarment_id) if 0 < debarment_id <= MAX_ID else None


def get_award(award_id: int) -> Award | None:
    return db.session.get(Award, award_id) if 0 < award_id <= MAX_ID else None


def bars_of_award(award_id: int) -> list[Debarment]:
    return list(db.session.scalars(select(Debarment).where(Debarment.award_id == award_id)
                                   .order_by(Debarment.starts_on.desc(), Debarment.id.desc())))


def active_bar_of_award(award_id: int, today: date) -> Debarment | None:
    return next((b for b in bars_of_award(award_id) if b.active_on(today)), None)


# --- cleaning ---------------------------------------------------------------------------------

def clean_date(value: Any, *, field: str = "starts_on") -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError(_("请填写违约日期（格式：年-月-日，如 2026-03-31）。"), field=field)
    try:
        if not (text.isascii() and len(text) == 10):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("违约日期“%(value)s”不是有效的日期，请按 年-月-日 填写，如 2026-03-31。",
                                value=text[:20]), field=field) from None


def clean_years(value: Any) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 2 else None
    if not isinstance(value, int) or not MIN_YEARS <= value <= MAX_YEARS:
        raise ValidationError(_("禁止申报年限请填写 %(lo)s 到 %(hi)s 之间的整数（年）。", lo=MIN_YEARS, hi=MAX_YEARS),
                              field="years")
    return value


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:   # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


# --- commands --------------------------------------------------------------------------------------

def record_breach(actor: Any, award: Any, reason: Any, starts_on: Any = None, years: Any = DEFAULT_YEARS,
                  *, today: date | None = None) -> Debarment:
    """记录违约: bar the award's organization from the call's funder's calls."""
    require(actor, "breach.record", award)
    today = today or china_today()
    reason = clean_reason(reason, _("违约情况"), REASON_MAX)
    start = clean_date(today if starts_on is None else starts_on)
    if start > today:
        raise ValidationError(_("违约日期不能晚于今天（%(today)s）。", today=today.isoformat()), field="starts_on")
    awarded = china_date(award.awarded_at)
    if awarded is not None and start < awarded:
        raise ValidationError(_("违约日期不能早于立项日期 %(day)s。", day=awarded.isoformat()), field="starts_on")
    years = clean_years(years)
    # One officer at a time per award (PostgreSQL row lock; SQLite serializes writers).
    db.session.execute(select(Award.id).where(Award.id == award.id).with_for_update())
    current = active_bar_of_award(award.id, today)
    if current is not None:
        raise Conflict(_("该项目已记录违约，禁止申报期为 %(start)s 至 %(end)s，不能重复记录。",
                         start=current.starts_on.isoformat(), end=current.effective_end.isoformat()))
    bar = Debarment(organization_id=award.organization_id, funder_id=award.call.funder_id, starts_on=start,
                    ends_on=add_years(start, years), reason=reason, award_id=award.id,
                    created_by_id=getattr(actor, "id", None))
    db.session.add(bar)
    db.session.flush()
    audit.record(actor, "breach.record", bar, after={
        "organization_id": bar.organization_id, "funder_id": bar.funder_id, "award_id": award.id,
        "starts_on": bar.starts_on, "ends_on": bar.ends_on, "years": years, "reason": reason})
    emit("breach.recorded", debarment=bar, award=award, actor=actor)
    return bar


def lift(actor: Any, bar: Debarment, reason: Any, *, today: date | None = None) -> Debarment:
    """提前解除禁止申报: the bar ends today; the breach stays on the record (and in the credit)."""
    require(actor, "debarment.lift", bar)
    today = today or china_today()
    if bar.lifted_on is not None:
        raise Conflict(_("该禁止申报已于 %(day)s 解除，不能重复解除。", day=bar.lifted_on.isoformat()))
    if not bar.active_on(today):
        raise Conflict(_("该禁止申报已于 %(day)s 到期，无需解除。", day=bar.ends_on.isoformat()))
    reason = clean_reason(reason, _("解除原因"), REASON_MAX)
    before = {"lifted_on": None, "ends_on": bar.ends_on}
    bar.lifted_on = today
    bar.lift_reason = reason
    bar.lifted_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "debarment.lift", bar, before=before, after={
        "lifted_on": today, "lift_reason": reason, "organization_id": bar.organization_id,
        "funder_id": bar.funder_id, "award_id": bar.award_id})
    emit("debarment.lifted", debarment=bar, actor=actor)
    return bar

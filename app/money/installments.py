"""Installments (分期拨付) of an award — a contract other money and report services call.

An award is paid in installments taken from its call's template (``Call.installments``:
position, percent, trigger). The amounts are split in whole fen: each installment gets the
floor of its percent of the award, the remainder goes to the last one, so the schedule
always sums to the award exactly.

States (app.money.models.InstallmentStatus)::

    WAITING ──trigger fires──▶ DUE ──officer requests──▶ REQUESTED ──finance pays──▶ PAID
       └──────────┴── a failed midterm ──▶ WITHHELD

Triggers (app.calls.models.InstallmentTrigger): ``agreement_signed`` (the officer confirms
the signed agreement — app.money.agreements.confirm), ``progress_accepted`` and
``final_accepted`` (the reports service, when it accepts a report). ``fire_trigger`` and
``withhold_remaining`` change only rows in the states they name, under a row lock on
PostgreSQL, so a repeated or racing call changes nothing twice.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app.calls.models import InstallmentTrigger
from app.core import audit
from app.core.db import utcnow
from app.core.errors import ValidationError
from app.core.events import emit
from app.core.forms import CONTROL_CHARS
from app.extensions import db
from app.money.models import Installment, InstallmentStatus, Payment

S = InstallmentStatus
REASON_MAX = 500


# --------------------------------------------------------------------------- the split

def split(amount_fen: int, percents: Sequence[int]) -> list[int]:
    """``amount_fen`` split by ``percents`` (whole percents summing to 100): the floor of
    each share, the remainder on the last. The parts sum to the amount and are ≥ 0, and a
    larger percent never gets fewer fen than a smaller one.

    >>> split(100_001, [50, 40, 10])
    [50000, 40000, 10001]
    """
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise ValueError(f"amounts are int fen, got {amount_fen!r}")
    if amount_fen < 0:
        raise ValueError("the amount must not be negative")
    percents = list(percents)
    if not percents:
        raise ValueError("at least one percent is needed")
    for p in percents:
        if isinstance(p, bool) or not isinstance(p, int) or not 0 < p <= 100:
            raise ValueError(f"percents are ints in 1..100, got {p!r}")
    if sum(percents) != 100:
        raise ValueError(f"percents must sum to 100, got {sum(percents)}")
    parts = [amount_fen * p // 100 for p in percents[:-1]]
    parts.append(amount_fen - sum(parts))
    return parts


def trigger_label(trigger: str | InstallmentTrigger) -> str:
    """The condition of an installment, e.g. "协议签订"."""
    try:
        return InstallmentTrigger(trigger).label
    except ValueError:
        return str(trigger)


def condition_text(installment: Installment) -> str:
    """"协议签订后拨付" — the condition in a sentence (pages and the agreement PDF)."""
    return _("%(trigger)s后拨付", trigger=trigger_label(installment.trigger))


# --------------------------------------------------------------------------- schedule

def installments_of(award: Any, *, lock: bool = False) -> list[Installment]:
    stmt = select(Installment).where(Installment.award_id == award.id).order_by(Installment.position)
    if lock:
        stmt = stmt.with_for_update(of=Installment)
    return list(db.session.scalars(stmt))


def create_schedule(award: Any, actor: Any = None) -> list[Installment]:
    """The award's installments from its call's template (all WAITING). Idempotent: an
    award that already has installments keeps them (they are returned as they are).
    ValidationError when the template is missing or does not total 100%, or when an
    installment would be zero fen."""
    existing = installments_of(award)
    if existing:
        return existing
    steps = sorted(award.call.installments, key=lambda s: s.position)
    if not steps:
        raise ValidationError(_("该征集没有设置分期拨付方案，无法生成拨付计划。请先在征集中设置拨付比例。"))
    total = sum(s.percent for s in steps)
    if total != 100:
        raise ValidationError(_("该征集的拨付比例合计为 %(total)s%%，应为 100%%，无法生成拨付计划。", total=total))
    amounts = split(award.amount_fen, [s.percent for s in steps])
    if any(a <= 0 for a in amounts):
        raise ValidationError(_("资助金额过小，按拨付比例分期后有一期为零，无法生成拨付计划。"))
    rows = [Installment(award_id=award.id, position=step.position, percent=step.percent,
                        trigger=InstallmentTrigger(step.trigger).value, amount_fen=amount,
                        status=S.WAITING)
            for step, amount in zip(steps, amounts)]
    db.session.add_all(rows)
    db.session.flush()
    audit.record(actor, "installments.create", award, object_type="Award", after={
        "installments": [[r.position, r.percent, r.trigger, r.amount_fen] for r in rows]})
    return rows


def _trigger_value(trigger: Any) -> str:
    try:
        return InstallmentTrigger(trigger).value
    except ValueError:
        raise ValueError(f"unknown installment trigger {trigger!r}") from None


def fire_trigger(award: Any, trigger: str | InstallmentTrigger, actor: Any,
                 now: datetime | None = None) -> list[Installment]:
    """Every WAITING installment of ``award`` with ``trigger`` becomes DUE (due_at = now).
    Returns the installments that changed (none when the trigger already fired or they
    were withheld); audited; emits "installments.due"."""
    value = _trigger_value(trigger)
    now = now or utcnow()
    # FOR UPDATE (PostgreSQL): a racing call waits, then re-reads the rows and finds them
    # no longer WAITING.
    rows = list(db.session.scalars(
        select(Installment).where(Installment.award_id == award.id, Installment.trigger == value,
                                  Installment.status == S.WAITING)
        .order_by(Installment.position).with_for_update(of=Installment)))
    for row in rows:
        row.status = S.DUE
        row.due_at = now
    if rows:
        db.session.flush()
        audit.record(actor, "installments.due", award, object_type="Award", after={
            "trigger": value, "due_at": now,
            "installments": [[r.id, r.position, r.amount_fen] for r in rows]})
        emit("installments.due", award=award, installments=rows, trigger=value, actor=actor)
    return rows


def _clean_reason(reason: Any) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if CONTROL_CHARS.search(text):
        raise ValidationError(_("暂停拨付的原因不能包含控制字符。"), field="reason")
    if not text:
        raise ValidationError(_("请填写暂停拨付的原因。"), field="reason")
    if len(text) > REASON_MAX:
        raise ValidationError(_("暂停拨付的原因不能超过 %(max)s 个字。", max=REASON_MAX), field="reason")
    return text


def withhold_remaining(award: Any, actor: Any, reason: Any) -> list[Installment]:
    """Every WAITING or DUE installment of ``award`` becomes WITHHELD with ``reason`` (a
    failed midterm). Requested and paid installments are left alone. Returns those that
    changed; audited; emits "installments.withheld"."""
    reason = _clean_reason(reason)
    rows = list(db.session.scalars(
        select(Installment).where(Installment.award_id == award.id,
                                  Installment.status.in_((S.WAITING, S.DUE)))
        .order_by(Installment.position).with_for_update(of=Installment)))
    before = {r.id: r.status for r in rows}
    for row in rows:
        row.status = S.WITHHELD
        row.withheld_reason = reason
    if rows:
        db.session.flush()
        audit.record(actor, "installments.withhold", award, object_type="Award",
                     before={"installments": [[i, s] for i, s in before.items()]},
                     after={"reason": reason, "installments": [[r.id, r.position, r.amount_fen] for r in rows]})
        emit("installments.withheld", award=award, installments=rows, reason=reason, actor=actor)
    return rows


# --------------------------------------------------------------------------- for pages

def can_request(installment: Installment) -> bool:
    """Whether the installment may be requested for payment now (state only; the
    disbursement service checks the agreement, the funding and the permission)."""
    return installment.status == S.DUE


@dataclass
class ScheduleRow:
    installment: Installment
    count: int                  # installments of the award (for "第 n / N 期")
    payment: Payment | None     # the payment in force

    @property
    def condition(self) -> str:
        return condition_text(self.installment)

    @property
    def trigger_label(self) -> str:
        return trigger_label(self.installment.trigger)

    @property
    def can_request(self) -> bool:
        return can_request(self.installment)


@dataclass
class Schedule:
    rows: list[ScheduleRow]

    @property
    def total_fen(self) -> int:
        return sum(r.installment.amount_fen for r in self.rows)

    @property
    def paid_fen(self) -> int:
        return sum(r.payment.amount_fen for r in self.rows if r.payment is not None)

    @property
    def paid_count(self) -> int:
        return sum(1 for r in self.rows if r.installment.status == S.PAID)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def schedule_of(award: Any) -> Schedule:
    """The award's installments with their payments in force (two queries)."""
    rows = installments_of(award)
    payments: dict[int, Payment] = {}
    if rows:
        for p in db.session.scalars(select(Payment).where(
                Payment.installment_id.in_([r.id for r in rows]), Payment.reversed_entry_id.is_(None))):
            payments[p.installment_id] = p
    return Schedule([ScheduleRow(r, len(rows), payments.get(r.id)) for r in rows])


@dataclass(frozen=True)
class Progress:
    count: int
    paid: int
    due: int            # DUE or REQUESTED: waiting on the funder
    withheld: int
    amount_fen: int
    paid_fen: int

    @property
    def percent_paid(self) -> int:
        return self.paid_fen * 100 // self.amount_fen if self.amount_fen else 0


def progress_by_award(award_ids: Iterable[int]) -> dict[int, Progress]:
    """award id → installment progress, in one query (awards without installments absent)."""
    ids = list(award_ids)
    if not ids:
        return {}

    def count_of(*statuses):
        return func.sum(case((Installment.status.in_(statuses), 1), else_=0))

    paid_fen = func.sum(case((Installment.status == S.PAID, Installment.amount_fen), else_=0))
    rows = db.session.execute(
        select(Installment.award_id, func.count(Installment.id), count_of(S.PAID), count_of(S.DUE, S.REQUESTED),
               count_of(S.WITHHELD), func.sum(Installment.amount_fen), paid_fen)
        .where(Installment.award_id.in_(ids)).group_by(Installment.award_id)).all()
    return {award_id: Progress(int(n), int(paid or 0), int(due or 0), int(held or 0), int(total or 0),
                               int(pfen or 0))
            for award_id, n, paid, due, held, total, pfen in rows}

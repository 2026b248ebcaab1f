"""Disbursement with maker-checker (拨付，申请与审核分离) — SPEC §3.4, QUALITY (Money).

1. ``request_payment`` — the program officer (the *maker*) asks for a DUE installment to be
   paid: the agreement must be signed and the award funded (its AwardFunding rows hold
   the commitment). DUE → REQUESTED; the finance officers hear of it through the
   ``installment.requested`` event.
2. ``approve_payment`` — a finance officer (the *checker*, never the maker, with a fresh
   login — the view checks that) records the payment: date, method, reference. The
   installment's amount is shared across the award's fund sources in proportion to the
   split (floor, remainder to the last, each within the fund's remaining commitment),
   posted through ``ledger.pay``, and a Payment row (付款凭证) is written. REQUESTED → PAID.
3. ``reverse_payment`` — a wrong payment is corrected by a reversing entry, never by an
   edit: the Payment row stays as history with its reversal entry and reason, and the
   installment goes back to REQUESTED for a new approval (a new Payment row).

**Exactly once.** An installment has at most one payment in force: the partial UNIQUE
index on ``payment.installment_id`` (where not reversed) makes a second one impossible.
On PostgreSQL the installment row is locked (``SELECT … FOR UPDATE``) before its state is
read, so racing approvals queue up and each later one finds it PAID (409); the insert of
the payment and its journal entry share a savepoint, so if the index ever fires the
approval is refused (409) with nothing written. SQLite admits one writer at a time.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload, joinedload, lazyload

from app.applications.models import Application
from app.auth.models import User
from app.awards.models import Award
from app.calls.models import Call, InstallmentTrigger
from app.core import audit
from app.core.db import MAX_ID, utcnow
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.core.events import emit
from app.core.forms import CONTROL_CHARS
from app.core.money import format_fen, split_fen
from app.core.permissions import require, staff_funders
from app.extensions import db
from app.funders.models import Funder
from app.money import ledger
from app.money.ledger import A
from app.money.models import (Agreement, AgreementStatus, AwardFunding, FundSource, Installment,
                              InstallmentStatus, JournalEntry, Payment, PaymentMethod)
from app.orgs.models import Organization

CHINA = ZoneInfo("Asia/Shanghai")
REFERENCE_MAX = 100
REASON_MAX = 300
SAME_PERSON = "审核人不能与申请人为同一人"


def beijing_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CHINA).date()


# --- lookups ------------------------------------------------------------------------------

def _award_only(path):
    """An award's call, application and organization (joined), not their selectin lists."""
    return (path.defaultload(Award.call).lazyload(Call.category_rows),
            path.defaultload(Award.call).lazyload(Call.target_rows),
            path.defaultload(Award.application).lazyload("*"),
            path.defaultload(Award.organization).lazyload(Organization.target_rows))


def get_installment(installment_id: int) -> Installment | None:
    if not 0 < installment_id <= MAX_ID:
        return None
    return db.session.get(Installment, installment_id)


def get_payment(payment_id: int) -> Payment | None:
    if not 0 < payment_id <= MAX_ID:
        return None
    return db.session.scalar(select(Payment).where(Payment.id == payment_id)
                             .options(joinedload(Payment.installment)))


def agreement_of(award: Award) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.award_id == award.id))


def fundings_of(award: Award) -> list[AwardFunding]:
    return list(db.session.scalars(select(AwardFunding).where(AwardFunding.award_id == award.id)
                                   .order_by(AwardFunding.id)))


def installment_count(award: Award) -> int:
    return db.session.scalar(select(func.count(Installment.id)).where(Installment.award_id == award.id)) or 0


def users_by_id(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids))
                                                .options(lazyload(User.staff_memberships)))}


def finance_officers(funder_id: int) -> list[User]:
    """The funder's active finance officers (who approve payments)."""
    from app.funders.models import StaffMembership, StaffRole

    return list(db.session.scalars(
        select(User).join(StaffMembership, StaffMembership.user_id == User.id)
        .where(StaffMembership.funder_id == funder_id, StaffMembership.role == StaffRole.FINANCE_OFFICER,
               User.is_active_account.is_(True))
        .order_by(User.id)).unique())


def trigger_label(installment: Installment) -> str:
    try:
        return InstallmentTrigger(installment.trigger).label
    except ValueError:
        return installment.trigger


def _lock(installment: Installment) -> Installment:
    """Lock the installment row until the transaction ends (PostgreSQL) and read its
    current state: a racing transaction that changed it first is seen here."""
    stmt = select(Installment).where(Installment.id == installment.id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Installment)
    locked = db.session.scalar(stmt)
    if locked is None:
        raise Conflict(_("该分期已不存在。"))
    db.session.expire(locked, ["payments"])
    return locked


def _payment_in_force(installment: Installment) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.installment_id == installment.id,
                                                   Payment.reversed_entry_id.is_(None)))


# --- 1. the request (maker) ---------------------------------------------------------------

def request_problems(installment: Installment) -> list[str]:
    """Why the installment cannot be requested now (empty: it can)."""
    award = installment.award
    if installment.status != InstallmentStatus.DUE:
        return [_("第 %(n)s 期当前为“%(status)s”，只有“可申请拨付”的分期才能申请拨付。",
                  n=installment.position, status=installment.status.label)]
    problems = []
    agreement = agreement_of(award)
    if agreement is None or agreement.status != AgreementStatus.SIGNED:
        problems.append(_("资助协议尚未生效（需组织上传签署件并由项目主管确认），不能申请拨付。"))
    problems += funding_problems(installment)
    return problems


def funding_problems(installment: Installment) -> list[str]:
    award = installment.award
    fundings = fundings_of(award)
    if not fundings:
        return [_("立项 %(number)s 尚未落实资金来源（未拆分到资金来源并承诺），不能拨付。", number=award.number)]
    committed = ledger.balance(A.COMMITTED, award_id=award.id)
    if committed < installment.amount_fen:
        return [_("立项 %(number)s 的待支付承诺为 %(committed)s，不足以支付本期 %(amount)s。",
                  number=award.number, committed=format_fen(committed), amount=format_fen(installment.amount_fen))]
    return []


def request_payment(actor: Any, installment: Installment, now: datetime | None = None) -> Installment:
    """申请拨付: DUE → REQUESTED by the program officer."""
    require(actor, "installment.request", installment.award)
    now = now or utcnow()
    installment = _lock(installment)
    problems = request_problems(installment)
    if problems:
        raise Conflict(" ".join(problems))
    installment.status = InstallmentStatus.REQUESTED
    installment.requested_at = now
    installment.requested_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "installment.request", installment,
                 before={"status": InstallmentStatus.DUE},
                 after={"status": InstallmentStatus.REQUESTED, "award_id": installment.award_id,
                        "position": installment.position, "amount_fen": installment.amount_fen})
    emit("installment.requested", installment=installment, actor=actor)
    return installment


# --- 2. the approval (checker) ------------------------------------------------------------

@dataclass(frozen=True)
class Share:
    """The part of a payment paid from one fund source."""

    fund: FundSource
    amount_fen: int
    remaining_fen: int     # the fund's commitment to the award not yet paid, before this


def payment_shares(installment: Installment) -> list[Share]:
    """The installment's amount across the award's fund sources: in proportion to the
    split (floor, remainder to the last), each within what the fund still owes the award;
    a share that would exceed it is capped and the excess moved to the funds that still
    have room (the last first). Conflict when the commitments cannot cover the amount."""
    award = installment.award
    fundings = fundings_of(award)
    if not fundings:
        raise Conflict(funding_problems(installment)[0])
    remaining_by_fund = {key[0]: figures[A.COMMITTED] for key, figures in
                         ledger.balances(by=("fund_source_id",), award_id=award.id).items()}
    remaining = [max(0, remaining_by_fund.get(f.fund_source_id, 0)) for f in fundings]
    amounts = split_fen(installment.amount_fen, [f.amount_fen for f in fundings])
    excess = 0
    for i, cap in enumerate(remaining):
        if amounts[i] > cap:
            excess += amounts[i] - cap
            amounts[i] = cap
    for i in reversed(range(len(amounts))):
        if not excess:
            break
        room = remaining[i] - amounts[i]
        moved = min(room, excess)
        amounts[i] += moved
        excess -= moved
    if excess:
        raise Conflict(funding_problems(installment)[0] if funding_problems(installment) else
                       _("各资金来源的待支付承诺不足以支付本期 %(amount)s。",
                         amount=format_fen(installment.amount_fen)))
    return [Share(f.fund_source, amount, remaining[i]) for i, (f, amount) in enumerate(zip(fundings, amounts))
            if amount > 0]


def _paid_on(value: Any, installment: Installment, now: datetime) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(_("请填写付款日期（年-月-日）。"), field="paid_on")
    today = beijing_today(now)
    if value > today:
        raise ValidationError(_("付款日期不能晚于今天（%(today)s）。", today=today.isoformat()), field="paid_on")
    agreement = agreement_of(installment.award)
    if agreement is not None and agreement.signed_at is not None:
        signed = beijing_today(agreement.signed_at)
        if value < signed:
            raise ValidationError(_("付款日期不能早于资助协议生效日期（%(day)s）。", day=signed.isoformat()),
                                  field="paid_on")
    return value


def _method(value: Any) -> PaymentMethod:
    if isinstance(value, PaymentMethod):
        return value
    try:
        return PaymentMethod(value)
    except ValueError:
        raise ValidationError(_("请选择付款方式。"), field="method") from None


def _reference(value: Any) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if CONTROL_CHARS.search(value):
        raise ValidationError(_("付款流水号不能包含控制字符。"), field="reference")
    if not value:
        raise ValidationError(_("请填写付款流水号（银行交易流水号或 Stripe 转账编号）。"), field="reference")
    if len(value) > REFERENCE_MAX:
        raise ValidationError(_("付款流水号不能超过 %(max)s 个字符。", max=REFERENCE_MAX), field="reference")
    return value


def approve_problems(actor: Any, installment: Installment) -> list[str]:
    """Why ``actor`` cannot approve the installment now (empty: they can, given valid input)."""
    if installment.status != InstallmentStatus.REQUESTED:
        return [_("第 %(n)s 期当前为“%(status)s”，只有已申请拨付的分期才能审核付款。",
                  n=installment.position, status=installment.status.label)]
    if installment.requested_by_id is not None and installment.requested_by_id == getattr(actor, "id", None):
        return [_("%(rule)s：您申请了这一期拨付，须由另一位财务人员审核付款。", rule=_(SAME_PERSON))]
    agreement = agreement_of(installment.award)
    if agreement is None or agreement.status != AgreementStatus.SIGNED:
        return [_("资助协议尚未生效，不能付款。")]
    return funding_problems(installment)


def approve_payment(actor: Any, installment: Installment, paid_on: Any, method: Any, reference: Any,
                    now: datetime | None = None) -> Payment:
    """审核付款: record the payment of a REQUESTED installment (REQUESTED → PAID)."""
    require(actor, "payment.approve", installment)
    now = now or utcnow()
    method = _method(method)
    reference = _reference(reference)
    installment = _lock(installment)
    in_force = _payment_in_force(installment)
    if installment.status != InstallmentStatus.REQUESTED or in_force is not None:
        status = InstallmentStatus.PAID if in_force is not None else installment.status
        raise Conflict(_("第 %(n)s 期当前为“%(status)s”，只有已申请拨付的分期才能审核付款。",
                         n=installment.position, status=status.label))
    if installment.requested_by_id is not None and installment.requested_by_id == getattr(actor, "id", None):
        raise PermissionDenied(_("%(rule)s：您申请了这一期拨付，须由另一位财务人员审核付款。", rule=_(SAME_PERSON)))
    paid_on = _paid_on(paid_on, installment, now)
    problems = approve_problems(actor, installment)
    if problems:
        raise Conflict(" ".join(problems))
    award = installment.award
    paid = ledger.balance(A.PAID, award_id=award.id)
    if paid + installment.amount_fen > award.amount_fen:
        raise Conflict(_("立项 %(number)s 已支付 %(paid)s，再付 %(amount)s 将超过立项金额 %(total)s。",
                         number=award.number, paid=format_fen(paid), amount=format_fen(installment.amount_fen),
                         total=format_fen(award.amount_fen)))
    shares = payment_shares(installment)
    n = installment_count(award)
    memo = _("立项 %(number)s 第 %(n)s/%(total)s 期拨付", number=award.number, n=installment.position, total=n)
    try:
        with db.session.begin_nested():
            entry = ledger.pay(actor, award, [(s.fund.id, s.amount_fen) for s in shares],
                               source=("installment", installment.id), memo=memo)
            payment = Payment(installment_id=installment.id, voucher_number=f"TMP-{uuid.uuid4().hex}",
                              amount_fen=installment.amount_fen, paid_on=paid_on, method=method,
                              reference=reference, approved_by_id=getattr(actor, "id", None),
                              approved_at=now, entry_id=entry.id)
            db.session.add(payment)
            db.session.flush()
            # 付款凭证号: the year paid and the payment's own id — unique without a counter.
            payment.voucher_number = f"FK{paid_on.year}{payment.id:06d}"
            db.session.flush()
    except IntegrityError:
        # Another approval of this installment won the race: nothing of this one is kept.
        raise Conflict(_("第 %(n)s 期已由他人审核付款，请刷新页面查看。", n=installment.position)) from None
    installment.status = InstallmentStatus.PAID
    db.session.expire(installment, ["payments"])
    db.session.flush()
    audit.record(actor, "payment.approve", payment, after={
        "installment_id": installment.id, "voucher_number": payment.voucher_number,
        "amount_fen": payment.amount_fen, "paid_on": paid_on, "method": method, "reference": reference,
        "entry_id": entry.id, "requested_by_id": installment.requested_by_id,
        "shares": [[s.fund.id, s.amount_fen] for s in shares]})
    emit("payment.approved", payment=payment, actor=actor)
    return payment


# --- 3. reversal -------------------------------------------------------------------------

def reverse_problems(payment: Payment) -> list[str]:
    if payment.reversed_entry_id is not None:
        return [_("付款 %(voucher)s 已冲正。", voucher=payment.voucher_number)]
    return []


def reverse_payment(actor: Any, payment: Payment, reason: Any, now: datetime | None = None) -> Payment:
    """冲正付款: a reversing entry of the payment's entry; the payment stays as history and
    the installment goes back to REQUESTED for a new approval."""
    require(actor, "payment.reverse", payment)
    reason = reason.strip() if isinstance(reason, str) else ""
    if CONTROL_CHARS.search(reason):
        raise ValidationError(_("冲正原因不能包含控制字符。"), field="reason")
    if not reason:
        raise ValidationError(_("请填写冲正原因。"), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(_("冲正原因不能超过 %(max)s 个字。", max=REASON_MAX), field="reason")
    installment = _lock(payment.installment)
    db.session.refresh(payment)
    problems = reverse_problems(payment)
    if problems:
        raise Conflict(" ".join(problems))
    entry = db.session.get(JournalEntry, payment.entry_id)
    award = installment.award
    # Money the organization already returned cannot be "unpaid": keep paid ≥ refunded.
    for line in entry.lines:
        if line.account == A.PAID and line.amount_fen > 0:
            paid = ledger.balance(A.PAID, fund_source_id=line.fund_source_id, award_id=award.id)
            refunded = -ledger.balance(A.REFUNDED, fund_source_id=line.fund_source_id, award_id=award.id)
            if paid - line.amount_fen < refunded:
                raise Conflict(_("该立项已有资金退回记录（%(refunded)s），冲正本笔付款后已支付将少于已退回，"
                                 "请先冲正退回记录。", refunded=format_fen(refunded)))
    reversal = ledger.reverse(actor, entry, _("付款凭证 %(voucher)s 冲正：%(reason)s",
                                              voucher=payment.voucher_number, reason=reason))
    before = installment.status
    payment.reversed_entry_id = reversal.id
    payment.reversal_reason = reason
    installment.status = InstallmentStatus.REQUESTED
    db.session.expire(installment, ["payments"])
    db.session.flush()
    audit.record(actor, "payment.reverse", payment, before={"installment_status": before},
                 after={"installment_status": InstallmentStatus.REQUESTED, "reversal_entry_id": reversal.id,
                        "reason": reason, "voucher_number": payment.voucher_number})
    emit("payment.reversed", payment=payment, actor=actor, reason=reason)
    return payment


# --- queues --------------------------------------------------------------------------------

def visible_funders(user: Any) -> list[Funder]:
    """The funders whose payments the user sees: their own (any staff role); all for an admin."""
    if getattr(user, "is_admin", False):
        return list(db.session.scalars(select(Funder).order_by(Funder.id)))
    return list({f.id: f for f in staff_funders(user)}.values())


def _scope(stmt: Select, user: Any, funder_id: int | None, q: str | None) -> Select:
    funder_ids = [f.id for f in visible_funders(user)]
    if funder_id is not None:
        funder_ids = [i for i in funder_ids if i == funder_id]
    stmt = stmt.where(Call.funder_id.in_(funder_ids))
    if q:
        needle = q.lower()
        stmt = stmt.where(or_(func.lower(Award.number).contains(needle, autoescape=True),
                              func.lower(Organization.name).contains(needle, autoescape=True),
                              func.lower(Application.title).contains(needle, autoescape=True)))
    return stmt


def _installments(status: InstallmentStatus, user: Any, funder_id: int | None, q: str | None) -> Select:
    stmt = (select(Installment).join(Award, Award.id == Installment.award_id)
            .join(Call, Call.id == Award.call_id)
            .join(Organization, Organization.id == Award.organization_id)
            .join(Application, Application.id == Award.application_id)
            .where(Installment.status == status))
    return _scope(stmt, user, funder_id, q)


def _listing(stmt: Select) -> Select:
    return stmt.options(*_award_only(defaultload(Installment.award)), lazyload(Installment.payments))


def pending_payments(user: Any, *, funder_id: int | None = None, q: str | None = None) -> Select:
    """待审核拨付: REQUESTED installments of the user's funders, oldest request first."""
    return _listing(_installments(InstallmentStatus.REQUESTED, user, funder_id, q)).order_by(
        Installment.requested_at.asc().nulls_last(), Installment.id)


def due_installments(user: Any, *, funder_id: int | None = None, q: str | None = None) -> Select:
    """可申请拨付: DUE installments of the user's funders, longest due first."""
    return _listing(_installments(InstallmentStatus.DUE, user, funder_id, q)).order_by(
        Installment.due_at.asc().nulls_last(), Installment.id)


def _payments(user: Any, funder_id: int | None, q: str | None) -> Select:
    stmt = (select(Payment).join(Installment, Installment.id == Payment.installment_id)
            .join(Award, Award.id == Installment.award_id)
            .join(Call, Call.id == Award.call_id)
            .join(Organization, Organization.id == Award.organization_id)
            .join(Application, Application.id == Award.application_id))
    return _scope(stmt, user, funder_id, q)


def recent_payments(user: Any, *, funder_id: int | None = None, q: str | None = None) -> Select:
    """Payments of the user's funders (reversed ones too, as history), newest first."""
    return (_payments(user, funder_id, q)
            .options(joinedload(Payment.installment).options(
                *_award_only(defaultload(Installment.award)), lazyload(Installment.payments)))
            .order_by(Payment.approved_at.desc(), Payment.id.desc()))


def queue_counts(user: Any, *, funder_id: int | None = None, q: str | None = None) -> dict[str, int]:
    """How many installments are requested and due, and how many payments were made."""
    def count(stmt: Select) -> int:
        return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    return {"requested": count(_installments(InstallmentStatus.REQUESTED, user, funder_id, q)),
            "due": count(_installments(InstallmentStatus.DUE, user, funder_id, q)),
            "paid": count(_payments(user, funder_id, q))}


def queue_totals(user: Any, *, funder_id: int | None = None, q: str | None = None) -> dict[str, int]:
    """Sums (fen) of the requested and the due installments in the user's scope."""
    def total(status: InstallmentStatus) -> int:
        sub = _installments(status, user, funder_id, q).subquery()
        return int(db.session.scalar(select(func.coalesce(func.sum(sub.c.amount_fen), 0))) or 0)

    return {"requested": total(InstallmentStatus.REQUESTED), "due": total(InstallmentStatus.DUE)}


def installment_counts(awards) -> dict[int, int]:
    """How many installments each award has (for "n/N")."""
    ids = {a.id for a in awards}
    if not ids:
        return {}
    return dict(db.session.execute(select(Installment.award_id, func.count(Installment.id))
                                   .where(Installment.award_id.in_(ids)).group_by(Installment.award_id)).all())


@dataclass
class VoucherData:
    """Everything the voucher and the payment page show."""

    payment: Payment
    installment: Installment
    award: Award
    count: int
    shares: list[tuple[FundSource, int]]
    requested_by: User | None
    approved_by: User | None
    agreement: Agreement | None


def voucher_data(payment: Payment) -> VoucherData:
    installment = payment.installment
    award = installment.award
    entry = db.session.get(JournalEntry, payment.entry_id)
    amounts: dict[int, int] = {}
    for line in entry.lines:
        if line.account == A.PAID:
            amounts[line.fund_source_id] = amounts.get(line.fund_source_id, 0) + line.amount_fen
    funds = {f.id: f for f in db.session.scalars(select(FundSource).where(FundSource.id.in_(list(amounts))))}
    users = users_by_id([installment.requested_by_id, payment.approved_by_id])
    return VoucherData(payment=payment, installment=installment, award=award, count=installment_count(award),
                       shares=[(funds[i], amounts[i]) for i in sorted(amounts)],
                       requested_by=users.get(installment.requested_by_id),
                       approved_by=users.get(payment.approved_by_id), agreement=agreement_of(award))

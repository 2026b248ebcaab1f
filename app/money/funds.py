"""Fund sources (资金来源), their allocation to calls, the funding split of awards, refunds
and corrections — the business rules around the ledger (app.money.ledger posts the
entries; nothing here writes journal rows itself).

- ``create_fund`` / ``add_appropriation`` / ``update_fund``: a funder's fund sources; the
  appropriation (资金拨入) enters the journal, the descriptive fields are edited freely,
  amounts never (a wrong appropriation is reversed, not edited).
- ``allocate`` / ``deallocate``: fund money set aside for a call. A withdrawal reverses one
  whole allocation entry (ledger.reverse) — partial withdrawals would need a posting the
  ledger does not have, and a whole-entry reversal keeps the journal readable.
- ``default_split`` / ``fund_award``: an award's commitment, split across the funds the
  call holds (default: in proportion to what each fund still has for the call). The award
  decision (event ``awards.decided``) funds every new award automatically when the call's
  allocations cover it, and leaves it for the officer otherwise.
- ``record_refund`` / ``reverse_entry``: money returned by an organization, and a finance
  officer's correction of a wrong appropriation, allocation or refund.

Every function takes the acting user, checks permissions through app.core.permissions,
flushes and never commits.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, or_, select

from app.awards.models import Award
from app.calls.models import Call, CallStatus
from app.core import audit
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, PermissionDenied, ValidationError
from app.core.events import subscribe
from app.core.forms import CONTROL_CHARS, clean_search
from app.core.money import format_fen, parse_yuan
from app.core.permissions import can, require
from app.extensions import db
from app.funders.models import Funder
from app.money import ledger
from app.money.models import (AccountKind, AwardFunding, EntryKind, FundSource, FundSourceKind, JournalEntry,
                              JournalLine, Refund)

CHINA = ZoneInfo("Asia/Shanghai")
A = AccountKind

NAME_MAX = 100
DESCRIPTION_MAX = 2000
MEMO_MAX = 200
REFERENCE_MAX = 100
REASON_MAX = 500
YEAR_MIN, YEAR_MAX = 2000, 2100

# Calls that may receive (or give back) allocations: published and not finished.
NOT_ALLOCATABLE = (CallStatus.DRAFT, CallStatus.CANCELLED, CallStatus.CLOSED)
# What a finance officer may correct by a reversing entry here. Commitments belong to the
# award's funding, payments to the payment record, donations to the donation (their own
# pages reverse them together with their rows).
REVERSIBLE = (EntryKind.APPROPRIATION, EntryKind.ALLOCATION, EntryKind.REFUND)


# --------------------------------------------------------------------------- small helpers

def _text(value: Any, *, field: str, max_len: int, required: str | None = None) -> str:
    text = value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())
    if CONTROL_CHARS.search(text):
        raise ValidationError(_("不能包含控制字符（如 NUL），请删除后重试。"), field=field)
    if required and not text:
        raise ValidationError(required, field=field)
    if len(text) > max_len:
        raise ValidationError(_("不能超过 %(max)s 个字。", max=max_len), field=field)
    return text


def _fen(value: Any, *, field: str = "amount", allow_zero: bool = False) -> int:
    """An amount given as int fen (from code) or as yuan text typed by a person."""
    if isinstance(value, bool):
        raise ValidationError(_("金额格式不正确，请输入如 1234.50 的数字。"), field=field)
    if isinstance(value, int):
        if value < 0:
            raise ValidationError(_("金额不能为负数。"), field=field)
        if value == 0 and not allow_zero:
            raise ValidationError(_("金额必须大于零。"), field=field)
        return value
    try:
        return parse_yuan(value, allow_zero=allow_zero)
    except ValidationError as err:
        raise ValidationError(err.message, field=field) from None


def _year(value: Any) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(_("请填写四位数的年度，例如 2026。"), field="fiscal_year") from None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError(_("年度应在 %(min)s 到 %(max)s 之间。", min=YEAR_MIN, max=YEAR_MAX), field="fiscal_year")
    return year


def _kind(value: Any) -> FundSourceKind:
    if isinstance(value, FundSourceKind):
        return value
    try:
        return FundSourceKind(value)
    except ValueError:
        raise ValidationError(_("请选择资金类型。"), field="kind") from None


def _flag(value: Any) -> bool:
    return value in (True, "y", "on", "1", "true", 1)


def _lock_award(award: Award) -> None:
    """Serialize the funding of one award (two officers funding it at once)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Award.id).where(Award.id == award.id).with_for_update())


def beijing_today() -> date:
    return utcnow().astimezone(CHINA).date()


# --------------------------------------------------------------------------- fund sources

def finance_funders(user: Any) -> list[Funder]:
    """The funders whose money the user may see (finance.view): their staff funders, or
    every active funder for an administrator."""
    if getattr(user, "is_admin", False):
        return list(db.session.scalars(select(Funder).where(Funder.is_active.is_(True)).order_by(Funder.id)))
    seen, out = set(), []
    for m in user.staff_memberships:
        if m.funder_id not in seen:
            seen.add(m.funder_id)
            out.append(m.funder)
    return sorted(out, key=lambda f: f.id)


def managed_funders(user: Any) -> list[Funder]:
    """The funders whose fund sources the user may create and allocate (fund.manage)."""
    return [f for f in finance_funders(user) if can(user, "fund.manage", f)]


def get_fund(fund_id: int) -> FundSource | None:
    return db.session.get(FundSource, fund_id)


def funds_query(funder_ids: Sequence[int], *, q: str | None = None, year: int | None = None) -> Select:
    """The fund sources of these funders, newest year first; ``q`` searches the name."""
    stmt = select(FundSource).where(FundSource.funder_id.in_(list(funder_ids)))
    if year:
        stmt = stmt.where(FundSource.fiscal_year == year)
    q = clean_search(q)
    if q:
        stmt = stmt.where(FundSource.name.contains(q, autoescape=True))
    return stmt.order_by(FundSource.fiscal_year.desc(), FundSource.funder_id, FundSource.id)


def fiscal_years(funder_ids: Sequence[int]) -> list[int]:
    return list(db.session.scalars(select(FundSource.fiscal_year).where(FundSource.funder_id.in_(list(funder_ids)))
                                   .distinct().order_by(FundSource.fiscal_year.desc())))


def _check_unique_name(funder_id: int, name: str, year: int, fund_id: int | None = None) -> None:
    stmt = select(FundSource.id).where(FundSource.funder_id == funder_id, FundSource.name == name,
                                       FundSource.fiscal_year == year)
    if fund_id is not None:
        stmt = stmt.where(FundSource.id != fund_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError(_("%(year)s 年度已有名为“%(name)s”的资金来源，请换一个名称。", year=year, name=name),
                              field="name")


def _donation_settings(data: dict) -> tuple[bool, int]:
    accepts = _flag(data.get("accepts_donations"))
    target_text = data.get("donation_target")
    if accepts:
        target = _fen(target_text if target_text not in (None, "") else 0, field="donation_target", allow_zero=True)
    else:
        target = 0
    return accepts, target


def create_fund(actor: Any, funder: Funder, data: dict) -> FundSource:
    """A new fund source of ``funder``; its amount (yuan text or fen) is posted as the
    appropriation when above zero. ``data``: kind, name, fiscal_year, amount, description,
    accepts_donations, donation_target."""
    require(actor, "fund.manage", funder)
    kind = _kind(data.get("kind"))
    name = _text(data.get("name"), field="name", max_len=NAME_MAX, required=_("请填写资金来源名称。"))
    year = _year(data.get("fiscal_year"))
    amount = _fen(data.get("amount") if data.get("amount") not in (None, "") else 0, allow_zero=True)
    description = _text(data.get("description"), field="description", max_len=DESCRIPTION_MAX)
    accepts, target = _donation_settings(data)
    _check_unique_name(funder.id, name, year)
    fund = FundSource(funder_id=funder.id, kind=kind, name=name, fiscal_year=year, amount_fen=amount,
                      description=description, accepts_donations=accepts, donation_target_fen=target,
                      created_by_id=getattr(actor, "id", None))
    db.session.add(fund)
    db.session.flush()
    audit.record(actor, "fund.create", fund, after={
        "funder_id": funder.id, "kind": kind, "name": name, "fiscal_year": year, "amount_fen": amount,
        "accepts_donations": accepts, "donation_target_fen": target})
    if amount > 0:
        ledger.appropriate(actor, fund, amount, memo=_("%(name)s 资金拨入", name=name))
    return fund


def add_appropriation(actor: Any, fund: FundSource, amount: Any, memo: Any = "") -> JournalEntry:
    """追加拨入: a supplementary appropriation to the fund's available balance."""
    require(actor, "fund.manage", fund.funder)
    fen = _fen(amount)
    memo = _text(memo, field="memo", max_len=MEMO_MAX)
    return ledger.appropriate(actor, fund, fen, memo=memo or _("%(name)s 追加拨入", name=fund.name))


def update_fund(actor: Any, fund: FundSource, data: dict) -> FundSource:
    """Name, description and donation settings. The amount moves only through entries."""
    require(actor, "fund.manage", fund.funder)
    before = {"name": fund.name, "description": fund.description, "accepts_donations": fund.accepts_donations,
              "donation_target_fen": fund.donation_target_fen}
    name = _text(data.get("name"), field="name", max_len=NAME_MAX, required=_("请填写资金来源名称。"))
    description = _text(data.get("description"), field="description", max_len=DESCRIPTION_MAX)
    accepts, target = _donation_settings(data)
    _check_unique_name(fund.funder_id, name, fund.fiscal_year, fund.id)
    fund.name, fund.description = name, description
    fund.accepts_donations, fund.donation_target_fen = accepts, target
    db.session.flush()
    audit.record(actor, "fund.update", fund, before=before, after={
        "name": name, "description": description, "accepts_donations": accepts, "donation_target_fen": target})
    return fund


# --------------------------------------------------------------------------- allocation

def allocatable_calls(funder_id: int) -> list[Call]:
    """The funder's calls that may receive an allocation."""
    return list(db.session.scalars(select(Call).where(Call.funder_id == funder_id,
                                                      Call.status.not_in(NOT_ALLOCATABLE))
                                   .order_by(Call.id.desc())))


def _check_call(fund: FundSource, call: Call) -> None:
    if call.funder_id != fund.funder_id:
        raise ValidationError(_("只能分配给本资助方的征集。"), field="call_id")
    if call.status in NOT_ALLOCATABLE:
        raise Conflict(_("征集“%(title)s”处于“%(status)s”状态，不能调整资金分配。",
                         title=call.title, status=call.status.label))


def allocate(actor: Any, fund: FundSource, call: Call, amount: Any, memo: Any = "") -> JournalEntry:
    """分配至征集: part of the fund's available balance is set aside for the call."""
    require(actor, "fund.manage", fund.funder)
    _check_call(fund, call)
    fen = _fen(amount)
    memo = _text(memo, field="memo", max_len=MEMO_MAX)
    try:
        return ledger.allocate(actor, fund, call, fen, memo=memo)
    except ledger.InsufficientFunds as err:
        raise ledger.InsufficientFunds(err.message, field="amount") from None


def allocation_entries(fund: FundSource, call_ids: Sequence[int] | None = None) -> list[tuple[JournalEntry, int, int]]:
    """The fund's allocation entries not reversed, newest first, as (entry, call id, fen)."""
    reversed_ids = select(JournalEntry.reverses_id).where(JournalEntry.reverses_id.is_not(None))
    stmt = (select(JournalEntry, JournalLine.call_id, JournalLine.amount_fen)
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .where(JournalEntry.kind == EntryKind.ALLOCATION, JournalLine.account == A.ALLOCATED,
                   JournalLine.fund_source_id == fund.id, JournalEntry.id.not_in(reversed_ids))
            .order_by(JournalEntry.id.desc()))
    if call_ids is not None:
        stmt = stmt.where(JournalLine.call_id.in_(list(call_ids)))
    return [(entry, call_id, int(amount)) for entry, call_id, amount in db.session.execute(stmt)]


def deallocate(actor: Any, fund: FundSource, call: Call, amount: Any, memo: Any) -> JournalEntry:
    """撤回分配: reverse one whole allocation of ``amount`` from the fund to the call (the
    latest one of that amount). Partial withdrawals are refused — reverse the allocation
    and allocate the right amount anew. Money already committed to awards stays."""
    require(actor, "fund.manage", fund.funder)
    _check_call(fund, call)
    fen = _fen(amount)
    reason = _text(memo, field="memo", max_len=MEMO_MAX, required=_("请填写撤回原因。"))
    candidates = allocation_entries(fund, [call.id])
    entry = next((e for e, _call_id, amt in candidates if amt == fen), None)
    if entry is None:
        amounts = "、".join(format_fen(amt) for _e, _c, amt in candidates) or _("无")
        raise ValidationError(_("只能整笔撤回分配。该征集可撤回的分配为：%(amounts)s。", amounts=amounts),
                              field="amount")
    ledger.lock_funds([fund.id])
    held = ledger.balance(A.ALLOCATED, fund_source_id=fund.id, call_id=call.id)
    if held < fen:
        raise ledger.InsufficientFunds(_(
            "该征集从“%(fund)s”分配的资金中尚未立项的只有 %(held)s，其余已承诺给立项项目，不能撤回 %(amount)s。",
            fund=fund.name, held=format_fen(held), amount=format_fen(fen)), field="amount")
    return ledger.reverse(actor, entry, _("撤回分配：%(reason)s", reason=reason))


def call_allocations(call: Call) -> list[dict]:
    """Per fund, what the call was given and what is left to commit: [{fund, allocated
    (net total), uncommitted, committed, paid}], one balances query plus the funds."""
    balances = ledger.balances(by=("fund_source_id",), call_id=call.id)
    if not balances:
        return []
    funds = {f.id: f for f in db.session.scalars(select(FundSource).where(
        FundSource.id.in_([key[0] for key in balances])))}
    rows = []
    for (fund_id,), b in sorted(balances.items()):
        allocated = b[A.ALLOCATED] + b[A.COMMITTED] + b[A.PAID]
        rows.append({"fund": funds[fund_id], "allocated": allocated, "uncommitted": b[A.ALLOCATED],
                     "committed": b[A.COMMITTED], "paid": b[A.PAID], "refunded": -b[A.REFUNDED]})
    return rows


# --------------------------------------------------------------------------- award funding

def proportional_split(total: int, capacities: Sequence[int]) -> list[int]:
    """Split ``total`` fen in proportion to ``capacities``: floor each share, the remainder
    to the last. When the total fits (≤ the sum of the capacities) no share exceeds its
    capacity: a remainder the last cannot hold spills to the ones before it."""
    if total < 0 or not capacities or any(c < 0 for c in capacities) or sum(capacities) == 0:
        raise ValueError("a non-negative total and non-negative, not all zero capacities")
    whole = sum(capacities)
    parts = [total * c // whole for c in capacities]
    remainder = total - sum(parts)
    if total > whole:
        parts[-1] += remainder
        return parts
    for i in range(len(parts) - 1, -1, -1):
        take = min(remainder, capacities[i] - parts[i])
        parts[i] += take
        remainder -= take
        if not remainder:
            break
    return parts


def split_capacity(award: Award) -> list[tuple[FundSource, int]]:
    """What each fund still holds for the award's call (allocated, not committed), by fund id."""
    balances = ledger.balances(by=("fund_source_id",), call_id=award.call_id)
    held = {key[0]: b[A.ALLOCATED] for key, b in balances.items() if b[A.ALLOCATED] > 0}
    if not held:
        return []
    funds = db.session.scalars(select(FundSource).where(FundSource.id.in_(list(held))).order_by(FundSource.id))
    return [(fund, held[fund.id]) for fund in funds]


def default_split(award: Award) -> list[tuple[FundSource, int]]:
    """The award's amount in proportion to what each fund still holds for the call (empty
    when the call holds nothing); shares of zero are left out."""
    capacity = split_capacity(award)
    if not capacity:
        return []
    parts = proportional_split(award.amount_fen, [held for _fund, held in capacity])
    return [(fund, part) for (fund, _held), part in zip(capacity, parts) if part > 0]


def funding_of(award: Award) -> list[AwardFunding]:
    return list(db.session.scalars(select(AwardFunding).where(AwardFunding.award_id == award.id)
                                   .order_by(AwardFunding.id)))


def funded_award_ids(award_ids: Sequence[int]) -> set[int]:
    return set(db.session.scalars(select(AwardFunding.award_id).where(AwardFunding.award_id.in_(list(award_ids)))))


def _clean_splits(award: Award, splits: Sequence[tuple[Any, Any]]) -> list[tuple[FundSource, int]]:
    out: dict[int, tuple[FundSource, int]] = {}
    for fund, amount in splits:
        if isinstance(fund, int):
            fund = db.session.get(FundSource, fund)
        if fund is None or fund.funder_id != award.call.funder_id:
            raise ValidationError(_("资金来源不属于本征集的资助方。"), field="splits")
        fen = _fen(amount if amount not in (None, "") else 0, field=f"fund_{fund.id}", allow_zero=True)
        if fen == 0:
            continue
        if fund.id in out:
            raise ValidationError(_("同一资金来源只能填写一次。"), field="splits")
        out[fund.id] = (fund, fen)
    chosen = [out[k] for k in sorted(out)]
    total = sum(fen for _fund, fen in chosen)
    if not chosen:
        raise ValidationError(_("请至少为一个资金来源填写金额。"), field="splits")
    if total != award.amount_fen:
        raise ValidationError(_("各资金来源合计 %(total)s，应等于资助金额 %(amount)s（相差 %(diff)s）。",
                                total=format_fen(total), amount=format_fen(award.amount_fen),
                                diff=format_fen(abs(award.amount_fen - total))), field="splits")
    return chosen


def _post_funding(actor: Any, award: Award, splits: list[tuple[FundSource, int]], memo: str = "") -> list[AwardFunding]:
    entry = ledger.commit(actor, award, splits, memo=memo)
    rows = [AwardFunding(award_id=award.id, fund_source_id=fund.id, amount_fen=fen, entry_id=entry.id)
            for fund, fen in splits]
    db.session.add_all(rows)
    db.session.flush()
    audit.record(actor, "award.fund", award, after={
        "entry_id": entry.id, "splits": [[fund.id, fen] for fund, fen in splits]})
    return rows


def fund_award(actor: Any, award: Award, splits: Sequence[tuple[Any, Any]]) -> list[AwardFunding]:
    """立项承诺: commit the award's amount across fund sources. ``splits``: (fund or fund id,
    fen or yuan text); zero shares are ignored; the shares must add up to the award's
    amount and each fit in what the fund holds for the call. Refused once funded."""
    require(actor, "award.fund", award)
    _lock_award(award)
    if funding_of(award):
        raise Conflict(_("立项 %(number)s 已安排资金来源，不能重复承诺。", number=award.number))
    chosen = _clean_splits(award, splits)
    try:
        return _post_funding(actor, award, chosen)
    except ledger.InsufficientFunds as err:
        raise ledger.InsufficientFunds(err.message, field="splits") from None


@subscribe("awards.decided")
def fund_new_awards(call: Any, awards: Sequence[Award] = (), actor: Any = None, **_payload: Any) -> None:
    """On the award decision, commit each new award with the default split when the call's
    allocations cover it. Otherwise it stays unfunded for the officer to fund by hand —
    the award decision itself never fails here."""
    for award in awards:
        capacity = split_capacity(award)
        if sum(held for _fund, held in capacity) < award.amount_fen:
            continue
        try:
            with db.session.begin_nested():
                if funding_of(award):
                    continue
                _post_funding(actor, award, default_split(award), memo=_("立项 %(number)s 资金承诺（按分配比例自动安排）",
                                                                          number=award.number))
        except DomainError:
            continue


# --------------------------------------------------------------------------- refunds and corrections

def _date(value: Any, *, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError(_("请填写日期，格式如 2026-03-31。"), field=field) from None


def record_refund(actor: Any, award: Award, fund: FundSource | int | None, amount: Any, received_on: Any,
                  reference: Any, reason: Any) -> Refund:
    """资金退回: money the organization returned to ``fund`` (at most what was paid from it
    for the award, less earlier refunds) goes back to the fund's available balance."""
    require(actor, "refund.record", award)
    if isinstance(fund, int):
        fund = db.session.get(FundSource, fund)
    if fund is None or fund.id not in {f.fund_source_id for f in funding_of(award)}:
        raise ValidationError(_("请选择该立项使用的资金来源。"), field="fund_id")
    fen = _fen(amount)
    day = _date(received_on, field="received_on")
    if day > beijing_today():
        raise ValidationError(_("到账日期不能晚于今天。"), field="received_on")
    reference = _text(reference, field="reference", max_len=REFERENCE_MAX,
                      required=_("请填写银行流水号或收款凭证号。"))
    reason = _text(reason, field="reason", max_len=REASON_MAX, required=_("请填写退回原因。"))
    refund = Refund(award_id=award.id, fund_source_id=fund.id, amount_fen=fen, received_on=day,
                    reference=reference, reason=reason, recorded_by_id=getattr(actor, "id", None), entry_id=0)
    try:
        entry = ledger.refund(actor, award, fund.id, fen, memo=_("立项 %(number)s 资金退回：%(reason)s",
                                                                 number=award.number, reason=reason)[:500])
    except ledger.InsufficientFunds as err:
        raise ledger.InsufficientFunds(err.message, field="amount") from None
    refund.entry_id = entry.id
    db.session.add(refund)
    db.session.flush()
    audit.record(actor, "refund.record", refund, after={
        "award_id": award.id, "fund_source_id": fund.id, "amount_fen": fen, "received_on": day,
        "reference": reference, "reason": reason, "entry_id": entry.id})
    return refund


def refunds_of(award: Award) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.award_id == award.id).order_by(Refund.id)))


def reversed_entry_ids(entry_ids: Sequence[int]) -> set[int]:
    """Which of these entries have been reversed."""
    if not entry_ids:
        return set()
    return set(db.session.scalars(select(JournalEntry.reverses_id).where(JournalEntry.reverses_id.in_(list(entry_ids)))))


def entry_funder_id(entry: JournalEntry) -> int | None:
    fund_ids = {ln.fund_source_id for ln in entry.lines}
    funder_ids = set(db.session.scalars(select(FundSource.funder_id).where(FundSource.id.in_(fund_ids))))
    return funder_ids.pop() if len(funder_ids) == 1 else None


def may_reverse(user: Any, funder: Funder | None) -> bool:
    """Who corrects entries by reversal: the funder's finance officers (fund.manage, and
    the finance-officer role — app.core.permissions has no narrower rule for it)."""
    return (funder is not None and can(user, "fund.manage", funder)
            and "finance_officer" in user.funder_roles(funder.id))


def reverse_entry(actor: Any, entry: JournalEntry, reason: Any) -> JournalEntry:
    """冲正: a finance officer corrects a wrong appropriation, allocation or refund with a
    reversing entry (never an edit). Refused when the money has moved on (e.g. an
    allocation already committed to awards)."""
    funder_id = entry_funder_id(entry)
    funder = db.session.get(Funder, funder_id) if funder_id else None
    if not may_reverse(actor, funder):
        raise PermissionDenied(_("只有该资助方的财务人员可以冲正分录。"))
    reason = _text(reason, field="reason", max_len=REASON_MAX - 40, required=_("请填写冲正原因。"))
    if entry.kind not in REVERSIBLE:
        raise Conflict(_("“%(kind)s”分录不能在此冲正：立项承诺随立项资金调整，拨付在付款记录中冲正，捐赠在捐赠记录中处理。",
                         kind=entry.kind.label))
    reversal = ledger.reverse(actor, entry, reason)
    audit.record(actor, "journal.reverse", entry, after={"reversal_id": reversal.id, "reason": reason})
    return reversal


# --------------------------------------------------------------------------- journal

def journal_query(fund_ids: Sequence[int], *, kind: EntryKind | None = None, fund_id: int | None = None,
                  date_from: date | None = None, date_to: date | None = None) -> Select:
    """Entries touching these funds (narrowed to one fund, a kind, Beijing dates), newest first."""
    from datetime import time, timedelta, timezone

    wanted = [fund_id] if fund_id is not None else list(fund_ids)
    stmt = select(JournalEntry).where(exists().where(JournalLine.entry_id == JournalEntry.id,
                                                     JournalLine.fund_source_id.in_(wanted)))
    if kind is not None:
        stmt = stmt.where(JournalEntry.kind == kind)
    # A bound at the edge of the calendar (0001-01-01, 9999-12-31) cannot be shifted to UTC:
    # it excludes nothing, so it is dropped.
    if date_from is not None:
        try:
            start = datetime.combine(date_from, time.min, tzinfo=CHINA).astimezone(timezone.utc)
        except OverflowError:
            start = None
        if start is not None:
            stmt = stmt.where(JournalEntry.posted_at >= start)
    if date_to is not None:
        try:
            end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=CHINA).astimezone(timezone.utc)
        except OverflowError:
            end = None
        if end is not None:
            stmt = stmt.where(JournalEntry.posted_at < end)
    return stmt.order_by(JournalEntry.id.desc())


def names_for_lines(entries: Sequence[JournalEntry]) -> tuple[dict[int, FundSource], dict[int, Call], dict[int, Award]]:
    """The funds, calls and awards named by these entries' lines (three queries at most)."""
    fund_ids, call_ids, award_ids = set(), set(), set()
    for entry in entries:
        for ln in entry.lines:
            fund_ids.add(ln.fund_source_id)
            if ln.call_id:
                call_ids.add(ln.call_id)
            if ln.award_id:
                award_ids.add(ln.award_id)
    funds = {f.id: f for f in db.session.scalars(select(FundSource).where(FundSource.id.in_(fund_ids)))} \
        if fund_ids else {}
    calls = {c.id: c for c in db.session.scalars(select(Call).where(Call.id.in_(call_ids)))} if call_ids else {}
    awards = {a.id: a for a in db.session.scalars(select(Award).where(Award.id.in_(award_ids)))} if award_ids else {}
    return funds, calls, awards


def requested_installment_counts(funder_ids: Sequence[int]) -> dict[int, int]:
    """Installments awaiting a finance officer (REQUESTED), per funder — one query."""
    from app.money.models import Installment, InstallmentStatus

    rows = db.session.execute(
        select(Call.funder_id, func.count(Installment.id))
        .select_from(Installment).join(Award, Award.id == Installment.award_id).join(Call, Call.id == Award.call_id)
        .where(Installment.status == InstallmentStatus.REQUESTED, Call.funder_id.in_(list(funder_ids)))
        .group_by(Call.funder_id))
    return {funder_id: int(n) for funder_id, n in rows}


def award_search(stmt: Select, q: str | None) -> Select:
    """Narrow an Award query by number, project title or organization name."""
    from app.applications.models import Application
    from app.orgs.models import Organization

    q = clean_search(q)
    if not q:
        return stmt
    return stmt.where(or_(Award.number.contains(q, autoescape=True),
                          Award.application_id.in_(select(Application.id).where(
                              Application.title.contains(q, autoescape=True))),
                          Award.organization_id.in_(select(Organization.id).where(
                              Organization.name.contains(q, autoescape=True)))))

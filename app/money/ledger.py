"""The ledger service (总账): the only code that moves money. See app/money/models.py for
the accounts and the posting table.

Every function here posts one balanced JournalEntry (lines sum to zero, no zero line) in
the caller's transaction and checks its invariant first:

- allocate: the fund's available balance covers the amount;
- commit: the call's allocation from that fund covers the amount;
- pay: the award's commitment from each fund covers the payment share;
- refund: what was paid from the fund for the award (less earlier refunds) covers it;
- release: the award's commitment from the fund covers it.

**Concurrency.** Read-decide-write on balances is made safe by locking the fund-source
rows involved (``SELECT … FOR UPDATE`` in id order) on PostgreSQL before reading; two
transactions moving money of one fund are thereby serialized, and the second sees the
first's lines. SQLite admits one writer at a time: the engine issues ``BEGIN`` itself (see
app/__init__.py) and the first write of a racing transaction fails with "database is
locked" rather than overspending. Callers commit; a refused posting raises before
anything is written.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import audit
from app.core.errors import Conflict, ValidationError
from app.core.money import format_fen
from app.extensions import db
from app.money.models import AccountKind, EntryKind, FundSource, JournalEntry, JournalLine

A = AccountKind


@dataclass(frozen=True)
class Line:
    account: AccountKind
    fund_source_id: int
    amount_fen: int
    call_id: int | None = None
    award_id: int | None = None


class InsufficientFunds(Conflict):
    """A posting would overspend an account; nothing was written."""


# --------------------------------------------------------------------------- primitives

def _check_amount(amount: Any, what: str = "") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"amounts are int fen, got {amount!r} {what}")
    return amount


def post(kind: EntryKind, lines: Sequence[Line], *, actor: Any = None, memo: str = "",
         source: tuple[str, int] | None = None, reverses: JournalEntry | None = None) -> JournalEntry:
    """Write one balanced entry. ValueError for an unbalanced or empty entry (a bug)."""
    lines = [ln for ln in lines]
    if not lines:
        raise ValueError("an entry needs lines")
    for ln in lines:
        _check_amount(ln.amount_fen)
        if ln.amount_fen == 0:
            raise ValueError("a journal line cannot be zero")
    if sum(ln.amount_fen for ln in lines) != 0:
        raise ValueError(f"unbalanced entry: {lines}")
    entry = JournalEntry(kind=kind, memo=(memo or "")[:500], posted_by_id=getattr(actor, "id", None),
                         reverses_id=reverses.id if reverses is not None else None,
                         source_type=source[0] if source else "", source_id=source[1] if source else None)
    entry.lines = [JournalLine(account=ln.account, fund_source_id=ln.fund_source_id, call_id=ln.call_id,
                               award_id=ln.award_id, amount_fen=ln.amount_fen) for ln in lines]
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, f"ledger.{kind.value}", object_type="journal_entry", object_id=str(entry.id),
                 after={"memo": entry.memo, "lines": [
                     [ln.account.value, ln.fund_source_id, ln.call_id, ln.award_id, ln.amount_fen]
                     for ln in lines]})
    return entry


def lock_funds(fund_source_ids: Iterable[int]) -> None:
    """Serialize money movements of these funds until the transaction ends (PostgreSQL row
    locks in id order, so two transactions never wait on each other in a cycle)."""
    ids = sorted({int(i) for i in fund_source_ids})
    if ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(FundSource.id).where(FundSource.id.in_(ids))
                           .order_by(FundSource.id).with_for_update())


def balance(account: AccountKind, *, fund_source_id: int | None = None, call_id: int | None = None,
            award_id: int | None = None) -> int:
    """Sum of the lines of the account (debit positive), narrowed by the ids given."""
    stmt = select(func.coalesce(func.sum(JournalLine.amount_fen), 0)).where(JournalLine.account == account)
    if fund_source_id is not None:
        stmt = stmt.where(JournalLine.fund_source_id == fund_source_id)
    if call_id is not None:
        stmt = stmt.where(JournalLine.call_id == call_id)
    if award_id is not None:
        stmt = stmt.where(JournalLine.award_id == award_id)
    return int(db.session.scalar(stmt) or 0)


def balances(by: Sequence[str] = ("fund_source_id",), **where: Any) -> dict[tuple, dict[AccountKind, int]]:
    """Balances of every account kind grouped by the named line columns (any of
    fund_source_id, call_id, award_id), filtered by ``where`` (column → id or list of ids).
    One query. Keys are tuples of the ``by`` values."""
    columns = [getattr(JournalLine, name) for name in by]
    stmt = select(*columns, JournalLine.account, func.sum(JournalLine.amount_fen)).group_by(
        *columns, JournalLine.account)
    for name, value in where.items():
        column = getattr(JournalLine, name)
        if isinstance(value, (list, tuple, set, frozenset)):
            stmt = stmt.where(column.in_(list(value)))
        else:
            stmt = stmt.where(column == value)
    out: dict[tuple, dict[AccountKind, int]] = defaultdict(lambda: {k: 0 for k in AccountKind})
    for row in db.session.execute(stmt):
        *keys, account, total = row
        out[tuple(keys)][account] = int(total or 0)
    return dict(out)


def _require(available: int, amount: int, message: str) -> None:
    if amount > available:
        raise InsufficientFunds(message)


def _positive(amount: Any) -> int:
    amount = _check_amount(amount)
    if amount <= 0:
        raise ValidationError(_("金额必须大于零。"), field="amount")
    return amount


# --------------------------------------------------------------------------- postings

def appropriate(actor: Any, fund: FundSource, amount_fen: int | None = None, memo: str = "") -> JournalEntry:
    """资金拨入: the fund's appropriation (default its ``amount_fen``) becomes available."""
    amount = _positive(fund.amount_fen if amount_fen is None else amount_fen)
    return post(EntryKind.APPROPRIATION, [Line(A.AVAILABLE, fund.id, amount), Line(A.APPROPRIATION, fund.id, -amount)],
                actor=actor, memo=memo or _("%(name)s 资金拨入", name=fund.name), source=("fund_source", fund.id))


def allocate(actor: Any, fund: FundSource, call: Any, amount_fen: int, memo: str = "") -> JournalEntry:
    """分配至征集: available(fund) → allocated(fund, call)."""
    amount = _positive(amount_fen)
    lock_funds([fund.id])
    available = balance(A.AVAILABLE, fund_source_id=fund.id)
    _require(available, amount, _("“%(fund)s”可用余额 %(available)s，不足以分配 %(amount)s。",
                                   fund=fund.name, available=format_fen(available), amount=format_fen(amount)))
    return post(EntryKind.ALLOCATION, [Line(A.ALLOCATED, fund.id, amount, call_id=call.id),
                                       Line(A.AVAILABLE, fund.id, -amount)],
                actor=actor, memo=memo or _("分配至“%(call)s”", call=call.title), source=("call", call.id))


def commit(actor: Any, award: Any, splits: Sequence[tuple[FundSource, int]], memo: str = "") -> JournalEntry:
    """立项承诺: allocated(fund, call) → committed(fund, call, award) for each split; all
    splits in one entry, each within what the call holds from that fund."""
    splits = [(fund, _positive(amount)) for fund, amount in splits]
    if not splits:
        raise ValidationError(_("请至少选择一个资金来源。"), field="splits")
    lock_funds([fund.id for fund, _amount in splits])
    lines: list[Line] = []
    for fund, amount in splits:
        held = balance(A.ALLOCATED, fund_source_id=fund.id, call_id=award.call_id)
        _require(held, amount, _("“%(fund)s”分配给本征集的余额为 %(held)s，不足以承诺 %(amount)s。",
                                 fund=fund.name, held=format_fen(held), amount=format_fen(amount)))
        lines += [Line(A.COMMITTED, fund.id, amount, call_id=award.call_id, award_id=award.id),
                  Line(A.ALLOCATED, fund.id, -amount, call_id=award.call_id)]
    return post(EntryKind.COMMITMENT, lines, actor=actor,
                memo=memo or _("立项 %(number)s 资金承诺", number=award.number), source=("award", award.id))


def pay(actor: Any, award: Any, shares: Sequence[tuple[int, int]], *, source: tuple[str, int],
        memo: str = "") -> JournalEntry:
    """拨付: committed(fund, call, award) → paid(fund, call, award) for each (fund id, fen)
    share; each share within the award's remaining commitment from that fund."""
    shares = [(fund_id, _positive(amount)) for fund_id, amount in shares]
    lock_funds([fund_id for fund_id, _amount in shares])
    lines: list[Line] = []
    for fund_id, amount in shares:
        committed = balance(A.COMMITTED, fund_source_id=fund_id, award_id=award.id)
        _require(committed, amount, _("立项 %(number)s 的待支付承诺为 %(committed)s，不足以支付 %(amount)s。",
                                      number=award.number, committed=format_fen(committed),
                                      amount=format_fen(amount)))
        lines += [Line(A.PAID, fund_id, amount, call_id=award.call_id, award_id=award.id),
                  Line(A.COMMITTED, fund_id, -amount, call_id=award.call_id, award_id=award.id)]
    return post(EntryKind.PAYMENT, lines, actor=actor, memo=memo, source=source)


def release(actor: Any, award: Any, fund_id: int, amount_fen: int, memo: str = "") -> JournalEntry:
    """释放: an unpaid commitment goes back to the call's allocation (e.g. installments
    withheld for good)."""
    amount = _positive(amount_fen)
    lock_funds([fund_id])
    committed = balance(A.COMMITTED, fund_source_id=fund_id, award_id=award.id)
    _require(committed, amount, _("待支付承诺 %(committed)s 不足以释放 %(amount)s。",
                                  committed=format_fen(committed), amount=format_fen(amount)))
    return post(EntryKind.RELEASE, [Line(A.ALLOCATED, fund_id, amount, call_id=award.call_id),
                                    Line(A.COMMITTED, fund_id, -amount, call_id=award.call_id, award_id=award.id)],
                actor=actor, memo=memo, source=("award", award.id))


def refund(actor: Any, award: Any, fund_id: int, amount_fen: int, *, source: tuple[str, int] | None = None,
           memo: str = "") -> JournalEntry:
    """资金退回: money returned by the organization goes back to the fund's available
    balance; at most what was paid from that fund for the award, less earlier refunds."""
    amount = _positive(amount_fen)
    lock_funds([fund_id])
    paid = balance(A.PAID, fund_source_id=fund_id, award_id=award.id)
    refunded = -balance(A.REFUNDED, fund_source_id=fund_id, award_id=award.id)
    _require(paid - refunded, amount, _("该资金来源已支付 %(paid)s、已退回 %(refunded)s，退回金额不能超过 %(left)s。",
                                        paid=format_fen(paid), refunded=format_fen(refunded),
                                        left=format_fen(paid - refunded)))
    return post(EntryKind.REFUND, [Line(A.AVAILABLE, fund_id, amount),
                                   Line(A.REFUNDED, fund_id, -amount, call_id=award.call_id, award_id=award.id)],
                actor=actor, memo=memo, source=source or ("award", award.id))


def donate(fund: FundSource, amount_fen: int, *, source: tuple[str, int], memo: str = "") -> JournalEntry:
    """捐赠入账: a donation credits the fund's available balance."""
    amount = _positive(amount_fen)
    return post(EntryKind.DONATION, [Line(A.AVAILABLE, fund.id, amount), Line(A.DONATIONS, fund.id, -amount)],
                memo=memo, source=source)


def reverse(actor: Any, entry: JournalEntry, reason: str) -> JournalEntry:
    """冲正: a new entry with the original's lines negated. An entry is reversed once (a
    second reversal is refused); a reversal itself cannot be reversed — post anew instead.
    A reversal that would drive an account it takes money from below zero is refused (e.g.
    reversing an allocation whose money was already committed)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写冲正原因。"), field="reason")
    if entry.kind == EntryKind.REVERSAL:
        raise Conflict(_("冲正分录不能再冲正。"))
    already = db.session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id))
    if already is not None:
        raise Conflict(_("该分录已冲正。"))
    lock_funds([ln.fund_source_id for ln in entry.lines])
    lines = [Line(ln.account, ln.fund_source_id, -ln.amount_fen, call_id=ln.call_id, award_id=ln.award_id)
             for ln in entry.lines]
    for ln in lines:
        if ln.amount_fen < 0 and ln.account in (A.AVAILABLE, A.ALLOCATED, A.COMMITTED, A.PAID):
            held = balance(ln.account, fund_source_id=ln.fund_source_id, call_id=ln.call_id, award_id=ln.award_id)
            _require(held, -ln.amount_fen, _("冲正后“%(account)s”将为负数，请先冲正后续的分录。",
                                             account=ln.account.label))
    return post(EntryKind.REVERSAL, lines, actor=actor, reverses=entry,
                memo=_("冲正分录 #%(id)s：%(reason)s", id=entry.id, reason=reason)[:500],
                source=(entry.source_type, entry.source_id) if entry.source_type else None)


def unbalanced_entries() -> list[int]:
    """Ids of entries whose lines do not sum to zero (should always be empty)."""
    return list(db.session.scalars(
        select(JournalLine.entry_id).group_by(JournalLine.entry_id).having(func.sum(JournalLine.amount_fen) != 0)))

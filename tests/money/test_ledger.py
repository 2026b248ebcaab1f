"""The ledger service: balanced entries only, each posting within its invariant, balances
as sums, reversals instead of edits — hand-checked figures."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.calls.models import CallStatus
from app.core.errors import Conflict, ValidationError
from app.extensions import db
from app.money import ledger
from app.money.ledger import A, InsufficientFunds, Line
from app.money.models import EntryKind, JournalEntry, JournalLine
from tests.factories import make_application, make_award, make_call, make_fund_source, make_funder, make_org


@pytest.fixture
def setup(db):
    funder = make_funder()
    fund = make_fund_source(funder, amount_fen=100_000_00)          # ¥100,000.00
    call = make_call(funder, status=CallStatus.AWARDED)
    award = make_award(make_application(call, make_org(), requested_fen=30_000_00), amount_fen=30_000_00)
    return funder, fund, call, award


def _lines() -> int:
    return db.session.scalar(select(func.count(JournalLine.id)))


def test_post_refuses_unbalanced_empty_and_zero_lines(setup):
    _, fund, _, _ = setup
    with pytest.raises(ValueError, match="unbalanced"):
        ledger.post(EntryKind.DONATION, [Line(A.AVAILABLE, fund.id, 100), Line(A.DONATIONS, fund.id, -99)])
    with pytest.raises(ValueError):
        ledger.post(EntryKind.DONATION, [])
    with pytest.raises(ValueError):
        ledger.post(EntryKind.DONATION, [Line(A.AVAILABLE, fund.id, 0)])
    with pytest.raises(ValueError):
        ledger.post(EntryKind.DONATION, [Line(A.AVAILABLE, fund.id, 1.5), Line(A.DONATIONS, fund.id, -1.5)])


def test_money_flows_from_appropriation_to_payment_and_back(setup):
    _, fund, call, award = setup
    assert ledger.balance(A.AVAILABLE, fund_source_id=fund.id) == 100_000_00
    assert ledger.balance(A.APPROPRIATION, fund_source_id=fund.id) == -100_000_00

    ledger.allocate(None, fund, call, 40_000_00)
    ledger.commit(None, award, [(fund, 30_000_00)])
    ledger.pay(None, award, [(fund.id, 15_000_00)], source=("installment", 1))
    ledger.refund(None, award, fund.id, 2_000_00)
    ledger.release(None, award, fund.id, 5_000_00)

    figures = ledger.balances(by=("fund_source_id",), fund_source_id=fund.id)[(fund.id,)]
    assert figures[A.AVAILABLE] == 100_000_00 - 40_000_00 + 2_000_00            # 62,000
    assert figures[A.ALLOCATED] == 40_000_00 - 30_000_00 + 5_000_00             # 15,000
    assert figures[A.COMMITTED] == 30_000_00 - 15_000_00 - 5_000_00             # 10,000
    assert figures[A.PAID] == 15_000_00
    assert figures[A.REFUNDED] == -2_000_00
    # Where the money is = what came in (appropriation + refunds returned).
    held = figures[A.AVAILABLE] + figures[A.ALLOCATED] + figures[A.COMMITTED] + figures[A.PAID]
    assert held == -figures[A.APPROPRIATION] - figures[A.REFUNDED]
    assert ledger.balance(A.PAID, award_id=award.id) == 15_000_00
    assert ledger.unbalanced_entries() == []


def test_each_posting_refuses_to_overspend_and_writes_nothing(setup):
    _, fund, call, award = setup
    before = _lines()
    with pytest.raises(InsufficientFunds, match="可用余额"):
        ledger.allocate(None, fund, call, 100_000_01)
    with pytest.raises(InsufficientFunds, match="不足以承诺"):
        ledger.commit(None, award, [(fund, 1)])                   # nothing allocated yet
    assert _lines() == before
    ledger.allocate(None, fund, call, 30_000_00)
    ledger.commit(None, award, [(fund, 30_000_00)])
    with pytest.raises(InsufficientFunds, match="不足以支付"):
        ledger.pay(None, award, [(fund.id, 30_000_01)], source=("installment", 1))
    with pytest.raises(InsufficientFunds, match="退回金额不能超过"):
        ledger.refund(None, award, fund.id, 1)                    # nothing paid yet
    with pytest.raises(ValidationError):
        ledger.allocate(None, fund, call, 0)
    with pytest.raises(ValidationError):
        ledger.allocate(None, fund, call, -5)
    assert ledger.balance(A.COMMITTED, award_id=award.id) == 30_000_00


def test_reversal_negates_once_and_not_past_later_entries(setup):
    _, fund, call, award = setup
    allocation = ledger.allocate(None, fund, call, 30_000_00)
    ledger.commit(None, award, [(fund, 20_000_00)])
    # Only 10,000 of the allocation is still allocated: reversing all 30,000 would go negative.
    with pytest.raises(InsufficientFunds, match="将为负数"):
        ledger.reverse(None, allocation, "分配金额录错")
    payment = ledger.pay(None, award, [(fund.id, 5_000_00)], source=("installment", 7))
    with pytest.raises(ValidationError):
        ledger.reverse(None, payment, "  ")
    reversal = ledger.reverse(None, payment, "银行退票")
    assert reversal.kind == EntryKind.REVERSAL and reversal.reverses_id == payment.id
    assert sorted(ln.amount_fen for ln in reversal.lines) == sorted(-ln.amount_fen for ln in payment.lines)
    assert ledger.balance(A.PAID, award_id=award.id) == 0
    assert ledger.balance(A.COMMITTED, award_id=award.id) == 20_000_00
    with pytest.raises(Conflict, match="已冲正"):
        ledger.reverse(None, payment, "再次冲正")
    with pytest.raises(Conflict, match="不能再冲正"):
        ledger.reverse(None, reversal, "冲正冲正")
    assert db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.reverses_id == payment.id)) == 1
    assert ledger.unbalanced_entries() == []


def test_donations_credit_the_fund_and_are_counted_apart(setup):
    _, fund, _, _ = setup
    ledger.donate(fund, 200_00, source=("donation", 1))
    figures = ledger.balances(by=("fund_source_id",), fund_source_id=[fund.id])[(fund.id,)]
    assert figures[A.DONATIONS] == -200_00 and figures[A.AVAILABLE] == 100_000_00 + 200_00

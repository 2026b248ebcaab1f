"""Fund sources, allocation, award funding splits, refunds and reversals (app.money.funds)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.funders.models import StaffRole
from app.money import funds as service
from app.money import ledger
from app.money.models import AccountKind, EntryKind, FundSource, FundSourceKind, JournalEntry, Refund
from tests.factories import (make_application, make_award, make_call, make_fund_source, make_funder,
                             make_installments, make_org, make_payment, make_staff)

A = AccountKind


def _journal_count(db) -> int:
    return db.session.scalar(select(func.count(JournalEntry.id)))


@pytest.fixture
def setup(db):
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    finance = make_staff(funder, StaffRole.FINANCE_OFFICER)
    auditor = make_staff(funder, StaffRole.AUDITOR)
    call = make_call(funder, status=CallStatus.AWARDED, budget_fen=30_000_000)
    org = make_org(community=None)
    return {"funder": funder, "officer": officer, "finance": finance, "auditor": auditor, "call": call, "org": org}


def _award(setup, amount_fen: int):
    application = make_application(setup["call"], setup["org"], status=ApplicationStatus.AWARDED,
                                   requested_fen=amount_fen, complete=False)
    return make_award(application, amount_fen=amount_fen)


# --------------------------------------------------------------------------- fund sources

def test_create_fund_posts_the_appropriation(db, setup):
    fund = service.create_fund(setup["finance"], setup["funder"], {
        "kind": "welfare_lottery", "name": "2026年福彩公益金", "fiscal_year": "2026", "amount": "1,000,000.50",
        "description": "区级福彩", "accepts_donations": False})
    assert fund.amount_fen == 100_000_050
    assert ledger.balance(A.AVAILABLE, fund_source_id=fund.id) == 100_000_050
    assert ledger.balance(A.APPROPRIATION, fund_source_id=fund.id) == -100_000_050
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "fund.create",
                                                      AuditEntry.object_id == str(fund.id))) is not None


def test_create_fund_with_zero_amount_posts_nothing(db, setup):
    before = _journal_count(db)
    fund = service.create_fund(setup["officer"], setup["funder"], {
        "kind": FundSourceKind.DONATION, "name": "社区基金", "fiscal_year": 2026, "amount": "",
        "accepts_donations": "y", "donation_target": "50000"})
    assert fund.accepts_donations and fund.donation_target_fen == 5_000_000
    assert _journal_count(db) == before


@pytest.mark.parametrize("data,field", [
    ({"kind": "nope"}, "kind"),
    ({"name": ""}, "name"),
    ({"fiscal_year": "1999"}, "fiscal_year"),
    ({"fiscal_year": "二〇二六"}, "fiscal_year"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "1.234"}, "amount"),
    ({"name": "x" * 101}, "name"),
    ({"accepts_donations": "y", "donation_target": "abc"}, "donation_target"),
])
def test_create_fund_refuses_bad_input(db, setup, data, field):
    base = {"kind": "welfare_lottery", "name": "福彩", "fiscal_year": "2026", "amount": "100"}
    before = db.session.scalar(select(func.count(FundSource.id)))
    with pytest.raises(ValidationError) as err:
        service.create_fund(setup["finance"], setup["funder"], {**base, **data})
    assert err.value.field == field
    assert db.session.scalar(select(func.count(FundSource.id))) == before


def test_create_fund_refuses_duplicate_name_in_year_and_outsiders(db, setup):
    service.create_fund(setup["finance"], setup["funder"], {"kind": "incubation", "name": "孵化资金", "fiscal_year": 2026})
    with pytest.raises(ValidationError) as err:
        service.create_fund(setup["finance"], setup["funder"], {"kind": "incubation", "name": "孵化资金",
                                                                "fiscal_year": 2026})
    assert err.value.field == "name"
    # Same name, another year: fine.
    service.create_fund(setup["finance"], setup["funder"], {"kind": "incubation", "name": "孵化资金", "fiscal_year": 2027})
    with pytest.raises(PermissionDenied):
        service.create_fund(setup["auditor"], setup["funder"], {"kind": "incubation", "name": "X", "fiscal_year": 2026})
    other = make_staff(make_funder(), StaffRole.FINANCE_OFFICER)
    with pytest.raises(PermissionDenied):
        service.create_fund(other, setup["funder"], {"kind": "incubation", "name": "Y", "fiscal_year": 2026})


def test_supplementary_appropriation_and_update_never_touch_amount(db, setup):
    fund = make_fund_source(setup["funder"], amount_fen=1_000_000)
    service.add_appropriation(setup["finance"], fund, "2000.00", "追加预算")
    assert ledger.balance(A.AVAILABLE, fund_source_id=fund.id) == 1_200_000
    service.update_fund(setup["officer"], fund, {"name": "新名称", "description": "说明", "amount": "999999",
                                                 "accepts_donations": "y", "donation_target": "100"})
    assert fund.name == "新名称" and fund.amount_fen == 1_000_000 and fund.donation_target_fen == 10_000
    with pytest.raises(ValidationError):
        service.add_appropriation(setup["finance"], fund, "0")


# --------------------------------------------------------------------------- allocation

def test_allocate_moves_available_to_the_call(db, setup):
    fund = make_fund_source(setup["funder"], amount_fen=10_000_000)
    service.allocate(setup["officer"], fund, setup["call"], "30000", "首批")
    assert ledger.balance(A.AVAILABLE, fund_source_id=fund.id) == 7_000_000
    assert ledger.balance(A.ALLOCATED, fund_source_id=fund.id, call_id=setup["call"].id) == 3_000_000


def test_allocation_beyond_available_is_refused_and_writes_nothing(db, setup):
    fund = make_fund_source(setup["funder"], amount_fen=1_000_000)
    before = _journal_count(db)
    with pytest.raises(ledger.InsufficientFunds) as err:
        service.allocate(setup["finance"], fund, setup["call"], "10000.01")
    assert "可用余额 ¥10,000.00" in err.value.message and "¥10,000.01" in err.value.message
    assert err.value.field == "amount"
    assert _journal_count(db) == before


@pytest.mark.parametrize("status", [CallStatus.DRAFT, CallStatus.CANCELLED, CallStatus.CLOSED])
def test_allocation_to_a_call_not_running_is_out_of_order(db, setup, status):
    fund = make_fund_source(setup["funder"], amount_fen=1_000_000)
    call = make_call(setup["funder"], status=status)
    with pytest.raises(Conflict):
        service.allocate(setup["finance"], fund, call, "100")


def test_allocation_to_another_funders_call_is_refused(db, setup):
    fund = make_fund_source(setup["funder"], amount_fen=1_000_000)
    call = make_call(make_funder(), status=CallStatus.OPEN)
    with pytest.raises(ValidationError):
        service.allocate(setup["finance"], fund, call, "100")
    with pytest.raises(PermissionDenied):
        service.allocate(setup["auditor"], fund, setup["call"], "100")


def test_deallocate_reverses_a_whole_allocation_only(db, setup):
    fund = make_fund_source(setup["funder"], amount_fen=10_000_000)
    call = setup["call"]
    service.allocate(setup["finance"], fund, call, "20000")
    with pytest.raises(ValidationError) as err:
        service.deallocate(setup["finance"], fund, call, "10000", "分多了")
    assert "¥20,000.00" in err.value.message
    with pytest.raises(ValidationError):
        service.deallocate(setup["finance"], fund, call, "20000", "  ")
    reversal = service.deallocate(setup["finance"], fund, call, "20000", "分错了征集")
    assert reversal.kind == EntryKind.REVERSAL
    assert ledger.balance(A.AVAILABLE, fund_source_id=fund.id) == 10_000_000
    assert ledger.balance(A.ALLOCATED, fund_source_id=fund.id, call_id=call.id) == 0
    assert service.allocation_entries(fund) == []


def test_deallocate_refused_when_money_was_committed(db, setup):
    fund = make_fund_source(setup["funder"], amount_fen=10_000_000)
    service.allocate(setup["finance"], fund, setup["call"], "20000")
    award = _award(setup, 1_500_000)
    service.fund_award(setup["officer"], award, [(fund, 1_500_000)])
    before = _journal_count(db)
    with pytest.raises(ledger.InsufficientFunds) as err:
        service.deallocate(setup["finance"], fund, setup["call"], "20000", "撤回")
    assert "¥5,000.00" in err.value.message
    assert _journal_count(db) == before


# --------------------------------------------------------------------------- splits

@given(total=st.integers(min_value=0, max_value=10**12),
       capacities=st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=8))
def test_proportional_split_parts_sum_to_the_whole(total, capacities):
    if sum(capacities) == 0:
        capacities = capacities[:-1] + [1]
    parts = service.proportional_split(total, capacities)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    assert len(parts) == len(capacities)
    if total <= sum(capacities):
        assert all(p <= c for p, c in zip(parts, capacities))


def test_proportional_split_floors_and_gives_the_remainder_to_the_last():
    assert service.proportional_split(100, [1, 1, 1]) == [33, 33, 34]
    assert service.proportional_split(1001, [3_000, 1_000]) == [750, 251]
    # The last cannot hold the remainder: it spills to the one before.
    assert service.proportional_split(2, [1, 1, 1]) == [0, 1, 1]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(amounts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=4),
       fraction=st.integers(min_value=1, max_value=100))
def test_default_split_is_proportional_and_fits(db, setup, amounts, fraction):
    with db.session.begin_nested() as nested:
        funds = []
        for amount in amounts:
            fund = make_fund_source(setup["funder"], amount_fen=amount)
            ledger.allocate(None, fund, setup["call"], amount)
            funds.append(fund)
        total_alloc = ledger.balances(by=(), call_id=setup["call"].id)[()][A.ALLOCATED]
        award = _award(setup, max(1, total_alloc * fraction // 100))
        split = service.default_split(award)
        assert sum(fen for _f, fen in split) == award.amount_fen
        held = {k[0]: b[A.ALLOCATED] for k, b in ledger.balances(by=("fund_source_id",), call_id=setup["call"].id).items()}
        assert all(0 < fen <= held[f.id] for f, fen in split)
        nested.rollback()


def test_fund_award_with_default_and_chosen_split(db, setup):
    f1 = make_fund_source(setup["funder"], amount_fen=30_000_000)
    f2 = make_fund_source(setup["funder"], amount_fen=10_000_000)
    service.allocate(setup["finance"], f1, setup["call"], "300000")
    service.allocate(setup["finance"], f2, setup["call"], "100000")
    award = _award(setup, 4_000_001)
    assert [(f.id, fen) for f, fen in service.default_split(award)] == [(f1.id, 3_000_000), (f2.id, 1_000_001)]
    # The officer's own split: yuan text or fen, by fund or fund id; a blank share is ignored.
    rows = service.fund_award(setup["officer"], award, [(f1.id, "10000.01"), (f2, 3_000_000), (f2.id, "")])
    assert [(r.fund_source_id, r.amount_fen) for r in rows] == [(f1.id, 1_000_001), (f2.id, 3_000_000)]
    assert all(r.entry_id == rows[0].entry_id for r in rows)
    assert ledger.balance(A.COMMITTED, award_id=award.id) == 4_000_001
    assert [r.id for r in service.funding_of(award)] == [r.id for r in rows]


@pytest.mark.parametrize("splits,message", [
    ([("F1", "100")], "应等于资助金额"),
    ([("F1", "-1")], "负数"),
    ([("F1", "")], "至少"),
    ([("OTHER", "50000")], "不属于"),
])
def test_fund_award_refusals_write_nothing(db, setup, splits, message):
    f1 = make_fund_source(setup["funder"], amount_fen=10_000_000)
    other = make_fund_source(make_funder(), amount_fen=10_000_000)
    service.allocate(setup["finance"], f1, setup["call"], "100000")
    award = _award(setup, 5_000_000)
    named = {"F1": f1, "OTHER": other}
    before = _journal_count(db)
    with pytest.raises(ValidationError) as err:
        service.fund_award(setup["officer"], award, [(named[k], v) for k, v in splits])
    assert message in err.value.message
    assert _journal_count(db) == before and service.funding_of(award) == []


def test_fund_award_beyond_the_calls_allocation_and_twice(db, setup):
    fund = make_fund_source(setup["funder"], amount_fen=10_000_000)
    service.allocate(setup["finance"], fund, setup["call"], "10000")
    award = _award(setup, 2_000_000)
    with pytest.raises(ledger.InsufficientFunds):
        service.fund_award(setup["officer"], award, [(fund, 2_000_000)])
    assert service.funding_of(award) == []
    small = _award(setup, 500_000)
    service.fund_award(setup["officer"], small, [(fund, 500_000)])
    with pytest.raises(Conflict):
        service.fund_award(setup["officer"], small, [(fund, 500_000)])
    with pytest.raises(PermissionDenied):
        service.fund_award(setup["finance"], award, [(fund, 2_000_000)])


def test_awards_decided_funds_covered_awards_and_leaves_the_rest(db, setup):
    from app.core.events import emit

    fund = make_fund_source(setup["funder"], amount_fen=10_000_000)
    service.allocate(setup["finance"], fund, setup["call"], "50000")
    first, second, third = _award(setup, 3_000_000), _award(setup, 3_000_000), _award(setup, 2_000_000)
    emit("awards.decided", call=setup["call"], awards=[first, second, third], rejected=[], actor=setup["officer"])
    assert [r.amount_fen for r in service.funding_of(first)] == [3_000_000]
    assert service.funding_of(second) == []          # only 2,000,000 left: not covered
    assert [r.amount_fen for r in service.funding_of(third)] == [2_000_000]
    assert ledger.balance(A.ALLOCATED, fund_source_id=fund.id, call_id=setup["call"].id) == 0


def test_close_notice_funds_the_award_automatically(db, setup):
    """Through the real award decision (app.awards.services.close_notice)."""
    from decimal import Decimal

    from app.awards.models import Notice
    from app.awards.services import close_notice
    from app.core.db import utcnow
    from app.reviews.models import ReviewOutcome

    call = make_call(setup["funder"], status=CallStatus.NOTICE)
    fund = make_fund_source(setup["funder"], amount_fen=10_000_000)
    service.allocate(setup["finance"], fund, call, "80000")
    application = make_application(call, setup["org"], status=ApplicationStatus.RECOMMENDED, requested_fen=6_000_000)
    now = utcnow()
    db.session.add_all([
        ReviewOutcome(call_id=call.id, application_id=application.id, final_score=Decimal("80"), rank=1,
                      reviewer_count=5, sd=Decimal("1"), requested_fen=6_000_000, recommended=True,
                      reason_code="recommended", amount_fen=6_000_000),
        Notice(call_id=call.id, intro="", contact="x", published_at=now - timedelta(days=10),
               ends_at=now - timedelta(days=1), working_days=5)])
    db.session.flush()
    awards = close_notice(setup["officer"], call, now)
    assert [r.amount_fen for r in service.funding_of(awards[0])] == [6_000_000]


def test_auto_funding_never_fails_the_decision(db, setup, monkeypatch):
    from app.core.events import emit

    fund = make_fund_source(setup["funder"], amount_fen=10_000_000)
    service.allocate(setup["finance"], fund, setup["call"], "50000")
    award = _award(setup, 1_000_000)

    def refuse(*args, **kwargs):
        raise ledger.InsufficientFunds("raced")

    monkeypatch.setattr(ledger, "commit", refuse)
    emit("awards.decided", call=setup["call"], awards=[award], rejected=[], actor=setup["officer"])
    assert service.funding_of(award) == []


# --------------------------------------------------------------------------- refunds and reversals

@pytest.fixture
def paid_award(db, setup):
    fund = make_fund_source(setup["funder"], amount_fen=10_000_000)
    service.allocate(setup["finance"], fund, setup["call"], "50000")
    award = _award(setup, 1_000_000)
    service.fund_award(setup["officer"], award, [(fund, 1_000_000)])
    first, _second, _third = make_installments(award)
    make_payment(first, approved_by=setup["finance"])     # 500,000 paid
    return award, fund


def test_record_refund_within_what_was_paid(db, setup, paid_award):
    award, fund = paid_award
    refund = service.record_refund(setup["finance"], award, fund, "1000", date.today(), "BANK-1", "结余退回")
    assert refund.amount_fen == 100_000 and refund.entry_id
    assert ledger.balance(A.REFUNDED, award_id=award.id) == -100_000
    assert ledger.balance(A.AVAILABLE, fund_source_id=fund.id) == 5_100_000
    before = _journal_count(db)
    with pytest.raises(ledger.InsufficientFunds) as err:
        service.record_refund(setup["finance"], award, fund.id, "4000.01", date.today(), "BANK-2", "超额")
    assert "¥4,000.00" in err.value.message
    assert _journal_count(db) == before
    assert db.session.scalar(select(func.count(Refund.id)).where(Refund.award_id == award.id)) == 1


@pytest.mark.parametrize("kwargs,field", [
    ({"received_on": date.today() + timedelta(days=2)}, "received_on"),
    ({"received_on": "31/12/2025"}, "received_on"),
    ({"reference": ""}, "reference"),
    ({"reason": " "}, "reason"),
    ({"amount": "0"}, "amount"),
])
def test_record_refund_refuses_bad_input(db, setup, paid_award, kwargs, field):
    award, fund = paid_award
    args = {"amount": "100", "received_on": date.today(), "reference": "R", "reason": "退回", **kwargs}
    with pytest.raises(ValidationError) as err:
        service.record_refund(setup["finance"], award, fund, **args)
    assert err.value.field == field


def test_record_refund_only_by_finance_and_to_the_awards_fund(db, setup, paid_award):
    award, fund = paid_award
    with pytest.raises(PermissionDenied):
        service.record_refund(setup["officer"], award, fund, "100", date.today(), "R", "退回")
    other = make_fund_source(setup["funder"], amount_fen=100)
    with pytest.raises(ValidationError) as err:
        service.record_refund(setup["finance"], award, other, "1", date.today(), "R", "退回")
    assert err.value.field == "fund_id"


def test_reverse_entry_by_finance_officer(db, setup, paid_award):
    award, fund = paid_award
    refund = service.record_refund(setup["finance"], award, fund, "1000", date.today(), "BANK-1", "结余退回")
    entry = db.session.get(JournalEntry, refund.entry_id)
    with pytest.raises(PermissionDenied):
        service.reverse_entry(setup["officer"], entry, "录错")
    with pytest.raises(ValidationError):
        service.reverse_entry(setup["finance"], entry, "")
    reversal = service.reverse_entry(setup["finance"], entry, "录错金额")
    assert reversal.reverses_id == entry.id
    assert ledger.balance(A.REFUNDED, award_id=award.id) == 0
    assert service.reversed_entry_ids([entry.id]) == {entry.id}
    with pytest.raises(Conflict):
        service.reverse_entry(setup["finance"], entry, "再来一次")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "journal.reverse",
                                                      AuditEntry.object_id == str(entry.id))) is not None


def test_reverse_entry_refuses_commitments_and_payments(db, setup, paid_award):
    award, _fund = paid_award
    commitment = db.session.get(JournalEntry, service.funding_of(award)[0].entry_id)
    with pytest.raises(Conflict):
        service.reverse_entry(setup["finance"], commitment, "不该在这里")


def test_requested_installment_counts(db, setup, paid_award):
    from app.money.models import InstallmentStatus

    award, _fund = paid_award
    installments = sorted(award_installments(db, award), key=lambda i: i.position)
    installments[1].status = InstallmentStatus.REQUESTED
    db.session.flush()
    assert service.requested_installment_counts([setup["funder"].id]) == {setup["funder"].id: 1}


def award_installments(db, award):
    from app.money.models import Installment

    return list(db.session.scalars(select(Installment).where(Installment.award_id == award.id)))

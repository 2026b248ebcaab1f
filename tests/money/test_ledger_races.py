"""Racing allocations and commitments on PostgreSQL: threads with their own sessions and
real commits.

Eight officers allocate more than an eighth of one fund at the same instant: exactly as
many as fit succeed, the others get InsufficientFunds, and the fund's available balance
never goes below zero. Eight officers commit eight awards against one call's allocation:
the same. Eight officers fund one award at once (each from a different fund): it is funded
once. Runs only when TEST_DATABASE_URL is PostgreSQL (SQLite admits one writer at a time,
so there is nothing to race); every table is emptied afterwards.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.auth.models import User
from app.awards.models import Award
from app.calls.models import Call, CallStatus
from app.core.audit import verify_chain
from app.extensions import db as _db
from app.funders.models import StaffRole
from app.money import funds as service
from app.money import ledger
from app.money.models import AccountKind, AwardFunding, EntryKind, FundSource, JournalEntry
from tests.factories import make_application, make_award, make_call, make_fund_source, make_funder, make_org, make_staff
from tests.money.races import POSTGRES_ONLY, THREADS, real  # noqa: F401
from tests.money.races import kinds as _kinds, race as _race

pytestmark = POSTGRES_ONLY

A = AccountKind


def _people(real):
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    call = make_call(funder, status=CallStatus.AWARDED, budget_fen=100_000_000)
    return funder, officer, call


def _awards(call, n: int, amount_fen: int) -> list[int]:
    org = make_org()
    ids = []
    for _ in range(n):
        application = make_application(call, org, status=ApplicationStatus.AWARDED, requested_fen=amount_fen,
                                       complete=False)
        ids.append(make_award(application, amount_fen=amount_fen).id)
    return ids


def test_racing_allocations_never_overdraw_a_fund(app, real):
    funder, officer, call = _people(real)
    fund = make_fund_source(funder, amount_fen=10_000_000)
    fund_id, officer_id, call_id = fund.id, officer.id, call.id
    real.commit()
    real.remove()

    def allocate(i):
        fund_ = _db.session.get(FundSource, fund_id)
        return service.allocate(_db.session.get(User, officer_id), fund_, _db.session.get(Call, call_id),
                                3_000_000, f"第{i}笔")

    results = _race(app, allocate)
    assert _kinds(results) == {"JournalEntry": 3, "InsufficientFunds": THREADS - 3}, results
    assert ledger.balance(A.AVAILABLE, fund_source_id=fund_id) == 1_000_000
    assert ledger.balance(A.ALLOCATED, fund_source_id=fund_id, call_id=call_id) == 9_000_000
    assert real.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.kind == EntryKind.ALLOCATION)) == 3
    assert ledger.unbalanced_entries() == []
    assert verify_chain().ok


def test_racing_commitments_never_exceed_the_calls_allocation(app, real):
    funder, officer, call = _people(real)
    fund = make_fund_source(funder, amount_fen=20_000_000)
    ledger.allocate(None, fund, call, 10_000_000)
    award_ids = _awards(call, THREADS, 3_000_000)
    fund_id, officer_id, call_id = fund.id, officer.id, call.id
    real.commit()
    real.remove()

    def fund_award(i):
        award = _db.session.get(Award, award_ids[i])
        return service.fund_award(_db.session.get(User, officer_id), award,
                                  [(_db.session.get(FundSource, fund_id), 3_000_000)])

    results = _race(app, fund_award)
    assert _kinds(results) == {"list": 3, "InsufficientFunds": THREADS - 3}, results
    assert ledger.balance(A.ALLOCATED, fund_source_id=fund_id, call_id=call_id) == 1_000_000
    assert ledger.balance(A.COMMITTED, fund_source_id=fund_id) == 9_000_000
    assert real.scalar(select(func.count(AwardFunding.id))) == 3
    assert ledger.unbalanced_entries() == []


def test_racing_fundings_of_one_award_fund_it_once(app, real):
    funder, officer, call = _people(real)
    funds = [make_fund_source(funder, amount_fen=5_000_000) for _ in range(2)]
    for fund in funds:
        ledger.allocate(None, fund, call, 5_000_000)
    (award_id,) = _awards(call, 1, 2_000_000)
    fund_ids, officer_id = [f.id for f in funds], officer.id
    real.commit()
    real.remove()

    def fund_award(i):
        award = _db.session.get(Award, award_id)
        fund = _db.session.get(FundSource, fund_ids[i % 2])   # two different funds: two different row locks
        return service.fund_award(_db.session.get(User, officer_id), award, [(fund, 2_000_000)])

    results = _race(app, fund_award)
    assert _kinds(results) == {"list": 1, "Conflict": THREADS - 1}, results
    assert ledger.balance(A.COMMITTED, award_id=award_id) == 2_000_000
    assert real.scalar(select(func.count(AwardFunding.id)).where(AwardFunding.award_id == award_id)) == 1

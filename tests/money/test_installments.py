"""Installments (分期拨付): the fen split, the schedule from the call's template, triggers
and withholding (app.money.installments)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.calls.models import CallStatus, InstallmentTrigger
from app.core.audit import AuditEntry
from app.core.errors import ValidationError
from app.core.events import subscribe, _HANDLERS
from app.funders.models import StaffRole
from app.money import installments as inst
from app.money.models import Installment, InstallmentStatus as S
from tests.factories import (make_application, make_award, make_call, make_fund_source, make_funder, make_funding,
                             make_org, make_payment, make_staff, make_user)

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- split

@st.composite
def percent_lists(draw):
    """Lists of 1..8 whole percents ≥ 1 summing to 100 (cut points of 1..99)."""
    k = draw(st.integers(min_value=1, max_value=8))
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=99), min_size=k - 1, max_size=k - 1)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(min_value=0, max_value=10**15), percents=percent_lists())
def test_split_sums_to_the_amount_never_negative_and_monotone(amount, percents):
    parts = inst.split(amount, percents)
    n, last = len(percents), len(percents) - 1
    assert len(parts) == n
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)
    # Every share but the last is the floor of its percent; the last carries the remainder,
    # less than one fen per installment.
    assert parts[:-1] == [amount * p // 100 for p in percents[:-1]]
    assert 0 <= parts[last] - amount * percents[last] // 100 < n
    # Monotone where the percents are: among the floored shares always; with the last too
    # once each installment is at least ¥1 (the remainder can then never overturn a whole
    # percent); equal percents may differ only by the remainder on the last.
    for i, pi in enumerate(percents):
        for j, pj in enumerate(percents):
            if pi > pj or i == j:
                continue
            if last not in (i, j) or amount >= 100 * n:
                if pi < pj or i != last:
                    assert parts[i] <= parts[j], (amount, percents, parts)


@pytest.mark.parametrize("amount,percents,expected", [
    (100_001, [50, 40, 10], [50_000, 40_000, 10_001]),
    (5_000_000, [50, 40, 10], [2_500_000, 2_000_000, 500_000]),
    (1, [50, 50], [0, 1]),
    (99, [33, 33, 34], [32, 32, 35]),
    (12_345, [100], [12_345]),
])
def test_split_examples(amount, percents, expected):
    assert inst.split(amount, percents) == expected


@pytest.mark.parametrize("amount,percents", [
    (100, []), (100, [50, 40]), (100, [50, 60]), (100, [0, 100]), (100, [50.0, 50]),
    (-1, [100]), (1.5, [100]), (True, [100]), (100, [True, 99]),
])
def test_split_refuses_bad_input(amount, percents):
    with pytest.raises(ValueError):
        inst.split(amount, percents)


# --------------------------------------------------------------------------- schedule

@pytest.fixture
def award(db):
    funder = make_funder()
    call = make_call(funder, status=CallStatus.AWARDED)
    org = make_org(owner=make_user())
    application = make_application(call, org)
    return make_award(application, amount_fen=5_000_001)


def audit_count(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_create_schedule_follows_the_template_with_the_remainder_last(db, award):
    rows = inst.create_schedule(award)
    assert [(r.position, r.percent, r.trigger, r.amount_fen, r.status) for r in rows] == [
        (1, 50, "agreement_signed", 2_500_000, S.WAITING),
        (2, 40, "progress_accepted", 2_000_000, S.WAITING),
        (3, 10, "final_accepted", 500_001, S.WAITING),
    ]
    assert sum(r.amount_fen for r in rows) == award.amount_fen
    assert audit_count(db, "installments.create") == 1


def test_create_schedule_is_idempotent(db, award):
    first = inst.create_schedule(award)
    rows = inst.create_schedule(award)
    assert [r.id for r in rows] == [r.id for r in first]
    assert db.session.scalar(select(func.count()).select_from(Installment)
                             .where(Installment.award_id == award.id)) == 3
    assert audit_count(db, "installments.create") == 1


def test_create_schedule_refuses_a_template_not_totalling_100(db, award):
    award.call.installments[2].percent = 20
    db.session.flush()
    with pytest.raises(ValidationError, match="110%"):
        inst.create_schedule(award)
    for step in list(award.call.installments):
        db.session.delete(step)
    db.session.flush()
    db.session.expire(award.call)
    with pytest.raises(ValidationError, match="没有设置分期拨付方案"):
        inst.create_schedule(award)
    assert inst.installments_of(award) == []


def test_create_schedule_refuses_a_zero_installment(db, award):
    award.amount_fen = 1        # 50% and 40% of one fen are zero
    db.session.flush()
    with pytest.raises(ValidationError, match="为零"):
        inst.create_schedule(award)
    assert inst.installments_of(award) == []


# --------------------------------------------------------------------------- triggers

def test_fire_trigger_makes_the_waiting_installments_due(db, award):
    officer = make_staff(award.call.funder, StaffRole.PROGRAM_OFFICER)
    inst.create_schedule(award)
    seen = []
    handler = subscribe("installments.due")(lambda **kw: seen.append(kw))
    try:
        due = inst.fire_trigger(award, "agreement_signed", officer, NOW)
    finally:
        _HANDLERS["installments.due"].remove(handler)
    assert [i.position for i in due] == [1]
    rows = inst.installments_of(award)
    assert [r.status for r in rows] == [S.DUE, S.WAITING, S.WAITING]
    assert rows[0].due_at == NOW and rows[1].due_at is None
    assert seen and seen[0]["trigger"] == "agreement_signed" and seen[0]["installments"] == due
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "installments.due"))
    assert entry.actor_id == officer.id and entry.object_type == "Award" and entry.object_id == str(award.id)
    # Firing again changes nothing.
    assert inst.fire_trigger(award, InstallmentTrigger.AGREEMENT_SIGNED, officer, NOW) == []
    assert audit_count(db, "installments.due") == 1
    # The next trigger.
    assert [i.position for i in inst.fire_trigger(award, "progress_accepted", officer, NOW)] == [2]


def test_fire_trigger_refuses_an_unknown_trigger(db, award):
    inst.create_schedule(award)
    with pytest.raises(ValueError):
        inst.fire_trigger(award, "payday", None)
    assert all(r.status == S.WAITING for r in inst.installments_of(award))


def test_withhold_remaining_stops_waiting_and_due_only(db, award):
    finance = make_staff(award.call.funder, StaffRole.FINANCE_OFFICER)
    fund = make_fund_source(award.call.funder)
    make_funding(award, fund)
    rows = inst.create_schedule(award)
    rows[0].status = S.DUE
    make_payment(rows[0], approved_by=finance)     # PAID
    rows[1].status = S.DUE
    db.session.flush()
    held = inst.withhold_remaining(award, None, "中期评估不合格")
    assert [i.position for i in held] == [2, 3]
    rows = inst.installments_of(award)
    assert [r.status for r in rows] == [S.PAID, S.WITHHELD, S.WITHHELD]
    assert rows[1].withheld_reason == "中期评估不合格"
    # A withheld installment is not made due by its trigger any more.
    assert inst.fire_trigger(award, "final_accepted", None) == []
    assert audit_count(db, "installments.withhold") == 1
    assert inst.withhold_remaining(award, None, "再次") == []


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 501, "原因\x00"])
def test_withhold_needs_a_clean_reason(db, award, reason):
    inst.create_schedule(award)
    with pytest.raises(ValidationError):
        inst.withhold_remaining(award, None, reason)
    assert all(r.status == S.WAITING for r in inst.installments_of(award))


def test_withhold_leaves_a_requested_installment(db, award):
    rows = inst.create_schedule(award)
    rows[0].status = S.REQUESTED
    db.session.flush()
    inst.withhold_remaining(award, None, "中期评估不合格")
    assert [r.status for r in inst.installments_of(award)] == [S.REQUESTED, S.WITHHELD, S.WITHHELD]


# --------------------------------------------------------------------------- for pages

def test_schedule_and_progress(db, award):
    finance = make_staff(award.call.funder, StaffRole.FINANCE_OFFICER)
    make_funding(award, make_fund_source(award.call.funder))
    rows = inst.create_schedule(award)
    rows[0].status = S.DUE
    payment = make_payment(rows[0], approved_by=finance)
    rows[1].status = S.DUE
    db.session.flush()
    schedule = inst.schedule_of(award)
    assert len(schedule) == 3 and schedule.total_fen == award.amount_fen
    assert schedule.rows[0].payment == payment and schedule.rows[1].payment is None
    assert schedule.paid_fen == rows[0].amount_fen and schedule.paid_count == 1
    assert [r.can_request for r in schedule] == [False, True, False]
    assert schedule.rows[1].condition == "中期报告通过后拨付"
    progress = inst.progress_by_award([award.id, award.id + 999])
    assert list(progress) == [award.id]
    p = progress[award.id]
    assert (p.count, p.paid, p.due, p.withheld, p.amount_fen, p.paid_fen) == (3, 1, 1, 0, 5_000_001, 2_500_000)
    assert p.percent_paid == 49
    assert inst.progress_by_award([]) == {}

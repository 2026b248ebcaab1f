"""Racing disbursements on PostgreSQL: threads with their own connections, real commits.

Eight finance officers' browsers approve one installment at the same instant: exactly one
Payment, one payment entry, the award paid exactly the installment's amount; the seven
others are refused with 409. The same for requesting one installment and reversing one
payment. Runs only when TEST_DATABASE_URL is PostgreSQL (SQLite admits one writer at a
time, so there is nothing to race); every table is emptied afterwards.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.core.audit import AuditEntry, verify_chain
from app.core.errors import Conflict
from app.extensions import db as _db
from app.money import disbursement as service
from app.money import ledger
from app.money.ledger import A
from app.money.models import EntryKind, Installment, InstallmentStatus, JournalEntry, Payment
from tests.money.test_disbursement import D, R, W, scenario
from tests.money.races import POSTGRES_ONLY, THREADS, real  # noqa: F401
from tests.money.races import kinds as _kinds, race as _race

pytestmark = POSTGRES_ONLY


def _setup(real, statuses):
    s = scenario(statuses=statuses)
    real.commit()
    return s.award.id, s.installments[0].id, s.officer.id, s.finance.id, s.finance2.id


def test_eight_approvals_of_one_installment_pay_it_once(app, real):
    award_id, inst_id, _officer, finance_id, _finance2 = _setup(real, (R, W, W))
    real.remove()

    def approve(i):
        installment = _db.session.get(Installment, inst_id)
        payment = service.approve_payment(_db.session.get(User, finance_id), installment, service.beijing_today(),
                                          "bank_transfer", f"ICBC-RACE-{i}")
        return payment

    results = _race(app, approve)
    assert _kinds(results) == {"Payment": 1, "Conflict": THREADS - 1}, results
    assert all(r.status_code == 409 for r in results if isinstance(r, Conflict))

    session = real()
    installment = session.get(Installment, inst_id)
    assert installment.status == InstallmentStatus.PAID
    assert session.scalar(select(func.count(Payment.id)).where(Payment.installment_id == inst_id)) == 1
    assert session.scalar(select(func.count(JournalEntry.id)).where(
        JournalEntry.kind == EntryKind.PAYMENT, JournalEntry.source_type == "installment",
        JournalEntry.source_id == inst_id)) == 1
    assert ledger.balance(A.PAID, award_id=award_id) == installment.amount_fen
    assert ledger.unbalanced_entries() == []
    assert verify_chain().ok


def test_eight_requests_of_one_installment_make_one_request(app, real):
    _award, inst_id, officer_id, _finance, _finance2 = _setup(real, (D, W, W))
    real.remove()

    def request(i):
        return service.request_payment(_db.session.get(User, officer_id), _db.session.get(Installment, inst_id))

    results = _race(app, request)
    assert _kinds(results) == {"Installment": 1, "Conflict": THREADS - 1}, results
    session = real()
    assert session.get(Installment, inst_id).status == InstallmentStatus.REQUESTED
    assert session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "installment.request", AuditEntry.object_id == str(inst_id))) == 1
    assert verify_chain().ok


def test_eight_reversals_of_one_payment_reverse_it_once(app, real):
    award_id, inst_id, _officer, finance_id, finance2_id = _setup(real, (R, W, W))
    payment = service.approve_payment(real.get(User, finance_id), real.get(Installment, inst_id),
                                      service.beijing_today(), "bank_transfer", "ICBC-1")
    real.commit()
    payment_id = payment.id
    real.remove()

    def reverse(i):
        return service.reverse_payment(_db.session.get(User, finance2_id), _db.session.get(Payment, payment_id),
                                       f"冲正 {i}")

    results = _race(app, reverse)
    assert _kinds(results) == {"Payment": 1, "Conflict": THREADS - 1}, results
    session = real()
    assert session.scalar(select(func.count(JournalEntry.id)).where(
        JournalEntry.kind == EntryKind.REVERSAL, JournalEntry.reverses_id == session.get(Payment, payment_id).entry_id)) == 1
    assert session.get(Installment, inst_id).status == InstallmentStatus.REQUESTED
    assert ledger.balance(A.PAID, award_id=award_id) == 0
    assert ledger.unbalanced_entries() == []
    assert verify_chain().ok

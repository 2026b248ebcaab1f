"""Disbursement services: the maker's request, the checker's approval (maker-checker), the
split of a payment across fund sources, reversal, the queues and the voucher PDF."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.core import events
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.extensions import db
from app.funders.models import StaffMembership, StaffRole
from app.money import disbursement as service
from app.money import ledger
from app.money.ledger import A
from app.money.models import (AgreementStatus, EntryKind, InstallmentStatus, JournalEntry, JournalLine, Payment,
                              PaymentMethod)
from app.money.voucher_pdf import render_voucher
from tests.factories import (make_admin, make_agreement, make_application, make_award, make_call, make_fund_source,
                             make_funder, make_funding, make_installments, make_org, make_staff)

D, R, W = InstallmentStatus.DUE, InstallmentStatus.REQUESTED, InstallmentStatus.WAITING


def scenario(*, amount_fen: int = 30_000_00, splits=(30_000_00,), statuses=(D, W, W),
             agreement=AgreementStatus.SIGNED, funded: bool = True) -> SimpleNamespace:
    """An awarded project of a funder with a program officer, two finance officers, its
    fund sources (one per split, allocated and committed), an agreement and its
    installments (50/40/10) in ``statuses``; REQUESTED ones requested by the officer."""
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER, name="王项目")
    finance = make_staff(funder, StaffRole.FINANCE_OFFICER, name="张财务")
    finance2 = make_staff(funder, StaffRole.FINANCE_OFFICER, name="李财务")
    call = make_call(funder, status=CallStatus.AWARDED, title="2026年测试区社区公益创投")
    org = make_org(name=f"翠湖社区服务中心{funder.id}")
    application = make_application(call, org, status=ApplicationStatus.AWARDED, title="银龄饭桌助餐项目",
                                   requested_fen=amount_fen)
    award = make_award(application, amount_fen=amount_fen, number=f"LX2026-{funder.id:04d}")
    funds = []
    if funded:
        for i, split in enumerate(splits, 1):
            fund = make_fund_source(funder, amount_fen=split * 2, name=f"2026年福彩公益金{i}")
            make_funding(award, fund, amount_fen=split)
            funds.append(fund)
    agreement_row = make_agreement(award, status=agreement) if agreement else None
    installments = make_installments(award, statuses=list(statuses))
    for inst in installments:
        if inst.status == R:
            inst.requested_by_id, inst.requested_at = officer.id, utcnow()
    db.session.flush()
    return SimpleNamespace(funder=funder, officer=officer, finance=finance, finance2=finance2, call=call, org=org,
                           application=application, award=award, funds=funds, agreement=agreement_row,
                           installments=installments)


def counts() -> tuple[int, int, int, int]:
    return (db.session.scalar(select(func.count(Payment.id))), db.session.scalar(select(func.count(JournalEntry.id))),
            db.session.scalar(select(func.count(JournalLine.id))), db.session.scalar(select(func.count(AuditEntry.id))))


def today() -> date:
    return service.beijing_today()


@pytest.fixture
def heard(monkeypatch):
    """Events emitted during the test: [(name, payload)]."""
    seen = []
    for name in ("installment.requested", "payment.approved", "payment.reversed"):
        monkeypatch.setitem(events._HANDLERS, name, [lambda _n=name, **kw: seen.append((_n, kw))])
    return seen


# --- request -------------------------------------------------------------------------------

def test_request_moves_a_due_installment_to_requested_and_tells_finance(db, heard):
    s = scenario()
    first = s.installments[0]
    before = counts()
    service.request_payment(s.officer, first)
    assert first.status == R and first.requested_by_id == s.officer.id and first.requested_at is not None
    assert counts()[3] == before[3] + 1
    row = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert row.action == "installment.request" and row.object_id == str(first.id)
    assert heard == [("installment.requested", {"installment": first, "actor": s.officer})]
    assert [u.id for u in service.finance_officers(s.funder.id)] == [s.finance.id, s.finance2.id]


@pytest.mark.parametrize("case,message", [
    ("waiting", "只有“可申请拨付”"),
    ("requested", "只有“可申请拨付”"),
    ("unsigned", "资助协议尚未生效"),
    ("no_agreement", "资助协议尚未生效"),
    ("unfunded", "尚未落实资金来源"),
])
def test_request_out_of_order_is_409_and_writes_nothing(db, heard, case, message):
    kwargs = {
        "waiting": {"statuses": (W, W, W)},
        "requested": {"statuses": (R, W, W)},
        "unsigned": {"agreement": AgreementStatus.UPLOADED},
        "no_agreement": {"agreement": None},
        "unfunded": {"funded": False},
    }[case]
    s = scenario(**kwargs)
    first = s.installments[0]
    status, before = first.status, counts()
    with pytest.raises(Conflict, match=message) as caught:
        service.request_payment(s.officer, first)
    assert caught.value.status_code == 409
    assert first.status == status and counts() == before and heard == []


def test_only_a_program_officer_of_the_funder_requests(db):
    s = scenario()
    other = make_staff(make_funder(), StaffRole.PROGRAM_OFFICER)
    for user in (s.finance, other):
        with pytest.raises(PermissionDenied):
            service.request_payment(user, s.installments[0])
    assert s.installments[0].status == D


# --- approve -------------------------------------------------------------------------------

def test_approve_posts_the_payment_and_writes_the_voucher(db, heard):
    s = scenario(statuses=(R, W, W))
    first = s.installments[0]
    fund = s.funds[0]
    payment = service.approve_payment(s.finance, first, today(), PaymentMethod.BANK_TRANSFER, "  ICBC-20260518-0001 ")
    assert first.status == InstallmentStatus.PAID and first.payment is payment
    assert payment.amount_fen == first.amount_fen == 15_000_00
    assert payment.reference == "ICBC-20260518-0001" and payment.approved_by_id == s.finance.id
    assert re.fullmatch(rf"FK{today().year}\d{{6}}", payment.voucher_number)
    assert payment.voucher_number.endswith(f"{payment.id:06d}")
    entry = db.session.get(JournalEntry, payment.entry_id)
    assert entry.kind == EntryKind.PAYMENT and (entry.source_type, entry.source_id) == ("installment", first.id)
    lines = sorted((ln.account, ln.fund_source_id, ln.award_id, ln.amount_fen) for ln in entry.lines)
    assert lines == sorted([(A.PAID, fund.id, s.award.id, 15_000_00), (A.COMMITTED, fund.id, s.award.id, -15_000_00)])
    assert sum(ln.amount_fen for ln in entry.lines) == 0
    assert ledger.balance(A.PAID, award_id=s.award.id) == 15_000_00
    assert ledger.balance(A.COMMITTED, award_id=s.award.id) == 15_000_00
    assert ledger.unbalanced_entries() == []
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "payment.approve"
    assert heard == [("payment.approved", {"payment": payment, "actor": s.finance})]


def test_a_payment_is_shared_across_fund_sources_in_proportion(db):
    s = scenario(splits=(10_000_00, 20_000_00), statuses=(R, W, W))
    shares = service.payment_shares(s.installments[0])
    assert [(sh.fund.id, sh.amount_fen) for sh in shares] == [(s.funds[0].id, 5_000_00), (s.funds[1].id, 10_000_00)]
    payment = service.approve_payment(s.finance, s.installments[0], today(), "bank_transfer", "REF-1")
    paid = ledger.balances(by=("fund_source_id",), award_id=s.award.id)
    assert paid[(s.funds[0].id,)][A.PAID] == 5_000_00 and paid[(s.funds[1].id,)][A.PAID] == 10_000_00
    assert payment.amount_fen == 15_000_00


def test_odd_fen_shares_never_exceed_a_funds_commitment_and_pay_it_exactly(db):
    """¥100.01 split ¥33.34 / ¥66.67, paid 50/40/10 (¥50.00, ¥40.00, ¥10.01): the proportional
    share of the last installment would take 2 fen more from the second fund than it still
    owes; they come from the first, and each fund ends paid exactly its split."""
    s = scenario(amount_fen=10001, splits=(3334, 6667), statuses=(R, R, R))
    first, second, third = s.installments
    assert [i.amount_fen for i in s.installments] == [5000, 4000, 1001]
    service.approve_payment(s.finance, first, today(), "bank_transfer", "REF-1")
    service.approve_payment(s.finance, second, today(), "bank_transfer", "REF-2")
    shares = service.payment_shares(third)
    assert [(sh.amount_fen, sh.remaining_fen) for sh in shares] == [(335, 335), (666, 666)]
    service.approve_payment(s.finance, third, today(), "bank_transfer", "REF-3")
    figures = ledger.balances(by=("fund_source_id",), award_id=s.award.id)
    assert figures[(s.funds[0].id,)][A.PAID] == 3334 and figures[(s.funds[1].id,)][A.PAID] == 6667
    assert figures[(s.funds[0].id,)][A.COMMITTED] == figures[(s.funds[1].id,)][A.COMMITTED] == 0
    assert ledger.unbalanced_entries() == []


def _both_roles(s):
    """The officer also holds the finance role at the funder (a small office)."""
    db.session.add(StaffMembership(user_id=s.officer.id, funder_id=s.funder.id, role=StaffRole.FINANCE_OFFICER))
    db.session.flush()
    db.session.refresh(s.officer)


@pytest.mark.parametrize("case,error,text", [
    ("maker", PermissionDenied, "审核人不能与申请人为同一人"),
    ("future", ValidationError, "不能晚于今天"),
    ("before_signed", ValidationError, "不能早于资助协议生效日期"),
    ("not_a_date", ValidationError, "请填写付款日期"),
    ("no_reference", ValidationError, "请填写付款流水号"),
    ("long_reference", ValidationError, "不能超过 100"),
    ("control_reference", ValidationError, "控制字符"),
    ("bad_method", ValidationError, "付款方式"),
    ("not_requested", Conflict, "只有已申请拨付的分期"),
    ("already_paid", Conflict, "已拨付"),
    ("program_officer", PermissionDenied, "没有权限"),
    ("other_funder", PermissionDenied, "没有权限"),
])
def test_approve_refusals_write_nothing(db, heard, case, error, text):
    s = scenario(statuses=(D,) + (W, W) if case == "not_requested" else (R, W, W))
    first = s.installments[0]
    actor, paid_on, method, reference = s.finance, today(), "bank_transfer", "REF-0001"
    if case == "maker":
        _both_roles(s)
        actor = s.officer
    elif case == "future":
        paid_on = today() + timedelta(days=1)
    elif case == "before_signed":
        paid_on = today() - timedelta(days=1)
    elif case == "not_a_date":
        paid_on = "2026-05-01"
    elif case == "no_reference":
        reference = "   "
    elif case == "long_reference":
        reference = "X" * 101
    elif case == "control_reference":
        reference = "REF\x00001"
    elif case == "bad_method":
        method = "cash"
    elif case == "already_paid":
        service.approve_payment(s.finance2, first, today(), "bank_transfer", "REF-FIRST")
        heard.clear()
    elif case == "program_officer":
        actor = s.officer
    elif case == "other_funder":
        actor = make_staff(make_funder(), StaffRole.FINANCE_OFFICER)
    status, before = first.status, counts()
    with pytest.raises(error, match=text):
        service.approve_payment(actor, first, paid_on, method, reference)
    assert first.status == status and counts() == before and heard == []


def test_the_maker_is_told_on_the_page_before_trying(db):
    s = scenario(statuses=(R, W, W))
    _both_roles(s)
    assert any(service.SAME_PERSON in p for p in service.approve_problems(s.officer, s.installments[0]))
    assert service.approve_problems(s.finance, s.installments[0]) == []


def test_paid_never_exceeds_the_award(db):
    """A commitment larger than the award (a bad split) cannot be paid beyond the award."""
    s = scenario(amount_fen=10_000_00, splits=(), statuses=(R, R, W))
    fund = make_fund_source(s.funder, amount_fen=50_000_00)
    make_funding(s.award, fund, amount_fen=20_000_00)
    first, second, _third = s.installments
    service.approve_payment(s.finance, first, today(), "bank_transfer", "REF-1")
    second.amount_fen = 6_000_00            # a corrupted schedule: 5,000 + 6,000 > 10,000
    db.session.flush()
    before = counts()
    with pytest.raises(Conflict, match="超过立项金额"):
        service.approve_payment(s.finance, second, today(), "bank_transfer", "REF-2")
    assert counts() == before and second.status == R


def test_approval_needs_the_commitment(db):
    s = scenario(statuses=(R, W, W))
    ledger.release(None, s.award, s.funds[0].id, 20_000_00)     # only ¥10,000 still committed
    with pytest.raises(Conflict, match="不足以支付"):
        service.approve_payment(s.finance, s.installments[0], today(), "bank_transfer", "REF-1")
    assert s.installments[0].status == R


# --- reversal ------------------------------------------------------------------------------

def test_reversal_keeps_the_payment_and_reopens_the_installment_for_a_new_one(db, heard):
    s = scenario(statuses=(R, W, W))
    first = s.installments[0]
    wrong = service.approve_payment(s.finance, first, today(), "bank_transfer", "TYPO-123")
    service.reverse_payment(s.finance2, wrong, "  流水号录入错误 ")
    assert wrong.reversed_entry_id is not None and wrong.reversal_reason == "流水号录入错误"
    assert first.status == R and first.payment is None and first.requested_by_id == s.officer.id
    reversal = db.session.get(JournalEntry, wrong.reversed_entry_id)
    original = db.session.get(JournalEntry, wrong.entry_id)
    assert reversal.kind == EntryKind.REVERSAL and reversal.reverses_id == original.id
    assert sorted((ln.account, -ln.amount_fen) for ln in reversal.lines) == \
        sorted((ln.account, ln.amount_fen) for ln in original.lines)
    assert ledger.balance(A.PAID, award_id=s.award.id) == 0
    assert ledger.balance(A.COMMITTED, award_id=s.award.id) == 30_000_00
    assert heard[-1][0] == "payment.reversed" and heard[-1][1]["reason"] == "流水号录入错误"

    right = service.approve_payment(s.finance, first, today(), "bank_transfer", "ICBC-123")
    db.session.expire(first, ["payments"])
    assert right.id != wrong.id and right.voucher_number != wrong.voucher_number
    assert [p.id for p in first.payments] == [wrong.id, right.id] and first.payment is right
    assert ledger.balance(A.PAID, award_id=s.award.id) == 15_000_00
    assert ledger.unbalanced_entries() == []


def test_reversal_refusals(db):
    s = scenario(statuses=(R, W, W))
    payment = service.approve_payment(s.finance, s.installments[0], today(), "bank_transfer", "REF-1")
    before = counts()
    with pytest.raises(ValidationError, match="请填写冲正原因"):
        service.reverse_payment(s.finance, payment, "  ")
    with pytest.raises(ValidationError, match="控制字符"):
        service.reverse_payment(s.finance, payment, "错\x07误")
    with pytest.raises(PermissionDenied):
        service.reverse_payment(s.officer, payment, "错误")
    assert counts() == before and payment.reversed_entry_id is None
    service.reverse_payment(s.finance, payment, "错误")
    before = counts()
    with pytest.raises(Conflict, match="已冲正"):
        service.reverse_payment(s.finance, payment, "再冲一次")
    assert counts() == before


def test_a_payment_partly_refunded_cannot_be_reversed(db):
    s = scenario(statuses=(R, W, W))
    payment = service.approve_payment(s.finance, s.installments[0], today(), "bank_transfer", "REF-1")
    ledger.pay(None, s.award, [(s.funds[0].id, 1_000_00)], source=("test", 1))   # something else paid too
    ledger.refund(None, s.award, s.funds[0].id, 10_000_00)
    with pytest.raises(Conflict, match="资金退回"):
        service.reverse_payment(s.finance, payment, "银行退票")
    assert payment.reversed_entry_id is None and s.installments[0].status == InstallmentStatus.PAID


# --- queues --------------------------------------------------------------------------------

def test_queues_show_the_users_funders_oldest_request_first(db):
    s = scenario(statuses=(R, R, D))
    first, second, third = s.installments
    first.requested_at = utcnow() - timedelta(days=2)
    second.requested_at = utcnow() - timedelta(days=5)
    other = scenario(statuses=(R, W, W))
    db.session.flush()

    assert list(db.session.scalars(service.pending_payments(s.finance))) == [second, first]
    assert list(db.session.scalars(service.pending_payments(s.officer))) == [second, first]
    assert list(db.session.scalars(service.due_installments(s.finance))) == [third]
    assert list(db.session.scalars(service.pending_payments(other.finance))) == [other.installments[0]]
    admin_sees = set(db.session.scalars(service.pending_payments(make_admin())))
    assert {first, second, other.installments[0]} <= admin_sees
    assert list(db.session.scalars(service.pending_payments(s.finance, q="no such project"))) == []
    assert list(db.session.scalars(service.pending_payments(s.finance, q=s.award.number.lower()))) == [second, first]
    assert list(db.session.scalars(service.pending_payments(s.finance, funder_id=other.funder.id))) == []

    assert service.queue_counts(s.finance) == {"requested": 2, "due": 1, "paid": 0}
    assert service.queue_totals(s.finance) == {"requested": 27_000_00, "due": 3_000_00}

    payment = service.approve_payment(s.finance, second, today(), "bank_transfer", "REF-2")
    service.reverse_payment(s.finance, payment, "错误")
    again = service.approve_payment(s.finance, second, today(), "bank_transfer", "REF-2b")
    assert list(db.session.scalars(service.recent_payments(s.finance))) == [again, payment]
    assert service.queue_counts(s.finance) == {"requested": 1, "due": 1, "paid": 2}


# --- voucher -------------------------------------------------------------------------------

def _text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is needed to read the voucher")
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s+", "", out)


def test_voucher_pdf_names_payer_payee_amount_shares_and_both_people(db):
    s = scenario(splits=(10_000_00, 20_000_00), statuses=(R, W, W))
    payment = service.approve_payment(s.finance, s.installments[0], today(), PaymentMethod.STRIPE_TRANSFER,
                                      "tr_1PaYmEnT")
    data = render_voucher(service.voucher_data(payment))
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1   # one page, seal line included
    text = _text(data)
    for expected in ("付款凭证", payment.voucher_number, s.funder.name, s.org.name, s.award.number,
                     "银龄饭桌助餐项目", "第1/3期", "50%", "协议签订", "¥15,000.00", "人民币壹万伍仟元整",
                     "2026年福彩公益金1", "¥5,000.00", "2026年福彩公益金2", "¥10,000.00", "Stripe转账",
                     "tr_1PaYmEnT", "王项目", "张财务", "平台不存储", "签字", s.agreement.number):
        assert expected in text, expected
    assert "已冲正" not in text

    service.reverse_payment(s.finance2, payment, "转账失败")
    reversed_text = _text(render_voucher(service.voucher_data(payment)))
    assert "本凭证已冲正" in reversed_text and "转账失败" in reversed_text

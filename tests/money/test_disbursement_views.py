"""Disbursement pages through the Flask client: the queue, the request button, the
approval form behind a fresh login, the voucher download and the reversal."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sqlalchemy import func, select

from app.funders.models import StaffMembership, StaffRole
from app.money import disbursement as service
from app.money.models import InstallmentStatus, JournalEntry, Payment
from tests.conftest import login
from tests.factories import add_member, make_admin, make_funder, make_org, make_staff, make_user
from tests.money.test_disbursement import D, R, W, scenario


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _payments(db) -> int:
    return db.session.scalar(select(func.count(Payment.id)))


def _entries(db) -> int:
    return db.session.scalar(select(func.count(JournalEntry.id)))


def _approve_data(**kw) -> dict:
    data = {"paid_on": service.beijing_today().isoformat(), "method": "bank_transfer", "reference": "ICBC-0001"}
    data.update(kw)
    return data


# --- the queue -----------------------------------------------------------------------------

def test_queue_lists_requested_installments_with_approve_links_for_finance(client, db):
    s = scenario(statuses=(R, W, W))
    login(client, s.finance)
    html = _html(client.get("/finance/payments"))
    assert "银龄饭桌助餐项目" in html and s.award.number in html and "¥15,000.00" in html
    assert "王项目" in html  # the maker
    assert f"/finance/installments/{s.installments[0].id}/approve" in html
    html = _html(client.get("/finance/payments?view=paid"))
    assert "还没有付款记录" in html
    html = _html(client.get("/finance/payments?q=没有这个项目"))
    assert "没有符合条件的记录" in html and "银龄饭桌助餐项目" not in html


def test_queue_offers_the_request_button_to_program_officers_only(client, db):
    s = scenario(statuses=(D, W, W))
    login(client, s.officer)
    html = _html(client.get("/finance/payments?view=due"))
    assert f"/finance/installments/{s.installments[0].id}/request" in html and "申请拨付" in html
    auditor = make_staff(s.funder, StaffRole.AUDITOR)
    login(client, auditor)
    html = _html(client.get("/finance/payments?view=due"))
    assert "银龄饭桌助餐项目" in html and f"/installments/{s.installments[0].id}/request" not in html
    assert "等待项目主管申请" in html


def test_queue_is_for_staff_and_shows_only_their_funders(client, db):
    s = scenario(statuses=(R, W, W))
    other = make_staff(make_funder(), StaffRole.FINANCE_OFFICER)
    login(client, other)
    html = _html(client.get("/finance/payments"))
    assert "没有待审核的拨付" in html and "银龄饭桌助餐项目" not in html
    owner = make_user()
    add_member(s.org, owner)
    login(client, owner)
    assert client.get("/finance/payments").status_code == 403
    # Odd query arguments are ignored, never a 500.
    login(client, s.finance)
    assert client.get("/finance/payments?view=x&funder=abc&page=-3&q=%00").status_code == 200


# --- the request ---------------------------------------------------------------------------

def test_officer_requests_a_due_installment(client, db):
    s = scenario(statuses=(D, W, W))
    first = s.installments[0]
    login(client, s.officer)
    resp = client.post(f"/finance/installments/{first.id}/request", data={"next": "/finance/payments?view=due"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/finance/payments?view=due")
    db.session.refresh(first)
    assert first.status == InstallmentStatus.REQUESTED and first.requested_by_id == s.officer.id
    assert "等待财务人员审核付款" in _html(client.get("/finance/payments?view=due"))


def test_request_ignores_an_offsite_next(client, db):
    s = scenario(statuses=(D, W, W))
    login(client, s.officer)
    resp = client.post(f"/finance/installments/{s.installments[0].id}/request", data={"next": "//evil.example/x"})
    assert resp.status_code == 302 and "evil.example" not in resp.headers["Location"]
    # Without a next: back to the award's agreement page, where the schedule and its button are.
    assert resp.headers["Location"].endswith(f"/awards/{s.award.id}/agreement")


def test_request_out_of_order_answers_409_and_changes_nothing(client, db):
    s = scenario(statuses=(W, W, W))
    login(client, s.officer)
    resp = client.post(f"/finance/installments/{s.installments[0].id}/request")
    assert resp.status_code == 409 and "只有“可申请拨付”的分期才能申请拨付" in _html(resp)
    db.session.refresh(s.installments[0])
    assert s.installments[0].status == InstallmentStatus.WAITING
    login(client, s.finance)
    assert client.post(f"/finance/installments/{s.installments[0].id}/request").status_code == 403
    assert client.post("/finance/installments/999999/request").status_code == 404


# --- the approval --------------------------------------------------------------------------

def test_approve_page_shows_the_shares_and_the_maker(client, db):
    s = scenario(splits=(10_000_00, 20_000_00), statuses=(R, W, W))
    login(client, s.finance)
    resp = client.get(f"/finance/installments/{s.installments[0].id}/approve")
    html = _html(resp)
    assert resp.status_code == 200
    assert "2026年福彩公益金1" in html and "¥5,000.00" in html and "¥10,000.00" in html
    assert "王项目" in html and "确认付款" in html and "平台不存储银行账户信息" in html
    assert f'value="{service.beijing_today().isoformat()}"' in html  # paid on: today by default


def test_a_stale_login_is_sent_to_reauthenticate_and_nothing_is_paid(client, db):
    s = scenario(statuses=(R, W, W))
    first = s.installments[0]
    login(client, s.finance, fresh=False)
    resp = client.get(f"/finance/installments/{first.id}/approve")
    assert resp.status_code == 302 and "/auth/reauthenticate" in resp.headers["Location"]
    assert f"installments/{first.id}/approve" in resp.headers["Location"]
    resp = client.post(f"/finance/installments/{first.id}/approve", data=_approve_data())
    assert resp.status_code == 302 and "/auth/reauthenticate" in resp.headers["Location"]
    assert _payments(db) == 0
    db.session.refresh(first)
    assert first.status == InstallmentStatus.REQUESTED


def test_finance_approves_and_gets_the_voucher(client, db):
    s = scenario(statuses=(R, W, W))
    first = s.installments[0]
    login(client, s.finance)
    resp = client.post(f"/finance/installments/{first.id}/approve", data=_approve_data(reference=" ICBC-9 "))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/finance/installments/{first.id}/approve")
    payment = db.session.scalar(select(Payment))
    assert payment.reference == "ICBC-9" and payment.approved_by_id == s.finance.id
    html = _html(client.get(resp.headers["Location"]))
    assert "已付款" in html and payment.voucher_number in html
    assert f"/finance/payments/{payment.id}/voucher.pdf" in html and "冲正付款" in html
    html = _html(client.get("/finance/payments?view=paid"))
    assert payment.voucher_number in html and "ICBC-9" in html


def test_approve_form_errors_come_back_beside_the_fields(client, db):
    s = scenario(statuses=(R, W, W))
    first = s.installments[0]
    login(client, s.finance)
    cases = [
        (_approve_data(reference=""), "请填写付款流水号"),
        (_approve_data(reference="X" * 101), "不能超过 100 个字符"),
        (_approve_data(paid_on="2026-02-30"), "不是有效的日期"),
        (_approve_data(paid_on=(service.beijing_today() + timedelta(days=3)).isoformat()), "不能晚于今天"),
        (_approve_data(method="cash"), "请选择付款方式"),
        (_approve_data(reference="A\x00B"), "控制字符"),
    ]
    for data, message in cases:
        resp = client.post(f"/finance/installments/{first.id}/approve", data=data)
        assert resp.status_code == 200 and message in _html(resp), message
    assert _payments(db) == 0 and _entries(db) == 3  # appropriation, allocation, commitment


def test_the_maker_cannot_approve_their_own_request(client, db):
    s = scenario(statuses=(R, W, W))
    db.session.add(StaffMembership(user_id=s.officer.id, funder_id=s.funder.id, role=StaffRole.FINANCE_OFFICER))
    db.session.flush()
    login(client, s.officer)
    first = s.installments[0]
    html = _html(client.get(f"/finance/installments/{first.id}/approve"))
    assert "审核人不能与申请人为同一人" in html and "disabled" in html
    resp = client.post(f"/finance/installments/{first.id}/approve", data=_approve_data())
    assert resp.status_code == 403 and "审核人不能与申请人为同一人" in _html(resp)
    assert _payments(db) == 0


def test_approving_twice_is_409(client, db):
    s = scenario(statuses=(R, W, W))
    first = s.installments[0]
    login(client, s.finance)
    assert client.post(f"/finance/installments/{first.id}/approve", data=_approve_data()).status_code == 302
    entries = _entries(db)
    resp = client.post(f"/finance/installments/{first.id}/approve", data=_approve_data(reference="AGAIN"))
    assert resp.status_code == 409 and "已拨付" in _html(resp)
    assert _payments(db) == 1 and _entries(db) == entries


def test_approve_is_for_the_funders_finance_officers(client, db):
    s = scenario(statuses=(R, W, W))
    url = f"/finance/installments/{s.installments[0].id}/approve"
    for user in (s.officer, make_staff(make_funder(), StaffRole.FINANCE_OFFICER), make_user()):
        login(client, user)
        assert client.get(url).status_code == 403
        assert client.post(url, data=_approve_data()).status_code == 403
    assert _payments(db) == 0
    login(client, s.finance)
    assert client.get("/finance/installments/2147483647/approve").status_code == 404
    assert client.get("/finance/installments/99999999999/approve").status_code == 404


# --- voucher and reversal ------------------------------------------------------------------

def _paid(db):
    s = scenario(statuses=(R, W, W))
    payment = service.approve_payment(s.finance, s.installments[0], service.beijing_today(), "bank_transfer",
                                      "ICBC-1")
    return s, payment


def test_voucher_download_for_staff_and_the_organization(client, db):
    s, payment = _paid(db)
    member = make_user()
    add_member(s.org, member)
    for user in (member, s.finance, s.officer):
        login(client, user)
        resp = client.get(f"/finance/payments/{payment.id}/voucher.pdf")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        assert resp.data.startswith(b"%PDF") and "attachment" in resp.headers["Content-Disposition"]
        assert resp.headers["Cache-Control"] == "no-store"
    stranger = make_user()
    add_member(make_org(), stranger)
    login(client, stranger)
    assert client.get(f"/finance/payments/{payment.id}/voucher.pdf").status_code == 403


def test_finance_reverses_a_payment_and_it_can_be_paid_again(client, db):
    s, payment = _paid(db)
    first = s.installments[0]
    login(client, s.finance2)
    resp = client.post(f"/finance/payments/{payment.id}/reverse", data={"reason": "流水号录错"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/finance/installments/{first.id}/approve")
    db.session.refresh(payment)
    db.session.refresh(first)
    assert payment.reversed_entry_id is not None and first.status == InstallmentStatus.REQUESTED
    html = _html(client.get(resp.headers["Location"]))
    assert "已冲正" in html and "流水号录错" in html and "确认付款" in html
    resp = client.post(f"/finance/installments/{first.id}/approve", data=_approve_data(reference="ICBC-2"))
    assert resp.status_code == 302 and _payments(db) == 2
    # The reversed one again: out of order.
    resp = client.post(f"/finance/payments/{payment.id}/reverse", data={"reason": "再次冲正"})
    assert resp.status_code == 409 and "已冲正" in _html(resp)


def test_reversal_needs_a_reason_a_fresh_login_and_the_finance_role(client, db):
    s, payment = _paid(db)
    entries = _entries(db)
    login(client, s.finance, fresh=False)
    resp = client.post(f"/finance/payments/{payment.id}/reverse", data={"reason": "错误"},
                       headers={"Referer": f"http://localhost/finance/installments/{s.installments[0].id}/approve"})
    assert resp.status_code == 302 and "/auth/reauthenticate" in resp.headers["Location"]
    login(client, s.finance)
    resp = client.post(f"/finance/payments/{payment.id}/reverse", data={"reason": ""})
    assert resp.status_code == 302
    assert "请填写冲正原因" in _html(client.get(resp.headers["Location"]))
    login(client, s.officer)
    assert client.post(f"/finance/payments/{payment.id}/reverse", data={"reason": "错误"}).status_code == 403
    db.session.refresh(payment)
    assert payment.reversed_entry_id is None and _entries(db) == entries


@pytest.mark.parametrize("view", ["requested", "due", "paid"])
def test_queue_runs_a_constant_number_of_queries(client, db, count_queries, view):
    admin = make_admin()
    counts = []
    for n in (1, 4):
        for _ in range(n):
            s = scenario(statuses=(R, R, D))
            service.approve_payment(s.finance, s.installments[0], service.beijing_today(), "bank_transfer", "REF")
        login(client, admin)
        url = f"/finance/payments?view={view}"
        client.get(url)  # warm up
        with count_queries() as queries:
            resp = client.get(url)
            assert resp.status_code == 200 and "银龄饭桌助餐项目" in _html(resp)
        counts.append(queries())
    assert counts[0] == counts[1], counts

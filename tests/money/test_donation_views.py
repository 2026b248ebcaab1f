"""Donation pages through the Flask client: public fund pages, the donate form (against the
fake Stripe server), the donor's pay / thanks / receipt pages, the staff list."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.money import donations as service
from app.money.models import Donation, DonationStatus, FundSourceKind
from tests.conftest import login
from tests.factories import make_funder, make_fund_source, make_staff, make_user
from tests.money.fake_stripe import fake_stripe, fake_stripe_server, stripe_on  # noqa: F401
from tests.money.test_donations import _paid


@pytest.fixture
def fund(db):
    return make_fund_source(make_funder(name="阳光社区发展基金会"), amount_fen=0, appropriate=False,
                            kind=FundSourceKind.DONATION, name="阳光社区发展基金", accepts_donations=True,
                            donation_target_fen=5_000_000)


def _count() -> int:
    return _db.session.scalar(select(func.count(Donation.id)))


def _token(app, donation) -> str:
    with app.test_request_context():
        return service.donation_token(donation)


def test_fund_list_shows_funds_taking_donations(client, fund):
    make_fund_source(fund.funder, name="不公开的福彩金")
    _paid(fund, 20_000)
    html = client.get("/funds/").get_data(as_text=True)
    assert "阳光社区发展基金" in html and "不公开的福彩金" not in html
    assert "¥200.00" in html and "¥50,000.00" in html and "1 笔捐赠" in html
    assert "在线捐赠尚未开通" in html


def test_fund_page_without_keys_disables_the_button(client, fund):
    _paid(fund, 20_000, name="王先生")
    _paid(fund, 10_000, name="")
    html = client.get(f"/funds/{fund.id}").get_data(as_text=True)
    assert "在线捐赠尚未开通（未配置支付参数）" in html
    assert re.search(r"<button[^>]*disabled[^>]*>\s*前往支付", html)
    assert f'action="/funds/{fund.id}/donate"' not in html
    assert "王先生" in html and "匿名" in html and "wang@example.cn" not in html


def test_fund_page_404_unless_it_takes_donations(client, fund):
    other = make_fund_source(fund.funder)
    assert client.get(f"/funds/{other.id}").status_code == 404
    assert client.post(f"/funds/{other.id}/donate", data={"amount": "200"}).status_code == 404
    assert client.get("/funds/999999").status_code == 404


def test_post_without_keys_is_refused_politely(client, fund):
    resp = client.post(f"/funds/{fund.id}/donate", data={"amount": "200"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/funds/{fund.id}")
    assert _count() == 0
    assert "在线捐赠尚未开通" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_fund_page_with_keys_shows_the_form(client, fund, stripe_on):
    html = client.get(f"/funds/{fund.id}").get_data(as_text=True)
    assert f'action="/funds/{fund.id}/donate"' in html and 'data-donate-amount="200"' in html
    assert "支付宝" in html and "微信支付" in html and "js/donate.js" in html


def test_donate_redirects_to_pay_page_then_stripe(client, fund, stripe_on):
    resp = client.post(f"/funds/{fund.id}/donate", data={"amount": "200", "donor_name": "李女士",
                                                         "donor_email": "li@example.cn", "message": "加油"})
    assert resp.status_code == 303
    donation = _db.session.scalar(select(Donation))
    assert donation.status == DonationStatus.PENDING and donation.amount_fen == 20_000
    assert resp.headers["Location"].endswith(f"/funds/donations/{_token(client.application, donation)}/pay")
    (request,) = stripe_on.creates()
    assert request.headers["idempotency-key"] == f"donation-{donation.id}"
    assert request.form["success_url"].endswith(f"/funds/donations/{_token(client.application, donation)}/thanks")
    assert request.form["cancel_url"].endswith(f"/funds/{fund.id}")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f'href="{stripe_on.base_url}/c/pay/{donation.checkout_session_id}"' in html
    assert "data-checkout-redirect" in html


@pytest.mark.parametrize("data,message", [
    ({"amount": "１００"}, "半角数字"),
    ({"amount": "0.5"}, "单笔捐赠金额须在"),
    ({"amount": "50000.01"}, "单笔捐赠金额须在"),
    ({"amount": "12.345"}, "两位小数"),
    ({"amount": ""}, "请输入捐赠金额"),
    ({"amount": "200", "donor_email": "not-an-email"}, "邮箱格式不正确"),
    ({"amount": "200", "donor_name": "名" * 51}, "不能超过 50 个字"),
    ({"amount": "200", "message": "x\x00y"}, "控制字符"),
])
def test_donate_form_validation(client, fund, stripe_on, data, message):
    resp = client.post(f"/funds/{fund.id}/donate", data=data)
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert _count() == 0 and stripe_on.creates() == []


def test_stripe_error_leaves_no_500(client, fund, stripe_on):
    stripe_on.fail_next = (402, "card_error", "Your card was declined.")
    resp = client.post(f"/funds/{fund.id}/donate", data={"amount": "200"})
    assert resp.status_code == 302
    assert _db.session.scalar(select(Donation)).status == DonationStatus.EXPIRED
    assert "支付服务暂时无法连接" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_donate_is_rate_limited(client, fund, stripe_on):
    for _ in range(10):
        assert client.post(f"/funds/{fund.id}/donate", data={"amount": "x"}).status_code == 200
    assert client.post(f"/funds/{fund.id}/donate", data={"amount": "200"}).status_code == 429
    assert _count() == 0


def test_webhook_needs_no_csrf_token_but_the_form_does(client, fund, stripe_on, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/funds/{fund.id}/donate", data={"amount": "200"}).status_code == 400
    payload = stripe_on.event("charge.succeeded", {"id": "ch_1"})
    resp = client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": stripe_on.sign(payload)})
    assert resp.status_code == 200 and resp.get_json()["result"] == "ignored"


def test_thanks_page_processing_then_paid_with_receipt(client, fund, stripe_on):
    client.post(f"/funds/{fund.id}/donate", data={"amount": "200", "donor_name": "李女士"})
    donation = _db.session.scalar(select(Donation))
    token = _token(client.application, donation)
    html = client.get(f"/funds/donations/{token}/thanks").get_data(as_text=True)
    assert "待支付" in html and "继续支付" in html and "receipt.pdf" not in html
    assert client.get(f"/funds/donations/{token}/receipt.pdf").status_code == 404
    session = stripe_on.complete(donation.checkout_session_id)
    html = client.get(f"/funds/donations/{token}/thanks").get_data(as_text=True)
    assert "正在等待支付机构确认到账" in html and "刷新到账状态" in html
    payload = stripe_on.event("checkout.session.completed", session)
    assert client.post("/stripe/webhook", data=payload,
                       headers={"Stripe-Signature": stripe_on.sign(payload)}).status_code == 200
    html = client.get(f"/funds/donations/{token}/thanks").get_data(as_text=True)
    assert "已到账" in html and f"/funds/donations/{token}/receipt.pdf" in html and "李女士" in html
    resp = client.get(f"/funds/donations/{token}/receipt.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    assert resp.headers["Cache-Control"] == "no-store"
    # Paid: the pay page goes to the thanks page.
    assert client.get(f"/funds/donations/{token}/pay").headers["Location"].endswith("/thanks")


def test_expired_donation_pages(client, fund, stripe_on):
    client.post(f"/funds/{fund.id}/donate", data={"amount": "200"})
    donation = _db.session.scalar(select(Donation))
    token = _token(client.application, donation)
    stripe_on.expire(donation.checkout_session_id)
    assert "已过期" in client.get(f"/funds/donations/{token}/pay").get_data(as_text=True)
    donation.status = DonationStatus.EXPIRED
    _db.session.commit()
    assert "这笔捐赠未完成" in client.get(f"/funds/donations/{token}/thanks").get_data(as_text=True)


@pytest.mark.parametrize("token", ["x", "1", "eyJhbGciOi.bad", "%00", "a" * 500])
def test_bad_tokens_are_404(client, fund, token):
    for suffix in ("thanks", "pay", "receipt.pdf"):
        assert client.get(f"/funds/donations/{token}/{suffix}").status_code == 404


def test_staff_list_shows_emails_and_totals(client, fund):
    _paid(fund, 20_000, name="王先生")
    _db.session.add(Donation(fund_source_id=fund.id, amount_fen=5_000, donor_email="pending@example.cn"))
    other = make_fund_source(make_funder(), amount_fen=0, appropriate=False, accepts_donations=True, name="别家基金")
    _paid(other, 70_000, name="钱先生")
    finance = make_staff(fund.funder)
    login(client, finance)
    html = client.get("/finance/donations").get_data(as_text=True)
    assert "wang@example.cn" in html and "pending@example.cn" in html and "钱先生" not in html
    assert "1 笔 · ¥200.00" in html and "1 笔 · ¥50.00" in html
    html = client.get("/finance/donations?status=paid&q=王").get_data(as_text=True)
    assert "wang@example.cn" in html and "pending@example.cn" not in html
    html = client.get(f"/finance/donations?fund={other.id}&status=bogus&page=x").get_data(as_text=True)
    assert "钱先生" not in html   # a fund of another funder is ignored as a filter


def test_staff_list_refuses_non_staff(client, fund):
    login(client, make_user())
    assert client.get("/finance/donations").status_code == 403

"""Donation journey in Chromium (issue 5): a visitor opens /funds/, picks a community fund,
donates ¥200 and is sent — through the same-origin pay page — to the fake Stripe server's
test checkout page; the test completes the session and posts the signed
checkout.session.completed webhook itself (as Stripe would); the visitor comes back to the
thanks page, sees 已到账 and downloads the receipt PDF. Screenshots 94-… to 96-….

The live server is pointed at tests/money/fake_stripe.py with test keys for this journey
only (restored afterwards); the fund is made here, so nothing depends on the demo data.
"""
from __future__ import annotations

import json
import re
import subprocess
import urllib.request

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, shot
from tests.browser.conftest import new_page as _new_page, no_horizontal_scroll as _no_horizontal_scroll, sign_in as _sign_in
from tests.money.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe

pytestmark = pytest.mark.browser

FUND = "翠湖社区发展基金（捐赠演示）"
DONOR = "周女士"


@pytest.fixture
def stripe_live(live_server):
    fake = FakeStripe().start()
    keys = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")
    saved = {k: live_server.config.get(k) for k in keys}
    live_server.config.update(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                              STRIPE_API_BASE=fake.base_url)
    yield fake
    live_server.config.update(saved)
    fake.stop()


def _fund(app) -> int:
    from app.extensions import db
    from app.funders.models import Funder
    from app.money.models import FundSource, FundSourceKind

    with app.app_context():
        fund = db.session.scalar(select(FundSource).where(FundSource.name == FUND))
        if fund is None:
            funder = db.session.scalar(select(Funder).order_by(Funder.id))
            fund = FundSource(funder_id=funder.id, kind=FundSourceKind.DONATION, name=FUND, fiscal_year=2026,
                              amount_fen=0, accepts_donations=True, donation_target_fen=10_000_000,
                              description="用于翠湖社区的助老、助残和儿童关爱公益项目。善款全额进入基金，使用情况每季度公开。")
            db.session.add(fund)
            db.session.commit()
        return fund.id


def _donation(app, fund_id: int):
    from app.extensions import db
    from app.money.models import Donation

    with app.app_context():
        donation = db.session.scalar(select(Donation).where(Donation.fund_source_id == fund_id)
                                     .order_by(Donation.id.desc()))
        db.session.expunge(donation)
        db.session.remove()
        return donation


def _post_webhook(app, fake: FakeStripe, event_type: str, session: dict) -> dict:
    payload = fake.event(event_type, session)
    request = urllib.request.Request(f"{app.config['LIVE_URL']}/stripe/webhook", data=payload.encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Stripe-Signature": fake.sign(payload)})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def test_visitor_donates_through_fake_checkout_and_gets_a_receipt(page, browser, live_server, stripe_live, tmp_path):
    fund_id = _fund(live_server)

    # 1. The fund list and the fund page ------------------------------------------------------
    page.goto("/funds/")
    expect(page.get_by_role("heading", name="爱心捐赠")).to_be_visible()
    card = page.get_by_role("article").filter(has_text=FUND)
    expect(card).to_contain_text("目标 ¥100,000.00")
    shot(page, "94-funds-public")
    card.get_by_role("link", name=re.compile("了解并捐赠")).click()
    page.wait_for_url(f"**/funds/{fund_id}")
    expect(page.get_by_role("heading", name=FUND)).to_be_visible()
    page.get_by_role("button", name="¥200").click()
    expect(page.get_by_label("捐赠金额（元）")).to_have_value("200")
    page.get_by_label("姓名或称呼").fill(DONOR)
    page.get_by_label("电子邮箱").fill("zhou@example.cn")
    page.get_by_label("留言").fill("祝翠湖社区的老人们身体健康！")
    shot(page, "94-fund-donate-form")

    # 2. Off to the (fake) Stripe checkout --------------------------------------------------------
    page.get_by_role("button", name="前往支付").click()
    page.wait_for_url(f"{stripe_live.base_url}/c/pay/**")
    expect(page.get_by_role("heading", name=re.compile("Fake Stripe test checkout"))).to_be_visible()
    expect(page.locator("#amount")).to_contain_text("¥200.00 CNY")
    shot(page, "95-fake-checkout")
    (create,) = stripe_live.creates()
    donation = _donation(live_server, fund_id)
    assert create.headers["idempotency-key"] == f"donation-{donation.id}"
    assert donation.status.value == "pending" and donation.amount_fen == 20_000

    # 3. Paid at Stripe; the visitor is back before the webhook --------------------------------
    session = stripe_live.complete(donation.checkout_session_id)
    page.goto(create.form["success_url"])
    expect(page.get_by_role("heading", name="感谢您的爱心")).to_be_visible()
    expect(page.get_by_text("正在等待支付机构确认到账", exact=False)).to_be_visible()
    shot(page, "95-thanks-processing")

    # 4. Stripe's webhook arrives (twice: a retry changes nothing) ------------------------------
    assert _post_webhook(live_server, stripe_live, "checkout.session.completed", session)["result"] == "credited"
    assert _post_webhook(live_server, stripe_live, "checkout.session.async_payment_succeeded",
                         session)["result"] == "already_paid"
    page.get_by_role("link", name="刷新到账状态").click()
    expect(page.get_by_role("heading", name="感谢您的捐赠！")).to_be_visible()
    expect(page.locator(".badge", has_text="已到账")).to_be_visible()
    shot(page, "96-thanks-paid")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("下载捐赠票据")).click()
    download = info.value
    assert download.suggested_filename.startswith("捐赠票据-JZ")
    pdf_path = tmp_path / "receipt.pdf"
    download.save_as(pdf_path)
    text = "".join(subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, check=True)
                   .stdout.decode().split())
    assert DONOR in text and "¥200.00" in text and "人民币贰佰元整" in text and "不是税务发票" in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf_path),
                    str(SCREENSHOTS / "96-receipt-pdf")], check=True)

    # 5. The fund page shows the gift (no email), also on a phone ------------------------------
    page.goto(f"/funds/{fund_id}")
    recent = page.get_by_role("table")
    expect(recent).to_contain_text(DONOR)
    expect(recent).to_contain_text("¥200.00")
    expect(page.locator("body")).not_to_contain_text("zhou@example.cn")
    page.set_viewport_size({"width": 390, "height": 844})
    assert _no_horizontal_scroll(page)
    shot(page, "96-fund-page-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.js_errors == []

    # 6. The platform admin sees it in the staff list, with the donor's email -------------------
    staff = _new_page(browser, live_server)
    _sign_in(staff, "admin@gongyi.demo")
    staff.goto("/finance/donations?q=" + DONOR)
    row = staff.get_by_role("row").filter(has_text=DONOR)
    expect(row).to_contain_text("zhou@example.cn")
    expect(row).to_contain_text("已到账")
    expect(row).to_contain_text(donation_receipt := _donation(live_server, fund_id).receipt_number)
    assert donation_receipt.startswith("JZ")
    shot(staff, "96-finance-donations")
    assert staff.js_errors == []
    staff.context.close()


def test_without_keys_the_button_explains(live_server, browser):
    fund_id = _fund(live_server)
    visitor = _new_page(browser, live_server)
    visitor.goto(f"/funds/{fund_id}")
    expect(visitor.get_by_text("在线捐赠尚未开通（未配置支付参数）")).to_be_visible()
    expect(visitor.get_by_role("button", name="前往支付")).to_be_disabled()
    assert visitor.js_errors == []
    visitor.context.close()

"""Transparency journey in Chromium (issue 6): a member of the public finds a funded
project in the project list, reads its page (the 福彩公益金资助 mark, money paid, indicators,
accepted report), follows its fund to the fund-use disclosure, downloads the PDF and the
XLSX, and reads both pages on a phone. Screenshots 97-… to 98-….

The journey builds its own funded award (tests/transparency/fixtures.py) so it does not
depend on the demo data.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll, shot

pytestmark = pytest.mark.browser


def _data(app) -> tuple[int, int, int]:
    from app.extensions import db
    from tests.transparency import fixtures as fx

    with app.app_context():
        d = fx.build()
        ids = d.award_a.id, d.w.id, d.award_b.id
        db.session.commit()
        return ids


def test_public_follows_a_project_to_its_money(page, live_server, browser):
    award_id, fund_id, other_id = _data(live_server)

    page.goto("/projects/")
    expect(page.get_by_role("heading", name="资助项目", exact=True)).to_be_visible()
    page.get_by_label("资金来源类型").select_option("welfare_lottery")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_role("table").get_by_role("link", name="长者助餐项目")).to_be_visible()
    expect(page.get_by_role("link", name="儿童课后托管项目")).to_have_count(0)
    shot(page, "97-transparency-projects")

    page.get_by_role("link", name="长者助餐项目").first.click()
    page.wait_for_url(f"**/projects/{award_id}")
    expect(page.locator(".lottery-mark").first).to_have_text("福彩公益金资助")
    expect(page.get_by_text("已拨付 1 / 3 期，合计 ¥25,000.00")).to_be_visible()
    expect(page.get_by_role("cell", name="40.0%")).to_be_visible()
    shot(page, "97-transparency-project")

    page.locator(f'a[href$="/disclosure/{fund_id}/2026"]').click()
    page.wait_for_url(f"**/disclosure/{fund_id}/2026")
    expect(page.get_by_role("heading", level=1)).to_have_text("2026年福彩公益金 2026 年度资金使用情况公告")
    expect(page.locator("#head-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    shot(page, "98-transparency-disclosure")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="下载 PDF").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as xlsx:
        page.get_by_role("link", name="下载 Excel").click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    assert page.js_errors == []

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                base_url=live_server.config["LIVE_URL"]).new_page()
    phone.goto(f"/projects/{award_id}")
    expect(phone.locator(".lottery-mark").first).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "98-transparency-project-phone")
    phone.goto(f"/disclosure/{fund_id}/2026")
    assert no_horizontal_scroll(phone)
    shot(phone, "98-transparency-disclosure-phone")
    phone.goto(f"/projects/{other_id}")
    expect(phone.locator(".lottery-mark")).to_have_count(0)
    phone.context.close()

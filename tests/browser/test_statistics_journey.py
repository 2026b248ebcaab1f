"""Statistics journey in Chromium (issue 6 §3): a member of the public opens 统计数据 from the
home page's 信息公开 menu, reads each section — organizations per community against the
targets, awards by category / target / region / year, the money flow — at desktop and phone
widths, filters by county, and downloads a CSV. Screenshots statistics-*.png.

Runs on the demo data the live server is loaded with (app/demo), so the charts show a
realistic spread of communities, awards and funds.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_page, no_horizontal_scroll, shot

pytestmark = pytest.mark.browser

SECTIONS = [("社会组织覆盖", "/statistics/organizations", "社区社会组织覆盖情况"),
            ("立项分布", "/statistics/awards", "立项分布"),
            ("资金流向", "/statistics/money", "资金流向")]


def test_public_reads_the_statistics(page, live_server):
    page.goto("/")
    page.get_by_role("button", name="信息公开").click()
    page.get_by_role("link", name="统计数据").click()
    page.wait_for_url("**/statistics/")
    expect(page.get_by_role("heading", name="统计数据", level=1)).to_be_visible()
    expect(page.locator(".breadcrumb")).to_contain_text("信息公开")
    shot(page, "statistics-overview")

    page.get_by_role("link", name="查看覆盖情况与未达标社区").click()
    page.wait_for_url("**/statistics/organizations")
    chart = page.locator("svg#chart-coverage")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(page.locator("#table-coverage caption")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^未达标社区（\d+ 个）$"))).to_be_visible()
    shot(page, "statistics-organizations")

    # Filtering by county submits on change (app.js) and shows that county's streets.
    county = page.get_by_label("县/市/区", exact=True)
    name = county.locator("option").nth(1).inner_text()
    county.select_option(index=1)
    page.wait_for_url(re.compile(r".*/statistics/organizations\?county=\d+"))
    expect(page.locator("#table-coverage caption")).to_contain_text(f"{name}各街道/乡镇")
    shot(page, "statistics-organizations-county")
    with page.expect_download() as csv_file:
        page.get_by_role("link", name="下载 CSV").first.click()
    assert csv_file.value.suggested_filename == "gongyi-statistics-organizations.csv"

    page.get_by_role("link", name="立项分布", exact=True).click()
    page.wait_for_url("**/statistics/awards")
    expect(page.locator("svg[role=img]")).to_have_count(4)
    expect(page.locator("#table-awards-by-category tfoot")).to_contain_text("合计")
    shot(page, "statistics-awards")

    page.get_by_role("link", name="资金流向", exact=True).click()
    page.wait_for_url("**/statistics/money")
    expect(page.locator("svg#chart-money-flow")).to_be_visible()
    expect(page.locator("#table-money")).to_be_visible()
    shot(page, "statistics-money")
    assert page.js_errors == []


@pytest.mark.parametrize("label,url,heading", SECTIONS)
def test_statistics_on_a_phone(browser, live_server, label, url, heading):
    page = new_page(browser, live_server)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "statistics-" + url.rsplit("/", 1)[1] + "-phone")
    assert page.js_errors == []
    page.context.close()

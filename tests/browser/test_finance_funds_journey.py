"""Finance journey in Chromium (issue 5): the district bureau's finance officer creates a
fund source through the form (a wrong amount first), allocates it to a call (too much
first), looks at the call's funding, the reconciliation by fund and by call, downloads the
XLSX (opened with openpyxl: the same figures), and reads the journal. Screenshots 80-… to
83-….

The journey makes its own open call of 昆明市五华区民政局, so it depends on no other journey.
"""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import no_horizontal_scroll, shot, sign_in

pytestmark = pytest.mark.browser

FINANCE = "finance@gongyi.demo"
FUND = "2026年五华区福彩公益金（对账演示）"
CALL_TITLE = "2026年五华区“邻里互助”社区公益创投（资金演示）"


def _open_call(app) -> int:
    from app.calls.models import CallStatus
    from app.extensions import db
    from app.funders.models import Funder
    from tests.factories import make_call

    with app.app_context():
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        call = make_call(funder, status=CallStatus.OPEN, title=CALL_TITLE, budget_fen=50_000_000)
        db.session.commit()
        return call.id


def test_finance_officer_funds_a_call_and_reconciles(page, live_server):
    call_id = _open_call(live_server)
    sign_in(page, FINANCE)

    # 1. The finance home -------------------------------------------------------------------
    page.goto("/finance/")
    expect(page.get_by_role("heading", name="资金管理", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="待审核拨付").first).to_be_visible()
    shot(page, "80-finance-home")

    # 2. A new fund source: a wrong amount is refused with its reason, then saved ---------------
    page.get_by_role("link", name="新建资金来源").first.click()
    page.wait_for_url("**/finance/funds/new**")
    page.get_by_label("资金类型").select_option("welfare_lottery")
    page.get_by_label("资金来源名称").fill(FUND)
    page.get_by_label("拨入金额（元）").fill("800000.123")
    page.get_by_role("button", name="保存并记入拨入").click()
    expect(page.get_by_text("金额最多保留两位小数（精确到分）。")).to_be_visible()
    shot(page, "81-fund-new-bad-amount")
    page.get_by_label("拨入金额（元）").fill("800,000.50")
    page.get_by_role("button", name="保存并记入拨入").click()
    page.wait_for_url(re.compile(r".*/finance/funds/\d+$"))
    expect(page.get_by_text(f"资金来源“{FUND}”已建立。")).to_be_visible()
    expect(page.locator("[data-figure='7']")).to_have_text("¥800,000.50")    # available

    # 3. Allocate: more than available is refused, nothing written; then 300,000 -------------
    page.get_by_label("分配给征集").select_option(str(call_id))
    page.get_by_label("分配金额（元）").fill("900000")
    page.get_by_role("button", name="分配", exact=True).click()
    expect(page.get_by_text(re.compile("可用余额 ¥800,000.50，不足以分配 ¥900,000.00"))).to_be_visible()
    expect(page.locator("[data-figure='7']")).to_have_text("¥800,000.50")
    page.get_by_label("分配金额（元）").fill("300000")
    page.get_by_label("备注").fill("第一批资金")
    page.get_by_role("button", name="分配", exact=True).click()
    expect(page.get_by_text(re.compile("已从.*分配 ¥300,000.00"))).to_be_visible()
    expect(page.locator("[data-figure='3']")).to_have_text("¥300,000.00")    # allocated
    expect(page.locator("[data-figure='7']")).to_have_text("¥500,000.50")
    calls_table = page.get_by_role("table", name=re.compile("分配给各征集"))
    expect(calls_table).to_contain_text(CALL_TITLE)
    shot(page, "82-fund-allocated")
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_horizontal_scroll(page)
    shot(page, "82-fund-allocated-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 4. The call's funding ----------------------------------------------------------------------
    calls_table.get_by_role("link", name=CALL_TITLE).click()
    page.wait_for_url(f"**/finance/calls/{call_id}")
    expect(page.get_by_role("table", name=re.compile("各资金来源"))).to_contain_text("¥300,000.00")

    # 5. Reconciliation by fund, by call, and the XLSX ------------------------------------------
    page.goto("/finance/reconciliation?q=" + "对账演示")
    row = page.locator("#recon-table tbody tr", has_text=FUND)
    expect(row).to_contain_text("¥800,000.50")
    expect(row).to_contain_text("¥500,000.50")
    shot(page, "83-reconciliation-funds")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    download = info.value
    assert download.suggested_filename == "reconciliation-funds.xlsx"
    ws = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    (line,) = [r for r in ws.iter_rows(values_only=True) if r[1] == FUND]
    assert [round(v * 100) for v in line[4:]] == [80_000_050, 0, 30_000_000, 0, 0, 0, 50_000_050]

    page.get_by_role("link", name="按征集").click()
    page.get_by_label("征集名称").fill("资金演示")
    page.get_by_role("button", name="筛选").click()
    call_row = page.locator("#recon-table tbody tr", has_text=CALL_TITLE).first
    expect(call_row).to_contain_text("¥500,000.00")      # budget
    expect(call_row).to_contain_text("¥200,000.00")      # budget not yet allocated
    shot(page, "83-reconciliation-calls")

    # 6. The journal, then the same page on a phone ---------------------------------------------
    page.goto("/finance/journal?kind=allocation")
    expect(page.locator("li.list-group-item", has_text="第一批资金")).to_contain_text("¥300,000.00")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/finance/reconciliation?q=" + "对账演示")
    assert no_horizontal_scroll(page)
    shot(page, "83-reconciliation-390")
    # The refused allocation answered 409 (out of funds), which Chromium logs; nothing else.
    assert [e for e in page.js_errors if "409 (CONFLICT)" not in e] == []

"""Disbursement journey in Chromium (issue 5): the district's program officer requests a
due installment, the finance officer — another person, signed in just now — approves it
with the bank's reference and downloads the payment voucher (付款凭证), which is rendered
with pdftoppm and looked at. Screenshots 87-… to 89-….

The journey builds its own awarded project of 昆明市五华区民政局 (fund source allocated and
committed, agreement signed, first installment due) through the ledger services, so it
does not depend on the demo's money data.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, new_page, no_horizontal_scroll, shot, sign_in

pytestmark = pytest.mark.browser

OFFICER = "district.officer@gongyi.demo"
FINANCE = "finance@gongyi.demo"
FUNDER = "昆明市五华区民政局"
ORG = "昆明市五华区翠湖社区居家养老服务中心"
PROJECT = "翠湖社区“长者饭桌”助餐陪伴项目"
REFERENCE = "ICBC-5301-20260518-0087"


def _due_installment(app) -> tuple[int, str]:
    """(installment id, award number) of a new ¥48,000 award whose first installment is due."""
    from app.applications.models import ApplicationStatus
    from app.calls.models import CallStatus
    from app.extensions import db
    from app.funders.models import Funder
    from app.money.models import InstallmentStatus
    from app.orgs.models import Organization
    from tests.factories import (make_agreement, make_application, make_award, make_call, make_fund_source,
                                 make_funding, make_installments)

    with app.app_context():
        funder = db.session.scalar(select(Funder).where(Funder.name == FUNDER))
        org = db.session.scalar(select(Organization).where(Organization.name == ORG))
        call = make_call(funder, status=CallStatus.AWARDED, title="2026年五华区社区公益创投（第二批）",
                         budget_fen=300_000_00)
        application = make_application(call, org, status=ApplicationStatus.AWARDED, title=PROJECT,
                                       requested_fen=48_000_00)
        award = make_award(application, amount_fen=48_000_00, number="WH2026-CT-0207")
        fund = make_fund_source(funder, amount_fen=800_000_00, name="2026年五华区福彩公益金（社区创投）")
        make_funding(award, fund)
        make_agreement(award)
        first, _second, _third = make_installments(
            award, statuses=[InstallmentStatus.DUE, InstallmentStatus.WAITING, InstallmentStatus.WAITING])
        db.session.commit()
        return first.id, award.number


def _payment(app, installment_id: int):
    from app.extensions import db
    from app.money.models import Installment

    with app.app_context():
        inst = db.session.get(Installment, installment_id)
        payment = inst.payment
        return (inst.status.value, payment.voucher_number if payment else None,
                payment.reference if payment else None, payment.amount_fen if payment else None)


def test_officer_requests_finance_approves_voucher(page, browser, live_server, tmp_path):
    installment_id, award_number = _due_installment(live_server)
    row = f"#installment-{installment_id}"

    # 1. The program officer (maker) finds the due installment and requests payment --------
    sign_in(page, OFFICER)
    page.goto("/finance/payments?view=due")
    expect(page.get_by_role("heading", name="拨付审核")).to_be_visible()
    expect(page.locator(row)).to_contain_text(PROJECT)
    expect(page.locator(row)).to_contain_text("¥24,000.00")   # 50% of ¥48,000
    page.locator(row).get_by_role("button", name="申请拨付").click()
    expect(page.locator(".alert-success")).to_contain_text("等待财务人员审核付款")
    expect(page.locator(row)).to_have_count(0)
    page.get_by_role("link", name=re.compile("^待审核")).click()
    expect(page.locator(row)).to_contain_text("王秀英")
    expect(page.locator(row)).to_contain_text("等待财务人员审核")   # the maker has no approve link
    shot(page, "87-disbursement-officer-requested")
    assert _payment(live_server, installment_id)[0] == "requested"

    # 2. The finance officer (checker, another person, just signed in) approves ------------
    finance = new_page(browser, live_server)
    finance.on("dialog", lambda dialog: dialog.accept())
    sign_in(finance, FINANCE)
    finance.goto("/finance/payments")
    expect(finance.locator(row)).to_contain_text(award_number)
    finance.locator(row).get_by_role("link", name="审核付款").click()
    finance.wait_for_url(f"**/finance/installments/{installment_id}/approve")
    expect(finance.get_by_role("heading", name=re.compile("审核付款"))).to_be_visible()
    expect(finance.get_by_text("2026年五华区福彩公益金（社区创投）")).to_be_visible()
    finance.get_by_label("付款方式").select_option(label="银行转账")
    finance.get_by_label("付款流水号").fill(REFERENCE)
    shot(finance, "88-disbursement-finance-approve")
    finance.get_by_role("button", name="确认付款").click()
    expect(finance.locator(".alert-success")).to_contain_text("付款凭证号")
    status, voucher, reference, amount = _payment(live_server, installment_id)
    assert (status, reference, amount) == ("paid", REFERENCE, 24_000_00)
    assert re.fullmatch(r"FK\d{10}", voucher)
    expect(finance.get_by_text(voucher).first).to_be_visible()
    shot(finance, "89-disbursement-paid")

    # 3. The voucher PDF --------------------------------------------------------------------
    with finance.expect_download() as download:
        finance.get_by_role("link", name="下载付款凭证（PDF）").click()
    pdf_path = tmp_path / "voucher.pdf"
    download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        pytest.fail("poppler-utils (pdftotext, pdftoppm) are needed to read the voucher")
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True,
                                             check=True).stdout.decode())
    for expected in ("付款凭证", voucher, FUNDER, ORG, award_number, "第1/3期", "¥24,000.00", "人民币贰万肆仟元整",
                     REFERENCE, "王秀英", "张丽"):
        assert expected in text, expected
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf_path),
                    str(SCREENSHOTS / "89-disbursement-voucher-pdf")], check=True)

    # 4. The queue on a phone: no sideways scrolling --------------------------------------
    finance.set_viewport_size({"width": 390, "height": 844})
    finance.goto("/finance/payments?view=paid")
    expect(finance.get_by_text(voucher).locator("visible=true").first).to_be_visible()
    assert no_horizontal_scroll(finance)
    assert page.js_errors == [] and finance.js_errors == []
    finance.context.close()

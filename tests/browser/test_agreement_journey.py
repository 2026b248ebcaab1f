"""Agreement journey in Chromium (issue 5): the district officer of 昆明市五华区民政局 finds
a new award in 立项项目 and generates its 资助协议; the owner of
昆明市五华区翠湖社区居家养老服务中心 downloads the PDF, tries a file that is not a scan,
then uploads the signed scan; the officer confirms it and the first installment shows
可申请拨付. Screenshots 84-… to 86-….

The journey sets up its own awarded call and award (no agreement yet), so it depends on
no other journey and on none of the demo's agreements.
"""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, new_page, no_horizontal_scroll, shot, sign_in

pytestmark = pytest.mark.browser

OFFICER = "district.officer@gongyi.demo"
OWNER = "applicant@gongyi.demo"
ORG = "昆明市五华区翠湖社区居家养老服务中心"
CALL_TITLE = "2026年五华区社区公益创投（协议演示）"
PROJECT = "翠湖社区“邻里食堂”助餐项目"
# A one-page PDF standing for the scan of the signed and sealed agreement.
SCAN = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _new_award(app) -> int:
    """An awarded call of 昆明市五华区民政局 with the owner's award (no agreement yet)."""
    from app.applications.models import ApplicationStatus
    from app.auth.models import User
    from app.calls.models import CallStatus
    from app.core.db import utcnow
    from app.extensions import db
    from app.funders.models import Funder
    from app.orgs.models import Organization
    from app.regions.models import Region
    from tests.factories import make_application, make_award, make_call

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
        org = db.session.scalar(select(Organization).where(Organization.name == ORG))
        now = utcnow()
        call = make_call(funder, status=CallStatus.AWARDED, title=CALL_TITLE, region=wuhua,
                         opens_at=now - timedelta(days=90), deadline_at=now - timedelta(days=60),
                         created_by=officer)
        application = make_application(call, org, status=ApplicationStatus.AWARDED, title=PROJECT,
                                       requested_fen=4_500_000)
        application.starts_on, application.ends_on = now.date() + timedelta(days=7), now.date() + timedelta(days=371)
        award = make_award(application, number=f"GY2026-{call.id:04d}-001")
        db.session.commit()
        return award.id


def test_agreement_journey(page, browser, live_server, tmp_path):
    award_id = _new_award(live_server)
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The officer finds the new award and generates its agreement ----------------------
    sign_in(page, OFFICER)
    page.goto("/awards/mine")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=PROJECT))
    expect(row).to_contain_text("尚未生成")
    expect(row).to_contain_text("生成协议")
    row.get_by_role("link", name=PROJECT).click()
    expect(page.get_by_role("heading", name=re.compile("资助协议"))).to_be_visible()
    page.get_by_role("button", name="生成资助协议").click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile(r"协议已生成（编号 XY2026-\d{4}-001）"))).to_be_visible()
    expect(page.locator("#agreement-status")).to_have_text("待签署")
    schedule = page.locator("section#installments")
    expect(schedule.get_by_role("row").filter(has_text="第 1 期")).to_contain_text("¥22,500.00")
    expect(schedule.get_by_role("row").filter(has_text="第 1 期")).to_contain_text("未到拨付条件")
    shot(page, "84-agreement-officer-generated")
    assert page.js_errors == []

    # 2. The owner downloads the PDF, tries a wrong file, uploads the signed scan --------------
    owner = new_page(browser, live_server)
    sign_in(owner, OWNER)
    owner.goto("/awards/mine")
    row = owner.get_by_role("row").filter(has=owner.get_by_role("link", name=PROJECT))
    expect(row).to_contain_text("下载协议，签署盖章后上传扫描件")
    row.get_by_role("link", name=PROJECT).click()
    with owner.expect_download() as info:
        owner.get_by_role("link", name="下载资助协议（PDF）").click()
    download = info.value
    assert download.suggested_filename.startswith("资助协议-XY2026-")
    pdf_path = tmp_path / "agreement.pdf"
    download.save_as(pdf_path)
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    compact = re.sub(r"\s+", "", text)
    assert ORG in compact and "人民币肆万伍仟元整" in compact and "甲方（盖章）" in compact
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf_path),
                    str(SCREENSHOTS / "84-agreement-pdf")], check=True)

    liar = tmp_path / "签署件.pdf"
    liar.write_bytes(b"<html><body>not a scan</body></html>")
    owner.get_by_label("签署件扫描件").set_input_files(str(liar))
    owner.get_by_role("button", name="上传签署件").click()
    owner.wait_for_load_state()
    expect(owner.get_by_text(re.compile("文件内容与扩展名不符"))).to_be_visible()
    shot(owner, "85-agreement-owner-wrong-file")
    real = tmp_path / "资助协议签署件.pdf"
    real.write_bytes(SCAN)
    owner.get_by_label("签署件扫描件").set_input_files(str(real))
    owner.get_by_role("button", name="上传签署件").click()
    owner.wait_for_load_state()
    expect(owner.get_by_text(re.compile("签署件已上传，请等待资助方确认"))).to_be_visible()
    expect(owner.locator("#agreement-status")).to_have_text("已上传签署件，待确认")
    shot(owner, "85-agreement-owner-uploaded")
    owner.set_viewport_size({"width": 390, "height": 844})
    owner.reload()
    assert no_horizontal_scroll(owner)
    shot(owner, "85-agreement-owner-mobile")
    assert owner.js_errors == []

    # 3. The officer confirms; the first installment is due ------------------------------------
    page.reload()
    expect(page.get_by_role("link", name="下载签署件")).to_be_visible()
    page.get_by_role("button", name="确认生效").click()
    page.wait_for_load_state()
    expect(page.get_by_text("协议已确认生效。第 1 期资金（¥22,500.00）已可申请拨付。")).to_be_visible()
    expect(page.locator("#agreement-status")).to_have_text("已生效")
    first = page.locator("section#installments").get_by_role("row").filter(has_text="第 1 期")
    expect(first).to_contain_text("可申请拨付")
    expect(first.get_by_role("button", name="申请拨付")).to_be_visible()
    shot(page, "86-agreement-confirmed-installment-due")
    assert page.js_errors == []

    # The owner's list shows the new state.
    owner.set_viewport_size({"width": 1280, "height": 900})
    owner.goto("/awards/mine")
    row = owner.get_by_role("row").filter(has=owner.get_by_role("link", name=PROJECT))
    expect(row).to_contain_text("已生效")
    expect(row).to_contain_text("已拨 0 / 3 期")
    shot(owner, "86-my-awards-owner")

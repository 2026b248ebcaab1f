"""Report journey in Chromium (issue 5): the owner of 昆明市五华区翠湖社区居家养老服务中心
writes the progress report of a funded project, types a full-width number and is told,
fixes it, uploads a photo and submits; the district officer of 昆明市五华区民政局 accepts
it, and the second installment becomes 可申请拨付. Screenshots 90-… to 93-….

The journey sets up its own awarded call, award, funding, signed agreement and installment
schedule (the first installment paid), so it depends on no other journey.
"""
from __future__ import annotations

import re
import struct
import zlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import new_page, no_horizontal_scroll, shot, sign_in

pytestmark = pytest.mark.browser

OFFICER = "district.officer@gongyi.demo"
OWNER = "applicant@gongyi.demo"
ORG = "昆明市五华区翠湖社区居家养老服务中心"
CALL_TITLE = "2026年五华区社区公益创投（报告演示）"
PROJECT = "翠湖社区“银龄食堂”助餐与探访项目"


def _png(width: int = 64, height: int = 48) -> bytes:
    """A small real PNG (a green-blue gradient)."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (40, 120 + x, 90 + y * 2))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _funded_award(app) -> tuple[int, int]:
    """(award id, progress report id): an awarded call of 昆明市五华区民政局, the owner's
    application, an award funded from a welfare-lottery fund, a signed agreement over the
    last half year, and installments 50/40/10 with the first paid."""
    from app.applications.models import ApplicationStatus
    from app.auth.models import User
    from app.calls.models import CallStatus
    from app.core.db import utcnow
    from app.extensions import db
    from app.funders.models import Funder, StaffMembership, StaffRole
    from app.money import installments as inst
    from app.money.models import InstallmentStatus
    from app.orgs.models import Organization
    from app.regions.models import Region
    from app.reports import services as reports
    from tests.factories import (make_agreement, make_application, make_award, make_call, make_fund_source,
                                 make_funding, make_payment)

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        finance = db.session.scalar(select(User).join(StaffMembership, StaffMembership.user_id == User.id).where(
            StaffMembership.funder_id == funder.id, StaffMembership.role == StaffRole.FINANCE_OFFICER))
        wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
        org = db.session.scalar(select(Organization).where(Organization.name == ORG))
        now = utcnow()
        call = make_call(funder, status=CallStatus.AWARDED, title=CALL_TITLE, region=wuhua,
                         opens_at=now - timedelta(days=300), deadline_at=now - timedelta(days=270),
                         created_by=officer)
        application = make_application(call, org, status=ApplicationStatus.AWARDED, title=PROJECT,
                                       requested_fen=4_800_000)
        award = make_award(application, number=f"GY2026-{call.id:04d}-001")
        fund = make_fund_source(funder, amount_fen=50_000_000, name="2026年五华区福彩公益金（报告演示）")
        make_funding(award, fund)
        agreement = make_agreement(award)
        today = now.date()
        agreement.starts_on, agreement.ends_on = today - timedelta(days=170), today + timedelta(days=190)
        rows = inst.create_schedule(award, officer)
        inst.fire_trigger(award, "agreement_signed", officer, now=now)
        make_payment(rows[0], approved_by=finance)
        rows[0].status = InstallmentStatus.PAID
        progress, _final = reports.reports_of(award)
        db.session.commit()
        return award.id, progress.id


def _statuses(app, award_id: int) -> list[str]:
    from app.extensions import db
    from app.money.models import Installment

    with app.app_context():
        return [i.status.value for i in db.session.scalars(
            select(Installment).where(Installment.award_id == award_id).order_by(Installment.position))]


def test_organization_reports_officer_accepts_next_installment_due(browser, live_server):
    award_id, report_id = _funded_award(live_server)
    assert _statuses(live_server, award_id) == ["paid", "waiting", "waiting"]

    # --- the organization writes the progress report ---------------------------------------
    owner = new_page(browser, live_server)
    sign_in(owner, OWNER)
    owner.goto(f"/reports/awards/{award_id}")
    expect(owner.get_by_role("heading", name=PROJECT)).to_be_visible()
    owner.locator("#report-progress").get_by_role("link", name="填写报告").click()
    expect(owner.get_by_role("heading", name="填写中期报告")).to_be_visible()

    owner.get_by_role("textbox", name="项目执行情况").fill(
        "项目启动以来，助餐点每周一至周五开放，累计提供助餐服务 2460 人次；志愿者队伍 32 人，"
        "入户探访独居老人 310 次；开展健康讲座 5 场。")
    owner.get_by_label("问题与改进").fill("冬季志愿者出勤下降，计划与社区卫生服务站联合招募。")
    owner.get_by_label("老年人受益人数").fill("108")
    owner.get_by_label("助餐服务人次 实际完成").fill("２４６０")   # full-width digits
    owner.get_by_label("助餐服务 实际支出（元）").fill("21800")
    owner.get_by_label("项目管理 实际支出（元）").fill("1200.50")
    owner.get_by_role("button", name="保存草稿").click()

    errors = owner.locator("#report-errors")
    expect(errors).to_contain_text("请使用半角数字")
    field = owner.get_by_label("助餐服务人次 实际完成")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(owner.get_by_role("textbox", name="项目执行情况")).to_have_value(re.compile("^项目启动以来"))
    field.evaluate("el => el.scrollIntoView({block: 'center', behavior: 'instant'})")
    shot(owner, "90-report-bad-number", full_page=False)

    field.fill("2460")
    owner.get_by_role("button", name="保存草稿").click()
    expect(owner.locator(".flash-messages .alert-success")).to_contain_text("报告已保存")

    owner.locator("#photos input[type=file]").set_input_files(
        files=[{"name": "助餐点开放日.png", "mimeType": "image/png", "buffer": _png()}])
    owner.get_by_label("照片说明").fill("助餐点开放日")
    owner.get_by_role("button", name="上传照片").click()
    expect(owner.locator(".flash-messages .alert-success")).to_contain_text("已上传")
    expect(owner.locator("#photos img")).to_have_count(1)
    # The thumbnail is served by the app (a real image, 64 px wide) — wait until it has loaded.
    owner.wait_for_function("() => { const i = document.querySelector('#photos img');"
                            " return i && i.complete && i.naturalWidth > 0; }")
    assert owner.locator("#photos img").evaluate("img => img.naturalWidth") == 64
    shot(owner, "91-report-filled-with-photo")

    owner.once("dialog", lambda dialog: dialog.accept())
    owner.get_by_role("button", name="保存并提交审核").click()
    expect(owner.locator(".flash-messages .alert-success")).to_contain_text("已提交")
    expect(owner.get_by_text("已提交，待审核").first).to_be_visible()
    assert not owner.js_errors, owner.js_errors

    # --- the officer accepts ----------------------------------------------------------------
    officer = new_page(browser, live_server)
    sign_in(officer, OFFICER)
    officer.goto("/reports/?status=submitted")
    officer.get_by_role("link", name=PROJECT).first.click()
    officer.wait_for_url(f"**/reports/{report_id}")
    expect(officer.locator("#execution-rate")).to_contain_text("%")
    expect(officer.get_by_text("2,460 人次").or_(officer.get_by_text("2460 人次")).first).to_be_visible()
    review = officer.locator("#review")
    review.get_by_label("审核意见（选填）").fill("服务人次超过半程目标，资金使用规范，同意通过。")
    shot(officer, "92-report-officer-review")
    review.get_by_role("button", name="审核通过").click()
    expect(officer.locator(".flash-messages .alert-success")).to_contain_text("中期报告已审核通过")

    assert _statuses(live_server, award_id) == ["paid", "due", "waiting"]
    officer.goto(f"/reports/awards/{award_id}")
    second = officer.locator(".installments-table tbody tr").nth(1)
    expect(second).to_contain_text("可申请拨付")
    expect(officer.locator("#report-progress")).to_contain_text("已通过")
    shot(officer, "93-report-accepted-installment-due")
    assert no_horizontal_scroll(officer)
    assert not officer.js_errors, officer.js_errors

    # The organization sees the outcome on a phone too.
    owner.set_viewport_size({"width": 390, "height": 844})
    owner.goto(f"/reports/{report_id}")
    expect(owner.get_by_text("审核意见：")).to_be_visible()
    assert no_horizontal_scroll(owner)
    shot(owner, "93-report-accepted-mobile")

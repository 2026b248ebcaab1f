"""Credit journey in Chromium (issue 6): the district officer of 昆明市五华区民政局 records a
breach on an award from its agreement page; the organization's profile and credit page
show grade D and the bar; the officer lifts the bar early and the grade is recomputed
(C, the breach's 30 points stay). The public sees the record without the lift form.
Screenshots 95-….

The journey makes its own organization with four 优秀-rated reports (80 + 20 = 100, A) and
its own award, so no other journey sees the breach.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import new_page, no_horizontal_scroll, shot, sign_in

pytestmark = pytest.mark.browser

OFFICER = "district.officer@gongyi.demo"
ORG = "翠湖社区守信互助服务队（信用演示）"
PROJECT = "翠湖社区独居老人探访项目"
REASON = "未按协议第七条报告项目负责人变更，擅自将宣传费用改作设备购置。"


def _setup(app) -> tuple[int, int]:
    from datetime import timedelta

    from app.applications.models import ApplicationStatus
    from app.calls.models import CallStatus
    from app.core.db import utcnow
    from app.extensions import db
    from app.funders.models import Funder
    from app.orgs.models import Organization
    from app.regions.models import Region
    from app.reports.models import ReportKind, ReportRating, ReportStatus
    from tests.factories import make_application, make_award, make_call, make_org, make_report

    with app.app_context():
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
        home = db.session.scalar(select(Organization).where(
            Organization.name == "昆明市五华区翠湖社区居家养老服务中心")).home_community
        org = make_org(community=home, name=ORG)
        now = utcnow()
        call = make_call(funder, status=CallStatus.AWARDED, title="2025年五华区社区公益创投（信用演示）", region=wuhua,
                         opens_at=now - timedelta(days=400), deadline_at=now - timedelta(days=370))
        awards = []
        for i, title in enumerate([PROJECT, "翠湖社区四点半课堂"]):
            application = make_application(call, org, status=ApplicationStatus.AWARDED, title=title)
            award = make_award(application, number=f"GY2025-{call.id:04d}-{i + 1:03d}")
            award.awarded_at = now - timedelta(days=300)
            awards.append(award)
            for kind in (ReportKind.PROGRESS, ReportKind.FINAL):
                report = make_report(award, kind=kind, status=ReportStatus.ACCEPTED,
                                     due_on=(now + timedelta(days=30)).date())
                report.rating = ReportRating.EXCELLENT
        db.session.commit()
        return org.id, awards[0].id


def test_credit_journey(page, browser, live_server):
    org_id, award_id = _setup(live_server)
    page.on("dialog", lambda dialog: dialog.accept())

    # 0. Before: grade A, 100 points ----------------------------------------------------------------
    page.goto(f"/orgs/{org_id}")
    card = page.locator("#credit")
    expect(card.locator("[data-credit-grade]")).to_have_text("A · 守信")
    expect(card.locator("[data-credit-score]")).to_have_text("100")

    # 1. The officer records the breach from the agreement page ------------------------------------------
    sign_in(page, OFFICER)
    page.goto(f"/awards/{award_id}/agreement")
    page.get_by_role("link", name="记录违约").click()
    expect(page.get_by_role("heading", name="记录违约")).to_be_visible()
    expect(page.get_by_label("禁止申报年限（年）")).to_have_value("3")
    expect(page.get_by_label("违约日期")).to_have_value(re.compile(r"\d{4}-\d{2}-\d{2}"))
    page.get_by_role("button", name="记录违约并禁止申报").click()
    page.wait_for_load_state()
    expect(page.get_by_text("请填写违约情况。").first).to_be_visible()
    page.get_by_label("禁止申报年限（年）").fill("6")
    page.get_by_label("违约情况").fill(REASON)
    page.get_by_role("button", name="记录违约并禁止申报").click()
    page.wait_for_load_state()
    expect(page.get_by_text("禁止申报年限请填写 1 到 5 之间的整数（年）。")).to_be_visible()
    shot(page, "95-credit-breach-form-error")
    page.get_by_label("禁止申报年限（年）").fill("3")
    page.get_by_role("button", name="记录违约并禁止申报").click()
    page.wait_for_url(f"**/orgs/{org_id}/credit")
    expect(page.get_by_text(re.compile("已记录违约：“" + re.escape(ORG)))).to_be_visible()
    expect(page.locator("[data-credit-grade]").first).to_have_text("D · 失信")
    expect(page.locator("[data-credit-score]").first).to_have_text("70")
    bar = page.locator("article[id^=bar-]")
    expect(bar).to_contain_text("禁止申报中")
    expect(bar).to_contain_text(REASON)
    expect(page.get_by_role("row").filter(has_text="违约").first).to_contain_text("−30")
    shot(page, "95-credit-page-barred")

    # 2. The profile shows grade D and the bar ----------------------------------------------------------
    page.goto(f"/orgs/{org_id}")
    expect(page.locator("#credit [data-credit-grade]")).to_have_text("D · 失信")
    expect(page.locator("#credit")).to_contain_text("被“昆明市五华区民政局”禁止申报，")
    shot(page, "96-credit-profile-barred")

    # 3. The officer lifts the bar early; the grade follows the score (70: C) ------------------------
    page.goto(f"/orgs/{org_id}/credit")
    page.get_by_text("提前解除禁止申报").click()
    page.get_by_label("解除原因").fill("机构已整改并退回挪用资金，经研究提前解除。")
    page.get_by_role("button", name="确认解除").click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile("已解除“昆明市五华区民政局”的禁止申报"))).to_be_visible()
    expect(page.locator("[data-credit-grade]").first).to_have_text("C · 关注")
    expect(page.locator("[data-credit-score]").first).to_have_text("70")
    expect(page.locator("article[id^=bar-]")).to_contain_text("提前解除")
    expect(page.get_by_role("button", name="确认解除")).to_have_count(0)
    shot(page, "97-credit-page-lifted")
    assert page.js_errors == []

    # 4. The public: the same record, no lift form; on a phone without horizontal scrolling ------------
    public = new_page(browser, live_server)
    public.goto(f"/orgs/{org_id}/credit")
    expect(public.locator("[data-credit-grade]").first).to_have_text("C · 关注")
    expect(public.get_by_text("信用分怎么算")).to_be_visible()
    expect(public.get_by_text("提前解除禁止申报")).to_have_count(0)
    public.set_viewport_size({"width": 390, "height": 844})
    public.reload()
    assert no_horizontal_scroll(public)
    shot(public, "98-credit-page-phone")
    public.goto(f"/orgs/{org_id}")
    assert no_horizontal_scroll(public)
    shot(public, "98-credit-profile-phone")
    assert public.js_errors == []

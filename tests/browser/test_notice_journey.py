"""Public notice journey in Chromium (issue 4): the district officer publishes the
recommended list of a reviewed call, a member of the public files two objections, the
officer answers them (one upheld: that recommendation is cancelled), the period ends and
the officer closes the notice; the public sees the award list and the organization's owner
downloads the award notice (立项通知书). Screenshots 75-… to 79-….

The journey sets up its own call in `reviewing` with a finalized panel and review outcomes
(written directly, as the results service would), so it depends on no other journey.
"""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, shot
from tests.browser.conftest import new_page as _new_page, no_horizontal_scroll as _no_horizontal_scroll, sign_in as _login

pytestmark = pytest.mark.browser

PASSWORD = "gongyi-demo-2026"
OFFICER = "district.officer@gongyi.demo"
OWNER = "applicant@gongyi.demo"
ORG = "昆明市五华区翠湖社区居家养老服务中心"
CALL_TITLE = "2026年五华区“幸福邻里”社区公益创投（公示演示）"
PROJECTS = ["翠湖社区“银龄饭桌”助餐陪伴项目", "邻里守望“四点半课堂”", "社区文体队伍培育计划"]
OBJECTOR = "居民周女士"
OBJECTOR_PHONE = "13888001234"
UPHELD = "经核实，该组织负责人同时担任本项目评审专家的亲属所在单位理事，存在应回避未回避情形，异议成立，取消其拟立项资格。"
DISMISSED = "经核实，翠湖社区居家养老服务中心上一期项目已于2025年12月通过结项验收，异议所述情况不属实，异议不成立。"


def _reviewed_call(app) -> tuple[int, list[int]]:
    """A venture call of 昆明市五华区民政局 in `reviewing`: three scored applications (the
    demo owner's organization first), a finalized panel and outcomes — two recommended."""
    from app.applications.models import ApplicationStatus
    from app.auth.models import User
    from app.calls.models import CallStatus
    from app.core.db import utcnow
    from app.extensions import db
    from app.funders.models import Funder
    from app.orgs.models import Organization
    from app.regions.models import Region
    from app.reviews.models import Expert, ReviewOutcome
    from tests.factories import make_application, make_call, make_panel

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
        now = utcnow()
        call = make_call(funder, status=CallStatus.REVIEWING, title=CALL_TITLE, region=wuhua,
                         budget_fen=12_000_000, min_award_fen=1_000_000, max_award_fen=5_000_000,
                         opens_at=now - timedelta(days=60), deadline_at=now - timedelta(days=30),
                         created_by=officer)
        owner_org = db.session.scalar(select(Organization).where(Organization.name == ORG))
        others = db.session.scalars(
            select(Organization).join(Region, Region.id == Organization.home_community_id)
            .where(Region.path.startswith(wuhua.path), Organization.id != owner_org.id)
            .order_by(Organization.id).limit(2)).all()
        scores = [("88.40", 5_000_000, 5_000_000), ("81.25", 4_000_000, 3_600_000), ("56.50", 3_000_000, 0)]
        ids = []
        for rank, (org, title, (score, requested, amount)) in enumerate(zip([owner_org, *others], PROJECTS, scores), 1):
            application = make_application(call, org, status=ApplicationStatus.SCORED, title=title,
                                           requested_fen=requested)
            db.session.add(ReviewOutcome(
                call_id=call.id, application_id=application.id, final_score=Decimal(score), rank=rank,
                reviewer_count=5, sd=Decimal("4.20"), requested_fen=requested, recommended=amount > 0,
                reason_code="recommended" if amount else "below_pass_line", amount_fen=amount,
                adjusted_fen=amount if 0 < amount < requested else None,
                adjust_reason="按预算统筹调整" if 0 < amount < requested else ""))
            ids.append(application.id)
        experts = db.session.scalars(select(Expert).where(Expert.is_active.is_(True)).order_by(Expert.id)).all()
        chair = next(e for e in experts if e.user.email == "chair@gongyi.demo")
        reviewers = [e for e in experts if e is not chair][:4]
        panel = make_panel(call, reviewers=reviewers, chair=chair, created_by=officer)
        panel.finalized_at = now
        db.session.commit()
        return call.id, ids


def _end_the_period(app, call_id: int) -> None:
    # Simulates the working days passing: the notice's end is moved a minute into the past.
    from app.awards.models import Notice
    from app.core.db import utcnow
    from app.extensions import db

    with app.app_context():
        notice = db.session.scalar(select(Notice).where(Notice.call_id == call_id))
        notice.ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


def _state(app, call_id: int, ids: list[int]):
    from app.applications.models import Application
    from app.awards.models import Award
    from app.calls.models import Call
    from app.extensions import db

    with app.app_context():
        statuses = [db.session.get(Application, i).status.value for i in ids]
        awards = [(a.application_id, a.amount_fen) for a in db.session.scalars(
            select(Award).where(Award.call_id == call_id).order_by(Award.id))]
        return db.session.get(Call, call_id).status.value, statuses, awards


def _object(public, target: str, content: str) -> None:
    form = public.locator("#object")
    form.get_by_label("姓名").fill(OBJECTOR)
    form.get_by_label("联系方式").fill(OBJECTOR_PHONE)
    form.get_by_label("异议针对").select_option(label=target)
    form.get_by_label("异议内容和理由").fill(content)
    form.get_by_role("button", name="提交异议").click()
    expect(public.get_by_text("您的异议已提交")).to_be_visible()


def test_publish_object_answer_close_award(page, browser, live_server, tmp_path):
    call_id, ids = _reviewed_call(live_server)
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The officer publishes the recommended list ------------------------------------------
    _login(page, OFFICER)
    page.goto(f"/notices/{call_id}/publish")
    expect(page.get_by_role("heading", name="发布拟立项公示")).to_be_visible()
    preview = page.get_by_role("table", name="拟立项名单预览")
    expect(preview.get_by_role("row")).to_have_count(3)  # header + two recommended
    expect(preview).to_contain_text(PROJECTS[0])
    expect(preview).not_to_contain_text(PROJECTS[2])
    expect(page.get_by_text(re.compile(r"公示期 5 个工作日：如现在发布，公示至 \d{4}-\d\d-\d\d 23:59"))).to_be_visible()
    expect(page.get_by_label("公示说明")).to_have_value(re.compile("现予以公示"))
    shot(page, "75-notice-publish")
    page.get_by_role("button", name="发布公示").click()
    page.wait_for_url(f"**/notices/{call_id}")
    expect(page.get_by_text("拟立项名单已公示")).to_be_visible()
    assert _state(live_server, call_id, ids)[:2] == ("notice", ["recommended", "recommended", "not_recommended"])

    # 2. A member of the public reads the notice and objects twice -----------------------------
    public = _new_page(browser, live_server)
    public.goto("/notices/")
    card = public.locator("article", has=public.get_by_role("link", name=CALL_TITLE))
    expect(card).to_contain_text("公示中")
    expect(card).to_contain_text("暂无")  # no objection yet
    shot(public, "76-notices-index")
    public.get_by_role("link", name=CALL_TITLE).click()
    public.wait_for_url(f"**/notices/{call_id}")
    listed = public.get_by_role("table", name=re.compile("拟立项名单"))
    expect(listed).to_contain_text(PROJECTS[1])
    expect(listed).to_contain_text("¥36,000.00")
    expect(public.get_by_text(re.compile(r"剩余 \d 个工作日"))).to_be_visible()
    expect(public.get_by_text("孙丽萍")).to_be_visible()  # the panel's chair, named publicly
    _object(public, f"2. {PROJECTS[1]}（{_org_of(live_server, ids[1])}）",
            "听说该项目负责人与评审专家的亲属同在一家单位任理事，评审是否回避？请核实。")
    _object(public, f"1. {PROJECTS[0]}（{ORG}）",
            "该中心上一期助餐项目似乎没有按期结项，请核实后再决定是否立项。")
    objections = public.locator("#objections")
    expect(objections.get_by_text(OBJECTOR)).to_have_count(2)
    expect(objections.get_by_text("待答复", exact=True)).to_have_count(2)
    assert OBJECTOR_PHONE not in public.content()  # contacts stay private
    public.locator("#objections").scroll_into_view_if_needed()
    shot(public, "76-notice-public-objections")
    public.set_viewport_size({"width": 390, "height": 844})
    assert _no_horizontal_scroll(public)
    shot(public, "76-notice-public-mobile")
    public.set_viewport_size({"width": 1280, "height": 900})
    assert public.js_errors == []

    # 3. The officer answers: upheld on the second project, dismissed on the first -------------
    page.goto(f"/notices/{call_id}")
    expect(page.get_by_text(OBJECTOR_PHONE)).to_have_count(2)  # staff see the contact
    expect(page.get_by_text("还有 2 条异议尚未答复")).to_be_visible()
    expect(page.get_by_role("button", name="结束公示并立项")).to_be_disabled()
    cards = page.locator("#objections li.card")
    first = cards.filter(has_text="评审是否回避")
    first.get_by_label("异议成立").check()
    first.get_by_label("答复内容（公开）").fill(UPHELD)
    first.get_by_role("button", name="提交答复").click()
    expect(page.get_by_text(f"“{PROJECTS[1]}”的拟立项资格已取消")).to_be_visible()
    second = page.locator("#objections li.card").filter(has_text="没有按期结项")
    second.get_by_label("异议不成立").check()
    second.get_by_label("答复内容（公开）").fill(DISMISSED)
    second.get_by_role("button", name="提交答复").click()
    expect(page.get_by_text("已答复该异议（异议不成立）")).to_be_visible()
    expect(page.get_by_text("期满后才能结束公示")).to_be_visible()
    expect(page.get_by_role("button", name="结束公示并立项")).to_be_disabled()
    shot(page, "77-notice-officer-answered")
    assert _state(live_server, call_id, ids)[1] == ["recommended", "not_recommended", "not_recommended"]

    # The public sees both answers and the cancelled recommendation.
    public.reload()
    expect(public.get_by_text(UPHELD)).to_be_visible()
    expect(public.get_by_text(DISMISSED)).to_be_visible()
    expect(public.get_by_role("table", name=re.compile("拟立项名单")).get_by_text("异议成立，已取消")).to_be_visible()

    # 4. The period ends; the officer closes the notice and makes the award decision -----------
    _end_the_period(live_server, call_id)
    page.goto(f"/notices/{call_id}")
    expect(page.get_by_role("button", name="结束公示并立项")).to_be_enabled()
    page.get_by_role("button", name="结束公示并立项").click()
    page.wait_for_url(f"**/awards/calls/{call_id}")
    expect(page.get_by_text("1 个项目正式立项")).to_be_visible()
    status, statuses, awards = _state(live_server, call_id, ids)
    assert status == "awarded" and statuses == ["awarded", "rejected", "rejected"]
    assert awards == [(ids[0], 5_000_000)]
    assert page.js_errors == []

    # 5. The public award list ------------------------------------------------------------------------
    public.goto("/awards/")
    public.get_by_label("组织或项目名称").fill("银龄饭桌")
    public.get_by_role("button", name="搜索").click()
    table = public.get_by_role("table", name=re.compile("立项项目"))
    expect(table).to_contain_text(PROJECTS[0])
    expect(table).to_contain_text(ORG)
    expect(table).to_contain_text("¥50,000.00")
    expect(table).not_to_contain_text(PROJECTS[1])
    shot(public, "78-awards-public-list")
    public.set_viewport_size({"width": 390, "height": 844})
    assert _no_horizontal_scroll(public)
    expect(public.get_by_role("list", name=re.compile("立项项目"))).to_contain_text("¥50,000.00")
    shot(public, "78-awards-public-list-mobile")
    public.set_viewport_size({"width": 1280, "height": 900})

    # 6. The organization's owner downloads the award notice ----------------------------------------
    owner = _new_page(browser, live_server)
    _login(owner, OWNER)
    owner.goto(f"/awards/calls/{call_id}")
    expect(owner.get_by_text("评审组长")).to_be_visible()
    shot(owner, "79-awards-call-owner")
    with owner.expect_download() as info:
        owner.get_by_role("link", name=re.compile("立项通知书")).click()
    download = info.value
    assert download.suggested_filename.startswith("立项通知书-GY")
    pdf_path = tmp_path / "award.pdf"
    download.save_as(pdf_path)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True,
                                             text=True, check=True).stdout)
    assert f"{ORG}：" in text and "人民币伍万元整" in text and "¥50,000.00" in text and "（盖章）" in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf_path),
                    str(SCREENSHOTS / "79-award-notice-pdf")], check=True)
    assert owner.js_errors == []


def _org_of(app, application_id: int) -> str:
    from app.applications.models import Application
    from app.extensions import db

    with app.app_context():
        return db.session.get(Application, application_id).organization.name

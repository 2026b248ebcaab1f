"""Reviewer journey in Chromium (issue 4): a demo expert opens 我的评审任务, declares no
conflict on an application of a blind call, reads the redacted application, types scores
including a bad one and sees the message, saves, submits and sees the locked sheet.
Screenshots 65-… to 69-… (one at 390 px).

The journey builds its own blind call in review through the services an officer and the
applicants would use (publish, apply, screen, panel, assignment, advance), so it depends
neither on the demo's review rounds nor on the order of the other journeys.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import shot
from tests.browser.conftest import no_horizontal_scroll as _no_horizontal_scroll, sign_in as _login

pytestmark = pytest.mark.browser

PASSWORD = "gongyi-demo-2026"
REVIEWER = "reviewer@gongyi.demo"
CHAIR = "chair@gongyi.demo"
OFFICER = "district.officer@gongyi.demo"
CALL_TITLE = "2027年五华区社区服务创投（匿名评审）"
ORGS = ["昆明市五华区翠湖社区居家养老服务中心", "翠湖四点半课堂服务社"]


def _application_data(org, n: int, now) -> dict:
    start = (now + timedelta(days=40)).date()
    end = start + timedelta(days=300)
    return {
        "title": f"{org.name}社区陪伴计划",
        "summary": f"由{org.name}在翠湖社区开展的陪伴服务，负责人{org.contact_name}。",
        "leader_name": org.contact_name or "负责人", "leader_phone": org.contact_phone or "0871-65550000",
        "need": f"{org.name}前期走访发现，片区内独居老人和放学后无人看护的儿童较多，"
                f"联系人{org.contact_name}（电话 {org.contact_phone}）已与居委会对接。",
        "objectives": "一年内为120名服务对象提供每周两次陪伴服务，满意度达到90%以上。",
        "activities": "组建志愿者队伍，入户陪伴与集中活动相结合，每季度召开服务对象座谈会。",
        "sustainability": "培育居民骨干和志愿者队伍，项目结束后由社区接续运行。",
        "planned_beneficiaries": "120", "beneficiary_description": "社区内独居老人和困境儿童",
        "target_groups": ["elderly"], "community_ids": [org.home_community_id],
        "starts_on": start, "ends_on": end,
        "requested": str(30000 + 5000 * n), "matching": "0", "matching_source": "",
        "budget_lines": [
            {"head": "业务活动费", "item": "陪伴活动物料", "unit": "项", "quantity": 1,
             "unit_price": str(20000 + 5000 * n), "note": f"{org.name}统一采购"},
            {"head": "业务活动费", "item": "社工劳务", "unit": "项", "quantity": 1, "unit_price": "8000", "note": ""},
            {"head": "管理费用", "item": "项目管理", "unit": "项", "quantity": 1, "unit_price": "2000", "note": ""},
        ],
        "indicators": [{"name": "服务人次", "unit": "人次", "target": "2400", "measurement": "服务记录"}],
        "milestones": [{"due_on": start + timedelta(days=30), "title": "项目启动", "deliverable": "服务对象名册"}],
        "team": [{"name": org.contact_name or "负责人", "role": "项目负责人",
                  "qualification": f"{org.name}项目主管，社会工作师", "is_social_worker": True}],
        "declares_no_fixed_assets": True, "declares_no_cash_gifts": True, "declares_truthful": True,
    }


def _blind_call_in_review(app) -> tuple[int, list[int], list[str]]:
    """A blind call in review with two applications; the demo reviewer is assigned both.
    Returns (call id, the reviewer's assignment ids, identifying terms of the organizations)."""
    from app.applications import attachments as attachment_services
    from app.applications import screening as screening_services
    from app.applications import services as application_services
    from app.auth.models import User
    from app.calls import services as call_services
    from app.calls.models import CallKind, CallStatus
    from app.core import pdf
    from app.core.db import utcnow
    from app.extensions import db
    from app.funders.models import Funder
    from app.orgs.models import Organization
    from app.regions.models import Region
    from app.reviews import blind
    from app.reviews import panels as panel_services
    from app.reviews.models import Expert, PanelRole

    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@gongyi.demo")))}
        officer = users[OFFICER]
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
        now = utcnow()
        opens, deadline = now - timedelta(days=20), now - timedelta(days=5)
        call = call_services.create_call(officer, funder, {
            "kind": CallKind.VENTURE, "title": CALL_TITLE,
            "summary": "支持社区社会组织开展陪伴服务，匿名评审。", "description": "执行期一年。",
            "region_scope_id": wuhua.id, "budget": "200000", "min_award": "10000", "max_award": "60000",
            "management_cap_pct": 10, "matching_ratio_pct": 0, "required_attachments": ["项目预算明细表"],
            "reviewers_per_application": "2", "blind_review": True,
            "opens_at": opens, "deadline_at": deadline,
        })
        call_services.publish(officer, call, now=opens + timedelta(hours=1))
        applications, terms = [], []
        for n, name in enumerate(ORGS):
            org = db.session.scalar(select(Organization).where(Organization.name == name))
            when = deadline - timedelta(days=3 - n)
            application = application_services.create_draft(None, call, org, _application_data(org, n, when),
                                                            now=when - timedelta(days=1))
            content = pdf.build([pdf.para("项目预算明细表", "title"), pdf.para("业务活动费 25,000 元")], "预算")
            attachment_services.add_attachment(None, application, "项目预算明细表", io.BytesIO(content),
                                               filename=f"{org.name}-预算明细.pdf")
            application_services.submit(None, application, now=when)
            applications.append(application)
            terms += [org.name, org.contact_name, org.contact_phone]
        call_services.advance(officer, call, CallStatus.SCREENING, now=deadline + timedelta(hours=1))
        for application in applications:
            screening_services.screen(officer, application, "eligible", "材料齐全。", deadline + timedelta(days=1))
        for application in applications:
            blind.set_blind_safe(officer, application.attachments[0], True)
        panel_services.get_or_create_panel(officer, call)
        members = {}
        for email in (REVIEWER, CHAIR):
            expert = db.session.scalar(select(Expert).where(Expert.user_id == users[email].id))
            members[email] = panel_services.add_member(officer, call, expert)
        panel_services.set_chair(officer, members[CHAIR])
        assignments = [panel_services.add_assignment(officer, a, members[email])
                       for a in applications for email in (REVIEWER, CHAIR)]
        call_services.advance(officer, call, CallStatus.REVIEWING)
        db.session.commit()
        mine = [a.id for a in assignments if a.member_id == members[REVIEWER].id]
        assert members[CHAIR].role == PanelRole.CHAIR
        return call.id, mine, [t for t in terms if t and len(t) >= 2]


def _sheet(app, assignment_id: int):
    from app.extensions import db
    from app.reviews.models import ReviewAssignment

    with app.app_context():
        a = db.session.get(ReviewAssignment, assignment_id)
        sheet = a.sheet
        return a.status.value, (sheet.status.value, dict(sheet.points), sheet.comment) if sheet else None


def _assert_no_identity(page, terms: list[str], where: str) -> None:
    """No identifying term in the page — or, given a locator, in that part of the page (the
    live server's other calls, from the demo or other journeys, may legitimately name the
    same organization when they are not blind)."""
    html = page.content() if hasattr(page, "content") else page.inner_html()
    text = re.sub(r"\s+", "", html)
    for term in terms:
        assert re.sub(r"\s+", "", term) not in text, f"{term} shown on {where}"


def _officer_page(browser, app):
    """The program officer at another computer: own context and cookies."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  base_url=app.config["LIVE_URL"])
    return context.new_page()


def test_reviewer_declares_scores_and_submits(page, browser, live_server):
    call_id, assignment_ids, terms = _blind_call_in_review(live_server)
    first = assignment_ids[0]

    # 0. The officer's blind-safe marks (set through the service above) ------------------------
    officer = _officer_page(browser, live_server)
    _login(officer, OFFICER)
    officer.goto(f"/reviews/calls/{call_id}/blind-safe")
    expect(officer.get_by_role("heading", name="匿名评审附件")).to_be_visible()
    expect(officer.get_by_text("已标记 2 / 2 个附件")).to_be_visible()
    expect(officer.locator("input[name=safe]:checked")).to_have_count(2)
    shot(officer, "65-officer-blind-safe")
    officer.context.close()

    # 1. 我的评审任务 --------------------------------------------------------------------
    _login(page, REVIEWER)
    page.goto("/reviews/tasks")
    expect(page.get_by_role("heading", name="我的评审任务")).to_be_visible()
    card = page.locator("section", has=page.get_by_role("heading", name=CALL_TITLE))
    expect(card.get_by_text("匿名评审", exact=True)).to_be_visible()
    expect(card.get_by_text("已提交 0 / 2 项")).to_be_visible()
    expect(card.get_by_role("link", name="声明利益冲突")).to_have_count(2)
    _assert_no_identity(card, terms, "tasks")
    card.scroll_into_view_if_needed()
    shot(page, "65-reviewer-tasks")

    # 2. The declaration comes first: nothing of the application yet -----------------------
    card.get_by_role("link", name="声明利益冲突").first.click()
    page.wait_for_url(f"**/reviews/assignments/{first}")
    expect(page.get_by_role("heading", name="利益冲突声明")).to_be_visible()
    expect(page.get_by_text("评分表")).to_have_count(0)
    _assert_no_identity(page, terms, "declaration")
    shot(page, "66-reviewer-declaration")
    page.get_by_label("本人与该申报项目无利益冲突").check()
    page.get_by_role("button", name="提交声明").click()
    page.wait_for_url(f"**/reviews/assignments/{first}")
    expect(page.get_by_text("已声明与该项目无利益冲突")).to_be_visible()

    # 3. The redacted application ---------------------------------------------------------
    expect(page.get_by_role("heading", name="申报书内容")).to_be_visible()
    expect(page.get_by_text("本征集实行匿名评审")).to_be_visible()
    expect(page.get_by_role("link", name="附件 1：项目预算明细表.pdf")).to_be_visible()
    assert "■■■" in page.content()
    _assert_no_identity(page, terms, "application")
    shot(page, "67-reviewer-blind-application")

    # 4. Scores with a bad one: a message beside it, nothing saved --------------------------
    criteria = page.locator("input[data-score-input]")
    expect(criteria).to_have_count(6)
    maxima = [int(criteria.nth(i).get_attribute("max")) for i in range(6)]
    values = [m - 3 for m in maxima]
    values[0] = maxima[0] + 5          # more than the criterion allows
    for i, v in enumerate(values):
        criteria.nth(i).fill(str(v))
    total = page.locator("[data-score-total]")
    expect(total).to_have_text(str(sum(values[1:])))   # the live total leaves the bad one out
    expect(page.get_by_text("有分值不是 0 到满分之间的整数")).to_be_visible()
    page.get_by_label("评审意见").fill("需求调研扎实，活动设计与目标匹配；建议细化志愿者激励和风险预案。")
    page.get_by_role("button", name="暂存").click()
    expect(page.get_by_text(f"不能超过该项满分 {maxima[0]} 分。")).to_be_visible()
    expect(page.get_by_text("评分表有 1 处需要修改，未保存任何内容。")).to_be_visible()
    assert _sheet(live_server, first)[1] is None
    page.locator("#score").scroll_into_view_if_needed()
    shot(page, "68-reviewer-score-message", full_page=False)

    # 5. Fix it, save the draft, then submit -------------------------------------------------
    criteria.nth(0).fill(str(maxima[0] - 2))
    values[0] = maxima[0] - 2
    expect(total).to_have_text(str(sum(values)))
    page.get_by_role("button", name="暂存").click()
    expect(page.get_by_text(f"已暂存评分：已填 6 / 6 项，当前合计 {sum(values)} 分")).to_be_visible()
    status, sheet = _sheet(live_server, first)
    assert status == "accepted" and sheet[0] == "draft" and sum(sheet[1].values()) == sum(values)

    page.get_by_role("button", name="提交评分").click()
    expect(page.get_by_text("请勾选“我已核对全部评分，提交后不可修改”以确认提交。")).to_be_visible()
    page.get_by_label("我已核对全部评分，提交后不可修改").check()
    page.get_by_role("button", name="提交评分").click()
    expect(page.get_by_text(f"评分已提交（总分 {sum(values)} 分），评分表已锁定。")).to_be_visible()
    expect(page.get_by_text("已提交的评分已锁定，如需修改请联系评审组长。")).to_be_visible()
    expect(page.locator("input[data-score-input]")).to_have_count(0)
    assert _sheet(live_server, first)[1][0] == "submitted"
    page.locator("#score").scroll_into_view_if_needed()
    shot(page, "69-reviewer-locked-sheet", full_page=False)

    page.goto("/reviews/tasks")
    expect(card.get_by_text("已提交 1 / 2 项")).to_be_visible()
    expect(card.get_by_role("cell", name=f"{sum(values)} / 100", exact=True)).to_be_visible()

    # 6. The same at 390 px: no horizontal scrolling -----------------------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    assert _no_horizontal_scroll(page)
    shot(page, "65-reviewer-tasks-390", full_page=False)
    page.goto(f"/reviews/assignments/{first}")
    assert _no_horizontal_scroll(page)
    shot(page, "69-reviewer-locked-sheet-390")
    assert page.js_errors == []

"""Panel journey in Chromium (issue 4, officer side): the district officer opens the panel
page of a call in screening, draws five experts at random by field, names a chair,
assigns three reviewers per application automatically, sees the balanced loads (and the
one conflict skipped), and opens the draw record, which re-runs to the same result.
Screenshots 60-… to 64-….

The journey makes its own call with six eligible applications through the services (as
the officer and the applicants would), so it depends only on the demo's people,
organizations and expert pool.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "gongyi-demo-2026"
OFFICER = "district.officer@gongyi.demo"
CALL_TITLE = "2027年五华区“翠湖邻里”社区服务微创投"
ATTACHMENT_KIND = "项目预算明细表"
AFFILIATED = "liwanqing@gongyi.demo"     # adviser of the first applicant: excluded from the draw
ORGS = [
    ("翠湖社区邻里互助会", "楼栋邻里结对互助计划"),
    ("华山街道夕阳红志愿服务队", "银发义诊进楼栋"),
    ("翠湖四点半课堂服务社", "双职工家庭儿童暑期成长营"),
    ("翠湖社区残疾人康复互助站", "残障朋友社区康复同伴支持"),
    ("翠湖社区巾帼志愿服务队", "困难妇女就业微心愿"),
    ("翠湖社区心理健康关爱小组", "照护者喘息与心理支持"),
]
WANTED_FIELDS = ["社会工作", "养老服务", "社区治理"]


def _application_data(org, title: str, community_id: int, start) -> dict:
    return {
        "title": title,
        "summary": f"{org.name}面向翠湖社区居民开展的小型公益服务项目。",
        "leader_name": org.contact_name or "项目负责人", "leader_phone": org.contact_phone or "0871-65550000",
        "need": "社区居民对就近、持续的互助服务需求强烈，现有服务覆盖不足。",
        "objectives": "一年内服务社区居民 200 人次，建立一支 20 人的志愿者队伍。",
        "activities": "入户走访、每月主题活动、志愿者培训和结对服务。",
        "sustainability": "项目结束后由志愿者队伍和社区居委会接续。",
        "planned_beneficiaries": "200", "beneficiary_description": "翠湖社区居民",
        "target_groups": ["elderly"], "community_ids": [community_id],
        "starts_on": start, "ends_on": start + timedelta(days=364),
        "requested": "40000", "matching": "0",
        "budget_lines": [
            {"head": "业务活动费", "item": "服务活动与志愿者补贴", "unit": "次", "quantity": 120,
             "unit_price": "300", "note": ""},
            {"head": "管理费用", "item": "项目管理", "unit": "项", "quantity": 1, "unit_price": "4000", "note": ""},
        ],
        "indicators": [{"name": "服务人次", "unit": "人次", "target": "200", "measurement": "签到表"}],
        "milestones": [{"due_on": start + timedelta(days=30), "title": "项目启动", "deliverable": "服务名册"},
                       {"due_on": start + timedelta(days=350), "title": "结项", "deliverable": "结项报告"}],
        "team": [{"name": org.contact_name or "项目负责人", "role": "项目负责人",
                  "qualification": "社区工作 5 年", "is_social_worker": False}],
        "declares_no_fixed_assets": True, "declares_no_cash_gifts": True, "declares_truthful": True,
    }


def _call_in_screening(app) -> int:
    """A venture call of 昆明市五华区民政局 (k = 3) in screening with six eligible
    applications; 李婉清 is an adviser (顾问) of the first applicant."""
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
    from app.reviews import experts

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
        cuihu = db.session.scalar(select(Region).where(Region.code == "530102001001"))
        now = utcnow()
        call = call_services.create_call(officer, funder, {
            "kind": CallKind.VENTURE, "title": CALL_TITLE,
            "summary": "支持翠湖社区的社区社会组织开展邻里互助、助老助残和儿童关爱小型项目。",
            "region_scope_id": wuhua.id, "budget": "300000", "min_award": "10000", "max_award": "50000",
            "management_cap_pct": 10, "matching_ratio_pct": 0, "reviewers_per_application": 3,
            "required_attachments": [ATTACHMENT_KIND],
            "opens_at": now - timedelta(days=20), "deadline_at": now + timedelta(days=1),
        })
        call_services.publish(officer, call, now - timedelta(days=19))
        orgs = {o.name: o for o in db.session.scalars(
            select(Organization).where(Organization.name.in_([name for name, _t in ORGS])))}
        applications = []
        for i, (name, title) in enumerate(ORGS):
            when = now - timedelta(days=10 - i)
            application = application_services.create_draft(
                None, call, orgs[name], _application_data(orgs[name], title, cuihu.id, (now + timedelta(days=60)).date()),
                now=when)
            budget = pdf.build([pdf.para(f"{title} 预算明细表", "title")], "预算明细表")
            attachment_services.add_attachment(None, application, ATTACHMENT_KIND, io.BytesIO(budget),
                                               filename="预算明细表.pdf")
            application_services.submit(None, application, now=when + timedelta(hours=1))
            applications.append(application)
        # The adviser tie is declared before the draw, as an expert keeps their profile current.
        adviser = db.session.scalar(select(User).where(User.email == AFFILIATED))
        expert = experts.expert_of(adviser)
        experts.update_profile(adviser, expert, {
            "title": expert.title, "employer": expert.employer, "bio": expert.bio,
            "fields": [f.value for f in expert.fields],
            "affiliations": [{"name": ORGS[0][0], "relation": "顾问"}]})
        call.deadline_at = now - timedelta(minutes=1)  # the deadline passes
        call_services.advance(officer, call, CallStatus.SCREENING, now)
        for application in applications:
            screening_services.screen(officer, application, "eligible", "经复核，符合本次微创投的申报条件。", now)
        db.session.commit()
        return call.id


def _tie_after_the_draw(app, call_id: int) -> str:
    """The second drawn expert joins the sixth applicant's organization after the draw
    (a tie the assignment must skip); returns their name."""
    from app.calls.models import Call
    from app.extensions import db
    from app.orgs.models import MemberRole, Organization, OrgMembership
    from app.reviews import panels

    with app.app_context():
        panel = panels.panel_for(db.session.get(Call, call_id))
        member = sorted(panel.members, key=lambda m: m.id)[1]
        org = db.session.scalar(select(Organization).where(Organization.name == ORGS[5][0]))
        db.session.add(OrgMembership(user_id=member.expert.user_id, organization_id=org.id, role=MemberRole.MEMBER))
        db.session.commit()
        return member.expert.user.name


def _assignment_facts(app, call_id: int):
    """Loads per member, and whether any assignment is a conflict, from the database."""
    from app.calls.models import Call
    from app.extensions import db
    from app.reviews import panels

    with app.app_context():
        panel = panels.panel_for(db.session.get(Call, call_id))
        overview = panels.assignment_overview(panel)
        conflicted = [key for key in overview.cells if key in panels.conflict_pairs(panel)]
        return sorted(overview.loads.values()), conflicted, {a.id: n for a, n in overview.shortfalls}




def test_officer_draws_a_panel_names_a_chair_and_assigns(page, live_server):
    call_id = _call_in_screening(live_server)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, OFFICER, PASSWORD)

    # 60 — the empty panel page: what is missing before expert review, and the draw form.
    page.goto(f"/reviews/calls/{call_id}/panel")
    expect(page.get_by_role("heading", name="评审小组", exact=True)).to_be_visible()
    expect(page.get_by_text("尚未组建评审小组")).to_be_visible()
    expect(page.get_by_text("还没有评审专家")).to_be_visible()
    crumbs = page.locator("nav[aria-label='面包屑导航']")
    expect(crumbs).to_contain_text("工作台")
    expect(crumbs).to_contain_text("征集管理")
    expect(crumbs).to_contain_text(CALL_TITLE)
    page.get_by_label("抽取人数").fill("5")
    for name in WANTED_FIELDS:
        page.get_by_label(name, exact=True).check()
    shot(page, "60-panel-empty-draw-form")

    # 61 — draw five: they appear as members, marked as drawn.
    page.get_by_role("button", name="随机抽取").click()
    expect(page.get_by_text(re.compile(r"已从 \d+ 位符合条件的专家中随机抽取 5 位评审专家"))).to_be_visible()
    members = page.locator("#members table tbody tr")
    expect(members).to_have_count(5)
    expect(page.locator("#members").get_by_text("随机抽取 #")).to_have_count(5)
    expect(page.locator("#members table")).not_to_contain_text("李婉清")
    shot(page, "61-panel-drawn")

    tied = _tie_after_the_draw(live_server, call_id)

    # Name the first member chair.
    first = members.first.locator("th").inner_text()
    members.first.get_by_role("button", name=re.compile("设为组长")).click()
    expect(page.get_by_text(f"已将 {first} 设为评审组长。")).to_be_visible()
    expect(page.locator("#members table tbody tr").filter(has_text=first)).to_contain_text("评审组长")

    # 62 — automatic assignment, three reviewers per application, loads 4/4/4/3/3.
    page.get_by_role("button", name="自动分配（每份 3 位）").click()
    expect(page.get_by_text("已自动分配 18 项评审任务")).to_be_visible()
    expect(page.get_by_text("评审数量：最多 4 份，最少 3 份")).to_be_visible()
    expect(page.locator("#assignments .badge").filter(has_text="相差不超过 1")).to_be_visible()
    matrix = page.locator("table.assignment-matrix")
    expect(matrix.locator("tbody tr")).to_have_count(6)
    expect(matrix.get_by_text("回避", exact=True)).to_have_count(1)
    expect(matrix.get_by_text("待声明")).to_have_count(18)
    expect(page.get_by_text("评审小组已就绪")).to_be_visible()
    loads, conflicted, shortfalls = _assignment_facts(live_server, call_id)
    assert loads == [3, 3, 4, 4, 4] and conflicted == [] and shortfalls == {}
    assert tied
    page.locator("#assignments").scroll_into_view_if_needed()
    shot(page, "62-panel-assigned")

    # 63 — the draw record re-runs to the same result.
    page.locator("#members").get_by_role("link", name=re.compile("随机抽取 #")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"抽取记录 #\d+"))).to_be_visible()
    expect(page.get_by_text("复核：与记录一致")).to_be_visible()
    expect(page.get_by_text("李婉清")).to_be_visible()
    expect(page.get_by_text("与申报组织存在任职/顾问等关系")).to_be_visible()
    expect(page.locator("code")).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    expect(page.get_by_role("heading", name="抽中专家（按抽取顺序）")).to_be_visible()
    shot(page, "63-draw-record")

    # 64 — the panel page on a phone: no horizontal page scroll (the matrix scrolls inside).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/reviews/calls/{call_id}/panel")
    expect(page.get_by_role("heading", name="评审小组", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "64-panel-phone")
    assert page.js_errors == []

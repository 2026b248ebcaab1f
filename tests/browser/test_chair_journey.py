"""Chair journey in Chromium (issue 4): the panel's chair (评审组长) opens the matrix of a
blind call in review, sees a disagreement flagged, sends the disputed score back with a
reason, and — once the expert has resubmitted — finalizes the panel. The district officer
then sees the ranking, adjusts one amount with a reason (the recommendations are
recomputed) and downloads the panel summary as PDF, which is rendered and looked at.
Screenshots 70-… to 74-….

The journey builds its own call through the services an officer, the applicants and the
experts would use, so it depends neither on the demo's rounds nor on the other journeys.
"""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, shot
from tests.browser.conftest import new_page as _new_page, no_horizontal_scroll as _no_horizontal_scroll, sign_in as _login

pytestmark = pytest.mark.browser

PASSWORD = "gongyi-demo-2026"
CHAIR = "chair@gongyi.demo"
OFFICER = "district.officer@gongyi.demo"
EXPERTS = [CHAIR, "chenlihua@gongyi.demo", "liwanqing@gongyi.demo", "wangjianguo@gongyi.demo"]
CALL_TITLE = "2027年五华区“幸福邻里”社区服务创投（评审组长演示）"
# (organization, project, requested yuan, totals given by the chair, 陈立华, 李婉清, 王建国)
PROJECTS = [
    ("昆明市五华区翠湖社区居家养老服务中心", "银龄助餐与健康陪伴", 50_000, (88, 85, 90, 86)),
    ("翠湖社区邻里互助会", "楼栋互助与邻里议事", 40_000, (80, 40, 82, 78)),   # 陈立华's 40: disagreement
    ("华山街道夕阳红志愿服务队", "退休骨干便民服务站", 30_000, (75, 72, 70, 73)),
    ("翠湖四点半课堂服务社", "困境儿童四点半课堂", 20_000, (65, 60, 58, 62)),
]
REOPEN_REASON = "该项目得分 40 分明显低于其他专家，请对照评分标准复核“项目设计”和“可行性与团队”两项。"
ADJUST_REASON = "助餐点场地由社区无偿提供，场地租金 20,000 元不再列支。"


def _points(criteria, total: int) -> dict[str, str]:
    """Whole points per criterion adding up to `total` (proportional, the rest in order)."""
    out, left = {}, total
    for c in criteria:
        out[c.id] = min(c.max_points, total * c.max_points // 100)
        left -= out[c.id]
    for c in criteria:
        extra = min(c.max_points - out[c.id], left)
        out[c.id] += extra
        left -= extra
    assert left == 0
    return {str(k): str(v) for k, v in out.items()}


def _application_data(org, title: str, requested: int, now) -> dict:
    start = (now + timedelta(days=40)).date()
    return {
        "title": title, "summary": f"{title}：在翠湖片区开展的社区服务项目。",
        "leader_name": org.contact_name or "负责人", "leader_phone": org.contact_phone or "0871-65550000",
        "need": "片区内独居老人、困境儿童和双职工家庭较多，社区服务供给不足。",
        "objectives": "一年内为100名服务对象提供稳定服务，满意度达到90%以上。",
        "activities": "入户服务与集中活动相结合，每季度召开服务对象座谈会。",
        "sustainability": "培育居民骨干和志愿者队伍，项目结束后由社区接续运行。",
        "planned_beneficiaries": "100", "beneficiary_description": "社区内有需要的居民",
        "target_groups": ["elderly"], "community_ids": [org.home_community_id],
        "starts_on": start, "ends_on": start + timedelta(days=300),
        "requested": str(requested), "matching": "0", "matching_source": "",
        "budget_lines": [
            {"head": "业务活动费", "item": "服务活动", "unit": "项", "quantity": 1,
             "unit_price": str(requested - requested // 10), "note": ""},
            {"head": "管理费用", "item": "项目管理", "unit": "项", "quantity": 1, "unit_price": str(requested // 10),
             "note": ""},
        ],
        "indicators": [{"name": "服务人次", "unit": "人次", "target": "2000", "measurement": "服务记录"}],
        "milestones": [{"due_on": start + timedelta(days=30), "title": "项目启动", "deliverable": "服务对象名册"}],
        "team": [{"name": org.contact_name or "负责人", "role": "项目负责人", "qualification": "社会工作师",
                  "is_social_worker": True}],
        "declares_no_fixed_assets": True, "declares_no_cash_gifts": True, "declares_truthful": True,
    }


def _call_in_review(app) -> dict:
    """A blind call in review: four applications, a panel of four (the demo chair and three
    demo experts), each expert assigned every application, all sheets submitted."""
    from app.applications import screening as screening_services
    from app.applications import services as application_services
    from app.auth.models import User
    from app.calls import services as call_services
    from app.calls.models import CallKind, CallStatus
    from app.core.db import utcnow
    from app.extensions import db
    from app.funders.models import Funder
    from app.orgs.models import Organization
    from app.regions.models import Region
    from app.reviews import panels as panel_services
    from app.reviews import scoring
    from app.reviews.models import Expert

    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@gongyi.demo")))}
        officer = users[OFFICER]
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        assert any(m.funder_id == funder.id for m in officer.staff_memberships)
        wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
        now = utcnow()
        opens, deadline = now - timedelta(days=25), now - timedelta(days=6)
        call = call_services.create_call(officer, funder, {
            "kind": CallKind.VENTURE, "title": CALL_TITLE,
            "summary": "支持翠湖片区社会组织开展邻里服务，匿名评审，每个项目资助1万至5万元。",
            "description": "执行期一年。", "region_scope_id": wuhua.id,
            "budget": "120000", "min_award": "10000", "max_award": "50000",
            "management_cap_pct": 10, "matching_ratio_pct": 0, "required_attachments": [],
            "reviewers_per_application": "4", "blind_review": True,
            "opens_at": opens, "deadline_at": deadline,
        })
        call_services.publish(officer, call, now=opens + timedelta(hours=1))
        applications = []
        for n, (org_name, title, requested, _totals) in enumerate(PROJECTS):
            org = db.session.scalar(select(Organization).where(Organization.name == org_name))
            when = deadline - timedelta(days=4 - n)
            application = application_services.create_draft(None, call, org, _application_data(org, title, requested, when),
                                                            now=when - timedelta(days=1))
            application_services.submit(None, application, now=when)
            applications.append(application)
        call_services.advance(officer, call, CallStatus.SCREENING, now=deadline + timedelta(hours=1))
        for application in applications:
            screening_services.screen(officer, application, "eligible", "材料齐全，符合申报条件。",
                                      deadline + timedelta(days=1))
        members = []
        for email in EXPERTS:
            expert = db.session.scalar(select(Expert).where(Expert.user_id == users[email].id))
            members.append(panel_services.add_member(officer, call, expert))
        panel_services.set_chair(officer, members[0])
        assignments = {(i, j): panel_services.add_assignment(officer, a, m)
                       for i, a in enumerate(applications) for j, m in enumerate(members)}
        call_services.advance(officer, call, CallStatus.REVIEWING)
        criteria = list(call.criteria)
        for (i, j), assignment in assignments.items():
            user = users[EXPERTS[j]]
            scoring.declare(user, assignment, False, None)
            scoring.submit_sheet(user, assignment, _points(criteria, PROJECTS[i][3][j]), "评分意见：材料完整，目标清楚。")
        db.session.commit()
        return {"call": call.id, "apps": [a.id for a in applications], "panel": members[0].panel_id,
                "disputed": assignments[(1, 1)].id, "orgs": [p[0] for p in PROJECTS]}


def _resubmit(app, assignment_id: int, total: int) -> None:
    """陈立华 corrects the reopened sheet through the reviewer workspace's service."""
    from app.auth.models import User
    from app.extensions import db
    from app.reviews import scoring
    from app.reviews.models import ReviewAssignment

    with app.app_context():
        assignment = db.session.get(ReviewAssignment, assignment_id)
        assert assignment.sheet.status.value == "draft" and assignment.sheet.reopen_count == 1
        assert assignment.sheet.reopen_reason == REOPEN_REASON
        user = db.session.scalar(select(User).where(User.email == EXPERTS[1]))
        scoring.submit_sheet(user, assignment, _points(list(assignment.application.call.criteria), total),
                             "已复核：项目设计合理，原评分偏低，改为 76 分。")
        db.session.commit()


def _outcomes(app, call_id: int) -> list[tuple]:
    from app.extensions import db
    from app.reviews.models import ReviewOutcome

    with app.app_context():
        return [(o.application_id, o.rank, str(o.final_score), o.recommended, o.amount_fen, o.adjusted_fen)
                for o in db.session.scalars(select(ReviewOutcome).where(ReviewOutcome.call_id == call_id)
                                            .order_by(ReviewOutcome.rank))]


def test_chair_reopens_finalizes_and_officer_adjusts(page, browser, live_server, tmp_path):
    data = _call_in_review(live_server)
    call_id, apps = data["call"], data["apps"]
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The chair finds the workspace from 我的评审任务 ------------------------------------
    _login(page, CHAIR)
    page.goto("/reviews/tasks")
    card = page.locator("section", has=page.get_by_role("heading", name=CALL_TITLE))
    card.get_by_role("link", name="评审组长工作台").click()
    page.wait_for_url(f"**/reviews/calls/{call_id}/chair")
    expect(page.get_by_role("heading", name="评审组长工作台")).to_be_visible()
    expect(page.get_by_text("全部评分：已提交 16 / 16 份（100%）")).to_be_visible()
    disputed = page.locator(f"#row-{apps[1]}")
    expect(disputed).to_have_class(re.compile("is-disagreement"))
    expect(disputed.get_by_text("标准差 17.38 分，超过阈值 15 分")).to_be_visible()
    expect(disputed.get_by_role("rowheader")).to_contain_text(f"GY-{apps[1]:05d} 楼栋互助与邻里议事")
    html = re.sub(r"\s+", "", page.content())
    assert all(re.sub(r"\s+", "", org) not in html for org in data["orgs"]), "an organization shown to the chair"
    expect(page.get_by_role("button", name="结束评审")).to_be_enabled()
    shot(page, "70-chair-matrix")

    # The matrix at phone width: it scrolls inside its frame, the page does not.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert _no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()

    # 2. The disputed score goes back to 陈立华 with a reason ------------------------------
    cell = page.locator(f"#row-{apps[1]} details").filter(has_text="陈立华")
    cell.locator("summary").click()
    cell.get_by_role("button", name="退回该评分").click()            # no reason: refused
    page.wait_for_load_state()
    expect(page.get_by_role("alert").filter(has_text="请填写退回理由")).to_be_visible()
    cell = page.locator(f"#row-{apps[1]} details").filter(has_text="陈立华")
    cell.get_by_label("退回理由（专家会看到）").fill(REOPEN_REASON)
    cell.evaluate("el => el.scrollIntoView({block: 'center', behavior: 'instant'})")
    shot(page, "71-chair-reopen-form", full_page=False)
    cell.get_by_role("button", name="退回该评分").click()
    page.wait_for_url(re.compile(rf".*/reviews/calls/{call_id}/chair"))
    expect(page.get_by_text("已将 陈立华 的评分退回修改，理由已记录。")).to_be_visible()
    expect(page.locator(f"#row-{apps[1]}").get_by_text("已退回，待重新提交")).to_be_visible()
    expect(page.get_by_role("button", name="结束评审")).to_be_disabled()
    expect(page.get_by_text("还不能结束评审：还有 1 份评分未提交（涉及 1 个项目）。")).to_be_visible()

    # 3. 陈立华 resubmits (76); the chair finalizes ---------------------------------------
    _resubmit(live_server, data["disputed"], 76)
    page.reload()
    expect(page.get_by_text("全部评分：已提交 16 / 16 份（100%）")).to_be_visible()
    expect(page.locator(f"#row-{apps[1]}")).not_to_have_class(re.compile("is-disagreement"))
    expect(page.locator(f"#row-{apps[1]}").get_by_text("退回过 1 次")).to_be_visible()
    page.get_by_role("button", name="结束评审").click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile("评审已结束：4 个项目的最终得分和排名已生成"))).to_be_visible()
    expect(page.get_by_role("button", name="结束评审")).to_have_count(0)
    assert page.js_errors == []
    shot(page, "72-chair-finalized")
    # Means (four sheets each, so no trimming): 87.25, (80+76+82+78)/4 = 79.00, 72.50, 61.25;
    # budget ¥120,000 = ¥50,000 + ¥40,000 + ¥30,000, so the fourth (¥20,000) does not fit.
    outcomes = _outcomes(live_server, call_id)
    assert [(o[0], o[1], o[2], o[3]) for o in outcomes] == [
        (apps[0], 1, "87.25", True), (apps[1], 2, "79.00", True), (apps[2], 3, "72.50", True),
        (apps[3], 4, "61.25", False)]

    # 4. The district officer reads the ranking and adjusts one amount --------------------
    officer = _new_page(browser, live_server)
    try:
        officer.on("dialog", lambda dialog: dialog.accept())
        _login(officer, OFFICER)
        officer.goto(f"/reviews/calls/{call_id}/results")
        expect(officer.get_by_role("heading", name="评审结果与推荐名单")).to_be_visible()
        first = officer.get_by_role("row").filter(has_text="银龄助餐与健康陪伴")
        expect(first).to_contain_text("87.25")
        expect(first).to_contain_text(PROJECTS[0][0])
        fourth = officer.get_by_role("row").filter(has_text="困境儿童四点半课堂")
        expect(fourth).to_contain_text("剩余预算不足：需 ¥20,000.00，剩余 ¥0.00")
        first.locator("summary").filter(has_text="调整金额").click()
        first.get_by_label("调整后的金额（元）").fill("60000")
        first.get_by_label("调整理由").fill(ADJUST_REASON)
        first.get_by_role("button", name="保存调整并重新计算").click()
        officer.wait_for_load_state()
        expect(officer.get_by_role("alert").filter(has_text="调整后的金额不能超过申请金额 ¥50,000.00")).to_be_visible()
        first = officer.get_by_role("row").filter(has_text="银龄助餐与健康陪伴")
        first.get_by_label("调整后的金额（元）").fill("30000")
        first.get_by_role("button", name="保存调整并重新计算").click()
        officer.wait_for_url(re.compile(rf".*/reviews/calls/{call_id}/results"))
        expect(officer.get_by_text("已将“银龄助餐与健康陪伴”的资助金额调整为 ¥30,000.00")).to_be_visible()
        fourth = officer.get_by_role("row").filter(has_text="困境儿童四点半课堂")
        expect(fourth).to_contain_text("按排名在预算内推荐")
        expect(officer.get_by_text("¥120,000.00").first).to_be_visible()
        assert [o[3] for o in _outcomes(live_server, call_id)] == [True, True, True, True]
        assert _outcomes(live_server, call_id)[0][5] == 3_000_000
        assert officer.js_errors == []
        shot(officer, "73-officer-results-adjusted")

        # At phone width the ranking scrolls inside its frame.
        officer.set_viewport_size({"width": 390, "height": 844})
        officer.reload()
        assert _no_horizontal_scroll(officer)
        officer.set_viewport_size({"width": 1280, "height": 900})

        # 5. The panel summary as PDF, rendered and looked at -----------------------------
        officer.goto(f"/reviews/calls/{call_id}/chair")
        with officer.expect_download() as info:
            officer.get_by_role("link", name="评审汇总表（PDF）").click()
        download = info.value
        assert download.suggested_filename.startswith("评审汇总表") and download.suggested_filename.endswith(".pdf")
        pdf_path = tmp_path / "summary.pdf"
        download.save_as(pdf_path)
        text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True,
                                                 check=True).stdout.decode())
        for phrase in ("评审汇总表", "87.25", "79.00", "¥30,000.00", "评审组长（签名）", PROJECTS[0][0]):
            assert re.sub(r"\s+", "", phrase) in text, phrase
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
                        str(SCREENSHOTS / "74-summary-pdf")], check=True)
        assert (SCREENSHOTS / "74-summary-pdf.png").stat().st_size > 10_000
    finally:
        officer.context.close()

"""Application journey in Chromium (issue 3): the applicant fills and submits a proposal
with budget lines and indicators, the district officer returns it for correction, the
applicant resubmits, the officer compares the versions, downloads the PDF, moves the call
to screening and screens the application eligible. Screenshots 30-… to 49-… at each step.

The journey opens its own call (through the calls services, as an officer would), so it
does not depend on the demo data's applications or on the order of the other journeys.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import shot
from tests.browser.conftest import new_page as _new_page, no_horizontal_scroll as _no_horizontal_scroll, sign_in as _login

pytestmark = pytest.mark.browser

PASSWORD = "gongyi-demo-2026"
APPLICANT = "applicant@gongyi.demo"
OFFICER = "district.officer@gongyi.demo"
ORG = "昆明市五华区翠湖社区居家养老服务中心"
CALL_TITLE = "2027年五华区“邻里守望”社区微创投"
PROJECT = "翠湖社区“银龄饭桌”助餐陪伴项目"
ATTACHMENT_KIND = "项目预算明细表"
RETURN_REASON = "预算第 2 行的探访交通补贴人次与活动安排（每周两次、40 户）不一致，请核对后修改。"


# --- setup and helpers -------------------------------------------------------------------

def _open_call(app) -> int:
    """An open venture call of 昆明市五华区民政局 over 五华区, deadline three days ahead."""
    from app.auth.models import User
    from app.calls import services as call_services
    from app.calls.models import CallKind
    from app.core.db import utcnow
    from app.extensions import db
    from app.funders.models import Funder
    from app.regions.models import Region

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        funder = db.session.scalar(select(Funder).where(Funder.name == "昆明市五华区民政局"))
        wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
        now = utcnow()
        call = call_services.create_call(officer, funder, {
            "kind": CallKind.VENTURE, "title": CALL_TITLE,
            "summary": "支持社区社会组织开展助老、助餐和邻里互助的小型公益项目，每个项目资助1万至5万元。",
            "description": "申报主体：在五华区登记或备案的社区社会组织。\n执行期：一年。",
            "region_scope_id": wuhua.id,
            "budget": "300000", "min_award": "10000", "max_award": "50000",
            "management_cap_pct": 10, "matching_ratio_pct": 0,
            "required_attachments": [ATTACHMENT_KIND],
            "opens_at": now - timedelta(days=1), "deadline_at": now + timedelta(days=3),
        })
        call_services.publish(officer, call, now)
        db.session.commit()
        return call.id


def _application(app, call_id: int):
    """(status, title, budget lines, requested fen) of the applicant's application in the call."""
    from app.applications.models import Application
    from app.extensions import db

    with app.app_context():
        a = db.session.scalar(select(Application).where(Application.call_id == call_id))
        if a is None:
            return None
        return (a.status.value, a.title, [(b.item, b.quantity, b.unit_price_fen) for b in a.budget_lines],
                a.requested_fen)


def _pass_the_deadline(app, call_id: int) -> None:
    # Simulates the deadline passing: the call's deadline is moved one minute into the past
    # (a direct update; the services refuse to change the rules of a published call).
    from app.calls.models import Call
    from app.core.db import utcnow
    from app.extensions import db

    with app.app_context():
        call = db.session.get(Call, call_id)
        call.deadline_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


def _section(page, title: str):
    """A numbered section of the proposal form, found by its heading ("7预算")."""
    heading = page.get_by_role("heading", name=re.compile(rf"^\s*\d+\s*{title}\s*$"))
    return page.locator("section", has=heading)


def _cell(section, row_name: str, column: str):
    """An input of a repeated row by its accessible name: "预算第 2 行 单价（元）"."""
    return section.get_by_label(f"{row_name} {column}", exact=True)


def _fill_budget_row(section, n: int, head: str, item: str, unit: str, qty: str, price: str) -> None:
    row = f"预算第 {n} 行"
    _cell(section, row, "科目").select_option(head)
    _cell(section, row, "支出内容").fill(item)
    _cell(section, row, "单位").fill(unit)
    _cell(section, row, "数量").fill(qty)
    _cell(section, row, "单价（元）").fill(price)


def _output(section, name: str):
    """A live total of the budget (an <output>, role status) by its label."""
    return section.get_by_role("status", name=name, exact=True)


def _center(locator) -> None:
    """Scroll so the element is mid-screen (not under the sticky 保存 bar) for a viewport shot."""
    locator.evaluate("el => el.scrollIntoView({block: 'center', behavior: 'instant'})")


def _pdf_bytes(app) -> bytes:
    from app.core import pdf

    with app.app_context():
        story = [pdf.para("项目预算明细表", "title"), pdf.para(ORG, "subtitle"), pdf.spacer(6),
                 pdf.table([["科目", "支出内容", "金额（元）"],
                            ["业务活动费", "助餐食材补贴", "20,000.00"],
                            ["业务活动费", "志愿者陪伴探访交通补贴", "4,500.00"],
                            ["业务活动费", "志愿者培训", "2,000.00"],
                            ["管理费用", "项目管理与财务审计", "2,800.00"]])]
        return pdf.build(story, "项目预算明细表")


# --- the journey -------------------------------------------------------------------------

def test_apply_return_resubmit_screen(page, browser, live_server, tmp_path):
    call_id = _open_call(live_server)
    today = date.today()
    starts, ends = today + timedelta(days=60), today + timedelta(days=60 + 300)
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The applicant finds the call and starts an application ---------------------------
    _login(page, APPLICANT)
    expect(page.get_by_role("heading", name="正在征集")).to_be_visible()
    page.get_by_role("link", name=CALL_TITLE).first.click()
    page.wait_for_url(f"**/calls/{call_id}")
    expect(page.get_by_role("heading", name=CALL_TITLE)).to_be_visible()
    shot(page, "30-apply-call-page")
    page.get_by_role("link", name="我要申报").click()
    page.wait_for_url(re.compile(r".*/applications/new\?call=\d+$"))
    page.get_by_label("申报组织").select_option(label=ORG)
    shot(page, "31-apply-new")
    page.get_by_role("button", name="创建申报书草稿").click()
    page.wait_for_url(re.compile(r".*/applications/\d+/edit$"))
    application_id = int(re.search(r"/applications/(\d+)/edit", page.url).group(1))
    expect(page.get_by_text("已为“" + ORG + "”创建申报书草稿")).to_be_visible()

    # The whole proposal, through the real form.
    page.get_by_label("项目名称", exact=True).fill(PROJECT)
    page.get_by_label("项目简介").fill("在翠湖社区设立邻里助餐点，为独居和高龄老人提供午餐、送餐和每周陪伴探访。")
    page.get_by_label("项目负责人").fill("杨春梅")
    page.get_by_label("负责人电话").fill("13698745120")
    page.get_by_label("服务对象的现状、问题与需求").fill(
        "翠湖社区60岁以上老人1,860人，其中独居老人214人。2026年入户调查显示，43%的独居老人午餐依靠剩饭或方便食品。")
    page.get_by_label("项目目标").fill("一年内为80名独居、高龄老人提供稳定的午餐和每周两次陪伴探访。")
    page.get_by_label("主要内容与活动").fill("1. 邻里助餐点每周五天供餐；2. 低龄志愿者送餐上门；3. 每周两次陪伴探访。")
    page.get_by_label("可持续性").fill("与社区食堂和辖区企业签订长期合作协议，项目结束后按成本价继续供餐。")
    page.get_by_label("老年人", exact=True).check()
    page.get_by_label("计划受益人数").fill("80")
    page.get_by_label("受益人说明").fill("直接受益独居、高龄老人80人，间接受益家属约200人。")
    page.get_by_label("翠湖社区", exact=True).check()
    page.get_by_label("开始日期").fill(starts.isoformat())
    page.get_by_label("结束日期").fill(ends.isoformat())

    budget = _section(page, "预算")
    _fill_budget_row(budget, 1, "业务活动费", "助餐食材补贴", "人次", "2000", "10")
    _fill_budget_row(budget, 2, "业务活动费", "志愿者陪伴探访交通补贴", "人次", "300", "15")
    _fill_budget_row(budget, 3, "管理费用", "项目管理与财务审计", "项", "1", "6000")
    rows_before = budget.get_by_label("科目").count()
    budget.get_by_role("button", name=re.compile("添加一行预算")).click()
    assert budget.get_by_label("科目").count() == rows_before + 1
    # The fourth line goes into the added row, its price typed with a full-width IME.
    _fill_budget_row(budget, 4, "业务活动费", "志愿者培训", "场", "4", "１２３")
    expect(_output(budget, "预算第 4 行 金额")).to_have_text("请检查数量和单价")
    expect(_output(budget, "预算合计")).to_have_text("—")
    page.get_by_label("申请资助金额（元）").fill("29300")
    page.get_by_label("配套资金（元）").fill("0")

    indicators = _section(page, "成效指标")
    _cell(indicators, "成效指标第 1 行", "指标名称").fill("受助老人人数")
    _cell(indicators, "成效指标第 1 行", "单位").fill("人")
    _cell(indicators, "成效指标第 1 行", "目标值").fill("80")
    _cell(indicators, "成效指标第 1 行", "测量方式").fill("助餐登记表与签到记录")
    _cell(indicators, "成效指标第 2 行", "指标名称").fill("服务满意度")
    _cell(indicators, "成效指标第 2 行", "单位").fill("%")
    _cell(indicators, "成效指标第 2 行", "目标值").fill("90")
    _cell(indicators, "成效指标第 2 行", "测量方式").fill("年末第三方问卷调查")
    milestones = _section(page, "实施进度")
    _cell(milestones, "实施进度第 1 行", "完成日期").fill((starts + timedelta(days=30)).isoformat())
    _cell(milestones, "实施进度第 1 行", "阶段任务").fill("助餐点开张，首批40名老人登记用餐")
    _cell(milestones, "实施进度第 1 行", "成果 / 交付物").fill("助餐登记表、开张活动照片")
    team = _section(page, "项目团队")
    _cell(team, "项目团队第 1 行", "姓名").fill("杨春梅")
    _cell(team, "项目团队第 1 行", "项目职务").fill("项目负责人")
    _cell(team, "项目团队第 1 行", "资质与经验").fill("从事社区养老服务8年，中级社会工作师")
    _cell(team, "项目团队第 1 行", "持证社工").check()
    page.get_by_label("项目资金不用于购置固定资产").check()
    page.get_by_label("项目资金不用于向服务对象发放现金或礼品").check()
    page.get_by_label("本申报书所填内容真实、准确").check()

    # Bad input: a full-width unit price is refused with a clear message, nothing is saved.
    page.get_by_role("button", name="保存草稿").last.click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile("预算第 4 行：单价：金额请使用半角数字"))).to_be_visible()
    # The input the message is about is marked (and described by the message).
    expect(_cell(_section(page, "预算"), "预算第 4 行", "单价（元）")).to_have_attribute("aria-invalid", "true")
    status, title, lines, requested = _application(live_server, call_id)
    assert (status, title, lines, requested) == ("draft", "", [], 0)
    shot(page, "32-edit-bad-unit-price")

    # The form kept what was typed; fix the price and watch the live totals.
    budget = _section(page, "预算")
    assert _cell(budget, "预算第 4 行", "单价（元）").input_value() == "１２３"
    _cell(budget, "预算第 4 行", "单价（元）").fill("500")
    total = _output(budget, "预算合计")
    share = _output(budget, "管理费用占比")
    expect(total).to_have_text("¥32,500.00")
    expect(share).to_have_text("18.5%（超过上限）")
    expect(share).to_have_class(re.compile("text-danger"))
    expect(budget.get_by_text(re.compile("✗ 预算合计 ¥32,500.00.*相差 ¥3,200.00"))).to_be_visible()
    _center(share)
    shot(page, "33-edit-management-over-cap", full_page=False)
    _cell(budget, "预算第 3 行", "单价（元）").fill("2800")
    expect(total).to_have_text("¥29,300.00")
    expect(share).to_have_text("9.6%")
    expect(share).not_to_have_class(re.compile("text-danger"))
    expect(budget.get_by_text(re.compile("✓ 预算合计 ¥29,300.00.*一致"))).to_be_visible()
    expect(_output(budget, "管理费用")).to_have_text("¥2,800.00")
    _center(share)
    shot(page, "34-edit-budget-ok", full_page=False)

    page.get_by_role("button", name="保存草稿").last.click()
    page.wait_for_url(re.compile(rf".*/applications/{application_id}/edit$"))
    expect(page.get_by_text("草稿已保存。")).to_be_visible()
    status, title, lines, requested = _application(live_server, call_id)
    assert title == PROJECT and requested == 2_930_000 and len(lines) == 4
    shot(page, "35-edit-saved")

    # The edit page at phone width: no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert _no_horizontal_scroll(page)
    expect(page.get_by_role("button", name=re.compile("目录"))).to_be_visible()
    shot(page, "36-edit-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The detail page: the checklist names what is missing (the required attachment).
    page.get_by_role("link", name="不保存，返回").click()
    page.wait_for_url(re.compile(rf".*/applications/{application_id}$"))
    expect(page.get_by_role("heading", name="完整性检查")).to_be_visible()
    expect(page.get_by_text(f"缺少必须提交的附件：{ATTACHMENT_KIND}。")).to_be_visible()
    expect(page.get_by_role("button", name="提交申报")).to_be_disabled()
    shot(page, "37-detail-checklist")

    # A file that lies about its type is refused; a real PDF is accepted.
    liar = tmp_path / "预算明细表.pdf"
    liar.write_bytes(b"<!doctype html><html><body><script>alert(1)</script></body></html>")
    page.get_by_label("附件类别").select_option(ATTACHMENT_KIND)
    page.get_by_label("选择文件").set_input_files(str(liar))
    page.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_load_state()
    # The message shows in the attachments section, where the page lands (#attachments).
    attachments = page.locator("section#attachments")
    expect(attachments.get_by_role("alert").filter(has_text="文件内容与扩展名不符")).to_be_in_viewport()
    expect(page.get_by_text("尚未上传附件。")).to_be_visible()
    shot(page, "38-attachment-lying-file-refused")
    real = tmp_path / "项目预算明细表.pdf"
    real.write_bytes(_pdf_bytes(live_server))
    page.get_by_label("附件类别").select_option(ATTACHMENT_KIND)
    page.get_by_label("选择文件").set_input_files(str(real))
    page.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_load_state()
    expect(attachments.get_by_text("附件“项目预算明细表.pdf”已上传。")).to_be_in_viewport()
    expect(page.get_by_role("link", name="项目预算明细表.pdf")).to_be_visible()
    expect(page.get_by_text(re.compile("必传附件已齐全"))).to_be_visible()
    shot(page, "39-attachment-uploaded")

    # Submit (the confirm dialog is accepted): locked, 已提交, on the timeline as version 1.
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile("申报书已提交（第 1 版）"))).to_be_visible()
    timeline = page.locator("section", has=page.get_by_role("heading", name="状态记录"))
    expect(timeline.get_by_text("已提交")).to_be_visible()
    expect(timeline.get_by_text("第 1 版")).to_be_visible()
    expect(page.get_by_role("link", name="编辑")).to_have_count(0)
    assert _application(live_server, call_id)[0] == "submitted"
    shot(page, "40-submitted")

    # 2. The district officer returns it for correction ----------------------------------
    officer = _new_page(browser, live_server)
    try:
        officer.on("dialog", lambda dialog: dialog.accept())
        _login(officer, OFFICER)
        expect(officer.get_by_role("link", name=re.compile(r"消息.*\d+ 条未读"))).to_be_visible()
        desk = officer.get_by_role("row").filter(has=officer.get_by_role("link", name=CALL_TITLE))
        expect(desk).to_contain_text("已提交")
        shot(officer, "41-officer-dashboard")
        desk.get_by_role("link", name="查看申报书").click()
        officer.wait_for_url(f"**/applications/call/{call_id}")
        officer.get_by_role("link", name=PROJECT, exact=True).click()
        officer.wait_for_url(re.compile(rf".*/applications/{application_id}$"))
        officer.get_by_label("退回原因（需要补正的内容）").fill(RETURN_REASON)
        shot(officer, "42-officer-return-form")
        officer.get_by_role("button", name="退回修改").click()
        officer.wait_for_load_state()
        expect(officer.get_by_text("已退回补正，申报组织会收到通知。")).to_be_visible()
        assert _application(live_server, call_id)[0] == "returned"

        # 3. The applicant sees the message, corrects the budget and resubmits -----------
        page.goto("/dashboard")
        inbox_link = page.get_by_role("link", name=re.compile(r"消息.*\d+ 条未读"))
        expect(inbox_link).to_be_visible()
        inbox_link.click()
        page.wait_for_url("**/notifications/")
        message = page.get_by_role("listitem").filter(has_text=f"申报书被退回修改：{PROJECT}")
        expect(message.get_by_text("未读", exact=True)).to_be_visible()
        expect(message.get_by_text(RETURN_REASON)).to_be_visible()
        shot(page, "43-applicant-inbox")
        message.get_by_role("button", name=re.compile("查看")).click()
        page.wait_for_url(re.compile(rf".*/applications/{application_id}$"))
        expect(page.get_by_role("heading", name="已退回补正")).to_be_visible()
        expect(page.get_by_text(RETURN_REASON).first).to_be_visible()
        page.get_by_role("link", name="编辑").click()
        page.wait_for_url(re.compile(rf".*/applications/{application_id}/edit$"))
        expect(page.get_by_text(RETURN_REASON)).to_be_visible()
        budget = _section(page, "预算")
        _cell(budget, "预算第 2 行", "数量").fill("320")
        expect(_output(budget, "预算合计")).to_have_text("¥29,600.00")
        page.get_by_label("申请资助金额（元）").fill("29600")
        expect(budget.get_by_text(re.compile("✓ 预算合计 ¥29,600.00"))).to_be_visible()
        page.get_by_role("button", name="保存并检查提交").click()
        page.wait_for_url(re.compile(rf".*/applications/{application_id}$"))
        shot(page, "44-applicant-corrected")
        page.get_by_role("button", name="重新提交").click()
        page.wait_for_load_state()
        expect(page.get_by_text(re.compile("申报书已提交（第 2 版）"))).to_be_visible()
        assert _application(live_server, call_id)[0] == "submitted"

        # The detail page at phone width.
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        assert _no_horizontal_scroll(page)
        shot(page, "45-detail-phone")
        page.set_viewport_size({"width": 1280, "height": 900})

        # 4. The officer compares the versions and downloads the PDF ---------------------
        officer.goto(f"/applications/{application_id}")
        officer.get_by_role("link", name="对比版本").click()
        officer.wait_for_url(re.compile(rf".*/applications/{application_id}/versions"))
        changed = officer.get_by_role("row", name=re.compile("预算第 2 行"))
        expect(changed).to_have_class(re.compile(r"\bchanged\b"))
        expect(changed).to_contain_text("300人次")
        expect(changed).to_contain_text("320人次")
        background = changed.locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)")
        expect(officer.get_by_role("row", name=re.compile("预算第 1 行"))).not_to_have_class(re.compile("changed"))
        shot(officer, "46-officer-versions")
        officer.goto(f"/applications/{application_id}")
        with officer.expect_download() as info:
            officer.get_by_role("link", name="下载申报书 PDF").click()
        download = info.value
        assert download.suggested_filename.endswith("-v2.pdf")
        with open(download.path(), "rb") as fh:
            assert fh.read(5) == b"%PDF-"

        # 5. Time passes: the deadline is over; the officer opens screening -------------
        _pass_the_deadline(live_server, call_id)
        officer.goto(f"/calls/{call_id}")
        officer.get_by_role("button", name="进入下一阶段：形式审查").click()
        officer.wait_for_load_state()
        expect(officer.get_by_text("征集已进入下一阶段。")).to_be_visible()
        officer.get_by_role("link", name="申报书列表").click()
        officer.get_by_role("link", name="批量形式审查").click()
        officer.wait_for_url(f"**/applications/call/{call_id}/screening")
        batch_row = officer.get_by_role("row").filter(has=officer.get_by_role("link", name=PROJECT, exact=True))
        expect(batch_row).to_contain_text("建议通过")
        expect(batch_row).to_contain_text("待审查")
        shot(officer, "47-officer-screening-batch")
        officer.get_by_role("link", name=PROJECT, exact=True).click()
        officer.wait_for_url(re.compile(rf".*/applications/{application_id}/screening$"))
        checks = officer.locator("section", has=officer.get_by_role("heading", name="自动检查")) \
            .get_by_role("listitem")
        assert checks.count() >= 8
        for text in checks.all_inner_texts():
            assert "未通过" not in text, text
        expect(officer.get_by_label("通过", exact=True)).to_be_checked()
        shot(officer, "48-officer-screening")
        officer.get_by_role("button", name="保存审查结论").click()
        officer.wait_for_url(f"**/applications/call/{call_id}/screening")
        expect(officer.get_by_text(f"已对“{PROJECT}”作出形式审查结论：通过。")).to_be_visible()
        assert _application(live_server, call_id)[0] == "eligible"

        # The applicant sees the result and the message.
        page.goto(f"/applications/{application_id}")
        expect(page.get_by_text("形式审查通过", exact=True).first).to_be_visible()
        expect(page.get_by_role("heading", name="形式审查结果")).to_be_visible()
        expect(page.get_by_text("形式审查已通过，等待专家评审")).to_be_visible()
        shot(page, "49-applicant-eligible")
        page.get_by_role("link", name=re.compile(r"消息.*\d+ 条未读")).click()
        page.wait_for_url("**/notifications/")
        result = page.get_by_role("listitem").filter(has_text=f"形式审查结果（通过）：{PROJECT}")
        expect(result.get_by_text("未读", exact=True)).to_be_visible()
        shot(page, "49-applicant-eligible-inbox")
        assert officer.js_errors == []
    finally:
        officer.context.close()
    assert page.js_errors == []

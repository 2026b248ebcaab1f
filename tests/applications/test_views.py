"""The application pages through the Flask client: who may use them, what they show, and
that bad input gives a clear message and writes nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.applications.models import Application, ApplicationStatus, ApplicationVersion, BudgetLine
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.extensions import db as _db
from app.funders.models import StaffRole
from app.regions.models import RegionLevel
from tests.conftest import login
from tests.factories import (add_member, make_application, make_call, make_funder, make_org, make_region,
                             make_staff, make_user)


@pytest.fixture
def w(db):
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    street = make_region(level=RegionLevel.STREET, parent=county, name="华山街道")
    cuihu = make_region(level=RegionLevel.COMMUNITY, parent=street, name="翠湖社区")
    other_comm = make_region(level=RegionLevel.COMMUNITY, name="别处社区")
    funder = make_funder(region=county, name="五华区民政局")
    owner = make_user(name="组织负责人")
    member = make_user(name="组织成员")
    org = make_org(community=cuihu, owner=owner, name="翠湖社区银龄互助服务社")
    add_member(org, member)
    outsider = make_user(name="别的组织负责人")
    other_org = make_org(community=other_comm, owner=outsider, name="别处志愿者协会")
    call = make_call(funder, status=CallStatus.OPEN, title="五华区社区助老公益创投")
    return {
        "county": county, "street": street, "cuihu": cuihu, "other_comm": other_comm, "funder": funder,
        "owner": owner, "member": member, "org": org, "outsider": outsider, "other_org": other_org,
        "call": call,
        "officer": make_staff(funder, StaffRole.PROGRAM_OFFICER, name="项目官员"),
        "finance": make_staff(funder, StaffRole.FINANCE_OFFICER),
        "auditor": make_staff(funder, StaffRole.AUDITOR),
        "officer_other": make_staff(make_funder(name="别处民政局"), StaffRole.PROGRAM_OFFICER),
        "nobody": make_user(name="没有组织的人"),
    }


def _count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def _audits():
    return _count(AuditEntry)


def _body(resp):
    return resp.get_data(as_text=True)


def _full_form(w, **overrides):
    """What the browser sends for a complete proposal (budget 50,000 = 50,000 requested)."""
    data = {
        "title": "翠湖社区长者助餐与陪伴", "summary": "为独居老人提供助餐和探访。",
        "leader_name": "李红", "leader_phone": "13800000001",
        "need": "社区独居老人 120 人，用餐困难。", "objectives": "一年助餐 5000 人次。",
        "activities": "助餐点运营、志愿者探访。", "sustainability": "由社区食堂接续。",
        "target_groups": ["elderly"], "planned_beneficiaries": "120",
        "beneficiary_description": "独居、空巢老人", "community_ids": [str(w["cuihu"].id)],
        "starts_on": (utcnow() + timedelta(days=40)).date().isoformat(),
        "ends_on": (utcnow() + timedelta(days=400)).date().isoformat(),
        "budget_lines-0-head": "业务活动费", "budget_lines-0-item": "助餐服务", "budget_lines-0-unit": "人次",
        "budget_lines-0-quantity": "5000", "budget_lines-0-unit_price": "9.00", "budget_lines-0-note": "",
        "budget_lines-1-head": "管理费用", "budget_lines-1-item": "项目管理", "budget_lines-1-unit": "项",
        "budget_lines-1-quantity": "1", "budget_lines-1-unit_price": "5000", "budget_lines-1-note": "",
        # A blank row, as the page shows under the filled ones (a head chosen, nothing typed).
        "budget_lines-2-head": "税费", "budget_lines-2-item": "", "budget_lines-2-unit": "",
        "budget_lines-2-quantity": "", "budget_lines-2-unit_price": "", "budget_lines-2-note": "",
        "requested": "50000", "matching": "", "matching_source": "",
        "indicators-0-name": "助餐服务人次", "indicators-0-unit": "人次", "indicators-0-target": "5000",
        "indicators-0-measurement": "签到表",
        "indicators-1-name": "", "indicators-1-unit": "", "indicators-1-target": "", "indicators-1-measurement": "",
        "milestones-0-due_on": (utcnow() + timedelta(days=90)).date().isoformat(),
        "milestones-0-title": "助餐点开放", "milestones-0-deliverable": "运营记录",
        "team-0-name": "李红", "team-0-role": "项目负责人", "team-0-qualification": "中级社工师",
        "team-0-is_social_worker": "y",
        "declares_no_fixed_assets": "y", "declares_no_cash_gifts": "y", "declares_truthful": "y",
    }
    data.update(overrides)
    return data


# --- 我的申报 ----------------------------------------------------------------------------

def test_mine_lists_only_my_organizations_applications_with_next_action(client, w):
    mine = make_application(w["call"], w["org"], title="翠湖助餐项目")
    make_application(w["call"], w["other_org"], title="别人的项目")
    login(client, w["member"])
    body = _body(client.get("/applications/"))
    assert "翠湖助餐项目" in body and "别人的项目" not in body
    assert "完善并提交" in body and "草稿" in body and "继续填写" in body
    assert f"/applications/{mine.id}" in body


def test_mine_search_and_filters(client, w):
    make_application(w["call"], w["org"], title="翠湖助餐项目")
    make_application(w["call"], w["org"], title="儿童四点半课堂", status=ApplicationStatus.SUBMITTED)
    second = make_org(community=w["cuihu"], owner=w["owner"], name="翠湖文体队")
    make_application(w["call"], second, title="广场舞培训")
    login(client, w["owner"])
    body = _body(client.get("/applications/?q=四点半"))
    assert "儿童四点半课堂" in body and "翠湖助餐项目" not in body
    body = _body(client.get("/applications/?status=submitted"))
    assert "儿童四点半课堂" in body and "翠湖助餐项目" not in body
    body = _body(client.get(f"/applications/?organization={second.id}"))
    assert "广场舞培训" in body and "翠湖助餐项目" not in body
    # Someone else's organization as a filter is ignored (no leak, no error).
    body = _body(client.get(f"/applications/?organization={w['other_org'].id}&status=bogus&page=-1"))
    assert "广场舞培训" in body and "翠湖助餐项目" in body
    body = _body(client.get("/applications/?q=没有这个"))
    assert "没有符合条件的申报书" in body


def test_mine_empty_states(client, w):
    login(client, w["nobody"])
    body = _body(client.get("/applications/"))
    assert "您还没有加入任何组织" in body and "/orgs/new" in body
    login(client, w["owner"])
    body = _body(client.get("/applications/"))
    assert "还没有申报书" in body and "/calls/?status=open" in body


def test_mine_needs_login(client, w):
    resp = client.get("/applications/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_mine_has_no_n_plus_one(client, w, count_queries):
    login(client, w["owner"])
    for i in range(2):
        make_application(w["call"], w["org"], title=f"项目{i}")
    with count_queries() as few:
        assert client.get("/applications/").status_code == 200
    for i in range(8):
        other_call = make_call(w["funder"], status=CallStatus.OPEN, title=f"另一个征集{i}")
        make_application(other_call, w["org"], title=f"更多项目{i}", status=ApplicationStatus.SUBMITTED)
    with count_queries() as many:
        body = _body(client.get("/applications/"))
    assert "更多项目7" in body
    assert many() == few()


# --- 我要申报 ----------------------------------------------------------------------------

def test_new_shows_only_my_organizations(client, w):
    login(client, w["owner"])
    body = _body(client.get(f"/applications/new?call={w['call'].id}"))
    assert "翠湖社区银龄互助服务社" in body and "别处志愿者协会" not in body
    assert "创建申报书草稿" in body and "征集规则" in body


def test_new_without_organization_links_to_create_one(client, w):
    login(client, w["nobody"])
    body = _body(client.get(f"/applications/new?call={w['call'].id}"))
    assert "您还没有加入任何社会组织" in body and "/orgs/new" in body
    assert "创建申报书草稿" not in body


def test_new_for_a_closed_call_says_so(client, w):
    closed = make_call(w["funder"], status=CallStatus.OPEN, opens_at=utcnow() - timedelta(days=30),
                       deadline_at=utcnow() - timedelta(seconds=1))
    login(client, w["owner"])
    body = _body(client.get(f"/applications/new?call={closed.id}"))
    assert "该征集现在不接受申报" in body and "创建申报书草稿" not in body
    resp = client.post(f"/applications/new?call={closed.id}", data={"organization_id": str(w["org"].id)})
    assert resp.status_code == 200 and "不接受申报" in _body(resp)
    assert _count(Application) == 0


def test_new_odd_call_arguments(client, w):
    login(client, w["owner"])
    resp = client.get("/applications/new")
    assert resp.status_code == 302 and "/calls/" in resp.headers["Location"]
    assert client.get("/applications/new?call=99999999").status_code == 404
    assert client.get("/applications/new?call=abc").status_code == 302
    draft_call = make_call(w["funder"], title="草稿征集")
    assert client.get(f"/applications/new?call={draft_call.id}").status_code == 404


def test_new_creates_a_draft_and_opens_the_form(client, w):
    login(client, w["member"])
    before = _audits()
    resp = client.post(f"/applications/new?call={w['call'].id}",
                       data={"organization_id": str(w["org"].id), "title": "翠湖长者食堂"})
    application = _db.session.scalars(select(Application)).one()
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/applications/{application.id}/edit")
    assert application.organization_id == w["org"].id and application.title == "翠湖长者食堂"
    assert application.status == ApplicationStatus.DRAFT
    assert _audits() > before


@pytest.mark.parametrize("org_key", ["other_org", "junk"])
def test_new_refuses_an_organization_the_user_does_not_belong_to(client, w, org_key):
    login(client, w["owner"])
    value = str(w["other_org"].id) if org_key == "other_org" else "1 OR 1=1"
    before = _audits()
    resp = client.post(f"/applications/new?call={w['call'].id}",
                       data={"organization_id": value, "status": "submitted", "title": "偷偷申报"})
    assert resp.status_code == 200 and "请从您所属的组织中选择" in _body(resp)
    assert _count(Application) == 0 and _audits() == before


def test_new_refuses_a_second_application_when_one_is_allowed(client, w):
    make_application(w["call"], w["org"])
    login(client, w["owner"])
    resp = client.post(f"/applications/new?call={w['call'].id}", data={"organization_id": str(w["org"].id)})
    assert resp.status_code == 200 and "最多可申报 1 份" in _body(resp)
    assert _count(Application) == 1


# --- the proposal form -------------------------------------------------------------------

def test_edit_page_has_every_section_the_rules_and_row_templates(client, w):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    body = _body(client.get(f"/applications/{application.id}/edit"))
    for label in ("基本信息", "需求分析", "项目设计", "服务对象与受益人", "服务社区", "项目周期", "预算",
                  "成效指标", "实施进度", "项目团队", "配套资金", "承诺"):
        assert label in body
    assert 'id="sec-budget"' in body and 'href="#sec-team"' in body
    # Saved rows come back, with blank rows under them and a template for "添加一行".
    assert 'value="助餐服务"' in body and 'name="budget_lines-2-item"' in body
    assert 'name="budget_lines-__INDEX__-item"' in body and "data-add-row" in body
    # The call's budget heads, its rules, and the community grouped under its street.
    assert '<option value="管理费用"' in body and "管理费用上限" in body and "华山街道" in body
    assert "翠湖社区" in body and "别处社区" not in body
    assert "js/application-form.js" in body and "<script>" not in body


@pytest.mark.parametrize("who", ["outsider", "officer", "finance", "nobody"])
def test_edit_is_for_the_organization_members_only(client, w, who):
    application = make_application(w["call"], w["org"])
    login(client, w[who])
    assert client.get(f"/applications/{application.id}/edit").status_code == 403
    assert client.post(f"/applications/{application.id}/edit", data=_full_form(w)).status_code == 403
    assert client.get("/applications/99999999/edit").status_code == 404


def test_edit_of_a_submitted_application_goes_back_to_the_detail(client, w):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.SUBMITTED)
    login(client, w["owner"])
    resp = client.get(f"/applications/{application.id}/edit")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/applications/{application.id}")
    before = application.title
    client.post(f"/applications/{application.id}/edit", data=_full_form(w, title="改了"))
    assert _db.session.get(Application, application.id).title == before
    assert "不能修改" in _body(client.get(f"/applications/{application.id}"))


def test_full_save_with_budget_lines_indicators_milestones_and_team(client, w):
    application = make_application(w["call"], w["org"], complete=False)
    login(client, w["member"])
    resp = client.post(f"/applications/{application.id}/edit", data=_full_form(w))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/applications/{application.id}/edit")
    a = _db.session.get(Application, application.id)
    assert a.title == "翠湖社区长者助餐与陪伴" and a.requested_fen == 5_000_000 and a.matching_fen == 0
    assert [(b.head, b.quantity, b.unit_price_fen) for b in a.budget_lines] == [
        ("业务活动费", 5000, 900), ("管理费用", 1, 500_000)]
    assert a.budget_total_fen == 5_000_000
    assert [(i.name, int(i.target)) for i in a.indicators] == [("助餐服务人次", 5000)]
    assert [m.title for m in a.milestones] == ["助餐点开放"]
    assert [(t.name, t.is_social_worker) for t in a.team] == [("李红", True)]
    assert [c.id for c in a.communities] == [w["cuihu"].id]
    assert [t.value for t in a.target_groups] == ["elderly"]
    assert a.declares_truthful and a.planned_beneficiaries == 120
    body = _body(client.get(f"/applications/{application.id}/edit"))
    assert "草稿已保存" in body and 'value="9.00"' in body and 'value="5000"' in body


def test_rows_added_by_the_page_script_are_saved_and_hidden_fields_ignored(client, w):
    application = make_application(w["call"], w["org"], complete=False)
    login(client, w["owner"])
    # "添加一行" numbers a new row after the highest index on the page; gaps are fine.
    extra = {"budget_lines-7-head": "税费", "budget_lines-7-item": "税费", "budget_lines-7-unit": "项",
             "budget_lines-7-quantity": "1", "budget_lines-7-unit_price": "100", "budget_lines-7-note": "",
             "status": "submitted", "organization_id": str(w["other_org"].id), "requested_fen": "1",
             "current_version": "5", "call_id": "1"}
    resp = client.post(f"/applications/{application.id}/edit", data=_full_form(w, **extra))
    assert resp.status_code == 302
    a = _db.session.get(Application, application.id)
    assert [b.head for b in a.budget_lines] == ["业务活动费", "管理费用", "税费"]
    assert a.status == ApplicationStatus.DRAFT and a.organization_id == w["org"].id
    assert a.requested_fen == 5_000_000 and a.current_version == 0 and a.call_id == w["call"].id


def test_save_then_check_goes_to_the_detail_page(client, w):
    application = make_application(w["call"], w["org"], complete=False)
    login(client, w["owner"])
    resp = client.post(f"/applications/{application.id}/edit", data=_full_form(w, then="detail"))
    assert resp.headers["Location"].endswith(f"/applications/{application.id}")


@pytest.mark.parametrize("amount,message", [
    ("-1", "不能为负数"), ("1e9", "金额格式不正确"), ("１２３", "半角数字"), ("1.234", "最多保留两位小数"),
    ("NaN", "金额格式不正确")])
def test_bad_requested_amount_gives_the_message_and_writes_nothing(client, w, amount, message):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    before = (_audits(), application.title, application.requested_fen, _count(BudgetLine))
    resp = client.post(f"/applications/{application.id}/edit", data=_full_form(w, requested=amount))
    body = _body(resp)
    assert resp.status_code == 200 and message in body
    assert 'id="requested-error"' in body and 'value="翠湖社区长者助餐与陪伴"' in body
    a = _db.session.get(Application, application.id)
    assert (_audits(), a.title, a.requested_fen, _count(BudgetLine)) == before


@pytest.mark.parametrize("price,message", [("-1", "不能为负数"), ("１２３", "半角数字"), ("9.999", "两位小数"),
                                           ("1e9", "格式不正确")])
def test_bad_unit_price_names_the_row_and_writes_nothing(client, w, price, message):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    before = (_audits(), _count(BudgetLine))
    resp = client.post(f"/applications/{application.id}/edit",
                       data=_full_form(w, **{"budget_lines-1-unit_price": price}))
    body = _body(resp)
    assert resp.status_code == 200 and "预算第 2 行" in body and message in body
    assert (_audits(), _count(BudgetLine)) == before


def test_other_bad_input_is_shown_beside_its_field(client, w):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    before = _audits()
    cases = [
        ({"community_ids": [str(w["other_comm"].id)]}, "请只选择本征集范围内的社区"),
        ({"target_groups": ["aliens"]}, "服务对象选项无效"),
        ({"milestones-0-due_on": "2024-02-30"}, "不是有效的日期"),
        ({"indicators-0-target": "１０"}, "半角数字"),
        ({"budget_lines-0-head": "买车"}, "不在本征集允许的科目"),
        ({"planned_beneficiaries": "１２０"}, "整数"),
        ({"title": "x" * 201}, "不能超过 200 个字"),
        ({"title": "带\x00控制字符"}, "控制字符"),
    ]
    for overrides, message in cases:
        resp = client.post(f"/applications/{application.id}/edit", data=_full_form(w, **overrides))
        assert resp.status_code == 200 and message in _body(resp), overrides
    assert _audits() == before


def test_returned_application_form_shows_the_reason_and_deadline(client, w):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.RETURNED)
    application.return_reason = "预算中管理费用说明不清"
    application.correction_due_at = utcnow() + timedelta(days=3)
    login(client, w["owner"])
    body = _body(client.get(f"/applications/{application.id}/edit"))
    assert "申报书被退回补正" in body and "预算中管理费用说明不清" in body and "补正截止" in body


# --- detail, submit, withdraw, return --------------------------------------------------------

def test_detail_for_a_member_has_checklist_timeline_and_actions(client, w):
    application = make_application(w["call"], w["org"], complete=False, title="未完成的申报书")
    login(client, w["owner"])
    body = _body(client.get(f"/applications/{application.id}"))
    assert "完整性检查" in body and "请填写项目简介" in body and "提交前请先处理" in body and "个问题" in body
    assert f"/applications/{application.id}/edit#sec-basic" in body
    assert "状态记录" in body and "放弃此草稿" in body and "撤回申报书" not in body and "编辑" in body
    assert 'name="due_on"' not in body  # the officer's return form
    assert 'id="attachments"' in body


def test_detail_of_a_draft_is_hidden_from_funder_staff(client, w):
    application = make_application(w["call"], w["org"])
    for who in ("officer", "finance", "auditor", "officer_other", "outsider"):
        login(client, w[who])
        assert client.get(f"/applications/{application.id}").status_code == 403, who
    assert client.get("/applications/99999999").status_code == 404


def test_officer_sees_the_submitted_version_and_the_return_form(client, w):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.SUBMITTED, title="第一版标题")
    login(client, w["officer"])
    body = _body(client.get(f"/applications/{application.id}"))
    assert "第一版标题" in body and "以下是第 1 版" in body
    assert "退回补正" in body and 'type="date"' in body and "完整性检查" not in body
    login(client, w["finance"])
    body = _body(client.get(f"/applications/{application.id}"))
    assert "第一版标题" in body and 'name="due_on"' not in body


def test_submit_success_locks_and_makes_version_one(client, w):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    resp = client.post(f"/applications/{application.id}/submit")
    assert resp.status_code == 302
    a = _db.session.get(Application, application.id)
    assert a.status == ApplicationStatus.SUBMITTED and a.current_version == 1
    body = _body(client.get(f"/applications/{application.id}"))
    assert "申报书已提交（第 1 版）" in body and "等待形式审查" in body
    assert client.get(f"/applications/{application.id}/edit").status_code == 302


def test_submit_one_second_late_is_refused_and_changes_nothing(client, w):
    late = make_call(w["funder"], status=CallStatus.OPEN, opens_at=utcnow() - timedelta(days=30),
                     deadline_at=utcnow() - timedelta(seconds=1))
    application = make_application(late, w["org"])
    login(client, w["owner"])
    before = (_audits(), _count(ApplicationVersion))
    resp = client.post(f"/applications/{application.id}/submit")
    assert resp.status_code == 302
    a = _db.session.get(Application, application.id)
    assert a.status == ApplicationStatus.DRAFT and a.current_version == 0 and a.submitted_at is None
    assert (_audits(), _count(ApplicationVersion)) == before
    body = _body(client.get(f"/applications/{application.id}"))
    assert "未能提交" in body and "已超过征集截止时间" in body


def test_submit_of_an_incomplete_application_lists_the_problems(client, w):
    application = make_application(w["call"], w["org"], complete=False)
    login(client, w["owner"])
    client.post(f"/applications/{application.id}/submit")
    assert _db.session.get(Application, application.id).status == ApplicationStatus.DRAFT
    body = _body(client.get(f"/applications/{application.id}"))
    assert "未能提交" in body and "请填写项目名称" not in body and "请填写需求分析" in body


@pytest.mark.parametrize("who", ["officer", "outsider", "finance"])
def test_only_members_submit_and_withdraw(client, w, who):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.SUBMITTED)
    login(client, w[who])
    assert client.post(f"/applications/{application.id}/withdraw", data={"reason": "x"}).status_code == 403
    draft = make_application(make_call(w["funder"], status=CallStatus.OPEN), w["org"])
    assert client.post(f"/applications/{draft.id}/submit").status_code == 403
    assert _db.session.get(Application, application.id).status == ApplicationStatus.SUBMITTED
    assert _db.session.get(Application, draft.id).status == ApplicationStatus.DRAFT


def test_withdraw_with_a_reason(client, w):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.SUBMITTED)
    login(client, w["member"])
    resp = client.post(f"/applications/{application.id}/withdraw", data={"reason": "负责人调离，无法实施"})
    assert resp.status_code == 302
    a = _db.session.get(Application, application.id)
    assert a.status == ApplicationStatus.WITHDRAWN and a.withdraw_reason == "负责人调离，无法实施"
    body = _body(client.get(f"/applications/{application.id}"))
    assert "申报书已撤回" in body and "撤回原因" in body
    # Again: refused with a message, not a 500.
    resp = client.post(f"/applications/{application.id}/withdraw", data={"reason": "再撤一次"})
    assert resp.status_code == 302
    assert "不能撤回" in _body(client.get(f"/applications/{application.id}"))


def test_return_needs_a_reason_and_a_future_date(client, w):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.SUBMITTED)
    login(client, w["officer"])
    before = _audits()
    client.post(f"/applications/{application.id}/return", data={"reason": "", "due_on": "2030-01-01"})
    assert "请填写退回原因" in _body(client.get(f"/applications/{application.id}"))
    client.post(f"/applications/{application.id}/return", data={"reason": "补充材料", "due_on": "2001-01-01"})
    assert "补正期限" in _body(client.get(f"/applications/{application.id}"))
    client.post(f"/applications/{application.id}/return", data={"reason": "补充材料", "due_on": "not-a-date"})
    # The last representable day (found by the form fuzzer: its next midnight overflowed).
    resp = client.post(f"/applications/{application.id}/return", data={"reason": "补充材料", "due_on": "9999-12-31"})
    assert resp.status_code < 500
    assert "补正期限不能超过" in _body(client.get(f"/applications/{application.id}"))
    assert _db.session.get(Application, application.id).status == ApplicationStatus.SUBMITTED
    assert _audits() == before


@pytest.mark.parametrize("who", ["finance", "auditor", "officer_other", "owner"])
def test_only_the_funders_officer_returns(client, w, who):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.SUBMITTED)
    login(client, w[who])
    resp = client.post(f"/applications/{application.id}/return", data={"reason": "补充材料"})
    assert resp.status_code == 403
    assert _db.session.get(Application, application.id).status == ApplicationStatus.SUBMITTED


def test_return_and_resubmit_through_the_pages_then_compare_versions(client, w):
    login(client, w["owner"])
    client.post(f"/applications/new?call={w['call'].id}", data={"organization_id": str(w["org"].id)})
    application = _db.session.scalars(select(Application)).one()
    client.post(f"/applications/{application.id}/edit", data=_full_form(w))
    client.post(f"/applications/{application.id}/submit")
    assert _db.session.get(Application, application.id).status == ApplicationStatus.SUBMITTED

    login(client, w["officer"])
    due = (utcnow() + timedelta(days=5)).date().isoformat()
    resp = client.post(f"/applications/{application.id}/return",
                       data={"reason": "请补充助餐点的食品安全措施", "due_on": due})
    assert resp.status_code == 302
    a = _db.session.get(Application, application.id)
    assert a.status == ApplicationStatus.RETURNED and a.correction_due_at is not None
    assert "已退回补正" in _body(client.get(f"/applications/{application.id}"))

    login(client, w["owner"])
    body = _body(client.get(f"/applications/{application.id}/edit"))
    assert "请补充助餐点的食品安全措施" in body
    client.post(f"/applications/{application.id}/edit",
                data=_full_form(w, title="翠湖社区长者助餐与陪伴（含食品安全）"))
    # The officer still sees version 1 while the organization corrects.
    login(client, w["officer"])
    body = _body(client.get(f"/applications/{application.id}"))
    assert "以下是第 1 版" in body and "（含食品安全）" not in body

    login(client, w["owner"])
    client.post(f"/applications/{application.id}/submit")
    a = _db.session.get(Application, application.id)
    assert a.status == ApplicationStatus.SUBMITTED and a.current_version == 2

    for who in ("officer", "owner"):
        login(client, w[who])
        body = _body(client.get(f"/applications/{application.id}/versions"))
        assert "第 1 版" in body and "第 2 版" in body
        assert "翠湖社区长者助餐与陪伴（含食品安全）" in body and 'class="changed"' in body
    body = _body(client.get(f"/applications/{application.id}"))
    assert "对比版本" in body and "退回补正" in body


def test_versions_page_odd_arguments_and_access(client, w):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.SUBMITTED)
    login(client, w["auditor"])
    for query in ("", "?a=1&b=1", "?a=x&b=99999999999", "?a=-1"):
        resp = client.get(f"/applications/{application.id}/versions{query}")
        assert resp.status_code == 200 and "只有一个版本" in _body(resp)
    login(client, w["outsider"])
    assert client.get(f"/applications/{application.id}/versions").status_code == 403
    draft = make_application(make_call(w["funder"], status=CallStatus.OPEN), w["org"])
    login(client, w["officer"])
    assert client.get(f"/applications/{draft.id}/versions").status_code == 403
    login(client, w["owner"])
    assert "还没有提交的版本" in _body(client.get(f"/applications/{draft.id}/versions"))


# --- the officer's list of a call's applications --------------------------------------------

def test_call_list_shows_submitted_not_drafts_with_counts(client, w):
    make_application(w["call"], w["org"], title="草稿项目")
    make_application(w["call"], w["other_org"], title="已提交项目", status=ApplicationStatus.SUBMITTED)
    login(client, w["officer"])
    body = _body(client.get(f"/applications/call/{w['call'].id}"))
    assert "已提交项目" in body and "草稿项目" not in body
    assert "另有 1 份申报书正在准备中" in body and "已提交" in body
    assert "别处志愿者协会" in body
    body = _body(client.get(f"/applications/call/{w['call'].id}?q=别处&status=submitted&page=abc"))
    assert "已提交项目" in body
    body = _body(client.get(f"/applications/call/{w['call'].id}?status=returned"))
    assert "没有符合条件的申报书" in body
    # Asking for drafts shows no drafts.
    assert "草稿项目" not in _body(client.get(f"/applications/call/{w['call'].id}?status=draft"))


@pytest.mark.parametrize("who,status", [("finance", 200), ("auditor", 200), ("officer_other", 403),
                                         ("owner", 403), ("nobody", 403)])
def test_call_list_is_for_the_funders_staff(client, w, who, status):
    login(client, w[who])
    assert client.get(f"/applications/call/{w['call'].id}").status_code == status


def test_call_list_has_no_n_plus_one(client, w, count_queries):
    login(client, w["officer"])
    orgs = [make_org(community=w["cuihu"]) for _ in range(10)]
    for org in orgs[:2]:
        make_application(w["call"], org, status=ApplicationStatus.SUBMITTED)
    with count_queries() as few:
        assert client.get(f"/applications/call/{w['call'].id}").status_code == 200
    apps = [make_application(w["call"], org, status=ApplicationStatus.SUBMITTED) for org in orgs[2:]]
    with count_queries() as many:
        body = _body(client.get(f"/applications/call/{w['call'].id}"))
    assert "共 10 份" in body and all(f"/applications/{a.id}/screening" in body for a in apps)
    assert many() == few()


# --- the call page's buttons -------------------------------------------------------------------

def test_call_page_offers_to_apply_and_officers_the_list(client, w):
    body = _body(client.get(f"/calls/{w['call'].id}"))
    assert "登录后申报" in body and "next=" in body
    login(client, w["owner"])
    body = _body(client.get(f"/calls/{w['call'].id}"))
    assert "我要申报" in body and f"/applications/new?call={w['call'].id}" in body and "申报书列表" not in body
    login(client, w["officer"])
    assert f"/applications/call/{w['call'].id}" in _body(client.get(f"/calls/{w['call'].id}"))
    closed = make_call(w["funder"], status=CallStatus.SCREENING)
    login(client, w["owner"])
    assert "我要申报" not in _body(client.get(f"/calls/{closed.id}"))


# --- page details: row names and marks, blank rows, where messages show, labels -------------------

def _tag(body: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    import re

    match = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', body)
    assert match, element_id
    return match.group(0)


def _row_numbers(body: str, name: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(rf'name="{name}-(\d+)-', body)]


def test_failed_saves_do_not_pile_up_blank_rows(client, w):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    data = _full_form(w, **{"budget_lines-1-unit_price": "１２３"})
    resp = client.post(f"/applications/{application.id}/edit", data=data)
    rows = sorted(set(_row_numbers(_body(resp), "budget_lines")))
    # The three rows sent (two filled, one with only a head chosen) and three blank rows.
    assert rows == [0, 1, 2, 3, 4, 5]
    # The browser sends the page back with those blank rows: none are added this time.
    for n in (3, 4, 5):
        data.update({f"budget_lines-{n}-{k}": "" for k in ("head", "item", "unit", "quantity", "unit_price", "note")})
    for _attempt in range(2):
        body = _body(client.post(f"/applications/{application.id}/edit", data=data))
        assert "预算第 2 行" in body
        assert sorted(set(_row_numbers(body, "budget_lines"))) == [0, 1, 2, 3, 4, 5]
    # More blank rows than that are sent back as three.
    data.update({f"budget_lines-{n}-{k}": "" for n in (6, 7, 8) for k in ("item", "quantity")})
    body = _body(client.post(f"/applications/{application.id}/edit", data=data))
    assert sorted(set(_row_numbers(body, "budget_lines"))) == [0, 1, 2, 3, 4, 5]
    # Indicators: one filled and one blank row sent; one more blank row makes the usual two.
    assert sorted(set(_row_numbers(body, "indicators"))) == [0, 1, 2]


def test_a_row_error_marks_the_input_it_is_about(client, w):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    body = _body(client.post(f"/applications/{application.id}/edit",
                             data=_full_form(w, **{"budget_lines-1-unit_price": "１２３"})))
    assert "预算第 2 行：单价" in body and 'id="budget_lines-error"' in body
    bad = _tag(body, "budget_lines-1-unit_price")
    assert "is-invalid" in bad and 'aria-invalid="true"' in bad and 'aria-describedby="budget_lines-error"' in bad
    for fine in ("budget_lines-0-unit_price", "budget_lines-1-quantity", "budget_lines-1-item"):
        assert "is-invalid" not in _tag(body, fine) and "aria-invalid" not in _tag(body, fine), fine
    # A milestone without its task: the message uses the column's name and marks that input.
    body = _body(client.post(f"/applications/{application.id}/edit",
                             data=_full_form(w, **{"milestones-0-title": ""})))
    assert "实施进度第 1 行：请填写阶段任务。" in body
    bad = _tag(body, "milestones-0-title")
    assert 'aria-invalid="true"' in bad and 'aria-describedby="milestones-error"' in bad
    assert "aria-invalid" not in _tag(body, "milestones-0-due_on")
    body = _body(client.post(f"/applications/{application.id}/edit",
                             data=_full_form(w, **{"budget_lines-0-item": ""})))
    assert "预算第 1 行：请填写支出内容。" in body and 'aria-invalid="true"' in _tag(body, "budget_lines-0-item")


def test_edit_page_names_every_row_input_and_live_total(client, w):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    body = _body(client.get(f"/applications/{application.id}/edit"))
    # Each input of a repeated row has its own name: the row, then the column.
    assert '<label class="cell-label" for="budget_lines-1-unit_price"><span class="visually-hidden" data-row-name>预算第 2 行 </span>单价（元）</label>' in body
    assert 'for="team-0-is_social_worker"><span class="visually-hidden" data-row-name>项目团队第 1 行 </span>持证社工' in body
    assert 'aria-label="删除预算第 2 行"' in body and 'aria-label="预算第 1 行 金额"' in body
    assert 'data-row-pattern="预算第 {n} 行"' in body
    # The live totals are named by their visible labels; each section by its heading.
    assert '<dt id="budget-total-label">预算合计</dt>' in body and 'aria-labelledby="budget-total-label"' in body
    assert 'aria-labelledby="mgmt-share-label"' in body and 'id="mgmt-share-label">管理费用占比<' in body
    assert body.count('aria-labelledby="head-total-label-') == len(w["call"].budget_heads)
    assert 'id="sec-budget" class="card form-section" aria-labelledby="sec-budget-title"' in body
    assert 'id="sec-budget-title"' in body


def test_attachment_messages_show_in_the_attachments_section(client, w):
    application = make_application(w["call"], w["org"])
    login(client, w["owner"])
    resp = client.post(f"/applications/{application.id}/attachments", data={})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#attachments")
    body = _body(client.get(f"/applications/{application.id}"))
    message = "请选择要上传的文件。"
    assert body.count(message) == 1
    assert body.index('id="attachments"') < body.index(message)
    assert 'class="flash-messages"' not in body
    # Shown once: gone on the next page.
    assert message not in _body(client.get(f"/applications/{application.id}"))
    # Other messages still show at the top of the page.
    client.post(f"/applications/{application.id}/submit")
    body = _body(client.get(f"/applications/{application.id}"))
    assert 'class="flash-messages"' in body
    assert body.index("申报书已提交（第 1 版）") < body.index('id="attachments"')


def test_draft_is_discarded_and_the_officer_returns_for_correction(client, w):
    draft = make_application(w["call"], w["org"])
    login(client, w["owner"])
    body = _body(client.get(f"/applications/{draft.id}"))
    assert "放弃此草稿" in body and "确定放弃此草稿吗" in body and "确认撤回" not in body
    assert f'action="/applications/{draft.id}/withdraw"' in body
    # The deadline in the next step stays on one line.
    assert '完善并提交（截止 <span class="text-nowrap">' in body
    client.post(f"/applications/{draft.id}/withdraw", data={"reason": ""})
    assert _db.session.get(Application, draft.id).status == ApplicationStatus.WITHDRAWN
    assert "已放弃此草稿。" in _body(client.get(f"/applications/{draft.id}"))

    submitted = make_application(make_call(w["funder"], status=CallStatus.OPEN), w["org"],
                                 status=ApplicationStatus.SUBMITTED)
    login(client, w["officer"])
    body = _body(client.get(f"/applications/{submitted.id}"))
    assert '<button class="btn btn-warning btn-sm" type="submit">退回修改</button>' in body
    assert 'aria-label="下载第 1 版申报书（PDF）"' in body


def test_versions_breadcrumbs_lead_back_the_way_each_reader_came(client, w):
    application = make_application(w["call"], w["org"], status=ApplicationStatus.SUBMITTED)
    login(client, w["officer"])
    body = _body(client.get(f"/applications/{application.id}/versions"))
    crumbs = body[body.index('class="breadcrumb"'):body.index("</ol>")]
    for link in (f'href="/calls/{w["call"].id}"', f'href="/applications/call/{w["call"].id}"',
                 f'href="/applications/{application.id}"'):
        assert link in crumbs, link
    assert "申报书列表" in crumbs and "版本对比" in crumbs
    login(client, w["owner"])
    body = _body(client.get(f"/applications/{application.id}/versions"))
    crumbs = body[body.index('class="breadcrumb"'):body.index("</ol>")]
    assert 'href="/applications/"' in crumbs and f'href="/applications/{application.id}"' in crumbs
    assert "申报书列表" not in crumbs


def test_call_page_and_application_pages_word_the_management_cap_alike(client, w):
    application = make_application(w["call"], w["org"])
    cap = f"不超过预算合计的 {w['call'].management_cap_pct}%"
    assert cap in _body(client.get(f"/calls/{w['call'].id}"))
    login(client, w["owner"])
    assert cap in _body(client.get(f"/applications/{application.id}"))
    assert "项目预算的" not in _body(client.get(f"/calls/{w['call'].id}"))

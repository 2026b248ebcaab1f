"""Panel pages (评审小组): what the officer sees and does, what bad input and out-of-order
requests get, and who may look."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.extensions import db as _db
from app.funders.models import StaffRole
from app.reviews import panels
from app.reviews.models import (AssignmentStatus, ExpertiseField, Panel, PanelDraw, PanelMember,
                                PanelRole, ReviewAssignment)
from tests.conftest import login
from tests.factories import (add_member, make_application, make_call, make_expert, make_funder, make_org,
                             make_sheet, make_staff, make_user)

SW, LAW = ExpertiseField.SOCIAL_WORK, ExpertiseField.LAW


@pytest.fixture
def w(db):
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER, name="王秀英")
    call = make_call(funder, status=CallStatus.SCREENING, title="2026年翠湖社区微创投")
    call.reviewers_per_application = 2
    orgs = [make_org(name=f"翠湖社区互助会{i}") for i in range(3)]
    apps = [make_application(call, org, status=ApplicationStatus.ELIGIBLE, title=f"银龄助餐项目{i}")
            for i, org in enumerate(orgs)]
    pool = [make_expert(make_user(name=name), fields=[SW]) for name in ("张敏", "李强", "赵磊", "孙丽")]
    insider_user = make_user(name="钱组员")
    add_member(orgs[0], insider_user)
    insider = make_expert(insider_user, fields=[SW])
    lawyer = make_expert(make_user(name="周律师", email="zhou.lawyer@example.cn"), fields=[LAW])
    return {"funder": funder, "officer": officer, "call": call, "orgs": orgs, "apps": apps, "pool": pool,
            "insider": insider, "lawyer": lawyer}


def _url(call, suffix=""):
    return f"/reviews/calls/{call.id}/panel{suffix}"


def _body(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def _audits() -> int:
    return _count(AuditEntry)


def _panel(w, experts=None, chair=None) -> Panel:
    for expert in experts if experts is not None else w["pool"][:3]:
        panels.add_member(w["officer"], w["call"], expert)
    if chair is not None:
        panels.add_member(w["officer"], w["call"], chair, PanelRole.CHAIR)
    return panels.panel_for(w["call"])


# --- the page --------------------------------------------------------------------------

def test_empty_panel_page_guides_the_officer_and_writes_nothing(client, w):
    login(client, w["officer"])
    resp = client.get(_url(w["call"]))
    body = _body(resp)
    assert resp.status_code == 200
    assert "还没有评审专家" in body and "还没有抽取记录" in body
    assert "进入专家评审前还需完成" in body and "尚未组建评审小组" in body
    assert "征集管理" in body and "2026年翠湖社区微创投" in body  # breadcrumbs
    assert "随机抽取" in body and "手动添加专家" in body and 'name="fields"' in body
    assert panels.panel_for(w["call"]) is None


def test_staff_who_only_look_see_no_actions(client, w):
    _panel(w)
    for role in (StaffRole.AUDITOR, StaffRole.FINANCE_OFFICER):
        login(client, make_staff(w["funder"], role))
        body = _body(client.get(_url(w["call"])))
        assert "张敏" in body and "由项目主管进行" in body
        assert "/panel/draw" not in body and "自动分配（" not in body and "设为组长" not in body


def test_page_shows_members_matrix_loads_and_conflicts(client, w):
    officer, call = w["officer"], w["call"]
    panel = _panel(w, chair=w["pool"][3])
    add_member(w["orgs"][1], w["pool"][0].user)  # a tie that appeared after joining
    panels.auto_assign(officer, call, seed="page")
    login(client, officer)
    body = _body(client.get(_url(call)))
    for a in w["apps"]:
        assert f"GY-{a.id:05d}" in body and a.title in body and a.organization.name in body
    assert "评审组长" in body and "孙丽" in body and "手动添加" in body
    assert "回避" in body and "相差不超过 1" in body and "待声明" in body
    assert f"评审数量：最多 2 份，最少 1 份" in body
    assert "评审小组已就绪" in body
    assert len(panel.members) == 4


def test_panel_page_query_count_does_not_grow(client, w, count_queries):
    officer, call = w["officer"], w["call"]
    _panel(w, w["pool"][:2], chair=w["pool"][2])
    panels.draw_panel(officer, call, 1, None)
    panels.auto_assign(officer, call)
    login(client, officer)
    client.get(_url(call))
    with count_queries() as n:
        assert client.get(_url(call)).status_code == 200
    small = n()
    for i in range(6):
        org = make_org()
        make_application(call, org, status=ApplicationStatus.ELIGIBLE)
        make_expert(make_user(name=f"新专家{i}"), fields=[SW])
    panels.draw_panel(officer, call, 4, None)
    panels.draw_panel(officer, call, 2, None)
    panels.auto_assign(officer, call)
    with count_queries() as n:
        assert client.get(_url(call)).status_code == 200
    assert small < 40 and n() <= small, (small, n())


# --- draw ------------------------------------------------------------------------------

def test_officer_draws_and_opens_the_verified_record(client, w):
    login(client, w["officer"])
    resp = client.post(_url(w["call"], "/draw"), data={"size": "3", "fields": ["social_work"]})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/reviews/calls/{w['call'].id}/panel#assignments")
    record = _db.session.scalar(select(PanelDraw))
    assert len(record.picked) == 3 and record.fields == ["social_work"]
    body = _body(client.get(_url(w["call"])))
    assert "已从 4 位符合条件的专家中随机抽取 3 位评审专家" in body and f"随机抽取 #{record.id}" in body
    page = client.get(f"/reviews/draws/{record.id}")
    body = _body(page)
    assert page.status_code == 200
    assert "复核：与记录一致" in body and record.seed in body and "社会工作" in body
    assert "钱组员" in body and "为申报组织成员" in body  # excluded, with the reason
    assert "周律师" in body  # off-field
    assert "王秀英" in body  # who drew
    # A record edited afterwards no longer verifies.
    record.picked = list(reversed(record.picked))
    _db.session.flush()
    assert "复核：与记录不一致" in _body(client.get(f"/reviews/draws/{record.id}"))


@pytest.mark.parametrize("data, message", [
    ({}, "请填写抽取人数"),
    ({"size": "abc"}, "1 到 30 之间的整数"),
    ({"size": "３"}, "半角数字"),
    ({"size": "-1"}, "1 到 30"),
    ({"size": "2.5"}, "1 到 30"),
    ({"size": "99"}, "1 到 30"),
    ({"size": "99999999999999999999"}, "1 到 30"),
    ({"size": "2", "fields": ["astrology"]}, "专业领域选项无效"),
    ({"size": "5", "fields": ["social_work"]}, "只有 4 位"),
])
def test_bad_draw_input_gets_a_message_and_writes_nothing(client, w, data, message):
    login(client, w["officer"])
    before = _audits()
    resp = client.post(_url(w["call"], "/draw"), data=data, follow_redirects=True)
    assert resp.status_code == 200 and message in _body(resp)
    assert _count(Panel) == 0 and _count(PanelDraw) == 0 and _audits() == before


def test_draw_out_of_phase_answers_409(client, w):
    login(client, w["officer"])
    w["call"].status = CallStatus.NOTICE
    resp = client.post(_url(w["call"], "/draw"), data={"size": "2"})
    assert resp.status_code == 409 and "公示中" in _body(resp)
    assert _count(PanelDraw) == 0
    body = _body(client.get(_url(w["call"])))
    assert "下面的内容仅供查看" in body and "/panel/draw" not in body


# --- members ---------------------------------------------------------------------------

def test_add_member_from_the_list_or_by_email_as_chair(client, w):
    login(client, w["officer"])
    resp = client.post(_url(w["call"], "/members"), data={"expert_id": str(w["pool"][0].id)}, follow_redirects=True)
    assert "已将 张敏 加入评审小组。" in _body(resp)
    resp = client.post(_url(w["call"], "/members"), data={"email": "ZHOU.lawyer@example.cn", "chair": "y"},
                       follow_redirects=True)
    assert "已将 周律师 加入评审小组，并设为评审组长。" in _body(resp)
    panel = panels.panel_for(w["call"])
    assert panel.chair.expert_id == w["lawyer"].id and len(panel.members) == 2


@pytest.mark.parametrize("which, message", [
    ("none", "请从列表中选择专家，或填写专家的邮箱"),
    ("insider", "须回避（为申报组织成员"),
    ("unknown_email", "专家库中没有使用邮箱"),
    ("bad_id", "请从列表中选择专家"),
    ("bad_email", "专家库中没有使用邮箱 not-an-email"),
])
def test_add_member_refusals(client, w, which, message):
    data = {"none": {}, "insider": {"expert_id": str(w["insider"].id)},
            "unknown_email": {"email": "nobody@example.cn"}, "bad_id": {"expert_id": "x1"},
            "bad_email": {"email": "not-an-email"}}[which]
    login(client, w["officer"])
    before = _audits()
    resp = client.post(_url(w["call"], "/members"), data=data, follow_redirects=True)
    body = _body(resp)
    assert resp.status_code == 200
    assert message in body
    assert _count(PanelMember) == 0 and _audits() == before


def test_set_chair_and_remove_member(client, w):
    panel = _panel(w)
    a, b, c = panel.members
    login(client, w["officer"])
    resp = client.post(f"/reviews/panel-members/{b.id}/chair", follow_redirects=True)
    assert "已将 李强 设为评审组长。" in _body(resp)
    assert panel.chair.id == b.id
    resp = client.post(f"/reviews/panel-members/{b.id}/remove", follow_redirects=True)
    body = _body(resp)
    assert "已将 李强 移出评审小组" in body and "评审小组现在没有评审组长" in body
    assert [m.id for m in panel.members] == [a.id, c.id]
    # Someone with a score sheet stays.
    row = panels.add_assignment(w["officer"], w["apps"][0], a)
    row.status = AssignmentStatus.ACCEPTED
    make_sheet(row)
    resp = client.post(f"/reviews/panel-members/{a.id}/remove", follow_redirects=True)
    assert "已有 1 份评分表，不能移出评审小组" in _body(resp)
    assert a in panels.panel_for(w["call"]).members
    assert client.post("/reviews/panel-members/999999/remove").status_code == 404
    assert client.post("/reviews/panel-members/999999/chair").status_code == 404


# --- assignment ------------------------------------------------------------------------

def test_auto_assign_flashes_the_loads_and_shortfalls(client, w):
    _panel(w, w["pool"][:1])
    login(client, w["officer"])
    body = _body(client.post(_url(w["call"], "/assign"), follow_redirects=True))
    assert "已自动分配 3 项评审任务" in body
    assert "只能分配 1 位无需回避的评审专家，少于要求的 2 位" in body
    panels.add_member(w["officer"], w["call"], w["pool"][1])
    panels.add_member(w["officer"], w["call"], w["pool"][2])
    body = _body(client.post(_url(w["call"], "/assign"), follow_redirects=True))
    # The first reviewer keeps all three: the loads cannot be evened out, and the officer is told.
    assert "已自动分配 3 项评审任务" in body and "最多 3 份、最少 1 份" in body
    assert "无法使各评审专家的评审数量相差不超过 1" in body
    body = _body(client.post(_url(w["call"], "/assign"), follow_redirects=True))
    assert "没有新增评审任务" in body
    assert _count(ReviewAssignment) == 6


def test_auto_assign_without_a_panel_is_explained(client, w):
    login(client, w["officer"])
    body = _body(client.post(_url(w["call"], "/assign"), follow_redirects=True))
    assert "评审小组还没有成员" in body and _count(Panel) == 0


def test_manual_assignment_and_its_refusals(client, w):
    panel = _panel(w)
    panels.add_member(w["officer"], w["call"], w["pool"][3])
    member = panel.members[0]
    w["pool"][3].employer = w["orgs"][2].name  # now employed by an applicant
    conflicted = panel.members[3]
    login(client, w["officer"])
    app0, app2 = w["apps"][0], w["apps"][2]
    resp = client.post(_url(w["call"], "/assignments"),
                       data={"application_id": str(app0.id), "member_id": str(member.id)}, follow_redirects=True)
    assert f"已将申报 GY-{app0.id:05d} 分配给 张敏" in _body(resp)
    before = _audits()
    for data, message in [
        ({}, "请选择"),
        ({"application_id": str(app0.id), "member_id": str(member.id)}, "已分配到申报"),
        ({"application_id": str(app2.id), "member_id": str(conflicted.id)}, "与申报组织同一单位"),
        ({"application_id": "abc", "member_id": str(member.id)}, "请选择本征集的一份申报书"),
        ({"application_id": str(app2.id), "member_id": "0"}, "请选择评审小组中的一位专家"),
    ]:
        body = _body(client.post(_url(w["call"], "/assignments"), data=data, follow_redirects=True))
        assert message in body, (data, message)
    assert _count(ReviewAssignment) == 1 and _audits() == before


def test_remove_assignment(client, w):
    panel = _panel(w)
    row = panels.add_assignment(w["officer"], w["apps"][0], panel.members[0])
    done = panels.add_assignment(w["officer"], w["apps"][0], panel.members[1])
    done.status = AssignmentStatus.ACCEPTED
    make_sheet(done, submitted=True)
    login(client, w["officer"])
    body = _body(client.post(f"/reviews/assignments/{row.id}/remove", follow_redirects=True))
    assert f"已取消 张敏 对申报 GY-{w['apps'][0].id:05d} 的评审任务" in body
    body = _body(client.post(f"/reviews/assignments/{done.id}/remove", follow_redirects=True))
    assert "已提交" in body and "不能移除" in body
    assert [r.id for r in _db.session.scalars(select(ReviewAssignment))] == [done.id]
    assert client.post("/reviews/assignments/999999/remove").status_code == 404


def test_changes_to_a_finalized_panel_answer_409(client, w):
    panel = _panel(w, chair=w["pool"][3])
    row = panels.add_assignment(w["officer"], w["apps"][0], panel.members[0])
    panel.finalized_at = utcnow()
    login(client, w["officer"])
    before = _audits()
    member = panel.members[1]
    for url, data in [(_url(w["call"], "/draw"), {"size": "1"}),
                      (_url(w["call"], "/members"), {"expert_id": str(w["lawyer"].id)}),
                      (f"/reviews/panel-members/{member.id}/chair", {}),
                      (f"/reviews/panel-members/{member.id}/remove", {}),
                      (_url(w["call"], "/assign"), {}),
                      (_url(w["call"], "/assignments"), {"application_id": str(w["apps"][1].id),
                                                         "member_id": str(member.id)}),
                      (f"/reviews/assignments/{row.id}/remove", {})]:
        resp = client.post(url, data=data)
        assert resp.status_code == 409 and "已完成评审" in _body(resp), url
    assert _audits() == before and panel.chair.expert_id == w["pool"][3].id


def test_unknown_ids_are_404_and_other_funders_403(client, w):
    login(client, w["officer"])
    assert client.get("/reviews/calls/999999/panel").status_code == 404
    assert client.get("/reviews/draws/999999").status_code == 404
    assert client.post("/reviews/calls/999999/panel/draw", data={"size": "1"}).status_code == 404
    other = make_staff(make_funder(), StaffRole.PROGRAM_OFFICER)
    login(client, other)
    assert client.get(_url(w["call"])).status_code == 403
    assert client.post(_url(w["call"], "/draw"), data={"size": "1"}).status_code == 403
    assert _count(Panel) == 0

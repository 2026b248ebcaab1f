"""Reviewer workspace pages through the Flask client: my tasks, the declaration, scoring
(save, bad input, confirmation, submit, lock), out-of-order requests and the officer's
blind-safe marking page."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.funders.models import StaffRole
from app.reviews.models import AssignmentStatus, ReviewAssignment, ScoreSheet, SheetStatus
from tests.conftest import login
from tests.factories import (make_application, make_assignment, make_attachment, make_call, make_expert, make_funder,
                             make_org, make_panel, make_sheet, make_staff, make_user)


@pytest.fixture
def s(db):
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    call = make_call(funder, status=CallStatus.REVIEWING, title="社区微创投评审")
    org = make_org(name="海源社区青少年服务社")
    application = make_application(call, org, status=ApplicationStatus.UNDER_REVIEW, title="青少年课后陪伴项目")
    reviewer, colleague = make_user(name="评审一"), make_user(name="评审二")
    e1, e2 = make_expert(reviewer), make_expert(colleague)
    chair_user = make_user(name="组长")
    panel = make_panel(call, reviewers=[e1, e2], chair=make_expert(chair_user), created_by=officer)
    assignment = make_assignment(panel, application, e1, status=AssignmentStatus.PENDING)
    return {"call": call, "org": org, "application": application, "reviewer": reviewer, "colleague": colleague,
            "panel": panel, "assignment": assignment, "officer": officer, "e1": e1, "e2": e2}


def _url(a, suffix=""):
    return f"/reviews/assignments/{a.id}{suffix}"


def _full(call, comment="方案设计清晰，预算基本合理。", **over):
    data = {f"points-{c.id}": str(c.max_points - 2) for c in call.criteria}
    data.update(over)
    data["comment"] = comment
    return data


def _sheet(db, a):
    return db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == a.id))


# --------------------------------------------------------------------------- tasks

def test_tasks_empty_state_for_non_experts_and_experts(client, db):
    login(client, make_user())
    body = client.get("/reviews/tasks").get_data(as_text=True)
    assert "您目前没有评审任务" in body and "申请加入专家库" in body
    login(client, make_expert().user)
    body = client.get("/reviews/tasks").get_data(as_text=True)
    assert "您目前没有评审任务" in body and "您已在专家库中" in body


def test_tasks_lists_own_assignments_with_progress(client, db, s):
    other_app = make_application(s["call"], make_org(), status=ApplicationStatus.UNDER_REVIEW, title="助残项目")
    done = make_assignment(s["panel"], other_app, s["e1"])
    make_sheet(done, points={c.id: 5 for c in s["call"].criteria}, submitted=True)
    login(client, s["reviewer"])
    body = client.get("/reviews/tasks").get_data(as_text=True)
    assert "社区微创投评审" in body and "已提交 1 / 2 项" in body
    assert "待声明" in body and "已提交" in body and "30 / 100" in body
    assert "青少年课后陪伴项目（海源社区青少年服务社）" in body  # not blind: title and organization
    assert 'value="1"' in body and 'max="2"' in body  # the progress bar
    member_id = s["assignment"].member_id
    assert f"/reviews/panel-members/{member_id}/sheet.pdf" in body  # own score sheet, once one is submitted
    # The filter.
    body = client.get("/reviews/tasks?status=submitted").get_data(as_text=True)
    assert "助残项目" in body and "青少年课后陪伴项目" not in body
    body = client.get("/reviews/tasks?status=recused").get_data(as_text=True)
    assert "没有符合条件的评审任务" in body
    assert client.get("/reviews/tasks?status=%00bogus").status_code == 200
    # The colleague sees none of it.
    login(client, s["colleague"])
    assert "青少年课后陪伴项目" not in client.get("/reviews/tasks").get_data(as_text=True)


def test_blind_pending_task_hides_the_title(client, db, s):
    s["call"].blind_review = True
    login(client, s["reviewer"])
    body = client.get("/reviews/tasks").get_data(as_text=True)
    assert "青少年课后陪伴项目" not in body and "海源社区青少年服务社" not in body
    assert f"GY-{s['application'].id:05d}" in body and "匿名评审" in body


# --------------------------------------------------------------------------- declaration

def test_pending_assignment_shows_only_the_declaration(client, db, s):
    login(client, s["reviewer"])
    body = client.get(_url(s["assignment"])).get_data(as_text=True)
    assert "本人与该申报项目无利益冲突" in body and "存在利益冲突，申请回避" in body
    assert "青少年课后陪伴项目" in body  # not blind: the title
    assert s["application"].need not in body and "评分表" not in body
    # Content routes send the reviewer to the declaration first.
    resp = client.get(_url(s["assignment"], "/application.pdf"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(_url(s["assignment"]))
    # Scoring before the declaration: 409, nothing written.
    resp = client.post(_url(s["assignment"], "/score"), data={**_full(s["call"]), "action": "save"})
    assert resp.status_code == 409 and "利益冲突声明" in resp.get_data(as_text=True)
    assert _sheet(db, s["assignment"]) is None


def test_blind_declaration_shows_only_the_code(client, db, s):
    s["call"].blind_review = True
    login(client, s["reviewer"])
    body = client.get(_url(s["assignment"])).get_data(as_text=True)
    assert f"GY-{s['application'].id:05d}" in body and "青少年课后陪伴项目" not in body


def test_declare_no_conflict_then_content(client, db, s):
    login(client, s["reviewer"])
    resp = client.post(_url(s["assignment"], "/declare"), data={"decision": "none"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(_url(s["assignment"]))
    db.session.refresh(s["assignment"])
    assert s["assignment"].status == AssignmentStatus.ACCEPTED
    body = client.get(_url(s["assignment"])).get_data(as_text=True)
    assert "已声明与该项目无利益冲突" in body
    assert s["application"].need in body and "评分表" in body and "提交评分" in body
    for c in s["call"].criteria:
        assert f'name="points-{c.id}"' in body and f'max="{c.max_points}"' in body and c.name in body
    assert "js/scoring.js" in body
    # A second declaration (a double click) changes nothing.
    resp = client.post(_url(s["assignment"], "/declare"), data={"decision": "conflict", "reason": "x"},
                       follow_redirects=True)
    assert "不能重复声明" in resp.get_data(as_text=True)
    db.session.refresh(s["assignment"])
    assert s["assignment"].status == AssignmentStatus.ACCEPTED


def test_declare_bad_input_rerenders(client, db, s):
    login(client, s["reviewer"])
    body = client.post(_url(s["assignment"], "/declare"), data={}).get_data(as_text=True)
    assert "请选择“无利益冲突”或“申请回避”" in body
    body = client.post(_url(s["assignment"], "/declare"), data={"decision": "conflict", "reason": " "}).get_data(as_text=True)
    assert "请说明存在何种利益冲突" in body
    body = client.post(_url(s["assignment"], "/declare"), data={"decision": "maybe"}).get_data(as_text=True)
    assert "请选择" in body
    db.session.refresh(s["assignment"])
    assert s["assignment"].status == AssignmentStatus.PENDING


def test_declare_conflict_reassigns_and_shows_notice(client, db, s):
    login(client, s["reviewer"])
    resp = client.post(_url(s["assignment"], "/declare"), data={"decision": "conflict", "reason": "曾任该组织理事"},
                       follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert "已登记回避" in body and "改派" in body
    db.session.refresh(s["assignment"])
    assert s["assignment"].status == AssignmentStatus.RECUSED
    replacement = db.session.scalar(select(ReviewAssignment).where(
        ReviewAssignment.application_id == s["application"].id, ReviewAssignment.id != s["assignment"].id))
    assert replacement is not None and replacement.status == AssignmentStatus.PENDING
    body = client.get(_url(s["assignment"])).get_data(as_text=True)
    assert "您已回避该项目" in body and "曾任该组织理事" in body and s["application"].need not in body
    resp = client.get(_url(s["assignment"], "/application.pdf"))
    assert resp.status_code == 302


# --------------------------------------------------------------------------- scoring

@pytest.fixture
def accepted(s):
    s["assignment"].status = AssignmentStatus.ACCEPTED
    return s


@pytest.mark.parametrize("raw,message", [
    ("１２", "半角数字"), ("12.5", "不能有小数"), ("-1", "不能为负数"), ("abc", "之间的整数"),
    ("25", "不能超过该项满分 20 分"),
])
def test_bad_points_show_a_message_beside_the_criterion(client, db, accepted, raw, message):
    first = accepted["call"].criteria[0]
    login(client, accepted["reviewer"])
    for action in ("save", "submit"):
        data = {**_full(accepted["call"]), f"points-{first.id}": raw, "action": action, "confirm": "y"}
        resp = client.post(_url(accepted["assignment"], "/score"), data=data)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert f'id="points-{first.id}-error"' in body and message in body
        assert "未保存任何内容" in body
        assert f'value="{raw}"' in body  # what was typed stays in the input
    assert _sheet(db, accepted["assignment"]) is None


def test_save_partial_then_submit_then_locked(client, db, accepted):
    call, a = accepted["call"], accepted["assignment"]
    first = call.criteria[0]
    login(client, accepted["reviewer"])
    resp = client.post(_url(a, "/score"), data={f"points-{first.id}": "15", "comment": "", "action": "save"},
                       follow_redirects=True)
    assert "已暂存评分：已填 1 / 6 项，当前合计 15 分" in resp.get_data(as_text=True)
    sheet = _sheet(db, a)
    assert sheet.status == SheetStatus.DRAFT and sheet.points == {str(first.id): 15}
    body = client.get(_url(a)).get_data(as_text=True)
    assert f'id="points-{first.id}"' in body and 'value="15"' in body

    # Submitting needs every criterion, a comment and the confirmation box.
    body = client.post(_url(a, "/score"), data={**_full(call), "action": "submit"}).get_data(as_text=True)
    assert "请勾选“我已核对全部评分，提交后不可修改”以确认提交" in body
    body = client.post(_url(a, "/score"), data={**_full(call, comment=""), "action": "submit", "confirm": "y"}).get_data(as_text=True)
    assert "请填写评审意见" in body
    body = client.post(_url(a, "/score"), data={f"points-{first.id}": "15", "comment": "好", "action": "submit",
                                                "confirm": "y"}).get_data(as_text=True)
    assert body.count("请为“") == 5
    db.session.refresh(sheet)
    assert sheet.status == SheetStatus.DRAFT and sheet.points == {str(first.id): 15}

    resp = client.post(_url(a, "/score"), data={**_full(call), "action": "submit", "confirm": "y"}, follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert "评分已提交（总分 88 分）" in body and "已提交的评分已锁定" in body and "提交时间" in body
    assert 'name="points-' not in body  # read-only
    db.session.refresh(sheet)
    assert sheet.status == SheetStatus.SUBMITTED and sheet.total == 88

    resp = client.post(_url(a, "/score"), data={**_full(call, comment="改"), "action": "save"})
    assert resp.status_code == 409 and "已提交的评分已锁定，如需修改请联系评审组长" in resp.get_data(as_text=True)
    db.session.refresh(sheet)
    assert sheet.comment == "方案设计清晰，预算基本合理。"


def test_hidden_fields_are_ignored(client, db, accepted):
    login(client, accepted["reviewer"])
    data = {**_full(accepted["call"]), "action": "save", "status": "submitted", "points-999999": "5",
            "assignment_id": "1", "total": "100"}
    assert client.post(_url(accepted["assignment"], "/score"), data=data).status_code == 302
    sheet = _sheet(db, accepted["assignment"])
    assert sheet.status == SheetStatus.DRAFT and "999999" not in sheet.points


def test_scoring_closed_when_the_call_left_review(client, db, accepted):
    accepted["call"].status = CallStatus.NOTICE
    login(client, accepted["reviewer"])
    body = client.get(_url(accepted["assignment"])).get_data(as_text=True)
    assert "只有在专家评审阶段才能评分" in body and "disabled" in body
    resp = client.post(_url(accepted["assignment"], "/score"), data={**_full(accepted["call"]), "action": "save"})
    assert resp.status_code == 409
    assert _sheet(db, accepted["assignment"]) is None


def test_reopened_sheet_shows_the_reason(client, db, accepted):
    sheet = make_sheet(accepted["assignment"])
    sheet.reopen_count, sheet.reopen_reason = 1, "请复核“预算合理性”一项"
    login(client, accepted["reviewer"])
    body = client.get(_url(accepted["assignment"])).get_data(as_text=True)
    assert "评审组长已退回您的评分" in body and "请复核“预算合理性”一项" in body


def test_unknown_assignment_is_404(client, db, s):
    login(client, s["reviewer"])
    assert client.get("/reviews/assignments/999999").status_code == 404
    assert client.get("/reviews/assignments/99999999999").status_code == 404


def test_reviewer_pdf_download(client, db, accepted):
    login(client, accepted["reviewer"])
    resp = client.get(_url(accepted["assignment"], "/application.pdf"))
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["Cache-Control"] == "no-store"


# --------------------------------------------------------------------------- blind-safe marking

def test_blind_safe_page_and_save(client, db, s):
    s["call"].blind_review = True
    a1 = make_attachment(s["application"], kind="项目预算明细表", name="海源预算.pdf")
    a2 = make_attachment(s["application"], kind="其他材料", name="海源照片.pdf")
    login(client, s["officer"])
    body = client.get(f"/reviews/calls/{s['call'].id}/blind-safe").get_data(as_text=True)
    assert "海源预算.pdf" in body and "海源照片.pdf" in body and "已标记 0 / 2 个附件" in body
    assert f'name="safe" value="{a1.id}"' in body
    resp = client.post(f"/reviews/calls/{s['call'].id}/blind-safe",
                       data={"shown": [a1.id, a2.id], "safe": [a1.id], "q": "海源"}, follow_redirects=False)
    assert resp.status_code == 302 and "q=" in resp.headers["Location"]
    db.session.refresh(a1)
    db.session.refresh(a2)
    assert a1.blind_safe is True and a2.blind_safe is False
    body = client.get(f"/reviews/calls/{s['call'].id}/blind-safe?marked=unmarked").get_data(as_text=True)
    assert "海源照片.pdf" in body and "海源预算.pdf" not in body
    body = client.get(f"/reviews/calls/{s['call'].id}/blind-safe?q=GY-{s['application'].id:05d}").get_data(as_text=True)
    assert "海源预算.pdf" in body
    body = client.get(f"/reviews/calls/{s['call'].id}/blind-safe?q=没有这个").get_data(as_text=True)
    assert "没有符合条件的附件" in body
    # Out of review: the page says so and saving is refused with the message.
    s["call"].status = CallStatus.NOTICE
    resp = client.post(f"/reviews/calls/{s['call'].id}/blind-safe", data={"shown": [a1.id]}, follow_redirects=True)
    assert "只有在形式审查或专家评审阶段" in resp.get_data(as_text=True)
    db.session.refresh(a1)
    assert a1.blind_safe is True


def test_blind_safe_page_is_for_the_calls_officers(client, db, s):
    for user in (s["reviewer"], make_staff(make_funder()), make_staff(s["call"].funder, StaffRole.AUDITOR)):
        login(client, user)
        assert client.get(f"/reviews/calls/{s['call'].id}/blind-safe").status_code == 403
        assert client.post(f"/reviews/calls/{s['call'].id}/blind-safe", data={}).status_code == 403
    login(client, s["officer"])
    assert client.get("/reviews/calls/999999/blind-safe").status_code == 404


def test_blind_safe_pagination(client, db, s, app):
    for n in range(app.config["PAGE_SIZE"] + 3):
        make_attachment(s["application"], name=f"材料{n}.pdf")
    login(client, s["officer"])
    body = client.get(f"/reviews/calls/{s['call'].id}/blind-safe").get_data(as_text=True)
    assert "下一页" in body and body.count('name="shown"') == app.config["PAGE_SIZE"]
    body = client.get(f"/reviews/calls/{s['call'].id}/blind-safe?page=2").get_data(as_text=True)
    assert body.count('name="shown"') == 3
    total = db.session.scalar(select(func.count()).select_from(ScoreSheet))
    assert total == 0

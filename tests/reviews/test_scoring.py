"""The reviewer's services (app.reviews.scoring): task list, conflict declaration, score
sheet drafts and submission."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.reviews import scoring
from app.reviews.models import AssignmentOrigin, AssignmentStatus, ReviewAssignment, ScoreSheet, SheetStatus
from tests.factories import (make_application, make_assignment, make_call, make_expert, make_funder, make_org,
                             make_panel, make_sheet, make_staff, make_user)


def _audit(db, action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def setup(db):
    funder = make_funder()
    officer = make_staff(funder)
    call = make_call(funder, status=CallStatus.REVIEWING, title="评审中的创投")
    org = make_org(name="翠湖社区居家养老服务中心")
    application = make_application(call, org, status=ApplicationStatus.UNDER_REVIEW)
    reviewer = make_user(name="张评审")
    other = make_user(name="李评审")
    chair = make_user(name="王组长")
    experts = [make_expert(reviewer), make_expert(other)]
    chair_expert = make_expert(chair)
    panel = make_panel(call, reviewers=experts, chair=chair_expert, created_by=officer)
    assignment = make_assignment(panel, application, experts[0], status=AssignmentStatus.PENDING)
    return {"call": call, "org": org, "application": application, "reviewer": reviewer, "other": other,
            "chair": chair, "experts": experts, "chair_expert": chair_expert, "panel": panel,
            "assignment": assignment, "officer": officer}


def _points(call, **overrides):
    """Valid full points (as strings, like the form), criterion id → value."""
    points = {str(c.id): str(c.max_points // 2) for c in call.criteria}
    points.update(overrides)
    return points


# --------------------------------------------------------------------------- declaration

def test_declare_no_conflict_accepts(db, setup):
    a = setup["assignment"]
    result = scoring.declare(setup["reviewer"], a, False, None)
    assert result is a
    assert a.status == AssignmentStatus.ACCEPTED and a.declared_at is not None
    entry = _audit(db, "review.declare")[-1]
    assert entry.after["conflict"] is False and entry.object_id == str(a.id)


def test_declare_conflict_needs_a_reason(db, setup):
    a = setup["assignment"]
    for reason in (None, "", "   "):
        with pytest.raises(ValidationError) as err:
            scoring.declare(setup["reviewer"], a, True, reason)
        assert err.value.field == "reason"
    assert a.status == AssignmentStatus.PENDING
    with pytest.raises(ValidationError, match="500"):
        scoring.declare(setup["reviewer"], a, True, "理" * 501)
    with pytest.raises(ValidationError, match="控制字符"):
        scoring.declare(setup["reviewer"], a, True, "曾任\x00理事")
    assert a.status == AssignmentStatus.PENDING and not _audit(db, "review.declare")


def test_declare_conflict_recuses_and_reassigns(db, setup):
    a = setup["assignment"]
    replacement = scoring.declare(setup["reviewer"], a, True, "曾在该组织担任志愿者")
    assert a.status == AssignmentStatus.RECUSED and a.conflict_reason == "曾在该组织担任志愿者"
    # The panel's replace_recused gave the application to a member free of conflict.
    assert replacement is not None and replacement.id != a.id
    assert replacement.origin == AssignmentOrigin.REASSIGNED and replacement.status == AssignmentStatus.PENDING
    assert replacement.application_id == a.application_id and replacement.member_id != a.member_id
    assert _audit(db, "review.declare")[-1].after["reason"] == "曾在该组织担任志愿者"


def test_declare_conflict_calls_replace_recused_and_returns_its_result(db, setup, monkeypatch):
    calls = []

    def fake(assignment, actor):
        calls.append((assignment, actor, assignment.status))
        return None

    monkeypatch.setattr("app.reviews.panels.replace_recused", fake)
    result = scoring.declare(setup["reviewer"], setup["assignment"], True, "亲属关系")
    assert result is None
    assert calls == [(setup["assignment"], setup["reviewer"], AssignmentStatus.RECUSED)]


def test_declare_only_once_and_only_by_the_assignee(db, setup):
    a = setup["assignment"]
    with pytest.raises(PermissionDenied):
        scoring.declare(setup["other"], a, False, None)
    scoring.declare(setup["reviewer"], a, False, None)
    with pytest.raises(Conflict, match="不能重复声明"):
        scoring.declare(setup["reviewer"], a, True, "理由")
    assert a.status == AssignmentStatus.ACCEPTED


def test_declare_refused_once_the_review_is_over(db, setup):
    setup["call"].status = CallStatus.NOTICE
    with pytest.raises(Conflict, match="评审已结束"):
        scoring.declare(setup["reviewer"], setup["assignment"], False, None)
    assert setup["assignment"].status == AssignmentStatus.PENDING


# --------------------------------------------------------------------------- score sheet

@pytest.fixture
def accepted(setup):
    scoring.declare(setup["reviewer"], setup["assignment"], False, None)
    return setup


def test_save_partial_draft(db, accepted):
    call, a = accepted["call"], accepted["assignment"]
    first, second = call.criteria[0], call.criteria[1]
    sheet = scoring.save_sheet(accepted["reviewer"], a, {str(first.id): "12", str(second.id): ""}, "  初步意见 ")
    assert sheet.status == SheetStatus.DRAFT and sheet.points == {str(first.id): 12}
    assert sheet.comment == "初步意见" and sheet.total == 12
    # The draft becomes exactly what is given: a cleared value is unscored again.
    sheet = scoring.save_sheet(accepted["reviewer"], a, {str(first.id): "", str(second.id): "7"}, "")
    assert sheet.points == {str(second.id): 7}
    assert db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == a.id)) is sheet


@pytest.mark.parametrize("raw,message", [
    ("１２", "半角数字"),
    ("12.5", "不能有小数"),
    ("-1", "不能为负数"),
    ("abc", "之间的整数"),
    ("1e3", "之间的整数"),
    ("21", "不能超过该项满分 20 分"),
    ("9" * 40, "之间的整数"),
])
def test_bad_points_give_a_message_per_criterion_and_save_nothing(db, accepted, raw, message):
    call, a = accepted["call"], accepted["assignment"]
    first = call.criteria[0]  # 需求与服务对象, max 20
    assert first.max_points == 20
    for service in (scoring.save_sheet, scoring.submit_sheet):
        with pytest.raises(scoring.SheetInvalid) as err:
            service(accepted["reviewer"], a, _points(call, **{str(first.id): raw}), "意见")
        assert message in err.value.errors[str(first.id)]
        assert set(err.value.errors) == {str(first.id)}
    assert db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == a.id)) is None


def test_several_bad_points_are_all_reported(db, accepted):
    call, a = accepted["call"], accepted["assignment"]
    c1, c2, c3 = call.criteria[:3]
    with pytest.raises(scoring.SheetInvalid) as err:
        scoring.save_sheet(accepted["reviewer"], a, {str(c1.id): "x", str(c2.id): "-3", str(c3.id): "5"}, "")
    assert set(err.value.errors) == {str(c1.id), str(c2.id)}
    assert "2 处" in err.value.message


def test_integers_and_edges_accepted(db, accepted):
    call, a = accepted["call"], accepted["assignment"]
    first = call.criteria[0]
    sheet = scoring.save_sheet(accepted["reviewer"], a, {first.id: 20}, None)
    assert sheet.points == {str(first.id): 20}
    sheet = scoring.save_sheet(accepted["reviewer"], a, {str(first.id): " 0 "}, None)
    assert sheet.points == {str(first.id): 0}


def test_unknown_criteria_refused(db, accepted):
    call, a = accepted["call"], accepted["assignment"]
    with pytest.raises(scoring.SheetInvalid) as err:
        scoring.save_sheet(accepted["reviewer"], a, {**_points(call), "999999": "5"}, "")
    assert any("评分标准之外" in m for m in err.value.general)
    with pytest.raises(scoring.SheetInvalid):
        scoring.save_sheet(accepted["reviewer"], a, ["5", "6"], "")


def test_submit_requires_every_criterion_and_a_comment(db, accepted):
    call, a = accepted["call"], accepted["assignment"]
    last = call.criteria[-1]
    with pytest.raises(scoring.SheetInvalid) as err:
        scoring.submit_sheet(accepted["reviewer"], a, _points(call, **{str(last.id): ""}), "意见")
    assert "请为“" in err.value.errors[str(last.id)]
    with pytest.raises(scoring.SheetInvalid) as err:
        scoring.submit_sheet(accepted["reviewer"], a, _points(call), "   ")
    assert err.value.comment_error and not err.value.errors
    with pytest.raises(scoring.SheetInvalid) as err:
        scoring.submit_sheet(accepted["reviewer"], a, _points(call), "长" * 2001)
    assert "2000" in err.value.comment_error
    assert a.sheet is None


def test_submit_locks_the_sheet(db, accepted):
    call, a = accepted["call"], accepted["assignment"]
    scoring.save_sheet(accepted["reviewer"], a, {str(call.criteria[0].id): "3"}, "草稿")
    sheet = scoring.submit_sheet(accepted["reviewer"], a, _points(call), "需求分析扎实，预算合理。")
    expected_total = sum(c.max_points // 2 for c in call.criteria)
    assert sheet.status == SheetStatus.SUBMITTED and sheet.submitted_at is not None
    assert sheet.total == expected_total and list(sheet.points) == [str(c.id) for c in call.criteria]
    entry = _audit(db, "review.sheet.submit")[-1]
    assert entry.after["total"] == expected_total
    for service in (scoring.save_sheet, scoring.submit_sheet):
        with pytest.raises(Conflict) as err:
            service(accepted["reviewer"], a, _points(call, **{str(call.criteria[0].id): "0"}), "改一下")
        assert str(err.value.message) == "已提交的评分已锁定，如需修改请联系评审组长"
    assert sheet.total == expected_total and sheet.comment == "需求分析扎实，预算合理。"


def test_reopened_sheet_can_be_edited_and_resubmitted(db, accepted):
    call, a = accepted["call"], accepted["assignment"]
    sheet = make_sheet(a, submitted=True)
    sheet.status, sheet.reopen_count, sheet.reopen_reason = SheetStatus.DRAFT, 1, "请复核预算项"
    sheet = scoring.submit_sheet(accepted["reviewer"], a, _points(call), "已复核")
    assert sheet.status == SheetStatus.SUBMITTED and sheet.reopen_count == 1


@pytest.mark.parametrize("state", ["pending", "recused", "screening", "notice", "finalized"])
def test_scoring_out_of_order_is_a_conflict(db, setup, state):
    a, call = setup["assignment"], setup["call"]
    if state == "recused":
        a.status = AssignmentStatus.RECUSED
    elif state != "pending":
        a.status = AssignmentStatus.ACCEPTED
    if state in ("screening", "notice"):
        call.status = CallStatus.SCREENING if state == "screening" else CallStatus.NOTICE
    if state == "finalized":
        from app.core.db import utcnow

        setup["panel"].finalized_at = utcnow()
    for service in (scoring.save_sheet, scoring.submit_sheet):
        with pytest.raises(Conflict):
            service(setup["reviewer"], a, _points(call), "意见")
    assert a.sheet is None


def test_only_the_assignee_scores(db, accepted):
    with pytest.raises(PermissionDenied):
        scoring.save_sheet(accepted["other"], accepted["assignment"], {}, "")


# --------------------------------------------------------------------------- task list

def test_my_assignments_groups_per_call_with_progress(db, setup):
    reviewer, panel, call = setup["reviewer"], setup["panel"], setup["call"]
    org2 = make_org()
    app2 = make_application(call, org2, status=ApplicationStatus.UNDER_REVIEW)
    app3 = make_application(call, make_org(), status=ApplicationStatus.UNDER_REVIEW)
    a2 = make_assignment(panel, app2, setup["experts"][0])
    make_sheet(a2, submitted=True)
    a3 = make_assignment(panel, app3, setup["experts"][0], status=AssignmentStatus.RECUSED)
    # A second call where the same expert also reviews.
    call2 = make_call(make_funder(), status=CallStatus.REVIEWING)
    call2.blind_review = True
    other_app = make_application(call2, make_org(), status=ApplicationStatus.UNDER_REVIEW)
    panel2 = make_panel(call2, reviewers=[setup["experts"][0]])
    make_assignment(panel2, other_app, setup["experts"][0])
    # Someone else's task is never listed.
    make_assignment(panel, app2, setup["experts"][1])

    groups = scoring.my_assignments(reviewer)
    assert [g.call.id for g in groups] == [call2.id, call.id]
    group = groups[1]
    assert (group.submitted, group.total) == (1, 2)
    assert [(r.assignment.id, r.state) for r in group.rows] == [(setup["assignment"].id, "pending"), (a2.id, "submitted")]
    assert group.rows[1].total == a2.sheet.total
    assert group.rows[0].title == f"{setup['application'].title}（{setup['org'].name}）"
    # Blind call: code and redacted title, no organization.
    row = groups[0].rows[0]
    assert row.label.startswith(row.code) and other_app.organization.name not in row.label

    everything = scoring.my_assignments(reviewer, "all")
    assert a3.id in [r.assignment.id for g in everything for r in g.rows]
    recused = scoring.my_assignments(reviewer, AssignmentStatus.RECUSED)
    assert [r.assignment.id for g in recused for r in g.rows] == [a3.id]
    assert recused[0].total == 2  # progress ignores the filter
    assert scoring.my_assignments(reviewer, "submitted")[0].rows[0].assignment.id == a2.id
    assert scoring.my_assignments(make_user()) == []


def test_my_assignments_query_count_is_constant(db, setup, count_queries):
    reviewer, expert = setup["reviewer"], setup["experts"][0]

    def run():
        db.session.expire_all()
        with count_queries() as n:
            groups = scoring.my_assignments(reviewer)
            for g in groups:
                for r in g.rows:
                    _ = (r.label, r.total, r.state, g.max_points, g.panel.chair_user_id)
        return n()

    small = run()
    for _ in range(3):
        call = make_call(make_funder(), status=CallStatus.REVIEWING)
        call.blind_review = True
        panel = make_panel(call, reviewers=[expert])
        for _ in range(2):
            a = make_assignment(panel, make_application(call, make_org(), status=ApplicationStatus.UNDER_REVIEW), expert)
            make_sheet(a, submitted=True)
    db.session.flush()
    assert run() == small
    assert len(scoring.my_assignments(reviewer)) == 4


def test_assignment_rows_are_unique_per_member(db, setup):
    # The schema keeps one assignment per (application, member): declaring creates no duplicate.
    scoring.declare(setup["reviewer"], setup["assignment"], False, None)
    rows = db.session.scalars(select(ReviewAssignment).where(
        ReviewAssignment.application_id == setup["application"].id)).all()
    assert len(rows) == 1

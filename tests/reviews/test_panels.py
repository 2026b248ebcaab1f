"""Panel services (评审小组): random draw, members and chair, assignment, reassignment
after a declared conflict, and the move of a call into expert review."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.calls import services as call_services
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.extensions import db as _db
from app.funders.models import StaffRole
from app.reviews import panels
from app.reviews import experts
from app.reviews.draw import DrawError, draw
from app.reviews.models import (AssignmentOrigin, AssignmentStatus, ExpertiseField, PanelDraw,
                                PanelRole, ReviewAssignment, ScoreSheet)
from tests.factories import (add_member, make_application, make_call, make_expert, make_funder, make_org,
                             make_sheet, make_staff, make_user)

SW, LAW, ELDER = ExpertiseField.SOCIAL_WORK, ExpertiseField.LAW, ExpertiseField.ELDERLY_CARE


@pytest.fixture
def w(db):
    """A call in screening with four eligible applications (k = 3), a returned one, and
    an expert pool of eight: six social workers (one a member of org 0, one employed by
    org 1), a lawyer, and a suspended social worker."""
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    call = make_call(funder, status=CallStatus.SCREENING, title="2026年社区公益创投")
    call.reviewers_per_application = 3
    orgs = [make_org(name=f"翠湖社区服务中心{i}") for i in range(4)]
    apps = [make_application(call, org, status=ApplicationStatus.ELIGIBLE) for org in orgs]
    returned = make_application(call, make_org(), status=ApplicationStatus.RETURNED)
    member_user = make_user(name="组织成员专家")
    add_member(orgs[0], member_user)
    pool = [make_expert(make_user(name=f"专家{i}"), fields=[SW]) for i in range(4)]
    member_expert = make_expert(member_user, fields=[SW, ELDER])
    colleague = make_expert(make_user(name="同单位专家"), fields=[SW], employer=orgs[1].name)
    lawyer = make_expert(make_user(name="律师专家"), fields=[LAW])
    suspended = make_expert(make_user(name="暂停专家"), fields=[SW])
    suspended.is_active = False
    _db.session.flush()
    return {"funder": funder, "officer": officer, "call": call, "orgs": orgs, "apps": apps,
            "returned": returned, "pool": pool, "member_expert": member_expert, "colleague": colleague,
            "lawyer": lawyer, "suspended": suspended}


def _audits(action: str) -> int:
    return _db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def _rows(panel) -> list[ReviewAssignment]:
    return list(_db.session.scalars(select(ReviewAssignment).where(ReviewAssignment.panel_id == panel.id)))


def _panel_of(w, members, chair=None):
    officer, call = w["officer"], w["call"]
    for expert in members:
        panels.add_member(officer, call, expert)
    if chair is not None:
        panels.add_member(officer, call, chair, PanelRole.CHAIR)
    return panels.panel_for(call)


# --- draw ------------------------------------------------------------------------------

def test_draw_stores_a_verifiable_record_and_adds_the_picked_reviewers(w):
    record = panels.draw_panel(w["officer"], w["call"], 3, ["social_work"], seed="fixed-seed")
    panel = panels.panel_for(w["call"])
    assert record.panel_id == panel.id and record.seed == "fixed-seed" and record.size == 3
    assert record.fields == ["social_work"]
    pool_ids = sorted(e.id for e in w["pool"])
    assert record.eligible == pool_ids
    assert record.off_field == [w["lawyer"].id]
    excluded = dict(record.excluded)
    assert excluded == {w["member_expert"].id: "为申报组织成员", w["colleague"].id: "与申报组织同一单位"}
    assert w["suspended"].id not in record.eligible + record.off_field + list(excluded)
    members = {m.expert_id: m for m in panel.members}
    assert sorted(members) == sorted(record.picked) and len(record.picked) == 3
    assert all(m.draw_id == record.id and m.role == PanelRole.REVIEWER for m in members.values())
    # The stored record re-runs to the same result, and a tampered one does not.
    view = panels.draw_record(record)
    assert view.verified
    # Re-run from the pool itself (nobody was on the panel then): the same seed, the same panel.
    again = draw(experts.candidates_for([o.id for o in w["orgs"]]), 3, "fixed-seed", ["social_work"])
    assert list(again.picked) == record.picked and again.as_dict()["excluded"] == record.excluded
    record.picked = list(reversed(record.picked))
    assert not panels.draw_record(record).verified
    assert _audits("panel.draw") == 1 and _audits("panel.create") == 1


def test_a_second_draw_leaves_out_the_members_and_too_few_is_explained(w):
    officer, call = w["officer"], w["call"]
    first = panels.draw_panel(officer, call, 3, ["social_work"])
    second = panels.draw_panel(officer, call, 1, ["social_work"])
    assert set(second.eligible) == {e.id for e in w["pool"]} - set(first.picked)
    with pytest.raises(DrawError, match="只有 0 位.*已在评审小组中的 4 位专家不参加本次抽取"):
        panels.draw_panel(officer, call, 1, ["social_work"])
    with pytest.raises(DrawError, match="只有 1 位"):
        panels.draw_panel(officer, call, 2, ["law"])
    assert _db.session.scalar(select(func.count(PanelDraw.id))) == 2


@pytest.mark.parametrize("size, fields, message", [
    (0, None, "1 到 30"), (31, None, "1 到 30"), ("3", None, "整数"), (True, None, "整数"),
    (2, ["astrology"], "专业领域"),
])
def test_draw_refuses_bad_input_and_writes_nothing(w, size, fields, message):
    with pytest.raises(ValidationError, match=message):
        panels.draw_panel(w["officer"], w["call"], size, fields)
    assert panels.panel_for(w["call"]) is None


def test_draw_needs_a_program_officer_and_the_right_phase(w):
    auditor = make_staff(w["funder"], StaffRole.AUDITOR)
    with pytest.raises(PermissionDenied):
        panels.draw_panel(auditor, w["call"], 2, None)
    w["call"].status = CallStatus.OPEN
    with pytest.raises(Conflict, match="形式审查.*专家评审"):
        panels.draw_panel(w["officer"], w["call"], 2, None)


# --- members and chair -----------------------------------------------------------------

def test_add_member_refuses_inactive_duplicate_and_conflicted_experts(w):
    officer, call = w["officer"], w["call"]
    member = panels.add_member(officer, call, w["pool"][0])
    assert member.draw_id is None and member.role == PanelRole.REVIEWER
    with pytest.raises(ValidationError, match="已在评审小组中"):
        panels.add_member(officer, call, w["pool"][0])
    with pytest.raises(ValidationError, match="在库"):
        panels.add_member(officer, call, w["suspended"])
    with pytest.raises(ValidationError, match="须回避（为申报组织成员：翠湖社区服务中心0"):
        panels.add_member(officer, call, w["member_expert"])
    with pytest.raises(ValidationError, match="与申报组织同一单位"):
        panels.add_member(officer, call, w["colleague"])
    # A returned (not eligible) application does not make its organization's experts recuse.
    outsider = make_expert(make_user(name="补正组织成员"), fields=[SW])
    add_member(w["returned"].organization, outsider.user)
    panels.add_member(officer, call, outsider)
    assert [m.expert_id for m in panels.panel_for(call).members] == [w["pool"][0].id, outsider.id]


def test_find_expert_by_list_or_email(w):
    assert panels.find_expert(str(w["pool"][1].id)) == w["pool"][1]
    assert panels.find_expert(None, w["lawyer"].user.email.upper()) == w["lawyer"]
    with pytest.raises(ValidationError, match="请从列表中选择专家，或填写"):
        panels.find_expert(None, "  ")
    with pytest.raises(ValidationError, match="专家库中没有"):
        panels.find_expert("", w["officer"].email)
    with pytest.raises(ValidationError, match="请从列表中选择专家"):
        panels.find_expert("99999999999")


def test_chair_is_unique_and_moves(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:2], chair=w["pool"][2])
    first_chair = panel.chair
    assert first_chair.expert_id == w["pool"][2].id
    other = next(m for m in panel.members if m.expert_id == w["pool"][0].id)
    panels.set_chair(officer, other)
    chairs = [m for m in panel.members if m.role == PanelRole.CHAIR]
    assert chairs == [other] and first_chair.role == PanelRole.REVIEWER
    with pytest.raises(ValidationError, match="已是评审组长"):
        panels.set_chair(officer, other)
    # Adding a new member as chair hands the role over too.
    panels.add_member(officer, call, w["pool"][3], PanelRole.CHAIR)
    assert [m.expert_id for m in panel.members if m.is_chair] == [w["pool"][3].id]
    assert _audits("panel.set_chair") == 1


def test_remove_member_deletes_unscored_assignments_and_refuses_scored(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:4])
    panels.auto_assign(officer, call, seed="s")
    by_expert = {m.expert_id: m for m in panel.members}
    leaving = by_expert[w["pool"][0].id]
    scored = by_expert[w["pool"][1].id]
    scored_row = next(r for r in _rows(panel) if r.member_id == scored.id)
    scored_row.status = AssignmentStatus.ACCEPTED
    make_sheet(scored_row)  # a draft is already a score sheet
    panels.remove_member(officer, leaving)
    assert leaving.id not in {m.id for m in panel.members}
    assert all(r.member_id != leaving.id for r in _rows(panel))
    with pytest.raises(Conflict, match="已有 1 份评分表"):
        panels.remove_member(officer, scored)
    assert scored in panel.members
    assert _audits("panel.remove_member") == 1


# --- conflicts and assignment ----------------------------------------------------------

def test_conflict_pairs_cover_ties_and_declared_conflicts(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:3])
    # Ties appearing after the member joined (a new membership) count too.
    add_member(w["orgs"][2], w["pool"][0].user)
    _db.session.expire(w["pool"][0].user, ["org_memberships"])
    members = {m.expert_id: m for m in panel.members}
    row = panels.add_assignment(officer, w["apps"][3], members[w["pool"][1].id])
    row.status, row.conflict_reason = AssignmentStatus.RECUSED, "曾为该组织提供督导"
    _db.session.flush()
    reasons = panels.conflict_reasons(panel)
    assert reasons[(w["apps"][2].id, members[w["pool"][0].id].id)] == "为申报组织成员"
    assert reasons[(w["apps"][3].id, members[w["pool"][1].id].id)] == "曾为该组织提供督导"
    assert panels.conflict_pairs(panel) == set(reasons)


def test_auto_assign_is_balanced_conflict_free_and_keeps_existing(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:3], chair=w["pool"][3])
    members = {m.expert_id: m for m in panel.members}
    add_member(w["orgs"][0], w["pool"][0].user)
    _db.session.expire(w["pool"][0].user, ["org_memberships"])
    kept = panels.add_assignment(officer, w["apps"][1], members[w["pool"][0].id])
    result = panels.auto_assign(officer, call, seed="balanced")
    rows = _rows(panel)
    assert kept in rows and kept.origin == AssignmentOrigin.MANUAL
    assert result.created == len(rows) - 1 == 11
    per_app: dict[int, set[int]] = {}
    for r in rows:
        per_app.setdefault(r.application_id, set()).add(r.member_id)
        assert r.status == AssignmentStatus.PENDING
    assert all(len(v) == 3 for v in per_app.values()) and len(per_app) == 4
    assert members[w["pool"][0].id].id not in per_app[w["apps"][0].id]
    loads = [sum(1 for r in rows if r.member_id == m.id) for m in panel.members]
    assert max(loads) - min(loads) <= 1 and result.balanced and not result.warnings
    assert panel.assignment_seed == "balanced" and panel.assigned_at is not None
    # Running again adds nothing.
    again = panels.auto_assign(officer, call)
    assert again.created == 0 and len(_rows(panel)) == 12
    assert _audits("panel.auto_assign") == 2


def test_auto_assign_reports_shortfalls_by_code_and_title(w):
    officer, call = w["officer"], w["call"]
    call.reviewers_per_application = 3
    panel = _panel_of(w, w["pool"][:2])
    result = panels.auto_assign(officer, call)
    assert result.created == 8 and len(result.shortfalls) == 4
    assert f"申报 GY-{w['apps'][0].id:05d}（{w['apps'][0].title}） 只能分配 2 位" in result.warnings[0]
    overview = panels.assignment_overview(panel)
    assert [a.id for a, n in overview.shortfalls] == [a.id for a in w["apps"]]


def test_auto_assign_refuses_without_members_or_applications(w):
    officer, call = w["officer"], w["call"]
    with pytest.raises(ValidationError, match="还没有成员"):
        panels.auto_assign(officer, call)
    _panel_of(w, w["pool"][:2])
    for a in w["apps"]:
        a.status = ApplicationStatus.INELIGIBLE
    with pytest.raises(ValidationError, match="没有需要分配的申报书"):
        panels.auto_assign(officer, call)


def test_manual_assignment_refuses_conflicts_duplicates_and_foreign_applications(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:2])
    member = panel.members[0]
    panels.add_member(officer, call, w["lawyer"])
    lawyer = next(m for m in panel.members if m.expert_id == w["lawyer"].id)
    w["lawyer"].employer = w["orgs"][2].name
    with pytest.raises(ValidationError, match="须回避申报 GY-.*与申报组织同一单位"):
        panels.add_assignment(officer, w["apps"][2], lawyer)
    row = panels.add_assignment(officer, w["apps"][0], member)
    assert row.origin == AssignmentOrigin.MANUAL and row.status == AssignmentStatus.PENDING
    with pytest.raises(ValidationError, match="已分配到申报"):
        panels.add_assignment(officer, w["apps"][0], member)
    with pytest.raises(ValidationError, match="只有形式审查通过"):
        panels.add_assignment(officer, w["returned"], member)
    other_call = make_call(w["funder"], status=CallStatus.SCREENING)
    other = make_application(other_call, make_org(), status=ApplicationStatus.ELIGIBLE)
    with pytest.raises(ValidationError, match="本征集"):
        panels.add_assignment(officer, other, member)
    assert len(_rows(panel)) == 1


def test_remove_assignment_refuses_submitted_scores_and_recusals(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:3])
    a, b, c = (panels.add_assignment(officer, w["apps"][0], m) for m in panel.members)
    a.status = b.status = AssignmentStatus.ACCEPTED
    make_sheet(a)
    make_sheet(b, submitted=True)
    c.status = AssignmentStatus.RECUSED
    _db.session.flush()
    panels.remove_assignment(officer, a)  # a draft goes with it
    assert _db.session.scalar(select(func.count(ScoreSheet.id))) == 1
    with pytest.raises(Conflict, match="已提交"):
        panels.remove_assignment(officer, b)
    with pytest.raises(Conflict, match="回避声明"):
        panels.remove_assignment(officer, c)
    assert {r.id for r in _rows(panel)} == {b.id, c.id}


def test_changes_are_refused_once_finalized_or_out_of_phase(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:2])
    row = panels.add_assignment(officer, w["apps"][0], panel.members[0])
    from app.core.db import utcnow
    panel.finalized_at = utcnow()
    for action in (lambda: panels.add_member(officer, call, w["pool"][3]),
                   lambda: panels.set_chair(officer, panel.members[1]),
                   lambda: panels.remove_member(officer, panel.members[1]),
                   lambda: panels.auto_assign(officer, call),
                   lambda: panels.remove_assignment(officer, row),
                   lambda: panels.draw_panel(officer, call, 1, None)):
        with pytest.raises(panels.PanelLocked, match="已完成评审"):
            action()
    panel.finalized_at = None
    call.status = CallStatus.NOTICE
    with pytest.raises(panels.PanelLocked, match="公示"):
        panels.add_assignment(officer, w["apps"][1], panel.members[0])


# --- replacement after a declared conflict ---------------------------------------------

def _recuse(row, reason="与申报组织负责人为亲属"):
    row.status, row.conflict_reason = AssignmentStatus.RECUSED, reason
    _db.session.flush()


def test_replace_recused_picks_a_free_least_loaded_member(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:4])
    members = {m.expert_id: m for m in panel.members}
    m0, m1, m2, m3 = (members[e.id] for e in w["pool"][:4])
    # Loads: m0 2, m1 1, m2 0, m3 1 (m3 conflicted with app 3 through a membership).
    add_member(w["orgs"][3], w["pool"][3].user)
    _db.session.expire(w["pool"][3].user, ["org_memberships"])
    target = panels.add_assignment(officer, w["apps"][3], m0)
    panels.add_assignment(officer, w["apps"][0], m0)
    panels.add_assignment(officer, w["apps"][1], m1)
    _recuse(target)
    new = panels.replace_recused(target, w["pool"][0].user)
    assert new is not None and new.member_id == m2.id
    assert new.origin == AssignmentOrigin.REASSIGNED and new.status == AssignmentStatus.PENDING
    assert new.application_id == w["apps"][3].id
    assert target.status == AssignmentStatus.RECUSED  # the declaration stays on record
    assert _audits("panel.reassign") == 1


def test_replace_recused_returns_none_when_nobody_is_free(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:2])
    a = panels.add_assignment(officer, w["apps"][0], panel.members[0])
    panels.add_assignment(officer, w["apps"][0], panel.members[1])
    _recuse(a)
    assert panels.replace_recused(a, w["pool"][0].user) is None
    assert len(_rows(panel)) == 2 and _audits("panel.reassign_failed") == 1
    # Never back to someone who declared a conflict with it before.
    b = panels.add_assignment(officer, w["apps"][1], panel.members[0])
    _recuse(b)
    assert panels.replace_recused(b, w["pool"][0].user).member_id == panel.members[1].id
    with pytest.raises(Conflict):
        panels.replace_recused(panels.add_assignment(officer, w["apps"][2], panel.members[0]), officer)


# --- entering review -------------------------------------------------------------------

def test_advance_to_reviewing_needs_a_ready_panel_then_applications_go_under_review(w):
    officer, call = w["officer"], w["call"]
    w["returned"].status = ApplicationStatus.WITHDRAWN
    with pytest.raises(Conflict, match="尚未组建评审小组"):
        call_services.advance(officer, call, CallStatus.REVIEWING)
    panel = _panel_of(w, w["pool"][:3])
    with pytest.raises(Conflict, match="尚未指定评审组长；4 份形式审查通过的申报书尚未分配评审专家"):
        call_services.advance(officer, call, CallStatus.REVIEWING)
    panels.set_chair(officer, panel.members[0])
    panels.add_assignment(officer, w["apps"][0], panel.members[0])
    with pytest.raises(Conflict, match="3 份形式审查通过的申报书尚未分配"):
        call_services.advance(officer, call, CallStatus.REVIEWING)
    assert call.status == CallStatus.SCREENING
    panels.auto_assign(officer, call)
    call_services.advance(officer, call, CallStatus.REVIEWING)
    assert call.status == CallStatus.REVIEWING
    assert {a.status for a in w["apps"]} == {ApplicationStatus.UNDER_REVIEW}
    assert _db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "application.status", AuditEntry.after["status"].as_string() == "under_review")) == 4


def test_advance_is_refused_without_eligible_applications(w):
    officer, call = w["officer"], w["call"]
    w["returned"].status = ApplicationStatus.WITHDRAWN
    for a in w["apps"]:
        a.status = ApplicationStatus.INELIGIBLE
    _panel_of(w, w["pool"][:1], chair=w["pool"][1])
    with pytest.raises(Conflict, match="没有形式审查通过的申报书"):
        call_services.advance(officer, call, CallStatus.REVIEWING)


def test_overview_counts_loads_states_and_conflicts(w):
    officer, call = w["officer"], w["call"]
    panel = _panel_of(w, w["pool"][:3])
    panels.auto_assign(officer, call, seed="o")
    rows = _rows(panel)
    rows[0].status = AssignmentStatus.ACCEPTED
    make_sheet(rows[0], submitted=True)
    _recuse(rows[1])
    overview = panels.assignment_overview(panel)
    assert overview.k == 3 and len(overview.applications) == 4
    assert overview.counts["submitted"] == 1 and overview.counts["recused"] == 1
    assert overview.counts["pending"] == 10
    assert overview.total == 11 and sorted(overview.loads.values()) == [3, 4, 4]
    assert overview.balanced
    assert (rows[1].application_id, rows[1].member_id) in overview.conflicts
    assert [a.id for a, n in overview.shortfalls] == [rows[1].application_id]

"""Review events → notifications (issue 4): a declared conflict tells the officers and the
replacement reviewer (by code and redacted title on a blind call); a reopened sheet tells
its reviewer; a finalized panel tells the officers."""
from __future__ import annotations

from sqlalchemy import select

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.funders.models import StaffRole
from app.notifications.models import Notification
from app.reviews import results as result_services
from app.reviews import scoring
from app.reviews.blind import application_code
from app.reviews.models import AssignmentStatus
from tests.factories import (make_application, make_assignment, make_call, make_expert, make_funder,
                             make_org, make_panel, make_sheet, make_staff)


def _inbox(user) -> list[Notification]:
    from app.extensions import db

    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _round(blind: bool):
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    call = make_call(funder, status=CallStatus.REVIEWING, title="通知测试评审")
    call.blind_review = blind
    org = make_org(name="通知测试机构甲")
    application = make_application(call, org, status=ApplicationStatus.UNDER_REVIEW,
                                   title="通知测试机构甲社区助餐项目")
    first, second, chair = make_expert(), make_expert(), make_expert()
    panel = make_panel(call, reviewers=[first, second], chair=chair)
    return officer, call, application, panel, first, second, chair


def test_declared_conflict_tells_officers_and_the_replacement_without_the_organization(db):
    officer, call, application, panel, first, second, chair = _round(blind=True)
    assignment = make_assignment(panel, application, first, status=AssignmentStatus.PENDING)
    replacement = scoring.declare(first.user, assignment, True, "本人为该机构理事")
    assert replacement is not None
    officer_note = _inbox(officer)[-1]
    assert officer_note.kind == "review.recused"
    assert "本人为该机构理事" in officer_note.body and replacement.member.expert.name in officer_note.body
    new_reviewer = replacement.member.expert.user
    note = _inbox(new_reviewer)[-1]
    assert note.kind == "review.assigned" and note.link == f"/reviews/assignments/{replacement.id}"
    assert application_code(application) in note.body
    assert "通知测试机构甲" not in note.title + note.body  # blind: the organization is redacted


def test_reopened_sheet_tells_its_reviewer_and_finalizing_tells_the_officers(db):
    officer, call, application, panel, first, second, chair = _round(blind=False)
    sheets = [make_sheet(make_assignment(panel, application, e), submitted=True) for e in (first, second, chair)]
    result_services.reopen_sheet(chair.user, sheets[0], "第3项评分与评语不一致，请核对")
    note = _inbox(first.user)[-1]
    assert note.kind == "review.reopened" and "第3项评分与评语不一致" in note.body
    assert note.link == f"/reviews/assignments/{sheets[0].assignment_id}"
    assert _inbox(second.user) == []

    scoring.submit_sheet(first.user, sheets[0].assignment,
                         {str(c.id): c.max_points // 2 for c in call.criteria}, "已修改")
    result_services.finalize(chair.user, panel)
    note = _inbox(officer)[-1]
    assert note.kind == "panel.finalized" and note.link == f"/reviews/calls/{call.id}/results"

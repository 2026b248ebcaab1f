"""Read models for the public home page and the signed-in dashboard."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app.applications import services as application_services
from app.applications.models import ApplicationStatus
from app.calls.models import Call, CallStatus
from app.core.db import utcnow
from app.reviews.experts import expert_of

from app.extensions import db
from app.funders.models import Funder
from app.orgs.models import Organization
from app.orgs.services import with_community_chain
from app.regions.models import CommunityKind, Region, RegionLevel


DASHBOARD_APPLICATIONS = 8


def home_stats() -> dict[str, int]:
    communities = dict(
        db.session.execute(
            select(Region.kind, func.count()).where(Region.level == RegionLevel.COMMUNITY)
            .group_by(Region.kind)
        ).all()
    )
    return {
        "organizations": db.session.scalar(select(func.count()).select_from(Organization)) or 0,
        "funders": db.session.scalar(select(func.count()).select_from(Funder)) or 0,
        "urban_communities": communities.get(CommunityKind.URBAN, 0),
        "rural_communities": communities.get(CommunityKind.RURAL, 0),
    }


def recent_organizations(limit: int = 6) -> list[Organization]:
    return list(db.session.execute(
        select(Organization).options(with_community_chain()).order_by(Organization.created_at.desc(), Organization.id.desc()).limit(limit)
    ).scalars())


@dataclass
class CallDesk:
    """One call on an officer's dashboard: application counts per state and what awaits."""

    call: Call
    counts: list[tuple[ApplicationStatus, int]]
    drafts: int
    todo: list[str] = field(default_factory=list)


@dataclass
class ReviewTasks:
    """An expert's review work on the dashboard."""

    to_declare: int = 0
    to_score: int = 0
    submitted: int = 0
    chaired: list[Call] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.to_declare + self.to_score


def review_tasks(user) -> ReviewTasks:
    """Counts of the user's assignments in calls under review, and the calls whose panel they
    chair (two queries)."""
    from app.reviews.models import (AssignmentStatus, Expert, Panel, PanelMember, PanelRole,
                                    ReviewAssignment, ScoreSheet, SheetStatus)

    tasks = ReviewTasks()
    rows = db.session.execute(
        select(ReviewAssignment.status, ScoreSheet.status, func.count())
        .join(PanelMember, PanelMember.id == ReviewAssignment.member_id)
        .join(Expert, Expert.id == PanelMember.expert_id)
        .join(Panel, Panel.id == ReviewAssignment.panel_id)
        .join(Call, Call.id == Panel.call_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == ReviewAssignment.id)
        .where(Expert.user_id == user.id, Call.status == CallStatus.REVIEWING,
               ReviewAssignment.status != AssignmentStatus.RECUSED)
        .group_by(ReviewAssignment.status, ScoreSheet.status)).all()
    for status, sheet_status, n in rows:
        if status == AssignmentStatus.PENDING:
            tasks.to_declare += n
        elif sheet_status == SheetStatus.SUBMITTED:
            tasks.submitted += n
        else:
            tasks.to_score += n
    tasks.chaired = list(db.session.scalars(
        select(Call).join(Panel, Panel.call_id == Call.id)
        .join(PanelMember, PanelMember.panel_id == Panel.id)
        .join(Expert, Expert.id == PanelMember.expert_id)
        .where(Expert.user_id == user.id, PanelMember.role == PanelRole.CHAIR,
               Call.status == CallStatus.REVIEWING)
        .order_by(Call.id)))
    return tasks


def _review_progress(call_ids: list[int]) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
    """Per call: (submitted sheets, active assignments) and open objections."""
    from app.awards.models import Notice, Objection, ObjectionStatus
    from app.reviews.models import AssignmentStatus, Panel, ReviewAssignment, ScoreSheet, SheetStatus

    if not call_ids:
        return {}, {}
    progress = {call_id: (int(done or 0), total) for call_id, done, total in db.session.execute(
        select(Panel.call_id,
               func.sum(case((ScoreSheet.status == SheetStatus.SUBMITTED, 1), else_=0)),
               func.count(ReviewAssignment.id))
        .join(ReviewAssignment, ReviewAssignment.panel_id == Panel.id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == ReviewAssignment.id)
        .where(Panel.call_id.in_(call_ids), ReviewAssignment.status != AssignmentStatus.RECUSED)
        .group_by(Panel.call_id))}
    objections = dict(db.session.execute(
        select(Notice.call_id, func.count(Objection.id)).join(Objection, Objection.notice_id == Notice.id)
        .where(Notice.call_id.in_(call_ids), Objection.status == ObjectionStatus.OPEN)
        .group_by(Notice.call_id)).all())
    return progress, objections


def _todo(call: Call, counts: dict, now) -> list[str]:
    todo = []
    if call.status == CallStatus.DRAFT:
        todo.append(_("检查规则、评分标准和拨付安排后发布"))
    elif call.status == CallStatus.OPEN and now >= call.deadline_at:
        todo.append(_("申报已截止，可进入形式审查"))
    if call.status in (CallStatus.OPEN, CallStatus.SCREENING):
        waiting = counts.get(ApplicationStatus.SUBMITTED, 0)
        if waiting and call.status == CallStatus.SCREENING:
            todo.append(_("%(n)s 份申报书待形式审查", n=waiting))
        elif waiting:
            todo.append(_("%(n)s 份申报书已提交，可先查阅，材料不全的可退回补正", n=waiting))
        returned = counts.get(ApplicationStatus.RETURNED, 0)
        if returned:
            todo.append(_("%(n)s 份申报书退回补正中，等待申报单位重新提交", n=returned))
    return todo


def officer_desk(user, now) -> list[CallDesk]:
    """The calls of the funders where the user is staff, still in progress, with counts."""
    funder_ids = [m.funder_id for m in user.staff_memberships]
    if not funder_ids:
        return []
    calls = list(db.session.scalars(
        select(Call).where(Call.funder_id.in_(funder_ids),
                           Call.status.notin_([CallStatus.CLOSED, CallStatus.CANCELLED]))
        .order_by(Call.deadline_at.desc(), Call.id.desc())).all())
    counts = application_services.status_counts([c.id for c in calls])
    progress, objections = _review_progress(
        [c.id for c in calls if c.status in (CallStatus.REVIEWING, CallStatus.NOTICE)])
    desks = []
    for call in calls:
        per_call = counts.get(call.id, {})
        drafts = per_call.get(ApplicationStatus.DRAFT, 0)
        shown = [(s, n) for s, n in per_call.items() if n and s != ApplicationStatus.DRAFT]
        todo = _todo(call, per_call, now)
        if call.status == CallStatus.REVIEWING:
            done, total = progress.get(call.id, (0, 0))
            todo.append(_("专家评分已提交 %(done)s/%(total)s 份", done=done, total=total))
        elif call.status == CallStatus.NOTICE and objections.get(call.id):
            todo.append(_("%(n)s 条异议待答复", n=objections[call.id]))
        desks.append(CallDesk(call=call, counts=shown, drafts=drafts, todo=todo))
    return desks


@dataclass
class MoneyDesk:
    """Money and reports on the dashboard: what awaits the user (counts, a few queries)."""

    awards: int = 0                  # awards of the user's organizations
    agreements_to_sign: int = 0      # their agreements awaiting the signed scan
    reports_to_write: int = 0        # their reports in draft or returned, due within 30 days or overdue
    payments_to_approve: int = 0     # finance officers: installments requested
    scans_to_confirm: int = 0        # program officers: uploaded scans to confirm
    reports_to_review: int = 0       # program officers: submitted reports
    is_staff: bool = False


def money_desk(user, now=None) -> MoneyDesk | None:
    from datetime import timedelta

    from app.awards.models import Award
    from app.money.models import Agreement, AgreementStatus, Installment, InstallmentStatus
    from app.reports.models import Report, ReportStatus

    org_ids = [m.organization_id for m in user.org_memberships]
    roles: dict[int, set] = {}
    for m in user.staff_memberships:
        roles.setdefault(m.funder_id, set()).add(m.role.value)
    if not org_ids and not roles:
        return None
    desk = MoneyDesk(is_staff=bool(roles))
    today = (now or utcnow()).date()
    if org_ids:
        desk.awards = db.session.scalar(select(func.count(Award.id)).where(Award.organization_id.in_(org_ids))) or 0
        desk.agreements_to_sign = db.session.scalar(
            select(func.count(Agreement.id)).join(Award, Award.id == Agreement.award_id)
            .where(Award.organization_id.in_(org_ids), Agreement.status == AgreementStatus.GENERATED)) or 0
        desk.reports_to_write = db.session.scalar(
            select(func.count(Report.id)).join(Award, Award.id == Report.award_id)
            .where(Award.organization_id.in_(org_ids),
                   Report.status.in_([ReportStatus.DRAFT, ReportStatus.RETURNED]),
                   Report.due_on <= today + timedelta(days=30))) or 0
    finance = [f for f, r in roles.items() if "finance_officer" in r]
    officer = [f for f, r in roles.items() if "program_officer" in r]
    if finance:
        desk.payments_to_approve = db.session.scalar(
            select(func.count(Installment.id)).join(Award, Award.id == Installment.award_id)
            .join(Call, Call.id == Award.call_id)
            .where(Installment.status == InstallmentStatus.REQUESTED, Call.funder_id.in_(finance))) or 0
    if officer:
        desk.scans_to_confirm = db.session.scalar(
            select(func.count(Agreement.id)).join(Award, Award.id == Agreement.award_id)
            .join(Call, Call.id == Award.call_id)
            .where(Agreement.status == AgreementStatus.UPLOADED, Call.funder_id.in_(officer))) or 0
        desk.reports_to_review = db.session.scalar(
            select(func.count(Report.id)).join(Award, Award.id == Report.award_id)
            .join(Call, Call.id == Award.call_id)
            .where(Report.status == ReportStatus.SUBMITTED, Call.funder_id.in_(officer))) or 0
    return desk


def dashboard_for(user, now=None) -> dict:
    now = now or utcnow()
    applications = list(db.session.scalars(
        application_services.user_applications(user).limit(DASHBOARD_APPLICATIONS)).all())
    return {
        "org_memberships": sorted(user.org_memberships, key=lambda m: m.organization.name),
        "staff_memberships": sorted(user.staff_memberships, key=lambda m: (m.funder.name, m.role.value)),
        "applications": [(a, application_services.next_action(a, now)) for a in applications],
        "open_calls": open_calls_for(user, now) if user.org_memberships else [],
        "desks": officer_desk(user, now),
        "expert": (expert := expert_of(user)),
        "review_tasks": review_tasks(user) if expert is not None else None,
        "money": money_desk(user, now),
        "now": now,
    }


def open_calls_for(user, now, limit: int = 5) -> list[Call]:
    """Calls accepting applications now (the newest deadlines last: the most urgent first)."""
    return list(db.session.scalars(
        select(Call).where(Call.status == CallStatus.OPEN, Call.opens_at <= now, Call.deadline_at > now)
        .order_by(Call.deadline_at, Call.id).limit(limit)).all())

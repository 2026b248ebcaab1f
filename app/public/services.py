"""Read models for the public home page and the signed-in dashboard."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

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
    desks = []
    for call in calls:
        per_call = counts.get(call.id, {})
        drafts = per_call.get(ApplicationStatus.DRAFT, 0)
        shown = [(s, n) for s, n in per_call.items() if n and s != ApplicationStatus.DRAFT]
        desks.append(CallDesk(call=call, counts=shown, drafts=drafts, todo=_todo(call, per_call, now)))
    return desks


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
        "expert": expert_of(user),
        "now": now,
    }


def open_calls_for(user, now, limit: int = 5) -> list[Call]:
    """Calls accepting applications now (the newest deadlines last: the most urgent first)."""
    return list(db.session.scalars(
        select(Call).where(Call.status == CallStatus.OPEN, Call.opens_at <= now, Call.deadline_at > now)
        .order_by(Call.deadline_at, Call.id).limit(limit)).all())

"""Read models for the public home page and the signed-in dashboard."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.funders.models import Funder
from app.orgs.models import Organization
from app.orgs.services import with_community_chain
from app.regions.models import CommunityKind, Region, RegionLevel


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


def dashboard_for(user) -> dict:
    return {
        "org_memberships": sorted(user.org_memberships, key=lambda m: m.organization.name),
        "staff_memberships": sorted(user.staff_memberships, key=lambda m: (m.funder.name, m.role.value)),
    }

"""Realistic demo data (`flask demo load`): Yunnan's regions, funders, one account per
role and about forty community social organizations.

`load()` is idempotent: every row is looked up by its natural key (region code, funder
name, user email, organization name, membership pair) and only what is missing is
created, so a second run adds nothing. It flushes and never commits (the CLI commits).
"""
from __future__ import annotations

import hashlib

from flask import current_app
from sqlalchemy import func, select

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.demo import data
from app.demo.applications import load_applications
from app.demo.calls import load_calls
from app.demo.credit import load_credit
from app.demo.experts import load_experts
from app.demo.money import load_funds, load_money
from app.demo.reviews import load_reviews
from app.extensions import db
from app.funders.models import Funder, StaffMembership
from app.orgs.creditcode import check_character
from app.orgs.models import (LegalStatus, OrgMembership, Organization,
                             OrganizationServiceTarget)
from app.regions.models import Region, RegionLevel

__all__ = ["load", "credit_code_for"]


def credit_code_for(spec: data.OrgSpec) -> str:
    """A deterministic, valid unified social credit code for a registered organization.

    Layout (GB 32100-2015): "5" (registered by civil affairs) + "1" 社会团体 or
    "2" 社会服务机构 + the 6-digit county code + a 9-character organization code + check.
    """
    digest = hashlib.sha256(spec.name.encode("utf-8")).hexdigest()
    body = "MJ" + f"{int(digest, 16) % 10_000_000:07d}"
    first17 = "5" + spec.org_type + spec.community[:6] + body
    return first17 + check_character(first17)


def _load_regions(counts: dict[str, int]) -> dict[str, Region]:
    rows = data.region_rows()
    codes = [row[0] for row in rows]
    by_code = {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}
    created = 0
    # Level by level: create the missing ones, flush to get ids, then set paths.
    for level in RegionLevel:
        new: list[Region] = []
        for code, name, row_level, kind, parent_code in rows:
            if row_level != level or code in by_code:
                continue
            parent = by_code[parent_code] if parent_code else None
            region = Region(code=code, name=name, level=row_level, kind=kind, parent=parent)
            db.session.add(region)
            by_code[code] = region
            new.append(region)
        if new:
            db.session.flush()
            for region in new:
                region.path = (region.parent.path if region.parent else "/") + f"{region.id}/"
            created += len(new)
    db.session.flush()
    counts["regions"] = len(codes)
    counts["created"] += created
    return by_code


def _load_funders(regions: dict[str, Region], counts: dict[str, int]) -> dict[str, Funder]:
    names = [spec.name for spec in data.FUNDERS]
    by_name = {f.name: f for f in db.session.scalars(select(Funder).where(Funder.name.in_(names)))}
    for spec in data.FUNDERS:
        if spec.name in by_name:
            continue
        funder = Funder(
            name=spec.name, short_name=spec.short_name, kind=spec.kind,
            region_id=regions[spec.region_code].id, description=spec.description,
            address=spec.address, contact_phone=spec.contact_phone, website=spec.website,
        )
        db.session.add(funder)
        by_name[spec.name] = funder
        counts["created"] += 1
    db.session.flush()
    counts["funders"] = len(names)
    return by_name


def _load_users(counts: dict[str, int]) -> dict[str, User]:
    emails = [spec.email for spec in data.USERS]
    existing = db.session.scalars(select(User).where(func.lower(User.email).in_(emails)))
    by_email = {u.email.lower(): u for u in existing}
    password = current_app.config["DEMO_PASSWORD"]
    for spec in data.USERS:
        if spec.email in by_email:
            continue
        user = User(email=spec.email, name=spec.name, phone=spec.phone, is_admin=spec.is_admin,
                    email_confirmed_at=utcnow())
        user.set_password(password)
        db.session.add(user)
        by_email[spec.email] = user
        counts["created"] += 1
    db.session.flush()
    counts["users"] = len(emails)
    return by_email


def _load_staff(users: dict[str, User], funders: dict[str, Funder],
                counts: dict[str, int]) -> None:
    user_ids = [u.id for u in users.values()]
    existing = {
        (m.user_id, m.funder_id, m.role)
        for m in db.session.scalars(
            select(StaffMembership).where(StaffMembership.user_id.in_(user_ids)))
    }
    total = 0
    for spec in data.USERS:
        for funder_name, role in spec.staff:
            total += 1
            key = (users[spec.email].id, funders[funder_name].id, role)
            if key in existing:
                continue
            db.session.add(StaffMembership(user_id=key[0], funder_id=key[1], role=role))
            existing.add(key)
            counts["created"] += 1
    db.session.flush()
    counts["staff_memberships"] = total


def _authority(spec: data.OrgSpec, community: Region) -> str:
    if spec.status == LegalStatus.REGISTERED:
        return data.CIVIL_AFFAIRS_BUREAU[spec.community[:6]]
    if spec.status == LegalStatus.FILED:
        return data.FILING_OFFICE[spec.community[:9]]
    return data.party_committee(community.name)


def _load_organizations(regions: dict[str, Region],
                        counts: dict[str, int]) -> dict[str, Organization]:
    names = [spec.name for spec in data.ORGANIZATIONS]
    by_name = {o.name: o for o in db.session.scalars(
        select(Organization).where(Organization.name.in_(names)))}
    new: list[tuple[Organization, data.OrgSpec]] = []
    for spec in data.ORGANIZATIONS:
        if spec.name in by_name:
            continue
        community = regions[spec.community]
        registered = spec.status == LegalStatus.REGISTERED
        org = Organization(
            name=spec.name, legal_status=spec.status,
            credit_code=credit_code_for(spec) if registered else None,
            registration_authority=_authority(spec, community),
            category=spec.category, service_target_other=spec.target_other,
            home_community_id=community.id, founded_on=spec.founded_on,
            registered_on=spec.registered_on if registered else None,
            party_organization=spec.party, social_worker_count=spec.social_workers,
            staff_count=spec.staff, volunteer_count=spec.volunteers, mission=spec.mission,
            address=spec.address,
            legal_representative=spec.legal_representative if registered else "",
            contact_name=spec.contact_name, contact_phone=spec.contact_phone,
            contact_email=spec.contact_email, evaluation_grade=spec.grade,
            credit_status=spec.credit,
        )
        db.session.add(org)
        by_name[spec.name] = org
        new.append((org, spec))
    if new:
        db.session.flush()
        for org, spec in new:
            for target in spec.targets:
                db.session.add(OrganizationServiceTarget(organization_id=org.id, target=target))
        db.session.flush()
        counts["created"] += len(new) + sum(len(spec.targets) for _, spec in new)
    counts["organizations"] = len(names)
    return by_name


def _load_org_members(users: dict[str, User], orgs: dict[str, Organization],
                      counts: dict[str, int]) -> None:
    user_ids = [u.id for u in users.values()]
    existing = {
        (m.user_id, m.organization_id)
        for m in db.session.scalars(
            select(OrgMembership).where(OrgMembership.user_id.in_(user_ids)))
    }
    total = 0
    for spec in data.USERS:
        for org_name, role in spec.orgs:
            total += 1
            key = (users[spec.email].id, orgs[org_name].id)
            if key in existing:
                continue
            db.session.add(OrgMembership(user_id=key[0], organization_id=key[1], role=role))
            existing.add(key)
            counts["created"] += 1
    db.session.flush()
    counts["org_memberships"] = total


def load() -> dict[str, int]:
    """Create whatever demo rows are missing; return how many of each kind exist now and
    how many rows this run created (`created`)."""
    counts: dict[str, int] = {"created": 0}
    regions = _load_regions(counts)
    funders = _load_funders(regions, counts)
    users = _load_users(counts)
    _load_staff(users, funders, counts)
    orgs = _load_organizations(regions, counts)
    _load_org_members(users, orgs, counts)
    load_calls(regions, counts)
    load_applications(counts)
    from werkzeug.security import generate_password_hash

    load_experts(counts, generate_password_hash(current_app.config["DEMO_PASSWORD"]))
    load_funds(counts)
    load_reviews(counts)
    load_money(counts)
    load_credit(counts)
    summary = {key: counts[key] for key in (
        "regions", "funders", "users", "staff_memberships", "organizations",
        "org_memberships", "calls", "applications", "experts", "awards", "fund_sources",
        "journal_entries", "created")}
    if summary["created"]:
        audit.record(None, "demo.load", object_type="demo", object_id="v1", after=summary)
    # Relationships loaded before the flushes (e.g. user.staff_memberships) are stale.
    db.session.expire_all()
    return summary

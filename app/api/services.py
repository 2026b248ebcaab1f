"""What the API reads: the public queries of the domains (app.calls.services.public_calls,
app.transparency.projects.projects_query, app.orgs.services.directory_query, the funds of the
disclosure index, app.money.reconciliation.fund_rows) narrowed by the API's filters, and the
batch loads that keep every page at a fixed number of queries.

Region filters take a region *code* (统计用区划代码). For calls, a region matches calls whose
scope covers it or lies inside it (a county finds the province-wide calls and the calls of
its streets); for awards, projects whose organization or a service community lies inside
it; for organizations, those whose home community lies inside it. An unknown code matches
nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, func, select

from app.awards.models import Award
from app.calls import services as calls
from app.calls.models import Call, CallKind, CallStatus
from app.core.db import MAX_ID
from app.extensions import db
from app.money.models import Agreement, AwardFunding, FundSource, FundSourceKind, JournalEntry, JournalLine
from app.money.reconciliation import FundRow, fund_rows
from app.orgs import credit
from app.orgs import services as orgs
from app.orgs.credit import Assessment
from app.orgs.models import Category, LegalStatus, Organization, ServiceTarget
from app.regions.models import Region, RegionLevel
from app.transparency import projects
from app.transparency.disclosure import money_moving

CHINA = ZoneInfo("Asia/Shanghai")


def year_range(year: int) -> tuple[datetime, datetime]:
    """The UTC bounds of a calendar year in Beijing time."""
    start = datetime(year, 1, 1, tzinfo=CHINA).astimezone(timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(timezone.utc)
    return start, end


def region_by_code(code: str | None) -> Region | None:
    if not code:
        return None
    return db.session.scalar(select(Region).where(Region.code == code))


def _valid(ident: int) -> bool:
    return 0 < ident <= MAX_ID


# --------------------------------------------------------------------------- calls

def calls_query(*, status: str | None = None, kind: str | None = None, funder: int | None = None,
                region: str | None = None, year: int | None = None, q: str | None = None) -> Select:
    """Published calls (never drafts), open ones first, then by deadline, newest first."""
    region_row = region_by_code(region) if region else None
    stmt = calls.public_calls(kind=CallKind(kind) if kind else None,
                              region_id=region_row.id if region_row is not None else None,
                              status=CallStatus(status) if status else None, q=q)
    if region and region_row is None:
        stmt = stmt.where(false())
    if funder is not None:
        stmt = stmt.where(Call.funder_id == funder)
    if year is not None:
        start, end = year_range(year)
        stmt = stmt.where(Call.opens_at >= start, Call.opens_at < end)
    return stmt


def get_call(call_id: int) -> Call | None:
    """A published call; None for a draft, as for an unknown id."""
    call = calls.get_call(call_id)
    return call if call is not None and call.status != CallStatus.DRAFT else None


# --------------------------------------------------------------------------- awards

def awards_query(*, call: int | None = None, year: int | None = None, funder: int | None = None,
                 fund_kind: str | None = None, region: str | None = None, q: str | None = None) -> Select:
    """The public award list (every award is public once decided), newest decisions first."""
    region_row = region_by_code(region) if region else None
    stmt = projects.projects_query(q=q, call_id=call, kind=FundSourceKind(fund_kind) if fund_kind else None,
                                   year=year, region_id=region_row.id if region_row is not None else None)
    if region and region_row is None:
        stmt = stmt.where(false())
    if funder is not None:
        stmt = stmt.where(Award.call_id.in_(select(Call.id).where(Call.funder_id == funder)))
    return stmt


def fundings_of(award_ids: Sequence[int]) -> dict[int, list[AwardFunding]]:
    """award id → its fund-source split with the fund sources (one query)."""
    out: dict[int, list[AwardFunding]] = {i: [] for i in award_ids}
    if award_ids:
        for row in db.session.scalars(select(AwardFunding).where(AwardFunding.award_id.in_(list(award_ids)))
                                      .order_by(AwardFunding.award_id, AwardFunding.id)):
            out[row.award_id].append(row)
    return out


def paid_of(award_ids: Sequence[int]) -> dict[int, int]:
    """award id → paid so far (payments in force, as on the project pages)."""
    return {i: extras.paid_fen for i, extras in projects.list_extras(award_ids).items()}


def awards_changed_at(stmt: Select) -> datetime | None:
    """The newest decision or ledger movement (payment, refund, commitment) of the listed awards."""
    rows = stmt.order_by(None).subquery()
    decided = db.session.scalar(select(func.max(rows.c.awarded_at)))
    moved = db.session.scalar(select(func.max(JournalEntry.posted_at))
                              .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                              .where(JournalLine.award_id.in_(select(rows.c.id))))
    return max((s for s in (decided, moved) if s is not None), default=None)


def agreement_signed_at(award_id: int) -> datetime | None:
    """When the award's agreement was signed (its term and installments then show)."""
    return db.session.scalar(select(Agreement.signed_at).where(Agreement.award_id == award_id))


def get_project(award_id: int) -> projects.ProjectPage | None:
    return projects.get_project(award_id) if _valid(award_id) else None


# --------------------------------------------------------------------------- organizations

def organizations_query(*, category: str | None = None, legal_status: str | None = None,
                        service_target: str | None = None, region: str | None = None,
                        q: str | None = None) -> Select:
    """The public directory (社会组织名录), by community code then name."""
    region_row = region_by_code(region) if region else None
    stmt = orgs.directory_query(q=q, category=Category(category) if category else None,
                                region_id=region_row.id if region_row is not None else None,
                                target=ServiceTarget(service_target) if service_target else None,
                                legal_status=LegalStatus(legal_status) if legal_status else None)
    if region and region_row is None:
        stmt = stmt.where(false())
    return stmt


def get_organization(org_id: int) -> Organization | None:
    return orgs.get_profile(org_id)


def credits(organizations: Sequence[Organization]) -> dict[int, Assessment]:
    """organization id → its platform credit today, as the profile shows it (three queries)."""
    return credit.assess_many([o.id for o in organizations], credit.china_today())


# --------------------------------------------------------------------------- fund sources

def _disclosed() -> Select:
    """Fund sources the public disclosure lists: those with money moving (any journal line),
    as app.transparency.disclosure.disclosure_index."""
    return select(FundSource).where(money_moving())


def funds_query(*, year: int | None = None, kind: str | None = None, funder: int | None = None) -> Select:
    stmt = _disclosed()
    if year is not None:
        stmt = stmt.where(FundSource.fiscal_year == year)
    if kind:
        stmt = stmt.where(FundSource.kind == FundSourceKind(kind))
    if funder is not None:
        stmt = stmt.where(FundSource.funder_id == funder)
    return stmt.order_by(FundSource.fiscal_year.desc(), FundSource.funder_id, FundSource.id)


def get_fund(fund_id: int) -> FundSource | None:
    if not _valid(fund_id):
        return None
    return db.session.scalar(_disclosed().where(FundSource.id == fund_id))


def figures(funds: Sequence[FundSource]) -> dict[int, FundRow]:
    """fund id → the ledger figures of the disclosure (one query)."""
    return {row.fund.id: row for row in fund_rows(list(funds))}


def funds_changed_at(stmt: Select) -> datetime | None:
    """The newest creation or journal entry of the listed fund sources."""
    rows = stmt.order_by(None).subquery()
    created = db.session.scalar(select(func.max(rows.c.created_at)))
    moved = db.session.scalar(select(func.max(JournalEntry.posted_at))
                              .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                              .where(JournalLine.fund_source_id.in_(select(rows.c.id))))
    return max((s for s in (created, moved) if s is not None), default=None)


# --------------------------------------------------------------------------- statistics

def county_by_code(code: str | None) -> Region | None:
    """The county (县/市/区) of a code; None when the code names no county."""
    region = region_by_code(code)
    return region if region is not None and region.level == RegionLevel.COUNTY else None

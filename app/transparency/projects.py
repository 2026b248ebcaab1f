"""Public project pages (项目公开页, SPEC §6): every award with its outcome and its money.

What the public sees of a project, and nothing more: the application's summary and
objectives, the organization (its name and public profile), the communities served, the
call and funder, the term, the award number and amount, the fund sources (with the
福彩公益金资助 mark when a welfare-lottery fund pays for it), the installments paid (from the
payments in force), the indicators' targets against the actuals of the latest ACCEPTED
report, the summaries of accepted reports and the final rating once the final report is
accepted. Never: contacts, bank details, per-reviewer scores, drafts or reports not
accepted (their content stays with the organization and the funder).

The list and the page read a fixed number of queries whatever the number of rows.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import defaultload, joinedload, lazyload

from app.applications.models import Application
from app.calls.models import Call
from app.orgs.models import Organization
from app.awards import services as awards
from app.awards.models import Award
from app.core.db import MAX_ID
from app.extensions import db
from app.money.models import (
    Agreement, AgreementStatus, AwardFunding, FundSource, FundSourceKind, Installment, Payment,
)
from app.reports.models import Report, ReportKind, ReportRating, ReportStatus
from app.reports.services import percent

EXCERPT = 200


def number_text(value: Decimal | None) -> str:
    """2000 → "2,000", 12.5 → "12.50", None → "—"."""
    if value is None:
        return "—"
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    """The first ``limit`` characters of a text, on one line, with … when cut."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


# --------------------------------------------------------------------------- loading
# Pages show a call's title and funder and an organization's name: the call's categories and
# service targets and the organization's targets (loaded "selectin" by default) stay unloaded.

def award_options() -> tuple:
    """Load options for an Award with its application (indicators, budget, communities),
    call and organization, and nothing the public pages do not show."""
    application = joinedload(Award.application)
    return (application.selectinload(Application.community_rows),
            application.selectinload(Application.indicators),
            application.selectinload(Application.budget_lines),
            application.lazyload(Application.target_rows),
            defaultload(Award.application).defaultload(Application.call).lazyload(Call.category_rows),
            defaultload(Award.application).defaultload(Application.call).lazyload(Call.target_rows),
            defaultload(Award.application).defaultload(Application.organization).lazyload(Organization.target_rows),
            defaultload(Award.call).lazyload(Call.category_rows), defaultload(Award.call).lazyload(Call.target_rows),
            defaultload(Award.organization).lazyload(Organization.target_rows))


# --------------------------------------------------------------------------- the list

@dataclass
class FilterChoices:
    calls: list[tuple[int, str]]
    regions: list[tuple[int, str]]
    years: list[int]
    kinds: list[tuple[str, str]]


def filter_choices() -> FilterChoices:
    """Calls with awards, counties, decision years (app.awards.services) and the fund kinds."""
    base = awards.award_filter_choices()
    return FilterChoices(base.calls, base.regions, base.years, [(k.value, k.label) for k in FundSourceKind])


def projects_query(q: str | None = None, call_id: int | None = None, kind: FundSourceKind | None = None,
                   year: int | None = None, region_id: int | None = None) -> Select:
    """Awarded projects, newest decisions first: ``q`` matches the project or the
    organization, ``kind`` keeps projects funded (in part) by a fund of that kind, the
    others as in app.awards.services.public_awards."""
    stmt = awards.public_awards(q=q, call_id=call_id, region_id=region_id, year=year)
    if kind is not None:
        stmt = stmt.where(select(AwardFunding.id).join(FundSource, FundSource.id == AwardFunding.fund_source_id)
                          .where(AwardFunding.award_id == Award.id, FundSource.kind == kind).exists())
    return stmt


@dataclass
class ListExtras:
    kinds: list[FundSourceKind] = field(default_factory=list)
    paid_fen: int = 0

    @property
    def welfare_lottery(self) -> bool:
        return FundSourceKind.WELFARE_LOTTERY in self.kinds


def list_extras(award_ids: Iterable[int]) -> dict[int, ListExtras]:
    """award id → fund kinds and the total paid (payments in force) — two queries."""
    ids = list(award_ids)
    out: dict[int, ListExtras] = {i: ListExtras() for i in ids}
    if not ids:
        return out
    for award_id, kind in db.session.execute(
            select(AwardFunding.award_id, FundSource.kind).join(FundSource, FundSource.id == AwardFunding.fund_source_id)
            .where(AwardFunding.award_id.in_(ids)).order_by(AwardFunding.award_id, AwardFunding.id)):
        if kind not in out[award_id].kinds:
            out[award_id].kinds.append(kind)
    for award_id, amount in db.session.execute(
            select(Installment.award_id, Payment.amount_fen).join(Installment, Installment.id == Payment.installment_id)
            .where(Installment.award_id.in_(ids), Payment.reversed_entry_id.is_(None))):
        out[award_id].paid_fen += int(amount)
    return out


# --------------------------------------------------------------------------- one project

@dataclass
class PaidInstallment:
    position: int
    amount_fen: int
    paid_on: date


@dataclass
class IndicatorResult:
    name: str
    unit: str
    target: Decimal
    actual: Decimal | None

    @property
    def achieved(self) -> Decimal | None:
        return percent(self.actual, self.target)

    @property
    def target_text(self) -> str:
        return number_text(self.target)

    @property
    def actual_text(self) -> str:
        return number_text(self.actual)


@dataclass
class ReportSummary:
    kind: ReportKind
    accepted_on: datetime | None
    excerpt: str
    rating: ReportRating | None
    beneficiaries: int


@dataclass
class Outcome:
    """What the accepted reports say of a project."""
    summaries: list[ReportSummary]
    indicators: list[IndicatorResult]
    indicators_from: ReportKind | None     # the report the actuals come from
    spending_rate: Decimal | None           # spent / planned budget, latest accepted report
    final_accepted: bool
    final_rating: ReportRating | None


@dataclass
class ProjectPage:
    award: Award
    application: Application
    communities: list[str]
    starts_on: date | None
    ends_on: date | None
    term_from_agreement: bool
    fundings: list[AwardFunding]
    paid: list[PaidInstallment]
    installment_count: int
    outcome: Outcome

    @property
    def welfare_lottery(self) -> bool:
        return any(f.fund_source.kind == FundSourceKind.WELFARE_LOTTERY for f in self.fundings)

    @property
    def paid_fen(self) -> int:
        return sum(p.amount_fen for p in self.paid)

    @property
    def paid_percent(self) -> Decimal | None:
        return percent(self.paid_fen, self.award.amount_fen)


def accepted_reports(award_ids: Sequence[int]) -> dict[int, list[Report]]:
    """award id → its ACCEPTED reports, progress first (one query, plus the selectin loads
    of indicators and expenses — a fixed number whatever the number of awards)."""
    out: dict[int, list[Report]] = defaultdict(list)
    if not award_ids:
        return out
    order = list(ReportKind)
    rows = db.session.scalars(select(Report).where(Report.award_id.in_(list(award_ids)),
                                                   Report.status == ReportStatus.ACCEPTED)
                              .options(lazyload(Report.award)))
    for report in sorted(rows, key=lambda r: (r.award_id, order.index(r.kind))):
        out[report.award_id].append(report)
    return out


def outcome_of(application: Application, reports: Sequence[Report]) -> Outcome:
    """The outcome from a project's ACCEPTED reports (progress first). The indicators and
    the spending rate come from the latest (the final report once accepted)."""
    summaries = [ReportSummary(r.kind, r.reviewed_at, excerpt(r.narrative), r.rating,
                               sum(int(n or 0) for n in (r.beneficiaries or {}).values())) for r in reports]
    latest = reports[-1] if reports else None
    indicators: list[IndicatorResult] = []
    rate = None
    if latest is not None:
        actuals = {row.indicator_id: row.actual for row in latest.indicators}
        indicators = [IndicatorResult(i.name, i.unit, i.target, actuals.get(i.id)) for i in application.indicators]
        spent = {row.budget_line_id: row.spent_fen for row in latest.expenses}
        planned = sum(line.amount_fen for line in application.budget_lines)
        rate = percent(sum(spent.get(line.id, 0) for line in application.budget_lines), planned)
    else:
        indicators = [IndicatorResult(i.name, i.unit, i.target, None) for i in application.indicators]
    final = next((r for r in reports if r.kind == ReportKind.FINAL), None)
    return Outcome(summaries, indicators, latest.kind if latest else None, rate, final is not None,
                   final.rating if final is not None else None)


def get_project(award_id: int) -> ProjectPage | None:
    """Everything the public page of an award shows; None for an unknown id."""
    if not 0 < award_id <= MAX_ID:
        return None
    award = db.session.scalar(select(Award).where(Award.id == award_id).options(*award_options()))
    if award is None:
        return None
    application = award.application
    agreement = db.session.scalar(select(Agreement).where(Agreement.award_id == award.id)
                                  .options(lazyload(Agreement.award)))
    if agreement is not None and agreement.status == AgreementStatus.SIGNED:
        starts, ends, from_agreement = agreement.starts_on, agreement.ends_on, True
    else:
        starts, ends, from_agreement = application.starts_on, application.ends_on, False
    fundings = list(db.session.scalars(select(AwardFunding).where(AwardFunding.award_id == award.id)
                                       .order_by(AwardFunding.id)))
    installments = list(db.session.scalars(select(Installment).where(Installment.award_id == award.id)
                                           .options(lazyload(Installment.award)).order_by(Installment.position)))
    paid = [PaidInstallment(position, int(amount), paid_on) for position, amount, paid_on in db.session.execute(
        select(Installment.position, Payment.amount_fen, Payment.paid_on)
        .join(Installment, Installment.id == Payment.installment_id)
        .where(Installment.award_id == award.id, Payment.reversed_entry_id.is_(None))
        .order_by(Installment.position))]
    reports = accepted_reports([award.id]).get(award.id, [])
    return ProjectPage(award=award, application=application,
                       communities=[c.name for c in application.communities],
                       starts_on=starts, ends_on=ends, term_from_agreement=from_agreement,
                       fundings=fundings, paid=paid, installment_count=len(installments),
                       outcome=outcome_of(application, reports))

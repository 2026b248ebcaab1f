"""Public statistics (统计数据, SPEC §6, issue 6 §3): organizations per community against the
policy targets, awards by category / service target / region / year, and the money flow from
fund sources through calls to projects.

Every count is a SQL aggregate (GROUP BY), so each function runs a fixed number of queries
whatever the number of rows. Values are JSON-ready (ints, strings, lists, dicts) because the
JSON API (app/api) serves the same dicts; labels are translated in the current locale, keys
are stable enum values.

Definitions (the pages' captions say the same):

- **Coverage.** Every organization in the directory counts for its home community (there is
  no "deregistered" state; credit status does not remove an organization). Targets from the
  Yunnan policy (shared/policy): ≥ 10 community social organizations per urban community,
  ≥ 5 per rural community. Communities without any organization are counted (outer join).
- **Awards.** Every award (立项) counts once, with its awarded amount, in each breakdown —
  except by service target, where an award counts once for each target group its
  application serves (so that breakdown sums to more than the total). The region is the
  county (县/市/区) of the organization's home community. The year is the decision's year in
  Beijing time (Asia/Shanghai).
- **Money.** From the ledger only, through app.money.reconciliation (fund_rows, fund_totals,
  call_rows, award_rows) so the figures equal the reconciliation and disclosure pages: a
  fund's link to a call is what the call holds of it (分配至征集, net of withdrawals); a
  call's link to a project is what is committed to the project from the funds in scope
  (paid included).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import aliased, joinedload, lazyload

from app.applications.models import ApplicationTargetGroup
from app.awards.models import Award
from app.calls.models import Call, CallKind
from app.core.db import MAX_ID
from app.extensions import db
from app.funders.models import Funder
from app.money.models import FundSource, JournalLine
from app.money.reconciliation import award_rows, call_rows, fund_rows, fund_totals, safe_text
from app.orgs.models import Category, Organization, ServiceTarget
from app.regions.models import CommunityKind, Region, RegionLevel
from app.transparency.disclosure import disclosed_funds_query, money_moving

URBAN_TARGET = 10
RURAL_TARGET = 5
CHINA = ZoneInfo("Asia/Shanghai")
NO_TARGET = "none"          # key of awards whose application names no target group
UNKNOWN_REGION = ""         # key of awards whose organization has no county above it


def target_of(kind: CommunityKind | str) -> int:
    return URBAN_TARGET if kind == CommunityKind.URBAN else RURAL_TARGET


def percent(part: int, whole: int) -> float | None:
    """part / whole in percent with one decimal (half up); None when whole is 0."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def ratio(part: int, whole: int) -> float | None:
    """part / whole with one decimal (half up); None when whole is 0."""
    if not whole:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _int(value: Any) -> int:
    return int(value or 0)


def valid_id(value: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID else None


# --------------------------------------------------------------------------- coverage

def counties() -> list[tuple[int, str]]:
    """(id, name) of every county that has communities below it, by code (one query)."""
    return [(i, n) for i, n in db.session.execute(
        select(Region.id, Region.name).where(Region.level == RegionLevel.COUNTY).order_by(Region.code))]


def get_county(county_id: int | None) -> Region | None:
    """The county of that id, or None (not an id, not found, not a county)."""
    county_id = valid_id(county_id)
    if county_id is None:
        return None
    region = db.session.get(Region, county_id)
    return region if region is not None and region.level == RegionLevel.COUNTY else None


def _per_community(county: Region | None):
    """One row per community in scope: its county, street, kind, organization count and target."""
    comm, street, county_ = aliased(Region), aliased(Region), aliased(Region)
    orgs = (select(Organization.home_community_id.label("community_id"), func.count(Organization.id).label("n"))
            .group_by(Organization.home_community_id).subquery())
    target = case((comm.kind == CommunityKind.URBAN, literal(URBAN_TARGET)), else_=literal(RURAL_TARGET))
    stmt = (select(comm.id.label("id"), comm.code.label("code"), comm.name.label("name"), comm.kind.label("kind"),
                   street.id.label("street_id"), street.code.label("street_code"), street.name.label("street_name"),
                   county_.id.label("county_id"), county_.code.label("county_code"),
                   county_.name.label("county_name"),
                   func.coalesce(orgs.c.n, 0).label("n"), target.label("target"))
            .select_from(comm)
            .outerjoin(orgs, orgs.c.community_id == comm.id)
            .outerjoin(street, street.id == comm.parent_id)
            .outerjoin(county_, county_.id == street.parent_id)
            .where(comm.level == RegionLevel.COMMUNITY))
    if county is not None:
        stmt = stmt.where(comm.path.startswith(county.path))
    return stmt.subquery()


def organization_coverage(county_id: int | None = None) -> dict:
    """Organizations per community against the targets (three queries, four with a county).

    ``regions`` has one row per county (per street of the county when ``county_id`` names a
    county); ``below_target`` lists the communities below target, by county, street and
    community code. An id that is not a county gives the figures of no community."""
    county = get_county(county_id) if county_id is not None else None
    per = _per_community(county)
    if county_id is not None and county is None:
        per = select(per).where(literal(False)).subquery()
    meets = case((per.c.n >= per.c.target, 1), else_=0)
    urban = case((per.c.kind == CommunityKind.URBAN, 1), else_=0)
    total = db.session.execute(select(func.count(per.c.id), func.sum(urban), func.sum(per.c.n), func.sum(meets))).one()
    communities, urban_n, organizations, meeting = (_int(v) for v in total)
    if county is None:
        key = (per.c.county_id, per.c.county_code, per.c.county_name)
    else:
        key = (per.c.street_id, per.c.street_code, per.c.street_name)
    regions = [{"id": _int(rid), "code": code or "", "name": name or _("未归属"), "communities": _int(c),
                "organizations": _int(n), "meeting_target": _int(m), "below_target": _int(c) - _int(m)}
               for rid, code, name, c, n, m in db.session.execute(
                   select(*key, func.count(per.c.id), func.sum(per.c.n), func.sum(meets))
                   .group_by(*key).order_by(key[1]))]
    below = [{"id": r.id, "code": r.code, "name": r.name, "kind": CommunityKind(r.kind).value,
              "kind_label": CommunityKind(r.kind).label, "street": r.street_name or "",
              "county": r.county_name or "", "county_id": r.county_id, "street_id": r.street_id,
              "organizations": _int(r.n), "target": _int(r.target), "gap": _int(r.target) - _int(r.n)}
             for r in db.session.execute(
                 select(per).where(per.c.n < per.c.target)
                 .order_by(per.c.county_code, per.c.street_code, per.c.code))]
    return {
        "targets": {"urban": URBAN_TARGET, "rural": RURAL_TARGET},
        "county": {"id": county.id, "code": county.code, "name": county.name} if county is not None else None,
        "totals": {"communities": communities, "urban": urban_n, "rural": communities - urban_n,
                   "organizations": organizations, "meeting_target": meeting,
                   "below_target": communities - meeting,
                   "average_per_community": ratio(organizations, communities),
                   "meeting_share": percent(meeting, communities)},
        "regions": regions,
        "below_target": below,
    }


def below_target_groups(coverage: dict) -> list[dict]:
    """The below-target communities grouped county → street, in their order, for display:
    [{"county", "communities": n, "gap": n, "streets": [{"street", "rows": [...]}]}]."""
    out: list[dict] = []
    for row in coverage["below_target"]:
        if not out or out[-1]["county_id"] != row["county_id"]:
            out.append({"county": row["county"] or _("未归属"), "county_id": row["county_id"], "communities": 0,
                        "gap": 0, "streets": []})
        group = out[-1]
        if not group["streets"] or group["streets"][-1]["street_id"] != row["street_id"]:
            group["streets"].append({"street": row["street"] or _("未归属"), "street_id": row["street_id"],
                                     "rows": []})
        group["streets"][-1]["rows"].append(row)
        group["communities"] += 1
        group["gap"] += row["gap"]
    return out


# --------------------------------------------------------------------------- awards

def _year_range(year: int) -> tuple[datetime, datetime]:
    start = datetime(year, 1, 1, tzinfo=CHINA).astimezone(timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(timezone.utc)
    return start, end


def _beijing_year(column):
    """The Beijing-time year of a UTC timestamp column, as SQL (China keeps UTC+8 all year)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.cast(func.extract("year", func.timezone("Asia/Shanghai", column)), db.Integer)
    return func.cast(func.strftime("%Y", column, "+8 hours"), db.Integer)


def _award_where(stmt, year: int | None, funder_id: int | None, kind: CallKind | str | None):
    stmt = stmt.join(Call, Call.id == Award.call_id)
    if year is not None:
        start, end = _year_range(year)
        stmt = stmt.where(Award.awarded_at >= start, Award.awarded_at < end)
    if funder_id is not None:
        stmt = stmt.where(Call.funder_id == funder_id)
    if kind is not None:
        stmt = stmt.where(Call.kind == CallKind(kind))
    return stmt


def _row(key: str, label: str, awards: Any, amount: Any) -> dict:
    return {"key": key, "label": label, "awards": _int(awards), "amount_fen": _int(amount)}


def award_breakdown(year: int | None = None, funder_id: int | None = None, kind: str | None = None) -> dict:
    """Awards (count and awarded fen) in total and by category, service target, county and
    year, narrowed by the decision year (Beijing time), the call's funder and the call's kind
    (five queries). Categories and targets list every value (zeros too) in their order;
    counties (by code) and years (ascending) only those with awards."""
    if kind is not None and kind not in {k.value for k in CallKind}:
        raise ValueError(f"unknown call kind {kind!r}")
    count, amount = func.count(Award.id), func.coalesce(func.sum(Award.amount_fen), 0)

    def where(stmt):
        return _award_where(stmt, year, funder_id, kind)

    total_n, total_fen = db.session.execute(where(select(count, amount).select_from(Award))).one()
    by_cat = {c: (n, f) for c, n, f in db.session.execute(
        where(select(Organization.category, count, amount).select_from(Award)
              .join(Organization, Organization.id == Award.organization_id)).group_by(Organization.category))}
    by_target = {t: (n, f) for t, n, f in db.session.execute(
        where(select(ApplicationTargetGroup.target, count, amount).select_from(Award)
              .outerjoin(ApplicationTargetGroup, ApplicationTargetGroup.application_id == Award.application_id))
        .group_by(ApplicationTargetGroup.target))}
    comm, street, county = aliased(Region), aliased(Region), aliased(Region)
    regions = db.session.execute(
        where(select(county.code, county.name, count, amount).select_from(Award)
              .join(Organization, Organization.id == Award.organization_id)
              .outerjoin(comm, comm.id == Organization.home_community_id)
              .outerjoin(street, street.id == comm.parent_id)
              .outerjoin(county, (county.id == street.parent_id) & (county.level == RegionLevel.COUNTY)))
        .group_by(county.code, county.name).order_by(county.code)).all()
    year_col = _beijing_year(Award.awarded_at).label("year")
    years = db.session.execute(where(select(year_col, count, amount).select_from(Award))
                               .group_by(year_col).order_by(year_col)).all()

    targets = [_row(t.value, t.label, *by_target.get(t, (0, 0))) for t in ServiceTarget]
    if None in by_target:
        targets.append(_row(NO_TARGET, _("未填写服务对象"), *by_target[None]))
    return {
        "filters": {"year": year, "funder_id": funder_id, "kind": kind},
        "total": {"awards": _int(total_n), "amount_fen": _int(total_fen)},
        "by_category": [_row(c.value, c.label, *by_cat.get(c, (0, 0))) for c in Category],
        "by_target": targets,
        "by_region": [_row(code or UNKNOWN_REGION, name or _("未知地区"), n, f) for code, name, n, f in regions],
        "by_year": [_row(str(y), str(y), n, f) for y, n, f in years],
    }


@dataclass
class AwardChoices:
    years: list[int]
    funders: list[tuple[int, str]]
    kinds: list[tuple[str, str]]


def award_choices() -> AwardChoices:
    """Decision years and funders with awards, and the call kinds (two queries)."""
    year_col = _beijing_year(Award.awarded_at)
    years = [int(y) for y in db.session.scalars(select(year_col).distinct().order_by(year_col.desc())) if y]
    funders = [(i, n) for i, n in db.session.execute(
        select(Funder.id, Funder.name).where(
            select(Award.id).join(Call, Call.id == Award.call_id).where(Call.funder_id == Funder.id).exists())
        .order_by(Funder.name))]
    return AwardChoices(years, funders, [(k.value, k.label) for k in CallKind])


# --------------------------------------------------------------------------- money flow

def _funds(year: int | None, funder_id: int | None) -> list[FundSource]:
    stmt = disclosed_funds_query()
    if year is not None:
        stmt = stmt.where(FundSource.fiscal_year == year)
    if funder_id is not None:
        stmt = stmt.where(FundSource.funder_id == funder_id)
    return list(db.session.scalars(stmt))


def money_flow(year: int | None = None, funder_id: int | None = None) -> dict:
    """Fund sources → calls → projects from the ledger, for the funds of a fiscal year and
    a funder (seven queries). A fund's ``amount_fen`` is what it received (appropriated +
    donations); its ``allocated_fen`` flows on to calls. Calls by id, projects by call and
    award id; links fund→call carry what the call holds of the fund, links call→project
    what is committed to the project (paid included)."""
    funds = _funds(year, funder_id)
    totals_row = fund_totals(funds)
    fund_ids = [f.id for f in funds]
    calls: list[Call] = []
    awards: list[Award] = []
    if fund_ids:
        calls = list(db.session.scalars(
            select(Call).where(select(JournalLine.id).where(JournalLine.call_id == Call.id,
                                                            JournalLine.fund_source_id.in_(fund_ids)).exists())
            .options(lazyload("*")).order_by(Call.id)))
        awards = list(db.session.scalars(
            select(Award).where(select(JournalLine.id).where(JournalLine.award_id == Award.id,
                                                             JournalLine.fund_source_id.in_(fund_ids)).exists())
            .options(lazyload(Award.call), joinedload(Award.application).lazyload("*"),
                     joinedload(Award.organization).lazyload("*"))
            .order_by(Award.call_id, Award.id)).unique())
    fund_list = [{"id": r.fund.id, "name": r.fund.name, "kind": r.fund.kind.value, "kind_label": r.fund.kind.label,
                  "year": r.fund.fiscal_year, "funder": r.fund.funder.name,
                  "amount_fen": r.appropriated + r.donations, "allocated_fen": r.allocated,
                  "committed_fen": r.committed, "paid_fen": r.paid, "available_fen": r.available}
                 for r in fund_rows(funds)]
    links: list[dict] = []
    call_list = []
    for row in call_rows(calls, funds):
        call_list.append({"id": row.call.id, "title": row.call.title, "amount_fen": row.allocated,
                          "committed_fen": row.committed + row.paid, "paid_fen": row.paid})
        for part in row.parts:
            if part.allocated:
                links.append({"source": f"fund:{part.fund.id}", "target": f"call:{row.call.id}",
                              "amount_fen": part.allocated})
    projects = []
    for row in award_rows(awards, funds):
        a = row.award
        projects.append({"id": a.id, "number": a.number, "title": a.application.title,
                         "organization": a.organization.name, "call_id": a.call_id,
                         "amount_fen": row.committed, "paid_fen": row.paid, "award_fen": a.amount_fen})
        if row.committed:
            links.append({"source": f"call:{a.call_id}", "target": f"project:{a.id}", "amount_fen": row.committed})
    t = totals_row
    return {
        "filters": {"year": year, "funder_id": funder_id},
        "totals": {"appropriated_fen": t.appropriated if t else 0, "donations_fen": t.donations if t else 0,
                   "allocated_fen": t.allocated if t else 0, "committed_fen": t.committed if t else 0,
                   "paid_fen": t.paid if t else 0, "refunded_fen": t.refunded if t else 0,
                   "available_fen": t.available if t else 0,
                   "projects_fen": sum(p["amount_fen"] for p in projects)},
        "funds": fund_list,
        "calls": call_list,
        "projects": projects,
        "links": links,
    }


@dataclass
class MoneyChoices:
    years: list[int]
    funders: list[tuple[int, str]]


def money_choices() -> MoneyChoices:
    """Fiscal years and funders of funds with money moving (two queries)."""
    moving = money_moving()
    years = list(db.session.scalars(select(FundSource.fiscal_year).where(moving).distinct()
                                    .order_by(FundSource.fiscal_year.desc())))
    funders = [(i, n) for i, n in db.session.execute(
        select(Funder.id, Funder.name).where(
            select(FundSource.id).where(FundSource.funder_id == Funder.id, moving).exists())
        .order_by(Funder.name))]
    return MoneyChoices(years, funders)


# --------------------------------------------------------------------------- tables and CSV

@dataclass
class Column:
    label: str
    kind: str = "text"      # text | int | fen | pct | ratio


@dataclass
class Table:
    """A table the page shows behind a chart and the CSV exports cell for cell."""
    caption: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    foot: list[Any] | None = None


def coverage_regions_table(cov: dict) -> Table:
    by_street = cov["county"] is not None
    t = Table(_("%(county)s各街道/乡镇社区社会组织达标情况", county=cov["county"]["name"]) if by_street
              else _("各县/市/区社区社会组织达标情况"),
              [Column(_("街道/乡镇") if by_street else _("县/市/区")), Column(_("区划代码")),
               Column(_("社区数"), "int"), Column(_("社会组织数"), "int"), Column(_("达标社区"), "int"),
               Column(_("未达标社区"), "int"), Column(_("达标率"), "pct")])
    for r in cov["regions"]:
        t.rows.append([r["name"], r["code"], r["communities"], r["organizations"], r["meeting_target"],
                       r["below_target"], percent(r["meeting_target"], r["communities"])])
    tot = cov["totals"]
    t.foot = [_("合计"), "", tot["communities"], tot["organizations"], tot["meeting_target"], tot["below_target"],
              tot["meeting_share"]]
    return t


def coverage_below_table(cov: dict) -> Table:
    t = Table(_("未达标社区（城市社区目标 %(urban)s 个，农村社区目标 %(rural)s 个）", urban=URBAN_TARGET,
                rural=RURAL_TARGET),
              [Column(_("县/市/区")), Column(_("街道/乡镇")), Column(_("社区/村")), Column(_("区划代码")),
               Column(_("类型")), Column(_("社会组织数"), "int"), Column(_("目标"), "int"), Column(_("差距"), "int")])
    for r in cov["below_target"]:
        t.rows.append([r["county"], r["street"], r["name"], r["code"], r["kind_label"], r["organizations"],
                       r["target"], r["gap"]])
    return t


AWARD_DIMENSIONS = ("by_category", "by_target", "by_region", "by_year")


def award_dimension_label(dimension: str) -> str:
    return {"by_category": _("组织类别"), "by_target": _("服务对象"), "by_region": _("县/市/区"),
            "by_year": _("立项年度")}[dimension]


def award_table(breakdown: dict, dimension: str) -> Table:
    captions = {
        "by_category": _("按承接组织类别统计的立项数和资助金额"),
        "by_target": _("按服务对象统计的立项数和资助金额（一个项目服务多类对象时，在每类对象下各计一次，合计大于总数）"),
        "by_region": _("按承接组织所在县/市/区统计的立项数和资助金额"),
        "by_year": _("按立项年度（北京时间）统计的立项数和资助金额"),
    }
    t = Table(captions[dimension], [Column(award_dimension_label(dimension)), Column(_("立项数"), "int"),
                                    Column(_("资助金额"), "fen")])
    for r in breakdown[dimension]:
        t.rows.append([r["label"], r["awards"], r["amount_fen"]])
    if dimension != "by_target":
        t.foot = [_("合计"), breakdown["total"]["awards"], breakdown["total"]["amount_fen"]]
    return t


def money_table(flow: dict) -> Table:
    """Fund → call → project → amount: each fund→call allocation, then each project of the
    call with what is committed to it (from all funds in scope)."""
    t = Table(_("资金流向：资金来源 → 征集 → 项目"),
              [Column(_("资金来源")), Column(_("征集")), Column(_("立项编号")), Column(_("项目")),
               Column(_("承接组织")), Column(_("金额"), "fen"), Column(_("已支付"), "fen")])
    funds = {f"fund:{f['id']}": f for f in flow["funds"]}
    calls = {f"call:{c['id']}": c for c in flow["calls"]}
    by_call: dict[int, list[dict]] = {}
    for p in flow["projects"]:
        by_call.setdefault(p["call_id"], []).append(p)
    fund_names: dict[int, list[str]] = {}
    for link in flow["links"]:
        if link["source"] in funds:
            call = calls[link["target"]]
            fund_names.setdefault(call["id"], []).append(funds[link["source"]]["name"])
            t.rows.append([funds[link["source"]]["name"], call["title"], "", _("分配至征集"), "",
                           link["amount_fen"], None])
    for call in flow["calls"]:
        for p in by_call.get(call["id"], []):
            if p["amount_fen"]:
                t.rows.append(["、".join(fund_names.get(call["id"], [])), call["title"], p["number"], p["title"],
                               p["organization"], p["amount_fen"], p["paid_fen"]])
    return t


def yuan_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


def pct_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "fen":
        return yuan_text(value)
    if kind == "pct":
        return "" if value is None else f"{value:.1f}"
    if kind in ("int", "ratio"):
        return str(value)
    return safe_text(value)


def to_csv(tables: Iterable[Table], *, with_caption: bool = False) -> bytes:
    """UTF-8 CSV with a BOM (Excel reads the Chinese); amounts in yuan with two decimals,
    percentages as numbers; text cells that a spreadsheet would run are neutralised. Several
    tables follow each other, each with its caption as a first row when ``with_caption``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, t in enumerate(tables):
        if i:
            writer.writerow([])
        if with_caption:
            writer.writerow([safe_text(t.caption)])
        writer.writerow([c.label + (_("(元)") if c.kind == "fen" else "") + ("(%)" if c.kind == "pct" else "")
                         for c in t.columns])
        for row in t.rows + ([t.foot] if t.foot else []):
            writer.writerow([csv_cell(v, c.kind) for v, c in zip(row, t.columns)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def award_tables(breakdown: dict) -> list[Table]:
    return [award_table(breakdown, d) for d in AWARD_DIMENSIONS]

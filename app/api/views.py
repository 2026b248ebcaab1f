"""The API's operations (all GET, public, read-only). Each view: parse the declared
parameters (400 on anything else), ask app.api.services, serialize, answer with ETag /
Last-Modified (304 when the client's copy is current)."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import bp
from app.api import serializers as out
from app.api import schemas, services
from app.api.http import (Q, api_route, envelope, enum_param, id_param, json_response, max_of,
                          newest, not_found, paginate, parse_args, region_param, year_param)
from app.awards.models import Award
from app.calls.models import CallKind, CallStatus
from app.money.models import FundSource, FundSourceKind
from app.orgs.models import Category, LegalStatus, ServiceTarget
from app.transparency import statistics

VERSION = "1.0.0"

CALL_PARAMS = (
    enum_param("status", CallStatus, "征集状态（草稿不公开，不可查询）", exclude=("draft",)),
    enum_param("kind", CallKind, "征集类型"),
    id_param("funder", "资助方编号"),
    region_param("region", "行政区划代码：范围覆盖该地区或位于该地区之内的征集"),
    year_param("征集开始（opens_at）的年份，北京时间"),
    Q,
)
AWARD_PARAMS = (
    id_param("call", "征集编号"),
    year_param("立项年份，北京时间"),
    id_param("funder", "资助方编号（发布征集的资助方）"),
    enum_param("fund_kind", FundSourceKind, "资金来源类型：至少部分由该类资金资助的项目"),
    region_param("region", "行政区划代码（通常为县级）：承接组织所在社区或服务社区位于该地区之内的项目"),
    Q,
)
ORG_PARAMS = (
    enum_param("category", Category, "组织类别"),
    enum_param("legal_status", LegalStatus, "法律状态"),
    enum_param("service_target", ServiceTarget, "服务对象"),
    region_param("region", "行政区划代码（社区或其上级地区）：所在社区位于该地区之内的组织"),
    Q,
)
FUND_PARAMS = (
    year_param("财政年度"),
    enum_param("kind", FundSourceKind, "资金来源类型"),
    id_param("funder", "资助方编号"),
)
COUNTY = region_param("county", "县级行政区划代码；不填为全部地区")
STAT_YEAR = year_param("立项年份（北京时间）；不填为全部年份")
MONEY_YEAR = year_param("资金来源的财政年度；不填为全部年度")
STAT_FUNDER = id_param("funder", "资助方编号；不填为全部资助方")
STAT_KIND = enum_param("kind", CallKind, "征集类型；不填为全部类型")

_Q_NOTE = "q 匹配标题、摘要和服务项目。"


# --------------------------------------------------------------------------- index

@api_route(bp, "/", summary="接口目录", tag="index", schema="Index", conditional=False,
           description="列出全部数据集合和 OpenAPI 文档的地址。")
def index():
    links = {
        "calls": url_for("api.calls", _external=True),
        "awards": url_for("api.awards", _external=True),
        "organizations": url_for("api.organizations", _external=True),
        "fund_sources": url_for("api.fund_sources", _external=True),
        "statistics_organizations": url_for("api.statistics_organizations", _external=True),
        "statistics_awards": url_for("api.statistics_awards", _external=True),
        "statistics_money": url_for("api.statistics_money", _external=True),
        "openapi": url_for("api.openapi", _external=True),
        "documentation": url_for("transparency.open_data", _external=True),
    }
    return json_response({"name": "Gongyi open data API", "version": VERSION,
                          "description": "公益创投与政府购买服务平台的只读开放数据接口。", "links": links})


@api_route(bp, "/openapi.json", summary="OpenAPI 3.1 文档", tag="index", schema="OpenAPI", conditional=False)
def openapi():
    from app.api.openapi import document

    return json_response(document())


# --------------------------------------------------------------------------- calls

@api_route(bp, "/calls", summary="项目征集列表", tag="calls", schema="CallPage", params=CALL_PARAMS, paged=True,
           description="已发布的项目征集（草稿不公开），征集中的在前，其余按截止时间从新到旧。" + _Q_NOTE)
def calls():
    args = parse_args()
    stmt = services.calls_query(status=args["status"], kind=args["kind"], funder=args["funder"],
                                region=args["region"], year=args["year"], q=args["q"])
    page = paginate(stmt, args["page"], args["per_page"])
    body, headers = envelope(page, [out.call(c) for c in page.items])
    return json_response(body, last_modified=max_of(stmt, "updated_at"), headers=headers)


@api_route(bp, "/calls/<int:call_id>", summary="一个项目征集", tag="calls", schema="Call",
           path_params=(("call_id", "征集编号"),))
def call(call_id: int):
    c = services.get_call(call_id)
    if c is None:
        raise not_found(_("征集"), call_id)
    return json_response(out.call(c, detail=True), last_modified=c.updated_at)


# --------------------------------------------------------------------------- awards

@api_route(bp, "/awards", summary="立项项目列表", tag="awards", schema="AwardPage", params=AWARD_PARAMS, paged=True,
           description="全部已立项项目，按立项时间从新到旧。q 匹配项目名称或承接组织名称。")
def awards():
    args = parse_args()
    stmt = services.awards_query(call=args["call"], year=args["year"], funder=args["funder"],
                                 fund_kind=args["fund_kind"], region=args["region"], q=args["q"])
    page = paginate(stmt, args["page"], args["per_page"])
    ids = [a.id for a in page.items]
    fundings, paid = services.fundings_of(ids), services.paid_of(ids)
    body, headers = envelope(page, [out.award(a, fundings[a.id], paid[a.id]) for a in page.items])
    return json_response(body, last_modified=services.awards_changed_at(stmt), headers=headers)


@api_route(bp, "/awards/<int:award_id>", summary="一个立项项目", tag="awards", schema="Award",
           path_params=(("award_id", "立项记录编号"),),
           description="与项目公开页相同的内容：资金来源、已拨付的分期、成效指标和审核通过的报告摘要。")
def award(award_id: int):
    p = services.get_project(award_id)
    if p is None:
        raise not_found(_("立项项目"), award_id)
    changed = newest(services.awards_changed_at(select(Award).where(Award.id == award_id)),
                     services.agreement_signed_at(award_id), *(r.accepted_on for r in p.outcome.summaries))
    return json_response(out.project(p), last_modified=changed)


# --------------------------------------------------------------------------- organizations

# No Last-Modified for organizations: their credit follows reports, objections and breaches,
# and the date (a rolling window); the ETag still makes conditional requests work.
@api_route(bp, "/organizations", summary="社会组织名录", tag="organizations", schema="OrganizationPage",
           params=ORG_PARAMS, paged=True, conditional=False,
           description="社区社会组织的公开资料（与组织主页公开部分相同，不含联系方式），按所在社区代码和名称排序。"
                       "q 匹配组织名称或统一社会信用代码。")
def organizations():
    args = parse_args()
    stmt = services.organizations_query(category=args["category"], legal_status=args["legal_status"],
                                        service_target=args["service_target"], region=args["region"], q=args["q"])
    page = paginate(stmt, args["page"], args["per_page"])
    credit = services.credits(page.items)
    body, headers = envelope(page, [out.organization(o, credit[o.id]) for o in page.items])
    return json_response(body, headers=headers)


@api_route(bp, "/organizations/<int:org_id>", summary="一个社会组织", tag="organizations", schema="Organization",
           path_params=(("org_id", "组织编号"),), conditional=False)
def organization(org_id: int):
    org = services.get_organization(org_id)
    if org is None:
        raise not_found(_("社会组织"), org_id)
    return json_response(out.organization(org, services.credits([org])[org.id]))


# --------------------------------------------------------------------------- fund sources

@api_route(bp, "/fund-sources", summary="资金来源列表", tag="fund-sources", schema="FundSourcePage",
           params=FUND_PARAMS, paged=True,
           description="资金使用公告所列的资金来源（已有资金往来的），含台账数据，按财政年度从新到旧。")
def fund_sources():
    args = parse_args()
    stmt = services.funds_query(year=args["year"], kind=args["kind"], funder=args["funder"])
    page = paginate(stmt, args["page"], args["per_page"])
    rows = services.figures(page.items)
    body, headers = envelope(page, [out.fund(f, rows[f.id]) for f in page.items])
    return json_response(body, last_modified=services.funds_changed_at(stmt), headers=headers)


@api_route(bp, "/fund-sources/<int:fund_id>", summary="一个资金来源", tag="fund-sources", schema="FundSource",
           path_params=(("fund_id", "资金来源编号"),))
def fund_source(fund_id: int):
    fund = services.get_fund(fund_id)
    if fund is None:
        raise not_found(_("资金来源"), fund_id)
    changed = services.funds_changed_at(select(FundSource).where(FundSource.id == fund.id))
    return json_response(out.fund(fund, services.figures([fund])[fund.id]), last_modified=changed)


# --------------------------------------------------------------------------- statistics

@api_route(bp, "/statistics/organizations", summary="社区社会组织覆盖情况", tag="statistics",
           schema="OrganizationStatistics", params=(COUNTY,), conditional=False,
           description="各社区（村）的组织数与政策目标（城市社区不少于 10 个、农村社区不少于 5 个）的对比，"
                       "及未达标的社区。county 为未知的县级代码时回答 404。")
def statistics_organizations():
    args = parse_args()
    county_id = None
    if args["county"]:
        county = services.county_by_code(args["county"])
        if county is None:
            raise not_found(_("县级地区"), args["county"])
        county_id = county.id
    return _statistics("OrganizationStatistics", statistics.organization_coverage(county_id))


@api_route(bp, "/statistics/awards", summary="立项统计", tag="statistics", schema="AwardStatistics",
           params=(STAT_YEAR, STAT_FUNDER, STAT_KIND), conditional=False,
           description="立项数量和金额，按组织类别、服务对象、地区和年份分组。")
def statistics_awards():
    args = parse_args()
    return _statistics("AwardStatistics", statistics.award_breakdown(args["year"], args["funder"], args["kind"]))


@api_route(bp, "/statistics/money", summary="资金流向", tag="statistics", schema="MoneyStatistics",
           params=(MONEY_YEAR, STAT_FUNDER), conditional=False,
           description="从资金来源经征集到项目的资金流向，金额来自台账。")
def statistics_money():
    args = parse_args()
    return _statistics("MoneyStatistics", statistics.money_flow(args["year"], args["funder"]))


def _statistics(name: str, data: dict):
    defs = schemas.components()
    return json_response(schemas.conform(data, defs[name], defs))


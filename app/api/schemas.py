"""JSON Schemas (2020-12, as OpenAPI 3.1 uses) of what the API answers, one per resource.

Every object is closed (``additionalProperties: false``) and lists every property as
required, so a field added to a serializer without its schema — or removed from it — fails
the schemathesis run and tests/api/test_openapi.py.
"""
from __future__ import annotations

from typing import Any

from app.calls.models import CallKind, CallStatus
from app.money.models import FundSourceKind
from app.orgs.credit import CreditGrade
from app.orgs.models import Category, CreditStatus, EvaluationGrade, LegalStatus, PartyOrganization, ServiceTarget
from app.regions.models import CommunityKind, RegionLevel
from app.reports.models import ReportKind, ReportRating

INT = {"type": "integer"}
CREDIT_COUNTS = ("rating", "late", "returned", "objection", "breach")
FEN = {"type": "integer", "minimum": 0, "description": "金额，单位：分（1 元 = 100 分）"}
SIGNED_FEN = {"type": "integer", "description": "金额，单位：分（1 元 = 100 分）"}
ID = {"type": "integer", "minimum": 1}
TEXT = {"type": "string"}
URL = {"type": "string", "format": "uri"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time", "description": "ISO 8601，北京时间（+08:00）"}
NUMBER = {"type": "number"}


def nullable(schema: dict) -> dict:
    out = dict(schema)
    kind = out.get("type")
    if kind is not None:
        out["type"] = [kind, "null"] if isinstance(kind, str) else [*kind, "null"]
    else:
        out = {"anyOf": [schema, {"type": "null"}]}
    return out


def obj(properties: dict[str, Any], *, optional: tuple[str, ...] = (), description: str | None = None) -> dict:
    """A closed object: every property required unless listed in ``optional``."""
    out: dict[str, Any] = {"type": "object", "properties": properties,
                           "required": [k for k in properties if k not in optional],
                           "additionalProperties": False}
    if description:
        out["description"] = description
    return out


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def choice(enum_cls, description: str) -> dict:
    """An enum value with its label in the reader's language."""
    return obj({"value": {"type": "string", "enum": [m.value for m in enum_cls]}, "label": TEXT},
               description=description)


def _call_props() -> dict:
    return {
        "id": ID, "title": TEXT,
        "kind": choice(CallKind, "征集类型：公益创投 / 政府购买服务"),
        "status": choice([s for s in CallStatus if s != CallStatus.DRAFT], "征集状态（草稿不公开）"),
        "funder": ref("FunderRef"), "region": ref("RegionRef"), "summary": TEXT,
        "opens_at": DATETIME, "deadline_at": DATETIME,
        "budget_fen": FEN, "min_award_fen": FEN, "max_award_fen": FEN,
        "categories": array(choice(Category, "可申报的组织类别")),
        "service_targets": array(choice(ServiceTarget, "服务对象")),
        "url": URL,
    }


def _award_props() -> dict:
    return {
        "id": ID, "number": TEXT, "title": TEXT,
        "organization": obj({"id": ID, "name": TEXT, "credit_code": nullable(TEXT)},
                            description="承接组织；credit_code 为统一社会信用代码，备案和社区党组织引领的组织为 null"),
        "call": obj({"id": ID, "title": TEXT}), "funder": ref("FunderRef"),
        "amount_fen": FEN, "final_score": NUMBER, "awarded_at": DATETIME,
        "fund_sources": array(obj({"id": ID, "name": TEXT, "kind": ref("FundKind"), "amount_fen": FEN},
                                  description="资金来源及其承担的份额")),
        "paid_fen": FEN, "communities": array(ref("RegionRef")),
        "welfare_lottery": {"type": "boolean", "description": "福彩公益金资助"},
        "url": URL,
    }


def _org_props() -> dict:
    return {
        "id": ID, "name": TEXT, "legal_status": choice(LegalStatus, "法律状态"),
        "credit_code": nullable(TEXT), "registration_authority": TEXT,
        "category": choice(Category, "组织类别"), "service_targets": array(choice(ServiceTarget, "服务对象")),
        "service_target_other": TEXT,
        "community": obj({"code": TEXT, "name": TEXT, "full_name": TEXT,
                          "kind": nullable(choice(CommunityKind, "城市社区 / 农村社区"))}),
        "founded_on": DATE, "registered_on": nullable(DATE),
        "party_organization": choice(PartyOrganization, "党组织建立情况"),
        "social_worker_count": INT, "staff_count": INT, "volunteer_count": INT, "mission": TEXT,
        "evaluation_grade": choice(EvaluationGrade, "评估等级"), "credit_status": choice(CreditStatus, "信用状态"),
        "credit": obj({
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "grade": choice(CreditGrade, "信用等级 A 守信 / B 良好 / C 关注 / D 失信"),
            "barred_by": array(obj({"funder": ref("FunderRef"), "until": DATE},
                                   description="正被禁止申报的资助方；until 为可再申报的日期")),
            "counts": obj({k: {"type": "integer", "minimum": 0} for k in CREDIT_COUNTS},
                          description="统计期内的记录数：报告评级、报告逾期、退回修改、异议成立、违约"),
            "url": URL,
        }, description="平台信用（与组织主页相同，按当天计算）"),
        "url": URL,
    }


def _fund_props() -> dict:
    return {
        "id": ID, "name": TEXT, "kind": ref("FundKind"), "funder": ref("FunderRef"),
        "fiscal_year": INT, "description": TEXT,
        "figures": obj({"appropriated_fen": SIGNED_FEN, "donations_fen": SIGNED_FEN, "allocated_fen": SIGNED_FEN,
                        "committed_fen": SIGNED_FEN, "paid_fen": SIGNED_FEN, "refunded_fen": SIGNED_FEN,
                        "available_fen": SIGNED_FEN},
                       description="台账数据（与资金使用公告一致）：拨入、捐赠、分配至征集、承诺待付、已支付、退回、可用"),
        "disclosure_url": URL, "url": URL,
    }


def _page(item: str) -> dict:
    return obj({"data": array(ref(item)), "meta": ref("PageMeta"), "links": ref("PageLinks")})


_BREAKDOWN_ROW = obj({"key": TEXT, "label": TEXT, "awards": INT, "amount_fen": SIGNED_FEN})


def components() -> dict[str, dict]:
    """Every component schema of the document, by name."""
    call = _call_props()
    award = _award_props()
    return {
        "FunderRef": obj({"id": ID, "name": TEXT}, description="资助方"),
        "RegionRef": obj({"code": TEXT, "name": TEXT,
                          "level": {"type": "string", "enum": [lvl.value for lvl in RegionLevel]}},
                         description="行政区划（统计用区划代码）"),
        "FundKind": choice(FundSourceKind, "资金来源类型"),
        "PageMeta": obj({"page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
                         "total": {"type": "integer", "minimum": 0}, "pages": {"type": "integer", "minimum": 1}}),
        "PageLinks": obj({"self": URL, "first": URL, "last": URL, "prev": nullable(URL), "next": nullable(URL)},
                         description="分页链接（绝对地址）；没有上一页/下一页时为 null"),
        "Problem": obj({"type": {"type": "string", "format": "uri-reference"}, "title": TEXT, "status": INT, "detail": TEXT,
                        "parameter": TEXT}, optional=("parameter",),
                       description="RFC 9457 问题详情；parameter 为出错的查询参数"),
        "Index": obj({"name": TEXT, "version": TEXT, "description": TEXT,
                      "links": obj({k: URL for k in INDEX_LINKS})}),
        "CallSummary": obj(call),
        "Call": obj({**call, "description": TEXT, "service_item": TEXT}),
        "CallPage": _page("CallSummary"),
        "AwardSummary": obj(award),
        "Award": obj({
            **award, "summary": TEXT,
            "period": obj({"starts_on": nullable(DATE), "ends_on": nullable(DATE),
                           "from_agreement": {"type": "boolean"}},
                          description="实施周期：已签资助协议时为协议约定，否则为申报书计划"),
            "installments": obj({"count": INT, "paid": array(obj({"position": INT, "amount_fen": FEN,
                                                                  "paid_on": DATE}))}),
            "outcome": obj({
                "indicators": array(obj({"name": TEXT, "unit": TEXT, "target": NUMBER, "actual": nullable(NUMBER),
                                         "achieved_percent": nullable(NUMBER)})),
                "indicators_from": nullable(choice(ReportKind, "实际值所依据的报告")),
                "reports": array(obj({"kind": choice(ReportKind, "报告类型"), "accepted_at": nullable(DATETIME),
                                      "excerpt": TEXT, "rating": nullable(choice(ReportRating, "评级")),
                                      "beneficiaries": INT})),
                "spending_rate_percent": nullable(NUMBER),
                "final_accepted": {"type": "boolean"},
                "final_rating": nullable(choice(ReportRating, "结项评级")),
            }, description="只来自审核通过的报告"),
        }),
        "AwardPage": _page("AwardSummary"),
        "Organization": obj(_org_props()),
        "OrganizationPage": _page("Organization"),
        "FundSource": obj(_fund_props()),
        "FundSourcePage": _page("FundSource"),
        "OrganizationStatistics": obj({
            "targets": obj({"urban": INT, "rural": INT}, description="政策目标：每个城市社区、农村社区的组织数"),
            "county": nullable(obj({"id": INT, "code": TEXT, "name": TEXT})),
            "totals": obj({**{k: INT for k in ("communities", "urban", "rural", "organizations", "meeting_target",
                                               "below_target")},
                           "average_per_community": nullable(NUMBER), "meeting_share": nullable(NUMBER)}),
            "regions": array(obj({"id": INT, "code": TEXT, "name": TEXT, "communities": INT, "organizations": INT,
                                  "meeting_target": INT, "below_target": INT},
                                 description="按县（指定 county 时按街道）汇总")),
            "below_target": array(obj({"id": INT, "code": TEXT, "name": TEXT,
                                       "kind": {"type": "string", "enum": [k.value for k in CommunityKind]},
                                       "kind_label": TEXT, "street": TEXT, "county": TEXT,
                                       "county_id": nullable(INT), "street_id": nullable(INT),
                                       "organizations": INT, "target": INT, "gap": INT},
                                      description="未达标的社区（村）")),
        }),
        "AwardStatistics": obj({
            "filters": obj({"year": nullable(INT), "funder_id": nullable(INT), "kind": nullable(TEXT)}),
            "total": obj({"awards": INT, "amount_fen": SIGNED_FEN}),
            **{k: array(_BREAKDOWN_ROW) for k in ("by_category", "by_target", "by_region", "by_year")},
        }),
        "MoneyStatistics": obj({
            "filters": obj({"year": nullable(INT), "funder_id": nullable(INT)}),
            "totals": obj({k: SIGNED_FEN for k in ("appropriated_fen", "donations_fen", "allocated_fen",
                                                   "committed_fen", "paid_fen", "refunded_fen", "available_fen",
                                                   "projects_fen")}),
            "funds": array(obj({"id": INT, "name": TEXT, "kind": TEXT, "kind_label": TEXT, "year": INT,
                                "funder": TEXT, "amount_fen": SIGNED_FEN, "allocated_fen": SIGNED_FEN,
                                "committed_fen": SIGNED_FEN, "paid_fen": SIGNED_FEN,
                                "available_fen": SIGNED_FEN})),
            "calls": array(obj({"id": INT, "title": TEXT, "amount_fen": SIGNED_FEN, "committed_fen": SIGNED_FEN,
                                "paid_fen": SIGNED_FEN})),
            "projects": array(obj({"id": INT, "number": TEXT, "title": TEXT, "organization": TEXT,
                                   "call_id": INT, "amount_fen": SIGNED_FEN, "paid_fen": SIGNED_FEN,
                                   "award_fen": SIGNED_FEN})),
            "links": array(obj({"source": TEXT, "target": TEXT, "amount_fen": SIGNED_FEN},
                               description="source/target 形如 fund:1、call:2、project:3")),
        }),
    }


INDEX_LINKS = ("calls", "awards", "organizations", "fund_sources", "statistics_organizations",
               "statistics_awards", "statistics_money", "openapi", "documentation")


def conform(value: Any, schema: dict, defs: dict[str, dict]) -> Any:
    """``value`` cut down to what ``schema`` declares (properties of closed objects, items of
    arrays, following $ref and nullable types). The statistics dicts are built by
    app.transparency.statistics for the pages too; the API answers only their documented
    part, so a key added there later does not change the API until it is described here."""
    if "$ref" in schema:
        return conform(value, defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if value is None:
        return None
    if "anyOf" in schema:
        return conform(value, next(s for s in schema["anyOf"] if s.get("type") != "null"), defs)
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "object" in kinds and isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: conform(value[k], props[k], defs) for k in props if k in value}
    if "array" in kinds and isinstance(value, list):
        return [conform(v, schema.get("items", {}), defs) for v in value]
    return value

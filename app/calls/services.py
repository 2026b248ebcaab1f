"""Calls for proposals: creation, rules, rubric, installment template, lifecycle.

Rubric weights: every default criterion has weight 1 and its importance is carried by its
maximum points (20/25/20/15/10/10 = 100), as the SPEC's default table does; weights stay
available for calls that want a tie-break order (the highest-weighted criterion breaks ties).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from app.calls.models import (AggregationMethod, Call, CallCategory, CallKind, CallServiceTarget,
                              CallStatus, DEFAULT_BUDGET_HEADS, InstallmentStep, InstallmentTrigger,
                              RubricCriterion)
from app.core import audit
from app.core.db import MAX_ID, utcnow
from app.core.forms import CONTROL_CHARS
from app.core.errors import Conflict, ValidationError
from app.core.events import emit
from app.core.money import parse_yuan
from app.core.states import can_transition, transition
from app.extensions import db
from app.funders.models import Funder
from app.orgs.models import Category, EvaluationGrade, LegalStatus, ServiceTarget
from app.regions.models import Region

DEFAULT_RUBRIC = [
    {"name": "需求与服务对象", "description": "社区需求调研是否充分，服务对象是否明确、精准。", "max_points": 20, "weight": 1},
    {"name": "项目设计", "description": "目标、活动与预期成效之间逻辑清晰，指标可衡量。", "max_points": 25, "weight": 1},
    {"name": "可行性与团队", "description": "实施计划可行，团队经验与能力足以完成项目。", "max_points": 20, "weight": 1},
    {"name": "预算合理性", "description": "预算与活动匹配，单价合理，管理费用在限额内。", "max_points": 15, "weight": 1},
    {"name": "创新性", "description": "服务方式或内容有创新，可为同类社区提供借鉴。", "max_points": 10, "weight": 1},
    {"name": "可持续性", "description": "项目结束后服务能否延续，是否动员了社区资源。", "max_points": 10, "weight": 1},
]
DEFAULT_INSTALLMENTS = [
    {"percent": 50, "trigger": InstallmentTrigger.AGREEMENT_SIGNED},
    {"percent": 40, "trigger": InstallmentTrigger.PROGRESS_ACCEPTED},
    {"percent": 10, "trigger": InstallmentTrigger.FINAL_ACCEPTED},
]
MAX_CRITERIA = 12
MAX_STEPS = 6
MAX_LIST_ITEMS = 20
MAX_CREDIT_BONUS = 10

# Fields an officer may still change once the call is published.
EDITABLE_WHEN_OPEN = {"summary", "description", "deadline_at"}


# --- cleaning --------------------------------------------------------------------------

def _text(data: dict, key: str, max_len: int, label: str, *, required: bool = False) -> str:
    value = data.get(key)
    value = value.strip() if isinstance(value, str) else ""
    if CONTROL_CHARS.search(value):
        raise ValidationError(_("%(label)s不能包含控制字符。", label=label), field=key)
    if required and not value:
        raise ValidationError(_("请填写%(label)s。", label=label), field=key)
    if len(value) > max_len:
        raise ValidationError(_("%(label)s不能超过 %(max)s 个字。", label=label, max=max_len), field=key)
    return value


def _int(data: dict, key: str, label: str, lo: int, hi: int, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, str):
        value = value.strip()
        if value.isascii() and value.lstrip("-").isdigit() and len(value) <= 9:
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("%(label)s请填写整数（半角数字）。", label=label), field=key)
    if not lo <= value <= hi:
        raise ValidationError(_("%(label)s应在 %(lo)s 到 %(hi)s 之间。", label=label, lo=lo, hi=hi), field=key)
    return value


def _money(data: dict, key: str, label: str, *, allow_zero: bool = False) -> int:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # whole yuan given as a number
    try:
        return parse_yuan(value, allow_zero=allow_zero)
    except ValidationError as err:
        raise ValidationError(f"{label}：{err.message}", field=key) from None


def _enum(enum_cls, value: Any, key: str, message: str):
    member = enum_cls.coerce(value.value if isinstance(value, enum_cls) else value)
    if member is None:
        raise ValidationError(message, field=key)
    return member


def _enum_list(enum_cls, values: Any, key: str, message: str) -> list:
    out = []
    for v in values or []:
        member = _enum(enum_cls, v, key, message)
        if member not in out:
            out.append(member)
    return out


def _str_list(values: Any, key: str, label: str, max_len: int = 60) -> list[str]:
    if isinstance(values, str):
        values = values.splitlines()
    out: list[str] = []
    for v in values or []:
        v = str(v).strip()
        if CONTROL_CHARS.search(v):
            raise ValidationError(_("%(label)s不能包含控制字符。", label=label), field=key)
        if not v:
            continue
        if len(v) > max_len:
            raise ValidationError(_("%(label)s每项不能超过 %(max)s 个字。", label=label, max=max_len), field=key)
        if v not in out:
            out.append(v)
    if len(out) > MAX_LIST_ITEMS:
        raise ValidationError(_("%(label)s最多 %(max)s 项。", label=label, max=MAX_LIST_ITEMS), field=key)
    return out


def _aware(value: Any, key: str, label: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(_("请填写%(label)s。", label=label), field=key)
    return value


def clean_call(funder: Funder, data: dict) -> dict:
    kind = _enum(CallKind, data.get("kind"), "kind", _("请选择征集类型。"))
    v: dict[str, Any] = {"kind": kind}
    v["title"] = _text(data, "title", 200, _("征集标题"), required=True)
    v["summary"] = _text(data, "summary", 500, _("简介"))
    v["description"] = _text(data, "description", 20000, _("详细说明"))
    v["service_item"] = _text(data, "service_item", 200, _("服务事项"))
    if kind == CallKind.PURCHASE and not v["service_item"]:
        raise ValidationError(_("政府购买服务项目须填写指导性目录中的服务事项。"), field="service_item")
    region_id = data.get("region_scope_id")
    region = db.session.get(Region, region_id) if isinstance(region_id, int) and 0 < region_id <= MAX_ID else None
    if region is None or funder.region is None or not funder.region.covers(region):
        raise ValidationError(_("征集范围必须是资助方所在地区或其下属地区。"), field="region_scope_id")
    v["region_scope_id"] = region.id
    v["budget_fen"] = _money(data, "budget", _("资助总额"), allow_zero=True)
    v["min_award_fen"] = _money(data, "min_award", _("单个项目最低资助额"))
    v["max_award_fen"] = _money(data, "max_award", _("单个项目最高资助额"))
    if v["min_award_fen"] > v["max_award_fen"]:
        raise ValidationError(_("最低资助额不能高于最高资助额。"), field="min_award")
    if v["budget_fen"] and v["max_award_fen"] > v["budget_fen"]:
        raise ValidationError(_("单个项目最高资助额不能超过资助总额。"), field="max_award")
    v["matching_ratio_pct"] = _int(data, "matching_ratio_pct", _("配套资金比例"), 0, 100, 0)
    v["management_cap_pct"] = _int(data, "management_cap_pct", _("管理费用上限"), 0, 100, 10)
    heads = _str_list(data.get("budget_heads", DEFAULT_BUDGET_HEADS), "budget_heads", _("预算科目"), 30)
    if not heads:
        raise ValidationError(_("请至少设置一个预算科目。"), field="budget_heads")
    v["budget_heads"] = heads
    statuses = _enum_list(LegalStatus, data.get("allowed_legal_statuses", list(LegalStatus)),
                          "allowed_legal_statuses", _("法律状态选项无效。"))
    if not statuses:
        raise ValidationError(_("请至少允许一种法律状态的组织申报。"), field="allowed_legal_statuses")
    v["allowed_legal_statuses"] = [s.value for s in LegalStatus if s in statuses]
    v["min_org_age_months"] = _int(data, "min_org_age_months", _("成立时间要求"), 0, 600, 0)
    grade = data.get("min_evaluation_grade")
    v["min_evaluation_grade"] = (None if grade in (None, "", EvaluationGrade.NONE, "none")
                                 else _enum(EvaluationGrade, grade, "min_evaluation_grade", _("请选择有效的评估等级。")))
    v["require_normal_credit"] = bool(data.get("require_normal_credit", True))
    v["max_applications_per_org"] = _int(data, "max_applications_per_org", _("每个组织可申报数"), 1, 20, 1)
    v.update(clean_credit_rules(data))
    v["required_attachments"] = _str_list(data.get("required_attachments"), "required_attachments", _("必须提交的附件"))
    v["categories"] = _enum_list(Category, data.get("categories"), "categories", _("组织类别选项无效。"))
    v["service_targets"] = _enum_list(ServiceTarget, data.get("service_targets"), "service_targets",
                                      _("服务对象选项无效。"))
    v["opens_at"] = _aware(data.get("opens_at"), "opens_at", _("开始时间"))
    v["deadline_at"] = _aware(data.get("deadline_at"), "deadline_at", _("截止时间"))
    if v["deadline_at"] <= v["opens_at"]:
        raise ValidationError(_("截止时间必须晚于开始时间。"), field="deadline_at")
    v["reviewers_per_application"] = _int(data, "reviewers_per_application", _("每份申报书评审人数"), 1, 15, 5)
    v["aggregation"] = _enum(AggregationMethod, data.get("aggregation", AggregationMethod.TRIMMED_MEAN),
                             "aggregation", _("请选择评分汇总方式。"))
    v["pass_line"] = _int(data, "pass_line", _("入围分数线"), 0, 100, 60)
    v["disagreement_threshold"] = _int(data, "disagreement_threshold", _("分歧阈值"), 0, 100, 15)
    v["notice_working_days"] = _int(data, "notice_working_days", _("公示天数"), 1, 30, 5)
    v["blind_review"] = bool(data.get("blind_review", False))
    return v


def clean_credit_rules(data: dict) -> dict:
    """The organization credit as an eligibility rule (min_credit_score: None = off, else
    0..100) and as a score bonus (credit_bonus_max: 0..10 whole points, 0 = off)."""
    minimum = data.get("min_credit_score")
    if isinstance(minimum, str):
        minimum = minimum.strip() or None
    return {
        "min_credit_score": (None if minimum is None else
                             _int({"min_credit_score": minimum}, "min_credit_score", _("最低信用分"), 0, 100)),
        "credit_bonus_max": _int(data, "credit_bonus_max", _("信用加分上限"), 0, MAX_CREDIT_BONUS, 0),
    }


def _snapshot(call: Call) -> dict:
    return {
        "title": call.title, "kind": call.kind, "region_scope_id": call.region_scope_id,
        "min_credit_score": call.min_credit_score, "credit_bonus_max": call.credit_bonus_max,
        "budget_fen": call.budget_fen, "min_award_fen": call.min_award_fen,
        "max_award_fen": call.max_award_fen, "deadline_at": call.deadline_at,
        "opens_at": call.opens_at, "summary": call.summary,
    }


def _apply(call: Call, values: dict) -> None:
    values = dict(values)
    categories = values.pop("categories", None)
    targets = values.pop("service_targets", None)
    for key, value in values.items():
        setattr(call, key, value)
    if categories is not None:
        call.category_rows = [CallCategory(category=c) for c in categories]
    if targets is not None:
        call.target_rows = [CallServiceTarget(target=t) for t in targets]


# --- commands --------------------------------------------------------------------------

def create_call(actor: Any, funder: Funder, data: dict) -> Call:
    values = clean_call(funder, data)
    call = Call(funder_id=funder.id, status=CallStatus.DRAFT, created_by_id=actor.id if actor else None)
    _apply(call, values)
    call.criteria = [RubricCriterion(position=i, **c) for i, c in enumerate(DEFAULT_RUBRIC, 1)]
    call.installments = [InstallmentStep(position=i, **s) for i, s in enumerate(DEFAULT_INSTALLMENTS, 1)]
    db.session.add(call)
    db.session.flush()
    audit.record(actor, "call.create", call, after=_snapshot(call))
    return call


def update_call(actor: Any, call: Call, data: dict) -> Call:
    if call.status != CallStatus.DRAFT:
        raise Conflict(_("征集已发布，不能再修改规则；如需调整请取消后重新发布。"))
    before = _snapshot(call)
    _apply(call, clean_call(call.funder, data))
    db.session.flush()
    audit.record(actor, "call.update", call, before=before, after=_snapshot(call))
    return call


def set_credit_rules(actor: Any, call: Call, min_credit_score: Any, credit_bonus_max: Any) -> Call:
    """Set only the credit rules of a draft call (the rest of its rules unchanged)."""
    _require_draft(call)
    before = {"min_credit_score": call.min_credit_score, "credit_bonus_max": call.credit_bonus_max}
    values = clean_credit_rules({"min_credit_score": min_credit_score, "credit_bonus_max": credit_bonus_max})
    call.min_credit_score = values["min_credit_score"]
    call.credit_bonus_max = values["credit_bonus_max"]
    db.session.flush()
    audit.record(actor, "call.credit_rules", call, before=before, after=values)
    return call


def _require_draft(call: Call) -> None:
    if call.status != CallStatus.DRAFT:
        raise Conflict(_("征集已发布，评分标准和拨付安排不能再修改。"))


def set_rubric(actor: Any, call: Call, criteria: list[dict]) -> None:
    _require_draft(call)
    if not 1 <= len(criteria) <= MAX_CRITERIA:
        raise ValidationError(_("评分标准应有 1 到 %(max)s 项。", max=MAX_CRITERIA), field="criteria")
    rows, names = [], set()
    for i, raw in enumerate(criteria, 1):
        name = _text(raw, "name", 60, _("第 %(n)s 项的名称", n=i), required=True)
        if name in names:
            raise ValidationError(_("评分项名称“%(name)s”重复了。", name=name), field="criteria")
        names.add(name)
        desc = _text(raw, "description", 300, _("第 %(n)s 项的说明", n=i))
        points = _int(raw, "max_points", _("第 %(n)s 项的满分", n=i), 1, 100)
        weight = _int(raw, "weight", _("第 %(n)s 项的权重", n=i), 1, 10, 1)
        rows.append({"name": name, "description": desc, "max_points": points, "weight": weight})
    total = sum(r["max_points"] for r in rows)
    if total != 100:
        raise ValidationError(_("各项满分合计应为 100 分，现在是 %(total)s 分。", total=total), field="criteria")
    before = [(c.name, c.max_points, c.weight) for c in call.criteria]
    call.criteria = []
    db.session.flush()
    call.criteria = [RubricCriterion(position=i, **r) for i, r in enumerate(rows, 1)]
    db.session.flush()
    audit.record(actor, "call.rubric", call, before={"criteria": before},
                 after={"criteria": [(r["name"], r["max_points"], r["weight"]) for r in rows]})


def set_installments(actor: Any, call: Call, steps: list[dict]) -> None:
    _require_draft(call)
    if not 1 <= len(steps) <= MAX_STEPS:
        raise ValidationError(_("拨付安排应有 1 到 %(max)s 期。", max=MAX_STEPS), field="steps")
    rows = []
    for i, raw in enumerate(steps, 1):
        percent = _int(raw, "percent", _("第 %(n)s 期的比例", n=i), 1, 100)
        trigger = _enum(InstallmentTrigger, raw.get("trigger"), "steps",
                        _("第 %(n)s 期的拨付条件无效。", n=i))
        rows.append({"percent": percent, "trigger": trigger})
    total = sum(r["percent"] for r in rows)
    if total != 100:
        raise ValidationError(_("各期比例合计应为 100%%，现在是 %(total)s%%。", total=total), field="steps")
    before = [(s.percent, s.trigger) for s in call.installments]
    call.installments = []
    db.session.flush()
    call.installments = [InstallmentStep(position=i, **r) for i, r in enumerate(rows, 1)]
    db.session.flush()
    audit.record(actor, "call.installments", call, before={"steps": before},
                 after={"steps": [(r["percent"], r["trigger"]) for r in rows]})


def publish_problems(call: Call, now: datetime) -> list[str]:
    problems = []
    if call.deadline_at <= now:
        problems.append(_("截止时间已过，请先修改截止时间。"))
    if call.opens_at > call.deadline_at:
        problems.append(_("开始时间晚于截止时间。"))
    if call.rubric_total != 100:
        problems.append(_("评分标准满分合计应为 100 分，现在是 %(total)s 分。", total=call.rubric_total))
    if call.installments_total != 100:
        problems.append(_("拨付比例合计应为 100%%，现在是 %(total)s%%。", total=call.installments_total))
    if not 0 < call.min_award_fen <= call.max_award_fen:
        problems.append(_("最低资助额不能高于最高资助额。"))
    if call.budget_fen and call.max_award_fen > call.budget_fen:
        problems.append(_("单个项目最高资助额不能超过资助总额。"))
    if call.budget_fen == 0:
        problems.append(_("请填写资助总额。"))
    if call.kind == CallKind.PURCHASE and not call.service_item:
        problems.append(_("政府购买服务项目须填写服务事项。"))
    return problems


def publish(actor: Any, call: Call, now: datetime | None = None) -> None:
    now = now or utcnow()
    if call.status != CallStatus.DRAFT:
        raise Conflict(_("只有草稿状态的征集可以发布。"))
    problems = publish_problems(call, now)
    if problems:
        raise ValidationError(" ".join(problems))
    transition(call, CallStatus.OPEN, actor)
    db.session.flush()


NEXT_STATUS = {
    CallStatus.OPEN: CallStatus.SCREENING,
    CallStatus.SCREENING: CallStatus.REVIEWING,
    CallStatus.REVIEWING: CallStatus.NOTICE,
    CallStatus.NOTICE: CallStatus.AWARDED,
    CallStatus.AWARDED: CallStatus.CLOSED,
}


def advance(actor: Any, call: Call, to: Any, now: datetime | None = None) -> None:
    now = now or utcnow()
    target = CallStatus.coerce(to.value if isinstance(to, CallStatus) else to)
    if target is None or target in (CallStatus.OPEN, CallStatus.CANCELLED, CallStatus.DRAFT):
        raise ValidationError(_("请选择有效的下一阶段。"))
    if call.status == CallStatus.OPEN and target == CallStatus.SCREENING and now < call.deadline_at:
        raise Conflict(_("征集截止前不能进入形式审查。"))
    if not can_transition(call, target):
        transition(call, target, actor)  # raises InvalidTransition, before any domain is asked
    # Later domains veto a move their work is not ready for (e.g. unscreened applications).
    emit("call.advancing", call=call, to=target, now=now, actor=actor)
    transition(call, target, actor)
    db.session.flush()


def cancel(actor: Any, call: Call, reason: str | None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写取消原因。"), field="reason")
    if len(reason) > 500:
        raise ValidationError(_("取消原因不能超过 500 个字。"), field="reason")
    transition(call, CallStatus.CANCELLED, actor, reason=reason)
    call.cancel_reason = reason
    db.session.flush()


# --- queries ---------------------------------------------------------------------------

def _list_options():
    return (selectinload(Call.category_rows), selectinload(Call.target_rows))


def public_calls(kind: CallKind | None = None, region_id: int | None = None,
                 status: CallStatus | None = None, q: str | None = None):
    stmt = select(Call).where(Call.status != CallStatus.DRAFT).options(*_list_options())
    if kind:
        stmt = stmt.where(Call.kind == kind)
    if status and status != CallStatus.DRAFT:
        stmt = stmt.where(Call.status == status)
    if region_id:
        region = db.session.get(Region, region_id) if 0 < region_id <= MAX_ID else None
        if region is None:
            return stmt.where(False)
        stmt = stmt.join(Region, Region.id == Call.region_scope_id).where(
            or_(Region.path.startswith(region.path), Region.id.in_(
                [int(p) for p in region.path.strip("/").split("/") if p.isdigit()])))
    if q:
        needle = q.lower()
        stmt = stmt.where(or_(func.lower(Call.title).contains(needle, autoescape=True),
                              func.lower(Call.summary).contains(needle, autoescape=True),
                              func.lower(Call.service_item).contains(needle, autoescape=True)))
    open_first = case((Call.status == CallStatus.OPEN, 0), else_=1)
    return stmt.order_by(open_first, Call.deadline_at.desc(), Call.id.desc())


def region_filter_choices() -> list[tuple[int, str]]:
    """Regions named by some published call's scope (and their funders' regions)."""
    rows = db.session.scalars(
        select(Region).join(Call, Call.region_scope_id == Region.id)
        .where(Call.status != CallStatus.DRAFT).distinct().order_by(Region.path)).all()
    return [(r.id, r.name) for r in rows]


def get_call(call_id: int) -> Call | None:
    if not 0 < call_id <= MAX_ID:
        return None
    return db.session.execute(
        select(Call).where(Call.id == call_id)
        .options(*_list_options(), selectinload(Call.criteria), selectinload(Call.installments))
    ).scalar_one_or_none()


def officer_funders(user: Any) -> list[Funder]:
    from app.core.permissions import staff_funders
    seen: dict[int, Funder] = {}
    for f in staff_funders(user, "program_officer"):
        seen.setdefault(f.id, f)
    return sorted(seen.values(), key=lambda f: f.id)


def funder_calls(user: Any) -> list[Call]:
    ids = [f.id for f in officer_funders(user)]
    if not ids:
        return []
    return list(db.session.scalars(
        select(Call).where(Call.funder_id.in_(ids)).options(*_list_options())
        .order_by(Call.created_at.desc(), Call.id.desc())).all())


def status_counts(calls: list[Call]) -> list[tuple[CallStatus, int]]:
    counts = {s: 0 for s in CallStatus}
    for c in calls:
        counts[c.status] += 1
    return [(s, n) for s, n in counts.items() if n]


def scope_choices(funder: Funder) -> list[tuple[int, str]]:
    """The funder's region and the regions inside it down to streets, indented by depth."""
    from app.regions.models import RegionLevel

    if funder.region is None:
        return []
    base = funder.region
    rows = db.session.scalars(
        select(Region).where(Region.path.startswith(base.path), Region.level != RegionLevel.COMMUNITY)
        .order_by(Region.path)).all()
    if base not in rows:
        rows.insert(0, base)
    depth0 = base.path.count("/")
    return [(r.id, "　" * (r.path.count("/") - depth0) + r.name) for r in rows]

"""Applications (项目申报书): drafts, completeness, submission, return and resubmission,
withdrawal, versions, the status timeline and side-by-side comparison of versions.

Saving a draft checks formats only (lengths, numbers, choices, dates); whether the proposal
is complete and within the call's rules is decided at submission, by the same rule set that
drives the completeness checklist (`checklist`, `submission_problems`, `submit`).

Services flush and never commit; they take the acting user and plain data and raise
DomainError subclasses whose messages are shown to the user as they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.applications.models import (ACTIVE_STATUSES, EDITABLE_STATUSES, WITHDRAWABLE_STATUSES,
                                     Application, ApplicationCommunity, ApplicationStatus,
                                     ApplicationTargetGroup, ApplicationVersion, BudgetLine,
                                     Milestone, OutcomeIndicator, TeamMember)
from app.auth.models import User
from app.calls.models import Call, CallStatus
from app.core import audit
from app.core.audit import AuditEntry
from app.core.db import MAX_ID, utcnow
from app.core.errors import Conflict, ValidationError
from app.core.events import emit
from app.core.forms import CONTROL_CHARS
from app.core.money import format_fen, parse_yuan
from app.core.states import can_transition, transition
from app.extensions import db
from app.orgs.models import OrgMembership, Organization, ServiceTarget
from app.regions.models import Region, RegionLevel

_S = ApplicationStatus
CHINA = ZoneInfo("Asia/Shanghai")

MANAGEMENT_HEAD = "管理费用"
# No single amount, budget line or budget total may exceed ¥100,000,000: far above any
# community grant, and far below what a BIGINT column holds.
MAX_AMOUNT_FEN = 100_000_000 * 100
MAX_QUANTITY = 1_000_000
MAX_BENEFICIARIES = 10_000_000
MAX_BUDGET_LINES = 50
MAX_INDICATORS = 20
MAX_MILESTONES = 30
MAX_TEAM = 30
MAX_COMMUNITIES = 50
# Numeric(14, 2): at most twelve digits before the point.
MAX_INDICATOR_DIGITS = 12
RETURN_DAYS = 5
MAX_RETURN_DAYS = 90
MIN_YEAR, MAX_YEAR = 2000, 2100
LONG_TEXT = 10_000

_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
_PLAIN_INT = re.compile(r"^[0-9]{1,9}$")
_PLAIN_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")

# Scalar text fields of the proposal: key -> (column length, label).
_TEXT_FIELDS: dict[str, tuple[int, Any]] = {
    "title": (200, _l("项目名称")),
    "summary": (1000, _l("项目简介")),
    "leader_name": (50, _l("项目负责人")),
    "leader_phone": (20, _l("负责人电话")),
    "need": (LONG_TEXT, _l("需求分析")),
    "objectives": (LONG_TEXT, _l("项目目标")),
    "activities": (LONG_TEXT, _l("内容与活动")),
    "sustainability": (LONG_TEXT, _l("可持续性")),
    "beneficiary_description": (1000, _l("受益人说明")),
    "matching_source": (300, _l("配套资金来源")),
}
_DECLARATIONS = ("declares_no_fixed_assets", "declares_no_cash_gifts", "declares_truthful")


# --- snapshot --------------------------------------------------------------------------

def snapshot(application: Application) -> dict[str, Any]:
    """The whole proposal as JSON-safe data: what a submitted version freezes."""
    a = application
    mgmt, total = management_share(a)
    return {
        "title": a.title, "summary": a.summary, "leader_name": a.leader_name, "leader_phone": a.leader_phone,
        "organization": {"id": a.organization_id, "name": a.organization.name},
        "call": {"id": a.call_id, "title": a.call.title},
        "need": a.need, "objectives": a.objectives, "activities": a.activities,
        "sustainability": a.sustainability,
        "planned_beneficiaries": a.planned_beneficiaries, "beneficiary_description": a.beneficiary_description,
        "target_groups": [t.value for t in a.target_groups],
        "communities": [{"id": c.id, "name": c.name, "code": c.code} for c in a.communities],
        "starts_on": a.starts_on.isoformat() if a.starts_on else None,
        "ends_on": a.ends_on.isoformat() if a.ends_on else None,
        "requested_fen": a.requested_fen, "matching_fen": a.matching_fen, "matching_source": a.matching_source,
        "budget_lines": [{"head": b.head, "item": b.item, "unit": b.unit, "quantity": b.quantity,
                          "unit_price_fen": b.unit_price_fen, "amount_fen": b.amount_fen, "note": b.note}
                         for b in a.budget_lines],
        "budget_total_fen": total, "management_fen": mgmt,
        "indicators": [{"name": i.name, "unit": i.unit, "target": f"{Decimal(str(i.target)):.2f}", "measurement": i.measurement}
                       for i in a.indicators],
        "milestones": [{"due_on": m.due_on.isoformat(), "title": m.title, "deliverable": m.deliverable}
                       for m in a.milestones],
        "team": [{"name": t.name, "role": t.role, "qualification": t.qualification,
                  "is_social_worker": t.is_social_worker} for t in a.team],
        "attachments": [{"id": f.id, "kind": f.kind, "name": f.original_name, "sha256": f.sha256,
                         "size_bytes": f.size_bytes} for f in a.attachments],
        "declarations": {"no_fixed_assets": a.declares_no_fixed_assets, "no_cash_gifts": a.declares_no_cash_gifts,
                         "truthful": a.declares_truthful},
    }


def management_share(application: Application) -> tuple[int, int]:
    """(management fen, budget total fen): the lines under 管理费用 and all lines."""
    lines = application.budget_lines
    mgmt = sum(b.amount_fen for b in lines if b.head == MANAGEMENT_HEAD)
    return mgmt, sum(b.amount_fen for b in lines)


# --- cleaning (format validation of a draft) ---------------------------------------------

def _local(value: datetime) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _row_error(prefix: str, n: int, message: str, key: str, column: str | None = None) -> ValidationError:
    """"预算第 3 行：…" on the list `key`; `row` (1-based, as on the page) and `column` (the row
    form's field name, when known) let the form mark the offending input."""
    err = ValidationError(_("%(prefix)s第 %(n)s 行：%(message)s", prefix=prefix, n=n, message=message), field=key)
    err.row, err.column = n, column
    return err


def _clean_text(value: Any, max_len: int, label: Any) -> str:
    """Text, trimmed; the ValidationError has no field (callers add it)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("%(label)s格式不正确。", label=label))
    value = value.strip()
    if CONTROL_CHARS.search(value):
        raise ValidationError(_("%(label)s不能包含控制字符。", label=label))
    if len(value) > max_len:
        raise ValidationError(_("%(label)s不能超过 %(max)s 个字。", label=label, max=max_len))
    return value


def _with_field(fn, key: str, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValidationError as err:
        raise ValidationError(err.message, field=key) from None


def _clean_int(value: Any, label: Any, lo: int, hi: int, *, blank: int | None = None) -> int:
    if isinstance(value, str):
        value = value.strip()
        if value == "" and blank is not None:
            return blank
        if not _PLAIN_INT.match(value):
            raise ValidationError(_("%(label)s请填写整数（半角数字）。", label=label))
        value = int(value)
    if value is None and blank is not None:
        return blank
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("%(label)s请填写整数（半角数字）。", label=label))
    if not lo <= value <= hi:
        raise ValidationError(_("%(label)s应在 %(lo)s 到 %(hi)s 之间。", label=label, lo=f"{lo:,}", hi=f"{hi:,}"))
    return value


def _clean_money(value: Any, label: Any, *, allow_zero: bool, blank_is_zero: bool) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # whole yuan given as a number
    if blank_is_zero and (value is None or (isinstance(value, str) and not value.strip())):
        return 0
    if value is not None and not isinstance(value, str):
        raise ValidationError(_("%(label)s：金额格式不正确，请输入如 1234.50 的数字。", label=label))
    try:
        return parse_yuan(value, allow_zero=allow_zero, max_fen=MAX_AMOUNT_FEN)
    except ValidationError as err:
        raise ValidationError(f"{label}：{err.message}") from None


def _clean_decimal(value: Any, label: Any) -> Decimal:
    """A non-negative number with at most two decimals, typed with half-width digits."""
    if isinstance(value, bool):
        raise ValidationError(_("%(label)s请填写数字。", label=label))
    if isinstance(value, (int, Decimal)):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(_("请填写%(label)s。", label=label))
    text = value.strip().replace(",", "")
    if not text.isascii():
        raise ValidationError(_("%(label)s请使用半角数字，例如 100 或 12.5。", label=label))
    if text.startswith("-"):
        raise ValidationError(_("%(label)s不能为负数。", label=label))
    if not _PLAIN_DECIMAL.match(text):
        if re.match(r"^[0-9]+\.[0-9]{3,}$", text):
            raise ValidationError(_("%(label)s最多保留两位小数。", label=label))
        raise ValidationError(_("%(label)s请填写数字，例如 100 或 12.5。", label=label))
    if len(text.split(".")[0].lstrip("0")) > MAX_INDICATOR_DIGITS:
        raise ValidationError(_("%(label)s数值过大。", label=label))
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only plain numbers
        raise ValidationError(_("%(label)s请填写数字，例如 100 或 12.5。", label=label)) from None


def _clean_date(value: Any, label: Any, *, required: bool = False) -> date | None:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            value = None
        else:
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise ValidationError(_("%(label)s不是有效的日期。", label=label)) from None
    if value is None:
        if required:
            raise ValidationError(_("请填写%(label)s。", label=label))
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise ValidationError(_("%(label)s不是有效的日期。", label=label))
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(_("%(label)s不在合理范围内（%(lo)s—%(hi)s 年）。", label=label,
                                lo=MIN_YEAR, hi=MAX_YEAR))
    return value


def _clean_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "y", "yes"}
    return bool(value)


def _blank(row: dict) -> bool:
    return all(v is None or v is False or (isinstance(v, str) and not v.strip()) for v in row.values())


def _rows(data: dict, key: str, limit: int, label: Any) -> list[tuple[int, dict]]:
    """Non-blank rows with their 1-based number in the submitted list."""
    raw = data.get(key)
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        raise ValidationError(_("%(label)s格式不正确。", label=label), field=key)
    rows = []
    for n, row in enumerate(raw, 1):
        if not isinstance(row, dict):
            raise ValidationError(_("%(label)s格式不正确。", label=label), field=key)
        if not _blank(row):
            rows.append((n, row))
    if len(rows) > limit:
        raise ValidationError(_("%(label)s最多 %(max)s 行。", label=label, max=limit), field=key)
    return rows


def _clean_budget_lines(call: Call, data: dict) -> list[dict]:
    key, prefix = "budget_lines", _("预算")
    heads = list(call.budget_heads or [])
    out = []
    for n, row in _rows(data, key, MAX_BUDGET_LINES, _("预算明细")):
        column = "head"  # the field being checked, so the form can mark it
        try:
            head = _clean_text(row.get("head"), 30, _("科目"))
            if not head:
                raise ValidationError(_("请选择科目。"))
            if head not in heads:
                raise ValidationError(_("科目“%(head)s”不在本征集允许的科目（%(heads)s）中。",
                                        head=head, heads="、".join(heads)))
            column = "item"
            item = _clean_text(row.get("item"), 100, _("支出内容"))
            if not item:
                raise ValidationError(_("请填写支出内容。"))
            column = "unit"
            unit = _clean_text(row.get("unit"), 20, _("单位"))
            column = "quantity"
            if row.get("quantity") in (None, ""):
                raise ValidationError(_("请填写数量。"))
            quantity = _clean_int(row.get("quantity"), _("数量"), 1, MAX_QUANTITY)
            column = "unit_price"
            if row.get("unit_price") in (None, ""):
                raise ValidationError(_("请填写单价。"))
            price = _clean_money(row.get("unit_price"), _("单价"), allow_zero=False, blank_is_zero=False)
            column = "note"
            note = _clean_text(row.get("note"), 200, _("备注"))
            if quantity * price > MAX_AMOUNT_FEN:
                column = "quantity"
                raise ValidationError(_("金额（数量×单价）不能超过 %(max)s。", max=format_fen(MAX_AMOUNT_FEN)))
        except ValidationError as err:
            raise _row_error(prefix, n, err.message, key, column) from None
        out.append({"head": head, "item": item, "unit": unit, "quantity": quantity,
                    "unit_price_fen": price, "note": note})
    total = sum(r["quantity"] * r["unit_price_fen"] for r in out)
    if total > MAX_AMOUNT_FEN:
        raise ValidationError(_("预算合计不能超过 %(max)s。", max=format_fen(MAX_AMOUNT_FEN)), field=key)
    return out


def _clean_indicators(data: dict) -> list[dict]:
    key, prefix = "indicators", _("成效指标")
    out = []
    for n, row in _rows(data, key, MAX_INDICATORS, prefix):
        column = "name"
        try:
            name = _clean_text(row.get("name"), 100, _("指标名称"))
            if not name:
                raise ValidationError(_("请填写指标名称。"))
            column = "unit"
            unit = _clean_text(row.get("unit"), 20, _("单位"))
            if not unit:
                raise ValidationError(_("请填写单位。"))
            column = "target"
            target = _clean_decimal(row.get("target"), _("目标值"))
            column = "measurement"
            measurement = _clean_text(row.get("measurement"), 300, _("测量方式"))
        except ValidationError as err:
            raise _row_error(prefix, n, err.message, key, column) from None
        out.append({"name": name, "unit": unit, "target": target, "measurement": measurement})
    return out


def _clean_milestones(data: dict) -> list[dict]:
    key, prefix = "milestones", _("实施进度")
    out = []
    for n, row in _rows(data, key, MAX_MILESTONES, prefix):
        column = "due_on"
        try:
            due_on = _clean_date(row.get("due_on"), _("完成日期"), required=True)
            column = "title"
            title = _clean_text(row.get("title"), 100, _("阶段任务"))
            if not title:
                raise ValidationError(_("请填写阶段任务。"))
            column = "deliverable"
            deliverable = _clean_text(row.get("deliverable"), 300, _("成果 / 交付物"))
        except ValidationError as err:
            raise _row_error(prefix, n, err.message, key, column) from None
        out.append({"due_on": due_on, "title": title, "deliverable": deliverable})
    return out


def _clean_team(data: dict) -> list[dict]:
    key, prefix = "team", _("项目团队")
    out = []
    for n, row in _rows(data, key, MAX_TEAM, prefix):
        column = "name"
        try:
            name = _clean_text(row.get("name"), 50, _("姓名"))
            if not name:
                raise ValidationError(_("请填写姓名。"))
            column = "role"
            role = _clean_text(row.get("role"), 50, _("项目职务"))
            if not role:
                raise ValidationError(_("请填写项目职务。"))
            column = "qualification"
            qualification = _clean_text(row.get("qualification"), 300, _("资质与经验"))
        except ValidationError as err:
            raise _row_error(prefix, n, err.message, key, column) from None
        out.append({"name": name, "role": role, "qualification": qualification,
                    "is_social_worker": _clean_bool(row.get("is_social_worker"))})
    return out


def _clean_target_groups(values: Any) -> list[ServiceTarget]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, (list, tuple, set)):
        values = [values]
    out: list[ServiceTarget] = []
    for v in values:
        member = v if isinstance(v, ServiceTarget) else ServiceTarget.coerce(v if isinstance(v, str) else None)
        if member is None:
            raise ValidationError(_("服务对象选项无效。"), field="target_groups")
        if member not in out:
            out.append(member)
    return out


def _clean_communities(call: Call, values: Any) -> list[Region]:
    key = "community_ids"
    if values is None:
        return []
    if not isinstance(values, (list, tuple, set)):
        values = [values]
    ids: list[int] = []
    for v in values:
        if isinstance(v, str) and _PLAIN_INT.match(v.strip()):
            v = int(v.strip())
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= MAX_ID:
            raise ValidationError(_("服务社区选项无效。"), field=key)
        if v not in ids:
            ids.append(v)
    if len(ids) > MAX_COMMUNITIES:
        raise ValidationError(_("服务社区最多选择 %(max)s 个。", max=MAX_COMMUNITIES), field=key)
    if not ids:
        return []
    found = {r.id: r for r in db.session.scalars(select(Region).where(Region.id.in_(ids)))}
    scope = call.region_scope
    out = []
    for i in ids:
        region = found.get(i)
        if region is None or region.level != RegionLevel.COMMUNITY:
            raise ValidationError(_("服务社区选项无效，请选择社区或村。"), field=key)
        if scope is None or not scope.covers(region):
            raise ValidationError(_("“%(name)s”不在本征集的范围（%(scope)s）内。", name=region.name,
                                    scope=scope.name if scope else "—"), field=key)
        out.append(region)
    return out


def clean_application(call: Call, data: dict, current: Application | None = None) -> dict[str, Any]:
    """Format validation of the keys present in `data`; returns what to store.

    Raises ValidationError naming the form field; nothing is changed here.
    """
    if not isinstance(data, dict):
        raise ValidationError(_("提交的内容格式不正确。"))
    v: dict[str, Any] = {}
    for key, (max_len, label) in _TEXT_FIELDS.items():
        if key in data:
            v[key] = _with_field(_clean_text, key, data[key], max_len, label)
    if v.get("leader_phone") and not _PHONE.match(v["leader_phone"]):
        raise ValidationError(_("请输入有效的电话号码（数字，可含 - 和空格）。"), field="leader_phone")
    if "planned_beneficiaries" in data:
        v["planned_beneficiaries"] = _with_field(_clean_int, "planned_beneficiaries", data["planned_beneficiaries"],
                                                 _("计划受益人数"), 0, MAX_BENEFICIARIES, blank=0)
    if "target_groups" in data:
        v["target_groups"] = _clean_target_groups(data["target_groups"])
    if "community_ids" in data:
        v["communities"] = _clean_communities(call, data["community_ids"])
    for key, label in (("starts_on", _("开始日期")), ("ends_on", _("结束日期"))):
        if key in data:
            v[key] = _with_field(_clean_date, key, data[key], label)
    starts_on = v["starts_on"] if "starts_on" in v else getattr(current, "starts_on", None)
    ends_on = v["ends_on"] if "ends_on" in v else getattr(current, "ends_on", None)
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError(_("结束日期不能早于开始日期。"), field="ends_on" if "ends_on" in data else "starts_on")
    if "requested" in data:
        v["requested_fen"] = _with_field(_clean_money, "requested", data["requested"], _("申请资助金额"),
                                         allow_zero=False, blank_is_zero=True)
    if "matching" in data:
        v["matching_fen"] = _with_field(_clean_money, "matching", data["matching"], _("配套资金"),
                                        allow_zero=True, blank_is_zero=True)
    for key in _DECLARATIONS:
        if key in data:
            v[key] = _clean_bool(data[key])
    if "budget_lines" in data:
        v["budget_lines"] = _clean_budget_lines(call, data)
    if "indicators" in data:
        v["indicators"] = _clean_indicators(data)
    if "milestones" in data:
        v["milestones"] = _clean_milestones(data)
    if "team" in data:
        v["team"] = _clean_team(data)
    return v


def _apply(application: Application, values: dict[str, Any]) -> None:
    """Write cleaned values; child lists are replaced wholesale (old rows removed first so
    the (application, position) keys never collide)."""
    a = application
    values = dict(values)
    lists = {key: values.pop(key) for key in ("budget_lines", "indicators", "milestones", "team",
                                              "communities", "target_groups") if key in values}
    for key, value in values.items():
        setattr(a, key, value)
    if not lists:
        return
    if "budget_lines" in lists:
        a.budget_lines = []
    if "indicators" in lists:
        a.indicators = []
    if "milestones" in lists:
        a.milestones = []
    if "team" in lists:
        a.team = []
    if "communities" in lists:
        a.community_rows = []
    if "target_groups" in lists:
        a.target_rows = []
    db.session.flush()
    if "budget_lines" in lists:
        a.budget_lines = [BudgetLine(position=i, **r) for i, r in enumerate(lists["budget_lines"], 1)]
    if "indicators" in lists:
        a.indicators = [OutcomeIndicator(position=i, **r) for i, r in enumerate(lists["indicators"], 1)]
    if "milestones" in lists:
        a.milestones = [Milestone(position=i, **r) for i, r in enumerate(lists["milestones"], 1)]
    if "team" in lists:
        a.team = [TeamMember(position=i, **r) for i, r in enumerate(lists["team"], 1)]
    if "communities" in lists:
        a.community_rows = [ApplicationCommunity(community_id=r.id, community=r) for r in lists["communities"]]
    if "target_groups" in lists:
        a.target_rows = [ApplicationTargetGroup(target=t) for t in lists["target_groups"]]


# --- drafts ----------------------------------------------------------------------------

def _lock_organization(organization_id: int) -> None:
    """Serialize "how many applications does this organization have in the call?" checks.

    On PostgreSQL the organization row is locked (SELECT … FOR UPDATE) until the transaction
    ends, so two concurrent submissions (or drafts) of one organization are counted one after
    the other. SQLite has no row locks, but it admits one writer at a time and every
    submission writes (status, version, audit row), so the slower of two racing transactions
    fails instead of slipping past the rule.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Organization.id).where(Organization.id == organization_id).with_for_update())


def _count_in_call(exclude_id: int | None, *, call_id: int, organization_id: int,
                   submitted_only: bool) -> int:
    """The organization's applications in the call that count against its quota."""
    stmt = select(func.count(Application.id)).where(
        Application.call_id == call_id, Application.organization_id == organization_id,
        Application.status.in_(list(ACTIVE_STATUSES)))
    if submitted_only:
        stmt = stmt.where(Application.current_version > 0)
    if exclude_id is not None:
        stmt = stmt.where(Application.id != exclude_id)
    return db.session.scalar(stmt) or 0


def create_draft(actor: Any, call: Call, organization: Organization, data: dict | None = None,
                 now: datetime | None = None) -> Application:
    now = now or utcnow()
    if not call.is_accepting(now):
        raise Conflict(_("该征集当前不接受申报（未开放或已截止）。"))
    _lock_organization(organization.id)
    existing = _count_in_call(None, call_id=call.id, organization_id=organization.id, submitted_only=False)
    if existing >= call.max_applications_per_org:
        raise Conflict(_("贵组织在本征集中已有 %(n)s 份申报书，每个组织最多可申报 %(max)s 份。",
                         n=existing, max=call.max_applications_per_org))
    values = clean_application(call, data or {})
    application = Application(call=call, organization=organization, status=_S.DRAFT,
                              created_by_id=getattr(actor, "id", None))
    db.session.add(application)
    db.session.flush()
    _apply(application, values)
    db.session.flush()
    audit.record(actor, "application.create", application,
                 after={"call_id": call.id, "organization_id": organization.id, "title": application.title})
    return application


def save_draft(actor: Any, application: Application, data: dict) -> Application:
    if not application.is_editable:
        raise Conflict(_("申报书已提交（%(status)s），不能再修改。", status=application.status.label))
    values = clean_application(application.call, data, application)
    _apply(application, values)
    application.updated_at = utcnow()
    db.session.flush()
    changed = sorted(k for k in values)
    audit.record(actor, "application.update", application, after={"fields": changed})
    return application


# --- completeness and submission rules -----------------------------------------------------

@dataclass
class CheckItem:
    key: str
    label: str
    done: bool
    message: str = ""


_SECTIONS = [
    ("basic", _l("基本信息")),
    ("need", _l("需求分析")),
    ("design", _l("项目设计")),
    ("beneficiaries", _l("服务对象与社区")),
    ("period", _l("项目周期")),
    ("funding", _l("资金")),
    ("budget", _l("预算明细")),
    ("indicators", _l("成效指标")),
    ("milestones", _l("实施进度")),
    ("team", _l("项目团队")),
    ("attachments", _l("附件")),
    ("declarations", _l("承诺")),
    ("timing", _l("提交时间")),
    ("quota", _l("申报数量")),
]


def _timing_problems(a: Application, now: datetime) -> list[str]:
    call = a.call
    if a.status == _S.DRAFT:
        if call.is_accepting(now):
            return []
        if call.status != CallStatus.OPEN:
            return [_("征集当前为“%(status)s”阶段，不接受申报。", status=call.status.label)]
        if now < call.opens_at:
            return [_("征集尚未开始，%(at)s 起可以提交。", at=_local(call.opens_at))]
        return [_("已超过征集截止时间（%(at)s），不能再提交。", at=_local(call.deadline_at))]
    if a.status == _S.RETURNED:
        problems = []
        if call.status not in (CallStatus.OPEN, CallStatus.SCREENING):
            problems.append(_("征集已进入“%(status)s”阶段，不能再重新提交。", status=call.status.label))
        if a.correction_due_at is not None and now >= a.correction_due_at:
            problems.append(_("已超过补正期限（%(at)s），不能再重新提交。", at=_local(a.correction_due_at)))
        return problems
    return [_("申报书当前状态为“%(status)s”，不能提交。", status=a.status.label)]


def _problems(a: Application, now: datetime) -> list[tuple[str, str]]:
    """Every reason submission would be refused, each with the checklist section it belongs to."""
    call = a.call
    out: list[tuple[str, str]] = []

    def need(key: str, ok: Any, message: str) -> None:
        if not ok:
            out.append((key, message))

    need("basic", a.title, _("请填写项目名称。"))
    need("basic", a.summary, _("请填写项目简介。"))
    need("basic", a.leader_name, _("请填写项目负责人。"))
    need("basic", a.leader_phone, _("请填写负责人电话。"))
    need("need", a.need, _("请填写需求分析。"))
    need("design", a.objectives, _("请填写项目目标。"))
    need("design", a.activities, _("请填写内容与活动。"))
    need("design", a.sustainability, _("请填写可持续性。"))
    need("beneficiaries", a.target_rows, _("请至少选择一类服务对象。"))
    need("beneficiaries", a.planned_beneficiaries > 0, _("请填写计划受益人数。"))
    need("beneficiaries", a.community_rows, _("请至少选择一个服务社区。"))
    scope = call.region_scope
    outside = [c.name for c in a.communities if scope is None or not scope.covers(c)]
    need("beneficiaries", not outside, _("服务社区“%(names)s”不在本征集的范围内。", names="、".join(outside)))

    need("period", a.starts_on and a.ends_on, _("请填写项目起止日期。"))
    if a.starts_on and a.ends_on:
        need("period", a.ends_on >= a.starts_on, _("结束日期不能早于开始日期。"))

    requested, matching = a.requested_fen, a.matching_fen
    if requested <= 0:
        out.append(("funding", _("请填写申请资助金额。")))
    elif requested < call.min_award_fen:
        out.append(("funding", _("申请资助金额 %(amount)s 低于本征集的最低资助额 %(min)s。",
                                 amount=format_fen(requested), min=format_fen(call.min_award_fen))))
    elif requested > call.max_award_fen:
        out.append(("funding", _("申请资助金额 %(amount)s 超过本征集的最高资助额 %(max)s。",
                                 amount=format_fen(requested), max=format_fen(call.max_award_fen))))
    ratio = call.matching_ratio_pct or 0
    need("funding", matching * 100 >= ratio * requested,
         _("配套资金 %(matching)s 不足：本征集要求配套资金不低于申请金额的 %(ratio)s%%（%(needed)s）。",
           matching=format_fen(matching), ratio=ratio, needed=format_fen(-(-ratio * requested // 100))))
    need("funding", not matching or a.matching_source, _("请说明配套资金来源。"))

    mgmt, total = management_share(a)
    if not a.budget_lines:
        out.append(("budget", _("请填写预算明细。")))
    else:
        need("budget", total == requested + matching,
             _("预算合计 %(total)s 应等于申请金额与配套资金之和 %(sum)s。",
               total=format_fen(total), sum=format_fen(requested + matching)))
        cap = call.management_cap_pct
        need("budget", mgmt * 100 <= cap * total,
             _("管理费用 %(mgmt)s 超过预算合计的 %(cap)s%%（最多 %(max)s）。",
               mgmt=format_fen(mgmt), cap=cap, max=format_fen(cap * total // 100)))
        heads = set(call.budget_heads or [])
        bad = sorted({b.head for b in a.budget_lines if b.head not in heads})
        need("budget", not bad, _("预算科目“%(heads)s”不在本征集允许的科目中。", heads="、".join(bad)))

    need("indicators", a.indicators, _("请至少填写一项成效指标。"))
    need("milestones", a.milestones, _("请至少填写一项实施进度安排。"))
    if a.starts_on and a.ends_on:
        outside_period = [m.title for m in a.milestones if not a.starts_on <= m.due_on <= a.ends_on]
        need("milestones", not outside_period,
             _("实施进度“%(titles)s”的日期不在项目周期内。", titles="、".join(outside_period)))
    need("team", a.team, _("请至少填写一名项目团队成员。"))

    kinds = {f.kind for f in a.attachments}
    missing = [k for k in (call.required_attachments or []) if k not in kinds]
    need("attachments", not missing, _("缺少必须提交的附件：%(names)s。", names="、".join(missing)))

    need("declarations", a.declares_no_fixed_assets, _("请确认项目资金不用于购置固定资产。"))
    need("declarations", a.declares_no_cash_gifts, _("请确认不向服务对象发放现金或礼品。"))
    need("declarations", a.declares_truthful, _("请确认所填信息真实、准确。"))

    for message in _timing_problems(a, now):
        out.append(("timing", message))
    others = _count_in_call(a.id, call_id=a.call_id, organization_id=a.organization_id, submitted_only=True)
    need("quota", others < call.max_applications_per_org,
         _("贵组织在本征集中已提交 %(n)s 份申报书，每个组织最多可申报 %(max)s 份。",
           n=others, max=call.max_applications_per_org))
    return out


def checklist(application: Application, now: datetime) -> list[CheckItem]:
    """The completeness checklist: one item per section, with what is missing."""
    problems = _problems(application, now)
    items = []
    for key, label in _SECTIONS:
        messages = [m for k, m in problems if k == key]
        items.append(CheckItem(key=key, label=str(label), done=not messages, message=" ".join(messages)))
    return items


def submission_problems(application: Application, now: datetime) -> list[str]:
    """Every reason submission would be refused; [] means it can be submitted."""
    return [message for _key, message in _problems(application, now)]


class SubmissionRefused(ValidationError):
    """Submission refused: `problems` lists every reason (the message joins them)."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def submit(actor: Any, application: Application, now: datetime) -> ApplicationVersion:
    """Submit (draft → submitted) or resubmit after a return (returned → submitted).

    Checks everything `submission_problems` lists, with the organization row locked on
    PostgreSQL so two concurrent submissions cannot both pass the one-per-organization
    rule (see `_lock_organization`). Creates version N+1 with the snapshot and locks the
    attachments it refers to.
    """
    a = application
    if a.status not in EDITABLE_STATUSES or not can_transition(a, _S.SUBMITTED):
        raise Conflict(_("申报书当前状态为“%(status)s”，不能提交。", status=a.status.label))
    _lock_organization(a.organization_id)
    problems = submission_problems(a, now)
    if problems:
        raise SubmissionRefused(problems)
    resubmission = a.status == _S.RETURNED
    number = (a.current_version or 0) + 1
    # The CHECK constraint wants a submission time whenever the status is not draft.
    a.submitted_at = now
    a.current_version = number
    a.return_reason = ""
    a.correction_due_at = None
    transition(a, _S.SUBMITTED, actor)
    for f in a.attachments:
        f.locked = True
    version = ApplicationVersion(number=number, snapshot=snapshot(a), submitted_at=now,
                                 submitted_by_id=getattr(actor, "id", None))
    a.versions.append(version)
    db.session.flush()
    audit.record(actor, "application.submit", a, after={"version": number, "resubmission": resubmission})
    emit("application.submitted", application=a, actor=actor, resubmission=resubmission)
    return version


def withdraw(actor: Any, application: Application, reason: str) -> None:
    """The applicant withdraws (撤回) before the award; the reason is optional."""
    a = application
    if a.status not in WITHDRAWABLE_STATUSES:
        raise Conflict(_("申报书当前状态为“%(status)s”，不能撤回。", status=a.status.label))
    reason = _with_field(_clean_text, "reason", reason, 500, _("撤回原因"))
    transition(a, _S.WITHDRAWN, actor, reason=reason or None)
    a.withdraw_reason = reason
    db.session.flush()
    emit("application.withdrawn", application=a, actor=actor, reason=reason)


def return_for_correction(actor: Any, application: Application, reason: str, due_at: datetime | None,
                          now: datetime) -> None:
    """The officer returns a submitted application for correction (退回补正)."""
    a = application
    if a.status != _S.SUBMITTED:
        raise Conflict(_("只有已提交、尚未审查的申报书可以退回补正。"))
    if a.call.status not in (CallStatus.OPEN, CallStatus.SCREENING):
        raise Conflict(_("征集已进入“%(status)s”阶段，不能再退回补正。", status=a.call.status.label))
    reason = _with_field(_clean_text, "reason", reason, 1000, _("退回原因"))
    if not reason:
        raise ValidationError(_("请填写退回原因。"), field="reason")
    if due_at is None:
        due_at = now + timedelta(days=RETURN_DAYS)
    if not isinstance(due_at, datetime) or due_at.tzinfo is None:
        raise ValidationError(_("补正期限不是有效的时间。"), field="due_at")
    if due_at <= now:
        raise ValidationError(_("补正期限必须晚于现在。"), field="due_at")
    if due_at > now + timedelta(days=MAX_RETURN_DAYS):
        raise ValidationError(_("补正期限不能超过 %(days)s 天。", days=MAX_RETURN_DAYS), field="due_at")
    transition(a, _S.RETURNED, actor, reason=reason)
    a.return_reason = reason
    a.correction_due_at = due_at
    db.session.flush()
    audit.record(actor, "application.return", a, after={"reason": reason, "due_at": due_at})
    emit("application.returned", application=a, actor=actor, reason=reason, due_at=due_at)


# --- timeline --------------------------------------------------------------------------

@dataclass
class TimelineEntry:
    at: datetime
    status: ApplicationStatus
    actor_name: str
    reason: str = ""
    version: int | None = None
    due_at: datetime | None = None


def timeline(application: Application) -> list[TimelineEntry]:
    """Status history from the audit log, oldest first, starting with creation."""
    a = application
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "Application", AuditEntry.object_id == str(a.id),
                                 AuditEntry.action.in_(["application.create", "application.status",
                                                        "application.submit", "application.return"]))
        .order_by(AuditEntry.id)).all()
    ids = {e.actor_id for e in entries if e.actor_id} | ({a.created_by_id} if a.created_by_id else set())
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}

    def who(actor_id: int | None, label: str = "") -> str:
        if actor_id in names:
            return names[actor_id]
        return label if label and label != "system" else _("系统")

    out: list[TimelineEntry] = []
    if not entries or entries[0].action != "application.create":
        out.append(TimelineEntry(at=a.created_at, status=_S.DRAFT, actor_name=who(a.created_by_id)))
    submissions = 0
    for e in entries:
        if e.action == "application.create":
            out.append(TimelineEntry(at=e.created_at, status=_S.DRAFT, actor_name=who(e.actor_id, e.actor_label)))
        elif e.action == "application.status":
            status = _S.coerce((e.after or {}).get("status"))
            if status is None:
                continue
            entry = TimelineEntry(at=e.created_at, status=status, actor_name=who(e.actor_id, e.actor_label),
                                  reason=(e.after or {}).get("reason") or "")
            if status == _S.SUBMITTED:
                submissions += 1
                entry.version = submissions
            out.append(entry)
        elif out and e.action == "application.submit" and out[-1].status == _S.SUBMITTED:
            version = (e.after or {}).get("version")
            if isinstance(version, int):
                out[-1].version = submissions = version
        elif out and e.action == "application.return" and out[-1].status == _S.RETURNED:
            due = (e.after or {}).get("due_at")
            try:
                out[-1].due_at = datetime.fromisoformat(due) if due else None
            except (TypeError, ValueError):
                pass
    return out


# --- comparing versions ------------------------------------------------------------------

@dataclass
class DiffRow:
    label: str
    old: str
    new: str
    changed: bool


@dataclass
class DiffSection:
    title: str
    rows: list[DiffRow] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.rows)


_EMPTY = "—"


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return _EMPTY
    return str(value)


def _number(text: Any) -> str:
    try:
        d = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return _show(text)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


def _money(fen: Any) -> str:
    return format_fen(fen) if isinstance(fen, int) else _EMPTY


def _yes_no(value: Any) -> str:
    return _("是") if value else _("否")


def _targets(values: list | None) -> str:
    labels = []
    for v in values or []:
        member = ServiceTarget.coerce(v)
        labels.append(member.label if member else str(v))
    return "、".join(labels)


def _budget_row(b: dict) -> str:
    quantity = f"{b.get('quantity', '')}{b.get('unit') or ''}"
    text = (f"{b.get('head', '')} · {b.get('item', '')} · {quantity}×{_money(b.get('unit_price_fen'))}"
            f" = {_money(b.get('amount_fen'))}")
    return f"{text}（{b['note']}）" if b.get("note") else text


def _indicator_row(i: dict) -> str:
    text = f"{i.get('name', '')} · {_number(i.get('target'))} {i.get('unit', '')}".rstrip()
    return f"{text} · {i['measurement']}" if i.get("measurement") else text


def _milestone_row(m: dict) -> str:
    text = f"{m.get('due_on', '')} · {m.get('title', '')}"
    return f"{text} · {m['deliverable']}" if m.get("deliverable") else text


def _team_row(t: dict) -> str:
    parts = [t.get("name", ""), t.get("role", "")]
    if t.get("qualification"):
        parts.append(t["qualification"])
    if t.get("is_social_worker"):
        parts.append(_("持证社工"))
    return " · ".join(parts)


def _attachment_text(files: list[dict]) -> str:
    return "、".join(f"{f.get('name', '')}（{_size(f.get('size_bytes'))}）" for f in files)


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return _EMPTY
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _pairs(a: dict, b: dict, specs: list[tuple[str, Any]]) -> list[DiffRow]:
    rows = []
    for label, fmt in specs:
        old, new = fmt(a), fmt(b)
        rows.append(DiffRow(label=str(label), old=_show(old), new=_show(new), changed=old != new))
    return rows


def _positional(a: list, b: list, label: str, fmt) -> list[DiffRow]:
    rows = []
    for i in range(max(len(a), len(b))):
        old = fmt(a[i]) if i < len(a) else _EMPTY
        new = fmt(b[i]) if i < len(b) else _EMPTY
        rows.append(DiffRow(label=_("%(label)s第 %(n)s 行", label=label, n=i + 1), old=old, new=new,
                            changed=old != new))
    return rows


def compare(version_a: ApplicationVersion, version_b: ApplicationVersion) -> list[DiffSection]:
    """Two submitted versions side by side (A = old, B = new), section by section."""
    a, b = version_a.snapshot or {}, version_b.snapshot or {}

    def get(key: str, default: Any = "") -> Any:
        return lambda s: s.get(key, default)

    def budget_total(s: dict) -> str:
        total = s.get("budget_total_fen")
        if total is None:
            total = sum(line.get("amount_fen") or 0 for line in s.get("budget_lines") or [])
        return _money(total)

    sections = [
        DiffSection(_("基本信息"), _pairs(a, b, [
            (_("项目名称"), get("title")), (_("项目简介"), get("summary")),
            (_("项目负责人"), get("leader_name")), (_("负责人电话"), get("leader_phone"))])),
        DiffSection(_("需求与设计"), _pairs(a, b, [
            (_("需求分析"), get("need")), (_("项目目标"), get("objectives")),
            (_("内容与活动"), get("activities")), (_("可持续性"), get("sustainability"))])),
        DiffSection(_("服务对象与社区"), _pairs(a, b, [
            (_("服务对象"), lambda s: _targets(s.get("target_groups"))),
            (_("计划受益人数"), lambda s: _number(s.get("planned_beneficiaries", 0))),
            (_("受益人说明"), get("beneficiary_description")),
            (_("服务社区"), lambda s: "、".join(c.get("name", "") for c in s.get("communities") or []))])),
        DiffSection(_("周期与资金"), _pairs(a, b, [
            (_("开始日期"), get("starts_on", None)), (_("结束日期"), get("ends_on", None)),
            (_("申请资助金额"), lambda s: _money(s.get("requested_fen"))),
            (_("配套资金"), lambda s: _money(s.get("matching_fen"))),
            (_("配套资金来源"), get("matching_source")),
            (_("预算合计"), budget_total)])),
        DiffSection(_("预算明细"), _positional(a.get("budget_lines") or [], b.get("budget_lines") or [],
                                             _("预算"), _budget_row)),
        DiffSection(_("成效指标"), _positional(a.get("indicators") or [], b.get("indicators") or [],
                                             _("指标"), _indicator_row)),
        DiffSection(_("实施进度"), _positional(a.get("milestones") or [], b.get("milestones") or [],
                                             _("进度"), _milestone_row)),
        DiffSection(_("项目团队"), _positional(a.get("team") or [], b.get("team") or [],
                                             _("成员"), _team_row)),
    ]

    files_a = _by_kind(a.get("attachments") or [])
    files_b = _by_kind(b.get("attachments") or [])
    rows = []
    for kind in list(dict.fromkeys([*files_a, *files_b])):
        fa, fb = files_a.get(kind, []), files_b.get(kind, [])
        same = [f.get("sha256") for f in fa] == [f.get("sha256") for f in fb] and \
            [f.get("name") for f in fa] == [f.get("name") for f in fb]
        rows.append(DiffRow(label=kind, old=_show(_attachment_text(fa)), new=_show(_attachment_text(fb)),
                            changed=not same))
    sections.append(DiffSection(_("附件"), rows))

    decl = [("no_fixed_assets", _("不购置固定资产")), ("no_cash_gifts", _("不发放现金或礼品")),
            ("truthful", _("信息真实准确"))]
    sections.append(DiffSection(_("承诺"), _pairs(a, b, [
        (label, (lambda k: lambda s: _yes_no((s.get("declarations") or {}).get(k)))(key)) for key, label in decl])))
    return sections


def _by_kind(files: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in files:
        out.setdefault(f.get("kind") or "", []).append(f)
    return out


# --- next action -----------------------------------------------------------------------

def next_action(application: Application, now: datetime) -> str:
    """What the applicant should do next, in a few words."""
    a, call = application, application.call
    if a.status == _S.DRAFT:
        if call.is_accepting(now):
            return _("完善并提交（截止 %(at)s）", at=_local(call.deadline_at))
        if call.status == CallStatus.OPEN and now < call.opens_at:
            return _("征集尚未开始，%(at)s 起可提交", at=_local(call.opens_at))
        return _("征集已截止，无法提交")
    if a.status == _S.RETURNED:
        if call.status not in (CallStatus.OPEN, CallStatus.SCREENING):
            return _("征集已进入下一阶段，无法重新提交")
        if a.correction_due_at is None:
            return _("按退回意见修改后重新提交")
        if now >= a.correction_due_at:
            return _("补正期限已过，无法重新提交")
        return _("按退回意见修改后重新提交（截止 %(at)s）", at=_local(a.correction_due_at))
    return {
        _S.SUBMITTED: _("等待形式审查"),
        _S.ELIGIBLE: _("形式审查已通过，等待专家评审"),
        _S.INELIGIBLE: _("形式审查未通过，可查看原因"),
        _S.UNDER_REVIEW: _("专家评审中，请耐心等待"),
        _S.SCORED: _("评审已完成，等待立项结果"),
        _S.RECOMMENDED: _("已拟立项，等待公示结束"),
        _S.NOT_RECOMMENDED: _("未入围，等待最终结果"),
        _S.AWARDED: _("已立项，请留意资助协议"),
        _S.REJECTED: _("未立项，无需操作"),
        _S.WITHDRAWN: _("已撤回，无需操作"),
    }[a.status]


# --- queries ---------------------------------------------------------------------------

def _coerce_status(status: Any) -> ApplicationStatus | None:
    if status is None or isinstance(status, ApplicationStatus):
        return status
    return _S.coerce(status if isinstance(status, str) else None)


def get_application(application_id: Any) -> Application | None:
    """An application with its children loaded (one query per child table)."""
    if isinstance(application_id, bool) or not isinstance(application_id, int) or not 0 < application_id <= MAX_ID:
        return None
    return db.session.execute(
        select(Application).where(Application.id == application_id).options(
            selectinload(Application.budget_lines), selectinload(Application.indicators),
            selectinload(Application.milestones), selectinload(Application.team),
            selectinload(Application.community_rows), selectinload(Application.target_rows),
            selectinload(Application.attachments), selectinload(Application.versions),
            selectinload(Application.screening))
    ).scalar_one_or_none()


def _list_options():
    return (joinedload(Application.organization), joinedload(Application.call))


def _search(stmt: Select, q: str | None, *columns) -> Select:
    if not q:
        return stmt
    needle = q.lower()
    return stmt.where(or_(*(func.lower(c).contains(needle, autoescape=True) for c in columns)))


def user_applications(user: Any, status: Any = None, q: str | None = None) -> Select:
    """Applications of the user's organizations, newest first (search: title, call, organization)."""
    org_ids = select(OrgMembership.organization_id).where(OrgMembership.user_id == getattr(user, "id", None))
    stmt = (select(Application).where(Application.organization_id.in_(org_ids))
            .join(Call, Call.id == Application.call_id)
            .join(Organization, Organization.id == Application.organization_id)
            .options(*_list_options()))
    status = _coerce_status(status)
    if status is not None:
        stmt = stmt.where(Application.status == status)
    stmt = _search(stmt, q, Application.title, Call.title, Organization.name)
    return stmt.order_by(Application.created_at.desc(), Application.id.desc())


def call_applications(call: Call, status: Any = None, q: str | None = None) -> Select:
    """The call's applications submitted at least once, latest submission first (search:
    title, organization)."""
    stmt = (select(Application).where(Application.call_id == call.id, Application.current_version > 0)
            .join(Organization, Organization.id == Application.organization_id)
            .options(*_list_options()))
    status = _coerce_status(status)
    if status is not None:
        stmt = stmt.where(Application.status == status)
    stmt = _search(stmt, q, Application.title, Organization.name)
    return stmt.order_by(Application.submitted_at.desc(), Application.id.desc())


def status_counts(call_ids: list[int]) -> dict[int, dict[ApplicationStatus, int]]:
    """Applications per status for each call, in one GROUP BY query.

    Drafts are counted under DRAFT (how many are in preparation; their content stays the
    organization's); a draft withdrawn without ever being submitted is not counted at all.
    Every status key is present (0 when none).
    """
    ids = [i for i in dict.fromkeys(call_ids) if isinstance(i, int)]
    out = {i: {s: 0 for s in ApplicationStatus} for i in ids}
    if not ids:
        return out
    never_submitted_withdrawn = and_(Application.status == _S.WITHDRAWN, Application.current_version == 0)
    rows = db.session.execute(
        select(Application.call_id, Application.status, func.count(Application.id))
        .where(Application.call_id.in_(ids), ~never_submitted_withdrawn)
        .group_by(Application.call_id, Application.status)).all()
    for call_id, status, n in rows:
        out[call_id][status] = n
    return out

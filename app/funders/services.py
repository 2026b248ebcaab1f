"""Funder rules (资助方/购买主体) and their staff (工作人员)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.core import audit
from app.core.errors import Conflict, ValidationError
from app.extensions import db
from app.funders.models import Funder, FunderKind, StaffMembership, StaffRole
from app.regions.models import Region, RegionLevel

# Which region levels each kind of funder may serve.
KIND_LEVELS: dict[FunderKind, tuple[RegionLevel, ...]] = {
    FunderKind.CIVIL_AFFAIRS: (RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY),
    FunderKind.STREET_OFFICE: (RegionLevel.STREET,),
    FunderKind.COMMUNITY_FOUNDATION: (RegionLevel.COUNTY, RegionLevel.STREET),
}
KIND_MESSAGES: dict[FunderKind, str] = {
    FunderKind.CIVIL_AFFAIRS: _l("民政部门应设在省、州/市或县/市/区一级，请选择相应级别的区划。"),
    FunderKind.STREET_OFFICE: _l("街道办事处/乡镇政府应对应街道/乡镇一级的区划。"),
    FunderKind.COMMUNITY_FOUNDATION: _l("社区发展基金会应设在县/市/区或街道/乡镇一级，请选择相应级别的区划。"),
}
# Plain names for messages: services also run outside a request (CLI, demo loader),
# where the translated enum labels are not available.
ROLE_NAMES = {StaffRole.PROGRAM_OFFICER: _l("项目主管"), StaffRole.FINANCE_OFFICER: _l("财务人员"),
              StaffRole.AUDITOR: _l("审计监督")}
LIMITS = {"name": 100, "short_name": 40, "address": 200, "contact_phone": 30, "website": 200,
          "description": 5000}
LABELS = {"name": _l("名称"), "short_name": _l("简称"), "address": _l("地址"), "contact_phone": _l("联系电话"),
          "website": _l("网站"), "description": _l("简介")}
EDITABLE = ("name", "short_name", "kind", "region", "description", "address", "contact_phone",
            "website", "is_active")


def _snapshot(funder: Funder) -> dict:
    return {"name": funder.name, "short_name": funder.short_name, "kind": funder.kind,
            "region_id": funder.region_id, "description": funder.description,
            "address": funder.address, "contact_phone": funder.contact_phone,
            "website": funder.website, "is_active": funder.is_active}


def _clean_text(field: str, value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > LIMITS[field]:
        raise ValidationError(_("%(label)s不能超过 %(limit)s 个字。", label=LABELS[field], limit=LIMITS[field]), field=field)
    return value


def _check_name(name: str | None, *, exclude_id: int | None = None) -> str:
    name = _clean_text("name", name)
    if not name:
        raise ValidationError(_("请输入资助方名称。"), field="name")
    existing = db.session.execute(select(Funder).where(Funder.name == name)).scalar_one_or_none()
    if existing is not None and existing.id != exclude_id:
        raise ValidationError(_("已有名为“%(name)s”的资助方，名称不能重复。", name=name), field="name")
    return name


def _check_kind_region(kind, region: Region | None) -> FunderKind:
    if isinstance(kind, str) and not isinstance(kind, FunderKind):
        kind = FunderKind.coerce(kind)
    if kind is None:
        raise ValidationError(_("请选择资助方类型。"), field="kind")
    if region is None:
        raise ValidationError(_("请选择资助方所在的行政区划。"), field="region_id")
    if region.level not in KIND_LEVELS[kind]:
        raise ValidationError(KIND_MESSAGES[kind], field="region_id")
    return kind


def _check_website(value: str | None) -> str:
    value = _clean_text("website", value)
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValidationError(_("网站地址应以 http:// 或 https:// 开头。"), field="website")
    return value


def create_funder(actor, *, name: str, short_name: str, kind, region: Region | None,
                  description: str = "", address: str = "", contact_phone: str = "",
                  website: str = "") -> Funder:
    funder = Funder(
        name=_check_name(name),
        short_name=_clean_text("short_name", short_name),
        kind=_check_kind_region(kind, region),
        region_id=region.id,
        description=_clean_text("description", description),
        address=_clean_text("address", address),
        contact_phone=_clean_text("contact_phone", contact_phone),
        website=_check_website(website),
        is_active=True,
    )
    funder.region = region
    db.session.add(funder)
    db.session.flush()
    audit.record(actor, "funder.create", funder, after=_snapshot(funder))
    return funder


def update_funder(actor, funder: Funder, **fields) -> Funder:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    before = _snapshot(funder)
    values: dict = {}
    if "name" in fields:
        values["name"] = _check_name(fields["name"], exclude_id=funder.id)
    for key in ("short_name", "description", "address", "contact_phone"):
        if key in fields:
            values[key] = _clean_text(key, fields[key])
    if "website" in fields:
        values["website"] = _check_website(fields["website"])
    kind = fields.get("kind", funder.kind)
    region = fields.get("region", funder.region)
    if "kind" in fields or "region" in fields:
        values["kind"] = _check_kind_region(kind, region)
    if "is_active" in fields:
        values["is_active"] = bool(fields["is_active"])
    for key, value in values.items():
        setattr(funder, key, value)
    if "region" in fields:
        funder.region = region
        funder.region_id = region.id
    db.session.flush()
    after = _snapshot(funder)
    if after != before:
        audit.record(actor, "funder.update", funder, before=before, after=after)
    return funder


def add_staff(actor, funder: Funder, user: User, role) -> StaffMembership:
    if isinstance(role, str) and not isinstance(role, StaffRole):
        role = StaffRole.coerce(role)
    if role is None:
        raise ValidationError(_("请选择工作人员角色。"), field="role")
    if not user.is_active_account:
        raise ValidationError(_("用户 %(email)s 已停用，不能添加为工作人员。", email=user.email), field="email")
    if role.value in user.funder_roles(funder.id):
        raise Conflict(_("%(user)s（%(email)s）已是“%(funder)s”的%(role)s。",
                         user=user.name, email=user.email, funder=funder.name, role=ROLE_NAMES[role]),
                       field="role")
    membership = StaffMembership(user=user, funder=funder, role=role)
    db.session.add(membership)
    db.session.flush()
    audit.record(actor, "funder.add_staff", membership,
                 after={"user_id": user.id, "funder_id": funder.id, "role": role})
    return membership


def remove_staff(actor, membership: StaffMembership) -> None:
    before = {"user_id": membership.user_id, "funder_id": membership.funder_id,
              "role": membership.role}
    audit.record(actor, "funder.remove_staff", membership, before=before)
    # Both collections cascade delete-orphan: taking it out of them deletes the row once
    # and keeps the loaded user's roles (read by permissions) up to date.
    user, funder = membership.user, membership.funder
    with db.session.no_autoflush:
        if membership in user.staff_memberships:
            user.staff_memberships.remove(membership)
        if membership in funder.staff:
            funder.staff.remove(membership)
    db.session.flush()

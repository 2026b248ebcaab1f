"""Platform administration (系统管理): accounts and roles, plus the read models of the
admin pages (lists, counts). Funders and regions keep their own rules in their domains;
this module calls them.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.auth.models import User
from app.auth.services import check_password_policy, find_user_by_email, normalize_email
from app.core import audit
from app.core.db import utcnow
from app.core.errors import ValidationError
from app.extensions import db
from app.funders import services as funder_services
from app.funders.models import Funder, FunderKind, StaffMembership, StaffRole
from app.orgs.models import OrgMembership, Organization
from app.regions.models import Region, RegionLevel
from app.regions.services import with_ancestors

ADMIN = "admin"
APPLICANT = "applicant"
STAFF_ROLES = tuple(r.value for r in StaffRole)
ROLES = (ADMIN, *STAFF_ROLES, APPLICANT)
# Names for messages, translated when the message is built (lazy: this is import time).
ROLE_NAMES = {ADMIN: _l("平台管理员"), "program_officer": _l("项目主管"), "finance_officer": _l("财务人员"),
              "auditor": _l("审计监督"), APPLICANT: _l("申报用户")}
STATUS_FILTERS = {"active": lazy_gettext("正常"), "inactive": lazy_gettext("已停用"),
                  "unconfirmed": lazy_gettext("邮箱未确认")}


def role_labels() -> dict[str, str]:
    """Labels of the roles an admin can give (built per request: they are translated)."""
    return {ADMIN: str(lazy_gettext("平台管理员")), **{r.value: r.label for r in StaffRole},
            APPLICANT: str(lazy_gettext("申报用户"))}


def role_filters() -> dict[str, str]:
    """Choices of the user list's role filter: the roles plus "any staff role"."""
    labels = role_labels()
    return {ADMIN: labels[ADMIN], "staff": str(lazy_gettext("资助方工作人员（任一角色）")),
            **{r.value: r.label for r in StaffRole},
            APPLICANT: str(lazy_gettext("申报用户（非管理员、非工作人员）"))}


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX = 50
PHONE_MAX = 20
EMAIL_MAX = 254


def role_choices() -> list[tuple[str, str]]:
    labels = role_labels()
    return [(role, labels[role]) for role in ROLES]


# --- accounts ------------------------------------------------------------------------

def create_user_with_role(actor, *, email: str, name: str, password: str, role: str,
                          funder_id: int | None = None, phone: str = "") -> User:
    """A confirmed, active account with one role (admin, a staff role at a funder, or a
    plain applicant). Used by the admin pages and `flask users create`."""
    email = normalize_email(email)
    name = (name or "").strip()
    phone = (phone or "").strip()
    if not email:
        raise ValidationError(_("请输入邮箱。"), field="email")
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise ValidationError(_("邮箱格式不正确。"), field="email")
    if not name:
        raise ValidationError(_("请输入姓名。"), field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(_("姓名不能超过 %(max)s 个字。", max=NAME_MAX), field="name")
    if len(phone) > PHONE_MAX:
        raise ValidationError(_("电话号码不能超过 %(max)s 个字符。", max=PHONE_MAX), field="phone")
    if role not in ROLES:
        raise ValidationError(_("角色应为以下之一：%(items)s。", items=', '.join(ROLES)), field="role")
    label = ROLE_NAMES[role]
    funder = None
    if role in STAFF_ROLES:
        if not funder_id:
            raise ValidationError(
                _("%(label)s是资助方的工作人员角色，请指定所属资助方。", label=label), field="funder_id")
        funder = db.session.get(Funder, funder_id)
        if funder is None:
            raise ValidationError(_("编号为 %(funder_id)s 的资助方不存在。", funder_id=funder_id), field="funder_id")
    elif funder_id:
        raise ValidationError(
            _("%(label)s不属于任何资助方，请不要选择资助方。", label=label), field="funder_id")
    if find_user_by_email(email) is not None:
        raise ValidationError(_("邮箱 %(email)s 已有账户。", email=email), field="email")
    check_password_policy(password or "", email=email, name=name)

    user = User(email=email, name=name, phone=phone, is_admin=(role == ADMIN),
                is_active_account=True, email_confirmed_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", user,
                 after={"email": email, "name": name, "role": role,
                        "funder_id": funder.id if funder else None})
    if funder is not None:
        funder_services.add_staff(actor, funder, user, StaffRole(role))
    return user


def _active_admin_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User)
        .where(User.is_admin.is_(True), User.is_active_account.is_(True))
    ) or 0


def set_admin(actor, user: User, value: bool) -> None:
    value = bool(value)
    if user.is_admin == value:
        return
    if not value:
        if actor is not None and actor.id == user.id:
            raise ValidationError(_("不能取消自己的管理员权限，请由另一位管理员操作。"))
        if user.is_active_account and _active_admin_count() <= 1:
            raise ValidationError(_("平台至少需要保留一位管理员。"))
    elif not user.is_active_account:
        raise ValidationError(_("该用户已停用，请先恢复账户再授予管理员权限。"))
    user.is_admin = value
    audit.record(actor, "user.set_admin", user, before={"is_admin": not value},
                 after={"is_admin": value})


def deactivate_user(actor, user: User) -> None:
    """Stop an account: it can no longer sign in, and its open sessions end now."""
    if actor is not None and actor.id == user.id:
        raise ValidationError(_("不能停用自己的账户。"))
    if not user.is_active_account:
        raise ValidationError(_("该用户已经是停用状态。"))
    if user.is_admin and _active_admin_count() <= 1:
        raise ValidationError(_("平台至少需要保留一位可用的管理员。"))
    user.is_active_account = False
    user.rotate_session_token()
    audit.record(actor, "user.deactivate", user, before={"is_active": True},
                 after={"is_active": False})


def reactivate_user(actor, user: User) -> None:
    if user.is_active_account:
        raise ValidationError(_("该用户已经是正常状态。"))
    user.is_active_account = True
    audit.record(actor, "user.reactivate", user, before={"is_active": False},
                 after={"is_active": True})


def add_staff_by_email(actor, funder: Funder, email: str, role) -> StaffMembership:
    user = find_user_by_email(email or "")
    if user is None:
        raise ValidationError(
            _("没有使用该邮箱的账户。请先在“用户管理”中创建账户，或请对方自行注册。"), field="email")
    return funder_services.add_staff(actor, funder, user, role)


def user_query(q: str | None = None, role: str | None = None,
               status: str | None = None) -> Select:
    """Users for the admin list: search on email/name/phone, filter by role and status."""
    stmt = select(User).options(
        selectinload(User.staff_memberships).joinedload(StaffMembership.funder),
        selectinload(User.org_memberships),
    )
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(User.email.icontains(q, autoescape=True),
                              User.name.icontains(q, autoescape=True),
                              User.phone.icontains(q, autoescape=True)))
    has_staff = exists().where(StaffMembership.user_id == User.id)
    if role == ADMIN:
        stmt = stmt.where(User.is_admin.is_(True))
    elif role == "staff":
        stmt = stmt.where(has_staff)
    elif role in STAFF_ROLES:
        stmt = stmt.where(exists().where(StaffMembership.user_id == User.id,
                                         StaffMembership.role == StaffRole(role)))
    elif role == APPLICANT:
        stmt = stmt.where(User.is_admin.is_(False), ~has_staff)
    if status == "active":
        stmt = stmt.where(User.is_active_account.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.is_active_account.is_(False))
    elif status == "unconfirmed":
        stmt = stmt.where(User.email_confirmed_at.is_(None))
    return stmt.order_by(User.created_at.desc(), User.id.desc())


def user_org_memberships(user: User) -> list[OrgMembership]:
    return sorted(user.org_memberships, key=lambda m: m.organization.name)


# --- funders -------------------------------------------------------------------------

def funder_query(q: str | None = None, kind: str | None = None) -> Select:
    stmt = select(Funder).options(selectinload(Funder.staff), with_ancestors_of_funder())
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(Funder.name.icontains(q, autoescape=True),
                              Funder.short_name.icontains(q, autoescape=True)))
    kind_value = FunderKind.coerce(kind)
    if kind_value is not None:
        stmt = stmt.where(Funder.kind == kind_value)
    return stmt.order_by(Funder.name)


def with_ancestors_of_funder():
    """The funder's region and its parent chain (for `region.full_name`) in one query."""
    return joinedload(Funder.region).joinedload(Region.parent).joinedload(Region.parent) \
        .joinedload(Region.parent).joinedload(Region.parent)


def funder_choices() -> list[tuple[int, str]]:
    return [(f.id, f.name) for f in db.session.execute(
        select(Funder).order_by(Funder.name)).scalars()]


def funder_staff(funder: Funder) -> list[StaffMembership]:
    return list(db.session.execute(
        select(StaffMembership).where(StaffMembership.funder_id == funder.id)
        .options(selectinload(StaffMembership.user))
        .order_by(StaffMembership.role, StaffMembership.id)
    ).scalars())


# --- regions -------------------------------------------------------------------------

def region_query(parent: Region | None, q: str | None = None) -> Select:
    """The children of `parent` (provinces when None); with `q`, matches by name or code
    anywhere inside `parent` (or anywhere at all)."""
    stmt = select(Region).options(with_ancestors())
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(Region.name.icontains(q, autoescape=True),
                              Region.code.startswith(q, autoescape=True)))
        if parent is not None:
            stmt = stmt.where(Region.path.startswith(parent.path), Region.id != parent.id)
    elif parent is None:
        stmt = stmt.where(Region.parent_id.is_(None))
    else:
        stmt = stmt.where(Region.parent_id == parent.id)
    return stmt.order_by(Region.code)


def region_counts(regions: list[Region]) -> dict[int, dict[str, int]]:
    """For each region: its direct children and the organizations inside it."""
    ids = [r.id for r in regions]
    if not ids:
        return {}
    child_counts = dict(db.session.execute(
        select(Region.parent_id, func.count()).where(Region.parent_id.in_(ids))
        .group_by(Region.parent_id)
    ).all())
    outer, home = aliased(Region), aliased(Region)
    org_counts = dict(db.session.execute(
        select(outer.id, func.count(Organization.id))
        .join(home, home.path.startswith(outer.path))
        .join(Organization, Organization.home_community_id == home.id)
        .where(outer.id.in_(ids))
        .group_by(outer.id)
    ).all())
    return {i: {"children": child_counts.get(i, 0), "organizations": org_counts.get(i, 0)}
            for i in ids}


# --- overview ------------------------------------------------------------------------

def overview_counts() -> dict:
    def count(stmt) -> int:
        return db.session.scalar(stmt) or 0

    by_level = dict(db.session.execute(
        select(Region.level, func.count()).group_by(Region.level)).all())
    return {
        "users": count(select(func.count()).select_from(User)),
        "unconfirmed": count(select(func.count()).select_from(User)
                             .where(User.email_confirmed_at.is_(None))),
        "inactive": count(select(func.count()).select_from(User)
                          .where(User.is_active_account.is_(False))),
        "admins": count(select(func.count()).select_from(User).where(User.is_admin.is_(True))),
        "staff": count(select(func.count(func.distinct(StaffMembership.user_id)))),
        "funders": count(select(func.count()).select_from(Funder)),
        "organizations": count(select(func.count()).select_from(Organization)),
        "regions_by_level": [(level, by_level.get(level, 0)) for level in RegionLevel],
    }

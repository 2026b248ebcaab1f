"""Organization rules (社区社会组织): profiles, staff-only fields, members, invitations and
the public directory. Services flush, never commit; they take the acting user and plain
data and raise DomainError subclasses with messages shown to the user as they are."""
from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from app.core.mail import queue_email
from app.core.permissions import can, require
from app.core.states import transition
from app.extensions import db
from app.orgs.creditcode import validate_credit_code
from app.orgs.models import (Category, CreditStatus, EvaluationGrade, Invitation,
                             InvitationStatus, LegalStatus, MemberRole, OrgMembership,
                             Organization, OrganizationServiceTarget, PartyOrganization,
                             ServiceTarget)
from app.regions.models import Region, RegionLevel

MAX_PEOPLE = 100_000
MAX_MISSION = 2000
# Invitation links stay valid for a week: people do not read mail every day.
INVITATION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CHINA = ZoneInfo("Asia/Shanghai")
# Ids beyond a 32-bit integer cannot exist; looking them up would overflow the driver.
MAX_ID = 2**31 - 1

# Profile text fields: (key, column length, label for messages).
_TEXT_FIELDS = [
    ("registration_authority", 100, _l("登记管理机关/备案街道/指导社区党组织")),
    ("address", 200, _l("地址")),
    ("legal_representative", 50, _l("法定代表人/负责人")),
    ("contact_name", 50, _l("联系人")),
    ("contact_phone", 20, _l("联系电话")),
    ("contact_email", 254, _l("联系邮箱")),
]
_COUNT_FIELDS = [
    ("social_worker_count", _l("持证社会工作者人数")),
    ("staff_count", _l("专职工作人员人数")),
    ("volunteer_count", _l("登记志愿者人数")),
]


def china_today() -> date:
    return utcnow().astimezone(_CHINA).date()


# --- profile validation -------------------------------------------------------------

def _text(data: dict, key: str, max_len: int, label: str) -> str:
    value = data.get(key)
    value = "" if value is None else str(value).strip()
    if len(value) > max_len:
        raise ValidationError(_("%(label)s不能超过 %(max_len)s 个字。", label=label, max_len=max_len), field=key)
    return value


def _enum(enum_cls, value: Any, key: str, message: str):
    parsed = value if isinstance(value, enum_cls) else enum_cls.coerce(value)
    if parsed is None:
        raise ValidationError(message, field=key)
    return parsed


def _count(data: dict, key: str, label: str) -> int:
    value = data.get(key)
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("%(label)s请填写整数。", label=label), field=key) from None
    if number < 0 or number > MAX_PEOPLE:
        raise ValidationError(_("%(label)s应在 0 到 %(max)s 之间。", label=label, max=MAX_PEOPLE), field=key)
    return number


def _name_taken(name: str, exclude_id: int | None) -> bool:
    # The exact match matters: SQLite's lower() folds ASCII only, so "ÑAME" would pass
    # the case-insensitive test and then break the UNIQUE constraint (a 500).
    query = select(Organization.id).where(or_(Organization.name == name,
                                              func.lower(Organization.name) == name.lower()))
    if exclude_id is not None:
        query = query.where(Organization.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


def _code_owner(code: str, exclude_id: int | None) -> Organization | None:
    query = select(Organization).where(Organization.credit_code == code)
    if exclude_id is not None:
        query = query.where(Organization.id != exclude_id)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def clean_profile(data: dict, *, org: Organization | None = None) -> dict:
    """Check every profile rule and return the normalized values.

    Only the keys below are read: anything else in `data` (a hidden `evaluation_grade`,
    `credit_status`, `id`...) is ignored.
    """
    exclude_id = org.id if org is not None else None
    out: dict[str, Any] = {}

    name = _text(data, "name", 100, _("组织名称"))
    if not name:
        raise ValidationError(_("请填写组织名称。"), field="name")
    if _name_taken(name, exclude_id):
        raise ValidationError(_("名称“%(name)s”已被其他组织使用，请核对是否已经创建过，或使用登记/备案的全称。", name=name),
                              field="name")
    out["name"] = name

    status = _enum(LegalStatus, data.get("legal_status"), "legal_status", _("请选择组织的法律状态（登记、备案或社区党组织引领）。"))
    out["legal_status"] = status

    if status == LegalStatus.REGISTERED:
        code = validate_credit_code(data.get("credit_code") or "", field="credit_code")
        other = _code_owner(code, exclude_id)
        if other is not None:
            raise ValidationError(_("统一社会信用代码 %(code)s 已被“%(name)s”使用，同一代码只能对应一个组织。", code=code, name=other.name),
                                  field="credit_code")
        out["credit_code"] = code
    else:
        # Filed and community-led organizations have no legal personality, hence no code;
        # whatever was typed in the (hidden) field is dropped.
        out["credit_code"] = None

    for key, length, label in _TEXT_FIELDS:
        out[key] = _text(data, key, length, label)
    if out["contact_email"] and not _EMAIL.match(out["contact_email"]):
        raise ValidationError(_("联系邮箱格式不正确。"), field="contact_email")

    out["category"] = _enum(Category, data.get("category"), "category", _("请选择组织类别。"))

    raw_targets = data.get("service_targets") or []
    if isinstance(raw_targets, (str, ServiceTarget)):
        raw_targets = [raw_targets]
    targets: list[ServiceTarget] = []
    for raw in raw_targets:
        target = _enum(ServiceTarget, raw, "service_targets", _("服务对象选项无效，请重新选择。"))
        if target not in targets:
            targets.append(target)
    if not targets:
        raise ValidationError(_("请至少选择一类服务对象。"), field="service_targets")
    out["service_targets"] = targets
    other_text = _text(data, "service_target_other", 100, _("其他服务对象"))
    if ServiceTarget.OTHER in targets and not other_text:
        raise ValidationError(_("选择了“其他”服务对象时，请说明具体服务哪些人群。"), field="service_target_other")
    out["service_target_other"] = other_text if ServiceTarget.OTHER in targets else ""

    community = None
    community_id = data.get("home_community_id")
    try:
        community_id = int(community_id)
    except (TypeError, ValueError):
        community_id = 0
    if 0 < community_id <= MAX_ID:
        community = db.session.get(Region, community_id)
    if community is None or community.level != RegionLevel.COMMUNITY:
        raise ValidationError(_("请选择组织所在的社区（村）。"), field="home_community_id")
    out["home_community"] = community

    today = china_today()
    founded = data.get("founded_on")
    if not isinstance(founded, date):
        raise ValidationError(_("请填写成立日期。"), field="founded_on")
    if founded > today:
        raise ValidationError(_("成立日期不能晚于今天。"), field="founded_on")
    out["founded_on"] = founded

    registered = data.get("registered_on")
    if status != LegalStatus.REGISTERED:
        registered = None
    elif registered is not None:
        if not isinstance(registered, date):
            raise ValidationError(_("登记日期格式不正确。"), field="registered_on")
        if registered > today:
            raise ValidationError(_("登记日期不能晚于今天。"), field="registered_on")
        if registered < founded:
            raise ValidationError(_("登记日期不能早于成立日期。"), field="registered_on")
    out["registered_on"] = registered

    out["party_organization"] = _enum(
        PartyOrganization, data.get("party_organization") or PartyOrganization.NO,
        "party_organization", _("请选择党组织建立情况。"))
    for key, label in _COUNT_FIELDS:
        out[key] = _count(data, key, label)
    out["mission"] = _text(data, "mission", MAX_MISSION, _("宗旨与服务内容"))
    return out


def _snapshot(org: Organization) -> dict:
    return {
        "name": org.name, "legal_status": org.legal_status, "credit_code": org.credit_code,
        "registration_authority": org.registration_authority, "category": org.category,
        "service_targets": [t.value for t in org.service_targets],
        "service_target_other": org.service_target_other,
        "home_community_id": org.home_community_id, "founded_on": org.founded_on,
        "registered_on": org.registered_on, "party_organization": org.party_organization,
        "social_worker_count": org.social_worker_count, "staff_count": org.staff_count,
        "volunteer_count": org.volunteer_count, "mission": org.mission, "address": org.address,
        "legal_representative": org.legal_representative, "contact_name": org.contact_name,
        "contact_phone": org.contact_phone, "contact_email": org.contact_email,
    }


def _apply(org: Organization, values: dict) -> None:
    targets = values.pop("service_targets")
    for key, value in values.items():
        setattr(org, key, value)
    wanted = set(targets)
    for row in list(org.target_rows):
        if row.target not in wanted:
            org.target_rows.remove(row)
    have = {row.target for row in org.target_rows}
    for target in targets:
        if target not in have:
            org.target_rows.append(OrganizationServiceTarget(target=target))


# --- profile operations -------------------------------------------------------------

def create_organization(actor: User, data: dict) -> Organization:
    """Create an organization; the actor becomes its owner (负责人)."""
    if not can(actor, "org.create"):
        raise PermissionDenied(_("只有已确认邮箱的用户才能创建组织，请先点击确认邮件中的链接。"))
    values = clean_profile(data)
    org = Organization()
    db.session.add(org)
    _apply(org, values)
    db.session.flush()
    db.session.add(OrgMembership(user=actor, organization=org, role=MemberRole.OWNER))
    db.session.flush()
    audit.record(actor, "org.create", org, after=_snapshot(org))
    return org


def update_profile(actor: User, org: Organization, data: dict) -> Organization:
    require(actor, "org.edit", org)
    before = _snapshot(org)
    _apply(org, clean_profile(data, org=org))
    db.session.flush()
    after = _snapshot(org)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record(actor, "org.update_profile", org,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return org


def update_staff_fields(actor: User, org: Organization, evaluation_grade: Any,
                        credit_status: Any) -> Organization:
    """Evaluation grade (评估等级) and credit status (信用状态): covering program officers only."""
    require(actor, "org.edit_staff_fields", org)
    grade = _enum(EvaluationGrade, evaluation_grade, "evaluation_grade", _("请选择评估等级。"))
    credit = _enum(CreditStatus, credit_status, "credit_status", _("请选择信用状态。"))
    before = {"evaluation_grade": org.evaluation_grade, "credit_status": org.credit_status}
    org.evaluation_grade = grade
    org.credit_status = credit
    db.session.flush()
    audit.record(actor, "org.staff_fields", org, before=before,
                 after={"evaluation_grade": grade, "credit_status": credit})
    return org


# --- members ------------------------------------------------------------------------

def _owner_count(org: Organization) -> int:
    return db.session.scalar(
        select(func.count()).select_from(OrgMembership)
        .where(OrgMembership.organization_id == org.id, OrgMembership.role == MemberRole.OWNER)
    ) or 0


def change_member_role(actor: User, membership: OrgMembership, role: Any) -> OrgMembership:
    org = membership.organization
    require(actor, "org.manage_members", org)
    new_role = _enum(MemberRole, role, "role", _("请选择角色。"))
    old_role = membership.role
    if new_role == old_role:
        return membership
    if old_role == MemberRole.OWNER and _owner_count(org) <= 1:
        raise Conflict(_("组织至少需要一位负责人。请先把另一位成员设为负责人，再变更此人的角色。"))
    membership.role = new_role
    db.session.flush()
    audit.record(actor, "org.change_member_role", org,
                 before={"user_id": membership.user_id, "role": old_role},
                 after={"user_id": membership.user_id, "role": new_role})
    return membership


def remove_member(actor: User, membership: OrgMembership) -> None:
    org = membership.organization
    require(actor, "org.manage_members", org)
    if membership.role == MemberRole.OWNER and _owner_count(org) <= 1:
        raise Conflict(_("不能移除组织唯一的负责人。请先把另一位成员设为负责人。"))
    user = membership.user
    snapshot = {"user_id": membership.user_id, "email": user.email, "role": membership.role}
    db.session.delete(membership)
    db.session.flush()
    db.session.expire(user, ["org_memberships"])
    db.session.expire(org, ["members"])
    audit.record(actor, "org.remove_member", org, before=snapshot, after=None)


# --- invitations --------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="org-invitation")


def invitation_token(invitation: Invitation) -> str:
    return _serializer().dumps({"iid": invitation.id})


def _mask(email: str) -> str:
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def invite_member(actor: User, org: Organization, email: str, role: Any = MemberRole.MEMBER) -> Invitation:
    require(actor, "org.manage_members", org)
    address = (email or "").strip().lower()
    if not _EMAIL.match(address) or len(address) > 254:
        raise ValidationError(_("请输入有效的邮箱地址。"), field="email")
    member_role = _enum(MemberRole, role, "role", _("请选择角色。"))
    already = db.session.execute(
        select(OrgMembership.id).join(User, User.id == OrgMembership.user_id)
        .where(OrgMembership.organization_id == org.id, func.lower(User.email) == address)
    ).first()
    if already is not None:
        raise ValidationError(_("%(address)s 已经是本组织的成员。", address=address), field="email")
    pending = db.session.execute(
        select(Invitation.id).where(Invitation.organization_id == org.id,
                                    Invitation.email == address,
                                    Invitation.status == InvitationStatus.PENDING)
    ).first()
    if pending is not None:
        raise ValidationError(_("已经向 %(address)s 发出过邀请，对方尚未接受。如需重发，请先撤回原邀请。", address=address),
                              field="email")
    invitation = Invitation(organization=org, email=address, role=member_role,
                            status=InvitationStatus.PENDING, invited_by_id=actor.id)
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor, "org.invite", invitation,
                 after={"organization_id": org.id, "email": address, "role": member_role})
    link = url_for("orgs.invitation", token=invitation_token(invitation), _external=True)
    queue_email(
        db.session, address, _("邀请您加入“%(name)s” — 公益创投与政府购买服务平台", name=org.name),
        _("您好：\n\n%(inviter)s（%(email)s）邀请您以“%(role)s”身份加入社区社会组织“%(org)s”。\n\n请用本邮箱（%(address)s）的账户登录后打开以下链接接受邀请（7 天内有效）：\n%(link)s\n\n如果您还没有账户，请先用本邮箱注册，注册后再打开上面的链接。\n如果您不认识邀请人，请忽略本邮件。", inviter=actor.name, email=actor.email, role=member_role.label, org=org.name, address=address, link=link),
    )
    return invitation


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    require(actor, "org.manage_members", invitation.organization)
    if invitation.status != InvitationStatus.PENDING:
        raise InvalidTransition(_("该邀请已%(status)s，不能撤回。", status=invitation.status.label))
    transition(invitation, InvitationStatus.REVOKED, actor)


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link points to (expired or tampered links are refused)."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise ValidationError(_("邀请链接已过期，请联系组织负责人重新邀请。")) from None
    except BadSignature:
        raise ValidationError(_("邀请链接无效，请检查链接是否完整。")) from None
    iid = data.get("iid") if isinstance(data, dict) else None
    invitation = db.session.get(Invitation, iid) if isinstance(iid, int) and _valid_id(iid) else None
    if invitation is None:
        raise ValidationError(_("邀请链接无效，请检查链接是否完整。"))
    return invitation


def check_invitation_for(user: User, invitation: Invitation) -> None:
    """Raise unless `user` may accept `invitation` now."""
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvalidTransition(_("该邀请已经被接受，不能重复使用。"))
    if invitation.status == InvitationStatus.REVOKED:
        raise InvalidTransition(_("该邀请已被组织负责人撤回。"))
    if (user.email or "").strip().lower() != invitation.email.strip().lower():
        raise PermissionDenied(
            _("这份邀请发给 %(invited)s，而您当前登录的是 %(email)s。请退出后用受邀邮箱的账户登录（没有账户请先用该邮箱注册）。", invited=_mask(invitation.email), email=user.email))
    if user.org_role(invitation.organization_id) is not None:
        raise Conflict(_("您已经是该组织的成员。"))


def accept_invitation(user: User, token: str) -> OrgMembership:
    invitation = invitation_for_token(token)
    check_invitation_for(user, invitation)
    transition(invitation, InvitationStatus.ACCEPTED, user)
    invitation.accepted_by_id = user.id
    membership = OrgMembership(user=user, organization=invitation.organization, role=invitation.role)
    db.session.add(membership)
    db.session.flush()
    audit.record(user, "org.join", invitation.organization,
                 after={"user_id": user.id, "role": invitation.role, "invitation_id": invitation.id})
    return membership


# --- reading ------------------------------------------------------------------------

def with_community_chain():
    """Eager-load community → street → county → prefecture → province for full names."""
    return (joinedload(Organization.home_community).joinedload(Region.parent)
            .joinedload(Region.parent).joinedload(Region.parent).joinedload(Region.parent))


def directory_query(q: str | None = None, category: Category | None = None,
                    region_id: int | None = None, target: ServiceTarget | None = None,
                    legal_status: LegalStatus | None = None) -> Select:
    """The public directory (社会组织名录), filtered; rows come with what cards show."""
    query = select(Organization).options(with_community_chain(),
                                         selectinload(Organization.target_rows))
    if q:
        needle = q.strip().lower()
        query = query.where(
            func.lower(Organization.name).contains(needle, autoescape=True)
            | func.lower(func.coalesce(Organization.credit_code, "")).contains(needle, autoescape=True)
        )
    if category is not None:
        query = query.where(Organization.category == category)
    if legal_status is not None:
        query = query.where(Organization.legal_status == legal_status)
    if target is not None:
        query = query.where(Organization.target_rows.any(OrganizationServiceTarget.target == target))
    home = aliased(Region)
    query = query.join(home, home.id == Organization.home_community_id)
    if region_id is not None:
        region_path = select(Region.path).where(Region.id == region_id).scalar_subquery()
        query = query.where(home.path.startswith(region_path))
    # Neighbours together: by the community's administrative code, then by name.
    return query.order_by(home.code, Organization.name, Organization.id)


def _valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def get_profile(org_id: int) -> Organization | None:
    if not _valid_id(org_id):
        return None
    return db.session.execute(
        select(Organization).options(with_community_chain()).where(Organization.id == org_id)
    ).unique().scalar_one_or_none()


def get_membership(org: Organization, membership_id: int) -> OrgMembership | None:
    """A membership of `org` (None for another organization's: no reaching across)."""
    membership = db.session.get(OrgMembership, membership_id) if _valid_id(membership_id) else None
    return membership if membership is not None and membership.organization_id == org.id else None


def get_invitation(org: Organization, invitation_id: int) -> Invitation | None:
    invitation = db.session.get(Invitation, invitation_id) if _valid_id(invitation_id) else None
    return invitation if invitation is not None and invitation.organization_id == org.id else None


def members_of(org: Organization) -> list[OrgMembership]:
    return list(db.session.execute(
        select(OrgMembership).where(OrgMembership.organization_id == org.id)
        .options(joinedload(OrgMembership.user))
        .order_by(OrgMembership.role.desc(), OrgMembership.id)
    ).unique().scalars())


def pending_invitations(org: Organization) -> list[Invitation]:
    return list(db.session.execute(
        select(Invitation).where(Invitation.organization_id == org.id,
                                 Invitation.status == InvitationStatus.PENDING)
        .options(joinedload(Invitation.invited_by))
        .order_by(Invitation.id.desc())
    ).scalars())


def memberships_of(user: User) -> list[OrgMembership]:
    return list(db.session.execute(
        select(OrgMembership).where(OrgMembership.user_id == user.id)
        .options(joinedload(OrgMembership.organization).options(
            with_community_chain(), selectinload(Organization.target_rows)))
        .order_by(OrgMembership.id)
    ).unique().scalars())


def _region_table() -> dict[int, Any]:
    rows = db.session.execute(
        select(Region.id, Region.name, Region.parent_id, Region.level, Region.kind, Region.code)
        .order_by(Region.code)
    ).all()
    return {row.id: row for row in rows}


def community_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Communities grouped by "county street", labelled "五华区 华山街道 翠湖社区（城市社区）"."""
    table = _region_table()
    groups: dict[str, list[tuple[int, str]]] = {}
    for row in table.values():
        if row.level != RegionLevel.COMMUNITY:
            continue
        street = table.get(row.parent_id)
        county = table.get(street.parent_id) if street else None
        head = " ".join(r.name for r in (county, street) if r is not None)
        kind = _("（%(kind)s）", kind=row.kind.label) if row.kind else ""
        groups.setdefault(head, []).append((row.id, f"{head} {row.name}{kind}".strip()))
    return list(groups.items())


def region_filter_choices() -> list[tuple[int, str]]:
    """Every region above community level in tree order, indented by depth."""
    table = _region_table()
    children: dict[int | None, list[Any]] = {}
    for row in table.values():
        if row.level != RegionLevel.COMMUNITY:
            children.setdefault(row.parent_id, []).append(row)
    out: list[tuple[int, str]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for row in children.get(parent_id, []):
            out.append((row.id, "\u3000" * depth + row.name))
            walk(row.id, depth + 1)

    roots = [pid for pid in children if pid is None or pid not in table]
    for root in roots:
        walk(root, 0)
    return out

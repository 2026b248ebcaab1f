"""Expert pool (专家库) rules.

Who joins and how:

* A **program officer** (``expert.manage``) enrolls an existing user by email: the expert
  is active at once (``approved_at`` set, ``approved_by`` the officer).
* A **user applies** for themselves (``申请加入专家库``, confirmed email required): the
  expert is created **pending** (``is_active`` False, ``approved_at`` None) and is never
  drawn until a program officer approves (:func:`set_active`). Self-registration is
  therefore never enough to sit on a panel.
* A program officer may **suspend** an active expert (a reason is required) and
  **reinstate** a suspended one; both are audited.

Conflicts (回避) against an applying organization (:func:`conflict_reason`), in order:
member of the organization (any role) → "为申报组织成员"; an affiliation with it (by
platform organization, or by the same name typed in free text; past affiliations count
too, conservatively) → "与申报组织存在任职/顾问等关系"; employer text equal to the
organization's name (ignoring spaces, case and full-/half-width brackets) →
"与申报组织同一单位". Declared conflicts per application arrive with assignments.

Services flush, never commit; messages are Chinese and shown as they are.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.core import audit
from app.core.events import emit
from app.core.db import MAX_ID, utcnow
from app.core.enums import N_
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.core.forms import CONTROL_CHARS
from app.core.permissions import can, require
from app.extensions import db
from app.orgs.models import Organization
from app.reviews.draw import Candidate
from app.reviews.models import (Expert, ExpertAffiliation, ExpertField, ExpertiseField,
                                ExpertStatus)

MAX_TITLE = 50
MAX_EMPLOYER = 100
MAX_BIO = 2000
MAX_REASON = 500
MAX_AFFILIATION_NAME = 100
MAX_AFFILIATIONS = 20
# Stored in Chinese; shown through gettext (N_ marks them for the catalog).
RELATIONS = (N_("任职"), N_("顾问"), N_("理事"), N_("监事"), N_("志愿者"), N_("其他"))

CONFLICT_MEMBER = "为申报组织成员"
CONFLICT_AFFILIATION = "与申报组织存在任职/顾问等关系"
CONFLICT_EMPLOYER = "与申报组织同一单位"

_TEXT = [
    ("title", MAX_TITLE, _l("职称")),
    ("employer", MAX_EMPLOYER, _l("工作单位")),
]


# --- validation ---------------------------------------------------------------------

def _clean_text(value: Any, key: str, max_len: int, label: Any, *, required: bool) -> str:
    value = "" if value is None else str(value).strip()
    if CONTROL_CHARS.search(value):
        raise ValidationError(_("%(label)s不能包含控制字符。", label=label), field=key)
    if required and not value:
        raise ValidationError(_("请填写%(label)s。", label=label), field=key)
    if len(value) > max_len:
        raise ValidationError(_("%(label)s不能超过 %(max)s 个字。", label=label, max=max_len), field=key)
    return value


def _clean_fields(values: Any) -> list[ExpertiseField]:
    if values is None or isinstance(values, str):
        values = [values] if values else []
    out: list[ExpertiseField] = []
    for value in values:
        parsed = value if isinstance(value, ExpertiseField) else ExpertiseField.coerce(value)
        if parsed is None:
            raise ValidationError(_("请从列表中选择专业领域。"), field="fields")
        if parsed not in out:
            out.append(parsed)
    if not out:
        raise ValidationError(_("请至少选择一个专业领域。"), field="fields")
    return out


def _clean_date(value: Any, n: int, label: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(_("第 %(n)s 条关联关系的%(label)s不是有效的日期，请按“年-月-日”填写。",
                                n=n, label=label), field="affiliations") from None


def _normalize_name(text: str | None) -> str:
    text = (text or "").replace("（", "(").replace("）", ")")
    return "".join(text.split()).casefold()


def _clean_affiliations(rows: Any) -> list[dict]:
    rows = list(rows or [])
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        row = row or {}
        name = row.get("name")
        relation = row.get("relation")
        since, until = row.get("since"), row.get("until")
        if all(v in (None, "") or (isinstance(v, str) and not v.strip())
               for v in (name, since, until)):
            continue  # a blank row (a relation chosen and nothing typed is blank too)
        n = len(out) + 1
        name = _clean_text(name, "affiliations", MAX_AFFILIATION_NAME,
                           _("第 %(n)s 条关联关系的组织名称", n=n), required=True)
        relation = "" if relation is None else str(relation).strip()
        if relation not in RELATIONS:
            raise ValidationError(_("第 %(n)s 条关联关系：请从列表中选择关系类型。", n=n), field="affiliations")
        since = _clean_date(since, n, _("起始日期"))
        until = _clean_date(until, n, _("结束日期"))
        if since and until and until < since:
            raise ValidationError(_("第 %(n)s 条关联关系的结束日期早于起始日期。", n=n), field="affiliations")
        key = (_normalize_name(name), relation)
        if key in seen:
            raise ValidationError(_("与“%(name)s”的“%(relation)s”关系填写了两次，请删除重复的一行。",
                                    name=name, relation=relation), field="affiliations")
        seen.add(key)
        out.append({"name": name, "relation": relation, "since": since, "until": until})
        if len(out) > MAX_AFFILIATIONS:
            raise ValidationError(_("关联关系最多填写 %(max)s 条。", max=MAX_AFFILIATIONS), field="affiliations")
    return out


def clean_profile(data: dict) -> dict:
    """Check every profile rule; return normalized values (nothing is written)."""
    values = {key: _clean_text(data.get(key), key, max_len, label, required=True)
              for key, max_len, label in _TEXT}
    values["bio"] = _clean_text(data.get("bio"), "bio", MAX_BIO, _("个人简介"), required=False)
    values["fields"] = _clean_fields(data.get("fields"))
    values["affiliations"] = _clean_affiliations(data.get("affiliations"))
    return values


def _organization_named(name: str) -> Organization | None:
    return db.session.execute(
        select(Organization).where(Organization.name == name).limit(1)
    ).scalar_one_or_none()


def _snapshot(expert: Expert) -> dict:
    return {
        "title": expert.title,
        "employer": expert.employer,
        "bio": expert.bio,
        "fields": [f.value for f in expert.fields],
        "affiliations": [
            {"name": a.name, "organization_id": a.organization_id, "relation": a.relation,
             "since": a.since, "until": a.until}
            for a in expert.affiliations
        ],
        "is_active": expert.is_active,
    }


def _apply(expert: Expert, values: dict) -> None:
    expert.title = values["title"]
    expert.employer = values["employer"]
    expert.bio = values["bio"]
    wanted = set(values["fields"])
    for row in list(expert.field_rows):
        if row.field not in wanted:
            expert.field_rows.remove(row)
    have = {row.field for row in expert.field_rows}
    for f in values["fields"]:
        if f not in have:
            expert.field_rows.append(ExpertField(field=f))
    expert.affiliations.clear()
    db.session.flush()
    for row in values["affiliations"]:
        org = _organization_named(row["name"])
        expert.affiliations.append(ExpertAffiliation(
            name=row["name"], relation=row["relation"], since=row["since"], until=row["until"],
            organization_id=org.id if org else None))


# --- enrolment and profile --------------------------------------------------------

def expert_of(user: User) -> Expert | None:
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.execute(select(Expert).where(Expert.user_id == user.id)).scalar_one_or_none()


def user_by_email(email: str | None) -> User:
    """The account an officer names by email (ValidationError on the ``email`` field)."""
    email = (email or "").strip()
    if not email:
        raise ValidationError(_("请填写要加入专家库的用户的邮箱。"), field="email")
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email.lower()).limit(1)
    ).scalar_one_or_none()
    if user is None:
        raise ValidationError(
            _("没有使用邮箱 %(email)s 的用户。请先请对方在平台注册账号，再将其加入专家库。", email=email),
            field="email")
    return user


def enroll(actor: User, user: User, data: dict) -> Expert:
    """Add ``user`` to the pool: active at once when a program officer enrolls them,
    pending approval when the user applies for themselves."""
    self_application = actor is not None and user is not None and actor.id == user.id
    if self_application and can(actor, "expert.manage"):
        self_application = False  # an officer adding themselves needs no approval
    if not self_application:
        require(actor, "expert.manage")
    if self_application and not user.is_confirmed:
        raise PermissionDenied(_("请先确认您的邮箱，然后才能申请加入专家库。"))
    if not user.is_active:
        raise ValidationError(_("该用户的账号已停用，不能加入专家库。"), field="email")
    if expert_of(user) is not None:
        raise ValidationError(_("%(name)s 已在专家库中（或已提交申请）。", name=user.name), field="email")
    values = clean_profile(data)
    expert = Expert(user_id=user.id, created_by_id=actor.id, is_active=False)
    if not self_application:
        expert.is_active = True
        expert.approved_at = utcnow()
        expert.approved_by_id = actor.id
    db.session.add(expert)
    db.session.flush()
    _apply(expert, values)
    db.session.flush()
    audit.record(actor, "expert.apply" if self_application else "expert.enroll", expert,
                 after={"user_id": user.id, **_snapshot(expert)})
    return expert


def update_profile(actor: User, expert: Expert, data: dict) -> Expert:
    """The expert edits their own profile (fields, title, employer, bio; affiliations
    are replaced by the list given)."""
    require(actor, "expert.edit", expert)
    values = clean_profile(data)
    before = _snapshot(expert)
    _apply(expert, values)
    db.session.flush()
    db.session.expire(expert, ["affiliations", "field_rows"])
    after = _snapshot(expert)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record(actor, "expert.update_profile", expert,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return expert


def set_active(actor: User, expert: Expert, active: bool, reason: str | None = None) -> Expert:
    """Approve a pending application or reinstate a suspended expert (``active`` True), or
    suspend an active expert (``active`` False; a reason is required)."""
    require(actor, "expert.manage")
    reason = _clean_text(reason, "reason", MAX_REASON, _("原因"), required=not active)
    status = expert.status
    if active:
        if status == ExpertStatus.ACTIVE:
            raise Conflict(_("该专家已在库中，无需重复操作。"))
        if not expert.user.is_active:
            raise Conflict(_("该专家的账号已停用，不能启用。"))
        action = "expert.approve" if status == ExpertStatus.PENDING else "expert.reinstate"
        expert.is_active = True
        if expert.approved_at is None:
            expert.approved_at = utcnow()
            expert.approved_by_id = actor.id
        expert.suspended_reason = ""
    else:
        if status != ExpertStatus.ACTIVE:
            raise Conflict(_("只能暂停在库的专家（待审核的申请请使用“不予通过”）。")
                           if status == ExpertStatus.PENDING else _("该专家已被暂停。"))
        action = "expert.suspend"
        expert.is_active = False
        expert.suspended_reason = reason
    db.session.flush()
    audit.record(actor, action, expert, before={"status": status},
                 after={"status": expert.status, "reason": reason})
    return expert


def decline(actor: User, expert: Expert, reason: str | None) -> None:
    """Decline a pending self-application (不予通过): the pending profile is removed — the
    audit log keeps what it said and why — and the applicant is told the reason; they may
    apply again."""
    require(actor, "expert.manage")
    reason = _clean_text(reason, "reason", MAX_REASON, _("原因"), required=True)
    if expert.status != ExpertStatus.PENDING:
        raise Conflict(_("只有待审核的入库申请可以不予通过；在库的专家请使用“暂停”。"))
    user = expert.user
    audit.record(actor, "expert.decline", expert, before=_snapshot(expert), after={"reason": reason})
    emit("expert.declined", user=user, reason=reason, actor=actor)
    db.session.delete(expert)
    db.session.flush()


# --- queries ------------------------------------------------------------------------

def _with_profile():
    return (joinedload(Expert.user), selectinload(Expert.field_rows),
            selectinload(Expert.affiliations))


def pool_query(field: ExpertiseField | None = None, q: str | None = None,
               status: ExpertStatus | None = None, active: bool | None = None) -> Select:
    """The pool list, filtered (paginated by the view); newest first within name order.
    ``status`` picks pending / active / suspended; ``active`` (True/False) is a shortcut
    for active vs. not active."""
    query = select(Expert).join(User, User.id == Expert.user_id).options(*_with_profile())
    if field is not None:
        query = query.where(Expert.field_rows.any(ExpertField.field == field))
    if q:
        needle = q.strip().lower()
        query = query.where(
            func.lower(User.name).contains(needle, autoescape=True)
            | func.lower(Expert.employer).contains(needle, autoescape=True)
        )
    if status == ExpertStatus.ACTIVE or active is True:
        query = query.where(Expert.is_active.is_(True))
    elif status == ExpertStatus.PENDING:
        query = query.where(Expert.is_active.is_(False), Expert.approved_at.is_(None))
    elif status == ExpertStatus.SUSPENDED:
        query = query.where(Expert.is_active.is_(False), Expert.approved_at.is_not(None))
    elif active is False:
        query = query.where(Expert.is_active.is_(False))
    return query.order_by(User.name, Expert.id)


def get_expert(expert_id: int) -> Expert | None:
    if not 0 < expert_id <= MAX_ID:
        return None
    return db.session.execute(
        select(Expert).options(*_with_profile()).where(Expert.id == expert_id)
    ).scalar_one_or_none()


def pending_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Expert)
        .where(Expert.is_active.is_(False), Expert.approved_at.is_(None))) or 0


# --- conflicts and draw candidates ----------------------------------------------------

def conflict_reason(expert: Expert, organization: Organization) -> str | None:
    """Why ``expert`` must not review for ``organization`` (回避), or None."""
    if any(m.organization_id == organization.id for m in expert.user.org_memberships):
        return _("为申报组织成员")
    org_name = _normalize_name(organization.name)
    for aff in expert.affiliations:
        if aff.organization_id == organization.id or _normalize_name(aff.name) == org_name:
            return _("与申报组织存在任职/顾问等关系")
    if expert.employer and _normalize_name(expert.employer) == org_name:
        return _("与申报组织同一单位")
    return None


def candidates_for(organization_ids: Iterable[int],
                   field: ExpertiseField | str | None = None) -> list[Candidate]:
    """Every active expert as a draw :class:`~app.reviews.draw.Candidate`, with the first
    conflict reason against any of the applying organizations (a call's applicants).
    Fields are the enum keys (e.g. ``"elderly_care"``). ``field`` narrows the list to
    experts of that field; for a recorded draw pass no field here and the wanted fields
    to :func:`~app.reviews.draw.draw`, so off-field experts appear in the record."""
    ids = sorted({i for i in organization_ids})
    organizations = list(db.session.execute(
        select(Organization).where(Organization.id.in_(ids)).order_by(Organization.id)
    ).scalars()) if ids else []
    query = select(Expert).options(*_with_profile()).where(Expert.is_active.is_(True))
    if field is not None:
        parsed = field if isinstance(field, ExpertiseField) else ExpertiseField.coerce(field)
        if parsed is None:
            raise ValidationError(_("请从列表中选择专业领域。"), field="field")
        query = query.where(Expert.field_rows.any(ExpertField.field == parsed))
    out = []
    for expert in db.session.execute(query.order_by(Expert.id)).scalars():
        reason = None
        for org in organizations:
            reason = conflict_reason(expert, org)
            if reason:
                break
        out.append(Candidate(expert_id=expert.id,
                             fields=frozenset(f.value for f in expert.fields),
                             conflict_reason=reason))
    return out

"""Review panels (评审小组): random draw from the pool, members and chair, and the
assignment of reviewers to applications (officer side).

A panel is changed only while its call is in screening or reviewing and the panel is not
finalized (:class:`PanelLocked`, 409, otherwise). The pure rules live elsewhere and are
used as they are: the draw in :mod:`app.reviews.draw`, the balanced assignment and the
reassignment in :mod:`app.reviews.assignment`, conflicts (回避) in
:func:`app.reviews.experts.conflict_reason`. This module gathers their inputs from the
database, writes the results and audits every change.

When a reviewer declares a conflict, the reviewer-side service marks the assignment
RECUSED and calls :func:`replace_recused`, which gives the application to the least-loaded
member free of conflict. A call moves from screening to reviewing only when the panel is
ready (:func:`reviewing_problems`); its eligible applications then go under review.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.applications.models import Application, ApplicationStatus
from app.auth.models import User
from app.calls.models import Call, CallStatus
from app.core import audit
from app.core.db import MAX_ID, utcnow
from app.core.errors import Conflict, ValidationError
from app.core.events import subscribe
from app.core.permissions import require
from app.core.states import transition
from app.extensions import db
from app.reviews import experts
from app.reviews.assignment import AssignmentError, AssignmentResult, assign, reassign
from app.reviews.blind import application_code
from app.reviews.draw import Candidate, DrawError, DrawResult, draw, new_seed
from app.reviews.models import (AssignmentOrigin, AssignmentStatus, Expert, ExpertiseField, Panel,
                                PanelDraw, PanelMember, PanelRole, ReviewAssignment, ScoreSheet,
                                SheetStatus)

# Applications a panel reviews: eligible ones (call in screening) and those under review.
REVIEWABLE = (ApplicationStatus.ELIGIBLE, ApplicationStatus.UNDER_REVIEW)
# Applications shown in the assignment matrix: reviewable ones and what they become.
REVIEWED = REVIEWABLE + (ApplicationStatus.SCORED, ApplicationStatus.RECOMMENDED,
                         ApplicationStatus.NOT_RECOMMENDED, ApplicationStatus.AWARDED,
                         ApplicationStatus.REJECTED)
EDITABLE_CALL_STATUSES = (CallStatus.SCREENING, CallStatus.REVIEWING)
MAX_DRAW_SIZE = 30
MAX_SEED_LENGTH = 32  # Panel.assignment_seed is String(32); new_seed() gives 32 hex characters.


class PanelLocked(Conflict):
    """The panel cannot be changed in the call's current phase (or it is finalized)."""


# --- lookups ---------------------------------------------------------------------------

def _valid_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_ID else None


def panel_for(call: Call) -> Panel | None:
    return db.session.scalar(select(Panel).where(Panel.call_id == call.id))


def get_member(member_id: Any) -> PanelMember | None:
    member_id = _valid_id(member_id)
    return db.session.get(PanelMember, member_id) if member_id else None


def get_assignment(assignment_id: Any) -> ReviewAssignment | None:
    assignment_id = _valid_id(assignment_id)
    return db.session.get(ReviewAssignment, assignment_id) if assignment_id else None


def get_draw(draw_id: Any) -> PanelDraw | None:
    draw_id = _valid_id(draw_id)
    if not draw_id:
        return None
    return db.session.scalar(select(PanelDraw).where(PanelDraw.id == draw_id)
                             .options(joinedload(PanelDraw.panel)))


def application_of(call: Call, application_id: Any) -> Application:
    """One of ``call``'s applications by id (the manual assignment form)."""
    application_id = _valid_id(application_id)
    application = db.session.get(Application, application_id) if application_id else None
    if application is None or application.call_id != call.id:
        raise ValidationError(_("请选择本征集的一份申报书。"), field="application_id")
    return application


def member_of(panel: Panel | None, member_id: Any) -> PanelMember:
    """One of ``panel``'s members by id (the manual assignment form)."""
    member = get_member(member_id)
    if panel is None or member is None or member.panel_id != panel.id:
        raise ValidationError(_("请选择评审小组中的一位专家。"), field="member_id")
    return member


def find_expert(expert_id: Any = None, email: str | None = None) -> Expert:
    """The expert the officer picked from the list or named by email."""
    email = (email or "").strip()
    if expert_id not in (None, "", 0, "0"):
        expert = experts.get_expert(_valid_id(expert_id) or 0)
        if expert is None:
            raise ValidationError(_("请从列表中选择专家。"), field="expert_id")
        return expert
    if not email:
        raise ValidationError(_("请从列表中选择专家，或填写专家的邮箱。"), field="expert_id")
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()).limit(1))
    expert = experts.expert_of(user) if user is not None else None
    if expert is None:
        raise ValidationError(_("专家库中没有使用邮箱 %(email)s 的专家，请先将其加入专家库。", email=email),
                              field="email")
    return expert


# --- state -----------------------------------------------------------------------------

def edit_problem(call: Call, panel: Panel | None = None) -> str | None:
    """Why the panel of ``call`` cannot be changed now (None: it can)."""
    if call.status not in EDITABLE_CALL_STATUSES:
        return _("征集“%(title)s”当前处于“%(status)s”阶段，只有在“形式审查”或“专家评审”阶段才能调整评审小组和评审分配。",
                 title=call.title, status=call.status.label)
    if panel is not None and panel.is_finalized:
        return _("评审小组已完成评审（评审组长已确认结果），不能再调整评审小组和评审分配。")
    return None


def _check_editable(call: Call, panel: Panel | None = None) -> None:
    problem = edit_problem(call, panel)
    if problem:
        raise PanelLocked(problem)


def check_editable(call: Call) -> None:
    """Raise :class:`PanelLocked` (409) when the panel of ``call`` cannot be changed now."""
    _check_editable(call, panel_for(call))


def _reviewable_applications(call: Call) -> list[Application]:
    return list(db.session.scalars(
        select(Application).where(Application.call_id == call.id, Application.status.in_(REVIEWABLE))
        .options(joinedload(Application.organization)).order_by(Application.id)).unique())


def _applying_organization_ids(call: Call) -> list[int]:
    return list(db.session.scalars(
        select(Application.organization_id).where(Application.call_id == call.id,
                                                  Application.status.in_(REVIEWABLE)).distinct()))


def _assignments(panel: Panel) -> list[ReviewAssignment]:
    return list(db.session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.panel_id == panel.id)
        # The members are the panel's, already loaded: no second load of their experts.
        .options(selectinload(ReviewAssignment.sheet), lazyload(ReviewAssignment.member))
        .order_by(ReviewAssignment.id)))


def _member_name(member: PanelMember) -> str:
    return member.expert.user.name


def _app_label(application: Application) -> str:
    return f"{application_code(application)}（{application.title or _('未命名项目')}）"


# --- panel and members -----------------------------------------------------------------

def get_or_create_panel(actor: Any, call: Call) -> Panel:
    require(actor, "panel.manage", call)
    panel = panel_for(call)
    if panel is not None:
        return panel
    _check_editable(call)
    panel = Panel(call_id=call.id, created_by_id=getattr(actor, "id", None))
    db.session.add(panel)
    db.session.flush()
    audit.record(actor, "panel.create", panel, after={"call_id": call.id})
    return panel


def _clean_size(size: Any) -> int:
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValidationError(_("请填写抽取人数（整数）。"), field="size")
    if not 1 <= size <= MAX_DRAW_SIZE:
        raise ValidationError(_("抽取人数应在 1 到 %(max)s 之间。", max=MAX_DRAW_SIZE), field="size")
    return size


def _clean_fields(values: Iterable[Any] | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        parsed = value if isinstance(value, ExpertiseField) else ExpertiseField.coerce(
            value.strip() if isinstance(value, str) else None)
        if parsed is None:
            raise ValidationError(_("请从列表中选择专业领域。"), field="fields")
        if parsed.value not in out:
            out.append(parsed.value)
    return out or None


def _clean_seed(seed: Any, max_len: int) -> str | None:
    if seed is None:
        return None
    if not isinstance(seed, str) or not seed.strip() or len(seed.strip()) > max_len:
        raise ValidationError(_("随机种子应为 1 到 %(n)s 个字符。", n=max_len), field="seed")
    return seed.strip()


def draw_panel(actor: Any, call: Call, size: int, fields: list[str] | None,
               seed: str | None = None) -> PanelDraw:
    """随机抽取: draw ``size`` experts of the pool (sharing one of ``fields`` when given,
    without conflict against any organization applying to the call, not yet on the panel)
    and add them as reviewers. The whole draw is stored for audit."""
    require(actor, "panel.manage", call)
    panel = panel_for(call)
    _check_editable(call, panel)
    size = _clean_size(size)
    wanted = _clean_fields(fields)
    seed = _clean_seed(seed, 64) or new_seed()
    on_panel = {m.expert_id for m in panel.members} if panel is not None else set()
    candidates = [c for c in experts.candidates_for(_applying_organization_ids(call))
                  if c.expert_id not in on_panel]
    try:
        result = draw(candidates, size, seed, wanted)
    except DrawError as err:
        if on_panel:
            raise DrawError(err.message + _("（已在评审小组中的 %(n)s 位专家不参加本次抽取）", n=len(on_panel)),
                            field="size") from None
        raise DrawError(err.message, field="size") from None
    panel = panel or get_or_create_panel(actor, call)
    data = result.as_dict()
    record = PanelDraw(panel_id=panel.id, seed=data["seed"], size=data["size"], fields=data["fields"],
                       eligible=data["eligible"], excluded=data["excluded"], off_field=data["off_field"],
                       picked=data["picked"], drawn_at=utcnow(), drawn_by_id=getattr(actor, "id", None))
    db.session.add(record)
    db.session.flush()
    for expert_id in result.picked:
        panel.members.append(PanelMember(expert_id=expert_id, role=PanelRole.REVIEWER, draw_id=record.id,
                                         added_by_id=getattr(actor, "id", None)))
    db.session.flush()
    audit.record(actor, "panel.draw", panel, after={"draw_id": record.id, **data})
    return record


def _first_conflict(expert: Expert, call: Call) -> tuple[str, Application] | None:
    for application in _reviewable_applications(call):
        reason = experts.conflict_reason(expert, application.organization)
        if reason:
            return reason, application
    return None


def add_member(actor: Any, call: Call, expert: Expert, role: PanelRole | str = PanelRole.REVIEWER) -> PanelMember:
    """Add an expert by hand (手动添加): active experts only, none with a conflict against
    an applying organization. As chair, the current chair becomes a reviewer."""
    require(actor, "panel.manage", call)
    panel = panel_for(call)
    _check_editable(call, panel)
    role = role if isinstance(role, PanelRole) else PanelRole.coerce(role)
    if role is None:
        raise ValidationError(_("请选择有效的角色。"), field="role")
    if expert is None or not expert.is_active:
        raise ValidationError(_("只能添加“在库”的专家（待审核或已暂停的专家不能参加评审）。"), field="expert_id")
    name = expert.user.name
    if panel is not None and any(m.expert_id == expert.id for m in panel.members):
        raise ValidationError(_("%(name)s 已在评审小组中。", name=name), field="expert_id")
    conflict = _first_conflict(expert, call)
    if conflict:
        reason, application = conflict
        raise ValidationError(
            _("%(name)s 须回避（%(reason)s：%(org)s 申报了本征集），不能加入评审小组。",
              name=name, reason=reason, org=application.organization.name), field="expert_id")
    panel = panel or get_or_create_panel(actor, call)
    old_chair = panel.chair if role == PanelRole.CHAIR else None
    if old_chair is not None:
        old_chair.role = PanelRole.REVIEWER
        db.session.flush()
    member = PanelMember(expert_id=expert.id, role=role, added_by_id=getattr(actor, "id", None))
    panel.members.append(member)
    db.session.flush()
    audit.record(actor, "panel.add_member", panel, after={
        "member_id": member.id, "expert_id": expert.id, "role": role,
        "previous_chair_member_id": old_chair.id if old_chair else None})
    return member


def remove_member(actor: Any, member: PanelMember) -> None:
    """Take a member off the panel with their assignments; refused once they have any
    score sheet (draft or submitted)."""
    panel = member.panel
    call = panel.call
    require(actor, "panel.manage", call)
    _check_editable(call, panel)
    sheets = db.session.scalar(
        select(func.count(ScoreSheet.id)).join(ReviewAssignment, ReviewAssignment.id == ScoreSheet.assignment_id)
        .where(ReviewAssignment.member_id == member.id)) or 0
    name = _member_name(member)
    if sheets:
        raise Conflict(_("%(name)s 已有 %(n)s 份评分表，不能移出评审小组。", name=name, n=sheets))
    rows = list(db.session.scalars(select(ReviewAssignment).where(ReviewAssignment.member_id == member.id)))
    before = {"member_id": member.id, "expert_id": member.expert_id, "role": member.role,
              "draw_id": member.draw_id,
              "assignments": [{"application_id": r.application_id, "status": r.status} for r in rows]}
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    panel.members.remove(member)
    db.session.flush()
    audit.record(actor, "panel.remove_member", panel, before=before)


def set_chair(actor: Any, member: PanelMember) -> PanelMember:
    """Make ``member`` the chair (评审组长); the previous chair stays as a reviewer."""
    panel = member.panel
    call = panel.call
    require(actor, "panel.manage", call)
    _check_editable(call, panel)
    if member.is_chair:
        raise ValidationError(_("%(name)s 已是评审组长。", name=_member_name(member)))
    old = panel.chair
    if old is not None:
        old.role = PanelRole.REVIEWER
        db.session.flush()  # the one-chair index is checked row by row
    member.role = PanelRole.CHAIR
    db.session.flush()
    audit.record(actor, "panel.set_chair", panel,
                 before={"chair_member_id": old.id if old else None},
                 after={"chair_member_id": member.id, "expert_id": member.expert_id})
    return member


# --- conflicts -------------------------------------------------------------------------

def conflict_reasons(panel: Panel, applications: Iterable[Application] | None = None,
                     assignments: Iterable[ReviewAssignment] | None = None) -> dict[tuple[int, int], str]:
    """(application id, member id) → why that member must not review that application:
    a tie to the applying organization, or a declared conflict (a RECUSED assignment)."""
    applications = _reviewable_applications(panel.call) if applications is None else list(applications)
    assignments = _assignments(panel) if assignments is None else list(assignments)
    out: dict[tuple[int, int], str] = {}
    for row in assignments:
        if row.status == AssignmentStatus.RECUSED:
            out[(row.application_id, row.member_id)] = row.conflict_reason or _("本人声明回避")
    for application in applications:
        for member in panel.members:
            key = (application.id, member.id)
            if key in out:
                continue
            reason = experts.conflict_reason(member.expert, application.organization)
            if reason:
                out[key] = reason
    return out


def conflict_pairs(panel: Panel, applications: Iterable[Application] | None = None) -> set[tuple[int, int]]:
    """The (application id, member id) pairs that must never be assigned."""
    return set(conflict_reasons(panel, applications))


# --- assignment ------------------------------------------------------------------------

@dataclass(frozen=True)
class PanelAssignmentResult(AssignmentResult):
    """:class:`~app.reviews.assignment.AssignmentResult` (ids are member ids) with the
    number of rows written and the warnings the officer must see, naming applications by
    code and title."""

    created: int = 0
    warnings: tuple[str, ...] = ()


def auto_assign(actor: Any, call: Call, seed: str | None = None) -> PanelAssignmentResult:
    """自动分配: top every reviewable application up to the call's k reviewers, loads
    balanced, conflicts skipped; existing (non-recused) assignments are kept."""
    require(actor, "panel.manage", call)
    panel = panel_for(call)
    _check_editable(call, panel)
    if panel is None or not panel.members:
        raise ValidationError(_("评审小组还没有成员，请先抽取或添加评审专家。"))
    seed = _clean_seed(seed, MAX_SEED_LENGTH)
    applications = _reviewable_applications(call)
    if not applications:
        raise ValidationError(_("没有需要分配的申报书：形式审查通过的申报书才参与评审分配。"))
    by_id = {a.id: a for a in applications}
    members = {m.id: m for m in panel.members}
    rows = _assignments(panel)
    conflicts = conflict_reasons(panel, applications, rows)
    existing: dict[int, list[int]] = {}
    for row in rows:
        if row.status == AssignmentStatus.RECUSED or row.application_id not in by_id:
            continue
        if (row.application_id, row.member_id) in conflicts:
            raise ValidationError(_(
                "%(name)s 须回避申报 %(application)s（%(reason)s），请先移除这项分配再自动分配。",
                name=_member_name(members[row.member_id]), application=_app_label(by_id[row.application_id]),
                reason=conflicts[(row.application_id, row.member_id)]))
        existing.setdefault(row.application_id, []).append(row.member_id)
    k = call.reviewers_per_application
    try:
        result = assign(list(by_id), list(members), k, set(conflicts), existing=existing, seed=seed)
    except AssignmentError as err:
        raise ValidationError(err.message) from None
    created = 0
    for application_id, member_ids in result.added.items():
        for member_id in member_ids:
            db.session.add(ReviewAssignment(
                panel_id=panel.id, application_id=application_id, member_id=member_id,
                status=AssignmentStatus.PENDING, origin=AssignmentOrigin.AUTO,
                created_by_id=getattr(actor, "id", None)))
            created += 1
    panel.assignment_seed = result.seed
    panel.assigned_at = utcnow()
    db.session.flush()
    warnings = [
        _("申报 %(application)s 只能分配 %(assigned)s 位无需回避的评审专家，少于要求的 %(required)s 位，"
          "请增加评审专家或手动调整。", application=_app_label(by_id[s.application_id]),
          assigned=s.assigned, required=s.required)
        for s in result.shortfalls
    ]
    if not result.balanced:
        warnings.append(_(
            "受回避关系或已保留的分配限制，无法使各评审专家的评审数量相差不超过 1："
            "最多 %(max)s 份，最少 %(min)s 份（已使最多者尽可能少）。",
            max=result.max_load, min=result.min_load))
    audit.record(actor, "panel.auto_assign", panel, after={
        "seed": result.seed, "k": k, "created": created, "loads": result.loads,
        "balanced": result.balanced,
        "shortfalls": [[s.application_id, s.assigned, s.required] for s in result.shortfalls]})
    values = {f.name: getattr(result, f.name) for f in dataclasses.fields(AssignmentResult)}
    return PanelAssignmentResult(**values, created=created, warnings=tuple(warnings))


def add_assignment(actor: Any, application: Application, member: PanelMember) -> ReviewAssignment:
    """人工调整: assign ``member`` to ``application`` by hand (never a conflict, never twice)."""
    panel = member.panel
    call = panel.call
    require(actor, "panel.manage", call)
    _check_editable(call, panel)
    if application.call_id != call.id:
        raise ValidationError(_("请选择本征集的一份申报书。"), field="application_id")
    if application.status not in REVIEWABLE:
        raise ValidationError(_("申报 %(application)s 当前状态为“%(status)s”，只有形式审查通过或评审中的申报书可以分配评审专家。",
                                application=_app_label(application), status=application.status.label),
                              field="application_id")
    name = _member_name(member)
    row = db.session.scalar(select(ReviewAssignment).where(
        ReviewAssignment.application_id == application.id, ReviewAssignment.member_id == member.id))
    if row is not None and row.status == AssignmentStatus.RECUSED:
        raise ValidationError(_("%(name)s 已声明回避申报 %(application)s，不能再分配。",
                                name=name, application=_app_label(application)), field="member_id")
    if row is not None:
        raise ValidationError(_("%(name)s 已分配到申报 %(application)s。",
                                name=name, application=_app_label(application)), field="member_id")
    reason = experts.conflict_reason(member.expert, application.organization)
    if reason:
        raise ValidationError(_("%(name)s 须回避申报 %(application)s：%(reason)s。",
                                name=name, application=_app_label(application), reason=reason), field="member_id")
    row = ReviewAssignment(panel_id=panel.id, application_id=application.id, member_id=member.id,
                           status=AssignmentStatus.PENDING, origin=AssignmentOrigin.MANUAL,
                           created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "panel.add_assignment", row, after={
        "application_id": application.id, "member_id": member.id, "origin": row.origin})
    return row


def remove_assignment(actor: Any, assignment: ReviewAssignment) -> None:
    """Take a reviewer off an application; refused once their score is submitted, and a
    declared conflict stays as the record of the declaration."""
    panel = assignment.panel
    call = panel.call
    require(actor, "panel.manage", call)
    _check_editable(call, panel)
    name = _member_name(assignment.member)
    label = _app_label(assignment.application)
    if assignment.status == AssignmentStatus.RECUSED:
        raise Conflict(_("%(name)s 对申报 %(application)s 的回避声明是评审记录，不能删除。", name=name, application=label))
    sheet = assignment.sheet
    if sheet is not None and sheet.status == SheetStatus.SUBMITTED:
        raise Conflict(_("%(name)s 已提交申报 %(application)s 的评分，不能移除这项分配。", name=name, application=label))
    before = {"application_id": assignment.application_id, "member_id": assignment.member_id,
              "status": assignment.status, "origin": assignment.origin,
              "draft_sheet_id": sheet.id if sheet is not None else None}
    object_id = assignment.id
    db.session.delete(assignment)
    db.session.flush()
    audit.record(actor, "panel.remove_assignment", object_type="ReviewAssignment", object_id=object_id,
                 before=before)


def replace_recused(assignment: ReviewAssignment, actor: Any) -> ReviewAssignment | None:
    """回避后改派: called right after ``assignment`` was marked RECUSED. Gives its
    application to the least-loaded panel member free of conflict (ties broken by the
    panel's assignment seed) and returns the new PENDING assignment, or None when nobody
    is available (the caller tells the people concerned). Audited either way."""
    db.session.flush()
    if assignment.status != AssignmentStatus.RECUSED:
        raise Conflict(_("只有已声明回避的评审任务才需要改派。"))
    panel = assignment.panel
    application = assignment.application
    rows = _assignments(panel)
    current: dict[int, list[int]] = {}
    for row in rows:
        if row.status != AssignmentStatus.RECUSED:
            current.setdefault(row.application_id, []).append(row.member_id)
    current.setdefault(application.id, []).append(assignment.member_id)
    conflicts = set(conflict_reasons(panel, [application], rows))
    seed = panel.assignment_seed or new_seed()
    try:
        result = reassign(current, application.id, assignment.member_id, conflicts,
                          reviewers=[m.id for m in panel.members], seed=seed)
    except AssignmentError as err:
        audit.record(actor, "panel.reassign_failed", assignment, after={
            "application_id": application.id, "recused_member_id": assignment.member_id,
            "message": err.message})
        return None
    row = ReviewAssignment(panel_id=panel.id, application_id=application.id, member_id=result.replacement,
                           status=AssignmentStatus.PENDING, origin=AssignmentOrigin.REASSIGNED,
                           created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "panel.reassign", row, after={
        "application_id": application.id, "recused_assignment_id": assignment.id,
        "recused_member_id": assignment.member_id, "member_id": result.replacement, "seed": seed})
    return row


# --- overview --------------------------------------------------------------------------

CELL_TONES = {"pending": "secondary", "accepted": "info", "draft": "warning", "submitted": "success",
              "recused": "dark"}


def cell_state(row: ReviewAssignment) -> tuple[str, str]:
    """(key, label) of one assignment as the matrix shows it."""
    if row.status == AssignmentStatus.RECUSED:
        return "recused", AssignmentStatus.RECUSED.label
    if row.status == AssignmentStatus.PENDING:
        return "pending", AssignmentStatus.PENDING.label
    sheet = row.sheet
    if sheet is None:
        return "accepted", _("待评分")
    if sheet.status == SheetStatus.SUBMITTED:
        return "submitted", SheetStatus.SUBMITTED.label
    return "draft", SheetStatus.DRAFT.label


@dataclass
class Overview:
    """The assignment matrix of a panel: applications × members."""

    k: int
    applications: list[Application]
    members: list[PanelMember]
    cells: dict[tuple[int, int], ReviewAssignment]
    states: dict[tuple[int, int], tuple[str, str]]
    conflicts: dict[tuple[int, int], str]
    loads: dict[int, int]                       # member id → non-recused assignments
    assigned: dict[int, int]                    # application id → non-recused assignments
    shortfalls: list[tuple[Application, int]]   # reviewable applications below k
    counts: dict[str, int] = field(default_factory=dict)  # per cell state

    @property
    def min_load(self) -> int:
        return min(self.loads.values(), default=0)

    @property
    def max_load(self) -> int:
        return max(self.loads.values(), default=0)

    @property
    def balanced(self) -> bool:
        """相差不超过 1."""
        return self.max_load - self.min_load <= 1

    @property
    def total(self) -> int:
        return sum(self.loads.values())

    @property
    def unassigned(self) -> list[Application]:
        return [a for a in self.applications if a.status in REVIEWABLE and not self.assigned.get(a.id)]


def _overview_applications(panel: Panel) -> list[Application]:
    assigned = select(ReviewAssignment.application_id).where(ReviewAssignment.panel_id == panel.id)
    return list(db.session.scalars(
        select(Application).where(Application.call_id == panel.call_id,
                                  or_(Application.status.in_(REVIEWED), Application.id.in_(assigned)))
        .options(joinedload(Application.organization)).order_by(Application.id)).unique())


def assignment_overview(panel: Panel) -> Overview:
    """Everything the assignment matrix shows, in a constant number of queries."""
    applications = _overview_applications(panel)
    rows = _assignments(panel)
    members = list(panel.members)
    reviewable = [a for a in applications if a.status in REVIEWABLE]
    conflicts = conflict_reasons(panel, reviewable, rows)
    cells = {(r.application_id, r.member_id): r for r in rows}
    states = {key: cell_state(r) for key, r in cells.items()}
    loads = {m.id: 0 for m in members}
    assigned = {a.id: 0 for a in applications}
    counts = {key: 0 for key in CELL_TONES}
    for (application_id, member_id), row in cells.items():
        counts[states[(application_id, member_id)][0]] += 1
        if row.status != AssignmentStatus.RECUSED:
            loads[member_id] = loads.get(member_id, 0) + 1
            assigned[application_id] = assigned.get(application_id, 0) + 1
    k = panel.call.reviewers_per_application
    shortfalls = [(a, assigned[a.id]) for a in reviewable if assigned[a.id] < k]
    return Overview(k=k, applications=applications, members=members, cells=cells, states=states,
                    conflicts=conflicts, loads=loads, assigned=assigned, shortfalls=shortfalls, counts=counts)


def draws_of(panel: Panel) -> list[PanelDraw]:
    return list(db.session.scalars(select(PanelDraw).where(PanelDraw.panel_id == panel.id)
                                   .options(joinedload(PanelDraw.drawn_by)).order_by(PanelDraw.id.desc())))


def available_experts(panel: Panel | None) -> list[Expert]:
    """Active experts not on the panel (the add-member list), by name."""
    user = joinedload(Expert.user)
    query = (select(Expert).join(User, User.id == Expert.user_id).where(Expert.is_active.is_(True))
             # Only names, titles and employers are shown: leave the rest unloaded.
             .options(user, user.lazyload(User.staff_memberships), user.lazyload(User.org_memberships),
                      lazyload(Expert.field_rows), lazyload(Expert.affiliations))
             .order_by(User.name, Expert.id))
    if panel is not None:
        query = query.where(Expert.id.not_in(select(PanelMember.expert_id).where(PanelMember.panel_id == panel.id)))
    return list(db.session.scalars(query).unique())


def screening_pending(call: Call) -> int:
    """Applications of the call still waiting for a screening decision (or correction)."""
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.call_id == call.id,
        Application.status.in_((ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED)))) or 0


@dataclass
class PanelPage:
    call: Call
    panel: Panel | None
    overview: Overview | None
    draws: list[PanelDraw]
    available: list[Expert]
    problem: str | None            # why nothing can be changed now
    readiness: list[str]           # what keeps the call from entering review (screening only)
    screening_pending: int


def panel_page(call: Call) -> PanelPage:
    panel = panel_for(call)
    return PanelPage(
        call=call, panel=panel,
        overview=assignment_overview(panel) if panel is not None else None,
        draws=draws_of(panel) if panel is not None else [],
        available=available_experts(panel),
        problem=edit_problem(call, panel),
        readiness=reviewing_problems(call, panel) if call.status == CallStatus.SCREENING else [],
        screening_pending=screening_pending(call) if call.status == CallStatus.SCREENING else 0,
    )


def field_labels(values: Iterable[str] | None) -> list[str]:
    """Labels of stored field keys (a draw's wanted fields), in the pool's order."""
    keys = set(values or ())
    return [f.label for f in ExpertiseField if f.value in keys]


# --- draw record -----------------------------------------------------------------------

@dataclass
class DrawRecord:
    record: PanelDraw
    call: Call
    result: DrawResult
    verified: bool
    experts: dict[int, Expert]

    def name(self, expert_id: int) -> str:
        expert = self.experts.get(expert_id)
        return expert.user.name if expert is not None else _("专家 #%(id)s", id=expert_id)


def recorded_candidates(result: DrawResult) -> list[Candidate]:
    """The candidates as the record describes them: eligible and excluded experts share
    the wanted fields, off-field experts share none."""
    wanted = frozenset(result.fields or ())
    out = [Candidate(expert_id=i, fields=wanted) for i in result.eligible]
    out += [Candidate(expert_id=i, fields=wanted, conflict_reason=reason) for i, reason in result.excluded]
    out += [Candidate(expert_id=i) for i in result.off_field]
    return out


def draw_record(record: PanelDraw) -> DrawRecord:
    """The stored draw, re-run (复核) from the record's candidates and seed."""
    result = DrawResult.from_dict({
        "seed": record.seed, "size": record.size, "fields": record.fields,
        "eligible": record.eligible or [], "excluded": record.excluded or [],
        "off_field": record.off_field or [], "picked": record.picked or []})
    try:
        verified = result.verify(recorded_candidates(result))
    except (DrawError, TypeError, ValueError):
        verified = False
    ids = set(result.eligible) | set(result.off_field) | set(result.picked) | {i for i, _r in result.excluded}
    found = db.session.scalars(select(Expert).where(Expert.id.in_(ids)).options(
        joinedload(Expert.user), selectinload(Expert.field_rows))).unique() if ids else []
    return DrawRecord(record=record, call=record.panel.call, result=result, verified=verified,
                      experts={e.id: e for e in found})


# --- entering review -------------------------------------------------------------------

def reviewing_problems(call: Call, panel: Panel | None) -> list[str]:
    """What keeps ``call`` from moving from screening to expert review (empty: ready)."""
    eligible = list(db.session.scalars(select(Application.id).where(
        Application.call_id == call.id, Application.status == ApplicationStatus.ELIGIBLE)))
    problems = []
    if not eligible:
        problems.append(_("没有形式审查通过的申报书（如无申报可评审，请取消征集）"))
    if panel is None or not panel.members:
        problems.append(_("尚未组建评审小组"))
    elif panel.chair is None:
        problems.append(_("评审小组尚未指定评审组长"))
    if eligible:
        covered = set(db.session.scalars(select(ReviewAssignment.application_id).where(
            ReviewAssignment.panel_id == panel.id,
            ReviewAssignment.status != AssignmentStatus.RECUSED)) if panel is not None else [])
        missing = sum(1 for i in eligible if i not in covered)
        if missing:
            problems.append(_("%(n)s 份形式审查通过的申报书尚未分配评审专家", n=missing))
    return problems


@subscribe("call.advancing")
def _panel_must_be_ready(call: Call, to: CallStatus, now: Any, actor: Any = None, **_kw) -> None:
    """Screening → reviewing: only with a panel, a chair and every eligible application
    assigned; the eligible applications then go under review."""
    if call.status != CallStatus.SCREENING or to != CallStatus.REVIEWING:
        return
    problems = reviewing_problems(call, panel_for(call))
    if problems:
        raise Conflict(_("还不能进入专家评审：%(problems)s。", problems="；".join(problems)))
    for application in db.session.scalars(select(Application).where(
            Application.call_id == call.id, Application.status == ApplicationStatus.ELIGIBLE)
            .order_by(Application.id)).unique():
        transition(application, ApplicationStatus.UNDER_REVIEW, actor, reason=_("征集进入专家评审"))

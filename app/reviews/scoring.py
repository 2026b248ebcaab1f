"""The reviewer's workspace (评审工作台): assigned applications, the conflict-of-interest
declaration (利益冲突声明) and the score sheet (评分表).

The order is fixed: an assigned expert first declares (no conflict → accepted; a conflict →
recused, and the application goes to another member of the panel); only an accepted
assignment shows the application and takes scores. A sheet is saved as a draft (partial
allowed) any number of times, then submitted complete with a comment — after which it is
locked until the chair reopens it (app.reviews.results).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.applications.models import Application
from app.calls.models import Call, CallStatus
from app.core import audit
from app.core.db import MAX_ID, utcnow
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.core.events import emit
from app.core.forms import CONTROL_CHARS
from app.core.permissions import can
from app.extensions import db
from app.orgs.models import Organization, OrgMembership
from app.reviews.blind import application_code, identity_terms, is_blind, redact, reviewer_label
from app.reviews.models import (AssignmentStatus, Expert, Panel, PanelMember, ReviewAssignment,
                                ScoreSheet, SheetStatus)

REASON_MAX = 500
COMMENT_MAX = 2000
LOCKED_MESSAGE = _l("已提交的评分已锁定，如需修改请联系评审组长")


# --------------------------------------------------------------------------- task list

class TaskState:
    """What a row of 我的评审任务 shows; keys double as the list's filter values."""

    PENDING = "pending"        # 待声明
    SCORING = "scoring"        # 评分中 (accepted, not submitted)
    SUBMITTED = "submitted"    # 已提交
    RECUSED = "recused"        # 已回避

    LABELS = {PENDING: _l("待声明"), SCORING: _l("评分中"), SUBMITTED: _l("已提交"), RECUSED: _l("已回避")}
    TONES = {PENDING: "warning", SCORING: "primary", SUBMITTED: "success", RECUSED: "secondary"}


def task_state(assignment: ReviewAssignment) -> str:
    if assignment.status == AssignmentStatus.PENDING:
        return TaskState.PENDING
    if assignment.status == AssignmentStatus.RECUSED:
        return TaskState.RECUSED
    sheet = assignment.sheet
    return TaskState.SUBMITTED if sheet is not None and sheet.is_submitted else TaskState.SCORING


@dataclass
class TaskRow:
    assignment: ReviewAssignment
    label: str          # code + redacted title (blind) or title（organization）
    title: str          # redacted title (blind) or title（organization）, without the code
    code: str
    state: str
    total: int | None   # the submitted total, else None

    @property
    def application(self) -> Application:
        return self.assignment.application

    @property
    def sheet(self) -> ScoreSheet | None:
        return self.assignment.sheet

    @property
    def state_label(self) -> str:
        return str(TaskState.LABELS[self.state])

    @property
    def tone(self) -> str:
        return TaskState.TONES[self.state]


@dataclass
class CallTasks:
    call: Call
    panel: Panel
    rows: list[TaskRow] = field(default_factory=list)
    submitted: int = 0   # over the non-recused assignments, whatever the filter
    total: int = 0
    member_id: int | None = None   # the user's membership of this panel

    @property
    def blind(self) -> bool:
        return is_blind(self.call)

    @property
    def percent(self) -> int:
        return self.submitted * 100 // self.total if self.total else 0

    @property
    def max_points(self) -> int:
        return sum(c.max_points for c in self.call.criteria)


STATE_FILTERS = (TaskState.PENDING, TaskState.SCORING, TaskState.SUBMITTED, TaskState.RECUSED)


def my_assignments(user: Any, status: str | AssignmentStatus | None = None) -> list[CallTasks]:
    """The user's review tasks over all calls, grouped per call (calls under review first,
    newest first), each with its progress (submitted / non-recused assignments).

    ``status``: None → every task but the recused ones; "all" → every task; a TaskState
    key ("pending", "scoring", "submitted", "recused") or an AssignmentStatus → only those.
    A fixed number of queries whatever the number of calls and tasks.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    stmt = (
        select(ReviewAssignment)
        .join(PanelMember, PanelMember.id == ReviewAssignment.member_id)
        .join(Expert, Expert.id == PanelMember.expert_id)
        .where(Expert.user_id == user.id)
        .options(
            joinedload(ReviewAssignment.sheet),
            joinedload(ReviewAssignment.panel).joinedload(Panel.call).selectinload(Call.criteria),
            joinedload(ReviewAssignment.application).options(
                selectinload(Application.team),
                joinedload(Application.organization).selectinload(Organization.members)
                .joinedload(OrgMembership.user)),
        )
        .order_by(ReviewAssignment.panel_id, ReviewAssignment.application_id, ReviewAssignment.id)
    )
    assignments = db.session.scalars(stmt).unique().all()

    if isinstance(status, AssignmentStatus):
        wanted = {AssignmentStatus.PENDING: {TaskState.PENDING},
                  AssignmentStatus.ACCEPTED: {TaskState.SCORING, TaskState.SUBMITTED},
                  AssignmentStatus.RECUSED: {TaskState.RECUSED}}[status]
    elif status == "all":
        wanted = set(STATE_FILTERS)
    elif status in STATE_FILTERS:
        wanted = {status}
    else:
        wanted = set(STATE_FILTERS) - {TaskState.RECUSED}

    groups: dict[int, CallTasks] = {}
    for a in assignments:
        call = a.panel.call
        group = groups.get(call.id)
        if group is None:
            group = groups[call.id] = CallTasks(call=call, panel=a.panel, member_id=a.member_id)
        state = task_state(a)
        if state != TaskState.RECUSED:
            group.total += 1
            group.submitted += int(state == TaskState.SUBMITTED)
        if state not in wanted:
            continue
        blind = is_blind(call)
        terms = identity_terms(a.application) if blind else None
        code = application_code(a.application)
        label = reviewer_label(a.application, blind=blind, terms=terms)
        group.rows.append(TaskRow(
            assignment=a, label=label, title=redact(a.application.title, terms) if blind else label,
            code=code, state=state,
            total=a.sheet.total if state == TaskState.SUBMITTED else None))
    reviewing_first = sorted(groups.values(), key=lambda g: (g.call.status != CallStatus.REVIEWING, -g.call.id))
    return [g for g in reviewing_first if g.rows]


def get_assignment(assignment_id: int) -> ReviewAssignment | None:
    """One assignment with what the review page reads; None when unknown or out of range."""
    if not 0 < assignment_id <= MAX_ID:
        return None
    return db.session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.id == assignment_id).options(
            joinedload(ReviewAssignment.sheet),
            joinedload(ReviewAssignment.panel).joinedload(Panel.call).selectinload(Call.criteria),
            joinedload(ReviewAssignment.application).options(
                selectinload(Application.team), selectinload(Application.budget_lines),
                selectinload(Application.indicators), selectinload(Application.milestones),
                selectinload(Application.attachments), selectinload(Application.community_rows),
                selectinload(Application.target_rows)))
    ).unique().one_or_none()


# --------------------------------------------------------------------------- declaration

def _require_assignee(actor: Any, assignment: ReviewAssignment) -> None:
    if not can(actor, "review.assignment", assignment):
        raise PermissionDenied(_("这不是您的评审任务。"))


def _clean_text(value: Any, max_len: int, field_name: str, label: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if CONTROL_CHARS.search(text):
        raise ValidationError(_("%(label)s不能包含控制字符。", label=label), field=field_name)
    if len(text) > max_len:
        raise ValidationError(_("%(label)s不能超过 %(n)s 个字（现有 %(len)s 个字）。",
                                label=label, n=max_len, len=len(text)), field=field_name)
    return text


def declaration_problem(assignment: ReviewAssignment) -> str | None:
    """Why `assignment` cannot be declared now (None: it can)."""
    if assignment.status != AssignmentStatus.PENDING:
        return _("您已对该项目作出利益冲突声明（%(status)s），不能重复声明。", status=assignment.status.label)
    panel = assignment.panel
    if panel.call.status not in (CallStatus.SCREENING, CallStatus.REVIEWING) or panel.is_finalized:
        return _("评审已结束，不能再作出利益冲突声明。")
    return None


def declare(actor: Any, assignment: ReviewAssignment, conflict: bool,
            reason: str | None) -> ReviewAssignment | None:
    """利益冲突声明. No conflict → the assignment is accepted and returned. A conflict (a
    reason is required) → it is recused (kept as the record) and the application goes to
    another member (app.reviews.panels.replace_recused): the replacement is returned, or
    None when nobody on the panel can take it."""
    _require_assignee(actor, assignment)
    problem = declaration_problem(assignment)
    if problem:
        raise Conflict(problem)
    now = utcnow()
    if not conflict:
        assignment.status = AssignmentStatus.ACCEPTED
        assignment.declared_at = now
        audit.record(actor, "review.declare", assignment, before={"status": AssignmentStatus.PENDING},
                     after={"status": AssignmentStatus.ACCEPTED, "conflict": False,
                            "application_id": assignment.application_id})
        db.session.flush()
        return assignment

    reason = _clean_text(reason, REASON_MAX, "reason", _("回避理由"))
    if not reason:
        raise ValidationError(_("请说明存在何种利益冲突（例如：曾在该组织任职、与其负责人有亲属关系）。"),
                              field="reason")
    assignment.status = AssignmentStatus.RECUSED
    assignment.declared_at = now
    assignment.conflict_reason = reason
    audit.record(actor, "review.declare", assignment, before={"status": AssignmentStatus.PENDING},
                 after={"status": AssignmentStatus.RECUSED, "conflict": True, "reason": reason,
                        "application_id": assignment.application_id})
    db.session.flush()
    from app.reviews.panels import replace_recused

    replacement = replace_recused(assignment, actor)
    emit("review.recused", assignment=assignment, replacement=replacement, actor=actor)
    return replacement


# --------------------------------------------------------------------------- score sheet

class SheetInvalid(ValidationError):
    """Bad score sheet input. ``errors`` maps a criterion id (str) to its message;
    ``comment_error`` is the comment's message; ``message`` sums them up."""

    def __init__(self, errors: dict[str, str], comment_error: str | None = None,
                 general: list[str] | None = None):
        self.errors = errors
        self.comment_error = comment_error
        self.general = general or []
        count = len(errors) + (1 if comment_error else 0) + len(self.general)
        super().__init__(_("评分表有 %(n)s 处需要修改，未保存任何内容。", n=count),
                         field="points" if errors else ("comment" if comment_error else None))


_DIGITS = re.compile(r"[0-9]+")
_FULL_WIDTH = re.compile(r"[０-９．－]")


def _parse_points(raw: Any, maximum: int) -> tuple[int | None, str | None]:
    """(points, None) or (None, message); (None, None) when nothing was given."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, _("请输入 0 到 %(max)s 之间的整数。", max=maximum)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if raw != raw or raw != int(raw):
            return None, _("请输入整数分值（0 到 %(max)s），不能有小数。", max=maximum)
        value = int(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None, None
        if _FULL_WIDTH.search(text):
            return None, _("请使用半角数字输入分值（如 12），不要使用全角字符。")
        if len(text) > 12:
            return None, _("请输入 0 到 %(max)s 之间的整数。", max=maximum)
        if re.fullmatch(r"[+-]?[0-9]*[.,][0-9]*", text) and re.search(r"[0-9]", text):
            return None, _("请输入整数分值（0 到 %(max)s），不能有小数。", max=maximum)
        if re.fullmatch(r"-[0-9]+", text):
            return None, _("分值不能为负数，请输入 0 到 %(max)s 之间的整数。", max=maximum)
        if not _DIGITS.fullmatch(text.lstrip("+")):
            return None, _("请输入 0 到 %(max)s 之间的整数。", max=maximum)
        value = int(text.lstrip("+"))
    if value < 0:
        return None, _("分值不能为负数，请输入 0 到 %(max)s 之间的整数。", max=maximum)
    if value > maximum:
        return None, _("不能超过该项满分 %(max)s 分。", max=maximum)
    return value, None


def _clean_sheet(assignment: ReviewAssignment, points: Any, comment: Any, *,
                 complete: bool) -> tuple[dict[str, int], str]:
    criteria = {str(c.id): c for c in assignment.panel.call.criteria}
    errors: dict[str, str] = {}
    general: list[str] = []
    given = points if isinstance(points, dict) else {}
    if points is not None and not isinstance(points, dict):
        general.append(_("评分数据格式不正确。"))
    clean: dict[str, int] = {}
    for key in given:
        if str(key).strip() not in criteria:
            general.append(_("评分表包含本征集评分标准之外的项目（%(key)s），请刷新页面后重新填写。",
                             key=str(key)[:20]))
    for cid, criterion in criteria.items():
        raw = given.get(cid, given.get(int(cid)) if cid.isdigit() else None)
        value, message = _parse_points(raw, criterion.max_points)
        if message:
            errors[cid] = message
        elif value is None:
            if complete:
                errors[cid] = _("请为“%(name)s”打分（0 到 %(max)s 分）。", name=criterion.name,
                                max=criterion.max_points)
        else:
            clean[cid] = value

    comment_error = None
    text = comment.strip() if isinstance(comment, str) else ""
    if comment is not None and not isinstance(comment, str):
        comment_error = _("评审意见格式不正确。")
    elif CONTROL_CHARS.search(text):
        comment_error = _("评审意见不能包含控制字符。")
    elif len(text) > COMMENT_MAX:
        comment_error = _("评审意见不能超过 %(n)s 个字（现有 %(len)s 个字）。", n=COMMENT_MAX, len=len(text))
    elif complete and not text:
        comment_error = _("请填写评审意见（项目的主要优点、不足和建议）。")

    if errors or comment_error or general:
        raise SheetInvalid(errors, comment_error, general)
    # Stored in the rubric's order.
    ordered = {cid: clean[cid] for cid in criteria if cid in clean}
    return ordered, text


def scoring_problem(assignment: ReviewAssignment) -> str | None:
    """Why the sheet of `assignment` cannot be saved or submitted now (None: it can)."""
    if assignment.status == AssignmentStatus.PENDING:
        return _("请先作出利益冲突声明，再进行评分。")
    if assignment.status == AssignmentStatus.RECUSED:
        return _("您已回避该项目，不能评分。")
    panel = assignment.panel
    call = panel.call
    if panel.is_finalized:
        return _("评审组长已确认评审结果，评分不能再修改。")
    if call.status != CallStatus.REVIEWING:
        return _("征集“%(title)s”当前处于“%(status)s”阶段，只有在专家评审阶段才能评分。",
                 title=call.title, status=call.status.label)
    sheet = assignment.sheet
    if sheet is not None and sheet.is_submitted:
        return str(LOCKED_MESSAGE)
    return None


def _sheet_for(assignment: ReviewAssignment) -> ScoreSheet:
    sheet = assignment.sheet
    if sheet is None:
        sheet = ScoreSheet(assignment=assignment, points={}, comment="", status=SheetStatus.DRAFT)
        db.session.add(sheet)
    return sheet


def save_sheet(actor: Any, assignment: ReviewAssignment, points: dict | None, comment: str | None) -> ScoreSheet:
    """暂存: the draft becomes exactly the given points (blank ones are left unscored) and
    comment. Each given value must be a whole number 0..max of its criterion."""
    _require_assignee(actor, assignment)
    problem = scoring_problem(assignment)
    if problem:
        raise Conflict(problem)
    clean, text = _clean_sheet(assignment, points, comment, complete=False)
    sheet = _sheet_for(assignment)
    sheet.points = clean
    sheet.comment = text
    sheet.saved_at = utcnow()
    db.session.flush()
    return sheet


def submit_sheet(actor: Any, assignment: ReviewAssignment, points: dict | None, comment: str | None) -> ScoreSheet:
    """提交评分: every criterion scored and a comment; the sheet is then locked."""
    _require_assignee(actor, assignment)
    problem = scoring_problem(assignment)
    if problem:
        raise Conflict(problem)
    clean, text = _clean_sheet(assignment, points, comment, complete=True)
    sheet = _sheet_for(assignment)
    now = utcnow()
    sheet.points = clean
    sheet.comment = text
    sheet.saved_at = now
    sheet.status = SheetStatus.SUBMITTED
    sheet.submitted_at = now
    audit.record(actor, "review.sheet.submit", sheet, after={
        "assignment_id": assignment.id, "application_id": assignment.application_id,
        "points": clean, "total": sum(clean.values()), "reopen_count": sheet.reopen_count})
    db.session.flush()
    return sheet


def sheet_rows(assignment: ReviewAssignment, raw: dict | None = None,
               errors: dict[str, str] | None = None) -> list[dict]:
    """The rubric with this reviewer's values for the scoring form: per criterion its
    name, description, max, the value to show (what was typed, else what is stored) and
    its message."""
    stored = (assignment.sheet.points or {}) if assignment.sheet is not None else {}
    errors = errors or {}
    rows = []
    for c in assignment.panel.call.criteria:
        cid = str(c.id)
        if raw is not None:
            value = raw.get(cid, "")
        else:
            value = stored.get(cid, "")
        rows.append({"id": cid, "name": c.name, "description": c.description, "max": c.max_points,
                     "weight": c.weight, "value": "" if value is None else str(value),
                     "error": errors.get(cid)})
    return rows

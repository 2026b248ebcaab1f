"""Panel results (评审结果): the chair's matrix, reopening a score, finalizing the panel,
the outcomes (final score, rank, recommendation) and the officer's amount adjustments.

The arithmetic is app.reviews.aggregation's (SPEC §4); this module feeds it the panel's
submitted score sheets and stores what it computes:

- **Matrix** (:func:`matrix`): applications × panel members. A cell is the member's
  assignment that was not recused (未分配 when there is none); totals show once submitted.
  Per application: submitted / assigned, the standard deviation of the submitted totals
  and the disagreement flag (sd above the call's threshold, exactly as aggregation decides
  it), and a provisional score by the call's method once all its sheets are in.
- **Reopen** (:func:`reopen_sheet`): the chair sends a submitted sheet back to its reviewer
  as a draft, with a reason, while the call is in review and the panel is not finalized.
- **Finalize** (:func:`finalize`): the chair closes the panel when every assignment that
  was not recused has a submitted sheet and every application has at least one; the
  applications become 已评分 and the outcomes are computed.
- **Outcomes** (:func:`compute_outcomes`): one ReviewOutcome per application — final
  score (2 decimals, stored as computed), rank, recommendation within the budget above the
  pass line, using the officer's adjusted amounts. Recomputed after every adjustment.
- **Adjustments** (:func:`adjust_amount`, :func:`clear_adjustment`): the program officer
  sets an application's amount (within what it asked for and the call's award range) with
  a written reason, after finalizing and before the public notice.

Who sees what: per-reviewer totals only through panel.matrix (the chair and the funder's
staff); the results (results.view) carry no per-reviewer score.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.applications.models import Application, ApplicationStatus
from app.calls.models import Call, CallStatus
from app.core import audit
from app.core.db import MAX_ID, utcnow
from app.core.enums import LabeledEnum, N_
from app.core.errors import Conflict, ValidationError
from app.core.events import emit
from app.core.forms import clean_reason
from app.core.money import fen_to_input, format_fen, parse_yuan
from app.core.pdf import local_time
from app.core.permissions import can, require
from app.core.states import transition
from app.extensions import db
from app.orgs import credit as org_credit
from app.orgs.models import Organization
from app.reviews import aggregation
from app.reviews.blind import identity_terms, is_blind, reviewer_label
from app.reviews.models import (AssignmentStatus, Panel, PanelMember, ReviewAssignment, ReviewOutcome,
                                ScoreSheet, SheetStatus)

REASON_MAX = 500
_ZERO = Decimal("0.00")
_S = ApplicationStatus
# Applications that went into review and were not withdrawn or screened out.
REVIEW_STATUSES = (_S.ELIGIBLE, _S.UNDER_REVIEW, _S.SCORED, _S.RECOMMENDED, _S.NOT_RECOMMENDED,
                   _S.AWARDED, _S.REJECTED)
# Applications that get an outcome (ELIGIBLE ones never entered the review).
OUTCOME_STATUSES = tuple(s for s in REVIEW_STATUSES if s != _S.ELIGIBLE)

METHOD_EXPLANATIONS = {
    "trimmed_mean": N_("每个项目去掉一个最高总分和一个最低总分后取平均（评分少于 5 份时取全部总分的平均），"
                       "四舍五入保留两位小数。"),
    "mean": N_("每个项目取全部评审专家总分的算术平均，四舍五入保留两位小数。"),
    "zscore": N_("标准分：先把每位专家给出的总分按其本人打分的平均分和离散程度换算到全组的平均分和标准差上，"
                 "再对每个项目取平均，以抵消打分偏严或偏松的影响；四舍五入保留两位小数。"),
}


def method_explanation(call: Call) -> str:
    """One sentence saying how the call's final scores are computed."""
    return _(METHOD_EXPLANATIONS[call.aggregation.value])


# --------------------------------------------------------------------------- loading

def panel_for(call: Call) -> Panel | None:
    return db.session.scalar(select(Panel).where(Panel.call_id == call.id))


def get_sheet(sheet_id: int) -> ScoreSheet | None:
    return db.session.get(ScoreSheet, sheet_id) if 0 < sheet_id <= MAX_ID else None


def get_member(member_id: int) -> PanelMember | None:
    return db.session.get(PanelMember, member_id) if 0 < member_id <= MAX_ID else None


def get_outcome(outcome_id: int) -> ReviewOutcome | None:
    return db.session.get(ReviewOutcome, outcome_id) if 0 < outcome_id <= MAX_ID else None


def outcome_call(outcome: ReviewOutcome) -> Call:
    return outcome.application.call


def _criteria(call: Call) -> list[aggregation.Criterion]:
    return [aggregation.Criterion(id=c.id, max_points=c.max_points, weight=c.weight, position=c.position,
                                  name=c.name) for c in call.criteria]


def _applications(call: Call, statuses) -> list[Application]:
    """The call's applications in `statuses`, by id, with what blind labels read loaded."""
    return list(db.session.scalars(
        select(Application)
        .where(Application.call_id == call.id, Application.status.in_(statuses))
        .options(selectinload(Application.team),
                 selectinload(Application.organization).selectinload(Organization.members))
        .order_by(Application.id)
    ).unique())


def _assignments(panel: Panel) -> list[ReviewAssignment]:
    """The panel's assignments that were not recused, with their sheets."""
    return list(db.session.scalars(
        select(ReviewAssignment)
        .where(ReviewAssignment.panel_id == panel.id, ReviewAssignment.status != AssignmentStatus.RECUSED)
        .options(selectinload(ReviewAssignment.sheet))
        .order_by(ReviewAssignment.id)
    ))


def _recused(panel: Panel) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(ReviewAssignment.application_id, ReviewAssignment.member_id)
        .where(ReviewAssignment.panel_id == panel.id, ReviewAssignment.status == AssignmentStatus.RECUSED))
    return {(app_id, member_id) for app_id, member_id in rows}


def _as_sheet(assignment: ReviewAssignment) -> aggregation.Sheet:
    points = {int(k): int(v) for k, v in (assignment.sheet.points or {}).items()}
    return aggregation.Sheet(reviewer_id=assignment.member_id, application_id=assignment.application_id,
                             points=points)


def _submitted(assignment: ReviewAssignment) -> bool:
    return assignment.sheet is not None and assignment.sheet.status == SheetStatus.SUBMITTED


# --------------------------------------------------------------------------- labels

def blind_for(user: Any, call: Call) -> bool:
    """Whether `user` must see the call's applications without their organization: a blind
    call seen by anyone who is not the funder's staff (the chair is a reviewer)."""
    return is_blind(call) and not can(user, "panel.view", call)


@dataclass(frozen=True)
class Label:
    """How an application is named to a viewer: `title` (``GY-00012 <redacted title>`` in
    blind mode) and `organization` (None in blind mode)."""

    title: str
    organization: str | None


def label(application: Application, *, blind: bool) -> Label:
    if blind:
        return Label(reviewer_label(application, blind=True, terms=identity_terms(application)), None)
    org = application.organization
    return Label(application.title, org.name if org is not None else None)


# --------------------------------------------------------------------------- the matrix

class CellState(LabeledEnum):
    UNASSIGNED = "unassigned", N_("未分配")
    RECUSED = "recused", N_("已回避")
    PENDING = "pending", N_("待声明")
    ACCEPTED = "accepted", N_("待评分")
    DRAFT = "draft", N_("暂存")
    SUBMITTED = "submitted", N_("已提交")


@dataclass(frozen=True)
class Completion:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total


@dataclass
class Cell:
    member: PanelMember
    state: CellState
    assignment: ReviewAssignment | None = None
    dropped: bool = False      # trimmed_mean: this total is the one highest or lowest dropped

    @property
    def sheet(self) -> ScoreSheet | None:
        return self.assignment.sheet if self.assignment is not None else None

    @property
    def total(self) -> int | None:
        """The total of a submitted sheet; None otherwise (drafts are the reviewer's own)."""
        return self.sheet.total if self.state == CellState.SUBMITTED else None


@dataclass
class MatrixRow:
    application: Application
    cells: list[Cell]
    submitted: int
    assigned: int
    result: aggregation.Result | None = None   # over the submitted sheets (None: none yet)

    @property
    def complete(self) -> bool:
        return self.assigned > 0 and self.submitted == self.assigned

    @property
    def sd(self) -> Decimal | None:
        return self.result.sd if self.result is not None else None

    @property
    def disagreement(self) -> bool:
        return self.result is not None and self.result.disagreement

    @property
    def provisional(self) -> Decimal | None:
        """The score by the call's method once all the application's sheets are in."""
        return self.result.final_score if self.result is not None and self.complete else None


@dataclass
class Matrix:
    panel: Panel
    call: Call
    members: list[PanelMember]
    rows: list[MatrixRow]
    by_member: dict[int, Completion]
    overall: Completion
    criteria: list[aggregation.Criterion] = field(default_factory=list)

    @property
    def missing_sheets(self) -> int:
        """Assignments (not recused) without a submitted sheet."""
        return sum(r.assigned - r.submitted for r in self.rows)

    @property
    def missing_rows(self) -> list[MatrixRow]:
        return [r for r in self.rows if r.assigned > r.submitted]

    @property
    def unscored_rows(self) -> list[MatrixRow]:
        """Applications with no submitted sheet at all."""
        return [r for r in self.rows if r.submitted == 0]

    @property
    def disagreements(self) -> list[MatrixRow]:
        return [r for r in self.rows if r.disagreement]

    def rows_for(self, show: str | None) -> list[MatrixRow]:
        """The rows a filter of the page shows: "incomplete", "disagreement" or all."""
        if show == "incomplete":
            return [r for r in self.rows if not r.complete]
        if show == "disagreement":
            return self.disagreements
        return self.rows

    @property
    def not_in_review(self) -> list[MatrixRow]:
        return [r for r in self.rows if r.application.status == _S.ELIGIBLE]

    def finalize_problem(self) -> str | None:
        """Why the panel cannot be finalized now (None: it can)."""
        if self.panel.is_finalized:
            return _("评审已于 %(time)s 结束。", time=_beijing(self.panel.finalized_at))
        if self.call.status != CallStatus.REVIEWING:
            return _("征集当前处于“%(status)s”阶段，只有在“专家评审”阶段才能结束评审。",
                     status=self.call.status.label)
        if not self.rows:
            return _("本轮没有进入评审的项目。")
        if self.not_in_review:
            return _("有 %(n)s 个项目尚未进入评审，请项目主管先完成评审分配。", n=len(self.not_in_review))
        problems = []
        if self.missing_sheets:
            problems.append(_("还有 %(n)s 份评分未提交（涉及 %(apps)s 个项目）",
                              n=self.missing_sheets, apps=len(self.missing_rows)))
        unscored = self.unscored_rows
        if unscored:
            problems.append(_("%(n)s 个项目没有任何已提交的评分", n=len(unscored)))
        if problems:
            return _("还不能结束评审：%(problems)s。", problems="；".join(problems))
        return None


def _beijing(value: datetime | None) -> str:
    return local_time(value)


def matrix(panel: Panel) -> Matrix:
    """The applications × members matrix of `panel` (rules in the module docstring), in a
    constant number of queries."""
    call = panel.call
    members = sorted(panel.members, key=lambda m: (not m.is_chair, m.id))
    applications = _applications(call, REVIEW_STATUSES)
    app_ids = {a.id for a in applications}
    assignments = [a for a in _assignments(panel) if a.application_id in app_ids]
    recused = _recused(panel)
    by_pair = {(a.application_id, a.member_id): a for a in assignments}
    criteria = _criteria(call)

    # Aggregate what is in: sd/disagreement for every application with a submitted sheet,
    # the provisional score for complete ones (zscore needs all the panel's sheets at once).
    submitted = [a for a in assignments if _submitted(a)]
    with_sheets = {a.application_id for a in submitted}
    results: dict[int, aggregation.Result] = {}
    if submitted:
        facts = [aggregation.ApplicationFacts(a.id, a.requested_fen) for a in applications if a.id in with_sheets]
        for result in aggregation.aggregate(call.aggregation.value, [_as_sheet(a) for a in submitted], criteria,
                                            facts, disagreement_threshold=call.disagreement_threshold):
            results[result.application_id] = result

    done: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    rows = []
    for application in applications:
        result = results.get(application.id)
        dropped = {t.reviewer_id for t in result.dropped} if result is not None else set()
        cells = []
        n_assigned = n_submitted = 0
        for member in members:
            assignment = by_pair.get((application.id, member.id))
            if assignment is None:
                state = CellState.RECUSED if (application.id, member.id) in recused else CellState.UNASSIGNED
            elif _submitted(assignment):
                state = CellState.SUBMITTED
            elif assignment.sheet is not None:
                state = CellState.DRAFT
            elif assignment.status == AssignmentStatus.PENDING:
                state = CellState.PENDING
            else:
                state = CellState.ACCEPTED
            if assignment is not None:
                n_assigned += 1
                total[member.id] += 1
                if state == CellState.SUBMITTED:
                    n_submitted += 1
                    done[member.id] += 1
            cells.append(Cell(member, state, assignment, dropped=member.id in dropped))
        row = MatrixRow(application, cells, n_submitted, n_assigned, result)
        if result is not None and not row.complete:
            # Trimming is decided on the complete set; do not mark drops in a partial one.
            for cell in cells:
                cell.dropped = False
        rows.append(row)
    by_member = {m.id: Completion(done[m.id], total[m.id]) for m in members}
    overall = Completion(sum(done.values()), sum(total.values()))
    return Matrix(panel, call, members, rows, by_member, overall, criteria)


def _lock(panel: Panel) -> None:
    """Re-read the panel under a row lock (PostgreSQL): finalizing and recomputing the
    outcomes of one panel happen one at a time, so a double click cannot write twice."""
    db.session.refresh(panel, with_for_update={"of": Panel})


# --------------------------------------------------------------------------- reopen

def reopen_problem(panel: Panel) -> str | None:
    """Why no submitted score can be reopened now (None: they can)."""
    if panel.is_finalized:
        return _("评审已结束，评分不能再退回修改。")
    if panel.call.status != CallStatus.REVIEWING:
        return _("征集当前处于“%(status)s”阶段，只有在“专家评审”阶段才能退回评分。", status=panel.call.status.label)
    return None


def reopen_sheet(actor: Any, sheet: ScoreSheet, reason: str | None, *, now: datetime | None = None) -> ScoreSheet:
    """退回评分: the chair sends a submitted sheet back to its reviewer as a draft."""
    assignment = sheet.assignment
    panel = assignment.panel
    require(actor, "panel.chair", panel)
    problem = reopen_problem(panel)
    if problem:
        raise Conflict(problem)
    if sheet.status != SheetStatus.SUBMITTED:
        raise Conflict(_("这份评分尚未提交，无需退回。"))
    if assignment.status == AssignmentStatus.RECUSED:
        raise Conflict(_("该评审任务已回避，不能退回评分。"))
    reason = clean_reason(reason, _("退回理由"), REASON_MAX)
    now = now or utcnow()
    before = {"status": sheet.status, "submitted_at": sheet.submitted_at, "total": sheet.total,
              "reopen_count": sheet.reopen_count}
    sheet.status = SheetStatus.DRAFT
    sheet.submitted_at = None
    sheet.reopen_count = (sheet.reopen_count or 0) + 1
    sheet.reopened_at = now
    sheet.reopened_by_id = getattr(actor, "id", None)
    sheet.reopen_reason = reason
    audit.record(actor, "score_sheet.reopen", sheet, before=before, after={
        "status": sheet.status, "reopen_count": sheet.reopen_count, "reason": reason,
        "application_id": assignment.application_id, "member_id": assignment.member_id})
    db.session.flush()
    emit("review.sheet_reopened", sheet=sheet, actor=actor, reason=reason)
    return sheet


# --------------------------------------------------------------------------- finalize

def finalize(actor: Any, panel: Panel, *, now: datetime | None = None) -> list[ReviewOutcome]:
    """结束评审: every assignment scored → applications 已评分, outcomes computed."""
    require(actor, "panel.chair", panel)
    _lock(panel)
    if panel.is_finalized:
        raise Conflict(_("评审已于 %(time)s 结束，无需重复操作。", time=_beijing(panel.finalized_at)))
    m = matrix(panel)
    problem = m.finalize_problem()
    if problem:
        raise Conflict(problem)
    now = now or utcnow()
    panel.finalized_at = now
    panel.finalized_by_id = getattr(actor, "id", None)
    for row in m.rows:
        if row.application.status == _S.UNDER_REVIEW:
            transition(row.application, _S.SCORED, actor, reason=_("评审组长结束评审"))
    audit.record(actor, "panel.finalize", panel, after={
        "call_id": panel.call_id, "applications": len(m.rows), "sheets": m.overall.done,
        "disagreements": [r.application.id for r in m.disagreements]})
    outcomes = compute_outcomes(panel.call, actor, now=now)
    emit("panel.finalized", panel=panel, actor=actor)
    return outcomes


# --------------------------------------------------------------------------- outcomes

def compute_outcomes(call: Call, actor: Any = None, *, now: datetime | None = None) -> list[ReviewOutcome]:
    """Aggregate the panel's submitted sheets, rank, recommend and write one ReviewOutcome
    per application (kept rows are updated, so their ids and adjustments survive)."""
    panel = panel_for(call)
    if panel is None:
        raise Conflict(_("该征集还没有评审小组。"))
    applications = _applications(call, OUTCOME_STATUSES)
    by_id = {a.id: a for a in applications}
    sheets = [_as_sheet(a) for a in _assignments(panel) if a.application_id in by_id and _submitted(a)]
    existing = {o.application_id: o for o in db.session.scalars(
        select(ReviewOutcome).where(ReviewOutcome.call_id == call.id))}
    facts = [aggregation.ApplicationFacts(a.id, a.requested_fen) for a in applications]
    criteria = _criteria(call)
    now = now or utcnow()
    panel_results = aggregation.aggregate(call.aggregation.value, sheets, criteria, facts,
                                          disagreement_threshold=call.disagreement_threshold)
    bonuses = credit_bonuses(call, applications, existing, now)
    # Ranking and the pass line see the total: the panel's score plus the credit bonus.
    results = [replace(r, final_score=r.final_score + bonuses.get(r.application_id, _ZERO)) for r in panel_results]
    ranked = aggregation.rank(results, criteria, facts)
    amounts = {app_id: o.adjusted_fen for app_id, o in existing.items()
               if o.adjusted_fen is not None and app_id in by_id}
    recommendations = aggregation.recommend(ranked, call.budget_fen, call.pass_line, amounts)
    result_of = {r.application_id: r for r in results}
    out = []
    for rec in recommendations:
        result = result_of[rec.application_id]
        outcome = existing.pop(rec.application_id, None)
        if outcome is None:
            outcome = ReviewOutcome(call_id=call.id, application_id=rec.application_id)
            db.session.add(outcome)
        outcome.final_score = result.final_score
        outcome.credit_bonus = bonuses.get(rec.application_id, _ZERO)
        outcome.rank = rec.rank
        outcome.reviewer_count = result.reviewer_count
        outcome.sd = result.sd
        outcome.disagreement = result.disagreement
        outcome.requested_fen = by_id[rec.application_id].requested_fen
        outcome.recommended = rec.recommended
        outcome.reason_code = rec.reason_code
        outcome.amount_fen = rec.amount_fen
        outcome.computed_at = now
        out.append(outcome)
    for stale in existing.values():   # applications withdrawn since
        db.session.delete(stale)
    db.session.flush()
    audit.record(actor, "review_outcome.compute", call, after={
        "method": call.aggregation.value, "budget_fen": call.budget_fen, "pass_line": call.pass_line,
        "credit_bonus_max": call.credit_bonus_max,
        "outcomes": [[o.application_id, o.rank, str(o.final_score), o.recommended, o.amount_fen] for o in out],
        "credit_bonus": {o.application_id: str(o.credit_bonus) for o in out if o.credit_bonus}})
    return out


def credit_bonuses(call: Call, applications: list[Application], existing: dict[int, ReviewOutcome],
                   now: datetime) -> dict[int, Decimal]:
    """The credit bonus of each application (call.credit_bonus_max, app.orgs.credit): an
    outcome row already computed keeps its bonus; the others get their organization's on the
    day of `now` (Asia/Shanghai). Three queries for the whole call, none without a bonus."""
    bonuses = {app_id: Decimal(o.credit_bonus or 0) for app_id, o in existing.items()}
    new = [a for a in applications if a.id not in bonuses]
    if new and call.credit_bonus_max:
        assessments = org_credit.assess_many({a.organization_id for a in new}, org_credit.china_date(now))
        for a in new:
            bonuses[a.id] = assessments[a.organization_id].bonus(call.credit_bonus_max)
    return {app_id: b for app_id, b in bonuses.items() if b}


@dataclass
class OutcomeRow:
    outcome: ReviewOutcome
    recommendation: aggregation.Recommendation
    tie_break: str | None = None

    @property
    def application(self) -> Application:
        return self.outcome.application

    @property
    def reason(self) -> str:
        if self.outcome.cancelled_by_objection:
            return _("公示期间异议成立，已取消推荐")
        return self.recommendation.reason

    @property
    def is_adjusted(self) -> bool:
        return self.outcome.adjusted_fen is not None

    @property
    def adjusted_input(self) -> str:
        """The adjusted amount as the form shows it ("40000.00"), "" when not adjusted."""
        return fen_to_input(self.outcome.adjusted_fen)


@dataclass
class Results:
    call: Call
    rows: list[OutcomeRow]

    @property
    def used_fen(self) -> int:
        return sum(r.outcome.amount_fen for r in self.rows
                   if r.outcome.recommended and not r.outcome.cancelled_by_objection)

    @property
    def left_fen(self) -> int:
        return self.call.budget_fen - self.used_fen

    @property
    def recommended_count(self) -> int:
        return sum(1 for r in self.rows if r.outcome.recommended and not r.outcome.cancelled_by_objection)


def outcomes(call: Call) -> Results:
    """The stored outcomes in rank order, each with its reason (the text aggregation gives,
    rebuilt from the stored figures) and, for equal final scores, the tie-break note."""
    stored = list(db.session.scalars(
        select(ReviewOutcome).where(ReviewOutcome.call_id == call.id)
        .order_by(ReviewOutcome.rank, ReviewOutcome.application_id)))
    # Budget left before each rank: what higher ranks were recommended (recommend() stops
    # at the first passing application that does not fit, so this is exact).
    by_rank: dict[int, list[ReviewOutcome]] = defaultdict(list)
    for o in stored:
        by_rank[o.rank].append(o)
    spent_before: dict[int, int] = {}
    spent = 0
    for rank_ in sorted(by_rank):
        spent_before[rank_] = spent
        spent += sum(o.amount_fen for o in by_rank[rank_] if o.recommended)
    rows = []
    for o in stored:
        group = by_rank[o.rank]
        asked = o.adjusted_fen if o.adjusted_fen is not None else o.requested_fen
        before = call.budget_fen - spent_before[o.rank]
        rows.append(OutcomeRow(o, aggregation.Recommendation(
            application_id=o.application_id, rank=o.rank, recommended=o.recommended, amount_fen=o.amount_fen,
            remaining_fen=before - (o.amount_fen if o.recommended else 0), reason_code=o.reason_code,
            asked_fen=asked, pass_line=Decimal(call.pass_line), remaining_before_fen=before,
            tied_total_fen=sum((g.adjusted_fen if g.adjusted_fen is not None else g.requested_fen)
                               for g in group) if len(group) > 1 else 0)))
    scores = [o.final_score for o in stored]
    if len(set(scores)) != len(scores):
        notes = _tie_notes(call, {o.application_id: o.credit_bonus for o in stored if o.credit_bonus})
        for row in rows:
            row.tie_break = notes.get(row.outcome.application_id)
    return Results(call, rows)


def _tie_notes(call: Call, bonuses: dict[int, Decimal] | None = None) -> dict[int, str | None]:
    """Tie-break notes from the ranking of the panel's sheets (they need the per-criterion
    means, which are not stored), with the stored credit bonuses added as when ranked."""
    panel = panel_for(call)
    if panel is None:
        return {}
    applications = _applications(call, OUTCOME_STATUSES)
    by_id = {a.id: a for a in applications}
    sheets = [_as_sheet(a) for a in _assignments(panel) if a.application_id in by_id and _submitted(a)]
    scored = {s.application_id for s in sheets}
    facts = [aggregation.ApplicationFacts(a.id, a.requested_fen) for a in applications if a.id in scored]
    if not facts:
        return {}
    criteria = _criteria(call)
    results = aggregation.aggregate(call.aggregation.value, sheets, criteria, facts,
                                    disagreement_threshold=call.disagreement_threshold)
    bonuses = bonuses or {}
    results = [replace(r, final_score=r.final_score + bonuses.get(r.application_id, _ZERO)) for r in results]
    return {r.application_id: r.tie_break for r in aggregation.rank(results, criteria, facts)}


# --------------------------------------------------------------------------- adjustments

def adjustment_problem(call: Call, panel: Panel | None) -> str | None:
    """Why amounts cannot be adjusted now (None: they can)."""
    if call.status != CallStatus.REVIEWING:
        return _("征集当前处于“%(status)s”阶段；资助金额只能在评审结束后、公示前调整。", status=call.status.label)
    if panel is None or not panel.is_finalized:
        return _("评审尚未结束，结束评审后才能调整资助金额。")
    return None


def _adjustable(actor: Any, outcome: ReviewOutcome) -> Call:
    call = outcome_call(outcome)
    require(actor, "panel.manage", call)
    panel = panel_for(call)
    if panel is not None:
        _lock(panel)
    problem = adjustment_problem(call, panel)
    if problem:
        raise Conflict(problem)
    if outcome.cancelled_by_objection:
        raise Conflict(_("该项目的推荐已因异议成立被取消，不能调整金额。"))
    return call


def adjust_amount(actor: Any, outcome: ReviewOutcome, amount: str | int | None, reason: str | None,
                  *, now: datetime | None = None) -> ReviewOutcome:
    """调整资助金额: set the amount considered for `outcome` and recompute every outcome."""
    call = _adjustable(actor, outcome)
    if outcome.reason_code == aggregation.BELOW_PASS_LINE:
        raise ValidationError(_("该项目低于入围分数线，不会被推荐，无需调整金额。"), field="amount")
    if isinstance(amount, bool):
        raise ValidationError(_("请输入金额。"), field="amount")
    if isinstance(amount, int):
        fen = amount
        if fen <= 0:
            raise ValidationError(_("金额必须大于零。"), field="amount")
    else:
        try:
            fen = parse_yuan(amount)
        except ValidationError as err:
            raise ValidationError(err.message, field="amount") from None
    requested = outcome.requested_fen
    if fen > requested:
        raise ValidationError(_("调整后的金额不能超过申请金额 %(requested)s。", requested=format_fen(requested)),
                              field="amount")
    if not call.min_award_fen <= fen <= call.max_award_fen:
        raise ValidationError(_("调整后的金额必须在本征集的资助额度 %(low)s 至 %(high)s 之间。",
                                low=format_fen(call.min_award_fen), high=format_fen(call.max_award_fen)),
                              field="amount")
    if fen == requested:
        raise ValidationError(_("调整后的金额与申请金额相同；如需按申请金额推荐，请取消调整。"), field="amount")
    reason = clean_reason(reason, _("调整理由"), REASON_MAX)
    before = {"adjusted_fen": outcome.adjusted_fen, "adjust_reason": outcome.adjust_reason,
              "amount_fen": outcome.amount_fen, "recommended": outcome.recommended}
    outcome.adjusted_fen = fen
    outcome.adjust_reason = reason
    outcome.adjusted_by_id = getattr(actor, "id", None)
    outcome.adjusted_at = now or utcnow()
    db.session.flush()
    compute_outcomes(call, actor, now=now)
    audit.record(actor, "review_outcome.adjust", outcome, before=before, after={
        "adjusted_fen": fen, "adjust_reason": reason, "amount_fen": outcome.amount_fen,
        "recommended": outcome.recommended, "application_id": outcome.application_id})
    return outcome


def clear_adjustment(actor: Any, outcome: ReviewOutcome, *, now: datetime | None = None) -> ReviewOutcome:
    """取消调整: back to the requested amount; every outcome recomputed."""
    call = _adjustable(actor, outcome)
    if outcome.adjusted_fen is None:
        raise Conflict(_("该项目的资助金额没有调整过。"))
    before = {"adjusted_fen": outcome.adjusted_fen, "adjust_reason": outcome.adjust_reason,
              "amount_fen": outcome.amount_fen, "recommended": outcome.recommended}
    outcome.adjusted_fen = None
    outcome.adjust_reason = ""
    outcome.adjusted_by_id = None
    outcome.adjusted_at = None
    db.session.flush()
    compute_outcomes(call, actor, now=now)
    audit.record(actor, "review_outcome.clear_adjustment", outcome, before=before, after={
        "adjusted_fen": None, "amount_fen": outcome.amount_fen, "recommended": outcome.recommended,
        "application_id": outcome.application_id})
    return outcome

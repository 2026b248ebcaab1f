"""Eligibility screening (形式审查): the officer confirms or overrides the automatic checks.

The checks (app.applications.eligibility) suggest a result; the officer decides. A
decision that differs from the suggestion (an override) or that changes an earlier
decision (a revision) needs a written reason. Decisions are made only while the call is
in its screening phase; each moves the application to eligible / ineligible through the
state machine (audited) and announces `application.screened` so the applicant is told.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.applications.eligibility import Check, all_passed, gather_facts, run_checks
from app.applications.models import (Application, ApplicationCommunity, ApplicationStatus, Screening,
                                     ScreeningDecision)
from app.calls.models import Call, CallStatus
from app.core import audit
from app.core.db import MAX_ID
from app.core.errors import Conflict, ValidationError
from app.core.events import emit, subscribe
from app.core.forms import CONTROL_CHARS
from app.core.states import transition
from app.extensions import db
from app.orgs.models import Organization

REASON_MAX = 1000
# Applications the screening works on: waiting for a decision, or decided (revisable).
SCREENABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.ELIGIBLE, ApplicationStatus.INELIGIBLE)
DECIDED = (ApplicationStatus.ELIGIBLE, ApplicationStatus.INELIGIBLE)
_TARGET = {ScreeningDecision.ELIGIBLE: ApplicationStatus.ELIGIBLE,
           ScreeningDecision.INELIGIBLE: ApplicationStatus.INELIGIBLE}

# Filters of the batch view.
FILTERS = ("pending", "pass", "fail", "decided")


def suggestion(checks: list[Check]) -> ScreeningDecision:
    return ScreeningDecision.ELIGIBLE if all_passed(checks) else ScreeningDecision.INELIGIBLE


def decision_problem(application: Application) -> str | None:
    """Why no screening decision can be made on `application` now (None: it can)."""
    call = application.call
    if call.status != CallStatus.SCREENING:
        return _("征集“%(title)s”当前处于“%(status)s”阶段，只有在“形式审查”阶段才能作出或修改审查结论。",
                 title=call.title, status=call.status.label)
    if application.status not in SCREENABLE:
        return _("该申报书当前状态为“%(status)s”，不能进行形式审查。", status=application.status.label)
    return None


def _clean_reason(reason: Any) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if CONTROL_CHARS.search(reason):
        raise ValidationError(_("理由不能包含控制字符。"), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(_("理由不能超过 %(n)s 个字。", n=REASON_MAX), field="reason")
    return reason


def screen(actor: Any, application: Application, decision: ScreeningDecision | str, reason: str | None,
           now: datetime, *, checks: list[Check] | None = None) -> Screening:
    """Record the officer's decision on one application and move it to eligible/ineligible."""
    decision = decision if isinstance(decision, ScreeningDecision) else ScreeningDecision.coerce(decision)
    if decision is None:
        raise ValidationError(_("请选择审查结论：通过或不通过。"), field="decision")
    problem = decision_problem(application)
    if problem:
        raise Conflict(problem)
    reason = _clean_reason(reason)
    revision = application.status in DECIDED
    target = _TARGET[decision]
    if revision and application.status == target:
        raise Conflict(_("该申报书的审查结论已是“%(decision)s”，无需重复确认。", decision=decision.label))

    if checks is None:
        checks = run_checks(application, now)
    suggested = suggestion(checks)
    overridden = decision != suggested
    if overridden and not reason:
        raise ValidationError(
            _("审查结论（%(decision)s）与自动检查的建议（%(suggested)s）不一致，请填写理由。",
              decision=decision.label, suggested=suggested.label), field="reason")
    if revision and not reason:
        raise ValidationError(_("修改已作出的审查结论，请填写理由。"), field="reason")

    row = application.screening
    before = None
    if row is None:
        row = Screening(application=application)
        db.session.add(row)
    else:
        before = {"decision": row.decision, "overridden": row.overridden, "reason": row.reason,
                  "decided_by_id": row.decided_by_id}
    row.checks = [c.as_dict() for c in checks]
    row.checks_passed = suggested == ScreeningDecision.ELIGIBLE
    row.decision = decision
    row.overridden = overridden
    row.reason = reason
    row.decided_by_id = getattr(actor, "id", None)
    row.decided_at = now
    transition(application, target, actor, reason=reason or None)
    audit.record(actor, "application.screen", application, before=before, after={
        "decision": decision, "checks_passed": row.checks_passed, "overridden": overridden,
        "revision": revision, "reason": reason,
        "failed_rules": [c.rule for c in checks if not c.passed]})
    db.session.flush()
    emit("application.screened", application=application, actor=actor, decision=decision, reason=reason)
    return row


@dataclass
class BatchResult:
    confirmed: int = 0     # pending applications whose checks all passed: now eligible
    needs_review: int = 0  # pending applications with a failed check: left for the officer
    decided: int = 0       # already decided earlier: untouched


def screen_batch(actor: Any, applications: list[Application], now: datetime) -> BatchResult:
    """一键确认通过项: every pending application whose checks all pass becomes eligible.
    Never overrides and never revises an earlier decision."""
    result = BatchResult()
    for call in {a.call_id: a.call for a in applications}.values():
        if call.status != CallStatus.SCREENING:
            raise Conflict(_("征集“%(title)s”当前处于“%(status)s”阶段，只有在“形式审查”阶段才能确认审查结论。",
                             title=call.title, status=call.status.label))
    facts = gather_facts(applications)
    for application in applications:
        if application.status in DECIDED:
            result.decided += 1
            continue
        if application.status != ApplicationStatus.SUBMITTED:
            continue
        checks = run_checks(application, now, facts)
        if not all_passed(checks):
            result.needs_review += 1
            continue
        screen(actor, application, ScreeningDecision.ELIGIBLE, "", now, checks=checks)
        result.confirmed += 1
    return result


# --- the batch view --------------------------------------------------------------------

@dataclass
class ScreeningRow:
    application: Application
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all_passed(self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def suggested(self) -> ScreeningDecision:
        return suggestion(self.checks)

    @property
    def pending(self) -> bool:
        return self.application.status == ApplicationStatus.SUBMITTED

    @property
    def screening(self) -> Screening | None:
        return self.application.screening

    def matches(self, status: str | None) -> bool:
        if status == "pending":
            return self.pending
        if status == "pass":
            return self.pending and self.passed
        if status == "fail":
            return self.pending and not self.passed
        if status == "decided":
            return not self.pending
        return True


def screening_row(application: Application, now: datetime) -> ScreeningRow:
    return ScreeningRow(application, run_checks(application, now))


def proposed_decision(application: Application, row: ScreeningRow) -> ScreeningDecision:
    """What the decision form starts with: the suggestion for a first decision, the other
    result for a revision (repeating the current one is refused)."""
    if application.status == ApplicationStatus.ELIGIBLE:
        return ScreeningDecision.INELIGIBLE
    if application.status == ApplicationStatus.INELIGIBLE:
        return ScreeningDecision.ELIGIBLE
    return row.suggested


def screening_query(call: Call, q: str | None = None):
    """The call's applications under screening (pending first), with everything the checks
    read loaded in a fixed number of queries."""
    pending_first = case((Application.status == ApplicationStatus.SUBMITTED, 0), else_=1)
    stmt = (
        select(Application)
        .where(Application.call_id == call.id, Application.current_version > 0,
               Application.status.in_(SCREENABLE))
        .options(
            joinedload(Application.organization).joinedload(Organization.home_community),
            selectinload(Application.attachments),
            selectinload(Application.budget_lines),
            selectinload(Application.community_rows).joinedload(ApplicationCommunity.community),
            selectinload(Application.target_rows),
            selectinload(Application.screening).joinedload(Screening.decided_by),
        )
        .order_by(pending_first, Application.submitted_at, Application.id)
    )
    if q:
        needle = q.lower()
        stmt = stmt.join(Organization, Organization.id == Application.organization_id).where(
            or_(func.lower(Application.title).contains(needle, autoescape=True),
                func.lower(Organization.name).contains(needle, autoescape=True)))
    return stmt


def screening_rows(call: Call, now: datetime, status: str | None = None, q: str | None = None) -> list[ScreeningRow]:
    """Rows of the batch view, checks computed, optionally filtered by one of FILTERS."""
    applications = list(db.session.scalars(screening_query(call, q)).unique().all())
    facts = gather_facts(applications)
    rows = [ScreeningRow(a, run_checks(a, now, facts)) for a in applications]
    return [r for r in rows if r.matches(status)]


@dataclass
class Overview:
    rows: list[ScreeningRow]          # filtered
    counts: dict[str, int]            # per filter key, plus "all", before the status filter


def screening_overview(call: Call, now: datetime, status: str | None = None, q: str | None = None) -> Overview:
    rows = screening_rows(call, now, q=q)
    counts = {"all": len(rows), **{key: sum(1 for r in rows if r.matches(key)) for key in FILTERS}}
    return Overview([r for r in rows if r.matches(status)], counts)


class ListPagination(Pagination):
    """Flask-SQLAlchemy's pagination over a list already in memory (the rows' checks are
    computed in Python, so the status filter cannot be a SQL clause)."""

    def _query_items(self) -> list[Any]:
        items = self._query_args["items"]
        return items[self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_rows(rows: list, page: int, per_page: int) -> Pagination:
    return ListPagination(page=page, per_page=per_page, error_out=False, items=rows)


def get_for_screening(application_id: int) -> Application | None:
    """One application with what its checks and the screening page read; None when the id
    is out of range or unknown."""
    if not 0 < application_id <= MAX_ID:
        return None
    return db.session.scalars(
        select(Application).where(Application.id == application_id).options(
            selectinload(Application.attachments), selectinload(Application.budget_lines),
            selectinload(Application.community_rows), selectinload(Application.target_rows),
            selectinload(Application.screening).joinedload(Screening.decided_by))
    ).unique().one_or_none()


def pending_applications(call: Call) -> list[Application]:
    """The call's applications waiting for a screening decision (for `screen_batch`)."""
    return list(db.session.scalars(
        screening_query(call).where(Application.status == ApplicationStatus.SUBMITTED)).unique().all())


@subscribe("call.advancing")
def _screening_must_be_finished(call: Call, to: CallStatus, now: datetime, **_kw) -> None:
    """A call leaves screening only when every submitted application has a decision and no
    returned one can still be corrected (a correction deadline that has passed lets go)."""
    if call.status != CallStatus.SCREENING:
        return
    waiting = db.session.scalar(select(func.count(Application.id)).where(
        Application.call_id == call.id, Application.status == ApplicationStatus.SUBMITTED)) or 0
    correcting = db.session.scalar(select(func.count(Application.id)).where(
        Application.call_id == call.id, Application.status == ApplicationStatus.RETURNED,
        Application.correction_due_at > now)) or 0
    if waiting or correcting:
        raise Conflict(_("形式审查尚未完成：%(waiting)s 份申报书待审查，%(correcting)s 份退回补正尚在补正期限内。",
                         waiting=waiting, correcting=correcting))

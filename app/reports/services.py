"""Project reports (项目报告, SPEC §2 Report, §3.4): the progress (中期) and final (结项)
reports of an award, their review, rating, reminders and the completion certificate.

The flow, each step a service below:

1. ``ensure_reports`` — every award has one progress report, due at the midpoint of its
   term (the signed agreement's starts_on..ends_on, or the application's period before
   there is an agreement), and one final report due 15 days after the end.
   The rows are created on first access (idempotent, race-safe) and when an
   ``agreement.signed`` event is emitted; a draft's due date follows the agreement's term.
2. ``save_report`` — the organization writes a draft (or a returned report): narrative,
   problems, beneficiaries per target group of the application, the actual value of every
   outcome indicator and the money spent on every budget line. Every field is checked and
   all messages are given at once (``ReportInvalid``); nothing is saved unless all pass.
   Photos (PNG/JPEG) are added and removed separately (``add_photo`` / ``remove_photo``).
3. ``submit`` — complete reports only (narrative, every indicator, every budget line),
   and the final report only after the progress report was accepted; the funder's program
   officers are told.
4. ``accept`` / ``return_report`` / ``fail`` — the program officer's review. Accepting
   fires the installment trigger (progress_accepted / final_accepted) through
   app.money.installments; a final report is rated 优秀/良好/合格; a failed report is rated
   不合格 and withholds the remaining installments.
5. ``send_report_reminders`` — for ``flask notify due``: drafts and returned reports due
   within ``REMINDER_DAYS`` days, and overdue ones, once per report and kind of reminder.

Status changes are guarded by a conditional UPDATE on the current status, so of two
officers accepting the same report at once only one fires the trigger; each change is
written to the audit log.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload

from app.applications.models import BudgetLine, OutcomeIndicator
from app.auth.models import User
from app.awards.models import Award
from app.calls.models import Call
from app.core import audit, uploads
from app.core.audit import AuditEntry
from app.core.db import MAX_ID, utcnow
from app.core.enums import N_
from app.core.errors import Conflict, NotFound, ValidationError
from app.core.events import emit, subscribe
from app.core.forms import CONTROL_CHARS
from app.core.money import MAX_FEN, fen_to_input, parse_yuan
from app.core.permissions import require
from app.extensions import db
from app.money.agreements import reporting_dates, term_for
from app.money.models import Agreement, AgreementStatus, Installment
from app.orgs.models import ServiceTarget
from app.reports.models import (Report, ReportExpense, ReportIndicator, ReportKind, ReportPhoto, ReportRating,
                                ReportStatus)

CHINA = ZoneInfo("Asia/Shanghai")

SUBDIR = "reports"
PHOTO_TYPES = frozenset({"png", "jpeg"})
MAX_PHOTOS = 12
REMINDER_DAYS = 7
NARRATIVE_MAX = 5000
PROBLEMS_MAX = 3000
NOTE_MAX = 300
CAPTION_MAX = 200
REASON_MIN, REASON_MAX = 5, 1000
COMMENT_MAX = 1000
MAX_BENEFICIARIES = 10_000_000
MAX_ACTUAL = Decimal("999999999999.99")  # Numeric(14, 2)

EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
FINAL_RATINGS = (ReportRating.EXCELLENT, ReportRating.GOOD, ReportRating.PASS)
TRIGGERS = {ReportKind.PROGRESS: "progress_accepted", ReportKind.FINAL: "final_accepted"}

_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
_INTEGER = re.compile(r"^[0-9]+$")


class ReportInvalid(ValidationError):
    """Several fields of a report are wrong: ``errors`` maps each form field to its
    message; ``message`` sums them up. Nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors.values()))
        super().__init__(_("报告有 %(n)s 处需要修改：%(first)s", n=len(errors), first=first)
                         if len(errors) > 1 else first, field=next(iter(errors)))
        self.errors = errors


# --- small helpers ------------------------------------------------------------------------

def today_in_china(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CHINA).date()


def _text(value: Any, label: str, max_len: int) -> tuple[str, str | None]:
    """(cleaned text, error or None)."""
    value = value.strip() if isinstance(value, str) else ""
    if CONTROL_CHARS.search(value):
        return value, _("%(label)s不能包含控制字符。", label=label)
    if len(value) > max_len:
        return value, _("%(label)s不能超过 %(max)s 个字。", label=label, max=max_len)
    return value, None


def _number_error(raw: str, label: str) -> str | None:
    """Why ``raw`` is not a plain non-negative number with up to two decimals (None: it is)."""
    if not raw.isascii():
        return _("%(label)s请使用半角数字，例如 120 或 85.5。", label=label)
    if raw.startswith("-"):
        return _("%(label)s不能为负数。", label=label)
    if re.match(r"^[0-9]+\.[0-9]{3,}$", raw):
        return _("%(label)s最多保留两位小数。", label=label)
    if not _DECIMAL.match(raw):
        return _("%(label)s请填写数字，例如 120 或 85.5。", label=label)
    return None


def parse_actual(value: Any, label: str) -> tuple[Decimal | None, str | None]:
    """An indicator's actual value: blank → (None, None); a plain number ≥ 0 with at most
    two decimals → (Decimal, None); anything else → (None, message)."""
    raw = str(value).strip().replace(",", "") if value is not None else ""
    if not raw:
        return None, None
    error = _number_error(raw, label)
    if error:
        return None, error
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None, _("%(label)s请填写数字，例如 120 或 85.5。", label=label)
    if number > MAX_ACTUAL:
        return None, _("%(label)s数值过大，请核对。", label=label)
    return number, None


def parse_count(value: Any, label: str) -> tuple[int | None, str | None]:
    """A number of people: blank → (None, None); a whole number ≥ 0 → (int, None)."""
    raw = str(value).strip().replace(",", "") if value is not None else ""
    if not raw:
        return None, None
    if not raw.isascii():
        return None, _("%(label)s请使用半角数字。", label=label)
    if raw.startswith("-"):
        return None, _("%(label)s不能为负数。", label=label)
    if not _INTEGER.match(raw):
        return None, _("%(label)s请填写整数（人数）。", label=label)
    count = int(raw)
    if count > MAX_BENEFICIARIES:
        return None, _("%(label)s不能超过 %(max)s 人，请核对。", label=label, max=f"{MAX_BENEFICIARIES:,}")
    return count, None


def percent(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """part / whole as a percentage with one decimal; None when it cannot be computed."""
    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- lookups ------------------------------------------------------------------------------

def get_report(report_id: int) -> Report | None:
    if not 0 < report_id <= MAX_ID:
        return None
    return db.session.get(Report, report_id)


def get_photo(photo_id: int) -> ReportPhoto | None:
    if not 0 < photo_id <= MAX_ID:
        return None
    return db.session.get(ReportPhoto, photo_id)


def get_award(award_id: int) -> Award | None:
    if not 0 < award_id <= MAX_ID:
        return None
    return db.session.get(Award, award_id)


def agreement_of(award: Award) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.award_id == award.id))


def term(award: Award, agreement: Agreement | None = None) -> tuple[date, date]:
    """The project's term: the agreement's, else the one its agreement will be given (the
    application's period; a year from the award without one — app.money.agreements)."""
    agreement = agreement or agreement_of(award)
    if agreement is not None:
        return agreement.starts_on, agreement.ends_on
    planned = term_for(award)
    return planned.starts_on, planned.ends_on


def due_dates(award: Award, agreement: Agreement | None = None) -> dict[ReportKind, date]:
    """Progress: the midpoint of the term; final: FINAL_REPORT_DAYS (15) after its end —
    the dates the agreement states as the reporting duties."""
    progress, final = reporting_dates(*term(award, agreement))
    return {ReportKind.PROGRESS: progress, ReportKind.FINAL: final}


def reports_of(award: Award) -> list[Report]:
    """The award's reports, progress first (creating them when missing)."""
    ensure_reports(award)
    rows = db.session.scalars(select(Report).where(Report.award_id == award.id)).all()
    order = list(ReportKind)
    return sorted(rows, key=lambda r: order.index(r.kind))


def ensure_reports(award: Award, agreement: Agreement | None = None) -> list[Report]:
    """Create the award's progress and final reports if missing (idempotent; a second
    writer racing on the UNIQUE (award, kind) is absorbed), and keep the due date of a
    draft in step with the agreement's term. Returns the reports created."""
    dues = due_dates(award, agreement)
    existing = {r.kind: r for r in db.session.scalars(select(Report).where(Report.award_id == award.id))}
    created = []
    for kind, due in dues.items():
        report = existing.get(kind)
        if report is None:
            report = Report(award_id=award.id, kind=kind, status=ReportStatus.DRAFT, due_on=due,
                            narrative="", problems="", beneficiaries={})
            try:
                with db.session.begin_nested():
                    db.session.add(report)
                    db.session.flush()
            except IntegrityError:
                continue  # made by a concurrent request
            created.append(report)
        elif report.status == ReportStatus.DRAFT and report.due_on != due:
            report.due_on = due
    if created:
        db.session.flush()
        audit.record(None, "report.create", award, after={
            "reports": [[r.id, r.kind, r.due_on] for r in created]})
    return created


@subscribe("agreement.signed")
def _on_agreement_signed(agreement: Agreement | None = None, award: Award | None = None, **_payload) -> None:
    """When the agreements domain announces a signed agreement, the reports are due by
    its term."""
    award = award or (agreement.award if agreement is not None else None)
    if award is not None:
        ensure_reports(award, agreement)


# --- what a report shows -------------------------------------------------------------------

@dataclass
class IndicatorRow:
    indicator: OutcomeIndicator
    actual: Decimal | None
    note: str

    @property
    def achieved(self) -> Decimal | None:
        return percent(self.actual, self.indicator.target)


@dataclass
class ExpenseRow:
    line: BudgetLine
    spent_fen: int | None
    note: str

    @property
    def planned_fen(self) -> int:
        return self.line.amount_fen

    @property
    def rate(self) -> Decimal | None:
        return percent(self.spent_fen, self.planned_fen)


@dataclass
class ReportView:
    """Everything a page or the certificate shows of one report."""

    report: Report
    indicators: list[IndicatorRow]
    expenses: list[ExpenseRow]
    beneficiaries: list[tuple[ServiceTarget, int | None]]
    planned_fen: int
    spent_fen: int
    missing: list[str] = field(default_factory=list)

    @property
    def rate(self) -> Decimal | None:
        return percent(self.spent_fen, self.planned_fen)

    @property
    def beneficiaries_total(self) -> int:
        return sum(n or 0 for _t, n in self.beneficiaries)


def view(report: Report) -> ReportView:
    """The report against the application's indicators, budget and target groups."""
    application = report.award.application
    actuals = {r.indicator_id: r for r in report.indicators}
    spent = {r.budget_line_id: r for r in report.expenses}
    indicators = [IndicatorRow(i, actuals[i.id].actual if i.id in actuals else None,
                               actuals[i.id].note if i.id in actuals else "") for i in application.indicators]
    expenses = [ExpenseRow(b, spent[b.id].spent_fen if b.id in spent else None,
                           spent[b.id].note if b.id in spent else "") for b in application.budget_lines]
    counts = report.beneficiaries or {}
    beneficiaries = [(t, counts.get(t.value)) for t in application.target_groups]
    result = ReportView(report, indicators, expenses, beneficiaries,
                        planned_fen=sum(r.planned_fen for r in expenses),
                        spent_fen=sum(r.spent_fen or 0 for r in expenses))
    result.missing = completeness_problems(result)
    return result


def completeness_problems(v: ReportView) -> list[str]:
    """What is still missing before the report can be submitted."""
    problems = []
    if not (v.report.narrative or "").strip():
        problems.append(_("请填写项目执行情况。"))
    for row in v.indicators:
        if row.actual is None:
            problems.append(_("请填写指标“%(name)s”的实际完成值。", name=row.indicator.name))
    for row in v.expenses:
        if row.spent_fen is None:
            problems.append(_("请填写预算“%(item)s”的实际支出（没有支出请填 0）。", item=row.line.item))
    return problems


# --- writing --------------------------------------------------------------------------------

def field_names(report: Report) -> dict[str, list[str]]:
    """The form field names of a report's parts (the edit form and the tests use them)."""
    application = report.award.application
    return {
        "beneficiaries": [f"beneficiaries-{t.value}" for t in application.target_groups],
        "indicators": [f"indicator-{i.id}-actual" for i in application.indicators],
        "expenses": [f"expense-{b.id}-spent" for b in application.budget_lines],
    }


def form_values(report: Report) -> dict[str, str]:
    """The saved report as the edit form's field values."""
    values = {"narrative": report.narrative or "", "problems": report.problems or ""}
    for target, count in (report.beneficiaries or {}).items():
        values[f"beneficiaries-{target}"] = str(count)
    for row in report.indicators:
        text = f"{row.actual:f}"
        values[f"indicator-{row.indicator_id}-actual"] = text.rstrip("0").rstrip(".") if "." in text else text
        values[f"indicator-{row.indicator_id}-note"] = row.note or ""
    for row in report.expenses:
        values[f"expense-{row.budget_line_id}-spent"] = fen_to_input(row.spent_fen)
        values[f"expense-{row.budget_line_id}-note"] = row.note or ""
    return values


def _require_editable(report: Report) -> None:
    if report.status not in EDITABLE:
        raise Conflict(_("报告当前状态为“%(status)s”，不能修改。", status=report.status.label))


def save_report(actor: Any, report: Report, data: Mapping[str, Any]) -> Report:
    """Save the organization's draft from ``data`` (the form's fields: ``narrative``,
    ``problems``, ``beneficiaries-<target>``, ``indicator-<id>-actual`` / ``-note``,
    ``expense-<id>-spent`` (yuan) / ``-note``). Blank numbers stay unfilled; wrong ones
    raise ReportInvalid with a message per field and nothing is saved."""
    award = report.award
    require(actor, "report.submit", award)
    _require_editable(report)
    application = award.application
    errors: dict[str, str] = {}

    def get(name: str) -> Any:
        value = data.get(name) if hasattr(data, "get") else None
        return value if isinstance(value, str) else ("" if value is None else str(value))

    narrative, error = _text(get("narrative"), _("项目执行情况"), NARRATIVE_MAX)
    if error:
        errors["narrative"] = error
    problems, error = _text(get("problems"), _("问题与改进"), PROBLEMS_MAX)
    if error:
        errors["problems"] = error

    beneficiaries: dict[str, int] = {}
    for target in application.target_groups:
        name = f"beneficiaries-{target.value}"
        count, error = parse_count(get(name), _("%(group)s受益人数", group=target.label))
        if error:
            errors[name] = error
        elif count is not None:
            beneficiaries[target.value] = count

    actuals: dict[int, tuple[Decimal | None, str]] = {}
    for indicator in application.indicators:
        name = f"indicator-{indicator.id}-actual"
        actual, error = parse_actual(get(name), _("“%(name)s”的实际值", name=indicator.name))
        if error:
            errors[name] = error
        note, error = _text(get(f"indicator-{indicator.id}-note"), _("说明"), NOTE_MAX)
        if error:
            errors[f"indicator-{indicator.id}-note"] = error
        actuals[indicator.id] = (actual, note)

    spending: dict[int, tuple[int | None, str]] = {}
    for line in application.budget_lines:
        name = f"expense-{line.id}-spent"
        raw = get(name).strip()
        spent = None
        if raw:
            try:
                spent = parse_yuan(raw, allow_zero=True, max_fen=MAX_FEN)
            except ValidationError as err:
                errors[name] = _("“%(item)s”的实际支出：%(message)s", item=line.item, message=err.message)
        note, error = _text(get(f"expense-{line.id}-note"), _("说明"), NOTE_MAX)
        if error:
            errors[f"expense-{line.id}-note"] = error
        spending[line.id] = (spent, note)

    if errors:
        raise ReportInvalid(errors)

    before = summary(report)
    report.narrative, report.problems, report.beneficiaries = narrative, problems, beneficiaries
    by_indicator = {r.indicator_id: r for r in report.indicators}
    for indicator_id, (actual, note) in actuals.items():
        row = by_indicator.get(indicator_id)
        if actual is None:
            if row is not None:
                report.indicators.remove(row)
        elif row is None:
            report.indicators.append(ReportIndicator(indicator_id=indicator_id, actual=actual, note=note))
        else:
            row.actual, row.note = actual, note
    by_line = {r.budget_line_id: r for r in report.expenses}
    for line_id, (spent, note) in spending.items():
        row = by_line.get(line_id)
        if spent is None:
            if row is not None:
                report.expenses.remove(row)
        elif row is None:
            report.expenses.append(ReportExpense(budget_line_id=line_id, spent_fen=spent, note=note))
        else:
            row.spent_fen, row.note = spent, note
    db.session.flush()
    after = summary(report)
    if after != before:
        audit.record(actor, "report.save", report, before=before, after=after)
    return report


def summary(report: Report) -> dict:
    """The report's content for the audit log."""
    return {
        "narrative": report.narrative or "", "problems": report.problems or "",
        "beneficiaries": dict(sorted((report.beneficiaries or {}).items())),
        "indicators": sorted([r.indicator_id, str(r.actual), r.note] for r in report.indicators),
        "expenses": sorted([r.budget_line_id, r.spent_fen, r.note] for r in report.expenses),
    }


# --- photos ---------------------------------------------------------------------------------

def photo_count(report: Report) -> int:
    return db.session.scalar(select(func.count(ReportPhoto.id)).where(ReportPhoto.report_id == report.id)) or 0


def add_photo(actor: Any, report: Report, file: Any, caption: Any = "", *, filename: str | None = None) -> ReportPhoto:
    """Store a PNG or JPEG photo of the project (type by content) with its caption."""
    require(actor, "report.submit", report.award)
    _require_editable(report)
    caption, error = _text(caption, _("照片说明"), CAPTION_MAX)
    if error:
        raise ValidationError(error, field="caption")
    if photo_count(report) >= MAX_PHOTOS:
        raise Conflict(_("每份报告最多上传 %(max)s 张照片，请先删除不需要的照片。", max=MAX_PHOTOS))
    if file is None or (getattr(file, "filename", None) == "" and filename is None):
        raise ValidationError(_("请选择要上传的照片。"), field="file")
    stored = uploads.store(file, allowed=PHOTO_TYPES, subdir=SUBDIR, filename=filename)
    uploads.discard_on_rollback(db.session, SUBDIR, stored.stored_name)
    photo = ReportPhoto(report_id=report.id, caption=caption, original_name=stored.original_name,
                        stored_name=stored.stored_name, content_type=stored.content_type,
                        size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_at=utcnow(),
                        uploaded_by_id=getattr(actor, "id", None))
    db.session.add(photo)
    db.session.flush()
    audit.record(actor, "report.photo.add", photo, after=_photo_summary(photo))
    return photo


def remove_photo(actor: Any, photo: ReportPhoto) -> None:
    report = db.session.get(Report, photo.report_id)
    require(actor, "report.submit", report.award)
    _require_editable(report)
    audit.record(actor, "report.photo.remove", photo, before=_photo_summary(photo))
    stored_name = photo.stored_name
    db.session.delete(photo)
    db.session.flush()
    uploads.delete_after_commit(db.session, SUBDIR, stored_name)


def _photo_summary(photo: ReportPhoto) -> dict:
    return {"report_id": photo.report_id, "caption": photo.caption, "name": photo.original_name,
            "stored_name": photo.stored_name, "content_type": photo.content_type,
            "size_bytes": photo.size_bytes, "sha256": photo.sha256}


def photos(report: Report) -> list[ReportPhoto]:
    return list(db.session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report.id)
                                   .order_by(ReportPhoto.id)))


# --- status changes -------------------------------------------------------------------------

def _move(actor: Any, report: Report, allowed_from: Iterable[ReportStatus], to: ReportStatus,
          values: dict, reason: str | None = None) -> None:
    """Change the status only if it is still one of ``allowed_from`` (a conditional UPDATE:
    of two concurrent reviews the second is refused), then audit it."""
    allowed = tuple(allowed_from)
    before = report.status
    result = db.session.execute(
        update(Report).where(Report.id == report.id, Report.status.in_(allowed))
        .values(status=to, updated_at=utcnow(), **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(report)
        raise Conflict(_("报告当前状态为“%(status)s”，不能执行此操作。", status=report.status.label))
    db.session.refresh(report)
    after: dict[str, Any] = {"status": to}
    if reason:
        after["reason"] = reason
    for key in ("rating", "review_comment"):
        if key in values and values[key]:
            after[key] = values[key]
    audit.record(actor, "report.status", report, before={"status": before}, after=after)


def _reason(value: Any, label: str) -> str:
    text, error = _text(value, label, REASON_MAX)
    if error:
        raise ValidationError(error, field="reason")
    if not text:
        raise ValidationError(_("请填写%(label)s。", label=label), field="reason")
    if len(text) < REASON_MIN:
        raise ValidationError(_("%(label)s至少 %(min)s 个字。", label=label, min=REASON_MIN), field="reason")
    return text


def progress_report(award: Award) -> Report | None:
    return db.session.scalar(select(Report).where(Report.award_id == award.id,
                                                  Report.kind == ReportKind.PROGRESS))


def submit_problems(report: Report) -> list[str]:
    """Why the report cannot be submitted now (empty: it can)."""
    if report.status not in EDITABLE:
        return [_("报告当前状态为“%(status)s”，不能提交。", status=report.status.label)]
    agreement = agreement_of(report.award)
    if agreement is None or agreement.status != AgreementStatus.SIGNED:
        return [_("资助协议生效后才能提交项目报告。")]
    if report.kind == ReportKind.FINAL:
        progress = progress_report(report.award)
        if progress is None or progress.status != ReportStatus.ACCEPTED:
            return [_("中期报告审核通过后才能提交结项报告。")]
    return []


def submit(actor: Any, report: Report, now: datetime | None = None) -> Report:
    """DRAFT/RETURNED → SUBMITTED, once complete; the program officers are told."""
    award = report.award
    require(actor, "report.submit", award)
    now = now or utcnow()
    order = submit_problems(report)
    if order:
        raise Conflict(" ".join(order))
    missing = completeness_problems(view(report))
    if missing:
        raise ValidationError(_("报告还不完整：%(missing)s", missing=" ".join(missing)), field="narrative")
    resubmission = report.status == ReportStatus.RETURNED
    _move(actor, report, EDITABLE, ReportStatus.SUBMITTED,
          {"submitted_at": now, "submitted_by_id": getattr(actor, "id", None),
           "first_submitted_at": func.coalesce(Report.first_submitted_at, now)})
    _tell_officers(report, resubmission)
    return report


def _coerce_rating(rating: Any) -> ReportRating | None:
    if isinstance(rating, ReportRating):
        return rating
    return ReportRating.coerce(rating if isinstance(rating, str) else None)


def accept(actor: Any, report: Report, rating: Any = None, comment: Any = "",
           now: datetime | None = None) -> Report:
    """SUBMITTED → ACCEPTED (a final report rated 优秀/良好/合格); fires the installment
    trigger of the report's kind."""
    require(actor, "report.review", report)
    now = now or utcnow()
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(_("只有待审核的报告才能审核通过（当前状态：%(status)s）。", status=report.status.label))
    comment, error = _text(comment, _("审核意见"), COMMENT_MAX)
    if error:
        raise ValidationError(error, field="comment")
    value = None
    if report.kind == ReportKind.FINAL:
        value = _coerce_rating(rating)
        if value not in FINAL_RATINGS:
            raise ValidationError(_("结项报告审核通过时请评定等级：优秀、良好或合格（不合格请选择“不通过”）。"),
                                  field="rating")
    _move(actor, report, (ReportStatus.SUBMITTED,), ReportStatus.ACCEPTED,
          {"reviewed_at": now, "reviewed_by_id": getattr(actor, "id", None), "review_comment": comment,
           "rating": value})
    from app.money.installments import fire_trigger

    fire_trigger(report.award, TRIGGERS[report.kind], actor, now=now)
    _tell_members(report, "report.accepted", N_("%(kind)s已审核通过：%(project)s"),
                  N_("“%(org)s”的项目《%(project)s》%(kind)s已审核通过。%(rating)s%(comment)s"),
                  rating=value, comment=comment)
    return report


def return_report(actor: Any, report: Report, reason: Any, now: datetime | None = None) -> Report:
    """SUBMITTED → RETURNED with the reason; the organization corrects and resubmits."""
    require(actor, "report.review", report)
    now = now or utcnow()
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(_("只有待审核的报告才能退回（当前状态：%(status)s）。", status=report.status.label))
    reason = _reason(reason, _("退回原因"))
    _move(actor, report, (ReportStatus.SUBMITTED,), ReportStatus.RETURNED,
          {"reviewed_at": now, "reviewed_by_id": getattr(actor, "id", None), "review_comment": reason,
           "times_returned": Report.times_returned + 1},
          reason=reason)
    _tell_members(report, "report.returned", N_("%(kind)s被退回修改：%(project)s"),
                  N_("“%(org)s”的项目《%(project)s》%(kind)s被退回修改。\n退回原因：%(comment)s\n请修改后重新提交。"),
                  comment=reason)
    return report


def fail(actor: Any, report: Report, reason: Any, now: datetime | None = None) -> Report:
    """SUBMITTED → FAILED, rated 不合格: the award's remaining installments are withheld
    (after a failed midterm nothing more is paid; after a failed final the last
    installment stays unpaid); the organization is told."""
    require(actor, "report.review", report)
    now = now or utcnow()
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(_("只有待审核的报告才能评定为不通过（当前状态：%(status)s）。", status=report.status.label))
    reason = _reason(reason, _("不通过的理由"))
    _move(actor, report, (ReportStatus.SUBMITTED,), ReportStatus.FAILED,
          {"reviewed_at": now, "reviewed_by_id": getattr(actor, "id", None), "review_comment": reason,
           "rating": ReportRating.FAIL}, reason=reason)
    from app.money.installments import withhold_remaining

    with force_locale("zh_CN"):
        withheld = _("%(kind)s未通过：%(reason)s", kind=report.kind.label, reason=reason)
    withhold_remaining(report.award, actor, withheld[:500])
    _tell_members(report, "report.failed", N_("%(kind)s未通过：%(project)s"),
                  N_("“%(org)s”的项目《%(project)s》%(kind)s经审核评定为不合格，剩余资金暂停拨付。\n理由：%(comment)s"),
                  comment=reason)
    return report


# --- notifications ----------------------------------------------------------------------------

def report_link(report: Report) -> str:
    return f"/reports/{report.id}"


def _tell(report: Report, audience: str, kind: str, title: str, body: str,
          dedupe_key: str | None = None) -> int:
    """Tell the organization's members (``audience`` "members") or the call's program
    officers ("officers"); the notifications domain delivers (it subscribes to
    "report.notice"). Returns how many notifications were created."""
    sent: list[int] = []
    emit("report.notice", report=report, audience=audience, kind=kind, title=title, body=body,
         link=report_link(report), dedupe_key=dedupe_key, sent=sent)
    return len(sent)


def _names(report: Report) -> dict[str, str]:
    award = report.award
    title = award.application.title
    return {"project": title if len(title) <= 60 else title[:59] + "…", "org": award.organization.name,
            "kind": report.kind.label}


def _tell_members(report: Report, kind: str, title: str, body: str, *, rating: ReportRating | None = None,
                  comment: str = "") -> None:
    # Texts are stored in Chinese whoever caused them (the inbox is read in many languages later).
    with force_locale("zh_CN"):
        names = _names(report)
        rating_text = _("评定等级：%(rating)s。", rating=rating.label) if rating else ""
        comment_text = (_("\n审核意见：%(comment)s", comment=comment)
                        if comment and kind == "report.accepted" else comment)
        subject = _(title, **names)
        text = _(body, rating=rating_text, comment=comment_text, **names)
    _tell(report, "members", kind, subject, text)


def _tell_officers(report: Report, resubmission: bool) -> None:
    with force_locale("zh_CN"):
        names = _names(report)
        verb = _("重新提交") if resubmission else _("提交")
        subject = _("%(kind)s待审核：%(project)s", **names)
        text = _("“%(org)s”%(verb)s了项目《%(project)s》的%(kind)s，请及时审核。", verb=verb, **names)
    _tell(report, "officers", "report.submitted", subject, text)


# --- reminders (`flask notify due`) ------------------------------------------------------------

def _awards_missing_reports() -> list[Award]:
    """Awards with a signed agreement but not both reports yet."""
    counted = (select(func.count(Report.id)).where(Report.award_id == Award.id).scalar_subquery())
    return list(db.session.scalars(
        select(Award).join(Agreement, Agreement.award_id == Award.id)
        .where(Agreement.status == AgreementStatus.SIGNED, counted < len(ReportKind))
        .order_by(Award.id)).unique())


def send_report_reminders(now: datetime | None = None) -> int:
    """Remind the organization's members of each draft or returned report due within
    REMINDER_DAYS days ("soon") or past its due date ("overdue"): once per report and
    kind of reminder, however often it runs. Returns how many notifications were created."""
    now = now or utcnow()
    for award in _awards_missing_reports():
        ensure_reports(award)
    today = today_in_china(now)
    rows = db.session.scalars(
        select(Report).join(Agreement, Agreement.award_id == Report.award_id)
        .where(Report.status.in_(EDITABLE), Agreement.status == AgreementStatus.SIGNED,
               Report.due_on <= today + timedelta(days=REMINDER_DAYS))
        .options(lazyload(Report.indicators), lazyload(Report.expenses))
        .order_by(Report.due_on, Report.id)).unique().all()
    created = 0
    for report in rows:
        overdue = report.due_on < today
        with force_locale("zh_CN"):
            names = _names(report)
            due = report.due_on.isoformat()
            if overdue:
                title = _("%(kind)s已逾期：%(project)s", **names)
                body = _("“%(org)s”的项目《%(project)s》%(kind)s应于 %(due)s 前提交，现已逾期 %(days)s 天。"
                         "逾期未交会影响后续资金拨付，请尽快填写并提交。",
                         due=due, days=(today - report.due_on).days, **names)
            else:
                title = _("%(kind)s即将到期：%(project)s", **names)
                body = _("“%(org)s”的项目《%(project)s》%(kind)s应于 %(due)s 前提交（还有 %(days)s 天），请及时填写并提交。",
                         due=due, days=(report.due_on - today).days, **names)
        key = f"report-{'overdue' if overdue else 'due'}:{report.id}"
        created += _tell(report, "members", "report.reminder", title, body, dedupe_key=key)
    return created


# --- lists ------------------------------------------------------------------------------------

@dataclass
class ReportFilters:
    status: ReportStatus | None = None
    kind: ReportKind | None = None
    overdue: bool = False


def _scope(user: Any):
    """Which reports ``user`` sees in the list: those of their organizations' awards
    (to write) and of their funders' calls (to review or read); admins all."""
    if getattr(user, "is_admin", False):
        return None
    org_ids = [m.organization_id for m in user.org_memberships]
    funder_ids = [m.funder_id for m in user.staff_memberships]
    clauses = []
    if org_ids:
        clauses.append(Award.organization_id.in_(org_ids))
    if funder_ids:
        clauses.append(Call.funder_id.in_(funder_ids))
    return or_(*clauses) if clauses else False


def ensure_reports_in_scope(user: Any) -> int:
    """Create the missing reports of the awards ``user`` sees (one query when none is
    missing). Returns how many awards needed them."""
    scope = _scope(user)
    if scope is False:
        return 0
    counted = select(func.count(Report.id)).where(Report.award_id == Award.id).scalar_subquery()
    stmt = (select(Award).join(Call, Call.id == Award.call_id).where(counted < len(ReportKind))
            .order_by(Award.id).limit(200))
    if scope is not None:
        stmt = stmt.where(scope)
    awards = db.session.scalars(stmt).unique().all()
    for award in awards:
        ensure_reports(award)
    return len(awards)


def reports_query(user: Any, filters: ReportFilters, now: datetime | None = None) -> Select:
    """The reports ``user`` writes or reviews, filtered; those needing action first
    (submitted for officers and drafts/returned for organizations), then by due date."""
    today = today_in_china(now)
    stmt = (select(Report).join(Award, Award.id == Report.award_id).join(Call, Call.id == Award.call_id)
            .options(lazyload(Report.indicators), lazyload(Report.expenses),
                     # The list shows the project, organization and number: not the call.
                     selectinload(Report.award).lazyload(Award.call)))
    scope = _scope(user)
    if scope is False:
        return stmt.where(False)
    if scope is not None:
        stmt = stmt.where(scope)
    if filters.status is not None:
        stmt = stmt.where(Report.status == filters.status)
    if filters.kind is not None:
        stmt = stmt.where(Report.kind == filters.kind)
    if filters.overdue:
        stmt = stmt.where(Report.status.in_(EDITABLE), Report.due_on < today)
    waiting = case((Report.status == ReportStatus.SUBMITTED, 0), (Report.status.in_(EDITABLE), 1), else_=2)
    return stmt.order_by(waiting, Report.due_on, Report.id)


def is_overdue(report: Report, now: datetime | None = None) -> bool:
    return report.status in EDITABLE and report.due_on < today_in_china(now)


# --- the award page ------------------------------------------------------------------------------

def installments_of(award: Award) -> list[Installment]:
    return list(db.session.scalars(select(Installment).where(Installment.award_id == award.id)
                                   .order_by(Installment.position)))


def history(report: Report) -> list[AuditEntry]:
    """The report's audit trail (saves, submissions, reviews), oldest first."""
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "Report", AuditEntry.object_id == str(report.id),
                                 AuditEntry.action == "report.status")
        .order_by(AuditEntry.id)))


def reviewer_names(entries: Iterable[AuditEntry]) -> dict[int, str]:
    ids = {e.actor_id for e in entries if e.actor_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def certificate_available(report: Report) -> bool:
    return report.kind == ReportKind.FINAL and report.status == ReportStatus.ACCEPTED


def require_photo_report(photo: ReportPhoto) -> Report:
    report = db.session.get(Report, photo.report_id)
    if report is None:
        raise NotFound(_("照片不存在。"))
    return report


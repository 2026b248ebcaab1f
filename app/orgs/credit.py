"""Organization credit (信用分与信用等级, SPEC §6): a score any organization can recompute
from its public record.

The rule (the constants below; the credit page explains it in Chinese):

- Only events dated within the window count: from the same calendar day ``WINDOW_MONTHS``
  months before today (Asia/Shanghai) up to today, both included. Older events drop out
  (信用修复); a 29 February start falls back to the 28th.
- Start from ``BASE`` points.
- Each rated report (ACCEPTED or FAILED with a rating), dated by its review (reviewed_at):
  ``RATING_POINTS`` — 优秀 +5, 良好 +3, 合格 +1, 不合格 −15. The positive ratings together add
  at most ``RATING_BONUS_CAP`` (the excess appears as one "加分封顶" line).
- Each late report, dated by its due date: ``LATE_POINTS``. Late = first submitted (in
  Asia/Shanghai) after the due date, or not submitted at all and the due date has passed.
- Each return for correction: ``RETURN_POINTS`` per return (Report.times_returned), dated by
  the report's latest review (reviewed_at; the platform keeps no date per return).
- Each upheld objection against one of the organization's applications, dated by its
  answer: ``OBJECTION_POINTS``.
- Each breach (a Debarment row, lifted or not), dated by its start: ``BREACH_POINTS``.
- Clamp to 0..100. Grade A 守信 ≥ 90, B 良好 ≥ 75, C 关注 ≥ 60, D 失信 below — and D whenever
  a bar by any funder is active today.
- A call's score bonus (call.credit_bonus_max = M): A → M, B → M/2, C and D → 0, as a
  Decimal with 2 places (half up).

The staff-only credit status (活动异常名录 / 严重违法失信名单) is not part of the score.

The records are read by `load_records` in a constant number of queries for any number of
organizations (three, four when a breach names an award); `evaluate` is pure, so screening can
load once and judge each application on its own date.

Reports, awards and objections live in higher domains, and a lower domain never imports a
higher one (ARCHITECTURE): those domains contribute their part of the records through
`record_source` (app/reports/credit_records.py, app/awards/credit_records.py); this module
reads only its own Debarment rows.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core.enums import LabeledEnum, N_
from app.extensions import db
from app.orgs.models import Debarment

# --- the rule ------------------------------------------------------------------------------
WINDOW_MONTHS = 36
BASE = 80
MIN_SCORE, MAX_SCORE = 0, 100
RATING_POINTS = {"excellent": 5, "good": 3, "pass": 1, "fail": -15}
RATING_BONUS_CAP = 20
LATE_POINTS = -5
RETURN_POINTS = -2          # per return
OBJECTION_POINTS = -10
BREACH_POINTS = -30
GRADE_A, GRADE_B, GRADE_C = 90, 75, 60   # lower bounds; below GRADE_C is D

CHINA = ZoneInfo("Asia/Shanghai")
_CENT = Decimal("0.01")


class CreditGrade(LabeledEnum):
    A = "A", N_("守信")
    B = "B", N_("良好")
    C = "C", N_("关注")
    D = "D", N_("失信")

    @property
    def tone(self) -> str:
        """Bootstrap colour of the grade badge."""
        return {"A": "success", "B": "primary", "C": "warning", "D": "danger"}[self.value]


class CreditEventKind(LabeledEnum):
    RATING = "rating", N_("报告评级")
    RATING_CAP = "rating_cap", N_("加分封顶")
    LATE = "late", N_("报告逾期")
    RETURNED = "returned", N_("报告退回修改")
    OBJECTION = "objection", N_("异议成立")
    BREACH = "breach", N_("违约")


@dataclass(frozen=True)
class CreditEvent:
    """One line of the record: what happened, when, how many points. ``award_id`` links the
    public project page, ``notice_call_id`` the public notice (公示) of a call."""

    day: date | None
    kind: CreditEventKind
    points: int
    text: str
    award_id: int | None = None
    notice_call_id: int | None = None


@dataclass
class Assessment:
    organization_id: int
    today: date
    window_start: date
    score: int                      # clamped to 0..100
    raw_score: int                  # BASE + every event's points, before the clamp
    grade: CreditGrade
    events: list[CreditEvent]       # in the window, newest first
    counts: dict[CreditEventKind, int]
    active_bars: list[Debarment]    # bars in force today (any funder)
    breaches: list[Debarment] = field(default_factory=list)   # every breach on record, newest first

    def count(self, kind: str | CreditEventKind) -> int:
        return self.counts.get(CreditEventKind(kind), 0)

    @property
    def points_total(self) -> int:
        return sum(e.points for e in self.events)

    @property
    def clamped(self) -> bool:
        return self.raw_score != self.score

    def bonus(self, max_points: int | Decimal | None) -> Decimal:
        """The points this grade earns in a call whose bonus is at most `max_points`."""
        top = Decimal(max_points or 0)
        if top <= 0:
            return Decimal("0.00")
        if self.grade == CreditGrade.A:
            share = top
        elif self.grade == CreditGrade.B:
            share = top / 2
        else:
            share = Decimal(0)
        return share.quantize(_CENT, rounding=ROUND_HALF_UP)


# --- records (three queries for any number of organizations) ------------------------------------

@dataclass(frozen=True)
class _ReportRow:
    award_id: int
    title: str
    kind_label: str
    status: str
    rating: str | None
    rating_label: str | None
    due_on: date
    first_submitted: date | None
    reviewed: date | None
    times_returned: int


@dataclass(frozen=True)
class _ObjectionRow:
    call_id: int
    title: str
    answered: date | None


@dataclass
class Records:
    """What the credit of `organization_ids` is computed from."""

    organization_ids: frozenset[int]
    reports: dict[int, list[_ReportRow]] = field(default_factory=lambda: defaultdict(list))
    objections: dict[int, list[_ObjectionRow]] = field(default_factory=lambda: defaultdict(list))
    bars: dict[int, list[Debarment]] = field(default_factory=lambda: defaultdict(list))
    # The project title of each award a breach names (filled by the awards domain).
    award_titles: dict[int, str] = field(default_factory=dict)

    def add_report(self, organization_id: int, *, award_id: int, title: str, kind_label: str, status: str,
                   rating: str | None, rating_label: str | None, due_on: date, first_submitted: datetime | None,
                   reviewed: datetime | None, times_returned: int) -> None:
        """A report of one of the organization's awards (rating only when it counts: the
        report was accepted or failed with a rating)."""
        self.reports[organization_id].append(_ReportRow(
            award_id=award_id, title=title, kind_label=kind_label, status=status, rating=rating,
            rating_label=rating_label, due_on=due_on, first_submitted=china_date(first_submitted),
            reviewed=china_date(reviewed), times_returned=times_returned or 0))

    def add_upheld_objection(self, organization_id: int, *, call_id: int, title: str,
                             answered: datetime | None) -> None:
        self.objections[organization_id].append(_ObjectionRow(call_id, title, china_date(answered)))


RecordSource = Callable[[frozenset[int], Records], None]
_SOURCES: dict[str, RecordSource] = {}


def record_source(name: str) -> Callable[[RecordSource], RecordSource]:
    """Register a higher domain's loader: ``fn(organization_ids, records)`` adds its rows to
    `records` in one query (whatever the number of organizations)."""
    def register(fn: RecordSource) -> RecordSource:
        if name in _SOURCES:
            raise RuntimeError(f"credit record source {name} registered twice")
        _SOURCES[name] = fn
        return fn

    return register


def china_date(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).date()


def china_today() -> date:
    from app.core.db import utcnow

    return china_date(utcnow())


def window_start(today: date) -> date:
    """The first day that still counts: the same calendar day WINDOW_MONTHS months earlier."""
    month_index = today.year * 12 + (today.month - 1) - WINDOW_MONTHS
    year, month = divmod(month_index, 12)
    month += 1
    day = today.day
    while True:
        try:
            return date(year, month, day)
        except ValueError:   # 29-31 in a shorter month
            day -= 1


def load_records(organization_ids: Iterable[int]) -> Records:
    """The records of `organization_ids`: the bars here, the rest from the registered sources."""
    if not _SOURCES:
        raise RuntimeError("no credit record sources registered (the reports and awards packages are not loaded)")
    ids = frozenset(int(i) for i in organization_ids)
    records = Records(ids)
    if not ids:
        return records
    bars = db.session.scalars(
        select(Debarment).where(Debarment.organization_id.in_(ids)).options(joinedload(Debarment.funder))
        .order_by(Debarment.starts_on.desc(), Debarment.id.desc())).unique().all()
    for bar in bars:
        records.bars[bar.organization_id].append(bar)
    for name in sorted(_SOURCES):
        _SOURCES[name](ids, records)
    return records


# --- the computation (pure) ------------------------------------------------------------------------

def grade_for(score: int, barred: bool) -> CreditGrade:
    if barred or score < GRADE_C:
        return CreditGrade.D
    if score >= GRADE_A:
        return CreditGrade.A
    if score >= GRADE_B:
        return CreditGrade.B
    return CreditGrade.C


def _late_event(r: _ReportRow, today: date) -> CreditEvent | None:
    if r.first_submitted is not None:
        if r.first_submitted <= r.due_on:
            return None
        text = _("《%(title)s》%(kind)s应于 %(due)s 前提交，首次提交于 %(first)s。",
                 title=r.title, kind=r.kind_label, due=r.due_on.isoformat(), first=r.first_submitted.isoformat())
    else:
        if today <= r.due_on:
            return None
        text = _("《%(title)s》%(kind)s应于 %(due)s 前提交，至今尚未提交。",
                 title=r.title, kind=r.kind_label, due=r.due_on.isoformat())
    return CreditEvent(r.due_on, CreditEventKind.LATE, LATE_POINTS, text, award_id=r.award_id)


def evaluate(records: Records, organization_id: int, today: date) -> Assessment:
    """The credit of one organization of `records` on `today` (Asia/Shanghai)."""
    start = window_start(today)

    def counts_on(day: date | None) -> bool:
        return day is not None and start <= day <= today

    events: list[CreditEvent] = []
    for r in records.reports.get(organization_id, ()):
        if r.rating is not None and counts_on(r.reviewed):
            events.append(CreditEvent(r.reviewed, CreditEventKind.RATING, RATING_POINTS[r.rating],
                                      _("《%(title)s》%(kind)s评为“%(rating)s”。", title=r.title,
                                        kind=r.kind_label, rating=r.rating_label), award_id=r.award_id))
        late = _late_event(r, today)
        if late is not None and counts_on(late.day):
            events.append(late)
        if r.times_returned and counts_on(r.reviewed):
            events.append(CreditEvent(r.reviewed, CreditEventKind.RETURNED, RETURN_POINTS * r.times_returned,
                                      _("《%(title)s》%(kind)s被退回修改 %(n)s 次。", title=r.title,
                                        kind=r.kind_label, n=r.times_returned), award_id=r.award_id))
    for o in records.objections.get(organization_id, ()):
        if counts_on(o.answered):
            events.append(CreditEvent(o.answered, CreditEventKind.OBJECTION, OBJECTION_POINTS,
                                      _("公示期间对《%(title)s》的异议经核实成立。", title=o.title),
                                      notice_call_id=o.call_id))
    bars = records.bars.get(organization_id, [])
    for bar in bars:
        title = records.award_titles.get(bar.award_id) if bar.award_id is not None else None
        if counts_on(bar.starts_on):
            what = _("《%(title)s》的资助协议", title=title) if title else _("资助协议")
            events.append(CreditEvent(bar.starts_on, CreditEventKind.BREACH, BREACH_POINTS,
                                      _("违反%(what)s，被“%(funder)s”记录违约。", what=what, funder=bar.funder.name),
                                      award_id=bar.award_id))

    positive = sum(e.points for e in events if e.kind == CreditEventKind.RATING and e.points > 0)
    if positive > RATING_BONUS_CAP:
        events.append(CreditEvent(None, CreditEventKind.RATING_CAP, RATING_BONUS_CAP - positive,
                                  _("评级加分合计 %(total)s 分，超过上限 %(cap)s 分的部分不计。",
                                    total=positive, cap=RATING_BONUS_CAP)))

    counts: dict[CreditEventKind, int] = defaultdict(int)
    for e in events:
        if e.kind == CreditEventKind.RETURNED:
            counts[e.kind] += e.points // RETURN_POINTS
        elif e.kind != CreditEventKind.RATING_CAP:
            counts[e.kind] += 1
    raw = BASE + sum(e.points for e in events)
    score = max(MIN_SCORE, min(MAX_SCORE, raw))
    active = [bar for bar in bars if bar.active_on(today)]
    events.sort(key=lambda e: (e.day is not None, e.day or date.min), reverse=True)
    return Assessment(organization_id=organization_id, today=today, window_start=start, score=score,
                      raw_score=raw, grade=grade_for(score, bool(active)), events=events, counts=dict(counts),
                      active_bars=active, breaches=list(bars))


def assess_many(organization_ids: Iterable[int], today: date) -> dict[int, Assessment]:
    """The credit of each organization on `today`, in three queries whatever their number."""
    records = load_records(organization_ids)
    return {org_id: evaluate(records, org_id, today) for org_id in records.organization_ids}


def assess(org: Any, today: date | None = None) -> Assessment:
    org_id = getattr(org, "id", org)
    return assess_many([org_id], today or china_today())[org_id]


@dataclass(frozen=True)
class RuleSummary:
    """The constants, for the page that explains the rule."""

    window_months: int = WINDOW_MONTHS
    base: int = BASE
    excellent: int = RATING_POINTS["excellent"]
    good: int = RATING_POINTS["good"]
    passed: int = RATING_POINTS["pass"]
    failed: int = RATING_POINTS["fail"]
    rating_cap: int = RATING_BONUS_CAP
    late: int = LATE_POINTS
    returned: int = RETURN_POINTS
    objection: int = OBJECTION_POINTS
    breach: int = BREACH_POINTS
    grade_a: int = GRADE_A
    grade_b: int = GRADE_B
    grade_c: int = GRADE_C


RULE = RuleSummary()

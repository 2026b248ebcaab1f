"""Working-day arithmetic (工作日计算) for periods such as the public notice (公示期, SPEC §3.3).

Rules (the UI may quote them):

- A **working day** is Monday to Friday, unless the date is in ``holidays`` (法定节假日);
  a Saturday or Sunday is a working day when it is in ``workdays`` (调休上班日, China's
  make-up working days). Listing a weekday in ``workdays`` or a weekend day in ``holidays``
  changes nothing. A date in both sets is a configuration error and is refused.
- Periods are counted in **Beijing dates** (Asia/Shanghai, UTC+8, no daylight saving).
- ``add_working_days(start, n)`` is the N-th working day **after** ``start``: ``start``
  itself never counts, whether or not it is a working day.
- ``working_days_between(a, b)`` counts the working days ``d`` with ``a < d <= b``, so
  ``working_days_between(start, add_working_days(start, n)) == n``.

No holiday table is built in: the State Council publishes the next year's holidays and
make-up days each winter and we hold no authoritative copy offline, so this module does
not guess. Callers pass ``holidays`` / ``workdays`` from configuration; with none given,
only weekends are skipped (the default of SPEC §3.3).
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from app.core.errors import ValidationError

CHINA = ZoneInfo("Asia/Shanghai")

#: The longest period these functions accept, in working days (about a year and a half).
MAX_WORKING_DAYS = 366

_LAST_MICROSECOND = time(23, 59, 59, 999999)


def _check_calendar(holidays: Collection[date], workdays: Collection[date]) -> None:
    both = set(holidays) & set(workdays)
    if both:
        first = min(both)
        raise ValueError(f"{first.isoformat()} is listed both as a holiday and as a make-up working day")


def _is_working(day: date, holidays: Collection[date], workdays: Collection[date]) -> bool:
    if day.weekday() >= 5:
        return day in workdays
    return day not in holidays


def is_working_day(day: date, holidays: Collection[date] = frozenset(),
                   workdays: Collection[date] = frozenset()) -> bool:
    """True for Monday–Friday not in ``holidays``, and for a Saturday or Sunday in
    ``workdays`` (调休). A date listed in both sets raises ValueError."""
    _check_calendar(holidays, workdays)
    if isinstance(day, datetime):  # a datetime is a date subclass: refuse the ambiguity
        raise TypeError("is_working_day takes a date, not a datetime")
    return _is_working(day, holidays, workdays)


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValidationError(_("工作日天数必须是整数。"))
    if not 1 <= n <= MAX_WORKING_DAYS:
        raise ValidationError(_("工作日天数必须在 1 到 %(maximum)s 之间。", maximum=MAX_WORKING_DAYS))


def add_working_days(start: date, n: int, holidays: Collection[date] = frozenset(),
                     workdays: Collection[date] = frozenset()) -> date:
    """The N-th working day after ``start`` (``start`` itself never counts), n ≥ 1.

    Friday 2026-12-04 + 5 → Friday 2026-12-11; Saturday 2026-12-05 + 1 → Monday 2026-12-07.
    ``n`` outside 1..MAX_WORKING_DAYS (or not an int) raises ValidationError.
    """
    _check_n(n)
    _check_calendar(holidays, workdays)
    if isinstance(start, datetime):
        raise TypeError("add_working_days takes a date, not a datetime")
    day = start
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if _is_working(day, holidays, workdays):
            counted += 1
    return day


def _weekdays_after_upto(a: date, b: date) -> int:
    """Monday–Friday dates d with a < d <= b (b >= a)."""
    days = (b - a).days
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    weekday = a.weekday()
    for _i in range(rest):
        weekday = (weekday + 1) % 7
        if weekday < 5:
            count += 1
    return count


def working_days_between(a: date, b: date, holidays: Collection[date] = frozenset(),
                         workdays: Collection[date] = frozenset()) -> int:
    """The number of working days d with ``a < d <= b``; 0 when a == b, and the negative
    count ``-working_days_between(b, a)`` when b is before a."""
    _check_calendar(holidays, workdays)
    if isinstance(a, datetime) or isinstance(b, datetime):
        raise TypeError("working_days_between takes dates, not datetimes")
    if b < a:
        return -working_days_between(b, a, holidays, workdays)
    count = _weekdays_after_upto(a, b)
    count -= sum(1 for d in set(holidays) if a < d <= b and d.weekday() < 5)
    count += sum(1 for d in set(workdays) if a < d <= b and d.weekday() >= 5)
    return count


def notice_period(published_at: datetime, n: int, holidays: Collection[date] = frozenset(),
                  workdays: Collection[date] = frozenset()) -> tuple[datetime, datetime]:
    """The public notice period (公示期) of ``n`` working days, as (starts_at, ends_at) in UTC.

    The notice starts at the moment of publication (``published_at``, which must be
    timezone-aware; a naive datetime raises ValueError). It ends at 23:59:59.999999 Beijing
    time on the N-th working day after the **Beijing date** of publication — the day of
    publication never counts, even when published at 00:01 on a working day, so the public
    always gets N full working days. Published Friday 2026-12-04 with n = 5 → ends Friday
    2026-12-11 23:59:59.999999 Beijing = 15:59:59.999999 UTC. Published on a Saturday →
    the first working day counted is the following Monday (or the make-up day, if any).
    """
    if not isinstance(published_at, datetime):
        raise TypeError("published_at must be a datetime")
    if published_at.tzinfo is None or published_at.utcoffset() is None:
        raise ValueError("published_at must be timezone-aware (UTC from the database)")
    _check_n(n)
    beijing_day = published_at.astimezone(CHINA).date()
    last_day = add_working_days(beijing_day, n, holidays, workdays)
    ends_at = datetime.combine(last_day, _LAST_MICROSECOND, tzinfo=CHINA)
    return published_at.astimezone(timezone.utc), ends_at.astimezone(timezone.utc)

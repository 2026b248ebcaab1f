"""Working-day arithmetic for the public notice period (SPEC §3.3)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import ValidationError
from app.core.workdays import (
    MAX_WORKING_DAYS, add_working_days, is_working_day, notice_period, working_days_between,
)

UTC = timezone.utc
BEIJING = ZoneInfo("Asia/Shanghai")

# A made-up holiday week in the shape of 国庆节 (not the official schedule, which
# configuration supplies): Thu 2026-10-01 … Wed 2026-10-07 off, Sat 2026-10-10 worked.
GOLDEN_WEEK = frozenset(date(2026, 10, d) for d in range(1, 8))
MAKEUP = frozenset({date(2026, 10, 10)})


def test_weekdays_work_and_weekends_do_not():
    assert [is_working_day(date(2026, 11, 30) + timedelta(days=i)) for i in range(7)] == [
        True, True, True, True, True, False, False]  # Mon 11-30 … Sun 12-06


def test_holidays_and_makeup_days():
    assert is_working_day(date(2026, 10, 1)) is True                  # a Thursday
    assert is_working_day(date(2026, 10, 1), holidays=GOLDEN_WEEK) is False
    assert is_working_day(date(2026, 10, 10)) is False                # a Saturday
    assert is_working_day(date(2026, 10, 10), workdays=MAKEUP) is True
    # a weekend day listed as a holiday stays off; a weekday listed as a make-up day stays on
    assert is_working_day(date(2026, 10, 4), holidays=GOLDEN_WEEK) is False
    assert is_working_day(date(2026, 10, 12), workdays={date(2026, 10, 12)}) is True


def test_a_date_both_holiday_and_makeup_is_a_configuration_error():
    day = date(2026, 10, 10)
    with pytest.raises(ValueError):
        is_working_day(day, holidays={day}, workdays={day})
    with pytest.raises(ValueError):
        add_working_days(day, 1, holidays={day}, workdays={day})


def test_add_working_days_skips_the_weekend():
    # Fri 12-04 + 5: Mon 7, Tue 8, Wed 9, Thu 10, Fri 11
    assert add_working_days(date(2026, 12, 4), 5) == date(2026, 12, 11)
    assert add_working_days(date(2026, 12, 4), 1) == date(2026, 12, 7)
    assert add_working_days(date(2026, 12, 7), 1) == date(2026, 12, 8)    # Mon → Tue
    assert add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)    # Sat → Mon
    assert add_working_days(date(2026, 12, 6), 5) == date(2026, 12, 11)   # Sun → Fri


def test_add_working_days_skips_holidays_and_counts_a_makeup_saturday():
    # From Wed 09-30: Thu 10-01 … Wed 10-07 are holidays, Thu 8 (1), Fri 9 (2),
    # Sat 10 make-up (3), Mon 12 (4), Tue 13 (5)
    assert add_working_days(date(2026, 9, 30), 5, GOLDEN_WEEK, MAKEUP) == date(2026, 10, 13)
    # without the make-up Saturday: Thu 8, Fri 9, Mon 12, Tue 13, Wed 14
    assert add_working_days(date(2026, 9, 30), 5, GOLDEN_WEEK) == date(2026, 10, 14)
    # without any holidays: Thu 1, Fri 2, Mon 5, Tue 6, Wed 7
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 7)


@pytest.mark.parametrize("n", [0, -1, MAX_WORKING_DAYS + 1])
def test_invalid_n_is_refused_in_chinese(n):
    with pytest.raises(ValidationError) as err:
        add_working_days(date(2026, 12, 4), n)
    assert "工作日天数" in err.value.message
    with pytest.raises(ValidationError):
        notice_period(datetime(2026, 12, 4, 2, 0, tzinfo=UTC), n)


@pytest.mark.parametrize("n", [1.0, "5", True, None])
def test_non_integer_n_is_refused(n):
    with pytest.raises(ValidationError) as err:
        add_working_days(date(2026, 12, 4), n)
    assert "整数" in err.value.message


def test_notice_period_across_a_weekend():
    # published Fri 2026-12-04 10:00 Beijing (02:00 UTC), 5 working days:
    # ends Fri 2026-12-11 23:59:59.999999 Beijing = 15:59:59.999999 UTC
    published = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    starts, ends = notice_period(published, 5)
    assert starts == published and starts.tzinfo == UTC
    assert ends == datetime(2026, 12, 11, 15, 59, 59, 999999, tzinfo=UTC)
    assert ends.tzinfo == UTC
    assert ends.astimezone(BEIJING).replace(tzinfo=None) == datetime(2026, 12, 11, 23, 59, 59, 999999)


def test_notice_period_uses_the_beijing_date_of_publication():
    # Fri 2026-12-04 20:00 UTC is already Sat 12-05 04:00 in Beijing: counting starts Monday,
    # and 5 working days still end Fri 12-11
    starts, ends = notice_period(datetime(2026, 12, 4, 20, 0, tzinfo=UTC), 5)
    assert ends == datetime(2026, 12, 11, 15, 59, 59, 999999, tzinfo=UTC)
    # Thu 2026-12-03 16:30 UTC = Fri 00:30 Beijing: the Friday does not count either
    _, ends = notice_period(datetime(2026, 12, 3, 16, 30, tzinfo=UTC), 1)
    assert ends == datetime(2026, 12, 7, 15, 59, 59, 999999, tzinfo=UTC)   # Mon 12-07 Beijing
    # Thu 2026-12-03 15:30 UTC = Thu 23:30 Beijing: Friday is the first working day
    _, ends = notice_period(datetime(2026, 12, 3, 15, 30, tzinfo=UTC), 1)
    assert ends == datetime(2026, 12, 4, 15, 59, 59, 999999, tzinfo=UTC)


def test_notice_period_published_on_a_saturday():
    published = datetime(2026, 12, 5, 10, 0, tzinfo=BEIJING)
    starts, ends = notice_period(published, 1)
    assert starts == published and starts.tzinfo == UTC
    assert ends == datetime(2026, 12, 7, 15, 59, 59, 999999, tzinfo=UTC)   # Mon 23:59:59 Beijing


def test_notice_period_with_holidays_and_a_makeup_day():
    published = datetime(2026, 9, 30, 9, 0, tzinfo=BEIJING)
    _, ends = notice_period(published, 3, holidays=GOLDEN_WEEK, workdays=MAKEUP)
    assert ends.astimezone(BEIJING).date() == date(2026, 10, 10)           # the make-up Saturday


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        notice_period(datetime(2026, 12, 4, 10, 0), 5)


def test_working_days_between():
    assert working_days_between(date(2026, 12, 4), date(2026, 12, 11)) == 5
    assert working_days_between(date(2026, 12, 4), date(2026, 12, 4)) == 0
    assert working_days_between(date(2026, 12, 4), date(2026, 12, 6)) == 0    # Sat, Sun
    assert working_days_between(date(2026, 12, 11), date(2026, 12, 4)) == -5
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 13), GOLDEN_WEEK, MAKEUP) == 5
    # 2026 has 261 weekdays (365 days = 52 weeks + Thursday 01-01)
    assert working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 261


calendar_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def calendars(draw):
    holidays = draw(st.frozensets(calendar_days, max_size=30))
    workdays = draw(st.frozensets(calendar_days.filter(lambda d: d.weekday() >= 5), max_size=10))
    return holidays, workdays - holidays


@settings(max_examples=300, deadline=None)
@given(calendar_days, st.integers(1, 60), calendars())
def test_property_result_is_a_working_day_n_working_days_later(start, n, calendar):
    holidays, workdays = calendar
    end = add_working_days(start, n, holidays, workdays)
    assert end > start
    assert is_working_day(end, holidays, workdays)
    assert working_days_between(start, end, holidays, workdays) == n
    # and it is the first such day: the day before holds only n − 1 working days
    assert working_days_between(start, end - timedelta(days=1), holidays, workdays) == n - 1


@settings(max_examples=200, deadline=None)
@given(calendar_days, calendar_days, calendars())
def test_property_between_matches_counting_day_by_day(a, b, calendar):
    holidays, workdays = calendar
    lo, hi = sorted((a, b))
    counted = sum(1 for i in range(1, (hi - lo).days + 1)
                  if is_working_day(lo + timedelta(days=i), holidays, workdays))
    assert working_days_between(lo, hi, holidays, workdays) == counted
    assert working_days_between(hi, lo, holidays, workdays) == -counted


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1),
                    timezones=st.sampled_from([UTC, BEIJING, timezone(timedelta(hours=-5))])),
       st.integers(1, 30))
def test_property_notice_ends_at_beijing_midnight_of_a_working_day(published, n):
    starts, ends = notice_period(published, n)
    assert starts == published and starts.tzinfo == UTC and ends.tzinfo == UTC
    local_end = ends.astimezone(BEIJING)
    assert (local_end.hour, local_end.minute, local_end.second, local_end.microsecond) == (23, 59, 59, 999999)
    assert is_working_day(local_end.date())
    assert working_days_between(published.astimezone(BEIJING).date(), local_end.date()) == n
    assert ends > starts

"""The organization credit (app.orgs.credit) against hand computation.

Every case is computed on TODAY = 2026-11-29 (Asia/Shanghai): the window starts on
2023-11-29 (included). Base 80; ratings 优秀 +5 良好 +3 合格 +1 不合格 −15 (positive total
capped at +20); late −5; −2 per return; upheld objection −10; breach −30; clamp 0..100.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.awards.models import Notice, Objection, ObjectionStatus
from app.calls.models import CallStatus
from app.extensions import db as _db
from app.orgs import credit
from app.orgs.credit import CreditEventKind, CreditGrade
from app.orgs.models import Debarment
from app.reports.models import Report, ReportKind, ReportRating, ReportStatus
from tests.factories import make_application, make_award, make_call, make_funder, make_org

TODAY = date(2026, 11, 29)


def utc(day: date, hour: int = 10) -> datetime:
    """`hour`:00 Beijing time on `day`, in UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc) - timedelta(hours=8)


@pytest.fixture
def w(db):
    funder = make_funder(name="五华区民政局")
    call = make_call(funder, status=CallStatus.AWARDED, title="已立项的公益创投")
    return {"funder": funder, "call": call, "org": make_org(name="翠湖助老服务队")}


def award_of(w, org=None, title="长者助餐"):
    from app.applications.models import ApplicationStatus

    application = make_application(w["call"], org or w["org"], status=ApplicationStatus.AWARDED, title=title)
    return make_award(application)


def report(w, *, org=None, status=ReportStatus.ACCEPTED, rating=None, reviewed: date | None = date(2026, 6, 1),
           due: date = date(2026, 5, 31), first: date | None = date(2026, 5, 30), returned: int = 0,
           kind=ReportKind.FINAL, title="长者助餐"):
    award = award_of(w, org, title)
    r = Report(award_id=award.id, kind=kind, status=status, due_on=due, rating=rating, times_returned=returned,
               submitted_at=utc(first) if first else None, first_submitted_at=utc(first) if first else None,
               reviewed_at=utc(reviewed) if reviewed else None)
    _db.session.add(r)
    _db.session.flush()
    return r


def breach(w, *, org=None, start: date = date(2026, 1, 10), years: int = 3, lifted: date | None = None, funder=None,
           award=None):
    bar = Debarment(organization_id=(org or w["org"]).id, funder_id=(funder or w["funder"]).id, starts_on=start,
                    ends_on=start.replace(year=start.year + years), reason="擅自变更资金用途", lifted_on=lifted,
                    lift_reason="已整改" if lifted else "", award_id=award.id if award is not None else None)
    _db.session.add(bar)
    _db.session.flush()
    return bar


def objection(w, *, org=None, status=ObjectionStatus.UPHELD, answered: date = date(2026, 4, 1)):
    from app.applications.models import ApplicationStatus

    call = make_call(w["funder"], status=CallStatus.AWARDED)
    application = make_application(call, org or w["org"], status=ApplicationStatus.REJECTED, title="邻里互助")
    notice = Notice(call_id=call.id, ends_at=utc(answered), working_days=5)
    _db.session.add(notice)
    _db.session.flush()
    o = Objection(notice_id=notice.id, application_id=application.id, name="居民王某", contact="13900000000",
                  content="重复申报", status=status, answer="经核实", answered_at=utc(answered))
    _db.session.add(o)
    _db.session.flush()
    return o


def score(w, org=None, today=TODAY):
    return credit.assess(org or w["org"], today)


# --- the base and each rule ------------------------------------------------------------------

def test_an_organization_without_records_has_the_base_score(w):
    a = score(w)
    assert (a.score, a.raw_score, a.grade, a.events, a.active_bars) == (80, 80, CreditGrade.B, [], [])
    assert a.window_start == date(2023, 11, 29)


@pytest.mark.parametrize("rating,expected,grade", [
    (ReportRating.EXCELLENT, 85, CreditGrade.B), (ReportRating.GOOD, 83, CreditGrade.B),
    (ReportRating.PASS, 81, CreditGrade.B), (ReportRating.FAIL, 65, CreditGrade.C)])
def test_each_rating(w, rating, expected, grade):
    r = report(w, rating=rating, status=ReportStatus.FAILED if rating == ReportRating.FAIL else ReportStatus.ACCEPTED)
    a = score(w)
    assert (a.score, a.grade, a.count("rating")) == (expected, grade, 1)
    [event] = a.events
    assert (event.day, event.kind, event.award_id) == (date(2026, 6, 1), CreditEventKind.RATING, r.award_id)
    assert rating.label in event.text and "长者助餐" in event.text


def test_an_accepted_report_without_a_rating_gives_nothing(w):
    report(w, kind=ReportKind.PROGRESS, rating=None)
    assert score(w).score == 80


def test_late_reports(w):
    # First submitted on 06-02 after a 05-31 due date (late, even if resubmitted since); a
    # draft whose due date 11-20 has passed (late); a draft due today (not late yet); a report
    # submitted on its due day (not late): 80 − 5 − 5 = 70, grade C.
    report(w, first=date(2026, 6, 2), status=ReportStatus.SUBMITTED, reviewed=None)
    report(w, status=ReportStatus.DRAFT, first=None, reviewed=None, due=date(2026, 11, 20))
    report(w, status=ReportStatus.DRAFT, first=None, reviewed=None, due=TODAY)
    report(w, status=ReportStatus.SUBMITTED, first=date(2026, 5, 31), reviewed=None)
    a = score(w)
    assert (a.score, a.grade, a.count("late")) == (70, CreditGrade.C, 2)
    assert sorted(e.day for e in a.events) == [date(2026, 5, 31), date(2026, 11, 20)]
    assert all(e.points == -5 for e in a.events)
    assert any("至今尚未提交" in e.text for e in a.events)


def test_lateness_is_judged_on_the_beijing_date_of_the_first_submission(w):
    r = report(w, status=ReportStatus.SUBMITTED, reviewed=None, due=date(2026, 5, 31))
    # 2026-05-31 16:30 UTC is 06-01 00:30 in Beijing: late.
    r.first_submitted_at = datetime(2026, 5, 31, 16, 30, tzinfo=timezone.utc)
    _db.session.flush()
    assert score(w).count("late") == 1
    r.first_submitted_at = datetime(2026, 5, 31, 15, 30, tzinfo=timezone.utc)   # 23:30 in Beijing
    _db.session.flush()
    assert score(w).count("late") == 0


def test_returns_cost_two_points_each(w):
    report(w, returned=3, rating=ReportRating.GOOD)   # +3 − 6
    a = score(w)
    assert (a.score, a.count("returned"), a.count("rating")) == (77, 3, 1)
    assert {e.kind: e.points for e in a.events} == {CreditEventKind.RATING: 3, CreditEventKind.RETURNED: -6}


def test_upheld_objections_count_dismissed_do_not(w):
    objection(w)
    objection(w, status=ObjectionStatus.DISMISSED)
    a = score(w)
    assert (a.score, a.grade, a.count("objection")) == (70, CreditGrade.C, 1)
    [event] = a.events
    assert event.notice_call_id is not None and event.award_id is None
    assert "居民王某" not in event.text and "13900000000" not in event.text


def test_a_breach_costs_thirty_and_an_active_bar_makes_the_grade_d(w):
    # Four 优秀 ratings (+20) and one breach: 80 + 20 − 30 = 70 (C by score), D while barred.
    for _ in range(4):
        report(w, rating=ReportRating.EXCELLENT)
    bar = breach(w)
    a = score(w)
    assert (a.score, a.grade, a.active_bars, a.count("breach")) == (70, CreditGrade.D, [bar], 1)
    bar.lifted_on = date(2026, 6, 1)
    _db.session.flush()
    a = score(w)
    # Lifted: the 30 points stay (the breach is on record), the grade follows the score.
    assert (a.score, a.grade, a.active_bars, a.breaches) == (70, CreditGrade.C, [], [bar])


def test_a_bar_of_another_funder_also_makes_the_grade_d(w):
    for _ in range(4):
        report(w, rating=ReportRating.EXCELLENT)
    breach(w, funder=make_funder(name="另一资助方"))
    assert score(w).grade == CreditGrade.D


def test_an_expired_bar_still_counts_inside_the_window_but_no_longer_bars(w):
    for _ in range(4):
        report(w, rating=ReportRating.EXCELLENT)
    breach(w, start=date(2024, 1, 10), years=1)    # barred 2024-01-10 … 2025-01-10
    a = score(w)
    assert (a.score, a.grade, a.active_bars) == (70, CreditGrade.C, [])


# --- the cap and the clamp ----------------------------------------------------------------------

def test_positive_ratings_are_capped_at_twenty(w):
    # 5 × 优秀 = +25 → +20 (a −5 "加分封顶" line); one 不合格 −15 is not capped: 80 + 20 − 15 = 85.
    for _ in range(5):
        report(w, rating=ReportRating.EXCELLENT)
    assert (score(w).score, score(w).grade) == (100, CreditGrade.A)
    report(w, rating=ReportRating.FAIL, status=ReportStatus.FAILED)
    a = score(w)
    assert (a.score, a.raw_score) == (85, 85)
    cap = [e for e in a.events if e.kind == CreditEventKind.RATING_CAP]
    assert [(e.points, e.day) for e in cap] == [(-5, None)]
    assert a.events[-1] is cap[0]   # undated, listed last
    assert 80 + sum(e.points for e in a.events) == 85


def test_the_score_is_clamped_at_zero(w):
    for year in (2024, 2025, 2026):
        breach(w, start=date(year, 1, 10), years=1)
    a = score(w)
    assert (a.raw_score, a.score, a.clamped, a.grade) == (-10, 0, True, CreditGrade.D)


# --- the window -----------------------------------------------------------------------------------

def test_the_window_boundary_day(w):
    # Reviewed 2023-11-29 in Beijing (window start): counts. 2023-11-28: dropped.
    report(w, rating=ReportRating.GOOD, reviewed=date(2023, 11, 29))
    report(w, rating=ReportRating.EXCELLENT, reviewed=date(2023, 11, 28))
    a = score(w)
    assert (a.score, a.count("rating")) == (83, 1)
    # One day later the first one drops out too (信用修复).
    assert score(w, today=TODAY + timedelta(days=1)).score == 80


def test_the_window_reads_beijing_dates(w):
    r = report(w, rating=ReportRating.GOOD)
    r.reviewed_at = datetime(2023, 11, 28, 17, 0, tzinfo=timezone.utc)   # 2023-11-29 01:00 in Beijing
    _db.session.flush()
    assert score(w).score == 83
    r.reviewed_at = datetime(2023, 11, 28, 15, 0, tzinfo=timezone.utc)   # 2023-11-28 23:00 in Beijing
    _db.session.flush()
    assert score(w).score == 80


def test_events_after_today_do_not_count(w):
    report(w, rating=ReportRating.GOOD, reviewed=TODAY + timedelta(days=1))
    breach(w, start=TODAY + timedelta(days=2))
    assert score(w).score == 80


def test_window_start_on_leap_days_and_month_ends():
    assert credit.window_start(date(2028, 2, 29)) == date(2025, 2, 28)
    assert credit.window_start(date(2026, 3, 31)) == date(2023, 3, 31)
    assert credit.window_start(date(2026, 1, 15)) == date(2023, 1, 15)


# --- grades and the bonus ---------------------------------------------------------------------

@pytest.mark.parametrize("value,grade", [(100, "A"), (90, "A"), (89, "B"), (75, "B"), (74, "C"), (60, "C"),
                                         (59, "D"), (0, "D")])
def test_grade_thresholds(value, grade):
    assert credit.grade_for(value, barred=False) == CreditGrade(grade)
    assert credit.grade_for(value, barred=True) == CreditGrade.D


@pytest.mark.parametrize("grade,top,bonus", [("A", 3, "3.00"), ("B", 3, "1.50"), ("B", 5, "2.50"), ("B", 1, "0.50"),
                                             ("C", 10, "0.00"), ("D", 10, "0.00"), ("A", 0, "0.00")])
def test_bonus_by_grade(grade, top, bonus):
    a = credit.Assessment(organization_id=1, today=TODAY, window_start=TODAY, score=80, raw_score=80,
                          grade=CreditGrade(grade), events=[], counts={}, active_bars=[])
    assert a.bonus(top) == Decimal(bonus)
    assert str(a.bonus(top)) == bonus


def test_labels_are_chinese(app):
    with app.test_request_context():
        assert [g.label for g in CreditGrade] == ["守信", "良好", "关注", "失信"]


# --- several organizations at once -----------------------------------------------------------

def test_assess_many_takes_four_queries_whatever_the_number(w, count_queries):
    """Bars, reports, upheld objections, and the titles of the awards the breaches name."""
    def batch(n):
        orgs = [make_org() for _ in range(n)]
        for org in orgs:
            r = report(w, org=org, rating=ReportRating.GOOD, returned=1)
            objection(w, org=org)
            breach(w, org=org, lifted=date(2026, 2, 1), award=r.award)
        ids = [o.id for o in orgs]
        _db.session.expire_all()
        with count_queries() as n_queries:
            result = credit.assess_many(ids, TODAY)
            for a in result.values():
                [(e.text, e.kind.label) for e in a.events]
                [(b.funder.name, b.reason) for b in a.breaches]
        return n_queries(), result, orgs

    few, result_few, orgs_few = batch(2)
    many, result_many, orgs_many = batch(6)
    assert few == many == 4
    # 80 + 3 − 2 − 10 − 30 = 41 for each; no cross-talk between organizations.
    assert {a.score for a in result_many.values()} == {41}
    assert set(result_many) == {o.id for o in orgs_many}
    assert all(a.count("breach") == 1 for a in result_many.values())
    # The breach line names the project of the award it was recorded on.
    assert all(any("长者助餐" in e.text for e in a.events if e.kind.value == "breach") for a in result_many.values())


def test_assess_many_of_nothing_queries_nothing(db, count_queries):
    with count_queries() as n:
        assert credit.assess_many([], TODAY) == {}
    assert n() == 0

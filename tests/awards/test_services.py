"""Services of the notice (公示), objections and the award decision."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.awards import services
from app.awards.models import Award, Notice, Objection, ObjectionStatus
from app.calls import services as call_services
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.notifications.models import Notification
from app.regions.models import RegionLevel
from tests.awards import FIVE_DAYS_LATER, FRIDAY_10AM_BEIJING, reviewed_call
from tests.factories import make_application, make_call, make_org, make_region

INTRO = "经专家评审，现将拟立项项目予以公示。"
CONTACT = "测试区民政局社会组织科，电话 0871-63000000"
AFTER = FIVE_DAYS_LATER + timedelta(seconds=1)


def _count(model, *where) -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _published(s=None, **kw):
    s = s or reviewed_call(**kw)
    notice = services.publish_notice(s.officer, s.call, INTRO, CONTACT, FRIDAY_10AM_BEIJING)
    s.notice = notice
    return s


def _object(s, content="该机构去年承接的项目没有按期结项，请核实。", application_id=None, **kw):
    data = {"name": "居民王某", "contact": "13900000000", "content": content,
            "application_id": application_id, "now": FRIDAY_10AM_BEIJING + timedelta(days=1)}
    data.update(kw)
    return services.file_objection(s.notice, **data)


# --- publishing ------------------------------------------------------------------------------

def test_publish_moves_scored_applications_and_the_call(db):
    s = _published()
    first = s.applications[0]
    assert [a.status for a in s.applications] == [
        ApplicationStatus.RECOMMENDED, ApplicationStatus.RECOMMENDED, ApplicationStatus.NOT_RECOMMENDED]
    assert s.call.status == CallStatus.NOTICE
    notice = db.session.scalar(select(Notice).where(Notice.call_id == s.call.id))
    assert notice.intro == INTRO and notice.contact == CONTACT
    assert notice.published_at == FRIDAY_10AM_BEIJING
    assert notice.working_days == 5 and notice.published_by_id == s.officer.id
    assert _count(AuditEntry, AuditEntry.action == "notice.publish") == 1
    assert _count(AuditEntry, AuditEntry.action == "application.status",
                  AuditEntry.object_id == str(first.id)) == 1


def test_notice_period_skips_the_weekend(db):
    # Published Friday 10:00 Beijing with 5 working days: Mon..Fri of the next week, to
    # the last microsecond of Friday in Beijing.
    s = _published()
    assert s.notice.ends_at == FIVE_DAYS_LATER
    assert s.notice.ends_at.astimezone(services.CHINA).strftime("%a %Y-%m-%d %H:%M:%S.%f") == \
        "Fri 2026-12-11 23:59:59.999999"


def test_configured_holidays_lengthen_the_period(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_HOLIDAYS", ["2026-12-07"])  # the Monday
    s = _published()
    assert s.notice.ends_at.astimezone(services.CHINA).date().isoformat() == "2026-12-14"


def test_a_make_up_working_day_counts(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAKEUP_WORKDAYS", ["2026-12-05"])  # the Saturday
    s = _published()
    assert s.notice.ends_at.astimezone(services.CHINA).date().isoformat() == "2026-12-10"


@pytest.mark.parametrize("kw, message", [
    ({"finalized": False}, "评审小组尚未确认评审结果"),
    ({"with_outcomes": False}, "还没有评审结果"),
])
def test_publish_refused_until_the_review_is_done(db, kw, message):
    s = reviewed_call(**kw)
    with pytest.raises(Conflict, match=message):
        services.publish_notice(s.officer, s.call, INTRO, CONTACT, FRIDAY_10AM_BEIJING)
    assert s.call.status == CallStatus.REVIEWING
    assert _count(Notice) == 0


def test_publish_refused_without_a_panel(db):
    s = reviewed_call()
    db.session.delete(s.panel)
    db.session.flush()
    with pytest.raises(Conflict, match="评审小组"):
        services.publish_notice(s.officer, s.call, INTRO, CONTACT, FRIDAY_10AM_BEIJING)


def test_publish_refused_when_a_scored_application_has_no_outcome(db):
    s = reviewed_call()
    org = make_org()
    make_application(s.call, org, status=ApplicationStatus.SCORED)
    with pytest.raises(Conflict, match="1 份已评分的申报书还没有评审结果"):
        services.publish_notice(s.officer, s.call, INTRO, CONTACT, FRIDAY_10AM_BEIJING)


def test_publish_refused_outside_reviewing_and_twice(db):
    s = reviewed_call()
    s.call.status = CallStatus.SCREENING
    with pytest.raises(Conflict, match="专家评审"):
        services.publish_notice(s.officer, s.call, INTRO, CONTACT, FRIDAY_10AM_BEIJING)
    s.call.status = CallStatus.REVIEWING
    _published(s)
    with pytest.raises(Conflict, match="不能重复发布"):
        services.publish_notice(s.officer, s.call, INTRO, CONTACT, FRIDAY_10AM_BEIJING)


@pytest.mark.parametrize("intro, contact, field", [
    (INTRO, "", "contact"),
    (INTRO, "   ", "contact"),
    (INTRO, "电" * 201, "contact"),
    ("说" * 2001, CONTACT, "intro"),
    ("公示\x00说明", CONTACT, "intro"),
])
def test_publish_validates_its_texts(db, intro, contact, field):
    s = reviewed_call()
    with pytest.raises(ValidationError) as err:
        services.publish_notice(s.officer, s.call, intro, contact, FRIDAY_10AM_BEIJING)
    assert err.value.field == field
    assert s.applications[0].status == ApplicationStatus.SCORED


def test_only_the_calls_program_officers_publish(db):
    s = reviewed_call()
    with pytest.raises(PermissionDenied):
        services.publish_notice(s.finance, s.call, INTRO, CONTACT, FRIDAY_10AM_BEIJING)
    other = reviewed_call()
    with pytest.raises(PermissionDenied):
        services.publish_notice(other.officer, s.call, INTRO, CONTACT, FRIDAY_10AM_BEIJING)


def test_the_generic_advance_cannot_skip_publishing_or_closing(db):
    s = reviewed_call()
    with pytest.raises(Conflict, match="发布公示"):
        call_services.advance(s.officer, s.call, CallStatus.NOTICE, FRIDAY_10AM_BEIJING)
    assert s.call.status == CallStatus.REVIEWING
    _published(s)
    with pytest.raises(Conflict, match="结束公示并立项"):
        call_services.advance(s.officer, s.call, CallStatus.AWARDED, AFTER)
    assert s.call.status == CallStatus.NOTICE


def test_withdrawn_after_scoring_is_left_off(db):
    s = reviewed_call()
    s.applications[0].status = ApplicationStatus.WITHDRAWN
    _published(s)
    assert s.applications[0].status == ApplicationStatus.WITHDRAWN
    rows = services.notice_rows(s.call)
    assert [r.status_label for r in rows] == ["已撤回", "拟立项"]


# --- what the public sees ------------------------------------------------------------------------

def test_notice_rows_are_the_recommended_list(db):
    s = _published()
    rows = services.notice_rows(s.call)
    assert [(r.rank, r.title, r.final_score, r.amount_fen) for r in rows] == [
        (1, "银龄饭桌助餐项目", Decimal("88.40"), 5_000_000), (2, "四点半课堂", Decimal("81.25"), 3_500_000)]
    assert rows[0].organization.startswith("翠湖社区居家养老服务中心")
    assert rows[0].communities == ["第1社区"]
    assert {r.fund_source for r in rows} == {s.funder.name}
    assert all(r.standing and r.status_label == "拟立项" for r in rows)


def test_panel_experts_are_public_only_once_the_notice_started(db):
    s = reviewed_call()
    assert services.panel_experts(s.call, FRIDAY_10AM_BEIJING) == []
    _published(s)
    assert services.panel_experts(s.call, FRIDAY_10AM_BEIJING - timedelta(minutes=1)) == []
    experts = services.panel_experts(s.call, FRIDAY_10AM_BEIJING)
    assert [(e.name, e.is_chair) for e in experts] == [("李组长", True), ("王评审", False)]
    assert experts[1].employer == "某大学社会工作系" and experts[1].title == "副教授"


def test_remaining_working_days(db):
    s = _published()
    assert services.remaining_working_days(s.notice, FRIDAY_10AM_BEIJING) == 5
    saturday = FRIDAY_10AM_BEIJING + timedelta(days=1)
    assert services.remaining_working_days(s.notice, saturday) == 5
    last_day = datetime(2026, 12, 11, 1, 0, tzinfo=timezone.utc)  # Friday 09:00 Beijing
    assert services.remaining_working_days(s.notice, last_day) == 0
    assert services.is_running(s.notice, FIVE_DAYS_LATER)
    assert services.remaining_working_days(s.notice, AFTER) is None
    assert not services.is_running(s.notice, AFTER)


# --- objections -----------------------------------------------------------------------------------

def test_anyone_may_object_while_the_notice_runs(db):
    s = _published()
    target = s.applications[0]
    objection = _object(s, application_id=str(target.id))
    assert objection.status == ObjectionStatus.OPEN
    assert objection.application_id == target.id and objection.contact == "13900000000"
    whole = _object(s, application_id="", contact="wang@example.cn", now=FIVE_DAYS_LATER)
    assert whole.application_id is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "objection.file").limit(1))
    assert "13900000000" not in str(entry.after)  # the contact stays private
    # The call's program officer hears of it.
    assert _count(Notification, Notification.user_id == s.officer.id, Notification.kind == "notice.objection") == 2


@pytest.mark.parametrize("when", [FRIDAY_10AM_BEIJING - timedelta(seconds=1), AFTER])
def test_no_objection_outside_the_period(db, when):
    s = _published()
    with pytest.raises(Conflict):
        _object(s, now=when)
    assert _count(Objection) == 0


def test_no_objection_once_the_call_is_cancelled(db):
    s = _published()
    call_services.cancel(s.officer, s.call, "预算取消")
    assert not services.is_running(s.notice, FRIDAY_10AM_BEIJING + timedelta(days=1))
    with pytest.raises(Conflict, match="公示期已结束"):
        _object(s)


def test_no_objection_once_closed(db):
    s = _published()
    services.close_notice(s.officer, s.call, AFTER)
    with pytest.raises(Conflict, match="公示期已结束"):
        _object(s, now=FIVE_DAYS_LATER)


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"name": "王" * 51}, "name"),
    ({"name": "王\x07某"}, "name"),
    ({"contact": ""}, "contact"),
    ({"contact": "找居委会"}, "contact"),
    ({"contact": "１３９００００００００"}, "contact"),
    ({"contact": "1" * 101}, "contact"),
    ({"content": "太短了，不行"}, "content"),
    ({"content": "异" * 2001}, "content"),
    ({"content": "异议内容足够长了吧\x00？"}, "content"),
    ({"application_id": "abc"}, "application_id"),
    ({"application_id": "99999999999"}, "application_id"),
])
def test_objection_validation(db, changes, field):
    s = _published()
    with pytest.raises(ValidationError) as err:
        _object(s, **changes)
    assert err.value.field == field
    assert _count(Objection) == 0


def test_objection_must_name_a_listed_project(db):
    s = _published()
    not_listed = s.applications[2]  # not recommended: not on the list
    elsewhere = make_application(make_call(s.funder), make_org(), status=ApplicationStatus.SUBMITTED)
    for application in (not_listed, elsewhere):
        with pytest.raises(ValidationError, match="公示名单"):
            _object(s, application_id=application.id)
    assert _count(Objection) == 0


# --- answers ----------------------------------------------------------------------------------------

def test_upheld_objection_cancels_the_recommendation(db):
    s = _published()
    target = s.applications[0]
    objection = _object(s, application_id=target.id)
    services.answer_objection(s.officer, objection, True, "经核实，该机构上一期项目确未结项，取消其拟立项资格。",
                              FRIDAY_10AM_BEIJING + timedelta(days=2))
    assert objection.status == ObjectionStatus.UPHELD and objection.answered_by_id == s.officer.id
    assert target.status == ApplicationStatus.NOT_RECOMMENDED
    outcome = s.outcomes[0]
    assert outcome.application_id == target.id
    assert outcome.cancelled_by_objection is True and outcome.recommended is True  # kept as the record
    rows = services.notice_rows(s.call)
    assert [(r.title, r.standing, r.status_label) for r in rows][0] == ("银龄饭桌助餐项目", False, "异议成立，已取消")
    owner = s.owners[0]
    assert _count(Notification, Notification.user_id == owner.id, Notification.kind == "notice.cancelled") == 1


def test_dismissed_objection_changes_nothing(db):
    s = _published()
    objection = _object(s, application_id=s.applications[0].id)
    services.answer_objection(s.officer, objection, False, "经核实，该机构上一期项目已按期结项，异议不成立。")
    assert objection.status == ObjectionStatus.DISMISSED
    assert s.applications[0].status == ApplicationStatus.RECOMMENDED
    assert s.outcomes[0].cancelled_by_objection is False


def test_upheld_objection_to_the_whole_list_cancels_nothing(db):
    s = _published()
    objection = _object(s)
    services.answer_objection(s.officer, objection, True, "名单公示格式不规范的意见成立，已补充资金来源。")
    assert [a.status for a in s.applications[:2]] == [ApplicationStatus.RECOMMENDED] * 2


def test_answer_rules(db):
    s = _published()
    objection = _object(s, application_id=s.applications[0].id)
    with pytest.raises(PermissionDenied):
        services.answer_objection(s.finance, objection, True, "经核实，异议成立，取消拟立项。")
    with pytest.raises(ValidationError) as err:
        services.answer_objection(s.officer, objection, None, "经核实，异议成立，取消拟立项。")
    assert err.value.field == "decision"
    for text in ("", "太短", "答" * 2001):
        with pytest.raises(ValidationError) as err:
            services.answer_objection(s.officer, objection, True, text)
        assert err.value.field == "answer"
    assert objection.status == ObjectionStatus.OPEN
    assert s.applications[0].status == ApplicationStatus.RECOMMENDED
    services.answer_objection(s.officer, objection, False, "经核实，该机构上一期项目已按期结项。")
    with pytest.raises(Conflict, match="已经答复"):
        services.answer_objection(s.officer, objection, True, "再次答复：异议成立，取消拟立项。")
    assert objection.status == ObjectionStatus.DISMISSED


# --- closing -------------------------------------------------------------------------------------------

def test_close_refused_before_the_period_ends(db):
    s = _published()
    with pytest.raises(Conflict, match=r"2026-12-11 23:59（北京时间）"):
        services.close_notice(s.officer, s.call, FIVE_DAYS_LATER)
    assert _count(Award) == 0 and s.call.status == CallStatus.NOTICE


def test_close_refused_while_objections_are_open(db):
    s = _published()
    _object(s)
    _object(s, application_id=s.applications[1].id)
    with pytest.raises(Conflict, match="还有 2 条异议尚未答复"):
        services.close_notice(s.officer, s.call, AFTER)
    assert _count(Award) == 0 and s.notice.closed_at is None


def test_close_refused_to_others_and_without_a_notice(db):
    s = reviewed_call()
    with pytest.raises(Conflict, match="还没有发布公示"):
        services.close_notice(s.officer, s.call, AFTER)
    _published(s)
    with pytest.raises(PermissionDenied):
        services.close_notice(s.finance, s.call, AFTER)


def test_close_makes_the_awards(db):
    s = _published()
    awards = services.close_notice(s.officer, s.call, AFTER)
    first, second, third = s.applications
    assert [(a.application_id, a.amount_fen, a.final_score, a.rank) for a in awards] == [
        (first.id, 5_000_000, Decimal("88.40"), 1),
        (second.id, 3_500_000, Decimal("81.25"), 2)]  # the officer's adjusted amount
    # Decided on Saturday 2026-12-12 (Beijing).
    assert [a.number for a in awards] == [f"GY2026-{s.call.id:04d}-001", f"GY2026-{s.call.id:04d}-002"]
    assert all(a.organization_id == app.organization_id for a, app in zip(awards, s.applications))
    assert all(a.awarded_at == AFTER and a.awarded_by_id == s.officer.id for a in awards)
    assert [a.status for a in s.applications] == [
        ApplicationStatus.AWARDED, ApplicationStatus.AWARDED, ApplicationStatus.REJECTED]
    assert s.notice.closed_at == AFTER and s.notice.closed_by_id == s.officer.id
    assert s.call.status == CallStatus.AWARDED
    assert _count(AuditEntry, AuditEntry.action == "notice.close") == 1
    assert _count(Notification, Notification.user_id == s.owners[0].id, Notification.kind == "award.awarded") == 1
    assert _count(Notification, Notification.user_id == s.owners[2].id, Notification.kind == "award.rejected") == 1
    assert services.award_totals(s.call) == (2, 8_500_000)
    with pytest.raises(Conflict):
        services.close_notice(s.officer, s.call, AFTER + timedelta(days=1))


def test_close_after_an_upheld_objection_awards_only_what_stands(db):
    s = _published()
    objection = _object(s, application_id=s.applications[0].id)
    services.answer_objection(s.officer, objection, True, "经核实，异议成立，取消其拟立项资格。")
    awards = services.close_notice(s.officer, s.call, AFTER)
    assert [a.application_id for a in awards] == [s.applications[1].id]
    assert awards[0].number.endswith("-001") and awards[0].rank == 2
    assert s.applications[0].status == ApplicationStatus.REJECTED


# --- public award list ------------------------------------------------------------------------------------

def _awarded():
    s = _published()
    services.close_notice(s.officer, s.call, AFTER)
    return s


def test_public_awards_filters(db):
    from app.extensions import db as _db

    s = _awarded()
    other = _awarded()

    def titles(**kw):
        return sorted(a.application.title for a in _db.session.scalars(services.public_awards(**kw)))

    assert titles(call_id=s.call.id) == ["四点半课堂", "银龄饭桌助餐项目"]
    assert titles(q="四点半", call_id=s.call.id) == ["四点半课堂"]
    assert titles(q="翠湖社区", call_id=other.call.id) == ["银龄饭桌助餐项目"]
    assert titles(region_id=s.county.id) == ["四点半课堂", "银龄饭桌助餐项目"]
    foreign = make_region(level=RegionLevel.COUNTY)
    assert titles(region_id=foreign.id) == []
    assert len(titles(year=2026)) >= 4 and titles(year=2025, call_id=s.call.id) == []
    choices = services.award_filter_choices()
    assert (s.call.id, s.call.title) in choices.calls and 2026 in choices.years
    assert (s.county.id, s.county.name) in choices.regions


def test_award_number_is_deterministic():
    call = type("C", (), {"id": 7})()
    assert services.award_number(call, 2026, 3) == "GY2026-0007-003"



# --- two officers at the same moment ---------------------------------------------------------------------------
# The other officer's write is made behind the session's back (the objects here still look
# open), as a concurrent transaction that committed first would be seen.

def test_an_objection_answered_meanwhile_is_not_answered_again(db):
    from sqlalchemy import update

    s = _published()
    objection = _object(s, application_id=s.applications[0].id)
    db.session.execute(update(Objection).where(Objection.id == objection.id).values(
        status=ObjectionStatus.DISMISSED, answer="另一位主管已答复：异议不成立。", answered_at=AFTER)
        .execution_options(synchronize_session=False))
    assert objection.status == ObjectionStatus.OPEN  # stale
    with pytest.raises(Conflict, match="已经答复"):
        services.answer_objection(s.officer, objection, True, "经核实，异议成立，取消拟立项。")
    assert s.applications[0].status == ApplicationStatus.RECOMMENDED


def test_a_notice_closed_meanwhile_is_not_closed_again(db):
    from sqlalchemy import update

    s = _published()
    db.session.execute(update(Notice).where(Notice.id == s.notice.id).values(closed_at=AFTER)
                       .execution_options(synchronize_session=False))
    assert s.notice.closed_at is None  # stale
    with pytest.raises(Conflict, match="立项决定已经作出"):
        services.close_notice(s.officer, s.call, AFTER)
    assert _count(Award) == 0

"""Breaches (违约) and bars: recording on an award, lifting early, who may, bad input, and
what the organization's pages then show."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.applications.eligibility import run_checks
from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.core import events
from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.awards import breaches
from app.orgs import credit
from app.orgs.credit import CreditGrade
from app.orgs.models import Debarment
from app.regions.models import RegionLevel
from tests.conftest import login
from tests.factories import (add_member, make_application, make_award, make_call, make_funder, make_org,
                             make_region, make_staff, make_user)

TODAY = date(2026, 11, 29)


@pytest.fixture
def w(db):
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    other_county = make_region(level=RegionLevel.COUNTY, name="盘龙区")
    community = make_region(level=RegionLevel.COMMUNITY, parent=county, name="翠湖社区")
    funder = make_funder(region=county, name="五华区民政局")
    other = make_funder(region=other_county, name="盘龙区民政局")
    officer = make_staff(funder, name="王主管")
    owner, member = make_user(name="组织负责人"), make_user(name="组织成员")
    org = make_org(community=community, name="翠湖助老服务队", owner=owner)
    add_member(org, member)
    call = make_call(funder, status=CallStatus.AWARDED, title="2026年五华区公益创投")
    application = make_application(call, org, status=ApplicationStatus.AWARDED, title="长者助餐")
    award = make_award(application)
    award.awarded_at = datetime(2026, 3, 1, 2, tzinfo=timezone.utc)
    db.session.flush()
    return {"funder": funder, "other": other, "officer": officer, "officer_other": make_staff(other),
            "owner": owner, "member": member, "org": org, "call": call, "award": award, "community": community}


def bar_count(db) -> int:
    return db.session.scalar(select(func.count(Debarment.id)))


@pytest.fixture
def emitted(monkeypatch):
    """The breach events, caught without the notifications domain's handlers."""
    seen = []
    for name in ("breach.recorded", "debarment.lifted"):
        monkeypatch.setitem(events._HANDLERS, name, [lambda name=name, **kw: seen.append((name, kw))])
    return seen


# --- recording ------------------------------------------------------------------------------

def test_record_a_breach_with_the_defaults(db, w, emitted):
    bar = breaches.record_breach(w["officer"], w["award"], "  擅自变更资金用途。 ", today=TODAY)
    assert (bar.organization_id, bar.funder_id, bar.award_id) == (w["org"].id, w["funder"].id, w["award"].id)
    assert (bar.starts_on, bar.ends_on, bar.reason) == (TODAY, date(2029, 11, 29), "擅自变更资金用途。")
    assert bar.created_by_id == w["officer"].id and bar.active_on(TODAY)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "breach.record"))
    assert entry.object_id == str(bar.id) and entry.after["years"] == 3 and entry.after["award_id"] == w["award"].id
    assert [(name, kw["debarment"]) for name, kw in emitted] == [("breach.recorded", bar)]


def test_record_with_a_start_date_and_years(db, w):
    bar = breaches.record_breach(w["officer"], w["award"], "违约", "2026-06-15", "5", today=TODAY)
    assert (bar.starts_on, bar.ends_on) == (date(2026, 6, 15), date(2031, 6, 15))


def test_a_leap_day_start_ends_on_the_28th(db, w):
    w["award"].awarded_at = datetime(2024, 1, 1, tzinfo=timezone.utc)
    bar = breaches.record_breach(w["officer"], w["award"], "违约", date(2024, 2, 29), 1, today=TODAY)
    assert bar.ends_on == date(2025, 2, 28)


@pytest.mark.parametrize("kwargs,field,words", [
    ({"reason": ""}, "reason", "请填写违约情况"),
    ({"reason": "   "}, "reason", "请填写违约情况"),
    ({"reason": "长" * 501}, "reason", "500"),
    ({"reason": "违约\x00"}, "reason", "控制字符"),
    ({"starts_on": "2026-11-30"}, "starts_on", "不能晚于今天"),
    ({"starts_on": "9999-12-31"}, "starts_on", "不能晚于今天"),
    ({"starts_on": "2026-13-01"}, "starts_on", "不是有效的日期"),
    ({"starts_on": "abc"}, "starts_on", "不是有效的日期"),
    ({"starts_on": "２０２６-０１-０１"}, "starts_on", "不是有效的日期"),
    ({"starts_on": "2026-02-28"}, "starts_on", "不能早于立项日期 2026-03-01"),
    ({"years": 0}, "years", "1 到 5"),
    ({"years": "6"}, "years", "1 到 5"),
    ({"years": "abc"}, "years", "1 到 5"),
    ({"years": ""}, "years", "1 到 5"),
    ({"years": "-1"}, "years", "1 到 5"),
    ({"years": "３"}, "years", "1 到 5"),
    ({"years": True}, "years", "1 到 5"),
])
def test_bad_input_is_refused_and_nothing_is_written(db, w, kwargs, field, words):
    args = {"reason": "违约", "starts_on": "2026-11-01", "years": 3, **kwargs}
    with pytest.raises(ValidationError) as err:
        breaches.record_breach(w["officer"], w["award"], args["reason"], args["starts_on"], args["years"], today=TODAY)
    assert err.value.field == field and words in err.value.message
    assert bar_count(db) == 0


def test_one_active_bar_per_award(db, w):
    breaches.record_breach(w["officer"], w["award"], "违约", today=TODAY)
    with pytest.raises(Conflict, match="不能重复记录"):
        breaches.record_breach(w["officer"], w["award"], "又一次违约", today=TODAY)
    assert bar_count(db) == 1


@pytest.mark.parametrize("who", ["officer_other", "owner", "member"])
def test_only_the_calls_program_officers_record(db, w, who):
    with pytest.raises(PermissionDenied):
        breaches.record_breach(w[who], w["award"], "违约", today=TODAY)
    assert bar_count(db) == 0


# --- lifting --------------------------------------------------------------------------------

def test_lift_early_keeps_the_breach_and_restores_eligibility(db, w, emitted):
    bar = breaches.record_breach(w["officer"], w["award"], "违约", "2026-06-01", today=TODAY)
    breaches.lift(w["officer"], bar, "已整改并退回资金。", today=TODAY)
    assert (bar.lifted_on, bar.lift_reason, bar.lifted_by_id) == (TODAY, "已整改并退回资金。", w["officer"].id)
    assert bar.effective_end == TODAY and not bar.active_on(TODAY) and bar.active_on(TODAY - timedelta(days=1))
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "debarment.lift")).after["lift_reason"]
    assert [name for name, _kw in emitted] == ["breach.recorded", "debarment.lifted"]
    # The breach still costs its points; the grade is no longer D for the bar.
    a = credit.assess(w["org"], TODAY)
    assert (a.score, a.grade, a.active_bars) == (50, CreditGrade.D, [])   # 80 − 30 = 50 < 60
    # A new call of the funder accepts the organization again.
    call = make_call(w["funder"], status=CallStatus.SCREENING)
    application = make_application(call, w["org"], status=ApplicationStatus.SUBMITTED)
    now = datetime(2026, 11, 29, 4, tzinfo=timezone.utc)
    assert next(c for c in run_checks(application, now) if c.rule == "not_barred").passed
    # …which refused it the day before.
    assert not next(c for c in run_checks(application, now - timedelta(days=1)) if c.rule == "not_barred").passed


def test_a_lifted_bar_cannot_be_lifted_again(db, w):
    bar = breaches.record_breach(w["officer"], w["award"], "违约", today=TODAY)
    breaches.lift(w["officer"], bar, "已整改", today=TODAY)
    with pytest.raises(Conflict, match="不能重复解除"):
        breaches.lift(w["officer"], bar, "再次解除", today=TODAY)
    assert bar.lift_reason == "已整改"


def test_an_expired_bar_needs_no_lifting(db, w):
    bar = breaches.record_breach(w["officer"], w["award"], "违约", "2026-06-01", 1, today=TODAY)
    with pytest.raises(Conflict, match="到期"):
        breaches.lift(w["officer"], bar, "解除", today=date(2027, 6, 1))
    assert bar.lifted_on is None


def test_after_lifting_a_new_breach_can_be_recorded_on_the_award(db, w):
    bar = breaches.record_breach(w["officer"], w["award"], "违约", "2026-06-01", today=TODAY)
    breaches.lift(w["officer"], bar, "已整改", today=TODAY)
    again = breaches.record_breach(w["officer"], w["award"], "再次违约", today=TODAY)
    assert again.id != bar.id and bar_count(db) == 2


@pytest.mark.parametrize("reason", ["", "  ", "长" * 501])
def test_lift_needs_a_reason(db, w, reason):
    bar = breaches.record_breach(w["officer"], w["award"], "违约", today=TODAY)
    with pytest.raises(ValidationError):
        breaches.lift(w["officer"], bar, reason, today=TODAY)
    assert bar.lifted_on is None


@pytest.mark.parametrize("who", ["officer_other", "owner"])
def test_only_the_barring_funders_officers_lift(db, w, who):
    bar = breaches.record_breach(w["officer"], w["award"], "违约", today=TODAY)
    with pytest.raises(PermissionDenied):
        breaches.lift(w[who], bar, "解除", today=TODAY)
    assert bar.lifted_on is None


# --- the pages ---------------------------------------------------------------------------

def test_breach_form_get_shows_the_defaults(client, db, w):
    login(client, w["officer"])
    resp = client.get(f"/awards/{w['award'].id}/breach")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f'value="{credit.china_today().isoformat()}"' in html and 'name="years"' in html and 'value="3"' in html
    assert "翠湖助老服务队" in html and "五华区民政局" in html


def test_breach_form_post_records_and_shows_the_credit_page(client, db, w):
    login(client, w["officer"])
    today = credit.china_today()
    resp = client.post(f"/awards/{w['award'].id}/breach",
                       data={"reason": "擅自变更资金用途。", "starts_on": today.isoformat(), "years": "2"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/orgs/{w['org'].id}/credit")
    bar = db.session.scalar(select(Debarment))
    assert bar.ends_on == breaches.add_years(today, 2)
    page = client.get(f"/orgs/{w['org'].id}/credit").get_data(as_text=True)
    assert "已记录违约" in page and "擅自变更资金用途。" in page and "禁止申报中" in page
    assert 'data-credit-grade="D"' in page and "−30" in page
    profile = client.get(f"/orgs/{w['org'].id}").get_data(as_text=True)
    assert 'data-credit-grade="D"' in profile and "被“五华区民政局”禁止申报，" in profile and "起可再申报" in profile


@pytest.mark.parametrize("data,words", [
    ({"reason": "", "starts_on": "2026-01-01", "years": "3"}, "请填写违约情况"),
    ({"reason": "违约", "starts_on": "9999-12-31", "years": "3"}, "不能晚于今天"),
    ({"reason": "违约", "starts_on": "abc", "years": "3"}, "不是有效的日期"),
    ({"reason": "违约", "starts_on": "", "years": "0"}, "1 到 5"),
    ({"reason": "违约", "starts_on": "", "years": "6"}, "1 到 5"),
    ({"reason": "违约", "starts_on": "", "years": "abc"}, "1 到 5"),
])
def test_breach_form_bad_input_gives_the_message_and_changes_nothing(client, db, w, data, words):
    login(client, w["officer"])
    resp = client.post(f"/awards/{w['award'].id}/breach", data=data)
    assert resp.status_code == 200 and words in resp.get_data(as_text=True)
    assert bar_count(db) == 0


def test_lift_through_the_credit_page(client, db, w):
    bar = breaches.record_breach(w["officer"], w["award"], "违约", "2026-06-01", today=credit.china_today())
    db.session.commit()
    login(client, w["officer"])
    page = client.get(f"/orgs/{w['org'].id}/credit").get_data(as_text=True)
    assert f'action="/debarments/{bar.id}/lift"' in page
    resp = client.post(f"/debarments/{bar.id}/lift", data={"reason": ""})
    assert resp.status_code == 302 and db.session.get(Debarment, bar.id).lifted_on is None
    resp = client.post(f"/debarments/{bar.id}/lift", data={"reason": "已整改"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已解除" in html and "提前解除" in html and "已整改" in html
    assert db.session.get(Debarment, bar.id).lifted_on == credit.china_today()
    # Twice: refused with a message, nothing changed.
    resp = client.post(f"/debarments/{bar.id}/lift", data={"reason": "再次"}, follow_redirects=True)
    assert "不能重复解除" in resp.get_data(as_text=True)


def test_the_public_sees_no_lift_form_and_no_private_data(client, db, w):
    from tests.orgs.test_credit import objection

    bar = breaches.record_breach(w["officer"], w["award"], "违约", today=credit.china_today())
    objection({"funder": w["funder"]}, org=w["org"], answered=credit.china_today() - timedelta(days=3))
    db.session.commit()
    html = client.get(f"/orgs/{w['org'].id}/credit").get_data(as_text=True)
    assert "lift" not in html and "违约" in html and "异议成立" in html
    for secret in ("居民王某", "13900000000", "contact@example.cn", "0871-65550000", w["owner"].email):
        assert secret not in html
    assert f"/debarments/{bar.id}/lift" not in html


def test_agreement_page_links_the_breach_form_for_officers_only(client, db, w):
    from tests.factories import make_agreement

    make_agreement(w["award"])
    db.session.commit()
    url = f"/awards/{w['award'].id}/agreement"
    login(client, w["officer"])
    assert f"/awards/{w['award'].id}/breach" in client.get(url).get_data(as_text=True)
    login(client, w["owner"])
    html = client.get(url).get_data(as_text=True)
    assert "/breach" not in html


def test_credit_rules_page(client, db):
    html = client.get("/orgs/credit-rules").get_data(as_text=True)
    assert "基础分 80 分" in html and "最多 +20 分" in html and "−30" in html and "36 个月" in html


# --- notifications (through the notifications domain's handlers) ----------------------------

def test_members_are_told_of_the_breach_and_of_the_lift(db, w):
    from app.notifications.models import Notification

    def inbox(user, kind):
        return list(db.session.scalars(select(Notification).where(
            Notification.user_id == user.id, Notification.kind == kind)))

    bar = breaches.record_breach(w["officer"], w["award"], "擅自变更资金用途。", today=TODAY)
    for user in (w["owner"], w["member"]):
        [message] = inbox(user, "breach.recorded")
        assert "五华区民政局" in message.title
        assert "擅自变更资金用途" in message.body and "长者助餐" in message.body and w["award"].number in message.body
        assert "2029-11-29" in message.body and message.link == f"/orgs/{w['org'].id}/credit"
    assert inbox(w["officer"], "breach.recorded") == []   # the officer who recorded it is not a member
    breaches.lift(w["officer"], bar, "已整改并退回资金。", today=TODAY)
    for user in (w["owner"], w["member"]):
        [message] = inbox(user, "debarment.lifted")
        assert "已整改并退回资金" in message.body and TODAY.isoformat() in message.body

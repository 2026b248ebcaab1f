"""The call's credit rules: the eligibility rule "credit_score" (信用分) and the call form's
min_credit_score / credit_bonus_max fields (service, form, detail page)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.applications.eligibility import gather_facts, run_checks
from app.applications.models import ApplicationStatus
from app.calls import services as call_services
from app.calls.models import Call, CallStatus
from app.core.errors import Conflict, ValidationError
from app.extensions import db as _db
from app.orgs.models import Debarment
from app.reports.models import ReportRating
from app.regions.models import RegionLevel
from tests.conftest import login
from tests.factories import make_application, make_call, make_funder, make_org, make_region, make_staff
from tests.orgs.test_credit import objection, report

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)   # 2026-11-29 10:00 in Beijing


@pytest.fixture
def w(db):
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    community = make_region(level=RegionLevel.COMMUNITY, parent=county, name="翠湖社区")
    funder = make_funder(region=county, name="五华区民政局")
    call = make_call(funder, status=CallStatus.SCREENING, title="2027年公益创投",
                     opens_at=NOW - timedelta(days=40), deadline_at=NOW - timedelta(days=5))
    awarded = make_call(funder, status=CallStatus.AWARDED, title="往年公益创投")
    org = make_org(community=community, name="翠湖助老服务队")
    application = make_application(call, org, status=ApplicationStatus.SUBMITTED, title="长者助餐")
    return {"county": county, "community": community, "funder": funder, "call": call, "org": org,
            "app": application, "officer": make_staff(funder), "awarded": awarded}


def check(application, now=NOW):
    _db.session.flush()
    return next((c for c in run_checks(application, now) if c.rule == "credit_score"), None)


def test_the_rule_is_off_without_a_minimum(w):
    assert check(w["app"]) is None


def test_passes_at_exactly_the_minimum(w):
    # One upheld objection (answered 2026-04-01): 80 − 10 = 70, grade C.
    objection({"funder": w["funder"]}, org=w["org"])
    w["call"].min_credit_score = 70
    c = check(w["app"])
    assert c.passed and c.label == "信用分"
    assert "70 分" in c.reason and "C 关注" in c.reason and "不低于 70 分" in c.reason and "2026-11-29" in c.reason


def test_fails_below_the_minimum_naming_score_grade_and_minimum(w):
    objection({"funder": w["funder"]}, org=w["org"])
    w["call"].min_credit_score = 71
    c = check(w["app"])
    assert not c.passed
    assert "平台信用分 70 分" in c.reason and "C 关注" in c.reason and "不低于 71 分" in c.reason


def test_a_bar_shows_in_the_reason(w):
    _db.session.add(Debarment(organization_id=w["org"].id, funder_id=make_funder().id, starts_on=date(2026, 6, 1),
                              ends_on=date(2029, 6, 1), reason="违约"))
    w["call"].min_credit_score = 40
    c = check(w["app"])
    assert c.passed and "50 分" in c.reason and "D 失信" in c.reason and "正被禁止申报" in c.reason


def test_the_screening_date_decides(w):
    # A 不合格 rating reviewed on 2026-11-20: 65 from that day, 80 before it.
    report({"call": w["awarded"], "org": w["org"]}, rating=ReportRating.FAIL, reviewed=date(2026, 11, 20))
    w["call"].min_credit_score = 70
    assert not check(w["app"]).passed
    assert check(w["app"], now=datetime(2026, 11, 19, 2, tzinfo=timezone.utc)).passed


def test_batch_facts_load_the_credit_in_three_more_queries_whatever_the_number(w, count_queries):
    w["call"].min_credit_score = 60

    def measure(n):
        apps = [w["app"]] + [make_application(w["call"], make_org(community=w["community"]),
                                              status=ApplicationStatus.SUBMITTED) for _ in range(n)]
        for a in apps[1:]:
            objection({"funder": w["funder"]}, org=a.organization)
        _db.session.flush()
        with count_queries() as queries:
            facts = gather_facts(apps)
        with count_queries() as checking:
            checks = [next(c for c in run_checks(a, NOW, facts) if c.rule == "credit_score") for a in apps]
        assert checking() <= 2   # the rule itself reads nothing more (the call's funder, once)
        return queries(), checks

    few, checks_few = measure(1)
    many, checks_many = measure(6)
    assert few == many == 5   # bars, other applications, then reports, objections, breaches
    assert [c.passed for c in checks_many] == [True] * 7
    assert all("70 分" in c.reason for c in checks_many[1:]) and "80 分" in checks_many[0].reason


def test_batch_facts_without_a_credit_rule_stay_at_two_queries(w, count_queries):
    with count_queries() as n:
        facts = gather_facts([w["app"]])
    assert n() == 2 and facts.credit is None


# --- the call's fields --------------------------------------------------------------------------

@pytest.mark.parametrize("minimum,bonus", [(None, 0), ("", "0"), ("0", "10"), ("100", "3"), (60, 5)])
def test_clean_credit_rules_accepts(minimum, bonus):
    values = call_services.clean_credit_rules({"min_credit_score": minimum, "credit_bonus_max": bonus})
    assert values["min_credit_score"] == (None if minimum in (None, "") else int(minimum))
    assert values["credit_bonus_max"] == int(bonus)


@pytest.mark.parametrize("minimum,bonus,field", [
    ("101", "0", "min_credit_score"), ("-1", "0", "min_credit_score"), ("abc", "0", "min_credit_score"),
    ("６０", "0", "min_credit_score"), ("60.5", "0", "min_credit_score"),
    (None, "11", "credit_bonus_max"), (None, "-1", "credit_bonus_max"), (None, "2.5", "credit_bonus_max"),
    (None, "x", "credit_bonus_max"),
])
def test_clean_credit_rules_refuses(app, minimum, bonus, field):
    with app.test_request_context(), pytest.raises(ValidationError) as err:
        call_services.clean_credit_rules({"min_credit_score": minimum, "credit_bonus_max": bonus})
    assert err.value.field == field


def test_set_credit_rules_only_on_a_draft(w):
    draft = make_call(w["funder"], title="草稿")
    call_services.set_credit_rules(w["officer"], draft, "60", "3")
    assert (draft.min_credit_score, draft.credit_bonus_max) == (60, 3)
    with pytest.raises(Conflict):
        call_services.set_credit_rules(w["officer"], w["call"], "60", "3")


def _form(w, **over):
    from tests.calls.test_views import _form as base

    street = make_region(level=RegionLevel.STREET, parent=w["county"], name="华山街道")
    return base({"funder": w["funder"], "street": street}, **over)


def test_the_call_form_saves_the_credit_rules_and_the_detail_page_shows_them(client, w):
    login(client, w["officer"])
    resp = client.post(f"/calls/new?funder={w['funder'].id}",
                       data=_form(w, title="带信用规则的征集", min_credit_score="60", credit_bonus_max="3"))
    assert resp.status_code == 302
    call = _db.session.scalar(select(Call).where(Call.title == "带信用规则的征集"))
    assert (call.min_credit_score, call.credit_bonus_max) == (60, 3)
    edit = client.get(f"/calls/{call.id}/edit").get_data(as_text=True)
    assert 'name="min_credit_score"' in edit and 'value="60"' in edit and 'name="credit_bonus_max"' in edit
    body = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "平台信用分不低于 60 分" in body and "最多 3 分" in body and "B 级加 1.50 分" in body
    assert "/orgs/credit-rules" in body and "按最终得分比较" in body
    # Cleared: the rule is off again.
    resp = client.post(f"/calls/{call.id}/edit", data=_form(w, title="带信用规则的征集", min_credit_score="",
                                                             credit_bonus_max="0"))
    assert resp.status_code == 302 and (call.min_credit_score, call.credit_bonus_max) == (None, 0)
    body = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "平台信用分不低于" not in body and "信用加分：" not in body


@pytest.mark.parametrize("over,message", [({"min_credit_score": "101"}, "最低信用分应在 0 到 100 之间"),
                                          ({"credit_bonus_max": "11"}, "信用加分上限应在 0 到 10 之间"),
                                          ({"credit_bonus_max": "2.5"}, "信用加分上限请填写整数"),
                                          ({"min_credit_score": "abc"}, "最低信用分请填写整数")])
def test_the_call_form_refuses_bad_credit_rules(client, w, over, message):
    login(client, w["officer"])
    resp = client.post(f"/calls/new?funder={w['funder'].id}", data=_form(w, title="错误的征集", **over))
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert _db.session.scalar(select(Call).where(Call.title == "错误的征集")) is None

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.calls.models import Call, CallStatus, RubricCriterion
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.funders.models import StaffRole
from app.regions.models import RegionLevel
from tests.conftest import login
from tests.factories import make_call, make_funder, make_region, make_staff, make_user


@pytest.fixture
def w(db):
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    street = make_region(level=RegionLevel.STREET, parent=county, name="华山街道")
    funder = make_funder(region=county, name="五华区民政局")
    other_funder = make_funder(name="别处民政局")
    return {
        "county": county, "street": street, "funder": funder,
        "officer": make_staff(funder, StaffRole.PROGRAM_OFFICER),
        "finance": make_staff(funder, StaffRole.FINANCE_OFFICER),
        "officer_other": make_staff(other_funder, StaffRole.PROGRAM_OFFICER),
        "applicant": make_user(),
        "draft": make_call(funder, title="草稿里的征集"),
        "open": make_call(funder, status=CallStatus.OPEN, title="社区助老公益创投"),
    }


def _n(model):
    from app.extensions import db
    return db.session.scalar(select(func.count()).select_from(model))


def test_public_list_shows_published_calls_only(client, w):
    resp = client.get("/calls/")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "社区助老公益创投" in body and "草稿里的征集" not in body
    assert "还剩" in body and "征集中" in body


def test_public_list_filters_and_empty_state(client, w):
    body = client.get("/calls/?kind=purchase").get_data(as_text=True)
    assert "社区助老公益创投" not in body and "没有符合条件的征集" in body
    body = client.get("/calls/?q=助老&status=open&region=abc&page=-3").get_data(as_text=True)
    assert "社区助老公益创投" in body
    assert client.get("/calls/?status=draft&region=99999999999").status_code == 200


def test_detail_shows_rules_rubric_and_schedule(client, w):
    body = client.get(f"/calls/{w['open'].id}").get_data(as_text=True)
    assert "需求与服务对象" in body and "合计" in body and ">100<" in body
    assert "协议签订" in body and "业务活动费" in body and "还剩" in body


@pytest.mark.parametrize("who,status", [(None, 404), ("applicant", 404), ("officer_other", 404),
                                         ("officer", 200), ("finance", 200)])
def test_drafts_are_hidden_from_outsiders(client, w, who, status):
    if who:
        login(client, w[who])
    assert client.get(f"/calls/{w['draft'].id}").status_code == status
    assert client.get("/calls/999999").status_code == 404


@pytest.mark.parametrize("path", ["edit", "rubric", "installments"])
@pytest.mark.parametrize("who,status", [("officer_other", 403), ("finance", 403), ("applicant", 403),
                                         ("officer", 200)])
def test_manage_pages_only_for_the_funders_officer(client, w, path, who, status):
    login(client, w[who])
    assert client.get(f"/calls/{w['draft'].id}/{path}").status_code == status


def test_other_officer_cannot_publish_or_cancel(client, w):
    login(client, w["officer_other"])
    assert client.post(f"/calls/{w['draft'].id}/publish").status_code == 403
    assert client.post(f"/calls/{w['open'].id}/cancel", data={"reason": "x"}).status_code == 403
    assert w["draft"].status == CallStatus.DRAFT and w["open"].status == CallStatus.OPEN


def test_manage_list_and_new_page(client, w):
    login(client, w["officer"])
    body = client.get("/calls/manage").get_data(as_text=True)
    assert "草稿里的征集" in body and "社区助老公益创投" in body
    assert client.get(f"/calls/new?funder={w['funder'].id}").status_code == 200
    login(client, w["applicant"])
    assert client.get("/calls/manage").status_code == 403


def _form(w, **over):
    now = utcnow() + timedelta(hours=8)
    data = {"funder_id": str(w["funder"].id), "kind": "venture", "title": "2027年公益创投",
            "region_scope_id": str(w["street"].id), "budget": "300000", "min_award": "10000",
            "max_award": "50000", "matching_ratio_pct": "0", "management_cap_pct": "10",
            "budget_heads": "业务活动费\n管理费用", "allowed_legal_statuses": ["filed", "registered"],
            "min_org_age_months": "6", "max_applications_per_org": "1",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "deadline_at": (now + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
            "reviewers_per_application": "5", "aggregation": "trimmed_mean", "pass_line": "60",
            "disagreement_threshold": "15", "notice_working_days": "5", "require_normal_credit": "y"}
    data.update(over)
    return data


def test_create_call_through_the_form(client, w):
    login(client, w["officer"])
    resp = client.post(f"/calls/new?funder={w['funder'].id}", data=_form(w))
    assert resp.status_code == 302
    from app.extensions import db
    call = db.session.scalar(select(Call).where(Call.title == "2027年公益创投"))
    assert call.status == CallStatus.DRAFT and call.budget_fen == 30_000_000
    assert call.allowed_legal_statuses == ["registered", "filed"]
    assert len(call.criteria) == 6


@pytest.mark.parametrize("field,value,message", [
    ("budget", "-1", "金额不能为负数"), ("min_award", "１２３", "半角数字"),
    ("max_award", "1.234", "两位小数"), ("min_award", "1e9", "格式不正确"),
    ("title", "", "请填写征集标题"), ("deadline_at", "明天", "截止时间"),
    ("region_scope_id", "99999", "征集范围"),
])
def test_bad_form_input_writes_nothing(client, w, field, value, message):
    login(client, w["officer"])
    before = (_n(Call), _n(AuditEntry))
    resp = client.post(f"/calls/new?funder={w['funder'].id}", data=_form(w, **{field: value}))
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert (_n(Call), _n(AuditEntry)) == before


def test_rubric_editor_refuses_a_wrong_total_and_saves_a_right_one(client, w):
    login(client, w["officer"])
    call = w["draft"]
    bad = {"criteria-0-name": "需求", "criteria-0-max_points": "60", "criteria-0-weight": "1",
           "criteria-1-name": "设计", "criteria-1-max_points": "39", "criteria-1-weight": "1"}
    resp = client.post(f"/calls/{call.id}/rubric", data=bad)
    assert resp.status_code == 200 and "现在是 99 分" in resp.get_data(as_text=True)
    assert call.rubric_total == 100 and len(call.criteria) == 6
    good = dict(bad, **{"criteria-1-max_points": "40", "criteria-2-name": "", "criteria-2-max_points": ""})
    assert client.post(f"/calls/{call.id}/rubric", data=good).status_code == 302
    from app.extensions import db
    db.session.expire_all()
    assert [c.name for c in db.session.get(Call, call.id).criteria] == ["需求", "设计"]


def test_installments_editor(client, w):
    login(client, w["officer"])
    call = w["draft"]
    bad = {"steps-0-percent": "50", "steps-0-trigger": "agreement_signed",
           "steps-1-percent": "40", "steps-1-trigger": "progress_accepted",
           "steps-2-percent": "9", "steps-2-trigger": "final_accepted"}
    resp = client.post(f"/calls/{call.id}/installments", data=bad)
    assert resp.status_code == 200 and "现在是 99%" in resp.get_data(as_text=True)
    good = {"steps-0-percent": "70", "steps-0-trigger": "agreement_signed",
            "steps-1-percent": "30", "steps-1-trigger": "final_accepted"}
    assert client.post(f"/calls/{call.id}/installments", data=good).status_code == 302
    from app.extensions import db
    db.session.expire_all()
    assert [s.percent for s in db.session.get(Call, call.id).installments] == [70, 30]


def test_publish_advance_and_cancel(client, w):
    login(client, w["officer"])
    call = w["draft"]
    assert client.post(f"/calls/{call.id}/publish").status_code == 302
    assert call.status == CallStatus.OPEN
    # Not yet past the deadline: screening is refused with a message, nothing changes.
    resp = client.post(f"/calls/{call.id}/advance", data={"to": "screening"}, follow_redirects=True)
    assert "截止前不能进入形式审查" in resp.get_data(as_text=True)
    assert call.status == CallStatus.OPEN
    resp = client.post(f"/calls/{call.id}/cancel", data={"reason": ""}, follow_redirects=True)
    assert "请填写取消原因" in resp.get_data(as_text=True) and call.status == CallStatus.OPEN
    client.post(f"/calls/{call.id}/cancel", data={"reason": "预算调整"})
    assert call.status == CallStatus.CANCELLED
    # Editing a published call sends the officer back to the page.
    assert client.get(f"/calls/{call.id}/edit").status_code == 302


def test_nav_links(client, w):
    body = client.get("/").get_data(as_text=True)
    assert "项目征集" in body and "征集管理" not in body
    login(client, w["officer"])
    assert "征集管理" in client.get("/").get_data(as_text=True)

"""形式审查: the screening service (confirm, override, revise, batch) and its pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from app.applications import screening as service
from app.applications.models import ApplicationStatus, Screening, ScreeningDecision
from app.calls.models import CallStatus
from app.core import events
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.core.errors import Conflict, ValidationError
from app.funders.models import StaffRole
from app.orgs.models import CreditStatus
from app.regions.models import RegionLevel
from tests.conftest import login
from tests.factories import make_application, make_call, make_funder, make_org, make_region, make_staff, make_user


@pytest.fixture
def world(db):
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    street = make_region(level=RegionLevel.STREET, parent=county)
    community = make_region(level=RegionLevel.COMMUNITY, parent=street, name="翠湖社区")
    funder = make_funder(region=county)
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER, name="王主管")
    call = make_call(funder, status=CallStatus.SCREENING, title="2026 年社区公益创投",
                     opens_at=utcnow() - timedelta(days=40), deadline_at=utcnow() - timedelta(days=3))
    owner = make_user(name="李负责人")
    org = make_org(community=community, name="翠湖助老服务队", owner=owner)
    clean = make_application(call, org, status=ApplicationStatus.SUBMITTED, title="长者助餐")
    # A second organization whose request is below the call's minimum: the checks fail.
    org2 = make_org(community=community, name="莲华青少年之家")
    failing = make_application(call, org2, status=ApplicationStatus.SUBMITTED, title="青少年课后托管",
                               requested_fen=1_000_000)
    return {"funder": funder, "officer": officer, "call": call, "org": org, "owner": owner,
            "clean": clean, "failing": failing, "community": community}


@pytest.fixture
def screened_events():
    seen = []

    def record(**payload):
        seen.append(payload)

    events.subscribe("application.screened")(record)
    yield seen
    events._HANDLERS["application.screened"].remove(record)


def _audit(action: str) -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def _screenings() -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(Screening))


# --- service ---------------------------------------------------------------------------

def test_confirm_clean_application(world, screened_events):
    row = service.screen(world["officer"], world["clean"], "eligible", "", utcnow())
    assert world["clean"].status == ApplicationStatus.ELIGIBLE
    assert row.decision == ScreeningDecision.ELIGIBLE and row.checks_passed and not row.overridden
    assert row.decided_by_id == world["officer"].id
    assert {c["rule"] for c in row.checks} >= {"legal_status", "requested_amount", "one_per_org"}
    assert all(c["passed"] and c["reason"] for c in row.checks)
    assert _audit("application.status") == 1 and _audit("application.screen") == 1
    assert screened_events == [{"application": world["clean"], "actor": world["officer"],
                                "decision": ScreeningDecision.ELIGIBLE, "reason": ""}]


def test_failing_checks_confirmed_ineligible_without_reason(world):
    row = service.screen(world["officer"], world["failing"], ScreeningDecision.INELIGIBLE, "", utcnow())
    assert world["failing"].status == ApplicationStatus.INELIGIBLE
    assert not row.checks_passed and not row.overridden
    assert [c["rule"] for c in row.checks if not c["passed"]] == ["requested_amount"]


@pytest.mark.parametrize("key, decision", [("clean", "ineligible"), ("failing", "eligible")])
def test_override_requires_reason(world, screened_events, key, decision):
    application = world[key]
    with pytest.raises(ValidationError) as err:
        service.screen(world["officer"], application, decision, "  ", utcnow())
    assert err.value.field == "reason" and "不一致" in err.value.message
    assert application.status == ApplicationStatus.SUBMITTED and application.screening is None
    assert screened_events == [] and _audit("application.screen") == 0

    row = service.screen(world["officer"], application, decision, "经核实，材料与实际情况不符", utcnow())
    assert row.overridden and row.reason == "经核实，材料与实际情况不符"
    assert application.status.value == decision
    assert screened_events[0]["reason"] == "经核实，材料与实际情况不符"


def test_revision_requires_reason_and_updates_the_one_row(world):
    service.screen(world["officer"], world["clean"], "eligible", "", utcnow())
    with pytest.raises(ValidationError) as err:
        service.screen(world["officer"], world["clean"], "ineligible", "", utcnow())
    assert err.value.field == "reason"
    assert world["clean"].status == ApplicationStatus.ELIGIBLE

    row = service.screen(world["officer"], world["clean"], "ineligible", "发现该组织已被列入异常名录", utcnow())
    assert world["clean"].status == ApplicationStatus.INELIGIBLE and row.overridden
    assert _screenings() == 1
    entry = AuditEntry.query.filter_by(action="application.screen").order_by(AuditEntry.id.desc()).first()
    assert entry.before["decision"] == "eligible" and entry.after["revision"] is True

    # Back to eligible: still a revision, the reason is needed even though the checks pass.
    with pytest.raises(ValidationError):
        service.screen(world["officer"], world["clean"], "eligible", "", utcnow())
    row = service.screen(world["officer"], world["clean"], "eligible", "核实后恢复", utcnow())
    assert not row.overridden and world["clean"].status == ApplicationStatus.ELIGIBLE


def test_same_decision_again_is_refused(world):
    service.screen(world["officer"], world["clean"], "eligible", "", utcnow())
    with pytest.raises(Conflict):
        service.screen(world["officer"], world["clean"], "eligible", "再确认一次", utcnow())


def test_refused_outside_screening(world, screened_events):
    world["call"].status = CallStatus.OPEN
    with pytest.raises(Conflict) as err:
        service.screen(world["officer"], world["clean"], "eligible", "", utcnow())
    assert "形式审查" in err.value.message
    assert world["clean"].status == ApplicationStatus.SUBMITTED and _screenings() == 0 and not screened_events


@pytest.mark.parametrize("status", [ApplicationStatus.RETURNED, ApplicationStatus.WITHDRAWN,
                                    ApplicationStatus.UNDER_REVIEW])
def test_refused_for_applications_not_under_screening(world, status):
    application = make_application(world["call"], make_org(community=world["community"]), status=status)
    with pytest.raises(Conflict):
        service.screen(world["officer"], application, "eligible", "", utcnow())
    assert application.status == status


@pytest.mark.parametrize("decision, reason, field", [
    ("approve", "", "decision"), (None, "", "decision"), ("eligible", "字" * 1001, "reason"),
    ("ineligible", "含\x00控制字符", "reason")])
def test_bad_input_is_refused(world, decision, reason, field):
    with pytest.raises(ValidationError) as err:
        service.screen(world["officer"], world["clean"], decision, reason, utcnow())
    assert err.value.field == field
    assert world["clean"].status == ApplicationStatus.SUBMITTED and _screenings() == 0


def test_reason_of_1000_characters_is_accepted(world):
    row = service.screen(world["officer"], world["clean"], "ineligible", "字" * 1000, utcnow())
    assert len(row.reason) == 1000


def test_checks_are_stored_as_seen_at_decision_time(world):
    world["org"].credit_status = CreditStatus.ABNORMAL
    row = service.screen(world["officer"], world["clean"], "ineligible", "", utcnow())
    failed = [c for c in row.checks if not c["passed"]]
    assert [c["rule"] for c in failed] == ["credit_status"] and "活动异常名录" in failed[0]["reason"]


def test_batch_confirms_only_clean_pending_ones(world, screened_events):
    decided = make_application(world["call"], make_org(community=world["community"]),
                               status=ApplicationStatus.SUBMITTED)
    service.screen(world["officer"], decided, "ineligible", "抽查发现问题", utcnow())
    screened_events.clear()
    result = service.screen_batch(world["officer"], service.pending_applications(world["call"]), utcnow())
    assert (result.confirmed, result.needs_review) == (1, 1)
    assert world["clean"].status == ApplicationStatus.ELIGIBLE
    assert world["failing"].status == ApplicationStatus.SUBMITTED
    assert decided.status == ApplicationStatus.INELIGIBLE
    assert [e["application"] for e in screened_events] == [world["clean"]]
    assert not world["clean"].screening.overridden
    # Passing decided ones too: never revised.
    again = service.screen_batch(world["officer"], [world["clean"], decided, world["failing"]], utcnow())
    assert (again.confirmed, again.needs_review, again.decided) == (0, 1, 2)


def test_batch_refused_outside_screening(world):
    world["call"].status = CallStatus.REVIEWING
    with pytest.raises(Conflict):
        service.screen_batch(world["officer"], [world["clean"]], utcnow())
    assert world["clean"].status == ApplicationStatus.SUBMITTED


def test_rows_filters_and_search(world):
    service.screen(world["officer"], make_application(world["call"], make_org(community=world["community"]),
                                                      status=ApplicationStatus.SUBMITTED, title="社区议事厅"),
                   "eligible", "", utcnow())
    make_application(world["call"], make_org(community=world["community"]), status=ApplicationStatus.DRAFT,
                     title="还在草稿")
    titles = lambda status=None, q=None: [r.application.title for r in service.screening_rows(  # noqa: E731
        world["call"], utcnow(), status=status, q=q)]
    assert titles() == ["长者助餐", "青少年课后托管", "社区议事厅"]  # pending first; drafts never
    assert titles("pending") == ["长者助餐", "青少年课后托管"]
    assert titles("pass") == ["长者助餐"]
    assert titles("fail") == ["青少年课后托管"]
    assert titles("decided") == ["社区议事厅"]
    assert titles(q="莲华") == ["青少年课后托管"]  # organization name
    assert titles(q="助餐") == ["长者助餐"]
    assert titles(q="100%_") == []
    overview = service.screening_overview(world["call"], utcnow(), status="fail")
    assert overview.counts == {"all": 3, "pending": 2, "pass": 1, "fail": 1, "decided": 1}
    assert len(overview.rows) == 1


def test_rows_take_a_fixed_number_of_queries(world, db, count_queries):
    def measure():
        db.session.commit()
        db.session.expire_all()
        with count_queries() as n:
            rows = service.screening_rows(world["call"], utcnow())
            for r in rows:
                [c.reason for c in r.checks]
                r.screening and r.screening.decided_by
        return n(), len(rows)

    service.screen(world["officer"], world["clean"], "eligible", "", utcnow())
    few, count_few = measure()
    for i in range(6):
        a = make_application(world["call"], make_org(community=world["community"]),
                             status=ApplicationStatus.SUBMITTED)
        if i % 2:
            service.screen(world["officer"], a, "eligible", "", utcnow())
    many, count_many = measure()
    assert count_many == count_few + 6
    assert many == few


# --- pages -----------------------------------------------------------------------------

def _batch_url(call):
    return f"/applications/call/{call.id}/screening"


def test_batch_page_lists_checks_and_suggestions(client, world):
    login(client, world["officer"])
    resp = client.get(_batch_url(world["call"]))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "长者助餐" in html and "青少年课后托管" in html
    assert "建议通过" in html and "建议不通过" in html
    assert "申请 ¥10,000.00，低于本征集单个项目最低额 ¥20,000.00。" in html  # the failing reason
    assert "✗" in html and "未通过" in html  # icon and words, not colour alone
    assert "一键确认通过项（1 份）" in html


def test_batch_page_filter_search_and_empty_state(client, world):
    login(client, world["officer"])
    html = client.get(_batch_url(world["call"]) + "?status=fail").get_data(as_text=True)
    assert "青少年课后托管" in html and "长者助餐" not in html
    html = client.get(_batch_url(world["call"]) + "?q=不存在的项目").get_data(as_text=True)
    assert "没有符合条件的申报书" in html
    resp = client.get(_batch_url(world["call"]) + "?status=nonsense&page=abc&q=%00")
    assert resp.status_code == 200 and "长者助餐" in resp.get_data(as_text=True)


def test_batch_page_paginates(client, world, app):
    for _ in range(app.config["PAGE_SIZE"]):
        make_application(world["call"], make_org(community=world["community"]), status=ApplicationStatus.SUBMITTED)
    login(client, world["officer"])
    html = client.get(_batch_url(world["call"]) + "?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in html


def test_batch_confirm_all(client, world):
    login(client, world["officer"])
    resp = client.post(_batch_url(world["call"]) + "/confirm")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(_batch_url(world["call"]))
    assert world["clean"].status == ApplicationStatus.ELIGIBLE
    assert world["failing"].status == ApplicationStatus.SUBMITTED
    html = client.get(_batch_url(world["call"])).get_data(as_text=True)
    assert "已确认 1 份申报书形式审查通过" in html and "1 份申报书有未通过的检查项" in html


def test_batch_confirm_all_outside_screening_changes_nothing(client, world):
    world["call"].status = CallStatus.REVIEWING
    login(client, world["officer"])
    resp = client.post(_batch_url(world["call"]) + "/confirm")
    assert resp.status_code == 302
    assert world["clean"].status == ApplicationStatus.SUBMITTED and _screenings() == 0
    html = client.get(_batch_url(world["call"])).get_data(as_text=True)
    assert "只有在“形式审查”阶段才能" in html
    assert "一键确认通过项" not in html


def test_screen_page_shows_each_check_with_reason(client, world):
    login(client, world["officer"])
    resp = client.get(f"/applications/{world['failing'].id}/screening")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "申请金额" in html and "低于本征集单个项目最低额" in html
    assert "组织类型" in html and "本征集接受" in html
    assert "选择不同的结论时必须填写理由" in html
    # The suggestion is preselected.
    radios = re.findall(r"<input[^>]*name=\"decision\"[^>]*>", html)
    assert [r for r in radios if "checked" in r] == [r for r in radios if 'value="ineligible"' in r]


def test_post_decision(client, world):
    login(client, world["officer"])
    resp = client.post(f"/applications/{world['clean'].id}/screening", data={"decision": "eligible", "reason": ""})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(_batch_url(world["call"]))
    assert world["clean"].status == ApplicationStatus.ELIGIBLE
    html = client.get(_batch_url(world["call"])).get_data(as_text=True)
    assert "已对“长者助餐”作出形式审查结论：通过" in html


def test_post_override_without_reason_writes_nothing(client, world):
    login(client, world["officer"])
    before = AuditEntry.query.count()
    resp = client.post(f"/applications/{world['clean'].id}/screening", data={"decision": "ineligible", "reason": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "与自动检查的建议（通过）不一致，请填写理由" in html
    assert world["clean"].status == ApplicationStatus.SUBMITTED
    assert _screenings() == 0 and AuditEntry.query.count() == before


@pytest.mark.parametrize("data", [{}, {"decision": "maybe"}, {"decision": "eligible", "reason": "字" * 1001},
                                  {"decision": "eligible", "reason": "a\x00b"},
                                  {"decision": ["eligible", "ineligible"], "status": "eligible"}])
def test_post_bad_input_gives_a_message(client, world, data):
    login(client, world["officer"])
    resp = client.post(f"/applications/{world['failing'].id}/screening", data=data)
    assert resp.status_code == 200
    assert 'class="alert alert-danger"' in resp.get_data(as_text=True)
    assert world["failing"].status == ApplicationStatus.SUBMITTED and _screenings() == 0


def test_revision_page_says_a_reason_is_required(client, world):
    service.screen(world["officer"], world["clean"], "ineligible", "材料不全", utcnow())
    login(client, world["officer"])
    html = client.get(f"/applications/{world['clean'].id}/screening").get_data(as_text=True)
    assert "修改已作出的结论必须填写理由" in html
    assert "形式审查结果" in html and "材料不全" in html and "王主管" in html
    resp = client.post(f"/applications/{world['clean'].id}/screening", data={"decision": "eligible"})
    assert resp.status_code == 200 and "修改已作出的审查结论，请填写理由" in resp.get_data(as_text=True)
    assert world["clean"].status == ApplicationStatus.INELIGIBLE


def test_screen_page_read_only_outside_screening(client, world):
    world["call"].status = CallStatus.REVIEWING
    login(client, world["officer"])
    html = client.get(f"/applications/{world['clean'].id}/screening").get_data(as_text=True)
    assert "当前处于“专家评审”阶段" in html and "保存审查结论" not in html
    assert "低于" not in html and "申请金额" in html
    resp = client.post(f"/applications/{world['clean'].id}/screening", data={"decision": "eligible"})
    assert resp.status_code == 302
    assert world["clean"].status == ApplicationStatus.SUBMITTED and _screenings() == 0
    assert "当前处于“专家评审”阶段" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_pages_refuse_other_staff(client, world, db):
    finance = make_staff(world["funder"], StaffRole.FINANCE_OFFICER)
    other = make_staff(make_funder(), StaffRole.PROGRAM_OFFICER)
    for user in (finance, other, world["owner"]):
        login(client, user)
        assert client.get(_batch_url(world["call"])).status_code == 403
        assert client.post(f"/applications/{world['clean'].id}/screening",
                           data={"decision": "eligible"}).status_code == 403
    assert world["clean"].status == ApplicationStatus.SUBMITTED


def test_missing_objects_are_404(client, world):
    login(client, world["officer"])
    assert client.get("/applications/call/999999/screening").status_code == 404
    assert client.get("/applications/999999/screening").status_code == 404


# --- the summary partial ------------------------------------------------------------------

def _render_summary(app, user, application):
    with app.test_request_context():
        login_user(user)
        return render_template("applications/_screening_summary.html", application=application)


def test_summary_shows_the_decision_to_members_and_staff(app, world):
    service.screen(world["officer"], world["clean"], "ineligible", "服务对象与本次征集不符", utcnow())
    for user in (world["owner"], world["officer"], make_staff(world["funder"], StaffRole.AUDITOR)):
        html = _render_summary(app, user, world["clean"])
        assert "形式审查未通过" in html and "服务对象与本次征集不符" in html and "王主管" in html
        assert "审查人员的结论与自动检查建议不同" in html


def test_summary_is_empty_without_a_decision_or_for_outsiders(app, world):
    assert _render_summary(app, world["owner"], world["clean"]).strip() == ""
    service.screen(world["officer"], world["clean"], "eligible", "", utcnow())
    assert _render_summary(app, make_user(), world["clean"]).strip() == ""
    assert _render_summary(app, make_staff(make_funder(), StaffRole.PROGRAM_OFFICER), world["clean"]).strip() == ""


def test_call_leaves_screening_only_when_every_application_is_decided(db):
    """Advancing to expert review is refused while an application waits for screening or
    can still be corrected; it goes once all are decided (a lapsed correction lets go)."""
    from datetime import timedelta

    from app.applications import screening as screening_services
    from app.applications import services as application_services
    from app.calls import services as call_services
    from app.calls.models import CallStatus
    from app.core.db import utcnow
    from app.core.errors import Conflict
    from app.funders.models import StaffRole
    from tests.factories import make_application, make_call, make_funder, make_org, make_staff

    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    call = make_call(funder, status=CallStatus.SCREENING, opens_at=utcnow() - timedelta(days=30),
                     deadline_at=utcnow() - timedelta(days=1))
    waiting = make_application(call, make_org(), status=ApplicationStatus.SUBMITTED)
    returned = make_application(call, make_org(), status=ApplicationStatus.SUBMITTED)
    now = utcnow()
    application_services.return_for_correction(officer, returned, "缺少财务报表", now + timedelta(days=3), now)

    with pytest.raises(Conflict, match="1 份申报书待审查，1 份退回补正"):
        call_services.advance(officer, call, CallStatus.REVIEWING, now)
    assert call.status == CallStatus.SCREENING

    screening_services.screen(officer, waiting, "eligible", "经复核符合条件", now)
    with pytest.raises(Conflict, match="0 份申报书待审查，1 份退回补正"):
        call_services.advance(officer, call, CallStatus.REVIEWING, now)
    # After the correction deadline the returned application no longer holds the call back
    # (once a panel with a chair covers the eligible application).
    from app.reviews import panels
    from tests.factories import make_expert

    panels.add_member(officer, call, make_expert(), "chair")
    panels.add_assignment(officer, waiting, panels.panel_for(call).members[0])
    call_services.advance(officer, call, CallStatus.REVIEWING, now + timedelta(days=4))
    assert call.status == CallStatus.REVIEWING
    assert waiting.status == ApplicationStatus.UNDER_REVIEW

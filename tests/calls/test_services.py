from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.calls import services
from app.calls.models import (AggregationMethod, Call, CallKind, CallStatus, InstallmentTrigger,
                              RubricCriterion)
from app.core.audit import AuditEntry
from app.core.errors import Conflict, InvalidTransition, ValidationError
from app.funders.models import StaffRole
from app.regions.models import RegionLevel
from tests.factories import make_call, make_funder, make_region, make_staff

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def setup(db):
    county = make_region(level=RegionLevel.COUNTY)
    street = make_region(level=RegionLevel.STREET, parent=county)
    funder = make_funder(region=county)
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    return funder, officer, county, street


def data(region, **over):
    base = {
        "kind": "venture", "title": "2026年社区公益创投", "summary": "简介", "description": "说明",
        "region_scope_id": region.id, "budget": "500000", "min_award": "20000", "max_award": "100000",
        "matching_ratio_pct": "10", "management_cap_pct": "10", "opens_at": NOW,
        "deadline_at": NOW + timedelta(days=30), "categories": ["life_service"],
        "service_targets": ["elderly"], "required_attachments": "登记证书\n项目预算表",
    }
    base.update(over)
    return base


def _count(model):
    from app.extensions import db
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_call_prefills_rubric_and_installments_and_audits(setup):
    funder, officer, county, street = setup
    call = services.create_call(officer, funder, data(street))
    assert call.status == CallStatus.DRAFT
    assert call.budget_fen == 50_000_000 and call.min_award_fen == 2_000_000
    assert [c.max_points for c in call.criteria] == [20, 25, 20, 15, 10, 10]
    assert call.rubric_total == 100
    assert [(s.percent, s.trigger) for s in call.installments] == [
        (50, InstallmentTrigger.AGREEMENT_SIGNED), (40, InstallmentTrigger.PROGRESS_ACCEPTED),
        (10, InstallmentTrigger.FINAL_ACCEPTED)]
    assert call.budget_heads == ["业务活动费", "管理费用", "税费"]
    assert call.allowed_legal_statuses == ["registered", "filed", "community_led"]
    assert call.required_attachments == ["登记证书", "项目预算表"]
    assert call.aggregation == AggregationMethod.TRIMMED_MEAN and call.pass_line == 60
    assert call.min_evaluation_grade is None and call.require_normal_credit
    from app.extensions import db
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "call.create"


@pytest.mark.parametrize("field,value,message", [
    ("budget", "-1", "负数"),
    ("min_award", "1e9", "格式不正确"),
    ("max_award", "１２３", "半角数字"),
    ("min_award", "1.234", "两位小数"),
    ("min_award", "0", "大于零"),
    ("title", "", "征集标题"),
    ("title", "长" * 201, "200"),
    ("matching_ratio_pct", "101", "0 到 100"),
    ("management_cap_pct", "-5", "0 到 100"),
    ("reviewers_per_application", "16", "1 到 15"),
    ("notice_working_days", "0", "1 到 30"),
    ("pass_line", "abc", "整数"),
    ("kind", "grant", "征集类型"),
    ("aggregation", "median", "汇总方式"),
    ("min_evaluation_grade", "6A", "评估等级"),
    ("allowed_legal_statuses", [], "法律状态"),
    ("categories", ["nope"], "类别"),
])
def test_bad_call_data_is_refused_and_writes_nothing(setup, field, value, message):
    funder, officer, county, street = setup
    before = (_count(Call), _count(AuditEntry))
    with pytest.raises(ValidationError) as err:
        services.create_call(officer, funder, data(street, **{field: value}))
    assert message in err.value.message
    assert (_count(Call), _count(AuditEntry)) == before


def test_min_above_max_and_max_above_budget_refused(setup):
    funder, officer, county, street = setup
    with pytest.raises(ValidationError, match="最低资助额不能高于"):
        services.create_call(officer, funder, data(street, min_award="200000"))
    with pytest.raises(ValidationError, match="不能超过资助总额"):
        services.create_call(officer, funder, data(street, budget="50000"))
    call = services.create_call(officer, funder, data(street, min_award="100000", max_award="100000"))
    assert call.min_award_fen == call.max_award_fen


def test_deadline_must_follow_opening(setup):
    funder, officer, county, street = setup
    with pytest.raises(ValidationError, match="截止时间必须晚于"):
        services.create_call(officer, funder, data(street, deadline_at=NOW))
    with pytest.raises(ValidationError, match="截止时间"):
        services.create_call(officer, funder, data(street, deadline_at=None))


def test_region_scope_must_be_inside_the_funders_region(setup):
    funder, officer, county, street = setup
    elsewhere = make_region(level=RegionLevel.COUNTY)
    with pytest.raises(ValidationError, match="征集范围"):
        services.create_call(officer, funder, data(elsewhere))
    with pytest.raises(ValidationError, match="征集范围"):
        services.create_call(officer, funder, data(street, region_scope_id=10**12))
    assert services.create_call(officer, funder, data(county)).region_scope_id == county.id


def test_purchase_call_requires_service_item(setup):
    funder, officer, county, street = setup
    with pytest.raises(ValidationError, match="服务事项"):
        services.create_call(officer, funder, data(street, kind="purchase"))
    call = services.create_call(officer, funder, data(street, kind="purchase", service_item="居家养老上门服务"))
    assert call.kind == CallKind.PURCHASE


def _rubric(points):
    return [{"name": f"项{i}", "description": "", "max_points": str(p), "weight": "1"} for i, p in enumerate(points)]


@pytest.mark.parametrize("points,ok", [([20, 25, 20, 15, 10, 10], True), ([20, 25, 20, 15, 10, 9], False),
                                       ([20, 25, 20, 15, 10, 11], False), ([100], True)])
def test_rubric_total_must_be_exactly_100(setup, points, ok):
    funder, officer, county, street = setup
    call = make_call(funder)
    if ok:
        services.set_rubric(officer, call, _rubric(points))
        assert call.rubric_total == 100 and len(call.criteria) == len(points)
    else:
        with pytest.raises(ValidationError) as err:
            services.set_rubric(officer, call, _rubric(points))
        assert f"现在是 {sum(points)} 分" in err.value.message


@pytest.mark.parametrize("rows,message", [
    ([], "1 到 12"),
    (_rubric([10] * 13), "1 到 12"),
    ([{"name": "同名", "max_points": "50"}, {"name": "同名", "max_points": "50"}], "重复"),
    ([{"name": "", "max_points": "100"}], "名称"),
    ([{"name": "项", "max_points": "0"}], "1 到 100"),
    ([{"name": "项", "max_points": "100", "weight": "11"}], "1 到 10"),
    ([{"name": "x" * 61, "max_points": "100"}], "60"),
])
def test_rubric_rows_are_validated(setup, rows, message):
    funder, officer, county, street = setup
    call = make_call(funder)
    with pytest.raises(ValidationError) as err:
        services.set_rubric(officer, call, rows)
    assert message in err.value.message


@pytest.mark.parametrize("percents,ok", [([50, 40, 10], True), ([50, 40, 9], False), ([100], True),
                                         ([60, 50], False)])
def test_installments_must_sum_to_100(setup, percents, ok):
    funder, officer, county, street = setup
    call = make_call(funder)
    steps = [{"percent": str(p), "trigger": "agreement_signed"} for p in percents]
    if ok:
        services.set_installments(officer, call, steps)
        assert call.installments_total == 100
    else:
        with pytest.raises(ValidationError, match=f"现在是 {sum(percents)}%"):
            services.set_installments(officer, call, steps)


def test_installments_need_a_valid_trigger_and_a_step(setup):
    funder, officer, county, street = setup
    call = make_call(funder)
    with pytest.raises(ValidationError, match="拨付条件无效"):
        services.set_installments(officer, call, [{"percent": "100", "trigger": "whenever"}])
    with pytest.raises(ValidationError, match="1 到"):
        services.set_installments(officer, call, [])


def test_rubric_and_installments_locked_after_publishing(setup):
    funder, officer, county, street = setup
    call = make_call(funder, status=CallStatus.OPEN)
    with pytest.raises(Conflict):
        services.set_rubric(officer, call, _rubric([100]))
    with pytest.raises(Conflict):
        services.set_installments(officer, call, [{"percent": "100", "trigger": "final_accepted"}])
    with pytest.raises(Conflict):
        services.update_call(officer, call, data(street))


def test_update_draft(setup):
    funder, officer, county, street = setup
    call = services.create_call(officer, funder, data(street))
    services.update_call(officer, call, data(street, title="新标题", service_targets=["children", "women"]))
    assert call.title == "新标题"
    assert [t.value for t in call.service_targets] == ["women", "children"]


def test_publish_checks_and_opens(setup):
    funder, officer, county, street = setup
    call = make_call(funder, opens_at=NOW - timedelta(days=1), deadline_at=NOW + timedelta(days=1))
    services.publish(officer, call, NOW)
    assert call.status == CallStatus.OPEN and call.status_changed_at is not None
    with pytest.raises(Conflict):
        services.publish(officer, call, NOW)


def test_publish_refuses_a_past_deadline_and_a_bad_rubric(setup):
    funder, officer, county, street = setup
    call = make_call(funder, opens_at=NOW - timedelta(days=2), deadline_at=NOW)
    with pytest.raises(ValidationError, match="截止时间已过"):
        services.publish(officer, call, NOW)
    call2 = make_call(funder, opens_at=NOW - timedelta(days=2), deadline_at=NOW + timedelta(days=3))
    call2.criteria[0].max_points = 19
    with pytest.raises(ValidationError, match="现在是 99 分"):
        services.publish(officer, call2, NOW)
    call3 = make_call(funder, kind=CallKind.PURCHASE, opens_at=NOW - timedelta(days=2),
                      deadline_at=NOW + timedelta(days=3))
    call3.service_item = ""
    with pytest.raises(ValidationError, match="服务事项"):
        services.publish(officer, call3, NOW)
    assert call.status == call2.status == call3.status == CallStatus.DRAFT


def test_is_accepting_around_the_deadline(setup):
    funder, officer, county, street = setup
    deadline = NOW + timedelta(days=1)
    call = make_call(funder, status=CallStatus.OPEN, opens_at=NOW, deadline_at=deadline)
    assert not call.is_accepting(NOW - timedelta(seconds=1))
    assert call.is_accepting(NOW)
    assert call.is_accepting(deadline - timedelta(seconds=1))
    assert not call.is_accepting(deadline)
    assert call.time_left(deadline - timedelta(hours=25)) == (1, 1)
    assert call.time_left(deadline) is None
    draft = make_call(funder, opens_at=NOW, deadline_at=deadline)
    assert not draft.is_accepting(NOW + timedelta(hours=1))


def test_advance_to_screening_only_after_deadline(setup):
    funder, officer, county, street = setup
    deadline = NOW + timedelta(days=1)
    call = make_call(funder, status=CallStatus.OPEN, opens_at=NOW, deadline_at=deadline)
    with pytest.raises(Conflict, match="截止前"):
        services.advance(officer, call, "screening", deadline - timedelta(seconds=1))
    services.advance(officer, call, "screening", deadline)
    assert call.status == CallStatus.SCREENING
    with pytest.raises(InvalidTransition):
        services.advance(officer, call, "notice", deadline)
    with pytest.raises(ValidationError):
        services.advance(officer, call, "open", deadline)
    # Expert review needs a panel first (app.reviews.panels); the later steps are the
    # notice and award services' (tests/awards).
    with pytest.raises(Conflict, match="还不能进入专家评审"):
        services.advance(officer, call, "reviewing", deadline)
    assert call.status == CallStatus.SCREENING


def test_cancel_needs_a_reason(setup):
    funder, officer, county, street = setup
    call = make_call(funder, status=CallStatus.OPEN)
    with pytest.raises(ValidationError, match="取消原因"):
        services.cancel(officer, call, "  ")
    assert call.status == CallStatus.OPEN
    services.cancel(officer, call, "资金未到位")
    assert call.status == CallStatus.CANCELLED and call.cancel_reason == "资金未到位"
    with pytest.raises(InvalidTransition):
        services.cancel(officer, call, "再次取消")


def test_public_calls_hide_drafts_and_put_open_first(setup):
    from app.extensions import db
    funder, officer, county, street = setup
    draft = make_call(funder, title="草稿")
    closed = make_call(funder, status=CallStatus.CLOSED, title="已结束的", opens_at=NOW - timedelta(days=90), deadline_at=NOW)
    opened = make_call(funder, status=CallStatus.OPEN, title="征集中的", region=street)
    ids = [c.id for c in db.session.scalars(services.public_calls())]
    assert draft.id not in ids
    assert ids.index(opened.id) < ids.index(closed.id)
    assert [c.id for c in db.session.scalars(services.public_calls(status=CallStatus.CLOSED))] == [closed.id]
    assert [c.id for c in db.session.scalars(services.public_calls(q="征集中"))] == [opened.id]
    assert opened.id in [c.id for c in db.session.scalars(services.public_calls(region_id=street.id))]
    assert [c.id for c in db.session.scalars(services.public_calls(kind=CallKind.PURCHASE))] == []
    assert list(db.session.scalars(services.public_calls(q="100%_"))) == []


def test_funder_calls_only_lists_the_officers_funders(setup):
    funder, officer, county, street = setup
    mine = make_call(funder)
    other = make_call(make_funder())
    ids = [c.id for c in services.funder_calls(officer)]
    assert mine.id in ids and other.id not in ids

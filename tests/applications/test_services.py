"""Application services: drafts, format validation, submission rules, return and
resubmission, withdrawal, versions, timeline, comparison and queries."""
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import func, select

from app.applications import services
from app.applications.models import (Application, ApplicationStatus, ApplicationVersion, Attachment,
                                     WITHDRAWABLE_STATUSES)
from app.calls.models import CallStatus
from app.core import events
from app.core.audit import AuditEntry
from app.core.errors import Conflict, ValidationError
from app.funders.models import StaffRole
from app.orgs.models import ServiceTarget
from app.regions.models import RegionLevel
from tests.factories import (make_application, make_call, make_funder, make_org, make_region, make_staff,
                             make_user)

S = ApplicationStatus
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)
DEADLINE = NOW + timedelta(days=10)
_files = count(1)


@pytest.fixture(autouse=True)
def emitted(monkeypatch):
    """Events the services emit, recorded instead of reaching the notification handlers."""
    monkeypatch.setattr(events, "_HANDLERS", defaultdict(list))
    seen: list[tuple[str, dict]] = []
    for name in ("application.submitted", "application.returned", "application.withdrawn"):
        events.subscribe(name)(lambda _name=name, **payload: seen.append((_name, payload)))
    return seen


class World:
    pass


@pytest.fixture
def w(db):
    w = World()
    w.county = make_region(level=RegionLevel.COUNTY, name="测试区")
    w.street = make_region(level=RegionLevel.STREET, parent=w.county, name="测试街道")
    w.community = make_region(parent=w.street, name="幸福社区")
    w.community2 = make_region(parent=w.street, name="和平社区")
    w.outside = make_region(name="外区社区")  # a community of another county
    w.funder = make_funder(region=w.county)
    w.officer = make_staff(w.funder, StaffRole.PROGRAM_OFFICER, name="王科长")
    w.owner = make_user(name="李红")
    w.org = make_org(community=w.community, owner=w.owner, name="幸福社区服务队")
    w.call = make_call(w.funder, status=CallStatus.OPEN, opens_at=NOW - timedelta(days=10), deadline_at=DEADLINE)
    return w


def good_data(w, **over):
    data = {
        "title": "长者助餐与陪伴", "summary": "为独居老人提供助餐、探访。", "leader_name": "李红",
        "leader_phone": "13800000001", "need": "独居老人 120 人，用餐困难。", "objectives": "每周五次助餐。",
        "activities": "助餐点运营、志愿者探访。", "sustainability": "社区食堂接续。",
        "planned_beneficiaries": "100", "beneficiary_description": "独居、高龄老人",
        "target_groups": ["elderly", "disabled"], "community_ids": [w.community.id],
        "starts_on": date(2026, 5, 1), "ends_on": date(2027, 4, 30),
        "requested": "50000", "matching": "", "matching_source": "",
        "declares_no_fixed_assets": True, "declares_no_cash_gifts": True, "declares_truthful": True,
        "budget_lines": [
            {"head": "业务活动费", "item": "助餐服务", "unit": "人次", "quantity": "4500", "unit_price": "10",
             "note": "每餐补贴"},
            {"head": "管理费用", "item": "项目管理", "unit": "项", "quantity": "1", "unit_price": "5000", "note": ""},
        ],
        "indicators": [{"name": "助餐服务人次", "unit": "人次", "target": "4500", "measurement": "签到表"}],
        "milestones": [{"due_on": date(2026, 6, 1), "title": "助餐点开放", "deliverable": "运营记录"}],
        "team": [{"name": "李红", "role": "项目负责人", "qualification": "中级社工师", "is_social_worker": True}],
    }
    data.update(over)
    return data


def draft(w, **over):
    return services.create_draft(w.owner, w.call, w.org, good_data(w, **over), now=NOW)


def attach(application, kind, name="材料.pdf"):
    from app.extensions import db

    n = next(_files)
    f = Attachment(application_id=application.id, kind=kind, original_name=name, stored_name=f"test-{n:06d}.pdf",
                   content_type="application/pdf", size_bytes=1000 + n, sha256=f"{n:064x}")
    db.session.add(f)
    db.session.flush()
    db.session.expire(application, ["attachments"])
    return f


def count_rows(model):
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def last_audit():
    from app.extensions import db

    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()


# --- drafts --------------------------------------------------------------------------

def test_create_draft_stores_everything_and_audits(w):
    a = draft(w)
    assert a.status == S.DRAFT and a.created_by_id == w.owner.id and a.current_version == 0
    assert a.requested_fen == 5_000_000 and a.matching_fen == 0
    assert a.planned_beneficiaries == 100
    assert a.target_groups == [ServiceTarget.ELDERLY, ServiceTarget.DISABLED]
    assert [c.id for c in a.communities] == [w.community.id]
    assert [(b.position, b.head, b.quantity, b.unit_price_fen, b.amount_fen) for b in a.budget_lines] == [
        (1, "业务活动费", 4500, 1000, 4_500_000), (2, "管理费用", 1, 500_000, 500_000)]
    assert a.indicators[0].target == Decimal("4500")
    assert a.milestones[0].due_on == date(2026, 6, 1)
    assert a.team[0].is_social_worker is True
    assert services.management_share(a) == (500_000, 5_000_000)
    entry = last_audit()
    assert entry.action == "application.create" and entry.object_id == str(a.id) and entry.actor_id == w.owner.id


def test_create_draft_with_no_data(w):
    a = services.create_draft(w.owner, w.call, w.org, None, now=NOW)
    assert a.title == "" and a.budget_lines == [] and a.status == S.DRAFT


@pytest.mark.parametrize("now", [DEADLINE, DEADLINE + timedelta(seconds=1), NOW - timedelta(days=11)])
def test_create_draft_refused_when_call_not_accepting(w, now):
    with pytest.raises(Conflict):
        services.create_draft(w.owner, w.call, w.org, good_data(w), now=now)
    assert count_rows(Application) == 0


def test_create_draft_refused_when_call_not_open(w):
    w.call.status = CallStatus.SCREENING
    with pytest.raises(Conflict):
        services.create_draft(w.owner, w.call, w.org, good_data(w), now=NOW)
    assert count_rows(Application) == 0


def test_create_draft_quota_per_organization(w):
    first = draft(w)
    with pytest.raises(Conflict) as err:
        draft(w)
    assert "最多可申报 1 份" in err.value.message
    assert count_rows(Application) == 1
    # A withdrawn application frees the place.
    services.withdraw(w.owner, first, "")
    assert draft(w).status == S.DRAFT
    # A call that allows two.
    w.call.max_applications_per_org = 2
    assert draft(w).status == S.DRAFT
    with pytest.raises(Conflict):
        draft(w)


def test_save_draft_replaces_lists_ignores_blank_rows_and_keeps_absent_keys(w):
    a = draft(w)
    services.save_draft(w.owner, a, {
        "title": "  新标题  ",
        "budget_lines": [{"head": "", "item": "", "unit": "", "quantity": "", "unit_price": "", "note": ""},
                         {"head": "业务活动费", "item": "探访", "unit": "次", "quantity": 10, "unit_price": "1,234.5"}],
        "indicators": [],
        "community_ids": [str(w.community2.id), w.community.id, w.community.id],
        "target_groups": ["children"],
    })
    assert a.title == "新标题"
    assert [(b.position, b.item, b.unit_price_fen, b.amount_fen) for b in a.budget_lines] == [
        (1, "探访", 123_450, 1_234_500)]
    assert a.indicators == []
    assert sorted(c.name for c in a.communities) == ["和平社区", "幸福社区"]
    assert a.target_groups == [ServiceTarget.CHILDREN]
    # Keys not given are left alone.
    assert a.summary == "为独居老人提供助餐、探访。" and len(a.team) == 1 and a.requested_fen == 5_000_000
    from app.extensions import db
    db.session.expire_all()
    assert [b.item for b in db.session.get(Application, a.id).budget_lines] == ["探访"]
    assert last_audit().action == "application.update"


def test_save_draft_blank_amounts_and_dates_are_allowed_on_a_draft(w):
    a = draft(w)
    services.save_draft(w.owner, a, {"requested": "", "matching": None, "starts_on": None, "ends_on": "",
                                     "planned_beneficiaries": ""})
    assert a.requested_fen == 0 and a.matching_fen == 0 and a.starts_on is None and a.planned_beneficiaries == 0
    # ...but submission then names what is missing.
    problems = services.submission_problems(a, NOW)
    assert "请填写申请资助金额。" in problems and "请填写项目起止日期。" in problems


def _line(**over):
    row = {"head": "业务活动费", "item": "助餐服务", "unit": "人次", "quantity": "1", "unit_price": "50000",
           "note": ""}
    row.update(over)
    return row


BAD_INPUT = [
    # (data, field, words in the message)
    ({"requested": "-1"}, "requested", "负数"),
    ({"requested": "0"}, "requested", "大于零"),
    ({"requested": "1e9"}, "requested", "格式"),
    ({"requested": "１２３"}, "requested", "半角"),
    ({"requested": "1.234"}, "requested", "两位小数"),
    ({"requested": "NaN"}, "requested", "格式"),
    ({"requested": "inf"}, "requested", "格式"),
    ({"requested": "100000000.01"}, "requested", "¥100,000,000.00"),
    ({"requested": ["1"]}, "requested", "格式"),
    ({"matching": "-1"}, "matching", "负数"),
    ({"matching": "1e3"}, "matching", "格式"),
    ({"budget_lines": [_line(unit_price="0")]}, "budget_lines", "大于零"),
    ({"budget_lines": [_line(unit_price="-1")]}, "budget_lines", "负数"),
    ({"budget_lines": [_line(unit_price="1e9")]}, "budget_lines", "格式"),
    ({"budget_lines": [_line(unit_price="１２３")]}, "budget_lines", "半角"),
    ({"budget_lines": [_line(unit_price="1.234")]}, "budget_lines", "两位小数"),
    ({"budget_lines": [_line(unit_price="NaN")]}, "budget_lines", "格式"),
    ({"budget_lines": [_line(unit_price="")]}, "budget_lines", "请填写单价"),
    ({"budget_lines": [_line(quantity="0")]}, "budget_lines", "1 到 1,000,000"),
    ({"budget_lines": [_line(quantity="1000001")]}, "budget_lines", "1 到 1,000,000"),
    ({"budget_lines": [_line(quantity="1.5")]}, "budget_lines", "整数"),
    ({"budget_lines": [_line(quantity="１")]}, "budget_lines", "整数"),
    ({"budget_lines": [_line(quantity="-3")]}, "budget_lines", "整数"),
    ({"budget_lines": [_line(quantity=True)]}, "budget_lines", "整数"),
    ({"budget_lines": [_line(), _line(head="购车费")]}, "budget_lines", "预算第 2 行"),
    ({"budget_lines": [_line(item="")]}, "budget_lines", "请填写支出内容"),
    ({"budget_lines": [_line(item="x" * 101)]}, "budget_lines", "100 个字"),
    ({"budget_lines": [_line(note="a\x00b")]}, "budget_lines", "控制字符"),
    # A line and a total above ¥100,000,000 (the BIGINT guard).
    ({"budget_lines": [_line(quantity="1000000", unit_price="100.01")]}, "budget_lines", "不能超过"),
    ({"budget_lines": [_line(unit_price="60000000"), _line(unit_price="60000000")]}, "budget_lines", "预算合计"),
    ({"budget_lines": [_line()] * 51}, "budget_lines", "最多 50 行"),
    ({"budget_lines": "not a list"}, "budget_lines", "格式"),
    ({"indicators": [{"name": "人次", "unit": "人次", "target": "-1"}]}, "indicators", "负数"),
    ({"indicators": [{"name": "人次", "unit": "人次", "target": "NaN"}]}, "indicators", "数字"),
    ({"indicators": [{"name": "人次", "unit": "人次", "target": "inf"}]}, "indicators", "数字"),
    ({"indicators": [{"name": "人次", "unit": "人次", "target": "1e3"}]}, "indicators", "数字"),
    ({"indicators": [{"name": "人次", "unit": "人次", "target": "１２"}]}, "indicators", "半角"),
    ({"indicators": [{"name": "人次", "unit": "人次", "target": "1.234"}]}, "indicators", "两位小数"),
    ({"indicators": [{"name": "人次", "unit": "人次", "target": "1" * 13}]}, "indicators", "过大"),
    ({"indicators": [{"name": "人次", "unit": "", "target": "3"}]}, "indicators", "请填写单位"),
    ({"indicators": [{"name": f"指标{i}", "unit": "人", "target": "1"} for i in range(21)]}, "indicators", "20"),
    ({"milestones": [{"due_on": "2026-02-30", "title": "开放"}]}, "milestones", "日期"),
    ({"milestones": [{"due_on": None, "title": "开放"}]}, "milestones", "完成日期"),
    ({"milestones": [{"due_on": date(2026, 6, 1), "title": f"第{i}步"} for i in range(31)]}, "milestones", "30"),
    ({"team": [{"name": "李红", "role": ""}]}, "team", "项目职务"),
    ({"team": [{"name": f"成员{i}", "role": "社工"} for i in range(31)]}, "team", "30"),
    ({"title": "x" * 201}, "title", "200 个字"),
    ({"title": "标题\x07"}, "title", "控制字符"),
    ({"need": "需求\x00"}, "need", "控制字符"),
    ({"title": 123}, "title", "格式"),
    ({"leader_phone": "call me"}, "leader_phone", "电话"),
    ({"planned_beneficiaries": "-5"}, "planned_beneficiaries", "整数"),
    ({"planned_beneficiaries": "10000001"}, "planned_beneficiaries", "10,000,000"),
    ({"target_groups": ["elderly", "aliens"]}, "target_groups", "服务对象"),
    ({"community_ids": ["abc"]}, "community_ids", "服务社区"),
    ({"community_ids": [2**40]}, "community_ids", "服务社区"),
    ({"starts_on": date(2026, 5, 1), "ends_on": date(2026, 4, 30)}, "ends_on", "结束日期"),
    ({"starts_on": "tomorrow"}, "starts_on", "日期"),
    ({"starts_on": date(1900, 1, 1)}, "starts_on", "合理范围"),
]


@pytest.mark.parametrize("data,field,words", BAD_INPUT, ids=[f"{i}-{f}" for i, (_d, f, _w) in enumerate(BAD_INPUT)])
def test_save_draft_refuses_bad_input_and_writes_nothing(w, data, field, words):
    from app.extensions import db

    a = draft(w)
    before, updated_at, audits = services.snapshot(a), a.updated_at, count_rows(AuditEntry)
    with pytest.raises(ValidationError) as err:
        services.save_draft(w.owner, a, data)
    assert err.value.field == field
    assert words in err.value.message
    # Nothing changed in memory, nothing audited, and the stored rows are as before.
    assert services.snapshot(a) == before and a.updated_at == updated_at
    assert count_rows(AuditEntry) == audits
    db.session.expire_all()
    assert services.snapshot(db.session.get(Application, a.id)) == before


def test_row_messages_name_the_row_number(w):
    a = draft(w)
    with pytest.raises(ValidationError) as err:
        services.save_draft(w.owner, a, {"budget_lines": [_line(), _line(unit_price="abc")]})
    assert err.value.message.startswith("预算第 2 行：单价")


@pytest.mark.parametrize("community", ["street", "outside"])
def test_communities_must_be_communities_inside_the_call_scope(w, community):
    a = draft(w)
    with pytest.raises(ValidationError) as err:
        services.save_draft(w.owner, a, {"community_ids": [getattr(w, community).id]})
    assert err.value.field == "community_ids"
    assert [c.id for c in a.communities] == [w.community.id]


def test_create_draft_with_bad_data_writes_nothing(w):
    with pytest.raises(ValidationError):
        draft(w, requested="-1")
    assert count_rows(Application) == 0


def test_indicator_target_accepts_decimals(w):
    a = draft(w, indicators=[{"name": "满意度", "unit": "%", "target": "95.5"},
                             {"name": "人数", "unit": "人", "target": 0}])
    assert [i.target for i in a.indicators] == [Decimal("95.5"), Decimal("0")]


@pytest.mark.parametrize("status", [S.SUBMITTED, S.ELIGIBLE, S.AWARDED, S.WITHDRAWN])
def test_save_draft_refused_unless_editable(w, status):
    a = make_application(w.call, w.org, status=status)
    title = a.title
    with pytest.raises(Conflict):
        services.save_draft(w.owner, a, {"title": "改了"})
    assert a.title == title


# --- submission ----------------------------------------------------------------------

def test_submit_creates_version_locks_attachments_and_emits(w, emitted):
    a = draft(w)
    f = attach(a, "其他材料")
    assert services.submission_problems(a, NOW) == []
    assert all(item.done for item in services.checklist(a, NOW))
    version = services.submit(w.owner, a, NOW)
    assert a.status == S.SUBMITTED and a.current_version == 1 and a.submitted_at == NOW
    assert version.number == 1 and version.submitted_by_id == w.owner.id and version.application_id == a.id
    assert version.snapshot["title"] == "长者助餐与陪伴" and version.snapshot["requested_fen"] == 5_000_000
    assert version.snapshot["attachments"][0]["id"] == f.id
    assert f.locked is True
    assert [e[0] for e in emitted] == ["application.submitted"]
    assert emitted[0][1] == {"application": a, "actor": w.owner, "resubmission": False}
    assert last_audit().action == "application.submit"
    # Locked now.
    with pytest.raises(Conflict):
        services.save_draft(w.owner, a, {"title": "改了"})
    with pytest.raises(Conflict):
        services.submit(w.owner, a, NOW)
    assert count_rows(ApplicationVersion) == 1


def _assert_refused(w, a, now, words, emitted):
    audits, versions = count_rows(AuditEntry), count_rows(ApplicationVersion)
    with pytest.raises(ValidationError) as err:
        services.submit(w.owner, a, now)
    assert words in err.value.message
    assert any(words in p for p in err.value.problems)
    assert a.status in (S.DRAFT, S.RETURNED) and count_rows(AuditEntry) == audits
    assert count_rows(ApplicationVersion) == versions and emitted == []
    return err.value


def test_deadline_one_second_before_is_accepted(w):
    a = draft(w)
    services.submit(w.owner, a, DEADLINE - timedelta(seconds=1))
    assert a.status == S.SUBMITTED


@pytest.mark.parametrize("now", [DEADLINE, DEADLINE + timedelta(seconds=1)])
def test_deadline_at_or_after_is_refused(w, emitted, now):
    a = draft(w)
    _assert_refused(w, a, now, "截止时间", emitted)
    assert a.submitted_at is None and a.current_version == 0


def test_submit_refused_once_call_left_open_state(w, emitted):
    a = draft(w)
    w.call.status = CallStatus.SCREENING
    _assert_refused(w, a, NOW, "征集当前为“形式审查”阶段，不接受申报", emitted)


@pytest.mark.parametrize("requested,words", [("19999.99", "低于本征集的最低资助额"), ("100000.01", "超过本征集的最高资助额")])
def test_requested_outside_bounds_refused(w, emitted, requested, words):
    a = draft(w, requested=requested,
              budget_lines=[_line(unit_price=requested)])
    _assert_refused(w, a, NOW, words, emitted)


@pytest.mark.parametrize("requested", ["20000", "100000"])
def test_requested_at_bounds_accepted(w, requested):
    a = draft(w, requested=requested, budget_lines=[_line(unit_price=requested)])
    services.submit(w.owner, a, NOW)
    assert a.status == S.SUBMITTED


def test_budget_total_must_equal_requested_plus_matching(w, emitted):
    a = draft(w, budget_lines=[_line(unit_price="49999.99")])
    err = _assert_refused(w, a, NOW, "预算合计 ¥49,999.99 应等于申请金额与配套资金之和 ¥50,000.00", emitted)
    assert err.field is None
    items = {i.key: i for i in services.checklist(a, NOW)}
    assert not items["budget"].done and items["budget"].label == "预算明细"
    assert items["funding"].done and items["basic"].done


def test_management_share_over_cap_refused(w, emitted):
    a = draft(w, budget_lines=[_line(unit_price="44999.99"), _line(head="管理费用", unit_price="5000.01")])
    _assert_refused(w, a, NOW, "管理费用 ¥5,000.01 超过预算合计的 10%", emitted)


def test_management_share_exactly_at_cap_accepted(w):
    a = draft(w)  # 5000 of 50000 = 10 %, the cap
    assert services.management_share(a) == (500_000, 5_000_000)
    services.submit(w.owner, a, NOW)
    assert a.status == S.SUBMITTED


def test_management_share_with_zero_cap(w, emitted):
    w.call.management_cap_pct = 0
    a = draft(w)
    _assert_refused(w, a, NOW, "管理费用", emitted)


def test_matching_ratio(w, emitted):
    w.call.matching_ratio_pct = 20
    lines = [_line(unit_price="50000"), _line(unit_price="9999.99")]
    a = draft(w, matching="9999.99", matching_source="社区自筹", budget_lines=lines)
    _assert_refused(w, a, NOW, "配套资金 ¥9,999.99 不足", emitted)
    services.save_draft(w.owner, a, {"matching": "10000", "budget_lines": [_line(unit_price="50000"),
                                                                          _line(unit_price="10000")]})
    assert services.submission_problems(a, NOW) == []
    services.submit(w.owner, a, NOW)
    assert a.status == S.SUBMITTED


def test_matching_needs_a_source(w, emitted):
    a = draft(w, matching="100", budget_lines=[_line(unit_price="50100")])
    _assert_refused(w, a, NOW, "配套资金来源", emitted)


def test_required_attachments(w, emitted):
    w.call.required_attachments = ["登记证书", "项目预算表"]
    a = draft(w)
    attach(a, "登记证书")
    attach(a, "其他材料", name="项目预算表.pdf")  # right name, wrong kind
    _assert_refused(w, a, NOW, "缺少必须提交的附件：项目预算表", emitted)
    attach(a, "项目预算表")
    services.submit(w.owner, a, NOW)
    assert a.status == S.SUBMITTED


def test_one_submission_per_organization(w, emitted):
    first = draft(w)
    services.submit(w.owner, first, NOW)
    emitted.clear()
    # A second draft made while the call allowed two, then the call is back to one.
    w.call.max_applications_per_org = 2
    second = draft(w)
    w.call.max_applications_per_org = 1
    _assert_refused(w, second, NOW, "已提交 1 份申报书", emitted)
    w.call.max_applications_per_org = 2
    services.submit(w.owner, second, NOW)
    assert second.status == S.SUBMITTED


def test_other_organizations_and_inactive_applications_do_not_count(w):
    other = make_org(community=w.community2)
    make_application(w.call, other, status=S.SUBMITTED)
    make_application(w.call, w.org, status=S.WITHDRAWN)
    make_application(w.call, w.org, status=S.INELIGIBLE)
    a = draft(w)
    assert services.submission_problems(a, NOW) == []


def test_incomplete_application_lists_every_problem(w, emitted):
    a = services.create_draft(w.owner, w.call, w.org, {"title": "只有标题"}, now=NOW)
    err = _assert_refused(w, a, NOW, "请填写项目简介", emitted)
    for words in ("需求分析", "服务对象", "服务社区", "起止日期", "申请资助金额", "预算明细",
                  "成效指标", "实施进度", "项目团队成员", "固定资产", "现金或礼品", "真实"):
        assert any(words in p for p in err.problems), words
    items = {i.key: i for i in services.checklist(a, NOW)}
    assert [i.key for i in services.checklist(a, NOW)] == [k for k, _l in services._SECTIONS]
    assert not items["basic"].done and "请填写项目简介" in items["basic"].message
    assert "请填写项目名称" not in items["basic"].message
    assert items["timing"].done and items["quota"].done and items["attachments"].done
    assert not items["declarations"].done


def test_milestones_must_fall_within_the_period(w, emitted):
    a = draft(w, milestones=[{"due_on": date(2026, 4, 30), "title": "筹备"},
                             {"due_on": date(2027, 4, 30), "title": "结项"}])
    _assert_refused(w, a, NOW, "实施进度“筹备”的日期不在项目周期内", emitted)


# --- return and resubmission -------------------------------------------------------------

def test_return_edit_resubmit_creates_version_two(w, emitted):
    a = draft(w)
    services.submit(w.owner, a, NOW)
    due = NOW + timedelta(days=3)
    services.return_for_correction(w.officer, a, "预算表缺少单价依据", due, NOW)
    assert a.status == S.RETURNED and a.return_reason == "预算表缺少单价依据" and a.correction_due_at == due
    assert emitted[-1] == ("application.returned", {"application": a, "actor": w.officer,
                                                    "reason": "预算表缺少单价依据", "due_at": due})
    services.save_draft(w.owner, a, {"title": "长者助餐与陪伴（修改）"})
    later = NOW + timedelta(days=1)
    v2 = services.submit(w.owner, a, later)
    assert v2.number == 2 and a.current_version == 2 and a.status == S.SUBMITTED and a.submitted_at == later
    assert a.return_reason == "" and a.correction_due_at is None
    v1 = a.versions[0]
    assert [v.number for v in a.versions] == [1, 2]
    assert v1.snapshot != v2.snapshot
    assert v1.snapshot["title"] == "长者助餐与陪伴" and v2.snapshot["title"] == "长者助餐与陪伴（修改）"
    assert emitted[-1] == ("application.submitted", {"application": a, "actor": w.owner, "resubmission": True})


def test_resubmission_after_call_deadline_while_screening(w):
    a = draft(w)
    services.submit(w.owner, a, NOW)
    w.call.status = CallStatus.SCREENING
    after_deadline = DEADLINE + timedelta(days=1)
    services.return_for_correction(w.officer, a, "缺少盖章", None, after_deadline)
    assert a.correction_due_at == after_deadline + timedelta(days=5)
    services.submit(w.owner, a, after_deadline + timedelta(days=5) - timedelta(seconds=1))
    assert a.status == S.SUBMITTED and a.current_version == 2


@pytest.mark.parametrize("late", [timedelta(0), timedelta(seconds=1)])
def test_resubmission_after_correction_deadline_refused(w, emitted, late):
    a = draft(w)
    services.submit(w.owner, a, NOW)
    due = NOW + timedelta(days=2)
    services.return_for_correction(w.officer, a, "缺少盖章", due, NOW)
    emitted.clear()
    _assert_refused(w, a, due + late, "补正期限", emitted)
    assert a.status == S.RETURNED and a.current_version == 1


def test_resubmission_refused_once_call_is_reviewing(w, emitted):
    a = make_application(w.call, w.org, status=S.RETURNED)
    w.call.status = CallStatus.REVIEWING
    _assert_refused(w, a, NOW, "不能再重新提交", emitted)


@pytest.mark.parametrize("reason,due,field", [
    ("", None, "reason"), ("   ", None, "reason"), ("x" * 1001, None, "reason"), ("原因\x00", None, "reason"),
    ("原因", NOW, "due_at"), ("原因", NOW - timedelta(days=1), "due_at"),
    ("原因", NOW + timedelta(days=91), "due_at"), ("原因", datetime(2026, 3, 5), "due_at"),
])
def test_return_validation(w, emitted, reason, due, field):
    a = make_application(w.call, w.org, status=S.SUBMITTED)
    with pytest.raises(ValidationError) as err:
        services.return_for_correction(w.officer, a, reason, due, NOW)
    assert err.value.field == field
    assert a.status == S.SUBMITTED and a.return_reason == "" and emitted == []


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED, S.ELIGIBLE, S.WITHDRAWN])
def test_return_only_from_submitted(w, status):
    a = make_application(w.call, w.org, status=status)
    with pytest.raises(Conflict):
        services.return_for_correction(w.officer, a, "原因", None, NOW)
    assert a.status == status


def test_return_refused_once_call_is_reviewing(w):
    a = make_application(w.call, w.org, status=S.SUBMITTED)
    w.call.status = CallStatus.REVIEWING
    with pytest.raises(Conflict):
        services.return_for_correction(w.officer, a, "原因", None, NOW)
    assert a.status == S.SUBMITTED


# --- withdrawal ----------------------------------------------------------------------

@pytest.mark.parametrize("status", sorted(WITHDRAWABLE_STATUSES))
def test_withdraw_from_each_withdrawable_state(w, emitted, status):
    a = make_application(w.call, w.org, status=status)
    services.withdraw(w.owner, a, "  组织人手不足  ")
    assert a.status == S.WITHDRAWN and a.withdraw_reason == "组织人手不足"
    assert emitted == [("application.withdrawn", {"application": a, "actor": w.owner, "reason": "组织人手不足"})]
    entry = last_audit()
    assert entry.action == "application.status" and entry.after == {"status": "withdrawn", "reason": "组织人手不足"}


@pytest.mark.parametrize("status", [S.AWARDED, S.REJECTED, S.WITHDRAWN, S.INELIGIBLE])
def test_withdraw_refused(w, emitted, status):
    a = make_application(w.call, w.org, status=status)
    with pytest.raises(Conflict):
        services.withdraw(w.owner, a, "原因")
    assert a.status == status and emitted == []


def test_withdraw_reason_validated(w):
    a = draft(w)
    with pytest.raises(ValidationError) as err:
        services.withdraw(w.owner, a, "x" * 501)
    assert err.value.field == "reason" and a.status == S.DRAFT


# --- timeline and comparison --------------------------------------------------------------

def test_timeline(w):
    a = draft(w)
    services.submit(w.owner, a, NOW)
    due = NOW + timedelta(days=3)
    services.return_for_correction(w.officer, a, "预算表缺少单价依据", due, NOW)
    services.submit(w.owner, a, NOW + timedelta(days=1))
    services.withdraw(w.owner, a, "人手不足")
    entries = services.timeline(a)
    assert [(e.status, e.actor_name, e.reason, e.version) for e in entries] == [
        (S.DRAFT, "李红", "", None),
        (S.SUBMITTED, "李红", "", 1),
        (S.RETURNED, "王科长", "预算表缺少单价依据", None),
        (S.SUBMITTED, "李红", "", 2),
        (S.WITHDRAWN, "李红", "人手不足", None),
    ]
    assert entries[2].due_at == due
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_timeline_of_an_application_made_without_the_service(w):
    a = make_application(w.call, w.org, status=S.SUBMITTED, created_by=w.owner)
    services.return_for_correction(w.officer, a, "缺少盖章", None, NOW)
    services.submit(w.owner, a, NOW + timedelta(hours=1))
    entries = services.timeline(a)
    assert [(e.status, e.version) for e in entries] == [(S.DRAFT, None), (S.RETURNED, None), (S.SUBMITTED, 2)]
    assert entries[0].actor_name == "李红"


def test_compare_versions(w):
    w.call.required_attachments = ["登记证书"]
    a = draft(w)
    attach(a, "登记证书", name="登记证书.pdf")
    v1 = services.submit(w.owner, a, NOW)
    services.return_for_correction(w.officer, a, "调整预算", None, NOW)
    services.save_draft(w.owner, a, {
        "title": "长者助餐与陪伴（修改）",
        "target_groups": ["elderly"],
        "budget_lines": [_line(item="助餐服务", unit_price="45000"),
                         {"head": "管理费用", "item": "项目管理", "unit": "项", "quantity": "1", "unit_price": "5000"}],
    })
    v2 = services.submit(w.owner, a, NOW + timedelta(hours=1))
    sections = services.compare(v1, v2)
    assert [s.title for s in sections] == ["基本信息", "需求与设计", "服务对象与社区", "周期与资金", "预算明细",
                                           "成效指标", "实施进度", "项目团队", "附件", "承诺"]
    by_title = {s.title: s for s in sections}
    title_row = by_title["基本信息"].rows[0]
    assert (title_row.label, title_row.old, title_row.new, title_row.changed) == (
        "项目名称", "长者助餐与陪伴", "长者助餐与陪伴（修改）", True)
    assert not by_title["需求与设计"].changed
    targets = next(r for r in by_title["服务对象与社区"].rows if r.label == "服务对象")
    assert (targets.old, targets.new, targets.changed) == ("老年人、残疾人", "老年人", True)
    budget = by_title["预算明细"].rows
    assert budget[0].old == "业务活动费 · 助餐服务 · 4500人次×¥10.00 = ¥45,000.00（每餐补贴）"
    assert budget[0].new == "业务活动费 · 助餐服务 · 1人次×¥45,000.00 = ¥45,000.00"
    assert budget[0].changed and not budget[1].changed
    money = {r.label: r for r in by_title["周期与资金"].rows}
    assert money["申请资助金额"].old == money["申请资助金额"].new == "¥50,000.00"
    assert not money["申请资助金额"].changed and money["配套资金来源"].old == "—"
    assert by_title["成效指标"].rows[0].old == "助餐服务人次 · 4,500 人次 · 签到表"
    assert by_title["附件"].rows[0].label == "登记证书" and not by_title["附件"].rows[0].changed
    assert by_title["附件"].rows[0].old.startswith("登记证书.pdf（")
    assert [r.old for r in by_title["承诺"].rows] == ["是", "是", "是"]


def test_compare_lists_of_different_lengths(w):
    a = draft(w)
    v1 = services.submit(w.owner, a, NOW)
    services.return_for_correction(w.officer, a, "补充团队", None, NOW)
    services.save_draft(w.owner, a, {"team": [{"name": "李红", "role": "项目负责人", "qualification": "中级社工师",
                                               "is_social_worker": True},
                                              {"name": "张伟", "role": "志愿者协调"}]})
    v2 = services.submit(w.owner, a, NOW + timedelta(hours=1))
    team = next(s for s in services.compare(v1, v2) if s.title == "项目团队").rows
    assert [(r.label, r.old, r.new, r.changed) for r in team] == [
        ("成员第 1 行", "李红 · 项目负责人 · 中级社工师 · 持证社工", "李红 · 项目负责人 · 中级社工师 · 持证社工", False),
        ("成员第 2 行", "—", "张伟 · 志愿者协调", True)]


# --- next action and queries ----------------------------------------------------------------

def test_next_action(w):
    a = draft(w)
    assert services.next_action(a, NOW) == "完善并提交（截止 2026-03-11 10:00）"
    assert services.next_action(a, DEADLINE) == "征集已截止，无法提交"
    services.submit(w.owner, a, NOW)
    assert services.next_action(a, NOW) == "等待形式审查"
    services.return_for_correction(w.officer, a, "补充", NOW + timedelta(days=1), NOW)
    assert services.next_action(a, NOW) == "按退回意见修改后重新提交（截止 2026-03-02 10:00）"
    assert services.next_action(a, NOW + timedelta(days=1)) == "补正期限已过，无法重新提交"
    for status in S:
        assert services.next_action(make_application(w.call, w.org, status=status), NOW)


def test_get_application_loads_children(w, count_queries):
    from app.extensions import db

    a = draft(w)
    attach(a, "其他材料")
    services.submit(w.owner, a, NOW)
    db.session.expire_all()
    assert services.get_application(0) is None and services.get_application(2**31) is None
    assert services.get_application("1") is None and services.get_application(a.id + 1000) is None
    loaded = services.get_application(a.id)
    with count_queries() as n:
        services.snapshot(loaded)
        _ = (loaded.versions, loaded.screening, loaded.call.title, loaded.organization.name)
    assert n() == 0


def test_user_applications(w, count_queries):
    from app.extensions import db

    mine = draft(w, title="长者助餐")
    w.call.max_applications_per_org = 3
    submitted = make_application(w.call, w.org, status=S.SUBMITTED, title="儿童课堂")
    stranger = make_user()
    other = make_org(community=w.community2, owner=stranger)
    make_application(w.call, other, title="别人的项目")
    assert db.session.scalars(services.user_applications(w.owner)).all() == [submitted, mine]
    assert db.session.scalars(services.user_applications(w.owner, status="submitted")).all() == [submitted]
    assert db.session.scalars(services.user_applications(w.owner, status=S.DRAFT)).all() == [mine]
    assert db.session.scalars(services.user_applications(w.owner, q="儿童")).all() == [submitted]
    assert db.session.scalars(services.user_applications(w.owner, q="100%_")).all() == []

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as n:
            rows = db.session.scalars(services.user_applications(w.owner)).unique().all()
            _ = [(r.call.title, r.call.funder.name, r.organization.name) for r in rows]
        return n()

    few = queries()
    for _i in range(4):  # more applications in more calls: no more queries
        make_application(make_call(w.funder, status=CallStatus.OPEN), w.org)
    assert queries() == few


def test_call_applications_and_status_counts(w):
    from app.extensions import db

    other_org = make_org(community=w.community2, name="和平互助会")
    d = make_application(w.call, w.org, title="草稿项目")
    s1 = make_application(w.call, w.org, status=S.SUBMITTED, title="助餐项目")
    s2 = make_application(w.call, other_org, status=S.ELIGIBLE, title="儿童项目")
    make_application(w.call, other_org, status=S.WITHDRAWN, title="撤回的草稿")  # submitted once (factory)
    never = make_application(w.call, other_org, title="从未提交")
    services.withdraw(w.owner, never, "")
    listed = db.session.scalars(services.call_applications(w.call)).all()
    assert d not in listed and never not in listed and {s1, s2} <= set(listed)
    assert db.session.scalars(services.call_applications(w.call, q="和平")).all()[0].organization == other_org
    assert db.session.scalars(services.call_applications(w.call, status="eligible")).all() == [s2]
    other_call = make_call(w.funder, status=CallStatus.OPEN)
    counts = services.status_counts([w.call.id, other_call.id])
    assert counts[w.call.id][S.DRAFT] == 1 and counts[w.call.id][S.SUBMITTED] == 1
    assert counts[w.call.id][S.ELIGIBLE] == 1 and counts[w.call.id][S.WITHDRAWN] == 1
    assert sum(counts[other_call.id].values()) == 0
    assert services.status_counts([]) == {}


@pytest.mark.parametrize("status", [S.AWARDED, S.SUBMITTED, S.ELIGIBLE, S.WITHDRAWN])
def test_submit_refused_outside_draft_and_returned(w, emitted, status):
    a = make_application(w.call, w.org, status=status)
    with pytest.raises(Conflict):
        services.submit(w.owner, a, NOW)
    assert a.status == status and a.current_version == 1 and emitted == []

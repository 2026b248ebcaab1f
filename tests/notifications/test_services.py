"""Notifications: the inbox service, the email beside it, the event handlers and the
48-hour deadline reminders."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.applications.models import ApplicationStatus, ScreeningDecision
from app.calls.models import CallStatus
from app.core.db import utcnow
from app.core.errors import PermissionDenied
from app.core.events import emit
from app.funders.models import StaffRole
from app.notifications import services
from app.notifications.models import Notification
from app.regions.models import RegionLevel
from tests.factories import (add_member, make_application, make_call, make_funder, make_org, make_region, make_staff,
                             make_user)


def _rows(db, user) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


# --- notify ---------------------------------------------------------------------------

def test_notify_adds_a_row_and_emails_only_after_commit(db, outbox):
    user = make_user(email="li@example.cn")
    n = services.notify(user, "test", "申报书已提交", "正文", "/applications/7")
    assert n is not None and n.id and n.user_id == user.id and not n.is_read
    assert outbox == []  # queued, not sent
    db.session.commit()
    assert [(m.to, m.subject) for m in outbox] == [("li@example.cn", "申报书已提交")]
    assert outbox[0].body.startswith("正文")
    assert "http://127.0.0.1:5000/applications/7" in outbox[0].body


def test_email_follows_base_url(app, db, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://gongyi.example.cn/")
    services.notify(make_user(), "test", "标题", "正文", "/applications/9")
    db.session.commit()
    assert "查看详情：https://gongyi.example.cn/applications/9" in outbox[0].body


def test_rollback_drops_the_email(db, outbox):
    user = make_user()
    db.session.commit()
    services.notify(user, "test", "标题", "正文", "/x")
    db.session.rollback()
    db.session.commit()
    assert outbox == []
    assert _rows(db, user) == []


def test_notify_without_email(db, outbox):
    user = make_user()
    assert services.notify(user, "test", "只在站内", "", "/x", email=False) is not None
    db.session.commit()
    assert outbox == [] and len(_rows(db, user)) == 1


def test_inactive_user_gets_nothing(db, outbox):
    user = make_user(active=False)
    assert services.notify(user, "test", "标题", "正文", "/x") is None
    db.session.commit()
    assert outbox == [] and _rows(db, user) == []


def test_dedupe_key_notifies_once_per_user(db, outbox):
    a, b = make_user(), make_user()
    assert services.notify(a, "test", "提醒", "正文", "/x", dedupe_key="k1") is not None
    assert services.notify(a, "test", "提醒", "正文", "/x", dedupe_key="k1") is None
    assert services.notify(b, "test", "提醒", "正文", "/x", dedupe_key="k1") is not None
    assert services.notify(a, "test", "提醒", "正文", "/x", dedupe_key="k2") is not None
    db.session.commit()
    assert len(_rows(db, a)) == 2 and len(_rows(db, b)) == 1
    assert len(outbox) == 3


def test_dedupe_race_is_settled_by_the_unique_constraint(db, outbox, monkeypatch):
    """Another transaction wrote the same key between our check and our insert: the
    savepoint absorbs the IntegrityError and the surrounding work survives."""
    user = make_user()
    other = make_user()
    db.session.add(Notification(user_id=user.id, kind="test", title="先到", dedupe_key="race"))
    db.session.flush()
    real_scalar = db.session.scalar
    checks = []

    def check_sees_nothing(stmt, *args, **kwargs):
        if "dedupe_key" in str(stmt):
            checks.append(stmt)
            return None  # as if the other transaction had not committed yet
        return real_scalar(stmt, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", check_sees_nothing)
    assert services.notify(user, "test", "后到", "正文", "/x", dedupe_key="race") is None
    monkeypatch.undo()
    assert len(checks) == 1  # the check was passed, so the insert hit the constraint
    assert services.notify(other, "test", "别人", "正文", "/x") is not None
    db.session.commit()
    assert [n.title for n in _rows(db, user)] == ["先到"]
    assert [m.subject for m in outbox] == ["别人"]


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example", "/\\evil.example",
                                  "javascript:alert(1)", "/a\r\nSet-Cookie: x", "relative/path"])
def test_unsafe_links_are_not_stored(db, link):
    n = services.notify(make_user(), "test", "标题", "正文", link)
    assert n.link == ""


def test_long_titles_are_shortened(db):
    n = services.notify(make_user(), "test", "长" * 300, "正文", "/x")
    assert len(n.title) == 200 and n.title.endswith("…")


# --- inbox ------------------------------------------------------------------------------

def test_unread_count_inbox_and_marking_read(db):
    user, other = make_user(), make_user()
    old = services.notify(user, "test", "第一条 退回", "原因", "/a")
    old.created_at = utcnow() - timedelta(hours=1)
    new = services.notify(user, "test", "第二条", "审查通过", "/b")
    services.notify(other, "test", "别人的", "", "/c")
    assert services.unread_count(user) == 2
    assert [n.id for n in db.session.scalars(services.inbox(user))] == [new.id, old.id]
    assert [n.id for n in db.session.scalars(services.inbox(user, q="退回"))] == [old.id]
    assert [n.id for n in db.session.scalars(services.inbox(user, q="审查"))] == [new.id]
    assert list(db.session.scalars(services.inbox(user, q="100%"))) == []

    services.mark_read(user, old)
    assert old.is_read and services.unread_count(user) == 1
    first_read = old.read_at
    services.mark_read(user, old)  # idempotent: keeps the first reading time
    assert old.read_at == first_read
    assert [n.id for n in db.session.scalars(services.inbox(user, unread_only=True))] == [new.id]

    with pytest.raises(PermissionDenied):
        services.mark_read(other, new)
    assert services.mark_all_read(user) == 1
    assert services.unread_count(user) == 0 and services.unread_count(other) == 1
    assert services.mark_all_read(user) == 0


# --- event handlers ---------------------------------------------------------------------

@pytest.fixture
def cast(db):
    """Organization X (owner + member + a deactivated member), its call's funder with two
    program officers, a finance officer, and another funder's officer."""
    owner = make_user(name="负责人", email="owner@example.cn")
    member = make_user(name="成员", email="member@example.cn")
    gone = make_user(name="已停用", active=False)
    county = make_region(level=RegionLevel.COUNTY)
    community = make_region(parent=make_region(level=RegionLevel.STREET, parent=county))
    org = make_org(owner=owner, name="翠湖社区服务社", community=community)
    add_member(org, member)
    add_member(org, gone)
    funder = make_funder(region=county)
    officer1 = make_staff(funder, StaffRole.PROGRAM_OFFICER, email="po1@example.cn")
    officer2 = make_staff(funder, StaffRole.PROGRAM_OFFICER, email="po2@example.cn")
    finance = make_staff(funder, StaffRole.FINANCE_OFFICER)
    other_officer = make_staff(make_funder(), StaffRole.PROGRAM_OFFICER)
    call = make_call(funder, status=CallStatus.OPEN, title="2026年五华区公益创投")
    return dict(owner=owner, member=member, gone=gone, org=org, funder=funder, officer1=officer1,
                officer2=officer2, finance=finance, other_officer=other_officer, call=call)


def _recipients(db) -> dict[int, list[Notification]]:
    out: dict[int, list[Notification]] = {}
    for n in db.session.scalars(select(Notification).order_by(Notification.id)):
        out.setdefault(n.user_id, []).append(n)
    return out


def test_submitted_notifies_members_and_the_funders_program_officers(db, outbox, cast):
    c = cast
    application = make_application(c["call"], c["org"], status=ApplicationStatus.SUBMITTED,
                                   title="长者助餐", created_by=c["owner"])
    emit("application.submitted", application=application, actor=c["owner"], resubmission=False)
    got = _recipients(db)
    assert set(got) == {c["owner"].id, c["member"].id, c["officer1"].id, c["officer2"].id}
    for user in ("owner", "member"):
        (n,) = got[c[user].id]
        assert n.title == "申报书已提交：长者助餐"
        assert "2026年五华区公益创投" in n.body and "翠湖社区服务社" in n.body
        assert n.link == f"/applications/{application.id}" and n.kind == "application.submitted"
    (po,) = got[c["officer1"].id]
    assert po.title == "新申报书：长者助餐" and "形式审查" in po.body
    db.session.commit()
    assert sorted(m.to for m in outbox) == ["member@example.cn", "owner@example.cn",
                                            "po1@example.cn", "po2@example.cn"]


def test_resubmission_is_named_as_such(db, cast):
    c = cast
    application = make_application(c["call"], c["org"], status=ApplicationStatus.SUBMITTED, title="长者助餐")
    emit("application.submitted", application=application, actor=c["owner"], resubmission=True)
    got = _recipients(db)
    assert got[c["owner"].id][0].title == "申报书已重新提交：长者助餐"
    assert got[c["officer1"].id][0].title == "申报书已修改并重新提交：长者助餐"


def test_returned_notifies_members_with_reason_and_beijing_deadline(db, outbox, cast):
    c = cast
    application = make_application(c["call"], c["org"], status=ApplicationStatus.RETURNED, title="长者助餐")
    due = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)  # 17:30 in Beijing
    emit("application.returned", application=application, actor=c["officer1"],
         reason="预算表缺少管理费用明细", due_at=due)
    got = _recipients(db)
    assert set(got) == {c["owner"].id, c["member"].id}
    (n,) = got[c["member"].id]
    assert n.title == "申报书被退回修改：长者助餐"
    assert "退回原因：预算表缺少管理费用明细" in n.body
    assert "2026-05-01 17:30（北京时间）" in n.body
    db.session.commit()
    assert sorted(m.to for m in outbox) == ["member@example.cn", "owner@example.cn"]
    assert "预算表缺少管理费用明细" in outbox[0].body


@pytest.mark.parametrize("decision, label", [(ScreeningDecision.ELIGIBLE, "通过"),
                                             (ScreeningDecision.INELIGIBLE, "不通过")])
def test_screened_notifies_members_with_decision_and_reason(db, cast, decision, label):
    c = cast
    application = make_application(c["call"], c["org"], status=ApplicationStatus.SUBMITTED, title="长者助餐")
    emit("application.screened", application=application, actor=c["officer1"], decision=decision,
         reason="未上传登记证书")
    got = _recipients(db)
    assert set(got) == {c["owner"].id, c["member"].id}
    (n,) = got[c["owner"].id]
    assert n.title == f"形式审查结果（{label}）：长者助餐"
    assert f"形式审查结果：{label}。" in n.body and "说明：未上传登记证书" in n.body


def test_screened_labels_stay_chinese_for_an_english_speaking_officer(app, db, cast):
    c = cast
    application = make_application(c["call"], c["org"], status=ApplicationStatus.SUBMITTED, title="长者助餐")
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        emit("application.screened", application=application, actor=c["officer1"],
             decision=ScreeningDecision.ELIGIBLE, reason="")
    n = _recipients(db)[c["owner"].id][0]
    assert "形式审查结果：通过。" in n.body and "说明" not in n.body


def test_withdrawn_after_submission_tells_the_program_officers(db, cast):
    c = cast
    application = make_application(c["call"], c["org"], status=ApplicationStatus.WITHDRAWN, title="长者助餐")
    application.withdraw_reason = "团队调整"
    emit("application.withdrawn", application=application, actor=c["owner"])
    got = _recipients(db)
    assert set(got) == {c["officer1"].id, c["officer2"].id}
    (n,) = got[c["officer2"].id]
    assert n.title == "申报书已撤回：长者助餐" and "撤回原因：团队调整" in n.body


def test_withdrawn_draft_tells_nobody(db, cast):
    c = cast
    application = make_application(c["call"], c["org"], status=ApplicationStatus.DRAFT)
    application.status = ApplicationStatus.WITHDRAWN
    emit("application.withdrawn", application=application, actor=c["owner"])
    assert _recipients(db) == {}


# --- deadline reminders -----------------------------------------------------------------

@pytest.fixture
def due_setup(db, cast):
    now = utcnow()

    def call_closing_in(hours: float, status=CallStatus.OPEN):
        return make_call(cast["funder"], status=status, opens_at=now - timedelta(days=10),
                         deadline_at=now + timedelta(hours=hours), title=f"截止于{hours}小时后的征集")

    return now, call_closing_in


def test_draft_47_hours_before_the_deadline_is_reminded_once(db, outbox, cast, due_setup):
    now, call_closing_in = due_setup
    application = make_application(call_closing_in(47), cast["org"], title="长者助餐")
    assert services.send_due_reminders(now) == 2  # owner and member; not the deactivated one
    got = _recipients(db)
    assert set(got) == {cast["owner"].id, cast["member"].id}
    (n,) = got[cast["owner"].id]
    assert n.dedupe_key == f"deadline48:{application.id}" and n.link == f"/applications/{application.id}"
    assert n.title.startswith("申报即将截止") and "长者助餐" in n.body and "（北京时间）" in n.body
    db.session.commit()
    assert len(outbox) == 2
    # Running again (cron every hour) sends nothing new.
    assert services.send_due_reminders(now + timedelta(hours=1)) == 0
    db.session.commit()
    assert len(outbox) == 2 and sum(len(v) for v in _recipients(db).values()) == 2


def test_draft_49_hours_before_the_deadline_is_not_reminded_yet(db, cast, due_setup):
    now, call_closing_in = due_setup
    make_application(call_closing_in(49), cast["org"])
    assert services.send_due_reminders(now) == 0
    assert _recipients(db) == {}


def test_submitted_application_is_not_reminded(db, cast, due_setup):
    now, call_closing_in = due_setup
    call = call_closing_in(10)
    make_application(call, cast["org"], status=ApplicationStatus.SUBMITTED)
    make_application(call, cast["org"], status=ApplicationStatus.WITHDRAWN)
    assert services.send_due_reminders(now) == 0


def test_call_past_its_deadline_or_not_open_sends_nothing(db, cast, due_setup):
    now, call_closing_in = due_setup
    make_application(call_closing_in(-1), cast["org"])
    make_application(call_closing_in(10, status=CallStatus.SCREENING), cast["org"])
    make_application(call_closing_in(10, status=CallStatus.CANCELLED), cast["org"])
    assert services.send_due_reminders(now) == 0
    assert _recipients(db) == {}


def test_each_draft_is_reminded_separately(db, cast, due_setup):
    now, call_closing_in = due_setup
    call = call_closing_in(24)
    make_application(call, cast["org"])
    make_application(call, cast["org"])
    assert services.send_due_reminders(now) == 4


def test_the_applications_services_reach_the_handlers(db, outbox, cast):
    """Through the real services (not a hand-made emit): submit, return, resubmit, withdraw."""
    from app.applications import services as applications

    c = cast
    now = utcnow()
    application = make_application(c["call"], c["org"], title="长者助餐", created_by=c["owner"])
    assert applications.submission_problems(application, now) == []
    applications.submit(c["owner"], application, now)
    applications.return_for_correction(c["officer1"], application, "请补充配套资金证明", None, now)
    applications.submit(c["member"], application, now)
    applications.withdraw(c["owner"], application, "团队调整")
    db.session.commit()
    titles = {user: [n.title for n in ns] for user, ns in _recipients(db).items()}
    assert titles[c["owner"].id] == ["申报书已提交：长者助餐", "申报书被退回修改：长者助餐",
                                     "申报书已重新提交：长者助餐"]
    assert titles[c["officer1"].id] == ["新申报书：长者助餐", "申报书已修改并重新提交：长者助餐",
                                        "申报书已撤回：长者助餐"]
    assert c["finance"].id not in titles and c["other_officer"].id not in titles
    assert len(outbox) == 3 * 2 + 3 * 2

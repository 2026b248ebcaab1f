"""Expert pool services (专家库): enrolment, approval, suspension, profiles, conflicts
(回避) and draw candidates."""
from datetime import date

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.extensions import db as _db
from app.funders.models import StaffRole
from app.reviews import experts
from app.reviews.draw import draw
from app.reviews.models import Expert, ExpertAffiliation, ExpertField, ExpertiseField, ExpertStatus
from tests.factories import add_member, make_funder, make_org, make_staff, make_user

PROFILE = {"title": "副教授", "employer": "云南大学社会工作系", "bio": "研究社区养老。",
           "fields": ["elderly_care", "social_work"], "affiliations": []}


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def _audits(action: str) -> list[AuditEntry]:
    return list(_db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


@pytest.fixture
def officer(db):
    return make_staff(make_funder(), StaffRole.PROGRAM_OFFICER)


def _expert(officer, *, name="专家", employer="某大学", fields=("social_work",), affiliations=()):
    user = make_user(name=name)
    return experts.enroll(officer, user, {**PROFILE, "employer": employer, "fields": list(fields),
                                          "affiliations": list(affiliations)})


# --- enrolment ----------------------------------------------------------------------

def test_officer_enrolls_an_active_expert_with_audit(officer):
    user = make_user(name="李明")
    expert = experts.enroll(officer, user, PROFILE)
    assert expert.is_active and expert.status == ExpertStatus.ACTIVE
    assert expert.approved_by_id == officer.id and expert.created_by_id == officer.id
    assert expert.fields == [ExpertiseField.ELDERLY_CARE, ExpertiseField.SOCIAL_WORK]
    entry = _audits("expert.enroll")[-1]
    assert entry.object_id == str(expert.id) and entry.after["user_id"] == user.id
    assert entry.after["fields"] == ["elderly_care", "social_work"]


def test_self_application_is_pending_until_an_officer_approves(officer):
    user = make_user()
    expert = experts.enroll(user, user, PROFILE)
    assert not expert.is_active and expert.status == ExpertStatus.PENDING
    assert _audits("expert.apply")
    assert experts.candidates_for([]) == []  # pending experts are never drawn
    experts.set_active(officer, expert, True)
    assert expert.status == ExpertStatus.ACTIVE and expert.approved_by_id == officer.id
    assert _audits("expert.approve")[-1].after["status"] == "active"
    assert [c.expert_id for c in experts.candidates_for([])] == [expert.id]


def test_only_officers_enroll_others_and_only_confirmed_users_apply(db, officer):
    outsider, user = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        experts.enroll(outsider, user, PROFILE)
    auditor = make_staff(make_funder(), StaffRole.AUDITOR)
    with pytest.raises(PermissionDenied):
        experts.enroll(auditor, user, PROFILE)
    unconfirmed = make_user(confirmed=False)
    with pytest.raises(PermissionDenied, match="确认您的邮箱"):
        experts.enroll(unconfirmed, unconfirmed, PROFILE)
    assert _count(Expert) == 0


def test_a_user_is_an_expert_once(officer):
    user = make_user(name="王芳")
    experts.enroll(officer, user, PROFILE)
    with pytest.raises(ValidationError, match="王芳 已在专家库中") as err:
        experts.enroll(officer, user, PROFILE)
    assert err.value.field == "email"
    with pytest.raises(ValidationError, match="已在专家库中"):
        experts.enroll(user, user, PROFILE)


def test_unknown_email_is_a_clear_message(db):
    make_user(email="known@example.cn")
    assert experts.user_by_email(" KNOWN@example.cn ").email == "known@example.cn"
    with pytest.raises(ValidationError, match="没有使用邮箱 nobody@example.cn 的用户") as err:
        experts.user_by_email("nobody@example.cn")
    assert err.value.field == "email"
    with pytest.raises(ValidationError, match="请填写"):
        experts.user_by_email("  ")


# --- suspension ----------------------------------------------------------------------

def test_suspend_needs_a_reason_and_reinstate_restores(officer):
    expert = _expert(officer)
    with pytest.raises(ValidationError, match="请填写原因"):
        experts.set_active(officer, expert, False, "  ")
    assert expert.is_active
    experts.set_active(officer, expert, False, "多次无故缺席评审")
    assert expert.status == ExpertStatus.SUSPENDED and expert.suspended_reason == "多次无故缺席评审"
    assert experts.candidates_for([]) == []
    with pytest.raises(Conflict, match="已被暂停"):
        experts.set_active(officer, expert, False, "再次")
    experts.set_active(officer, expert, True)
    assert expert.status == ExpertStatus.ACTIVE and expert.suspended_reason == ""
    assert [e.after["status"] for e in _audits("expert.suspend") + _audits("expert.reinstate")] == [
        "suspended", "active"]
    with pytest.raises(Conflict, match="已在库中"):
        experts.set_active(officer, expert, True)


def test_a_pending_application_cannot_be_suspended_and_non_officers_cannot_act(officer):
    user = make_user()
    expert = experts.enroll(user, user, PROFILE)
    with pytest.raises(Conflict, match="待审核"):
        experts.set_active(officer, expert, False, "原因")
    with pytest.raises(PermissionDenied):
        experts.set_active(user, expert, True)
    assert expert.status == ExpertStatus.PENDING


def test_a_pending_application_is_declined_with_a_reason_and_can_be_made_again(officer):
    from app.notifications.models import Notification

    user = make_user(name="申请人")
    expert = experts.enroll(user, user, PROFILE)
    with pytest.raises(ValidationError, match="原因"):
        experts.decline(officer, expert, "  ")
    with pytest.raises(PermissionDenied):
        experts.decline(user, expert, "自己不能审核")
    assert _count(Expert) == 1
    experts.decline(officer, expert, "未提供职称证明，且专业领域与本平台评审需求不符。")
    assert _count(Expert) == 0 and _count(ExpertField) == 0
    entry = _audits("expert.decline")[-1]
    assert entry.after["reason"].startswith("未提供职称证明") and entry.before["employer"] == PROFILE["employer"]
    note = _db.session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert note.kind == "expert.declined" and "未提供职称证明" in note.body
    again = experts.enroll(user, user, PROFILE)  # they may apply again
    assert again.status == ExpertStatus.PENDING
    active = _expert(officer, name="在库专家")
    with pytest.raises(Conflict, match="暂停"):
        experts.decline(officer, active, "不能用于在库专家")
    assert active.is_active


# --- profile -----------------------------------------------------------------------

def test_update_profile_replaces_fields_and_affiliations(officer):
    org = make_org(name="翠湖邻里互助会")
    expert = _expert(officer, affiliations=[{"name": "旧的协会", "relation": "理事"}])
    user = expert.user
    experts.update_profile(user, expert, {
        "title": "教授", "employer": "云南师范大学", "bio": "",
        "fields": ["law"],
        "affiliations": [
            {"name": " 翠湖邻里互助会 ", "relation": "顾问", "since": "2023-01-01", "until": None},
            {"name": "", "relation": "任职", "since": "", "until": ""},  # blank row: skipped
            {"name": "某基金会", "relation": "志愿者", "since": date(2020, 5, 1), "until": date(2021, 5, 1)},
        ],
    })
    _db.session.expire_all()
    expert = _db.session.get(Expert, expert.id)
    assert expert.title == "教授" and expert.fields == [ExpertiseField.LAW]
    rows = [(a.name, a.relation, a.organization_id, a.since) for a in expert.affiliations]
    assert rows == [("翠湖邻里互助会", "顾问", org.id, date(2023, 1, 1)),
                    ("某基金会", "志愿者", None, date(2020, 5, 1))]
    assert _count(ExpertAffiliation) == 2 and _count(ExpertField) == 1
    entry = _audits("expert.update_profile")[-1]
    assert entry.before["title"] == "副教授" and entry.after["title"] == "教授"


@pytest.mark.parametrize("change, field, message", [
    ({"title": ""}, "title", "请填写职称"),
    ({"employer": "单" * 101}, "employer", "工作单位不能超过 100 个字"),
    ({"bio": "简" * 2001}, "bio", "个人简介不能超过 2000 个字"),
    ({"title": "教授\x00"}, "title", "控制字符"),
    ({"fields": []}, "fields", "至少选择一个专业领域"),
    ({"fields": ["astrology"]}, "fields", "请从列表中选择专业领域"),
    ({"affiliations": [{"name": "", "relation": "顾问", "since": "2020-01-01"}]}, "affiliations", "组织名称"),
    ({"affiliations": [{"name": "某协会", "relation": "老板"}]}, "affiliations", "关系类型"),
    ({"affiliations": [{"name": "某协会", "relation": "顾问", "since": "2020-13-01"}]}, "affiliations", "不是有效的日期"),
    ({"affiliations": [{"name": "某协会", "relation": "顾问", "since": "2021-01-01", "until": "2020-01-01"}]},
     "affiliations", "结束日期早于起始日期"),
    ({"affiliations": [{"name": "某协会", "relation": "顾问"}, {"name": "某 协会", "relation": "顾问"}]},
     "affiliations", "填写了两次"),
    ({"affiliations": [{"name": f"协会{i}", "relation": "顾问"} for i in range(21)]}, "affiliations", "最多填写 20 条"),
])
def test_bad_profile_input_writes_nothing(officer, change, field, message):
    expert = _expert(officer, affiliations=[{"name": "原协会", "relation": "理事"}])
    audits = _count(AuditEntry)
    with pytest.raises(ValidationError, match=message) as err:
        experts.update_profile(expert.user, expert, {**PROFILE, **change})
    assert err.value.field == field
    assert _count(AuditEntry) == audits
    assert expert.title == "副教授" and [a.name for a in expert.affiliations] == ["原协会"]
    assert expert.fields == [ExpertiseField.SOCIAL_WORK]
    # A bad new enrolment writes no expert either.
    before = _count(Expert)
    with pytest.raises(ValidationError):
        experts.enroll(officer, make_user(), {**PROFILE, **change})
    assert _count(Expert) == before


def test_only_the_expert_edits_their_profile(officer):
    expert = _expert(officer)
    with pytest.raises(PermissionDenied):
        experts.update_profile(officer, expert, PROFILE)
    with pytest.raises(PermissionDenied):
        experts.update_profile(make_user(), expert, PROFILE)


# --- pool query ----------------------------------------------------------------------

def test_pool_query_filters_by_field_text_and_status(officer):
    a = _expert(officer, name="张三", employer="云南大学", fields=["law"])
    b = _expert(officer, name="李四", employer="昆明理工大学", fields=["elderly_care", "law"])
    pending_user = make_user(name="王五")
    c = experts.enroll(pending_user, pending_user, {**PROFILE, "employer": "云南财经大学"})
    experts.set_active(officer, b, False, "暂停")

    def ids(**kw):
        return [e.id for e in _db.session.execute(experts.pool_query(**kw)).scalars()]

    assert set(ids()) == {a.id, b.id, c.id}
    assert set(ids(field=ExpertiseField.LAW)) == {a.id, b.id}
    assert ids(q="张") == [a.id] and ids(q="理工") == [b.id]
    assert ids(q="%") == []  # wildcards are literal
    assert ids(status=ExpertStatus.ACTIVE) == [a.id] and ids(active=True) == [a.id]
    assert ids(status=ExpertStatus.PENDING) == [c.id]
    assert ids(status=ExpertStatus.SUSPENDED) == [b.id]
    assert set(ids(active=False)) == {b.id, c.id}


# --- conflicts ---------------------------------------------------------------------

def test_conflict_reason_each_case_and_none(officer):
    org = make_org(name="翠湖邻里互助会")
    other = make_org(name="滇池社工服务中心")
    member = _expert(officer, name="成员专家")
    add_member(org, member.user)
    affiliated = _expert(officer, affiliations=[{"name": "翠湖邻里互助会", "relation": "顾问"}])
    typed = _expert(officer, affiliations=[{"name": "翠湖邻里互助会（筹）", "relation": "理事"}])  # another name
    same_employer = _expert(officer, employer=" 翠湖邻里互助会 ")
    free = _expert(officer, employer="云南大学")
    _db.session.refresh(member.user)

    assert experts.conflict_reason(member, org) == "为申报组织成员"
    assert experts.conflict_reason(affiliated, org) == "与申报组织存在任职/顾问等关系"
    assert affiliated.affiliations[0].organization_id == org.id
    assert experts.conflict_reason(same_employer, org) == "与申报组织同一单位"
    assert experts.conflict_reason(free, org) is None
    assert experts.conflict_reason(typed, org) is None
    for e in (member, affiliated, same_employer, free):
        assert experts.conflict_reason(e, other) is None


def test_a_free_text_affiliation_matches_an_organization_registered_later(officer):
    expert = _expert(officer, affiliations=[{"name": "未来 社工服务中心", "relation": "任职"}])
    assert expert.affiliations[0].organization_id is None
    org = make_org(name="未来社工服务中心")
    assert experts.conflict_reason(expert, org) == "与申报组织存在任职/顾问等关系"


# --- candidates and the draw ----------------------------------------------------------

def test_candidates_feed_the_draw_end_to_end(officer):
    org_a = make_org(name="甲社区服务社")
    org_b = make_org(name="乙社区服务社")
    member = _expert(officer, name="甲的成员", fields=["elderly_care"])
    add_member(org_a, member.user)
    _db.session.refresh(member.user)
    employee = _expert(officer, name="乙的员工", employer="乙社区服务社", fields=["elderly_care"])
    free = [_expert(officer, name=f"专家{i}", fields=["elderly_care", "law"]) for i in range(4)]
    lawyer = _expert(officer, name="律师", fields=["law"])
    suspended = _expert(officer, name="暂停者", fields=["elderly_care"])
    experts.set_active(officer, suspended, False, "暂停")

    cands = experts.candidates_for([org_a.id, org_b.id])
    by_id = {c.expert_id: c for c in cands}
    assert suspended.id not in by_id
    assert by_id[member.id].conflict_reason == "为申报组织成员"
    assert by_id[employee.id].conflict_reason == "与申报组织同一单位"
    assert by_id[free[0].id].fields == frozenset({"elderly_care", "law"})
    assert all(by_id[e.id].conflict_reason is None for e in free + [lawyer])

    result = draw(cands, 3, "seed-1", ["elderly_care"])
    assert result.excluded == ((member.id, "为申报组织成员"), (employee.id, "与申报组织同一单位"))
    assert result.off_field == (lawyer.id,)
    assert set(result.picked) <= {e.id for e in free} and len(result.picked) == 3
    assert result.verify(experts.candidates_for([org_b.id, org_a.id]))

    narrowed = experts.candidates_for([org_a.id], field=ExpertiseField.LAW)
    assert {c.expert_id for c in narrowed} == {e.id for e in free} | {lawyer.id}
    with pytest.raises(ValidationError):
        experts.candidates_for([org_a.id], field="astrology")

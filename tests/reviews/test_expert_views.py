"""Expert pool pages (专家库): who may see and do what, and what the pages say."""
import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEntry
from app.extensions import db as _db
from app.funders.models import StaffRole
from app.reviews import experts
from app.reviews.models import Expert, ExpertAffiliation, ExpertiseField, ExpertStatus
from tests.conftest import login
from tests.factories import make_funder, make_org, make_staff, make_user

PROFILE = {"title": "副教授", "employer": "云南大学", "bio": "", "fields": ["social_work"], "affiliations": []}


@pytest.fixture
def people(db):
    funder = make_funder()
    return {
        "officer": make_staff(funder, StaffRole.PROGRAM_OFFICER),
        "auditor": make_staff(funder, StaffRole.AUDITOR),
        "finance": make_staff(funder, StaffRole.FINANCE_OFFICER),
        "admin": make_user(is_admin=True),
        "user": make_user(name="普通用户"),
    }


def _expert(officer, name="陈静", **kw):
    user = make_user(name=name, email=kw.pop("email", None))
    return experts.enroll(officer, user, {**PROFILE, **kw})


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role, status", [("officer", 200), ("auditor", 200), ("admin", 200),
                                          ("finance", 403), ("user", 403)])
def test_pool_list_is_for_officers_auditors_and_admins(client, people, role, status):
    _expert(people["officer"], name="陈静")
    login(client, people[role])
    resp = client.get("/reviews/experts")
    assert resp.status_code == status
    if status == 200:
        assert "陈静" in resp.get_data(as_text=True)


def test_pool_list_redirects_signed_out_visitors_to_login(client, db):
    resp = client.get("/reviews/experts")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_pool_filters_search_pagination_and_empty_state(app, client, people):
    officer = people["officer"]
    login(client, officer)
    page = client.get("/reviews/experts").get_data(as_text=True)
    assert "专家库中还没有专家" in page
    _expert(officer, name="张律师", employer="云南律师事务所", fields=["law"])
    _expert(officer, name="李社工", employer="昆明社工站", fields=["social_work"])
    page = client.get("/reviews/experts?field=law").get_data(as_text=True)
    assert "张律师" in page and "李社工" not in page
    page = client.get("/reviews/experts?q=社工站").get_data(as_text=True)
    assert "李社工" in page and "张律师" not in page
    page = client.get("/reviews/experts?status=pending").get_data(as_text=True)
    assert "没有符合条件的专家" in page and "清除筛选" in page
    for i in range(app.config["PAGE_SIZE"]):
        _expert(officer, name=f"批量专家{i:02d}")
    page = client.get("/reviews/experts?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in page
    assert client.get("/reviews/experts?page=abc&field=bogus&status=x").status_code == 200


def test_officer_enrolls_by_email_and_unknown_email_is_explained(client, people):
    officer = people["officer"]
    make_user(name="赵老师", email="zhao@example.cn")
    login(client, officer)
    assert client.get("/reviews/experts/new").status_code == 200
    resp = client.post("/reviews/experts/new", data={
        "email": "nobody@example.cn", "title": "教授", "employer": "云南大学", "fields": ["law"]})
    assert resp.status_code == 200
    assert "没有使用邮箱 nobody@example.cn 的用户" in resp.get_data(as_text=True)
    assert _count(Expert) == 0
    resp = client.post("/reviews/experts/new", data={
        "email": "zhao@example.cn", "title": "教授", "employer": "云南大学", "fields": ["law", "social_work"]})
    assert resp.status_code == 302
    expert = _db.session.execute(select(Expert)).scalar_one()
    assert expert.status == ExpertStatus.ACTIVE and expert.user.name == "赵老师"
    assert resp.headers["Location"].endswith(f"/reviews/experts/{expert.id}")
    # Twice: a clear message on the email field.
    resp = client.post("/reviews/experts/new", data={
        "email": "zhao@example.cn", "title": "教授", "employer": "云南大学", "fields": ["law"]})
    assert "已在专家库中" in resp.get_data(as_text=True) and _count(Expert) == 1


@pytest.mark.parametrize("role", ["auditor", "admin", "user"])
def test_only_officers_enroll(client, people, role):
    login(client, people[role])
    assert client.get("/reviews/experts/new").status_code == 403
    assert client.post("/reviews/experts/new", data={"email": people["user"].email}).status_code == 403


def test_detail_is_for_pool_viewers_and_the_expert_only(client, people):
    expert = _expert(people["officer"], name="孙专家")
    for role in ("officer", "auditor", "admin"):
        login(client, people[role])
        assert "孙专家" in client.get(f"/reviews/experts/{expert.id}").get_data(as_text=True)
    login(client, expert.user)
    page = client.get(f"/reviews/experts/{expert.id}").get_data(as_text=True)
    assert "孙专家" in page and "编辑我的资料" in page and "暂停专家资格" not in page
    for role in ("finance", "user"):
        login(client, people[role])
        assert client.get(f"/reviews/experts/{expert.id}").status_code == 403
    login(client, people["officer"])
    assert client.get("/reviews/experts/999999").status_code == 404
    assert client.get("/reviews/experts/99999999999").status_code == 404


def test_apply_then_officer_approves_then_suspends(client, people):
    user, officer = people["user"], people["officer"]
    login(client, user)
    page = client.get("/reviews/me").get_data(as_text=True)
    assert "申请加入专家库" in page
    resp = client.post("/reviews/me", data={
        "title": "高级社会工作师", "employer": "昆明市社工协会", "fields": ["social_work", "elderly_care"],
        "bio": "十年社区养老服务经验。",
        "affiliations-0-name": "翠湖邻里互助会", "affiliations-0-relation": "顾问",
        "affiliations-0-since": "2022-03-01", "affiliations-0-until": "",
        "affiliations-1-name": "", "affiliations-1-relation": "任职",
    })
    assert resp.status_code == 302
    expert = experts.expert_of(user)
    assert expert.status == ExpertStatus.PENDING and [a.name for a in expert.affiliations] == ["翠湖邻里互助会"]
    page = client.get("/reviews/me").get_data(as_text=True)
    assert "等待项目主管审核" in page and 'value="翠湖邻里互助会"' in page

    # The applicant cannot approve themself.
    assert client.post(f"/reviews/experts/{expert.id}/approve").status_code == 403

    login(client, officer)
    assert "有 1 份入库申请待审核" in client.get("/reviews/experts").get_data(as_text=True)
    resp = client.post(f"/reviews/experts/{expert.id}/approve")
    assert resp.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Expert, expert.id).status == ExpertStatus.ACTIVE

    # Suspending without a reason changes nothing and says why.
    resp = client.post(f"/reviews/experts/{expert.id}/suspend", data={"reason": ""}, follow_redirects=True)
    assert "请填写暂停原因" in resp.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Expert, expert.id).is_active
    resp = client.post(f"/reviews/experts/{expert.id}/suspend", data={"reason": "连续两次未按时提交评分"},
                       follow_redirects=True)
    assert "已暂停" in resp.get_data(as_text=True)
    _db.session.expire_all()
    suspended = _db.session.get(Expert, expert.id)
    assert suspended.status == ExpertStatus.SUSPENDED and suspended.suspended_reason == "连续两次未按时提交评分"
    # Approving an active expert again is explained, not an error page.
    client.post(f"/reviews/experts/{expert.id}/approve")
    resp = client.post(f"/reviews/experts/{expert.id}/approve", follow_redirects=True)
    assert "已在库中" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ["auditor", "admin", "user", "finance"])
def test_only_officers_approve_or_suspend(client, people, role):
    user = make_user()
    expert = experts.enroll(user, user, PROFILE)
    login(client, people[role])
    assert client.post(f"/reviews/experts/{expert.id}/approve").status_code == 403
    assert client.post(f"/reviews/experts/{expert.id}/suspend", data={"reason": "x"}).status_code == 403
    _db.session.expire_all()
    assert _db.session.get(Expert, expert.id).status == ExpertStatus.PENDING


def test_own_profile_edit_and_bad_input_writes_nothing(client, people):
    org = make_org(name="滇池社工服务中心")
    expert = _expert(people["officer"], name="周专家")
    user = expert.user
    login(client, user)
    page = client.get("/reviews/me").get_data(as_text=True)
    assert "我的专家资料" in page and 'value="云南大学"' in page
    audits = _count(AuditEntry)
    bad = client.post("/reviews/me", data={
        "title": "教授", "employer": "云南大学", "fields": ["social_work"],
        "affiliations-0-name": "滇池社工服务中心", "affiliations-0-relation": "顾问",
        "affiliations-0-since": "2023-05-01", "affiliations-0-until": "2020-01-01"})
    assert bad.status_code == 200 and "结束日期早于起始日期" in bad.get_data(as_text=True)
    bad = client.post("/reviews/me", data={"title": "", "employer": "云南大学", "fields": ["bogus"]})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "请填写职称" in text and "专业领域选项无效" in text
    assert _count(AuditEntry) == audits and _count(ExpertAffiliation) == 0
    ok = client.post("/reviews/me", data={
        "title": "教授", "employer": "云南大学", "fields": ["law"],
        "affiliations-0-name": "滇池社工服务中心", "affiliations-0-relation": "理事"})
    assert ok.status_code == 302
    _db.session.expire_all()
    expert = _db.session.get(Expert, expert.id)
    assert expert.title == "教授" and expert.fields == [ExpertiseField.LAW]
    assert expert.affiliations[0].organization_id == org.id
    assert experts.conflict_reason(expert, org) == "与申报组织存在任职/顾问等关系"


def test_unconfirmed_user_cannot_apply(client, db):
    user = make_user(confirmed=False)
    login(client, user)
    assert "请先确认您的邮箱" in client.get("/reviews/me").get_data(as_text=True)
    resp = client.post("/reviews/me", data={"title": "教授", "employer": "云南大学", "fields": ["law"]})
    assert resp.status_code == 200 and "请先确认您的邮箱" in resp.get_data(as_text=True)
    assert _count(Expert) == 0

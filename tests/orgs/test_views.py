import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.funders.models import StaffRole
from app.orgs.models import (CreditStatus, EvaluationGrade, Invitation, InvitationStatus, LegalStatus,
                             OrgMembership, Organization, ServiceTarget, Category)
from app.regions.models import RegionLevel
from tests.conftest import login
from tests.factories import (add_member, ancestor, make_funder, make_org, make_region, make_staff,
                             make_user)

VALID_CODE = "91350100M000100Y43"
ROLES = ["anonymous", "unconfirmed", "outsider", "member", "owner", "officer_covering",
         "officer_elsewhere", "finance_covering", "admin"]


@pytest.fixture
def world(db):
    """One organization and a user for every role around it."""
    community = make_region(name="翠湖社区")
    owner = make_user(name="负责人", email="owner@example.cn")
    org = make_org(community=community, owner=owner, name="翠湖邻里互助会")
    member = make_user(name="成员")
    add_member(org, member)
    county = ancestor(community, RegionLevel.COUNTY)
    covering = make_funder(region=county)
    users = {
        "anonymous": None,
        "unconfirmed": make_user(confirmed=False),
        "outsider": make_user(),
        "member": member,
        "owner": owner,
        "officer_covering": make_staff(covering, StaffRole.PROGRAM_OFFICER),
        "officer_elsewhere": make_staff(make_funder(), StaffRole.PROGRAM_OFFICER),
        "finance_covering": make_staff(covering, StaffRole.FINANCE_OFFICER),
        "admin": make_user(is_admin=True),
    }
    return {"org": org, "community": community, "users": users}


def as_role(client, world, role):
    user = world["users"][role]
    if user is not None:
        login(client, user)
    return user


def form_data(community, **overrides):
    data = {
        "name": "新建的社区服务社", "legal_status": "filed", "credit_code": "",
        "registration_authority": "华山街道", "category": "life_service",
        "service_targets": ["elderly", "disabled"], "service_target_other": "",
        "home_community_id": str(community.id), "founded_on": "2021-04-01", "registered_on": "",
        "party_organization": "no", "social_worker_count": "1", "staff_count": "2",
        "volunteer_count": "30", "mission": "助老助残", "address": "翠湖南路 2 号",
        "legal_representative": "王五", "contact_name": "赵六", "contact_phone": "13800001111",
        "contact_email": "svc@example.cn",
    }
    data.update(overrides)
    return data


def org_count(db):
    return db.session.scalar(select(func.count()).select_from(Organization))


# --- permission matrix --------------------------------------------------------------

EDIT = {"anonymous": 302, "unconfirmed": 403, "outsider": 403, "member": 200, "owner": 200,
        "officer_covering": 403, "officer_elsewhere": 403, "finance_covering": 403, "admin": 403}
MEMBERS = {"anonymous": 302, "unconfirmed": 403, "outsider": 403, "member": 403, "owner": 200,
           "officer_covering": 403, "officer_elsewhere": 403, "finance_covering": 403, "admin": 403}
PROFILE = {role: 200 for role in ROLES}
MINE = {role: (302 if role == "anonymous" else 200) for role in ROLES}
CREATE = {role: (302 if role in ("anonymous", "unconfirmed") else 200) for role in ROLES}
DIRECTORY = {role: 200 for role in ROLES}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path,expected", [
    ("/orgs/", DIRECTORY), ("/orgs/{id}", PROFILE), ("/orgs/mine", MINE), ("/orgs/new", CREATE),
    ("/orgs/{id}/edit", EDIT), ("/orgs/{id}/members", MEMBERS),
])
def test_get_matrix(client, world, role, path, expected):
    as_role(client, world, role)
    resp = client.get(path.format(id=world["org"].id))
    assert resp.status_code == expected[role]
    if role == "anonymous" and expected[role] == 302:
        assert "/auth/login" in resp.headers["Location"]


def test_unconfirmed_user_redirected_to_dashboard_with_message(client, world):
    as_role(client, world, "unconfirmed")
    resp = client.get("/orgs/new", follow_redirects=True)
    assert resp.request.path == "/dashboard"
    assert "请先确认您的邮箱" in resp.get_data(as_text=True)
    resp = client.post("/orgs/new", data=form_data(world["community"]))
    assert resp.status_code == 302


PRIVATE = {"anonymous": False, "unconfirmed": False, "outsider": False, "member": True, "owner": True,
           "officer_covering": True, "officer_elsewhere": False, "finance_covering": True, "admin": True}
STAFF_PANEL = {role: role == "officer_covering" for role in ROLES}
EDIT_BUTTON = {role: role in ("member", "owner") for role in ROLES}


@pytest.mark.parametrize("role", ROLES)
def test_profile_shows_private_parts_only_to_allowed(client, world, role):
    as_role(client, world, role)
    org = world["org"]
    html = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert org.name in html and "翠湖社区" in html and "未评估" in html
    assert ("0871-65550000" in html) is PRIVATE[role]
    assert ("contact@example.cn" in html) is PRIVATE[role]
    assert ("owner@example.cn" in html) is PRIVATE[role]
    assert (f"/orgs/{org.id}/staff-fields" in html) is STAFF_PANEL[role]
    assert (f"/orgs/{org.id}/edit" in html) is EDIT_BUTTON[role]
    assert (f'href="/orgs/{org.id}/members"' in html) is (role == "owner")


STAFF_POST = {"anonymous": 302, "unconfirmed": 403, "outsider": 403, "member": 403, "owner": 403,
              "officer_covering": 302, "officer_elsewhere": 403, "finance_covering": 403, "admin": 403}


@pytest.mark.parametrize("role", ROLES)
def test_staff_fields_post_matrix(client, db, world, role):
    as_role(client, world, role)
    org = world["org"]
    resp = client.post(f"/orgs/{org.id}/staff-fields", data={"evaluation_grade": "3A", "credit_status": "abnormal"})
    assert resp.status_code == STAFF_POST[role]
    db.session.refresh(org)
    changed = org.evaluation_grade == EvaluationGrade.A3 and org.credit_status == CreditStatus.ABNORMAL
    assert changed is (role == "officer_covering")


INVITE_POST = {"anonymous": 302, "unconfirmed": 403, "outsider": 403, "member": 403, "owner": 302,
               "officer_covering": 403, "officer_elsewhere": 403, "finance_covering": 403, "admin": 403}


@pytest.mark.parametrize("role", ROLES)
def test_invite_post_matrix(client, db, world, role, outbox):
    as_role(client, world, role)
    org = world["org"]
    resp = client.post(f"/orgs/{org.id}/invitations", data={"email": "new@example.cn", "role": "member"})
    assert resp.status_code == INVITE_POST[role]
    sent = db.session.scalar(select(func.count()).select_from(Invitation))
    assert sent == (1 if role == "owner" else 0)
    assert len(outbox) == sent


@pytest.mark.parametrize("role", ROLES)
def test_edit_post_matrix(client, db, world, role):
    as_role(client, world, role)
    org = world["org"]
    resp = client.post(f"/orgs/{org.id}/edit", data=form_data(world["community"], name=org.name, mission="改过的宗旨"))
    allowed = role in ("member", "owner")
    assert resp.status_code == (302 if allowed or role == "anonymous" else 403)
    db.session.refresh(org)
    assert (org.mission == "改过的宗旨") is allowed


@pytest.mark.parametrize("role", ["member", "outsider", "officer_covering", "admin"])
def test_member_routes_refused_to_non_owners(client, db, world, role):
    as_role(client, world, role)
    org = world["org"]
    owner_membership = org.members[0]
    inv = Invitation(organization_id=org.id, email="p@example.cn", status=InvitationStatus.PENDING)
    db.session.add(inv)
    db.session.flush()
    assert client.post(f"/orgs/{org.id}/members/{owner_membership.id}/role", data={"role": "member"}).status_code == 403
    assert client.post(f"/orgs/{org.id}/members/{owner_membership.id}/remove").status_code == 403
    assert client.post(f"/orgs/{org.id}/invitations/{inv.id}/revoke").status_code == 403
    db.session.refresh(inv)
    assert inv.status == InvitationStatus.PENDING
    assert world["users"]["owner"].org_role(org.id) == "owner"


def test_missing_org_is_404(client, world):
    login(client, world["users"]["owner"])
    for path in ("/orgs/999999", "/orgs/999999/edit", "/orgs/999999/members"):
        assert client.get(path).status_code == 404


def test_membership_of_another_org_is_404(client, db, world):
    other_owner = make_user()
    other = make_org(owner=other_owner)
    login(client, world["users"]["owner"])
    resp = client.post(f"/orgs/{world['org'].id}/members/{other.members[0].id}/remove")
    assert resp.status_code == 404
    assert other_owner.org_role(other.id) == "owner"


# --- create and edit ----------------------------------------------------------------

def test_create_via_form(client, db, world):
    owner = world["users"]["outsider"]
    login(client, owner)
    resp = client.post("/orgs/new", data=form_data(world["community"], legal_status="registered",
                                                   credit_code="91350100m000100y43",
                                                   registered_on="2021-05-01"))
    assert resp.status_code == 302
    org = db.session.execute(select(Organization).where(Organization.name == "新建的社区服务社")).scalar_one()
    assert resp.headers["Location"].endswith(f"/orgs/{org.id}")
    assert org.credit_code == VALID_CODE and org.registered_on == date(2021, 5, 1)
    assert owner.org_role(org.id) == "owner"
    assert org.service_targets == [ServiceTarget.ELDERLY, ServiceTarget.DISABLED]


@pytest.mark.parametrize("overrides,message", [
    ({"name": ""}, "请填写组织名称"),
    ({"legal_status": "registered", "credit_code": "91350100M000100Y44"}, "第 18 位应为“3”"),
    ({"legal_status": "registered", "credit_code": "91350100M00010OY43"}, "不允许"),
    ({"legal_status": "registered", "credit_code": ""}, "须填写统一社会信用代码"),
    ({"service_targets": []}, "请至少选择一类服务对象"),
    ({"service_targets": ["other"]}, "请说明具体服务哪些人群"),
    ({"home_community_id": "abc"}, "请选择组织所在的社区"),
    ({"founded_on": "2999-01-01"}, "不能晚于今天"),
    ({"founded_on": "not-a-date"}, "请填写成立日期"),
    ({"volunteer_count": "-5"}, "人数应在 0 到 100000 之间"),
    ({"volunteer_count": "100001"}, "人数应在 0 到 100000 之间"),
    ({"contact_email": "bad"}, "邮箱格式不正确"),
    ({"category": "spaceships"}, "请从列表中选择"),
    ({"name": "名" * 101}, "不能超过 100 个字"),
])
def test_bad_input_writes_nothing(client, db, world, overrides, message):
    login(client, world["users"]["outsider"])
    before = org_count(db)
    resp = client.post("/orgs/new", data=form_data(world["community"], **overrides))
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert org_count(db) == before


def test_county_as_home_community_refused(client, db, world):
    login(client, world["users"]["outsider"])
    county = ancestor(world["community"], RegionLevel.COUNTY)
    resp = client.post("/orgs/new", data=form_data(world["community"], home_community_id=str(county.id)))
    assert resp.status_code == 200
    assert org_count(db) == 1


def test_filed_org_code_is_ignored(client, db, world):
    login(client, world["users"]["outsider"])
    resp = client.post("/orgs/new", data=form_data(world["community"], legal_status="filed",
                                                   credit_code="garbage-that-is-long-and-wrong",
                                                   registered_on="nonsense"))
    assert resp.status_code == 302
    org = db.session.execute(select(Organization).where(Organization.name == "新建的社区服务社")).scalar_one()
    assert org.credit_code is None and org.registered_on is None


def test_hidden_staff_fields_from_owner_ignored(client, db, world):
    login(client, world["users"]["owner"])
    org = world["org"]
    extra = {"evaluation_grade": "5A", "credit_status": "serious", "id": "999", "legal_status": "filed"}
    resp = client.post(f"/orgs/{org.id}/edit", data=form_data(world["community"], name=org.name, **extra))
    assert resp.status_code == 302
    db.session.refresh(org)
    assert org.evaluation_grade == EvaluationGrade.NONE
    assert org.credit_status == CreditStatus.NORMAL
    resp = client.post("/orgs/new", data=form_data(world["community"], **extra))
    created = db.session.execute(select(Organization).where(Organization.name == "新建的社区服务社")).scalar_one()
    assert created.evaluation_grade == EvaluationGrade.NONE and created.credit_status == CreditStatus.NORMAL


def test_edit_form_prefilled(client, world):
    login(client, world["users"]["member"])
    html = client.get(f"/orgs/{world['org'].id}/edit").get_data(as_text=True)
    assert 'value="翠湖邻里互助会"' in html
    assert re.search(r'checked[^>]*value="elderly"|value="elderly"[^>]*checked', html)
    assert "登记管理机关 / 备案街道 / 指导社区党组织" in html


def test_duplicate_name_message_beside_field(client, db, world):
    login(client, world["users"]["outsider"])
    resp = client.post("/orgs/new", data=form_data(world["community"], name="翠湖邻里互助会"))
    assert resp.status_code == 200
    assert "已被其他组织使用" in resp.get_data(as_text=True)
    assert org_count(db) == 1


# --- members and invitations ----------------------------------------------------------

def test_remove_last_owner_via_view_refused(client, db, world):
    owner = world["users"]["owner"]
    login(client, owner)
    org = world["org"]
    membership = next(m for m in org.members if m.user_id == owner.id)
    resp = client.post(f"/orgs/{org.id}/members/{membership.id}/remove", follow_redirects=True)
    assert "不能移除组织唯一的负责人" in resp.get_data(as_text=True)
    assert owner.org_role(org.id) == "owner"


def test_owner_changes_role_and_removes_member(client, db, world):
    login(client, world["users"]["owner"])
    org = world["org"]
    member = world["users"]["member"]
    m = next(mm for mm in org.members if mm.user_id == member.id)
    assert client.post(f"/orgs/{org.id}/members/{m.id}/role", data={"role": "owner"}).status_code == 302
    db.session.refresh(m)
    assert m.role.value == "owner"
    assert client.post(f"/orgs/{org.id}/members/{m.id}/remove").status_code == 302
    assert db.session.get(OrgMembership, m.id) is None


def test_invitation_journey(client, db, world, outbox):
    org = world["org"]
    login(client, world["users"]["owner"])
    resp = client.post(f"/orgs/{org.id}/invitations", data={"email": "Newbie@Example.cn", "role": "member"})
    assert resp.status_code == 302
    path = re.search(r"http://localhost(/orgs/invitations/\S+)", outbox[-1].body).group(1)
    # Duplicate refused with a message, nothing more sent.
    resp = client.post(f"/orgs/{org.id}/invitations", data={"email": "newbie@example.cn", "role": "member"})
    assert resp.status_code == 200 and "已经向" in resp.get_data(as_text=True)
    assert len(outbox) == 1

    anon = client.application.test_client()
    resp = anon.get(path)
    assert resp.status_code == 302 and "/auth/login?next=" in resp.headers["Location"]

    invitee = make_user(email="newbie@example.cn")
    login(client, invitee)
    resp = client.get(path)
    assert resp.status_code == 200 and "接受邀请" in resp.get_data(as_text=True)
    inv = db.session.execute(select(Invitation)).scalar_one()
    assert inv.status == InvitationStatus.PENDING  # no change on GET
    resp = client.post(path)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/orgs/{org.id}")
    db.session.refresh(inv)
    assert inv.status == InvitationStatus.ACCEPTED and invitee.org_role(org.id) == "member"
    resp = client.post(path)
    assert resp.status_code == 409 and "已经被接受" in resp.get_data(as_text=True)


def test_invitation_wrong_user_refused(client, db, world, outbox):
    org = world["org"]
    login(client, world["users"]["owner"])
    client.post(f"/orgs/{org.id}/invitations", data={"email": "right@example.cn", "role": "owner"})
    path = re.search(r"http://localhost(/orgs/invitations/\S+)", outbox[-1].body).group(1)
    intruder = world["users"]["outsider"]
    login(client, intruder)
    html = client.get(path).get_data(as_text=True)
    assert "r***@example.cn" in html and 'action="/orgs/invitations/' not in html
    resp = client.post(path)
    assert resp.status_code == 403
    assert intruder.org_role(org.id) is None


def test_bad_invitation_token(client, world):
    login(client, world["users"]["outsider"])
    resp = client.get("/orgs/invitations/not-a-token", follow_redirects=True)
    assert "邀请链接无效" in resp.get_data(as_text=True)


def test_revoke_invitation_via_view(client, db, world):
    org = world["org"]
    login(client, world["users"]["owner"])
    client.post(f"/orgs/{org.id}/invitations", data={"email": "x@example.cn", "role": "member"})
    inv = db.session.execute(select(Invitation)).scalar_one()
    assert "x@example.cn" in client.get(f"/orgs/{org.id}/members").get_data(as_text=True)
    assert client.post(f"/orgs/{org.id}/invitations/{inv.id}/revoke").status_code == 302
    db.session.refresh(inv)
    assert inv.status == InvitationStatus.REVOKED


def test_mine_lists_roles(client, world):
    login(client, world["users"]["member"])
    html = client.get("/orgs/mine").get_data(as_text=True)
    assert "翠湖邻里互助会" in html and "成员" in html and "创建组织" in html


# --- directory ----------------------------------------------------------------------

@pytest.fixture
def listing(db):
    c1 = make_region(name="翠湖社区")
    c2 = make_region(name="远方村")
    make_org(community=c1, name="甲助老服务队", category=Category.CHARITY,
             legal_status=LegalStatus.REGISTERED, credit_code=VALID_CODE)
    make_org(community=c2, name="乙儿童之家", category=Category.MUTUAL_AID,
             targets=(ServiceTarget.CHILDREN,))
    return c1, c2


def test_directory_search_and_filters(client, listing):
    c1, c2 = listing
    html = client.get("/orgs/").get_data(as_text=True)
    assert "甲助老服务队" in html and "乙儿童之家" in html and "共找到 2 个组织" in html
    html = client.get("/orgs/?q=助老").get_data(as_text=True)
    assert "甲助老服务队" in html and "乙儿童之家" not in html
    html = client.get("/orgs/?category=mutual_aid").get_data(as_text=True)
    assert "乙儿童之家" in html and "甲助老服务队" not in html
    html = client.get("/orgs/?target=children").get_data(as_text=True)
    assert "乙儿童之家" in html and "甲助老服务队" not in html
    html = client.get("/orgs/?legal_status=registered").get_data(as_text=True)
    assert "甲助老服务队" in html and "乙儿童之家" not in html
    county = ancestor(c2, RegionLevel.COUNTY)
    html = client.get(f"/orgs/?region={county.id}").get_data(as_text=True)
    assert "乙儿童之家" in html and "甲助老服务队" not in html


@pytest.mark.parametrize("query", ["?category=bogus&region=abc&target=x&legal_status=y&page=-3",
                                   "?region=99999999999999999999", "?page=abc", "?q=" + "长" * 300])
def test_directory_junk_filters_never_fail(client, listing, query):
    assert client.get("/orgs/" + query).status_code == 200


def test_directory_empty_state(client, listing):
    html = client.get("/orgs/?q=不存在的组织").get_data(as_text=True)
    assert "没有符合条件的组织" in html and "清除筛选" in html and 'href="/orgs/"' in html


def test_directory_pagination_keeps_filters(client, app, db):
    community = make_region()
    for i in range(app.config["PAGE_SIZE"] + 3):
        make_org(community=community, name=f"互助队{i:03d}", category=Category.MUTUAL_AID)
    make_org(community=community, name="其他类别的队", category=Category.CHARITY)
    html = client.get("/orgs/?category=mutual_aid&q=互助").get_data(as_text=True)
    assert "互助队000" in html and "互助队022" not in html
    page2 = re.search(r'href="(/orgs/\?[^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "category=mutual_aid" in page2 and "q=" in page2
    html2 = client.get(page2).get_data(as_text=True)
    assert "互助队022" in html2 and "互助队000" not in html2 and "其他类别的队" not in html2


def test_directory_query_count_constant(client, db, count_queries):
    def fill(n):
        for _ in range(n):
            street = make_region(level=RegionLevel.STREET)
            make_org(community=make_region(parent=street), targets=(ServiceTarget.ELDERLY, ServiceTarget.WOMEN))

    fill(2)
    db.session.commit()
    client.get("/orgs/")
    with count_queries() as small:
        assert client.get("/orgs/").status_code == 200
    fill(12)
    db.session.commit()
    client.get("/orgs/")
    with count_queries() as large:
        assert client.get("/orgs/").status_code == 200
    assert large() == small()


def test_huge_ids_and_junk_never_fail(client, db, world):
    big = "9" * 25
    assert client.get(f"/orgs/{big}").status_code == 404
    login(client, world["users"]["owner"])
    org = world["org"]
    assert client.post(f"/orgs/{org.id}/members/{big}/remove").status_code == 404
    assert client.post(f"/orgs/{org.id}/invitations/{big}/revoke").status_code == 404
    resp = client.post("/orgs/new", data=form_data(world["community"], home_community_id=big, volunteer_count=big))
    assert resp.status_code == 200 and "请从列表中选择社区" in resp.get_data(as_text=True)
    assert client.get("/orgs/invitations/" + "x" * 3000, follow_redirects=True).status_code == 200
    assert org_count(db) == 1


def test_control_characters_in_search_are_ignored_not_a_500(client, db):
    resp = client.get("/orgs/?q=%E7%BF%A0%00%E6%B9%96")
    assert resp.status_code == 200

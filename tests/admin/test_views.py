import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.funders.models import Funder, FunderKind, StaffMembership, StaffRole
from app.regions.models import CommunityKind, Region, RegionLevel
from app.regions import services as region_services
from tests.conftest import login
from tests.factories import (ancestor, make_admin, make_funder, make_org, make_region,
                             make_staff, make_user)

GOOD_PASSWORD = "lanterns-over-dianchi"


@pytest.fixture
def world(db):
    community = make_region()
    county = ancestor(community, RegionLevel.COUNTY)
    funder = make_funder(region=county, name="五华区民政局")
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER, name="王主管")
    applicant = make_user(name="张申报")
    org = make_org(community=community, owner=applicant)
    admin = make_admin()
    membership = officer.staff_memberships[0]
    return {"admin": admin, "officer": officer, "applicant": applicant, "funder": funder,
            "community": community, "county": county, "org": org, "membership": membership}


def _count(model, *where) -> int:
    stmt = select(func.count()).select_from(model)
    for w in where:
        stmt = stmt.where(w)
    return db.session.scalar(stmt)


# Every admin route, with ids of real objects.
ROUTES = [
    ("GET", lambda w: "/admin/"),
    ("GET", lambda w: "/admin/users"),
    ("GET", lambda w: "/admin/users/new"),
    ("POST", lambda w: "/admin/users/new"),
    ("GET", lambda w: f"/admin/users/{w['officer'].id}"),
    ("POST", lambda w: f"/admin/users/{w['applicant'].id}/staff"),
    ("POST", lambda w: f"/admin/users/{w['officer'].id}/staff/{w['membership'].id}/remove"),
    ("POST", lambda w: f"/admin/users/{w['applicant'].id}/admin/grant"),
    ("POST", lambda w: f"/admin/users/{w['applicant'].id}/admin/revoke"),
    ("POST", lambda w: f"/admin/users/{w['applicant'].id}/deactivate"),
    ("POST", lambda w: f"/admin/users/{w['applicant'].id}/reactivate"),
    ("GET", lambda w: "/admin/funders"),
    ("GET", lambda w: "/admin/funders/new"),
    ("POST", lambda w: "/admin/funders/new"),
    ("GET", lambda w: f"/admin/funders/{w['funder'].id}"),
    ("GET", lambda w: f"/admin/funders/{w['funder'].id}/edit"),
    ("POST", lambda w: f"/admin/funders/{w['funder'].id}/edit"),
    ("POST", lambda w: f"/admin/funders/{w['funder'].id}/staff"),
    ("POST", lambda w: f"/admin/funders/{w['funder'].id}/staff/{w['membership'].id}/remove"),
    ("GET", lambda w: "/admin/regions"),
    ("GET", lambda w: f"/admin/regions?parent={w['county'].id}"),
    ("GET", lambda w: "/admin/regions/new"),
    ("POST", lambda w: f"/admin/regions/new?parent={w['county'].id}"),
    ("GET", lambda w: f"/admin/regions/{w['county'].id}/edit"),
    ("POST", lambda w: f"/admin/regions/{w['county'].id}/edit"),
]
ROUTE_IDS = [f"{m} {f({'officer': type('o', (), {'id': 'U'}), 'applicant': type('a', (), {'id': 'A'}), 'membership': type('m', (), {'id': 'M'}), 'funder': type('f', (), {'id': 'F'}), 'county': type('c', (), {'id': 'R'})})}" for m, f in ROUTES]


def test_every_admin_route_is_in_the_matrix(app, world):
    """A new admin route must be added to ROUTES (and so to the permission tests)."""
    adapter = app.url_map.bind("localhost")
    matched = {adapter.match(url(world).split("?")[0], method=method)[0] for method, url in ROUTES}
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")}
    assert matched == endpoints


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={})


@pytest.mark.parametrize("method,url", ROUTES, ids=ROUTE_IDS)
def test_anonymous_is_sent_to_login(client, world, method, url):
    resp = _call(client, method, url(world))
    assert resp.status_code == 302
    assert "/auth/login" in resp.headers["Location"]


@pytest.mark.parametrize("who", ["applicant", "officer"])
@pytest.mark.parametrize("method,url", ROUTES, ids=ROUTE_IDS)
def test_non_admins_are_refused(client, world, who, method, url):
    before = (_count(User, User.is_admin.is_(True)), _count(StaffMembership), _count(Funder),
              _count(Region), _count(User, User.is_active_account.is_(True)))
    login(client, world[who])
    resp = _call(client, method, url(world))
    assert resp.status_code == 403
    after = (_count(User, User.is_admin.is_(True)), _count(StaffMembership), _count(Funder),
             _count(Region), _count(User, User.is_active_account.is_(True)))
    assert after == before


@pytest.mark.parametrize("method,url", [r for r in ROUTES if r[0] == "GET"],
                         ids=[i for i, r in zip(ROUTE_IDS, ROUTES) if r[0] == "GET"])
def test_admin_sees_every_page(client, world, method, url):
    login(client, world["admin"])
    resp = client.get(url(world))
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'aria-label="面包屑导航"' in body and "系统管理导航" in body


def test_deactivated_admin_is_refused(client, world):
    admin = world["admin"]
    login(client, admin)
    admin.is_active_account = False
    db.session.flush()
    assert client.get("/admin/").status_code == 302


# --- overview ----------------------------------------------------------------------

def test_overview_shows_counts_and_links(client, world):
    make_user(confirmed=False)
    login(client, world["admin"])
    body = client.get("/admin/").get_data(as_text=True)
    assert "/admin/users?status=unconfirmed" in body
    assert "/admin/funders" in body and "/admin/regions" in body
    assert "社区/村" in body


# --- users ---------------------------------------------------------------------------

def test_user_list_filters_search_and_empty_state(client, world):
    login(client, world["admin"])
    body = client.get("/admin/users?role=program_officer").get_data(as_text=True)
    assert "王主管" in body and "张申报" not in body
    body = client.get("/admin/users?q=张申").get_data(as_text=True)
    assert "张申报" in body and "王主管" not in body
    body = client.get("/admin/users?q=nobody-at-all").get_data(as_text=True)
    assert "没有符合条件的用户" in body
    assert client.get("/admin/users?page=999&role=bogus&status=x").status_code == 200


def test_user_list_paginates(client, world, app):
    for i in range(app.config["PAGE_SIZE"] + 3):
        make_user(name=f"批量用户{i}")
    login(client, world["admin"])
    body = client.get("/admin/users").get_data(as_text=True)
    assert "下一页" in body and "page=2" in body
    assert client.get("/admin/users?page=2").status_code == 200


def test_user_list_query_count_does_not_grow(client, world, count_queries):
    login(client, world["admin"])
    with count_queries() as n:
        client.get("/admin/users")
    small = n()
    funder = world["funder"]
    for i in range(8):
        make_staff(funder, StaffRole.AUDITOR)
        make_org(owner=make_user())
    with count_queries() as n:
        client.get("/admin/users")
    assert n() <= small + 2


def test_create_admin_user(client, world):
    login(client, world["admin"])
    resp = client.post("/admin/users/new", data={
        "email": "ops@example.cn", "name": "运维", "phone": "", "role": "admin",
        "funder_id": "0", "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert resp.status_code == 302
    user = db.session.execute(select(User).where(User.email == "ops@example.cn")).scalar_one()
    assert resp.headers["Location"].endswith(f"/admin/users/{user.id}")
    assert user.is_admin and user.is_confirmed


def test_create_staff_user(client, world):
    login(client, world["admin"])
    resp = client.post("/admin/users/new", data={
        "email": "cashier@example.cn", "name": "出纳", "role": "finance_officer",
        "funder_id": str(world["funder"].id), "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert resp.status_code == 302
    user = db.session.execute(select(User).where(User.email == "cashier@example.cn")).scalar_one()
    assert user.funder_roles(world["funder"].id) == {"finance_officer"}


@pytest.mark.parametrize("data,message", [
    ({"role": "program_officer", "funder_id": "0"}, "请指定所属资助方"),
    ({"email": "not-an-email"}, "邮箱格式不正确"),
    ({"name": "名" * 51}, "不能超过 50"),
    ({"password": "password1", "password2": "password1"}, "太常见"),
    ({"password2": "something-else-entirely"}, "两次输入的密码不一致"),
    ({"role": "superuser"}, ""),
    ({"funder_id": "abc"}, ""),
])
def test_create_user_bad_input_writes_nothing(client, world, data, message):
    login(client, world["admin"])
    form = {"email": "new@example.cn", "name": "新人", "role": "applicant", "funder_id": "0",
            "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    form.update(data)
    before = _count(User)
    resp = client.post("/admin/users/new", data=form)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'alert alert-danger' in body
    assert message in body
    assert _count(User) == before


def test_create_user_duplicate_email(client, world):
    login(client, world["admin"])
    resp = client.post("/admin/users/new", data={
        "email": world["applicant"].email.upper(), "name": "重复", "role": "applicant",
        "funder_id": "0", "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert resp.status_code == 200 and "已有账户" in resp.get_data(as_text=True)


def test_user_detail_shows_memberships(client, world):
    login(client, world["admin"])
    body = client.get(f"/admin/users/{world['applicant'].id}").get_data(as_text=True)
    assert world["org"].name in body
    body = client.get(f"/admin/users/{world['officer'].id}").get_data(as_text=True)
    assert "五华区民政局" in body and "项目主管" in body
    assert client.get("/admin/users/999999").status_code == 404


def test_grant_and_revoke_admin(client, world):
    login(client, world["admin"])
    target = world["applicant"]
    assert client.post(f"/admin/users/{target.id}/admin/grant").status_code == 302
    assert db.session.get(User, target.id).is_admin
    assert client.post(f"/admin/users/{target.id}/admin/revoke").status_code == 302
    assert not db.session.get(User, target.id).is_admin


def test_admin_cannot_revoke_or_deactivate_self(client, world):
    admin = world["admin"]
    make_admin()
    login(client, admin)
    resp = client.post(f"/admin/users/{admin.id}/admin/revoke", follow_redirects=True)
    assert "不能取消自己的管理员权限" in resp.get_data(as_text=True)
    resp = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账户" in resp.get_data(as_text=True)
    admin = db.session.get(User, admin.id)
    assert admin.is_admin and admin.is_active_account


def test_deactivate_through_the_page_ends_the_users_session(client, app, world):
    victim = world["applicant"]
    victim_client = app.test_client()
    login(victim_client, victim)
    assert victim_client.get("/dashboard").status_code == 200
    login(client, world["admin"])
    resp = client.post(f"/admin/users/{victim.id}/deactivate")
    assert resp.status_code == 302
    assert not db.session.get(User, victim.id).is_active_account
    resp = victim_client.get("/dashboard")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert client.post(f"/admin/users/{victim.id}/reactivate").status_code == 302
    assert db.session.get(User, victim.id).is_active_account


def test_add_and_remove_staff_role_from_user_page(client, world):
    login(client, world["admin"])
    user, funder = world["applicant"], world["funder"]
    resp = client.post(f"/admin/users/{user.id}/staff",
                       data={"funder_id": str(funder.id), "role": "auditor"})
    assert resp.status_code == 302
    assert db.session.get(User, user.id).funder_roles(funder.id) == {"auditor"}
    # The same role again: a clear message, nothing added.
    resp = client.post(f"/admin/users/{user.id}/staff",
                       data={"funder_id": str(funder.id), "role": "auditor"})
    assert resp.status_code == 200 and "已是" in resp.get_data(as_text=True)
    assert _count(StaffMembership, StaffMembership.user_id == user.id) == 1
    m = db.session.execute(select(StaffMembership).where(StaffMembership.user_id == user.id)).scalar_one()
    # A membership of another user cannot be removed through this user's URL.
    assert client.post(f"/admin/users/{world['officer'].id}/staff/{m.id}/remove").status_code == 404
    assert client.post(f"/admin/users/{user.id}/staff/{m.id}/remove").status_code == 302
    assert _count(StaffMembership, StaffMembership.user_id == user.id) == 0


def test_add_staff_role_bad_funder(client, world):
    login(client, world["admin"])
    resp = client.post(f"/admin/users/{world['applicant'].id}/staff",
                       data={"funder_id": "0", "role": "auditor"})
    assert resp.status_code == 200
    assert _count(StaffMembership, StaffMembership.user_id == world["applicant"].id) == 0


# --- funders ---------------------------------------------------------------------------

def _funder_form(region, **kw):
    data = {"name": "华山街道办事处", "short_name": "华山街道", "kind": "street_office",
            "region_id": str(region.id), "description": "", "address": "", "contact_phone": "",
            "website": ""}
    data.update(kw)
    return data


def test_funder_list_filter_and_search(client, world):
    street = ancestor(world["community"], RegionLevel.STREET)
    make_funder(region=street, kind=FunderKind.STREET_OFFICE, name="华山街道办事处")
    login(client, world["admin"])
    body = client.get("/admin/funders?kind=street_office").get_data(as_text=True)
    assert "华山街道办事处" in body and "五华区民政局" not in body
    body = client.get("/admin/funders?q=五华").get_data(as_text=True)
    assert "五华区民政局" in body and "华山街道办事处" not in body
    body = client.get("/admin/funders?q=zzz").get_data(as_text=True)
    assert "没有符合条件的资助方" in body


def test_create_funder(client, world):
    street = ancestor(world["community"], RegionLevel.STREET)
    login(client, world["admin"])
    resp = client.post("/admin/funders/new", data=_funder_form(street))
    assert resp.status_code == 302
    funder = db.session.execute(select(Funder).where(Funder.name == "华山街道办事处")).scalar_one()
    assert funder.region_id == street.id and funder.kind == FunderKind.STREET_OFFICE
    assert resp.headers["Location"].endswith(f"/admin/funders/{funder.id}")


@pytest.mark.parametrize("override,message", [
    ({"name": "五华区民政局"}, "不能重复"),
    ({"name": "名" * 101}, "不能超过 100"),
    ({"short_name": "简" * 41}, "不能超过 40"),
    ({"kind": "civil_affairs"}, "民政部门应设在"),
    ({"region_id": "0"}, "请选择行政区划"),
    ({"region_id": "999999"}, ""),
    ({"kind": "bogus"}, ""),
    ({"website": "javascript:alert(1)"}, "请输入完整的网址"),
])
def test_create_funder_bad_input_writes_nothing(client, world, override, message):
    street = ancestor(world["community"], RegionLevel.STREET)
    login(client, world["admin"])
    before = _count(Funder)
    resp = client.post("/admin/funders/new", data=_funder_form(street, **override))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'alert alert-danger' in body
    assert message in body
    assert _count(Funder) == before


def test_funder_region_select_stops_at_street(client, world):
    login(client, world["admin"])
    body = client.get("/admin/funders/new").get_data(as_text=True)
    street = ancestor(world["community"], RegionLevel.STREET)
    assert f'value="{street.id}"' in body
    assert f'value="{world["community"].id}"' not in body


def test_edit_funder(client, world):
    funder = world["funder"]
    login(client, world["admin"])
    resp = client.post(f"/admin/funders/{funder.id}/edit", data=_funder_form(
        world["county"], name="五华区民政局（新）", kind="civil_affairs", address="人民中路 1 号"))
    assert resp.status_code == 302
    funder = db.session.get(Funder, funder.id)
    assert funder.name == "五华区民政局（新）" and funder.address == "人民中路 1 号"
    assert funder.is_active is False  # the unchecked box deactivates it
    other = make_funder()
    resp = client.post(f"/admin/funders/{funder.id}/edit", data=_funder_form(
        world["county"], name=other.name, kind="civil_affairs"))
    assert resp.status_code == 200
    assert db.session.get(Funder, funder.id).name == "五华区民政局（新）"
    assert client.get("/admin/funders/999999/edit").status_code == 404


def test_funder_staff_add_by_email_and_remove(client, world):
    funder = world["funder"]
    newcomer = make_user(email="clerk@example.cn", name="新会计")
    login(client, world["admin"])
    resp = client.post(f"/admin/funders/{funder.id}/staff",
                       data={"email": "clerk@example.cn", "role": "finance_officer"})
    assert resp.status_code == 302
    assert db.session.get(User, newcomer.id).funder_roles(funder.id) == {"finance_officer"}
    body = client.get(f"/admin/funders/{funder.id}").get_data(as_text=True)
    assert "新会计" in body and "王主管" in body
    resp = client.post(f"/admin/funders/{funder.id}/staff",
                       data={"email": "ghost@example.cn", "role": "auditor"})
    assert resp.status_code == 200 and "没有使用该邮箱的账户" in resp.get_data(as_text=True)
    resp = client.post(f"/admin/funders/{funder.id}/staff",
                       data={"email": "clerk@example.cn", "role": "finance_officer"})
    assert resp.status_code == 200 and "已是" in resp.get_data(as_text=True)
    other = make_funder()
    m = world["membership"]
    assert client.post(f"/admin/funders/{other.id}/staff/{m.id}/remove").status_code == 404
    assert client.post(f"/admin/funders/{funder.id}/staff/{m.id}/remove").status_code == 302
    assert db.session.get(StaffMembership, m.id) is None


# --- regions -------------------------------------------------------------------------------

def test_region_browser_levels_and_breadcrumbs(client, world):
    county = world["county"]
    street = ancestor(world["community"], RegionLevel.STREET)
    province = ancestor(county, RegionLevel.PROVINCE)
    login(client, world["admin"])
    body = client.get("/admin/regions").get_data(as_text=True)
    assert province.name in body and county.name not in body
    body = client.get(f"/admin/regions?parent={county.id}").get_data(as_text=True)
    assert street.name in body
    assert f"/admin/regions?parent={province.id}" in body  # breadcrumb to an ancestor
    assert "添加街道/乡镇" in body
    assert client.get("/admin/regions?parent=999999").status_code == 404


def test_region_browser_counts_organizations(client, world):
    street = ancestor(world["community"], RegionLevel.STREET)
    make_org(community=world["community"])
    login(client, world["admin"])
    body = client.get(f"/admin/regions?parent={world['county'].id}").get_data(as_text=True)
    row = body.split(street.name, 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row.split('<td class="text-end"')[1:3]]
    assert cells == ["1", "2"]  # one community, two organizations


def test_region_search(client, world):
    login(client, world["admin"])
    community = world["community"]
    body = client.get(f"/admin/regions?q={community.name}").get_data(as_text=True)
    assert community.full_name in body
    body = client.get("/admin/regions?q=不存在的地方").get_data(as_text=True)
    assert "没有找到匹配的区划" in body


def test_create_province_and_child(client, world):
    login(client, world["admin"])
    resp = client.post("/admin/regions/new", data={"name": "四川省", "code": "510000"})
    assert resp.status_code == 302
    sichuan = region_services.get_by_code("510000")
    assert sichuan.level == RegionLevel.PROVINCE and sichuan.path == f"/{sichuan.id}/"
    resp = client.post(f"/admin/regions/new?parent={sichuan.id}", data={"name": "成都市", "code": "510100"})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/admin/regions?parent={sichuan.id}")
    chengdu = region_services.get_by_code("510100")
    assert chengdu.level == RegionLevel.PREFECTURE and chengdu.parent_id == sichuan.id


def test_create_community_needs_kind(client, world):
    street = ancestor(world["community"], RegionLevel.STREET)
    login(client, world["admin"])
    body = client.get(f"/admin/regions/new?parent={street.id}").get_data(as_text=True)
    assert "社区类型" in body
    before = _count(Region)
    resp = client.post(f"/admin/regions/new?parent={street.id}", data={"name": "新社区", "code": "530102001777"})
    assert resp.status_code == 200 and _count(Region) == before
    resp = client.post(f"/admin/regions/new?parent={street.id}",
                       data={"name": "新村", "code": "530102001777", "kind": "rural"})
    assert resp.status_code == 302
    assert region_services.get_by_code("530102001777").kind == CommunityKind.RURAL


@pytest.mark.parametrize("data,message", [
    ({"name": "四川省", "code": "5100"}, "应为 6 位数字"),
    ({"name": "四川省", "code": "510000001"}, "应为 6 位数字"),
    ({"name": "四川省", "code": "51OOOO"}, "应为 6 位数字"),
    ({"name": "省" * 61, "code": "510000"}, "不能超过 60"),
    ({"name": "", "code": "510000"}, "请输入区划名称"),
    ({"name": "四川省", "code": "5" * 13}, "最长 12 位"),
])
def test_create_region_bad_input_writes_nothing(client, world, data, message):
    login(client, world["admin"])
    before = _count(Region)
    resp = client.post("/admin/regions/new", data=data)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'alert alert-danger' in body
    assert message in body
    assert _count(Region) == before


def test_street_code_must_have_nine_digits(client, world):
    login(client, world["admin"])
    before = _count(Region)
    resp = client.post(f"/admin/regions/new?parent={world['county'].id}",
                       data={"name": "新街道", "code": "530102"})
    assert resp.status_code == 200 and "应为 9 位数字" in resp.get_data(as_text=True)
    assert _count(Region) == before


def test_duplicate_region_code(client, world):
    login(client, world["admin"])
    region_services.create_region(world["admin"], name="四川省", code="510000", level="province")
    before = _count(Region)
    resp = client.post("/admin/regions/new", data={"name": "又一个省", "code": "510000"})
    assert resp.status_code == 200 and "已被“四川省”使用" in resp.get_data(as_text=True)
    assert _count(Region) == before


def test_no_children_under_a_community(client, world):
    login(client, world["admin"])
    assert client.get(f"/admin/regions/new?parent={world['community'].id}").status_code == 404


def test_edit_region(client, world):
    county = world["county"]
    login(client, world["admin"])
    resp = client.post(f"/admin/regions/{county.id}/edit", data={"name": "五华区", "code": "530102"})
    assert resp.status_code == 302
    county = db.session.get(Region, county.id)
    assert (county.name, county.code) == ("五华区", "530102")
    resp = client.post(f"/admin/regions/{county.id}/edit", data={"name": "五华区", "code": "530102001"})
    assert resp.status_code == 200
    assert db.session.get(Region, county.id).code == "530102"
    assert client.get("/admin/regions/999999/edit").status_code == 404


# --- CLI ------------------------------------------------------------------------------------

def test_cli_creates_admin(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Root@Example.cn", "--role", "admin",
                                 "--password", GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "created user" in result.output
    user = db.session.execute(select(User).where(User.email == "root@example.cn")).scalar_one()
    assert user.is_admin and user.is_confirmed and user.name == "Root"


def test_cli_creates_staff_with_funder(app, db):
    funder = make_funder()
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "po@example.cn", "--role", "program_officer",
        "--funder", str(funder.id), "--name", "项目主管甲", "--password", GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.email == "po@example.cn")).scalar_one()
    assert user.funder_roles(funder.id) == {"program_officer"}


def test_cli_staff_role_without_funder_fails_clearly(app, db):
    before = _count(User)
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "po@example.cn", "--role", "auditor", "--password", GOOD_PASSWORD])
    assert result.exit_code != 0
    assert "请指定所属资助方" in result.output
    assert _count(User) == before


def test_cli_weak_password_fails(app, db):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "x@example.cn", "--role", "admin", "--password", "12345678"])
    assert result.exit_code != 0 and "太常见" in result.output


def test_control_characters_in_admin_search_are_ignored_not_a_500(client, db):
    from tests.conftest import login
    from tests.factories import make_user

    login(client, make_user(is_admin=True))
    for path in ("/admin/users?q=a%00b", "/admin/funders?q=%00", "/admin/regions?q=%00x"):
        assert client.get(path).status_code == 200

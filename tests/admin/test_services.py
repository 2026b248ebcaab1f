import pytest
from sqlalchemy import func, select

from app.admin import services
from app.auth.models import User
from app.core.audit import AuditEntry
from app.core.errors import ValidationError
from app.extensions import db
from app.funders.models import StaffMembership, StaffRole
from tests.conftest import login
from tests.factories import PASSWORD, add_member, make_admin, make_funder, make_org, make_staff, make_user

GOOD_PASSWORD = "lanterns-over-dianchi"


@pytest.fixture
def admin(db):
    return make_admin()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _create(actor, **kw):
    data = dict(email="new.user@example.cn", name="新用户", password=GOOD_PASSWORD, role="applicant")
    data.update(kw)
    return services.create_user_with_role(actor, **data)


# --- create_user_with_role ---------------------------------------------------------

def test_create_admin_is_confirmed_and_active(admin):
    user = _create(admin, email=" Boss@Example.CN ", role="admin")
    assert user.email == "boss@example.cn"
    assert user.is_admin and user.is_active and user.is_confirmed
    assert user.check_password(GOOD_PASSWORD)
    assert not user.staff_memberships
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.create")).scalar_one()
    assert entry.after["role"] == "admin" and entry.actor_id == admin.id


def test_create_from_cli_has_no_actor(db):
    user = _create(None, role="admin")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.create")).scalar_one()
    assert entry.actor_id is None and entry.actor_label == "system" and user.is_admin


@pytest.mark.parametrize("role", ["program_officer", "finance_officer", "auditor"])
def test_create_staff_roles_at_a_funder(admin, role):
    funder = make_funder()
    user = _create(admin, role=role, funder_id=funder.id)
    assert not user.is_admin and user.is_confirmed
    assert user.funder_roles(funder.id) == {role}


@pytest.mark.parametrize("role", ["program_officer", "finance_officer", "auditor"])
def test_staff_role_without_funder_is_refused(admin, role):
    before = _count(User)
    with pytest.raises(ValidationError) as exc:
        _create(admin, role=role)
    assert exc.value.field == "funder_id" and "资助方" in exc.value.message
    with pytest.raises(ValidationError) as exc:
        _create(admin, role=role, funder_id=987654)
    assert "不存在" in exc.value.message
    assert _count(User) == before


def test_applicant_is_plain(admin):
    user = _create(admin, role="applicant", phone="13912345678")
    assert not user.is_admin and not user.is_staff and user.phone == "13912345678"


def test_funder_given_for_non_staff_role_is_refused(admin):
    with pytest.raises(ValidationError) as exc:
        _create(admin, role="applicant", funder_id=make_funder().id)
    assert exc.value.field == "funder_id"


def test_unknown_role_refused(admin):
    with pytest.raises(ValidationError) as exc:
        _create(admin, role="reviewer")
    assert exc.value.field == "role"


def test_duplicate_email_refused_case_insensitively(admin):
    make_user(email="taken@example.cn")
    before = _count(User)
    with pytest.raises(ValidationError) as exc:
        _create(admin, email="TAKEN@example.cn")
    assert exc.value.field == "email" and "已有账户" in exc.value.message
    assert _count(User) == before


@pytest.mark.parametrize("password,message", [
    ("short", "至少需要 8"), ("password1", "太常见"), ("12345678", "太常见"),
    ("new.user", "邮箱或姓名"), ("x" * 129, "不能超过"),
])
def test_weak_password_refused(admin, password, message):
    before = _count(User)
    with pytest.raises(ValidationError) as exc:
        _create(admin, password=password)
    assert exc.value.field == "password" and message in exc.value.message
    assert _count(User) == before


def test_password_equal_to_email_local_part_refused(admin):
    with pytest.raises(ValidationError) as exc:
        _create(admin, email="wangxiaoming@example.cn", password="wangxiaoming")
    assert "邮箱或姓名" in exc.value.message


@pytest.mark.parametrize("field,kw", [
    ("email", {"email": "not-an-email"}), ("email", {"email": ""}),
    ("name", {"name": ""}), ("name", {"name": "名" * 51}), ("phone", {"phone": "1" * 21}),
])
def test_bad_profile_fields(admin, field, kw):
    with pytest.raises(ValidationError) as exc:
        _create(admin, **kw)
    assert exc.value.field == field


# --- admin flag ---------------------------------------------------------------------

def test_grant_and_revoke_admin(admin):
    user = make_user()
    services.set_admin(admin, user, True)
    assert user.is_admin
    services.set_admin(admin, user, False)
    assert not user.is_admin
    actions = list(db.session.execute(
        select(AuditEntry.action).where(AuditEntry.action == "user.set_admin")).scalars())
    assert len(actions) == 2


def test_admin_cannot_remove_own_flag(admin):
    make_admin()  # another admin exists, still refused
    with pytest.raises(ValidationError) as exc:
        services.set_admin(admin, admin, False)
    assert "自己" in exc.value.message
    assert admin.is_admin


def test_last_admin_is_kept(db):
    only = make_admin()
    with pytest.raises(ValidationError) as exc:
        services.set_admin(None, only, False)
    assert "至少" in exc.value.message
    with pytest.raises(ValidationError):
        services.deactivate_user(None, only)
    assert only.is_admin and only.is_active


def test_inactive_user_cannot_be_made_admin(admin):
    with pytest.raises(ValidationError):
        services.set_admin(admin, make_user(active=False), True)


# --- deactivation ---------------------------------------------------------------------

def test_deactivate_rotates_token_and_reactivate(admin):
    user = make_user()
    token = user.session_token
    services.deactivate_user(admin, user)
    assert not user.is_active and user.session_token != token
    with pytest.raises(ValidationError):
        services.deactivate_user(admin, user)
    services.reactivate_user(admin, user)
    assert user.is_active
    with pytest.raises(ValidationError):
        services.reactivate_user(admin, user)
    actions = set(db.session.execute(select(AuditEntry.action)).scalars())
    assert {"user.deactivate", "user.reactivate"} <= actions


def test_admin_cannot_deactivate_self(admin):
    make_admin()
    with pytest.raises(ValidationError) as exc:
        services.deactivate_user(admin, admin)
    assert "自己" in exc.value.message and admin.is_active


def test_deactivation_ends_existing_sessions(client, admin):
    user = make_user(password=PASSWORD)
    login(client, user)
    assert client.get("/dashboard").status_code == 200
    services.deactivate_user(admin, user)
    resp = client.get("/dashboard")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    # Reactivating does not revive the old cookie: the token was rotated.
    services.reactivate_user(admin, user)
    assert client.get("/dashboard").status_code == 302


def test_deactivated_user_cannot_log_in(client, admin):
    user = make_user(email="gone@example.cn", password=PASSWORD)
    services.deactivate_user(admin, user)
    resp = client.post("/auth/login", data={"email": "gone@example.cn", "password": PASSWORD})
    assert resp.status_code == 200 and "邮箱或密码不正确" in resp.get_data(as_text=True)


# --- user_query -------------------------------------------------------------------------

@pytest.fixture
def population(admin):
    funder = make_funder()
    return {
        "admin": admin,
        "officer": make_staff(funder, StaffRole.PROGRAM_OFFICER, name="王主管", email="wang@bureau.cn"),
        "finance": make_staff(funder, StaffRole.FINANCE_OFFICER, name="李会计"),
        "auditor": make_staff(funder, StaffRole.AUDITOR),
        "applicant": make_user(name="张申报", email="zhang@org.cn"),
        "inactive": make_user(active=False),
        "unconfirmed": make_user(confirmed=False),
    }


def _ids(stmt) -> set[int]:
    return {u.id for u in db.session.execute(stmt).scalars()}


@pytest.mark.parametrize("role,expected", [
    ("admin", {"admin"}),
    ("staff", {"officer", "finance", "auditor"}),
    ("program_officer", {"officer"}),
    ("finance_officer", {"finance"}),
    ("auditor", {"auditor"}),
    ("applicant", {"applicant", "inactive", "unconfirmed"}),
    ("", {"admin", "officer", "finance", "auditor", "applicant", "inactive", "unconfirmed"}),
    ("nonsense", {"admin", "officer", "finance", "auditor", "applicant", "inactive", "unconfirmed"}),
])
def test_user_query_role_filter(population, role, expected):
    assert _ids(services.user_query(None, role, None)) == {population[k].id for k in expected}


@pytest.mark.parametrize("status,expected", [
    ("inactive", {"inactive"}),
    ("unconfirmed", {"unconfirmed"}),
])
def test_user_query_status_filter(population, status, expected):
    assert _ids(services.user_query(None, None, status)) == {population[k].id for k in expected}


def test_user_query_active_excludes_inactive(population):
    ids = _ids(services.user_query(None, None, "active"))
    assert population["inactive"].id not in ids and population["admin"].id in ids


@pytest.mark.parametrize("q,expected", [
    ("王主管", {"officer"}), ("BUREAU.CN", {"officer"}), ("zhang@", {"applicant"}),
    ("%", set()), ("_", set()),
])
def test_user_query_search(population, q, expected):
    assert _ids(services.user_query(q, None, None)) == {population[k].id for k in expected}


def test_user_query_search_by_phone(population):
    population["applicant"].phone = "13712340000"
    db.session.flush()
    assert _ids(services.user_query("1234000", None, None)) == {population["applicant"].id}


def test_user_query_loads_memberships_eagerly(population, count_queries):
    org = make_org(owner=population["applicant"])
    add_member(org, population["finance"])
    db.session.expire_all()
    with count_queries() as n:
        users = list(db.session.execute(services.user_query(None, None, None)).scalars())
        for u in users:
            for m in u.staff_memberships:
                m.funder.name
            for m in u.org_memberships:
                m.organization.name
    assert len(users) == 7
    assert n() <= 5


def test_add_staff_by_email(admin):
    funder = make_funder()
    user = make_user(email="clerk@example.cn")
    m = services.add_staff_by_email(admin, funder, "Clerk@Example.cn", "auditor")
    assert m.user_id == user.id and _count(StaffMembership) == 1
    with pytest.raises(ValidationError) as exc:
        services.add_staff_by_email(admin, funder, "nobody@example.cn", "auditor")
    assert exc.value.field == "email"


def test_overview_counts(population):
    make_org()
    counts = services.overview_counts()
    assert counts["users"] == 7
    assert counts["unconfirmed"] == 1 and counts["inactive"] == 1
    assert counts["admins"] == 1 and counts["staff"] == 3
    assert counts["funders"] == 1 and counts["organizations"] == 1
    assert sum(n for _, n in counts["regions_by_level"]) >= 5

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEntry
from app.core.errors import Conflict, ValidationError
from app.extensions import db
from app.funders import services
from app.funders.models import Funder, FunderKind, StaffMembership, StaffRole
from app.regions.models import RegionLevel
from tests.factories import make_admin, make_funder, make_region, make_user


@pytest.fixture
def admin(db):
    return make_admin()


@pytest.fixture
def street(db):
    return make_region(level=RegionLevel.STREET)


def _last_audit() -> AuditEntry:
    return db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_funder_with_all_fields_is_audited(admin, street):
    county = street.parent
    funder = services.create_funder(
        admin, name="五华区民政局", short_name="五华民政", kind=FunderKind.CIVIL_AFFAIRS,
        region=county, description="负责全区社会组织培育", address="五华区人民中路 1 号",
        contact_phone="0871-64100000", website="https://mzj.example.gov.cn")
    assert funder.id and funder.region is county and funder.is_active
    entry = _last_audit()
    assert entry.action == "funder.create" and entry.after["name"] == "五华区民政局"
    assert entry.actor_id == admin.id


def test_name_is_unique(admin, street):
    services.create_funder(admin, name="华山街道办事处", short_name="", kind="street_office", region=street)
    before = _count(Funder)
    with pytest.raises(ValidationError) as exc:
        services.create_funder(admin, name="华山街道办事处", short_name="", kind="street_office",
                               region=street)
    assert exc.value.field == "name" and "不能重复" in exc.value.message
    assert _count(Funder) == before


@pytest.mark.parametrize("kind,level,ok", [
    (FunderKind.STREET_OFFICE, RegionLevel.STREET, True),
    (FunderKind.STREET_OFFICE, RegionLevel.COUNTY, False),
    (FunderKind.STREET_OFFICE, RegionLevel.COMMUNITY, False),
    (FunderKind.CIVIL_AFFAIRS, RegionLevel.PROVINCE, True),
    (FunderKind.CIVIL_AFFAIRS, RegionLevel.PREFECTURE, True),
    (FunderKind.CIVIL_AFFAIRS, RegionLevel.COUNTY, True),
    (FunderKind.CIVIL_AFFAIRS, RegionLevel.STREET, False),
    (FunderKind.COMMUNITY_FOUNDATION, RegionLevel.COUNTY, True),
    (FunderKind.COMMUNITY_FOUNDATION, RegionLevel.STREET, True),
    (FunderKind.COMMUNITY_FOUNDATION, RegionLevel.PROVINCE, False),
    (FunderKind.COMMUNITY_FOUNDATION, RegionLevel.COMMUNITY, False),
])
def test_kind_must_fit_the_region_level(admin, kind, level, ok):
    region = make_region(level=level)
    if ok:
        assert services.create_funder(admin, name="某资助方", short_name="", kind=kind, region=region).id
    else:
        with pytest.raises(ValidationError) as exc:
            services.create_funder(admin, name="某资助方", short_name="", kind=kind, region=region)
        assert exc.value.field == "region_id"
        assert _count(Funder) == 0


@pytest.mark.parametrize("field,value", [
    ("name", ""), ("name", "名" * 101), ("short_name", "简" * 41), ("address", "址" * 201),
    ("contact_phone", "1" * 31), ("website", "javascript:alert(1)"), ("website", "mzj.example.cn"),
])
def test_bad_fields_are_refused(admin, street, field, value):
    data = dict(name="华山街道办事处", short_name="", kind="street_office", region=street)
    data[field] = value
    with pytest.raises(ValidationError) as exc:
        services.create_funder(admin, **data)
    assert exc.value.field == field


def test_missing_kind_or_region(admin, street):
    with pytest.raises(ValidationError) as exc:
        services.create_funder(admin, name="甲", short_name="", kind="bogus", region=street)
    assert exc.value.field == "kind"
    with pytest.raises(ValidationError) as exc:
        services.create_funder(admin, name="甲", short_name="", kind="street_office", region=None)
    assert exc.value.field == "region_id"


def test_update_funder(admin, street):
    funder = make_funder(region=street.parent)
    other = make_funder(region=street.parent)
    services.update_funder(admin, funder, name="新名称", short_name="新", address="新地址", is_active=False)
    assert (funder.name, funder.short_name, funder.is_active) == ("新名称", "新", False)
    entry = _last_audit()
    assert entry.action == "funder.update" and entry.after["name"] == "新名称"
    with pytest.raises(ValidationError):
        services.update_funder(admin, funder, name=other.name)
    # Changing the region is checked against the (unchanged) kind.
    with pytest.raises(ValidationError) as exc:
        services.update_funder(admin, funder, region=street)
    assert exc.value.field == "region_id"
    services.update_funder(admin, funder, kind=FunderKind.STREET_OFFICE, region=street)
    assert funder.region_id == street.id and funder.kind == FunderKind.STREET_OFFICE


def test_update_refuses_unknown_fields(admin):
    funder = make_funder()
    with pytest.raises(ValueError):
        services.update_funder(admin, funder, id=99)


def test_add_and_remove_staff(admin):
    funder = make_funder()
    user = make_user()
    m = services.add_staff(admin, funder, user, StaffRole.FINANCE_OFFICER)
    assert user.funder_roles(funder.id) == {"finance_officer"}
    assert _last_audit().action == "funder.add_staff"
    # A second, different role at the same funder is fine; the same role twice is not.
    services.add_staff(admin, funder, user, "auditor")
    with pytest.raises(Conflict) as exc:
        services.add_staff(admin, funder, user, StaffRole.FINANCE_OFFICER)
    assert "已是" in exc.value.message
    assert _count(StaffMembership) == 2
    services.remove_staff(admin, m)
    assert user.funder_roles(funder.id) == {"auditor"}
    assert _count(StaffMembership) == 1
    assert _last_audit().action == "funder.remove_staff"


def test_inactive_user_cannot_become_staff(admin):
    with pytest.raises(ValidationError):
        services.add_staff(admin, make_funder(), make_user(active=False), StaffRole.AUDITOR)


def test_bad_role_refused(admin):
    with pytest.raises(ValidationError) as exc:
        services.add_staff(admin, make_funder(), make_user(), "admin")
    assert exc.value.field == "role"

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEntry
from app.core.errors import ValidationError
from app.extensions import db
from app.regions import services
from app.regions.models import CommunityKind, Region, RegionLevel
from tests.factories import make_admin


@pytest.fixture
def admin(db):
    return make_admin()


@pytest.fixture
def chain(admin):
    """A real-looking chain: 云南省 → 昆明市 → 五华区 → 华山街道 → 翠湖社区."""
    province = services.create_region(admin, name="云南省", code="530000", level=RegionLevel.PROVINCE)
    prefecture = services.create_region(admin, name="昆明市", code="530100",
                                        level=RegionLevel.PREFECTURE, parent=province)
    county = services.create_region(admin, name="五华区", code="530102",
                                    level=RegionLevel.COUNTY, parent=prefecture)
    street = services.create_region(admin, name="华山街道", code="530102001",
                                    level=RegionLevel.STREET, parent=county)
    community = services.create_region(admin, name="翠湖社区", code="530102001001",
                                       level=RegionLevel.COMMUNITY, parent=street,
                                       kind=CommunityKind.URBAN)
    return province, prefecture, county, street, community


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_chain_sets_materialized_paths(chain):
    province, prefecture, county, street, community = chain
    assert province.path == f"/{province.id}/"
    assert prefecture.path == f"/{province.id}/{prefecture.id}/"
    assert community.path == f"{street.path}{community.id}/"
    assert community.kind == CommunityKind.URBAN and street.kind is None
    assert community.full_name == "云南省昆明市五华区华山街道翠湖社区"


def test_covers_follows_the_path(chain, admin):
    province, prefecture, county, street, community = chain
    other = services.create_region(admin, name="贵州省", code="520000", level=RegionLevel.PROVINCE)
    assert province.covers(community) and county.covers(community) and community.covers(community)
    assert not community.covers(street)
    assert not other.covers(community)
    assert not province.covers(None)


def test_create_is_audited(admin):
    before = _count(AuditEntry)
    region = services.create_region(admin, name="云南省", code="530000", level="province")
    entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
    assert _count(AuditEntry) == before + 1
    assert entry.action == "region.create" and entry.object_id == str(region.id)
    assert entry.actor_id == admin.id and entry.after["code"] == "530000"


@pytest.mark.parametrize("level,parent_index,message", [
    (RegionLevel.PREFECTURE, None, "必须有上级"),          # only provinces are roots
    (RegionLevel.COUNTY, 0, "下级只能是州/市"),               # province's child is a prefecture
    (RegionLevel.PROVINCE, 0, "下级只能是州/市"),
    (RegionLevel.COMMUNITY, 2, "下级只能是街道/乡镇"),         # skipping the street
    (RegionLevel.STREET, 4, "最低一级"),                     # nothing below a community
])
def test_level_must_be_the_child_of_the_parents_level(chain, admin, level, parent_index, message):
    parent = chain[parent_index] if parent_index is not None else None
    code = {6: "539900", 9: "530102999", 12: "530102001999"}[services.CODE_LENGTH[level]]
    kind = CommunityKind.RURAL if level == RegionLevel.COMMUNITY else None
    before = _count(Region)
    with pytest.raises(ValidationError) as exc:
        services.create_region(admin, name="新区划", code=code, level=level, parent=parent, kind=kind)
    assert message in exc.value.message
    assert _count(Region) == before


@pytest.mark.parametrize("level,parent_index,code", [
    (RegionLevel.PROVINCE, None, "53000"),             # 5 digits
    (RegionLevel.PROVINCE, None, "530000000"),         # street-length code for a province
    (RegionLevel.COUNTY, 1, "5301021"),
    (RegionLevel.STREET, 2, "530102001001"),           # community-length code for a street
    (RegionLevel.STREET, 2, "53010200"),
    (RegionLevel.COMMUNITY, 3, "530102001"),
])
def test_code_length_depends_on_level(chain, admin, level, parent_index, code):
    parent = chain[parent_index] if parent_index is not None else None
    kind = CommunityKind.URBAN if level == RegionLevel.COMMUNITY else None
    with pytest.raises(ValidationError) as exc:
        services.create_region(admin, name="新区划", code=code, level=level, parent=parent, kind=kind)
    assert exc.value.field == "code"
    assert f"{services.CODE_LENGTH[level]} 位" in exc.value.message


@pytest.mark.parametrize("code", ["53A000", "53 000", "５３００００", "-53000", ""])
def test_code_must_be_ascii_digits(admin, code):
    with pytest.raises(ValidationError) as exc:
        services.create_region(admin, name="某省", code=code, level=RegionLevel.PROVINCE)
    assert exc.value.field == "code"


def test_code_must_be_unique(chain, admin):
    with pytest.raises(ValidationError) as exc:
        services.create_region(admin, name="另一个省", code="530000", level=RegionLevel.PROVINCE)
    assert "已被“云南省”使用" in exc.value.message


def test_community_needs_a_kind_and_others_refuse_one(chain, admin):
    street = chain[3]
    with pytest.raises(ValidationError) as exc:
        services.create_region(admin, name="无类型社区", code="530102001002",
                               level=RegionLevel.COMMUNITY, parent=street)
    assert exc.value.field == "kind"
    with pytest.raises(ValidationError) as exc:
        services.create_region(admin, name="某街道", code="530102002",
                               level=RegionLevel.STREET, parent=chain[2], kind=CommunityKind.URBAN)
    assert exc.value.field == "kind"
    village = services.create_region(admin, name="大村", code="530102001201",
                                     level=RegionLevel.COMMUNITY, parent=street, kind="rural")
    assert village.kind == CommunityKind.RURAL


@pytest.mark.parametrize("name", ["", "   ", "长" * 61])
def test_name_length(admin, name):
    with pytest.raises(ValidationError) as exc:
        services.create_region(admin, name=name, code="530000", level=RegionLevel.PROVINCE)
    assert exc.value.field == "name"


def test_name_of_sixty_characters_is_accepted(admin):
    region = services.create_region(admin, name="长" * 60, code="530000", level=RegionLevel.PROVINCE)
    assert len(region.name) == 60


def test_update_region_checks_and_audits(chain, admin):
    province, _, county, street, community = chain
    services.update_region(admin, community, name="翠湖新社区", code="530102001009", kind="rural")
    assert (community.name, community.code, community.kind) == ("翠湖新社区", "530102001009",
                                                               CommunityKind.RURAL)
    entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
    assert entry.action == "region.update" and entry.before["name"] == "翠湖社区"
    # Keeping its own code is fine; taking another's is not.
    services.update_region(admin, county, name="五华区", code="530102", kind=None)
    with pytest.raises(ValidationError):
        services.update_region(admin, county, name="五华区", code="530100", kind=None)
    with pytest.raises(ValidationError):
        services.update_region(admin, street, name="华山街道", code="530102", kind=None)


def test_get_by_code_and_children(chain):
    province, prefecture, county, street, community = chain
    assert services.get_by_code("530102001") is street
    assert services.get_by_code("999999") is None
    assert services.children(None) == [province]
    assert services.children(county) == [street]
    assert services.children(community) == []


def test_subtree_condition(chain, admin):
    province, prefecture, county, street, community = chain
    other = services.create_region(admin, name="贵州省", code="520000", level=RegionLevel.PROVINCE)
    inside = set(db.session.execute(
        select(Region.code).where(services.subtree_condition(county))).scalars())
    assert inside == {"530102", "530102001", "530102001001"}
    assert other.code not in set(db.session.execute(
        select(Region.code).where(services.subtree_condition(province))).scalars())


def test_subtree_condition_does_not_confuse_id_prefixes(admin):
    """/1/ must not match /12/: the trailing slash in the path prevents it."""
    regions = [services.create_region(admin, name=f"省{i}", code=f"{510000 + i * 10000}",
                                      level=RegionLevel.PROVINCE) for i in range(3)]
    for r in regions:
        codes = set(db.session.execute(select(Region.code).where(services.subtree_condition(r))).scalars())
        assert codes == {r.code}


def test_region_tree_choices_in_tree_order_down_to_street(chain, admin):
    province, prefecture, county, street, community = chain
    second = services.create_region(admin, name="盘龙区", code="530103",
                                    level=RegionLevel.COUNTY, parent=prefecture)
    choices = services.region_tree_choices()
    ids = [i for i, _ in choices]
    assert ids == [province.id, prefecture.id, county.id, street.id, second.id]
    assert community.id not in ids
    labels = dict(choices)
    assert labels[province.id] == "云南省"
    assert labels[street.id] == "\u3000" * 3 + "华山街道"
    assert [i for i, _ in services.region_tree_choices(RegionLevel.PREFECTURE)] == [province.id, prefecture.id]
    assert community.id in dict(services.region_tree_choices(RegionLevel.COMMUNITY))

"""Administrative-region rules (行政区划).

Codes follow the national statistical division codes (统计用区划代码): six digits for a
province, prefecture or county, nine for a street/township, twelve for a
community/village. `path` holds the ids of the ancestors and of the region itself
("/1/5/23/"), so "inside this region" is a prefix test.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import joinedload

from app.core import audit
from app.core.errors import ValidationError
from app.extensions import db
from app.regions.models import CommunityKind, Region, RegionLevel

# Plain names for messages: services also run outside a request (CLI, demo loader),
# where the translated enum labels are not available.
LEVEL_NAMES = {
    RegionLevel.PROVINCE: _l("省"),
    RegionLevel.PREFECTURE: _l("州/市"),
    RegionLevel.COUNTY: _l("县/市/区"),
    RegionLevel.STREET: _l("街道/乡镇"),
    RegionLevel.COMMUNITY: _l("社区/村"),
}
NAME_MAX = 60
CODE_LENGTH = {
    RegionLevel.PROVINCE: 6,
    RegionLevel.PREFECTURE: 6,
    RegionLevel.COUNTY: 6,
    RegionLevel.STREET: 9,
    RegionLevel.COMMUNITY: 12,
}


def _snapshot(region: Region) -> dict:
    return {"name": region.name, "code": region.code, "level": region.level,
            "kind": region.kind, "parent_id": region.parent_id}


def _check_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请输入区划名称。"), field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(_("区划名称不能超过 %(max)s 个字。", max=NAME_MAX), field="name")
    return name


def _check_code(code: str | None, level: RegionLevel, *, exclude_id: int | None = None) -> str:
    code = (code or "").strip()
    length = CODE_LENGTH[level]
    if not code:
        raise ValidationError(_("请输入区划代码。"), field="code")
    if not (code.isascii() and code.isdigit()):
        raise ValidationError(_("区划代码只能由半角数字组成。"), field="code")
    if len(code) != length:
        raise ValidationError(
            _("%(level)s级区划代码应为 %(length)s 位数字（统计用区划代码），当前为 %(count)s 位。", level=LEVEL_NAMES[level], length=length, count=len(code)),
            field="code")
    existing = get_by_code(code)
    if existing is not None and existing.id != exclude_id:
        raise ValidationError(_("区划代码 %(code)s 已被“%(name)s”使用。", code=code, name=existing.name), field="code")
    return code


def _check_kind(kind, level: RegionLevel) -> CommunityKind | None:
    if isinstance(kind, str) and not isinstance(kind, CommunityKind):
        kind = CommunityKind.coerce(kind)
    if level == RegionLevel.COMMUNITY:
        if kind is None:
            raise ValidationError(_("社区/村必须选择类型：城市社区或农村社区。"), field="kind")
        return kind
    if kind is not None:
        raise ValidationError(_("只有社区/村才区分城市社区和农村社区。"), field="kind")
    return None


def _check_level(level, parent: Region | None) -> RegionLevel:
    if isinstance(level, str) and not isinstance(level, RegionLevel):
        level = RegionLevel.coerce(level)
    if level is None:
        raise ValidationError(_("请选择区划级别。"), field="level")
    if parent is None:
        if level != RegionLevel.PROVINCE:
            raise ValidationError(_("%(level)s级区划必须有上级区划。", level=LEVEL_NAMES[level]), field="parent")
    else:
        expected = parent.level.child
        if expected is None:
            raise ValidationError(_("社区/村是最低一级，不能再添加下级区划。"), field="parent")
        if level != expected:
            raise ValidationError(
                _("“%(name)s”（%(parent_level)s）的下级只能是%(expected_level)s级区划。", name=parent.name, parent_level=LEVEL_NAMES[parent.level], expected_level=LEVEL_NAMES[expected]),
                field="level")
    return level


def create_region(actor, *, name: str, code: str, level, parent: Region | None = None,
                  kind=None) -> Region:
    level = _check_level(level, parent)
    name = _check_name(name)
    code = _check_code(code, level)
    kind = _check_kind(kind, level)
    region = Region(name=name, code=code, level=level, kind=kind, parent=parent, path="")
    db.session.add(region)
    db.session.flush()
    region.path = (parent.path if parent is not None else "/") + f"{region.id}/"
    db.session.flush()
    audit.record(actor, "region.create", region, after={**_snapshot(region), "path": region.path})
    return region


def update_region(actor, region: Region, *, name: str, code: str, kind=None) -> Region:
    before = _snapshot(region)
    name = _check_name(name)
    code = _check_code(code, region.level, exclude_id=region.id)
    kind = _check_kind(kind, region.level)
    region.name, region.code, region.kind = name, code, kind
    after = _snapshot(region)
    if after != before:
        audit.record(actor, "region.update", region, before=before, after=after)
    return region


def get_by_code(code: str) -> Region | None:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()


def children(region: Region | None) -> list[Region]:
    """The direct children of `region`, or the provinces when it is None."""
    condition = Region.parent_id.is_(None) if region is None else Region.parent_id == region.id
    return list(db.session.execute(select(Region).where(condition).order_by(Region.code)).scalars())


def subtree_condition(region: Region) -> ColumnElement[bool]:
    """SQL condition for "this region or inside it"."""
    return Region.path.startswith(region.path)


def region_tree_choices(max_level: RegionLevel = RegionLevel.STREET) -> list[tuple[int, str]]:
    """(id, indented label) for every region down to `max_level`, in tree order by code."""
    allowed = [lvl for lvl in RegionLevel if lvl.depth <= max_level.depth]
    rows = db.session.execute(
        select(Region.id, Region.parent_id, Region.name, Region.code, Region.level)
        .where(Region.level.in_(allowed)).order_by(Region.code)
    ).all()
    by_parent: dict[int | None, list] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    ids = {row.id for row in rows}
    choices: list[tuple[int, str]] = []

    def walk(parent_id, depth):
        for row in by_parent.get(parent_id, []):
            choices.append((row.id, "\u3000" * depth + row.name))
            walk(row.id, depth + 1)

    walk(None, 0)
    # Regions whose parent lies outside the list (should not happen) still appear.
    orphan_parents = [pid for pid in by_parent if pid is not None and pid not in ids]
    for pid in orphan_parents:
        walk(pid, 0)
    return choices


def with_ancestors():
    """Loader option bringing a region's whole parent chain in the same query."""
    return joinedload(Region.parent).joinedload(Region.parent).joinedload(Region.parent) \
        .joinedload(Region.parent)

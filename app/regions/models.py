"""Administrative regions (行政区划): province → prefecture → county → street → community."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.enums import LabeledEnum, N_, enum_type
from app.extensions import db


class RegionLevel(LabeledEnum):
    PROVINCE = "province", N_("省")
    PREFECTURE = "prefecture", N_("州/市")
    COUNTY = "county", N_("县/市/区")
    STREET = "street", N_("街道/乡镇")
    COMMUNITY = "community", N_("社区/村")

    @property
    def depth(self) -> int:
        return list(RegionLevel).index(self)

    @property
    def child(self) -> "RegionLevel | None":
        levels = list(RegionLevel)
        return levels[self.depth + 1] if self.depth + 1 < len(levels) else None


class CommunityKind(LabeledEnum):
    URBAN = "urban", N_("城市社区")
    RURAL = "rural", N_("农村社区")


class Region(db.Model):
    __tablename__ = "region"
    __table_args__ = (
        # Only communities/villages are urban or rural, and every one of them is.
        CheckConstraint(
            "(level = 'community' AND kind IS NOT NULL) OR (level <> 'community' AND kind IS NULL)",
            name="kind_only_for_community",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[RegionLevel] = mapped_column(enum_type(RegionLevel, 20))
    kind: Mapped[CommunityKind | None] = mapped_column(enum_type(CommunityKind, 10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    # "/1/5/23/": ancestors' ids and its own, for subtree tests by prefix.
    path: Mapped[str] = mapped_column(String(200), index=True, default="")

    parent = relationship("Region", remote_side=[id], back_populates="children")
    children = relationship("Region", back_populates="parent", order_by="Region.code")

    def covers(self, other: "Region | None") -> bool:
        """True when `other` is this region or lies inside it."""
        return other is not None and other.path.startswith(self.path)

    @property
    def full_name(self) -> str:
        names = []
        node: Region | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))

    def ancestors(self) -> list["Region"]:
        chain = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"

"""Funders (资助方/购买主体) and their staff."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.core.enums import LabeledEnum, N_, enum_type
from app.extensions import db


class FunderKind(LabeledEnum):
    CIVIL_AFFAIRS = "civil_affairs", N_("民政部门")
    STREET_OFFICE = "street_office", N_("街道办事处/乡镇政府")
    COMMUNITY_FOUNDATION = "community_foundation", N_("社区发展基金会")


class StaffRole(LabeledEnum):
    PROGRAM_OFFICER = "program_officer", N_("项目主管")
    FINANCE_OFFICER = "finance_officer", N_("财务人员")
    AUDITOR = "auditor", N_("审计监督")


class Funder(db.Model):
    __tablename__ = "funder"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[FunderKind] = mapped_column(enum_type(FunderKind))
    # The area the funder serves; staff powers over organizations follow it.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    region = relationship("Region", lazy="joined")
    staff = relationship(
        "StaffMembership", back_populates="funder", cascade="all, delete-orphan",
        order_by="StaffMembership.id",
    )

    def __repr__(self) -> str:
        return f"<Funder {self.name}>"


class StaffMembership(db.Model):
    """A user's role at one funder. Staff powers are scoped to that funder."""

    __tablename__ = "staff_membership"
    __table_args__ = (UniqueConstraint("user_id", "funder_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id", ondelete="CASCADE"), index=True)
    role: Mapped[StaffRole] = mapped_column(enum_type(StaffRole))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", back_populates="staff_memberships")
    funder = relationship("Funder", back_populates="staff", lazy="joined")

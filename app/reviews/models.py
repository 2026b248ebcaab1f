"""Expert pool (专家库): experts, their fields of expertise and their affiliations.

An expert is one user account (``user_id`` unique). ``is_active`` False with
``approved_at`` None is a pending self-application (待审核); False with ``approved_at`` set
is a suspended expert (已暂停). Only active experts are drawn for panels.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.core.enums import LabeledEnum, N_, enum_type
from app.extensions import db


class ExpertiseField(LabeledEnum):
    ELDERLY_CARE = "elderly_care", N_("养老服务")
    CHILDREN_YOUTH = "children_youth", N_("儿童与青少年")
    DISABILITY_REHAB = "disability_rehab", N_("残障康复")
    SOCIAL_WORK = "social_work", N_("社会工作")
    COMMUNITY_GOVERNANCE = "community_governance", N_("社区治理")
    MENTAL_HEALTH = "mental_health", N_("心理健康")
    FINANCE_AUDIT = "finance_audit", N_("财务与审计")
    LAW = "law", N_("法律")
    CULTURE_SPORTS = "culture_sports", N_("文化体育")
    RURAL_DEVELOPMENT = "rural_development", N_("农村发展")
    NONPROFIT_MANAGEMENT = "nonprofit_management", N_("公益慈善管理")


class ExpertStatus(LabeledEnum):
    """Derived from ``is_active``/``approved_at``; not stored."""

    PENDING = "pending", N_("待审核")
    ACTIVE = "active", N_("在库")
    SUSPENDED = "suspended", N_("已暂停")


class Expert(db.Model):
    __tablename__ = "expert"
    __table_args__ = (
        # An active expert has always been approved (enrolled by an officer or approved).
        CheckConstraint("is_active = false OR approved_at IS NOT NULL", name="active_is_approved"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(50), default="")        # 职称
    employer: Mapped[str] = mapped_column(String(100), default="", index=True)  # 工作单位
    bio: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    suspended_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    field_rows = relationship(
        "ExpertField", cascade="all, delete-orphan", lazy="selectin", order_by="ExpertField.field",
    )
    affiliations = relationship(
        "ExpertAffiliation", cascade="all, delete-orphan", lazy="selectin",
        order_by="ExpertAffiliation.id",
    )

    @property
    def fields(self) -> list[ExpertiseField]:
        order = list(ExpertiseField)
        return sorted((row.field for row in self.field_rows), key=order.index)

    @property
    def status(self) -> ExpertStatus:
        if self.is_active:
            return ExpertStatus.ACTIVE
        return ExpertStatus.PENDING if self.approved_at is None else ExpertStatus.SUSPENDED

    @property
    def name(self) -> str:
        return self.user.name

    def __repr__(self) -> str:
        return f"<Expert {self.id} user={self.user_id}>"


class ExpertField(db.Model):
    __tablename__ = "expert_field"

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[ExpertiseField] = mapped_column(enum_type(ExpertiseField), primary_key=True, index=True)


class ExpertAffiliation(db.Model):
    """A tie of the expert to an organization (任职、顾问、理事、志愿者…): a platform
    organization when ``organization_id`` is set, otherwise only its free-text ``name``."""

    __tablename__ = "expert_affiliation"
    __table_args__ = (
        CheckConstraint("until IS NULL OR since IS NULL OR until >= since", name="period_order"),
        CheckConstraint("name <> ''", name="name_not_empty"),
        CheckConstraint("relation <> ''", name="relation_not_empty"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(20))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)

    organization = relationship("Organization", lazy="joined")

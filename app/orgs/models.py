"""Community social organizations (社区社会组织), their members and invitations."""
from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.core.enums import LabeledEnum, N_, enum_type
from app.extensions import db


class LegalStatus(LabeledEnum):
    REGISTERED = "registered", N_("登记")
    FILED = "filed", N_("备案")
    COMMUNITY_LED = "community_led", N_("社区党组织引领")


class Category(LabeledEnum):
    LIFE_SERVICE = "life_service", N_("生活服务类")
    CHARITY = "charity", N_("公益慈善类")
    MUTUAL_AID = "mutual_aid", N_("居民互助类")
    CULTURE_SPORTS = "culture_sports", N_("文体娱乐类")
    RURAL_TECH = "rural_tech", N_("农村生产技术服务类")


class ServiceTarget(LabeledEnum):
    ELDERLY = "elderly", N_("老年人")
    WOMEN = "women", N_("妇女")
    CHILDREN = "children", N_("儿童")
    DISABLED = "disabled", N_("残疾人")
    UNEMPLOYED = "unemployed", N_("失业人员")
    MIGRANT_WORKERS = "migrant_workers", N_("农民工")
    PRISONERS_CHILDREN = "prisoners_children", N_("服刑/强制戒毒人员未成年子女")
    POOR_FAMILIES = "poor_families", N_("困难家庭")
    MENTAL_ILLNESS = "mental_illness", N_("严重精神障碍患者")
    AT_RISK_YOUTH = "at_risk_youth", N_("有不良行为青少年")
    COMMUNITY_CORRECTION = "community_correction", N_("社区矫正人员")
    OTHER = "other", N_("其他")


class PartyOrganization(LabeledEnum):
    YES = "yes", N_("单独建立")
    JOINT = "joint", N_("联合建立")
    NO = "no", N_("未建立")


class EvaluationGrade(LabeledEnum):
    NONE = "none", N_("未评估")
    A1 = "1A", "1A"
    A2 = "2A", "2A"
    A3 = "3A", "3A"
    A4 = "4A", "4A"
    A5 = "5A", "5A"

    @property
    def rank(self) -> int:
        return list(EvaluationGrade).index(self)


class CreditStatus(LabeledEnum):
    NORMAL = "normal", N_("正常")
    ABNORMAL = "abnormal", N_("活动异常名录")
    SERIOUS = "serious", N_("严重违法失信名单")


class MemberRole(LabeledEnum):
    OWNER = "owner", N_("负责人")
    MEMBER = "member", N_("成员")


class InvitationStatus(LabeledEnum):
    PENDING = "pending", N_("待接受")
    ACCEPTED = "accepted", N_("已接受")
    REVOKED = "revoked", N_("已撤回")


class Organization(db.Model):
    __tablename__ = "organization"
    __table_args__ = (
        # A registered organization has a credit code; filed and community-led ones
        # have no legal personality and therefore none.
        CheckConstraint(
            "(legal_status = 'registered' AND credit_code IS NOT NULL)"
            " OR (legal_status <> 'registered' AND credit_code IS NULL)",
            name="credit_code_iff_registered",
        ),
        CheckConstraint("social_worker_count >= 0", name="social_workers_non_negative"),
        CheckConstraint("staff_count >= 0", name="staff_non_negative"),
        CheckConstraint("volunteer_count >= 0", name="volunteers_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    legal_status: Mapped[LegalStatus] = mapped_column(enum_type(LegalStatus), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    # 登记管理机关 / 备案街道 / 指导的社区党组织
    registration_authority: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[Category] = mapped_column(enum_type(Category), index=True)
    service_target_other: Mapped[str] = mapped_column(String(100), default="")
    home_community_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    founded_on: Mapped[date] = mapped_column(Date)
    registered_on: Mapped[date | None] = mapped_column(Date)
    party_organization: Mapped[PartyOrganization] = mapped_column(
        enum_type(PartyOrganization), default=PartyOrganization.NO
    )
    social_worker_count: Mapped[int] = mapped_column(Integer, default=0)
    staff_count: Mapped[int] = mapped_column(Integer, default=0)
    volunteer_count: Mapped[int] = mapped_column(Integer, default=0)
    mission: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # Staff-only fields (program officers of a funder covering the organization).
    evaluation_grade: Mapped[EvaluationGrade] = mapped_column(
        enum_type(EvaluationGrade, 10), default=EvaluationGrade.NONE
    )
    credit_status: Mapped[CreditStatus] = mapped_column(
        enum_type(CreditStatus), default=CreditStatus.NORMAL
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    home_community = relationship("Region", lazy="joined")
    target_rows = relationship(
        "OrganizationServiceTarget", cascade="all, delete-orphan", lazy="selectin",
        order_by="OrganizationServiceTarget.target",
    )
    members = relationship(
        "OrgMembership", back_populates="organization", cascade="all, delete-orphan",
        order_by="OrgMembership.id",
    )
    invitations = relationship(
        "Invitation", back_populates="organization", cascade="all, delete-orphan",
        order_by="Invitation.id.desc()",
    )

    @property
    def service_targets(self) -> list[ServiceTarget]:
        order = list(ServiceTarget)
        return sorted((row.target for row in self.target_rows), key=order.index)

    @property
    def has_credit_code(self) -> bool:
        return self.credit_code is not None

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class OrganizationServiceTarget(db.Model):
    __tablename__ = "organization_service_target"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[ServiceTarget] = mapped_column(enum_type(ServiceTarget), primary_key=True)


class OrgMembership(db.Model):
    __tablename__ = "org_membership"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole, 10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", back_populates="org_memberships", lazy="joined")
    organization = relationship("Organization", back_populates="members", lazy="joined")


class Invitation(db.Model):
    """An emailed invitation to join an organization (邀请)."""

    __tablename__ = "invitation"

    ALLOWED: ClassVar[dict] = {
        InvitationStatus.PENDING: frozenset({InvitationStatus.ACCEPTED, InvitationStatus.REVOKED}),
        InvitationStatus.ACCEPTED: frozenset(),
        InvitationStatus.REVOKED: frozenset(),
    }

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole, 10), default=MemberRole.MEMBER)
    status: Mapped[InvitationStatus] = mapped_column(
        enum_type(InvitationStatus, 10), default=InvitationStatus.PENDING
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization = relationship("Organization", back_populates="invitations")
    invited_by = relationship("User", foreign_keys=[invited_by_id])


class Debarment(db.Model):
    """A breach of agreement (违约) and the bar from the funder's calls that follows it: by
    default three years (SPEC §3.2). Eligibility screening refuses an organization barred by
    the call's funder on the screening date; the breach also lowers the organization's credit
    (app/orgs/credit.py). A bar lifted early keeps its row (lifted_on, lift_reason)."""

    __tablename__ = "debarment"
    __table_args__ = (CheckConstraint("ends_on > starts_on", name="period_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    # The award whose agreement was breached (None for a bar recorded without one).
    award_id: Mapped[int | None] = mapped_column(ForeignKey("award.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Lifted early (解除): the bar ends on this day; the breach itself stays on the record.
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lift_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    funder = relationship("Funder")
    award = relationship("Award")

    @property
    def effective_end(self) -> date:
        """The first day the organization may apply again."""
        if self.lifted_on is not None and self.lifted_on < self.ends_on:
            return max(self.lifted_on, self.starts_on)
        return self.ends_on

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day < self.effective_end

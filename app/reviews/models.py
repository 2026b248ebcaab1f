"""Expert pool (专家库): experts, their fields of expertise and their affiliations.

An expert is one user account (``user_id`` unique). ``is_active`` False with
``approved_at`` None is a pending self-application (待审核); False with ``approved_at`` set
is a suspended expert (已暂停). Only active experts are drawn for panels.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String,
    Text, UniqueConstraint, text,
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


# --------------------------------------------------------------------------- panels

class PanelRole(LabeledEnum):
    REVIEWER = "reviewer", N_("评审专家")
    CHAIR = "chair", N_("评审组长")


class Panel(db.Model):
    """评审小组: one per call. The chair (组长) is a member with role ``chair`` — they score
    like every reviewer and also run the panel (matrix, reopen, finalize)."""

    __tablename__ = "panel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The seed of the last automatic assignment (so it can be repeated) and when it ran.
    assignment_seed: Mapped[str] = mapped_column(String(32), default="")
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalized_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    call = relationship("Call", lazy="joined")
    members = relationship("PanelMember", back_populates="panel", cascade="all, delete-orphan",
                           lazy="selectin", order_by="PanelMember.id")
    draws = relationship("PanelDraw", back_populates="panel", cascade="all, delete-orphan",
                         order_by="PanelDraw.id")

    @property
    def chair(self) -> "PanelMember | None":
        return next((m for m in self.members if m.role == PanelRole.CHAIR), None)

    @property
    def chair_user_id(self) -> int | None:
        chair = self.chair
        return chair.expert.user_id if chair is not None else None

    def member_for_user(self, user_id: int | None) -> "PanelMember | None":
        return next((m for m in self.members if m.expert.user_id == user_id), None)

    @property
    def is_finalized(self) -> bool:
        return self.finalized_at is not None


class PanelDraw(db.Model):
    """抽取记录: one random draw from the pool, stored whole so an auditor can re-run it
    (app.reviews.draw.DrawResult.verify). Lists hold expert ids; ``excluded`` holds
    [expert id, 回避 reason] pairs; ``fields`` is null when no field filter was used."""

    __tablename__ = "panel_draw"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list | None] = mapped_column(JSON)
    eligible: Mapped[list] = mapped_column(JSON, default=list)
    excluded: Mapped[list] = mapped_column(JSON, default=list)
    off_field: Mapped[list] = mapped_column(JSON, default=list)
    picked: Mapped[list] = mapped_column(JSON, default=list)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    panel = relationship("Panel", back_populates="draws")
    drawn_by = relationship("User", lazy="joined")


class PanelMember(db.Model):
    __tablename__ = "panel_member"
    __table_args__ = (
        UniqueConstraint("panel_id", "expert_id", name="uq_panel_member_expert"),
        # One chair per panel.
        Index("uq_panel_one_chair", "panel_id", unique=True,
              postgresql_where=text("role = 'chair'"), sqlite_where=text("role = 'chair'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="RESTRICT"), index=True)
    role: Mapped[PanelRole] = mapped_column(enum_type(PanelRole, 20), default=PanelRole.REVIEWER)
    # The draw that picked them; null when the officer added them by hand.
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("panel_draw.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    panel = relationship("Panel", back_populates="members")
    expert = relationship("Expert", lazy="joined")

    @property
    def is_chair(self) -> bool:
        return self.role == PanelRole.CHAIR


# --------------------------------------------------------------------------- assignment & scoring

class AssignmentStatus(LabeledEnum):
    PENDING = "pending", N_("待声明")          # must declare conflicts before opening
    ACCEPTED = "accepted", N_("已声明无利益冲突")
    RECUSED = "recused", N_("已回避")          # declared a conflict; replaced


class AssignmentOrigin(LabeledEnum):
    AUTO = "auto", N_("自动分配")
    MANUAL = "manual", N_("人工调整")
    REASSIGNED = "reassigned", N_("回避后改派")


class ReviewAssignment(db.Model):
    """One reviewer on one application (评审任务). A recused assignment stays as the
    record of the declaration; the replacement is a new row."""

    __tablename__ = "review_assignment"
    __table_args__ = (UniqueConstraint("application_id", "member_id", name="uq_assignment_app_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_member.id", ondelete="CASCADE"), index=True)
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_type(AssignmentStatus, 20), default=AssignmentStatus.PENDING, index=True)
    origin: Mapped[AssignmentOrigin] = mapped_column(enum_type(AssignmentOrigin, 20), default=AssignmentOrigin.AUTO)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conflict_reason: Mapped[str] = mapped_column(String(500), default="")

    panel = relationship("Panel")
    application = relationship("Application")
    member = relationship("PanelMember", lazy="joined")
    sheet = relationship("ScoreSheet", back_populates="assignment", uselist=False,
                         cascade="all, delete-orphan")


class SheetStatus(LabeledEnum):
    DRAFT = "draft", N_("暂存")
    SUBMITTED = "submitted", N_("已提交")


class ScoreSheet(db.Model):
    """评分表: one reviewer's points for one application. ``points`` maps the rubric
    criterion id (as a string) to whole points 0..max; submitted sheets are locked until the
    chair reopens them with a reason."""

    __tablename__ = "score_sheet"
    __table_args__ = (
        CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name="submitted_has_time"),
        CheckConstraint("reopen_count >= 0", name="reopen_count_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("review_assignment.id", ondelete="CASCADE"), unique=True)
    points: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SheetStatus] = mapped_column(enum_type(SheetStatus, 20), default=SheetStatus.DRAFT, index=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reopen_reason: Mapped[str] = mapped_column(String(500), default="")

    assignment = relationship("ReviewAssignment", back_populates="sheet")

    @property
    def total(self) -> int:
        return sum(int(v) for v in (self.points or {}).values())

    @property
    def is_submitted(self) -> bool:
        return self.status == SheetStatus.SUBMITTED


# --------------------------------------------------------------------------- results

class ReviewOutcome(db.Model):
    """评审结果 of one application, written when the panel is finalized and rewritten when
    the officer adjusts amounts (app.reviews.aggregation computes; this stores)."""

    __tablename__ = "review_outcome"
    __table_args__ = (
        CheckConstraint("rank > 0", name="rank_positive"),
        CheckConstraint("amount_fen >= 0", name="amount_non_negative"),
        CheckConstraint("adjusted_fen IS NULL OR adjusted_fen > 0", name="adjusted_positive"),
        CheckConstraint("recommended = true OR amount_fen = 0", name="amount_only_if_recommended"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    final_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))   # panel score + credit bonus
    # Points added for the organization's credit (call.credit_bonus_max), fixed when the
    # outcome row is first computed; the panel's own score is final_score - credit_bonus.
    credit_bonus: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"), server_default="0")
    rank: Mapped[int] = mapped_column(Integer)
    reviewer_count: Mapped[int] = mapped_column(Integer)
    sd: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    disagreement: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_fen: Mapped[int] = mapped_column(BigInteger)
    recommended: Mapped[bool] = mapped_column(Boolean, default=False)
    reason_code: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)   # recommended amount; 0 if not
    adjusted_fen: Mapped[int | None] = mapped_column(BigInteger)     # officer's adjusted amount
    adjust_reason: Mapped[str] = mapped_column(String(500), default="")
    adjusted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    adjusted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An upheld objection during the notice cancelled this recommendation.
    cancelled_by_objection: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application = relationship("Application", lazy="joined")

"""Applications (项目申报书): the proposal, its budget lines, outcome indicators, milestones,
team, service communities and planned beneficiaries; submitted versions; attachments;
eligibility screening (形式审查)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer,
                        Numeric, String, Text, UniqueConstraint, false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.core.enums import LabeledEnum, N_, enum_type
from app.extensions import db
from app.orgs.models import ServiceTarget


class ApplicationStatus(LabeledEnum):
    DRAFT = "draft", N_("草稿")
    SUBMITTED = "submitted", N_("已提交")
    RETURNED = "returned", N_("退回补正")
    ELIGIBLE = "eligible", N_("形式审查通过")
    INELIGIBLE = "ineligible", N_("形式审查未通过")
    UNDER_REVIEW = "under_review", N_("专家评审中")
    SCORED = "scored", N_("已评分")
    RECOMMENDED = "recommended", N_("拟立项")
    NOT_RECOMMENDED = "not_recommended", N_("未入围")
    AWARDED = "awarded", N_("已立项")
    REJECTED = "rejected", N_("未立项")
    WITHDRAWN = "withdrawn", N_("已撤回")


_S = ApplicationStatus

# States in which the organization can still change the content.
EDITABLE_STATUSES = frozenset({_S.DRAFT, _S.RETURNED})
# "Pre-award": the applicant may withdraw from any of these.
WITHDRAWABLE_STATUSES = frozenset({_S.DRAFT, _S.SUBMITTED, _S.RETURNED, _S.ELIGIBLE, _S.UNDER_REVIEW,
                                   _S.SCORED, _S.RECOMMENDED, _S.NOT_RECOMMENDED})
# Counted against "one application per organization per call".
ACTIVE_STATUSES = frozenset(set(ApplicationStatus) - {_S.WITHDRAWN, _S.INELIGIBLE, _S.REJECTED})


class Application(db.Model):
    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint("requested_fen >= 0", name="requested_non_negative"),
        CheckConstraint("matching_fen >= 0", name="matching_non_negative"),
        CheckConstraint("planned_beneficiaries >= 0", name="beneficiaries_non_negative"),
        CheckConstraint("current_version >= 0", name="version_non_negative"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="period_order"),
        # Anything that has left the draft state has been submitted at least once.
        CheckConstraint("status = 'draft' OR status = 'withdrawn' OR submitted_at IS NOT NULL",
                        name="submitted_has_time"),
    )

    ALLOWED: ClassVar[dict] = {
        _S.DRAFT: frozenset({_S.SUBMITTED, _S.WITHDRAWN}),
        _S.SUBMITTED: frozenset({_S.RETURNED, _S.ELIGIBLE, _S.INELIGIBLE, _S.WITHDRAWN}),
        _S.RETURNED: frozenset({_S.SUBMITTED, _S.WITHDRAWN}),
        # While the call is in screening the officer may revise a screening decision.
        _S.ELIGIBLE: frozenset({_S.UNDER_REVIEW, _S.INELIGIBLE, _S.WITHDRAWN}),
        _S.INELIGIBLE: frozenset({_S.ELIGIBLE}),
        _S.UNDER_REVIEW: frozenset({_S.SCORED, _S.WITHDRAWN}),
        _S.SCORED: frozenset({_S.RECOMMENDED, _S.NOT_RECOMMENDED, _S.WITHDRAWN}),
        _S.RECOMMENDED: frozenset({_S.AWARDED, _S.REJECTED, _S.NOT_RECOMMENDED, _S.WITHDRAWN}),
        _S.NOT_RECOMMENDED: frozenset({_S.REJECTED, _S.WITHDRAWN}),
        _S.AWARDED: frozenset(),
        _S.REJECTED: frozenset(),
        _S.WITHDRAWN: frozenset(),
    }

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(enum_type(ApplicationStatus, 20),
                                                      default=ApplicationStatus.DRAFT, index=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # 基本信息
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(1000), default="")
    leader_name: Mapped[str] = mapped_column(String(50), default="")
    leader_phone: Mapped[str] = mapped_column(String(20), default="")
    # 需求分析 / 项目设计 (目标、内容与活动、实施方式) / 可持续性
    need: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    activities: Mapped[str] = mapped_column(Text, default="")
    sustainability: Mapped[str] = mapped_column(Text, default="")
    # 服务对象与受益人
    planned_beneficiaries: Mapped[int] = mapped_column(Integer, default=0)
    beneficiary_description: Mapped[str] = mapped_column(String(1000), default="")
    # 项目周期
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # 资金
    requested_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    matching_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    matching_source: Mapped[str] = mapped_column(String(300), default="")
    # 承诺
    declares_no_fixed_assets: Mapped[bool] = mapped_column(Boolean, default=False)
    declares_no_cash_gifts: Mapped[bool] = mapped_column(Boolean, default=False)
    declares_truthful: Mapped[bool] = mapped_column(Boolean, default=False)

    # Submission bookkeeping: version N is the Nth submitted snapshot.
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The officer's latest return (退回补正): why, and until when it may be corrected.
    return_reason: Mapped[str] = mapped_column(String(1000), default="")
    correction_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdraw_reason: Mapped[str] = mapped_column(String(500), default="")

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    call = relationship("Call", lazy="joined")
    organization = relationship("Organization", lazy="joined")
    budget_lines = relationship("BudgetLine", cascade="all, delete-orphan", order_by="BudgetLine.position",
                                back_populates="application")
    indicators = relationship("OutcomeIndicator", cascade="all, delete-orphan",
                              order_by="OutcomeIndicator.position", back_populates="application")
    milestones = relationship("Milestone", cascade="all, delete-orphan", order_by="Milestone.position",
                              back_populates="application")
    team = relationship("TeamMember", cascade="all, delete-orphan", order_by="TeamMember.position",
                        back_populates="application")
    community_rows = relationship("ApplicationCommunity", cascade="all, delete-orphan")
    target_rows = relationship("ApplicationTargetGroup", cascade="all, delete-orphan")
    attachments = relationship("Attachment", cascade="all, delete-orphan", order_by="Attachment.id",
                               back_populates="application")
    versions = relationship("ApplicationVersion", cascade="all, delete-orphan",
                            order_by="ApplicationVersion.number", back_populates="application")
    screening = relationship("Screening", uselist=False, cascade="all, delete-orphan",
                             back_populates="application")

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def budget_total_fen(self) -> int:
        return sum(line.amount_fen for line in self.budget_lines)

    def head_total_fen(self, head: str) -> int:
        return sum(line.amount_fen for line in self.budget_lines if line.head == head)

    @property
    def target_groups(self) -> list[ServiceTarget]:
        order = list(ServiceTarget)
        return sorted((r.target for r in self.target_rows), key=order.index)

    @property
    def communities(self) -> list:
        return sorted((r.community for r in self.community_rows), key=lambda c: c.path)

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.title}>"


class BudgetLine(db.Model):
    """One line of the budget: head (科目), item, quantity × unit price."""

    __tablename__ = "budget_line"
    __table_args__ = (
        UniqueConstraint("application_id", "position"),
        CheckConstraint("quantity BETWEEN 1 AND 1000000", name="quantity_range"),
        CheckConstraint("unit_price_fen > 0", name="unit_price_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(30))
    item: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")

    application = relationship("Application", back_populates="budget_lines")

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen


class OutcomeIndicator(db.Model):
    """成效指标: what the project promises to achieve and how it will be measured."""

    __tablename__ = "outcome_indicator"
    __table_args__ = (
        UniqueConstraint("application_id", "position"),
        CheckConstraint("target >= 0", name="target_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    measurement: Mapped[str] = mapped_column(String(300), default="")

    application = relationship("Application", back_populates="indicators")


class Milestone(db.Model):
    """实施进度: a dated step of the plan."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("application_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(100))
    deliverable: Mapped[str] = mapped_column(String(300), default="")

    application = relationship("Application", back_populates="milestones")


class TeamMember(db.Model):
    """项目团队: who runs the project."""

    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("application_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(50))
    qualification: Mapped[str] = mapped_column(String(300), default="")
    is_social_worker: Mapped[bool] = mapped_column(Boolean, default=False)

    application = relationship("Application", back_populates="team")


class ApplicationCommunity(db.Model):
    """A community (社区/村) the project serves."""

    __tablename__ = "application_community"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"),
                                                primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True, index=True)

    community = relationship("Region", lazy="joined")


class ApplicationTargetGroup(db.Model):
    """A target group (服务对象) of the project."""

    __tablename__ = "application_target_group"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"),
                                                primary_key=True)
    target: Mapped[ServiceTarget] = mapped_column(enum_type(ServiceTarget), primary_key=True)


class ApplicationVersion(db.Model):
    """A submitted version: the whole proposal frozen at submission (JSON snapshot).

    Version 1 is the first submission; each resubmission after a return adds one. The
    snapshot is what officers compare side by side and what the 申报书 PDF prints.
    """

    __tablename__ = "application_version"
    __table_args__ = (UniqueConstraint("application_id", "number"),
                      CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    application = relationship("Application", back_populates="versions")
    submitted_by = relationship("User")


class Attachment(db.Model):
    """An uploaded file of an application, stored outside the web root under a generated
    name; `kind` is one of the call's required attachments or 其他材料."""

    __tablename__ = "attachment"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Attachments that were part of a submitted version are kept (a version refers to them).
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Blind review (匿名评审): the program officer has checked the file shows nothing that
    # identifies the organization; only such files reach reviewers of a blind call.
    blind_safe: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    application = relationship("Application", back_populates="attachments")


class ScreeningDecision(LabeledEnum):
    ELIGIBLE = "eligible", N_("通过")
    INELIGIBLE = "ineligible", N_("不通过")


class Screening(db.Model):
    """形式审查: the automatic checks at screening time and the officer's decision.

    `checks` is a list of {"rule", "label", "passed", "reason"} computed by the service;
    `overridden` is true when the officer's decision differs from what the checks say,
    which requires a written reason.
    """

    __tablename__ = "screening"
    __table_args__ = (
        CheckConstraint("NOT overridden OR length(reason) > 0", name="override_has_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    checks: Mapped[list] = mapped_column(JSON, default=list)
    checks_passed: Mapped[bool] = mapped_column(Boolean)
    decision: Mapped[ScreeningDecision] = mapped_column(enum_type(ScreeningDecision, 20))
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application = relationship("Application", back_populates="screening")
    decided_by = relationship("User")

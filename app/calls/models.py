"""Calls for proposals (项目征集), their rubric (评分标准) and installment template."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.core.enums import LabeledEnum, N_, enum_type
from app.orgs.models import Category, EvaluationGrade, LegalStatus, ServiceTarget
from app.extensions import db

DEFAULT_BUDGET_HEADS = ["业务活动费", "管理费用", "税费"]


class CallKind(LabeledEnum):
    VENTURE = "venture", N_("公益创投")
    PURCHASE = "purchase", N_("政府购买服务")


class CallStatus(LabeledEnum):
    DRAFT = "draft", N_("草稿")
    OPEN = "open", N_("征集中")
    SCREENING = "screening", N_("形式审查")
    REVIEWING = "reviewing", N_("专家评审")
    NOTICE = "notice", N_("公示中")
    AWARDED = "awarded", N_("已立项")
    CLOSED = "closed", N_("已结束")
    CANCELLED = "cancelled", N_("已取消")


class AggregationMethod(LabeledEnum):
    TRIMMED_MEAN = "trimmed_mean", N_("去掉最高最低分后平均")
    MEAN = "mean", N_("算术平均")
    ZSCORE = "zscore", N_("标准分")


class InstallmentTrigger(LabeledEnum):
    AGREEMENT_SIGNED = "agreement_signed", N_("协议签订")
    PROGRESS_ACCEPTED = "progress_accepted", N_("中期报告通过")
    FINAL_ACCEPTED = "final_accepted", N_("结项验收通过")


_S = CallStatus


class Call(db.Model):
    __tablename__ = "call"
    __table_args__ = (
        CheckConstraint("budget_fen >= 0", name="budget_non_negative"),
        CheckConstraint("min_award_fen > 0 AND min_award_fen <= max_award_fen", name="award_range"),
        CheckConstraint("matching_ratio_pct BETWEEN 0 AND 100", name="matching_ratio_pct_range"),
        CheckConstraint("management_cap_pct BETWEEN 0 AND 100", name="management_cap_pct_range"),
        CheckConstraint("min_org_age_months >= 0", name="min_org_age_non_negative"),
        CheckConstraint("max_applications_per_org >= 1", name="max_applications_positive"),
        CheckConstraint("deadline_at > opens_at", name="deadline_after_opening"),
        CheckConstraint("reviewers_per_application BETWEEN 1 AND 15", name="reviewers_range"),
        CheckConstraint("pass_line BETWEEN 0 AND 100", name="pass_line_range"),
        CheckConstraint("disagreement_threshold BETWEEN 0 AND 100", name="disagreement_range"),
        CheckConstraint("notice_working_days BETWEEN 1 AND 30", name="notice_days_range"),
        CheckConstraint("min_credit_score IS NULL OR min_credit_score BETWEEN 0 AND 100",
                        name="min_credit_score_range"),
        CheckConstraint("credit_bonus_max BETWEEN 0 AND 10", name="credit_bonus_range"),
    )

    ALLOWED: ClassVar[dict] = {
        _S.DRAFT: frozenset({_S.OPEN, _S.CANCELLED}),
        _S.OPEN: frozenset({_S.SCREENING, _S.CANCELLED}),
        _S.SCREENING: frozenset({_S.REVIEWING, _S.CANCELLED}),
        _S.REVIEWING: frozenset({_S.NOTICE, _S.CANCELLED}),
        _S.NOTICE: frozenset({_S.AWARDED, _S.CANCELLED}),
        _S.AWARDED: frozenset({_S.CLOSED}),
        _S.CLOSED: frozenset(),
        _S.CANCELLED: frozenset(),
    }

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id"), index=True)
    kind: Mapped[CallKind] = mapped_column(enum_type(CallKind, 20), index=True)
    status: Mapped[CallStatus] = mapped_column(enum_type(CallStatus, 20), default=CallStatus.DRAFT, index=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    region_scope_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    service_item: Mapped[str] = mapped_column(String(200), default="")
    budget_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    min_award_fen: Mapped[int] = mapped_column(BigInteger)
    max_award_fen: Mapped[int] = mapped_column(BigInteger)
    matching_ratio_pct: Mapped[int] = mapped_column(Integer, default=0)
    management_cap_pct: Mapped[int] = mapped_column(Integer, default=10)
    budget_heads: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_BUDGET_HEADS))
    allowed_legal_statuses: Mapped[list] = mapped_column(
        JSON, default=lambda: [s.value for s in LegalStatus])
    min_org_age_months: Mapped[int] = mapped_column(Integer, default=0)
    min_evaluation_grade: Mapped[EvaluationGrade | None] = mapped_column(enum_type(EvaluationGrade, 10))
    require_normal_credit: Mapped[bool] = mapped_column(Boolean, default=True)
    # The organization's platform credit (信用分, app/orgs/credit.py) as an eligibility rule:
    # None = not used; otherwise the score must be at least this on the screening date.
    min_credit_score: Mapped[int | None] = mapped_column(Integer)
    # …and as a score bonus: up to this many points added to the panel's final score
    # (0 = none); the share of it an organization gets follows its credit grade.
    credit_bonus_max: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_applications_per_org: Mapped[int] = mapped_column(Integer, default=1)
    required_attachments: Mapped[list] = mapped_column(JSON, default=list)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reviewers_per_application: Mapped[int] = mapped_column(Integer, default=5)
    aggregation: Mapped[AggregationMethod] = mapped_column(
        enum_type(AggregationMethod, 20), default=AggregationMethod.TRIMMED_MEAN)
    pass_line: Mapped[int] = mapped_column(Integer, default=60)
    disagreement_threshold: Mapped[int] = mapped_column(Integer, default=15)
    notice_working_days: Mapped[int] = mapped_column(Integer, default=5)
    blind_review: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    funder = relationship("Funder", lazy="joined")
    region_scope = relationship("Region", lazy="joined")
    category_rows = relationship("CallCategory", cascade="all, delete-orphan", lazy="selectin")
    target_rows = relationship("CallServiceTarget", cascade="all, delete-orphan", lazy="selectin")
    criteria = relationship("RubricCriterion", cascade="all, delete-orphan",
                            order_by="RubricCriterion.position", back_populates="call")
    installments = relationship("InstallmentStep", cascade="all, delete-orphan",
                                order_by="InstallmentStep.position", back_populates="call")

    @property
    def categories(self) -> list[Category]:
        order = list(Category)
        return sorted((r.category for r in self.category_rows), key=order.index)

    @property
    def service_targets(self) -> list[ServiceTarget]:
        order = list(ServiceTarget)
        return sorted((r.target for r in self.target_rows), key=order.index)

    @property
    def legal_statuses(self) -> list[LegalStatus]:
        return [s for s in LegalStatus if s.value in (self.allowed_legal_statuses or [])]

    @property
    def rubric_total(self) -> int:
        return sum(c.max_points for c in self.criteria)

    @property
    def installments_total(self) -> int:
        return sum(s.percent for s in self.installments)

    def is_accepting(self, now: datetime) -> bool:
        return self.status == CallStatus.OPEN and self.opens_at <= now < self.deadline_at

    def time_left(self, now: datetime) -> tuple[int, int] | None:
        """(days, hours) until the deadline, None once it has passed."""
        if now >= self.deadline_at:
            return None
        seconds = int((self.deadline_at - now).total_seconds())
        return seconds // 86400, (seconds % 86400) // 3600

    def __repr__(self) -> str:
        return f"<Call {self.title}>"


class CallCategory(db.Model):
    __tablename__ = "call_category"

    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[Category] = mapped_column(enum_type(Category), primary_key=True)


class CallServiceTarget(db.Model):
    __tablename__ = "call_service_target"

    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), primary_key=True)
    target: Mapped[ServiceTarget] = mapped_column(enum_type(ServiceTarget), primary_key=True)


class RubricCriterion(db.Model):
    __tablename__ = "rubric_criterion"
    __table_args__ = (
        UniqueConstraint("call_id", "position"),
        CheckConstraint("max_points BETWEEN 1 AND 100", name="max_points_range"),
        CheckConstraint("weight BETWEEN 1 AND 10", name="weight_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), default="")
    max_points: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Integer, default=1)

    call = relationship("Call", back_populates="criteria")


class InstallmentStep(db.Model):
    __tablename__ = "installment_step"
    __table_args__ = (
        UniqueConstraint("call_id", "position"),
        CheckConstraint("percent BETWEEN 1 AND 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    percent: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[InstallmentTrigger] = mapped_column(enum_type(InstallmentTrigger, 30))

    call = relationship("Call", back_populates="installments")

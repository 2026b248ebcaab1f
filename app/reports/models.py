"""Project reports (项目报告, SPEC §2): progress (中期) and final (结项) reports of an award,
with indicator actuals against targets, beneficiaries by target group, expenditure per
budget line against plan, narrative and photos; reviewed by the program officer (accept or
return with reasons); the final report — and a failed midterm — carry a rating."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, BigInteger, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.core.enums import LabeledEnum, N_, enum_type
from app.extensions import db


class ReportKind(LabeledEnum):
    PROGRESS = "progress", N_("中期报告")
    FINAL = "final", N_("结项报告")


class ReportStatus(LabeledEnum):
    DRAFT = "draft", N_("草稿")
    SUBMITTED = "submitted", N_("已提交，待审核")
    RETURNED = "returned", N_("退回修改")
    ACCEPTED = "accepted", N_("已通过")
    FAILED = "failed", N_("未通过")   # a failed midterm: the remaining installments are withheld


class ReportRating(LabeledEnum):
    EXCELLENT = "excellent", N_("优秀")
    GOOD = "good", N_("良好")
    PASS = "pass", N_("合格")
    FAIL = "fail", N_("不合格")


class Report(db.Model):
    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("award_id", "kind", name="uq_report_award_kind"),
        CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name="submitted_has_time"),
        CheckConstraint("status NOT IN ('accepted', 'failed') OR reviewed_at IS NOT NULL", name="reviewed_has_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, 20))
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus, 20), default=ReportStatus.DRAFT, index=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    narrative: Mapped[str] = mapped_column(Text, default="")      # 执行情况
    problems: Mapped[str] = mapped_column(Text, default="")       # 问题与改进
    # Beneficiaries served by target group: {"elderly": 120, ...} (ServiceTarget values).
    beneficiaries: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first submission: a report is late when this falls after the due date (Asia/Shanghai),
    # whatever happens after a return. Read by the organization's credit (app/orgs/credit.py).
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many times the officer returned it for correction (退回修改次数).
    times_returned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[ReportRating | None] = mapped_column(enum_type(ReportRating, 20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    award = relationship("Award", lazy="joined")
    indicators = relationship("ReportIndicator", cascade="all, delete-orphan", lazy="selectin",
                              order_by="ReportIndicator.id")
    expenses = relationship("ReportExpense", cascade="all, delete-orphan", lazy="selectin",
                            order_by="ReportExpense.id")
    photos = relationship("ReportPhoto", cascade="all, delete-orphan", order_by="ReportPhoto.id")


class ReportIndicator(db.Model):
    """The actual value reached on one of the application's outcome indicators."""

    __tablename__ = "report_indicator"
    __table_args__ = (
        UniqueConstraint("report_id", "indicator_id", name="uq_report_indicator"),
        CheckConstraint("actual >= 0", name="actual_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("outcome_indicator.id", ondelete="RESTRICT"))
    actual: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(String(300), default="")

    indicator = relationship("OutcomeIndicator", lazy="joined")


class ReportExpense(db.Model):
    """Money spent so far on one budget line of the application (execution rate = spent /
    planned)."""

    __tablename__ = "report_expense"
    __table_args__ = (
        UniqueConstraint("report_id", "budget_line_id", name="uq_report_expense_line"),
        CheckConstraint("spent_fen >= 0", name="spent_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id", ondelete="RESTRICT"))
    spent_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(300), default="")

    budget_line = relationship("BudgetLine", lazy="joined")


class ReportPhoto(db.Model):
    """A photo of the project's activities (PNG/JPEG, stored through app.core.uploads)."""

    __tablename__ = "report_photo"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    caption: Mapped[str] = mapped_column(String(200), default="")
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

"""Public notice (公示), objections (异议) and awards (立项).

A call's recommended list is published as one Notice for ``call.notice_working_days``
working days (app.core.workdays.notice_period). Anyone may object; every objection must be
answered (answers are public) before the notice can close; an upheld objection cancels
that recommendation. Closing the notice makes the award decision: one Award per
recommendation still standing.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger, CheckConstraint, ForeignKey, Integer, Numeric, String, Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.core.enums import LabeledEnum, N_, enum_type
from app.extensions import db


class Notice(db.Model):
    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), unique=True)
    intro: Mapped[str] = mapped_column(Text, default="")      # 公示说明 written by the officer
    contact: Mapped[str] = mapped_column(String(200), default="")  # 受理异议的联系方式 (public)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())   # end of the last working day
    working_days: Mapped[int] = mapped_column(Integer)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    call = relationship("Call", lazy="joined")
    objections = relationship("Objection", back_populates="notice", cascade="all, delete-orphan",
                              order_by="Objection.id")

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ObjectionStatus(LabeledEnum):
    OPEN = "open", N_("待答复")
    UPHELD = "upheld", N_("异议成立")
    DISMISSED = "dismissed", N_("异议不成立")


class Objection(db.Model):
    """异议. ``name`` and ``content`` and the answer are public; ``contact`` is seen only
    by the funder's staff."""

    __tablename__ = "objection"
    __table_args__ = (
        CheckConstraint("status = 'open' OR answered_at IS NOT NULL", name="answered_has_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    # The recommendation objected to; null for an objection to the list as a whole.
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    contact: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ObjectionStatus] = mapped_column(
        enum_type(ObjectionStatus, 20), default=ObjectionStatus.OPEN, index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    notice = relationship("Notice", back_populates="objections")
    application = relationship("Application", lazy="joined")


class Award(db.Model):
    """立项: the award decision for one application. Issue 5 (money) hangs the fund-source
    split, agreement and installments on it."""

    __tablename__ = "award"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)   # 立项编号
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="RESTRICT"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="RESTRICT"), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    final_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    rank: Mapped[int] = mapped_column(Integer)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    call = relationship("Call", lazy="joined")
    application = relationship("Application", lazy="joined")
    organization = relationship("Organization", lazy="joined")

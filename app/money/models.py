"""Money (issue 5): fund sources, the double-entry journal, award funding splits, agreements,
installments, payments, refunds and donations.

**The journal is the only source of balances.** Every movement is a JournalEntry whose
JournalLines sum to zero. A line names an account by (kind, fund source, call, award); a
balance is the sum of the lines of an account — never a stored counter. Debits are
positive, credits negative. The postings (app.money.ledger does them, nothing else):

====================  ===============================  ================================
entry kind            debit (+)                        credit (−)
====================  ===============================  ================================
appropriation 拨入     available(fs)                    appropriation(fs)
allocation 分配        allocated(fs, call)              available(fs)
commitment 承诺        committed(fs, call, award)       allocated(fs, call)
payment 支付           paid(fs, call, award)            committed(fs, call, award)
release 释放           allocated(fs, call)              committed(fs, call, award)
refund 退回            available(fs)                    refunded(fs, call, award)
donation 捐赠          available(fs)                    donations(fs)
reversal 冲正          the original's lines, negated
====================  ===============================  ================================

Corrections are reversing entries, never edits or deletes.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.core.enums import LabeledEnum, N_, enum_type
from app.extensions import db


# --------------------------------------------------------------------------- fund sources

class FundSourceKind(LabeledEnum):
    WELFARE_LOTTERY = "welfare_lottery", N_("福彩公益金")
    COMMUNITY_FOUNDATION = "community_foundation", N_("社区基金会资金")
    GOVERNMENT_PURCHASE = "government_purchase", N_("政府购买服务资金")
    INCUBATION = "incubation", N_("孵化培育资金")
    DONATION = "donation", N_("社会捐赠")


class FundSource(db.Model):
    """资金来源: money of one kind, owned by a funder, for one fiscal year. ``amount_fen``
    is the appropriation as decided; it enters the journal as an appropriation entry.
    A fund that ``accepts_donations`` has a public donation page (target, raised)."""

    __tablename__ = "fund_source"
    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="amount_non_negative"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year_range"),
        CheckConstraint("donation_target_fen >= 0", name="target_non_negative"),
        UniqueConstraint("funder_id", "name", "fiscal_year", name="uq_fund_source_name_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[FundSourceKind] = mapped_column(enum_type(FundSourceKind, 30), index=True)
    name: Mapped[str] = mapped_column(String(100))
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    accepts_donations: Mapped[bool] = mapped_column(Boolean, default=False)
    donation_target_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    funder = relationship("Funder", lazy="joined")

    @property
    def is_welfare_lottery(self) -> bool:
        return self.kind == FundSourceKind.WELFARE_LOTTERY


# --------------------------------------------------------------------------- journal

class AccountKind(LabeledEnum):
    APPROPRIATION = "appropriation", N_("资金拨入")
    AVAILABLE = "available", N_("可用余额")
    ALLOCATED = "allocated", N_("已分配至征集")
    COMMITTED = "committed", N_("已承诺（待支付）")
    PAID = "paid", N_("已支付")
    REFUNDED = "refunded", N_("已退回")
    DONATIONS = "donations", N_("捐赠收入")


class EntryKind(LabeledEnum):
    APPROPRIATION = "appropriation", N_("资金拨入")
    ALLOCATION = "allocation", N_("分配至征集")
    COMMITMENT = "commitment", N_("立项承诺")
    PAYMENT = "payment", N_("拨付")
    RELEASE = "release", N_("释放未用承诺")
    REFUND = "refund", N_("资金退回")
    DONATION = "donation", N_("捐赠入账")
    REVERSAL = "reversal", N_("冲正")


class JournalEntry(db.Model):
    __tablename__ = "journal_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(enum_type(EntryKind, 20), index=True)
    memo: Mapped[str] = mapped_column(String(500), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # A reversal names the entry it reverses; an entry is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id", ondelete="RESTRICT"), unique=True)
    # What the entry records (e.g. "payment", 12) — for links from the journal.
    source_type: Mapped[str] = mapped_column(String(30), default="")
    source_id: Mapped[int | None] = mapped_column(Integer)

    lines = relationship("JournalLine", back_populates="entry", cascade="all, delete-orphan",
                         lazy="selectin", order_by="JournalLine.id")
    posted_by = relationship("User", lazy="joined")


class JournalLine(db.Model):
    __tablename__ = "journal_line"
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="amount_non_zero"),
        Index("ix_journal_line_account", "account", "fund_source_id", "call_id", "award_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id", ondelete="RESTRICT"), index=True)
    account: Mapped[AccountKind] = mapped_column(enum_type(AccountKind, 20))
    fund_source_id: Mapped[int] = mapped_column(ForeignKey("fund_source.id", ondelete="RESTRICT"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="RESTRICT"), index=True)
    award_id: Mapped[int | None] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)   # debit > 0, credit < 0

    entry = relationship("JournalEntry", back_populates="lines")


# --------------------------------------------------------------------------- award funding

class AwardFunding(db.Model):
    """How an award is split across fund sources (the commitment posted per row)."""

    __tablename__ = "award_funding"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("award_id", "fund_source_id", name="uq_award_funding_source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"), index=True)
    fund_source_id: Mapped[int] = mapped_column(ForeignKey("fund_source.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id", ondelete="RESTRICT"))

    fund_source = relationship("FundSource", lazy="joined")


# --------------------------------------------------------------------------- agreements

class AgreementStatus(LabeledEnum):
    GENERATED = "generated", N_("待签署")
    UPLOADED = "uploaded", N_("已上传签署件，待确认")
    SIGNED = "signed", N_("已生效")


class Agreement(db.Model):
    """资助协议 / 购买服务合同 of an award. The PDF is generated from the award, call and
    organization; the organization uploads the signed scan; the officer confirms it,
    which makes it effective (SIGNED) and fires the agreement_signed trigger."""

    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint("status <> 'signed' OR signed_at IS NOT NULL", name="signed_has_time"),
        CheckConstraint("status = 'generated' OR scan_stored_name IS NOT NULL", name="uploaded_has_scan"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)      # 协议编号
    status: Mapped[AgreementStatus] = mapped_column(
        enum_type(AgreementStatus, 20), default=AgreementStatus.GENERATED, index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The signed scan (stored through app.core.uploads).
    scan_original_name: Mapped[str | None] = mapped_column(String(200))
    scan_stored_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    scan_content_type: Mapped[str | None] = mapped_column(String(100))
    scan_size_bytes: Mapped[int | None] = mapped_column(Integer)
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    return_reason: Mapped[str] = mapped_column(String(500), default="")  # scan refused by the officer

    award = relationship("Award", lazy="joined")


# --------------------------------------------------------------------------- installments

class InstallmentStatus(LabeledEnum):
    WAITING = "waiting", N_("未到拨付条件")
    DUE = "due", N_("可申请拨付")
    REQUESTED = "requested", N_("已申请，待财务审核")
    PAID = "paid", N_("已拨付")
    WITHHELD = "withheld", N_("暂停拨付")


class Installment(db.Model):
    """One installment of an award, from the call's template (percent of the award; the
    fen remainder goes to the last). WAITING → DUE when its trigger fires → REQUESTED by the
    program officer → PAID by a finance officer; WITHHELD after a failed midterm."""

    __tablename__ = "installment"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("percent > 0 AND percent <= 100", name="percent_range"),
        UniqueConstraint("award_id", "position", name="uq_installment_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    percent: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(30))   # app.calls.models.InstallmentTrigger value
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[InstallmentStatus] = mapped_column(
        enum_type(InstallmentStatus, 20), default=InstallmentStatus.WAITING, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    withheld_reason: Mapped[str] = mapped_column(String(500), default="")

    award = relationship("Award", lazy="joined")
    payments = relationship("Payment", back_populates="installment", order_by="Payment.id")

    @property
    def payment(self) -> "Payment | None":
        """The payment in force (a reversed one stays in ``payments`` as history)."""
        return next((p for p in self.payments if p.reversed_entry_id is None), None)


class PaymentMethod(LabeledEnum):
    BANK_TRANSFER = "bank_transfer", N_("银行转账")
    STRIPE_TRANSFER = "stripe_transfer", N_("Stripe 转账")


class Payment(db.Model):
    """付款: the finance officer's approval and the payment of one installment. An
    installment has at most one payment in force (partial UNIQUE index on installment_id
    where not reversed): a double payment is impossible even under racing approvals. A
    reversed payment keeps its row and gains its reversal entry; the installment can then be
    paid anew with a new row."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("uq_payment_installment_in_force", "installment_id", unique=True,
              postgresql_where=text("reversed_entry_id IS NULL"), sqlite_where=text("reversed_entry_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installment.id", ondelete="RESTRICT"), index=True)
    voucher_number: Mapped[str] = mapped_column(String(40), unique=True)   # 付款凭证号
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[PaymentMethod] = mapped_column(enum_type(PaymentMethod, 20))
    reference: Mapped[str] = mapped_column(String(100))    # bank serial number / Stripe transfer id
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id", ondelete="RESTRICT"), unique=True)
    reversed_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id", ondelete="RESTRICT"))
    reversal_reason: Mapped[str] = mapped_column(String(500), default="")

    installment = relationship("Installment", back_populates="payments")
    approved_by = relationship("User", foreign_keys=[approved_by_id], lazy="joined")


class Refund(db.Model):
    """资金退回: money an organization returned (unused funds, recovery), credited back to
    the fund source's available balance."""

    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"), index=True)
    fund_source_id: Mapped[int] = mapped_column(ForeignKey("fund_source.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id", ondelete="RESTRICT"), unique=True)

    fund_source = relationship("FundSource", lazy="joined")


# --------------------------------------------------------------------------- donations

class DonationStatus(LabeledEnum):
    PENDING = "pending", N_("待支付")
    PAID = "paid", N_("已到账")
    EXPIRED = "expired", N_("已过期")


class Donation(db.Model):
    """A public donation to a fund through Stripe Checkout. The row is written (PENDING)
    before Stripe is called; the webhook credits the fund once (PAID + a donation entry)."""

    __tablename__ = "donation"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status <> 'paid' OR entry_id IS NOT NULL", name="paid_has_entry"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund_source_id: Mapped[int] = mapped_column(ForeignKey("fund_source.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    donor_name: Mapped[str] = mapped_column(String(50), default="")   # empty = anonymous (匿名)
    donor_email: Mapped[str] = mapped_column(String(254), default="")  # private; receipt by email
    message: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[DonationStatus] = mapped_column(
        enum_type(DonationStatus, 20), default=DonationStatus.PENDING, index=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    receipt_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id", ondelete="RESTRICT"), unique=True)

    fund_source = relationship("FundSource", lazy="joined")


class StripeEvent(db.Model):
    """Each Stripe webhook event handled, stored in the same transaction as its effect: a
    retried event finds its id here and changes nothing."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id", ondelete="SET NULL"))

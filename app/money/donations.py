"""Donations (社会捐赠): public fund pages, Stripe Checkout, the webhook that credits a fund
exactly once, and the donation receipt (捐赠票据).

The flow (SPEC §5, QUALITY "Stripe"):

1. ``start_donation`` writes the Donation row PENDING; the view **commits it** before
   Stripe is called, so a payment can always be matched to a row.
2. ``open_checkout`` creates a Checkout Session (card, Alipay, WeChat Pay; CNY; the amount
   in fen) with the idempotency key ``donation-<id>`` — a retry never opens a second
   session — and stores the session id.
3. Stripe calls the webhook. ``handle_event`` stores the event id (primary key) **in the
   same transaction** as the donation's change and its ledger entry: a repeated event
   finds its id and does nothing; a second, different event for the same session finds
   the donation PAID and credits nothing. The row of the donation is locked (PostgreSQL
   ``FOR UPDATE``) before the event is stored and the donation read, so two events
   racing for one session are serialized; on SQLite the second writer fails and Stripe retries. Credit happens only
   when the session is paid (``payment_status == "paid"``; delayed methods wait for
   ``checkout.session.async_payment_succeeded``) and the amount Stripe took equals the
   donation's amount in CNY.

Donors are not users: the thanks page and the receipt are reached through a signed token
(the donation id signed with the app's secret), never a guessable id.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.core import audit
from app.core.db import utcnow
from app.core.errors import Conflict, ValidationError
from app.core.forms import CONTROL_CHARS
from app.core.money import format_fen, parse_yuan
from app.extensions import db
from app.money import ledger, stripe_client
from app.money.models import AccountKind, Donation, DonationStatus, FundSource, StripeEvent

log = logging.getLogger(__name__)

NAME_MAX = 50
EMAIL_MAX = 254
MESSAGE_MAX = 200
RECENT_DONATIONS = 10
PRESET_YUAN = (50, 100, 200, 500)
PAYMENT_METHODS = ("card", "alipay", "wechat_pay")
CURRENCY = "cny"

EVENT_COMPLETED = "checkout.session.completed"
EVENT_ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
EVENT_ASYNC_FAILED = "checkout.session.async_payment_failed"
EVENT_EXPIRED = "checkout.session.expired"
HANDLED_EVENTS = (EVENT_COMPLETED, EVENT_ASYNC_SUCCEEDED, EVENT_ASYNC_FAILED, EVENT_EXPIRED)


def online_giving_enabled() -> bool:
    return stripe_client.configured()


# --------------------------------------------------------------------------- public pages

@dataclass(frozen=True)
class Progress:
    target_fen: int
    raised_fen: int
    donors: int

    @property
    def percent(self) -> int:
        """Share of the target raised, 0–100 (a fund without a target shows none)."""
        if self.target_fen <= 0:
            return 0
        return min(100, self.raised_fen * 100 // self.target_fen)


def public_funds_query():
    """Funds with a public donation page, newest fiscal year first."""
    return (select(FundSource).where(FundSource.accepts_donations.is_(True))
            .order_by(FundSource.fiscal_year.desc(), FundSource.id))


def get_public_fund(fund_id: int) -> FundSource | None:
    fund = db.session.get(FundSource, fund_id)
    return fund if fund is not None and fund.accepts_donations else None


def progress(funds: list[FundSource]) -> dict[int, Progress]:
    """Target, raised (the funds' donations account in the ledger) and the number of paid
    donations, for each fund — two queries for any number of funds."""
    ids = [f.id for f in funds]
    if not ids:
        return {}
    raised = ledger.balances(by=("fund_source_id",), fund_source_id=ids)
    donors = dict(db.session.execute(
        select(Donation.fund_source_id, func.count(Donation.id))
        .where(Donation.fund_source_id.in_(ids), Donation.status == DonationStatus.PAID)
        .group_by(Donation.fund_source_id)).all())
    return {f.id: Progress(target_fen=f.donation_target_fen or 0,
                           raised_fen=-raised.get((f.id,), {}).get(AccountKind.DONATIONS, 0),
                           donors=int(donors.get(f.id, 0)))
            for f in funds}


def recent_donations(fund: FundSource, limit: int = RECENT_DONATIONS) -> list[Donation]:
    return list(db.session.scalars(
        select(Donation).where(Donation.fund_source_id == fund.id, Donation.status == DonationStatus.PAID)
        .order_by(Donation.paid_at.desc(), Donation.id.desc()).limit(limit)))


def donor_label(donation: Donation) -> str:
    return donation.donor_name or _("匿名")


# --------------------------------------------------------------------------- tokens

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="donation")


def donation_token(donation: Donation) -> str:
    """The donor's link to the thanks page and the receipt: the id, signed (no expiry —
    a receipt is kept for years)."""
    return _serializer().dumps(donation.id)


def donation_from_token(token: str) -> Donation | None:
    try:
        donation_id = _serializer().loads(token)
    except BadSignature:
        return None
    if isinstance(donation_id, bool) or not isinstance(donation_id, int) or not 0 < donation_id < 2**31:
        return None
    return db.session.get(Donation, donation_id)


# --------------------------------------------------------------------------- giving

def parse_amount(text: str | None) -> int:
    """The amount typed in yuan as fen, within DONATION_MIN_YUAN..DONATION_MAX_YUAN."""
    minimum = int(current_app.config.get("DONATION_MIN_YUAN", 1)) * 100
    maximum = int(current_app.config.get("DONATION_MAX_YUAN", 50000)) * 100
    try:
        fen = parse_yuan(text)
    except ValidationError as err:
        raise ValidationError(err.message, field="amount") from None
    if fen < minimum or fen > maximum:
        raise ValidationError(_("单笔捐赠金额须在 %(minimum)s 至 %(maximum)s 之间。",
                                minimum=format_fen(minimum), maximum=format_fen(maximum)), field="amount")
    return fen


def _text(value: str | None, limit: int, field: str, label: str) -> str:
    value = (value or "").strip()
    if CONTROL_CHARS.search(value):
        raise ValidationError(_("不能包含控制字符。"), field=field)
    if len(value) > limit:
        raise ValidationError(_("%(label)s不能超过 %(max)s 个字。", label=label, max=limit), field=field)
    return value


def start_donation(fund: FundSource, *, amount: str | None, donor_name: str | None = "",
                   donor_email: str | None = "", message: str | None = "", anonymous: bool = False) -> Donation:
    """Write the PENDING donation (flushed; the caller commits before calling Stripe)."""
    if not fund.accepts_donations:
        raise Conflict(_("该基金目前不接受捐赠。"))
    if not online_giving_enabled():
        raise Conflict(_("在线捐赠尚未开通（未配置支付参数）。"))
    fen = parse_amount(amount)
    name = _text(donor_name, NAME_MAX, "donor_name", _("姓名"))
    email = _text(donor_email, EMAIL_MAX, "donor_email", _("邮箱")).lower()
    if email and ("@" not in email or " " in email):
        raise ValidationError(_("邮箱格式不正确。"), field="donor_email")
    note = _text(message, MESSAGE_MAX, "message", _("留言"))
    donation = Donation(fund_source_id=fund.id, amount_fen=fen, donor_name="" if anonymous else name,
                        donor_email=email, message=note, status=DonationStatus.PENDING)
    db.session.add(donation)
    db.session.flush()
    return donation


def checkout_params(donation: Donation, *, success_url: str, cancel_url: str) -> dict[str, Any]:
    fund = donation.fund_source
    params: dict[str, Any] = {
        "mode": "payment",
        "currency": CURRENCY,
        "payment_method_types": list(PAYMENT_METHODS),
        "payment_method_options": {"wechat_pay": {"client": "web"}},
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": CURRENCY,
                "unit_amount": donation.amount_fen,
                "product_data": {"name": _("捐赠：%(fund)s", fund=fund.name)[:250],
                                 "description": fund.funder.name[:250]},
            },
        }],
        "client_reference_id": str(donation.id),
        "metadata": {"donation_id": str(donation.id), "fund_source_id": str(fund.id)},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "submit_type": "donate",
    }
    if donation.donor_email:
        params["customer_email"] = donation.donor_email
    return params


def open_checkout(donation: Donation, *, success_url: str, cancel_url: str) -> str:
    """Create the Checkout Session (idempotency key ``donation-<id>``), store its id and
    return the URL the donor pays at. A Stripe failure marks the donation EXPIRED (no
    money can arrive for a session nobody can open) and raises Conflict with a friendly
    message; the caller commits either way."""
    if donation.status != DonationStatus.PENDING:
        raise Conflict(_("这笔捐赠已处理，无需再次支付。"))
    try:
        session = stripe_client.create_checkout_session(
            checkout_params(donation, success_url=success_url, cancel_url=cancel_url),
            idempotency_key=f"donation-{donation.id}")
        session_id, url = session.get("id"), session.get("url")
        if not isinstance(session_id, str) or not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise stripe_client.StripeError("Checkout Session without id or url")
    except stripe_client.StripeError as err:
        log.warning("Stripe Checkout Session for donation %s failed: %s", donation.id, err)
        donation.status = DonationStatus.EXPIRED
        raise Conflict(_("支付服务暂时无法连接，这笔捐赠没有扣款。请稍后再试。")) from None
    donation.checkout_session_id = session_id
    return url


@dataclass(frozen=True)
class CheckoutState:
    """What Stripe says about a donation's session: open (url to pay at), complete,
    expired, or unknown (not configured, Stripe unreachable)."""
    status: str
    url: str | None = None
    payment_status: str | None = None


def checkout_state(donation: Donation) -> CheckoutState:
    if not donation.checkout_session_id or not online_giving_enabled():
        return CheckoutState("unknown")
    try:
        session = stripe_client.retrieve_checkout_session(donation.checkout_session_id)
    except stripe_client.StripeError as err:
        log.warning("Stripe retrieve of %s failed: %s", donation.checkout_session_id, err)
        return CheckoutState("unknown")
    status = session.get("status") if session.get("status") in ("open", "complete", "expired") else "unknown"
    url = session.get("url") if isinstance(session.get("url"), str) else None
    return CheckoutState(status, url if status == "open" else None, session.get("payment_status"))


# --------------------------------------------------------------------------- the webhook

def receipt_number_for(donation: Donation, when: datetime) -> str:
    """捐赠票据号 JZ<year>-<id, 6 digits> (the year in Beijing time); unique by id."""
    from app.core.pdf import local_time

    return f"JZ{local_time(when, '%Y')}-{donation.id:06d}"


def _find_donation(session: dict[str, Any]) -> Donation | None:
    """The donation of a Checkout Session: by the stored session id, else by the id the
    session carries (client_reference_id / metadata) when no session was stored yet (the
    app stopped between Stripe's answer and its commit)."""
    session_id = session.get("id")
    if isinstance(session_id, str) and session_id:
        donation = db.session.scalar(select(Donation).where(Donation.checkout_session_id == session_id))
        if donation is not None:
            return donation
    ref = session.get("client_reference_id") or (session.get("metadata") or {}).get("donation_id")
    if isinstance(ref, str) and ref.isascii() and ref.isdigit() and 0 < len(ref) < 10:
        donation = db.session.get(Donation, int(ref))
        if donation is not None and donation.checkout_session_id is None:
            return donation
    return None


def _lock(donation: Donation) -> Donation:
    return db.session.execute(
        select(Donation).where(Donation.id == donation.id).with_for_update(of=Donation)
        .execution_options(populate_existing=True)).scalar_one()


def handle_event(event: dict[str, Any]) -> str:
    """Apply one verified webhook event; the caller commits. Returns what happened:
    ignored, duplicate, unknown, waiting, credited, already_paid, mismatch, expired,
    unchanged."""
    event_id, event_type = event.get("id"), event.get("type")
    if event_type not in HANDLED_EVENTS or not isinstance(event_id, str) or not event_id:
        return "ignored"
    if db.session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    session = (event.get("data") or {}).get("object") or {}
    if not isinstance(session, dict):
        session = {}
    donation = _find_donation(session)
    if donation is not None:
        # Lock the donation before the event row is written: the event's foreign key takes
        # a share lock on the donation, and taking FOR UPDATE after it would deadlock two
        # deliveries for one session.
        donation = _lock(donation)
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(id=event_id[:255], type=event_type[:100],
                                       donation_id=donation.id if donation else None))
    except IntegrityError:  # the same event, handled by a concurrent request
        return "duplicate"
    if donation is None:
        log.warning("Stripe event %s (%s) names no known donation (session %r)", event_id, event_type,
                    session.get("id"))
        return "unknown"
    if donation.checkout_session_id is None and isinstance(session.get("id"), str):
        donation.checkout_session_id = session["id"]

    if event_type in (EVENT_EXPIRED, EVENT_ASYNC_FAILED):
        if donation.status != DonationStatus.PENDING:
            return "unchanged"
        donation.status = DonationStatus.EXPIRED
        audit.record(None, "donation.expired", donation, after={"event": event_id, "type": event_type})
        return "expired"

    if event_type == EVENT_COMPLETED and session.get("payment_status") != "paid":
        return "waiting"   # a delayed method: async_payment_succeeded will follow
    if donation.status == DonationStatus.PAID:
        return "already_paid"
    amount, currency = session.get("amount_total"), str(session.get("currency") or "").lower()
    if isinstance(amount, bool) or not isinstance(amount, int) or amount != donation.amount_fen \
            or currency != CURRENCY:
        log.error("Stripe event %s: donation %s expects %s fen CNY, session says %r %r; not credited",
                  event_id, donation.id, donation.amount_fen, amount, currency)
        audit.record(None, "donation.amount_mismatch", donation,
                     after={"event": event_id, "amount_total": amount, "currency": currency,
                            "expected": donation.amount_fen})
        return "mismatch"
    now = utcnow()
    receipt = receipt_number_for(donation, now)
    entry = ledger.donate(donation.fund_source, amount, source=("donation", donation.id),
                          memo=_("捐赠入账 %(receipt)s（%(donor)s）", receipt=receipt, donor=donor_label(donation)))
    donation.entry_id = entry.id
    donation.status = DonationStatus.PAID
    donation.paid_at = now
    donation.receipt_number = receipt
    audit.record(None, "donation.paid", donation,
                 after={"event": event_id, "amount_fen": amount, "receipt_number": receipt, "entry_id": entry.id})
    return "credited"


# --------------------------------------------------------------------------- staff

def staff_funder_ids(user: Any) -> list[int] | None:
    """Funders whose donations the user sees: all for admins (None), else their own."""
    if user.is_admin:
        return None
    return sorted({m.funder_id for m in user.staff_memberships})


def staff_funds(user: Any) -> list[FundSource]:
    """Funds the user's donation list can be filtered by: those that take donations or
    have received some."""
    has_donations = select(Donation.fund_source_id)
    stmt = select(FundSource).where(or_(FundSource.accepts_donations.is_(True), FundSource.id.in_(has_donations)))
    ids = staff_funder_ids(user)
    if ids is not None:
        stmt = stmt.where(FundSource.funder_id.in_(ids))
    return list(db.session.scalars(stmt.order_by(FundSource.fiscal_year.desc(), FundSource.name)))


def _staff_filter(stmt, user: Any, *, fund_id: int | None, status: DonationStatus | None, q: str | None):
    ids = staff_funder_ids(user)
    if ids is not None:
        stmt = stmt.where(Donation.fund_source_id.in_(select(FundSource.id).where(FundSource.funder_id.in_(ids))))
    if fund_id is not None:
        stmt = stmt.where(Donation.fund_source_id == fund_id)
    if status is not None:
        stmt = stmt.where(Donation.status == status)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Donation.donor_name.ilike(like, escape="\\"),
                              Donation.donor_email.ilike(like, escape="\\"),
                              Donation.receipt_number.ilike(like, escape="\\"),
                              Donation.checkout_session_id.ilike(like, escape="\\")))
    return stmt


def staff_donations(user: Any, *, fund_id: int | None = None, status: DonationStatus | None = None,
                    q: str | None = None):
    """The donations of the user's funders, newest first (a select to paginate)."""
    return _staff_filter(select(Donation), user, fund_id=fund_id, status=status, q=q).order_by(
        Donation.created_at.desc(), Donation.id.desc())


def staff_totals(user: Any, *, fund_id: int | None = None, status: DonationStatus | None = None,
                 q: str | None = None) -> dict[DonationStatus, tuple[int, int]]:
    """Per status: (count, sum of fen) of the filtered donations — one query."""
    stmt = _staff_filter(select(Donation.status, func.count(Donation.id), func.coalesce(func.sum(Donation.amount_fen), 0)),
                         user, fund_id=fund_id, status=status, q=q).group_by(Donation.status)
    out = {s: (0, 0) for s in DonationStatus}
    for row_status, count, total in db.session.execute(stmt):
        out[row_status] = (int(count), int(total or 0))
    return out

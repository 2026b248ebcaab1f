"""The Stripe webhook credits a fund exactly once (QUALITY "Stripe"): signed events from the
local fake server's sessions, signed locally with the test secret."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEntry
from app.extensions import db as _db
from app.money import donations as service
from app.money import ledger
from app.money.models import AccountKind, Donation, DonationStatus, EntryKind, JournalEntry, StripeEvent
from tests.factories import make_funder, make_fund_source
from tests.money.fake_stripe import FakeStripe, fake_stripe, fake_stripe_server, stripe_on  # noqa: F401

WEBHOOK = "/stripe/webhook"


@pytest.fixture
def fund(db):
    from app.money.models import FundSourceKind

    return make_fund_source(make_funder(), amount_fen=0, appropriate=False, kind=FundSourceKind.DONATION,
                            name="阳光社区发展基金", accepts_donations=True, donation_target_fen=5_000_000)


def _pending(fund, amount="200", **kw) -> Donation:
    donation = service.start_donation(fund, amount=amount, donor_name=kw.pop("donor_name", "李女士"),
                                      donor_email="li@example.cn", **kw)
    _db.session.commit()
    service.open_checkout(donation, success_url="http://localhost/thanks", cancel_url="http://localhost/fund")
    _db.session.commit()
    return donation


def _post(client, payload: str, header: str | None):
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post(WEBHOOK, data=payload.encode(), headers=headers)


def _send(client, fake: FakeStripe, event_type: str, session: dict, event_id: str | None = None):
    payload = fake.event(event_type, session, event_id)
    return _post(client, payload, fake.sign(payload))


def _raised(fund) -> int:
    return -ledger.balance(AccountKind.DONATIONS, fund_source_id=fund.id)


def _entries(fund) -> int:
    return _db.session.scalar(select(func.count(JournalEntry.id)).where(
        JournalEntry.kind == EntryKind.DONATION, JournalEntry.source_type == "donation",
        JournalEntry.source_id.in_(select(Donation.id).where(Donation.fund_source_id == fund.id))))


def _events() -> int:
    return _db.session.scalar(select(func.count()).select_from(StripeEvent))


def test_good_event_credits_once(client, fund, stripe_on):
    donation = _pending(fund)
    session = stripe_on.complete(donation.checkout_session_id)
    resp = _send(client, stripe_on, "checkout.session.completed", session, "evt_good_1")
    assert resp.status_code == 200 and resp.get_json()["result"] == "credited"
    donation = _db.session.get(Donation, donation.id)
    assert donation.status == DonationStatus.PAID
    assert donation.receipt_number and donation.receipt_number.startswith("JZ") and str(donation.id) in donation.receipt_number
    assert donation.paid_at is not None
    entry = _db.session.get(JournalEntry, donation.entry_id)
    assert entry.kind == EntryKind.DONATION and sum(ln.amount_fen for ln in entry.lines) == 0
    assert {(ln.account, ln.amount_fen) for ln in entry.lines} == {(AccountKind.AVAILABLE, 20_000),
                                                                  (AccountKind.DONATIONS, -20_000)}
    assert _raised(fund) == 20_000
    assert ledger.balance(AccountKind.AVAILABLE, fund_source_id=fund.id) == 20_000
    event = _db.session.get(StripeEvent, "evt_good_1")
    assert event.donation_id == donation.id and event.type == "checkout.session.completed"
    assert _db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "donation.paid")) == 1


def test_same_event_again_changes_nothing(client, fund, stripe_on):
    donation = _pending(fund)
    session = stripe_on.complete(donation.checkout_session_id)
    payload = stripe_on.event("checkout.session.completed", session, "evt_retry")
    assert _post(client, payload, stripe_on.sign(payload)).status_code == 200
    events, raised = _events(), _raised(fund)
    # Stripe retries with the same body (and a fresh signature).
    resp = _post(client, payload, stripe_on.sign(payload))
    assert resp.status_code == 200 and resp.get_json()["result"] == "duplicate"
    assert (_events(), _raised(fund), _entries(fund)) == (events, raised, 1)


def test_second_event_for_same_session_credits_nothing(client, fund, stripe_on):
    donation = _pending(fund)
    session = stripe_on.complete(donation.checkout_session_id)
    assert _send(client, stripe_on, "checkout.session.completed", session, "evt_a").status_code == 200
    resp = _send(client, stripe_on, "checkout.session.async_payment_succeeded", session, "evt_b")
    assert resp.status_code == 200 and resp.get_json()["result"] == "already_paid"
    assert _db.session.get(StripeEvent, "evt_b") is not None   # recorded, nothing credited
    assert _raised(fund) == 20_000 and _entries(fund) == 1


def _bad_requests(fake: FakeStripe, session: dict):
    payload = fake.event("checkout.session.completed", session, "evt_bad")
    yield "wrong secret", payload, fake.sign(payload, secret="whsec_someone_else")
    yield "edited body", payload.replace('"amount_total": 20000', '"amount_total": 2000000'), fake.sign(payload)
    yield "stale timestamp", payload, fake.sign(payload, timestamp=int(time.time()) - 3600)
    yield "no header", payload, None
    yield "garbage header", payload, "t=abc,v1=zzz"
    yield "not json", "not json", fake.sign("not json")


def test_bad_signature_edited_body_stale_timestamp_answer_400_and_write_nothing(client, fund, stripe_on):
    donation = _pending(fund)
    session = stripe_on.complete(donation.checkout_session_id)
    audit_rows = _db.session.scalar(select(func.count(AuditEntry.id)))
    for name, payload, header in _bad_requests(stripe_on, session):
        resp = _post(client, payload, header)
        assert resp.status_code == 400, name
    assert _events() == 0 and _raised(fund) == 0
    assert _db.session.get(Donation, donation.id).status == DonationStatus.PENDING
    assert _db.session.scalar(select(func.count(AuditEntry.id))) == audit_rows


def test_webhook_refuses_everything_without_a_configured_secret(client, fund, stripe_on, app, monkeypatch):
    donation = _pending(fund)
    session = stripe_on.complete(donation.checkout_session_id)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "")
    payload = stripe_on.event("checkout.session.completed", session)
    assert _post(client, payload, stripe_on.sign(payload, secret="")).status_code == 400
    assert _events() == 0


def test_unpaid_completion_waits_for_async_success(client, fund, stripe_on):
    donation = _pending(fund)
    session = stripe_on.complete(donation.checkout_session_id, payment_status="unpaid")
    resp = _send(client, stripe_on, "checkout.session.completed", session, "evt_unpaid")
    assert resp.get_json()["result"] == "waiting"
    assert _db.session.get(Donation, donation.id).status == DonationStatus.PENDING and _raised(fund) == 0
    session = stripe_on.complete(donation.checkout_session_id, payment_status="paid")
    resp = _send(client, stripe_on, "checkout.session.async_payment_succeeded", session, "evt_async_ok")
    assert resp.get_json()["result"] == "credited"
    assert _db.session.get(Donation, donation.id).status == DonationStatus.PAID and _raised(fund) == 20_000


def test_async_failure_and_expiry_mark_expired(client, fund, stripe_on):
    failed = _pending(fund)
    session = stripe_on.complete(failed.checkout_session_id, payment_status="unpaid")
    assert _send(client, stripe_on, "checkout.session.async_payment_failed", session).get_json()["result"] == "expired"
    expired = _pending(fund, amount="50")
    session = stripe_on.expire(expired.checkout_session_id)
    assert _send(client, stripe_on, "checkout.session.expired", session).get_json()["result"] == "expired"
    assert _db.session.get(Donation, failed.id).status == DonationStatus.EXPIRED
    assert _db.session.get(Donation, expired.id).status == DonationStatus.EXPIRED
    assert _raised(fund) == 0


def test_expiry_after_payment_leaves_the_donation_paid(client, fund, stripe_on):
    donation = _pending(fund)
    session = stripe_on.complete(donation.checkout_session_id)
    _send(client, stripe_on, "checkout.session.completed", session)
    resp = _send(client, stripe_on, "checkout.session.expired", session)
    assert resp.get_json()["result"] == "unchanged"
    assert _db.session.get(Donation, donation.id).status == DonationStatus.PAID


@pytest.mark.parametrize("change", [{"amount_total": 19_999}, {"currency": "usd"}, {"amount_total": "20000"}])
def test_amount_mismatch_is_not_credited(client, fund, stripe_on, change):
    donation = _pending(fund)
    session = {**stripe_on.complete(donation.checkout_session_id), **change}
    resp = _send(client, stripe_on, "checkout.session.completed", session)
    assert resp.status_code == 200 and resp.get_json()["result"] == "mismatch"
    assert _db.session.get(Donation, donation.id).status == DonationStatus.PENDING
    assert _raised(fund) == 0 and _events() == 1
    assert _db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "donation.amount_mismatch")) == 1


def test_session_not_stored_yet_is_matched_by_its_reference(client, fund, stripe_on):
    """The app stopped between Stripe's answer and storing the session id: the event's
    client_reference_id still finds the donation."""
    donation = _pending(fund)
    session_id = donation.checkout_session_id
    donation.checkout_session_id = None
    _db.session.commit()
    resp = _send(client, stripe_on, "checkout.session.completed", stripe_on.complete(session_id))
    assert resp.get_json()["result"] == "credited"
    donation = _db.session.get(Donation, donation.id)
    assert donation.status == DonationStatus.PAID and donation.checkout_session_id == session_id


def test_unknown_session_and_other_event_types(client, fund, stripe_on):
    resp = _send(client, stripe_on, "checkout.session.completed",
                 {"id": "cs_test_nobody", "payment_status": "paid", "amount_total": 100, "currency": "cny",
                  "client_reference_id": "999999"})
    assert resp.status_code == 200 and resp.get_json()["result"] == "unknown"
    assert _events() == 1 and _raised(fund) == 0
    resp = _send(client, stripe_on, "charge.refunded", {"id": "ch_1"})
    assert resp.status_code == 200 and resp.get_json()["result"] == "ignored" and _events() == 1


def test_event_with_odd_shapes_does_not_fail(client, fund, stripe_on):
    payload = json.dumps({"id": "evt_odd", "object": "event", "type": "checkout.session.completed",
                          "data": {"object": {"id": 12, "client_reference_id": ["x"], "metadata": None}}})
    resp = _post(client, payload, stripe_on.sign(payload))
    assert resp.status_code == 200 and resp.get_json()["result"] == "unknown"


# --- racing deliveries (PostgreSQL) ------------------------------------------------------------

@pytest.mark.postgres_only
def test_racing_deliveries_credit_exactly_once(app, fake_stripe, monkeypatch):
    """Eight deliveries at the same instant — four retries of one event and four other
    events for the same paid session — each in its own session, committed for real: one
    credit, one entry, every distinct event id stored once."""
    import threading
    from collections import Counter

    from sqlalchemy import text
    from sqlalchemy.orm import scoped_session, sessionmaker

    from app.money.models import FundSourceKind

    original = _db.session
    _db.session = scoped_session(sessionmaker(bind=_db.engine))
    try:
        assert _db.session.scalar(select(func.count(Donation.id))) == 0, "the test database is not empty"
        fund = make_fund_source(make_funder(), amount_fen=0, appropriate=False, kind=FundSourceKind.DONATION,
                                accepts_donations=True)
        donation = Donation(fund_source_id=fund.id, amount_fen=20_000, checkout_session_id="cs_race")
        _db.session.add(donation)
        _db.session.commit()
        session = {"id": "cs_race", "object": "checkout.session", "status": "complete", "payment_status": "paid",
                   "amount_total": 20_000, "currency": "cny", "client_reference_id": str(donation.id)}
        events = [{"id": "evt_same", "type": "checkout.session.completed", "data": {"object": session}}] * 4 + [
            {"id": f"evt_other_{i}", "type": "checkout.session.async_payment_succeeded",
             "data": {"object": session}} for i in range(4)]
        barrier = threading.Barrier(len(events))
        results: list = [None] * len(events)
        errors: list = []

        def run(i: int) -> None:
            with app.app_context():
                try:
                    barrier.wait(timeout=20)
                    results[i] = service.handle_event(events[i])
                    _db.session.commit()
                except Exception as err:  # noqa: BLE001 — inspected below
                    _db.session.rollback()
                    results[i] = type(err).__name__
                    errors.append(str(err))
                finally:
                    _db.session.remove()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(events))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        outcomes = Counter(results)
        assert outcomes["credited"] == 1, (outcomes, errors)
        assert set(outcomes) <= {"credited", "duplicate", "already_paid"}, (outcomes, errors)
        _db.session.expire_all()
        assert _raised(fund) == 20_000 and _entries(fund) == 1
        assert _db.session.scalar(select(func.count()).select_from(StripeEvent)) == 5
        assert ledger.unbalanced_entries() == []
    finally:
        _db.session.remove()
        _db.session = original
        names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
        with _db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

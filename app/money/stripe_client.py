"""A thin wrapper around the Stripe SDK (``stripe`` 16): the two Checkout Session calls
the donation pages make and webhook verification. Nothing else of Stripe is used.

Keys come from the configuration (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET); a client is
made per call (cheap, and no global ``stripe.api_key`` that tests or threads could
share). STRIPE_API_BASE, when set, replaces Stripe's API address — the tests point it at
their local fake server (tests/money/fake_stripe.py); empty means api.stripe.com.

Everything returned is plain ``dict`` (the SDK's objects turned into data), so the
services never depend on SDK types.
"""
from __future__ import annotations

from typing import Any

import stripe
from flask import current_app

StripeError = stripe.StripeError
SignatureVerificationError = stripe.SignatureVerificationError

# Seconds to wait for Stripe inside a web request; the SDK's default is 80.
TIMEOUT_SECONDS = 20
# Retries of a failed create are safe: every create carries an idempotency key.
MAX_NETWORK_RETRIES = 2


def configured() -> bool:
    """Online giving works only with the secret key (to open a Checkout Session) and the
    webhook secret (to learn that it was paid)."""
    config = current_app.config
    return bool((config.get("STRIPE_SECRET_KEY") or "").strip() and
                (config.get("STRIPE_WEBHOOK_SECRET") or "").strip())


def _client() -> stripe.StripeClient:
    config = current_app.config
    base = (config.get("STRIPE_API_BASE") or "").strip().rstrip("/")
    try:
        http_client = stripe.RequestsClient(timeout=TIMEOUT_SECONDS)
    except Exception:  # requests missing: the SDK's default client
        http_client = None
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=http_client,
    )


def create_checkout_session(params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
    """POST /v1/checkout/sessions. Raises StripeError."""
    session = _client().v1.checkout.sessions.create(params, options={"idempotency_key": idempotency_key})
    return session.to_dict()


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    """GET /v1/checkout/sessions/<id>. Raises StripeError."""
    return _client().v1.checkout.sessions.retrieve(session_id).to_dict()


def verify_event(payload: bytes, signature_header: str | None) -> dict[str, Any]:
    """The webhook's event as data, after ``stripe.Webhook.construct_event`` checked the
    Stripe-Signature header (HMAC of the raw body with the endpoint secret, timestamp
    within five minutes). Raises SignatureVerificationError (bad or missing signature,
    edited body, stale timestamp) or ValueError (not JSON, not an event)."""
    secret = (current_app.config.get("STRIPE_WEBHOOK_SECRET") or "").strip()
    if not secret:
        raise SignatureVerificationError("no webhook secret configured", signature_header, payload)
    event = stripe.Webhook.construct_event(payload, signature_header, secret)
    data = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise ValueError("not a Stripe event")
    return data

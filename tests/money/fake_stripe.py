"""A small fake of the Stripe API for offline tests: a real HTTP server on 127.0.0.1 that
implements only what the app calls —

- ``POST /v1/checkout/sessions`` (form-encoded, as the SDK sends it; honours the
  Idempotency-Key header like Stripe: the same key answers the same session),
- ``GET /v1/checkout/sessions/<id>``,

plus ``GET /c/pay/<id>``, a page that says it is the test checkout (the session's ``url``
points there, so a browser journey can land on it). Every API request is recorded
(method, path, headers, form fields) for assertions. Tests move a session along with
``complete()`` / ``expire()`` and make the webhook events with ``event()`` and ``sign()``
(``stripe.WebhookSignature.generate_signature_header``, the SDK's own test helper).

Use the ``fake_stripe`` fixture (one server per test session) and ``stripe_on`` (points
the app at it with test keys).
"""
from __future__ import annotations

import html
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe

SECRET_KEY = "sk_test_fake_gongyi"
WEBHOOK_SECRET = "whsec_test_gongyi"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class FakeStripe:
    host: str = "127.0.0.1"
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    by_idempotency_key: dict[str, str] = field(default_factory=dict)
    # (status, error type, message) answered once by the next create, then cleared.
    fail_next: tuple[int, str, str] | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- lifecycle
    def start(self) -> "FakeStripe":
        self.server = ThreadingHTTPServer((self.host, 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.server.server_port}"

    def reset(self) -> None:
        with self._lock:
            self.sessions.clear()
            self.requests.clear()
            self.by_idempotency_key.clear()
            self.fail_next = None

    # --- what tests do
    def creates(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]

    def complete(self, session_id: str, payment_status: str = "paid") -> dict[str, Any]:
        session = self.sessions[session_id]
        session.update(status="complete", payment_status=payment_status)
        return dict(session)

    def expire(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        session.update(status="expired", url=None)
        return dict(session)

    @staticmethod
    def event(event_type: str, session: dict[str, Any], event_id: str | None = None) -> str:
        """The JSON body Stripe would post for this event."""
        return json.dumps({
            "id": event_id or f"evt_test_{time.time_ns()}",
            "object": "event",
            "api_version": "2025-06-30.basil",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": session},
        })

    @staticmethod
    def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
        return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)

    # --- the API
    def _create(self, form: dict[str, str], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if headers.get("authorization", "") != f"Bearer {SECRET_KEY}":
            return 401, _error("invalid_request_error", "Invalid API Key provided")
        with self._lock:
            if self.fail_next is not None:
                status, kind, message = self.fail_next
                self.fail_next = None
                return status, _error(kind, message)
            key = headers.get("idempotency-key")
            if key and key in self.by_idempotency_key:
                return 200, dict(self.sessions[self.by_idempotency_key[key]])
            try:
                unit = int(form["line_items[0][price_data][unit_amount]"])
                quantity = int(form.get("line_items[0][quantity]", "1"))
            except (KeyError, ValueError):
                return 400, _error("invalid_request_error", "Missing line_items[0][price_data][unit_amount]")
            session_id = f"cs_test_{next(self._ids):04d}{time.time_ns() % 10**8:08d}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": form.get("mode"),
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": unit * quantity,
                "currency": form.get("currency") or form.get("line_items[0][price_data][currency]"),
                "client_reference_id": form.get("client_reference_id"),
                "customer_email": form.get("customer_email"),
                "metadata": {k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")},
                "payment_method_types": [v for k, v in sorted(form.items()) if k.startswith("payment_method_types[")],
                "success_url": form.get("success_url"),
                "cancel_url": form.get("cancel_url"),
                "url": f"{self.base_url}/c/pay/{session_id}",
                "livemode": False,
            }
            self.sessions[session_id] = session
            if key:
                self.by_idempotency_key[key] = session_id
            return 200, dict(session)

    def _retrieve(self, session_id: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if headers.get("authorization", "") != f"Bearer {SECRET_KEY}":
            return 401, _error("invalid_request_error", "Invalid API Key provided")
        session = self.sessions.get(session_id)
        if session is None:
            return 404, _error("invalid_request_error", f"No such checkout.session: '{session_id}'")
        return 200, dict(session)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


def _handler(fake: FakeStripe):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _headers(self) -> dict[str, str]:
            return {k.lower(): v for k, v in self.headers.items()}

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_fake_{time.time_ns()}")
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = dict(parse_qsl(body, keep_blank_values=True))
            headers = self._headers()
            fake.requests.append(Recorded("POST", self.path, headers, form))
            if self.path == "/v1/checkout/sessions":
                self._json(*fake._create(form, headers))
            else:
                self._json(404, _error("invalid_request_error", f"Unrecognized request URL (POST: {self.path})"))

        def do_GET(self):
            headers = self._headers()
            path = self.path.split("?", 1)[0]
            if path.startswith("/v1/checkout/sessions/"):
                fake.requests.append(Recorded("GET", path, headers, {}))
                self._json(*fake._retrieve(path.rsplit("/", 1)[1], headers))
            elif path.startswith("/c/pay/"):
                session = fake.sessions.get(path.rsplit("/", 1)[1])
                if session is None:
                    self.send_error(404)
                    return
                amount = session["amount_total"] / 100
                page = (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
                        f"<title>Fake Stripe test checkout</title><link rel='icon' href='data:,'></head><body style='font-family:sans-serif;"
                        f"max-width:40rem;margin:3rem auto'>"
                        f"<h1>Fake Stripe test checkout（测试支付页面）</h1>"
                        f"<p>This is the offline test checkout of tests/money/fake_stripe.py — no money moves.</p>"
                        f"<p id='amount'>金额：¥{amount:,.2f} {html.escape(str(session['currency']).upper())}</p>"
                        f"<p>支付方式：{html.escape(', '.join(session['payment_method_types']))}</p>"
                        f"<p>Session: <code id='session'>{html.escape(session['id'])}</code></p>"
                        f"</body></html>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
            else:
                self._json(404, _error("invalid_request_error", f"Unrecognized request URL (GET: {path})"))

    return Handler


@pytest.fixture(scope="session")
def fake_stripe_server():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_stripe(fake_stripe_server):
    fake_stripe_server.reset()
    return fake_stripe_server


@pytest.fixture
def stripe_on(app, fake_stripe, monkeypatch):
    """The app configured with test keys and pointed at the fake server."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", fake_stripe.base_url)
    return fake_stripe

"""CSRF stays ON here: every POST route refuses a request without a token (400) and
writes nothing."""
import pytest

from app.core.audit import AuditEntry
from tests.conftest import login
from tests.security.routes import ROUTES, url_for_route
from tests.security.world import build_world

# Stripe signs its webhook instead (tests/money/test_stripe_webhook.py).
CSRF_EXEMPT = {"money.stripe_webhook"}
POST_ENDPOINTS = sorted(ep for ep, (_, methods) in ROUTES.items() if "POST" in methods and ep not in CSRF_EXEMPT)


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_post_without_token_is_refused(client, db, csrf_on, endpoint):
    world = build_world()
    login(client, world.users["admin"])
    before = db.session.query(AuditEntry).count()
    resp = client.post(url_for_route(endpoint, world), data={"name": "x", "email": "a@b.cn"})
    assert resp.status_code == 400
    assert "安全令牌" in resp.get_data(as_text=True)
    assert db.session.query(AuditEntry).count() == before


def test_post_with_token_is_accepted(client, db, csrf_on):
    resp = client.get("/auth/login")
    html = resp.get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/auth/login", data={"csrf_token": token, "email": "no@x.cn", "password": "whatever-1234"})
    assert resp.status_code == 200 and "邮箱或密码不正确" in resp.get_data(as_text=True)

"""Unexpected errors: a generic page, no traceback, the transaction rolled back."""
from sqlalchemy import select

from app import create_app
from app.auth.models import User
from app.core.errors import Conflict
from app.extensions import db
from config import TestingConfig


def _app_with_failing_routes():
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        db.session.add(User(email="ghost@example.cn", name="幽灵", password_hash="x"))
        db.session.flush()
        raise RuntimeError("secret internal detail")

    @app.route("/out-of-order")
    def out_of_order():
        db.session.add(User(email="ghost2@example.cn", name="幽灵", password_hash="x"))
        db.session.flush()
        raise Conflict("请先签订协议，再申请拨付。")

    return app


def test_unexpected_error_is_a_generic_page_and_writes_nothing(db):
    client = _app_with_failing_routes().test_client()
    resp = client.get("/boom")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "服务器出错了" in body
    assert "secret internal detail" not in body and "Traceback" not in body
    assert db.session.execute(select(User).where(User.email == "ghost@example.cn")).first() is None


def test_domain_conflict_is_409_with_its_message_and_writes_nothing(db):
    client = _app_with_failing_routes().test_client()
    resp = client.get("/out-of-order")
    assert resp.status_code == 409
    assert "请先签订协议" in resp.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.email == "ghost2@example.cn")).first() is None


def test_unknown_page_is_a_friendly_404(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and "页面不存在" in resp.get_data(as_text=True)

import re

from app.auth.models import User
from sqlalchemy import select
from tests.factories import PASSWORD, make_user
from tests.conftest import login


def test_home_page_renders_in_chinese(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert "公益创投与政府购买服务平台" in resp.get_data(as_text=True)


def test_register_confirm_login_flow(client, db, outbox):
    resp = client.post("/auth/register", data={
        "email": "Zhang.San@Example.cn", "name": "张三", "phone": "13912345678",
        "password": "yunnan-kunming-2026", "password2": "yunnan-kunming-2026"})
    assert resp.status_code == 302
    user = db.session.execute(select(User).where(User.email == "zhang.san@example.cn")).scalar_one()
    assert user.email_confirmed_at is None
    assert len(outbox) == 1 and outbox[0].to == "zhang.san@example.cn"
    link = re.search(r"http://[^\s]+/auth/confirm/[^\s]+", outbox[0].body).group(0)
    resp = client.get(link.split("localhost", 1)[1])
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.email_confirmed_at is not None


def test_weak_password_refused_and_nothing_written(client, db):
    resp = client.post("/auth/register", data={
        "email": "weak@example.cn", "name": "弱", "password": "password1", "password2": "password1"})
    assert resp.status_code == 200
    assert "太常见" in resp.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.email == "weak@example.cn")).first() is None


def test_login_unknown_and_wrong_password_look_identical(client, db):
    make_user(email="known@example.cn")
    a = client.post("/auth/login", data={"email": "known@example.cn", "password": "wrong-password-x"})
    b = client.post("/auth/login", data={"email": "nobody@example.cn", "password": "wrong-password-x"})
    assert a.status_code == b.status_code == 200
    strip = lambda r: re.sub(r'name="csrf_token"[^>]*>|value="[^"]*"', "", r.get_data(as_text=True))
    assert strip(a) == strip(b)


def test_dashboard_requires_login(client, db):
    assert client.get("/dashboard").status_code == 302
    user = make_user()
    login(client, user)
    assert client.get("/dashboard").status_code == 200

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


def test_sixth_bad_login_in_a_minute_is_429(client, db):
    make_user(email="brute@example.cn")
    codes = [client.post("/auth/login", data={"email": "brute@example.cn", "password": f"bad-{i}-xxxx"}).status_code
             for i in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429


def test_bad_logins_from_many_ips_for_one_account_are_limited(client, db):
    make_user(email="target@example.cn")
    codes = [client.post("/auth/login", data={"email": "target@example.cn", "password": "bad-pass-xx"},
                         environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(6)]
    assert codes[5] == 429


def test_login_issues_a_new_session_and_logout_ends_other_sessions(app, db):
    make_user(email="multi@example.cn")
    phone, laptop = app.test_client(), app.test_client()
    with phone.session_transaction() as sess:
        sess["planted"] = "attacker-chosen"
    for c in (phone, laptop):
        assert c.post("/auth/login", data={"email": "multi@example.cn", "password": PASSWORD}).status_code == 302
    with phone.session_transaction() as sess:
        assert "planted" not in sess
    assert laptop.get("/dashboard").status_code == 200
    phone.post("/auth/logout")
    assert phone.get("/dashboard").status_code == 302
    assert laptop.get("/dashboard").status_code == 302  # ended server-side


def test_remember_me_sets_a_long_lived_cookie(client, db):
    make_user(email="remember@example.cn")
    resp = client.post("/auth/login", data={"email": "remember@example.cn", "password": PASSWORD, "remember": "y"})
    assert "remember_token=" in " ".join(resp.headers.getlist("Set-Cookie"))


def test_open_redirect_after_login_is_refused(client, db):
    make_user(email="next@example.cn")
    resp = client.post("/auth/login?next=//evil.example/x", data={"email": "next@example.cn", "password": PASSWORD})
    assert resp.headers["Location"] == "/dashboard"


def test_security_headers_and_no_store(client, db):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"]
    login(client, make_user())
    assert client.get("/dashboard").headers["Cache-Control"] == "no-store"


def test_over_long_fields_are_refused(client, db):
    resp = client.post("/auth/register", data={
        "email": "long@example.cn", "name": "名" * 51, "password": "yunnan-kunming-2026",
        "password2": "yunnan-kunming-2026"})
    assert resp.status_code == 200 and "不能超过 50" in resp.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.email == "long@example.cn")).first() is None


def test_change_password_view_keeps_this_session(client, db):
    make_user(email="chg@example.cn")
    client.post("/auth/login", data={"email": "chg@example.cn", "password": PASSWORD})
    resp = client.post("/auth/password", data={"current_password": PASSWORD, "password": "new-secret-phrase-9",
                                               "password2": "new-secret-phrase-9"})
    assert resp.status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_language_switch_to_english(client, db):
    client.post("/auth/language", data={"lang": "en"})
    assert 'lang="en"' in client.get("/").get_data(as_text=True)

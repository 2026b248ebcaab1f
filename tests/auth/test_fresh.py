"""Fresh login (app.auth.fresh): the time of the last password check is in the session;
older than FRESH_LOGIN_MINUTES or missing (remember-me) → not fresh."""
from __future__ import annotations


from app.auth.fresh import SESSION_KEY, fresh_login_required, is_fresh
from app.core.db import utcnow
from tests.conftest import login
from tests.factories import PASSWORD, make_user


def test_password_login_is_fresh_until_the_window_passes(app, client, db):
    user = make_user()
    db.session.commit()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as sess:
        stamp = sess[SESSION_KEY]
    assert abs(stamp - utcnow().timestamp()) < 60
    with app.test_request_context():
        from flask import session
        from flask_login import login_user

        login_user(user)
        session[SESSION_KEY] = utcnow().timestamp()
        assert is_fresh()
        session[SESSION_KEY] = utcnow().timestamp() - app.config["FRESH_LOGIN_MINUTES"] * 60 - 1
        assert not is_fresh()
        session.pop(SESSION_KEY)
        assert not is_fresh()


def test_stale_login_is_sent_to_reauthenticate_and_back(app, client, db):
    user = make_user()
    login(client, user, fresh=False)

    @fresh_login_required
    def guarded():
        return "ok"

    with app.test_request_context("/finance/x", method="POST", headers={"Referer": "http://localhost/finance/page?a=1"}):
        from flask_login import login_user

        login_user(user)
        resp = guarded()
        assert resp.status_code == 302 and "/auth/reauthenticate" in resp.location
        assert "next=/finance/page" in resp.location.replace("%2F", "/").replace("%3F", "?")

    # Re-entering the password makes the login fresh again.
    resp = client.post("/auth/reauthenticate", data={"password": PASSWORD})
    assert resp.status_code == 302
    with client.session_transaction() as sess:
        assert SESSION_KEY in sess

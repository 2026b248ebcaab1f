import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from app.auth import services
from app.core.errors import ValidationError
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize("password,ok", [
    ("short1", False), ("12345678", False), ("password", False), ("qwertyuiop", False),
    ("aaaaaaaaaaaa", False), ("x" * 129, False),
    ("翠湖边的晚风很温柔", True), ("correct horse battery", True), ("yunnan-kunming-2026", True),
])
def test_password_policy(password, ok):
    if ok:
        services.check_password_policy(password)
    else:
        with pytest.raises(ValidationError):
            services.check_password_policy(password)


def test_password_may_not_equal_email_local_part():
    with pytest.raises(ValidationError, match="邮箱或姓名"):
        services.check_password_policy("zhangsan2026", email="zhangsan2026@example.cn")


def test_password_is_stored_with_a_slow_kdf(db):
    user = services.register(email="kdf@example.cn", password="yunnan-kunming-2026", name="甲")
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert "yunnan-kunming-2026" not in user.password_hash


def test_duplicate_email_refused_case_insensitively(db):
    make_user(email="dup@example.cn")
    with pytest.raises(ValidationError, match="已注册"):
        services.register(email="DUP@example.cn", password="yunnan-kunming-2026", name="乙")


def test_authenticate(db):
    user = make_user(email="auth@example.cn")
    assert services.authenticate("AUTH@example.cn", PASSWORD) == user
    assert services.authenticate("auth@example.cn", "wrong-password") is None
    assert services.authenticate("ghost@example.cn", PASSWORD) is None
    user.is_active_account = False
    assert services.authenticate("auth@example.cn", PASSWORD) is None


def _reset_token(outbox) -> str:
    return re.search(r"/auth/reset/(\S+)", outbox[-1].body).group(1)


def test_reset_token_works_once(app, db, outbox):
    user = make_user(email="reset@example.cn")
    services.request_password_reset("reset@example.cn")
    db.session.commit()
    token = _reset_token(outbox)
    old_session = user.session_token
    services.reset_password(token, "a-brand-new-passphrase")
    assert user.check_password("a-brand-new-passphrase")
    assert user.session_token != old_session
    with pytest.raises(ValidationError, match="无效或已使用"):
        services.reset_password(token, "another-new-passphrase")


def test_reset_token_expires(app, db):
    user = make_user()
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="reset-password").dumps(
        {"uid": user.id, "pw": services._password_fingerprint(user)})
    app.config["RESET_TOKEN_MAX_AGE_SECONDS"], saved = -1, app.config["RESET_TOKEN_MAX_AGE_SECONDS"]
    try:
        with pytest.raises(ValidationError, match="过期"):
            services.user_for_reset_token(token)
    finally:
        app.config["RESET_TOKEN_MAX_AGE_SECONDS"] = saved


def test_reset_for_unknown_email_sends_nothing(db, outbox):
    services.request_password_reset("nobody@example.cn")
    db.session.commit()
    assert outbox == []


def test_tampered_confirmation_token_refused(db):
    with pytest.raises(ValidationError):
        services.confirm_email("eyJ1aWQiOjF9.forged.sig")


def test_change_password_checks_current_and_rotates_sessions(db):
    user = make_user()
    with pytest.raises(ValidationError, match="当前密码不正确"):
        services.change_password(user, "wrong", "a-brand-new-passphrase")
    token = user.session_token
    services.change_password(user, PASSWORD, "a-brand-new-passphrase")
    assert user.session_token != token and user.check_password("a-brand-new-passphrase")


def test_session_loader_refuses_rotated_tokens(db):
    user = make_user()
    sid = user.get_id()
    assert services.load_user_by_session_id(sid) == user
    services.logout_everywhere(user)
    assert services.load_user_by_session_id(sid) is None
    assert services.load_user_by_session_id("garbage") is None

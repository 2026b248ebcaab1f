"""Account rules. Services flush, never commit; they take the acting user as an argument."""
from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import ValidationError
from app.core.mail import queue_email
from app.extensions import db

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    extra = {"12345678", "123456789", "1234567890", "88888888", "66666666", "11111111",
             "woaini1314", "5201314520", "qq123456", "a1234567", "abc12345", "aa123456",
             "gongyi123", "gongyi2026"}
    return frozenset(FREQUENCY_LISTS["passwords"]) | extra


def check_password_policy(password: str, *, email: str = "", name: str = "") -> None:
    """≥ 8 characters, no composition rules, common and personal passwords refused."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(_("密码至少需要 %(min)s 个字符。", min=MIN_PASSWORD_LENGTH), field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(_("密码不能超过 %(max)s 个字符。", max=MAX_PASSWORD_LENGTH), field="password")
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) <= 2:
        raise ValidationError(_("这个密码太常见，容易被猜中，请换一个更独特的密码。"), field="password")
    local = email.split("@")[0].lower()
    if (local and lowered == local) or lowered == email.lower() or (name and lowered == name.lower()):
        raise ValidationError(_("密码不能与邮箱或姓名相同。"), field="password")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.email) == normalize_email(email))
    ).scalar_one_or_none()


def load_user_by_session_id(session_id: str) -> User | None:
    """Flask-Login loader: the id carries the session token, so rotating it ends sessions."""
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    # A reset token dies once the password changes: it signs a digest of the old hash.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def register(*, email: str, password: str, name: str, phone: str = "") -> User:
    email = normalize_email(email)
    if find_user_by_email(email) is not None:
        raise ValidationError(_("该邮箱已注册。如忘记密码，可通过“忘记密码”重设。"), field="email")
    check_password_policy(password, email=email, name=name)
    user = User(email=email, name=name.strip(), phone=(phone or "").strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(user, "user.register", user, after={"email": email})
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    token = _serializer("confirm-email").dumps({"uid": user.id, "email": user.email})
    link = url_for("auth.confirm_email", token=token, _external=True)
    queue_email(
        db.session, user.email, _("请确认您的邮箱 — 公益创投与政府购买服务平台"),
        _("%(name)s，您好：\n\n请点击以下链接确认邮箱（24 小时内有效）：\n%(link)s\n\n如果这不是您本人的操作，请忽略本邮件。", name=user.name, link=link),
    )


def confirm_email(token: str) -> User:
    max_age = current_app.config["TOKEN_MAX_AGE_SECONDS"]
    try:
        data = _serializer("confirm-email").loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationError(_("确认链接已过期，请登录后重新发送确认邮件。")) from None
    except BadSignature:
        raise ValidationError(_("确认链接无效。")) from None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise ValidationError(_("确认链接无效。"))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(user, "user.confirm_email", user)
    return user


_DUMMY_HASH = None


def authenticate(email: str, password: str) -> User | None:
    """The same answer and about the same time for an unknown user and a wrong password."""
    global _DUMMY_HASH
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = generate_password_hash("not-a-real-password")
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or ""):
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()


def logout_everywhere(user: User) -> None:
    """Rotating the session token invalidates every session and remember-me cookie."""
    user.rotate_session_token()


def request_password_reset(email: str) -> None:
    """Queue a reset mail if the account exists; the caller answers the same either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = _serializer("reset-password").dumps(
        {"uid": user.id, "pw": _password_fingerprint(user)}
    )
    link = url_for("auth.reset_password", token=token, _external=True)
    queue_email(
        db.session, user.email, _("重设密码 — 公益创投与政府购买服务平台"),
        _("%(name)s，您好：\n\n请点击以下链接重设密码（1 小时内有效，只能使用一次）：\n%(link)s\n\n如果您没有申请重设密码，请忽略本邮件，您的密码不会改变。", name=user.name, link=link),
    )


def user_for_reset_token(token: str) -> User:
    max_age = current_app.config["RESET_TOKEN_MAX_AGE_SECONDS"]
    try:
        data = _serializer("reset-password").loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationError(_("重设链接已过期，请重新申请。")) from None
    except BadSignature:
        raise ValidationError(_("重设链接无效。")) from None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.is_active or data.get("pw") != _password_fingerprint(user):
        raise ValidationError(_("重设链接无效或已使用，请重新申请。"))
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    check_password_policy(new_password, email=user.email, name=user.name)
    user.set_password(new_password)
    logout_everywhere(user)
    if user.email_confirmed_at is None:
        # Following the emailed link proves the address.
        user.email_confirmed_at = utcnow()
    audit.record(user, "user.reset_password", user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password or ""):
        raise ValidationError(_("当前密码不正确。"), field="current_password")
    check_password_policy(new_password, email=user.email, name=user.name)
    user.set_password(new_password)
    logout_everywhere(user)
    audit.record(user, "user.change_password", user)


def update_profile(user: User, *, name: str, phone: str) -> None:
    before = {"name": user.name, "phone": user.phone}
    user.name = name.strip()
    user.phone = (phone or "").strip()
    audit.record(user, "user.update_profile", user, before=before,
                 after={"name": user.name, "phone": user.phone})

"""Configuration classes, read from the environment.

`create_app()` picks one by `GONGYI_ENV` (development, testing, production) unless a
class or name is passed explicitly.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dates(name: str) -> list[str]:
    """ISO dates from a comma-separated environment variable; a malformed one stops the
    start-up with its name rather than failing later in a request."""
    from datetime import date

    values = [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]
    for value in values:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise SystemExit(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
    return values


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'gongyi.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # The read-only JSON API (/api/v1/): requests per client and endpoint.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    # A whole request above MAX_CONTENT_LENGTH answers 413; one file above
    # UPLOAD_MAX_FILE_BYTES is refused with a message (app/core/uploads.py).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    UPLOAD_MAX_FILE_BYTES = int(os.environ.get("UPLOAD_MAX_FILE_MB", "15")) * 1024 * 1024

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Gongyi 公益 <noreply@gongyi.local>")
    # Emails link back to the site with this address in front of a path.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 14
    WTF_CSRF_TIME_LIMIT = None
    # Signed tokens (email confirmation, password reset, invitations) expire.
    TOKEN_MAX_AGE_SECONDS = 60 * 60 * 24
    RESET_TOKEN_MAX_AGE_SECONDS = 60 * 60
    # Minutes a login counts as "fresh" for sensitive actions (QUALITY: 7.5.1).
    FRESH_LOGIN_MINUTES = 15
    PAGE_SIZE = 20
    # Public notices (公示) run for N working days: weekends are skipped, and so are these
    # statutory holidays; make-up working days (调休上班) count. Comma-separated ISO dates,
    # as published each year by the State Council (e.g. "2026-10-01,2026-10-02").
    PUBLIC_HOLIDAYS = _dates("PUBLIC_HOLIDAYS")
    MAKEUP_WORKDAYS = _dates("MAKEUP_WORKDAYS")
    # Open data (360Giving): grant ids are 360G-<prefix>-<award id>.
    OPEN_DATA_PREFIX = os.environ.get("OPEN_DATA_PREFIX", "gongyi")
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "gongyi-demo-2026")
    # Online donations (Stripe Checkout). Without the keys the donate button explains that
    # online giving is not configured. STRIPE_API_BASE empty = Stripe's real API (tests
    # point it at their local fake server).
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    DONATION_MIN_YUAN = int(os.environ.get("DONATION_MIN_YUAN", "1"))
    DONATION_MAX_YUAN = int(os.environ.get("DONATION_MAX_YUAN", "50000"))


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

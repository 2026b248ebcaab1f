"""Application factory."""
from __future__ import annotations

import os
from datetime import datetime

from flask import Flask, has_request_context, render_template, session
from flask_babel import format_date, format_datetime, gettext
from flask_login import current_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from config import CONFIGS, Config, ProductionConfig


def create_app(config: type[Config] | str | None = None, **overrides) -> Flask:
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    if config is None:
        config = os.environ.get("GONGYI_ENV", "development")
    config_cls = CONFIGS[config] if isinstance(config, str) else config
    if issubclass(config_cls, ProductionConfig):
        config_cls.check()
    app.config.from_object(config_cls)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)

    import_models()
    _init_extensions(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    _register_cli(app)
    return app


def import_models() -> None:
    """Import every domain's models so the metadata (and Alembic) sees all tables."""
    from app.applications import models as _applications  # noqa: F401
    from app.auth import models as _auth  # noqa: F401
    from app.awards import models as _awards  # noqa: F401
    from app.calls import models as _calls  # noqa: F401
    from app.core import audit as _audit  # noqa: F401
    from app.funders import models as _funders  # noqa: F401
    from app.money import models as _money  # noqa: F401
    from app.notifications import models as _notifications  # noqa: F401
    from app.orgs import models as _orgs  # noqa: F401
    from app.regions import models as _regions  # noqa: F401
    from app.reports import models as _reports  # noqa: F401
    from app.reviews import models as _reviews  # noqa: F401


def _select_locale() -> str:
    # Outside a request (CLI, demo loader) there is no session: the default applies.
    lang = session.get("lang") if has_request_context() else None
    if lang in ("zh_CN", "en"):
        return lang
    return "zh_CN"


def _init_extensions(app: Flask) -> None:
    from app.core.enums import N_
    from app.core.mail import mail
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories="translations")
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flask-Login flashes these through `localize_callback`, so they follow the language.
    login_manager.localize_callback = gettext
    login_manager.login_message = N_("请先登录。")
    login_manager.login_message_category = "info"
    login_manager.refresh_view = "auth.reauthenticate"
    login_manager.needs_refresh_message = N_("此操作需要重新验证身份，请再次输入密码。")
    login_manager.needs_refresh_message_category = "info"
    login_manager.session_protection = "basic"

    from app.auth.services import load_user_by_session_id

    login_manager.user_loader(load_user_by_session_id)

    csp = {
        "default-src": "'self'",
        "img-src": "'self' data:",
        "style-src": "'self'",
        "script-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    Talisman(
        app,
        content_security_policy=csp,
        force_https=app.config.get("SESSION_COOKIE_SECURE", False),
        strict_transport_security=True,
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )

    @app.after_request
    def _no_store_when_signed_in(response):
        if current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys and let SQLAlchemy issue BEGIN itself, so
    SAVEPOINTs and `BEGIN IMMEDIATE` work (the pysqlite recipe)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")


class _IdConverter(IntegerConverter):
    """`<int:...>` URL parts are ids of 32-bit columns: a larger number is a 404, not a
    driver overflow (a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    # Before any rule is added: rules bind their converters when they are created.
    app.url_map.converters["int"] = _IdConverter
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.applications import bp as applications_bp
    from app.auth import bp as auth_bp
    from app.awards import bp as awards_bp
    from app.money import bp as money_bp
    from app.reports import bp as reports_bp
    from app.transparency import bp as transparency_bp
    from app.calls import bp as calls_bp
    from app.notifications import bp as notifications_bp
    from app.orgs import bp as orgs_bp
    from app.public import bp as public_bp
    from app.reviews import bp as reviews_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(orgs_bp, url_prefix="/orgs")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(calls_bp, url_prefix="/calls")
    app.register_blueprint(applications_bp, url_prefix="/applications")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(reviews_bp, url_prefix="/reviews")
    # Public notices (/notices/…) and award lists (/awards/…) sit at the top level.
    app.register_blueprint(awards_bp)
    # Money pages carry their own prefixes: /funds/… (public), /finance/… (staff),
    # /awards/<id>/agreement…, /stripe/webhook; reports live under /reports.
    app.register_blueprint(money_bp)
    app.register_blueprint(reports_bp, url_prefix="/reports")
    # Public project pages (/projects/…), disclosure (/disclosure/…), open data (/open-data/…),
    # the Atom feed (/feed.atom).
    app.register_blueprint(transparency_bp)
    # The read-only JSON API (/api/v1/…) with its OpenAPI document.
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def _register_template_helpers(app: Flask) -> None:
    from app.core.money import format_fen
    from app.core.permissions import can

    app.jinja_env.filters["money"] = format_fen

    def _dt(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
        return format_datetime(value, fmt) if value else "—"

    def _d(value, fmt: str = "yyyy-MM-dd") -> str:
        return format_date(value, fmt) if value else "—"

    app.jinja_env.filters["datetime"] = _dt
    app.jinja_env.filters["date"] = _d

    def _published_result(application):
        # The composition root may look upward: applications' pages show the review result.
        from app.awards.services import published_result

        return published_result(application)

    def _public_contracts(call):
        from app.money.agreements import public_contracts

        return public_contracts(call)

    @app.context_processor
    def _globals():
        return {
            "can": lambda action, obj=None: can(current_user, action, obj),
            "published_result": _published_result,
            "public_contracts": _public_contracts,
            "current_locale": _select_locale(),
            "languages": app.config["LANGUAGES"],
        }


def _register_error_handlers(app: Flask) -> None:
    from app.core.errors import DomainError
    from app.extensions import db

    def _page(code: int, message: str | None = None):
        return render_template(f"errors/{code}.html", message=message), code

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        db.session.rollback()
        code = err.status_code if err.status_code in (400, 403, 404, 409) else 400
        return _page(code, err.message)

    @app.errorhandler(CSRFError)
    def _csrf(err):
        return _page(400, gettext("表单已过期或缺少安全令牌，请刷新页面后重试。"))

    for code in (400, 403, 404, 405, 409, 413, 429):
        app.register_error_handler(code, lambda err, code=code: _page(code))

    @app.errorhandler(500)
    def _internal(err):
        db.session.rollback()
        return _page(500)


def _register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)

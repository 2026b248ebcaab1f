"""Browser journeys: Debian's Chromium driven by Playwright against a live server.

The live server has its own database, built by the Alembic migrations and filled with
the demo data (so both are exercised as `make run` uses them): a temporary SQLite file,
or, when TEST_DATABASE_URL points at PostgreSQL, a database named `<name>_browser`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db as _db
from app.extensions import limiter

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(autouse=True)
def _db_transaction():
    """Browser tests use the live server's real database, not the rolled-back one."""
    yield None


def _browser_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        return f"sqlite:///{tempfile.mkdtemp(prefix='gongyi-browser-')}/browser.sqlite"
    import psycopg

    parsed = make_url(url)
    name = f"{parsed.database}_browser"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def live_server():
    from flask_migrate import upgrade

    from app.demo import load
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=_browser_database_url(),
                     UPLOAD_DIR=tempfile.mkdtemp(prefix="gongyi-browser-uploads-"),
                     SERVER_NAME=None)
    with app.app_context():
        upgrade()
        load()
        _db.session.commit()
        _db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.extensions["gongyi_sent_mail"] = []
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not (shutil.which("chromium") or os.path.exists(CHROMIUM)):
        pytest.fail("Debian's chromium is required for the browser journeys: "
                    "`make test` installs it where apt works (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            # --lang: the browser's own UI (date pickers, "choose file") in Chinese, as users see it.
            args=["--no-sandbox", "--lang=zh-CN", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    # Rate-limit counters live in one in-memory store per process: start each journey
    # without the counts left by earlier tests from the same address.
    limiter.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  base_url=live_server.config["LIVE_URL"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    yield page
    context.close()


def shot(page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


DEMO_PASSWORD = "gongyi-demo-2026"


def new_page(browser, app):
    """A second person at another computer: own context, own cookies, own error log."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  base_url=app.config["LIVE_URL"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    return page


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form and wait for the dashboard."""
    page.goto("/auth/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/dashboard")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

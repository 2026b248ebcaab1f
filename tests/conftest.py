"""Test fixtures: one app per session, tables created once, each test in a transaction
that is rolled back (SQLAlchemy's "join a session into an external transaction" recipe;
the pysqlite SAVEPOINT workaround lives in app/__init__.py)."""
from __future__ import annotations

import contextvars
import os
import tempfile

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.extensions import db as _db
from app.extensions import limiter

_TMP = tempfile.mkdtemp(prefix="gongyi-test-")


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.sqlite"


class CommittingClient(FlaskClient):
    """Each request runs in a fresh context (its own app context and `g`, as in
    production). The test's pending work is committed first (to its savepoint, never for
    real), as an earlier request would have, and expired after, so the test sees what the
    request wrote."""

    def open(self, *args, **kwargs):
        _db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            _db.session.expire_all()


class TestScopedSession(scoped_session):
    """The request teardown's `remove()` must not close the test's session."""

    def remove(self) -> None:
        pass

    def really_remove(self) -> None:
        super().remove()


@pytest.fixture(scope="session")
def app():
    from config import TestingConfig

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(),
                     UPLOAD_DIR=os.path.join(_TMP, "uploads"))
    app.test_client_class = CommittingClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _db_transaction(app):
    """Everything a test writes happens inside one outer transaction, rolled back after."""
    connection = _db.engine.connect()
    outer = connection.begin()
    session = TestScopedSession(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    original = _db.session
    _db.session = session
    limiter.reset()
    app.extensions["gongyi_sent_mail"] = []
    try:
        yield session
    finally:
        session.really_remove()
        _db.session = original
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def client(app):
    """Not entered with `with`: preserved request contexts would outlive their Context."""
    return app.test_client()


@pytest.fixture
def db(_db_transaction):
    return _db


@pytest.fixture
def outbox(app):
    return app.extensions["gongyi_sent_mail"]


def login(client, user, *, fresh: bool = True) -> None:
    """Sign `user` in on `client` without going through the form."""
    _db.session.commit()
    from app.auth.fresh import SESSION_KEY
    from app.core.db import utcnow

    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = fresh
        if fresh:  # the password was just checked (app.auth.fresh)
            sess[SESSION_KEY] = utcnow().timestamp()


@pytest.fixture
def count_queries(app):
    """Counts SQL statements run inside the `with` block: `with count_queries() as n: ...; n()`."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        statements: list[str] = []

        def _before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield lambda: len(statements)
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return counter


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres_only`` race threads against real row locks (SELECT … FOR
    UPDATE, partial unique indexes under concurrent commits). SQLite admits one writer at a
    time and ignores FOR UPDATE, so on SQLite there is nothing to race and they are left
    out; `make test` runs the whole suite again on PostgreSQL, where they run, and with
    CI=true an unreachable PostgreSQL fails the run. This is the only place tests are
    skipped."""
    if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="concurrency test: runs in the PostgreSQL pass of make test")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)

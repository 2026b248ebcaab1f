"""Shared scaffolding of the PostgreSQL race tests (tests/money/test_*_races.py and the
webhook race): the services write through a session of their own per thread and commit for
real; the database must be empty to start with (every other test rolls back) and is emptied
again afterwards with TRUNCATE (the append-only audit log included: TRUNCATE fires no row
trigger)."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from app.auth.models import User
from app.core.audit import AuditEntry
from app.extensions import db as _db

THREADS = 8

# Apply to a module: `pytestmark = POSTGRES_ONLY` (tests/conftest.py says why and when they run).
POSTGRES_ONLY = pytest.mark.postgres_only


@pytest.fixture
def real(app):
    original = _db.session
    session = scoped_session(sessionmaker(bind=_db.engine))
    empty = (session.scalar(select(func.count(User.id))) == 0
             and session.scalar(select(func.count(AuditEntry.id))) == 0)
    session.remove()
    if not empty:   # never empty a database holding someone else's rows
        pytest.fail("the test database is not empty: the race tests commit for real and clean up with TRUNCATE")
    _db.session = session
    try:
        yield session
    finally:
        session.remove()
        _db.session = original
        names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
        with _db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def race(app, work, threads: int = THREADS) -> list:
    """Run ``work(i)`` in ``threads`` threads released at once, each in its own app context
    and session, committing on success; the result or the exception of each."""
    barrier = threading.Barrier(threads)
    results: list = [None] * threads

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=20)
                results[i] = work(i)
                _db.session.commit()
            except Exception as err:  # noqa: BLE001 — every outcome is inspected by the test
                _db.session.rollback()
                results[i] = err
            finally:
                _db.session.remove()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in pool), "a racing thread hung"
    return results


def kinds(results) -> Counter:
    """How many of each outcome: result type names (e.g. {"Payment": 1, "Conflict": 7})."""
    return Counter(type(r).__name__ for r in results)

"""Schemathesis, in process, over every operation of the OpenAPI document (issue 6: "no
failures").

The schema is loaded from the Flask app itself (``schemathesis.openapi.from_wsgi``) on a
database holding the API fixture (tests/api/fixtures.py: calls, awards, organizations, funds).
Every check runs (``checks.enabled``: server errors, status codes, content types, response
headers and schemas, positive data accepted, negative data rejected, unsupported methods, …)
in the examples, coverage and fuzzing phases, with valid and invalid inputs
(``mode = all``), a fixed seed, derandomized generation and a bounded number of examples, so
the run is the same every time. The rate limit is off for the run.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.extensions import db, limiter
from tests.api import fixtures

SEED = 20261129
MAX_EXAMPLES = 30

CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "checks": {"enabled": True},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
               "stateful": {"enabled": False}},
})


def _load():
    """The document, read from a throwaway app (it is built from the routes, not the data);
    each case is then sent to the test's app, inside the test's transaction."""
    from app import create_app
    from config import TestingConfig

    return schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://"), config=CONFIG)


schema = _load()


@pytest.fixture
def api_data(app, db, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    data = fixtures.build()
    # The requests run outside the CommittingClient: commit the fixture to the test's
    # savepoint so a rollback inside a request cannot drop it.
    db.session.commit()
    return data


@schema.parametrize()
# The API is read-only: the fixture's data stays the same for every generated request.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi_document(case, app, api_data):
    case.call_and_validate(app=app)

"""The authorization matrix: every route × every role, with URLs naming tenant A's
objects (QUALITY.md, ASVS 8.2.1/8.2.2)."""
import pytest

from app import create_app
from config import TestingConfig
from tests.conftest import login
from tests.security.routes import ALLOW, DENY, LOGIN, ROUTES, url_for_route
from tests.security.world import ROLES, build_world


def _app_rules():
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules() if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


APP_RULES = _app_rules()


def test_every_route_is_in_the_matrix():
    missing = [(ep, m) for ep, m in APP_RULES if m not in ROUTES.get(ep, (None, {}))[1]]
    assert missing == [], f"routes without an authorization expectation: {missing}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint,method", [r for r in APP_RULES if r[1] in ROUTES.get(r[0], (None, {}))[1]])
def test_route_answers_each_role_as_expected(client, db, endpoint, method, role):
    world = build_world()
    if role != "public":
        login(client, world.users[role])
    expected = ROUTES[endpoint][1][method][role]
    resp = client.open(url_for_route(endpoint, world), method=method, data={})
    location = resp.headers.get("Location", "")
    if expected == ALLOW:
        assert resp.status_code < 400 and "/auth/login" not in location, (resp.status_code, location)
    elif expected == DENY:
        assert resp.status_code == 403
    elif expected == LOGIN:
        assert resp.status_code == 302 and "/auth/login" in location
    else:
        assert resp.status_code == int(expected)

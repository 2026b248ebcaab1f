"""Authorization matrix rows for the api routes (issue 6): the JSON API is public and
read-only, the same for every role. Item URLs name tenant A's public objects (the awarded
call's award, organization X, the welfare-lottery fund); the call row names the DRAFT call,
which the API never shows — not even to its funder's staff or an admin (404 for everyone;
published calls are tested in tests/api)."""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

NOWHERE = {r: "404" for r in ROLES}

ROUTES: dict[str, tuple] = {
    "api.index": (lambda w: "/api/v1/", {"GET": ANYONE}),
    "api.openapi": (lambda w: "/api/v1/openapi.json", {"GET": ANYONE}),
    "api.calls": (lambda w: "/api/v1/calls", {"GET": ANYONE}),
    "api.call": (lambda w: f"/api/v1/calls/{o(w, 'call_draft')}", {"GET": NOWHERE}),
    "api.awards": (lambda w: "/api/v1/awards", {"GET": ANYONE}),
    "api.award": (lambda w: f"/api/v1/awards/{o(w, 'award')}", {"GET": ANYONE}),
    "api.organizations": (lambda w: "/api/v1/organizations", {"GET": ANYONE}),
    "api.organization": (lambda w: f"/api/v1/organizations/{o(w, 'org')}", {"GET": ANYONE}),
    "api.fund_sources": (lambda w: "/api/v1/fund-sources", {"GET": ANYONE}),
    "api.fund_source": (lambda w: f"/api/v1/fund-sources/{o(w, 'fund')}", {"GET": ANYONE}),
    "api.statistics_organizations": (lambda w: f"/api/v1/statistics/organizations?county={w.objects['county_a'].code}",
                                     {"GET": ANYONE}),
    "api.statistics_awards": (lambda w: "/api/v1/statistics/awards", {"GET": ANYONE}),
    "api.statistics_money": (lambda w: "/api/v1/statistics/money", {"GET": ANYONE}),
}

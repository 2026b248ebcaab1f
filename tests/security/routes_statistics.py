"""Authorization matrix rows for the statistics routes (issue 6): all public, read-only."""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

ROUTES: dict[str, tuple] = {
    "transparency.statistics": (lambda w: "/statistics/", {"GET": ANYONE}),
    "transparency.statistics_organizations": (lambda w: f"/statistics/organizations?county={o(w, 'county_a')}",
                                              {"GET": ANYONE}),
    "transparency.statistics_organizations_csv": (
        lambda w: f"/statistics/organizations.csv?county={o(w, 'county_a')}", {"GET": ANYONE}),
    "transparency.statistics_below_target_csv": (lambda w: "/statistics/organizations-below-target.csv",
                                                 {"GET": ANYONE}),
    "transparency.statistics_awards": (lambda w: f"/statistics/awards?funder={o(w, 'funder')}", {"GET": ANYONE}),
    "transparency.statistics_awards_csv": (lambda w: "/statistics/awards.csv", {"GET": ANYONE}),
    "transparency.statistics_money": (lambda w: f"/statistics/money?funder={o(w, 'funder')}", {"GET": ANYONE}),
    "transparency.statistics_money_csv": (lambda w: "/statistics/money.csv", {"GET": ANYONE}),
}

"""Authorization matrix rows for the open data routes (issue 6): all public, read-only."""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

ROUTES: dict[str, tuple] = {
    "transparency.open_data": (lambda w: "/open-data/", {"GET": ANYONE}),
    "transparency.awards_csv": (lambda w: "/open-data/awards.csv", {"GET": ANYONE}),
    "transparency.awards_360giving": (lambda w: "/open-data/360giving.json", {"GET": ANYONE}),
    "transparency.feed": (lambda w: "/feed.atom", {"GET": ANYONE}),
}

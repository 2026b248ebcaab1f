"""Authorization matrix rows (see routes.py for the meaning). Project pages and fund-use
disclosure are public: everyone, signed in or not, may read them (no POST routes)."""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401


def _disclosure(w, suffix: str = "") -> str:
    fund = w.objects["fund"]
    return f"/disclosure/{fund.id}/{fund.fiscal_year}{suffix}"


ROUTES: dict[str, tuple] = {
    "transparency.projects": (lambda w: "/projects/", {"GET": ANYONE}),
    "transparency.project": (lambda w: f"/projects/{o(w, 'award')}", {"GET": ANYONE}),
    "transparency.disclosure_index": (lambda w: "/disclosure/", {"GET": ANYONE}),
    "transparency.disclosure": (lambda w: _disclosure(w), {"GET": ANYONE}),
    "transparency.disclosure_pdf": (lambda w: _disclosure(w, "/disclosure.pdf"), {"GET": ANYONE}),
    "transparency.disclosure_xlsx": (lambda w: _disclosure(w, "/disclosure.xlsx"), {"GET": ANYONE}),
}

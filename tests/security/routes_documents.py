"""Authorization matrix rows for the document (PDF) routes (see routes.py for the meaning)."""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

ROUTES: dict[str, tuple] = {
}

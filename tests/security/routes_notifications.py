"""Authorization matrix rows for the notifications routes (see routes.py for the meaning).

The world's `notification` belongs to applicant_own. Opening someone else's notification
is refused with 403 (rule notification.read): ids are sequential, so a 404 would hide
nothing.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

ROUTES: dict[str, tuple] = {
    "notifications.inbox": (lambda w: "/notifications/", {"GET": SIGNED_IN}),
    "notifications.open": (lambda w: f"/notifications/{o(w, 'notification')}/open",
                           {"POST": only("applicant_own")}),
    "notifications.mark_all_read": (lambda w: "/notifications/read-all", {"POST": SIGNED_IN}),
}

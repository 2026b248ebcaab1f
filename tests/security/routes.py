"""Every route of the app with a URL that names tenant A's objects, and who may use it.

A route missing here fails `test_every_route_is_in_the_matrix`. Expectations per role:
  "allow"  — the request is served (2xx, or a redirect that is not to the login page),
  "deny"   — 403, "login" — redirect to the login page, "404" — not found.
"""
from __future__ import annotations

from tests.security.world import ROLES, World

ALLOW = "allow"
DENY = "deny"
LOGIN = "login"

ANYONE = {r: ALLOW for r in ROLES}
SIGNED_IN = {**{r: ALLOW for r in ROLES}, "public": LOGIN}
ADMIN_ONLY = {**{r: DENY for r in ROLES}, "public": LOGIN, "admin": ALLOW}
STAFF_A = {**{r: DENY for r in ROLES}, "public": LOGIN}


def only(*roles: str, base: dict | None = None) -> dict:
    """Signed-in roles listed are allowed, other signed-in roles denied, public → login."""
    table = dict(base or {**{r: DENY for r in ROLES}, "public": LOGIN})
    for role in roles:
        table[role] = ALLOW
    return table


# endpoint -> (url builder, {method: expectations})
ROUTES: dict[str, tuple] = {
    "public.index": (lambda w: "/", {"GET": ANYONE}),
    "public.dashboard": (lambda w: "/dashboard", {"GET": SIGNED_IN}),
    "auth.register": (lambda w: "/auth/register", {"GET": ANYONE, "POST": ANYONE}),
    "auth.login": (lambda w: "/auth/login", {"GET": ANYONE, "POST": ANYONE}),
    "auth.logout": (lambda w: "/auth/logout", {"POST": SIGNED_IN}),
    "auth.reauthenticate": (lambda w: "/auth/reauthenticate", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    "auth.confirm_email": (lambda w: "/auth/confirm/not-a-token", {"GET": ANYONE}),
    "auth.resend_confirmation": (lambda w: "/auth/confirm/resend", {"POST": SIGNED_IN}),
    "auth.forgot_password": (lambda w: "/auth/forgot", {"GET": ANYONE, "POST": ANYONE}),
    "auth.reset_password": (lambda w: "/auth/reset/not-a-token", {"GET": ANYONE, "POST": ANYONE}),
    "auth.account": (lambda w: "/auth/account", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    "auth.change_password": (lambda w: "/auth/password", {"POST": SIGNED_IN}),
    "auth.set_language": (lambda w: "/auth/language", {"POST": ANYONE}),
}


def url_for_route(endpoint: str, world: World) -> str:
    return ROUTES[endpoint][0](world)

"""Shared vocabulary of the authorization matrix files."""
from __future__ import annotations

from tests.security.world import ROLES, World

ALLOW = "allow"
DENY = "deny"
LOGIN = "login"

ANYONE = {r: ALLOW for r in ROLES}
SIGNED_IN = {**{r: ALLOW for r in ROLES}, "public": LOGIN}


def only(*roles: str, base: dict | None = None) -> dict:
    """Signed-in roles listed are allowed, other signed-in roles denied, public → login."""
    table = dict(base or {**{r: DENY for r in ROLES}, "public": LOGIN})
    for role in roles:
        table[role] = ALLOW
    return table


def o(world: World, key: str) -> int:
    """The id of the world's object named `key`."""
    return world.objects[key].id

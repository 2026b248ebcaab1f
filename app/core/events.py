"""Domain events: a lower domain announces what happened, a higher one reacts.

Domains import downward only, yet applications must notify users and notifications live
on top. A service calls `emit("application.submitted", application=app, actor=user)`;
the notifications domain has subscribed a handler at import. Handlers run synchronously
inside the same transaction (so a failing handler rolls the change back) and must only
flush or queue side effects that are sent after the commit (core.mail.queue_email).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

Handler = Callable[..., None]
_HANDLERS: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if fn not in _HANDLERS[event]:
            _HANDLERS[event].append(fn)
        return fn

    return register


def emit(event: str, **payload: Any) -> None:
    for handler in list(_HANDLERS.get(event, ())):
        handler(**payload)


def handlers(event: str) -> list[Handler]:
    return list(_HANDLERS.get(event, ()))

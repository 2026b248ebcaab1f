"""State machines: one ALLOWED table per entity, one function that changes status.

A model declares `ALLOWED: ClassVar[dict[Status, frozenset[Status]]]` beside its status
enum. Only `transition()` assigns `status`; it refuses anything not in the table, stamps
`status_changed_at` where the model has it, and writes the audit log.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.core import audit
from app.core.db import utcnow
from app.core.errors import InvalidTransition


def can_transition(obj: Any, to: Any) -> bool:
    return to in type(obj).ALLOWED.get(obj.status, frozenset())


def transition(obj: Any, to: Any, actor: Any, *, reason: str | None = None) -> None:
    current = obj.status
    if not can_transition(obj, to):
        raise InvalidTransition(
            _("不能从“%(current)s”变为“%(new)s”。",
              current=getattr(current, "label", current), new=getattr(to, "label", to))
        )
    obj.status = to
    if hasattr(obj, "status_changed_at"):
        obj.status_changed_at = utcnow()
    after: dict[str, Any] = {"status": to}
    if reason:
        after["reason"] = reason
    audit.record(actor, f"{type(obj).__name__.lower()}.status", obj,
                 before={"status": current}, after=after)

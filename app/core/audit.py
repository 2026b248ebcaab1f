"""Append-only, hash-chained audit log (审计日志).

Each row stores the hash of the previous row; `hash = sha256(prev_hash + canonical_json(row))`.
Rows are written in the same transaction as the change they describe. UPDATE and DELETE
are refused by a database trigger; `flask audit verify` recomputes the chain and names the
first row that does not match.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import DDL, Index, Integer, JSON, String, event, select, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"
    # An object's history (an application's timeline) is read by type and id.
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    # The sequence number is the primary key and part of the hash, so two writers can
    # never both append after the same row (the second insert violates the key).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "before": self.before,
            "after": self.after,
        }


# The triggers are part of the schema: the migration creates them with these same
# statements, and `create_all` in tests gets them through these listeners.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
]

for _stmt in SQLITE_TRIGGERS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in POSTGRES_TRIGGERS:
    event.listen(
        AuditEntry.__table__, "after_create", DDL(_stmt).execute_if(dialect="postgresql")
    )


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """Make a value JSON-safe so what is hashed is exactly what is stored."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set) else items
    return value


def compute_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    """Serialize appends so the chain never forks."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(727001)"))


def record(
    actor: Any,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one row. `actor` is a user (or None for the system)."""
    if obj is not None:
        db.session.flush()
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    _lock_chain()
    head = db.session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (head[0], head[1]) if head else (0, GENESIS_HASH)
    entry = AuditEntry(
        id=prev_id + 1,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=(getattr(actor, "email", None) or "system")[:200],
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        prev_hash=prev_hash,
    )
    entry.hash = compute_hash(prev_hash, entry.payload())
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    broken_id: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    prev_hash = GENESIS_HASH
    expected_id = 1
    checked = 0
    rows = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    for row in rows:
        if row.id != expected_id:
            return ChainReport(False, checked, prev_hash, row.id,
                               f"row {expected_id} is missing (next row is {row.id})")
        if row.prev_hash != prev_hash:
            return ChainReport(False, checked, prev_hash, row.id,
                               "prev_hash does not match the previous row (deleted or swapped)")
        if compute_hash(prev_hash, row.payload()) != row.hash:
            return ChainReport(False, checked, prev_hash, row.id,
                               "content does not match its hash (edited)")
        prev_hash = row.hash
        expected_id += 1
        checked += 1
    return ChainReport(True, checked, prev_hash)


def head_hash() -> str:
    head = db.session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar()
    return head or GENESIS_HASH

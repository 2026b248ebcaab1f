"""Notice, objection, award and public award-list pages (see the module docs in services)."""
from __future__ import annotations

from app.awards import bp  # noqa: F401

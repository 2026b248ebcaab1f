"""Placeholder: filled in by the reports work (issue 5)."""
from app.reports import bp  # noqa: F401

"""Placeholder: filled in by the money work (issue 5)."""
from app.money import bp  # noqa: F401

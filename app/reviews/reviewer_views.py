"""Placeholder: filled in by the review work (issue 4)."""
from app.reviews import bp  # noqa: F401

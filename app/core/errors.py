"""Domain errors: services raise these; views turn them into clear messages."""
from __future__ import annotations


class DomainError(Exception):
    """A broken business rule. `message` is shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    status_code = 400


class PermissionDenied(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The request is well-formed but out of order for the object's state (409)."""

    status_code = 409


class InvalidTransition(Conflict):
    pass

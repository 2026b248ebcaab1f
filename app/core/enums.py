"""Base for status and choice enums: stored as their value, shown by their label."""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext


def N_(s: str) -> str:
    """Mark a string for extraction (`pybabel extract -k N_`) without translating it here:
    enum labels are translated when shown, through `LabeledEnum.label`."""
    return s


class LabeledEnum(StrEnum):
    """A StrEnum whose members carry a (translatable) label: `Member = "value", "标签"`."""

    def __new__(cls, value: str, label: str = ""):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj._label = label or value
        return obj

    @property
    def label(self) -> str:
        return str(lazy_gettext(self._label))

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def coerce(cls, value: str | None):
        """Parse a submitted value; None when it is not one of ours."""
        try:
            return cls(value) if value else None
        except ValueError:
            return None


def enum_type(enum_cls: type[LabeledEnum], length: int = 30):
    """Column type storing an enum by its value as a plain string."""
    from sqlalchemy import Enum as SAEnum

    return SAEnum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )

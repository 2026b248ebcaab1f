"""Form helpers shared by every domain."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import Regexp

from app.core.errors import DomainError

PHONE = Regexp(r"^[0-9+\-() ]{5,20}$", message="请输入有效的电话号码（数字，可含 - 和空格）。")


def strip(value):
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """A FlaskForm that trims text input and can show a DomainError beside its field."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if unbound_field.field_class.__name__ in {"StringField", "TextAreaField", "EmailField", "TelField"}:
                filters.append(strip)
            return unbound_field.bind(form=form, filters=filters, **options)

    form_errors_extra: list[str]

    def add_domain_error(self, err: DomainError) -> None:
        field = getattr(self, err.field, None) if err.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [err.message]
        else:
            self.form_errors.append(err.message)


class ActionForm(BaseForm):
    """For POST-only buttons (logout, revoke, language): the CSRF token and nothing else."""

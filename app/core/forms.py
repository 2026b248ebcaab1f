"""Form helpers shared by every domain."""
from __future__ import annotations

import re

from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Regexp

from app.core.errors import DomainError

PHONE = Regexp(r"^[0-9+\-() ]{5,20}$", message=_l("请输入有效的电话号码（数字，可含 - 和空格）。"))


# Control characters (tab and line breaks excepted) have no place in form input; NUL in
# particular cannot be stored in a PostgreSQL text column (the driver raises: a 500).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def clean_reason(value: Any, what: str, max_len: int = 500) -> str:
    """A required written reason (退回、撤销、违约…): trimmed, without control characters, at
    most `max_len` characters; otherwise a ValidationError on the field "reason" naming `what`."""
    from app.core.errors import ValidationError

    reason = value.strip() if isinstance(value, str) else ""
    if not reason:
        raise ValidationError(_("请填写%(what)s。", what=what), field="reason")
    if CONTROL_CHARS.search(reason):
        raise ValidationError(_("%(what)s不能包含控制字符。", what=what), field="reason")
    if len(reason) > max_len:
        raise ValidationError(_("%(what)s不能超过 %(n)s 个字（现在 %(len)s 个字）。", what=what, n=max_len,
                                len=len(reason)), field="reason")
    return reason


def clean_search(text: str | None, limit: int = 100) -> str:
    """A search box's text, trimmed, without control characters, at most `limit` long."""
    return CONTROL_CHARS.sub("", text or "").strip()[:limit]


class BaseForm(FlaskForm):
    """A FlaskForm that trims text input and can show a DomainError beside its field."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if unbound_field.field_class.__name__ in {"StringField", "TextAreaField", "EmailField", "TelField"}:
                filters.append(strip)
            return unbound_field.bind(form=form, filters=filters, **options)

    form_errors_extra: list[str]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for f in self:
            if any(isinstance(v, str) and CONTROL_CHARS.search(v) for v in (f.raw_data or [])):
                f.errors = list(f.errors) + [_l("不能包含控制字符（如 NUL），请删除后重试。")]
                valid = False
        return valid

    def add_domain_error(self, err: DomainError) -> None:
        field = getattr(self, err.field, None) if err.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [err.message]
        else:
            self.form_errors.append(err.message)


class ActionForm(BaseForm):
    """For POST-only buttons (logout, revoke, language): the CSRF token and nothing else."""


def require_action_form() -> None:
    """A POST-only button's request must carry a valid CSRF token (400 otherwise)."""
    if not ActionForm().validate_on_submit():
        abort(400)

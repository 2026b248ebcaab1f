"""Forms of the chair's workspace and the results page: reopening a submitted score and
adjusting a recommended amount. They read the submitted fields (trimmed); the services
(app.reviews.results) decide what is valid, so every rule and message lives in one place."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from app.core.forms import BaseForm
from app.reviews.results import REASON_MAX

MAX_AMOUNT_TEXT = 30


class ReopenForm(BaseForm):
    reason = TextAreaField(_l("退回理由"), validators=[Length(max=REASON_MAX, message=_l("退回理由不能超过 500 个字。"))],
                           render_kw={"rows": 3, "maxlength": REASON_MAX})


class AdjustForm(BaseForm):
    amount = StringField(_l("调整后的金额（元）"),
                         validators=[Length(max=MAX_AMOUNT_TEXT, message=_l("金额格式不正确，请输入如 1234.50 的数字。"))],
                         render_kw={"inputmode": "decimal", "maxlength": MAX_AMOUNT_TEXT, "autocomplete": "off"})
    reason = TextAreaField(_l("调整理由"), validators=[Length(max=REASON_MAX, message=_l("调整理由不能超过 500 个字。"))],
                           render_kw={"rows": 2, "maxlength": REASON_MAX})

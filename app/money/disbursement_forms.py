"""Forms of the disbursement pages. The service checks everything again; these give the
messages beside the fields."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.core.forms import BaseForm, clean_search
from app.money import disbursement as service
from app.money.models import PaymentMethod
from app.orgs.forms import enum_options, plain_options

VIEWS = {
    "requested": _l("待审核"),
    "due": _l("可申请拨付"),
    "paid": _l("付款记录"),
}


class DayField(DateField):
    """A date typed as 年-月-日 with a Chinese message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("不是有效的日期，请按“年-月-日”填写，例如 2026-03-15。")) from None


class ApproveForm(BaseForm):
    paid_on = DayField(_l("付款日期"), validators=[InputRequired(_l("请填写付款日期（年-月-日）。"))],
                       render_kw={"type": "date"},
                       description=_l("银行实际付款（或 Stripe 转账完成）的日期，北京时间；不能晚于今天。"))
    method = SelectField(_l("付款方式"), validate_choice=False,
                         validators=[DataRequired(_l("请选择付款方式。"))])
    reference = StringField(
        _l("付款流水号"),
        validators=[DataRequired(_l("请填写付款流水号（银行交易流水号或 Stripe 转账编号）。")),
                    Length(max=service.REFERENCE_MAX,
                           message=_l("不能超过 %(max)s 个字符。", max=service.REFERENCE_MAX))],
        render_kw={"maxlength": service.REFERENCE_MAX, "autocomplete": "off"},
        description=_l("银行回单上的交易流水号，或 Stripe 转账编号（如 tr_…），用于对账。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = enum_options(PaymentMethod, blank=_l("请选择"))


class ReverseForm(BaseForm):
    reason = TextAreaField(
        _l("冲正原因"),
        validators=[DataRequired(_l("请填写冲正原因。")),
                    Length(max=service.REASON_MAX, message=_l("不能超过 %(max)s 个字。", max=service.REASON_MAX))],
        render_kw={"rows": 3, "maxlength": service.REASON_MAX},
        description=_l("例如：流水号录入错误、银行退票。冲正生成反向分录，原付款记录保留；该期回到“已申请”，可重新审核付款。"))


def _int_choice(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else ""
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 10 and int(value) > 0 else None


class QueueFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("立项编号、组织或项目名称"), validators=[Optional(), Length(max=100)])
    funder = SelectField(_l("资助方"), validate_choice=False)
    view = SelectField(_l("列表"), validate_choice=False)

    def __init__(self, *args, funders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.funder.choices = plain_options([(f.id, f.name) for f in funders], blank=_l("全部资助方"))
        self.view.choices = plain_options(VIEWS.items())
        self._funder_ids = {f.id for f in funders}

    def view_value(self) -> str:
        return self.view.data if self.view.data in VIEWS else "requested"

    def funder_id(self) -> int | None:
        value = _int_choice(self.funder.data)
        return value if value in self._funder_ids else None

    def search(self) -> str | None:
        return clean_search(self.q.data) or None

    def filters(self) -> dict:
        return {"funder_id": self.funder_id(), "q": self.search()}

    def active_args(self) -> dict:
        args = {}
        if self.search():
            args["q"] = self.search()
        if self.funder_id():
            args["funder"] = self.funder_id()
        return args

"""Forms of the donation pages. The service checks the amount and everything else again."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.forms import BaseForm, clean_search
from app.money import donations as service
from app.money.models import DonationStatus


class DonationForm(BaseForm):
    amount = StringField(_l("捐赠金额（元）"), validators=[DataRequired(_l("请输入捐赠金额。")), Length(max=20)],
                         render_kw={"inputmode": "decimal", "maxlength": 20, "autocomplete": "off"})
    donor_name = StringField(_l("姓名或称呼"),
                             validators=[Optional(), Length(max=service.NAME_MAX,
                                                            message=_l("不能超过 %(max)s 个字。", max=service.NAME_MAX))],
                             render_kw={"maxlength": service.NAME_MAX, "autocomplete": "name"},
                             description=_l("选填，会显示在捐赠名单和捐赠票据上；不填或勾选匿名则显示为“匿名”。"))
    donor_email = EmailField(_l("电子邮箱"),
                             validators=[Optional(), Email(_l("邮箱格式不正确。")),
                                         Length(max=service.EMAIL_MAX, message=_l("邮箱过长。"))],
                             render_kw={"maxlength": service.EMAIL_MAX, "autocomplete": "email"},
                             description=_l("选填，用于接收支付凭证，仅基金管理方可见，不会公开。"))
    message = TextAreaField(_l("留言"),
                            validators=[Optional(), Length(max=service.MESSAGE_MAX,
                                                           message=_l("不能超过 %(max)s 个字。", max=service.MESSAGE_MAX))],
                            render_kw={"rows": 2, "maxlength": service.MESSAGE_MAX},
                            description=_l("选填，会与捐赠记录一起公开显示。"))
    anonymous = BooleanField(_l("匿名捐赠（不公开姓名，票据也显示为“匿名”）"))


def _int_choice(value) -> int | None:
    value = value.strip() if isinstance(value, str) else ""
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 10 and int(value) > 0 else None


class DonationFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("捐赠人、邮箱或票据号"), validators=[Optional(), Length(max=100)])
    fund = SelectField(_l("基金"), validate_choice=False)
    status = SelectField(_l("状态"), validate_choice=False)

    def __init__(self, *args, funds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fund.choices = [SelectChoice("", _l("全部基金"))] + [
            SelectChoice(str(f.id), f"{f.name}（{f.fiscal_year}）") for f in funds]
        self.status.choices = [SelectChoice("", _l("全部状态"))] + [
            SelectChoice(s.value, s.label) for s in DonationStatus]
        self._fund_ids = {f.id for f in funds}

    def filters(self) -> dict:
        fund_id = _int_choice(self.fund.data)
        status = next((s for s in DonationStatus if s.value == self.status.data), None)
        return {"q": clean_search(self.q.data) or None,
                "fund_id": fund_id if fund_id in self._fund_ids else None,
                "status": status}

    def active_args(self) -> dict:
        return {n: getattr(self, n).data for n in ("q", "fund", "status") if getattr(self, n).data}

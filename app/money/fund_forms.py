"""Forms of the finance pages (fund sources, allocation, award funding, refunds,
reconciliation and journal filters). The services check everything again; these give the
messages beside the fields."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import BaseForm, clean_search
from app.money import funds as service
from app.money.models import EntryKind, FundSourceKind
from app.orgs.forms import enum_options, plain_options


def _len(max_len: int):
    return Length(max=max_len, message=_l("不能超过 %(max)s 个字。", max=max_len))


AMOUNT_HELP = _l("以元为单位，最多两位小数，例如 500000 或 12,345.67。")


class FundForm(BaseForm):
    funder_id = SelectField(_l("资助方"), validate_choice=False)
    kind = SelectField(_l("资金类型"), validate_choice=False, validators=[DataRequired(_l("请选择资金类型。"))])
    name = StringField(_l("资金来源名称"), validators=[DataRequired(_l("请填写资金来源名称。")), _len(service.NAME_MAX)],
                       render_kw={"maxlength": service.NAME_MAX},
                       description=_l("例如：2026年五华区福彩公益金。同一年度内名称不能重复。"))
    fiscal_year = StringField(_l("年度"), validators=[DataRequired(_l("请填写年度。"))],
                              render_kw={"inputmode": "numeric", "maxlength": 4})
    amount = StringField(_l("拨入金额（元）"), validators=[Optional()], render_kw={"inputmode": "decimal"},
                         description=_l("保存时作为“资金拨入”记入总账；可以为 0，之后再追加拨入。"))
    description = TextAreaField(_l("说明"), validators=[_len(service.DESCRIPTION_MAX)],
                                render_kw={"rows": 3, "maxlength": service.DESCRIPTION_MAX})
    accepts_donations = BooleanField(_l("接受社会捐赠（开放公开捐赠页）"))
    donation_target = StringField(_l("募捐目标（元）"), validators=[Optional()], render_kw={"inputmode": "decimal"})

    def __init__(self, *args, funders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.funder_id.choices = plain_options([(f.id, f.name) for f in funders])
        self.kind.choices = enum_options(FundSourceKind, blank=_l("请选择"))

    def data_dict(self) -> dict:
        return {"kind": self.kind.data, "name": self.name.data, "fiscal_year": self.fiscal_year.data,
                "amount": self.amount.data, "description": self.description.data,
                "accepts_donations": self.accepts_donations.data, "donation_target": self.donation_target.data}


class FundEditForm(BaseForm):
    name = StringField(_l("资金来源名称"), validators=[DataRequired(_l("请填写资金来源名称。")), _len(service.NAME_MAX)],
                       render_kw={"maxlength": service.NAME_MAX})
    description = TextAreaField(_l("说明"), validators=[_len(service.DESCRIPTION_MAX)],
                                render_kw={"rows": 3, "maxlength": service.DESCRIPTION_MAX})
    accepts_donations = BooleanField(_l("接受社会捐赠（开放公开捐赠页）"))
    donation_target = StringField(_l("募捐目标（元）"), validators=[Optional()], render_kw={"inputmode": "decimal"})

    def data_dict(self) -> dict:
        return {"name": self.name.data, "description": self.description.data,
                "accepts_donations": self.accepts_donations.data, "donation_target": self.donation_target.data}


class AllocateForm(BaseForm):
    call_id = SelectField(_l("分配给征集"), validate_choice=False, validators=[DataRequired(_l("请选择征集。"))])
    amount = StringField(_l("分配金额（元）"), validators=[DataRequired(_l("请输入金额。"))],
                         render_kw={"inputmode": "decimal"}, description=AMOUNT_HELP)
    memo = StringField(_l("备注"), validators=[_len(service.MEMO_MAX)], render_kw={"maxlength": service.MEMO_MAX})

    def __init__(self, *args, calls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.call_id.choices = plain_options([(c.id, f"{c.title}（{c.status.label}）") for c in calls],
                                             blank=_l("请选择征集"))


class DeallocateForm(BaseForm):
    call_id = HiddenField(validators=[DataRequired(_l("请选择要撤回的分配。"))])
    amount = HiddenField(validators=[DataRequired(_l("请选择要撤回的分配。"))])
    memo = StringField(_l("撤回原因"), validators=[DataRequired(_l("请填写撤回原因。")), _len(service.MEMO_MAX)],
                       render_kw={"maxlength": service.MEMO_MAX})


class AppropriateForm(BaseForm):
    amount = StringField(_l("追加拨入金额（元）"), validators=[DataRequired(_l("请输入金额。"))],
                         render_kw={"inputmode": "decimal"}, description=AMOUNT_HELP)
    memo = StringField(_l("拨入依据或备注"), validators=[_len(service.MEMO_MAX)],
                       render_kw={"maxlength": service.MEMO_MAX}, description=_l("例如：五民发〔2026〕12号追加预算。"))


class RefundForm(BaseForm):
    fund_id = SelectField(_l("退回至资金来源"), validate_choice=False,
                          validators=[DataRequired(_l("请选择资金来源。"))])
    amount = StringField(_l("退回金额（元）"), validators=[DataRequired(_l("请输入金额。"))],
                         render_kw={"inputmode": "decimal"})
    received_on = DateField(_l("到账日期"), validators=[DataRequired(_l("请填写日期，格式如 2026-03-31。"))],
                            default=lambda: service.beijing_today())
    reference = StringField(_l("银行流水号 / 收款凭证号"),
                            validators=[DataRequired(_l("请填写银行流水号或收款凭证号。")), _len(service.REFERENCE_MAX)],
                            render_kw={"maxlength": service.REFERENCE_MAX})
    reason = TextAreaField(_l("退回原因"), validators=[DataRequired(_l("请填写退回原因。")), _len(service.REASON_MAX)],
                           render_kw={"rows": 2, "maxlength": service.REASON_MAX},
                           description=_l("例如：项目结余资金退回、中期评估不合格收回已拨资金。"))

    def __init__(self, *args, fundings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fund_id.choices = plain_options([(f.fund_source_id, f.fund_source.name) for f in fundings])


class ReverseForm(BaseForm):
    reason = StringField(_l("冲正原因"), validators=[DataRequired(_l("请填写冲正原因。")), _len(service.REASON_MAX - 40)],
                         render_kw={"maxlength": service.REASON_MAX - 40})
    next = HiddenField()


VIEW_LABELS = {"funds": _l("按资金来源"), "calls": _l("按征集"), "awards": _l("按立项项目")}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReconciliationFilterForm(BaseForm):
    class Meta:
        csrf = False

    view = HiddenField()
    funder = SelectField(_l("资助方"), validate_choice=False)
    year = SelectField(_l("年度"), validate_choice=False)
    q = StringField(_l("搜索"), validators=[Optional(), Length(max=100)])

    def __init__(self, *args, funders=(), years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._funders = {f.id: f for f in funders}
        self.funder.choices = plain_options([(f.id, f.name) for f in funders], blank=_l("全部资助方"))
        self.year.choices = plain_options([(y, str(y)) for y in years], blank=_l("全部年度"))

    def view_value(self) -> str:
        return self.view.data if self.view.data in VIEW_LABELS else "funds"

    def funder_ids(self) -> list[int]:
        chosen = _int(self.funder.data)
        return [chosen] if chosen in self._funders else list(self._funders)

    def year_value(self) -> int | None:
        year = _int(self.year.data)
        return year if year is not None and service.YEAR_MIN <= year <= service.YEAR_MAX else None

    def search(self) -> str | None:
        return clean_search(self.q.data) or None

    def active_args(self, *, with_view: bool = True) -> dict:
        args = {}
        if with_view and self.view_value() != "funds":
            args["view"] = self.view_value()
        if _int(self.funder.data) in self._funders:
            args["funder"] = _int(self.funder.data)
        if self.year_value():
            args["year"] = self.year_value()
        if self.search():
            args["q"] = self.search()
        return args


class JournalFilterForm(BaseForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("分录类型"), validate_choice=False)
    fund = SelectField(_l("资金来源"), validate_choice=False)
    date_from = DateField(_l("起始日期"), validators=[Optional()])
    date_to = DateField(_l("截止日期"), validators=[Optional()])

    def __init__(self, *args, funds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._funds = {f.id: f for f in funds}
        self.kind.choices = enum_options(EntryKind, blank=_l("全部类型"))
        self.fund.choices = plain_options([(f.id, f"{f.name}（{f.fiscal_year}）") for f in funds],
                                          blank=_l("全部资金来源"))

    def kind_value(self) -> EntryKind | None:
        try:
            return EntryKind(self.kind.data) if self.kind.data else None
        except ValueError:
            return None

    def fund_value(self) -> int | None:
        fund_id = _int(self.fund.data)
        return fund_id if fund_id in self._funds else None

    @staticmethod
    def _date(f) -> date | None:
        # A date that does not parse, or is out of any sensible range, is just ignored.
        ok = isinstance(f.data, date) and service.YEAR_MIN <= f.data.year <= service.YEAR_MAX
        return f.data if ok else None

    def date_from_value(self) -> date | None:
        return self._date(self.date_from)

    def date_to_value(self) -> date | None:
        return self._date(self.date_to)

    def active_args(self) -> dict:
        args = {}
        if self.kind_value():
            args["kind"] = self.kind_value().value
        if self.fund_value():
            args["fund"] = self.fund_value()
        if self.date_from_value():
            args["date_from"] = self.date_from_value().isoformat()
        if self.date_to_value():
            args["date_to"] = self.date_to_value().isoformat()
        return args

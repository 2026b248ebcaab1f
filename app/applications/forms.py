"""Forms of the application journey: start an application, the sectioned proposal
(申报书) with its repeatable rows, and the withdraw / return-for-correction actions.

Money, quantities and targets are text: the applications service parses them and says
clearly what is wrong ("１２３", "1e9", "-1", three decimals).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional

from app.applications.models import ApplicationStatus
from app.core.db import utcnow
from app.core.forms import PHONE, BaseForm, clean_search
from app.core.money import fen_to_input
from app.orgs.forms import MultiCheckboxField, enum_options, plain_options
from app.orgs.models import ServiceTarget

CHINA = ZoneInfo("Asia/Shanghai")
# Rows a list may hold; more than anyone types, few enough to keep a request small.
MAX_ROWS = 100
# Blank rows shown under the filled ones so the form works without JavaScript.
BLANK_ROWS = {"budget_lines": 3, "indicators": 2, "milestones": 2, "team": 2}
RETURN_DAYS = 5


def china_today() -> date:
    return utcnow().astimezone(CHINA).date()


class DayField(DateField):
    """A date typed as 年-月-日, with a Chinese message in the repeatable rows too (their
    plain `Form` has no translations)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("不是有效的日期，请按“年-月-日”填写，例如 2026-03-15。")) from None


def _text(label, max_len: int, **kw):
    return StringField(label, validators=[Length(max=max_len, message=_l("不能超过 %(max)s 个字。", max=max_len))], **kw)


def _area(label, max_len: int, rows: int = 4, **kw):
    return TextAreaField(label, validators=[Length(max=max_len, message=_l("不能超过 %(max)s 个字。", max=max_len))],
                         render_kw={"rows": rows}, **kw)


def _amount(label, marker: str, **kw):
    return StringField(label, validators=[Length(max=20, message=_l("金额过长。"))],
                       render_kw={"inputmode": "decimal", "autocomplete": "off", marker: ""}, **kw)


# --- start an application ----------------------------------------------------------

class NewApplicationForm(BaseForm):
    organization_id = SelectField(_l("申报组织"), validators=[DataRequired(_l("请选择申报组织。"))],
                                  invalid_choice_message=_l("请从您所属的组织中选择。"))
    title = _text(_l("项目名称"), 200, description=_l("可以稍后再改。"))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Only the user's own organizations: any other id is an invalid choice.
        self.organization_id.choices = plain_options([(o.id, o.name) for o in organizations],
                                                     blank=_l("请选择…") if len(organizations) != 1 else None)

    def organization_pk(self) -> int | None:
        value = (self.organization_id.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 10 else None


# --- the proposal ------------------------------------------------------------------

class BudgetRow(Form):
    head = SelectField(_l("科目"), validate_choice=False, render_kw={"data-budget-head": ""})
    item = _text(_l("支出内容"), 100)
    unit = _text(_l("单位"), 20)
    quantity = StringField(_l("数量"), validators=[Length(max=10, message=_l("数字过长。"))],
                           render_kw={"inputmode": "numeric", "data-budget-qty": "", "autocomplete": "off"})
    unit_price = StringField(_l("单价（元）"), validators=[Length(max=20, message=_l("金额过长。"))],
                             render_kw={"inputmode": "decimal", "data-budget-price": "", "autocomplete": "off"})
    note = _text(_l("备注"), 200)


class IndicatorRow(Form):
    name = _text(_l("指标名称"), 100)
    unit = _text(_l("单位"), 20)
    target = StringField(_l("目标值"), validators=[Length(max=20, message=_l("数字过长。"))],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    measurement = _text(_l("测量方式"), 300)


class MilestoneRow(Form):
    due_on = DayField(_l("完成日期"), validators=[Optional()])
    title = _text(_l("阶段任务"), 100)
    deliverable = _text(_l("成果 / 交付物"), 300)


class TeamRow(Form):
    name = _text(_l("姓名"), 50)
    role = _text(_l("项目职务"), 50)
    qualification = _text(_l("资质与经验"), 300)
    is_social_worker = BooleanField(_l("持证社工"))


ROW_FORMS = {"budget_lines": BudgetRow, "indicators": IndicatorRow, "milestones": MilestoneRow, "team": TeamRow}
# Select and check inputs do not make a row "filled": a row with only a budget head chosen
# (or only the social-worker box ticked) and nothing typed is left out like a blank row.
_NOT_CONTENT = {"head", "is_social_worker"}


def _empty_row(row_form) -> bool:
    """Nothing typed, chosen or ticked."""
    return all(v in (None, "", False) or (isinstance(v, str) and not v.strip()) for v in row_form.data.values())


def _row_list(row_form):
    return FieldList(FormField(row_form), min_entries=0, max_entries=MAX_ROWS)


def _decimal_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text


class ApplicationForm(BaseForm):
    """The proposal. Field names are the keys of the data dict the service accepts."""

    # 基本信息
    title = _text(_l("项目名称"), 200)
    summary = _area(_l("项目简介"), 1000, rows=3, description=_l("一两句话说明为谁、做什么、达到什么效果。"))
    leader_name = _text(_l("项目负责人"), 50)
    leader_phone = StringField(_l("负责人电话"), validators=[Optional(), PHONE], render_kw={"inputmode": "tel"})
    # 需求分析
    need = _area(_l("服务对象的现状、问题与需求"), 10000, rows=6,
                 description=_l("最好有数据和来源（如社区走访、问卷、统计）。"))
    # 项目设计
    objectives = _area(_l("项目目标"), 10000, rows=4)
    activities = _area(_l("主要内容与活动"), 10000, rows=6,
                       description=_l("做哪些活动、频次、地点、谁来做。"))
    sustainability = _area(_l("可持续性"), 10000, rows=3, description=_l("项目结束后服务如何延续。"))
    # 服务对象与受益人
    target_groups = MultiCheckboxField(_l("服务对象"), invalid_choice_message=lambda n: _l("服务对象选项无效。"))
    planned_beneficiaries = StringField(_l("计划受益人数"), validators=[Length(max=9, message=_l("数字过长。"))],
                                        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    beneficiary_description = _area(_l("受益人说明"), 1000, rows=2,
                                    description=_l("例如：独居、空巢及高龄老人；直接受益和间接受益分别多少人。"))
    # 服务社区
    community_ids = MultiCheckboxField(_l("服务社区"), coerce=int,
                                       invalid_choice_message=lambda n: _l("请只选择本征集范围内的社区。"))
    # 项目周期
    starts_on = DayField(_l("开始日期"), validators=[Optional()])
    ends_on = DayField(_l("结束日期"), validators=[Optional()])
    # 预算、配套资金
    budget_lines = _row_list(BudgetRow)
    requested = _amount(_l("申请资助金额（元）"), "data-requested")
    matching = _amount(_l("配套资金（元）"), "data-matching")
    matching_source = _text(_l("配套资金来源"), 300, description=_l("例如：社区自筹、企业捐赠、街道配套。"))
    # 成效指标、实施进度、项目团队
    indicators = _row_list(IndicatorRow)
    milestones = _row_list(MilestoneRow)
    team = _row_list(TeamRow)
    # 承诺
    declares_no_fixed_assets = BooleanField(_l("项目资金不用于购置固定资产"))
    declares_no_cash_gifts = BooleanField(_l("项目资金不用于向服务对象发放现金或礼品"))
    declares_truthful = BooleanField(_l("本申报书所填内容真实、准确，如有不实愿承担相应责任"))

    TEXT_KEYS = ("title", "summary", "leader_name", "leader_phone", "need", "objectives", "activities",
                 "sustainability", "planned_beneficiaries", "beneficiary_description", "requested", "matching",
                 "matching_source")
    FLAG_KEYS = ("declares_no_fixed_assets", "declares_no_cash_gifts", "declares_truthful")

    def __init__(self, *args, call=None, communities=(), application=None, **kwargs):
        if application is not None and kwargs.get("formdata") is None and not args:
            kwargs["formdata"] = None
            kwargs["data"] = self.initial(application)
        super().__init__(*args, **kwargs)
        self.heads = list(call.budget_heads or []) if call is not None else []
        self.target_groups.choices = enum_options(ServiceTarget)
        self.community_ids.choices = [(c_id, label) for _street, items in communities for c_id, label in items]
        self.community_groups = list(communities)
        self.invalid_inputs: dict[str, str] = {}
        for entry in self.budget_lines:
            self._head_choices(entry.form.head)

    def _head_choices(self, field) -> None:
        options = [("", _l("选择科目…"))] + [(h, h) for h in self.heads]
        # A head the call no longer lists stays visible, so the service can name it.
        if field.data and field.data not in self.heads:
            options.append((field.data, field.data))
        field.choices = options

    def add_blank_rows(self) -> None:
        """A few empty rows under the filled ones (typing in them adds rows without JS).

        After a failed save the submitted rows come back with the blank rows that were sent
        along: those count, so the blanks do not pile up with each attempt. Blank rows between
        filled ones stay, so that "第 N 行" in a message is still the Nth row on the page."""
        for name, count in BLANK_ROWS.items():
            field = getattr(self, name)
            trailing = 0
            for entry in reversed(field.entries):
                if not _empty_row(entry.form):
                    break
                trailing += 1
            while trailing > count:
                field.pop_entry()
                trailing -= 1
            for _ in range(count - trailing):
                if len(field.entries) >= MAX_ROWS:
                    break
                entry = field.append_entry()
                if name == "budget_lines":
                    self._head_choices(entry.form.head)

    def add_domain_error(self, err) -> None:
        """Besides the message, remember the input a row error is about ("预算第 3 行：单价…")
        so the page can mark it; `invalid_inputs` maps its id to the message's id."""
        super().add_domain_error(err)
        field = getattr(self, err.field, None) if err.field in ROW_FORMS else None
        row = getattr(err, "row", None)
        if field is None or not isinstance(row, int) or not 1 <= row <= len(field.entries):
            return
        entry = field.entries[row - 1]
        column = getattr(err, "column", None)
        targets = [entry.form[column]] if column in entry.form._fields else list(entry.form)
        for target in targets:
            self.invalid_inputs[target.id] = f"{field.id}-error"

    def row_templates(self) -> dict[str, Form]:
        """One unbound row per list, named `<list>-__INDEX__-<field>`, for the JS "添加一行"."""
        templates = {}
        for name, row_form in ROW_FORMS.items():
            row = row_form(formdata=None, prefix=f"{name}-__INDEX__-")
            if name == "budget_lines":
                self._head_choices(row.head)
            templates[name] = row
        return templates

    @staticmethod
    def initial(application) -> dict:
        a = application
        return {
            "title": a.title, "summary": a.summary, "leader_name": a.leader_name, "leader_phone": a.leader_phone,
            "need": a.need, "objectives": a.objectives, "activities": a.activities,
            "sustainability": a.sustainability,
            "target_groups": [t.value for t in a.target_groups],
            "planned_beneficiaries": str(a.planned_beneficiaries) if a.planned_beneficiaries else "",
            "beneficiary_description": a.beneficiary_description,
            "community_ids": [r.community_id for r in a.community_rows],
            "starts_on": a.starts_on, "ends_on": a.ends_on,
            "requested": fen_to_input(a.requested_fen) if a.requested_fen else "",
            "matching": fen_to_input(a.matching_fen) if a.matching_fen else "",
            "matching_source": a.matching_source,
            "budget_lines": [{"head": b.head, "item": b.item, "unit": b.unit, "quantity": str(b.quantity),
                              "unit_price": fen_to_input(b.unit_price_fen), "note": b.note}
                             for b in a.budget_lines],
            "indicators": [{"name": i.name, "unit": i.unit, "target": _decimal_text(i.target),
                            "measurement": i.measurement} for i in a.indicators],
            "milestones": [{"due_on": m.due_on, "title": m.title, "deliverable": m.deliverable}
                           for m in a.milestones],
            "team": [{"name": t.name, "role": t.role, "qualification": t.qualification,
                      "is_social_worker": t.is_social_worker} for t in a.team],
            "declares_no_fixed_assets": a.declares_no_fixed_assets,
            "declares_no_cash_gifts": a.declares_no_cash_gifts,
            "declares_truthful": a.declares_truthful,
        }

    def _rows(self, name: str) -> list[dict]:
        """Every row in page order, so the service's "第 N 行" is the Nth row on the page;
        a row with nothing typed is sent blank (the service skips blank rows)."""
        rows = []
        for entry in getattr(self, name):
            row = {k: v.strip() if isinstance(v, str) else v for k, v in entry.form.data.items()}
            if not any(v not in (None, "") for k, v in row.items() if k not in _NOT_CONTENT):
                row = {k: None for k in row}
            rows.append(row)
        return rows

    def application_data(self) -> dict:
        """The proposal as the plain data dict of the service contract."""
        data = {key: getattr(self, key).data or "" for key in self.TEXT_KEYS}
        data.update({key: bool(getattr(self, key).data) for key in self.FLAG_KEYS})
        data["target_groups"] = list(self.target_groups.data or [])
        data["community_ids"] = list(self.community_ids.data or [])
        data["starts_on"] = self.starts_on.data
        data["ends_on"] = self.ends_on.data
        for name in ROW_FORMS:
            data[name] = self._rows(name)
        return data


# --- actions -----------------------------------------------------------------------

class WithdrawForm(BaseForm):
    reason = TextAreaField(_l("撤回原因（可不填）"),
                           validators=[Length(max=500, message=_l("撤回原因不能超过 500 个字。"))],
                           render_kw={"rows": 2, "maxlength": 500})


class ReturnForm(BaseForm):
    reason = TextAreaField(_l("退回原因（需要补正的内容）"),
                           validators=[DataRequired(_l("请填写退回原因。")),
                                       Length(max=1000, message=_l("退回原因不能超过 1000 个字。"))],
                           render_kw={"rows": 3, "maxlength": 1000})
    due_on = DayField(_l("补正截止日期（北京时间当天 24 时前）"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted() and self.due_on.data is None:
            self.due_on.data = china_today() + timedelta(days=RETURN_DAYS)

    def due_at(self) -> datetime | None:
        """The end of the chosen day in Beijing time, as UTC (None: the service's default)."""
        day = self.due_on.data
        if day is None:
            return None
        try:
            return datetime.combine(day + timedelta(days=1), time(0, 0), CHINA).astimezone(timezone.utc) \
                - timedelta(seconds=1)
        except OverflowError:  # 9999-12-31: beyond any allowed deadline, which the service says
            return datetime.max.replace(tzinfo=timezone.utc)


# --- list filters (GET, no CSRF) -----------------------------------------------------

class _FilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("搜索"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("状态"), validate_choice=False)

    def status_value(self) -> ApplicationStatus | None:
        return ApplicationStatus.coerce(self.status.data)

    def search(self) -> str | None:
        return clean_search(self.q.data) or None


class MyApplicationsFilterForm(_FilterForm):
    organization = SelectField(_l("申报组织"), validate_choice=False)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = enum_options(ApplicationStatus, blank=_l("全部状态"))
        self.organization.choices = plain_options([(o.id, o.name) for o in organizations], blank=_l("全部组织"))
        self._org_ids = {o.id for o in organizations}

    def organization_id(self) -> int | None:
        value = (self.organization.data or "").strip()
        org_id = int(value) if value.isdigit() and len(value) < 10 else None
        return org_id if org_id in self._org_ids else None

    def active_args(self) -> dict:
        return {n: getattr(self, n).data for n in ("q", "status", "organization") if getattr(self, n).data}


class CallApplicationsFilterForm(_FilterForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Drafts are the organizations' own: never listed for funder staff.
        self.status.choices = [c for c in enum_options(ApplicationStatus, blank=_l("全部状态"))
                               if c.value != ApplicationStatus.DRAFT.value]

    def status_value(self) -> ApplicationStatus | None:
        status = super().status_value()
        return None if status == ApplicationStatus.DRAFT else status

    def active_args(self) -> dict:
        return {n: getattr(self, n).data for n in ("q", "status") if getattr(self, n).data}


class CompareForm(BaseForm):
    class Meta:
        csrf = False

    a = SelectField(_l("对比版本"), validate_choice=False)
    b = SelectField(_l("与版本"), validate_choice=False)

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(n), _l("第 %(n)s 版", n=n)) for n in numbers]
        self.a.choices = choices
        self.b.choices = choices

    @staticmethod
    def number(value) -> int | None:
        value = (value or "").strip()
        return int(value) if value.isdigit() and len(value) < 10 else None

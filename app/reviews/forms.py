"""Forms of the expert pool (专家库)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.applications.forms import DayField
from app.core.forms import BaseForm, clean_search
from app.orgs.forms import MultiCheckboxField, enum_options
from app.reviews.experts import (MAX_AFFILIATION_NAME, MAX_AFFILIATIONS, MAX_BIO, MAX_EMPLOYER,
                                 MAX_REASON, MAX_TITLE, RELATIONS)
from app.reviews.models import ExpertiseField, ExpertStatus

# Blank affiliation rows shown under the filled ones (the form works without JavaScript).
BLANK_AFFILIATION_ROWS = 2


def _len(max_len: int):
    return Length(max=max_len, message=_l("不能超过 %(max)s 个字。", max=max_len))


class _ProfileFields(BaseForm):
    title = StringField(_l("职称"), validators=[DataRequired(_l("请填写职称。")), _len(MAX_TITLE)],
                        description=_l("例如：副教授、高级社会工作师、注册会计师。"))
    employer = StringField(_l("工作单位"), validators=[DataRequired(_l("请填写工作单位。")), _len(MAX_EMPLOYER)],
                           description=_l("请填写全称。与申报组织同一单位的专家会自动回避。"))
    fields = MultiCheckboxField(_l("专业领域"), validators=[DataRequired(_l("请至少选择一个专业领域。"))],
                                invalid_choice_message=lambda n: _l("专业领域选项无效：%(value)s"))
    bio = TextAreaField(_l("个人简介"), validators=[_len(MAX_BIO)], render_kw={"rows": 5},
                        description=_l("研究方向、从业经历、参与过的评审等（可选）。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.choices = enum_options(ExpertiseField)

    def base_data(self) -> dict:
        return {"title": self.title.data, "employer": self.employer.data,
                "fields": self.fields.data or [], "bio": self.bio.data}


class EnrollForm(_ProfileFields):
    """An officer adds an existing user to the pool."""

    email = EmailField(_l("用户邮箱"), validators=[DataRequired(_l("请填写要加入专家库的用户的邮箱。")), _len(254)],
                       description=_l("对方须已在平台注册账号。"))


class AffiliationRow(Form):
    name = StringField(_l("组织或单位名称"), validators=[_len(MAX_AFFILIATION_NAME)])
    relation = SelectField(_l("关系"), choices=[SelectChoice(r, _l(r)) for r in RELATIONS], validate_choice=False)
    since = DayField(_l("起始日期"), validators=[Optional()])
    until = DayField(_l("结束日期"), validators=[Optional()])


class ExpertProfileForm(_ProfileFields):
    """The expert's own profile, also the application form (申请加入专家库)."""

    affiliations = FieldList(FormField(AffiliationRow), min_entries=0, max_entries=MAX_AFFILIATIONS + 5)

    def profile_data(self) -> dict:
        rows = [
            {"name": (entry.form.name.data or "").strip(), "relation": entry.form.relation.data,
             "since": entry.form.since.data, "until": entry.form.until.data}
            for entry in self.affiliations
        ]
        return {**self.base_data(), "affiliations": rows}

    def add_blank_rows(self) -> None:
        for _i in range(BLANK_AFFILIATION_ROWS):
            if len(self.affiliations) < self.affiliations.max_entries:
                self.affiliations.append_entry()


class SuspendForm(BaseForm):
    reason = TextAreaField(_l("暂停原因"), validators=[DataRequired(_l("请填写暂停原因。")), _len(MAX_REASON)],
                           render_kw={"rows": 2})


class DeclineForm(BaseForm):
    reason = TextAreaField(_l("不予通过的原因"), validators=[DataRequired(_l("请填写不予通过的原因。")), _len(MAX_REASON)],
                           render_kw={"rows": 2})


class PoolFilterForm(BaseForm):
    """GET filters of the pool list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("姓名或工作单位"))
    field = SelectField(_l("专业领域"), validate_choice=False)
    status = SelectField(_l("状态"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field.choices = enum_options(ExpertiseField, blank=_l("全部领域"))
        self.status.choices = enum_options(ExpertStatus, blank=_l("全部状态"))

    def filters(self) -> dict:
        return {"q": clean_search(self.q.data), "field": ExpertiseField.coerce(self.field.data),
                "status": ExpertStatus.coerce(self.status.data)}

    def active_args(self) -> dict:
        f = self.filters()
        args = {"q": f["q"], "field": f["field"].value if f["field"] else "",
                "status": f["status"].value if f["status"] else ""}
        return {k: v for k, v in args.items() if v}

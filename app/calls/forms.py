from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateTimeLocalField, FieldList, Form, FormField, HiddenField,
                     SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional

from app.calls.models import AggregationMethod, CallKind, CallStatus, InstallmentTrigger
from app.core.forms import BaseForm, clean_search
from app.core.money import fen_to_input
from app.orgs.forms import MultiCheckboxField, enum_options, plain_options
from app.orgs.models import Category, EvaluationGrade, LegalStatus, ServiceTarget

CHINA = ZoneInfo("Asia/Shanghai")
_NOT_A_CHOICE = _l("请从列表中选择。")
_DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=CHINA).astimezone(timezone.utc)


def _to_local(value: datetime | None) -> datetime | None:
    return value.astimezone(CHINA).replace(tzinfo=None) if value else None


def _int_text(label, max_len=3, **kw):
    return StringField(label, validators=[Length(max=max_len, message=_l("数字过长。"))],
                       render_kw={"inputmode": "numeric"}, **kw)


class CallFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("搜索"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("类型"), validate_choice=False)
    region = SelectField(_l("地区"), validate_choice=False)
    status = SelectField(_l("状态"), validate_choice=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = enum_options(CallKind, blank=_l("全部类型"))
        self.region.choices = plain_options(regions, blank=_l("全部地区"))
        self.status.choices = [c for c in enum_options(CallStatus, blank=_l("全部状态")) if c.value != "draft"]

    def filters(self) -> dict:
        region = (self.region.data or "").strip()
        status = CallStatus.coerce(self.status.data)
        return {
            "q": clean_search(self.q.data) or None,
            "kind": CallKind.coerce(self.kind.data),
            "region_id": int(region) if region.isdigit() and len(region) < 10 else None,
            "status": None if status == CallStatus.DRAFT else status,
        }

    def active_args(self) -> dict:
        return {n: getattr(self, n).data for n in ("q", "kind", "region", "status") if getattr(self, n).data}


class CallForm(BaseForm):
    funder_id = SelectField(_l("资助方"), validate_choice=False)
    kind = SelectField(_l("征集类型"), default=CallKind.VENTURE.value, invalid_choice_message=_NOT_A_CHOICE)
    title = StringField(_l("征集标题"), validators=[DataRequired(_l("请填写征集标题。")),
                                                Length(max=200, message=_l("标题不能超过 200 个字。"))])
    summary = TextAreaField(_l("简介"), validators=[Length(max=500, message=_l("简介不能超过 500 个字。"))],
                            render_kw={"rows": 2})
    description = TextAreaField(_l("详细说明"), validators=[Length(max=20000, message=_l("详细说明不能超过 20000 个字。"))],
                                render_kw={"rows": 6})
    region_scope_id = SelectField(_l("征集范围"), validate_choice=False,
                                  description=_l("资助方所在地区或其下属地区。"))
    service_item = StringField(_l("服务事项（指导性目录）"),
                               validators=[Length(max=200, message=_l("服务事项不能超过 200 个字。"))],
                               description=_l("政府购买服务项目必填。"))
    budget = StringField(_l("资助总额（元）"), validators=[Length(max=20, message=_l("金额过长。"))])
    min_award = StringField(_l("单个项目最低资助额（元）"), validators=[Length(max=20, message=_l("金额过长。"))])
    max_award = StringField(_l("单个项目最高资助额（元）"), validators=[Length(max=20, message=_l("金额过长。"))])
    matching_ratio_pct = _int_text(_l("配套资金比例（%）"), default="0",
                                   description=_l("申报组织须自筹的配套资金占申请金额的百分比。"))
    management_cap_pct = _int_text(_l("管理费用上限（%）"), default="10")
    budget_heads = TextAreaField(_l("预算科目"), default="业务活动费\n管理费用\n税费",
                                 validators=[Length(max=1000, message=_l("内容过长。"))],
                                 description=_l("每行一个。"), render_kw={"rows": 3})
    allowed_legal_statuses = MultiCheckboxField(_l("可申报的组织"), invalid_choice_message=lambda n: _l("选项无效。"))
    categories = MultiCheckboxField(_l("组织类别（不选表示不限）"), invalid_choice_message=lambda n: _l("选项无效。"))
    service_targets = MultiCheckboxField(_l("服务对象（不选表示不限）"), invalid_choice_message=lambda n: _l("选项无效。"))
    min_org_age_months = _int_text(_l("成立时间不少于（月）"), default="0")
    min_evaluation_grade = SelectField(_l("最低评估等级"), default="", invalid_choice_message=_NOT_A_CHOICE,
                                       description=_l("默认不限：新成立和备案的组织没有评估等级。"))
    require_normal_credit = BooleanField(_l("要求信用状态正常"), default=True)
    max_applications_per_org = _int_text(_l("每个组织可申报项目数"), default="1")
    min_credit_score = _int_text(_l("最低信用分（可选）"), default="",
                                 description=_l("0–100 的整数；留空表示不把平台信用分作为申报条件。"
                                                "形式审查时按审查当天的信用分判断。"))
    credit_bonus_max = _int_text(_l("信用加分上限"), max_len=3, default="0",
                                 description=_l("0–10 的整数，0 表示不加分。信用等级 A 加满分、B 加一半、C 和 D 不加，"
                                                "加在评审专家的面板得分上，入围分数线按加分后的最终得分比较。"))
    required_attachments = TextAreaField(_l("必须提交的附件"), validators=[Length(max=1500, message=_l("内容过长。"))],
                                         description=_l("每行一个，例如：登记证书或备案证明。"), render_kw={"rows": 3})
    opens_at = DateTimeLocalField(_l("开始时间（北京时间）"), format=_DT_FORMATS,
                                  validators=[DataRequired(_l("请填写开始时间（年-月-日 时:分）。"))])
    deadline_at = DateTimeLocalField(_l("截止时间（北京时间）"), format=_DT_FORMATS,
                                     validators=[DataRequired(_l("请填写截止时间（年-月-日 时:分）。"))])
    reviewers_per_application = _int_text(_l("每份申报书评审专家人数"), default="5")
    aggregation = SelectField(_l("评分汇总方式"), default=AggregationMethod.TRIMMED_MEAN.value,
                              invalid_choice_message=_NOT_A_CHOICE)
    pass_line = _int_text(_l("入围分数线"), default="60")
    disagreement_threshold = _int_text(_l("分歧阈值（标准差，分）"), default="15")
    notice_working_days = _int_text(_l("公示期（工作日）"), default="5")
    blind_review = BooleanField(_l("匿名评审（评审专家看不到组织名称）"))

    def __init__(self, *args, funders=(), regions=(), call=None, **kwargs):
        if call is not None and not kwargs.get("formdata") and "obj" not in kwargs:
            kwargs["data"] = self.initial(call)
        super().__init__(*args, **kwargs)
        self.funder_id.choices = plain_options(funders)
        self.kind.choices = enum_options(CallKind)
        self.region_scope_id.choices = plain_options(regions, blank=_l("请选择地区…"))
        self.allowed_legal_statuses.choices = enum_options(LegalStatus)
        self.categories.choices = enum_options(Category)
        self.service_targets.choices = enum_options(ServiceTarget)
        self.min_evaluation_grade.choices = [("", _l("不限"))] + [
            (v, lbl) for v, lbl in EvaluationGrade.choices() if v != "none"]
        self.aggregation.choices = enum_options(AggregationMethod)
        if not self.allowed_legal_statuses.data and not self.is_submitted():
            self.allowed_legal_statuses.data = [s.value for s in LegalStatus]

    @staticmethod
    def initial(call) -> dict:
        return {
            "funder_id": str(call.funder_id), "kind": call.kind.value, "title": call.title,
            "summary": call.summary, "description": call.description,
            "region_scope_id": str(call.region_scope_id), "service_item": call.service_item,
            "budget": fen_to_input(call.budget_fen), "min_award": fen_to_input(call.min_award_fen),
            "max_award": fen_to_input(call.max_award_fen),
            "matching_ratio_pct": str(call.matching_ratio_pct), "management_cap_pct": str(call.management_cap_pct),
            "budget_heads": "\n".join(call.budget_heads or []),
            "allowed_legal_statuses": list(call.allowed_legal_statuses or []),
            "categories": [c.value for c in call.categories],
            "service_targets": [t.value for t in call.service_targets],
            "min_org_age_months": str(call.min_org_age_months),
            "min_evaluation_grade": call.min_evaluation_grade.value if call.min_evaluation_grade else "",
            "require_normal_credit": call.require_normal_credit,
            "max_applications_per_org": str(call.max_applications_per_org),
            "min_credit_score": "" if call.min_credit_score is None else str(call.min_credit_score),
            "credit_bonus_max": str(call.credit_bonus_max or 0),
            "required_attachments": "\n".join(call.required_attachments or []),
            "opens_at": _to_local(call.opens_at), "deadline_at": _to_local(call.deadline_at),
            "reviewers_per_application": str(call.reviewers_per_application),
            "aggregation": call.aggregation.value, "pass_line": str(call.pass_line),
            "disagreement_threshold": str(call.disagreement_threshold),
            "notice_working_days": str(call.notice_working_days), "blind_review": call.blind_review,
        }

    def call_data(self) -> dict:
        region = (self.region_scope_id.data or "").strip()
        return {
            "kind": self.kind.data, "title": self.title.data, "summary": self.summary.data,
            "description": self.description.data,
            "region_scope_id": int(region) if region.isdigit() and len(region) < 10 else None,
            "service_item": self.service_item.data, "budget": self.budget.data,
            "min_award": self.min_award.data, "max_award": self.max_award.data,
            "matching_ratio_pct": self.matching_ratio_pct.data or "0",
            "management_cap_pct": self.management_cap_pct.data or "0",
            "budget_heads": self.budget_heads.data or "",
            "allowed_legal_statuses": self.allowed_legal_statuses.data or [],
            "categories": self.categories.data or [], "service_targets": self.service_targets.data or [],
            "min_org_age_months": self.min_org_age_months.data or "0",
            "min_evaluation_grade": self.min_evaluation_grade.data or None,
            "require_normal_credit": bool(self.require_normal_credit.data),
            "max_applications_per_org": self.max_applications_per_org.data or "1",
            "min_credit_score": self.min_credit_score.data or None,
            "credit_bonus_max": self.credit_bonus_max.data or "0",
            "required_attachments": self.required_attachments.data or "",
            "opens_at": _to_utc(self.opens_at.data), "deadline_at": _to_utc(self.deadline_at.data),
            "reviewers_per_application": self.reviewers_per_application.data or "5",
            "aggregation": self.aggregation.data, "pass_line": self.pass_line.data or "0",
            "disagreement_threshold": self.disagreement_threshold.data or "0",
            "notice_working_days": self.notice_working_days.data or "5",
            "blind_review": bool(self.blind_review.data),
        }


class CriterionRow(Form):
    name = StringField(_l("评分项"), validators=[Length(max=60, message=_l("不能超过 60 个字。"))])
    description = StringField(_l("说明"), validators=[Length(max=300, message=_l("不能超过 300 个字。"))])
    max_points = StringField(_l("满分"), validators=[Length(max=3, message=_l("数字过长。"))],
                             render_kw={"inputmode": "numeric", "data-rubric-points": ""})
    weight = StringField(_l("权重"), default="1", validators=[Length(max=2, message=_l("数字过长。"))],
                         render_kw={"inputmode": "numeric"})


class RubricForm(BaseForm):
    criteria = FieldList(FormField(CriterionRow), min_entries=1, max_entries=15)

    def rows(self) -> list[dict]:
        """Rows with anything typed in; blank rows are ignored."""
        out = []
        for entry in self.criteria:
            row = {k: (v or "").strip() if isinstance(v, str) else v for k, v in entry.data.items()}
            if any(row.get(k) for k in ("name", "description", "max_points")):
                row.setdefault("weight", "1")
                row["weight"] = row["weight"] or "1"
                out.append(row)
        return out


class StepRow(Form):
    percent = StringField(_l("比例（%）"), validators=[Length(max=3, message=_l("数字过长。"))],
                          render_kw={"inputmode": "numeric"})
    trigger = SelectField(_l("拨付条件"), validate_choice=False)


class InstallmentsForm(BaseForm):
    steps = FieldList(FormField(StepRow), min_entries=1, max_entries=8)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for entry in self.steps:
            entry.form.trigger.choices = [("", _l("（不使用此行）"))] + InstallmentTrigger.choices()

    def rows(self) -> list[dict]:
        out = []
        for entry in self.steps:
            percent = (entry.form.percent.data or "").strip()
            trigger = entry.form.trigger.data or ""
            if percent or trigger:
                out.append({"percent": percent, "trigger": trigger})
        return out


class AdvanceForm(BaseForm):
    to = HiddenField(validators=[Length(max=20)])


class CancelForm(BaseForm):
    reason = TextAreaField(_l("取消原因"), validators=[DataRequired(_l("请填写取消原因。")),
                                                   Length(max=500, message=_l("取消原因不能超过 500 个字。"))],
                           render_kw={"rows": 2})

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, IntegerField, SelectField, SelectMultipleField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import PHONE, BaseForm, clean_search
from app.orgs.models import (Category, CreditStatus, EvaluationGrade, LegalStatus, MemberRole,
                             PartyOrganization, ServiceTarget)
from app.orgs.services import MAX_MISSION, MAX_PEOPLE

_NOT_A_CHOICE = _l("请从列表中选择。")


def enum_options(enum_cls, *, blank: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(value, label) for value, label in enum_cls.choices()]


def grouped_options(groups, *, blank: str | None = None) -> list[SelectChoice]:
    """[(group label, [(id, label), ...]), ...] -> options inside <optgroup>s."""
    options = [SelectChoice("", blank)] if blank is not None else []
    for group, items in groups:
        options += [SelectChoice(str(value), label, optgroup=group or None) for value, label in items]
    return options


def plain_options(items, *, blank: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(str(value), label) for value, label in items]


def _int_or_none(value):
    if value in (None, ""):
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (the `field` macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CountField(IntegerField):
    """A whole number typed with half-width digits. WTForms' IntegerField takes any
    Unicode digits ("１２３") and any length, and NumberRange then crashes on a number
    too large for a float; here both get a clear message instead."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        if not raw:
            self.data = None
            return
        digits = raw.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()):
            self.data = None
            raise ValueError(_l("请填写整数（半角数字），例如 12。"))
        if len(digits) > 9:
            self.data = None
            raise ValueError(_l("人数应在 0 到 %(max)s 之间。", max=MAX_PEOPLE))
        self.data = int(raw)


def _count_field(label: str, description: str | None = None) -> IntegerField:
    return CountField(label, default=0, description=description, validators=[
        Optional(), NumberRange(min=0, max=MAX_PEOPLE, message=_l("人数应在 0 到 %(max)s 之间。", max=MAX_PEOPLE))])


class OrganizationForm(BaseForm):
    name = StringField(_l("组织名称"), validators=[DataRequired(_l("请填写组织名称。")), Length(max=100, message=_l("组织名称不能超过 100 个字。"))],
                       description=_l("请填写登记或备案时使用的全称。"))
    legal_status = SelectField(_l("法律状态"), default=LegalStatus.FILED.value,
                               invalid_choice_message=_NOT_A_CHOICE,
                               description=_l("登记：在民政部门登记，有统一社会信用代码；备案：在街道（乡镇）备案；社区党组织引领：由社区党组织指导。"))
    credit_code = StringField(_l("统一社会信用代码"), validators=[Length(max=18, message=_l("统一社会信用代码应为 18 位，您输入的超过了 18 位。"))],
                              description=_l("18 位，登记的社会组织必填；备案和社区党组织引领的组织没有此代码。"),
                              render_kw={"autocomplete": "off", "spellcheck": "false"})
    registered_on = DateField(_l("登记日期"), validators=[Optional()], description=_l("仅登记的社会组织填写。"))
    registration_authority = StringField(_l("登记机关或指导单位"),
                                         validators=[Length(max=100, message=_l("不能超过 100 个字。"))],
                                         description=_l("登记管理机关 / 备案街道 / 指导社区党组织"))
    category = SelectField(_l("组织类别"), validators=[DataRequired(_l("请选择组织类别。"))], invalid_choice_message=_NOT_A_CHOICE)
    service_targets = MultiCheckboxField(_l("服务对象"), validators=[DataRequired(_l("请至少选择一类服务对象。"))],
                                         invalid_choice_message=lambda n: _l("服务对象选项无效：%(value)s"))
    service_target_other = StringField(_l("其他服务对象"), validators=[Length(max=100, message=_l("不能超过 100 个字。"))],
                                       description=_l("选择“其他”时请说明具体人群。"))
    home_community_id = SelectField(_l("所在社区（村）"), coerce=_int_or_none,
                                    validators=[DataRequired(_l("请选择组织所在的社区（村）。"))],
                                    invalid_choice_message=_l("请从列表中选择社区（村）。"),
                                    invalid_value_message=_l("请从列表中选择社区（村）。"))
    founded_on = DateField(_l("成立日期"), validators=[DataRequired(_l("请填写成立日期（格式：年-月-日）。"))])
    party_organization = SelectField(_l("党组织"), default=PartyOrganization.NO.value, invalid_choice_message=_NOT_A_CHOICE)
    social_worker_count = _count_field(_l("持证社会工作者人数"))
    staff_count = _count_field(_l("专职工作人员人数"))
    volunteer_count = _count_field(_l("登记志愿者人数"))
    mission = TextAreaField(_l("宗旨与服务内容"), validators=[Length(max=MAX_MISSION, message=_l("不能超过 %(max)s 个字。", max=MAX_MISSION))],
                            render_kw={"rows": 5})
    address = StringField(_l("办公地址"), validators=[Length(max=200, message=_l("地址不能超过 200 个字。"))])
    legal_representative = StringField(_l("法定代表人 / 负责人"), validators=[Length(max=50, message=_l("不能超过 50 个字。"))])
    contact_name = StringField(_l("联系人"), validators=[Length(max=50, message=_l("不能超过 50 个字。"))])
    contact_phone = TelField(_l("联系电话"), validators=[Optional(), PHONE])
    contact_email = EmailField(_l("联系邮箱"), validators=[Optional(), Email(_l("邮箱格式不正确。")),
                                                   Length(max=254, message=_l("邮箱过长。"))])

    def __init__(self, *args, community_groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Labels are translated per request, so choices are built here, not at import.
        self.legal_status.choices = enum_options(LegalStatus)
        self.category.choices = enum_options(Category, blank=_l("请选择…"))
        self.service_targets.choices = enum_options(ServiceTarget)
        self.party_organization.choices = enum_options(PartyOrganization)
        self.home_community_id.choices = grouped_options(community_groups, blank=_l("请选择社区（村）…"))

    def validate(self, extra_validators=None) -> bool:
        # The code and registration date only apply to registered organizations; when
        # another status is chosen those (hidden) fields are dropped, not validated.
        if self.legal_status.data != LegalStatus.REGISTERED.value:
            for f in (self.credit_code, self.registered_on):
                f.data = None
                f.raw_data = []
                f.process_errors = []
        return super().validate(extra_validators)

    def profile_data(self) -> dict:
        """The profile as plain data for the service (only the fields declared here)."""
        keys = ["name", "legal_status", "credit_code", "registered_on", "registration_authority",
                "category", "service_targets", "service_target_other", "home_community_id",
                "founded_on", "party_organization", "social_worker_count", "staff_count",
                "volunteer_count", "mission", "address", "legal_representative",
                "contact_name", "contact_phone", "contact_email"]
        return {key: getattr(self, key).data for key in keys}


class StaffFieldsForm(BaseForm):
    evaluation_grade = SelectField(_l("评估等级"), invalid_choice_message=_NOT_A_CHOICE)
    credit_status = SelectField(_l("信用状态"), invalid_choice_message=_NOT_A_CHOICE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.evaluation_grade.choices = enum_options(EvaluationGrade)
        self.credit_status.choices = enum_options(CreditStatus)


class InviteForm(BaseForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(_l("请输入邮箱。")), Email(_l("邮箱格式不正确。")),
                                         Length(max=254, message=_l("邮箱过长。"))])
    role = SelectField(_l("角色"), default=MemberRole.MEMBER.value, invalid_choice_message=_NOT_A_CHOICE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = enum_options(MemberRole)


class MemberRoleForm(BaseForm):
    role = SelectField(_l("角色"), invalid_choice_message=_NOT_A_CHOICE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = enum_options(MemberRole)


class DirectoryFilterForm(BaseForm):
    """Directory filters (GET; no CSRF: nothing changes). Unknown values are ignored."""

    class Meta:
        csrf = False

    q = StringField(_l("搜索"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("类别"), validate_choice=False)
    region = SelectField(_l("地区"), validate_choice=False)
    target = SelectField(_l("服务对象"), validate_choice=False)
    legal_status = SelectField(_l("法律状态"), validate_choice=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = enum_options(Category, blank=_l("全部类别"))
        self.region.choices = plain_options(regions, blank=_l("全部地区"))
        self.target.choices = enum_options(ServiceTarget, blank=_l("全部服务对象"))
        self.legal_status.choices = enum_options(LegalStatus, blank=_l("全部法律状态"))

    def filters(self) -> dict:
        region = (self.region.data or "").strip()
        return {
            "q": clean_search(self.q.data) or None,
            "category": Category.coerce(self.category.data),
            "region_id": int(region) if region.isdigit() and len(region) < 10 else None,
            "target": ServiceTarget.coerce(self.target.data),
            "legal_status": LegalStatus.coerce(self.legal_status.data),
        }

    def active_args(self) -> dict:
        """The filters as URL arguments (for pagination links)."""
        return {name: getattr(self, name).data for name in ("q", "category", "region", "target", "legal_status")
                if getattr(self, name).data}


class BreachForm(BaseForm):
    """记录违约 (app.awards.breaches.record_breach checks every rule; the form only bounds lengths)."""

    reason = TextAreaField(_l("违约情况"), validators=[DataRequired(_l("请填写违约情况。")),
                                                   Length(max=500, message=_l("违约情况不能超过 500 个字。"))],
                           render_kw={"rows": 4, "maxlength": 500},
                           description=_l("写明违反了协议的哪一条、事实和依据，将在组织的信用页面公开。"))
    starts_on = StringField(_l("违约日期"), validators=[Length(max=10, message=_l("请按 年-月-日 填写，如 2026-03-31。"))],
                            render_kw={"type": "date"},
                            description=_l("默认今天；不能晚于今天。禁止申报期从这一天开始。"))
    years = StringField(_l("禁止申报年限（年）"), default="3",
                        validators=[Length(max=2, message=_l("请填写 1 到 5 之间的整数。"))],
                        render_kw={"inputmode": "numeric"},
                        description=_l("默认 3 年，可填 1 到 5 年。期间不能申报本资助方的征集。"))


class LiftForm(BaseForm):
    reason = TextAreaField(_l("解除原因"), validators=[DataRequired(_l("请填写解除原因。")),
                                                   Length(max=500, message=_l("解除原因不能超过 500 个字。"))],
                           render_kw={"rows": 2, "maxlength": 500})

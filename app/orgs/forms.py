from wtforms import DateField, EmailField, IntegerField, SelectField, SelectMultipleField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import PHONE, BaseForm
from app.orgs.models import (Category, CreditStatus, EvaluationGrade, LegalStatus, MemberRole,
                             PartyOrganization, ServiceTarget)
from app.orgs.services import MAX_MISSION, MAX_PEOPLE

_NOT_A_CHOICE = "请从列表中选择。"


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


def _count_field(label: str, description: str | None = None) -> IntegerField:
    return IntegerField(label, default=0, description=description, validators=[
        Optional(), NumberRange(min=0, max=MAX_PEOPLE, message=f"人数应在 0 到 {MAX_PEOPLE} 之间。")])


class OrganizationForm(BaseForm):
    name = StringField("组织名称", validators=[DataRequired("请填写组织名称。"), Length(max=100, message="组织名称不能超过 100 个字。")],
                       description="请填写登记或备案时使用的全称。")
    legal_status = SelectField("法律状态", default=LegalStatus.FILED.value,
                               invalid_choice_message=_NOT_A_CHOICE,
                               description="登记：在民政部门登记，有统一社会信用代码；备案：在街道（乡镇）备案；社区党组织引领：由社区党组织指导。")
    credit_code = StringField("统一社会信用代码", validators=[Length(max=18, message="统一社会信用代码应为 18 位，您输入的超过了 18 位。")],
                              description="18 位，登记的社会组织必填；备案和社区党组织引领的组织没有此代码。",
                              render_kw={"autocomplete": "off", "spellcheck": "false"})
    registered_on = DateField("登记日期", validators=[Optional()], description="仅登记的社会组织填写。")
    registration_authority = StringField("登记机关或指导单位",
                                         validators=[Length(max=100, message="不能超过 100 个字。")],
                                         description="登记管理机关 / 备案街道 / 指导社区党组织")
    category = SelectField("组织类别", validators=[DataRequired("请选择组织类别。")], invalid_choice_message=_NOT_A_CHOICE)
    service_targets = MultiCheckboxField("服务对象", validators=[DataRequired("请至少选择一类服务对象。")],
                                         invalid_choice_message=lambda n: "服务对象选项无效：%(value)s")
    service_target_other = StringField("其他服务对象", validators=[Length(max=100, message="不能超过 100 个字。")],
                                       description="选择“其他”时请说明具体人群。")
    home_community_id = SelectField("所在社区（村）", coerce=_int_or_none,
                                    validators=[DataRequired("请选择组织所在的社区（村）。")],
                                    invalid_choice_message="请从列表中选择社区（村）。",
                                    invalid_value_message="请从列表中选择社区（村）。")
    founded_on = DateField("成立日期", validators=[DataRequired("请填写成立日期（格式：年-月-日）。")])
    party_organization = SelectField("党组织", default=PartyOrganization.NO.value, invalid_choice_message=_NOT_A_CHOICE)
    social_worker_count = _count_field("持证社会工作者人数")
    staff_count = _count_field("专职工作人员人数")
    volunteer_count = _count_field("登记志愿者人数")
    mission = TextAreaField("宗旨与服务内容", validators=[Length(max=MAX_MISSION, message=f"不能超过 {MAX_MISSION} 个字。")],
                            render_kw={"rows": 5})
    address = StringField("办公地址", validators=[Length(max=200, message="地址不能超过 200 个字。")])
    legal_representative = StringField("法定代表人 / 负责人", validators=[Length(max=50, message="不能超过 50 个字。")])
    contact_name = StringField("联系人", validators=[Length(max=50, message="不能超过 50 个字。")])
    contact_phone = TelField("联系电话", validators=[Optional(), PHONE])
    contact_email = EmailField("联系邮箱", validators=[Optional(), Email("邮箱格式不正确。"),
                                                   Length(max=254, message="邮箱过长。")])

    def __init__(self, *args, community_groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Labels are translated per request, so choices are built here, not at import.
        self.legal_status.choices = enum_options(LegalStatus)
        self.category.choices = enum_options(Category, blank="请选择…")
        self.service_targets.choices = enum_options(ServiceTarget)
        self.party_organization.choices = enum_options(PartyOrganization)
        self.home_community_id.choices = grouped_options(community_groups, blank="请选择社区（村）…")

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
    evaluation_grade = SelectField("评估等级", invalid_choice_message=_NOT_A_CHOICE)
    credit_status = SelectField("信用状态", invalid_choice_message=_NOT_A_CHOICE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.evaluation_grade.choices = enum_options(EvaluationGrade)
        self.credit_status.choices = enum_options(CreditStatus)


class InviteForm(BaseForm):
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱。"), Email("邮箱格式不正确。"),
                                         Length(max=254, message="邮箱过长。")])
    role = SelectField("角色", default=MemberRole.MEMBER.value, invalid_choice_message=_NOT_A_CHOICE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = enum_options(MemberRole)


class MemberRoleForm(BaseForm):
    role = SelectField("角色", invalid_choice_message=_NOT_A_CHOICE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = enum_options(MemberRole)


class DirectoryFilterForm(BaseForm):
    """Directory filters (GET; no CSRF: nothing changes). Unknown values are ignored."""

    class Meta:
        csrf = False

    q = StringField("搜索", validators=[Optional(), Length(max=100)])
    category = SelectField("类别", validate_choice=False)
    region = SelectField("地区", validate_choice=False)
    target = SelectField("服务对象", validate_choice=False)
    legal_status = SelectField("法律状态", validate_choice=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = enum_options(Category, blank="全部类别")
        self.region.choices = plain_options(regions, blank="全部地区")
        self.target.choices = enum_options(ServiceTarget, blank="全部服务对象")
        self.legal_status.choices = enum_options(LegalStatus, blank="全部法律状态")

    def filters(self) -> dict:
        region = (self.region.data or "").strip()
        return {
            "q": (self.q.data or "")[:100] or None,
            "category": Category.coerce(self.category.data),
            "region_id": int(region) if region.isdigit() and len(region) < 10 else None,
            "target": ServiceTarget.coerce(self.target.data),
            "legal_status": LegalStatus.coerce(self.legal_status.data),
        }

    def active_args(self) -> dict:
        """The filters as URL arguments (for pagination links)."""
        return {name: getattr(self, name).data for name in ("q", "category", "region", "target", "legal_status")
                if getattr(self, name).data}

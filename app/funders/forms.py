from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, URL

from app.core.forms import PHONE, BaseForm
from app.funders.models import FunderKind, StaffRole


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class FunderForm(BaseForm):
    name = StringField("名称", validators=[DataRequired("请输入资助方名称。"),
                                         Length(max=100, message="名称不能超过 100 个字。")])
    short_name = StringField("简称", validators=[Optional(), Length(max=40, message="简称不能超过 40 个字。")])
    kind = SelectField("类型", validators=[DataRequired("请选择资助方类型。")],
                       description="民政部门设在省、州/市或县级；街道办事处/乡镇政府对应街道/乡镇；"
                                   "社区发展基金会设在县级或街道/乡镇。")
    region_id = SelectField("所在行政区划", coerce=int, validators=[DataRequired("请选择行政区划。")],
                            description="资助方服务的区域；其工作人员的权限以此为范围。")
    description = TextAreaField("简介", validators=[Optional(), Length(max=5000, message="简介不能超过 5000 个字。")])
    address = StringField("地址", validators=[Optional(), Length(max=200, message="地址不能超过 200 个字。")])
    contact_phone = StringField("联系电话", validators=[Optional(), PHONE, Length(max=30)])
    website = StringField("网站", validators=[Optional(), Length(max=200, message="网站地址不能超过 200 个字符。"),
                                            URL(message="请输入完整的网址，例如 https://mzj.example.gov.cn")])
    is_active = BooleanField("启用（停用后不再出现在新建项目征集的选项中）", default=True)

    def __init__(self, *args, region_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # Labels are translated per request, so choices are built here, not at import.
        self.kind.choices = [SelectChoice("", "请选择")] + _options(FunderKind.choices())
        self.region_id.choices = [SelectChoice(0, "请选择")] + _options(region_choices)


class StaffByEmailForm(BaseForm):
    email = StringField("用户邮箱", validators=[DataRequired("请输入用户邮箱。"),
                                            Length(max=254, message="邮箱过长。")])
    role = SelectField("角色", validators=[DataRequired("请选择角色。")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _options(StaffRole.choices())

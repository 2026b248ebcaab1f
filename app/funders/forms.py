from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, URL

from app.core.forms import PHONE, BaseForm
from app.funders.models import FunderKind, StaffRole


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class FunderForm(BaseForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请输入资助方名称。")),
                                         Length(max=100, message=_l("名称不能超过 100 个字。"))])
    short_name = StringField(_l("简称"), validators=[Optional(), Length(max=40, message=_l("简称不能超过 40 个字。"))])
    kind = SelectField(_l("类型"), validators=[DataRequired(_l("请选择资助方类型。"))],
                       description=_l("民政部门设在省、州/市或县级；街道办事处/乡镇政府对应街道/乡镇；"
                                   "社区发展基金会设在县级或街道/乡镇。"))
    region_id = SelectField(_l("所在行政区划"), coerce=int, validators=[DataRequired(_l("请选择行政区划。"))],
                            description=_l("资助方服务的区域；其工作人员的权限以此为范围。"))
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=5000, message=_l("简介不能超过 5000 个字。"))])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200, message=_l("地址不能超过 200 个字。"))])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), PHONE, Length(max=30)])
    website = StringField(_l("网站"), validators=[Optional(), Length(max=200, message=_l("网站地址不能超过 200 个字符。")),
                                            URL(message=_l("请输入完整的网址，例如 https://mzj.example.gov.cn"))])
    is_active = BooleanField(_l("启用（停用后不再出现在新建项目征集的选项中）"), default=True)

    def __init__(self, *args, region_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # Labels are translated per request, so choices are built here, not at import.
        self.kind.choices = [SelectChoice("", _l("请选择"))] + _options(FunderKind.choices())
        self.region_id.choices = [SelectChoice(0, _l("请选择"))] + _options(region_choices)


class StaffByEmailForm(BaseForm):
    email = StringField(_l("用户邮箱"), validators=[DataRequired(_l("请输入用户邮箱。")),
                                            Length(max=254, message=_l("邮箱过长。"))])
    role = SelectField(_l("角色"), validators=[DataRequired(_l("请选择角色。"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _options(StaffRole.choices())

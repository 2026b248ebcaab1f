from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.auth.forms import EMAIL_V, NEW_PASSWORD_V
from app.core.forms import PHONE, BaseForm
from app.funders.models import StaffRole


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class UserCreateForm(BaseForm):
    email = EmailField(_l("邮箱"), validators=EMAIL_V)
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")),
                                         Length(max=50, message=_l("姓名不能超过 50 个字。"))])
    phone = TelField(_l("手机号码"), validators=[Optional(), PHONE])
    role = SelectField(_l("角色"), validators=[DataRequired(_l("请选择角色。"))])
    funder_id = SelectField(_l("所属资助方"), coerce=int, default=0,
                            description=_l("项目主管、财务人员和审计监督是资助方的工作人员，必须选择所属资助方；"
                                        "平台管理员和申报用户不选。"))
    password = PasswordField(_l("初始密码"), validators=NEW_PASSWORD_V,
                             description=_l("至少 8 个字符；请避免常见密码。请通过安全渠道告知用户，并提醒其登录后修改。"))
    password2 = PasswordField(_l("确认初始密码"), validators=[DataRequired(_l("请再次输入密码。")),
                                                      EqualTo("password", _l("两次输入的密码不一致。"))])

    def __init__(self, *args, role_choices, funder_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _options(role_choices)
        self.funder_id.choices = [SelectChoice(0, _l("不属于资助方"))] + _options(funder_choices)


class StaffRoleForm(BaseForm):
    """Give a user a staff role at a funder (from the user's page)."""

    funder_id = SelectField(_l("资助方"), coerce=int, validators=[DataRequired(_l("请选择资助方。"))])
    role = SelectField(_l("角色"), validators=[DataRequired(_l("请选择角色。"))])

    def __init__(self, *args, funder_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.funder_id.choices = [SelectChoice(0, _l("请选择"))] + _options(funder_choices)
        self.role.choices = _options(StaffRole.choices())

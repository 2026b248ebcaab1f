from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from app.core.forms import PHONE, BaseForm

EMAIL_V = [DataRequired(_l("请输入邮箱。")), Email(_l("邮箱格式不正确。")), Length(max=254, message=_l("邮箱过长。"))]
NEW_PASSWORD_V = [DataRequired(_l("请输入密码。")), Length(max=128, message=_l("密码不能超过 128 个字符。"))]


class RegisterForm(BaseForm):
    email = EmailField(_l("邮箱"), validators=EMAIL_V)
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=50, message=_l("姓名不能超过 50 个字。"))])
    phone = TelField(_l("手机号码"), validators=[Optional(), PHONE])
    password = PasswordField(_l("密码"), validators=NEW_PASSWORD_V,
                             description=_l("至少 8 个字符；请避免常见密码。"))
    password2 = PasswordField(_l("确认密码"), validators=[DataRequired(_l("请再次输入密码。")),
                                                   EqualTo("password", _l("两次输入的密码不一致。"))])


class LoginForm(BaseForm):
    email = EmailField(_l("邮箱"), validators=EMAIL_V)
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=128)])
    remember = BooleanField(_l("记住我（14 天）"))


class ReauthForm(BaseForm):
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=128)])


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("邮箱"), validators=EMAIL_V)


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("新密码"), validators=NEW_PASSWORD_V, description=_l("至少 8 个字符；请避免常见密码。"))
    password2 = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入密码。")),
                                                     EqualTo("password", _l("两次输入的密码不一致。"))])


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。")), Length(max=128)])
    password = PasswordField(_l("新密码"), validators=NEW_PASSWORD_V, description=_l("至少 8 个字符；请避免常见密码。"))
    password2 = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入密码。")),
                                                     EqualTo("password", _l("两次输入的密码不一致。"))])


class ProfileForm(BaseForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=50, message=_l("姓名不能超过 50 个字。"))])
    phone = TelField(_l("手机号码"), validators=[Optional(), PHONE])

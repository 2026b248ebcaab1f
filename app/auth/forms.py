from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from app.core.forms import PHONE, BaseForm

EMAIL_V = [DataRequired("请输入邮箱。"), Email("邮箱格式不正确。"), Length(max=254, message="邮箱过长。")]
NEW_PASSWORD_V = [DataRequired("请输入密码。"), Length(max=128, message="密码不能超过 128 个字符。")]


class RegisterForm(BaseForm):
    email = EmailField("邮箱", validators=EMAIL_V)
    name = StringField("姓名", validators=[DataRequired("请输入姓名。"), Length(max=50, message="姓名不能超过 50 个字。")])
    phone = TelField("手机号码", validators=[Optional(), PHONE])
    password = PasswordField("密码", validators=NEW_PASSWORD_V,
                             description="至少 8 个字符；请避免常见密码。")
    password2 = PasswordField("确认密码", validators=[DataRequired("请再次输入密码。"),
                                                   EqualTo("password", "两次输入的密码不一致。")])


class LoginForm(BaseForm):
    email = EmailField("邮箱", validators=EMAIL_V)
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=128)])
    remember = BooleanField("记住我（14 天）")


class ReauthForm(BaseForm):
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=128)])


class ForgotPasswordForm(BaseForm):
    email = EmailField("邮箱", validators=EMAIL_V)


class ResetPasswordForm(BaseForm):
    password = PasswordField("新密码", validators=NEW_PASSWORD_V, description="至少 8 个字符；请避免常见密码。")
    password2 = PasswordField("确认新密码", validators=[DataRequired("请再次输入密码。"),
                                                     EqualTo("password", "两次输入的密码不一致。")])


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。"), Length(max=128)])
    password = PasswordField("新密码", validators=NEW_PASSWORD_V, description="至少 8 个字符；请避免常见密码。")
    password2 = PasswordField("确认新密码", validators=[DataRequired("请再次输入密码。"),
                                                     EqualTo("password", "两次输入的密码不一致。")])


class ProfileForm(BaseForm):
    name = StringField("姓名", validators=[DataRequired("请输入姓名。"), Length(max=50, message="姓名不能超过 50 个字。")])
    phone = TelField("手机号码", validators=[Optional(), PHONE])


from flask import (current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import confirm_login, current_user, login_required, login_user, logout_user

from app.auth import bp, services
from app.auth.fresh import mark_authenticated
from app.auth.forms import (ChangePasswordForm, ForgotPasswordForm, LoginForm, ProfileForm,
                            ReauthForm, RegisterForm, ResetPasswordForm)
from app.core.errors import ValidationError
from app.core.forms import ActionForm, require_action_form
from app.core.urls import safe_next
from app.extensions import db, limiter


def _safe_next(default: str) -> str:
    return safe_next(request.args.get("next") or request.form.get("next") or "", default)


def _start_session(user, remember: bool) -> None:
    """A new session on every login (no fixation): the old cookie's content is dropped."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=remember)
    mark_authenticated()
    services.record_login(user)


def _failed_login(response) -> bool:
    # Only failed attempts count toward the limit (a success redirects).
    return response.status_code != 302


def _login_email_key() -> str:
    return "login-email:" + services.normalize_email(request.form.get("email", ""))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("public.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register(email=form.email.data, password=form.password.data,
                                     name=form.name.data, phone=form.phone.data or "")
        except ValidationError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            _start_session(user, remember=False)
            db.session.commit()
            flash(_("注册成功。确认邮件已发送到 %(email)s，请点击邮件中的链接完成确认。", email=user.email), "success")
            return redirect(url_for("public.dashboard"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_failed_login)
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_failed_login, key_func=_login_email_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("邮箱或密码不正确。"))
            return render_template("auth/login.html", form=form), 200
        _start_session(user, remember=form.remember.data)
        db.session.commit()
        flash(_("欢迎回来，%(name)s。", name=user.name), "success")
        return redirect(_safe_next(url_for("public.dashboard")))
    return render_template("auth/login.html", form=form)


@bp.route("/reauthenticate", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_failed_login)
def reauthenticate():
    form = ReauthForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            confirm_login()
            mark_authenticated()
            return redirect(_safe_next(url_for("public.dashboard")))
        form.password.errors = list(form.password.errors) + [_("密码不正确。")]
    return render_template("auth/reauthenticate.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    require_action_form()
    services.logout_everywhere(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("public.index"))


@bp.route("/confirm/<token>")
def confirm_email(token: str):
    # Following the emailed link is the confirmation itself (idempotent; it only sets
    # the confirmation time once).
    try:
        services.confirm_email(token)
    except ValidationError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("public.index"))
    db.session.commit()
    flash(_("邮箱已确认，谢谢。"), "success")
    return redirect(url_for("public.dashboard") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/confirm/resend", methods=["POST"])
@login_required
@limiter.limit("3 per minute")
def resend_confirmation():
    require_action_form()
    if current_user.is_confirmed:
        flash(_("您的邮箱已经确认过了。"), "info")
    else:
        services.send_confirmation(current_user)
        db.session.commit()
        flash(_("确认邮件已重新发送到 %(email)s。", email=current_user.email), "success")
    return redirect(url_for("public.dashboard"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("如果该邮箱已注册，我们已发送重设密码的邮件，请查收。"), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except ValidationError as err:
        flash(err.message, "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ValidationError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            logout_user()
            flash(_("密码已重设，请用新密码登录。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, name=form.name.data, phone=form.phone.data or "")
        db.session.commit()
        flash(_("个人信息已保存。"), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, password_form=ChangePasswordForm(formdata=None))


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except ValidationError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            # Other sessions are gone; this one continues under the new token.
            _start_session(current_user._get_current_object(), remember=False)
            db.session.commit()
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=ProfileForm(obj=current_user), password_form=form)


@bp.route("/language", methods=["POST"])
def set_language():
    form = ActionForm()
    lang = request.form.get("lang")
    if form.validate_on_submit() and lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(_safe_next(url_for("public.index")))

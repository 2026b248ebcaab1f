from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.calls import bp, services
from app.calls.forms import (AdvanceForm, CallFilterForm, CallForm, CancelForm, InstallmentsForm,
                             RubricForm)
from app.core.db import page_arg, utcnow
from app.core.errors import DomainError
from app.core.forms import ActionForm, require_action_form
from app.core.permissions import can, require
from app.extensions import db
from app.regions.services import region_tree_choices


def _call_or_404(call_id: int):
    call = services.get_call(call_id)
    if call is None:
        abort(404)
    return call


def _managed_call(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "call.manage", call)
    return call


@bp.route("/")
def index():
    form = CallFilterForm(request.args, regions=region_tree_choices())
    page = db.paginate(services.public_calls(**form.filters()), page=page_arg(request.args),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("calls/index.html", form=form, page=page, args=form.active_args(), now=utcnow())


@bp.route("/<int:call_id>")
def detail(call_id: int):
    call = _call_or_404(call_id)
    if not can(current_user, "public.call.view", call):
        abort(404)
    context = {"call": call, "now": utcnow()}
    if can(current_user, "call.manage", call):
        context.update(action_form=ActionForm(formdata=None), cancel_form=CancelForm(formdata=None),
                       next_status=services.NEXT_STATUS.get(call.status),
                       problems=services.publish_problems(call, utcnow()) if call.status.value == "draft" else [])
    return render_template("calls/detail.html", **context)


@bp.route("/manage")
@login_required
def manage():
    require(current_user, "call.create")
    calls = services.funder_calls(current_user)
    return render_template("calls/manage.html", calls=calls, counts=services.status_counts(calls),
                           funders=services.officer_funders(current_user), now=utcnow())


def _form_page(form, call=None, funder=None):
    return render_template("calls/form.html", form=form, call=call, funder=funder)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(current_user, "call.create")
    funders = services.officer_funders(current_user)
    wanted = request.args.get("funder", type=int) or request.form.get("funder_id", type=int)
    funder = next((f for f in funders if f.id == wanted), funders[0])
    require(current_user, "call.create", funder)
    form = CallForm(funders=[(f.id, f.name) for f in funders], regions=services.scope_choices(funder))
    if not form.is_submitted():
        form.funder_id.data = str(funder.id)
        if funder.region_id:
            form.region_scope_id.data = str(funder.region_id)
    if form.validate_on_submit():
        try:
            call = services.create_call(current_user, funder, form.call_data())
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("征集“%(title)s”已保存为草稿。已预设默认评分标准和拨付安排，请检查后发布。", title=call.title), "success")
            return redirect(url_for("calls.detail", call_id=call.id))
    return _form_page(form, funder=funder)


@bp.route("/<int:call_id>/edit", methods=["GET", "POST"])
@login_required
def edit(call_id: int):
    call = _managed_call(call_id)
    if call.status.value != "draft":
        flash(_("征集已发布，不能再修改规则。"), "warning")
        return redirect(url_for("calls.detail", call_id=call.id))
    form = CallForm(funders=[(call.funder_id, call.funder.name)], regions=services.scope_choices(call.funder),
                    call=call)
    if form.validate_on_submit():
        try:
            services.update_call(current_user, call, form.call_data())
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("征集信息已保存。"), "success")
            return redirect(url_for("calls.detail", call_id=call.id))
    return _form_page(form, call=call, funder=call.funder)


@bp.route("/<int:call_id>/rubric", methods=["GET", "POST"])
@login_required
def rubric(call_id: int):
    call = _managed_call(call_id)
    if request.method == "POST":
        form = RubricForm()
    else:
        rows = [{"name": c.name, "description": c.description, "max_points": str(c.max_points),
                 "weight": str(c.weight)} for c in call.criteria]
        form = RubricForm(formdata=None, data={"criteria": rows + [{"weight": "1"}] * 3})
    if form.validate_on_submit():
        try:
            services.set_rubric(current_user, call, form.rows())
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash(_("评分标准已保存。"), "success")
            return redirect(url_for("calls.detail", call_id=call.id))
    return render_template("calls/rubric.html", call=call, form=form)


@bp.route("/<int:call_id>/installments", methods=["GET", "POST"])
@login_required
def installments(call_id: int):
    call = _managed_call(call_id)
    if request.method == "POST":
        form = InstallmentsForm()
    else:
        rows = [{"percent": str(s.percent), "trigger": s.trigger.value} for s in call.installments]
        form = InstallmentsForm(formdata=None, data={"steps": rows + [{}] * 2})
    if form.validate_on_submit():
        try:
            services.set_installments(current_user, call, form.rows())
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash(_("拨付安排已保存。"), "success")
            return redirect(url_for("calls.detail", call_id=call.id))
    return render_template("calls/installments.html", call=call, form=form)


def _run(call, action, success: str):
    try:
        action()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("calls.detail", call_id=call.id))


@bp.route("/<int:call_id>/publish", methods=["POST"])
@login_required
def publish(call_id: int):
    call = _managed_call(call_id)
    require_action_form()
    return _run(call, lambda: services.publish(current_user, call, utcnow()),
                _("征集已发布，现在开始接受申报。"))


@bp.route("/<int:call_id>/advance", methods=["POST"])
@login_required
def advance(call_id: int):
    call = _managed_call(call_id)
    form = AdvanceForm()
    if not form.validate_on_submit():
        flash(_("请选择有效的下一阶段。"), "danger")
        return redirect(url_for("calls.detail", call_id=call.id))
    return _run(call, lambda: services.advance(current_user, call, form.to.data, utcnow()),
                _("征集已进入下一阶段。"))


@bp.route("/<int:call_id>/cancel", methods=["POST"])
@login_required
def cancel(call_id: int):
    call = _managed_call(call_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs) or _("请填写取消原因。"), "danger")
        return redirect(url_for("calls.detail", call_id=call.id))
    return _run(call, lambda: services.cancel(current_user, call, form.reason.data), _("征集已取消。"))

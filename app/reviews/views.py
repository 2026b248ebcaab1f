"""Expert pool pages (专家库)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.db import page_arg
from app.core.errors import DomainError, ValidationError
from app.core.forms import require_action_form
from app.core.permissions import require
from app.extensions import db
from app.reviews import bp, experts
from app.reviews.forms import DeclineForm, EnrollForm, ExpertProfileForm, PoolFilterForm, SuspendForm


def _expert_or_404(expert_id: int):
    expert = experts.get_expert(expert_id)
    if expert is None:
        abort(404)
    return expert


@bp.route("/experts")
@login_required
def pool():
    require(current_user, "expert.pool")
    form = PoolFilterForm(request.args)
    page = db.paginate(experts.pool_query(**form.filters()), page=page_arg(request.args),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("reviews/pool.html", form=form, page=page, args=form.active_args(),
                           pending=experts.pending_count())


@bp.route("/experts/new", methods=["GET", "POST"])
@login_required
def expert_new():
    require(current_user, "expert.manage")
    form = EnrollForm()
    if form.validate_on_submit():
        try:
            user = experts.user_by_email(form.email.data)
            expert = experts.enroll(current_user, user, form.base_data())
        except ValidationError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("已将 %(name)s 加入专家库。", name=expert.user.name), "success")
            return redirect(url_for("reviews.expert_detail", expert_id=expert.id))
    return render_template("reviews/new.html", form=form)


@bp.route("/experts/<int:expert_id>")
@login_required
def expert_detail(expert_id: int):
    expert = _expert_or_404(expert_id)
    require(current_user, "expert.view", expert)
    return render_template("reviews/detail.html", expert=expert,
                           suspend_form=SuspendForm(formdata=None), decline_form=DeclineForm(formdata=None))


@bp.route("/experts/<int:expert_id>/approve", methods=["POST"])
@login_required
def expert_approve(expert_id: int):
    expert = _expert_or_404(expert_id)
    require(current_user, "expert.manage")
    require_action_form()
    pending = expert.approved_at is None
    try:
        experts.set_active(current_user, expert, True)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已通过 %(name)s 的入库申请。", name=expert.user.name) if pending
              else _("已恢复 %(name)s 的专家资格。", name=expert.user.name), "success")
    return redirect(url_for("reviews.expert_detail", expert_id=expert.id))


@bp.route("/experts/<int:expert_id>/decline", methods=["POST"])
@login_required
def expert_decline(expert_id: int):
    expert = _expert_or_404(expert_id)
    require(current_user, "expert.manage")
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.reason.errors) or _("请填写不予通过的原因。"), "danger")
        return redirect(url_for("reviews.expert_detail", expert_id=expert.id))
    name = expert.user.name
    try:
        experts.decline(current_user, expert, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("reviews.expert_detail", expert_id=expert.id))
    db.session.commit()
    flash(_("已不予通过 %(name)s 的入库申请，并已告知原因。", name=name), "success")
    return redirect(url_for("reviews.pool", status="pending"))


@bp.route("/experts/<int:expert_id>/suspend", methods=["POST"])
@login_required
def expert_suspend(expert_id: int):
    expert = _expert_or_404(expert_id)
    require(current_user, "expert.manage")
    form = SuspendForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.reason.errors) or _("请填写暂停原因。"), "danger")
        return redirect(url_for("reviews.expert_detail", expert_id=expert.id))
    try:
        experts.set_active(current_user, expert, False, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已暂停 %(name)s 的专家资格，暂停期间不会被抽取。", name=expert.user.name), "success")
    return redirect(url_for("reviews.expert_detail", expert_id=expert.id))


@bp.route("/me", methods=["GET", "POST"])
@login_required
def my_expert_profile():
    """Apply to join the pool (no profile yet) or edit one's own profile."""
    expert = experts.expert_of(current_user)
    applying = expert is None
    if request.method == "POST" or applying:
        form = ExpertProfileForm()
    else:
        form = ExpertProfileForm(formdata=None, data=_profile_data(expert))
    if form.validate_on_submit():
        try:
            if applying:
                expert = experts.enroll(current_user, current_user, form.profile_data())
            else:
                experts.update_profile(current_user, expert, form.profile_data())
        except DomainError as err:
            db.session.rollback()
            expert = experts.expert_of(current_user)
            form.add_domain_error(err)
        else:
            pending = expert.approved_at is None
            db.session.commit()
            if applying and pending:
                flash(_("您的申请已提交，项目主管审核通过后您将正式加入专家库。"), "success")
            elif applying:
                flash(_("您已加入专家库。"), "success")
            else:
                flash(_("专家资料已保存。"), "success")
            return redirect(url_for("reviews.my_expert_profile"))
    form.add_blank_rows()
    return render_template("reviews/me.html", form=form, expert=expert)


def _profile_data(expert) -> dict:
    return {
        "title": expert.title, "employer": expert.employer, "bio": expert.bio,
        "fields": [f.value for f in expert.fields],
        "affiliations": [{"name": a.name, "relation": a.relation, "since": a.since, "until": a.until}
                         for a in expert.affiliations],
    }

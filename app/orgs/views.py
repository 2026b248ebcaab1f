from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.db import page_arg
from app.core.errors import DomainError, ValidationError
from app.core.forms import require_action_form
from app.core.permissions import can, require
from app.extensions import db
from app.orgs import bp, services
from app.orgs import credit as credit_service
from app.orgs.forms import (DirectoryFilterForm, InviteForm, LiftForm, MemberRoleForm, OrganizationForm,
                            StaffFieldsForm)
from app.orgs.models import OrgMembership


def _org_or_404(org_id: int):
    org = services.get_profile(org_id)
    if org is None:
        abort(404)
    return org


@bp.route("/")
def directory():
    form = DirectoryFilterForm(request.args, regions=services.region_filter_choices())
    page = db.paginate(services.directory_query(**form.filters()),
                       page=page_arg(request.args),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("orgs/directory.html", form=form, page=page, args=form.active_args())


@bp.route("/mine")
@login_required
def mine():
    return render_template("orgs/mine.html", memberships=services.memberships_of(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not can(current_user, "org.create"):
        flash(_("请先确认您的邮箱，然后才能创建组织。确认邮件可以在工作台重新发送。"), "warning")
        return redirect(url_for("public.dashboard"))
    form = OrganizationForm(community_groups=services.community_choices())
    if form.validate_on_submit():
        try:
            org = services.create_organization(current_user, form.profile_data())
        except ValidationError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("组织“%(name)s”已创建，您是该组织的负责人。", name=org.name), "success")
            return redirect(url_for("orgs.profile", org_id=org.id))
    return render_template("orgs/form.html", form=form, org=None)


@bp.route("/<int:org_id>")
def profile(org_id: int):
    org = _org_or_404(org_id)
    context = {"org": org, "credit": credit_service.assess(org, credit_service.china_today()),
               "rule": credit_service.RULE}
    if can(current_user, "org.view_private", org):
        context["members"] = services.members_of(org)
        context["invitations"] = services.pending_invitations(org)
    if can(current_user, "org.edit_staff_fields", org):
        context["staff_form"] = StaffFieldsForm(formdata=None, obj=org)
    return render_template("orgs/profile.html", **context)


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int):
    org = _org_or_404(org_id)
    require(current_user, "org.edit", org)
    form = OrganizationForm(obj=org, community_groups=services.community_choices())
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, org, form.profile_data())
        except ValidationError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("组织资料已保存。"), "success")
            return redirect(url_for("orgs.profile", org_id=org.id))
    return render_template("orgs/form.html", form=form, org=org)


@bp.route("/<int:org_id>/staff-fields", methods=["POST"])
@login_required
def staff_fields(org_id: int):
    org = _org_or_404(org_id)
    require(current_user, "org.edit_staff_fields", org)
    form = StaffFieldsForm()
    if not form.validate_on_submit():
        flash(_("请选择有效的评估等级和信用状态。"), "danger")
        return redirect(url_for("orgs.profile", org_id=org.id))
    services.update_staff_fields(current_user, org, form.evaluation_grade.data, form.credit_status.data)
    db.session.commit()
    flash(_("评估等级和信用状态已更新。"), "success")
    return redirect(url_for("orgs.profile", org_id=org.id))


def _members_page(org, invite_form=None):
    return render_template(
        "orgs/members.html", org=org, members=services.members_of(org),
        invitations=services.pending_invitations(org),
        invite_form=invite_form or InviteForm(formdata=None), role_form=MemberRoleForm(formdata=None),
    )


@bp.route("/<int:org_id>/members")
@login_required
def members(org_id: int):
    org = _org_or_404(org_id)
    require(current_user, "org.manage_members", org)
    return _members_page(org)


@bp.route("/<int:org_id>/invitations", methods=["POST"])
@login_required
def invite(org_id: int):
    org = _org_or_404(org_id)
    require(current_user, "org.manage_members", org)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = services.invite_member(current_user, org, form.email.data, form.role.data)
        except ValidationError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("邀请已发送到 %(email)s。对方用该邮箱登录后即可接受。", email=invitation.email), "success")
            return redirect(url_for("orgs.members", org_id=org.id))
    return _members_page(org, form)


def _membership_or_404(org_id: int, membership_id: int) -> OrgMembership:
    membership = services.get_membership(_org_or_404(org_id), membership_id)
    if membership is None:
        abort(404)
    return membership


@bp.route("/<int:org_id>/members/<int:membership_id>/role", methods=["POST"])
@login_required
def change_role(org_id: int, membership_id: int):
    membership = _membership_or_404(org_id, membership_id)
    require(current_user, "org.manage_members", membership.organization)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        flash(_("请选择有效的角色。"), "danger")
        return redirect(url_for("orgs.members", org_id=org_id))
    try:
        services.change_member_role(current_user, membership, form.role.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已将 %(user)s 的角色设为“%(role)s”。", user=membership.user.name, role=membership.role.label), "success")
    return redirect(url_for("orgs.members", org_id=org_id))


@bp.route("/<int:org_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(org_id: int, membership_id: int):
    membership = _membership_or_404(org_id, membership_id)
    require(current_user, "org.manage_members", membership.organization)
    require_action_form()
    name = membership.user.name
    try:
        services.remove_member(current_user, membership)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已将 %(name)s 移出本组织。", name=name), "success")
    return redirect(url_for("orgs.members", org_id=org_id))


@bp.route("/<int:org_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(org_id: int, invitation_id: int):
    invitation = services.get_invitation(_org_or_404(org_id), invitation_id)
    if invitation is None:
        abort(404)
    require(current_user, "org.manage_members", invitation.organization)
    require_action_form()
    try:
        services.revoke_invitation(current_user, invitation)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已撤回发给 %(email)s 的邀请。", email=invitation.email), "success")
    return redirect(url_for("orgs.members", org_id=org_id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    if not current_user.is_authenticated:
        flash(_("请先登录后接受邀请。还没有账户的，请先用收到邀请的邮箱注册，注册后再打开邀请链接。"), "info")
        return redirect(url_for("auth.login", next=request.path))
    try:
        inv = services.invitation_for_token(token)
    except ValidationError as err:
        flash(err.message, "danger")
        return redirect(url_for("public.dashboard"))
    if request.method == "POST":
        require_action_form()
        try:
            services.accept_invitation(current_user, token)
        except DomainError as err:
            db.session.rollback()
            return render_template("orgs/invitation.html", invitation=inv, problem=err.message), err.status_code
        db.session.commit()
        flash(_("您已加入“%(org)s”。", org=inv.organization.name), "success")
        return redirect(url_for("orgs.profile", org_id=inv.organization_id))
    problem = None
    try:
        services.check_invitation_for(current_user, inv)
    except DomainError as err:
        problem = err.message
    return render_template("orgs/invitation.html", invitation=inv, problem=problem)


# --- credit (信用), issue 6: breaches are recorded and lifted in app/awards/breach_views.py ---

@bp.route("/<int:org_id>/credit")
def credit(org_id: int):
    org = _org_or_404(org_id)
    assessment = credit_service.assess(org, credit_service.china_today())
    lift_forms = {bar.id: LiftForm(formdata=None) for bar in assessment.active_bars
                  if can(current_user, "debarment.lift", bar)}
    return render_template("orgs/credit.html", org=org, a=assessment, rule=credit_service.RULE,
                           lift_forms=lift_forms)


@bp.route("/credit-rules")
def credit_rules():
    return render_template("orgs/credit_rules.html", rule=credit_service.RULE)

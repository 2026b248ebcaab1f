"""Platform administration pages: users and roles, funders, regions (系统管理)."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import bp, services
from app.admin.forms import StaffRoleForm, UserCreateForm
from app.auth.models import User
from app.core.db import MAX_ID, page_arg
from app.core.errors import DomainError
from app.core.forms import clean_search, require_action_form
from app.core.permissions import require
from app.extensions import db
from app.funders import services as funder_services
from app.funders.forms import FunderForm, StaffByEmailForm
from app.funders.models import Funder, FunderKind, StaffMembership
from app.regions import services as region_services
from app.regions.forms import RegionForm
from app.regions.models import Region, RegionLevel


@bp.before_request
@login_required
def _admins_only():
    """Every admin page: signed in (else the login page) and an admin (else 403)."""
    require(current_user, "admin.access")


def _page() -> int:
    return page_arg(request.args)


def _paginate(stmt):
    return db.paginate(stmt, page=_page(), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


def _arg(name: str, limit: int = 100) -> str:
    return clean_search(request.args.get(name), limit)


def _fail(err: DomainError) -> None:
    db.session.rollback()
    flash(err.message, "danger")


# --- overview ------------------------------------------------------------------------

@bp.route("/")
def index():
    return render_template("admin/index.html", counts=services.overview_counts())


# --- users ---------------------------------------------------------------------------

@bp.route("/users")
def users():
    q, role, status = _arg("q"), _arg("role", 30), _arg("status", 30)
    page = _paginate(services.user_query(q, role, status))
    args = {k: v for k, v in {"q": q, "role": role, "status": status}.items() if v}
    return render_template("admin/users.html", page=page, q=q, role=role, status=status,
                           args=args, role_filters=services.role_filters(),
                           status_filters=services.STATUS_FILTERS,
                           role_labels=services.role_labels())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm(role_choices=services.role_choices(),
                          funder_choices=services.funder_choices())
    if form.validate_on_submit():
        try:
            user = services.create_user_with_role(
                current_user, email=form.email.data, name=form.name.data,
                password=form.password.data, role=form.role.data,
                funder_id=form.funder_id.data or None, phone=form.phone.data or "")
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("已创建账户 %(email)s。", email=user.email), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_new.html", form=form)


def _render_user(user: User, staff_form: StaffRoleForm | None = None):
    staff_form = staff_form or StaffRoleForm(formdata=None,
                                             funder_choices=services.funder_choices())
    return render_template(
        "admin/user_detail.html", user=user, staff_form=staff_form,
        org_memberships=services.user_org_memberships(user),
        is_self=user.id == current_user.id, role_labels=services.role_labels(),
    )


@bp.route("/users/<int:user_id>")
def user_detail(user_id: int):
    return _render_user(db.get_or_404(User, user_id))


@bp.route("/users/<int:user_id>/staff", methods=["POST"])
def user_add_staff(user_id: int):
    user = db.get_or_404(User, user_id)
    form = StaffRoleForm(funder_choices=services.funder_choices())
    if form.validate_on_submit():
        funder = db.get_or_404(Funder, form.funder_id.data)
        try:
            membership = funder_services.add_staff(current_user, funder, user, form.role.data)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("已将 %(user)s 设为“%(funder)s”的%(role)s。", user=user.name, funder=funder.name,
                    role=membership.role.label), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _render_user(user, form)


@bp.route("/users/<int:user_id>/staff/<int:membership_id>/remove", methods=["POST"])
def user_remove_staff(user_id: int, membership_id: int):
    membership = db.get_or_404(StaffMembership, membership_id)
    if membership.user_id != user_id:
        abort(404)
    require_action_form()
    funder_services.remove_staff(current_user, membership)
    db.session.commit()
    flash(_("已移除该工作人员角色。"), "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))


def _user_action(user_id: int, action, done: str):
    user = db.get_or_404(User, user_id)
    require_action_form()
    try:
        action(user)
    except DomainError as err:
        _fail(err)
    else:
        db.session.commit()
        flash(done.format(name=user.name), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/admin/grant", methods=["POST"])
def user_grant_admin(user_id: int):
    return _user_action(user_id, lambda u: services.set_admin(current_user, u, True),
                        _("已授予 {name} 平台管理员权限。"))


@bp.route("/users/<int:user_id>/admin/revoke", methods=["POST"])
def user_revoke_admin(user_id: int):
    return _user_action(user_id, lambda u: services.set_admin(current_user, u, False),
                        _("已取消 {name} 的平台管理员权限。"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def user_deactivate(user_id: int):
    return _user_action(user_id, lambda u: services.deactivate_user(current_user, u),
                        _("已停用 {name} 的账户，其所有登录会话已失效。"))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def user_reactivate(user_id: int):
    return _user_action(user_id, lambda u: services.reactivate_user(current_user, u),
                        _("已恢复 {name} 的账户。"))


# --- funders -------------------------------------------------------------------------

@bp.route("/funders")
def funders():
    q, kind = _arg("q"), _arg("kind", 30)
    page = _paginate(services.funder_query(q, kind))
    args = {k: v for k, v in {"q": q, "kind": kind}.items() if v}
    return render_template("admin/funders.html", page=page, q=q, kind=kind, args=args,
                           kinds=FunderKind.choices())


def _funder_form(**kwargs) -> FunderForm:
    return FunderForm(region_choices=region_services.region_tree_choices(RegionLevel.STREET),
                      **kwargs)


def _funder_fields(form: FunderForm) -> dict:
    return {
        "name": form.name.data, "short_name": form.short_name.data or "",
        "kind": form.kind.data, "region": db.session.get(Region, form.region_id.data),
        "description": form.description.data or "", "address": form.address.data or "",
        "contact_phone": form.contact_phone.data or "", "website": form.website.data or "",
    }


@bp.route("/funders/new", methods=["GET", "POST"])
def funder_new():
    form = _funder_form()
    del form.is_active
    if form.validate_on_submit():
        try:
            funder = funder_services.create_funder(current_user, **_funder_fields(form))
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("已添加资助方“%(name)s”。", name=funder.name), "success")
            return redirect(url_for("admin.funder_detail", funder_id=funder.id))
    return render_template("admin/funder_form.html", form=form, funder=None)


@bp.route("/funders/<int:funder_id>/edit", methods=["GET", "POST"])
def funder_edit(funder_id: int):
    funder = db.get_or_404(Funder, funder_id)
    form = _funder_form(obj=funder)
    if form.validate_on_submit():
        try:
            funder_services.update_funder(current_user, funder, **_funder_fields(form),
                                          is_active=form.is_active.data)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("资助方信息已保存。"), "success")
            return redirect(url_for("admin.funder_detail", funder_id=funder.id))
    return render_template("admin/funder_form.html", form=form, funder=funder)


def _render_funder(funder: Funder, staff_form: StaffByEmailForm | None = None):
    return render_template("admin/funder_detail.html", funder=funder,
                           staff=services.funder_staff(funder),
                           staff_form=staff_form or StaffByEmailForm(formdata=None))


@bp.route("/funders/<int:funder_id>")
def funder_detail(funder_id: int):
    return _render_funder(db.get_or_404(Funder, funder_id))


@bp.route("/funders/<int:funder_id>/staff", methods=["POST"])
def funder_add_staff(funder_id: int):
    funder = db.get_or_404(Funder, funder_id)
    form = StaffByEmailForm()
    if form.validate_on_submit():
        try:
            membership = services.add_staff_by_email(current_user, funder, form.email.data,
                                                     form.role.data)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("已将 %(user)s 设为%(role)s。", user=membership.user.name, role=membership.role.label), "success")
            return redirect(url_for("admin.funder_detail", funder_id=funder.id))
    return _render_funder(funder, form)


@bp.route("/funders/<int:funder_id>/staff/<int:membership_id>/remove", methods=["POST"])
def funder_remove_staff(funder_id: int, membership_id: int):
    membership = db.get_or_404(StaffMembership, membership_id)
    if membership.funder_id != funder_id:
        abort(404)
    require_action_form()
    funder_services.remove_staff(current_user, membership)
    db.session.commit()
    flash(_("已移除该工作人员。"), "success")
    return redirect(url_for("admin.funder_detail", funder_id=funder_id))


# --- regions -------------------------------------------------------------------------

def _parent_arg() -> Region | None:
    parent_id = request.args.get("parent", type=int)
    if parent_id is not None and not 0 < parent_id <= MAX_ID:
        abort(404)
    return db.get_or_404(Region, parent_id) if parent_id is not None else None


@bp.route("/regions")
def regions():
    parent = _parent_arg()
    q = _arg("q", 60)
    page = _paginate(services.region_query(parent, q))
    args = {k: v for k, v in {"parent": parent.id if parent else None, "q": q}.items() if v}
    return render_template("admin/regions.html", parent=parent, q=q, page=page, args=args,
                           counts=services.region_counts(list(page.items)),
                           ancestors=parent.ancestors() if parent else [],
                           child_level=parent.level.child if parent else RegionLevel.PROVINCE)


@bp.route("/regions/new", methods=["GET", "POST"])
def region_new():
    parent = _parent_arg()
    level = parent.level.child if parent else RegionLevel.PROVINCE
    if level is None:
        abort(404)  # communities/villages have no children
    form = RegionForm(level=level)
    if form.validate_on_submit():
        try:
            region = region_services.create_region(
                current_user, name=form.name.data, code=form.code.data, level=level,
                parent=parent, kind=form.kind.data if "kind" in form else None)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("已添加%(level)s“%(name)s”。", level=level.label, name=region.name), "success")
            return redirect(url_for("admin.regions", parent=parent.id) if parent
                            else url_for("admin.regions"))
    return render_template("admin/region_form.html", form=form, region=None, parent=parent,
                           level=level, ancestors=(parent.ancestors() + [parent]) if parent else [])


@bp.route("/regions/<int:region_id>/edit", methods=["GET", "POST"])
def region_edit(region_id: int):
    region = db.get_or_404(Region, region_id)
    form = RegionForm(obj=region, level=region.level)
    if form.validate_on_submit():
        try:
            region_services.update_region(current_user, region, name=form.name.data,
                                          code=form.code.data,
                                          kind=form.kind.data if "kind" in form else None)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("区划信息已保存。"), "success")
            return redirect(url_for("admin.regions", parent=region.parent_id) if region.parent_id
                            else url_for("admin.regions"))
    return render_template("admin/region_form.html", form=form, region=region,
                           parent=region.parent, level=region.level,
                           ancestors=region.ancestors())

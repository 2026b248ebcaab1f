"""Application pages (项目申报): my applications, start, the sectioned proposal form,
the read-only view with checklist and timeline, submit / withdraw / return, version
comparison, and the officer's list of a call's applications."""
import re
from decimal import Decimal, InvalidOperation

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.applications import bp, services
from app.applications.forms import (ApplicationForm, CallApplicationsFilterForm, CompareForm,
                                    MyApplicationsFilterForm, NewApplicationForm, ReturnForm,
                                    WithdrawForm)
from app.applications.models import WITHDRAWABLE_STATUSES, Application, ApplicationStatus
from app.calls import services as call_services
from app.core.db import page_arg, utcnow
from app.core.errors import DomainError
from app.core.forms import ActionForm, require_action_form
from app.core.permissions import can, require
from app.extensions import db
from app.orgs import services as org_services
from app.orgs.models import ServiceTarget
from app.regions import services as region_services
from app.regions.models import RegionLevel


def _target_label(value) -> str:
    target = ServiceTarget.coerce(value)
    return target.label if target else str(value)


def _plain_number(text) -> str:
    """"5000.00" -> "5,000", "12.50" -> "12.5" (snapshot numbers are strings)."""
    try:
        number = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return str(text)
    return f"{number.normalize():,f}" if number != number.to_integral_value() else f"{int(number):,}"


_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?")


def _nowrap_dates(text) -> Markup:
    """Escape `text` and keep each "2026-12-04 23:59" in it on one line."""
    return Markup(_DATE_TIME.sub(lambda m: f'<span class="text-nowrap">{m.group(0)}</span>', str(escape(text))))


bp.add_app_template_filter(_nowrap_dates, "nowrap_dates")


@bp.context_processor
def _helpers():
    # Pages built by other helpers (PDF, screening) are linked only once they exist.
    return {"has_endpoint": lambda name: name in current_app.view_functions,
            "target_label": _target_label, "plain_number": _plain_number}


def _application_or_404(application_id: int):
    application = services.get_application(application_id)
    if application is None:
        abort(404)
    return application


def _call_or_404(call_id: int | None):
    call = call_services.get_call(call_id) if call_id is not None else None
    if call is None or not can(current_user, "public.call.view", call):
        abort(404)
    return call


def _my_organizations() -> list:
    return [m.organization for m in org_services.memberships_of(current_user)]


def _community_groups(scope) -> list[tuple[str, list[tuple[int, str]]]]:
    """Communities inside the call's region scope, grouped by street (街道/乡镇)."""
    if scope is None:
        return []
    if scope.level == RegionLevel.COMMUNITY:
        return [(scope.parent.name if scope.parent else "", [(scope.id, scope.name)])]
    groups = []

    def walk(region, trail: str) -> None:
        if region.level == RegionLevel.STREET:
            items = [(c.id, c.name) for c in region_services.children(region) if c.level == RegionLevel.COMMUNITY]
            if items:
                groups.append(((trail + " " + region.name).strip(), items))
            return
        for child in region_services.children(region):
            walk(child, trail if region is scope else (trail + " " + region.name).strip())

    walk(scope, "")
    return groups


def _to_detail(application):
    return redirect(url_for("applications.detail", application_id=application.id))


# --- lists -----------------------------------------------------------------------------

@bp.route("/")
@login_required
def mine():
    organizations = _my_organizations()
    form = MyApplicationsFilterForm(request.args, organizations=organizations)
    query = services.user_applications(current_user, status=form.status_value(), q=form.search())
    org_id = form.organization_id()
    if org_id is not None:
        # The service lists all of the user's organizations; narrow to the one chosen.
        query = query.where(Application.organization_id == org_id)
    page = db.paginate(query, page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    now = utcnow()
    rows = [(a, services.next_action(a, now)) for a in page.items]
    return render_template("applications/mine.html", form=form, page=page, rows=rows,
                           args=form.active_args(), organizations=organizations, now=now)


@bp.route("/call/<int:call_id>")
@login_required
def call_list(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "call.view_applications", call)
    form = CallApplicationsFilterForm(request.args)
    page = db.paginate(services.call_applications(call, status=form.status_value(), q=form.search()),
                       page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    counts = services.status_counts([call.id]).get(call.id, {})
    return render_template("applications/call_list.html", call=call, form=form, page=page,
                           args=form.active_args(), counts=counts, now=utcnow())


# --- start and edit ------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    call_id = request.args.get("call", type=int)
    if call_id is None:
        flash(_("请先在项目征集中选择要申报的征集。"), "info")
        return redirect(url_for("calls.index", status="open"))
    call = _call_or_404(call_id)
    organizations = _my_organizations()
    form = NewApplicationForm(organizations=organizations)
    now = utcnow()
    if form.validate_on_submit():
        # The choice list holds only the user's organizations; the rule is checked anyway.
        org = next(o for o in organizations if o.id == form.organization_pk())
        require(current_user, "application.create", org)
        title = form.title.data
        try:
            application = services.create_draft(current_user, call, org, {"title": title} if title else None,
                                                now=now)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("已为“%(org)s”创建申报书草稿，可以随时保存，完成后提交。", org=org.name), "success")
            return redirect(url_for("applications.edit", application_id=application.id))
    return render_template("applications/new.html", call=call, form=form, organizations=organizations,
                           accepting=call.is_accepting(now), now=now)


@bp.route("/<int:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit(application_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.edit", application)
    if not application.is_editable:
        flash(_("申报书当前状态为“%(status)s”，不能修改。", status=application.status.label), "warning")
        return _to_detail(application)
    call = application.call
    communities = _community_groups(call.region_scope)
    if request.method == "POST":
        form = ApplicationForm(call=call, communities=communities)
    else:
        form = ApplicationForm(call=call, communities=communities, application=application)
    if form.validate_on_submit():
        try:
            services.save_draft(current_user, application, form.application_data())
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("草稿已保存。"), "success")
            if request.form.get("then") == "detail":
                return _to_detail(application)
            return redirect(url_for("applications.edit", application_id=application.id))
    form.add_blank_rows()
    return render_template("applications/edit.html", application=application, call=call, form=form,
                           row_templates=form.row_templates(), management_head=services.MANAGEMENT_HEAD,
                           now=utcnow())


# --- read-only view and actions --------------------------------------------------------

@bp.route("/<int:application_id>")
@login_required
def detail(application_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.view", application)
    now = utcnow()
    member = can(current_user, "application.edit", application)
    latest = application.versions[-1] if application.versions else None
    # Members see the current content; funder staff see what was submitted last.
    content = services.snapshot(application) if member or latest is None else latest.snapshot
    context = {
        "application": application, "call": application.call, "content": content,
        "showing_version": None if member else latest, "member": member, "now": now,
        "timeline": services.timeline(application), "next_action": services.next_action(application, now),
        "versions": application.versions,
    }
    if member and application.is_editable:
        context.update(checklist=services.checklist(application, now),
                       problems=services.submission_problems(application, now),
                       submit_form=ActionForm(formdata=None))
    if member and application.status in WITHDRAWABLE_STATUSES:
        context["withdraw_form"] = WithdrawForm(formdata=None)
    if application.status == ApplicationStatus.SUBMITTED and can(current_user, "application.screen", application):
        context["return_form"] = ReturnForm(formdata=None)
    return render_template("applications/detail.html", **context)


@bp.route("/<int:application_id>/submit", methods=["POST"])
@login_required
def submit(application_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.edit", application)
    require_action_form()
    try:
        version = services.submit(current_user, application, utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(_("未能提交：%(reason)s", reason=err.message), "danger")
    else:
        db.session.commit()
        flash(_("申报书已提交（第 %(n)s 版），内容已锁定。请留意形式审查结果。", n=version.number), "success")
    return _to_detail(application)


@bp.route("/<int:application_id>/withdraw", methods=["POST"])
@login_required
def withdraw(application_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.edit", application)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs), "danger")
        return _to_detail(application)
    was_draft = application.status == ApplicationStatus.DRAFT
    try:
        services.withdraw(current_user, application, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已放弃此草稿。") if was_draft else _("申报书已撤回。"), "success")
    return _to_detail(application)


@bp.route("/<int:application_id>/return", methods=["POST"])
@login_required
def return_(application_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.screen", application)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs), "danger")
        return _to_detail(application)
    try:
        services.return_for_correction(current_user, application, form.reason.data, form.due_at(), utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已退回补正，申报组织会收到通知。"), "success")
    return _to_detail(application)


@bp.route("/<int:application_id>/versions")
@login_required
def versions(application_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.view", application)
    by_number = {v.number: v for v in application.versions}
    numbers = sorted(by_number)
    a = CompareForm.number(request.args.get("a"))
    b = CompareForm.number(request.args.get("b"))
    if b not in by_number:
        b = numbers[-1] if numbers else None
    if a not in by_number:
        earlier = [n for n in numbers if b is not None and n < b]
        a = earlier[-1] if earlier else b
    form = CompareForm(formdata=None, numbers=numbers, data={"a": str(a or ""), "b": str(b or "")})
    sections = services.compare(by_number[a], by_number[b]) if a and b else []
    return render_template("applications/versions.html", application=application, form=form,
                           sections=sections, version_a=by_number.get(a), version_b=by_number.get(b),
                           member=can(current_user, "application.edit", application))

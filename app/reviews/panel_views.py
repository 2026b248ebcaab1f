"""Panel pages (评审小组, officer side): members, random draws and their records, the
assignment matrix. Changes are program officers' (panel.manage); the call's funder staff
and admins look (panel.view). Out-of-phase changes answer 409; other refusals come back
as a message on the panel page."""
from __future__ import annotations

from typing import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.calls.services import get_call
from app.core.errors import DomainError, PermissionDenied
from app.core.forms import ActionForm, require_action_form
from app.core.permissions import can, require
from app.extensions import db
from app.reviews import bp, panels
from app.reviews.blind import application_code
from app.reviews.models import PanelRole
from app.reviews.panel_forms import AddMemberForm, AssignmentForm, DrawForm, first_error


def _call_or_404(call_id: int):
    call = get_call(call_id)
    if call is None:
        abort(404)
    return call


def _managed_call(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "panel.manage", call)
    panels.check_editable(call)
    return call


def _managed_member(member_id: int):
    member = panels.get_member(member_id)
    if member is None:
        abort(404)
    call = member.panel.call
    require(current_user, "panel.manage", call)
    panels.check_editable(call)
    return member, call


def _back(call):
    return redirect(url_for("reviews.panel", call_id=call.id) + "#assignments")


def _attempt(call, action: Callable, success: Callable[..., str | list[tuple[str, str]]]):
    """Run one service call: commit and flash ``success(result)`` (a message, or a list of
    (message, category)), or roll back and flash the refusal. Out-of-phase (409) and
    permission errors go to their error pages."""
    try:
        result = action()
    except (panels.PanelLocked, PermissionDenied):
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _back(call)
    db.session.commit()
    messages = success(result)
    for message, category in ([(messages, "success")] if isinstance(messages, str) else messages):
        flash(message, category)
    return _back(call)


@bp.route("/calls/<int:call_id>/panel")
@login_required
def panel(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "panel.view", call)
    page = panels.panel_page(call)
    overview = page.overview
    manage = can(current_user, "panel.manage", call) and page.problem is None
    return render_template(
        "reviews/panel/view.html", call=call, page=page, overview=overview, manage=manage,
        draw_form=DrawForm(formdata=None, data={"size": call.reviewers_per_application}),
        member_form=AddMemberForm(formdata=None, experts=page.available),
        assignment_form=AssignmentForm(
            formdata=None, members=overview.members if overview else (),
            applications=[a for a in overview.applications if a.status in panels.REVIEWABLE] if overview else ()),
        action_form=ActionForm(formdata=None), tones=panels.CELL_TONES, app_code=application_code,
        field_labels=panels.field_labels)


@bp.route("/calls/<int:call_id>/panel/draw", methods=["POST"])
@login_required
def panel_draw(call_id: int):
    call = _managed_call(call_id)
    form = DrawForm()
    if not form.validate_on_submit():
        flash(first_error(form, _("请检查抽取条件。")), "danger")
        return _back(call)

    def done(record):
        return _("已从 %(eligible)s 位符合条件的专家中随机抽取 %(size)s 位评审专家（抽取记录 #%(id)s）。",
                 eligible=len(record.eligible), size=record.size, id=record.id)

    return _attempt(call, lambda: panels.draw_panel(current_user, call, form.size.data, form.fields.data or None), done)


@bp.route("/calls/<int:call_id>/panel/members", methods=["POST"])
@login_required
def panel_add_member(call_id: int):
    call = _managed_call(call_id)
    form = AddMemberForm()
    if not form.validate_on_submit():
        flash(first_error(form, _("请从列表中选择专家，或填写专家的邮箱。")), "danger")
        return _back(call)
    role = PanelRole.CHAIR if form.chair.data else PanelRole.REVIEWER

    def add():
        expert = panels.find_expert(form.expert_id.data, form.email.data)
        return panels.add_member(current_user, call, expert, role)

    def done(member):
        if member.is_chair:
            return _("已将 %(name)s 加入评审小组，并设为评审组长。", name=member.expert.user.name)
        return _("已将 %(name)s 加入评审小组。", name=member.expert.user.name)

    return _attempt(call, add, done)


@bp.route("/panel-members/<int:member_id>/remove", methods=["POST"])
@login_required
def panel_remove_member(member_id: int):
    member, call = _managed_member(member_id)
    require_action_form()
    name, was_chair = member.expert.user.name, member.is_chair

    def done(_result):
        messages = [(_("已将 %(name)s 移出评审小组，其未评分的评审任务已一并删除。", name=name), "success")]
        if was_chair:
            messages.append((_("评审小组现在没有评审组长，请重新指定。"), "warning"))
        return messages

    return _attempt(call, lambda: panels.remove_member(current_user, member), done)


@bp.route("/panel-members/<int:member_id>/chair", methods=["POST"])
@login_required
def panel_set_chair(member_id: int):
    member, call = _managed_member(member_id)
    require_action_form()
    return _attempt(call, lambda: panels.set_chair(current_user, member),
                    lambda m: _("已将 %(name)s 设为评审组长。", name=m.expert.user.name))


@bp.route("/calls/<int:call_id>/panel/assign", methods=["POST"])
@login_required
def panel_auto_assign(call_id: int):
    call = _managed_call(call_id)
    require_action_form()

    def done(result):
        if result.created:
            messages = [(_("已自动分配 %(n)s 项评审任务（每份申报 %(k)s 位评审专家，评审数量最多 %(max)s 份、最少 %(min)s 份）。",
                           n=result.created, k=result.k, max=result.max_load, min=result.min_load), "success")]
        else:
            messages = [(_("没有新增评审任务：每份申报都已分配到可分配的评审专家。"), "info")]
        return messages + [(w, "warning") for w in result.warnings]

    return _attempt(call, lambda: panels.auto_assign(current_user, call), done)


@bp.route("/calls/<int:call_id>/panel/assignments", methods=["POST"])
@login_required
def panel_add_assignment(call_id: int):
    call = _managed_call(call_id)
    form = AssignmentForm()
    if not form.validate_on_submit():
        flash(first_error(form, _("请选择申报书和评审专家。")), "danger")
        return _back(call)

    def add():
        member = panels.member_of(panels.panel_for(call), form.member_id.data)
        application = panels.application_of(call, form.application_id.data)
        return panels.add_assignment(current_user, application, member)

    return _attempt(call, add, lambda row: _("已将申报 %(code)s 分配给 %(name)s（待其声明利益冲突）。",
                                              code=application_code(row.application),
                                              name=row.member.expert.user.name))


@bp.route("/assignments/<int:assignment_id>/remove", methods=["POST"])
@login_required
def panel_remove_assignment(assignment_id: int):
    assignment = panels.get_assignment(assignment_id)
    if assignment is None:
        abort(404)
    call = assignment.panel.call
    require(current_user, "panel.manage", call)
    panels.check_editable(call)
    require_action_form()
    code, name = application_code(assignment.application), assignment.member.expert.user.name
    return _attempt(call, lambda: panels.remove_assignment(current_user, assignment),
                    lambda _r: _("已取消 %(name)s 对申报 %(code)s 的评审任务。", name=name, code=code))


@bp.route("/draws/<int:draw_id>")
@login_required
def draw_record(draw_id: int):
    record = panels.get_draw(draw_id)
    if record is None:
        abort(404)
    require(current_user, "panel.view", record.panel.call)
    return render_template("reviews/panel/draw.html", view=panels.draw_record(record),
                           field_labels=panels.field_labels)

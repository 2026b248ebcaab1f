"""The reviewer's workspace pages (评审工作台): my tasks, the conflict declaration, the
application (blind-aware) with its score sheet, the reviewer PDF and attachments; and the
officer's page marking attachments blind-safe (匿名评审可用)."""
from __future__ import annotations

import io
import re

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.applications.attachments import SUBDIR
from app.calls.services import get_call
from app.core import uploads
from app.core.db import page_arg
from app.core.errors import Conflict, DomainError, ValidationError
from app.core.forms import ActionForm
from app.core.permissions import require
from app.extensions import db
from app.reviews import blind, bp, experts, scoring
from app.reviews.models import AssignmentStatus
from app.reviews.reviewer_forms import (BLIND_SAFE_FILTERS, BlindSafeFilterForm, DeclarationForm, ScoreForm,
                                        TaskFilterForm)

_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _assignment_or_404(assignment_id: int):
    assignment = scoring.get_assignment(assignment_id)
    if assignment is None:
        abort(404)
    require(current_user, "review.assignment", assignment)
    return assignment


def _is_blind(assignment) -> bool:
    return blind.is_blind(assignment.panel.call)


def _content_gate(assignment):
    """Content is shown only after a no-conflict declaration: a redirect otherwise."""
    if assignment.status == AssignmentStatus.PENDING:
        flash(_("请先作出利益冲突声明，再查看申报内容。"), "warning")
        return redirect(url_for("reviews.assignment", assignment_id=assignment.id))
    if assignment.status == AssignmentStatus.RECUSED:
        flash(_("您已回避该项目，不能查看申报内容。"), "warning")
        return redirect(url_for("reviews.assignment", assignment_id=assignment.id))
    return None


# --------------------------------------------------------------------------- my tasks

@bp.route("/tasks")
@login_required
def tasks():
    form = TaskFilterForm(request.args)
    status = form.value()
    groups = scoring.my_assignments(current_user, status)
    any_tasks = bool(groups) or bool(scoring.my_assignments(current_user, "all"))
    return render_template("reviews/reviewer/tasks.html", form=form, groups=groups, status=status,
                           any_tasks=any_tasks, expert=experts.expert_of(current_user))


# --------------------------------------------------------------------------- one assignment

def _render_declaration(assignment, form, status: int = 200):
    return render_template("reviews/reviewer/declare.html", assignment=assignment, call=assignment.panel.call,
                           blind=_is_blind(assignment), code=blind.application_code(assignment.application),
                           form=form, problem=scoring.declaration_problem(assignment)), status


def _render_workspace(assignment, form: ScoreForm, raw: dict | None = None, errors: dict | None = None):
    is_blind = _is_blind(assignment)
    application = assignment.application
    return render_template(
        "reviews/reviewer/assignment.html", assignment=assignment, call=assignment.panel.call,
        blind=is_blind, view=blind.reviewer_view(application, is_blind),
        files=blind.reviewer_attachments(application, is_blind), sheet=assignment.sheet,
        rows=scoring.sheet_rows(assignment, raw, errors), form=form,
        problem=scoring.scoring_problem(assignment),
        max_total=sum(c.max_points for c in assignment.panel.call.criteria))


@bp.route("/assignments/<int:assignment_id>")
@login_required
def assignment(assignment_id: int):
    a = _assignment_or_404(assignment_id)
    if a.status == AssignmentStatus.PENDING:
        return _render_declaration(a, DeclarationForm(formdata=None))
    if a.status == AssignmentStatus.RECUSED:
        return render_template("reviews/reviewer/recused.html", assignment=a, call=a.panel.call,
                               blind=_is_blind(a), code=blind.application_code(a.application))
    sheet = a.sheet
    form = ScoreForm(formdata=None, data={"comment": sheet.comment if sheet is not None else ""})
    return _render_workspace(a, form)


@bp.route("/assignments/<int:assignment_id>/declare", methods=["POST"])
@login_required
def assignment_declare(assignment_id: int):
    a = _assignment_or_404(assignment_id)
    problem = scoring.declaration_problem(a)
    if problem:
        # Typically a second click on 提交声明: nothing changes, the page shows the state.
        flash(problem, "info")
        return redirect(url_for("reviews.assignment", assignment_id=a.id))
    form = DeclarationForm()
    if not form.validate_on_submit():
        return _render_declaration(a, form)
    conflict = form.conflict
    try:
        result = scoring.declare(current_user, a, conflict, form.reason.data)
    except ValidationError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_declaration(a, form)
    db.session.commit()
    if not conflict:
        flash(_("已声明与该项目无利益冲突，现在可以查看申报书并评分。"), "success")
        return redirect(url_for("reviews.assignment", assignment_id=a.id))
    if result is not None:
        flash(_("已登记回避，该项目已改派给评审小组的其他专家。感谢您如实声明。"), "success")
    else:
        flash(_("已登记回避。评审小组暂无可改派的专家，项目主管会另行安排。感谢您如实声明。"), "info")
    return redirect(url_for("reviews.tasks"))


@bp.route("/assignments/<int:assignment_id>/score", methods=["POST"])
@login_required
def assignment_score(assignment_id: int):
    a = _assignment_or_404(assignment_id)
    problem = scoring.scoring_problem(a)
    if problem:
        raise Conflict(problem)
    form = ScoreForm()
    criteria = a.panel.call.criteria
    raw = ScoreForm.points_from(request.form, criteria)
    submitting = request.form.get("action") == "submit"
    valid = form.validate_on_submit()
    if submitting and not form.confirm.data:
        form.confirm.errors = list(form.confirm.errors) + [_("请勾选“我已核对全部评分，提交后不可修改”以确认提交。")]
        valid = False
    if not valid:
        return _render_workspace(a, form, raw)
    service = scoring.submit_sheet if submitting else scoring.save_sheet
    try:
        sheet = service(current_user, a, raw, form.comment.data)
    except scoring.SheetInvalid as err:
        db.session.rollback()
        if err.comment_error:
            form.comment.errors = list(form.comment.errors) + [err.comment_error]
        form.form_errors.extend([err.message, *err.general])
        return _render_workspace(a, form, raw, err.errors)
    except ValidationError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_workspace(a, form, raw)
    db.session.commit()
    if submitting:
        flash(_("评分已提交（总分 %(total)s 分），评分表已锁定。", total=sheet.total), "success")
    else:
        flash(_("已暂存评分：已填 %(done)s / %(all)s 项，当前合计 %(total)s 分。提交前仍可修改。",
                done=len(sheet.points or {}), all=len(criteria), total=sheet.total), "success")
    return redirect(url_for("reviews.assignment", assignment_id=a.id, _anchor="score"))


@bp.route("/assignments/<int:assignment_id>/application.pdf")
@login_required
def assignment_pdf(assignment_id: int):
    a = _assignment_or_404(assignment_id)
    gate = _content_gate(a)
    if gate is not None:
        return gate
    from app.reviews.reviewer_pdf import render_reviewer_pdf

    content = render_reviewer_pdf(a.application, _is_blind(a), reviewer_name=current_user.name)
    name = _("评审用申报书-%(code)s.pdf", code=blind.application_code(a.application))
    response = send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                         download_name=_UNSAFE_FILENAME.sub("", name), etag=False, conditional=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/assignments/<int:assignment_id>/attachments/<int:attachment_id>")
@login_required
def assignment_attachment(assignment_id: int, attachment_id: int):
    a = _assignment_or_404(assignment_id)
    gate = _content_gate(a)
    if gate is not None:
        return gate
    is_blind = _is_blind(a)
    listed = {f.id: f for f in blind.reviewer_attachments(a.application, is_blind)}
    item = listed.get(attachment_id)
    if item is None:
        abort(404)
    # Opened as a stream, not by path: no Last-Modified (the upload time) and no ETag.
    response = send_file(uploads.open_stored(SUBDIR, item.attachment.stored_name), mimetype=item.content_type,
                         as_attachment=True,
                         download_name=item.name, etag=False, conditional=False, max_age=None,
                         last_modified=None)
    response.headers.pop("Last-Modified", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- blind-safe marking

def _call_or_404(call_id: int):
    call = get_call(call_id)
    if call is None:
        abort(404)
    return call


@bp.route("/calls/<int:call_id>/blind-safe")
@login_required
def blind_safe(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "panel.manage", call)
    form = BlindSafeFilterForm(request.args)
    page = db.paginate(blind.blind_safe_query(call, form.search(), form.marked_value()),
                       page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    marked, total = blind.blind_safe_counts(call)
    return render_template("reviews/reviewer/blind_safe.html", call=call, form=form, page=page,
                           args=form.active_args(), marked=marked, total=total,
                           filters=BLIND_SAFE_FILTERS, save_form=ActionForm(formdata=None),
                           problem=blind.marking_problem(call), code=blind.application_code)


@bp.route("/calls/<int:call_id>/blind-safe", methods=["POST"])
@login_required
def blind_safe_save(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "panel.manage", call)
    if not ActionForm().validate_on_submit():
        abort(400)
    back_args = {}
    for key in ("q", "marked", "page"):
        value = (request.form.get(key) or "").strip()
        if value and len(value) <= 100 and not re.search(r"[\x00-\x1f\x7f]", value):
            back_args[key] = value
    back = redirect(url_for("reviews.blind_safe", call_id=call.id, **back_args))
    try:
        marked, unmarked = blind.save_blind_safe(current_user, call, request.form.getlist("shown"),
                                                 request.form.getlist("safe"))
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return back
    db.session.commit()
    if marked or unmarked:
        flash(_("已保存：新标记 %(marked)s 个附件为匿名评审可用，取消 %(unmarked)s 个。",
                marked=marked, unmarked=unmarked), "success")
    else:
        flash(_("没有改动需要保存。"), "info")
    return back


@bp.context_processor
def _reviewer_helpers():
    # Pages of other parts of the review work are linked only once they exist.
    return {"has_endpoint": lambda name: name in current_app.view_functions}

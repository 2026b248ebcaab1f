"""Chair workspace and results pages (评审组长工作台、评审结果): the matrix with reopening and
finalizing, the ranking with amount adjustments, and the score sheets as XLSX and PDF."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.calls.services import get_call
from app.core.db import utcnow
from app.core.errors import ValidationError
from app.core.forms import CONTROL_CHARS, ActionForm, require_action_form
from app.core.money import format_fen
from app.core.permissions import can, require
from app.extensions import db
from app.reviews import bp, sheets
from app.reviews import results as service
from app.reviews.chair_forms import AdjustForm, ReopenForm
from app.reviews.results import CellState

SHOW_FILTERS = ("incomplete", "disagreement")


def _call_or_404(call_id: int):
    call = get_call(call_id)
    if call is None:
        abort(404)
    return call


def _panel_or_404(call):
    panel = service.panel_for(call)
    if panel is None:
        abort(404)
    return panel


def _show_arg() -> str | None:
    show = request.args.get("show")
    return show if show in SHOW_FILTERS else None


def _render_matrix(panel, *, reopen_error: tuple[int, str, str] | None = None):
    call = panel.call
    m = service.matrix(panel)
    blind = service.blind_for(current_user, call)
    show = _show_arg()
    return render_template(
        "reviews/chair/matrix.html", call=call, panel=panel, m=m, rows=m.rows_for(show), show=show,
        labels={r.application.id: service.label(r.application, blind=blind) for r in m.rows}, blind=blind,
        explanation=service.method_explanation(call),
        is_chair=can(current_user, "panel.chair", panel), can_results=can(current_user, "results.view", call),
        finalize_problem=m.finalize_problem(), reopen_open=service.reopen_problem(panel) is None,
        reopen_error=reopen_error, action_form=ActionForm(formdata=None), CellState=CellState)


@bp.route("/calls/<int:call_id>/chair")
@login_required
def chair(call_id: int):
    call = _call_or_404(call_id)
    panel = _panel_or_404(call)
    require(current_user, "panel.matrix", panel)
    return _render_matrix(panel)


@bp.route("/sheets/<int:sheet_id>/reopen", methods=["POST"])
@login_required
def sheet_reopen(sheet_id: int):
    sheet = service.get_sheet(sheet_id)
    if sheet is None:
        abort(404)
    panel = sheet.assignment.panel
    require(current_user, "panel.chair", panel)
    reason = ReopenForm().reason.data or ""
    try:
        service.reopen_sheet(current_user, sheet, reason)   # out of order → 409
    except ValidationError as err:
        db.session.rollback()
        return _render_matrix(panel, reopen_error=(sheet_id, err.message, reason))
    application_id = sheet.assignment.application_id
    reviewer = sheet.assignment.member.expert.name
    db.session.commit()
    flash(_("已将 %(name)s 的评分退回修改，理由已记录。专家修改并重新提交后即可结束评审。", name=reviewer), "success")
    return redirect(url_for("reviews.chair", call_id=panel.call_id, _anchor=f"row-{application_id}"))


@bp.route("/calls/<int:call_id>/finalize", methods=["POST"])
@login_required
def panel_finalize(call_id: int):
    call = _call_or_404(call_id)
    panel = _panel_or_404(call)
    require(current_user, "panel.chair", panel)
    require_action_form()
    outcomes = service.finalize(current_user, panel)   # out of order → 409 with the counts
    db.session.commit()
    flash(_("评审已结束：%(n)s 个项目的最终得分和排名已生成，项目主管将据此确定推荐名单。", n=len(outcomes)), "success")
    return redirect(url_for("reviews.chair", call_id=call.id))


# --------------------------------------------------------------------------- results

def _render_results(call, *, adjust_error: tuple[int, str | None, str, dict] | None = None):
    panel = service.panel_for(call)
    res = service.outcomes(call)
    manage = can(current_user, "panel.manage", call)
    return render_template(
        "reviews/chair/results.html", call=call, panel=panel, res=res,
        explanation=service.method_explanation(call),
        can_adjust=manage and service.adjustment_problem(call, panel) is None,
        adjust_problem=service.adjustment_problem(call, panel) if manage else None,
        can_matrix=panel is not None and can(current_user, "panel.matrix", panel),
        adjust_error=adjust_error, action_form=ActionForm(formdata=None))


@bp.route("/calls/<int:call_id>/results")
@login_required
def results(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "results.view", call)
    return _render_results(call)


def _outcome_or_404(outcome_id: int):
    outcome = service.get_outcome(outcome_id)
    if outcome is None:
        abort(404)
    return outcome


@bp.route("/outcomes/<int:outcome_id>/adjust", methods=["POST"])
@login_required
def outcome_adjust(outcome_id: int):
    outcome = _outcome_or_404(outcome_id)
    call = service.outcome_call(outcome)
    require(current_user, "panel.manage", call)
    form = AdjustForm()
    values = {"amount": form.amount.data or "", "reason": form.reason.data or ""}
    try:
        service.adjust_amount(current_user, outcome, values["amount"], values["reason"])   # out of order → 409
    except ValidationError as err:
        db.session.rollback()
        return _render_results(call, adjust_error=(outcome_id, err.field, err.message, values))
    db.session.commit()
    flash(_("已将“%(title)s”的资助金额调整为 %(amount)s，并按新金额重新计算了推荐名单。",
            title=outcome.application.title, amount=format_fen(outcome.adjusted_fen)), "success")
    return redirect(url_for("reviews.results", call_id=call.id, _anchor=f"outcome-{outcome.id}"))


@bp.route("/outcomes/<int:outcome_id>/clear", methods=["POST"])
@login_required
def outcome_clear(outcome_id: int):
    outcome = _outcome_or_404(outcome_id)
    call = service.outcome_call(outcome)
    require(current_user, "panel.manage", call)
    require_action_form()
    service.clear_adjustment(current_user, outcome)   # out of order → 409
    db.session.commit()
    flash(_("已取消“%(title)s”的金额调整，按申请金额重新计算了推荐名单。", title=outcome.application.title), "success")
    return redirect(url_for("reviews.results", call_id=call.id, _anchor=f"outcome-{outcome.id}"))


# --------------------------------------------------------------------------- downloads

def _download(content: bytes, name: str, mimetype: str):
    response = send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name,
                         etag=False, conditional=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    return response


def _summary_panel(call_id: int):
    call = _call_or_404(call_id)
    panel = _panel_or_404(call)
    require(current_user, "panel.matrix", panel)
    return call, panel


@bp.route("/calls/<int:call_id>/summary.xlsx")
@login_required
def summary_xlsx(call_id: int):
    call, panel = _summary_panel(call_id)
    content = sheets.summary_xlsx(panel, blind=service.blind_for(current_user, call), now=utcnow())
    return _download(content, sheets.filename(_("评审汇总表"), call, "xlsx"), sheets.XLSX_MIMETYPE)


@bp.route("/calls/<int:call_id>/summary.pdf")
@login_required
def summary_pdf(call_id: int):
    call, panel = _summary_panel(call_id)
    content = sheets.summary_pdf(panel, blind=service.blind_for(current_user, call), now=utcnow())
    return _download(content, sheets.filename(_("评审汇总表"), call, "pdf"), "application/pdf")


def _member_or_404(member_id: int):
    member = service.get_member(member_id)
    if member is None:
        abort(404)
    require(current_user, "review.sheet.view", member)
    return member


def _member_name(member) -> str:
    return CONTROL_CHARS.sub("", member.expert.name)


@bp.route("/panel-members/<int:member_id>/sheet.xlsx")
@login_required
def member_sheet_xlsx(member_id: int):
    member = _member_or_404(member_id)
    content = sheets.member_sheet_xlsx(member, now=utcnow())
    return _download(content, sheets.filename(_("评审专家评分表"), member.panel.call, "xlsx", _member_name(member)),
                     sheets.XLSX_MIMETYPE)


@bp.route("/panel-members/<int:member_id>/sheet.pdf")
@login_required
def member_sheet_pdf(member_id: int):
    member = _member_or_404(member_id)
    content = sheets.member_sheet_pdf(member, now=utcnow())
    return _download(content, sheets.filename(_("评审专家评分表"), member.panel.call, "pdf", _member_name(member)),
                     "application/pdf")

"""Eligibility screening pages (形式审查): the batch view of a call and one application's
checklist with the officer's decision."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.applications import bp
from app.applications import screening as service
from app.applications.models import ScreeningDecision
from app.calls.services import get_call
from app.core.db import page_arg, utcnow
from app.core.errors import DomainError
from app.core.forms import ActionForm, BaseForm, clean_search, require_action_form
from app.core.permissions import require
from app.extensions import db
from app.orgs.forms import enum_options, plain_options

FILTER_LABELS = {
    "pending": _l("待审查"),
    "pass": _l("待审查 · 建议通过"),
    "fail": _l("待审查 · 建议不通过"),
    "decided": _l("已作结论"),
}


class ScreeningFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("项目名称或组织名称"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("审查进度"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = plain_options(FILTER_LABELS.items(), blank=_l("全部"))

    def status_value(self) -> str | None:
        return self.status.data if self.status.data in FILTER_LABELS else None

    def search(self) -> str | None:
        return clean_search(self.q.data) or None

    def active_args(self) -> dict:
        args = {}
        if self.search():
            args["q"] = self.search()
        if self.status_value():
            args["status"] = self.status_value()
        return args


class ScreeningForm(BaseForm):
    decision = RadioField(_l("审查结论"), validate_choice=False)
    reason = TextAreaField(
        _l("理由"), validators=[Length(max=service.REASON_MAX, message=_l("理由不能超过 1000 个字。"))],
        render_kw={"rows": 4, "maxlength": service.REASON_MAX},
        description=_l("审查结论与自动检查的建议不一致，或修改已作出的结论时，必须填写理由；理由会告知申报组织。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels follow the language of the request.
        self.decision.choices = enum_options(ScreeningDecision)


def _call_or_404(call_id: int):
    call = get_call(call_id)
    if call is None:
        abort(404)
    return call


def _application_or_404(application_id: int):
    application = service.get_for_screening(application_id)
    if application is None:
        abort(404)
    return application


@bp.route("/call/<int:call_id>/screening")
@login_required
def screening_batch(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "call.screen", call)
    form = ScreeningFilterForm(request.args)
    overview = service.screening_overview(call, utcnow(), status=form.status_value(), q=form.search())
    page = service.paginate_rows(overview.rows, page_arg(request.args), current_app.config["PAGE_SIZE"])
    return render_template(
        "applications/screening_batch.html", call=call, form=form, page=page, counts=overview.counts,
        args=form.active_args(), filter_labels=FILTER_LABELS, confirm_form=ActionForm(formdata=None),
        in_screening=call.status.value == "screening")


@bp.route("/call/<int:call_id>/screening/confirm", methods=["POST"])
@login_required
def screening_confirm_all(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "call.screen", call)
    require_action_form()
    back = redirect(url_for("applications.screening_batch", call_id=call.id))
    try:
        result = service.screen_batch(current_user, service.pending_applications(call), utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return back
    db.session.commit()
    if result.confirmed:
        flash(_("已确认 %(n)s 份申报书形式审查通过。", n=result.confirmed), "success")
    else:
        flash(_("没有可以一键确认的申报书：待审查的申报书都有未通过的检查项，或已全部作出结论。"), "info")
    if result.needs_review:
        flash(_("%(n)s 份申报书有未通过的检查项，请逐份审查并作出结论。", n=result.needs_review), "warning")
    return back


@bp.route("/<int:application_id>/screening", methods=["GET", "POST"])
@login_required
def screen(application_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.screen", application)
    now = utcnow()
    problem = service.decision_problem(application)
    form = ScreeningForm()
    if request.method == "POST":
        if problem:
            flash(problem, "danger")
            return redirect(url_for("applications.screen", application_id=application.id))
        if form.validate_on_submit():
            try:
                row = service.screen(current_user, application, form.decision.data, form.reason.data, now)
            except DomainError as err:
                db.session.rollback()
                form.add_domain_error(err)
            else:
                db.session.commit()
                flash(_("已对“%(title)s”作出形式审查结论：%(decision)s。",
                        title=application.title, decision=row.decision.label), "success")
                return redirect(url_for("applications.screening_batch", call_id=application.call_id))
    row = service.screening_row(application, now)
    if not form.is_submitted():
        form.decision.data = service.proposed_decision(application, row).value
    return render_template("applications/screening.html", application=application, call=application.call,
                           row=row, form=form, problem=problem)

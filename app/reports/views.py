"""Report pages (/reports/…): the reports of an award, one report with the officer's review
panel, the organization's edit form and photos, the completion certificate and the list of
reports to write or review. See the module docs in services.
"""
from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core import uploads
from app.core.db import page_arg, utcnow
from app.core.errors import Conflict, DomainError
from app.core.forms import ActionForm, require_action_form
from app.core.permissions import can, require
from app.extensions import db
from app.reports import bp
from app.reports import services as service
from app.reports.certificate_pdf import certificate_filename, render_certificate
from app.reports.forms import AcceptForm, PhotoForm, ReasonForm, ReportEditForm, ReportFilterForm
from app.reports.models import Report, ReportKind


def _report_or_404(report_id: int, action: str = "report.view") -> Report:
    report = service.get_report(report_id)
    if report is None:
        abort(404)
    if action == "report.submit":
        require(current_user, action, report.award)
    else:
        require(current_user, action, report)
    return report


def _require_editable(report: Report) -> None:
    """Writing a report that is submitted or reviewed is out of order (409)."""
    if report.status not in service.EDITABLE:
        raise Conflict(_("报告当前状态为“%(status)s”，不能修改。", status=report.status.label))


def _to_detail(report: Report, anchor: str | None = None):
    return redirect(url_for("reports.detail", report_id=report.id, _anchor=anchor))


# --- lists -----------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    form = ReportFilterForm(request.args)
    if service.ensure_reports_in_scope(current_user):
        db.session.commit()
    page = db.paginate(service.reports_query(current_user, form.filters()), page=page_arg(request.args),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("reports/index.html", form=form, page=page, args=form.active_args(),
                           today=service.today_in_china(), editable=service.EDITABLE)


@bp.route("/awards/<int:award_id>")
@login_required
def award_reports(award_id: int):
    award = service.get_award(award_id)
    if award is None:
        abort(404)
    require(current_user, "agreement.view", award)
    reports = service.reports_of(award)
    db.session.commit()
    return render_template("reports/award.html", award=award, reports=reports,
                           agreement=service.agreement_of(award), installments=service.installments_of(award),
                           today=service.today_in_china(), editable=service.EDITABLE)


# --- one report --------------------------------------------------------------------------------

def _detail_page(report: Report, *, accept_form=None, return_form=None, fail_form=None, status: int = 200):
    review = can(current_user, "report.review", report)
    entries = service.history(report)
    context = {
        "report": report, "award": report.award, "v": service.view(report),
        "photos": service.photos(report), "history": entries, "names": service.reviewer_names(entries),
        "writer": can(current_user, "report.submit", report.award),
        "review": review, "editable": report.status in service.EDITABLE,
        "submit_problems": service.submit_problems(report),
        "accept_form": accept_form or (AcceptForm(formdata=None) if review else None),
        "return_form": return_form or (ReasonForm(formdata=None, prefix="return") if review else None),
        "fail_form": fail_form or (ReasonForm(formdata=None, prefix="fail") if review else None),
        "action_form": ActionForm(formdata=None),
        "certificate": service.certificate_available(report),
        "overdue": service.is_overdue(report),
    }
    return render_template("reports/detail.html", **context), status


@bp.route("/<int:report_id>")
@login_required
def detail(report_id: int):
    return _detail_page(_report_or_404(report_id))


@bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@login_required
def edit(report_id: int):
    report = _report_or_404(report_id, "report.submit")
    if request.method == "GET" and report.status not in service.EDITABLE:
        # A link followed after submitting: say where the report stands (writing is 409).
        return render_template("reports/locked.html", report=report, award=report.award)
    _require_editable(report)
    form = ReportEditForm()
    errors: dict[str, str] = {}
    values = None
    status = 200
    if form.validate_on_submit():
        try:
            service.save_report(current_user, report, request.form)
        except service.ReportInvalid as err:
            db.session.rollback()
            errors, values, status = err.errors, request.form, 200
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
            values = request.form
        else:
            db.session.commit()
            if request.form.get("then") == "submit":
                return _submit(report)
            flash(_("报告已保存。填写完整后请点击“提交审核”。"), "success")
            return redirect(url_for("reports.edit", report_id=report.id))
    elif form.is_submitted():
        values = request.form
    report = service.get_report(report_id)
    return render_template("reports/edit.html", report=report, award=report.award, v=service.view(report),
                           form=form, errors=errors,
                           values=values if values is not None else service.form_values(report), photos=service.photos(report),
                           photo_form=PhotoForm(formdata=None), max_photos=service.MAX_PHOTOS,
                           photo_accept=uploads.accept_attribute(service.PHOTO_TYPES),
                           submit_problems=service.submit_problems(report)), status


def _submit(report: Report):
    """Submit, or say why not: out of order (already submitted, the agreement not signed,
    the final before the progress report is accepted) answers 409; an incomplete report
    goes back to the form with the message."""
    problems = service.submit_problems(report)
    if problems:
        raise Conflict(" ".join(problems))
    try:
        service.submit(current_user, report, utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("reports.edit", report_id=report.id))
    db.session.commit()
    flash(_("%(kind)s已提交，等待资助方审核。", kind=report.kind.label), "success")
    return _to_detail(report)


@bp.route("/<int:report_id>/submit", methods=["POST"])
@login_required
def submit(report_id: int):
    report = _report_or_404(report_id, "report.submit")
    require_action_form()
    return _submit(report)


# --- photos -------------------------------------------------------------------------------------

@bp.route("/<int:report_id>/photos", methods=["POST"])
@login_required
def photo_upload(report_id: int):
    report = _report_or_404(report_id, "report.submit")
    _require_editable(report)
    back = redirect(url_for("reports.edit", report_id=report.id, _anchor="photos"))
    form = PhotoForm()
    if not form.validate_on_submit():
        flash(" ".join(str(m) for errors in form.errors.values() for m in errors)
              or _("请选择要上传的照片。"), "danger")
        return back
    try:
        photo = service.add_photo(current_user, report, form.file.data, form.caption.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("照片“%(name)s”已上传。", name=photo.original_name), "success")
    return back


@bp.route("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    item = service.get_photo(photo_id)
    if item is None:
        abort(404)
    report = service.require_photo_report(item)
    require(current_user, "report.view", report)
    response = send_file(uploads.stored_path(service.SUBDIR, item.stored_name), mimetype=item.content_type,
                         as_attachment=True, download_name=item.original_name, etag=item.sha256,
                         conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/photos/<int:photo_id>/delete", methods=["POST"])
@login_required
def photo_delete(photo_id: int):
    item = service.get_photo(photo_id)
    if item is None:
        abort(404)
    report = service.require_photo_report(item)
    require(current_user, "report.submit", report.award)
    _require_editable(report)
    require_action_form()
    name = item.original_name
    try:
        service.remove_photo(current_user, item)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("照片“%(name)s”已删除。", name=name), "success")
    return redirect(url_for("reports.edit", report_id=report.id, _anchor="photos"))


# --- review ---------------------------------------------------------------------------------------

def _review(report: Report, action, form, form_key: str, success: str):
    """Validate ``form``, run the review ``action``, commit and go back to the report; a
    Conflict (out of order) answers 409 with the page and its message."""
    if form.validate_on_submit():
        try:
            action()
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
            status = 409 if isinstance(err, Conflict) else 200
            report = service.get_report(report.id)
            return _detail_page(report, status=status, **{form_key: form})
        db.session.commit()
        flash(success, "success")
        return _to_detail(report)
    if report.status.value != "submitted":
        raise Conflict(_("只有待审核的报告才能审核（当前状态：%(status)s）。", status=report.status.label))
    return _detail_page(report, **{form_key: form})


@bp.route("/<int:report_id>/accept", methods=["POST"])
@login_required
def accept(report_id: int):
    report = _report_or_404(report_id, "report.review")
    form = AcceptForm()
    success = (_("结项报告已审核通过，评定等级已记录，结项证书可以下载。") if report.kind == ReportKind.FINAL
               else _("中期报告已审核通过，下一期资金已可申请拨付。"))
    return _review(report, lambda: service.accept(current_user, report, form.rating.data, form.comment.data,
                                                  utcnow()), form, "accept_form", success)


@bp.route("/<int:report_id>/return", methods=["POST"], endpoint="return_")
@login_required
def return_report(report_id: int):
    report = _report_or_404(report_id, "report.review")
    form = ReasonForm(prefix="return")
    return _review(report, lambda: service.return_report(current_user, report, form.reason.data, utcnow()),
                   form, "return_form", _("报告已退回修改，已通知项目单位。"))


@bp.route("/<int:report_id>/fail", methods=["POST"])
@login_required
def fail(report_id: int):
    report = _report_or_404(report_id, "report.review")
    form = ReasonForm(prefix="fail")
    return _review(report, lambda: service.fail(current_user, report, form.reason.data, utcnow()),
                   form, "fail_form", _("报告已评定为不通过，剩余资金已暂停拨付。"))


# --- certificate ----------------------------------------------------------------------------------

@bp.route("/<int:report_id>/certificate.pdf")
@login_required
def certificate(report_id: int):
    report = _report_or_404(report_id)
    if not service.certificate_available(report):
        abort(404)
    response = send_file(io.BytesIO(render_certificate(report)), mimetype="application/pdf", as_attachment=True,
                         download_name=certificate_filename(report), etag=False, conditional=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    return response

"""Agreement pages (资助协议 / 购买服务合同) and the "my awards" list.

/awards/<id>/agreement… belong to the award's organization members and the funder's staff
(agreement.view); generating, confirming and refusing to its program officers
(agreement.manage); uploading the signed scan to the organization's members
(agreement.sign). A step out of order answers 409 with the page and the reason; a refused
input re-renders the page with the message beside the field. /awards/<id>/contract is the
public summary of a signed purchase contract (SPEC §3.4).
"""
from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core import uploads
from app.core.db import page_arg, utcnow
from app.core.errors import Conflict, DomainError, ValidationError
from app.core.money import format_fen
from app.core.forms import ActionForm
from app.core.permissions import can, require
from app.extensions import db
from app.money import agreements as service
from app.money import bp
from app.money import installments as inst
from app.money.agreement_forms import MyAwardsFilterForm, RefuseForm, ScanForm
from app.money.agreement_pdf import agreement_filename, render_agreement
from app.money.models import AgreementStatus


def _award_or_404(award_id: int):
    award = service.get_award(award_id)
    if award is None:
        abort(404)
    return award


def _agreement_page(award, *, scan_form: ScanForm | None = None, refuse_form: RefuseForm | None = None,
                    error: str | None = None, notes: list[str] | None = None, status: int = 200):
    agreement = service.agreement_for(award)
    term = service.term_for(award)
    reporting = service.reporting_dates(agreement.starts_on, agreement.ends_on) if agreement else None
    context = {
        "award": award, "call": award.call, "application": award.application, "organization": award.organization,
        "agreement": agreement, "AS": AgreementStatus,
        "doc_title": service.document_title(award.call),
        "purchase": service.is_purchase(award.call),
        "schedule": inst.schedule_of(award),
        "fundings": service.fundings(award),
        "reporting": reporting,
        # Why the term differs from the application (shown to the staff and the organization).
        "term_notes": notes if notes is not None else term.notes,
        "manage": can(current_user, "agreement.manage", award),
        "sign": can(current_user, "agreement.sign", award),
        "scan_form": scan_form or ScanForm(formdata=None),
        "refuse_form": refuse_form or RefuseForm(formdata=None),
        "action_form": ActionForm(formdata=None),
        "error": error,
        "status_tone": service.agreement_status_tone(agreement.status if agreement else None),
        "installment_tone": service.installment_status_tone,
    }
    return render_template("money/agreements/detail.html", **context), status


def _back(award):
    return redirect(url_for("money.agreement", award_id=award.id))


def _csrf_ok(form) -> None:
    """The form's CSRF token must be valid (400 otherwise); field checks are the service's,
    so that an out-of-order step says so first."""
    form.validate_on_submit()
    if "csrf_token" in form.errors or not form.is_submitted():
        abort(400)


@bp.route("/awards/<int:award_id>/agreement")
@login_required
def agreement(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "agreement.view", award)
    return _agreement_page(award)


@bp.route("/awards/<int:award_id>/agreement.pdf")
@login_required
def agreement_pdf(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "agreement.view", award)
    agreement_ = service.agreement_for(award)
    if agreement_ is None:
        abort(404)
    response = send_file(io.BytesIO(render_agreement(agreement_)), mimetype="application/pdf", as_attachment=True,
                         download_name=agreement_filename(agreement_), etag=False, conditional=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/awards/<int:award_id>/agreement/scan")
@login_required
def agreement_scan(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "agreement.view", award)
    agreement_ = service.agreement_for(award)
    if agreement_ is None or not agreement_.scan_stored_name:
        abort(404)
    path = uploads.stored_path(service.SUBDIR, agreement_.scan_stored_name)
    response = send_file(path, mimetype=agreement_.scan_content_type or "application/octet-stream",
                         as_attachment=True, download_name=agreement_.scan_original_name or path.name,
                         etag=agreement_.scan_sha256 or False, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/awards/<int:award_id>/agreement/generate", methods=["POST"])
@login_required
def agreement_generate(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "agreement.manage", award)
    _csrf_ok(ActionForm())
    existed = service.agreement_for(award) is not None
    try:
        agreement_, notes = service.generate_with_notes(current_user, award, utcnow())
    except Conflict as err:
        db.session.rollback()
        return _agreement_page(award, error=err.message, status=409)
    except DomainError as err:
        db.session.rollback()
        return _agreement_page(award, error=err.message)
    db.session.commit()
    flash(_("协议已更新（编号 %(number)s）。", number=agreement_.number) if existed else
          _("协议已生成（编号 %(number)s），请通知机构下载、签署盖章后上传扫描件。", number=agreement_.number), "success")
    for note in notes:
        flash(note, "warning")
    return _back(award)


@bp.route("/awards/<int:award_id>/agreement/upload", methods=["POST"])
@login_required
def agreement_upload(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "agreement.sign", award)
    form = ScanForm()
    _csrf_ok(form)
    try:
        service.upload_scan(current_user, award, form.file.data, utcnow())
    except Conflict as err:
        db.session.rollback()
        return _agreement_page(award, error=err.message, status=409)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _agreement_page(award, scan_form=form)
    db.session.commit()
    flash(_("签署件已上传，请等待资助方确认。确认后协议生效，第一期资金即可申请拨付。"), "success")
    return _back(award)


@bp.route("/awards/<int:award_id>/agreement/confirm", methods=["POST"])
@login_required
def agreement_confirm(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "agreement.manage", award)
    _csrf_ok(ActionForm())
    try:
        service.confirm(current_user, award, utcnow())
    except Conflict as err:
        db.session.rollback()
        return _agreement_page(award, error=err.message, status=409)
    except DomainError as err:
        db.session.rollback()
        return _agreement_page(award, error=err.message)
    db.session.commit()
    due = [row for row in inst.schedule_of(award) if row.installment.status.value == "due"]
    if due:
        flash(_("协议已确认生效。第 %(n)s 期资金（%(amount)s）已可申请拨付。",
                n="、".join(str(r.installment.position) for r in due),
                amount=format_fen(sum(r.installment.amount_fen for r in due))),
              "success")
    else:
        flash(_("协议已确认生效。"), "success")
    return _back(award)


@bp.route("/awards/<int:award_id>/agreement/refuse", methods=["POST"])
@login_required
def agreement_refuse(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "agreement.manage", award)
    form = RefuseForm()
    _csrf_ok(form)
    try:
        service.refuse_scan(current_user, award, form.reason.data)
    except Conflict as err:
        db.session.rollback()
        return _agreement_page(award, error=err.message, status=409)
    except ValidationError as err:
        db.session.rollback()
        form.reason.errors = [err.message]
        return _agreement_page(award, refuse_form=form)
    db.session.commit()
    flash(_("签署件已退回，机构会看到退回原因并重新上传。"), "success")
    return _back(award)


# --- public contract ---------------------------------------------------------------------

@bp.route("/awards/<int:award_id>/contract")
def public_contract(award_id: int):
    award = _award_or_404(award_id)
    if not can(current_user, "public.call.view", award.call):
        abort(404)
    summary = service.contract_summary(award)
    if summary is None:
        abort(404)
    return render_template("money/agreements/public_contract.html", s=summary, award=award, call=award.call)


# --- my awards ---------------------------------------------------------------------------

@bp.route("/awards/mine")
@login_required
def my_awards():
    scopes = service.scopes(current_user)
    scope = request.args.get("scope")
    if scope not in scopes:
        scope = scopes[0] if scopes else None
    page = form = None
    progress, agreements = {}, {}
    if scope is not None:
        form = MyAwardsFilterForm(request.args, calls=service.call_choices(current_user, scope))
        stmt = service.awards_query(current_user, scope, **form.filters())
        page = db.paginate(stmt, page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"],
                           error_out=False)
        ids = [award.id for award in page.items]
        progress = inst.progress_by_award(ids)
        agreements = service.agreements_by_award(ids)
    args = dict(form.active_args(), scope=scope) if form is not None else {}
    steps = {award.id: service.next_step(agreements.get(award.id), progress.get(award.id), scope)
             for award in (page.items if page else [])}
    return render_template("money/agreements/mine.html", scopes=scopes, scope=scope, form=form, page=page,
                           args=args, progress=progress, steps=steps, agreements=agreements,
                           status_tone=service.agreement_status_tone)

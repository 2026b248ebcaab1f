"""Disbursement pages (拨付): the finance queue, the maker's request, the checker's
approval (fresh login), the payment voucher PDF and the reversal of a payment. The rules
live in app.money.disbursement."""
from __future__ import annotations

import io
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.fresh import fresh_login_required
from app.core.db import page_arg, utcnow
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.core.forms import ActionForm, require_action_form
from app.core.money import format_fen
from app.core.permissions import can, require
from app.extensions import db
from app.money import bp
from app.money import disbursement as service
from app.money.disbursement_forms import VIEWS, ApproveForm, QueueFilterForm, ReverseForm
from app.money.models import InstallmentStatus, PaymentMethod
from app.money.voucher_pdf import render_voucher, voucher_filename


def _installment_or_404(installment_id: int):
    installment = service.get_installment(installment_id)
    if installment is None:
        abort(404)
    return installment


def _payment_or_404(payment_id: int):
    payment = service.get_payment(payment_id)
    if payment is None:
        abort(404)
    return payment


def _local_next(default: str) -> str:
    """The form's `next` when it is a path on this site, else `default`."""
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    unsafe = "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)
    if target.startswith("/") and not target.startswith("//") and not unsafe and not parts.netloc \
            and not parts.scheme:
        return target
    return default


def _award_page(award) -> str:
    if "money.agreement" in current_app.view_functions:
        return url_for("money.agreement", award_id=award.id)
    return url_for("money.payments_pending", view="due")


# --- the queue ----------------------------------------------------------------------------

@bp.route("/finance/payments")
@login_required
def payments_pending():
    require(current_user, "finance.view", None)
    funders = service.visible_funders(current_user)
    form = QueueFilterForm(request.args, funders=funders)
    view = form.view_value()
    filters = form.filters()
    query = {"requested": service.pending_payments, "due": service.due_installments,
             "paid": service.recent_payments}[view](current_user, **filters)
    page = db.paginate(query, page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    if view == "paid":
        installments = [p.installment for p in page.items]
        users = service.users_by_id([p.approved_by_id for p in page.items]
                                    + [i.requested_by_id for i in installments])
    else:
        installments = list(page.items)
        users = service.users_by_id([i.requested_by_id for i in installments])
    return render_template(
        "money/disbursement/queue.html", form=form, view=view, views=VIEWS, page=page, users=users,
        counts=service.queue_counts(current_user, **filters), totals=service.queue_totals(current_user, **filters),
        installment_totals=service.installment_counts(i.award for i in installments),
        args=dict(form.active_args(), view=view), filter_args=form.active_args(),
        action_form=ActionForm(formdata=None), multi_funder=len(funders) > 1)


# --- the maker's request ------------------------------------------------------------------

@bp.route("/finance/installments/<int:installment_id>/request", methods=["POST"])
@login_required
def installment_request(installment_id: int):
    installment = _installment_or_404(installment_id)
    award = installment.award
    require(current_user, "installment.request", award)
    require_action_form()
    service.request_payment(current_user, installment, utcnow())   # out of order → 409
    db.session.commit()
    flash(_("已申请拨付立项 %(number)s 第 %(n)s 期（%(amount)s），等待财务人员审核付款。",
            number=award.number, n=installment.position, amount=format_fen(installment.amount_fen)), "success")
    return redirect(_local_next(_award_page(award)))


# --- the checker's approval ------------------------------------------------------------------

def _approve_page(installment, form: ApproveForm, reverse_form: ReverseForm | None = None, status: int = 200):
    award = installment.award
    payment = installment.payment
    shares, share_problem = [], None
    if installment.status == InstallmentStatus.REQUESTED:
        try:
            shares = service.payment_shares(installment)
        except Conflict as err:
            share_problem = err.message
    problems = service.approve_problems(current_user, installment) \
        if installment.status == InstallmentStatus.REQUESTED else []
    history = list(installment.payments)
    users = service.users_by_id([installment.requested_by_id] + [p.approved_by_id for p in history])
    context = {
        "installment": installment, "award": award, "count": service.installment_count(award),
        "trigger": service.trigger_label(installment), "agreement": service.agreement_of(award),
        "fundings": service.fundings_of(award), "shares": shares, "share_problem": share_problem,
        "problems": problems, "maker": users.get(installment.requested_by_id), "users": users,
        "same_person": installment.requested_by_id is not None and installment.requested_by_id == current_user.id,
        "payment": payment, "voucher": service.voucher_data(payment) if payment else None,
        "history": [p for p in history if p is not payment],
        "form": form, "reverse_form": reverse_form or ReverseForm(formdata=None),
        "can_reverse": payment is not None and can(current_user, "payment.reverse", payment),
        "today": service.beijing_today(),
    }
    return render_template("money/disbursement/approve.html", **context), status


@bp.route("/finance/installments/<int:installment_id>/approve", methods=["GET", "POST"])
@login_required
@fresh_login_required
def installment_approve(installment_id: int):
    installment = _installment_or_404(installment_id)
    require(current_user, "payment.approve", installment)
    form = ApproveForm()
    status = 200
    if form.validate_on_submit():
        try:
            payment = service.approve_payment(current_user, installment, form.paid_on.data, form.method.data,
                                              form.reference.data, utcnow())
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
            status = 409 if isinstance(err, Conflict) else 403 if isinstance(err, PermissionDenied) else 200
        else:
            db.session.commit()
            flash(_("已付款：立项 %(number)s 第 %(n)s 期 %(amount)s，付款凭证号 %(voucher)s。",
                    number=installment.award.number, n=installment.position, amount=format_fen(payment.amount_fen),
                    voucher=payment.voucher_number), "success")
            return redirect(url_for("money.installment_approve", installment_id=installment.id))
    if not form.is_submitted():
        form.paid_on.data = service.beijing_today()
        form.method.data = PaymentMethod.BANK_TRANSFER.value
    return _approve_page(installment, form, status=status)


# --- voucher and reversal -------------------------------------------------------------------

@bp.route("/finance/payments/<int:payment_id>/voucher.pdf")
@login_required
def payment_voucher(payment_id: int):
    payment = _payment_or_404(payment_id)
    require(current_user, "payment.voucher", payment)
    data = service.voucher_data(payment)
    response = send_file(io.BytesIO(render_voucher(data)), mimetype="application/pdf", as_attachment=True,
                         download_name=voucher_filename(payment), etag=False, conditional=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/finance/payments/<int:payment_id>/reverse", methods=["POST"])
@login_required
@fresh_login_required
def payment_reverse(payment_id: int):
    payment = _payment_or_404(payment_id)
    require(current_user, "payment.reverse", payment)
    installment = payment.installment
    back = url_for("money.installment_approve", installment_id=installment.id) \
        if can(current_user, "payment.approve", installment) else url_for("money.payments_pending", view="paid")
    form = ReverseForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors) or _("请填写冲正原因。"), "danger")
        return redirect(back)
    try:
        service.reverse_payment(current_user, payment, form.reason.data, utcnow())
    except Conflict:
        raise   # out of order (already reversed) → 409 with the reason
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(back)
    db.session.commit()
    flash(_("付款凭证 %(voucher)s 已冲正：已生成反向分录，原付款记录保留。第 %(n)s 期回到“已申请”，可重新审核付款。",
            voucher=payment.voucher_number, n=installment.position), "warning")
    return redirect(back)

"""Donation pages (see app/money/donations.py for the flow).

Public: /funds/ (funds that take donations), /funds/<id> (progress, recent donations, the
form), POST /funds/<id>/donate, and the donor's pages under /funds/donations/<token>/ —
pay (a same-origin hop to the Stripe Checkout page), thanks, receipt.pdf. Stripe calls
POST /stripe/webhook (no CSRF token: the Stripe signature authenticates it). Staff: the
donation list /finance/donations (finance.view).

Why the hop through /pay: the site's CSP says ``form-action 'self'``, and browsers apply
it to the redirects that follow a form submission, so a 303 from the donate POST straight
to checkout.stripe.com would be refused. The POST redirects to /pay (same origin), which
sends the browser on to Stripe by a link (and donate.js, at once).
"""
from __future__ import annotations

import io

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.db import page_arg
from app.core.errors import Conflict, DomainError
from app.core.permissions import require
from app.extensions import csrf, db, limiter
from app.money import bp
from app.money import donations as service
from app.money import stripe_client
from app.money.donation_forms import DonationFilterForm, DonationForm
from app.money.models import DonationStatus
from app.money.receipt_pdf import receipt_filename, render_receipt

# Opening a Checkout Session costs a Stripe call and a row: ten attempts per hour from one
# address are plenty for a person and little for a flood.
DONATIONS_PER_HOUR = 10


def _fund_or_404(fund_id: int):
    fund = service.get_public_fund(fund_id)
    if fund is None:
        abort(404)
    return fund


def _donation_or_404(token: str):
    donation = service.donation_from_token(token)
    if donation is None:
        abort(404)
    return donation


def _paginate(stmt):
    return db.paginate(stmt, page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


# --- public fund pages ----------------------------------------------------------------------

@bp.route("/funds/")
def funds_public():
    page = _paginate(service.public_funds_query())
    return render_template("money/donations/funds.html", page=page, progress=service.progress(page.items),
                           enabled=service.online_giving_enabled())


def _fund_page(fund, *, form: DonationForm | None = None, status: int = 200):
    context = {
        "fund": fund,
        "progress": service.progress([fund])[fund.id],
        "recent": service.recent_donations(fund),
        "form": form or DonationForm(formdata=None),
        "enabled": service.online_giving_enabled(),
        "presets": service.PRESET_YUAN,
        "minimum": current_app.config.get("DONATION_MIN_YUAN", 1) * 100,
        "maximum": current_app.config.get("DONATION_MAX_YUAN", 50000) * 100,
    }
    return render_template("money/donations/fund.html", **context), status


@bp.route("/funds/<int:fund_id>")
def fund_public(fund_id: int):
    return _fund_page(_fund_or_404(fund_id))


@bp.route("/funds/<int:fund_id>/donate", methods=["POST"])
@limiter.limit(f"{DONATIONS_PER_HOUR} per hour", methods=["POST"])
def donate(fund_id: int):
    fund = _fund_or_404(fund_id)
    back = url_for("money.fund_public", fund_id=fund.id)
    if not service.online_giving_enabled():
        flash(_("在线捐赠尚未开通（未配置支付参数），暂时无法在线捐赠，感谢您的心意。"), "warning")
        return redirect(back)
    form = DonationForm()
    if not form.validate_on_submit():
        return _fund_page(fund, form=form)
    try:
        donation = service.start_donation(
            fund, amount=form.amount.data, donor_name=form.donor_name.data, donor_email=form.donor_email.data,
            message=form.message.data, anonymous=bool(form.anonymous.data))
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _fund_page(fund, form=form, status=409 if isinstance(err, Conflict) else 200)
    db.session.commit()   # the PENDING row exists before Stripe hears of it
    token = service.donation_token(donation)
    try:
        service.open_checkout(donation, success_url=url_for("money.donation_thanks", token=token, _external=True),
                              cancel_url=url_for("money.fund_public", fund_id=fund.id, _external=True))
    except Conflict as err:
        db.session.commit()   # the donation is marked EXPIRED
        flash(err.message, "danger")
        return redirect(back)
    db.session.commit()
    return redirect(url_for("money.donation_pay", token=token), 303)


@bp.route("/funds/donations/<token>/pay")
def donation_pay(token: str):
    donation = _donation_or_404(token)
    if donation.status != DonationStatus.PENDING:
        return redirect(url_for("money.donation_thanks", token=token))
    state = service.checkout_state(donation)
    if state.status == "complete":
        return redirect(url_for("money.donation_thanks", token=token))
    return render_template("money/donations/pay.html", donation=donation, fund=donation.fund_source,
                           state=state, token=token)


@bp.route("/funds/donations/<token>/thanks")
def donation_thanks(token: str):
    donation = _donation_or_404(token)
    state = service.checkout_state(donation) if donation.status == DonationStatus.PENDING else None
    return render_template("money/donations/thanks.html", donation=donation, fund=donation.fund_source,
                           state=state, token=token, donor=service.donor_label(donation))


@bp.route("/funds/donations/<token>/receipt.pdf")
def donation_receipt(token: str):
    donation = _donation_or_404(token)
    if donation.status != DonationStatus.PAID:
        abort(404)
    response = send_file(io.BytesIO(render_receipt(donation)), mimetype="application/pdf", as_attachment=True,
                         download_name=receipt_filename(donation), etag=False, conditional=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the webhook ----------------------------------------------------------------------------

@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    payload = request.get_data()
    try:
        event = stripe_client.verify_event(payload, request.headers.get("Stripe-Signature"))
    except (stripe_client.SignatureVerificationError, ValueError) as err:
        current_app.logger.warning("Stripe webhook refused: %s", err)
        return jsonify(error="invalid signature or payload"), 400
    result = service.handle_event(event)
    db.session.commit()
    return jsonify(received=True, result=result), 200


# --- staff ----------------------------------------------------------------------------------

@bp.route("/finance/donations")
@login_required
def donations_staff():
    require(current_user, "finance.view", None)
    funds = service.staff_funds(current_user)
    form = DonationFilterForm(request.args, funds=funds)
    filters = form.filters()
    page = _paginate(service.staff_donations(current_user, **filters))
    totals = service.staff_totals(current_user, **filters)
    tokens = {d.id: service.donation_token(d) for d in page.items if d.status == DonationStatus.PAID}
    return render_template("money/donations/staff.html", form=form, page=page, args=form.active_args(),
                           totals=totals, tokens=tokens, funds=funds, statuses=list(DonationStatus),
                           enabled=service.online_giving_enabled())

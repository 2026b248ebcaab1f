"""Recording a breach of an award's agreement (记录违约, /awards/<id>/breach) and lifting a
bar early (/debarments/<id>/lift): program officers of the funder (app.awards.breaches)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.awards import bp
from app.awards import breaches
from app.core.errors import DomainError
from app.core.permissions import require
from app.extensions import db
from app.orgs import credit as credit_service
from app.orgs.forms import BreachForm, LiftForm


def _award_or_404(award_id: int):
    award = breaches.get_award(award_id)
    if award is None:
        abort(404)
    return award


@bp.route("/awards/<int:award_id>/breach", methods=["GET", "POST"])
@login_required
def record_breach(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "breach.record", award)
    today = credit_service.china_today()
    form = BreachForm()
    if request.method == "GET":
        form.starts_on.data = today.isoformat()
    elif form.validate_on_submit():
        try:
            bar = breaches.record_breach(current_user, award, form.reason.data, form.starts_on.data or None,
                                         form.years.data or breaches.DEFAULT_YEARS, today=today)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("已记录违约：“%(org)s”自 %(start)s 至 %(end)s 不能申报“%(funder)s”的征集。",
                    org=award.organization.name, start=bar.starts_on.isoformat(), end=bar.ends_on.isoformat(),
                    funder=award.call.funder.name), "success")
            return redirect(url_for("orgs.credit", org_id=award.organization_id))
    return render_template("orgs/breach_form.html", form=form, award=award, today=today,
                           bars=breaches.bars_of_award(award.id), rule=credit_service.RULE,
                           assessment=credit_service.assess(award.organization, today))


@bp.route("/debarments/<int:debarment_id>/lift", methods=["POST"])
@login_required
def lift_debarment(debarment_id: int):
    bar = breaches.get_debarment(debarment_id)
    if bar is None:
        abort(404)
    require(current_user, "debarment.lift", bar)
    form = LiftForm()
    if not form.validate_on_submit():
        message = next((e for f in form for e in f.errors), None) or _("请填写解除原因。")
        flash(str(message), "danger")
        return redirect(url_for("orgs.credit", org_id=bar.organization_id, _anchor=f"bar-{bar.id}"))
    try:
        breaches.lift(current_user, bar, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已解除“%(funder)s”的禁止申报，违约记录仍保留在信用记录中。", funder=bar.funder.name), "success")
    return redirect(url_for("orgs.credit", org_id=bar.organization_id, _anchor=f"bar-{bar.id}"))

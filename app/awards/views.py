"""Notice, objection, award and public award-list pages (see the module docs in services).

/notices/ and /awards/ are public; publishing, answering and closing belong to the call's
program officers; an award notice PDF to the organization's members and the funder's staff.
"""
from __future__ import annotations

import io

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.awards import bp
from app.awards import services as service
from app.awards.forms import AnswerForm, AwardFilterForm, NoticeFilterForm, ObjectionForm, PublishForm
from app.awards.pdf import award_filename, render_award_notice
from app.calls.models import CallStatus
from app.calls.services import get_call
from app.core.db import page_arg, utcnow
from app.core.errors import Conflict, DomainError
from app.core.forms import ActionForm, require_action_form
from app.core.permissions import can, require
from app.extensions import db, limiter

# Objections (SPEC §3.3, QUALITY: rate-limited): five accepted per hour from one address,
# and at most thirty attempts of any kind (a flood of invalid posts is cut off too).
OBJECTIONS_PER_HOUR = 5
ATTEMPTS_PER_HOUR = 30


def _call_or_404(call_id: int):
    call = get_call(call_id)
    if call is None or not can(current_user, "public.call.view", call):
        abort(404)
    return call


def _notice_or_404(call_id: int):
    notice = service.get_notice(call_id)
    if notice is None:
        abort(404)
    return notice.call, notice


def _paginate(stmt):
    return db.paginate(stmt, page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


# --- notices --------------------------------------------------------------------------------

@bp.route("/notices/")
def notices():
    form = NoticeFilterForm(request.args)
    page = _paginate(service.notices_query(form.search()))
    counts = service.objection_counts(n.id for n in page.items)
    now = utcnow()
    return render_template("awards/notices.html", form=form, page=page, args=form.active_args(), counts=counts,
                           now=now, running={n.id: service.is_running(n, now) for n in page.items},
                           remaining={n.id: service.remaining_working_days(n, now) for n in page.items})


def _notice_page(call, notice, *, form: ObjectionForm | None = None, status: int = 200):
    now = utcnow()
    rows = service.notice_rows(call)
    manage = can(current_user, "notice.manage", call)
    context = {
        "call": call, "notice": notice, "rows": rows, "now": now,
        "objections": service.objections(notice),
        "experts": service.panel_experts(call, now, notice),
        "running": service.is_running(notice, now),
        "remaining": service.remaining_working_days(notice, now),
        "form": form or ObjectionForm(formdata=None, rows=rows),
        "manage": manage,
        # Objectors' contacts: the funder's staff (and admins), never the public.
        "show_contacts": can(current_user, "results.view", call),
        "close_problems": service.close_problems(call, notice, now) if manage else [],
        "answer_form": AnswerForm(formdata=None) if manage else None,
        "action_form": ActionForm(formdata=None),
        "awarded": service.award_totals(call) if notice.closed_at else None,
    }
    return render_template("awards/notice.html", **context), status


@bp.route("/notices/<int:call_id>")
def notice(call_id: int):
    call, notice_ = _notice_or_404(call_id)
    return _notice_page(call, notice_)


@bp.route("/notices/<int:call_id>/publish", methods=["GET", "POST"])
@login_required
def publish(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "notice.manage", call)
    form = PublishForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.publish_notice(current_user, call, form.intro.data, form.contact.data, utcnow())
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
            status = 409 if isinstance(err, Conflict) else 200
        else:
            db.session.commit()
            flash(_("拟立项名单已公示，公示期至 %(end)s（北京时间）。",
                    end=service.beijing(service.get_notice(call.id).ends_at)), "success")
            return redirect(url_for("awards.notice", call_id=call.id))
    if not form.is_submitted():
        form.intro.data = service.default_intro(call)
        form.contact.data = service.default_contact(call)
    problems = service.publish_problems(call)
    existing = service.get_notice(call.id)
    starts, ends = service.preview_period(call)
    all_outcomes = [] if existing else service.outcomes(call)
    return render_template("awards/publish.html", call=call, form=form, problems=problems, existing=existing,
                           outcome_count=len(all_outcomes), rows=service.notice_rows(call, all_outcomes),
                           starts=starts, ends=ends), status


def _objection_filed(response) -> bool:
    return bool(g.get("objection_filed"))


@bp.route("/notices/<int:call_id>/objections", methods=["POST"], endpoint="object")
@limiter.limit(f"{ATTEMPTS_PER_HOUR} per hour", methods=["POST"])
@limiter.limit(f"{OBJECTIONS_PER_HOUR} per hour", methods=["POST"], deduct_when=_objection_filed)
def file_objection(call_id: int):
    call, notice_ = _notice_or_404(call_id)
    form = ObjectionForm(rows=service.notice_rows(call))
    if form.validate_on_submit():
        try:
            service.file_objection(notice_, form.name.data, form.contact.data, form.content.data,
                                   form.application_id.data, utcnow())
        except Conflict as err:
            db.session.rollback()
            flash(err.message, "danger")
            return redirect(url_for("awards.notice", call_id=call.id))
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            g.objection_filed = True
            flash(_("您的异议已提交，我们会尽快核实并在本页公开答复。感谢您的监督。"), "success")
            return redirect(url_for("awards.notice", call_id=call.id, _anchor="objections"))
    return _notice_page(call, notice_, form=form)


@bp.errorhandler(429)
def _too_many(err):
    message = _("为防止滥用，同一网络每小时最多可提交 %(n)s 条异议。请稍后再试，或通过公示中的联系方式反映。",
                n=OBJECTIONS_PER_HOUR)
    return render_template("errors/429.html", message=message), 429


@bp.route("/notices/objections/<int:objection_id>/answer", methods=["POST"])
@login_required
def answer(objection_id: int):
    objection = service.get_objection(objection_id)
    if objection is None:
        abort(404)
    call = objection.notice.call
    require(current_user, "notice.manage", call)
    back = redirect(url_for("awards.notice", call_id=call.id, _anchor=f"objection-{objection.id}"))
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors)
              or _("请选择异议是否成立并填写答复内容。"), "danger")
        return back
    try:
        service.answer_objection(current_user, objection, form.upheld(), form.answer.data, utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return back
    db.session.commit()
    if objection.application is not None and objection.status.value == "upheld" \
            and objection.application.status.value == "not_recommended":
        flash(_("已答复：异议成立，“%(title)s”的拟立项资格已取消。", title=objection.application.title), "warning")
    else:
        flash(_("已答复该异议（%(status)s），答复已公开。", status=objection.status.label), "success")
    return back


@bp.route("/notices/<int:call_id>/close", methods=["POST"])
@login_required
def close(call_id: int):
    call = _call_or_404(call_id)
    require(current_user, "notice.manage", call)
    require_action_form()
    try:
        awards = service.close_notice(current_user, call, utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("awards.notice", call_id=call.id) if service.get_notice(call.id)
                        else url_for("calls.detail", call_id=call.id))
    db.session.commit()
    flash(_("公示已结束，%(n)s 个项目正式立项。立项名单已公开，立项通知书可以下载。", n=len(awards)), "success")
    return redirect(url_for("awards.call_awards", call_id=call.id))


# --- awards ----------------------------------------------------------------------------------

@bp.route("/awards/")
def index():
    form = AwardFilterForm(request.args, choices=service.award_filter_choices())
    page = _paginate(service.public_awards(**form.filters()))
    return render_template("awards/index.html", form=form, page=page, args=form.active_args())


@bp.route("/awards/calls/<int:call_id>")
def call_awards(call_id: int):
    call = _call_or_404(call_id)
    if call.status not in (CallStatus.NOTICE, CallStatus.AWARDED, CallStatus.CLOSED):
        abort(404)
    notice_ = service.get_notice(call.id)
    context = {"call": call, "notice": notice_, "experts": service.panel_experts(call, notice=notice_)}
    if call.status == CallStatus.NOTICE:
        context["rows"] = service.notice_rows(call)
    else:
        form = AwardFilterForm(request.args, with_call=False)
        filters = dict(form.filters(), call_id=call.id)
        context.update(form=form, page=_paginate(service.public_awards(**filters)), args=form.active_args(),
                       totals=service.award_totals(call))
    return render_template("awards/call_awards.html", **context)


@bp.route("/awards/<int:award_id>/notice.pdf")
@login_required
def award_pdf(award_id: int):
    award = service.get_award(award_id)
    if award is None:
        abort(404)
    require(current_user, "award.view", award)
    response = send_file(io.BytesIO(render_award_notice(award)), mimetype="application/pdf", as_attachment=True,
                         download_name=award_filename(award), etag=False, conditional=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    return response

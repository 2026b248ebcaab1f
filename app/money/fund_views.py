"""Finance pages (资金管理): the finance home, fund sources (appropriation, allocation to
calls), a call's funding, an award's funding split and refunds, corrections by reversing
entries, reconciliation (pages, XLSX, CSV) and the journal. Rules live in
app.money.funds and app.money.reconciliation."""
from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.fresh import fresh_login_required
from app.awards.models import Award
from app.calls.services import get_call
from app.core.db import MAX_ID, page_arg
from app.core.errors import Conflict, DomainError
from app.core.forms import ActionForm
from app.core.money import fen_to_input, format_fen
from app.core.permissions import can, require
from app.core.urls import safe_next
from app.extensions import db
from app.funders.models import Funder
from app.money import bp
from app.money import funds as service
from app.money import ledger
from app.money import reconciliation as recon
from app.money.fund_forms import (VIEW_LABELS, AllocateForm, AppropriateForm, DeallocateForm, FundEditForm, FundForm,
                                  JournalFilterForm, RefundForm, ReconciliationFilterForm, ReverseForm)
from app.money.models import EntryKind, FundSource, JournalEntry


def _paginate(stmt):
    return db.paginate(stmt, page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


def _fund_or_404(fund_id: int) -> FundSource:
    fund = service.get_fund(fund_id) if 0 < fund_id <= MAX_ID else None
    if fund is None:
        abort(404)
    return fund


def _award_or_404(award_id: int) -> Award:
    award = db.session.get(Award, award_id) if 0 < award_id <= MAX_ID else None
    if award is None:
        abort(404)
    return award


def _visible_funders() -> list[Funder]:
    require(current_user, "finance.view", None)
    return service.finance_funders(current_user)


def _status(err: DomainError) -> int:
    return 409 if isinstance(err, Conflict) else 200


# --------------------------------------------------------------------------- finance home

@bp.route("/finance/")
@login_required
def finance_home():
    funders = _visible_funders()
    ids = [f.id for f in funders]
    funds = list(db.session.scalars(service.funds_query(ids))) if ids else []
    rows = recon.fund_rows(funds)
    by_funder = {f.id: [r for r in rows if r.fund.funder_id == f.id] for f in funders}
    totals = {f.id: recon.fund_totals([r.fund for r in by_funder[f.id]]) for f in funders}
    requested = service.requested_installment_counts(ids) if ids else {}
    return render_template("money/funds/home.html", funders=funders, by_funder=by_funder, totals=totals,
                           requested=requested, can_manage=bool(service.managed_funders(current_user)))


# --------------------------------------------------------------------------- fund sources

@bp.route("/finance/funds/new", methods=["GET", "POST"])
@login_required
def fund_new():
    require(current_user, "fund.manage", None)
    funders = service.managed_funders(current_user)
    form = FundForm(funders=funders)
    status = 200
    if not form.is_submitted():
        form.fiscal_year.data = str(service.beijing_today().year)
        wanted = request.args.get("funder", type=int)
        if wanted in {f.id for f in funders}:
            form.funder_id.data = str(wanted)
    elif form.validate():
        funder = next((f for f in funders if str(f.id) == form.funder_id.data), None)
        if funder is None:
            form.funder_id.errors = [_("请选择资助方。")]
        else:
            try:
                fund = service.create_fund(current_user, funder, form.data_dict())
            except DomainError as err:
                db.session.rollback()
                form.add_domain_error(err)
                status = _status(err)
            else:
                db.session.commit()
                flash(_("资金来源“%(name)s”已建立。", name=fund.name), "success")
                return redirect(url_for("money.fund_detail", fund_id=fund.id))
    return render_template("money/funds/new.html", form=form), status


def _fund_page(fund: FundSource, *, edit_form=None, allocate_form=None, appropriate_form=None,
               deallocate_form=None, status: int = 200, open_form: str | None = None):
    manage = can(current_user, "fund.manage", fund.funder)
    figures = recon.fund_rows([fund])[0]
    balances = ledger.balances(by=("call_id",), fund_source_id=fund.id)
    call_ids = [key[0] for key in balances if key[0] is not None]
    from app.calls.models import Call

    calls = {c.id: c for c in db.session.scalars(select(Call).where(Call.id.in_(call_ids)))} if call_ids else {}
    per_call = []
    for (call_id,), b in sorted(balances.items(), key=lambda kv: -(kv[0][0] or 0)):
        if call_id is None:
            continue
        A = recon.A
        per_call.append({"call": calls[call_id], "allocated": b[A.ALLOCATED] + b[A.COMMITTED] + b[A.PAID],
                         "uncommitted": b[A.ALLOCATED], "committed": b[A.COMMITTED], "paid": b[A.PAID],
                         "refunded": -b[A.REFUNDED]})
    entries = service.allocation_entries(fund) if manage else []
    open_calls = service.allocatable_calls(fund.funder_id) if manage else []
    recent = list(db.session.scalars(service.journal_query([fund.id]).limit(10)))
    names = service.names_for_lines(recent)
    reversed_ids = service.reversed_entry_ids([e.id for e in recent])
    if edit_form is None:
        edit_form = FundEditForm(formdata=None, obj=fund)
        edit_form.donation_target.data = fen_to_input(fund.donation_target_fen) if fund.accepts_donations else ""
    return render_template(
        "money/funds/detail.html", fund=fund, figures=figures, per_call=per_call, manage=manage,
        entries=[(e, calls.get(call_id) or db.session.get(Call, call_id), amount) for e, call_id, amount in entries],
        recent=recent, names=names, reversed_ids=reversed_ids,
        can_reverse=service.may_reverse(current_user, fund.funder),
        edit_form=edit_form,
        allocate_form=allocate_form or AllocateForm(formdata=None, calls=open_calls),
        appropriate_form=appropriate_form or AppropriateForm(formdata=None),
        deallocate_form=deallocate_form or DeallocateForm(formdata=None),
        reverse_form=ReverseForm(formdata=None), open_form=open_form), status


@bp.route("/finance/funds/<int:fund_id>")
@login_required
def fund_detail(fund_id: int):
    fund = _fund_or_404(fund_id)
    require(current_user, "fund.view", fund)
    return _fund_page(fund)


@bp.route("/finance/funds/<int:fund_id>/edit", methods=["POST"])
@login_required
def fund_edit(fund_id: int):
    fund = _fund_or_404(fund_id)
    require(current_user, "fund.manage", fund.funder)
    form = FundEditForm()
    if form.validate_on_submit():
        try:
            service.update_fund(current_user, fund, form.data_dict())
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
            return _fund_page(fund, edit_form=form, status=_status(err), open_form="edit")
        db.session.commit()
        flash(_("资金来源信息已保存。"), "success")
        return redirect(url_for("money.fund_detail", fund_id=fund.id))
    return _fund_page(fund, edit_form=form, open_form="edit")


@bp.route("/finance/funds/<int:fund_id>/allocate", methods=["POST"])
@login_required
def fund_allocate(fund_id: int):
    fund = _fund_or_404(fund_id)
    require(current_user, "fund.manage", fund.funder)
    form = AllocateForm(calls=service.allocatable_calls(fund.funder_id))
    if form.validate_on_submit():
        call = get_call(int(form.call_id.data)) if form.call_id.data.isdigit() and \
            0 < int(form.call_id.data) <= MAX_ID else None
        if call is None:
            form.call_id.errors = [_("请选择征集。")]
        else:
            try:
                entry = service.allocate(current_user, fund, call, form.amount.data, form.memo.data)
            except DomainError as err:
                db.session.rollback()
                form.add_domain_error(err)
                return _fund_page(fund, allocate_form=form, status=_status(err), open_form="allocate")
            amount = sum(ln.amount_fen for ln in entry.lines if ln.amount_fen > 0)
            db.session.commit()
            flash(_("已从“%(fund)s”分配 %(amount)s 至“%(call)s”。", fund=fund.name,
                    amount=format_fen(amount), call=call.title), "success")
            return redirect(url_for("money.fund_detail", fund_id=fund.id))
    return _fund_page(fund, allocate_form=form, open_form="allocate")


@bp.route("/finance/funds/<int:fund_id>/deallocate", methods=["POST"])
@login_required
def fund_deallocate(fund_id: int):
    fund = _fund_or_404(fund_id)
    require(current_user, "fund.manage", fund.funder)
    form = DeallocateForm()
    if form.validate_on_submit():
        call = get_call(int(form.call_id.data)) if form.call_id.data.isdigit() and \
            0 < int(form.call_id.data) <= MAX_ID else None
        if call is not None:
            try:
                service.deallocate(current_user, fund, call, form.amount.data, form.memo.data)
            except DomainError as err:
                db.session.rollback()
                flash(err.message, "danger")
                return redirect(url_for("money.fund_detail", fund_id=fund.id))
            db.session.commit()
            flash(_("已撤回对“%(call)s”的分配，资金回到可用余额。", call=call.title), "success")
            return redirect(url_for("money.fund_detail", fund_id=fund.id))
    message = next((e for errs in form.errors.values() for e in errs), _("请选择要撤回的分配。"))
    flash(str(message), "danger")
    return redirect(url_for("money.fund_detail", fund_id=fund.id))


@bp.route("/finance/funds/<int:fund_id>/appropriate", methods=["POST"])
@login_required
def fund_appropriate(fund_id: int):
    fund = _fund_or_404(fund_id)
    require(current_user, "fund.manage", fund.funder)
    form = AppropriateForm()
    if form.validate_on_submit():
        try:
            entry = service.add_appropriation(current_user, fund, form.amount.data, form.memo.data)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
            return _fund_page(fund, appropriate_form=form, status=_status(err), open_form="appropriate")
        amount = sum(ln.amount_fen for ln in entry.lines if ln.amount_fen > 0)
        db.session.commit()
        flash(_("已追加拨入 %(amount)s。", amount=format_fen(amount)), "success")
        return redirect(url_for("money.fund_detail", fund_id=fund.id))
    return _fund_page(fund, appropriate_form=form, open_form="appropriate")


# --------------------------------------------------------------------------- a call's funding

@bp.route("/finance/calls/<int:call_id>")
@login_required
def call_funds(call_id: int):
    call = get_call(call_id) if 0 < call_id <= MAX_ID else None
    if call is None:
        abort(404)
    require(current_user, "finance.view", call.funder)
    rows = service.call_allocations(call)
    awards = list(db.session.scalars(select(Award).where(Award.call_id == call.id).order_by(Award.rank, Award.id)))
    funds = list(db.session.scalars(service.funds_query([call.funder_id])))
    award_rows = recon.award_rows(awards, funds)
    allocated = sum(r["allocated"] for r in rows)
    return render_template("money/funds/call.html", call=call, rows=rows, award_rows=award_rows,
                           allocated=allocated, manage=can(current_user, "fund.manage", call.funder),
                           funds=funds)


# --------------------------------------------------------------------------- award funding and refunds

def _award_page(award: Award, *, errors: list[str] | None = None, values: dict | None = None,
                refund_form: RefundForm | None = None, status: int = 200):
    fundings = service.funding_of(award)
    can_fund = can(current_user, "award.fund", award)
    capacity = [] if fundings else service.split_capacity(award)
    default = {fund.id: fen for fund, fen in service.default_split(award)} if capacity else {}
    if values is None:
        values = {fund.id: fen_to_input(default.get(fund.id, 0)) for fund, _held in capacity}
    funds = [f.fund_source for f in fundings]
    row = recon.award_rows([award], funds)[0] if funds else None
    per_fund = {}
    if fundings:
        balances = ledger.balances(by=("fund_source_id",), award_id=award.id)
        A = recon.A
        for f in fundings:
            b = balances.get((f.fund_source_id,), {k: 0 for k in recon.A})
            per_fund[f.fund_source_id] = {"paid": b[A.PAID], "remaining": b[A.COMMITTED],
                                          "refunded": -b[A.REFUNDED]}
    refunds = service.refunds_of(award)
    reversed_ids = service.reversed_entry_ids([r.entry_id for r in refunds])
    can_refund = can(current_user, "refund.record", award)
    if refund_form is None and can_refund and fundings:
        refund_form = RefundForm(formdata=None, fundings=fundings)
    return render_template(
        "money/funds/award.html", award=award, fundings=fundings, can_fund=can_fund, capacity=capacity,
        values=values, errors=errors or [], row=row, per_fund=per_fund, refunds=refunds,
        reversed_ids=reversed_ids, can_refund=can_refund, refund_form=refund_form,
        total_capacity=sum(h for _f, h in capacity), action_form=ActionForm(formdata=None),
        reverse_form=ReverseForm(formdata=None),
        can_reverse=service.may_reverse(current_user, award.call.funder)), status


@bp.route("/awards/<int:award_id>/funding", methods=["GET", "POST"])
@login_required
def award_funding(award_id: int):
    award = _award_or_404(award_id)
    if request.method == "GET":
        if not (can(current_user, "award.fund", award) or can(current_user, "finance.view", award.call.funder)):
            abort(403)
        return _award_page(award)
    require(current_user, "award.fund", award)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    values, splits = {}, []
    for key, text in request.form.items():
        if key.startswith("fund-") and key[5:].isdigit() and len(key) < 16:
            fund_id = int(key[5:])
            values[fund_id] = text
            splits.append((fund_id, text.strip()))
    try:
        service.fund_award(current_user, award, splits)
    except DomainError as err:
        db.session.rollback()
        return _award_page(award, errors=[err.message], values=values or None, status=_status(err))
    db.session.commit()
    flash(_("立项 %(number)s 的资金来源已确定，承诺分录已记账。", number=award.number), "success")
    return redirect(url_for("money.award_funding", award_id=award.id))


@bp.route("/awards/<int:award_id>/refunds", methods=["POST"])
@login_required
def award_refund(award_id: int):
    award = _award_or_404(award_id)
    require(current_user, "refund.record", award)
    form = RefundForm(fundings=service.funding_of(award))
    if form.validate_on_submit():
        fund_id = int(form.fund_id.data) if form.fund_id.data.isdigit() and len(form.fund_id.data) < 11 else None
        try:
            refund = service.record_refund(current_user, award, fund_id, form.amount.data, form.received_on.data,
                                           form.reference.data, form.reason.data)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
            return _award_page(award, refund_form=form, status=_status(err))
        db.session.commit()
        flash(_("已登记资金退回 %(amount)s。", amount=format_fen(refund.amount_fen)), "success")
        return redirect(url_for("money.award_funding", award_id=award.id))
    if not service.funding_of(award):
        flash(_("该立项尚未安排资金来源，没有可退回的资金。"), "danger")
        return redirect(url_for("money.award_funding", award_id=award.id))
    return _award_page(award, refund_form=form)


# --------------------------------------------------------------------------- corrections

@bp.route("/finance/entries/<int:entry_id>/reverse", methods=["POST"])
@login_required
@fresh_login_required
def entry_reverse(entry_id: int):
    entry = db.session.get(JournalEntry, entry_id) if 0 < entry_id <= MAX_ID else None
    if entry is None:
        abort(404)
    funder_id = service.entry_funder_id(entry)
    funder = db.session.get(Funder, funder_id) if funder_id else None
    if not service.may_reverse(current_user, funder):
        abort(403)
    form = ReverseForm()
    back = safe_next(form.next.data, url_for("money.journal"))
    if not form.validate_on_submit():
        message = next((e for errs in form.errors.values() for e in errs), _("请填写冲正原因。"))
        flash(str(message), "danger")
        return redirect(back)
    try:
        reversal = service.reverse_entry(current_user, entry, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(back)
    db.session.commit()
    flash(_("分录 #%(id)s 已冲正（冲正分录 #%(rid)s）。", id=entry.id, rid=reversal.id), "success")
    return redirect(back)


# --------------------------------------------------------------------------- reconciliation

def _recon_filter():
    funders = _visible_funders()
    ids = [f.id for f in funders]
    form = ReconciliationFilterForm(request.args, funders=funders, years=service.fiscal_years(ids) if ids else [])
    scope = recon.Scope(form.funder_ids(), form.year_value(), form.search())
    return form, scope


@bp.route("/finance/reconciliation")
@login_required
def reconciliation():
    form, scope = _recon_filter()
    view = form.view_value()
    funds = scope.funds() if scope.funder_ids else []
    fund_ids = [f.id for f in funds]
    if not scope.funder_ids:
        page, rows, totals = None, [], None
    else:
        stmt = {"funds": lambda: recon.funds_stmt(scope), "calls": lambda: recon.calls_stmt(scope, fund_ids),
                "awards": lambda: recon.awards_stmt(scope, fund_ids)}[view]()
        page = _paginate(stmt)
        if view == "funds":
            rows = recon.fund_rows(page.items)
            totals = recon.fund_totals(list(db.session.scalars(recon.funds_stmt(scope)))) if page.total else None
        elif view == "calls":
            rows, totals = recon.call_rows(page.items, funds), None
        else:
            rows, totals = recon.award_rows(page.items, funds), None
    return render_template("money/reconciliation/index.html", form=form, view=view, page=page, rows=rows,
                           totals=totals, views=VIEW_LABELS, args=form.active_args(),
                           base_args=form.active_args(with_view=False))


def _export(kind: str):
    form, scope = _recon_filter()
    view = form.view_value()
    rows = recon.rows_for(view, scope)[0] if scope.funder_ids else []
    filename = f"reconciliation-{view}.{kind}"
    if kind == "xlsx":
        data, mimetype = recon.to_xlsx(view, rows), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data, mimetype = recon.to_csv(view, rows), "text/csv; charset=utf-8"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)


@bp.route("/finance/reconciliation.xlsx")
@login_required
def reconciliation_xlsx():
    return _export("xlsx")


@bp.route("/finance/reconciliation.csv")
@login_required
def reconciliation_csv():
    return _export("csv")


# --------------------------------------------------------------------------- journal

@bp.route("/finance/journal")
@login_required
def journal():
    funders = _visible_funders()
    ids = [f.id for f in funders]
    funds = list(db.session.scalars(service.funds_query(ids))) if ids else []
    form = JournalFilterForm(request.args, funds=funds)
    page = _paginate(service.journal_query(
        [f.id for f in funds], kind=form.kind_value(), fund_id=form.fund_value(),
        date_from=form.date_from_value(), date_to=form.date_to_value())) if funds else None
    entries = page.items if page else []
    names = service.names_for_lines(entries)
    reversed_ids = service.reversed_entry_ids([e.id for e in entries])
    reversible = {f.id for f in funders if service.may_reverse(current_user, f)}
    return render_template("money/reconciliation/journal.html", form=form, page=page, entries=entries,
                           names=names, reversed_ids=reversed_ids, reversible_funders=reversible,
                           reversible_kinds=service.REVERSIBLE, args=form.active_args(),
                           reverse_form=ReverseForm(formdata=None), kinds=EntryKind)

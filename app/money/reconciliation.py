"""Reconciliation (对账): per fund source, per call and per award, every figure a sum of
journal lines (ledger.balances — one query per table, whatever the number of rows).

Terms, shown the same way on the pages and in the exports:

- fund: 拨入 appropriated, 捐赠 donations, 分配至征集 allocated (net of withdrawals:
  what the calls hold, have committed and have paid), 承诺待付 committed and unpaid,
  已支付 paid, 退回 refunded, 可用 available. Always
  available = appropriated + donations + refunded − allocated.
- call: 预算 budget, 已分配 allocated (per fund), 未立项 not yet committed, 承诺待付,
  已支付, 退回, 预算缺口 unallocated budget = budget − allocated.
- award: 资助金额 amount, 已承诺 committed (paid included), 已支付, 退回, 待支付
  remaining to pay, 未落实 amount not yet committed.

Exports: XLSX (openpyxl) and CSV (UTF-8 with a BOM so Excel reads the Chinese), amounts
as numbers in yuan; text cells that a spreadsheet would run as a formula are neutralised.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, exists, select

from app.awards.models import Award
from app.calls.models import Call, CallStatus
from app.core.forms import clean_search
from app.extensions import db
from app.money import ledger
from app.money.funds import award_search, funds_query
from app.money.models import AccountKind, FundSource, JournalLine

A = AccountKind
VIEWS = ("funds", "calls", "awards")


# --------------------------------------------------------------------------- rows

@dataclass
class FundRow:
    fund: FundSource
    appropriated: int = 0
    donations: int = 0
    allocated: int = 0
    committed: int = 0
    paid: int = 0
    refunded: int = 0
    available: int = 0


@dataclass
class FundPart:
    fund: FundSource
    allocated: int = 0
    uncommitted: int = 0
    committed: int = 0
    paid: int = 0
    refunded: int = 0


@dataclass
class CallRow:
    call: Call
    budget: int = 0
    allocated: int = 0
    uncommitted: int = 0
    committed: int = 0
    paid: int = 0
    refunded: int = 0
    parts: list[FundPart] = field(default_factory=list)

    @property
    def unallocated(self) -> int:
        return self.budget - self.allocated


@dataclass
class AwardRow:
    award: Award
    amount: int = 0
    committed: int = 0
    paid: int = 0
    refunded: int = 0
    remaining: int = 0

    @property
    def unfunded(self) -> int:
        return self.amount - self.committed


def _fund_figures(row: FundRow, b: dict) -> FundRow:
    row.appropriated = -b[A.APPROPRIATION]
    row.donations = -b[A.DONATIONS]
    row.allocated = b[A.ALLOCATED] + b[A.COMMITTED] + b[A.PAID]
    row.committed = b[A.COMMITTED]
    row.paid = b[A.PAID]
    row.refunded = -b[A.REFUNDED]
    row.available = b[A.AVAILABLE]
    return row


def fund_rows(funds: Sequence[FundSource]) -> list[FundRow]:
    """Figures of these funds — one query."""
    if not funds:
        return []
    balances = ledger.balances(by=("fund_source_id",), fund_source_id=[f.id for f in funds])
    empty = {k: 0 for k in AccountKind}
    return [_fund_figures(FundRow(fund), balances.get((fund.id,), empty)) for fund in funds]


def fund_totals(funds: Sequence[FundSource]) -> FundRow | None:
    """The same figures summed over the funds (one query), for a totals line."""
    if not funds:
        return None
    balances = ledger.balances(by=(), fund_source_id=[f.id for f in funds])
    return _fund_figures(FundRow(None), balances.get((), {k: 0 for k in AccountKind}))  # type: ignore[arg-type]


def call_rows(calls: Sequence[Call], funds: Sequence[FundSource]) -> list[CallRow]:
    """Figures of these calls from these funds, with a part per fund — one query."""
    if not calls or not funds:
        return [CallRow(call, budget=call.budget_fen) for call in calls]
    by_id = {f.id: f for f in funds}
    balances = ledger.balances(by=("call_id", "fund_source_id"), call_id=[c.id for c in calls],
                               fund_source_id=list(by_id))
    rows = []
    for call in calls:
        row = CallRow(call, budget=call.budget_fen)
        for (call_id, fund_id), b in sorted(balances.items()):
            if call_id != call.id:
                continue
            part = FundPart(by_id[fund_id], allocated=b[A.ALLOCATED] + b[A.COMMITTED] + b[A.PAID],
                            uncommitted=b[A.ALLOCATED], committed=b[A.COMMITTED], paid=b[A.PAID],
                            refunded=-b[A.REFUNDED])
            row.parts.append(part)
            row.allocated += part.allocated
            row.uncommitted += part.uncommitted
            row.committed += part.committed
            row.paid += part.paid
            row.refunded += part.refunded
        rows.append(row)
    return rows


def award_rows(awards: Sequence[Award], funds: Sequence[FundSource]) -> list[AwardRow]:
    """Figures of these awards from these funds — one query."""
    if not awards:
        return []
    balances = ledger.balances(by=("award_id",), award_id=[a.id for a in awards],
                               fund_source_id=[f.id for f in funds]) if funds else {}
    empty = {k: 0 for k in AccountKind}
    rows = []
    for award in awards:
        b = balances.get((award.id,), empty)
        rows.append(AwardRow(award, amount=award.amount_fen, committed=b[A.COMMITTED] + b[A.PAID],
                             paid=b[A.PAID], refunded=-b[A.REFUNDED], remaining=b[A.COMMITTED]))
    return rows


# --------------------------------------------------------------------------- scope and queries

@dataclass
class Scope:
    """What a reconciliation request covers: funders, optional fiscal year and search."""
    funder_ids: list[int]
    year: int | None = None
    q: str | None = None

    def funds(self) -> list[FundSource]:
        """Every fund in scope (the search narrows only the funds view)."""
        return list(db.session.scalars(funds_query(self.funder_ids, year=self.year)))


def funds_stmt(scope: Scope) -> Select:
    return funds_query(scope.funder_ids, q=scope.q, year=scope.year)


def calls_stmt(scope: Scope, fund_ids: Sequence[int]) -> Select:
    """The funders' published calls (not cancelled); with a fiscal year, those holding
    money of that year's funds."""
    stmt = select(Call).where(Call.funder_id.in_(scope.funder_ids),
                              Call.status.not_in((CallStatus.DRAFT, CallStatus.CANCELLED)))
    if scope.year:
        stmt = stmt.where(exists().where(JournalLine.call_id == Call.id, JournalLine.fund_source_id.in_(list(fund_ids))))
    q = clean_search(scope.q)
    if q:
        stmt = stmt.where(Call.title.contains(q, autoescape=True))
    return stmt.order_by(Call.id.desc())


def awards_stmt(scope: Scope, fund_ids: Sequence[int]) -> Select:
    stmt = select(Award).join(Call, Call.id == Award.call_id).where(Call.funder_id.in_(scope.funder_ids))
    if scope.year:
        stmt = stmt.where(exists().where(JournalLine.award_id == Award.id, JournalLine.fund_source_id.in_(list(fund_ids))))
    return award_search(stmt, scope.q).order_by(Award.id.desc())


def rows_for(view: str, scope: Scope, items: Sequence[Any] | None = None) -> tuple[list, list[FundSource]]:
    """The rows of one view (of ``items`` when given — a page — else of everything in scope)."""
    funds = scope.funds()
    fund_ids = [f.id for f in funds]
    if view == "funds":
        items = items if items is not None else list(db.session.scalars(funds_stmt(scope)))
        return fund_rows(items), funds
    if view == "calls":
        items = items if items is not None else list(db.session.scalars(calls_stmt(scope, fund_ids)))
        return call_rows(items, funds), funds
    items = items if items is not None else list(db.session.scalars(awards_stmt(scope, fund_ids)))
    return award_rows(items, funds), funds


# --------------------------------------------------------------------------- exports

def _yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def safe_text(value: Any) -> str:
    """A text cell a spreadsheet will not run as a formula (= + - @, tab, CR)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def table(view: str, rows: Sequence[Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows (text cells neutralised, amounts as Decimal yuan) of one view."""
    if view == "funds":
        header = [_("资助方"), _("资金来源"), _("类型"), _("年度"), _("拨入"), _("捐赠"), _("分配至征集"),
                  _("承诺待付"), _("已支付"), _("退回"), _("可用余额")]
        body = [[safe_text(r.fund.funder.name), safe_text(r.fund.name), r.fund.kind.label, r.fund.fiscal_year,
                 *map(_yuan, (r.appropriated, r.donations, r.allocated, r.committed, r.paid, r.refunded,
                              r.available))] for r in rows]
        return header, body
    if view == "calls":
        header = [_("征集"), _("资金来源"), _("预算"), _("已分配"), _("未立项"), _("承诺待付"), _("已支付"),
                  _("退回"), _("预算缺口")]
        body = []
        for r in rows:
            body.append([safe_text(r.call.title), _("合计"), _yuan(r.budget), _yuan(r.allocated),
                         _yuan(r.uncommitted), _yuan(r.committed), _yuan(r.paid), _yuan(r.refunded),
                         _yuan(r.unallocated)])
            for p in r.parts:
                body.append([safe_text(r.call.title), safe_text(p.fund.name), None, _yuan(p.allocated),
                             _yuan(p.uncommitted), _yuan(p.committed), _yuan(p.paid), _yuan(p.refunded), None])
        return header, body
    header = [_("立项编号"), _("项目"), _("组织"), _("征集"), _("资助金额"), _("已承诺"), _("已支付"), _("退回"),
              _("待支付"), _("未落实")]
    body = [[safe_text(r.award.number), safe_text(r.award.application.title), safe_text(r.award.organization.name),
             safe_text(r.award.call.title), *map(_yuan, (r.amount, r.committed, r.paid, r.refunded, r.remaining,
                                                          r.unfunded))] for r in rows]
    return header, body


SHEET_TITLES = {"funds": "按资金来源", "calls": "按征集", "awards": "按立项项目"}


def to_xlsx(view: str, rows: Sequence[Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, body = table(view, rows)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES[view]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for line in body:
        ws.append(line)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, (int, float, Decimal)) and not isinstance(cell.value, bool) and \
                    header[cell.column - 1] not in (_("年度"),):
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, str):
                cell.data_type = "s"   # never a formula, whatever the text
    for i, title in enumerate(header, 1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(12, len(title) * 2 + 4)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(view: str, rows: Sequence[Any]) -> bytes:
    header, body = table(view, rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for line in body:
        writer.writerow(["" if v is None else (f"{v:.2f}" if isinstance(v, Decimal) else v) for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")

"""Fund-use disclosure (资金使用情况公告, SPEC §6): per fund source and its fiscal year, the
money (from the ledger, the same figures as app.money.reconciliation) and every project it
funds with the fields lottery-fund disclosure requires — name, content, period, amount and
execution, responsible person and contact, completion, effect and indicator attainment —
as a page, a PDF (landscape) and an XLSX that agree cell for cell.

The contact disclosed is the organization's contact phone, and only on the disclosure of
a welfare-lottery fund (the rules that require it are the lottery fund's); the
responsible person is the application's project leader. Effects and indicators come from
ACCEPTED reports only. The audit chain's head hash is printed so anyone can check later
that the log the figures come from has not been rewritten (``flask audit verify``).
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.awards.models import Award
from app.core import audit
from app.core.db import MAX_ID, utcnow
from app.extensions import db
from app.money import ledger
from app.money.models import (
    AccountKind, Agreement, AgreementStatus, AwardFunding, FundSource, FundSourceKind, JournalLine,
)
from app.money.reconciliation import FundRow, fund_rows, safe_text
from app.reports.models import ReportRating
from app.reports.services import percent
from app.transparency.projects import (IndicatorResult, Outcome, accepted_reports, award_options, excerpt,
                                       outcome_of)

VERIFY_COMMAND = "flask audit verify"


# --------------------------------------------------------------------------- the index

@dataclass
class IndexRow:
    fund: FundSource
    figures: FundRow


def money_moving():
    """The condition "the fund source has money moving (any journal line)": the fund sources
    the public disclosure, the statistics and the API show."""
    return select(JournalLine.id).where(JournalLine.fund_source_id == FundSource.id).exists()


def disclosed_funds_query():
    """Fund sources the public disclosure lists, newest fiscal year first."""
    return (select(FundSource).where(money_moving())
            .order_by(FundSource.fiscal_year.desc(), FundSource.funder_id, FundSource.id))


def disclosure_index() -> list[IndexRow]:
    """Fund sources with money moving (any journal line), newest fiscal year first, with
    their figures — two queries."""
    funds = list(db.session.scalars(disclosed_funds_query()))
    return [IndexRow(row.fund, row) for row in fund_rows(funds)]


def years_of(rows: Sequence[IndexRow]) -> list[tuple[int, list[IndexRow]]]:
    """The index rows grouped by fiscal year, in their order."""
    out: list[tuple[int, list[IndexRow]]] = []
    for row in rows:
        if not out or out[-1][0] != row.fund.fiscal_year:
            out.append((row.fund.fiscal_year, []))
        out[-1][1].append(row)
    return out


# --------------------------------------------------------------------------- one disclosure

@dataclass
class DisclosedProject:
    award: Award
    title: str
    organization: str
    organization_id: int
    content: str
    starts_on: date | None
    ends_on: date | None
    amount_fen: int          # this fund's share of the award
    award_fen: int           # the whole award
    paid_fen: int            # paid from this fund so far
    leader: str
    contact: str | None      # disclosed for welfare-lottery funds only
    outcome: Outcome

    @property
    def paid_percent(self) -> Decimal | None:
        return percent(self.paid_fen, self.amount_fen)

    @property
    def spending_rate(self) -> Decimal | None:
        return self.outcome.spending_rate

    @property
    def completed(self) -> bool:
        return self.outcome.final_accepted

    @property
    def rating(self) -> ReportRating | None:
        return self.outcome.final_rating

    @property
    def effect(self) -> str:
        return self.outcome.summaries[-1].excerpt if self.outcome.summaries else ""

    @property
    def indicators(self) -> list[IndicatorResult]:
        return self.outcome.indicators if self.outcome.indicators_from else []


@dataclass
class Disclosure:
    fund: FundSource
    year: int
    figures: FundRow
    projects: list[DisclosedProject]
    head_hash: str
    generated_at: datetime
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def welfare_lottery(self) -> bool:
        return self.fund.kind == FundSourceKind.WELFARE_LOTTERY


def get_fund(fund_id: int, year: int) -> FundSource | None:
    """The fund of a disclosure URL: None unless the id exists and ``year`` is its fiscal year."""
    if not 0 < fund_id <= MAX_ID:
        return None
    fund = db.session.get(FundSource, fund_id)
    if fund is None or fund.fiscal_year != year:
        return None
    return fund


def build(fund: FundSource, now: datetime | None = None) -> Disclosure:
    """The disclosure of one fund (a fixed number of queries whatever the number of projects)."""
    figures = fund_rows([fund])[0]
    fundings = list(db.session.scalars(
        select(AwardFunding).where(AwardFunding.fund_source_id == fund.id).order_by(AwardFunding.award_id)))
    award_ids = [f.award_id for f in fundings]
    awards: dict[int, Award] = {}
    if award_ids:
        awards = {a.id: a for a in db.session.scalars(
            select(Award).where(Award.id.in_(award_ids))
            .options(*award_options()))
            .unique()}
    agreements = {a.award_id: a for a in db.session.scalars(
        select(Agreement).where(Agreement.award_id.in_(award_ids), Agreement.status == AgreementStatus.SIGNED)
        .options(lazyload(Agreement.award)))} \
        if award_ids else {}
    paid = ledger.balances(by=("award_id",), fund_source_id=fund.id, award_id=award_ids) if award_ids else {}
    reports = accepted_reports(award_ids)
    welfare = fund.kind == FundSourceKind.WELFARE_LOTTERY
    projects = []
    for funding in fundings:
        award = awards[funding.award_id]
        application = award.application
        agreement = agreements.get(award.id)
        starts, ends = ((agreement.starts_on, agreement.ends_on) if agreement is not None
                        else (application.starts_on, application.ends_on))
        projects.append(DisclosedProject(
            award=award, title=application.title, organization=award.organization.name,
            organization_id=award.organization_id, content=excerpt(application.summary, 300),
            starts_on=starts, ends_on=ends, amount_fen=funding.amount_fen, award_fen=award.amount_fen,
            paid_fen=paid.get((award.id,), {}).get(AccountKind.PAID, 0),
            leader=application.leader_name or "",
            contact=(award.organization.contact_phone or "") if welfare else None,
            outcome=outcome_of(application, reports.get(award.id, []))))
    totals = {"amount": sum(p.amount_fen for p in projects), "paid": sum(p.paid_fen for p in projects),
              "count": len(projects), "completed": sum(1 for p in projects if p.completed)}
    return Disclosure(fund=fund, year=fund.fiscal_year, figures=figures, projects=projects,
                      head_hash=audit.head_hash(), generated_at=now or utcnow(), totals=totals)


# --------------------------------------------------------------------------- shared text

def _yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def period_text(p: DisclosedProject) -> str:
    if p.starts_on is None or p.ends_on is None:
        return "—"
    return f"{p.starts_on.isoformat()} — {p.ends_on.isoformat()}"


def completion_text(p: DisclosedProject) -> str:
    if p.completed:
        return _("已结项，评级：%(rating)s", rating=p.rating.label) if p.rating else _("已结项")
    return _("实施中")


def indicator_text(row: IndicatorResult) -> str:
    return _("%(name)s：%(actual)s / %(target)s %(unit)s（%(pct)s）", name=row.name, actual=row.actual_text,
             target=row.target_text, unit=row.unit, pct=_pct(row.achieved))


def indicators_text(p: DisclosedProject) -> str:
    return "；".join(indicator_text(r) for r in p.indicators) or _("暂无已通过审核的报告")


def execution_text(p: DisclosedProject) -> str:
    text = _("拨付进度 %(pct)s", pct=_pct(p.paid_percent))
    if p.spending_rate is not None:
        text += _("；预算执行率 %(pct)s", pct=_pct(p.spending_rate))
    return text


def figure_rows(d: Disclosure) -> list[tuple[str, int]]:
    """(label, fen) of the fund's figures, in the order every format shows them."""
    f = d.figures
    return [(_("拨入"), f.appropriated), (_("捐赠收入"), f.donations), (_("分配至征集"), f.allocated),
            (_("承诺待付"), f.committed), (_("已支付"), f.paid), (_("退回"), f.refunded), (_("可用余额"), f.available)]


def title_of(d: Disclosure) -> str:
    return _("%(fund)s %(year)s 年度资金使用情况公告", fund=d.fund.name, year=d.year)


def verify_sentence(d: Disclosure) -> str:
    return _("本公告生成时审计日志链的末条哈希值为 %(hash)s。平台的每一次状态变更和资金变动都记入审计日志，"
             "每条记录包含上一条的哈希值；任何人可请平台管理方运行“%(command)s”核验整条哈希链，"
             "并比对末条哈希值与本公告是否一致，以确认生成本公告所依据的记录此后未被篡改。",
             hash=d.head_hash, command=VERIFY_COMMAND)


PROJECT_HEADER = ("立项编号", "项目名称", "承接组织", "项目内容", "实施周期", "资助金额（元）", "已拨付（元）",
                  "执行情况", "项目负责人", "联系电话", "完成情况", "项目成效", "指标完成情况")


def project_header(d: Disclosure) -> list[str]:
    names = [_(h) for h in PROJECT_HEADER]
    if not d.welfare_lottery:
        names.remove(_("联系电话"))
    return names


def project_table(d: Disclosure) -> list[list[Any]]:
    """One row per project: text and Decimal yuan, as the XLSX and PDF print them."""
    rows = []
    for p in d.projects:
        row = [p.award.number, p.title, p.organization, p.content, period_text(p), _yuan(p.amount_fen),
               _yuan(p.paid_fen), execution_text(p), p.leader or "—"]
        if d.welfare_lottery:
            row.append(p.contact or "—")
        row += [completion_text(p), p.effect or "—", indicators_text(p)]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- XLSX

def filename(d: Disclosure, ext: str) -> str:
    return f"{_('资金使用情况公告')}-{d.fund.id}-{d.year}.{ext}"


def to_xlsx(d: Disclosure) -> bytes:
    """Two sheets: 资金概况 (figures, the head hash) and 资助项目 (the projects); amounts in
    yuan as numbers; text never read as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("资金概况")
    ws.append([_("项目"), _("内容")])
    ws.append([_("资金来源"), safe_text(d.fund.name)])
    ws.append([_("资助方"), safe_text(d.fund.funder.name)])
    ws.append([_("资金类型"), d.fund.kind.label])
    ws.append([_("年度"), d.year])
    for label, fen in figure_rows(d):
        ws.append([label + _("（元）"), _yuan(fen)])
    ws.append([_("资助项目数"), d.totals["count"]])
    ws.append([_("审计日志末条哈希"), d.head_hash])
    ws.append([_("核验方法"), safe_text(verify_sentence(d))])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 80
    projects = wb.create_sheet(_("资助项目"))
    header = project_header(d)
    projects.append(header)
    for line in project_table(d):
        projects.append([safe_text(v) if isinstance(v, str) else v for v in line])
    for sheet in (ws, projects):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
                elif isinstance(cell.value, str):
                    cell.data_type = "s"   # never a formula, whatever the text
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
    for i, title in enumerate(header, 1):
        projects.column_dimensions[projects.cell(row=1, column=i).column_letter].width = \
            30 if title in (_("项目内容"), _("项目成效"), _("指标完成情况")) else max(12, len(title) * 2 + 4)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- PDF

def to_pdf(d: Disclosure) -> bytes:
    from app.core import pdf

    width = pdf.LANDSCAPE.content_width
    story = [pdf.para(title_of(d), "title"),
             pdf.para(_("资助方：%(funder)s　资金类型：%(kind)s", funder=d.fund.funder.name, kind=d.fund.kind.label),
                      "subtitle")]
    if d.welfare_lottery:
        story.append(pdf.para(_("【福彩公益金资助】以下项目使用福利彩票公益金资助。"), "body_plain"))
    story += [pdf.spacer(3), *pdf.heading(_("一、资金情况"), min_space_mm=20)]
    figures = figure_rows(d)
    story.append(pdf.table([[label for label, _fen in figures], [pdf.money(fen) for _label, fen in figures]],
                           [width / len(figures)] * len(figures), align=["RIGHT"] * len(figures)))
    story += [pdf.spacer(3), *pdf.heading(_("二、资助项目（%(n)s 个）", n=d.totals["count"]))]
    if d.projects:
        header = project_header(d)
        body = [[pdf.money(int(v * 100)) if isinstance(v, Decimal) else v for v in row] for row in project_table(d)]
        weights = {_("立项编号"): 1.1, _("项目名称"): 1.3, _("承接组织"): 1.2, _("项目内容"): 1.8, _("实施周期"): 1.1,
                   _("资助金额（元）"): 1.0, _("已拨付（元）"): 1.0, _("执行情况"): 1.1, _("项目负责人"): 0.8,
                   _("联系电话"): 1.0, _("完成情况"): 0.9, _("项目成效"): 1.8, _("指标完成情况"): 1.8}
        total = sum(weights[h] for h in header)
        widths = [width * weights[h] / total for h in header]
        align = ["RIGHT" if h in (_("资助金额（元）"), _("已拨付（元）")) else "LEFT" for h in header]
        story.append(pdf.table([header, *body], widths, align=align))
    else:
        story.append(pdf.para(_("本资金来源尚未资助项目。"), "body_plain"))
    story += [pdf.spacer(3), *pdf.heading(_("三、审计日志核验"), min_space_mm=20), pdf.para(verify_sentence(d), "body")]
    return pdf.build(story, title_of(d), subject=d.fund.name, now=d.generated_at, layout=pdf.LANDSCAPE)

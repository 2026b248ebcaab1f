"""Score sheets as files: the per-reviewer sheet (评审专家评分表) and the panel summary
(评审汇总表), each as XLSX (openpyxl) and as PDF (landscape A4, app.core.pdf).

The figures are the pages' own: totals from the matrix (app.reviews.results.matrix), final
scores, ranks and amounts from the stored outcomes once the panel is finalized (before,
the provisional scores the chair's page shows). Both carry signature lines so the printed
sheets can be signed and filed.

Blind calls: a reviewer's sheet always names applications by code with the title redacted
(app.reviews.blind) — it is the reviewer's document; the summary does so for anyone who is
not the funder's staff (the chair). Text that came from users is neutralised in XLSX (a
cell starting with = + - @ is stored as plain text, never as a formula).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether

from app.calls.models import Call
from app.core import pdf
from app.core.db import utcnow
from app.core.money import format_fen
from app.reviews import results as service
from app.reviews.models import AssignmentStatus, Panel, PanelMember, SheetStatus
from app.core.enums import N_
from app.reviews.blind import is_blind
from app.reviews.results import CellState, Label

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCORE_FORMAT = "0.00"
MONEY_FORMAT = '"¥"#,##0.00'
SIGNATURE_BLANK = "________________"
DATE_BLANK = "____________"
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def score_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def filename(kind: str, call: Call, ext: str, who: str | None = None) -> str:
    """评审汇总表-<征集>.xlsx / 评审专家评分表-<征集>-<专家>.pdf, without characters file
    systems refuse."""
    title = _UNSAFE_FILENAME.sub("", call.title or "").strip(" .")[:40] or str(call.id)
    parts = [kind, title] + ([_UNSAFE_FILENAME.sub("", who).strip(" .")[:20]] if who else [])
    return "-".join(p for p in parts if p) + f".{ext}"


def member_role(member: PanelMember) -> str:
    return member.role.label


# --------------------------------------------------------------------------- the summary

@dataclass
class SummaryRow:
    label: Label
    application_id: int
    totals: list[str | int]          # per member: the submitted total, else a short state
    dropped: list[bool]
    submitted: int
    assigned: int
    sd: Decimal | None
    disagreement: bool
    score: Decimal | None            # final (after finalize) or provisional
    requested_fen: int
    rank: int | None = None
    recommended: bool | None = None
    amount_fen: int | None = None
    adjusted: bool = False
    reason: str = ""
    tie_break: str | None = None


@dataclass
class Summary:
    call: Call
    panel: Panel
    blind: bool
    finalized: bool
    members: list[PanelMember]
    rows: list[SummaryRow]
    threshold: int
    used_fen: int = 0
    left_fen: int = 0
    recommended_count: int = 0
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def rules(self) -> str:
        call = self.call
        return _("汇总方法：%(method)s——%(explanation)s 入围分数线：%(line)s 分；资助预算：%(budget)s；"
                 "评分标准差超过 %(threshold)s 分的项目标记为分歧。",
                 method=call.aggregation.label, explanation=service.method_explanation(call), line=call.pass_line,
                 budget=format_fen(call.budget_fen), threshold=self.threshold)

    @property
    def state_line(self) -> str:
        if self.finalized:
            return _("评审已于 %(time)s（北京时间）结束；得分、排名和推荐金额为最终结果。",
                     time=pdf.local_time(self.panel.finalized_at))
        return _("评审进行中：得分为暂定得分，仅在项目的全部评分提交后显示；排名和推荐在评审结束后产生。")


_SHORT_STATE = {
    CellState.RECUSED: N_("回避"),
    CellState.PENDING: N_("未提交"),
    CellState.ACCEPTED: N_("未提交"),
    CellState.DRAFT: N_("未提交"),
}


def _short_state(state: CellState) -> str:
    return _(_SHORT_STATE[state]) if state in _SHORT_STATE else "—"


def member_heading(member: PanelMember) -> str:
    return member.expert.name + ("\n" + _("（组长）") if member.is_chair else "")


def summary(panel: Panel, *, blind: bool, now: datetime | None = None) -> Summary:
    """The figures of the panel summary (评审汇总表), in rank order once finalized."""
    call = panel.call
    m = service.matrix(panel)
    data = Summary(call=call, panel=panel, blind=blind, finalized=panel.is_finalized, members=m.members,
                   rows=[], threshold=call.disagreement_threshold, generated_at=now or utcnow())
    rows = {}
    for r in m.rows:
        rows[r.application.id] = SummaryRow(
            label=service.label(r.application, blind=blind), application_id=r.application.id,
            totals=[c.total if c.state == CellState.SUBMITTED else _short_state(c.state) for c in r.cells],
            dropped=[c.dropped for c in r.cells], submitted=r.submitted, assigned=r.assigned, sd=r.sd,
            disagreement=r.disagreement, score=r.provisional, requested_fen=r.application.requested_fen)
    if panel.is_finalized:
        res = service.outcomes(call)
        ordered = []
        for o in res.rows:
            row = rows.pop(o.outcome.application_id, None)
            if row is None:
                continue
            row.score = o.outcome.final_score
            row.sd = o.outcome.sd
            row.disagreement = o.outcome.disagreement
            row.rank = o.outcome.rank
            row.recommended = o.outcome.recommended and not o.outcome.cancelled_by_objection
            row.amount_fen = o.outcome.amount_fen if row.recommended else 0
            row.adjusted = o.is_adjusted
            row.reason = o.reason
            row.tie_break = o.tie_break
            ordered.append(row)
        data.rows = ordered + list(rows.values())
        data.used_fen, data.left_fen, data.recommended_count = res.used_fen, res.left_fen, res.recommended_count
    else:
        data.rows = list(rows.values())
    return data


def signature_lines(members: list[PanelMember]) -> list[tuple[str, str]]:
    """(name, role phrase) for every member, reviewers first, the chair last."""
    ordered = sorted(members, key=lambda m: (m.is_chair, m.id))
    return [(m.expert.name, _("评审组长（签名）") if m.is_chair else _("评审专家（签名）")) for m in ordered]


# --------------------------------------------------------------------------- XLSX helpers

_THIN = Side(style="thin", color="9AA5B1")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="E4EBF3")
_FLAG_FILL = PatternFill("solid", fgColor="FDEBD0")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _set_text(cell, value: str) -> None:
    """User text as plain text: never a formula (ASVS 1.2.10)."""
    value = pdf.clean(value)
    cell.value = value
    if value.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def _put(ws, row: int, col: int, value, *, number_format: str | None = None, bold: bool = False,
         wrap: bool = False, align: str | None = None, border: bool = True, fill=None, strike: bool = False):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        _set_text(cell, value)
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    if bold or strike:
        cell.font = Font(bold=bold, strike=strike)
    cell.alignment = Alignment(wrap_text=wrap, vertical="center", horizontal=align)
    if border:
        cell.border = _BORDER
    if fill is not None:
        cell.fill = fill
    return cell


def _title_rows(ws, ncols: int, lines: list[tuple[str, int, bool]]) -> int:
    """Merged lines above the table: (text, font size, bold). Returns the next row."""
    for i, (text, size, bold) in enumerate(lines, start=1):
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=max(ncols, 1))
        cell = ws.cell(row=i, column=1)
        _set_text(cell, text)
        cell.font = Font(bold=bold, size=size)
        cell.alignment = Alignment(wrap_text=True, vertical="center",
                                   horizontal="center" if i == 1 else "left")
        if len(text) > 60:
            ws.row_dimensions[i].height = 15 * (1 + len(text) // 90)
    return len(lines) + 1


def _print_setup(ws, header_row: int, freeze: str) -> None:
    ws.freeze_panes = freeze
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&P / &N"


def _signature_rows(ws, start: int, ncols: int, lines: list[tuple[str, str]]) -> None:
    row = start
    for name, role in lines:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(ncols, 1))
        cell = ws.cell(row=row, column=1)
        _set_text(cell, f"{name}　{role}：{SIGNATURE_BLANK}　{_('日期')}：{DATE_BLANK}")
        cell.alignment = Alignment(vertical="bottom")
        ws.row_dimensions[row].height = 30
        row += 1


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / Decimal(100)


# --------------------------------------------------------------------------- summary XLSX

def summary_xlsx(panel: Panel, *, blind: bool, now: datetime | None = None) -> bytes:
    data = summary(panel, blind=blind, now=now)
    wb = Workbook()
    ws = wb.active
    ws.title = _("评审汇总表")
    headers: list[tuple[str, float]] = []
    if data.finalized:
        headers.append((_("排名"), 6))
    headers.append((_("项目") if not blind else _("项目（编号）"), 34))
    if not blind:
        headers.append((_("申报组织"), 26))
    member_col = len(headers) + 1
    for member in data.members:
        headers.append((member_heading(member), 11))
    headers += [(_("已提交/应评"), 10), (_("标准差"), 9), (_("分歧"), 7),
                (_("最终得分") if data.finalized else _("暂定得分"), 10), (_("申请金额"), 15)]
    if data.finalized:
        headers += [(_("是否推荐"), 9), (_("推荐金额"), 15), (_("说明"), 36)]
    ncols = len(headers)

    call = data.call
    lines = [(_("评审汇总表"), 16, True),
             (_("征集：%(title)s（%(funder)s）", title=call.title, funder=call.funder.name), 11, False),
             (data.rules, 10, False),
             (data.state_line + " " + _("生成时间：%(time)s（北京时间）", time=pdf.local_time(data.generated_at)),
              10, False)]
    header_row = _title_rows(ws, ncols, lines)
    for col, (text, width) in enumerate(headers, start=1):
        _put(ws, header_row, col, text, bold=True, wrap=True, align="center", fill=_HEADER_FILL)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[header_row].height = 32

    r = header_row
    for row in data.rows:
        r += 1
        fill = _FLAG_FILL if row.disagreement else None
        col = 1
        if data.finalized:
            _put(ws, r, col, row.rank, align="center", fill=fill)
            col += 1
        _put(ws, r, col, row.label.title, wrap=True, fill=fill)
        col += 1
        if not blind:
            _put(ws, r, col, row.label.organization or "", wrap=True, fill=fill)
            col += 1
        for i, value in enumerate(row.totals):
            _put(ws, r, member_col + i, value, align="center", fill=fill, strike=row.dropped[i])
        col = member_col + len(row.totals)
        _put(ws, r, col, f"{row.submitted}/{row.assigned}", align="center", fill=fill)
        _put(ws, r, col + 1, row.sd, number_format=SCORE_FORMAT, align="right", fill=fill)
        _put(ws, r, col + 2, _("是") if row.disagreement else "", align="center", fill=fill)
        _put(ws, r, col + 3, row.score, number_format=SCORE_FORMAT, align="right", fill=fill, bold=True)
        _put(ws, r, col + 4, _yuan(row.requested_fen), number_format=MONEY_FORMAT, align="right", fill=fill)
        if data.finalized:
            _put(ws, r, col + 5, _("推荐") if row.recommended else _("不推荐"), align="center", fill=fill)
            _put(ws, r, col + 6, _yuan(row.amount_fen or 0), number_format=MONEY_FORMAT, align="right", fill=fill)
            reason = row.reason + (_("（金额经项目主管调整）") if row.adjusted else "")
            if row.tie_break:
                reason += "；" + row.tie_break
            _put(ws, r, col + 7, reason, wrap=True, fill=fill)
    if not data.rows:
        r += 1
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        _set_text(ws.cell(row=r, column=1), _("本轮没有进入评审的项目。"))

    r += 2
    notes = []
    if data.finalized:
        notes.append(_("推荐 %(n)s 个项目，推荐金额合计 %(used)s，预算剩余 %(left)s。",
                       n=data.recommended_count, used=format_fen(data.used_fen), left=format_fen(data.left_fen)))
    notes.append(_("专家列中带删除线的总分为去掉的最高分或最低分；“—”为未分配，“回避”为已声明利益冲突。"))
    for note in notes:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        _set_text(ws.cell(row=r, column=1), note)
        r += 1
    _signature_rows(ws, r + 1, ncols, signature_lines(data.members))
    _print_setup(ws, header_row, f"{get_column_letter(member_col)}{header_row + 1}")
    return _save(wb)


# --------------------------------------------------------------------------- per-reviewer sheet

@dataclass
class MemberSheetRow:
    label: Label
    points: list[int | None]
    total: int | None
    comment: str
    status: str


@dataclass
class MemberSheet:
    call: Call
    member: PanelMember
    blind: bool
    criteria: list
    rows: list[MemberSheetRow]
    generated_at: datetime


def member_sheet(member: PanelMember, *, now: datetime | None = None) -> MemberSheet:
    """One reviewer's sheets in the call (assignments not recused, by application)."""
    panel = member.panel
    call = panel.call
    blind = is_blind(call)   # the reviewer's own document
    m = service.matrix(panel)
    index = next(i for i, mm_ in enumerate(m.members) if mm_.id == member.id)
    criteria = list(call.criteria)
    rows = []
    for r in m.rows:
        cell = r.cells[index]
        if cell.assignment is None or cell.assignment.status == AssignmentStatus.RECUSED:
            continue
        sheet = cell.sheet
        points = (sheet.points or {}) if sheet is not None else {}
        values = [points.get(str(c.id)) for c in criteria]
        status = (_("已提交") if sheet is not None and sheet.status == SheetStatus.SUBMITTED
                  else _("暂存") if sheet is not None else _("未评分"))
        rows.append(MemberSheetRow(
            label=service.label(r.application, blind=blind),
            points=[int(v) if v is not None else None for v in values],
            total=sheet.total if sheet is not None else None,
            comment=sheet.comment if sheet is not None else "", status=status))
    return MemberSheet(call, member, blind, criteria, rows, now or utcnow())


def _expert_line(member: PanelMember) -> str:
    expert = member.expert
    parts = [expert.name, expert.title, expert.employer, member_role(member)]
    return _("评审专家：%(who)s", who="　".join(p for p in parts if p))


def member_sheet_xlsx(member: PanelMember, *, now: datetime | None = None) -> bytes:
    data = member_sheet(member, now=now)
    wb = Workbook()
    ws = wb.active
    ws.title = _("评审专家评分表")
    headers: list[tuple[str, float]] = [(_("序号"), 6), (_("项目（编号）") if data.blind else _("项目"), 34)]
    if not data.blind:
        headers.append((_("申报组织"), 24))
    first_point = len(headers) + 1
    for c in data.criteria:
        headers.append((_("%(name)s\n（满分 %(max)s）", name=c.name, max=c.max_points), 12))
    headers += [(_("总分（满分 %(max)s）", max=data.call.rubric_total), 10), (_("评分意见"), 44), (_("状态"), 8)]
    ncols = len(headers)
    lines = [(_("评审专家评分表"), 16, True),
             (_("征集：%(title)s（%(funder)s）", title=data.call.title, funder=data.call.funder.name), 11, False),
             (_expert_line(data.member), 10, False),
             (_("生成时间：%(time)s（北京时间）", time=pdf.local_time(data.generated_at)), 10, False)]
    header_row = _title_rows(ws, ncols, lines)
    for col, (text, width) in enumerate(headers, start=1):
        _put(ws, header_row, col, text, bold=True, wrap=True, align="center", fill=_HEADER_FILL)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[header_row].height = 32
    r = header_row
    for n, row in enumerate(data.rows, start=1):
        r += 1
        _put(ws, r, 1, n, align="center")
        _put(ws, r, 2, row.label.title, wrap=True)
        if not data.blind:
            _put(ws, r, 3, row.label.organization or "", wrap=True)
        for i, value in enumerate(row.points):
            _put(ws, r, first_point + i, value, align="center")
        col = first_point + len(row.points)
        _put(ws, r, col, row.total, align="center", bold=True)
        _put(ws, r, col + 1, row.comment, wrap=True)
        _put(ws, r, col + 2, row.status, align="center")
    if not data.rows:
        r += 1
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        _set_text(ws.cell(row=r, column=1), _("该专家在本轮没有评审任务。"))
    _signature_rows(ws, r + 2, ncols, [("", _("评审专家（签名）"))])
    _print_setup(ws, header_row, f"C{header_row + 1}")
    return _save(wb)


# --------------------------------------------------------------------------- PDF

CONTENT_WIDTH = pdf.LANDSCAPE.content_width


def _build(story: list, title: str, now: datetime) -> bytes:
    return pdf.build(story, title, now=now, layout=pdf.LANDSCAPE)


def _signature_block(lines: list[tuple[str, str]]) -> list:
    rows = [[name, f"{role}：{SIGNATURE_BLANK}", f"{_('日期')}：{DATE_BLANK}"] for name, role in lines]
    block = pdf.table(rows, [40 * mm, 110 * mm, 70 * mm], header=False, grid=False,
                      style=[("TOPPADDING", (0, 0), (-1, -1), 10), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")])
    return [pdf.spacer(6), KeepTogether([pdf.para(_("签字确认"), "subheading"), block])]


def _widths(fixed: list[float], flexible: int, flex_min: float, flex_max: float, rest_min: float) -> tuple[float, float]:
    """(width of each flexible column, width left for the last column)."""
    room = CONTENT_WIDTH - sum(fixed) - rest_min
    each = max(flex_min, min(flex_max, room / flexible)) if flexible else 0
    return each, max(rest_min, CONTENT_WIDTH - sum(fixed) - each * flexible)


def summary_pdf(panel: Panel, *, blind: bool, now: datetime | None = None) -> bytes:
    data = summary(panel, blind=blind, now=now)
    call = data.call
    head = []
    if data.finalized:
        head.append(_("排名"))
    head.append(_("项目（编号）") if blind else _("项目 / 申报组织"))
    head += [member_heading(m) for m in data.members]
    head += [_("已提交/应评"), _("标准差"), _("最终得分") if data.finalized else _("暂定得分"), _("申请金额")]
    if data.finalized:
        head += [_("推荐金额"), _("说明")]

    fixed = ([10 * mm] if data.finalized else []) + [62 * mm]
    tail = [15 * mm, 17 * mm, 16 * mm, 24 * mm] + ([24 * mm] if data.finalized else [])
    each, rest = _widths(fixed + tail, len(data.members), 10 * mm, 14 * mm, 45 * mm if data.finalized else 0)
    widths = fixed + [each] * len(data.members) + tail + ([rest] if data.finalized else [])
    if not data.finalized:   # give what is left to the project column
        widths[len(fixed) - 1] += rest
    body = [head]
    flagged = []
    align = (["CENTER"] if data.finalized else []) + ["LEFT"] + ["CENTER"] * len(data.members) + \
        ["CENTER", "RIGHT", "RIGHT", "RIGHT"] + (["RIGHT", "LEFT"] if data.finalized else [])
    strike_cells = []
    for i, row in enumerate(data.rows, start=1):
        cells = []
        if data.finalized:
            cells.append(row.rank)
        project = row.label.title if blind else f"{row.label.title}\n{row.label.organization or ''}"
        cells.append(project)
        col0 = len(cells)
        for j, value in enumerate(row.totals):
            cells.append(value)
            if row.dropped[j]:
                strike_cells.append((col0 + j, i))
        sd = score_text(row.sd) + ("\n" + _("（分歧）") if row.disagreement else "")
        cells += [f"{row.submitted}/{row.assigned}", sd, score_text(row.score), format_fen(row.requested_fen)]
        if data.finalized:
            reason = row.reason + (_("（金额经项目主管调整）") if row.adjusted else "")
            if row.tie_break:
                reason += "；" + row.tie_break
            cells += [format_fen(row.amount_fen) if row.recommended else "—", reason]
        body.append(cells)
        if row.disagreement:
            flagged.append(i)
    style = [("BACKGROUND", (0, i), (-1, i), pdf.colors.HexColor("#FDEBD0")) for i in flagged]
    # Dropped totals (trimmed mean): struck through, as in the XLSX.
    for col, r in strike_cells:
        value = body[r][col]
        body[r][col] = pdf.para(f"<strike>{pdf.markup(value)}</strike>", "cell_center", raw=True)
    story = [pdf.para(_("评审汇总表"), "title"), pdf.para(call.title, "subtitle"),
             pdf.para(_("资助方：%(funder)s　征集状态：%(status)s", funder=call.funder.name, status=call.status.label),
                      "muted"),
             pdf.para(data.rules, "body_plain"), pdf.para(data.state_line, "muted"), pdf.spacer(2)]
    if data.rows:
        story.append(pdf.table(body, widths, align=align, style=style))
    else:
        story.append(pdf.para(_("本轮没有进入评审的项目。"), "muted"))
    story.append(pdf.spacer(2))
    if data.finalized:
        story.append(pdf.para(_("推荐 %(n)s 个项目，推荐金额合计 %(used)s，预算剩余 %(left)s。",
                                n=data.recommended_count, used=format_fen(data.used_fen),
                                left=format_fen(data.left_fen)), "body_plain"))
    story.append(pdf.para(_("专家列中带删除线的总分为去掉的最高分或最低分；“—”为未分配，“回避”为已声明利益冲突；"
                            "底色标出的项目评分分歧较大。"), "small"))
    story += _signature_block(signature_lines(data.members))
    return _build(story, _("评审汇总表") + " · " + call.title, data.generated_at)


def member_sheet_pdf(member: PanelMember, *, now: datetime | None = None) -> bytes:
    data = member_sheet(member, now=now)
    call = data.call
    head = [_("序号"), _("项目（编号）") if data.blind else _("项目 / 申报组织")]
    head += [_("%(name)s\n（%(max)s）", name=c.name, max=c.max_points) for c in data.criteria]
    head += [_("总分"), _("评分意见"), _("状态")]
    each, rest = _widths([10 * mm, 58 * mm, 14 * mm, 14 * mm], len(data.criteria), 13 * mm, 18 * mm, 50 * mm)
    widths = [10 * mm, 58 * mm] + [each] * len(data.criteria) + [14 * mm, rest, 14 * mm]
    body = [head]
    for n, row in enumerate(data.rows, start=1):
        project = row.label.title if data.blind else f"{row.label.title}\n{row.label.organization or ''}"
        body.append([n, project] + ["—" if v is None else v for v in row.points]
                    + ["—" if row.total is None else row.total, row.comment or "—", row.status])
    align = ["CENTER", "LEFT"] + ["CENTER"] * len(data.criteria) + ["CENTER", "LEFT", "CENTER"]
    story = [pdf.para(_("评审专家评分表"), "title"), pdf.para(call.title, "subtitle"),
             pdf.para(_expert_line(data.member), "body_plain"),
             pdf.para(_("评分标准：各评分项按 0 至满分的整数打分，总分为各项得分之和（满分 %(max)s 分）。",
                        max=call.rubric_total), "muted"), pdf.spacer(2)]
    if data.rows:
        story.append(pdf.table(body, widths, align=align))
    else:
        story.append(pdf.para(_("该专家在本轮没有评审任务。"), "muted"))
    story += _signature_block([(data.member.expert.name, _("评审专家（签名）"))])
    return _build(story, _("评审专家评分表") + " · " + data.member.expert.name, data.generated_at)

"""Score sheets as files (app.reviews.sheets): the XLSX opened with openpyxl, the PDF read
back with pdftotext; both agree with the pages' figures."""
from __future__ import annotations

import io
import re
import subprocess
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from app.reviews import results, sheets
from app.reviews.models import ReviewOutcome
from tests.reviews.test_results import TRIMMED, Scenario


def _pdf_text(content: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def _header_row(ws, first: str) -> int:
    return next(r for r in range(1, 12) if ws.cell(row=r, column=1).value == first)


def _columns(ws, row: int) -> dict[str, int]:
    return {ws.cell(row=row, column=c).value: c for c in range(1, ws.max_column + 1)
            if ws.cell(row=row, column=c).value is not None}


def _outcomes(db, call):
    return list(db.session.scalars(select(ReviewOutcome).where(ReviewOutcome.call_id == call.id)
                                   .order_by(ReviewOutcome.rank)))


def _all_text(ws) -> str:
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


# --------------------------------------------------------------------------- summary

def test_summary_xlsx_after_finalize_agrees_with_the_outcomes(db):
    s = Scenario(TRIMMED, requested=[50_000, 40_000, 30_000], budget_yuan=80_000)
    results.finalize(s.chair, s.panel)
    ws = _sheet(sheets.summary_xlsx(s.panel, blind=False))
    assert ws.title == "评审汇总表" and ws.cell(row=1, column=1).value == "评审汇总表"
    head = _header_row(ws, "排名")
    cols = _columns(ws, head)
    for name in ("项目", "申报组织", "已提交/应评", "标准差", "分歧", "最终得分", "申请金额", "是否推荐", "推荐金额", "说明"):
        assert name in cols, name
    assert "专家A\n（组长）" in cols and "专家E" in cols
    outcomes = _outcomes(db, s.call)
    for i, o in enumerate(outcomes, start=1):
        r = head + i
        assert ws.cell(row=r, column=cols["排名"]).value == o.rank
        assert ws.cell(row=r, column=cols["项目"]).value == o.application.title
        assert ws.cell(row=r, column=cols["申报组织"]).value == o.application.organization.name
        score = ws.cell(row=r, column=cols["最终得分"])
        assert Decimal(str(score.value)).quantize(Decimal("0.01")) == o.final_score
        assert score.number_format == "0.00"
        assert Decimal(str(ws.cell(row=r, column=cols["标准差"]).value)).quantize(Decimal("0.01")) == o.sd
        amount = ws.cell(row=r, column=cols["推荐金额"])
        assert Decimal(str(amount.value)) * 100 == o.amount_fen and amount.number_format == '"¥"#,##0.00'
        assert Decimal(str(ws.cell(row=r, column=cols["申请金额"]).value)) * 100 == o.requested_fen
    # 乙 first: the chair's 95 (highest) and E's 40 (lowest) are struck through.
    first = head + 1
    assert [ws.cell(row=first, column=cols[n]).value for n in ("专家A\n（组长）", "专家B", "专家C", "专家D", "专家E")] == \
        [95, 82, 80, 79, 40]
    assert ws.cell(row=first, column=cols["专家A\n（组长）"]).font.strike
    assert not ws.cell(row=first, column=cols["专家B"]).font.strike
    assert ws.cell(row=first, column=cols["分歧"]).value == "是"
    assert ws.cell(row=first, column=cols["说明"]).value == "按排名在预算内推荐"
    # Print setup: frozen header row and project columns, landscape, fit to width.
    assert ws.freeze_panes == f"D{head + 1}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["B"].width == 34
    text = _all_text(ws)
    assert "推荐 1 个项目，推荐金额合计 ¥40,000.00，预算剩余 ¥40,000.00。" in text
    assert "入围分数线：60 分" in text and "资助预算：¥80,000.00" in text
    assert "专家B　评审专家（签名）" in text and "专家A　评审组长（签名）" in text and "日期：" in text


def test_summary_before_finalize_shows_provisional_scores(db):
    s = Scenario(TRIMMED[:1] + [[80, 80, None, None, None]])
    ws = _sheet(sheets.summary_xlsx(s.panel, blind=False))
    head = _header_row(ws, "项目")
    cols = _columns(ws, head)
    assert "排名" not in cols and "推荐金额" not in cols and "暂定得分" in cols
    assert Decimal(str(ws.cell(row=head + 1, column=cols["暂定得分"]).value)).quantize(Decimal("0.01")) == \
        Decimal("78.33")
    assert ws.cell(row=head + 2, column=cols["暂定得分"]).value == 80   # complete: 80 and 80
    assert ws.cell(row=head + 2, column=cols["专家C"]).value == "—"
    assert "评审进行中" in _all_text(ws)


def test_blind_summary_for_the_chair_has_no_organization(db):
    s = Scenario(TRIMMED, blind=True)
    s.apps[0].title = f"{s.orgs[0].name}长者食堂"
    s.sheet(0, 1).comment = f"{s.orgs[0].name}经验丰富"
    results.finalize(s.chair, s.panel)
    blind = results.blind_for(s.chair, s.call)
    assert blind is True
    for content in (sheets.summary_xlsx(s.panel, blind=blind),):
        ws = _sheet(content)
        text = _all_text(ws)
        assert all(org.name not in text for org in s.orgs)
        assert f"GY-{s.apps[0].id:05d} ■■■长者食堂" in text
        assert "申报组织" not in _columns(ws, _header_row(ws, "排名"))
    text = _flat(_pdf_text(sheets.summary_pdf(s.panel, blind=blind)))
    assert all(_flat(org.name) not in text for org in s.orgs)
    assert f"GY-{s.apps[0].id:05d}" in text
    # Staff get the names.
    staff = sheets.summary_xlsx(s.panel, blind=results.blind_for(s.officer, s.call))
    assert s.orgs[1].name in _all_text(_sheet(staff))


def test_summary_pdf_text(db):
    s = Scenario(TRIMMED, requested=[50_000, 40_000, 30_000], budget_yuan=80_000)
    results.finalize(s.chair, s.panel)
    content = sheets.summary_pdf(s.panel, blind=False)
    assert content[:5] == b"%PDF-"
    text = _flat(_pdf_text(content))
    for phrase in ("评审汇总表", "最终得分", "推荐金额", "评审专家（签名）", "评审组长（签名）", "日期：",
                   "80.33", "78.33", "65.00", "18.52", "（分歧）", "¥40,000.00", "推荐1个项目", "入围分数线：60分"):
        assert _flat(phrase) in text, phrase
    assert _flat(s.orgs[0].name) in text
    # Landscape A4.
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True).stdout.decode()
    assert "841.89 x 595.276" in info or "842 x 595" in info


# --------------------------------------------------------------------------- per reviewer

def test_member_sheet_xlsx(db):
    s = Scenario([[88, 70], [75, None]])
    s.sheet(0, 1).comment = "=HYPERLINK(\"http://evil.example\",\"点击\")"
    ws = _sheet(sheets.member_sheet_xlsx(s.member(1)))
    assert ws.cell(row=1, column=1).value == "评审专家评分表"
    head = _header_row(ws, "序号")
    cols = _columns(ws, head)
    criteria = sorted(s.call.criteria, key=lambda c: c.position)
    assert f"{criteria[0].name}\n（满分 20）" in cols and "总分（满分 100）" in cols and "评分意见" in cols
    # Only B's own application (甲), with B's points.
    assert ws.cell(row=head + 1, column=cols["项目"]).value == s.apps[0].title
    assert ws.cell(row=head + 2, column=1).value is None or "签名" in str(ws.cell(row=head + 2, column=1).value)
    sheet = s.sheet(0, 1)
    assert [ws.cell(row=head + 1, column=cols[f"{c.name}\n（满分 {c.max_points}）"]).value for c in criteria] == \
        [sheet.points[str(c.id)] for c in criteria]
    assert ws.cell(row=head + 1, column=cols["总分（满分 100）"]).value == 70
    # A comment that looks like a formula stays text.
    comment = ws.cell(row=head + 1, column=cols["评分意见"])
    assert comment.data_type == "s" and comment.value.startswith("=HYPERLINK")
    assert "评审专家（签名）" in _all_text(ws)
    assert ws.page_setup.orientation == "landscape"


def test_member_sheet_pdf_and_blind(db):
    s = Scenario([[88, 70]], blind=True)
    s.apps[0].title = f"{s.orgs[0].name}助餐项目"
    text = _flat(_pdf_text(sheets.member_sheet_pdf(s.member(1))))
    for phrase in ("评审专家评分表", "评审专家（签名）", "日期：", "专家B", "项目设计", "（满分100分）", "70", "已提交"):
        assert _flat(phrase) in text, phrase
    assert _flat(s.orgs[0].name) not in text and f"GY-{s.apps[0].id:05d}" in text
    ws = _sheet(sheets.member_sheet_xlsx(s.member(1)))
    assert s.orgs[0].name not in _all_text(ws)


def test_pdf_renders_chinese(db, tmp_path):
    # The page converts to an image (pdftoppm); the text layer is Chinese, not boxes.
    s = Scenario(TRIMMED)
    results.finalize(s.chair, s.panel)
    path = tmp_path / "summary.pdf"
    path.write_bytes(sheets.summary_pdf(s.panel, blind=False))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 10_000
    assert "评审汇总表" in _pdf_text(path.read_bytes())

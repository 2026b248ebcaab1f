"""The shared reportlab setup: font choice, escaping, tables, page header/footer."""
from __future__ import annotations

import re
import subprocess
from datetime import datetime, timezone

import pytest

from app.core import pdf


def _text(data: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_font_registration_is_idempotent_and_renders_cjk():
    first = pdf.register_fonts()
    assert pdf.register_fonts() is first
    from reportlab.pdfbase import pdfmetrics

    assert first.cjk in pdfmetrics.getRegisteredFontNames()
    # Whichever font was chosen, Chinese text has a real width (no zero-width missing glyphs).
    assert pdfmetrics.stringWidth("申报书", first.cjk, 10) == pytest.approx(30, abs=0.5)


def test_fonts_reportlab_cannot_use_are_skipped(tmp_path):
    # CFF-outline OpenType (Noto Sans CJK from fonts-noto-cjk), a font without Chinese
    # glyphs, a missing file and a file that is not a font are all refused.
    not_a_font = tmp_path / "x.ttf"
    not_a_font.write_bytes(b"not a font")
    for path in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                 "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                 str(tmp_path / "missing.ttf"), str(not_a_font)):
        assert pdf._load_truetype(path, 0) is False


def test_markup_escapes_user_text():
    out = pdf.markup('<b>粗体</b> & "引号"\x00\x07\n第二行')
    assert "<b>" not in out and "&lt;b&gt;" in out and "&amp;" in out
    assert "\x00" not in out and "\x07" not in out
    assert "<br/>" in out


def test_markup_sets_latin_runs_in_a_latin_font_only_for_the_cid_font():
    out = pdf.markup("合计 ¥1,234.50 元")
    if pdf.register_fonts().embedded:
        assert "<font" not in out
    else:
        assert '<font name="Helvetica">' in out and "¥1,234.50" in out


def test_money_and_local_time():
    assert pdf.money(123450) == "¥1,234.50"
    assert pdf.money(None) == "—"
    assert pdf.local_time(datetime(2026, 1, 1, 16, 30, tzinfo=timezone.utc)) == "2026-01-02 00:30"
    assert pdf.local_time(None) == "—"


def test_build_sets_metadata_header_footer_and_page_count(tmp_path, app):
    story = [pdf.para("测试文档", "title")] + [pdf.para(f"第 {i} 段：社区服务内容。" * 6) for i in range(60)]
    data = pdf.build(story, "测试文档标题", subject="主题",
                     now=datetime(2026, 3, 1, 2, 5, tzinfo=timezone.utc))
    assert data.startswith(b"%PDF")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "测试文档标题" in info and re.search(r"Author:\s+Gongyi", info)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2
    last = _flat(_text(data, tmp_path, "-f", str(pages), "-l", str(pages)))
    assert f"第{pages}页/共{pages}页" in last
    assert "Gongyi公益项目管理平台" in last and "测试文档标题" in last
    assert "2026-03-0110:05（北京时间）" in last  # 02:05 UTC in Asia/Shanghai


def test_table_repeats_its_header_and_wraps_long_cells(tmp_path, app):
    rows = [["列一", "列二", "金额"]] + [[f"行 {i}", "很长的说明文字" * 12, pdf.money(i * 100)] for i in range(80)]
    rows.append(["合计", "", pdf.money(sum(i * 100 for i in range(80)))])
    data = pdf.build([pdf.table(rows, [0.2, 0.6, 0.2], align=["LEFT", "LEFT", "RIGHT"], total_row=True)], "表格")
    second_page = _flat(_text(data, tmp_path, "-f", "2", "-l", "2"))
    assert "列一" in second_page and "列二" in second_page  # repeated header row
    assert "¥3,160.00" in _flat(_text(data, tmp_path))


def test_hostile_text_does_not_break_the_build(tmp_path, app):
    nasty = "😀 emoji \ud800 lone surrogate \x1b[31m <para> </font> &nbsp; ☑ " + "长" * 3000
    data = pdf.build(pdf.paragraphs(nasty) + [pdf.table([["a", "b"], [nasty[:400], "x"]])], nasty[:80])
    text = _flat(_text(data, tmp_path))
    assert "<para></font>&nbsp;" in text


def test_a_loadable_truetype_font_is_embedded(tmp_path, app, monkeypatch):
    """The embedding path, exercised with reportlab's bundled Vera.ttf standing in for a
    TrueType CJK font (none is installed here: Debian's Noto CJK is CFF)."""
    import os

    import reportlab

    vera = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    monkeypatch.setattr(pdf, "_PROBE", "Gongyi")
    try:
        fonts = pdf.register_fonts(candidates=[("/nonexistent/font.ttc", 0), (vera, 0)], force=True)
        assert fonts.embedded and fonts.cjk == pdf.TTF_FONT and fonts.source == vera
        assert "<font" not in pdf.markup("Total 1,234.50")
        data = pdf.build([pdf.para("Gongyi embedded font", "body"), pdf.table([["a", "b"], ["1", "2"]])], "Embedded")
        path = tmp_path / "e.pdf"
        path.write_bytes(data)
        listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        # reportlab names the subset after the font's own PostScript name.
        assert re.search(r"\+BitstreamVeraSans-Roman\s+TrueType.*\byes\s+yes\b", listing)  # embedded subset
        assert "Gongyi embedded font" in _text(data, tmp_path)
    finally:
        monkeypatch.undo()
        pdf.register_fonts(force=True)
    assert pdf.register_fonts().cjk in (pdf.CID_FONT, pdf.TTF_FONT)

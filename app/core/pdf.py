"""reportlab setup shared by every generated document (申报书, award notice, agreement,
payment voucher, certificates): a CJK font, an A4 page template with header and footer,
paragraph styles, a table helper, money formatting and escaping of user text.

Font choice (decided once per process, `register_fonts()`):
1. A TrueType CJK font, **embedded** (subset) in every PDF: the path in the environment
   variable `GONGYI_PDF_FONT` ("path" or "path#index" for a .ttc), else the first loadable
   font of the usual TrueType CJK files (WenQuanYi, AR PL, Droid Sans Fallback, Windows'
   SimHei/SimSun/Microsoft YaHei, …), else any TrueType font fontconfig knows for `zh`.
   reportlab cannot load CFF-outline OpenType such as Noto Sans CJK (.ttc/.otf) — the
   Debian `fonts-noto-cjk` package — so those are skipped.
2. Otherwise reportlab's built-in CID font **STSong-Light** (Adobe-GB1, UniGB-UCS2-H),
   referenced by name, not embedded: Acrobat, pdf.js, Chrome and poppler substitute an
   installed Chinese font. Its Latin glyphs are narrow and it lacks a few symbols
   (·, •, ☑), so in this mode runs of Latin text (digits, ¥, letters, ·) are set in the
   standard Helvetica instead; the result is checked in tests with pdftotext/pdftoppm.

Everything a user typed goes through `markup()` (or `para()`), which strips control
characters, escapes `& < >` and keeps line breaks — never put raw user text into a
Paragraph.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any, Iterable, Sequence
from xml.sax.saxutils import escape as _xml_escape
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, PageTemplate, Paragraph,
                                Spacer, Table, TableStyle)

from app.core.money import format_fen

PLATFORM_NAME = "Gongyi 公益项目管理平台"
AUTHOR = "Gongyi"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

PAGE_SIZE = A4
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = MARGIN_RIGHT = 20 * mm
MARGIN_TOP = 26 * mm
MARGIN_BOTTOM = 22 * mm
CONTENT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT


@dataclass(frozen=True)
class Layout:
    """Page geometry for :func:`build`: the page, the margins, and where the header and
    footer go (measured from the top and the bottom of the page)."""

    page: tuple[float, float]
    margin_x: float
    margin_top: float
    margin_bottom: float
    header_from_top: float
    footer_rule: float
    footer_text: float

    @property
    def content_width(self) -> float:
        return self.page[0] - 2 * self.margin_x


PORTRAIT = Layout(A4, MARGIN_LEFT, MARGIN_TOP, MARGIN_BOTTOM, 14 * mm, 15 * mm, 10 * mm)
# Wide tables (score sheets, summaries): landscape A4 with narrower margins.
LANDSCAPE = Layout(landscape(A4), 14 * mm, 19 * mm, 17 * mm, 11 * mm, 13 * mm, 8 * mm)

CID_FONT = "STSong-Light"
TTF_FONT = "GongyiCJK"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"

# TrueType (glyf-outline) CJK fonts commonly found on servers and desktops.
TRUETYPE_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
)
# Characters a usable CJK font must have.
_PROBE = "中文项目申报书管理费用第页共"


@dataclass(frozen=True)
class Fonts:
    cjk: str            # registered name of the CJK font
    embedded: bool      # True: a TrueType font embedded in the PDF; False: the CID font
    source: str         # file path of the TrueType font, or the CID font's name
    latin: str | None   # font for Latin runs (CID mode only), else None
    latin_bold: str | None


_lock = threading.Lock()
_fonts: Fonts | None = None


def _candidate_files() -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    configured = os.environ.get("GONGYI_PDF_FONT", "").strip()
    if configured:
        path, _sep, index = configured.partition("#")
        found.append((path, int(index) if index.isdigit() else 0))
    found.extend(TRUETYPE_CANDIDATES)
    try:
        out = subprocess.run(
            ["fc-list", "--format", "%{file}\t%{index}\n", ":lang=zh:fontformat=TrueType"],
            capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in sorted(out.splitlines()):
        path, _sep, index = line.partition("\t")
        if path:
            found.append((path, int(index) if index.strip().isdigit() else 0))
    return found


def _load_truetype(path: str, index: int) -> bool:
    """Register `path` as TTF_FONT when reportlab can load it and it has CJK glyphs."""
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if not os.path.isfile(path):
        return False
    try:
        font = TTFont(TTF_FONT, path, subfontIndex=index)
    except (TTFError, OSError, ValueError, KeyError, IndexError, AssertionError):
        return False  # e.g. "postscript outlines are not supported" (CFF OpenType)
    if not all(ord(ch) in font.face.charToGlyph for ch in _PROBE):
        return False
    pdfmetrics.registerFont(font)
    return True


def _register_cid() -> None:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(CID_FONT, bold, italic, CID_FONT)  # <b>/<i> in markup never fail


# Chinese punctuation that must not start a line; reportlab's CJK line breaking knows the
# Japanese set only (no full-width ，；：！？ etc.), so the missing ones are added once.
_CANNOT_START = "，。、；：！？）》」』】〕〉”’…·%％"


def _teach_line_breaking() -> None:
    from reportlab.platypus import paragraph

    missing = "".join(ch for ch in _CANNOT_START if ch not in paragraph.ALL_CANNOT_START)
    if missing:
        paragraph.ALL_CANNOT_START = paragraph.ALL_CANNOT_START + missing


def register_fonts(*, candidates: Iterable[tuple[str, int]] | None = None, force: bool = False) -> Fonts:
    """Register the CJK font once per process (idempotent) and say which one is used.

    `candidates`/`force` exist for tests that exercise the choice itself.
    """
    global _fonts
    with _lock:
        if _fonts is not None and not force:
            return _fonts
        _teach_line_breaking()
        for path, index in (_candidate_files() if candidates is None else candidates):
            if _load_truetype(path, index):
                from reportlab.lib.fonts import addMapping

                for bold in (0, 1):
                    for italic in (0, 1):
                        addMapping(TTF_FONT, bold, italic, TTF_FONT)
                _fonts = Fonts(cjk=TTF_FONT, embedded=True, source=path, latin=None, latin_bold=None)
                break
        else:
            _register_cid()
            _fonts = Fonts(cjk=CID_FONT, embedded=False, source=CID_FONT, latin=LATIN_FONT,
                           latin_bold=LATIN_BOLD)
        _styles.clear()
        return _fonts


# --- text -------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Punctuation Chinese text sets from the CJK font even in CID mode (“” and ‘’ go to the
# Latin font: substituted CJK fonts draw them narrow on a full-width advance).
_CJK_PUNCT = frozenset("—…")
# CID mode encodes UCS-2: characters beyond the BMP (emoji) would print as wrong glyphs.
_BEYOND_BMP = re.compile("[\U00010000-\U0010FFFF]")


def clean(value: Any) -> str:
    """User data as plain text: None → "", control characters dropped, tabs → space."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", text)


def _is_latin(ch: str) -> bool:
    if ch in _CJK_PUNCT or ch == "\n":
        return False
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def runs(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_latin, chunk) runs; all one run when the CJK font is embedded."""
    if not text:
        return []
    if register_fonts().latin is None:
        return [(False, text)]
    text = _BEYOND_BMP.sub("□", text)
    out: list[tuple[bool, str]] = []
    for ch in text:
        latin = _is_latin(ch)
        if out and out[-1][0] == latin:
            out[-1] = (latin, out[-1][1] + ch)
        else:
            out.append((latin, ch))
    return out


def markup(value: Any, *, bold: bool = False) -> str:
    """Paragraph markup for user text: cleaned, XML-escaped, newlines as <br/>.

    In CID mode Latin runs are wrapped in <font name="Helvetica…"> (see module doc).
    """
    fonts = register_fonts()
    parts = []
    for latin, chunk in runs(clean(value)):
        escaped = _xml_escape(chunk).replace("\n", "<br/>")
        if latin:
            parts.append(f'<font name="{fonts.latin_bold if bold else fonts.latin}">{escaped}</font>')
        else:
            parts.append(escaped)
    return "".join(parts)


def money(fen: int | None) -> str:
    """12345 → "¥123.45" (the site's format)."""
    return format_fen(fen)


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime in Asia/Shanghai ("—" for None); naive values are taken as UTC."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LOCAL_TZ).strftime(fmt)


# --- styles -----------------------------------------------------------------------------

INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#5F6B7A")
ACCENT = colors.HexColor("#1D4E89")
RULE = colors.HexColor("#B8C2CC")
GRID = colors.HexColor("#9AA5B1")
HEADER_BG = colors.HexColor("#E4EBF3")
SUBTOTAL_BG = colors.HexColor("#F3F5F7")
TOTAL_BG = colors.HexColor("#E9EEF4")
WARN = colors.HexColor("#B42318")

_styles: dict[str, ParagraphStyle] = {}


def styles() -> dict[str, ParagraphStyle]:
    """Shared paragraph styles: title, subtitle, heading, subheading, body, small, muted,
    cell, cell_right, cell_center, cell_header, cell_total (+ _right). All wrap CJK text."""
    if _styles:
        return _styles
    font = register_fonts().cjk
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=17, textColor=INK,
                          wordWrap="CJK", alignment=TA_LEFT)

    def make(name: str, bold: bool = False, **kw) -> ParagraphStyle:
        style = ParagraphStyle(name, parent=base, **kw)
        style.gongyi_bold = bold  # read by para(): Latin runs in bold for bold styles
        return style

    _styles.update(
        title=make("title", True, fontSize=22, leading=30, alignment=TA_CENTER, spaceAfter=6),
        subtitle=make("subtitle", True, fontSize=14, leading=21, alignment=TA_CENTER, spaceAfter=4),
        heading=make("heading", True, fontSize=13, leading=19, textColor=ACCENT, spaceBefore=12,
                     spaceAfter=6),
        subheading=make("subheading", True, fontSize=11, leading=17, textColor=ACCENT, spaceBefore=6,
                        spaceAfter=3, keepWithNext=1),
        body=make("body", firstLineIndent=21, spaceAfter=4),
        body_plain=make("body_plain", spaceAfter=4),
        small=make("small", fontSize=8.5, leading=12.5),
        muted=make("muted", fontSize=9.5, leading=15, textColor=MUTED),
        warn=make("warn", fontSize=9.5, leading=15, textColor=WARN),
        cell=make("cell", fontSize=9, leading=13),
        cell_right=make("cell_right", fontSize=9, leading=13, alignment=TA_RIGHT),
        cell_center=make("cell_center", fontSize=9, leading=13, alignment=TA_CENTER),
        cell_header=make("cell_header", True, fontSize=9, leading=13, alignment=TA_CENTER),
        cell_total=make("cell_total", True, fontSize=9, leading=13),
        cell_total_right=make("cell_total_right", True, fontSize=9, leading=13, alignment=TA_RIGHT),
        cell_label=make("cell_label", True, fontSize=9.5, leading=14, textColor=MUTED),
        cell_value=make("cell_value", fontSize=10, leading=15),
    )
    return _styles


def para(value: Any, style: str | ParagraphStyle = "body", *, raw: bool = False) -> Paragraph:
    """A Paragraph of user text (escaped). `raw=True` only for markup built from `markup()`."""
    st = styles()[style] if isinstance(style, str) else style
    text = value if raw else markup(value, bold=getattr(st, "gongyi_bold", False))
    return Paragraph(text, st)


def paragraphs(value: Any, style: str | ParagraphStyle = "body", *, empty: str | None = None) -> list[Flowable]:
    """Long user text as one Paragraph per line (blank lines dropped), so it flows across
    pages; `empty` (shown muted) when there is no text."""
    lines = [line.strip() for line in clean(value).split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return [para(empty if empty is not None else _("（未填写）"), "muted")]
    return [para(line, style) for line in lines]


# --- tables -----------------------------------------------------------------------------

_ALIGN_STYLE = {"LEFT": "cell", "RIGHT": "cell_right", "CENTER": "cell_center"}


def _widths(col_widths: Sequence[float] | None, ncols: int) -> list[float] | None:
    if col_widths is None:
        return [CONTENT_WIDTH / ncols] * ncols
    widths = list(col_widths)
    if widths and sum(widths) <= 1.0001:  # fractions of the content width
        return [w * CONTENT_WIDTH for w in widths]
    return widths


def table(data: Sequence[Sequence[Any]], col_widths: Sequence[float] | None = None, *, header: bool = True,
          total_row: bool = False, align: Sequence[str] | None = None, subtotal_rows: Iterable[int] = (),
          style: Iterable[tuple] = (), grid: bool = True) -> Table:
    """A table with a light grid whose header row repeats on each page.

    Cells may be strings/numbers (escaped and wrapped in the cell style), Flowables (as
    they are) or None. `col_widths`: points, or fractions of the content width summing
    to ≤ 1. `align`: per column "LEFT"/"RIGHT"/"CENTER" for body cells. `total_row`: the
    last row is a total (bold, shaded); `subtotal_rows`: indexes of rows shaded lighter.
    `style`: extra TableStyle commands (e.g. SPAN).
    """
    rows = [list(r) for r in data]
    ncols = max((len(r) for r in rows), default=1)
    aligns = [a.upper() for a in (align or ["LEFT"] * ncols)]
    subtotals = set(subtotal_rows)
    last = len(rows) - 1
    cells: list[list[Any]] = []
    for i, row in enumerate(rows):
        row = row + [""] * (ncols - len(row))
        out = []
        for j, cell in enumerate(row):
            if isinstance(cell, Flowable) or (isinstance(cell, list) and cell and isinstance(cell[0], Flowable)):
                out.append(cell)
                continue
            col_align = aligns[j] if j < len(aligns) else "LEFT"
            if header and i == 0:
                st = "cell_header"
            elif (total_row and i == last) or i in subtotals:
                st = "cell_total_right" if col_align == "RIGHT" else "cell_total"
            else:
                st = _ALIGN_STYLE.get(col_align, "cell")
            out.append(para("" if cell is None else cell, st))
        cells.append(out)
    commands: list[tuple] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if grid:
        commands += [("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BOX", (0, 0), (-1, -1), 0.8, GRID)]
    if header and cells:
        commands += [("BACKGROUND", (0, 0), (-1, 0), HEADER_BG)]
    for r in subtotals:
        commands.append(("BACKGROUND", (0, r), (-1, r), SUBTOTAL_BG))
    if total_row and cells:
        commands += [("BACKGROUND", (0, -1), (-1, -1), TOTAL_BG),
                     ("LINEABOVE", (0, -1), (-1, -1), 0.9, GRID)]
    commands.extend(style)
    return Table(cells, colWidths=_widths(col_widths, ncols), repeatRows=1 if header else 0,
                 style=TableStyle(commands), hAlign="LEFT", splitInRow=1)


def key_value_table(pairs: Sequence[tuple[str, Any]], label_width: float = 0.24) -> Table:
    """Label / value rows (labels shaded), e.g. the cover block of a document."""
    data = [[para(label, "cell_label"), v if isinstance(v, Flowable) else para(v, "cell_value")]
            for label, v in pairs]
    return table(data, [label_width, 1 - label_width], header=False,
                 style=[("BACKGROUND", (0, 0), (0, -1), SUBTOTAL_BG),
                        ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)])


def heading(text: str, style: str = "heading", *, min_space_mm: float = 30) -> list[Flowable]:
    """A section heading, moved to the next page when less than `min_space_mm` is left
    (so it never ends a page; a long table or text after it still starts right here)."""
    return [CondPageBreak(min_space_mm * mm), para(text, style)]


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


# --- page template and build --------------------------------------------------------------

def draw_text(canv, x: float, y: float, text: str, size: float, *, align: str = "left",
              bold: bool = False, color=MUTED) -> float:
    """Draw one line on the canvas with the same font runs as paragraphs; returns its width."""
    fonts = register_fonts()
    pieces = [((fonts.latin_bold if bold else fonts.latin) if latin else fonts.cjk, chunk)
              for latin, chunk in runs(clean(text).replace("\n", " "))]
    width = sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in pieces)
    if align == "right":
        x -= width
    elif align == "center":
        x -= width / 2
    canv.saveState()
    canv.setFillColor(color)
    for font, chunk in pieces:
        canv.setFont(font, size)
        canv.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)
    canv.restoreState()
    return width


def fit_text(text: str, size: float, max_width: float) -> str:
    """Shorten `text` with "…" so that it fits `max_width` at `size`."""
    text = clean(text).replace("\n", " ")
    fonts = register_fonts()

    def width(s: str) -> float:
        return sum(pdfmetrics.stringWidth(chunk, fonts.latin if latin else fonts.cjk, size)
                   for latin, chunk in runs(s))

    if width(text) <= max_width:
        return text
    while text and width(text + "…") > max_width:
        text = text[:-1]
    return text + "…"


def _decorate(canv, page: int, total: int, *, doc_title: str, generated: str, layout: Layout = PORTRAIT) -> None:
    """Header (platform name, document title) and footer (generated at, page N of M)."""
    width, height = layout.page
    left, right = layout.margin_x, width - layout.margin_x
    top = height - layout.header_from_top
    name_width = draw_text(canv, left, top, PLATFORM_NAME, 9, bold=True, color=ACCENT)
    available = layout.content_width - name_width - 8 * mm
    draw_text(canv, right, top, fit_text(doc_title, 9, available), 9, align="right")
    canv.saveState()
    canv.setStrokeColor(RULE)
    canv.setLineWidth(0.6)
    canv.line(left, top - 2.5 * mm, right, top - 2.5 * mm)
    canv.line(left, layout.footer_rule, right, layout.footer_rule)
    canv.restoreState()
    draw_text(canv, left, layout.footer_text, _("生成时间：%(time)s（北京时间）", time=generated), 8)
    draw_text(canv, right, layout.footer_text,
              _("第 %(page)d 页 / 共 %(total)d 页", page=page, total=total), 8, align="right")


class _NumberedCanvas(rl_canvas.Canvas):
    """Defers page decoration to save(), when the number of pages is known."""

    def __init__(self, *args, decorate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._decorate_page = decorate

    def showPage(self):  # noqa: N802 (reportlab API)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            if self._decorate_page is not None:
                self._decorate_page(self, self._pageNumber, total)
            super().showPage()
        super().save()


def build(story: list[Flowable], title: str, *, subject: str = "", header_title: str | None = None,
          now: datetime | None = None, layout: Layout = PORTRAIT) -> bytes:
    """Lay out `story` on A4 pages with header and footer; the PDF as bytes.

    `title` goes into the PDF metadata (and the header unless `header_title` is given);
    `now` (UTC) is the generation time shown in the footer; `layout` is PORTRAIT or
    LANDSCAPE.
    """
    fonts = register_fonts()
    styles()
    if now is None:
        from app.core.db import utcnow

        now = utcnow()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=layout.page, leftMargin=layout.margin_x, rightMargin=layout.margin_x,
        topMargin=layout.margin_top, bottomMargin=layout.margin_bottom, title=clean(title), author=AUTHOR, subject=clean(subject),
        creator=PLATFORM_NAME, producer=AUTHOR, lang="zh-CN", initialFontName=fonts.cjk,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    decorate = partial(_decorate, doc_title=header_title if header_title is not None else title,
                       generated=local_time(now), layout=layout)
    doc.build(story, canvasmaker=partial(_NumberedCanvas, decorate=decorate))
    return buffer.getvalue()

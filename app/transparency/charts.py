"""Charts as inline SVG, built on the server (no chart library, no script): horizontal bar
charts, stacked horizontal bars with a legend, and a three-column flow diagram (Sankey-like).

Each chart is an ``<svg role="img" aria-labelledby="…">`` with a <title> and a <desc>; the
page puts an accessible table right behind it (the same figures). Labels sit above their
bar so long Chinese names fit a phone's width; values are printed at the end of each bar.
Only SVG presentation attributes are used (the CSP allows no inline style). Lengths are
proportional to the values; all-zero data draws empty bars, never NaN.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from app.core.money import format_fen

# Colours with at least 4.5:1 against white (text and bars) and told apart by colour-blind
# readers (blue / orange; the flow's fund kinds differ in lightness too).
INK = "#212529"
MUTED = "#495057"
GRID = "#dee2e6"
BAR = "#1d4ed8"
MEETING = "#1d4ed8"
BELOW = "#c2410c"
PALETTE = ("#1d4ed8", "#c2410c", "#047857", "#7e22ce", "#a16207", "#be123c", "#0e7490", "#4d7c0f")
FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"

WIDTH = 400             # bar charts' viewBox width (scaled to the column by CSS, ≤ 480 px)
FLOW_WIDTH = 880        # the flow diagram's
SIZE = 15               # label font size (px of the viewBox)
SMALL = 13


def text_width(text: str, size: float = SIZE) -> float:
    """Rough rendered width: CJK and full-width characters one em, the rest about half."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.58 for ch in text)


def fit(text: str, width: float, size: float = SIZE) -> str:
    """The text, cut with "…" to fit ``width``."""
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def _num(value: float) -> str:
    """A coordinate: two decimals at most, never NaN or "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(**attrs) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        name = name.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = _num(value)
        parts.append(f"{name}={quoteattr(str(value))}")
    return " ".join(parts)


def _el(tag: str, body: str = "", **attrs) -> str:
    a = _attrs(**attrs)
    return f"<{tag} {a}>{body}</{tag}>" if a else f"<{tag}>{body}</{tag}>"


def _text(x: float, y: float, text: str, *, size: float = SIZE, fill: str = INK, anchor: str = "start",
          weight: str | None = None, full: str | None = None, halo: bool = False, cls: str | None = None) -> str:
    """A text element; ``full`` (the uncut text) becomes its tooltip."""
    body = escape(text) + (_el("title", escape(full)) if full and full != text else "")
    extra = {"paint_order": "stroke", "stroke": "#ffffff", "stroke_width": 3, "stroke_linejoin": "round"} \
        if halo else {}
    return _el("text", body, x=float(x), y=float(y), font_size=size, fill=fill, text_anchor=anchor,
               font_weight=weight, class_=cls, **extra)


def _svg(chart_id: str, title: str, desc: str, width: float, height: float, body: str, cls: str) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" {_attrs(id=chart_id, class_=cls, role="img")} '
            f'aria-labelledby="{escape(chart_id)}-title" aria-describedby="{escape(chart_id)}-desc" '
            f'{_attrs(viewBox=f"0 0 {_num(width)} {_num(height)}", width=float(width), height=float(height))} '
            f'font-family="{escape(FONT)}">')
    return Markup(head + _el("title", escape(title), id=f"{chart_id}-title")
                  + _el("desc", escape(desc), id=f"{chart_id}-desc") + body + "</svg>")


# --------------------------------------------------------------------------- bar charts

@dataclass
class Bar:
    label: str
    value: int
    text: str           # the value as printed at the end of the bar


ROW = 48                # label line + bar
BAR_H = 19
TOP = 8


def bar_chart(rows: Sequence[Bar], *, chart_id: str, title: str, desc: str, colour: str = BAR,
              width: int = WIDTH) -> Markup:
    """One horizontal bar per row, its label above it and its value at its end; bar length
    proportional to the value (the largest fills the room left by the longest value)."""
    top = max((r.value for r in rows), default=0)
    room = width - max((text_width(r.text, SMALL) for r in rows), default=0) - 12
    room = max(room, width * 0.4)
    parts = [_el("line", x1=0.0, y1=float(TOP), x2=0.0, y2=float(TOP + ROW * len(rows)), stroke=GRID)]
    for i, r in enumerate(rows):
        y = TOP + i * ROW
        length = room * r.value / top if top > 0 and r.value > 0 else 0.0
        parts.append(_text(2, y + 15, fit(r.label, width - 4), full=r.label))
        parts.append(_el("rect", _el("title", escape(f"{r.label}：{r.text}")), x=0.0, y=float(y + 22),
                         width=float(length), height=float(BAR_H), fill=colour, class_="bar",
                         data_value=str(r.value)))
        parts.append(_text(length + 6, y + 22 + 14, r.text, size=SMALL, fill=MUTED))
    height = TOP * 2 + ROW * len(rows)
    return _svg(chart_id, title, desc, width, height, "".join(parts), "stats-chart")


@dataclass
class Stack:
    label: str
    values: Sequence[int]
    text: str           # printed after the bar (e.g. the total)


def stacked_chart(rows: Sequence[Stack], series: Sequence[tuple[str, str]], *, chart_id: str, title: str,
                  desc: str, width: int = WIDTH, segment_text: Callable[[int], str] = str) -> Markup:
    """One bar per row made of one segment per series (name, colour), with a legend on top;
    each segment's value is printed inside it when it fits."""
    legend_h = 28
    top = max((sum(r.values) for r in rows), default=0)
    room = max(width - max((text_width(r.text, SMALL) for r in rows), default=0) - 12, width * 0.4)
    parts = []
    x = 0.0
    for name, colour in series:
        parts.append(_el("rect", x=x, y=4.0, width=14.0, height=14.0, fill=colour))
        parts.append(_text(x + 20, 16, name, size=SMALL))
        x += 20 + text_width(name, SMALL) + 18
    for i, r in enumerate(rows):
        y = legend_h + TOP + i * ROW
        parts.append(_text(2, y + 15, fit(r.label, width - 4), full=r.label))
        start = 0.0
        for (name, colour), value in zip(series, r.values):
            length = room * value / top if top > 0 and value > 0 else 0.0
            parts.append(_el("rect", _el("title", escape(f"{r.label} · {name}：{segment_text(value)}")), x=start,
                             y=float(y + 22), width=length, height=float(BAR_H), fill=colour, class_="segment",
                             data_value=str(value)))
            label = segment_text(value)
            if value and text_width(label, SMALL) + 6 <= length:
                parts.append(_text(start + length / 2, y + 22 + 14, label, size=SMALL, fill="#ffffff",
                                   anchor="middle"))
            start += length
        parts.append(_text(start + 6, y + 22 + 14, r.text, size=SMALL, fill=MUTED))
    height = legend_h + TOP * 2 + ROW * len(rows)
    return _svg(chart_id, title, desc, width, height, "".join(parts), "stats-chart")


# --------------------------------------------------------------------------- flow diagram

@dataclass
class Node:
    key: str
    label: str
    value: int
    text: str
    column: int
    colour: str = BAR


@dataclass
class Link:
    source: str
    target: str
    value: int
    colour: str = BAR


MAX_PROJECTS = 12
FLOW_SCALE = 360.0       # px for the biggest column's total
SLOT = 34                # minimum room per node (two lines of label)
GAP = 8
NODE_W = 14


def group_small_projects(flow: dict, other_label: Callable[[int], str], limit: int = MAX_PROJECTS
                         ) -> tuple[list[dict], list[dict]]:
    """(projects, links) of a money_flow() dict with all but the ``limit`` biggest projects
    folded into one "other" node ("project:other"), its links summed per call."""
    projects = sorted((p for p in flow["projects"] if p["amount_fen"] > 0),
                      key=lambda p: (-p["amount_fen"], p["id"]))
    if len(projects) <= limit:
        return projects, list(flow["links"])
    keep, rest = projects[:limit - 1], projects[limit - 1:]
    rest_ids = {f"project:{p['id']}" for p in rest}
    links, other = [], {}
    for link in flow["links"]:
        if link["target"] in rest_ids:
            other[link["source"]] = other.get(link["source"], 0) + link["amount_fen"]
        else:
            links.append(link)
    label = other_label(len(rest))
    keep.append({"id": "other", "number": "", "title": label, "organization": "",
                 "amount_fen": sum(p["amount_fen"] for p in rest), "paid_fen": sum(p["paid_fen"] for p in rest),
                 "count": len(rest)})
    links += [{"source": s, "target": "project:other", "amount_fen": v} for s, v in other.items()]
    return keep, links


def flow_chart(nodes: Sequence[Node], links: Sequence[Link], *, chart_id: str, title: str, desc: str,
               heads: Sequence[str], value_text: Callable[[int], str] = format_fen,
               width: int = FLOW_WIDTH) -> Markup:
    """Three columns of nodes (rectangles, height ∝ amount) joined by bands (cubic Béziers,
    thickness ∝ amount). Column 0 labels sit left of their nodes, the others right."""
    columns: list[list[Node]] = [[n for n in nodes if n.column == c] for c in range(3)]
    totals = [sum(n.value for n in col) for col in columns]
    biggest = max(totals, default=0)
    scale = FLOW_SCALE / biggest if biggest > 0 else 0.0
    left = 190.0
    xs = [left, (width - NODE_W) / 2 - 40, width - 210.0]
    pos: dict[str, tuple[float, float, float]] = {}   # key → (x, y, height)
    height = 0.0
    for c, col in enumerate(columns):
        y = 24.0
        for n in col:
            h = n.value * scale
            slot = max(h, SLOT)
            pos[n.key] = (xs[c], y + (slot - h) / 2, h)
            y += slot + GAP
        height = max(height, y)
    height = max(height + 8, 80.0)
    parts = []
    for c, head in enumerate(heads):
        anchor = "end" if c == 0 else "start"
        parts.append(_text(xs[c] + (NODE_W if c == 0 else 0), 14, head, size=SMALL, fill=MUTED, anchor=anchor,
                           weight="bold", cls=f"flow-head-{c}"))
    out_off = {k: 0.0 for k in pos}
    in_off = {k: 0.0 for k in pos}
    by_key = {n.key: n for n in nodes}
    for link in links:
        if link.source not in pos or link.target not in pos or link.value <= 0:
            continue
        sx, sy, _sh = pos[link.source]
        tx, ty, _th = pos[link.target]
        t = link.value * scale
        y0 = sy + out_off[link.source]
        y1 = ty + in_off[link.target]
        out_off[link.source] += t
        in_off[link.target] += t
        x0, x1 = sx + NODE_W, tx
        xm = (x0 + x1) / 2
        d = (f"M{_num(x0)},{_num(y0)} C{_num(xm)},{_num(y0)} {_num(xm)},{_num(y1)} {_num(x1)},{_num(y1)} "
             f"L{_num(x1)},{_num(y1 + t)} C{_num(xm)},{_num(y1 + t)} {_num(xm)},{_num(y0 + t)} "
             f"{_num(x0)},{_num(y0 + t)} Z")
        label = f"{by_key[link.source].label} → {by_key[link.target].label}：{value_text(link.value)}"
        parts.append(_el("path", _el("title", escape(label)),
                         d=d, fill=link.colour, fill_opacity="0.35", class_="link", data_value=str(link.value)))
    for n in nodes:
        x, y, h = pos[n.key]
        parts.append(_el("rect", _el("title", escape(f"{n.label}：{n.text}")), x=x, y=y, width=float(NODE_W),
                         height=max(h, 1.0) if n.value > 0 else 0.0, fill=n.colour, class_="node",
                         data_value=str(n.value)))
        mid = y + h / 2
        if n.column == 0:
            lx, anchor, room = x - 6, "end", left - 12
        else:
            lx, anchor = x + NODE_W + 6, "start"
            room = (xs[2] - xs[1] - NODE_W - 16) if n.column == 1 else (width - xs[2] - NODE_W - 8)
        parts.append(_text(lx, mid - 2, fit(n.label, room, SMALL), size=SMALL, anchor=anchor, full=n.label,
                           halo=True))
        parts.append(_text(lx, mid + 13, n.text, size=SMALL - 1, fill=MUTED, anchor=anchor, halo=True))
    return _svg(chart_id, title, desc, width, height, "".join(parts), "stats-flow")

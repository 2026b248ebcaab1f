"""SVG charts (app.transparency.charts): well-formed, accessible, one bar per row, lengths
proportional to the values, nothing undefined on all-zero data."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from app.transparency import charts

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def _accessible(root: ET.Element, chart_id: str, title: str) -> None:
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title"
    assert root.get("aria-describedby") == f"{chart_id}-desc"
    assert root.find("s:title", NS).text == title
    assert root.find("s:title", NS).get("id") == f"{chart_id}-title"
    assert root.find("s:desc", NS).get("id") == f"{chart_id}-desc"
    assert root.find("s:desc", NS).text


def _bars(root: ET.Element, cls: str = "bar") -> list[ET.Element]:
    return [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == cls]


def test_bar_chart_is_accessible_with_one_bar_per_row_proportional():
    rows = [charts.Bar("生活服务类", 7_000_000, "¥70,000.00（2 项）"), charts.Bar("公益慈善类", 3_500_000, "¥35,000.00（1 项）"),
            charts.Bar("居民互助类", 0, "¥0.00（0 项）")]
    root = _parse(charts.bar_chart(rows, chart_id="c1", title="按类别", desc="说明"))
    _accessible(root, "c1", "按类别")
    bars = _bars(root)
    assert len(bars) == 3
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] > 0 and abs(widths[0] / widths[1] - 2.0) < 0.01
    assert widths[2] == 0
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "生活服务类" in texts and "¥70,000.00（2 项）" in texts
    # every bar has a tooltip naming the row and its value
    assert bars[1].find("s:title", NS).text == "公益慈善类：¥35,000.00（1 项）"


def test_all_zero_and_empty_data_draw_no_nan():
    for rows in ([charts.Bar("甲", 0, "0"), charts.Bar("乙", 0, "0")], []):
        markup = str(charts.bar_chart(rows, chart_id="z", title="空", desc="空"))
        root = _parse(markup)
        assert "NaN" not in markup and "inf" not in markup.lower()
        assert all(float(b.get("width")) == 0 for b in _bars(root))
    stacked = str(charts.stacked_chart([charts.Stack("一区", (0, 0), "0 个社区")], [("达标", "#000"), ("未达标", "#111")],
                                       chart_id="s", title="t", desc="d"))
    assert "NaN" not in stacked
    flow = str(charts.flow_chart([charts.Node("fund:1", "资金", 0, "¥0.00", 0)], [], chart_id="f", title="t", desc="d",
                                 heads=("a", "b", "c")))
    assert "NaN" not in flow
    _parse(flow)


def test_long_labels_are_cut_with_the_full_text_as_tooltip():
    label = "服刑/强制戒毒人员未成年子女以及其他需要特别关爱的服务对象群体" * 2
    root = _parse(charts.bar_chart([charts.Bar(label, 5, "5")], chart_id="l", title="t", desc="d"))
    text = next(t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.find("s:title", NS) is not None)
    assert text.text.endswith("…") and len(text.text) < len(label)
    assert text.find("s:title", NS).text == label


def test_labels_are_escaped():
    root = _parse(charts.bar_chart([charts.Bar('<b>"甲"&乙</b>', 1, "1")], chart_id="e", title="<t>", desc="&"))
    assert root.find("s:title", NS).text == "<t>"
    assert any("".join(t.itertext()).startswith('<b>"甲"&乙') for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_stacked_chart_segments_and_legend():
    rows = [charts.Stack("一区", (1, 3), "4 个社区"), charts.Stack("二县", (2, 0), "2 个社区")]
    root = _parse(charts.stacked_chart(rows, [("达标社区", charts.MEETING), ("未达标社区", charts.BELOW)],
                                       chart_id="cov", title="达标情况", desc="说明"))
    _accessible(root, "cov", "达标情况")
    segments = _bars(root, "segment")
    assert len(segments) == 4                                  # two series × two rows
    w = [float(s.get("width")) for s in segments]
    assert abs(w[1] / w[0] - 3.0) < 0.01                       # 一区: 3 below vs 1 meeting
    assert abs((w[0] + w[1]) / w[2] - 2.0) < 0.01              # 一区's whole bar is twice 二县's
    assert w[3] == 0
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "达标社区" in texts and "未达标社区" in texts        # the legend


def test_flow_chart_nodes_and_bands_are_proportional():
    nodes = [charts.Node("fund:1", "福彩公益金", 300, "¥3.00", 0), charts.Node("call:1", "公益创投", 300, "¥3.00", 1),
             charts.Node("project:1", "项目甲", 200, "¥2.00", 2), charts.Node("project:2", "项目乙", 100, "¥1.00", 2)]
    links = [charts.Link("fund:1", "call:1", 300), charts.Link("call:1", "project:1", 200),
             charts.Link("call:1", "project:2", 100)]
    root = _parse(charts.flow_chart(nodes, links, chart_id="flow", title="资金流向", desc="说明",
                                    heads=("资金来源", "征集", "项目")))
    _accessible(root, "flow", "资金流向")
    rects = {r.find("s:title", NS).text.split("：")[0]: float(r.get("height")) for r in _bars(root, "node")}
    assert abs(rects["项目甲"] / rects["项目乙"] - 2.0) < 0.01
    assert abs(rects["福彩公益金"] - rects["项目甲"] - rects["项目乙"]) < 0.01
    paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("class") == "link"]
    assert len(paths) == 3
    assert paths[1].find("s:title", NS).text == "公益创投 → 项目甲：¥2.00"


def test_group_small_projects_folds_the_rest_into_one_node():
    flow = {"projects": [{"id": i, "number": f"N{i}", "title": f"项目{i}", "organization": "", "amount_fen": 100 * i,
                          "paid_fen": 0, "call_id": 1 if i % 2 else 2} for i in range(1, 16)],
            "links": [{"source": f"call:{1 if i % 2 else 2}", "target": f"project:{i}", "amount_fen": 100 * i}
                      for i in range(1, 16)]}
    projects, links = charts.group_small_projects(flow, lambda n: f"其他 {n} 个项目", limit=5)
    assert [p["id"] for p in projects] == [15, 14, 13, 12, "other"]
    other = projects[-1]
    assert other["title"] == "其他 11 个项目" and other["amount_fen"] == 100 * sum(range(1, 12))
    to_other = {k["source"]: k["amount_fen"] for k in links if k["target"] == "project:other"}
    assert to_other == {"call:1": 100 * sum(range(1, 12, 2)), "call:2": 100 * sum(range(2, 12, 2))}
    assert sum(k["amount_fen"] for k in links) == sum(k["amount_fen"] for k in flow["links"])
    few, same = charts.group_small_projects({"projects": flow["projects"][:3], "links": flow["links"][:3]},
                                            lambda n: "x", limit=5)
    assert len(few) == 3 and len(same) == 3

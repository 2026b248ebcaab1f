"""Public statistics (issue 6 §3): the service against hand counts (see stats_fixtures for the
data and every figure), the pages and CSVs showing those numbers, filters that never fail,
constant query counts and no private field on a public page."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest

from app.transparency import statistics as st
from tests.factories import make_assignment, make_expert, make_panel, make_sheet
from tests.transparency import stats_fixtures as sf


@pytest.fixture
def data(db):
    return sf.build()


def _rows(rows: list[dict], *keys: str) -> list[tuple]:
    return [tuple(r[k] for k in keys) for r in rows]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _text(response) -> str:
    """The page's visible text with whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --------------------------------------------------------------------------- coverage service

def test_coverage_totals_by_hand(data):
    cov = st.organization_coverage()
    assert cov["targets"] == {"urban": 10, "rural": 5}
    assert cov["totals"] == {"communities": 6, "urban": 4, "rural": 2, "organizations": 40, "meeting_target": 3,
                             "below_target": 3, "average_per_community": 6.7, "meeting_share": 50.0}
    c1, c2 = data.counties
    assert _rows(cov["regions"], "id", "name", "communities", "organizations", "meeting_target", "below_target") == [
        (c1.id, "一区", 4, 18, 1, 3), (c2.id, "二县", 2, 22, 2, 0)]


def test_coverage_lists_communities_below_target_with_zero_organizations(data):
    below = st.organization_coverage()["below_target"]
    assert _rows(below, "name", "kind", "street", "county", "organizations", "target", "gap") == [
        ("甲社区", "urban", "一街道", "一区", 0, 10, 10),
        ("乙村", "rural", "一街道", "一区", 4, 5, 1),
        ("丁社区", "urban", "二街道", "一区", 9, 10, 1),
    ]
    assert below[0]["id"] == data.communities["甲社区"].id
    assert below[0]["code"] == data.communities["甲社区"].code


def test_coverage_of_one_county_is_by_street(data):
    c1, c2 = data.counties
    cov = st.organization_coverage(c1.id)
    assert cov["county"]["name"] == "一区"
    assert cov["totals"] == {"communities": 4, "urban": 2, "rural": 2, "organizations": 18, "meeting_target": 1,
                             "below_target": 3, "average_per_community": 4.5, "meeting_share": 25.0}
    assert _rows(cov["regions"], "name", "communities", "organizations", "meeting_target", "below_target") == [
        ("一街道", 2, 4, 0, 2), ("二街道", 2, 14, 1, 1)]
    assert len(cov["below_target"]) == 3
    cov2 = st.organization_coverage(c2.id)
    assert cov2["below_target"] == []
    assert cov2["totals"]["meeting_share"] == 100.0


def test_coverage_of_something_not_a_county_is_empty(data):
    for bad in (data.streets[0].id, data.communities["甲社区"].id, 2**31 - 1, 2**40, -3, 0):
        cov = st.organization_coverage(bad)
        assert cov["totals"]["communities"] == 0 and cov["regions"] == [] and cov["below_target"] == []
        assert cov["totals"]["average_per_community"] is None and cov["totals"]["meeting_share"] is None


def test_below_target_groups_by_county_and_street(data):
    groups = st.below_target_groups(st.organization_coverage())
    assert [(g["county"], g["communities"], g["gap"]) for g in groups] == [("一区", 3, 12)]
    assert [(s["street"], [r["name"] for r in s["rows"]]) for s in groups[0]["streets"]] == [
        ("一街道", ["甲社区", "乙村"]), ("二街道", ["丁社区"])]


# --------------------------------------------------------------------------- awards service

def test_award_breakdown_by_hand(data):
    b = st.award_breakdown()
    assert b["total"] == {"awards": 4, "amount_fen": 11_000_000}
    assert _rows(b["by_category"], "key", "awards", "amount_fen") == [
        ("life_service", 2, 7_000_000), ("charity", 1, 3_000_000), ("mutual_aid", 0, 0),
        ("culture_sports", 1, 1_000_000), ("rural_tech", 0, 0)]
    assert b["by_category"][0]["label"] == "生活服务类"
    targets = {r["key"]: (r["awards"], r["amount_fen"]) for r in b["by_target"]}
    assert targets["elderly"] == (2, 7_000_000)
    assert targets["disabled"] == (1, 5_000_000)
    assert targets["children"] == (1, 3_000_000)
    assert targets["none"] == (1, 1_000_000)
    assert sum(n for n, _f in targets.values()) == 5       # A1 counts twice (two targets)
    assert targets["women"] == (0, 0)
    assert _rows(b["by_region"], "key", "label", "awards", "amount_fen") == [
        (data.counties[0].code, "一区", 2, 4_000_000), (data.counties[1].code, "二县", 2, 7_000_000)]
    assert _rows(b["by_year"], "key", "awards", "amount_fen") == [("2025", 1, 5_000_000), ("2026", 3, 6_000_000)]


def test_award_year_is_the_beijing_year(data):
    # A2 was decided 2025-12-31 16:30 UTC, i.e. 2026-01-01 00:30 in Beijing.
    assert st.award_breakdown(year=2026)["total"] == {"awards": 3, "amount_fen": 6_000_000}
    assert st.award_breakdown(year=2025)["total"] == {"awards": 1, "amount_fen": 5_000_000}
    assert st.award_breakdown(year=2024)["total"] == {"awards": 0, "amount_fen": 0}


def test_award_filters_by_funder_and_kind(data):
    f1, f2 = data.funders
    assert st.award_breakdown(funder_id=f1.id)["total"] == {"awards": 3, "amount_fen": 9_000_000}
    assert st.award_breakdown(funder_id=f2.id)["total"] == {"awards": 1, "amount_fen": 2_000_000}
    assert st.award_breakdown(kind="purchase")["total"] == {"awards": 1, "amount_fen": 3_000_000}
    both = st.award_breakdown(year=2026, funder_id=f1.id, kind="venture")
    assert both["total"] == {"awards": 1, "amount_fen": 1_000_000}
    assert _rows(both["by_category"], "key", "awards")[3] == ("culture_sports", 1)
    with pytest.raises(ValueError):
        st.award_breakdown(kind="lottery")


def test_award_choices(data):
    choices = st.award_choices()
    assert choices.years == [2026, 2025]
    assert sorted(i for i, _n in choices.funders) == sorted(f.id for f in data.funders)
    assert [k for k, _l in choices.kinds] == ["venture", "purchase"]


# --------------------------------------------------------------------------- money service

def test_money_flow_by_hand(data):
    flow = st.money_flow()
    assert flow["totals"] == {"appropriated_fen": 130_000_000, "donations_fen": 0, "allocated_fen": 15_000_000,
                              "committed_fen": 8_500_000, "paid_fen": 2_500_000, "refunded_fen": 0,
                              "available_fen": 115_000_000, "projects_fen": 11_000_000}
    w, g, d = data.funds["W"], data.funds["G"], data.funds["D"]
    funds = {f["id"]: (f["amount_fen"], f["allocated_fen"], f["paid_fen"], f["available_fen"]) for f in flow["funds"]}
    assert funds == {w.id: (100_000_000, 13_000_000, 2_500_000, 87_000_000), g.id: (20_000_000, 0, 0, 20_000_000),
                     d.id: (10_000_000, 2_000_000, 0, 8_000_000)}
    k1, k2, k3 = (data.calls[k] for k in ("K1", "K2", "K3"))
    assert _rows(flow["calls"], "id", "amount_fen") == [(k1.id, 8_000_000), (k2.id, 5_000_000), (k3.id, 2_000_000)]
    a = data.awards
    assert {p["id"]: (p["amount_fen"], p["paid_fen"]) for p in flow["projects"]} == {
        a["A1"].id: (5_000_000, 2_500_000), a["A2"].id: (3_000_000, 0), a["A3"].id: (2_000_000, 0),
        a["A4"].id: (1_000_000, 0)}
    assert sorted(_rows(flow["links"], "source", "target", "amount_fen")) == sorted([
        (f"fund:{w.id}", f"call:{k1.id}", 8_000_000), (f"fund:{w.id}", f"call:{k2.id}", 5_000_000),
        (f"fund:{d.id}", f"call:{k3.id}", 2_000_000),
        (f"call:{k1.id}", f"project:{a['A1'].id}", 5_000_000), (f"call:{k1.id}", f"project:{a['A4'].id}", 1_000_000),
        (f"call:{k2.id}", f"project:{a['A2'].id}", 3_000_000), (f"call:{k3.id}", f"project:{a['A3'].id}", 2_000_000)])


def test_money_flow_equals_reconciliation(data):
    from app.money.reconciliation import fund_totals

    funds = list(data.funds.values())
    row = fund_totals(funds)
    totals = st.money_flow()["totals"]
    assert (totals["appropriated_fen"], totals["allocated_fen"], totals["committed_fen"], totals["paid_fen"],
            totals["available_fen"]) == (row.appropriated, row.allocated, row.committed, row.paid, row.available)


def test_money_flow_filters(data):
    f1 = data.funders[0]
    by_funder = st.money_flow(funder_id=f1.id)["totals"]
    assert (by_funder["appropriated_fen"], by_funder["allocated_fen"], by_funder["committed_fen"],
            by_funder["paid_fen"], by_funder["available_fen"]) == (120_000_000, 13_000_000, 6_500_000, 2_500_000,
                                                                   107_000_000)
    assert st.money_flow(year=2026)["totals"]["available_fen"] == 95_000_000
    y2025 = st.money_flow(year=2025)
    assert y2025["totals"]["appropriated_fen"] == 20_000_000
    assert y2025["links"] == [] and y2025["calls"] == [] and y2025["projects"] == []
    empty = st.money_flow(year=2030)
    assert empty["funds"] == [] and empty["totals"]["available_fen"] == 0
    assert st.money_choices().years == [2026, 2025]


# --------------------------------------------------------------------------- pages

def test_overview_page(client, data):
    response = client.get("/statistics/")
    assert response.status_code == 200
    text = _text(response)
    assert "首页 信息公开 统计数据" in text
    assert "¥110,000.00" in text                 # awarded in total
    assert "¥1,300,000.00" in text               # appropriated + donations
    assert "达标率 50.0%" in text
    for url in ("/statistics/organizations", "/statistics/awards", "/statistics/money"):
        assert f'href="{url}"' in response.get_data(as_text=True)


def test_organizations_page_shows_hand_counts(client, data):
    response = client.get("/statistics/organizations")
    assert response.status_code == 200
    html, text = response.get_data(as_text=True), _text(response)
    assert "社区总数 6" in text and "社会组织 40" in text and "平均每个社区 6.7" in text
    assert "达标社区 3" in text and "未达标社区 3" in text and "达标率 50.0%" in text
    assert "一区 T" in text and "4 18 1 3 25.0%" in text and "2 22 2 0 100.0%" in text
    assert "未达标社区（3 个）" in text
    assert "甲社区" in text and "丁社区" in text and "戊社区" not in text.split("未达标社区（3 个）")[1]
    assert 'role="img"' in html and 'stats.css' in html


def test_organizations_page_filtered_by_county(client, data):
    c1, c2 = data.counties
    text = _text(client.get("/statistics/organizations", query_string={"county": c1.id}))
    assert "一区各街道/乡镇社区社会组织达标情况" in text and "一街道" in text and "2 4 0 2 0.0%" in text
    text2 = _text(client.get("/statistics/organizations", query_string={"county": c2.id}))
    assert "所有社区都已达到目标" in text2


@pytest.mark.parametrize("value", ["abc", "-1", "99999999", "1e9", "１", "0", "9" * 30, "%00", "<script>"])
def test_bad_county_gives_the_unfiltered_page(client, data, value):
    response = client.get("/statistics/organizations", query_string={"county": value})
    assert response.status_code == 200
    text = _text(response)
    assert "社区总数 6" in text
    assert "已显示全部地区的数据" in text
    assert 'value="<script>"' not in response.get_data(as_text=True)
    assert _csv(client.get("/statistics/organizations.csv", query_string={"county": value}))[-1][2] == "6"


def test_street_id_as_county_is_refused_politely(client, data):
    text = _text(client.get("/statistics/organizations", query_string={"county": data.streets[0].id}))
    assert "没有这个县/市/区" in text and "社区总数 6" in text


def test_organizations_csv_equals_the_table(client, data):
    rows = _csv(client.get("/statistics/organizations.csv"))
    c1, c2 = data.counties
    assert rows == [["县/市/区", "区划代码", "社区数", "社会组织数", "达标社区", "未达标社区", "达标率(%)"],
                    ["一区", c1.code, "4", "18", "1", "3", "25.0"],
                    ["二县", c2.code, "2", "22", "2", "0", "100.0"],
                    ["合计", "", "6", "40", "3", "3", "50.0"]]
    below = _csv(client.get("/statistics/organizations-below-target.csv"))
    assert below[0] == ["县/市/区", "街道/乡镇", "社区/村", "区划代码", "类型", "社会组织数", "目标", "差距"]
    assert [(r[2], r[4], r[5], r[6], r[7]) for r in below[1:]] == [
        ("甲社区", "城市社区", "0", "10", "10"), ("乙村", "农村社区", "4", "5", "1"), ("丁社区", "城市社区", "9", "10", "1")]
    by_street = _csv(client.get("/statistics/organizations.csv", query_string={"county": c1.id}))
    assert [r[0] for r in by_street[1:]] == ["一街道", "二街道", "合计"]


def test_awards_page_shows_hand_counts(client, data):
    response = client.get("/statistics/awards")
    assert response.status_code == 200
    text = _text(response)
    assert "立项项目 4" in text and "资助金额 ¥110,000.00" in text
    assert "生活服务类 2 ¥70,000.00" in text
    assert "残疾人 1 ¥50,000.00" in text and "未填写服务对象 1 ¥10,000.00" in text
    assert "一区 2 ¥40,000.00" in text and "二县 2 ¥70,000.00" in text
    assert "2025 1 ¥50,000.00" in text and "2026 3 ¥60,000.00" in text
    assert "合计 4 ¥110,000.00" in text
    assert "在每类对象下各计一次" in text     # the target caption says awards count per target
    html = response.get_data(as_text=True)
    assert html.count('role="img"') == 4


def test_awards_page_filters(client, data):
    f1 = data.funders[0]
    text = _text(client.get("/statistics/awards", query_string={"year": 2026, "funder": f1.id, "kind": "venture"}))
    assert "立项项目 1" in text and "资助金额 ¥10,000.00" in text
    text = _text(client.get("/statistics/awards", query_string={"kind": "purchase"}))
    assert "立项项目 1" in text and "资助金额 ¥30,000.00" in text


@pytest.mark.parametrize("args", [{"year": "abc"}, {"year": "-2026"}, {"year": "1999"}, {"year": "99999999999"},
                                  {"funder": "x"}, {"funder": "2147483648"}, {"funder": "999999"},
                                  {"kind": "lottery"}, {"kind": "'; drop table award; --"}, {"year": "２０２６"}])
def test_bad_award_filters_give_the_unfiltered_page(client, data, args):
    response = client.get("/statistics/awards", query_string=args)
    assert response.status_code == 200
    text = _text(response)
    assert "立项项目 4" in text and "已显示全部" in text
    assert _csv(client.get("/statistics/awards.csv", query_string=args))


def test_awards_csv_equals_the_tables(client, data):
    rows = _csv(client.get("/statistics/awards.csv"))
    assert rows[0][0].startswith("按承接组织类别统计")
    assert rows[1] == ["组织类别", "立项数", "资助金额(元)"]
    assert rows[2] == ["生活服务类", "2", "70000.00"]
    assert ["合计", "4", "110000.00"] in rows
    assert ["残疾人", "1", "50000.00"] in rows and ["未填写服务对象", "1", "10000.00"] in rows
    assert ["一区", "2", "40000.00"] in rows and ["2026", "3", "60000.00"] in rows
    filtered = _csv(client.get("/statistics/awards.csv", query_string={"kind": "purchase"}))
    assert ["合计", "1", "30000.00"] in filtered


def test_money_page_shows_hand_counts(client, data):
    response = client.get("/statistics/money")
    assert response.status_code == 200
    text = _text(response)
    for label, amount in (("拨入", "¥1,300,000.00"), ("分配至征集", "¥150,000.00"), ("承诺待付", "¥85,000.00"),
                          ("已支付", "¥25,000.00"), ("可用余额", "¥1,150,000.00")):
        assert f"{label} {amount}" in text
    assert "一区福彩公益金 一区公益创投 分配至征集 ¥80,000.00" in text
    assert "长者助餐与康复项目" in text and "¥50,000.00 ¥25,000.00" in text
    assert 'id="chart-money-flow"' in response.get_data(as_text=True)


def test_money_page_filters_and_empty_state(client, data):
    text = _text(client.get("/statistics/money", query_string={"funder": data.funders[0].id}))
    assert "可用余额 ¥1,070,000.00" in text
    text = _text(client.get("/statistics/money", query_string={"year": 2025}))
    assert "这些资金还没有分配到任何征集" in text and "拨入 ¥200,000.00" in text
    response = client.get("/statistics/money", query_string={"year": "2030"})
    assert response.status_code == 200 and "已显示全部年度" in _text(response)


def test_money_csv_equals_the_table_and_neutralises_formulas(client, data):
    rows = _csv(client.get("/statistics/money.csv"))
    assert rows[0] == ["资金来源", "征集", "立项编号", "项目", "承接组织", "金额(元)", "已支付(元)"]
    assert ["一区福彩公益金", "一区公益创投", "", "分配至征集", "", "80000.00", ""] in rows
    a1 = data.awards["A1"]
    assert ["一区福彩公益金", "一区公益创投", a1.number, "长者助餐与康复项目", a1.organization.name, "50000.00",
            "25000.00"] in rows
    assert any(r[3] == "'=长者探访" for r in rows)          # a title starting with "=" is not a formula
    assert len(rows) == 1 + 3 + 4


def test_empty_database_pages(client, db):
    for url in ("/statistics/", "/statistics/organizations", "/statistics/awards", "/statistics/money",
                "/statistics/organizations.csv", "/statistics/organizations-below-target.csv",
                "/statistics/awards.csv", "/statistics/money.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"NaN" not in response.data, url
    assert "暂无立项项目" in _text(client.get("/statistics/awards"))
    assert "暂无资金记录" in _text(client.get("/statistics/money"))


def test_charts_on_pages_are_well_formed_svg(client, data):
    for url in ("/statistics/organizations", "/statistics/awards", "/statistics/money"):
        html = client.get(url).get_data(as_text=True)
        svgs = re.findall(r"<svg xmlns=.*?</svg>", html, flags=re.S)
        assert svgs, url
        for svg in svgs:
            root = ET.fromstring(svg)
            assert root.get("role") == "img"
            assert root.find("{http://www.w3.org/2000/svg}title").text


def test_public_pages_expose_no_private_field(client, data):
    org = data.orgs["戊社区"][0]
    org.contact_phone, org.contact_email = "13912345678", "private-org@example.cn"
    application = data.awards["A1"].application
    application.leader_phone = "13700001111"
    expert = make_expert()
    panel = make_panel(data.calls["K1"], reviewers=[expert])
    make_sheet(make_assignment(panel, application, expert), submitted=True, comment="专家个人评分意见QZ7")
    from app.extensions import db
    db.session.flush()
    for url in ("/statistics/", "/statistics/organizations", "/statistics/awards", "/statistics/money",
                "/statistics/organizations.csv", "/statistics/organizations-below-target.csv",
                "/statistics/awards.csv", "/statistics/money.csv"):
        body = client.get(url).get_data(as_text=True)
        for secret in ("13912345678", "private-org@example.cn", "13700001111", "专家个人评分意见QZ7", expert.user.email,
                       "0871-65550000", "contact@example.cn"):
            assert secret not in body, (url, secret)


@pytest.mark.parametrize("url", ["/statistics/", "/statistics/organizations", "/statistics/awards",
                                 "/statistics/money", "/statistics/awards.csv", "/statistics/money.csv"])
def test_query_count_is_constant(client, db, count_queries, url):
    data = sf.build()
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    sf.add_more(data, 9)        # 4 → 13 awards and projects, 40 → 49 organizations
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert small() == large()
    assert large() <= 16        # the overview runs the three sections (3 + 5 + 7)


def test_more_awards_change_the_figures(client, db):
    data = sf.build()
    sf.add_more(data, 9)
    first = st.organization_coverage()["below_target"][0]
    assert (first["name"], first["organizations"], first["gap"]) == ("甲社区", 9, 1)
    assert st.award_breakdown()["total"] == {"awards": 13, "amount_fen": 11_900_000}

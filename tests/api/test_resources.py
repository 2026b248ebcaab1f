"""Collections and items of the API against the hand-counted fixture (tests/api/fixtures.py):
fields present, private fields absent, filters narrow as counted."""
from __future__ import annotations

import pytest

from app.extensions import db
from tests.api.conftest import get_json
from tests.api.fixtures import CREDIT_CODE, SECRETS, county_of


def ids(body) -> list[int]:
    return [row["id"] for row in body["data"]]


def count(client, url) -> int:
    body = get_json(client, url)
    assert body["meta"]["total"] == len(body["data"])  # every fixture list fits one page
    return body["meta"]["total"]


# --------------------------------------------------------------------------- calls

def test_calls_list_public_calls_only(client, data):
    body = get_json(client, "/api/v1/calls")
    assert sorted(ids(body)) == sorted(c.id for c in (data.c_awarded, data.c_open, data.c_purchase, data.c_other))
    assert data.c_draft.id not in ids(body)
    assert body["data"][0]["status"]["value"] == "open"  # open calls first


def test_call_fields(client, data):
    row = get_json(client, f"/api/v1/calls/{data.c_open.id}")
    assert row["title"] == "社区助老服务征集"
    assert row["kind"] == {"value": "venture", "label": "公益创投"}
    assert row["status"] == {"value": "open", "label": "征集中"}
    assert row["funder"] == {"id": data.base.funder.id, "name": data.base.funder.name}
    assert row["region"]["code"] == data.county_f.code and row["region"]["level"] == "county"
    assert row["opens_at"] == "2026-03-01T08:00:00+08:00"
    assert row["budget_fen"] == 50_000_000 and row["min_award_fen"] == 2_000_000 and row["max_award_fen"] == 10_000_000
    assert row["url"].endswith(f"/calls/{data.c_open.id}")
    assert row["description"] == "详细说明" and "service_item" in row


@pytest.mark.parametrize("query, expected", [
    ("status=open", 1), ("status=awarded", 2), ("kind=purchase", 1), ("kind=venture", 3),
    ("year=2026", 3), ("year=2025", 1), ("q=助老", 1), ("q=不存在的标题", 0),
])
def test_call_filters(client, data, query, expected):
    assert count(client, f"/api/v1/calls?{query}") == expected


def test_call_filters_by_funder_and_region(client, data):
    assert count(client, f"/api/v1/calls?funder={data.base.funder.id}") == 3
    assert count(client, f"/api/v1/calls?funder={data.f2.id}") == 1
    assert count(client, f"/api/v1/calls?region={data.county_f.code}") == 3
    assert count(client, f"/api/v1/calls?region={data.county_2.code}") == 1
    # A call scoped to a county covers the communities inside it.
    community = data.org_c.home_community
    assert ids(get_json(client, f"/api/v1/calls?region={community.code}")) == [data.c_other.id]
    assert count(client, "/api/v1/calls?region=X99") == 0


def test_draft_call_is_404(client, data):
    body = get_json(client, f"/api/v1/calls/{data.c_draft.id}", status=404)
    assert body["status"] == 404


# --------------------------------------------------------------------------- awards

def test_award_list_fields(client, data):
    body = get_json(client, "/api/v1/awards")
    assert ids(body) == [data.award_a.id, data.award_c.id, data.award_b.id]  # newest decision first
    a = body["data"][0]
    assert a["number"] == data.award_a.number and a["title"] == "长者助餐项目"
    assert a["organization"] == {"id": data.org_a.id, "name": "阳光长者服务队", "credit_code": None}
    assert a["call"] == {"id": data.c_awarded.id, "title": "2026年社区公益创投"}
    assert a["amount_fen"] == 5_000_000 and a["paid_fen"] == 2_500_000
    assert [(f["kind"]["value"], f["amount_fen"]) for f in a["fund_sources"]] == [
        ("welfare_lottery", 3_000_000), ("government_purchase", 2_000_000)]
    assert a["welfare_lottery"] is True
    assert a["final_score"] == 85
    assert a["awarded_at"] == "2026-06-01T08:00:00+08:00"
    assert a["communities"][0]["code"] == data.org_a.home_community.code
    c = body["data"][1]
    assert c["organization"]["credit_code"] == CREDIT_CODE and c["welfare_lottery"] is False
    b = body["data"][2]
    assert b["paid_fen"] == 0 and b["welfare_lottery"] is False


@pytest.mark.parametrize("query, expected", [
    ("year=2026", 2), ("year=2025", 1), ("fund_kind=welfare_lottery", 1), ("fund_kind=government_purchase", 2),
    ("fund_kind=community_foundation", 1), ("fund_kind=donation", 0), ("q=儿童", 1), ("region=X99", 0),
])
def test_award_filters(client, data, query, expected):
    assert count(client, f"/api/v1/awards?{query}") == expected


def test_award_filters_by_ids_and_region(client, data):
    assert count(client, f"/api/v1/awards?funder={data.base.funder.id}") == 2
    assert ids(get_json(client, f"/api/v1/awards?funder={data.f2.id}")) == [data.award_c.id]
    assert count(client, f"/api/v1/awards?call={data.c_awarded.id}") == 2
    assert ids(get_json(client, f"/api/v1/awards?region={county_of(data.org_a).code}")) == [data.award_a.id]


def test_award_item_has_the_project_page(client, data):
    a = get_json(client, f"/api/v1/awards/{data.award_a.id}")
    assert a["installments"]["count"] == 3  # 50% / 40% / 10%, the first paid
    assert [(i["position"], i["amount_fen"]) for i in a["installments"]["paid"]] == [(1, 2_500_000)]
    outcome = a["outcome"]
    assert outcome["indicators"] == [{"name": "助餐服务人次", "unit": "人次", "target": 5000, "actual": 2000,
                                      "achieved_percent": 40}]
    assert outcome["indicators_from"]["value"] == "progress"
    assert [r["kind"]["value"] for r in outcome["reports"]] == ["progress"]  # the draft final is not public
    assert outcome["reports"][0]["beneficiaries"] == 80
    assert outcome["spending_rate_percent"] == 20
    assert outcome["final_accepted"] is False and outcome["final_rating"] is None
    assert a["url"].endswith(f"/projects/{data.award_a.id}")


def test_unknown_award_is_404(client, data):
    get_json(client, "/api/v1/awards/2147483647", status=404)
    get_json(client, "/api/v1/awards/2147483648", status=404)  # beyond the id converter


# --------------------------------------------------------------------------- organizations

def test_organization_fields_are_the_public_profile(client, data):
    org = get_json(client, f"/api/v1/organizations/{data.org_c.id}")
    assert org["name"] == "春晖社会工作服务中心" and org["credit_code"] == CREDIT_CODE
    assert org["legal_status"]["value"] == "registered"
    assert org["community"]["code"] == data.org_c.home_community.code
    assert org["community"]["full_name"] == data.org_c.home_community.full_name
    assert org["evaluation_grade"]["value"] == "none" and org["credit_status"]["value"] == "normal"
    assert [t["value"] for t in org["service_targets"]] == ["elderly"]
    # The platform credit, as the profile shows it: no records → base score, grade, no bars.
    from app.orgs import credit

    assessed = credit.assess(data.org_c)
    assert org["credit"]["score"] == assessed.score and org["credit"]["grade"]["value"] == assessed.grade.value
    assert org["credit"]["barred_by"] == [] and org["credit"]["counts"]["breach"] == 0
    assert org["credit"]["url"].endswith(f"/orgs/{data.org_c.id}/credit")
    for private in ("contact_phone", "contact_email", "contact_name", "address", "legal_representative",
                    "members"):
        assert private not in org


@pytest.mark.parametrize("query, expected", [
    ("", 4), ("legal_status=filed", 2), ("legal_status=registered", 1), ("legal_status=community_led", 1),
    ("category=charity", 1), ("q=彩虹", 1), ("q=m000100", 1), ("service_target=children", 0),
])
def test_organization_filters(client, data, query, expected):
    assert count(client, f"/api/v1/organizations?{query}") == expected


def test_organization_credit_shows_bars_and_ratings(client, data):
    from datetime import date

    from app.orgs.models import Debarment

    db.session.add(Debarment(organization_id=data.org_a.id, funder_id=data.base.funder.id, starts_on=date(2026, 1, 1),
                              ends_on=date(2099, 1, 1), reason="违约", award_id=data.award_a.id))
    db.session.flush()
    org = get_json(client, f"/api/v1/organizations/{data.org_a.id}")
    assert org["credit"]["grade"]["value"] == "D"  # barred by a funder: 失信
    assert org["credit"]["barred_by"] == [{"funder": {"id": data.base.funder.id, "name": data.base.funder.name},
                                           "until": "2099-01-01"}]
    assert org["credit"]["counts"]["breach"] == 1
    listed = {o["id"]: o for o in get_json(client, "/api/v1/organizations")["data"]}
    assert listed[data.org_a.id]["credit"] == org["credit"]
    assert listed[data.org_b.id]["credit"]["barred_by"] == []


def test_organization_region_filter(client, data):
    assert sorted(ids(get_json(client, f"/api/v1/organizations?region={data.county_2.code}"))) == sorted(
        [data.org_c.id, data.org_d.id])
    assert ids(get_json(client, f"/api/v1/organizations?region={county_of(data.org_a).code}")) == [data.org_a.id]


# --------------------------------------------------------------------------- fund sources

def test_fund_sources_are_those_disclosed(client, data):
    body = get_json(client, "/api/v1/fund-sources")
    assert sorted(ids(body)) == sorted([data.w.id, data.g.id, data.k.id])
    assert data.n.id not in ids(body)
    get_json(client, f"/api/v1/fund-sources/{data.n.id}", status=404)


def test_fund_source_figures_are_the_ledger(client, data):
    w = get_json(client, f"/api/v1/fund-sources/{data.w.id}")
    assert w["figures"] == {"appropriated_fen": 100_000_000, "donations_fen": 0, "allocated_fen": 3_000_000,
                            "committed_fen": 1_500_000, "paid_fen": 1_500_000, "refunded_fen": 0,
                            "available_fen": 97_000_000}
    assert w["kind"]["value"] == "welfare_lottery" and w["fiscal_year"] == 2026
    assert w["disclosure_url"].endswith(f"/disclosure/{data.w.id}/2026")
    g = get_json(client, f"/api/v1/fund-sources/{data.g.id}")["figures"]
    assert (g["allocated_fen"], g["committed_fen"], g["paid_fen"], g["available_fen"]) == (
        6_000_000, 5_000_000, 1_000_000, 44_000_000)


@pytest.mark.parametrize("query, expected", [
    ("year=2026", 2), ("year=2025", 1), ("kind=welfare_lottery", 1), ("kind=incubation", 0),
])
def test_fund_source_filters(client, data, query, expected):
    assert count(client, f"/api/v1/fund-sources?{query}") == expected


def test_fund_source_funder_filter(client, data):
    assert ids(get_json(client, f"/api/v1/fund-sources?funder={data.f2.id}")) == [data.k.id]


# --------------------------------------------------------------------------- statistics

def test_statistics_awards(client, data):
    body = get_json(client, "/api/v1/statistics/awards")
    assert body["total"] == {"awards": 3, "amount_fen": 12_000_000}
    assert [(r["key"], r["awards"]) for r in body["by_year"]] == [("2025", 1), ("2026", 2)]
    body = get_json(client, f"/api/v1/statistics/awards?year=2026&funder={data.base.funder.id}")
    assert body["total"] == {"awards": 1, "amount_fen": 5_000_000}
    assert get_json(client, "/api/v1/statistics/awards?kind=purchase")["total"]["awards"] == 0


def test_statistics_organizations(client, data):
    body = get_json(client, "/api/v1/statistics/organizations")
    assert body["totals"]["organizations"] == 4
    body = get_json(client, f"/api/v1/statistics/organizations?county={data.county_2.code}")
    assert body["totals"]["organizations"] == 2 and body["totals"]["communities"] == 1
    assert body["below_target"][0]["gap"] == 8  # urban community: target 10, two organizations
    get_json(client, "/api/v1/statistics/organizations?county=X99", status=404)
    # A code that is not a county's.
    get_json(client, f"/api/v1/statistics/organizations?county={data.org_c.home_community.code}", status=404)


def test_statistics_money(client, data):
    body = get_json(client, f"/api/v1/statistics/money?year=2026&funder={data.base.funder.id}")
    assert body["totals"]["appropriated_fen"] == 150_000_000
    assert body["totals"]["paid_fen"] == 2_500_000
    assert sorted(f["id"] for f in body["funds"]) == sorted([data.w.id, data.g.id])


# --------------------------------------------------------------------------- nothing private

def test_no_private_data_anywhere(client, data):
    urls = ["/api/v1/", "/api/v1/calls?per_page=100", "/api/v1/awards?per_page=100",
            "/api/v1/organizations?per_page=100", "/api/v1/fund-sources?per_page=100",
            "/api/v1/statistics/organizations", "/api/v1/statistics/awards", "/api/v1/statistics/money"]
    urls += [f"/api/v1/calls/{c.id}" for c in (data.c_awarded, data.c_open, data.c_purchase, data.c_other)]
    urls += [f"/api/v1/awards/{a.id}" for a in (data.award_a, data.award_b, data.award_c)]
    urls += [f"/api/v1/organizations/{o.id}" for o in (data.org_a, data.org_b, data.org_c, data.org_d)]
    urls += [f"/api/v1/fund-sources/{f.id}" for f in (data.w, data.g, data.k)]
    for url in urls:
        text = client.get(url).get_data(as_text=True)
        leaked = [s for s in SECRETS if s in text]
        assert not leaked, (url, leaked)
    # The accepted progress report's summary is public.
    assert "助餐点已开放" in client.get(f"/api/v1/awards/{data.award_a.id}").get_data(as_text=True)

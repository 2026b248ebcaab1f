"""The HTTP behaviour of the API: pagination, problems (400/404/405/429), conditional
requests (ETag / Last-Modified → 304), CORS and caching headers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.http import http_date, parse_date

from app.extensions import db
from tests.api.conftest import get_json
from tests.factories import make_org


# --------------------------------------------------------------------------- pagination

def test_pagination_meta_links_and_link_header(client, data):
    resp = client.get("/api/v1/organizations?per_page=3&page=2&category=life_service")
    body = resp.get_json()
    assert body["meta"] == {"page": 2, "per_page": 3, "total": 3, "pages": 1}  # three life-service orgs
    assert body["data"] == []
    resp = client.get("/api/v1/organizations?per_page=3")
    body = resp.get_json()
    assert body["meta"] == {"page": 1, "per_page": 3, "total": 4, "pages": 2}
    assert len(body["data"]) == 3
    links = body["links"]
    assert links["self"] == "http://localhost/api/v1/organizations?page=1&per_page=3"
    assert links["next"] == "http://localhost/api/v1/organizations?page=2&per_page=3"
    assert links["prev"] is None
    assert links["last"] == links["next"]
    header = resp.headers["Link"]
    assert f'<{links["next"]}>; rel="next"' in header and f'<{links["first"]}>; rel="first"' in header
    assert 'rel="prev"' not in header
    second = client.get(links["next"]).get_json()
    assert len(second["data"]) == 1 and second["links"]["prev"] == links["self"] and second["links"]["next"] is None
    assert {o["id"] for o in body["data"]} | {o["id"] for o in second["data"]} == {
        data.org_a.id, data.org_b.id, data.org_c.id, data.org_d.id}


def test_links_keep_the_filters(client, data):
    body = get_json(client, "/api/v1/awards?fund_kind=government_purchase&per_page=1")
    assert body["meta"]["pages"] == 2
    assert "fund_kind=government_purchase" in body["links"]["next"] and "page=2" in body["links"]["next"]


# --------------------------------------------------------------------------- problems

@pytest.mark.parametrize("url, parameter", [
    ("/api/v1/calls?page=0", "page"),
    ("/api/v1/calls?page=abc", "page"),
    ("/api/v1/calls?page=1.5", "page"),
    ("/api/v1/calls?page=１", "page"),              # full-width digit
    ("/api/v1/calls?page=99999999999999999999", "page"),
    ("/api/v1/calls?per_page=101", "per_page"),
    ("/api/v1/calls?per_page=0", "per_page"),
    ("/api/v1/calls?status=draft", "status"),      # drafts are not public, not even as a filter
    ("/api/v1/calls?kind=grant", "kind"),
    ("/api/v1/calls?funder=-1", "funder"),
    ("/api/v1/calls?year=1999", "year"),
    ("/api/v1/calls?region=%E4%B8%AD", "region"),
    ("/api/v1/calls?page=1&page=2", "page"),
    ("/api/v1/awards?fund_kind=lottery", "fund_kind"),
    ("/api/v1/awards?call=x", "call"),
    ("/api/v1/awards?q=" + "长" * 101, "q"),
    ("/api/v1/organizations?legal_status=ngo", "legal_status"),
    ("/api/v1/organizations?category=", "category"),
    ("/api/v1/fund-sources?year=2101", "year"),
    ("/api/v1/statistics/awards?kind=welfare_lottery", "kind"),
    ("/api/v1/statistics/money?funder=0", "funder"),
    ("/api/v1/statistics/organizations?county=a-b", "county"),
])
def test_bad_parameters_are_400_problems(client, url, parameter):
    resp = client.get(url)
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == 400 and body["parameter"] == parameter
    assert body["type"].endswith("/invalid-parameter") and body["title"] == "参数无效"
    assert parameter in body["detail"]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_control_characters_in_search_are_ignored(client, data):
    body = get_json(client, "/api/v1/awards?q=%00%E5%84%BF%E7%AB%A5%07")  # "\0儿童\a"
    assert body["meta"]["total"] == 1


@pytest.mark.parametrize("url", ["/api/v1/nothing", "/api/v1/calls/abc", "/api/v1/calls/0", "/api/v1/calls/99999999",
                                 "/api/v1/organizations/-1", "/api/v1/fund-sources/12345678901"])
def test_unknown_paths_and_ids_are_404_json(client, data, url):
    resp = client.get(url)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["type"].endswith("/not-found")
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_405_json(client, data, method):
    resp = client.open(f"/api/v1/calls/{data.c_open.id}", method=method)
    assert resp.status_code == 405 and resp.mimetype == "application/problem+json"
    assert set(resp.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert resp.get_json()["status"] == 405


def test_html_pages_keep_their_error_pages(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"


def test_rate_limit_answers_429_json(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    assert client.get("/api/v1/").status_code == 200
    assert client.get("/api/v1/").status_code == 200
    resp = client.get("/api/v1/")
    assert resp.status_code == 429 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["type"].endswith("/too-many-requests")


def test_default_rate_limit_is_generous(app, client):
    resp = client.get("/api/v1/")
    assert resp.headers["X-RateLimit-Limit"] == "600"


# --------------------------------------------------------------------------- caching

def test_etag_and_if_none_match(client, data):
    resp = client.get("/api/v1/calls")
    etag = resp.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/api/v1/calls", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/api/v1/calls", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/api/v1/calls", headers={"If-None-Match": f'"x", {etag}'}).status_code == 304
    assert client.get("/api/v1/calls", headers={"If-None-Match": "*"}).status_code == 304
    # A different page is a different body, so a different ETag.
    assert client.get("/api/v1/calls?per_page=1").headers["ETag"] != etag


def test_etag_changes_with_the_data(client, data):
    etag = client.get("/api/v1/organizations").headers["ETag"]
    make_org(name="新成立的组织")
    resp = client.get("/api/v1/organizations", headers={"If-None-Match": etag})
    assert resp.status_code == 200 and resp.headers["ETag"] != etag


def test_last_modified_and_if_modified_since(client, data):
    data.c_open.updated_at = data.c_open.updated_at.replace(year=2030, month=1, day=2, hour=3, minute=4, second=5,
                                                            microsecond=678)
    db.session.flush()
    resp = client.get(f"/api/v1/calls/{data.c_open.id}")
    assert resp.headers["Last-Modified"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    stamp = parse_date(resp.headers["Last-Modified"])
    assert client.get(f"/api/v1/calls/{data.c_open.id}",
                      headers={"If-Modified-Since": http_date(stamp)}).status_code == 304
    assert client.get(f"/api/v1/calls/{data.c_open.id}",
                      headers={"If-Modified-Since": http_date(stamp - timedelta(seconds=1))}).status_code == 200
    # The list's Last-Modified is the newest change among all the rows it filters.
    assert client.get("/api/v1/calls?per_page=1&status=screening").headers["Last-Modified"] != resp.headers[
        "Last-Modified"]
    assert client.get("/api/v1/calls?per_page=1").headers["Last-Modified"] == resp.headers["Last-Modified"]


def test_if_none_match_takes_precedence_over_if_modified_since(client, data):
    resp = client.get(f"/api/v1/calls/{data.c_open.id}")
    stamp = resp.headers["Last-Modified"]
    assert client.get(f"/api/v1/calls/{data.c_open.id}", headers={"If-Modified-Since": stamp}).status_code == 304
    both = client.get(f"/api/v1/calls/{data.c_open.id}",
                      headers={"If-None-Match": '"stale"', "If-Modified-Since": stamp})
    assert both.status_code == 200


def test_organizations_have_no_last_modified(client, data):
    """Their credit moves with reports, objections, breaches and the date: ETag only."""
    resp = client.get(f"/api/v1/organizations/{data.org_a.id}")
    assert "Last-Modified" not in resp.headers
    assert client.get(f"/api/v1/organizations/{data.org_a.id}",
                      headers={"If-Modified-Since": "Wed, 01 Jan 2100 00:00:00 GMT"}).status_code == 200


def test_award_last_modified_follows_payments(client, data):
    from tests.factories import make_installments, make_payment

    before = client.get(f"/api/v1/awards/{data.award_b.id}").headers["Last-Modified"]
    assert before == "Tue, 01 Jul 2025 00:00:00 GMT" or parse_date(before) >= parse_date(
        "Tue, 01 Jul 2025 00:00:00 GMT")
    make_payment(make_installments(data.award_b)[0])
    after = client.get(f"/api/v1/awards/{data.award_b.id}")
    assert parse_date(after.headers["Last-Modified"]) >= parse_date(before)
    assert after.get_json()["paid_fen"] == 2_000_000


def test_award_last_modified_follows_the_agreement(client, data):
    from tests.factories import make_agreement

    before = parse_date(client.get(f"/api/v1/awards/{data.award_b.id}").headers["Last-Modified"])
    agreement = make_agreement(data.award_b)
    agreement.signed_at = before + timedelta(days=400)
    db.session.flush()
    after = client.get(f"/api/v1/awards/{data.award_b.id}")
    assert parse_date(after.headers["Last-Modified"]) == (before + timedelta(days=400)).replace(microsecond=0)
    assert after.get_json()["period"]["from_agreement"] is True


def test_statistics_and_index_have_etags_without_last_modified(client, data):
    for url in ("/api/v1/", "/api/v1/openapi.json", "/api/v1/statistics/money"):
        resp = client.get(url)
        assert resp.status_code == 200 and "ETag" in resp.headers and "Last-Modified" not in resp.headers
        assert client.get(url, headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304


# --------------------------------------------------------------------------- CORS

def test_cors_headers(client, data):
    resp = client.get("/api/v1/awards")
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]
    pre = client.options("/api/v1/awards", headers={"Origin": "https://example.org",
                                                    "Access-Control-Request-Method": "GET",
                                                    "Access-Control-Request-Headers": "if-none-match"})
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in pre.headers["Access-Control-Allow-Headers"]
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]


def test_head_answers_like_get_without_body(client, data):
    resp = client.head("/api/v1/calls")
    assert resp.status_code == 200 and resp.data == b"" and "ETag" in resp.headers


def test_signed_in_users_get_the_same_data(client, data):
    from tests.conftest import login
    from tests.factories import make_user

    anonymous = client.get("/api/v1/awards").get_json()
    login(client, make_user())
    resp = client.get("/api/v1/awards")
    assert resp.get_json() == anonymous
    # The app never lets a shared cache keep a signed-in answer.
    assert resp.headers["Cache-Control"] == "no-store"

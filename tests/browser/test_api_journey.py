"""The open-data API on the demo data (as `make run` serves it): the open-data page describes
it (desktop and phone), every page of every collection and every item answers what the
OpenAPI document says, and a page on another origin can read it with conditional requests
(CORS preflight for If-None-Match)."""
from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.browser.conftest import no_horizontal_scroll, shot


def _get(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path) as resp:  # noqa: S310 (the live test server)
        assert resp.status == 200
        return json.loads(resp.read())


def test_the_api_serves_the_demo_data_as_documented(page, live_server):
    base = live_server.config["LIVE_URL"]
    doc = _get(base, "/api/v1/openapi.json")
    registry = Registry().with_resource("urn:doc", Resource(contents=doc, specification=DRAFT202012))

    def check(body, name):
        validator = jsonschema.Draft202012Validator({"$ref": f"urn:doc#/components/schemas/{name}"},
                                                    registry=registry,
                                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (name, errors[:3])

    seen = {}
    for path, page_schema, item_schema, item_path in [
        ("/api/v1/calls", "CallPage", "Call", "/api/v1/calls/"),
        ("/api/v1/awards", "AwardPage", "Award", "/api/v1/awards/"),
        ("/api/v1/organizations", "OrganizationPage", "Organization", "/api/v1/organizations/"),
        ("/api/v1/fund-sources", "FundSourcePage", "FundSource", "/api/v1/fund-sources/"),
    ]:
        url, rows = path + "?per_page=100", []
        while url:
            body = _get(base if url.startswith("/") else "", url)
            check(body, page_schema)
            rows += body["data"]
            url = body["links"]["next"]
        assert rows, f"the demo data has no {path}"
        assert len(rows) == body["meta"]["total"]
        seen[path] = len(rows)
        for row in rows:
            check(_get(base, f"{item_path}{row['id']}"), item_schema)
    for path, name in [("/api/v1/statistics/organizations", "OrganizationStatistics"),
                       ("/api/v1/statistics/awards", "AwardStatistics"),
                       ("/api/v1/statistics/money", "MoneyStatistics")]:
        check(_get(base, path), name)
    awards = _get(base, "/api/v1/statistics/awards")
    assert awards["total"]["awards"] == seen["/api/v1/awards"]
    print("demo data through the API:", seen)


@pytest.fixture
def other_site():
    """A page on another origin (another port): a reader's own web page using the API."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b"<!doctype html><title>reader</title><p>reader"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_another_site_reads_the_api_with_conditional_requests(page, live_server, other_site):
    base = live_server.config["LIVE_URL"]
    page.goto(other_site)
    result = page.evaluate("""async (base) => {
        const first = await fetch(base + '/api/v1/awards?per_page=5');
        const etag = first.headers.get('ETag');
        const body = await first.json();
        const again = await fetch(base + '/api/v1/awards?per_page=5', {headers: {'If-None-Match': etag}});
        return {status: first.status, etag, count: body.data.length, link: first.headers.get('Link'),
                again: again.status};
    }""", base)
    assert result["status"] == 200 and result["etag"].startswith('"') and result["count"] > 0
    assert result["link"] and 'rel="first"' in result["link"]
    # The browser answers a 304 from its cache as 200 with the cached body: both mean "current".
    assert result["again"] in (200, 304)


def test_open_data_page_describes_the_api(page, live_server):
    page.goto("/open-data/")
    section = page.locator("section", has=page.get_by_role("heading", name="JSON 数据接口"))
    assert section.get_by_role("link", name="/api/v1/openapi.json").is_visible()
    shot(page, "api-open-data-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/open-data/")
    assert no_horizontal_scroll(page)
    section = page.locator("section", has=page.get_by_role("heading", name="JSON 数据接口"))
    section.scroll_into_view_if_needed()
    shot(page, "api-open-data-phone")
    assert not page.js_errors, page.js_errors
    # The link leads to the API's index (a JSON document; the browser then asks for a
    # /favicon.ico that does not exist, which is not the page's error).
    section.get_by_role("link", name="/api/v1/", exact=True).click()
    page.wait_for_url("**/api/v1/")
    assert "openapi.json" in page.content()

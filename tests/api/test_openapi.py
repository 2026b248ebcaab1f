"""The OpenAPI document: valid OpenAPI 3.1, one operation per route of the blueprint (and no
other), and every answer of the fixture valid against the schema it names."""
from __future__ import annotations

import jsonschema
import pytest
import schemathesis
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis.specs.openapi.definitions import OPENAPI_31

from app.api.openapi import openapi_path
from tests.api.conftest import get_json


@pytest.fixture
def doc(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def test_document_is_valid_openapi_31(doc):
    assert doc["openapi"] == "3.1.0"
    jsonschema.Draft202012Validator(OPENAPI_31).validate(doc)
    # Every component is a valid JSON Schema (2020-12, OpenAPI 3.1's dialect).
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_schemathesis_loads_it(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert schema.base_path == "/api/v1/"
    # Every operation but the document itself (schemathesis leaves out the schema's own URL).
    assert len(labels) == 12 and "GET /calls/{call_id}" in labels and "GET /openapi.json" not in labels


def test_every_route_is_documented_and_nothing_else(app, doc):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, rule
            routes[openapi_path(rule.rule.removeprefix("/api/v1"))] = rule
    assert set(routes) == set(doc["paths"])
    for path, item in doc["paths"].items():
        assert set(item) == {"get"}
        rule = routes[path]
        documented = {p["name"] for p in item["get"]["parameters"] if p["in"] == "path"}
        assert documented == set(rule.arguments)
        assert item["get"]["operationId"] == rule.endpoint.split(".", 1)[1]


def test_parameters_say_what_the_views_accept(doc):
    calls = {p["name"]: p["schema"] for p in doc["paths"]["/calls"]["get"]["parameters"]}
    assert calls["status"]["enum"] == ["open", "screening", "reviewing", "notice", "awarded", "closed", "cancelled"]
    assert calls["per_page"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert calls["page"]["minimum"] == 1
    assert set(calls) == {"status", "kind", "funder", "region", "year", "q", "page", "per_page"}
    awards = {p["name"] for p in doc["paths"]["/awards"]["get"]["parameters"]}
    assert awards == {"call", "year", "funder", "fund_kind", "region", "q", "page", "per_page"}
    responses = doc["paths"]["/calls/{call_id}"]["get"]["responses"]
    assert set(responses) == {"200", "304", "404", "429"}
    assert "application/problem+json" in responses["404"]["content"]


def _validator(doc, name):
    registry = Registry().with_resource("urn:doc", Resource(contents=doc, specification=DRAFT202012))
    schema = {"$ref": f"urn:doc#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry,
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_fixture_answers_match_their_schemas(client, data, doc):
    urls = {
        "/api/v1/": "Index", "/api/v1/calls": "CallPage", f"/api/v1/calls/{data.c_open.id}": "Call",
        "/api/v1/awards": "AwardPage", f"/api/v1/awards/{data.award_a.id}": "Award",
        f"/api/v1/awards/{data.award_c.id}": "Award", "/api/v1/organizations": "OrganizationPage",
        f"/api/v1/organizations/{data.org_c.id}": "Organization", "/api/v1/fund-sources": "FundSourcePage",
        f"/api/v1/fund-sources/{data.w.id}": "FundSource",
        "/api/v1/statistics/organizations": "OrganizationStatistics",
        f"/api/v1/statistics/organizations?county={data.county_2.code}": "OrganizationStatistics",
        "/api/v1/statistics/awards": "AwardStatistics", "/api/v1/statistics/money": "MoneyStatistics",
        "/api/v1/calls?page=0": "Problem",
    }
    for url, name in urls.items():
        body = client.get(url).get_json()
        errors = list(_validator(doc, name).iter_errors(body))
        assert not errors, (url, [e.message for e in errors[:3]])


def test_closed_schemas_catch_an_extra_field(client, data, doc):
    body = get_json(client, f"/api/v1/organizations/{data.org_a.id}")
    body["contact_phone"] = "0871-65550000"
    assert list(_validator(doc, "Organization").iter_errors(body))

"""Open data (issue 6 item 4): the award list as CSV and as a 360Giving package."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.core.db import utcnow
from app.extensions import db as _db
from app.money.models import Donation, DonationStatus, FundSourceKind, InstallmentStatus
from app.orgs.models import LegalStatus
from app.regions.models import RegionLevel
from app.transparency import opendata
from tests.factories import (make_application, make_award, make_call, make_fund_source, make_funder,
                             make_funding, make_installments, make_org, make_payment, make_region, make_staff)

# The schemas, vendored from ../shared/standards/360giving/ (see 360giving/README.md).
SCHEMAS = Path(__file__).resolve().parent / "360giving"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "standards" / "360giving"
CREDIT_CODE = "51530102MJ0000001X"


def _validator() -> Draft202012Validator:
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text(encoding="utf-8"))
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text(encoding="utf-8"))
    remote = package["properties"]["grants"]["items"]["$ref"]   # a 1.4.2 URL; the local file says 1.4.3
    # The files declare "http://json-schema.org/draft/2020-12/schema" (http, not the
    # canonical https id), which `referencing` does not recognise: say Draft 2020-12 here.
    resource = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources([(remote, resource), (grant["$id"], resource)])
    Draft202012Validator.check_schema(package)
    return Draft202012Validator(package, registry=registry, format_checker=FormatChecker())


@pytest.fixture
def world(db):
    """Two awards of one call: A (registered org with a credit code, split over a
    welfare-lottery and a purchase fund, first installment paid) and B (filed org
    without a code, nothing paid). Plus a draft application and a paid donation that
    must never appear."""
    funder = make_funder(name="昆明市五华区民政局")
    officer = make_staff(funder)
    lottery = make_fund_source(funder, kind=FundSourceKind.WELFARE_LOTTERY, name="福彩公益金2026")
    purchase = make_fund_source(funder, kind=FundSourceKind.GOVERNMENT_PURCHASE, name="购买服务资金2026")
    call = make_call(funder, status=CallStatus.AWARDED, title="2026年社区公益创投")
    street = make_region(level=RegionLevel.STREET)
    c1 = make_region(parent=street, name="翠湖社区", code="530102001001")
    c2 = make_region(parent=street, name="=HYPERLINK(\"x\")村", code="530102001002")
    org_a = make_org(community=c1, legal_status=LegalStatus.REGISTERED, credit_code=CREDIT_CODE, name="翠湖邻里服务中心")
    org_b = make_org(community=c2, name="@社区老年协会")
    app_a = make_application(call, org_a, status=ApplicationStatus.AWARDED, title="长者助餐", requested_fen=10_000_050)
    app_b = make_application(call, org_b, status=ApplicationStatus.AWARDED, title="-儿童四点半课堂", requested_fen=3_000_000)
    make_application(make_call(funder, status=CallStatus.OPEN), org_a, status=ApplicationStatus.DRAFT,
                     title="草稿项目不应公开")
    award_a = make_award(app_a)
    award_b = make_award(app_b, rank=2)
    make_funding(award_a, lottery, amount_fen=6_000_050)
    make_funding(award_a, purchase, amount_fen=4_000_000)
    make_funding(award_b, purchase)
    inst_a = make_installments(award_a, statuses=[InstallmentStatus.DUE])
    make_installments(award_b)
    payment = make_payment(inst_a[0], approved_by=officer)
    _db.session.add(Donation(fund_source_id=lottery.id, amount_fen=5_000, donor_name="王先生",
                             donor_email="donor-secret@example.cn", status=DonationStatus.PENDING))
    _db.session.flush()
    return {"award_a": award_a, "award_b": award_b, "org_a": org_a, "org_b": org_b, "funder": funder,
            "payment": payment, "inst_a": inst_a, "call": call}


def _csv(client):
    response = client.get("/open-data/awards.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")))), body


def test_csv_has_one_row_per_award_with_amounts_and_neutralised_cells(client, world):
    rows, body = _csv(client)
    header, data = rows[0], rows[1:]
    assert len(header) == 13 and header[0] == "资助编号(360Giving)"
    assert len(data) == 2
    a, b = (dict(zip(header, r)) for r in data)
    assert a["资助编号(360Giving)"] == f"360G-gongyi-{world['award_a'].id}"
    assert a["项目名称"] == "长者助餐"
    assert a["统一社会信用代码"] == CREDIT_CODE
    assert a["资助金额(元)"] == "100000.50"
    assert a["资金来源类型"] == "福彩公益金、政府购买服务资金"
    assert a["已拨付(元)"] == opendata.yuan_text(world["payment"].amount_fen) != "0.00"
    assert a["服务社区"] == "翠湖社区" and a["区划代码"] == "530102001001"
    assert a["资助方"] == "昆明市五华区民政局" and a["所属征集"] == "2026年社区公益创投"
    # Cells a spreadsheet would run as formulas start with a quote.
    assert b["项目名称"] == "'-儿童四点半课堂"
    assert b["承接组织"] == "'@社区老年协会"
    assert b["服务社区"].startswith("'=HYPERLINK")
    assert b["统一社会信用代码"] == "" and b["已拨付(元)"] == "0.00"
    # Private fields never appear.
    for secret in (b"donor-secret@example.cn", b"contact@example.cn", "草稿项目不应公开".encode(), b"13800000001"):
        assert secret not in body


def test_csv_with_no_awards_is_just_the_header(client, db):
    rows, _ = _csv(client)
    assert len(rows) == 1 and rows[0][1] == "立项编号"


def test_360giving_package_validates_and_carries_the_identifiers(client, world):
    response = client.get("/open-data/360giving.json")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "application/json"
    body = response.get_data()
    package = json.loads(body)
    errors = sorted(_validator().iter_errors(package), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]

    assert package["license"] == "https://creativecommons.org/licenses/by/4.0/"
    grants = {g["id"]: g for g in package["grants"]}
    a, b = world["award_a"], world["award_b"]
    assert set(grants) == {f"360G-gongyi-{a.id}", f"360G-gongyi-{b.id}"}
    ga, gb = grants[f"360G-gongyi-{a.id}"], grants[f"360G-gongyi-{b.id}"]
    assert ga["currency"] == "CNY" and ga["amountAwarded"] == 100000.5
    assert gb["amountAwarded"] == 30000 and isinstance(gb["amountAwarded"], int)
    assert ga["recipientOrganization"][0] == {"id": f"CN-USCI-{CREDIT_CODE}", "name": "翠湖邻里服务中心",
                                              "addressCountry": "CN"}
    assert gb["recipientOrganization"][0]["id"] == f"360G-gongyi-org-{world['org_b'].id}"
    assert ga["fundingOrganization"] == [{"id": f"360G-gongyi-funder-{world['funder'].id}", "name": "昆明市五华区民政局"}]
    assert ga["grantProgramme"][0]["code"] == f"gongyi-call-{world['call'].id}"
    assert ga["grantProgramme"][0]["title"] == "2026年社区公益创投"
    assert ga["grantProgramme"][0]["url"].endswith(f"/calls/{world['call'].id}")
    assert ga["beneficiaryLocation"] == [{"id": "530102001001", "name": "翠湖社区", "countryCode": "CN",
                                          "geoCode": "530102001001"}]
    assert ga["awardDate"].endswith("+08:00")
    payment = world["payment"]
    assert ga["disbursementTransaction"] == [{
        "id": f"360G-gongyi-{a.id}-payment-{payment.id}", "currency": "CNY",
        "value": opendata.yuan_number(payment.amount_fen),
        "transactionDate": f"{payment.paid_on.isoformat()}T00:00:00+08:00", "description": payment.voucher_number,
        "provider": f"360G-gongyi-funder-{world['funder'].id}", "recipient": f"CN-USCI-{CREDIT_CODE}"}]
    assert ga["amountDisbursed"] == opendata.yuan_number(payment.amount_fen)
    assert gb["disbursementTransaction"] == [] and gb["amountDisbursed"] == 0
    assert {c["code"] for c in ga["classifications"]} == {"welfare_lottery", "government_purchase"}
    for secret in (b"donor-secret@example.cn", b"contact@example.cn", "草稿项目不应公开".encode(), b"0871-65550000"):
        assert secret not in body


def test_360giving_prefix_comes_from_config(app, client, world):
    app.config["OPEN_DATA_PREFIX"] = "kmwh"
    try:
        package = json.loads(client.get("/open-data/360giving.json").get_data())
    finally:
        app.config.pop("OPEN_DATA_PREFIX")
    ids = {g["id"] for g in package["grants"]}
    assert ids == {f"360G-kmwh-{world['award_a'].id}", f"360G-kmwh-{world['award_b'].id}"}
    assert not _validator().is_valid({**package, "grants": []})   # the schema wants at least one grant
    assert _validator().is_valid(package)
    # The grant schema is really applied through the resolved $ref.
    broken = json.loads(json.dumps(package))
    broken["grants"][0]["currency"] = "RMB"
    assert not _validator().is_valid(broken)


def test_a_reversed_payment_is_not_a_disbursement(client, world):
    world["payment"].reversed_entry_id = world["payment"].entry_id   # stand-in: any reversal entry id
    _db.session.flush()
    package = json.loads(client.get("/open-data/360giving.json").get_data())
    grant = next(g for g in package["grants"] if g["id"] == f"360G-gongyi-{world['award_a'].id}")
    assert grant["disbursementTransaction"] == [] and grant["amountDisbursed"] == 0
    rows, _ = _csv(client)
    assert rows[1][-1] == "0.00"


def test_streams_page_by_page(app, world):
    """The generators hand out the envelope/header first and one chunk per page."""
    with app.test_request_context("/open-data/360giving.json"):
        chunks = list(opendata.awards_360giving(utcnow(), opendata.links(), batch=1))
        assert chunks[0].endswith('"grants":[') and chunks[-1] == "]}"
        assert len(chunks) == 2 + 2        # head, one chunk per award (batch of 1), tail
        assert chunks[2].startswith(",{") and chunks[1].startswith("{")
        assert len(json.loads("".join(chunks))["grants"]) == 2
        csv_chunks = list(opendata.awards_csv(batch=1))
        assert len(csv_chunks) == 1 + 2


def _more_awards(world, n):
    call = world["call"]
    fund = make_fund_source(world["funder"], kind=FundSourceKind.INCUBATION)
    for _ in range(n):
        org = make_org()
        award = make_award(make_application(call, org, status=ApplicationStatus.AWARDED))
        make_funding(award, fund)
        make_installments(award)


def _count(client, count_queries, url):
    with count_queries() as n:
        body = client.get(url).get_data()
    return n(), body


@pytest.mark.parametrize("url", ["/open-data/awards.csv", "/open-data/360giving.json"])
def test_query_count_grows_per_page_not_per_row(client, world, count_queries, monkeypatch, url):
    """1 award query + 3 per page (fund sources, payments, communities), whatever the rows."""
    few, _ = _count(client, count_queries, url)
    _more_awards(world, 4)
    many, _ = _count(client, count_queries, url)
    assert many == few                                   # 2 → 6 rows, one page each
    monkeypatch.setattr(opendata, "BATCH", 2)
    paged, _ = _count(client, count_queries, url)
    assert paged == few + 3 * 2                          # 3 pages instead of 1


def test_open_data_page_describes_formats_licence_and_counts(client, world, count_queries):
    with count_queries() as n:
        response = client.get("/open-data/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/", "/open-data/awards.csv",
                 "/open-data/360giving.json", "/feed.atom", "资助编号(360Giving)", "已拨付(元)",
                 "360G-gongyi-", "CN-USCI-"):
        assert text in html
    assert "2 个，资助金额合计 ¥130,000.50" in html
    first = n()
    _more_awards(world, 3)
    with count_queries() as n:
        client.get("/open-data/")
    assert n() == first


def test_the_demo_data_exports_a_valid_360giving_package_and_csv(client, db):
    """The whole demo (awards with payments) exports a valid package and one CSV row per award."""
    import json

    from sqlalchemy import func, select

    from app.awards.models import Award
    from app.demo import load

    load()
    db.session.commit()
    awards = db.session.scalar(select(func.count(Award.id)))
    assert awards >= 5
    package = json.loads(client.get("/open-data/360giving.json").get_data(as_text=True))
    errors = sorted(_validator().iter_errors(package), key=lambda e: list(e.path))
    assert errors == [], [e.message for e in errors[:5]]
    assert len(package["grants"]) == awards
    paid = [g for g in package["grants"] if g.get("disbursementTransaction")]
    assert paid and all(g["currency"] == "CNY" for g in package["grants"])
    rows, _raw = _csv(client)
    assert len(rows) - 1 == awards  # and the header


def test_the_vendored_schemas_equal_the_shared_reference_when_present():
    names = ["360-giving-package-schema.json", "360-giving-schema.json"]
    for name in names:
        assert (SCHEMAS / name).is_file()
    if SHARED.is_dir():  # the workplace's copy: ours must not drift from it
        for name in names:
            assert (SCHEMAS / name).read_bytes() == (SHARED / name).read_bytes(), name

"""Public lists not covered by their own domain's query-count tests: the call list (/calls/),
the fund list (/funds/) and a fund page with its recent donations. Each runs the same number
of queries with few and with many rows (issue 6: "a query-count test on every public list").

The other public lists are counted where they are built: /orgs/ (tests/orgs), /notices/ and
/awards/ (tests/awards), /projects/ and /disclosure/ (tests/transparency), the open data and
the feed (tests/transparency), the statistics and the API (tests/transparency, tests/api)."""
from __future__ import annotations

from app.calls.models import CallKind, CallStatus
from app.extensions import db as _db
from app.money import ledger
from app.money.models import Donation, DonationStatus, FundSourceKind
from app.core.db import utcnow
from tests.factories import make_call, make_funder, make_fund_source, make_region

from app.regions.models import RegionLevel


def _counted(client, count_queries, url: str, shows: str) -> int:
    client.get(url)  # warm up (translations, compiled templates)
    with count_queries() as n:
        resp = client.get(url)
        assert resp.status_code == 200, url
    assert shows in resp.get_data(as_text=True), (url, shows)  # the rows are really on the page
    return n()


def test_call_list_is_constant_in_queries(client, db, count_queries):
    counts = []
    for n in (2, 8):
        county = make_region(level=RegionLevel.COUNTY)
        funders = [make_funder(region=county) for _ in range(2)]
        for i in range(n):
            make_call(funders[i % 2], status=CallStatus.OPEN if i % 3 else CallStatus.NOTICE,
                      kind=CallKind.PURCHASE if i % 2 else CallKind.VENTURE, title=f"查询计数征集{n}-{i}")
        counts.append(_counted(client, count_queries, "/calls/", f"查询计数征集{n}-{n - 1}"))
    assert counts[0] == counts[1], counts


def _donation(fund, amount_fen: int, i: int) -> None:
    donation = Donation(fund_source_id=fund.id, amount_fen=amount_fen, donor_name=f"捐赠人{i}",
                        donor_email=f"donor{i}@example.cn", checkout_session_id=f"cs_q_{fund.id}_{i}")
    _db.session.add(donation)
    _db.session.flush()
    donation.entry_id = ledger.donate(fund, amount_fen, source=("donation", donation.id)).id
    donation.status, donation.paid_at = DonationStatus.PAID, utcnow()
    _db.session.flush()


def test_fund_list_and_fund_page_are_constant_in_queries(client, db, count_queries):
    list_counts, page_counts = [], []
    for n in (2, 7):
        funder = make_funder()
        funds = [make_fund_source(funder, amount_fen=0, appropriate=False, kind=FundSourceKind.DONATION,
                                  name=f"查询计数基金{n}-{i}", accepts_donations=True,
                                  donation_target_fen=1_000_000) for i in range(n)]
        for i in range(n * 2):
            _donation(funds[0], 1_000 + i, i)
        list_counts.append(_counted(client, count_queries, "/funds/", f"查询计数基金{n}-{n - 1}"))
        page_counts.append(_counted(client, count_queries, f"/funds/{funds[0].id}", f"捐赠人{n * 2 - 1}"))
    assert list_counts[0] == list_counts[1], list_counts
    assert page_counts[0] == page_counts[1], page_counts

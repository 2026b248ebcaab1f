"""Every collection of the API reads a fixed number of queries whatever the number of rows
(3 rows against 12)."""
from __future__ import annotations

from app.extensions import db
from app.money.models import FundSourceKind
from tests.factories import make_application, make_award, make_call, make_fund_source, make_funder, make_funding, \
    make_org


def _rows(n: int) -> None:
    """n calls, n awards (each with two fund sources), n organizations, n disclosed funds."""
    from app.calls.models import CallStatus

    funder = make_funder()
    call = make_call(funder, status=CallStatus.AWARDED)
    for _ in range(n - 1):
        make_call(funder, status=CallStatus.OPEN)
    for i in range(n):
        fund_a = make_fund_source(funder, amount_fen=10_000_000, name=f"资金甲{i}")
        fund_b = make_fund_source(funder, amount_fen=10_000_000, name=f"资金乙{i}",
                                  kind=FundSourceKind.GOVERNMENT_PURCHASE)
        award = make_award(make_application(call, make_org(), requested_fen=2_000_000))
        make_funding(award, fund_a, amount_fen=1_000_000)
        make_funding(award, fund_b, amount_fen=1_000_000)
    db.session.flush()


_made = {"n": 0}   # rows made so far by _rows in this test

# Rows each collection lists after _rows(n) has run for a total of t: calls t (one awarded call
# per batch plus n-1 open ones), awards t, organizations t, funds 2t.
TOTALS = {"/api/v1/calls": lambda t: t, "/api/v1/awards": lambda t: t, "/api/v1/organizations": lambda t: t,
          "/api/v1/fund-sources": lambda t: 2 * t}

URLS = ["/api/v1/calls", "/api/v1/awards", "/api/v1/organizations", "/api/v1/fund-sources",
        "/api/v1/statistics/organizations", "/api/v1/statistics/awards", "/api/v1/statistics/money"]


def _counts(client, count_queries, n: int) -> dict[str, int]:
    _rows(n)
    _made["n"] += n
    db.session.commit()
    out = {}
    for url in URLS:
        client.get(url)  # warm (first-request work such as loading the user does not count)
        with count_queries() as queries:
            resp = client.get(url + "?per_page=100" if "statistics" not in url else url)
        assert resp.status_code == 200
        if "statistics" not in url:
            assert resp.get_json()["meta"]["total"] == TOTALS[url](_made["n"])
        out[url] = queries()
    return out


def test_collections_read_a_fixed_number_of_queries(app, client, count_queries, db):
    _made["n"] = 0
    three = _counts(client, count_queries, 3)
    # The same database with 9 more rows of each: the counts do not move.
    nine_more = _counts(client, count_queries, 9)
    assert three == nine_more, (three, nine_more)
    print("queries per page (3 rows / 12 rows):", three)
    # And the numbers stay small.
    assert max(three[u] for u in URLS[:4]) <= 8, three

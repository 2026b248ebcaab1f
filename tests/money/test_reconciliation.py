"""Reconciliation figures against a hand computation, exports equal to the pages to the
fen, and a constant number of queries whatever the number of rows."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.funders.models import StaffRole
from app.money import funds as service
from app.money import ledger
from app.money import reconciliation as recon
from app.money.models import FundSourceKind
from tests.conftest import login
from tests.factories import (make_application, make_award, make_call, make_fund_source, make_funder,
                             make_installments, make_org, make_payment, make_staff)


@pytest.fixture
def books(db):
    """F1: 1,000,000 + 50,000 appropriated; F2: a 20,000 donation. Call budget 300,000;
    F1 allocates 300,000 and F2 10,000 to it. Award 1 (200,000) = F1 190,000 + F2 10,000,
    its first installment (100,000) paid (F1 95,000, F2 5,000), 5,000 refunded to F1.
    Award 2 (10,000) is not funded."""
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    finance = make_staff(funder, StaffRole.FINANCE_OFFICER)
    call = make_call(funder, status=CallStatus.AWARDED, budget_fen=30_000_000, title="=HYPERLINK(\"x\")征集")
    org = make_org(name="+危险组织名")
    f1 = make_fund_source(funder, amount_fen=100_000_000, name="2026福彩公益金")
    service.add_appropriation(finance, f1, "50000")
    f2 = make_fund_source(funder, amount_fen=0, appropriate=False, kind=FundSourceKind.DONATION, name="@捐赠基金")
    ledger.donate(f2, 2_000_000, source=("test", 1))
    service.allocate(finance, f1, call, "300000")
    service.allocate(finance, f2, call, "10000")
    app1 = make_application(call, org, status=ApplicationStatus.AWARDED, requested_fen=20_000_000, complete=False,
                            title="-助老项目")
    award1 = make_award(app1, amount_fen=20_000_000, number="GY2026-0001-001")
    service.fund_award(officer, award1, [(f1, 19_000_000), (f2, 1_000_000)])
    make_payment(make_installments(award1)[0], approved_by=finance)
    service.record_refund(finance, award1, f1, "5000", date.today(), "BANK-9", "结余退回")
    app2 = make_application(call, org, status=ApplicationStatus.AWARDED, requested_fen=1_000_000, complete=False)
    award2 = make_award(app2, amount_fen=1_000_000, number="GY2026-0001-002")
    return {"funder": funder, "finance": finance, "officer": officer, "call": call, "f1": f1, "f2": f2,
            "award1": award1, "award2": award2, "org": org}


def test_fund_figures_equal_the_hand_computation(db, books):
    r1, r2 = recon.fund_rows([books["f1"], books["f2"]])
    assert (r1.appropriated, r1.donations, r1.allocated, r1.committed, r1.paid, r1.refunded, r1.available) == \
        (105_000_000, 0, 30_000_000, 9_500_000, 9_500_000, 500_000, 75_500_000)
    assert (r2.appropriated, r2.donations, r2.allocated, r2.committed, r2.paid, r2.refunded, r2.available) == \
        (0, 2_000_000, 1_000_000, 500_000, 500_000, 0, 1_000_000)
    for r in (r1, r2):
        assert r.available == r.appropriated + r.donations + r.refunded - r.allocated
    total = recon.fund_totals([books["f1"], books["f2"]])
    assert total.available == 76_500_000 and total.paid == 10_000_000


def test_call_and_award_figures_equal_the_hand_computation(db, books):
    (row,) = recon.call_rows([books["call"]], [books["f1"], books["f2"]])
    assert (row.budget, row.allocated, row.uncommitted, row.committed, row.paid, row.refunded, row.unallocated) == \
        (30_000_000, 31_000_000, 11_000_000, 10_000_000, 10_000_000, 500_000, -1_000_000)
    assert [(p.fund.id, p.allocated, p.uncommitted, p.committed, p.paid, p.refunded) for p in row.parts] == [
        (books["f1"].id, 30_000_000, 11_000_000, 9_500_000, 9_500_000, 500_000),
        (books["f2"].id, 1_000_000, 0, 500_000, 500_000, 0)]
    a1, a2 = recon.award_rows([books["award1"], books["award2"]], [books["f1"], books["f2"]])
    assert (a1.amount, a1.committed, a1.paid, a1.refunded, a1.remaining, a1.unfunded) == \
        (20_000_000, 20_000_000, 10_000_000, 500_000, 10_000_000, 0)
    assert (a2.amount, a2.committed, a2.paid, a2.refunded, a2.remaining, a2.unfunded) == \
        (1_000_000, 0, 0, 0, 0, 1_000_000)


def _fen(text: str) -> int:
    text = html.unescape(text).strip()
    sign = -1 if text.startswith("-") else 1
    yuan, cents = text.lstrip("-").replace("¥", "").replace(",", "").split(".")
    return sign * (int(yuan) * 100 + int(cents))


def _page_rows(body: str) -> dict[str, list[int]]:
    """key → the amounts shown in the row (text and data-fen must agree)."""
    rows = {}
    for key, inner in re.findall(r'<tr data-key="([^"]*)"[^>]*>(.*?)</tr>', body, re.S):
        cells = re.findall(r'<td class="text-end text-nowrap[^"]*" data-fen="(-?\d+)">([^<]*)</td>', inner)
        assert all(int(fen) == _fen(text) for fen, text in cells)
        rows[html.unescape(key)] = [int(fen) for fen, _text in cells]
    return rows


def _xlsx_rows(data: bytes, keys: list[int], amount_from: int) -> dict[str, list[int]]:
    ws = load_workbook(io.BytesIO(data)).active
    out = {}
    for row in list(ws.iter_rows(values_only=True))[1:]:
        key = "|".join(str(row[k]) for k in keys)
        out[key] = [round(v * 100) for v in row[amount_from:] if v is not None]
    return out


def _csv_rows(data: bytes, keys: list[int], amount_from: int) -> dict[str, list[int]]:
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    return {"|".join(r[k] for k in keys): [_fen(v) for v in r[amount_from:] if v != ""] for r in rows}


def _unsafe(key: str) -> str:
    return key.lstrip("'")


@pytest.mark.parametrize("view,keys,amount_from", [("funds", [1], 4), ("calls", [0, 1], 2), ("awards", [0], 4)])
def test_exports_equal_the_page_to_the_fen(client, db, books, view, keys, amount_from):
    login(client, books["finance"])
    page = client.get(f"/finance/reconciliation?view={view}")
    assert page.status_code == 200
    shown = _page_rows(page.get_data(as_text=True))
    assert shown
    xlsx = client.get(f"/finance/reconciliation.xlsx?view={view}")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    csv_ = client.get(f"/finance/reconciliation.csv?view={view}")
    assert csv_.status_code == 200 and csv_.mimetype == "text/csv"
    for exported in (_xlsx_rows(xlsx.data, keys, amount_from), _csv_rows(csv_.data, keys, amount_from)):
        normalised = {"|".join(_unsafe(part) for part in k.split("|")): v for k, v in exported.items()}
        for key, amounts in shown.items():
            if view == "calls":
                title, fund = key.split("|")
                key = f"{title}|{fund}"
            assert normalised[key] == amounts, (view, key)


def test_exports_neutralise_formula_cells(client, db, books):
    login(client, books["finance"])
    ws = load_workbook(io.BytesIO(client.get("/finance/reconciliation.xlsx?view=awards").data)).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "'-助老项目" in values and "'+危险组织名" in values and "'=HYPERLINK(\"x\")征集" in values
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)
    text = client.get("/finance/reconciliation.csv?view=funds").data.decode("utf-8-sig")
    assert "'@捐赠基金" in text and ",@捐赠基金" not in text


def test_safe_text():
    assert recon.safe_text("=1+1") == "'=1+1"
    assert recon.safe_text("\tcmd") == "'\tcmd"
    assert recon.safe_text("福彩") == "福彩"


def _more_awards(books, n: int) -> None:
    for i in range(n):
        application = make_application(books["call"], books["org"], status=ApplicationStatus.AWARDED,
                                        requested_fen=100_000, complete=False)
        award = make_award(application, amount_fen=100_000)
        service.fund_award(books["officer"], award, [(books["f1"], 100_000)])


@pytest.mark.parametrize("url", ["/finance/reconciliation", "/finance/reconciliation?view=calls",
                                 "/finance/reconciliation?view=awards", "/finance/journal", "/finance/"])
def test_query_count_does_not_grow_with_rows(client, db, books, count_queries, url):
    login(client, books["finance"])
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    small = few()
    _more_awards(books, 6)
    extra = make_call(books["funder"], status=CallStatus.OPEN)
    service.allocate(books["finance"], books["f1"], extra, "100")
    make_fund_source(books["funder"], amount_fen=1_000)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert many() == small

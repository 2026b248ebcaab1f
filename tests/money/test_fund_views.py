"""Finance pages through the Flask client: status codes, messages, what gets written."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.funders.models import StaffRole
from app.money import funds as service
from app.money import ledger
from app.money.models import AccountKind, EntryKind, FundSource, InstallmentStatus, JournalEntry, Refund
from tests.conftest import login
from tests.factories import (make_application, make_award, make_call, make_fund_source, make_funder,
                             make_installments, make_org, make_payment, make_staff)

A = AccountKind


@pytest.fixture
def w(db):
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    finance = make_staff(funder, StaffRole.FINANCE_OFFICER)
    auditor = make_staff(funder, StaffRole.AUDITOR)
    call = make_call(funder, status=CallStatus.AWARDED, title="翠湖社区公益创投")
    fund = make_fund_source(funder, amount_fen=10_000_000, name="2026年福彩公益金")
    org = make_org()
    application = make_application(call, org, status=ApplicationStatus.AWARDED, requested_fen=3_000_000,
                                   complete=False, title="银龄饭桌")
    award = make_award(application, amount_fen=3_000_000)
    return {"funder": funder, "officer": officer, "finance": finance, "auditor": auditor, "call": call,
            "fund": fund, "award": award, "org": org}


def _entries(db) -> int:
    return db.session.scalar(select(func.count(JournalEntry.id)))


def test_finance_home_lists_funds_and_pending_payments(client, db, w):
    ledger.allocate(None, w["fund"], w["call"], 3_000_000)
    service.fund_award(w["officer"], w["award"], [(w["fund"], 3_000_000)])
    inst = make_installments(w["award"], statuses=[InstallmentStatus.REQUESTED])
    assert inst
    login(client, w["auditor"])
    body = client.get("/finance/").get_data(as_text=True)
    assert "2026年福彩公益金" in body and "待审核拨付" in body
    assert "¥70,000.00" in body          # available
    assert "新建资金来源" not in body      # auditors do not manage funds


def test_create_fund_through_the_form(client, db, w):
    login(client, w["finance"])
    assert "新建资金来源" in client.get("/finance/funds/new").get_data(as_text=True)
    bad = client.post("/finance/funds/new", data={"funder_id": str(w["funder"].id), "kind": "incubation",
                                                  "name": "孵化资金", "fiscal_year": "2026", "amount": "12.345"})
    assert bad.status_code == 200 and "两位小数" in bad.get_data(as_text=True)
    assert db.session.scalar(select(FundSource).where(FundSource.name == "孵化资金")) is None
    ok = client.post("/finance/funds/new", data={"funder_id": str(w["funder"].id), "kind": "incubation",
                                                 "name": "孵化资金", "fiscal_year": "2026", "amount": "80,000"})
    fund = db.session.scalar(select(FundSource).where(FundSource.name == "孵化资金"))
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/finance/funds/{fund.id}")
    assert ledger.balance(A.AVAILABLE, fund_source_id=fund.id) == 8_000_000


def test_create_fund_for_a_foreign_funder_is_refused(client, db, w):
    login(client, w["finance"])
    other = make_funder()
    resp = client.post("/finance/funds/new", data={"funder_id": str(other.id), "kind": "incubation",
                                                   "name": "别人的钱", "fiscal_year": "2026", "amount": "1"})
    assert resp.status_code == 200 and "请选择资助方" in resp.get_data(as_text=True)
    assert db.session.scalar(select(FundSource).where(FundSource.name == "别人的钱")) is None


def test_allocate_appropriate_and_deallocate_on_the_fund_page(client, db, w):
    login(client, w["officer"])
    url = f"/finance/funds/{w['fund'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "分配至征集" in page and "翠湖社区公益创投" in page
    before = _entries(db)
    too_much = client.post(f"{url}/allocate", data={"call_id": str(w["call"].id), "amount": "100000.01"})
    assert too_much.status_code == 409 and "不足以分配" in too_much.get_data(as_text=True)
    assert _entries(db) == before
    ok = client.post(f"{url}/allocate", data={"call_id": str(w["call"].id), "amount": "40000", "memo": "首批"})
    assert ok.status_code == 302
    assert ledger.balance(A.ALLOCATED, call_id=w["call"].id) == 4_000_000
    assert client.post(f"{url}/appropriate", data={"amount": "1000", "memo": "追加"}).status_code == 302
    assert ledger.balance(A.AVAILABLE, fund_source_id=w["fund"].id) == 6_100_000
    page = client.get(url).get_data(as_text=True)
    assert "撤回这笔分配" in page and "¥40,000.00" in page
    partial = client.post(f"{url}/deallocate", data={"call_id": str(w["call"].id), "amount": "100.00", "memo": "错"})
    assert partial.status_code == 302
    assert ledger.balance(A.ALLOCATED, call_id=w["call"].id) == 4_000_000
    assert "只能整笔撤回" in client.get(url).get_data(as_text=True)
    whole = client.post(f"{url}/deallocate", data={"call_id": str(w["call"].id), "amount": "40000.00",
                                                   "memo": "分错征集"})
    assert whole.status_code == 302 and ledger.balance(A.ALLOCATED, call_id=w["call"].id) == 0


def test_allocation_to_a_closed_call_answers_409(client, db, w):
    closed = make_call(w["funder"], status=CallStatus.CLOSED)
    login(client, w["finance"])
    resp = client.post(f"/finance/funds/{w['fund'].id}/allocate", data={"call_id": str(closed.id), "amount": "1"})
    # A closed call is not among the choices; posted anyway it is refused as out of order.
    assert resp.status_code == 409 and ledger.balance(A.ALLOCATED, call_id=closed.id) == 0


def test_fund_edit_keeps_the_amount(client, db, w):
    login(client, w["finance"])
    resp = client.post(f"/finance/funds/{w['fund'].id}/edit", data={"name": "新名字", "description": "说明",
                                                                     "amount": "1"})
    assert resp.status_code == 302
    db.session.refresh(w["fund"])
    assert w["fund"].name == "新名字" and w["fund"].amount_fen == 10_000_000
    bad = client.post(f"/finance/funds/{w['fund'].id}/edit", data={"name": ""})
    assert bad.status_code == 200 and "请填写资金来源名称" in bad.get_data(as_text=True)


def test_award_funding_form_prefilled_and_posted(client, db, w):
    second = make_fund_source(w["funder"], amount_fen=10_000_000, name="政府购买资金")
    ledger.allocate(None, w["fund"], w["call"], 3_000_000)
    ledger.allocate(None, second, w["call"], 1_000_000)
    login(client, w["officer"])
    url = f"/awards/{w['award'].id}/funding"
    page = client.get(url).get_data(as_text=True)
    assert f'name="fund-{w["fund"].id}"' in page and 'value="22500.00"' in page and 'value="7500.00"' in page
    wrong = client.post(url, data={f"fund-{w['fund'].id}": "20000", f"fund-{second.id}": "7500"})
    assert wrong.status_code == 200 and "应等于资助金额" in wrong.get_data(as_text=True)
    assert service.funding_of(w["award"]) == []
    ok = client.post(url, data={f"fund-{w['fund'].id}": "20000", f"fund-{second.id}": "10000"})
    assert ok.status_code == 302
    assert sorted(f.amount_fen for f in service.funding_of(w["award"])) == [1_000_000, 2_000_000]
    again = client.post(url, data={f"fund-{w['fund'].id}": "30000"})
    assert again.status_code == 409


def test_award_funding_page_for_readers_and_outsiders(client, db, w):
    login(client, w["auditor"])
    body = client.get(f"/awards/{w['award'].id}/funding").get_data(as_text=True)
    assert "本征集没有可用于立项的资金分配" in body
    owner = make_staff(make_funder(), StaffRole.FINANCE_OFFICER)
    login(client, owner)
    assert client.get(f"/awards/{w['award'].id}/funding").status_code == 403
    assert client.get("/awards/999999/funding").status_code == 404


def _paid(w):
    ledger.allocate(None, w["fund"], w["call"], 3_000_000)
    service.fund_award(w["officer"], w["award"], [(w["fund"], 3_000_000)])
    make_payment(make_installments(w["award"])[0], approved_by=w["finance"])


def test_refund_through_the_form_and_reverse_it(client, db, w):
    _paid(w)
    login(client, w["finance"])
    url = f"/awards/{w['award'].id}/refunds"
    bad = client.post(url, data={"fund_id": str(w["fund"].id), "amount": "20000", "received_on": date.today().isoformat(),
                                 "reference": "B1", "reason": "结余"})
    assert bad.status_code == 409 and "不能超过" in bad.get_data(as_text=True)
    ok = client.post(url, data={"fund_id": str(w["fund"].id), "amount": "500", "received_on": date.today().isoformat(),
                                "reference": "B1", "reason": "结余退回"})
    assert ok.status_code == 302
    refund = db.session.scalar(select(Refund).where(Refund.award_id == w["award"].id))
    assert refund.amount_fen == 50_000
    page = client.get(f"/awards/{w['award'].id}/funding").get_data(as_text=True)
    assert "结余退回" in page and "冲正此分录" in page
    resp = client.post(f"/finance/entries/{refund.entry_id}/reverse",
                       data={"reason": "金额录错", "next": f"/awards/{w['award'].id}/funding"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/awards/{w['award'].id}/funding")
    assert ledger.balance(A.REFUNDED, award_id=w["award"].id) == 0
    assert "已冲正" in client.get(f"/awards/{w['award'].id}/funding").get_data(as_text=True)


def test_reverse_needs_a_fresh_login_and_a_safe_next(client, db, w):
    entry_id = db.session.scalar(select(JournalEntry.id).where(JournalEntry.kind == EntryKind.APPROPRIATION,
                                                               JournalEntry.source_id == w["fund"].id))
    login(client, w["finance"], fresh=False)
    stale = client.post(f"/finance/entries/{entry_id}/reverse", data={"reason": "拨入有误"})
    assert stale.status_code == 302 and "/auth/reauthenticate" in stale.headers["Location"]
    login(client, w["finance"])
    resp = client.post(f"/finance/entries/{entry_id}/reverse", data={"reason": "拨入有误", "next": "//evil.example"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/finance/journal")
    assert ledger.balance(A.AVAILABLE, fund_source_id=w["fund"].id) == 0
    login(client, w["officer"])
    other = make_fund_source(w["funder"], amount_fen=100)
    other_entry = db.session.scalar(select(JournalEntry.id).where(JournalEntry.kind == EntryKind.APPROPRIATION,
                                                                  JournalEntry.source_id == other.id))
    assert client.post(f"/finance/entries/{other_entry}/reverse", data={"reason": "x"}).status_code == 403


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: x=1", "/\\evil.example", "https://evil.example/", "/ok\x00"])
def test_reverse_with_an_unsafe_next_goes_to_the_journal(client, db, w, target):
    """Found by the form fuzzer: a line break in `next` made the redirect itself a 500."""
    entry_id = db.session.scalar(select(JournalEntry.id).where(JournalEntry.kind == EntryKind.APPROPRIATION,
                                                               JournalEntry.source_id == w["fund"].id))
    login(client, w["finance"])
    resp = client.post(f"/finance/entries/{entry_id}/reverse", data={"reason": "拨入有误", "next": target})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/finance/journal")


def test_journal_filters_and_pagination(client, db, w, app):
    ledger.allocate(None, w["fund"], w["call"], 100)
    login(client, w["auditor"])
    body = client.get("/finance/journal").get_data(as_text=True)
    assert "资金拨入" in body and "分配至征集" in body
    only_alloc = client.get("/finance/journal?kind=allocation").get_data(as_text=True)
    assert "共 1 笔分录" in only_alloc
    today = date.today().isoformat()
    assert "共 2 笔分录" in client.get(f"/finance/journal?date_from=2000-01-01&date_to=2100-01-01").get_data(as_text=True)
    assert "没有符合条件的分录" in client.get("/finance/journal?date_to=2001-01-01").get_data(as_text=True)
    # Odd input is ignored, never a 500.
    for query in ("kind=nope", "fund=abc", "date_from=0001-01-01", "date_to=99999-1-1", "page=-3", f"fund=99999&d={today}"):
        assert client.get(f"/finance/journal?{query}").status_code == 200
    for _ in range(app.config["PAGE_SIZE"]):
        ledger.allocate(None, w["fund"], w["call"], 1)
    page2 = client.get("/finance/journal?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in page2


def test_reconciliation_filters(client, db, w):
    make_fund_source(w["funder"], amount_fen=100, fiscal_year=2025, name="旧年度资金")
    login(client, w["finance"])
    assert "旧年度资金" in client.get("/finance/reconciliation").get_data(as_text=True)
    body = client.get("/finance/reconciliation?year=2026").get_data(as_text=True)
    assert "旧年度资金" not in body and "2026年福彩公益金" in body
    assert "旧年度资金" in client.get("/finance/reconciliation?q=旧年度").get_data(as_text=True)
    awards = client.get("/finance/reconciliation?view=awards&q=银龄").get_data(as_text=True)
    assert "银龄饭桌" in awards
    assert "没有符合条件" in client.get("/finance/reconciliation?view=calls&q=不存在的征集").get_data(as_text=True)
    for query in ("view=bogus", "funder=abc", "year=99999", "funder=999999"):
        assert client.get(f"/finance/reconciliation?{query}").status_code == 200


def test_call_funds_page(client, db, w):
    ledger.allocate(None, w["fund"], w["call"], 2_000_000)
    login(client, w["auditor"])
    body = client.get(f"/finance/calls/{w['call'].id}").get_data(as_text=True)
    assert "2026年福彩公益金" in body and "¥20,000.00" in body and "银龄饭桌" in body and "未落实" in body


def test_journal_dates_at_the_edge_of_the_calendar_are_not_an_error(client, db):
    """0001-01-01 and 9999-12-31 cannot be shifted to UTC; the bounds are dropped, not a 500."""
    from app.funders.models import StaffRole
    from tests.conftest import login
    from tests.factories import make_fund_source, make_funder, make_staff

    funder = make_funder()
    make_fund_source(funder, amount_fen=100_000, name="边界日期测试资金")
    login(client, make_staff(funder, StaffRole.FINANCE_OFFICER))
    for query in ("date_from=0001-01-01", "date_to=9999-12-31", "date_from=0001-01-01&date_to=9999-12-31"):
        resp = client.get(f"/finance/journal?{query}")
        assert resp.status_code == 200, query
        assert "边界日期测试资金" in resp.get_data(as_text=True)

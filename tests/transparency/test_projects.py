"""Public project pages: services (hand-computed figures), the list, the page, privacy."""
from __future__ import annotations

from decimal import Decimal

from app.money.models import FundSourceKind
from app.reports.models import ReportKind, ReportRating
from app.transparency import projects as service
from tests.transparency import fixtures as fx


def test_project_service_figures(db):
    d = fx.build()
    p = service.get_project(d.award_a.id)
    assert p.welfare_lottery is True
    assert [(f.fund_source.kind, f.amount_fen) for f in p.fundings] == [
        (FundSourceKind.WELFARE_LOTTERY, 3_000_000), (FundSourceKind.GOVERNMENT_PURCHASE, 2_000_000)]
    assert p.installment_count == 3
    assert [(i.position, i.amount_fen) for i in p.paid] == [(1, 2_500_000)]
    assert p.paid_fen == 2_500_000 and p.paid_percent == Decimal("50.0")
    o = p.outcome
    assert o.indicators_from == ReportKind.PROGRESS
    assert [(i.name, i.target, i.actual, i.achieved) for i in o.indicators] == [
        ("助餐服务人次", Decimal("5000"), Decimal("2000"), Decimal("40.0"))]
    assert o.spending_rate == Decimal("20.0")
    assert [s.kind for s in o.summaries] == [ReportKind.PROGRESS]   # the DRAFT final is not shown
    assert o.summaries[0].beneficiaries == 80
    assert o.final_accepted is False and o.final_rating is None
    # Term: the application's (no signed agreement).
    assert (p.starts_on, p.ends_on, p.term_from_agreement) == (
        d.award_a.application.starts_on, d.award_a.application.ends_on, False)


def test_final_report_accepted_gives_rating_and_latest_actuals(db):
    d = fx.build()
    fx.accept_final(d, ReportRating.EXCELLENT)
    o = service.get_project(d.award_a.id).outcome
    assert o.final_accepted and o.final_rating == ReportRating.EXCELLENT
    assert o.indicators_from == ReportKind.FINAL
    assert o.indicators[0].actual == Decimal("5500") and o.indicators[0].achieved == Decimal("110.0")
    assert [s.kind for s in o.summaries] == [ReportKind.PROGRESS, ReportKind.FINAL]


def test_signed_agreement_term(db):
    from tests.factories import make_agreement

    d = fx.build()
    agreement = make_agreement(d.award_a)
    p = service.get_project(d.award_a.id)
    assert (p.starts_on, p.ends_on, p.term_from_agreement) == (agreement.starts_on, agreement.ends_on, True)


def test_projects_query_filters(db):
    d = fx.build()
    ids = lambda **kw: {a.id for a in db.session.scalars(service.projects_query(**kw))}  # noqa: E731
    assert {d.award_a.id, d.award_b.id} <= ids()
    assert ids(kind=FundSourceKind.WELFARE_LOTTERY) >= {d.award_a.id}
    assert d.award_b.id not in ids(kind=FundSourceKind.WELFARE_LOTTERY)
    assert ids(q="彩虹儿童", call_id=d.call.id) == {d.award_b.id}
    assert ids(q="长者助餐", call_id=d.call.id) == {d.award_a.id}
    assert ids(call_id=d.call.id, kind=FundSourceKind.DONATION) == set()
    extras = service.list_extras([d.award_a.id, d.award_b.id])
    assert extras[d.award_a.id].welfare_lottery and extras[d.award_a.id].paid_fen == 2_500_000
    assert not extras[d.award_b.id].welfare_lottery and extras[d.award_b.id].paid_fen == 0


def _text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


PRIVATE = (fx.DRAFT_SECRET, fx.DONOR_EMAIL, fx.OBJECTOR_CONTACT, fx.REVIEWER_COMMENT, fx.LEADER_PHONE, fx.ORG_EMAIL,
           fx.ORG_PHONE)


def test_project_page_shows_and_hides(client, db):
    d = fx.build()
    html = _text(client.get(f"/projects/{d.award_a.id}"))
    for shown in ("长者助餐项目", "阳光长者服务队", "为社区独居老人提供助餐", "一年内为 100 名独居老人", d.award_a.number,
                  "¥50,000.00", "¥25,000.00", "2026年福彩公益金", "2026年政府购买服务资金", "福彩公益金资助",
                  fx.ACCEPTED_NARRATIVE, "40.0%", "20.0%", "2026年社区公益创投",
                  f"/orgs/{d.award_a.organization_id}", f"/awards/calls/{d.call.id}"):
        assert shown in html, shown
    for secret in PRIVATE:
        assert secret not in html, secret
    assert "结项评级" not in html


def test_lottery_mark_only_when_a_lottery_fund_pays(client, db):
    d = fx.build()
    html = _text(client.get(f"/projects/{d.award_b.id}"))
    assert "福彩公益金资助" not in html
    assert "2026年政府购买服务资金" in html and "尚未拨付" in html and "暂无已通过审核的项目报告" in html


def test_project_page_final_rating(client, db):
    d = fx.build()
    fx.accept_final(d, ReportRating.GOOD)
    html = _text(client.get(f"/projects/{d.award_a.id}"))
    assert "结项评级" in html and "良好" in html and "110.0%" in html


def test_unknown_project_is_404(client, db):
    assert client.get("/projects/999999").status_code == 404
    assert client.get("/projects/99999999999").status_code == 404


def test_projects_list(client, db):
    d = fx.build()
    html = _text(client.get("/projects/"))
    assert f"/projects/{d.award_a.id}" in html and f"/projects/{d.award_b.id}" in html
    assert "福彩公益金资助" in html
    for secret in PRIVATE:
        assert secret not in html, secret
    html = _text(client.get("/projects/", query_string={"kind": "welfare_lottery", "call": d.call.id}))
    assert f"/projects/{d.award_a.id}" in html and f"/projects/{d.award_b.id}" not in html
    html = _text(client.get("/projects/", query_string={"q": "彩虹"}))
    assert f"/projects/{d.award_b.id}" in html and f"/projects/{d.award_a.id}\"" not in html
    html = _text(client.get("/projects/", query_string={"q": "不存在的项目名"}))
    assert "没有符合条件的资助项目" in html


def test_projects_list_bad_input_is_not_an_error(client, db):
    fx.build()
    for args in ({"kind": "nonsense"}, {"year": "abc"}, {"call": "-1"}, {"region": "9" * 30}, {"page": "x"},
                 {"q": "\x00%_"}):
        assert client.get("/projects/", query_string=args).status_code == 200, args


def test_projects_list_query_count_is_constant(client, db, count_queries):
    d = fx.build()
    client.get("/projects/")
    with count_queries() as small:
        assert client.get("/projects/").status_code == 200
    fx.add_awards(d.call, d.w, 4)
    with count_queries() as large:
        assert client.get("/projects/").status_code == 200
    assert small() == large()


def test_project_page_query_count_is_constant(client, db, count_queries):
    d = fx.build()
    with count_queries() as n:
        assert client.get(f"/projects/{d.award_a.id}").status_code == 200
    assert n() <= 15

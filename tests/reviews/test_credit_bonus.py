"""The call's credit bonus in the outcomes (app.reviews.results.compute_outcomes): final score
= panel score + bonus; ranking and the pass line see the total; the bonus is fixed when the
outcome is first computed. Hand computation in each test.

One reviewer (the chair) per application, so each panel score is that reviewer's total
(trimmed_mean with fewer than five sheets = the mean of one).
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from app.core.audit import AuditEntry
from app.orgs import credit
from app.orgs.models import Debarment
from app.reports.models import ReportRating
from app.reviews import aggregation, results
from tests.conftest import login
from tests.orgs.test_credit import objection, report
from tests.reviews.test_results import YUAN, Scenario, _outcomes


def make_grade(s, index: int, grade: str):
    """Give application `index`'s organization grade A (two 优秀: 80 + 10 = 90), B (no record:
    80) or C (an upheld objection: 80 − 10 = 70), with records dated ten days ago."""
    from app.calls.models import CallStatus
    from tests.factories import make_call

    org = s.orgs[index]
    day = credit.china_today() - timedelta(days=10)
    w = {"funder": s.funder, "call": make_call(s.funder, status=CallStatus.AWARDED), "org": org}
    if grade == "A":
        for _ in range(2):
            report(w, rating=ReportRating.EXCELLENT, reviewed=day)
    elif grade == "C":
        objection(w, answered=day)
    assert credit.assess(org).grade.value == grade


def by_app(s):
    return {o.application_id: o for o in _outcomes(s.call)}


def test_the_bonus_flips_the_order(db):
    # 甲 panel 80 (grade C → +0) = 80.00; 乙 panel 79 (grade A → +3) = 82.00: 乙 first.
    # Budget ¥50,000 for two ¥50,000 requests: only the first is recommended.
    s = Scenario([[80], [79]], requested=[50_000, 50_000], budget_yuan=50_000)
    s.call.credit_bonus_max = 3
    make_grade(s, 0, "C")
    make_grade(s, 1, "A")
    results.finalize(s.chair, s.panel)
    o = by_app(s)
    jia, yi = o[s.apps[0].id], o[s.apps[1].id]
    assert (yi.rank, yi.final_score, yi.credit_bonus, yi.recommended) == (1, Decimal("82.00"), Decimal("3.00"), True)
    assert (jia.rank, jia.final_score, jia.credit_bonus, jia.recommended) == (2, Decimal("80.00"), Decimal("0.00"),
                                                                              False)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "review_outcome.compute")).all()[-1]
    assert entry.after["credit_bonus_max"] == 3 and entry.after["credit_bonus"] == {str(yi.application_id): "3.00"}


def test_without_the_bonus_the_panel_order_stands(db):
    s = Scenario([[80], [79]], requested=[50_000, 50_000], budget_yuan=50_000)
    make_grade(s, 1, "A")
    results.finalize(s.chair, s.panel)
    o = by_app(s)
    assert (o[s.apps[0].id].rank, o[s.apps[0].id].final_score, o[s.apps[0].id].credit_bonus) == (1, Decimal("80.00"),
                                                                                                 Decimal("0.00"))
    assert o[s.apps[1].id].credit_bonus == 0


def test_grade_b_gets_half_and_the_pass_line_compares_the_total(db):
    # pass line 60. 甲 panel 59 + A bonus 5 = 64 → passes; 乙 panel 58 + B bonus 2.50 = 60.50
    # → passes; 丙 panel 59 + C 0 = 59 → below the line.
    s = Scenario([[59], [58], [59]], requested=[30_000, 30_000, 30_000], budget_yuan=1_000_000)
    s.call.credit_bonus_max = 5
    make_grade(s, 0, "A")
    make_grade(s, 1, "B")
    make_grade(s, 2, "C")
    results.finalize(s.chair, s.panel)
    o = by_app(s)
    assert [(o[a.id].final_score, o[a.id].credit_bonus, o[a.id].rank, o[a.id].reason_code) for a in s.apps] == [
        (Decimal("64.00"), Decimal("5.00"), 1, aggregation.RECOMMENDED),
        (Decimal("60.50"), Decimal("2.50"), 2, aggregation.RECOMMENDED),
        (Decimal("59.00"), Decimal("0.00"), 3, aggregation.BELOW_PASS_LINE)]


def test_the_bonus_is_kept_when_the_outcomes_are_recomputed(db):
    s = Scenario([[80], [79]], requested=[50_000, 50_000], budget_yuan=50_000)
    s.call.credit_bonus_max = 3
    make_grade(s, 1, "A")
    results.finalize(s.chair, s.panel)
    yi = by_app(s)[s.apps[1].id]
    assert yi.credit_bonus == Decimal("3.00")
    # The organization is barred afterwards (grade D): the adjustment's recomputation keeps
    # the bonus it was given when the outcome was first computed.
    db.session.add(Debarment(organization_id=s.orgs[1].id, funder_id=s.funder.id,
                             starts_on=credit.china_today(), ends_on=credit.china_today() + timedelta(days=1000),
                             reason="违约"))
    db.session.flush()
    assert credit.assess(s.orgs[1]).grade.value == "D"
    results.adjust_amount(s.officer, yi, "40000", "压缩宣传费用")
    o = by_app(s)
    assert (o[s.apps[1].id].credit_bonus, o[s.apps[1].id].final_score, o[s.apps[1].id].rank) == (
        Decimal("3.00"), Decimal("82.00"), 1)


def test_a_call_without_bonus_reads_no_credit(db, count_queries, monkeypatch):
    s = Scenario([[80], [79]])
    called = []
    monkeypatch.setattr(credit, "assess_many", lambda *a, **k: called.append(a) or {})
    results.finalize(s.chair, s.panel)
    assert called == []


def test_tie_notes_see_the_bonus(db):
    # 甲 panel 80 (C, +0) and 乙 panel 77 (A, +3): both 80.00 after the bonus, so the tie note
    # explains the order by the top criterion (甲's first criterion 16 vs 乙's 15.4 → 15).
    s = Scenario([[80], [77]], requested=[50_000, 50_000])
    s.call.credit_bonus_max = 3
    make_grade(s, 0, "C")
    make_grade(s, 1, "A")
    results.finalize(s.chair, s.panel)
    rows = results.outcomes(s.call).rows
    assert [r.outcome.final_score for r in rows] == [Decimal("80.00"), Decimal("80.00")]
    assert all(r.tie_break and "同分" in r.tie_break for r in rows)


def test_results_page_shows_panel_plus_bonus(client, db):
    s = Scenario([[80], [79]], requested=[50_000, 50_000], budget_yuan=50_000)
    s.call.credit_bonus_max = 3
    make_grade(s, 0, "C")
    make_grade(s, 1, "A")
    results.finalize(s.chair, s.panel)
    login(client, s.officer)
    html = client.get(f"/reviews/calls/{s.call.id}/results").get_data(as_text=True)
    assert "面板得分 79.00 + 信用加分 3.00 = 最终得分 82.00" in html
    assert "面板得分 80.00 +" not in html       # no line where the bonus is 0
    assert "本征集设有信用加分（最多 3 分）" in html


def test_notice_rows_carrying_a_bonus_show_it(app):
    row = SimpleNamespace(rank=1, application=SimpleNamespace(id=1), standing=True, title="长者助餐",
                          organization="翠湖助老服务队", communities=["翠湖社区"], final_score=Decimal("82.00"),
                          credit_bonus=Decimal("3.00"), amount_fen=50_000 * YUAN, fund_source="福彩公益金",
                          status_label="拟立项")
    plain = SimpleNamespace(**{**vars(row), "credit_bonus": Decimal("0.00")})
    with app.test_request_context():
        macro = app.jinja_env.get_template("awards/_macros.html").module.notice_table
        html = str(macro([row, plain], "公示名单"))
    assert html.count("面板得分 79.00 + 信用加分 3.00 = 最终得分 82.00") == 2   # the table and the phone card
    assert "面板得分 82.00" not in html


def test_the_public_notice_rows_carry_the_stored_bonus(db):
    from app.awards.services import notice_rows

    s = Scenario([[80], [79]], requested=[50_000, 50_000], budget_yuan=100_000)
    s.call.credit_bonus_max = 3
    make_grade(s, 0, "C")
    make_grade(s, 1, "A")
    results.finalize(s.chair, s.panel)
    rows = {r.application.id: r for r in notice_rows(s.call)}
    a, b = (s.apps[0].id, s.apps[1].id)
    assert (rows[b].final_score, rows[b].credit_bonus, rows[b].rank) == (Decimal("82.00"), Decimal("3.00"), 1)
    assert (rows[a].final_score, rows[a].credit_bonus, rows[a].rank) == (Decimal("80.00"), Decimal("0.00"), 2)

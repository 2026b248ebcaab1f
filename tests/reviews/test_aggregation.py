"""Aggregation, ranking and recommendation (SPEC §4), checked against hand computation.

Every expected number below is worked out in the comment next to it."""
from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import ValidationError
from app.reviews.aggregation import (
    BELOW_PASS_LINE, BUDGET_EXHAUSTED, DOES_NOT_FIT, METHODS, RECOMMENDED, TIED_DO_NOT_FIT,
    ApplicationFacts, Criterion, Result, Sheet, aggregate, rank, recommend, top_criterion, totals,
)

ONE = [Criterion(id=1, max_points=100, weight=1, position=1, name="总分")]


def one_criterion_sheets(rows):
    """rows: (reviewer_id, application_id, total) with a single 0..100 criterion."""
    return [Sheet(r, a, {1: t}) for r, a, t in rows]


def facts(*ids, requested=100_000):
    return [ApplicationFacts(i, requested) for i in ids]


def single(method, app_totals, **kw):
    """Aggregate one application (id 1) scored by reviewers 1..n with the given totals."""
    sheets = one_criterion_sheets([(r, 1, t) for r, t in enumerate(app_totals, start=1)])
    [result] = aggregate(method, sheets, ONE, facts(1), **kw)
    return result


def scores(results):
    return {r.application_id: r.final_score for r in results}


# ------------------------------------------------------------------ totals

def test_total_is_the_plain_sum_of_points_regardless_of_weight():
    criteria = [Criterion(1, 20, 1, 1, "需求"), Criterion(2, 25, 5, 2, "项目设计")]
    sheet = Sheet(7, 3, {1: 18, 2: 21})
    assert sheet.total == 39
    assert totals([sheet, Sheet(8, 3, {1: 0, 2: 25})]) == {(7, 3): 39, (8, 3): 25}
    [result] = aggregate("mean", [sheet], criteria, facts(3))
    assert result.final_score == Decimal("39.00")


# ------------------------------------------------------------------ trimmed mean

def test_trimmed_mean_drops_one_highest_and_one_lowest_of_five():
    # 80, 85, 90, 70, 95: drop 70 (reviewer 4) and 95 (reviewer 5); (80+85+90)/3 = 255/3 = 85.00
    result = single("trimmed_mean", [80, 85, 90, 70, 95])
    assert result.final_score == Decimal("85.00")
    assert [(d.reviewer_id, d.total) for d in result.dropped] == [(4, 70), (5, 95)]
    assert result.reviewer_count == 5
    assert [t.total for t in result.totals] == [80, 85, 90, 70, 95]
    # the plain mean of the same totals: 420/5 = 84.00
    assert single("mean", [80, 85, 90, 70, 95]).final_score == Decimal("84.00")


def test_trimmed_mean_with_four_reviewers_is_the_plain_mean():
    # 80, 85, 90, 70 (< 5 sheets): nothing dropped; 325/4 = 81.25
    result = single("trimmed_mean", [80, 85, 90, 70])
    assert result.final_score == Decimal("81.25")
    assert result.dropped == ()


def test_trimmed_mean_drops_exactly_one_of_equal_extremes():
    # 70, 70, 80, 90, 90: one 70 and one 90 go; (70+80+90)/3 = 80.00
    # (dropping every 70 and 90 would leave 80 alone — still 80 — so check a case that differs:)
    # 60, 60, 60, 90, 100: drop one 60 and the 100; (60+60+90)/3 = 210/3 = 70.00
    # (dropping all lowest would give (90)/1 = 90.00)
    assert single("trimmed_mean", [70, 70, 80, 90, 90]).final_score == Decimal("80.00")
    result = single("trimmed_mean", [60, 60, 60, 90, 100])
    assert result.final_score == Decimal("70.00")
    # among equal lowest the smallest reviewer id is marked, among equal highest the largest
    result = single("trimmed_mean", [90, 70, 90, 70, 80])
    assert [(d.reviewer_id, d.total) for d in result.dropped] == [(2, 70), (3, 90)]


def test_trimmed_mean_when_all_totals_are_equal_drops_two_different_sheets():
    # 75 × 5: drop reviewer 1 (lowest, smallest id) and reviewer 5 (highest, largest id); 75.00
    result = single("trimmed_mean", [75] * 5)
    assert result.final_score == Decimal("75.00")
    assert [d.reviewer_id for d in result.dropped] == [1, 5]


def test_trimmed_mean_with_six_reviewers():
    # 60, 70, 80, 90, 100, 100: drop 60 and one 100; (70+80+90+100)/4 = 340/4 = 85.00
    assert single("trimmed_mean", [60, 70, 80, 90, 100, 100]).final_score == Decimal("85.00")


@pytest.mark.parametrize("method", METHODS)
def test_one_reviewer_gives_their_total(method):
    # One sheet of 73: mean 73; trimmed (< 5) = mean; zscore: the only total is the panel
    # mean M = 73 and S = 0, so it becomes M = 73.
    result = single(method, [73])
    assert result.final_score == Decimal("73.00")
    assert result.sd == Decimal("0.00")
    assert result.disagreement is False


# ------------------------------------------------------------------ rounding

@pytest.mark.parametrize("method", ["mean", "trimmed_mean"])
@pytest.mark.parametrize("app_totals, expected", [
    ([80, 80, 81], "80.33"),                        # 241/3 = 80.333…  → 80.33
    ([80, 81, 81], "80.67"),                        # 242/3 = 80.666…  → 80.67
    ([80, 80, 80, 81], "80.25"),                    # 321/4 = 80.25 exactly
    ([1, 0, 0], "0.33"),                            # 1/3
    ([1, 1, 0], "0.67"),                            # 2/3
])
def test_rounding_of_thirds(method, app_totals, expected):
    assert single(method, app_totals).final_score == Decimal(expected)


@pytest.mark.parametrize("app_totals, expected", [
    # 8 sheets (mean): 641/8 = 80.125 exactly → half-up 80.13 (banker's rounding: 80.12)
    ([80] * 7 + [81], "80.13"),
    ([80] * 5 + [81] * 3, "80.38"),                 # 643/8 = 80.375 → 80.38
    ([80] * 3 + [81] * 5, "80.63"),                 # 645/8 = 80.625 → 80.63 (banker's: 80.62)
    ([80] + [81] * 7, "80.88"),                     # 647/8 = 80.875 → 80.88
])
def test_exact_halves_round_up(app_totals, expected):
    assert single("mean", app_totals).final_score == Decimal(expected)


def test_a_float_implementation_would_publish_a_different_score():
    # what Python's round() on a float gives for 641/8 — the reason floats are not used
    assert round(641 / 8, 2) == 80.12
    assert single("mean", [80] * 7 + [81]).final_score == Decimal("80.13")


def test_trimmed_mean_halves_round_up():
    # 10 sheets: 0 and 100 dropped; the middle eight 80×7 + 81 = 641; 641/8 = 80.125 → 80.13
    result = single("trimmed_mean", [0] + [80] * 7 + [81] + [100])
    assert result.final_score == Decimal("80.13")
    assert [d.total for d in result.dropped] == [0, 100]


def test_final_score_is_a_two_decimal_decimal_never_a_float():
    result = single("zscore", [80, 90])
    assert isinstance(result.final_score, Decimal)
    assert result.final_score.as_tuple().exponent == -2
    assert isinstance(result.sd, Decimal) and result.sd.as_tuple().exponent == -2


# ------------------------------------------------------------------ sd and disagreement

@pytest.mark.parametrize("app_totals, sd, flagged", [
    ([50, 80], "15.00", False),       # mean 65, deviations ±15 → sd 15: not *above* 15
    ([50, 81], "15.50", True),        # mean 65.5, deviations ±15.5 → sd 15.5 > 15
    ([80, 85, 90], "4.08", False),    # variance (25+0+25)/3 = 50/3 → sd √16.67 = 4.0825 → 4.08
    ([70, 70, 70], "0.00", False),
    ([40, 60, 80, 100], "22.36", True),  # mean 70; (900+100+100+900)/4 = 500 → √500 = 22.3607
])
def test_population_sd_and_disagreement_flag(app_totals, sd, flagged):
    result = single("mean", app_totals)
    assert result.sd == Decimal(sd)
    assert result.disagreement is flagged


def test_disagreement_threshold_is_a_parameter_and_compared_exactly():
    # totals 80, 90: sd exactly 5
    assert single("mean", [80, 90], disagreement_threshold=5).disagreement is False
    assert single("mean", [80, 90], disagreement_threshold=Decimal("4.99")).disagreement is True
    # sd √(50/3) = 4.08248…: above 4.08 although it is shown as 4.08
    result = single("mean", [80, 85, 90], disagreement_threshold=Decimal("4.08"))
    assert result.sd == Decimal("4.08") and result.disagreement is True
    with pytest.raises(TypeError):
        single("mean", [80, 90], disagreement_threshold=15.0)


def test_criterion_means_are_exact_over_all_reviewers():
    criteria = [Criterion(1, 50, 1, 1, "需求"), Criterion(2, 50, 2, 2, "项目设计")]
    sheets = [Sheet(r, 1, {1: a, 2: b}) for r, (a, b) in
              enumerate([(40, 40), (41, 45), (42, 40), (30, 30), (50, 50)], start=1)]
    [result] = aggregate("trimmed_mean", sheets, criteria, facts(1))
    # design: (40+45+40+30+50)/5 = 205/5 = 41; need: (40+41+42+30+50)/5 = 203/5 = 40.6
    # — over all five sheets, not only the three kept by the trimmed mean
    assert result.criterion_means == {1: Fraction(203, 5), 2: Fraction(41)}
    assert result.criterion_means_display == {1: Decimal("40.60"), 2: Decimal("41.00")}
    [result] = aggregate("mean", sheets[:3], criteria, facts(1))
    # need: (40+41+42)/3 = 41 ; design: (40+45+40)/3 = 125/3 = 41.666… → 41.67
    assert result.criterion_means[2] == Fraction(125, 3)
    assert result.criterion_means_display[2] == Decimal("41.67")


# ------------------------------------------------------------------ zscore

def test_zscore_by_hand_with_rational_roots():
    # Reviewer A: app 1 → 80, app 2 → 90: m_A = 85, s_A = 5.
    # Reviewer B: app 1 → 80, app 2 → 50: m_B = 65, s_B = 15.
    # Panel totals 80, 90, 80, 50: M = 75; deviations 5, 15, 5, −25 → V = (25+225+25+625)/4
    # = 225, S = 15.
    # A: 80 → 75 + 15·(80−85)/5 = 60;  90 → 75 + 15·(90−85)/5 = 90
    # B: 80 → 75 + 15·(80−65)/15 = 90; 50 → 75 + 15·(50−65)/15 = 60
    # app 1 = (60+90)/2 = 75.00; app 2 = (90+60)/2 = 75.00 (the mean says 80.00 and 70.00)
    sheets = one_criterion_sheets([(1, 1, 80), (1, 2, 90), (2, 1, 80), (2, 2, 50)])
    results = aggregate("zscore", sheets, ONE, facts(1, 2))
    assert scores(results) == {1: Decimal("75.00"), 2: Decimal("75.00")}
    assert dict(results[0].normalized) == {1: Decimal("60.00"), 2: Decimal("90.00")}
    assert dict(results[1].normalized) == {1: Decimal("90.00"), 2: Decimal("60.00")}
    assert scores(aggregate("mean", sheets, ONE, facts(1, 2))) == {1: Decimal("80.00"), 2: Decimal("70.00")}


def test_zscore_by_hand_with_an_irrational_root():
    # Reviewer 1: 80, 60, 70 (apps 1, 2, 3): m = 70, v = (100+100+0)/3 = 200/3
    # Reviewer 2: 60, 40, 50:                 m = 50, v = 200/3
    # Panel: M = 360/6 = 60; deviations 20, 0, 10, 0, −20, −10 → V = 1000/6 = 500/3
    # S/s_r = √(V/v) = √(5/2) = 1.58113883…
    # app 1: both reviewers are +10 above their mean → 60 + 10·1.58113883 = 75.8113883 → 75.81
    # app 2: both −10 → 60 − 15.8113883 = 44.1886117 → 44.19; app 3: both at their mean → 60.00
    sheets = one_criterion_sheets([(1, 1, 80), (1, 2, 60), (1, 3, 70), (2, 1, 60), (2, 2, 40), (2, 3, 50)])
    results = aggregate("zscore", sheets, ONE, facts(1, 2, 3))
    assert scores(results) == {1: Decimal("75.81"), 2: Decimal("44.19"), 3: Decimal("60.00")}
    # the mean keeps reviewer 2's harshness in: 70.00, 50.00, 60.00
    assert scores(aggregate("mean", sheets, ONE, facts(1, 2, 3))) == {
        1: Decimal("70.00"), 2: Decimal("50.00"), 3: Decimal("60.00")}


def test_zscore_reviewer_without_spread_is_shifted_to_the_panel_mean():
    # Reviewers 1 and 2 as in the rational case (M would be 75); reviewer 3 scored only
    # app 1 with 95 — s_3 = 0, so 95 becomes M + (95 − 95) = M.
    # Panel now 80, 90, 80, 50, 95: M = 395/5 = 79; deviations 1, 11, 1, −29, 16 →
    # V = (1+121+1+841+256)/5 = 1220/5 = 244, S = √244 = 15.6204994…
    # A: 80 → 79 + S·(−1) = 63.3795006; 90 → 79 + S = 94.6204994
    # B: 80 → 79 + S·(+1) = 94.6204994; 50 → 79 − S = 63.3795006
    # C: 95 → 79
    # app 1 = (63.3795006 + 94.6204994 + 79)/3 = 237/3 = 79.00 exactly; app 2 = (94.62… + 63.37…)/2 = 79.00
    sheets = one_criterion_sheets([(1, 1, 80), (1, 2, 90), (2, 1, 80), (2, 2, 50), (3, 1, 95)])
    results = aggregate("zscore", sheets, ONE, facts(1, 2))
    assert scores(results) == {1: Decimal("79.00"), 2: Decimal("79.00")}
    assert dict(results[0].normalized) == {1: Decimal("63.38"), 2: Decimal("94.62"), 3: Decimal("79.00")}


def test_zscore_reviewer_giving_identical_totals_contributes_the_panel_mean():
    # Reviewer 1 gives 70 and 70 (s = 0 → both become M); reviewer 2 gives 90 and 50
    # (m = 70, s = 20). Panel: 70, 70, 90, 50 → M = 70, V = (0+0+400+400)/4 = 200, S = √200.
    # Reviewer 2: 90 → 70 + √200·(20/20) = 84.1421356; 50 → 55.8578644
    # app 1 = (70 + 84.1421356)/2 = 77.0710678 → 77.07; app 2 = (70 + 55.8578644)/2 = 62.93
    sheets = one_criterion_sheets([(1, 1, 70), (1, 2, 70), (2, 1, 90), (2, 2, 50)])
    assert scores(aggregate("zscore", sheets, ONE, facts(1, 2))) == {
        1: Decimal("77.07"), 2: Decimal("62.93")}


def test_zscore_when_every_total_is_equal_all_become_the_panel_mean():
    sheets = one_criterion_sheets([(1, 1, 64), (1, 2, 64), (2, 1, 64), (3, 2, 64)])
    assert scores(aggregate("zscore", sheets, ONE, facts(1, 2))) == {1: Decimal("64.00"), 2: Decimal("64.00")}


def test_zscore_exact_half_rounds_up():
    # Eight reviewers each score apps 1 and 2 with 80 and 81: reviewer 1 gives app 1 the 81,
    # reviewers 2..8 give app 2 the 81. Every reviewer: m_r = 80.5, s_r = 0.5; panel: eight
    # 80s and eight 81s, M = 80.5, S = 0.5 — so each total converts to itself:
    # 80.5 + 0.5·(x − 80.5)/0.5 = x.
    # app 1 = (81 + 7·80)/8 = 641/8 = 80.125 → 80.13; app 2 = (80 + 7·81)/8 = 647/8 = 80.875 → 80.88
    rows = [(1, 1, 81), (1, 2, 80)] + [(r, a, 80 if a == 1 else 81) for r in range(2, 9) for a in (1, 2)]
    results = aggregate("zscore", one_criterion_sheets(rows), ONE, facts(1, 2))
    assert scores(results) == {1: Decimal("80.13"), 2: Decimal("80.88")}


def test_harsh_reviewer_is_cancelled_by_zscore_but_not_by_mean():
    # Six applications of descending quality 90, 84, 78, 72, 66, 60; five reviewers, three per
    # application (loads 5, 4, 4, 3, 3 sheets), each reviewer within ±2 of the quality.
    # Reviewer 1 is then made harsh: 20 points below on everything they score (apps 1, 2, 4, 6).
    quality = {1: 90, 2: 84, 3: 78, 4: 72, 5: 66, 6: 60}
    panel = {1: (1, 2, 3), 2: (1, 4, 5), 3: (2, 3, 4), 4: (1, 2, 5), 5: (3, 4, 5), 6: (1, 2, 3)}
    noise = {(1, 1): 2, (2, 1): -1, (3, 1): 0, (1, 2): -2, (4, 2): 1, (5, 2): 0, (2, 3): 2,
             (3, 3): -1, (4, 3): 0, (1, 4): 1, (2, 4): -2, (5, 4): 0, (3, 5): 2, (4, 5): 0,
             (5, 5): -1, (1, 6): 0, (2, 6): 1, (3, 6): -2}

    def sheets(harshness):
        return [Sheet(r, a, {1: quality[a] + noise[(r, a)] - (harshness if r == 1 else 0)})
                for a, reviewers in panel.items() for r in reviewers]

    apps = facts(*quality)

    def order(method, harshness):
        return [x.application_id for x in rank(aggregate(method, sheets(harshness), ONE, apps), ONE, apps)]

    fair = order("mean", 0)
    assert fair == [1, 2, 3, 4, 5, 6]
    # the mean lets the harsh reviewer push apps 2 and 4 below apps 3 and 5
    # (app 2: (82−20+85+84)/3 = 77.00 < app 3: (80+77+78)/3 = 78.33)
    assert order("mean", 20) == [1, 3, 2, 5, 4, 6]
    # zscore: reviewer 1's totals all move by −20, so m_1 moves by −20 and s_1 is unchanged —
    # every z is the same and only the panel's M and S change, for everyone alike.
    assert order("zscore", 20) == order("zscore", 0) == fair
    harsh = {r.application_id: r for r in aggregate("zscore", sheets(20), ONE, apps)}
    mild = {r.application_id: r for r in aggregate("zscore", sheets(0), ONE, apps)}
    # the converted values keep their order within each reviewer, and the score order holds
    assert [harsh[a].final_score for a in fair] == sorted((harsh[a].final_score for a in fair), reverse=True)
    assert [mild[a].final_score for a in fair] == sorted((mild[a].final_score for a in fair), reverse=True)


# ------------------------------------------------------------------ bad input

def test_application_without_sheets_is_refused():
    with pytest.raises(ValidationError) as err:
        aggregate("mean", one_criterion_sheets([(1, 1, 80)]), ONE, facts(1, 2))
    assert "尚无已提交的评分" in err.value.message


@pytest.mark.parametrize("points", [{1: 101}, {1: -1}, {1: True}, {}, {1: 50, 2: 3}])
def test_points_outside_the_rubric_are_refused(points):
    with pytest.raises(ValidationError):
        aggregate("mean", [Sheet(1, 1, points)], ONE, facts(1))


def test_structural_errors():
    with pytest.raises(ValueError):
        aggregate("median", one_criterion_sheets([(1, 1, 80)]), ONE, facts(1))
    with pytest.raises(ValueError):  # two sheets of one reviewer for one application
        aggregate("mean", one_criterion_sheets([(1, 1, 80), (1, 1, 70)]), ONE, facts(1))
    with pytest.raises(ValueError):  # a sheet for an application not listed
        aggregate("mean", one_criterion_sheets([(1, 1, 80), (1, 9, 70)]), ONE, facts(1))
    with pytest.raises(ValueError):
        aggregate("mean", one_criterion_sheets([(1, 1, 80)]), [], facts(1))


def test_method_may_be_the_calls_enum():
    from app.calls.models import AggregationMethod

    result = aggregate(AggregationMethod.TRIMMED_MEAN, one_criterion_sheets(
        [(r, 1, t) for r, t in enumerate([80, 85, 90, 70, 95], start=1)]), ONE, facts(1))
    assert result[0].method == "trimmed_mean" and result[0].final_score == Decimal("85.00")
    assert {m.value for m in AggregationMethod} == set(METHODS)


# ------------------------------------------------------------------ ranking

NEED = Criterion(1, 50, weight=1, position=1, name="需求与目标人群")
DESIGN = Criterion(2, 50, weight=3, position=2, name="项目设计")
TWO = [NEED, DESIGN]


def two_criteria_results(points_by_app, requested=None):
    """points_by_app: app id → list of (need, design) per reviewer."""
    sheets = [Sheet(r, a, {1: n, 2: d}) for a, rows in points_by_app.items()
              for r, (n, d) in enumerate(rows, start=1)]
    requested = requested or {}
    apps = [ApplicationFacts(a, requested.get(a, 100_000)) for a in points_by_app]
    return aggregate("mean", sheets, TWO, apps), apps


def test_rank_by_final_score_descending():
    results, apps = two_criteria_results({1: [(30, 30)], 2: [(40, 45)], 3: [(35, 40)]})
    ranked = rank(results, TWO, apps)
    assert [(r.rank, r.application_id, r.final_score) for r in ranked] == [
        (1, 2, Decimal("85.00")), (2, 3, Decimal("75.00")), (3, 1, Decimal("60.00"))]
    assert all(r.tie_break is None for r in ranked)


def test_tie_broken_by_the_highest_weighted_criterion():
    # both 80.00; design (weight 3) 40 vs 45 → app 2 first
    results, apps = two_criteria_results({1: [(40, 40)], 2: [(35, 45)]})
    ranked = rank(results, TWO, apps)
    assert [(r.rank, r.application_id) for r in ranked] == [(1, 2), (2, 1)]
    assert ranked[1].tie_break == "与第 1 名同分，按“项目设计”得分排序"
    assert ranked[0].tie_break == "与第 2 名同分，按“项目设计”得分排序"


def test_tie_break_compares_exact_criterion_means():
    # both 80.33; design means 121/3 = 40.333… and 40.33: both shown as 40.33, but exactly
    # 40.333… > 40.33, so app 2 comes first
    results = [
        Result(1, "mean", Decimal("80.33"), 3, (), (), Decimal("0.00"), False, {1: Fraction(4033, 100)}),
        Result(2, "mean", Decimal("80.33"), 3, (), (), Decimal("0.00"), False, {1: Fraction(121, 3)}),
    ]
    assert results[0].criterion_means_display == results[1].criterion_means_display
    ranked = rank(results, ONE, facts(1, 2))
    assert [(r.rank, r.application_id) for r in ranked] == [(1, 2), (2, 1)]
    assert ranked[1].tie_break == "与第 1 名同分，按“总分”得分排序"


def test_ranking_uses_the_published_two_decimal_score():
    # app 1: 11 sheets, totals 80×3 + 81×8 = 888 → 888/11 = 80.7272… → 80.73; design 45 each
    # app 2: 15 sheets, totals 80×4 + 81×11 = 1211 → 1211/15 = 80.7333… → 80.73; design 40 each
    # app 2 is higher before rounding, but the published scores are equal, so the top-weighted
    # criterion (design) decides: app 1 first
    sheets = [Sheet(r, 1, {1: 35 if r <= 3 else 36, 2: 45}) for r in range(1, 12)]
    sheets += [Sheet(r, 2, {1: 40 if r <= 4 else 41, 2: 40}) for r in range(1, 16)]
    results = aggregate("mean", sheets, TWO, facts(1, 2))
    assert [r.final_score for r in results] == [Decimal("80.73"), Decimal("80.73")]
    ranked = rank(results, TWO, facts(1, 2))
    assert [(r.rank, r.application_id) for r in ranked] == [(1, 1), (2, 2)]
    assert ranked[1].tie_break == "与第 1 名同分，按“项目设计”得分排序"


def test_equal_top_weights_use_the_lowest_position():
    a = Criterion(5, 50, weight=2, position=3, name="创新性")
    b = Criterion(6, 50, weight=2, position=1, name="可行性")
    c = Criterion(7, 50, weight=1, position=0, name="其他")
    assert top_criterion([a, b, c]) == b
    sheets = [Sheet(1, 1, {5: 30, 6: 20, 7: 10}), Sheet(1, 2, {5: 20, 6: 30, 7: 10})]
    apps = facts(1, 2)
    ranked = rank(aggregate("mean", sheets, [a, b, c], apps), [a, b, c], apps)
    assert [r.application_id for r in ranked] == [2, 1]
    assert "“可行性”" in ranked[0].tie_break


def test_then_by_lower_requested_amount():
    results, apps = two_criteria_results({1: [(40, 40)], 2: [(40, 40)]}, requested={1: 300_000, 2: 200_000})
    ranked = rank(results, TWO, apps)
    assert [(r.rank, r.application_id) for r in ranked] == [(1, 2), (2, 1)]
    assert ranked[1].tie_break == "与第 1 名同分且“项目设计”得分相同，按申请金额较少者优先"


def test_fully_equal_share_a_rank_competition_style():
    # scores 90, 80, 80, 70 with the two 80s equal in design and amount → ranks 1, 2, 2, 4
    results, apps = two_criteria_results({4: [(45, 45)], 3: [(40, 40)], 2: [(40, 40)], 1: [(35, 35)]})
    ranked = rank(results, TWO, apps)
    assert [(r.rank, r.application_id) for r in ranked] == [(1, 4), (2, 2), (2, 3), (4, 1)]
    assert ranked[1].tie_break == "与另 1 个项目的得分、“项目设计”得分和申请金额均相同，并列第 2 名"
    assert ranked[0].tie_break is None and ranked[3].tie_break is None


def test_three_way_tie_mixes_the_deciders():
    # all 80.00: app 1 design 45; apps 2 and 3 design 40 with requests 1000 and 2000 yuan
    results, apps = two_criteria_results({1: [(35, 45)], 2: [(40, 40)], 3: [(40, 40)]},
                                         requested={1: 100_000, 2: 100_000, 3: 200_000})
    ranked = rank(results, TWO, apps)
    assert [(r.rank, r.application_id) for r in ranked] == [(1, 1), (2, 2), (3, 3)]
    assert ranked[1].tie_break == ("与第 1 名同分，按“项目设计”得分排序；"
                                   "与第 3 名同分且“项目设计”得分相同，按申请金额较少者优先")


# ------------------------------------------------------------------ recommendation

def ranked_fixture(scores_and_amounts):
    """[(final score, requested fen)] in rank order → Ranked rows for apps 1, 2, …"""
    results = []
    apps = []
    for i, (score, requested) in enumerate(scores_and_amounts, start=1):
        results.append(Result(application_id=i, method="mean", final_score=Decimal(score),
                              reviewer_count=1, totals=(), dropped=(), sd=Decimal("0.00"),
                              disagreement=False, criterion_means={1: Fraction(i)}))
        apps.append(ApplicationFacts(i, requested))
    return rank(results, ONE, apps)


def test_recommend_stops_at_the_first_that_does_not_fit():
    # budget ¥1,000: #1 ¥400 (left 600), #2 ¥500 (left 100), #3 ¥200 does not fit → stop;
    # #4 ¥100 would fit the ¥100 left but is not funded ahead of #3
    ranked = ranked_fixture([("90", 40_000), ("85", 50_000), ("80", 20_000), ("75", 10_000)])
    rows = recommend(ranked, 100_000, 60)
    assert [(r.application_id, r.recommended, r.amount_fen, r.remaining_fen, r.reason_code) for r in rows] == [
        (1, True, 40_000, 60_000, RECOMMENDED),
        (2, True, 50_000, 10_000, RECOMMENDED),
        (3, False, 0, 10_000, DOES_NOT_FIT),
        (4, False, 0, 10_000, BUDGET_EXHAUSTED),
    ]
    assert rows[2].reason == "剩余预算不足：需 ¥200.00，剩余 ¥100.00"
    assert rows[3].reason == "预算已用完"
    assert rows[0].reason == "按排名在预算内推荐"


def test_pass_line_exactly_equal_passes():
    ranked = ranked_fixture([("60.00", 10_000), ("59.99", 10_000)])
    rows = recommend(ranked, 1_000_000, 60)
    assert [(r.recommended, r.reason_code) for r in rows] == [(True, RECOMMENDED), (False, BELOW_PASS_LINE)]
    assert rows[1].reason == "低于入围分数线 60 分"
    rows = recommend(ranked, 1_000_000, Decimal("59.99"))
    assert [r.recommended for r in rows] == [True, True]
    rows = recommend(ranked_fixture([("60.49", 10_000)]), 1_000_000, Decimal("60.50"))
    assert rows[0].reason == "低于入围分数线 60.5 分"


def test_officer_adjusted_amounts_are_used():
    ranked = ranked_fixture([("90", 40_000), ("85", 50_000), ("80", 20_000)])
    rows = recommend(ranked, 100_000, 60, amounts={2: 45_000, 3: 15_000})
    assert [(r.amount_fen, r.remaining_fen) for r in rows] == [(40_000, 60_000), (45_000, 15_000), (15_000, 0)]
    assert all(r.recommended for r in rows)
    with pytest.raises(ValidationError):
        recommend(ranked, 100_000, 60, amounts={2: 0})
    with pytest.raises(ValueError):
        recommend(ranked, 100_000, 60, amounts={99: 1_000})


def test_below_pass_line_after_the_budget_ran_out_says_so():
    ranked = ranked_fixture([("90", 80_000), ("85", 50_000), ("50", 1_000)])
    rows = recommend(ranked, 100_000, 60)
    assert [r.reason_code for r in rows] == [RECOMMENDED, DOES_NOT_FIT, BELOW_PASS_LINE]


def test_equal_ranks_are_recommended_together_or_not_at_all():
    # #1 ¥500; #2 and #2 (fully tied) ¥300 each; budget ¥1,000 → the two need ¥600 > ¥500 left
    tied = [("90", 50_000), ("80", 30_000), ("80", 30_000), ("70", 10_000)]
    results, apps = [], []
    for i, (score, req) in enumerate(tied, start=1):
        results.append(Result(i, "mean", Decimal(score), 1, (), (), Decimal("0.00"), False, {1: Fraction(1)}))
        apps.append(ApplicationFacts(i, req))
    ranked = rank(results, ONE, apps)
    assert [r.rank for r in ranked] == [1, 2, 2, 4]
    rows = recommend(ranked, 100_000, 60)
    assert [(r.recommended, r.reason_code) for r in rows] == [
        (True, RECOMMENDED), (False, TIED_DO_NOT_FIT), (False, TIED_DO_NOT_FIT), (False, BUDGET_EXHAUSTED)]
    assert "合计需 ¥600.00，超出剩余预算 ¥500.00" in rows[1].reason
    # enough for both: both recommended
    rows = recommend(ranked, 110_000, 60)
    assert [r.recommended for r in rows] == [True, True, True, False]
    # the officer trims one tied amount: both fit
    rows = recommend(ranked, 100_000, 60, amounts={3: 20_000})
    assert [r.amount_fen for r in rows] == [50_000, 30_000, 20_000, 0]


def test_budget_used_exactly():
    rows = recommend(ranked_fixture([("90", 60_000), ("80", 40_000)]), 100_000, 60)
    assert [r.remaining_fen for r in rows] == [40_000, 0]
    assert all(r.recommended for r in rows)


# ------------------------------------------------------------------ properties

@st.composite
def panels(draw):
    n_criteria = draw(st.integers(1, 3))
    criteria = [Criterion(id=10 + i, max_points=draw(st.integers(1, 40)), weight=draw(st.integers(1, 3)),
                          position=i, name=f"项{i}") for i in range(n_criteria)]
    app_ids = list(range(1, draw(st.integers(1, 6)) + 1))
    reviewers = list(range(100, 100 + draw(st.integers(1, 7))))
    sheets = []
    for a in app_ids:
        chosen = draw(st.lists(st.sampled_from(reviewers), min_size=1, unique=True))
        for r in chosen:
            sheets.append(Sheet(r, a, {c.id: draw(st.integers(0, c.max_points)) for c in criteria}))
    apps = [ApplicationFacts(a, draw(st.integers(1, 50)) * 10_000) for a in app_ids]
    return criteria, apps, sheets


@settings(max_examples=150, deadline=None)
@given(panels(), st.sampled_from(["mean", "trimmed_mean"]))
def test_property_score_lies_between_min_and_max_total(panel, method):
    criteria, apps, sheets = panel
    for result in aggregate(method, sheets, criteria, apps):
        values = [t.total for t in result.totals]
        assert min(values) <= result.final_score <= max(values)
        assert result.reviewer_count == len(values)


@settings(max_examples=150, deadline=None)
@given(panels(), st.sampled_from(METHODS), st.randoms(use_true_random=False))
def test_property_order_of_sheets_does_not_matter(panel, method, rnd):
    criteria, apps, sheets = panel
    shuffled = list(sheets)
    rnd.shuffle(shuffled)
    shuffled_apps = list(apps)
    rnd.shuffle(shuffled_apps)
    shuffled_criteria = list(criteria)
    rnd.shuffle(shuffled_criteria)
    first = aggregate(method, sheets, criteria, apps)
    second = aggregate(method, shuffled, shuffled_criteria, shuffled_apps)
    assert first == second
    assert rank(first, criteria, apps) == rank(list(reversed(second)), shuffled_criteria, shuffled_apps)


@settings(max_examples=150, deadline=None)
@given(panels(), st.sampled_from(METHODS))
def test_property_ranking_is_a_permutation_with_non_decreasing_ranks(panel, method):
    criteria, apps, sheets = panel
    results = aggregate(method, sheets, criteria, apps)
    ranked = rank(results, criteria, apps)
    assert sorted(r.application_id for r in ranked) == sorted(a.application_id for a in apps)
    assert [r.rank for r in ranked] == sorted(r.rank for r in ranked)
    assert ranked[0].rank == 1
    for i, r in enumerate(ranked):
        # competition ranking: rank = 1 + number of applications strictly ahead
        assert r.rank == 1 + sum(1 for o in ranked if o.rank < r.rank)
        assert r.rank <= i + 1
        if i:
            assert r.final_score <= ranked[i - 1].final_score


@settings(max_examples=200, deadline=None)
@given(panels(), st.sampled_from(METHODS), st.integers(0, 3_000_000), st.integers(0, 100),
       st.data())
def test_property_recommended_sum_within_budget_and_in_rank_order(panel, method, budget, line, data):
    criteria, apps, sheets = panel
    ranked = rank(aggregate(method, sheets, criteria, apps), criteria, apps)
    adjusted = data.draw(st.dictionaries(st.sampled_from([a.application_id for a in apps]),
                                         st.integers(1, 500_000)))
    rows = recommend(ranked, budget, line, adjusted)
    assert sum(r.amount_fen for r in rows) <= budget
    assert [r.application_id for r in rows] == [r.application_id for r in ranked]
    left = budget
    for row, r in zip(rows, ranked):
        left -= row.amount_fen
        assert row.remaining_fen == left >= 0
        assert row.recommended == (row.amount_fen > 0)
        if row.recommended:
            assert r.final_score >= line
            assert row.amount_fen == adjusted.get(r.application_id, r.requested_fen)
        elif r.final_score < line:
            assert row.reason_code == BELOW_PASS_LINE
    # strict rank order: once a passing application is not recommended, nothing after it is
    stopped = False
    for row, r in zip(rows, ranked):
        if stopped:
            assert not row.recommended
        if r.final_score >= line and not row.recommended:
            stopped = True


def test_property_shuffle_example_is_not_vacuous():
    # a fixed panel where sheet order could matter to a careless implementation (trimmed
    # ties, zscore sums): the shuffled aggregate is identical
    rnd = random.Random(4)
    sheets = one_criterion_sheets([(r, a, rnd.randint(40, 100)) for r in range(1, 8) for a in range(1, 5)])
    for method in METHODS:
        base = aggregate(method, sheets, ONE, facts(1, 2, 3, 4))
        for _ in range(5):
            rnd.shuffle(sheets)
            assert aggregate(method, sheets, ONE, facts(4, 3, 2, 1)) == base

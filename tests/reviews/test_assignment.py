"""Balanced, conflict-free reviewer assignment (app/reviews/assignment.py)."""
from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reviews.assignment import (
    AssignmentError,
    AssignmentResult,
    assign,
    loads_of,
    reassign,
)

FAST = settings(max_examples=100, deadline=None)


def check_invariants(result: AssignmentResult, apps, revs, k, conflicts, existing=None):
    """What must hold for every result, whatever the instance."""
    existing = existing or {}
    assert set(result.assignment) == set(apps)
    short = {s.application_id: s for s in result.shortfalls}
    for a, rs in result.assignment.items():
        assert len(set(rs)) == len(rs), "a reviewer twice on one application"
        assert set(rs) <= set(revs)
        for r in rs:
            assert (a, r) not in conflicts, f"conflict ({a}, {r}) assigned"
        kept = set(existing.get(a, ()))
        assert kept <= set(rs), "a kept assignment was dropped"
        assert set(result.added[a]) == set(rs) - kept
        free = [r for r in revs if (a, r) not in conflicts]
        expected = max(len(kept), min(k, len(set(free) | kept)))
        assert len(rs) == expected
        if len(rs) < k:
            assert short[a].assigned == len(rs) and short[a].missing == k - len(rs)
        else:
            assert a not in short
    assert result.loads == loads_of(result.assignment, revs)
    assert result.balanced == (result.max_load - result.min_load <= 1)


def brute_force(apps, revs, k, conflicts, existing=None):
    """Every reachable load vector of every assignment obeying coverage, conflicts and
    kept pairs (enumerated, small instances only) → (min possible max load, max possible
    min load given that max, whether some assignment is balanced)."""
    existing = existing or {}
    index = {r: i for i, r in enumerate(revs)}
    start = [0] * len(revs)
    for rs in existing.values():
        for r in rs:
            start[index[r]] += 1
    states = {tuple(start)}
    for a in apps:
        kept = set(existing.get(a, ()))
        free = [r for r in revs if r not in kept and (a, r) not in conflicts]
        need = min(max(0, k - len(kept)), len(free))
        nxt = set()
        for combo in itertools.combinations(free, need):
            for s in states:
                v = list(s)
                for r in combo:
                    v[index[r]] += 1
                nxt.add(tuple(v))
        states = nxt
    best_max = min(max(s) for s in states)
    best_min = max(min(s) for s in states if max(s) == best_max)
    balanced_exists = any(max(s) - min(s) <= 1 for s in states)
    return best_max, best_min, balanced_exists


# ----------------------------------------------------------------------- worked examples

def test_six_applications_five_reviewers_three_each():
    apps, revs = [11, 12, 13, 14, 15, 16], [21, 22, 23, 24, 25]
    result = assign(apps, revs, 3, seed="worked")
    check_invariants(result, apps, revs, 3, set())
    assert all(len(rs) == 3 for rs in result.assignment.values())
    # 18 assignments over 5 reviewers: three reviewers get 4, two get 3, nothing else
    assert sorted(result.loads.values()) == [3, 3, 4, 4, 4]
    assert result.balanced and result.complete and result.messages == []
    assert result.added == result.assignment
    assert result.seed == "worked"


def test_default_k_is_five():
    result = assign([1, 2], range(10, 17), seed="k")
    assert all(len(rs) == 5 for rs in result.assignment.values())
    assert sorted(result.loads.values()) == [1, 1, 1, 1, 2, 2, 2]


def test_conflicts_are_skipped_and_balance_kept_when_possible():
    apps, revs = [1, 2, 3, 4], [7, 8, 9, 10]
    conflicts = {(1, 7), (2, 7), (3, 8)}
    result = assign(apps, revs, 2, conflicts, seed="c")
    check_invariants(result, apps, revs, 2, conflicts)
    assert sorted(result.loads.values()) == [2, 2, 2, 2]
    assert 7 not in result.assignment[1] and 7 not in result.assignment[2]
    assert 8 not in result.assignment[3]


def test_conflicts_that_force_imbalance_are_reported():
    # reviewer 3 must avoid applications 1 and 2, so they can review at most one of the
    # three applications; 6 assignments cannot be spread 2/2/2. Best: largest load 3
    # (not 4), and then smallest load 1 (not 0).
    conflicts = {(1, 3), (2, 3)}
    result = assign([1, 2, 3], [1, 2, 3], 2, conflicts, seed="imb")
    check_invariants(result, [1, 2, 3], [1, 2, 3], 2, conflicts)
    assert result.assignment[1] == [1, 2] and result.assignment[2] == [1, 2]
    assert 3 in result.assignment[3]
    assert result.loads[3] == 1 and sorted(result.loads.values()) == [1, 2, 3]
    assert not result.balanced and result.complete
    assert len(result.messages) == 1
    assert "相差不超过 1" in result.messages[0] and "最多 3 份，最少 1 份" in result.messages[0]


def test_too_few_free_reviewers_is_a_reported_shortfall_not_a_refusal():
    conflicts = {(5, 1), (5, 2)}
    result = assign([5, 6], [1, 2, 3, 4], 3, conflicts, seed="short")
    check_invariants(result, [5, 6], [1, 2, 3, 4], 3, conflicts)
    assert result.assignment[5] == [3, 4]
    assert len(result.assignment[6]) == 3
    assert not result.complete
    (s,) = result.shortfalls
    assert (s.application_id, s.assigned, s.required, s.missing) == (5, 2, 3, 1)
    assert "申报 5" in s.message and "2 位" in s.message and "3 位" in s.message
    assert s.message in result.messages


def test_k_larger_than_the_panel_gives_everyone_and_reports():
    result = assign([1, 2], [8, 9], 3, seed="big")
    assert result.assignment == {1: [8, 9], 2: [8, 9]}
    assert [s.application_id for s in result.shortfalls] == [1, 2]


def test_existing_assignments_are_kept_and_topped_up():
    existing = {1: [10], 2: [10, 11, 12]}
    result = assign([1, 2, 3], [10, 11, 12, 13], 2, existing=existing, seed="keep")
    check_invariants(result, [1, 2, 3], [10, 11, 12, 13], 2, set(), existing)
    assert 10 in result.assignment[1] and len(result.assignment[1]) == 2
    assert result.assignment[2] == [10, 11, 12]  # more than k kept as the officer set it
    assert result.added[2] == []
    assert len(result.assignment[3]) == 2
    # 7 assignments, reviewer 10 already has 2: best spread is 2/2/2/1 with 10 not topped up
    assert result.loads[10] == 2 and sorted(result.loads.values()) == [1, 2, 2, 2]


def test_kept_assignments_can_force_imbalance():
    existing = {1: [1], 2: [1], 3: [1]}
    result = assign([1, 2, 3], [1, 2, 3], 1, existing=existing, seed="skew")
    assert result.loads == {1: 3, 2: 0, 3: 0}
    assert not result.balanced and result.added == {1: [], 2: [], 3: []}


def test_a_kept_conflict_is_refused():
    with pytest.raises(AssignmentError, match="须回避申报 1"):
        assign([1], [5, 6], 1, {(1, 5)}, existing={1: [5]}, seed="x")


@pytest.mark.parametrize("kwargs, message", [
    (dict(applications=[1], reviewers=[2], k=0), "正整数"),
    (dict(applications=[1], reviewers=[2], k=True), "正整数"),
    (dict(applications=[1], reviewers=[2], k="3"), "正整数"),
    (dict(applications=[1, 1], reviewers=[2], k=1), "重复"),
    (dict(applications=[1], reviewers=[2, 2], k=1), "重复"),
    (dict(applications=["1"], reviewers=[2], k=1), "整数"),
    (dict(applications=[1], reviewers=[], k=1), "还没有评审专家"),
    (dict(applications=[1], reviewers=[2], k=1, existing={9: [2]}), "申报 9"),
    (dict(applications=[1], reviewers=[2], k=1, existing={1: [3]}), "评审专家 3"),
    (dict(applications=[1], reviewers=[2, 3], k=1, existing={1: [2, 2]}), "重复"),
    (dict(applications=[1], reviewers=[2], k=1, seed=""), "随机种子"),
])
def test_bad_input_is_refused_in_chinese(kwargs, message):
    kwargs.setdefault("seed", "s")
    with pytest.raises(AssignmentError, match=message):
        assign(**kwargs)


def test_no_applications_is_an_empty_assignment():
    result = assign([], [1, 2], 3, seed="none")
    assert result.assignment == {} and result.loads == {1: 0, 2: 0} and result.balanced


def test_a_fresh_seed_is_made_and_recorded_when_none_given():
    result = assign([1, 2], [3, 4, 5], 1)
    assert len(result.seed) == 32
    assert assign([1, 2], [3, 4, 5], 1, seed=result.seed) == result


def test_ties_are_broken_by_seed_not_by_low_ids():
    picks = {assign([1], [1, 2, 3, 4, 5], 1, seed=f"s{i}").assignment[1][0] for i in range(40)}
    assert picks == {1, 2, 3, 4, 5}
    heavy = {tuple(sorted(r for r, n in assign(range(6), range(10, 15), 3,
                                                 seed=f"t{i}").loads.items() if n == 4))
             for i in range(40)}
    assert len(heavy) > 3  # who carries the extra application varies with the seed


def test_large_panel_is_fast_and_balanced():
    import random

    rng = random.Random(7)
    apps, revs = list(range(1, 301)), list(range(1001, 1031))
    conflicts = {(a, r) for a in apps for r in revs if rng.random() < 0.1}
    started = time.perf_counter()
    result = assign(apps, revs, 5, conflicts, seed="big")
    assert time.perf_counter() - started < 5
    check_invariants(result, apps, revs, 5, conflicts)
    assert result.balanced and result.complete and set(result.loads.values()) == {50}


# ----------------------------------------------------------------------- properties

@st.composite
def instances(draw, with_existing=False):
    apps = draw(st.lists(st.integers(1, 10_000), min_size=0, max_size=5, unique=True))
    revs = draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=5, unique=True))
    k = draw(st.integers(1, 3))
    pairs = [(a, r) for a in apps for r in revs]
    conflicts = draw(st.sets(st.sampled_from(pairs))) if pairs else set()
    existing = {}
    if with_existing:
        for a in apps:
            free = [r for r in revs if (a, r) not in conflicts]
            kept = draw(st.lists(st.sampled_from(free), unique=True, max_size=min(len(free), k + 1))
                        if free else st.just([]))
            if kept:
                existing[a] = kept
    seed = draw(st.text(min_size=1, max_size=8))
    return apps, revs, k, conflicts, existing, seed


@FAST
@given(instances())
def test_property_optimal_balance_no_conflict_full_coverage(inst):
    apps, revs, k, conflicts, _, seed = inst
    result = assign(apps, revs, k, conflicts, seed=seed)
    check_invariants(result, apps, revs, k, conflicts)
    best_max, best_min, balanced_exists = brute_force(apps, revs, k, conflicts)
    if apps:
        assert (result.max_load, result.min_load) == (best_max, best_min)
    assert result.balanced == balanced_exists
    if balanced_exists:
        assert result.max_load - result.min_load <= 1


@FAST
@given(instances(with_existing=True))
def test_property_with_kept_assignments(inst):
    apps, revs, k, conflicts, existing, seed = inst
    result = assign(apps, revs, k, conflicts, existing=existing, seed=seed)
    check_invariants(result, apps, revs, k, conflicts, existing)
    best_max, best_min, balanced_exists = brute_force(apps, revs, k, conflicts, existing)
    if apps:
        assert (result.max_load, result.min_load) == (best_max, best_min)
    assert result.balanced == balanced_exists


@FAST
@given(instances(with_existing=True), st.data())
def test_property_deterministic_for_seed_and_input_order(inst, data):
    apps, revs, k, conflicts, existing, seed = inst
    first = assign(apps, revs, k, conflicts, existing=existing, seed=seed)
    shuffled = assign(data.draw(st.permutations(apps)), data.draw(st.permutations(revs)), k,
                      list(conflicts), existing=dict(reversed(list(existing.items()))),
                      seed=seed)
    assert shuffled == first


# ----------------------------------------------------------------------- reassign

def test_reassign_picks_least_loaded_free_reviewer_and_keeps_the_rest():
    assignment = {1: [10, 11], 2: [10, 12], 3: [11, 12], 4: [10, 11]}
    conflicts = {(1, 10), (1, 13)}  # 10 just declared; 13 is the least loaded but conflicted
    before = {a: list(rs) for a, rs in assignment.items()}
    out = reassign(assignment, 1, 10, conflicts, reviewers=[10, 11, 12, 13, 14], seed="r")
    assert assignment == before  # input untouched
    assert out.replacement == 14 and out.removed == 10 and out.application_id == 1
    assert out.assignment[1] == [11, 14]
    assert {a: rs for a, rs in out.assignment.items() if a != 1} == {
        a: rs for a, rs in before.items() if a != 1}
    assert out.loads == {10: 2, 11: 3, 12: 2, 13: 0, 14: 1}


def test_reassign_excludes_the_removed_reviewer_even_if_not_listed_as_conflict():
    out = reassign({1: [5]}, 1, 5, set(), reviewers=[5, 6], seed="x")
    assert out.replacement == 6


def test_reassign_breaks_ties_by_seed():
    picks = {reassign({1: [1]}, 1, 1, {(1, 1)}, reviewers=[1, 2, 3, 4, 5],
                      seed=f"s{i}").replacement for i in range(40)}
    assert picks == {2, 3, 4, 5}
    one = reassign({1: [1]}, 1, 1, {(1, 1)}, reviewers=[1, 2, 3, 4, 5], seed="same")
    assert reassign({1: [1]}, 1, 1, {(1, 1)}, reviewers=[5, 4, 3, 2, 1], seed="same") == one


def test_reassign_errors():
    with pytest.raises(AssignmentError, match="没有可替换的评审专家"):
        reassign({1: [5, 6]}, 1, 5, {(1, 5), (1, 7)}, reviewers=[5, 6, 7], seed="x")
    with pytest.raises(AssignmentError, match="未分配到申报 1"):
        reassign({1: [5]}, 1, 6, set(), reviewers=[5, 6], seed="x")
    with pytest.raises(AssignmentError, match="申报 2 不在"):
        reassign({1: [5]}, 2, 5, set(), reviewers=[5, 6], seed="x")
    with pytest.raises(AssignmentError, match="随机种子"):
        reassign({1: [5]}, 1, 5, set(), reviewers=[5, 6], seed="")


@FAST
@given(instances(), st.data())
def test_property_reassign(inst, data):
    apps, revs, k, conflicts, _, seed = inst
    result = assign(apps, revs, k, conflicts, seed=seed)
    pairs = [(a, r) for a, rs in result.assignment.items() for r in rs]
    if not pairs:
        return
    a, r = data.draw(st.sampled_from(pairs))
    declared = set(conflicts) | {(a, r)}
    free = [x for x in revs if x not in result.assignment[a] and (a, x) not in declared]
    if not free:
        with pytest.raises(AssignmentError):
            reassign(result.assignment, a, r, declared, reviewers=revs, seed=seed)
        return
    out = reassign(result.assignment, a, r, declared, reviewers=revs, seed=seed)
    assert out.replacement in free
    assert r not in out.assignment[a]
    assert sorted(out.assignment[a]) == sorted(set(result.assignment[a]) - {r} | {out.replacement})
    for other, rs in result.assignment.items():
        if other != a:
            assert out.assignment[other] == rs
    loads_before = loads_of({**result.assignment, a: [x for x in result.assignment[a] if x != r]},
                            revs)
    assert loads_before[out.replacement] == min(loads_before[x] for x in free)
    assert out.loads == loads_of(out.assignment, revs)
    for b, rs in out.assignment.items():
        assert not any((b, x) in declared for x in rs)

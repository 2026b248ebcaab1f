"""Automatic reviewer assignment (分配评审) — pure logic, no database.

Rules of :func:`assign` (the UI quotes these):

1. **Conflicts are never assigned.** ``conflicts`` holds every (application id, reviewer id)
   pair that must not be assigned — member of the applying organization, same affiliation,
   declared conflict — as computed by the caller. A kept assignment that is a conflict is
   refused (:class:`AssignmentError`); reassign it first.
2. **Kept assignments stay.** ``existing`` (e.g. the officer's manual adjustments) is kept
   as is; an application is only topped up to ``k`` reviewers (one that already has ``k``
   or more gets none added).
3. **Coverage first.** Each application gets ``k`` distinct reviewers. If fewer than ``k``
   reviewers are free of conflict for an application, it gets all of them and is listed in
   ``shortfalls`` (with a Chinese message) — nothing is refused, but the officer must add
   reviewers or adjust by hand. The number of assignments made is always the largest
   possible.
4. **Balance.** A reviewer's load is the number of applications assigned to them (kept ones
   included). Among all assignments satisfying 1–3, the one chosen has the smallest
   possible largest load and, given that, the largest possible smallest load. Hence the
   loads differ by at most one whenever any such assignment exists (then every load is
   ``⌊T/R⌋`` or ``⌈T/R⌉`` for ``T`` assignments over ``R`` reviewers); when conflicts or
   kept assignments make that impossible, ``balanced`` is False and ``messages`` says so.
5. **Ties** between equally good assignments are broken by ``seed``: applications and
   reviewers are sorted by id and then shuffled with ``random.Random(seed)`` before the
   flow network is built, so the same inputs and seed always give the same assignment (in
   whatever order the ids were supplied), but low ids are not favoured.

Method: a max-flow network source → application (exactly its demand) → reviewer (capacity
1, non-conflicted pairs not already kept) → sink (between ``lo - kept_r`` and
``hi - kept_r``), solved as a feasible circulation with lower bounds (Dinic's algorithm);
``hi`` is found by binary search as the smallest feasible largest load, then ``lo`` as the
largest feasible smallest load.

:func:`reassign` replaces one reviewer on one application (after a declared conflict).
"""
from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from flask_babel import gettext as _

from app.core.errors import ValidationError
from app.reviews.draw import new_seed, seeded_index, seeded_shuffle

DEFAULT_K = 5

Pair = tuple[int, int]  # (application id, reviewer id)


class AssignmentError(ValidationError):
    """The assignment cannot be made as asked; ``message`` is Chinese and shown as is."""


@dataclass(frozen=True)
class Shortfall:
    """An application that could not get ``required`` reviewers."""

    application_id: int
    assigned: int
    required: int

    @property
    def missing(self) -> int:
        return self.required - self.assigned

    @property
    def message(self) -> str:
        return _("申报 %(application)s 只能分配 %(assigned)s 位无需回避的评审专家，"
                 "少于要求的 %(required)s 位，请增加评审专家或手动调整",
                 application=self.application_id, assigned=self.assigned, required=self.required)


@dataclass(frozen=True)
class AssignmentResult:
    """``assignment`` maps every application id to its reviewer ids (sorted, kept ones
    included); ``added`` only the pairs made by this run; ``loads`` every reviewer's load
    (0 included)."""

    assignment: dict[int, list[int]]
    added: dict[int, list[int]]
    loads: dict[int, int]
    k: int
    seed: str
    shortfalls: tuple[Shortfall, ...]

    @property
    def max_load(self) -> int:
        return max(self.loads.values(), default=0)

    @property
    def min_load(self) -> int:
        return min(self.loads.values(), default=0)

    @property
    def balanced(self) -> bool:
        """Loads differ by at most one."""
        return self.max_load - self.min_load <= 1

    @property
    def complete(self) -> bool:
        """Every application has at least ``k`` reviewers."""
        return not self.shortfalls

    @property
    def messages(self) -> list[str]:
        """Chinese warnings the officer must see (empty when all is well)."""
        out = [s.message for s in self.shortfalls]
        if not self.balanced:
            out.append(_(
                "受回避关系或已保留的分配限制，无法使各评审专家的评审数量相差不超过 1："
                "最多 %(max)s 份，最少 %(min)s 份（已使最多者尽可能少）",
                max=self.max_load, min=self.min_load))
        return out


@dataclass(frozen=True)
class Reassignment:
    """Result of :func:`reassign`: the new full assignment and who replaced whom."""

    assignment: dict[int, list[int]]
    application_id: int
    removed: int
    replacement: int
    loads: dict[int, int]


# --------------------------------------------------------------------------- max flow

class _FlowNetwork:
    """Dinic's algorithm with an iterative DFS (no recursion limits)."""

    def __init__(self, n: int):
        self.n = n
        self.to: list[int] = []
        self.cap: list[int] = []
        self.adj: list[list[int]] = [[] for _ in range(n)]

    def add_edge(self, u: int, v: int, cap: int) -> int:
        """Add u→v with capacity ``cap``; returns the edge id (its reverse is id ^ 1)."""
        e = len(self.to)
        self.to += [v, u]
        self.cap += [cap, 0]
        self.adj[u].append(e)
        self.adj[v].append(e + 1)
        return e

    def flow_on(self, e: int) -> int:
        return self.cap[e ^ 1]

    def _levels(self, s: int, t: int) -> list[int] | None:
        level = [-1] * self.n
        level[s] = 0
        queue = deque([s])
        while queue:
            u = queue.popleft()
            for e in self.adj[u]:
                v = self.to[e]
                if self.cap[e] > 0 and level[v] < 0:
                    level[v] = level[u] + 1
                    queue.append(v)
        return level if level[t] >= 0 else None

    def _augment(self, s: int, t: int, level: list[int], it: list[int]) -> int:
        path: list[int] = []
        u = s
        while True:
            if u == t:
                pushed = min(self.cap[e] for e in path)
                for e in path:
                    self.cap[e] -= pushed
                    self.cap[e ^ 1] += pushed
                return pushed
            adj = self.adj[u]
            while it[u] < len(adj):
                e = adj[it[u]]
                if self.cap[e] > 0 and level[self.to[e]] == level[u] + 1:
                    break
                it[u] += 1
            else:  # dead end: retreat and skip the edge that led here
                if not path:
                    return 0
                level[u] = -1
                e = path.pop()
                u = self.to[e ^ 1]
                it[u] += 1
                continue
            e = adj[it[u]]
            path.append(e)
            u = self.to[e]

    def max_flow(self, s: int, t: int) -> int:
        total = 0
        while (level := self._levels(s, t)) is not None:
            it = [0] * self.n
            while pushed := self._augment(s, t, level, it):
                total += pushed
        return total


def _solve(apps: Sequence[int], revs: Sequence[int], demand: Mapping[int, int],
           candidates: Mapping[int, Sequence[int]], kept_load: Mapping[int, int],
           lo: int, hi: int) -> dict[int, list[int]] | None:
    """Choose ``demand[a]`` reviewers from ``candidates[a]`` for every application so that
    each reviewer's total load (kept + new) lies in ``lo..hi``; None if impossible.
    Nodes are created and edges added in the (shuffled) order of ``apps``/``revs``."""
    if any(kept_load[r] > hi for r in revs):
        return None
    na, nr = len(apps), len(revs)
    S, T, SS, ST = na + nr, na + nr + 1, na + nr + 2, na + nr + 3
    net = _FlowNetwork(na + nr + 4)
    a_node = {a: i for i, a in enumerate(apps)}
    r_node = {r: na + i for i, r in enumerate(revs)}
    excess = [0] * (na + nr + 4)

    # source → application with lower = upper = demand: only the excess remains
    for a in apps:
        excess[a_node[a]] += demand[a]
        excess[S] -= demand[a]
    pair_edges: list[tuple[int, int, int]] = []
    for a in apps:
        for r in candidates[a]:
            pair_edges.append((a, r, net.add_edge(a_node[a], r_node[r], 1)))
    for r in revs:
        low = max(0, lo - kept_load[r])
        high = hi - kept_load[r]
        if low > high:
            return None
        if high > low:
            net.add_edge(r_node[r], T, high - low)
        excess[T] += low
        excess[r_node[r]] -= low
    net.add_edge(T, S, sum(demand.values()) + 1)

    required = 0
    for v, x in enumerate(excess):
        if x > 0:
            net.add_edge(SS, v, x)
            required += x
        elif x < 0:
            net.add_edge(v, ST, -x)
    if net.max_flow(SS, ST) != required:
        return None
    chosen: dict[int, list[int]] = {a: [] for a in apps}
    for a, r, e in pair_edges:
        if net.flow_on(e):
            chosen[a].append(r)
    return chosen


# --------------------------------------------------------------------------- helpers

def _check_id(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AssignmentError(_("%(what)s编号必须是整数", what=what))


def _unique_ids(values: Iterable[int], what: str) -> list[int]:
    values = list(values)
    for v in values:
        _check_id(v, what)
    if len(set(values)) != len(values):
        raise AssignmentError(_("%(what)s名单中有重复的编号", what=what))
    return values


def _pairs(conflicts: Iterable[Pair]) -> frozenset[Pair]:
    out = set()
    for pair in conflicts:
        a, r = pair
        out.add((a, r))
    return frozenset(out)


def loads_of(assignment: Mapping[int, Iterable[int]], reviewers: Iterable[int] = ()) -> dict[int, int]:
    """Load of every reviewer in ``reviewers`` (0 if none) and of anyone in ``assignment``."""
    loads = {r: 0 for r in reviewers}
    for revs in assignment.values():
        for r in revs:
            loads[r] = loads.get(r, 0) + 1
    return loads


# --------------------------------------------------------------------------- assign

def assign(applications: Iterable[int], reviewers: Iterable[int], k: int = DEFAULT_K,
           conflicts: Iterable[Pair] = (), *,
           existing: Mapping[int, Iterable[int]] | None = None,
           seed: str | None = None) -> AssignmentResult:
    """Assign ``k`` reviewers to every application (rules in the module docstring).

    ``seed`` defaults to a fresh :func:`~app.reviews.draw.new_seed`; it is returned in the
    result so the run can be repeated.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise AssignmentError(_("每份申报的评审专家人数必须是正整数"))
    apps = sorted(_unique_ids(applications, _("申报")))
    revs = sorted(_unique_ids(reviewers, _("评审专家")))
    if apps and not revs:
        raise AssignmentError(_("评审组还没有评审专家，无法分配"))
    seed = new_seed() if seed is None else seed
    if not isinstance(seed, str) or not seed:
        raise AssignmentError(_("分配必须有随机种子"))
    bad = _pairs(conflicts)
    app_set, rev_set = set(apps), set(revs)

    kept: dict[int, list[int]] = {a: [] for a in apps}
    for a, rs in (existing or {}).items():
        if a not in app_set:
            raise AssignmentError(_("已有分配中的申报 %(application)s 不在本次分配的申报中", application=a))
        rs = list(rs)
        if len(set(rs)) != len(rs):
            raise AssignmentError(_("申报 %(application)s 的已有分配中有重复的评审专家", application=a))
        for r in rs:
            if r not in rev_set:
                raise AssignmentError(_("已有分配中的评审专家 %(reviewer)s 不在评审组中", reviewer=r))
            if (a, r) in bad:
                raise AssignmentError(_(
                    "评审专家 %(reviewer)s 须回避申报 %(application)s，不能保留该分配，请先重新分配",
                    reviewer=r, application=a))
        kept[a] = rs
    kept_load = loads_of(kept, revs)

    rng = random.Random(seed)
    order_apps = seeded_shuffle(apps, rng)
    order_revs = seeded_shuffle(revs, rng)
    candidates: dict[int, list[int]] = {}
    demand: dict[int, int] = {}
    shortfalls: list[Shortfall] = []
    for a in apps:
        on = set(kept[a])
        candidates[a] = [r for r in order_revs if r not in on and (a, r) not in bad]
        need = max(0, k - len(on))
        demand[a] = min(need, len(candidates[a]))
        if len(on) + demand[a] < k:
            shortfalls.append(Shortfall(a, len(on) + demand[a], k))

    chosen: dict[int, list[int]] = {a: [] for a in apps}
    if revs:
        total = sum(kept_load.values()) + sum(demand.values())
        n = len(revs)
        # smallest feasible largest load
        low_hi = max(-(-total // n), max(kept_load.values()))
        high_hi = max(kept_load.values()) + len(apps)  # always feasible (lo = 0)
        while low_hi < high_hi:
            mid = (low_hi + high_hi) // 2
            if _solve(order_apps, order_revs, demand, candidates, kept_load, 0, mid) is None:
                low_hi = mid + 1
            else:
                high_hi = mid
        hi = low_hi
        # largest feasible smallest load, given hi
        low_lo, high_lo = 0, min(hi, total // n)
        while low_lo < high_lo:
            mid = (low_lo + high_lo + 1) // 2
            if _solve(order_apps, order_revs, demand, candidates, kept_load, mid, hi) is None:
                high_lo = mid - 1
            else:
                low_lo = mid
        solved = _solve(order_apps, order_revs, demand, candidates, kept_load, low_lo, hi)
        assert solved is not None  # feasible by the searches above
        chosen = solved

    assignment = {a: sorted(kept[a] + chosen[a]) for a in apps}
    return AssignmentResult(
        assignment=assignment,
        added={a: sorted(chosen[a]) for a in apps},
        loads=loads_of(assignment, revs),
        k=k,
        seed=seed,
        shortfalls=tuple(shortfalls),
    )


# --------------------------------------------------------------------------- reassign

def reassign(assignment: Mapping[int, Iterable[int]], application_id: int, reviewer_id: int,
             conflicts: Iterable[Pair] = (), *, reviewers: Iterable[int],
             seed: str) -> Reassignment:
    """Replace ``reviewer_id`` on ``application_id`` (e.g. after a declared conflict).

    The replacement is, among the panel's ``reviewers``, one who is not already on the
    application, is not ``reviewer_id`` and has no conflict with it, with the smallest
    current load (``reviewer_id``'s removal counted); ties are broken by ``seed`` (with the
    application and reviewer ids mixed in, so successive reassignments do not all favour
    the same position). Every other assignment is kept. :class:`AssignmentError` if the
    reviewer is not on the application or nobody is available.
    """
    _check_id(application_id, _("申报"))
    _check_id(reviewer_id, _("评审专家"))
    if not isinstance(seed, str) or not seed:
        raise AssignmentError(_("分配必须有随机种子"))
    current = {a: list(rs) for a, rs in assignment.items()}
    if application_id not in current:
        raise AssignmentError(_("申报 %(application)s 不在本次分配中", application=application_id))
    if reviewer_id not in current[application_id]:
        raise AssignmentError(_("评审专家 %(reviewer)s 未分配到申报 %(application)s",
                                reviewer=reviewer_id, application=application_id))
    bad = _pairs(conflicts)
    pool = sorted(set(_unique_ids(reviewers, _("评审专家"))))

    current[application_id].remove(reviewer_id)
    loads = loads_of(current, pool)
    on = set(current[application_id])
    eligible = [r for r in pool
                if r != reviewer_id and r not in on and (application_id, r) not in bad]
    if not eligible:
        raise AssignmentError(_(
            "没有可替换的评审专家：评审组中其他专家均已分配到申报 %(application)s 或须回避，"
            "请先增加评审专家", application=application_id))
    least = min(loads[r] for r in eligible)
    tied = [r for r in eligible if loads[r] == least]
    rng = random.Random(f"{seed}|reassign|{application_id}|{reviewer_id}")
    replacement = tied[seeded_index(rng, len(tied))]
    current[application_id] = sorted(current[application_id] + [replacement])
    loads[replacement] += 1
    return Reassignment(
        assignment=current,
        application_id=application_id,
        removed=reviewer_id,
        replacement=replacement,
        loads=loads,
    )

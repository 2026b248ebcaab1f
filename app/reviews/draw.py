"""Random expert draw (随机抽取专家) — pure logic, no database.

Rules (the UI quotes these):

1. **Field filter.** When the officer names wanted fields of expertise, an expert qualifies
   if they share at least one of them (exact match after trimming spaces). No fields
   (``None`` or an empty set) means every candidate qualifies. Experts who do not qualify
   are recorded in ``off_field``.
2. **Conflicts (回避).** Among the qualifying experts, anyone with a ``conflict_reason``
   (e.g. "为申报组织成员", "与申报组织同一单位", "本人声明回避") is excluded and recorded in
   ``excluded`` together with the reason. The remaining experts are ``eligible``.
3. **Too few.** If fewer experts are eligible than the panel size, nothing is drawn and
   :class:`DrawError` explains how many are eligible.
4. **The draw.** ``eligible`` is sorted by expert id (so the order in which the candidates
   were supplied never matters) and ``size`` experts are picked from it by a partial
   Fisher–Yates shuffle driven by ``random.Random(seed)``: for ``i = 0 .. size-1``,
   ``j = i + floor(r * (n - i))`` where ``r = rng.random()`` and ``n`` is the number of
   eligible experts, then positions ``i`` and ``j`` are swapped; the first ``size``
   positions are the panel, in draw order. Only ``Random.random()`` is used, whose
   sequence for a given seed Python guarantees not to change between versions, so an
   auditor can re-run a recorded draw (:meth:`DrawResult.verify`) years later.
5. **The seed** is 128 random bits from :mod:`secrets` (:func:`new_seed`), chosen before
   the draw and stored with the result, so nobody can pick a seed to get a wanted panel
   without it showing in the record.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from flask_babel import gettext as _

from app.core.errors import ValidationError


class DrawError(ValidationError):
    """The draw cannot be made as asked; ``message`` is Chinese and shown as is."""


def new_seed() -> str:
    """A fresh unpredictable seed: 32 hex characters (128 bits)."""
    return secrets.token_hex(16)


def _normalize_fields(values: Iterable[str] | None) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, str):  # a lone string is one field, not its characters
        values = [values]
    out = set()
    for value in values:
        if not isinstance(value, str):
            raise DrawError(_("专业领域必须是文字"))
        value = value.strip()
        if value:
            out.add(value)
    return frozenset(out)


@dataclass(frozen=True)
class Candidate:
    """One expert of the pool as the draw sees them.

    ``conflict_reason`` is ``None`` when the expert may serve, otherwise a non-empty
    Chinese reason for the exclusion (回避).
    """

    expert_id: int
    fields: frozenset[str] = field(default_factory=frozenset)
    conflict_reason: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.expert_id, bool) or not isinstance(self.expert_id, int):
            raise DrawError(_("专家编号必须是整数"))
        object.__setattr__(self, "fields", _normalize_fields(self.fields))
        reason = self.conflict_reason
        if reason is not None:
            if not isinstance(reason, str) or not reason.strip():
                raise DrawError(_("回避原因不能为空"))
            object.__setattr__(self, "conflict_reason", reason.strip())


@dataclass(frozen=True)
class DrawResult:
    """The record of one draw; store it whole (see :meth:`as_dict`) for audit."""

    seed: str
    size: int
    fields: tuple[str, ...] | None          # wanted fields, sorted; None = no filter
    eligible: tuple[int, ...]               # sorted by expert id
    excluded: tuple[tuple[int, str], ...]   # (expert id, 回避 reason), sorted by id
    off_field: tuple[int, ...]              # did not share a wanted field, sorted
    picked: tuple[int, ...]                 # the panel, in draw order

    def verify(self, candidates: Iterable[Candidate]) -> bool:
        """Re-run the draw on ``candidates`` with the recorded seed, size and fields and
        say whether every part of the record (eligible, excluded, off-field, picked)
        comes out the same."""
        try:
            again = draw(candidates, self.size, self.seed, self.fields)
        except DrawError:
            return False
        return again == self

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (lists instead of tuples)."""
        return {
            "seed": self.seed,
            "size": self.size,
            "fields": list(self.fields) if self.fields is not None else None,
            "eligible": list(self.eligible),
            "excluded": [[expert_id, reason] for expert_id, reason in self.excluded],
            "off_field": list(self.off_field),
            "picked": list(self.picked),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DrawResult":
        fields = data.get("fields")
        return cls(
            seed=data["seed"],
            size=data["size"],
            fields=tuple(fields) if fields is not None else None,
            eligible=tuple(data["eligible"]),
            excluded=tuple((expert_id, reason) for expert_id, reason in data["excluded"]),
            off_field=tuple(data["off_field"]),
            picked=tuple(data["picked"]),
        )


def seeded_index(rng: random.Random, n: int) -> int:
    """An index in ``0..n-1`` from one ``rng.random()`` call (version-stable)."""
    return min(int(rng.random() * n), n - 1)


def seeded_shuffle(items: Sequence[Any], rng: random.Random, count: int | None = None) -> list:
    """Partial Fisher–Yates over a copy of ``items`` using only ``rng.random()``; returns
    the first ``count`` (default: all) items in shuffled order."""
    pool = list(items)
    n = len(pool)
    count = n if count is None else count
    for i in range(count):
        j = i + seeded_index(rng, n - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:count]


def draw(candidates: Iterable[Candidate], size: int, seed: str,
         fields: Iterable[str] | None = None) -> DrawResult:
    """Draw ``size`` experts from ``candidates`` (rules in the module docstring)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise DrawError(_("抽取人数必须是正整数"))
    if not isinstance(seed, str) or not seed:
        raise DrawError(_("抽取必须有随机种子"))
    wanted = _normalize_fields(fields)
    candidates = list(candidates)
    ids = [c.expert_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise DrawError(_("候选专家名单中有重复的专家"))

    off_field: list[int] = []
    excluded: list[tuple[int, str]] = []
    eligible: list[int] = []
    for cand in sorted(candidates, key=lambda c: c.expert_id):
        if wanted and not (cand.fields & wanted):
            off_field.append(cand.expert_id)
        elif cand.conflict_reason is not None:
            excluded.append((cand.expert_id, cand.conflict_reason))
        else:
            eligible.append(cand.expert_id)

    if len(eligible) < size:
        raise DrawError(_(
            "符合条件且无需回避的专家只有 %(n)s 位，不足抽取人数 %(size)s 位，"
            "请扩大专业领域或减少抽取人数", n=len(eligible), size=size))
    picked = seeded_shuffle(eligible, random.Random(seed), size)
    return DrawResult(
        seed=seed,
        size=size,
        fields=tuple(sorted(wanted)) if wanted else None,
        eligible=tuple(eligible),
        excluded=tuple(excluded),
        off_field=tuple(off_field),
        picked=tuple(picked),
    )

"""Score aggregation, ranking and recommendation (评分汇总、排名与推荐) — SPEC §4.

Pure functions over plain data; no database. The rules below are the specification the
pages quote.

**Totals.** A reviewer's total for an application is the plain sum of the points given per
criterion (each 0..max_points). Weights do not multiply points: the rubric's max points
already carry the importance; the weight only chooses the tie-break criterion.

**Aggregation methods** (the call's ``aggregation_method``):

- ``mean`` (算术平均): the arithmetic mean of the application's reviewer totals.
- ``trimmed_mean`` (去掉一个最高分和一个最低分): when the application has at least five
  submitted score sheets, exactly one highest and one lowest total are dropped — one each,
  even when several totals are equal — and the rest are averaged; with fewer than five
  sheets, the plain mean. For display, among equal lowest totals the sheet of the smallest
  reviewer id is marked dropped, among equal highest totals that of the largest (the score
  does not depend on which).
- ``zscore`` (标准分): cancels harsh and lenient reviewers. Over all sheets passed in one
  call (one panel), for each reviewer r: m_r and s_r, the mean and the population standard
  deviation of the totals r gave; for the panel: M and S, the mean and population standard
  deviation of all totals. Each total x of reviewer r becomes ``M + S·(x − m_r)/s_r``. When
  s_r = 0 (r scored one application, or gave every application the same total) there is no
  spread to scale by, so the total is only shifted: ``M + (x − m_r)``; since x = m_r in that
  case this is M — a reviewer who did not distinguish between applications neither raises
  nor lowers any of them. When S = 0 (every total is equal) every total becomes M. The
  application's score is the mean of its converted totals. Converted scores are on the
  panel's scale and may, in extreme cases, fall below 0 or above the rubric maximum.

**Exactness and rounding.** Means are exact fractions; square roots are taken exactly when
the radicand is a perfect square (of a fraction) and otherwise evaluated with Decimal at 50
significant digits or more. A final score that is rational is rounded exactly; an
irrational one cannot lie on a rounding boundary, and is evaluated to as many digits as it
takes to decide the side. The final score is rounded to 2 decimals with ROUND_HALF_UP
(80.125 → 80.13; 80.333… → 80.33; 80.666… → 80.67; halves away from zero). No floats.

**Disagreement** (分歧): the population standard deviation of the application's reviewer
totals (shown rounded to 2 decimals) is compared exactly with the threshold (default 15
points); above it — strictly — the application is flagged for panel discussion.

**Ranking** (:func:`rank`): by final score (the published 2-decimal value, so anyone can
check the order from the published figures), highest first. Equal final scores are broken
by the mean points (over all reviewers who scored it, exact, not trimmed) on the
highest-weighted criterion — the one with the lowest position among criteria sharing the top
weight — higher first; then by the lower requested amount. Applications still equal share a
rank (competition ranking: 1, 2, 2, 4) and are listed by application id.

**Recommendation** (:func:`recommend`): walking the ranking, an application whose final score
is at least the pass line and whose amount (the officer-adjusted amount if given, else the
requested amount) fits in what is left of the budget is recommended. At the first passing
application that does not fit, recommending stops — a lower-ranked project is never funded
ahead of a higher-ranked one — and every later passing application is not recommended
("预算已用完"). Applications sharing a rank are recommended together or not at all: when
their amounts together do not fit, recommending stops at them (the officer can adjust
amounts and recompute); choosing one of equals by id would be arbitrary. The recommended
amounts never sum to more than the budget.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from math import isqrt

from flask_babel import gettext as _

from app.core.errors import ValidationError
from app.core.money import format_fen

METHODS = ("trimmed_mean", "mean", "zscore")
#: Minimum number of sheets for trimmed_mean to drop the highest and the lowest total.
TRIM_MIN_SHEETS = 5
DEFAULT_DISAGREEMENT_THRESHOLD = 15
#: Significant digits for square roots; raised automatically when a result is too close to
#: a rounding boundary to decide.
SQRT_PRECISION = 50

_CENT = Decimal("0.01")
_HALF_CENT = Decimal("0.005")


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class Criterion:
    """A rubric criterion (评分项)."""

    id: int
    max_points: int
    weight: int = 1
    position: int = 0
    name: str = ""


@dataclass(frozen=True)
class Sheet:
    """One reviewer's submitted scores for one application: criterion id → points."""

    reviewer_id: int
    application_id: int
    points: Mapping[int, int] = field(hash=False)

    @property
    def total(self) -> int:
        return sum(self.points.values())


@dataclass(frozen=True)
class ApplicationFacts:
    application_id: int
    requested_fen: int


@dataclass(frozen=True)
class ReviewerTotal:
    reviewer_id: int
    total: int


# --------------------------------------------------------------------------- outputs

@dataclass(frozen=True)
class Result:
    """The aggregated score of one application."""

    application_id: int
    method: str
    final_score: Decimal                 # 2 decimals, ROUND_HALF_UP
    reviewer_count: int
    totals: tuple[ReviewerTotal, ...]    # by reviewer id
    dropped: tuple[ReviewerTotal, ...]   # trimmed_mean with ≥ 5 sheets: (lowest, highest)
    sd: Decimal                          # population sd of the totals, 2 decimals
    disagreement: bool                   # sd > threshold (exact comparison)
    criterion_means: Mapping[int, Fraction] = field(hash=False)   # exact, all reviewers
    normalized: tuple[tuple[int, Decimal], ...] = ()  # zscore: (reviewer id, converted total)

    @property
    def criterion_means_display(self) -> dict[int, Decimal]:
        """Per-criterion mean points rounded half-up to 2 decimals (for the summary sheet)."""
        return {cid: _round_fraction(v) for cid, v in self.criterion_means.items()}


@dataclass(frozen=True)
class TieNote:
    """How this application was ordered against others with the same final score.

    kind: "criterion" (the top-weighted criterion decided), "amount" (the lower requested
    amount decided) or "equal" (nothing decided: same rank); ranks: the others' ranks."""

    kind: str
    ranks: tuple[int, ...]


@dataclass(frozen=True)
class Ranked:
    rank: int
    application_id: int
    final_score: Decimal
    requested_fen: int
    result: Result
    tie_criterion_name: str = ""
    ties: tuple[TieNote, ...] = ()

    @property
    def tie_break(self) -> str | None:
        """Chinese note when this application shares its final score with others, e.g.
        "与第 2 名同分，按“项目设计”得分排序"; None otherwise. Translated when read."""
        if not self.ties:
            return None
        name = self.tie_criterion_name
        parts = []
        for tie in self.ties:
            ranks = "、".join(str(r) for r in tie.ranks)
            if tie.kind == "criterion":
                parts.append(_("与第 %(ranks)s 名同分，按“%(name)s”得分排序", ranks=ranks, name=name))
            elif tie.kind == "amount":
                parts.append(_("与第 %(ranks)s 名同分且“%(name)s”得分相同，按申请金额较少者优先",
                               ranks=ranks, name=name))
            else:
                parts.append(_("与另 %(count)s 个项目的得分、“%(name)s”得分和申请金额均相同，并列第 %(rank)s 名",
                               count=len(tie.ranks), name=name, rank=self.rank))
        return "；".join(parts)


RECOMMENDED = "recommended"
BELOW_PASS_LINE = "below_pass_line"
DOES_NOT_FIT = "does_not_fit"
TIED_DO_NOT_FIT = "tied_do_not_fit"
BUDGET_EXHAUSTED = "budget_exhausted"


@dataclass(frozen=True)
class Recommendation:
    application_id: int
    rank: int
    recommended: bool
    amount_fen: int          # 0 when not recommended
    remaining_fen: int       # budget left after this row
    reason_code: str
    asked_fen: int           # the amount considered (adjusted or requested)
    pass_line: Decimal
    remaining_before_fen: int = 0
    tied_total_fen: int = 0

    @property
    def reason(self) -> str:
        """The reason in Chinese (translated when read)."""
        if self.reason_code == RECOMMENDED:
            return _("按排名在预算内推荐")
        if self.reason_code == BELOW_PASS_LINE:
            return _("低于入围分数线 %(line)s 分", line=_plain_number(self.pass_line))
        if self.reason_code == DOES_NOT_FIT:
            return _("剩余预算不足：需 %(asked)s，剩余 %(left)s",
                     asked=format_fen(self.asked_fen), left=format_fen(self.remaining_before_fen))
        if self.reason_code == TIED_DO_NOT_FIT:
            return _("并列同名次的项目合计需 %(total)s，超出剩余预算 %(left)s，请调整金额后重新计算",
                     total=format_fen(self.tied_total_fen), left=format_fen(self.remaining_before_fen))
        return _("预算已用完")


# --------------------------------------------------------------------------- exact helpers

def _round_fraction(value: Fraction) -> Decimal:
    """Round an exact fraction to 2 decimals, halves away from zero (ROUND_HALF_UP)."""
    sign = -1 if value < 0 else 1
    scaled = abs(value) * 100
    cents = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    return (Decimal(sign * cents) / 100).quantize(_CENT)


def _exact_sqrt(value: Fraction) -> Fraction | None:
    """The square root of a non-negative fraction when it is itself a fraction, else None."""
    num, den = value.numerator, value.denominator
    rn, rd = isqrt(num), isqrt(den)
    if rn * rn == num and rd * rd == den:
        return Fraction(rn, rd)
    return None


def _to_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _decimal_sqrt(value: Fraction) -> Decimal:
    # sqrt(p/q) = sqrt(p·q)/q: one correctly rounded root of an integer, one division.
    return Decimal(value.numerator * value.denominator).sqrt() / Decimal(value.denominator)


class _Surd:
    """An exact real number ``rational + Σ coefficient·√radicand``, with radicands kept in
    classes whose ratios are not squares of fractions. Square roots of distinct square-free
    integers are linearly independent over the rationals, so the number is rational exactly
    when every remaining coefficient is zero."""

    def __init__(self) -> None:
        self.rational = Fraction(0)
        self.terms: list[tuple[Fraction, Fraction]] = []  # (radicand, coefficient)

    def add(self, value: Fraction) -> None:
        self.rational += value

    def add_root(self, coefficient: Fraction, radicand: Fraction) -> None:
        """Add coefficient·√radicand (radicand ≥ 0)."""
        if coefficient == 0 or radicand == 0:
            return
        root = _exact_sqrt(radicand)
        if root is not None:
            self.rational += coefficient * root
            return
        for i, (base, coef) in enumerate(self.terms):
            ratio = _exact_sqrt(radicand / base)
            if ratio is not None:
                self.terms[i] = (base, coef + coefficient * ratio)
                return
        self.terms.append((radicand, coefficient))

    def scaled(self, factor: Fraction) -> _Surd:
        out = _Surd()
        out.rational = self.rational * factor
        out.terms = [(base, coef * factor) for base, coef in self.terms]
        return out

    def plus(self, other: _Surd) -> _Surd:
        out = self.scaled(Fraction(1))
        out.add(other.rational)
        for base, coef in other.terms:
            out.add_root(coef, base)
        return out

    def rounded(self) -> Decimal:
        """ROUND_HALF_UP to 2 decimals, exact (see the module docstring)."""
        terms = sorted((base, coef) for base, coef in self.terms if coef != 0)
        if not terms:
            return _round_fraction(self.rational)
        precision = SQRT_PRECISION
        while True:
            with localcontext() as ctx:
                ctx.prec = precision
                value = _to_decimal(self.rational)
                for base, coef in terms:
                    value += _to_decimal(coef) * _decimal_sqrt(base)
                candidate = value.quantize(_CENT, rounding=ROUND_HALF_UP)
                # The error of `value` is far below 10^-(precision-10) relative; if the
                # value is farther than that from both rounding boundaries, the side is sure.
                margin = Decimal(10) ** (-(precision - 10)) * max(Decimal(1), abs(value))
                if (value - (candidate - _HALF_CENT) > margin
                        and (candidate + _HALF_CENT) - value > margin):
                    return candidate
            precision *= 2
            if precision > 10_000:  # cannot happen for an irrational value; never loop forever
                raise ArithmeticError("could not decide the rounding of an aggregated score")


def _mean(values: Sequence[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def _variance(values: Sequence[int | Fraction]) -> Fraction:
    mean = Fraction(sum(values), len(values))
    return sum(((Fraction(v) - mean) ** 2 for v in values), Fraction(0)) / len(values)


def _rational(value, what: str) -> Fraction:
    if isinstance(value, float) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int or a Decimal, not {type(value).__name__}")
    if isinstance(value, str):
        value = Decimal(value)
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{what} must be finite")
    return Fraction(value)


def _plain_number(value: Decimal) -> str:
    """60 → "60", 60.50 → "60.5"."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


# --------------------------------------------------------------------------- validation

def _check_criteria(criteria: Sequence[Criterion]) -> list[Criterion]:
    criteria = list(criteria)
    if not criteria:
        raise ValueError("the rubric has no criteria")
    if len({c.id for c in criteria}) != len(criteria):
        raise ValueError("criterion ids must be unique")
    if len({c.position for c in criteria}) != len(criteria):
        raise ValueError("criterion positions must be unique")
    for c in criteria:
        if isinstance(c.max_points, bool) or not isinstance(c.max_points, int) or c.max_points < 1:
            raise ValueError(f"criterion {c.id}: max_points must be a positive int")
    return criteria


def _check_applications(applications: Iterable[ApplicationFacts]) -> dict[int, ApplicationFacts]:
    by_id: dict[int, ApplicationFacts] = {}
    for a in applications:
        if a.application_id in by_id:
            raise ValueError(f"application {a.application_id} is listed twice")
        if isinstance(a.requested_fen, bool) or not isinstance(a.requested_fen, int) or a.requested_fen < 0:
            raise ValueError(f"application {a.application_id}: requested_fen must be an int ≥ 0")
        by_id[a.application_id] = a
    return by_id


def _check_sheets(sheets: Iterable[Sheet], criteria: list[Criterion],
                  applications: Mapping[int, ApplicationFacts]) -> list[Sheet]:
    maxima = {c.id: c.max_points for c in criteria}
    seen: set[tuple[int, int]] = set()
    out = []
    for s in sheets:
        if s.application_id not in applications:
            raise ValueError(f"sheet for unknown application {s.application_id}")
        key = (s.reviewer_id, s.application_id)
        if key in seen:
            raise ValueError(f"reviewer {s.reviewer_id} has two sheets for application {s.application_id}")
        seen.add(key)
        if set(s.points) != set(maxima):
            raise ValidationError(_("评分表必须对每一个评分项打分，且只能对本轮的评分项打分。"))
        for cid, pts in s.points.items():
            if isinstance(pts, bool) or not isinstance(pts, int) or not 0 <= pts <= maxima[cid]:
                raise ValidationError(_("每项得分必须是 0 到该项满分之间的整数。"))
        out.append(s)
    return out


# --------------------------------------------------------------------------- aggregation

def totals(sheets: Iterable[Sheet]) -> dict[tuple[int, int], int]:
    """Each sheet's total (sum of its points), keyed by (reviewer_id, application_id)."""
    return {(s.reviewer_id, s.application_id): s.total for s in sheets}


def aggregate(method: str, sheets: Iterable[Sheet], criteria: Sequence[Criterion],
              applications: Iterable[ApplicationFacts], *,
              disagreement_threshold=DEFAULT_DISAGREEMENT_THRESHOLD) -> list[Result]:
    """Aggregate one panel's submitted sheets into one Result per application (by id).

    ``method`` is "trimmed_mean", "mean" or "zscore" (rules in the module docstring). Every
    application listed must have at least one sheet (ValidationError otherwise); a sheet
    must score every criterion within 0..max_points (ValidationError). For zscore, pass all
    of the panel's submitted sheets at once: reviewer and panel statistics are taken over
    exactly the sheets given. The result does not depend on the order of the inputs.
    """
    method = str(method)
    if method not in METHODS:
        raise ValueError(f"unknown aggregation method {method!r}")
    threshold = _rational(disagreement_threshold, "disagreement_threshold")
    if threshold < 0:
        raise ValueError("disagreement_threshold must not be negative")
    criteria = _check_criteria(criteria)
    apps = _check_applications(applications)
    sheets = _check_sheets(sheets, criteria, apps)

    by_app: dict[int, list[Sheet]] = defaultdict(list)
    for s in sheets:
        by_app[s.application_id].append(s)
    for app_id in sorted(apps):
        if not by_app.get(app_id):
            raise ValidationError(_("项目（编号 %(id)s）尚无已提交的评分，无法汇总。", id=app_id))
    for group in by_app.values():
        group.sort(key=lambda s: s.reviewer_id)

    converted: dict[tuple[int, int], _Surd] = {}
    if method == "zscore":
        converted = _zscore_converted(sheets)

    results = []
    for app_id in sorted(apps):
        group = by_app[app_id]
        app_totals = tuple(ReviewerTotal(s.reviewer_id, s.total) for s in group)
        values = [t.total for t in app_totals]
        dropped: tuple[ReviewerTotal, ...] = ()
        normalized: tuple[tuple[int, Decimal], ...] = ()
        if method == "mean":
            score = _round_fraction(_mean(values))
        elif method == "trimmed_mean":
            if len(values) >= TRIM_MIN_SHEETS:
                ordered = sorted(app_totals, key=lambda t: (t.total, t.reviewer_id))
                dropped = (ordered[0], ordered[-1])
                score = _round_fraction(_mean([t.total for t in ordered[1:-1]]))
            else:
                score = _round_fraction(_mean(values))
        else:
            surds = [converted[(s.reviewer_id, app_id)] for s in group]
            acc = _Surd()
            for surd in surds:
                acc = acc.plus(surd)
            score = acc.scaled(Fraction(1, len(surds))).rounded()
            normalized = tuple((s.reviewer_id, converted[(s.reviewer_id, app_id)].rounded()) for s in group)
        variance = _variance(values)
        sd = _Surd()
        sd.add_root(Fraction(1), variance)
        results.append(Result(
            application_id=app_id,
            method=method,
            final_score=score,
            reviewer_count=len(group),
            totals=app_totals,
            dropped=dropped,
            sd=sd.rounded(),
            disagreement=variance > threshold * threshold,
            criterion_means={c.id: Fraction(sum(s.points[c.id] for s in group), len(group))
                             for c in sorted(criteria, key=lambda c: c.position)},
            normalized=normalized,
        ))
    return results


def _zscore_converted(sheets: list[Sheet]) -> dict[tuple[int, int], _Surd]:
    """Each sheet's converted total M + S·(x − m_r)/s_r, exactly (see module docstring)."""
    all_totals = [s.total for s in sheets]
    panel_mean = _mean(all_totals)
    panel_var = _variance(all_totals)
    by_reviewer: dict[int, list[Sheet]] = defaultdict(list)
    for s in sheets:
        by_reviewer[s.reviewer_id].append(s)
    out: dict[tuple[int, int], _Surd] = {}
    for reviewer_id, own in by_reviewer.items():
        own_totals = [s.total for s in own]
        own_mean = _mean(own_totals)
        own_var = _variance(own_totals)
        for s in own:
            value = _Surd()
            value.add(panel_mean)
            if panel_var == 0:
                pass                                   # every total becomes M
            elif own_var == 0:
                value.add(s.total - own_mean)          # shift only (= 0 here: x = m_r)
            else:
                # S·(x − m_r)/s_r = (x − m_r)·√(V/v_r): one root per reviewer, exact class.
                value.add_root(s.total - own_mean, panel_var / own_var)
            out[(reviewer_id, s.application_id)] = value
    return out


# --------------------------------------------------------------------------- ranking

def top_criterion(criteria: Sequence[Criterion]) -> Criterion:
    """The tie-break criterion: highest weight; among equal weights the lowest position."""
    criteria = _check_criteria(criteria)
    return min(criteria, key=lambda c: (-c.weight, c.position))


def rank(results: Iterable[Result], criteria: Sequence[Criterion],
         applications: Iterable[ApplicationFacts]) -> list[Ranked]:
    """Rank results (rules in the module docstring); returns them in display order:
    rank, then application id. Ranks are competition ranks (1, 2, 2, 4)."""
    apps = _check_applications(applications)
    top = top_criterion(criteria)
    results = list(results)
    if len({r.application_id for r in results}) != len(results):
        raise ValueError("an application has two results")
    for r in results:
        if r.application_id not in apps:
            raise ValueError(f"no facts for application {r.application_id}")

    def key(r: Result):
        return (-r.final_score, -r.criterion_means[top.id], apps[r.application_id].requested_fen)

    ordered = sorted(results, key=lambda r: (key(r), r.application_id))
    ranks: dict[int, int] = {}
    for i, r in enumerate(ordered):
        if i and key(r) == key(ordered[i - 1]):
            ranks[r.application_id] = ranks[ordered[i - 1].application_id]
        else:
            ranks[r.application_id] = i + 1

    name = top.name or _("最高权重评分项")
    out = []
    for r in ordered:
        same_score = [o for o in ordered if o.final_score == r.final_score and o is not r]
        by_kind: dict[str, list[int]] = defaultdict(list)
        for o in same_score:
            if o.criterion_means[top.id] != r.criterion_means[top.id]:
                kind = "criterion"
            elif apps[o.application_id].requested_fen != apps[r.application_id].requested_fen:
                kind = "amount"
            else:
                kind = "equal"
            by_kind[kind].append(ranks[o.application_id])
        ties = tuple(TieNote(kind, tuple(sorted(by_kind[kind])))
                     for kind in ("criterion", "amount", "equal") if by_kind.get(kind))
        out.append(Ranked(
            rank=ranks[r.application_id],
            application_id=r.application_id,
            final_score=r.final_score,
            requested_fen=apps[r.application_id].requested_fen,
            result=r,
            tie_criterion_name=name if ties else "",
            ties=ties,
        ))
    return out


# --------------------------------------------------------------------------- recommendation

def recommend(ranked: Iterable[Ranked], budget_fen: int, pass_line,
              amounts: Mapping[int, int] | None = None) -> list[Recommendation]:
    """Recommend in rank order within ``budget_fen`` and at or above ``pass_line`` (rules
    in the module docstring). ``amounts`` maps application id → the officer-adjusted amount
    in fen (> 0); applications not in it use their requested amount. Returns one row per
    application, in rank order (then application id)."""
    if isinstance(budget_fen, bool) or not isinstance(budget_fen, int) or budget_fen < 0:
        raise ValueError("budget_fen must be an int ≥ 0")
    line = _rational(pass_line, "pass_line")
    line_decimal = Decimal(pass_line) if not isinstance(pass_line, Fraction) else _to_decimal(line)
    rows = sorted(ranked, key=lambda r: (r.rank, r.application_id))
    ids = {r.application_id for r in rows}
    if len(ids) != len(rows):
        raise ValueError("an application is ranked twice")
    amounts = dict(amounts or {})
    for app_id, fen in amounts.items():
        if app_id not in ids:
            raise ValueError(f"adjusted amount for unranked application {app_id}")
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise ValueError("adjusted amounts must be int fen")
        if fen <= 0:
            raise ValidationError(_("调整后的资助金额必须大于零。"))

    def asked(r: Ranked) -> int:
        return amounts.get(r.application_id, r.requested_fen)

    groups: list[list[Ranked]] = []
    for r in rows:
        if groups and groups[-1][0].rank == r.rank:
            groups[-1].append(r)
        else:
            groups.append([r])

    remaining = budget_fen
    stopped = False
    out: list[Recommendation] = []
    for group in groups:
        passing = Fraction(group[0].final_score) >= line   # equal rank ⇒ equal score
        need = sum(asked(r) for r in group)
        before = remaining
        if not passing:
            code = BELOW_PASS_LINE
        elif stopped:
            code = BUDGET_EXHAUSTED
        elif need <= remaining:
            code = RECOMMENDED
        else:
            code = DOES_NOT_FIT if len(group) == 1 else TIED_DO_NOT_FIT
            stopped = True
        for r in group:
            amount = asked(r) if code == RECOMMENDED else 0
            remaining -= amount
            out.append(Recommendation(
                application_id=r.application_id,
                rank=r.rank,
                recommended=code == RECOMMENDED,
                amount_fen=amount,
                remaining_fen=remaining,
                reason_code=code,
                asked_fen=asked(r),
                pass_line=line_decimal,
                remaining_before_fen=before,
                tied_total_fen=need if len(group) > 1 else 0,
            ))
    return out

"""Chair matrix, reopen, finalize and outcomes (app.reviews.results), against hand
computation. The default rubric (6 criteria, 100 points, equal weights) is used: its
tie-break criterion is the first one, 需求与服务对象 (max 20)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.applications.models import ApplicationStatus
from app.calls.models import AggregationMethod, CallStatus
from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.funders.models import StaffRole
from app.reviews import aggregation, results
from app.reviews.models import AssignmentStatus, ReviewOutcome, SheetStatus
from app.reviews.results import CellState
from tests.factories import (make_application, make_assignment, make_call, make_expert, make_funder, make_org,
                             make_panel, make_sheet, make_staff, make_user)

YUAN = 100


def points(call, total: int, first: int | None = None) -> dict[int, int]:
    """Points per criterion adding up to `total`: the first criterion gets `first` (default
    a fifth of the total), the rest filled in rubric order."""
    crit = sorted(call.criteria, key=lambda c: c.position)
    first = total * 20 // 100 if first is None else first
    out = {crit[0].id: first}
    left = total - first
    for c in crit[1:]:
        out[c.id] = min(c.max_points, left)
        left -= out[c.id]
    assert left == 0 and first <= crit[0].max_points, "total not reachable"
    return out


class Scenario:
    """A call in review with a panel: `totals[i][j]` is reviewer j's submitted total for
    application i (None: not assigned). Reviewer 0 is the chair."""

    count = 0

    def __init__(self, totals, *, method=AggregationMethod.TRIMMED_MEAN, requested=None, budget_yuan=1_000_000,
                 pass_line=60, firsts=None, blind=False, titles=None):
        self.funder = make_funder()
        self.officer = make_staff(self.funder, name="项目官员")
        self.finance = make_staff(self.funder, StaffRole.FINANCE_OFFICER, name="财务")
        self.call = make_call(self.funder, status=CallStatus.REVIEWING, budget_fen=budget_yuan * YUAN,
                              min_award_fen=20_000 * YUAN, max_award_fen=100_000 * YUAN, title="评审汇总测试征集")
        self.call.aggregation = method
        self.call.pass_line = pass_line
        self.call.blind_review = blind
        n_apps, n_reviewers = len(totals), len(totals[0])
        requested = requested or [50_000] * n_apps
        Scenario.count += 1
        self.orgs = [make_org(name=f"翠湖第{Scenario.count}-{i + 1}社区服务中心") for i in range(n_apps)]
        self.apps = [make_application(self.call, org, status=ApplicationStatus.UNDER_REVIEW,
                                      requested_fen=requested[i] * YUAN,
                                      title=(titles[i] if titles else f"社区项目{i + 1}"))
                     for i, org in enumerate(self.orgs)]
        self.users = [make_user(name=f"专家{'ABCDEFG'[j]}") for j in range(n_reviewers)]
        self.experts = [make_expert(u) for u in self.users]
        self.chair = self.users[0]
        self.panel = make_panel(self.call, reviewers=self.experts[1:], chair=self.experts[0])
        self.members = {m.expert_id: m for m in self.panel.members}
        self.assignments = {}
        for i, row in enumerate(totals):
            for j, total in enumerate(row):
                if total is None:
                    continue
                a = make_assignment(self.panel, self.apps[i], self.experts[j])
                first = firsts[i][j] if firsts else None
                make_sheet(a, points(self.call, total, first), submitted=True)
                self.assignments[(i, j)] = a

    def member(self, j):
        return self.members[self.experts[j].id]

    def sheet(self, i, j):
        return self.assignments[(i, j)].sheet


def _outcomes(call):
    from app.extensions import db

    return list(db.session.scalars(select(ReviewOutcome).where(ReviewOutcome.call_id == call.id)
                                   .order_by(ReviewOutcome.rank, ReviewOutcome.application_id)))


def _actions(db, action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# Three applications × five reviewers (the first is the chair):
#   甲: 90 85 80 70 60    乙: 95 82 80 79 40    丙: 70 66 65 64 30
TRIMMED = [[90, 85, 80, 70, 60], [95, 82, 80, 79, 40], [70, 66, 65, 64, 30]]


# --------------------------------------------------------------------------- finalize & outcomes

def test_trimmed_mean_outcomes_match_hand_computation(db):
    # trimmed_mean drops one highest and one lowest total (five sheets each):
    #   甲: (85+80+70)/3 = 235/3 = 78.333… → 78.33
    #   乙: (82+80+79)/3 = 241/3 = 80.333… → 80.33
    #   丙: (66+65+64)/3 = 195/3 = 65.00
    # Population sd of all five totals:
    #   甲: mean 77, squares 169+64+9+49+289 = 580, /5 = 116, √116 = 10.770… → 10.77
    #   乙: mean 75.2, variance 8574/25 = 342.96, √ = 18.519… → 18.52 > 15: 分歧
    #   丙: mean 59, squares 121+49+36+25+841 = 1072, /5 = 214.4, √ = 14.642… → 14.64
    # Budget ¥80,000 with 甲 ¥50,000, 乙 ¥40,000, 丙 ¥30,000 requested:
    #   乙 (rank 1) fits → recommended, ¥40,000 left; 甲 (rank 2) needs ¥50,000 → does not
    #   fit, recommending stops; 丙 (rank 3, 65 ≥ 60) → budget exhausted.
    s = Scenario(TRIMMED, requested=[50_000, 40_000, 30_000], budget_yuan=80_000)
    out = results.finalize(s.chair, s.panel)
    assert [(o.application_id, o.rank, o.final_score) for o in out] == [
        (s.apps[1].id, 1, Decimal("80.33")), (s.apps[0].id, 2, Decimal("78.33")), (s.apps[2].id, 3, Decimal("65.00"))]
    by_app = {o.application_id: o for o in _outcomes(s.call)}
    jia, yi, bing = (by_app[a.id] for a in s.apps)
    assert (jia.sd, yi.sd, bing.sd) == (Decimal("10.77"), Decimal("18.52"), Decimal("14.64"))
    assert (jia.disagreement, yi.disagreement, bing.disagreement) == (False, True, False)
    assert (yi.recommended, yi.amount_fen, yi.reason_code) == (True, 40_000 * YUAN, aggregation.RECOMMENDED)
    assert (jia.recommended, jia.amount_fen, jia.reason_code) == (False, 0, aggregation.DOES_NOT_FIT)
    assert (bing.recommended, bing.reason_code) == (False, aggregation.BUDGET_EXHAUSTED)
    assert all(o.reviewer_count == 5 and o.requested_fen for o in out)

    # The stored figures read back exactly, with the reason texts aggregation gives.
    res = results.outcomes(s.call)
    assert [r.outcome.final_score for r in res.rows] == [Decimal("80.33"), Decimal("78.33"), Decimal("65.00")]
    assert [r.reason for r in res.rows] == ["按排名在预算内推荐", "剩余预算不足：需 ¥50,000.00，剩余 ¥40,000.00",
                                            "预算已用完"]
    assert (res.used_fen, res.left_fen, res.recommended_count) == (40_000 * YUAN, 40_000 * YUAN, 1)
    assert all(r.tie_break is None for r in res.rows)


def test_finalize_moves_applications_to_scored_and_audits(db):
    s = Scenario(TRIMMED)
    results.finalize(s.chair, s.panel)
    assert s.panel.is_finalized and s.panel.finalized_by_id == s.chair.id
    assert {a.status for a in s.apps} == {ApplicationStatus.SCORED}
    assert len(_outcomes(s.call)) == 3
    assert len(_actions(db, "panel.finalize")) == 1
    assert len(_actions(db, "review_outcome.compute")) == 1
    # Twice is out of order.
    with pytest.raises(Conflict, match="无需重复"):
        results.finalize(s.chair, s.panel)


def test_mean_orders_differently_and_applies_the_pass_line(db):
    # mean: 甲 385/5 = 77.00, 乙 376/5 = 75.20, 丙 295/5 = 59.00 — 甲 now leads (under the
    # trimmed mean 乙 did) and 丙 falls below the pass line of 60.
    s = Scenario(TRIMMED, method=AggregationMethod.MEAN)
    out = results.finalize(s.chair, s.panel)
    assert [(o.application_id, o.final_score) for o in out] == [
        (s.apps[0].id, Decimal("77.00")), (s.apps[1].id, Decimal("75.20")), (s.apps[2].id, Decimal("59.00"))]
    assert [o.reason_code for o in out] == [aggregation.RECOMMENDED, aggregation.RECOMMENDED,
                                            aggregation.BELOW_PASS_LINE]
    assert results.outcomes(s.call).rows[2].reason == "低于入围分数线 60 分"


def test_zscore_cancels_a_harsh_reviewer(db):
    # Reviewers: A (the chair) scores 甲 90, 乙 80; H (harsh) scores 甲 60, 丙 40; B scores
    # 乙 90, 丙 70. Under the mean 甲 = (90+60)/2 = 75 trails 乙 = (80+90)/2 = 85: H's
    # harshness lands on 甲 alone. zscore: each reviewer scored two applications x ± d, so
    # every converted total is M ± S: A: 甲 +1, 乙 −1; H: 甲 +1, 丙 −1; B: 乙 +1, 丙 −1.
    # Panel totals 90 80 60 40 90 70: M = 430/6 = 71.666…, V = (6·32700 − 430²)/36 =
    # 11300/36, S = √11300/6 = 17.7169096…
    #   甲 = M + S = 89.3835763… → 89.38;  乙 = M = 71.67;  丙 = M − S = 53.9497569… → 53.95
    # Order 甲, 乙, 丙 (mean: 乙, 甲, 丙); 丙 is below the pass line. sd of 甲 and 丙 is
    # exactly 15.00 — not above the threshold 15, so no disagreement flag.
    totals = [[90, 60, None], [80, None, 90], [None, 40, 70]]
    s = Scenario(totals, method=AggregationMethod.ZSCORE)
    out = results.finalize(s.chair, s.panel)
    assert [(o.application_id, o.final_score, o.rank) for o in out] == [
        (s.apps[0].id, Decimal("89.38"), 1), (s.apps[1].id, Decimal("71.67"), 2), (s.apps[2].id, Decimal("53.95"), 3)]
    assert [(o.sd, o.disagreement) for o in out] == [(Decimal("15.00"), False), (Decimal("5.00"), False),
                                                     (Decimal("15.00"), False)]
    assert out[2].reason_code == aggregation.BELOW_PASS_LINE
    # The same sheets under the mean put 乙 first.
    s.call.aggregation = AggregationMethod.MEAN
    again = results.compute_outcomes(s.call)
    assert [(o.application_id, o.final_score) for o in again] == [
        (s.apps[1].id, Decimal("85.00")), (s.apps[0].id, Decimal("75.00")), (s.apps[2].id, Decimal("55.00"))]


def test_ties_are_broken_by_the_top_criterion_then_the_amount(db):
    # Four applications, every total 80 (mean 80.00). First-criterion points (需求与服务对象):
    #   甲 18/18, 乙 16/16, 丙 16/16, 丁 16/16 → 甲 first by the criterion;
    #   乙 asks ¥30,000, 丙 and 丁 ¥25,000 → 丙 and 丁 before 乙 by the amount;
    #   丙 and 丁 are equal in everything → they share rank 2; 乙 is 4th.
    # Budget ¥70,000: 甲 ¥30,000 fits (¥40,000 left); 丙+丁 need ¥50,000 together → they do
    # not fit and are recommended together or not at all; 乙 → budget exhausted.
    totals = [[80, 80]] * 4
    firsts = [[18, 18], [16, 16], [16, 16], [16, 16]]
    s = Scenario(totals, method=AggregationMethod.MEAN, requested=[30_000, 30_000, 25_000, 25_000],
                 budget_yuan=70_000, firsts=firsts)
    out = results.finalize(s.chair, s.panel)
    ids = [a.id for a in s.apps]
    assert [(o.application_id, o.rank) for o in out] == [(ids[0], 1), (ids[2], 2), (ids[3], 2), (ids[1], 4)]
    assert [o.reason_code for o in out] == [aggregation.RECOMMENDED, aggregation.TIED_DO_NOT_FIT,
                                            aggregation.TIED_DO_NOT_FIT, aggregation.BUDGET_EXHAUSTED]
    res = results.outcomes(s.call)
    assert res.rows[1].reason == ("并列同名次的项目合计需 ¥50,000.00，超出剩余预算 ¥40,000.00，"
                                  "请调整金额后重新计算")
    notes = {r.outcome.application_id: r.tie_break for r in res.rows}
    assert "按“需求与服务对象”得分排序" in notes[ids[0]]
    assert "按申请金额较少者优先" in notes[ids[1]]
    assert "并列第 2 名" in notes[ids[2]]


def test_finalize_refuses_with_counts_while_sheets_are_missing(db):
    s = Scenario([[80, 70], [75, 65]])
    third = make_application(s.call, make_org(), status=ApplicationStatus.UNDER_REVIEW)   # nobody assigned
    draft = s.sheet(0, 1)
    draft.status, draft.submitted_at = SheetStatus.DRAFT, None
    pending = make_assignment(s.panel, third, s.experts[0], status=AssignmentStatus.PENDING)
    with pytest.raises(Conflict) as err:
        results.finalize(s.chair, s.panel)
    assert "还有 2 份评分未提交（涉及 2 个项目）" in err.value.message
    assert "1 个项目没有任何已提交的评分" in err.value.message
    assert not s.panel.is_finalized and _outcomes(s.call) == []
    assert s.apps[0].status == ApplicationStatus.UNDER_REVIEW
    # A recused assignment does not count as missing; a submitted sheet for the third does.
    pending.status = AssignmentStatus.RECUSED
    replacement = make_assignment(s.panel, third, s.experts[1])
    make_sheet(replacement, points(s.call, 72), submitted=True)
    draft.status, draft.submitted_at = SheetStatus.SUBMITTED, s.sheet(0, 0).submitted_at
    assert len(results.finalize(s.chair, s.panel)) == 3


def test_finalize_only_by_the_chair_and_only_in_review(db):
    s = Scenario([[80, 70]])
    for user in (s.users[1], s.officer):
        with pytest.raises(PermissionDenied):
            results.finalize(user, s.panel)
    s.call.status = CallStatus.NOTICE
    with pytest.raises(Conflict, match="专家评审"):
        results.finalize(s.chair, s.panel)
    assert not s.panel.is_finalized


def test_withdrawn_application_is_left_out(db):
    s = Scenario(TRIMMED)
    s.apps[2].status = ApplicationStatus.WITHDRAWN
    out = results.finalize(s.chair, s.panel)
    assert {o.application_id for o in out} == {s.apps[0].id, s.apps[1].id}
    assert len(results.matrix(s.panel).rows) == 2


# --------------------------------------------------------------------------- adjustments

def test_adjusting_an_amount_recomputes_the_recommendations(db):
    s = Scenario(TRIMMED, requested=[50_000, 40_000, 30_000], budget_yuan=80_000)
    results.finalize(s.chair, s.panel)
    jia = next(o for o in _outcomes(s.call) if o.application_id == s.apps[0].id)
    # 甲 cut to ¥40,000 fits the ¥40,000 left after 乙: both recommended, nothing left, so
    # 丙 (¥30,000) no longer fits.
    results.adjust_amount(s.officer, jia, "40,000", "压缩场地租金和宣传费用")
    by_app = {o.application_id: o for o in _outcomes(s.call)}
    assert (by_app[s.apps[0].id].recommended, by_app[s.apps[0].id].amount_fen) == (True, 40_000 * YUAN)
    assert by_app[s.apps[0].id].adjusted_fen == 40_000 * YUAN
    assert by_app[s.apps[0].id].adjust_reason == "压缩场地租金和宣传费用"
    assert by_app[s.apps[0].id].adjusted_by_id == s.officer.id
    assert by_app[s.apps[2].id].reason_code == aggregation.DOES_NOT_FIT
    res = results.outcomes(s.call)
    assert (res.used_fen, res.left_fen) == (80_000 * YUAN, 0)
    assert res.rows[2].reason == "剩余预算不足：需 ¥30,000.00，剩余 ¥0.00"
    assert len(_actions(db, "review_outcome.adjust")) == 1

    results.clear_adjustment(s.officer, jia)
    assert jia.adjusted_fen is None and jia.reason_code == aggregation.DOES_NOT_FIT and jia.amount_fen == 0
    assert len(_actions(db, "review_outcome.clear_adjustment")) == 1
    with pytest.raises(Conflict):
        results.clear_adjustment(s.officer, jia)


@pytest.mark.parametrize("amount,message", [
    ("60000", "不能超过申请金额"),                 # more than requested (¥50,000)
    ("10000", "资助额度"),                         # below the call's minimum award (¥20,000)
    ("50000", "与申请金额相同"),
    ("0", "大于零"), ("-100", "负数"), ("abc", "格式不正确"), ("1.234", "两位小数"),
    ("１２３", "半角"), ("NaN", "格式不正确"), ("1e9", "格式不正确"), ("", "请输入金额"),
])
def test_adjustment_bounds(db, amount, message):
    s = Scenario(TRIMMED, requested=[50_000, 40_000, 30_000], budget_yuan=80_000)
    results.finalize(s.chair, s.panel)
    jia = next(o for o in _outcomes(s.call) if o.application_id == s.apps[0].id)
    with pytest.raises(ValidationError, match=message) as err:
        results.adjust_amount(s.officer, jia, amount, "理由")
    assert err.value.field == "amount"
    db.session.rollback()
    assert all(o.adjusted_fen is None for o in _outcomes(s.call))


def test_adjustment_needs_a_reason_the_officer_and_the_right_moment(db):
    s = Scenario(TRIMMED, requested=[50_000, 40_000, 30_000], budget_yuan=80_000)
    assert "评审尚未结束" in results.adjustment_problem(s.call, s.panel)
    results.finalize(s.chair, s.panel)
    jia = next(o for o in _outcomes(s.call) if o.application_id == s.apps[0].id)
    with pytest.raises(ValidationError, match="请填写调整理由") as err:
        results.adjust_amount(s.officer, jia, "40000", "  ")
    assert err.value.field == "reason"
    with pytest.raises(ValidationError, match="不能超过 500"):
        results.adjust_amount(s.officer, jia, "40000", "长" * 501)
    for user in (s.finance, s.chair):
        with pytest.raises(PermissionDenied):
            results.adjust_amount(user, jia, "40000", "理由")
    s.call.status = CallStatus.NOTICE
    with pytest.raises(Conflict, match="公示前"):
        results.adjust_amount(s.officer, jia, "40000", "理由")
    assert jia.adjusted_fen is None


def test_below_the_pass_line_is_not_adjustable(db):
    s = Scenario(TRIMMED, method=AggregationMethod.MEAN)
    results.finalize(s.chair, s.panel)
    bing = next(o for o in _outcomes(s.call) if o.application_id == s.apps[2].id)
    with pytest.raises(ValidationError, match="入围分数线"):
        results.adjust_amount(s.officer, bing, "40000", "理由")


# --------------------------------------------------------------------------- reopen

def test_reopen_flow(db):
    s = Scenario([[80, 70], [75, 65]])
    sheet = s.sheet(0, 1)
    with pytest.raises(ValidationError, match="请填写退回理由"):
        results.reopen_sheet(s.chair, sheet, "")
    with pytest.raises(ValidationError, match="不能超过 500"):
        results.reopen_sheet(s.chair, sheet, "长" * 501)
    with pytest.raises(PermissionDenied):
        results.reopen_sheet(s.users[1], sheet, "请复核")
    assert sheet.status == SheetStatus.SUBMITTED

    results.reopen_sheet(s.chair, sheet, "“预算合理性”打分与评语不一致，请复核。")
    assert sheet.status == SheetStatus.DRAFT and sheet.submitted_at is None
    assert (sheet.reopen_count, sheet.reopened_by_id) == (1, s.chair.id)
    assert sheet.reopen_reason == "“预算合理性”打分与评语不一致，请复核。" and sheet.reopened_at is not None
    assert len(_actions(db, "score_sheet.reopen")) == 1
    with pytest.raises(Conflict, match="尚未提交"):
        results.reopen_sheet(s.chair, sheet, "再退一次")
    m = results.matrix(s.panel)
    assert m.rows[0].cells[1].state == CellState.DRAFT and m.rows[0].cells[1].total is None
    with pytest.raises(Conflict, match="1 份评分未提交"):
        results.finalize(s.chair, s.panel)

    # The reviewer corrects and resubmits through the reviewer workspace's service.
    from app.reviews import scoring

    scoring.submit_sheet(s.users[1], sheet.assignment, {str(k): v for k, v in points(s.call, 60).items()},
                         "已复核，下调预算合理性得分。")
    assert sheet.status == SheetStatus.SUBMITTED and sheet.reopen_count == 1
    out = results.finalize(s.chair, s.panel)
    assert next(o for o in out if o.application_id == s.apps[0].id).final_score == Decimal("70.00")
    with pytest.raises(Conflict, match="评审已结束"):
        results.reopen_sheet(s.chair, sheet, "结束后不能退回")


# --------------------------------------------------------------------------- matrix

def test_matrix_cells_completion_and_flags(db):
    s = Scenario([[90, 50, None], [80, None, None]])
    third = make_expert()
    from app.reviews.models import PanelMember

    # Cells in every state: 乙 has a pending declaration (B), a declared one without a sheet
    # (C); 甲 has a draft (C) — and a recused assignment (for a new member D).
    make_assignment(s.panel, s.apps[1], s.experts[1], status=AssignmentStatus.PENDING)
    make_assignment(s.panel, s.apps[1], s.experts[2])
    make_sheet(make_assignment(s.panel, s.apps[0], s.experts[2]), points(s.call, 85))
    db.session.add(PanelMember(panel_id=s.panel.id, expert_id=third.id))
    db.session.flush()
    db.session.expire(s.panel, ["members"])
    make_assignment(s.panel, s.apps[0], third, status=AssignmentStatus.RECUSED)

    m = results.matrix(s.panel)
    assert [mm.expert_id for mm in m.members][0] == s.experts[0].id   # the chair first
    states = [[c.state for c in r.cells] for r in m.rows]
    assert states == [[CellState.SUBMITTED, CellState.SUBMITTED, CellState.DRAFT, CellState.RECUSED],
                      [CellState.SUBMITTED, CellState.PENDING, CellState.ACCEPTED, CellState.UNASSIGNED]]
    jia, yi = m.rows
    assert [c.total for c in jia.cells] == [90, 50, None, None]
    assert (jia.submitted, jia.assigned, yi.submitted, yi.assigned) == (2, 3, 1, 3)
    # sd of 90 and 50 is 20 > 15: flagged even while incomplete; no provisional score yet.
    assert (jia.sd, jia.disagreement, jia.provisional) == (Decimal("20.00"), True, None)
    assert m.by_member[s.member(0).id].done == 2 and m.by_member[s.member(0).id].total == 2
    assert (m.by_member[s.member(2).id].done, m.by_member[s.member(2).id].total) == (0, 2)
    assert (m.overall.done, m.overall.total, m.overall.percent) == (3, 6, 50)
    assert [r.application.id for r in m.rows_for("disagreement")] == [s.apps[0].id]
    assert len(m.rows_for("incomplete")) == 2
    assert "还有 3 份评分未提交" in m.finalize_problem()


def test_matrix_provisional_score_and_dropped_totals(db):
    s = Scenario(TRIMMED[:1] + [[80, 80, 80, 80, None]])
    jia, yi = results.matrix(s.panel).rows
    assert jia.provisional == Decimal("78.33")
    # The lowest (60, reviewer E) and highest (90, the chair) totals are the dropped ones.
    assert [c.dropped for c in jia.cells] == [True, False, False, False, True]
    assert yi.provisional == Decimal("80.00") and not any(c.dropped for c in yi.cells)


def test_matrix_runs_a_constant_number_of_queries(db, count_queries):
    small = Scenario([[80, 70, 60]] * 2)
    big = Scenario([[80, 70, 60]] * 6)
    db.session.expire_all()
    with count_queries() as n_small:
        results.matrix(small.panel)
    db.session.expire_all()
    with count_queries() as n_big:
        results.matrix(big.panel)
    assert n_small() == n_big() <= 20, (n_small(), n_big())


def test_blind_labels(db):
    s = Scenario([[80, 70]], blind=True)
    org = s.orgs[0].name
    s.apps[0].title = f"{org}助老项目"
    staff = results.label(s.apps[0], blind=results.blind_for(s.officer, s.call))
    chair = results.label(s.apps[0], blind=results.blind_for(s.chair, s.call))
    assert (staff.title, staff.organization) == (f"{org}助老项目", org)
    assert chair.organization is None
    assert chair.title == f"GY-{s.apps[0].id:05d} ■■■助老项目"

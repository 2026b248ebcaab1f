"""Shared fixture data for the transparency tests (hand-computed figures in the docstring).

Funder F; welfare-lottery fund W (¥1,000,000.00 appropriated) and a government-purchase fund
G (¥500,000.00); an awarded call.

- Award A (org A, ¥50,000.00): W ¥30,000.00 + G ¥20,000.00. Installment 1 (50%, ¥25,000.00)
  paid: W 25,000×3/5 = ¥15,000.00, G ¥10,000.00. Progress report ACCEPTED: indicator
  2,000 of 5,000 人次 (40.0%), ¥10,000.00 spent of a ¥50,000.00 budget (20.0%). Final
  report DRAFT (its narrative is private).
- Award B (org B, ¥40,000.00): G only, nothing paid, no report accepted.

W: appropriated 100,000,000 fen, allocated 3,000,000, committed 1,500,000, paid 1,500,000,
available 97,000,000.  G: appropriated 50,000,000, allocated 6,000,000, committed
5,000,000, paid 1,000,000, available 44,000,000.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from app.calls.models import CallStatus
from app.core.db import utcnow
from app.extensions import db
from app.money.models import Donation, DonationStatus, FundSourceKind, InstallmentStatus
from app.reports.models import ReportExpense, ReportIndicator, ReportKind, ReportRating, ReportStatus
from tests.factories import (make_application, make_assignment, make_award, make_call, make_expert, make_fund_source,
                             make_funder, make_funding, make_installments, make_org, make_panel, make_payment,
                             make_report, make_sheet, make_staff)

DRAFT_SECRET = "草稿中的私密内容QX7"
DONOR_EMAIL = "donor-secret@example.cn"
OBJECTOR_CONTACT = "objector-secret@example.cn"
REVIEWER_COMMENT = "评审专家个人意见ZK9"
LEADER_PHONE = "13800000001"
ORG_EMAIL = "contact@example.cn"
ORG_PHONE = "0871-65550000"
ACCEPTED_NARRATIVE = "助餐点已开放，累计服务两千人次，志愿者队伍稳定。"


@dataclass
class Data:
    funder: object
    call: object
    w: object
    g: object
    award_a: object
    award_b: object
    progress: object
    final: object


def build(extra_awards: int = 0) -> Data:
    from app.awards.models import Notice, Objection, ObjectionStatus

    funder = make_funder()
    finance = make_staff(funder)
    w = make_fund_source(funder, amount_fen=100_000_000, name="2026年福彩公益金")
    g = make_fund_source(funder, amount_fen=50_000_000, kind=FundSourceKind.GOVERNMENT_PURCHASE,
                         name="2026年政府购买服务资金")
    call = make_call(funder, status=CallStatus.AWARDED, title="2026年社区公益创投")
    org_a, org_b = make_org(name="阳光长者服务队"), make_org(name="彩虹儿童之家")
    app_a = make_application(call, org_a, title="长者助餐项目", requested_fen=5_000_000)
    app_b = make_application(call, org_b, title="儿童课后托管项目", requested_fen=4_000_000)
    award_a, award_b = make_award(app_a), make_award(app_b)
    make_funding(award_a, w, amount_fen=3_000_000)
    make_funding(award_a, g, amount_fen=2_000_000)
    make_funding(award_b, g, amount_fen=4_000_000)
    inst = make_installments(award_a, statuses=[InstallmentStatus.DUE])
    make_payment(inst[0], approved_by=finance)
    progress = make_report(award_a, kind=ReportKind.PROGRESS, status=ReportStatus.ACCEPTED)
    progress.narrative = ACCEPTED_NARRATIVE
    progress.beneficiaries = {"elderly": 80}
    db.session.add(ReportIndicator(report_id=progress.id, indicator_id=app_a.indicators[0].id, actual=Decimal("2000")))
    db.session.add(ReportExpense(report_id=progress.id, budget_line_id=app_a.budget_lines[0].id, spent_fen=1_000_000))
    final = make_report(award_a, kind=ReportKind.FINAL, status=ReportStatus.DRAFT)
    final.narrative = DRAFT_SECRET
    # Private things that must never reach a public page.
    donation = Donation(fund_source_id=g.id, amount_fen=10_000, donor_name="热心居民", donor_email=DONOR_EMAIL,
                        status=DonationStatus.PENDING)
    notice = Notice(call_id=call.id, intro="", contact="", published_at=utcnow() - timedelta(days=20),
                    ends_at=utcnow() - timedelta(days=10), working_days=5)
    db.session.add_all([donation, notice])
    db.session.flush()
    db.session.add(Objection(notice_id=notice.id, application_id=app_a.id, name="张三", contact=OBJECTOR_CONTACT,
                             content="异议内容十个字以上的说明。", answer="已核实。", answered_at=utcnow(),
                             status=ObjectionStatus.DISMISSED))
    expert = make_expert()
    panel = make_panel(call, reviewers=[expert])
    make_sheet(make_assignment(panel, app_a, expert), submitted=True, comment=REVIEWER_COMMENT)
    add_awards(call, w, extra_awards)
    db.session.flush()
    return Data(funder, call, w, g, award_a, award_b, progress, final)


def add_awards(call, fund, n: int) -> None:
    """``n`` more awards of ``call`` paid for by ``fund``, each with an accepted progress report."""
    for _i in range(n):
        app_ = make_application(call, make_org(), requested_fen=2_000_000)
        award = make_award(app_)
        make_funding(award, fund, amount_fen=2_000_000)
        make_installments(award)
        make_report(award, kind=ReportKind.PROGRESS, status=ReportStatus.ACCEPTED)
    db.session.flush()


def accept_final(data: Data, rating: ReportRating = ReportRating.GOOD) -> None:
    data.final.status = ReportStatus.ACCEPTED
    data.final.narrative = "项目全部完成，服务对象满意度高。"
    data.final.submitted_at = data.final.reviewed_at = utcnow()
    data.final.rating = rating
    db.session.add(ReportIndicator(report_id=data.final.id,
                                   indicator_id=data.award_a.application.indicators[0].id, actual=Decimal("5500")))
    db.session.flush()

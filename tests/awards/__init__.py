"""Tests of the public notice (公示), objections, awards and the award notice PDF.

`reviewed_call()` builds what the review leaves behind for the notice: a call in
`reviewing` of a county funder, a finalized panel (one reviewer, one chair) and one
ReviewOutcome per scored application, written directly as the results service would.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.core.db import utcnow
from app.extensions import db
from app.funders.models import StaffRole
from app.regions.models import RegionLevel
from app.reviews.models import ReviewOutcome
from tests.factories import (make_application, make_call, make_expert, make_funder, make_org, make_panel,
                             make_region, make_staff, make_user)

# Friday 2026-12-04 10:00 in Beijing.
FRIDAY_10AM_BEIJING = datetime(2026, 12, 4, 2, 0, tzinfo=timezone.utc)
# Five working days later: Friday 2026-12-11 23:59:59.999999 in Beijing.
FIVE_DAYS_LATER = datetime(2026, 12, 11, 15, 59, 59, 999999, tzinfo=timezone.utc)


@dataclass
class Spec:
    """One application of the scenario: its outcome as the review decided it."""

    score: str
    recommended: bool
    requested_fen: int = 5_000_000
    amount_fen: int | None = None      # defaults to the requested amount when recommended
    adjusted_fen: int | None = None
    org_name: str | None = None
    title: str | None = None
    extra: dict = field(default_factory=dict)


DEFAULT_SPECS = (
    Spec("88.40", True, org_name="翠湖社区居家养老服务中心", title="银龄饭桌助餐项目"),
    Spec("81.25", True, requested_fen=4_000_000, amount_fen=3_500_000, adjusted_fen=3_500_000,
         org_name="华山街道青少年成长服务社", title="四点半课堂"),
    Spec("55.00", False, org_name="大观社区文体协会", title="广场舞队培育"),
)


def reviewed_call(specs=DEFAULT_SPECS, *, finalized: bool = True, with_outcomes: bool = True,
                  notice_working_days: int = 5) -> SimpleNamespace:
    county = make_region(level=RegionLevel.COUNTY, name="测试区")
    street = make_region(level=RegionLevel.STREET, parent=county, name="测试街道")
    funder = make_funder(region=county, name=f"测试区民政局{county.id}")
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER, name="项目主管")
    finance = make_staff(funder, StaffRole.FINANCE_OFFICER, name="财务人员")
    call = make_call(funder, status=CallStatus.REVIEWING, title="2026年测试区社区公益创投")
    call.notice_working_days = notice_working_days
    applications, owners, outcomes = [], [], []
    for i, spec in enumerate(specs, 1):
        community = make_region(level=RegionLevel.COMMUNITY, parent=street, name=f"第{i}社区")
        owner = make_user(name=f"组织负责人{i}")
        org = make_org(community=community, owner=owner, name=spec.org_name and f"{spec.org_name}{county.id}")
        application = make_application(call, org, status=ApplicationStatus.SCORED, title=spec.title,
                                       requested_fen=spec.requested_fen, created_by=owner)
        applications.append(application)
        owners.append(owner)
    ranked = sorted(zip(specs, applications), key=lambda pair: Decimal(pair[0].score), reverse=True)
    if with_outcomes:
        for rank, (spec, application) in enumerate(ranked, 1):
            amount = (spec.amount_fen if spec.amount_fen is not None else spec.requested_fen) if spec.recommended else 0
            outcome = ReviewOutcome(
                call_id=call.id, application_id=application.id, final_score=Decimal(spec.score), rank=rank,
                reviewer_count=2, sd=Decimal("2.00"), requested_fen=spec.requested_fen,
                recommended=spec.recommended, reason_code="recommended" if spec.recommended else "below_pass_line",
                amount_fen=amount, adjusted_fen=spec.adjusted_fen,
                adjust_reason="预算压缩" if spec.adjusted_fen else "")
            db.session.add(outcome)
            outcomes.append(outcome)
    reviewer = make_expert(make_user(name="王评审"), employer="某大学社会工作系")
    chair = make_expert(make_user(name="李组长"), employer="某研究院")
    panel = make_panel(call, reviewers=[reviewer], chair=chair, created_by=officer)
    if finalized:
        panel.finalized_at = utcnow()
    db.session.flush()
    return SimpleNamespace(call=call, funder=funder, officer=officer, finance=finance, panel=panel,
                           applications=applications, owners=owners, outcomes=outcomes, county=county,
                           reviewer=reviewer, chair=chair)

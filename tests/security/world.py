"""The cast for security suites: two tenants side by side.

Tenant A: county A with community cA, organization X (owner, member), funder F covering
county A (program officer, finance officer, auditor). Tenant B: county B with community
cB, organization Y (its owner is "applicant of another org"), funder G covering county B
(its officer is "officer of another funder"). URLs point at tenant A's objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.funders.models import StaffRole
from app.regions.models import RegionLevel
from tests.factories import (add_member, make_application, make_call, make_funder, make_invitation, make_org, make_region,
                             make_staff, make_user)

ROLES = [
    "public", "unconfirmed", "applicant_other", "applicant_own", "member_own",
    "reviewer", "reviewer_on_panel", "chair", "officer_other", "officer", "finance",
    "auditor", "admin",
]


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)


def build_world() -> World:
    w = World()
    province = make_region(level=RegionLevel.PROVINCE)
    prefecture = make_region(level=RegionLevel.PREFECTURE, parent=province)
    county_a = make_region(level=RegionLevel.COUNTY, parent=prefecture)
    county_b = make_region(level=RegionLevel.COUNTY, parent=prefecture)
    street_a = make_region(level=RegionLevel.STREET, parent=county_a)
    street_b = make_region(level=RegionLevel.STREET, parent=county_b)
    comm_a = make_region(level=RegionLevel.COMMUNITY, parent=street_a)
    comm_b = make_region(level=RegionLevel.COMMUNITY, parent=street_b)
    funder_f = make_funder(region=county_a)
    funder_g = make_funder(region=county_b)

    u = w.users
    u["unconfirmed"] = make_user(confirmed=False)
    u["applicant_own"] = make_user(name="组织负责人")
    u["member_own"] = make_user(name="组织成员")
    u["applicant_other"] = make_user(name="他组织负责人")
    # Reviewer and chair scoping per panel arrives with the review domain; until then
    # they are signed-in experts with no organization and no staff role.
    u["reviewer"] = make_user(name="评审专家")
    u["reviewer_on_panel"] = make_user(name="本组评审专家")
    u["chair"] = make_user(name="评审组长")
    u["officer"] = make_staff(funder_f, StaffRole.PROGRAM_OFFICER)
    u["finance"] = make_staff(funder_f, StaffRole.FINANCE_OFFICER)
    u["auditor"] = make_staff(funder_f, StaffRole.AUDITOR)
    u["officer_other"] = make_staff(funder_g, StaffRole.PROGRAM_OFFICER)
    u["admin"] = make_user(is_admin=True, name="平台管理员")

    org_x = make_org(community=comm_a, owner=u["applicant_own"])
    membership = add_member(org_x, u["member_own"])
    org_y = make_org(community=comm_b, owner=u["applicant_other"])
    # A pending invitation to tenant A's organization, addressed to the reviewer.
    invitation = make_invitation(org_x, u["reviewer"].email, invited_by=u["applicant_own"])
    staff_membership = u["officer"].staff_memberships[0]
    from app.calls.models import CallStatus

    call_draft = make_call(funder_f, title="草稿征集", created_by=u["officer"])
    call_open = make_call(funder_f, status=CallStatus.OPEN, title="征集中的公益创投")
    call_screening = make_call(funder_f, status=CallStatus.SCREENING, title="形式审查中的购买服务")
    from app.applications.models import ApplicationStatus

    # Applications of organization X: a draft and a submitted one in the open call, a
    # returned one, and a submitted one in the call under screening.
    app_draft = make_application(call_open, org_x, created_by=u["applicant_own"])
    app_submitted = make_application(call_open, org_x, status=ApplicationStatus.SUBMITTED,
                                     created_by=u["applicant_own"])
    app_returned = make_application(call_open, org_x, status=ApplicationStatus.RETURNED,
                                    created_by=u["applicant_own"])
    app_screening = make_application(call_screening, org_x, status=ApplicationStatus.SUBMITTED,
                                     created_by=u["applicant_own"])

    # A submitted (so locked) attachment with a real stored file, served by the download route.
    from tests.factories import make_attachment

    attachment = make_attachment(app_submitted, name="机构登记证书.pdf", uploaded_by=u["applicant_own"])

    from app.notifications.models import Notification

    # A notification addressed to the organization's owner.
    notification = Notification(user_id=u["applicant_own"].id, kind="application.submitted",
                                title="申报书已提交", body="您的申报书已提交。", link=f"/applications/{app_submitted.id}")
    from app.extensions import db

    db.session.add(notification)
    db.session.flush()

    # The reviewer is an active expert of the pool (专家库), enrolled by the officer.
    from app.reviews.models import Expert, ExpertField, ExpertiseField

    expert = Expert(user_id=u["reviewer"].id, title="副教授", employer="某大学社会工作系",
                    is_active=True, approved_at=u["reviewer"].created_at,
                    approved_by_id=u["officer"].id, created_by_id=u["officer"].id,
                    field_rows=[ExpertField(field=ExpertiseField.SOCIAL_WORK)])
    db.session.add(expert)
    db.session.flush()

    # Review (issue 4). The reviewer above is in the pool but on no panel; the panel of the
    # call under review has 本组评审专家 and the chair (评审组长), both assigned (declared,
    # no conflict) to organization X's application: the panel reviewer's sheet is a draft,
    # the chair's is submitted. A call in public notice has X's recommended application and
    # an open objection; an awarded call has X's award.
    from datetime import timedelta
    from decimal import Decimal

    from app.awards.models import Award, Notice, Objection
    from app.core.db import utcnow
    from app.reviews.models import ReviewOutcome
    from tests.factories import make_assignment, make_expert, make_panel, make_sheet

    expert_panel = make_expert(u["reviewer_on_panel"], employer="某社会工作研究中心")
    expert_chair = make_expert(u["chair"], employer="某高校公共管理学院")
    call_reviewing = make_call(funder_f, status=CallStatus.REVIEWING, title="评审中的公益创投")
    call_reviewing.blind_review = True
    app_review = make_application(call_reviewing, org_x, status=ApplicationStatus.UNDER_REVIEW,
                                  created_by=u["applicant_own"])
    panel = make_panel(call_reviewing, reviewers=[expert_panel], chair=expert_chair, created_by=u["officer"])
    assignment = make_assignment(panel, app_review, expert_panel)
    sheet = make_sheet(assignment)
    chair_assignment = make_assignment(panel, app_review, expert_chair)
    chair_sheet = make_sheet(chair_assignment, submitted=True)

    now = utcnow()
    call_notice = make_call(funder_f, status=CallStatus.NOTICE, title="公示中的公益创投")
    app_recommended = make_application(call_notice, org_x, status=ApplicationStatus.RECOMMENDED,
                                       created_by=u["applicant_own"])
    outcome = ReviewOutcome(call_id=call_notice.id, application_id=app_recommended.id,
                            final_score=Decimal("82.50"), rank=1, reviewer_count=5, sd=Decimal("3.10"),
                            requested_fen=app_recommended.requested_fen, recommended=True,
                            reason_code="recommended", amount_fen=app_recommended.requested_fen)
    notice = Notice(call_id=call_notice.id, intro="拟立项项目公示", contact="0871-12345678",
                    published_at=now - timedelta(days=1), ends_at=now + timedelta(days=6),
                    working_days=5, published_by_id=u["officer"].id)
    db.session.add_all([outcome, notice])
    db.session.flush()
    objection = Objection(notice_id=notice.id, application_id=app_recommended.id, name="居民王某",
                          contact="13900000000", content="该机构去年项目未按期结项。")
    db.session.add(objection)

    call_awarded = make_call(funder_f, status=CallStatus.AWARDED, title="已立项的公益创投")
    app_awarded = make_application(call_awarded, org_x, status=ApplicationStatus.AWARDED,
                                   created_by=u["applicant_own"])
    award = Award(number=f"TEST-{call_awarded.id}-001", call_id=call_awarded.id,
                  application_id=app_awarded.id, organization_id=org_x.id,
                  amount_fen=app_awarded.requested_fen, final_score=Decimal("88.00"), rank=1,
                  awarded_by_id=u["officer"].id)
    db.session.add(award)
    db.session.flush()

    # Money (issue 5): a welfare-lottery fund of funder F, allocated to the awarded call and
    # committed to the award; the agreement is signed; installment 1 is paid, 2 requested by
    # the officer (awaiting finance), 3 waiting; the progress report is submitted. A
    # community-foundation fund of F accepts donations and has one paid donation.
    from app.money import ledger
    from app.money.models import (Donation, DonationStatus, FundSourceKind, InstallmentStatus)
    from app.reports.models import ReportStatus
    from tests.factories import (make_agreement, make_fund_source, make_funding, make_installments,
                                 make_payment, make_report)

    fund = make_fund_source(funder_f, amount_fen=200_000_000, name="2026年区级福彩公益金")
    make_funding(award, fund)
    agreement = make_agreement(award)
    inst_paid, inst_requested, inst_waiting = make_installments(
        award, statuses=[InstallmentStatus.DUE, InstallmentStatus.REQUESTED, InstallmentStatus.WAITING])
    inst_requested.requested_by_id, inst_requested.requested_at = u["officer"].id, now
    payment = make_payment(inst_paid, approved_by=u["finance"])
    report = make_report(award, status=ReportStatus.SUBMITTED)
    fund_donations = make_fund_source(funder_f, amount_fen=0, appropriate=False, name="社区发展基金（捐赠）",
                                      kind=FundSourceKind.DONATION, accepts_donations=True,
                                      donation_target_fen=10_000_000)
    donation = Donation(fund_source_id=fund_donations.id, amount_fen=20_000, donor_name="热心居民",
                        donor_email="donor@example.cn", checkout_session_id="cs_test_world")
    db.session.add(donation)
    db.session.flush()
    donation.entry_id = ledger.donate(fund_donations, 20_000, source=("donation", donation.id)).id
    donation.status, donation.receipt_number, donation.paid_at = DonationStatus.PAID, "JZ-TEST-0001", now
    db.session.flush()

    # Credit (issue 6): an active bar (breach) of organization X by funder F on the award.
    from app.orgs.models import Debarment

    today = date.today()
    debarment = Debarment(organization_id=org_x.id, funder_id=funder_f.id, starts_on=today - timedelta(days=10),
                          ends_on=today + timedelta(days=3 * 365), reason="未按协议开展服务，擅自变更资金用途。",
                          award_id=award.id, created_by_id=u["officer"].id)
    db.session.add(debarment)
    db.session.flush()

    w.objects.update(
        debarment=debarment, fund=fund, agreement=agreement, inst_paid=inst_paid, inst_requested=inst_requested,
        inst_waiting=inst_waiting, payment=payment, report=report, fund_donations=fund_donations,
        donation=donation,
    )
    w.objects.update(
        expert_panel=expert_panel, expert_chair=expert_chair, call_reviewing=call_reviewing,
        app_review=app_review, panel=panel, assignment=assignment, sheet=sheet,
        chair_assignment=chair_assignment, chair_sheet=chair_sheet, call_notice=call_notice,
        app_recommended=app_recommended, outcome=outcome, notice=notice, objection=objection,
        call_awarded=call_awarded, app_awarded=app_awarded, award=award,
    )
    w.objects.update(
        province=province, county_a=county_a, county_b=county_b, street_a=street_a,
        community_a=comm_a, community_b=comm_b, funder=funder_f, funder_other=funder_g,
        org=org_x, org_other=org_y, membership=membership, invitation=invitation,
        staff_membership=staff_membership, call_draft=call_draft, call_open=call_open,
        call_screening=call_screening, app_draft=app_draft, app_submitted=app_submitted,
        app_returned=app_returned, app_screening=app_screening, notification=notification,
        attachment=attachment, expert=expert,
    )
    return w

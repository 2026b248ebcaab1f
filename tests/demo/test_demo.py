"""The demo data: real Yunnan divisions, valid organizations, working accounts, idempotent."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.auth.services import authenticate
from app.core.audit import AuditEntry, verify_chain
from app.core.errors import ValidationError
from app.demo import load
from app.funders.models import Funder, FunderKind, StaffMembership, StaffRole
from app.orgs.creditcode import validate_credit_code
from app.orgs.models import (Category, CreditStatus, LegalStatus, MemberRole, OrgMembership,
                             Organization, OrganizationServiceTarget)
from app.regions.models import CommunityKind, Region, RegionLevel

PASSWORD = "gongyi-demo-2026"

PREFECTURES = {
    "530100": "昆明市", "530300": "曲靖市", "530400": "玉溪市", "530500": "保山市",
    "530600": "昭通市", "530700": "丽江市", "530800": "普洱市", "530900": "临沧市",
    "532300": "楚雄彝族自治州", "532500": "红河哈尼族彝族自治州",
    "532600": "文山壮族苗族自治州", "532800": "西双版纳傣族自治州", "532900": "大理白族自治州",
    "533100": "德宏傣族景颇族自治州", "533300": "怒江傈僳族自治州", "533400": "迪庆藏族自治州",
}

TABLES = [Region, Funder, User, StaffMembership, Organization, OrganizationServiceTarget,
          OrgMembership, AuditEntry]


def table_counts(db) -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in TABLES}


@pytest.fixture
def loaded(db):
    summary = load()
    db.session.flush()
    return summary


def test_province_and_its_sixteen_real_prefectures(db, loaded):
    province = db.session.scalar(select(Region).where(Region.code == "530000"))
    assert province.name == "云南省" and province.level == RegionLevel.PROVINCE
    assert province.parent_id is None and province.path == f"/{province.id}/"
    prefectures = db.session.scalars(
        select(Region).where(Region.level == RegionLevel.PREFECTURE)).all()
    assert {r.code: r.name for r in prefectures} == PREFECTURES
    assert all(r.parent_id == province.id for r in prefectures)


def test_region_tree_is_consistent(db, loaded):
    regions = db.session.scalars(select(Region)).all()
    for region in regions:
        if region.parent is None:
            continue
        # A child is one level below its parent, its code extends the parent's
        # (counties share the prefecture's first four digits) and its path extends it too.
        assert region.level.depth == region.parent.level.depth + 1, region
        prefix = {RegionLevel.PREFECTURE: 2, RegionLevel.COUNTY: 4}.get(
            region.level, len(region.parent.code))
        assert region.code[:prefix] == region.parent.code[:prefix], region
        assert len(region.code) == {RegionLevel.STREET: 9, RegionLevel.COMMUNITY: 12}.get(
            region.level, 6), region
        assert region.path == f"{region.parent.path}{region.id}/", region
        assert (region.kind is not None) == (region.level == RegionLevel.COMMUNITY), region
    county = db.session.scalar(select(Region).where(Region.code == "530102"))
    assert county.name == "五华区" and county.parent.name == "昆明市"
    street = db.session.scalar(select(Region).where(Region.code == "530102001"))
    assert street.name == "华山街道" and street.parent_id == county.id


def test_communities_urban_and_rural(db, loaded):
    communities = db.session.scalars(
        select(Region).where(Region.level == RegionLevel.COMMUNITY)).all()
    assert 25 <= len(communities) <= 35
    rural = [c for c in communities if c.kind == CommunityKind.RURAL]
    assert len(rural) >= 8
    assert all(c.name.endswith(("村委会", "村")) for c in rural)
    assert all(c.name.endswith("社区") for c in communities if c.kind == CommunityKind.URBAN)


def test_organizations_are_valid_and_varied(db, loaded):
    orgs = db.session.scalars(select(Organization)).all()
    assert 35 <= len(orgs) <= 45
    assert {o.category for o in orgs} == set(Category)
    assert {o.legal_status for o in orgs} == set(LegalStatus)
    for org in orgs:
        assert org.home_community.level == RegionLevel.COMMUNITY, org
        assert org.service_targets, org
        assert org.mission and org.address and org.contact_name and org.contact_phone, org
        assert org.registration_authority, org
        assert 2012 <= org.founded_on.year <= 2025, org
        if org.legal_status == LegalStatus.REGISTERED:
            assert validate_credit_code(org.credit_code) == org.credit_code
            assert org.credit_code.startswith("5"), org
            assert org.registered_on is not None and org.registered_on >= org.founded_on
            assert org.registration_authority.endswith("民政局"), org
        else:
            assert org.credit_code is None and org.registered_on is None, org
            assert org.evaluation_grade.rank == 0, org
    assert len({o.credit_code for o in orgs if o.credit_code}) == sum(
        1 for o in orgs if o.credit_code)
    filed = [o for o in orgs if o.legal_status == LegalStatus.FILED]
    assert all(o.registration_authority.endswith(("街道办事处", "人民政府")) for o in filed)
    led = [o for o in orgs if o.legal_status == LegalStatus.COMMUNITY_LED]
    assert all(o.registration_authority.endswith(("党委", "党总支")) for o in led)
    assert sum(1 for o in orgs if o.credit_status == CreditStatus.ABNORMAL) == 1
    assert any(o.evaluation_grade.rank >= 2 for o in orgs)


def test_a_tampered_demo_code_would_fail_validation(db, loaded):
    code = db.session.scalar(select(Organization.credit_code).where(
        Organization.credit_code.is_not(None)).limit(1))
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationError):
        validate_credit_code(wrong)


def test_some_communities_are_dense_and_most_are_not(db, loaded):
    per_community = dict(db.session.execute(
        select(Organization.home_community_id, func.count()).group_by(
            Organization.home_community_id)).all())
    communities = db.session.scalars(
        select(Region.id).where(Region.level == RegionLevel.COMMUNITY)).all()
    counts = [per_community.get(c, 0) for c in communities]
    assert any(n >= 10 for n in counts)
    assert sum(1 for n in counts if n < 5) > len(counts) // 2
    rural_with_orgs = db.session.scalar(
        select(func.count(func.distinct(Organization.home_community_id)))
        .join(Region, Region.id == Organization.home_community_id)
        .where(Region.kind == CommunityKind.RURAL))
    assert rural_with_orgs >= 5


def test_funders(db, loaded):
    funders = {f.name: f for f in db.session.scalars(select(Funder))}
    assert funders["云南省民政厅"].kind == FunderKind.CIVIL_AFFAIRS
    assert funders["云南省民政厅"].region.code == "530000"
    assert funders["昆明市五华区民政局"].region.code == "530102"
    assert {f.kind for f in funders.values()} == set(FunderKind)
    assert all(f.short_name and f.description and f.address and f.contact_phone
               for f in funders.values())


STAFF = [
    ("officer@gongyi.demo", "云南省民政厅", StaffRole.PROGRAM_OFFICER),
    ("district.officer@gongyi.demo", "昆明市五华区民政局", StaffRole.PROGRAM_OFFICER),
    ("finance@gongyi.demo", "昆明市五华区民政局", StaffRole.FINANCE_OFFICER),
    ("auditor@gongyi.demo", "昆明市五华区民政局", StaffRole.AUDITOR),
    ("foundation@gongyi.demo", "昆明市五华区社区发展基金会", StaffRole.PROGRAM_OFFICER),
]
ORG_HEADS = ["wuchenglu@gongyi.demo", "huguo@gongyi.demo", "daguan@gongyi.demo", "longxiang@gongyi.demo"]
ALL_EMAILS = ["admin@gongyi.demo", *(row[0] for row in STAFF), "applicant@gongyi.demo",
              "member@gongyi.demo", *ORG_HEADS, "reviewer@gongyi.demo", "chair@gongyi.demo"]


@pytest.mark.parametrize("email", ALL_EMAILS)
def test_every_demo_account_signs_in(db, loaded, email):
    user = authenticate(email, PASSWORD)
    assert user is not None and user.email == email
    assert user.is_confirmed and user.is_active and user.name
    assert authenticate(email, PASSWORD + "x") is None
    assert user.is_admin == (email == "admin@gongyi.demo")


@pytest.mark.parametrize("email,funder,role", STAFF)
def test_staff_roles(db, loaded, email, funder, role):
    user = db.session.scalar(select(User).where(User.email == email))
    assert [(m.funder.name, m.role) for m in user.staff_memberships] == [(funder, role)]
    assert not user.org_memberships


def test_applicant_and_member_share_one_organization_in_wuhua(db, loaded):
    owner = db.session.scalar(select(User).where(User.email == "applicant@gongyi.demo"))
    member = db.session.scalar(select(User).where(User.email == "member@gongyi.demo"))
    assert [m.role for m in owner.org_memberships] == [MemberRole.OWNER]
    assert [m.role for m in member.org_memberships] == [MemberRole.MEMBER]
    org = owner.org_memberships[0].organization
    assert member.org_memberships[0].organization_id == org.id
    wuhua = db.session.scalar(select(Region).where(Region.code == "530102"))
    assert wuhua.covers(org.home_community)
    assert not owner.staff_memberships and not member.staff_memberships


@pytest.mark.parametrize("email", ["reviewer@gongyi.demo", "chair@gongyi.demo"])
def test_experts_are_plain_users(db, loaded, email):
    """The demo expert accounts hold no other role: they are experts in the pool only."""
    from app.reviews.models import Expert

    user = db.session.scalar(select(User).where(User.email == email))
    assert not user.is_admin and not user.staff_memberships and not user.org_memberships
    assert db.session.scalar(select(Expert).where(Expert.user_id == user.id)).is_active


def test_second_load_creates_nothing_and_the_audit_chain_verifies(db):
    first = load()
    assert first["created"] > 0
    before = table_counts(db)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "demo.load")).all()
    assert len(entries) == 1 and entries[0].after == first
    second = load()
    assert second["created"] == 0
    assert {k: v for k, v in second.items() if k != "created"} == {
        k: v for k, v in first.items() if k != "created"}
    assert table_counts(db) == before
    assert verify_chain().ok


def test_load_fills_in_only_what_is_missing(db):
    load()
    # An organization without applications (those with one are kept by their foreign key).
    org = db.session.scalar(select(Organization).where(Organization.name == "翠湖社区广场舞文体队"))
    db.session.delete(org)
    db.session.flush()
    before = table_counts(db)
    summary = load()
    after = table_counts(db)
    assert after["organization"] == before["organization"] + 1
    assert after["organization_service_target"] == before["organization_service_target"] + 2
    assert after["region"] == before["region"] and after["user"] == before["user"]
    assert summary["created"] == 3
    assert verify_chain().ok


def test_demo_calls_open_and_draft(db, loaded):
    from sqlalchemy import select

    from app.calls.models import Call, CallKind, CallStatus
    from app.core.db import utcnow

    calls = {c.title: c for c in db.session.scalars(select(Call))}
    venture = calls["2027年五华区社区公益创投大赛"]
    purchase = calls["2027年省级福彩公益金购买社区居家养老助餐服务"]
    draft = calls["翠湖片区邻里互助微创投"]
    now = utcnow()
    assert venture.kind == CallKind.VENTURE and venture.status == CallStatus.OPEN and venture.is_accepting(now)
    assert purchase.kind == CallKind.PURCHASE and purchase.status == CallStatus.OPEN
    assert purchase.service_item and purchase.min_evaluation_grade is not None
    assert draft.status == CallStatus.DRAFT
    assert sum(c.max_points for c in venture.criteria) == 100
    assert [s.percent for s in venture.installments] == [50, 40, 10]


def test_demo_applications_cover_drafts_submissions_and_every_screening_state(db, loaded):
    from app.applications.models import Application, ApplicationStatus as S
    from app.applications.services import submission_problems
    from app.calls.models import Call, CallStatus
    from app.core.db import utcnow

    calls = {c.title: c for c in db.session.scalars(select(Call))}
    venture = calls["2027年五华区社区公益创投大赛"]
    screening = calls["2026年省级福彩公益金购买社区心理关爱服务"]
    assert screening.status == CallStatus.SCREENING and screening.deadline_at < utcnow()

    venture_apps = db.session.scalars(select(Application).where(Application.call_id == venture.id)).all()
    assert {a.status for a in venture_apps} == {S.DRAFT, S.SUBMITTED}
    for a in venture_apps:
        if a.status == S.SUBMITTED:
            # Submitted through the service: a version, locked attachments for every required kind.
            assert a.current_version == 1 and len(a.versions) == 1
            assert {f.kind for f in a.attachments} >= set(venture.required_attachments)
            assert all(f.locked for f in a.attachments)
            assert a.budget_total_fen == a.requested_fen + a.matching_fen
    # The applicant's own draft is still missing parts, and says which.
    own = next(a for a in venture_apps if a.organization.name == "昆明市五华区翠湖社区居家养老服务中心")
    assert own.status == S.DRAFT and submission_problems(own, utcnow())

    by_status = {}
    for a in db.session.scalars(select(Application).where(Application.call_id == screening.id)):
        by_status.setdefault(a.status, []).append(a)
    assert set(by_status) == {S.SUBMITTED, S.RETURNED, S.ELIGIBLE, S.INELIGIBLE}
    returned = by_status[S.RETURNED][0]
    assert returned.return_reason and returned.correction_due_at > utcnow()
    screenings = [a.screening for a in by_status[S.ELIGIBLE] + by_status[S.INELIGIBLE]]
    assert any(s.overridden and s.reason for s in screenings)  # an officer's override, with reason
    assert any(not s.overridden and s.checks_passed for s in screenings)
    assert any(not s.checks_passed and s.decision.value == "ineligible" for s in screenings)


def test_demo_expert_pool_has_active_experts_by_field_and_one_pending(db, loaded):
    from app.reviews.models import Expert

    experts = db.session.scalars(select(Expert)).all()
    active = [e for e in experts if e.is_active]
    pending = [e for e in experts if not e.is_active and e.approved_at is None]
    assert len(active) == 12 and len(pending) == 1
    by_email = {e.user.email: e for e in experts}
    assert by_email["reviewer@gongyi.demo"].is_active and by_email["chair@gongyi.demo"].is_active
    fields = {f.value for e in active for f in e.fields}
    assert {"social_work", "elderly_care", "mental_health", "finance_audit"} <= fields


def test_demo_review_rounds_reviewing_notice_and_awarded(db, loaded):
    """Issue 4: one round under review with partial scores (the demo reviewer's tasks wait
    for them, one conflict declared and reassigned, one sheet only saved), one in public
    notice with an open objection, one awarded with awards for every recommendation."""
    from app.applications.models import Application, ApplicationStatus
    from app.awards.models import Award, Notice, Objection, ObjectionStatus
    from app.calls.models import Call, CallStatus
    from app.core.db import utcnow
    from app.demo.reviews import AWARDED_TITLE, NOTICE_TITLE, REVIEWING_TITLE
    from app.reviews.models import (AssignmentStatus, Panel, ReviewAssignment, ReviewOutcome,
                                    ScoreSheet, SheetStatus)

    calls = {c.title: c for c in db.session.scalars(select(Call).where(
        Call.title.in_([REVIEWING_TITLE, NOTICE_TITLE, AWARDED_TITLE])))}
    reviewing, notice_call, awarded = calls[REVIEWING_TITLE], calls[NOTICE_TITLE], calls[AWARDED_TITLE]
    assert (reviewing.status, notice_call.status, awarded.status) == (
        CallStatus.REVIEWING, CallStatus.NOTICE, CallStatus.AWARDED)

    def assignments(call):
        panel = db.session.scalar(select(Panel).where(Panel.call_id == call.id))
        return panel, list(db.session.scalars(select(ReviewAssignment).where(ReviewAssignment.panel_id == panel.id)))

    panel, rows = assignments(reviewing)
    assert panel.chair.expert.user.email == "chair@gongyi.demo" and panel.finalized_at is None
    by_status = {s: [r for r in rows if r.status == s] for s in AssignmentStatus}
    assert len(by_status[AssignmentStatus.RECUSED]) == 1
    pending_emails = {r.member.expert.user.email for r in by_status[AssignmentStatus.PENDING]}
    assert "reviewer@gongyi.demo" in pending_emails
    sheets = [r.sheet for r in rows if r.sheet is not None]
    assert any(s.status == SheetStatus.DRAFT for s in sheets)
    assert any(s.status == SheetStatus.SUBMITTED for s in sheets)
    assert all(a.status == ApplicationStatus.UNDER_REVIEW for a in db.session.scalars(
        select(Application).where(Application.call_id == reviewing.id)))
    # Every eligible application is covered by k non-recused reviewers.
    active = [r for r in rows if r.status != AssignmentStatus.RECUSED]
    per_app = {}
    for r in active:
        per_app[r.application_id] = per_app.get(r.application_id, 0) + 1
    assert set(per_app.values()) == {reviewing.reviewers_per_application}

    notice = db.session.scalar(select(Notice).where(Notice.call_id == notice_call.id))
    assert notice.closed_at is None and notice.ends_at > utcnow()
    assert [o.status for o in notice.objections] == [ObjectionStatus.OPEN]
    panel, rows = assignments(notice_call)
    assert panel.finalized_at is not None
    assert all(r.sheet is not None and r.sheet.status == SheetStatus.SUBMITTED
               for r in rows if r.status != AssignmentStatus.RECUSED)

    outcomes = list(db.session.scalars(select(ReviewOutcome).where(ReviewOutcome.call_id == awarded.id)))
    awards = list(db.session.scalars(select(Award).where(Award.call_id == awarded.id)))
    recommended = {o.application_id: o.amount_fen for o in outcomes if o.recommended and not o.cancelled_by_objection}
    assert {a.application_id: a.amount_fen for a in awards} == recommended
    assert 0 < sum(recommended.values()) <= awarded.budget_fen
    assert len(outcomes) > len(awards)  # some were not recommended, and are now 未立项
    assert {a.status for a in db.session.scalars(select(Application).where(Application.call_id == awarded.id))} == {
        ApplicationStatus.AWARDED, ApplicationStatus.REJECTED}
    assert db.session.scalar(select(func.count(Objection.id)).join(Notice).where(
        Notice.call_id == awarded.id, Objection.status == ObjectionStatus.OPEN)) == 0
    assert loaded["awards"] == len(awards)


def test_demo_money_balances_and_every_installment_state(db, loaded):
    """Issue 5: after the whole demo load every journal entry sums to zero; the awarded
    round has installments waiting, due, requested, paid and withheld, reports submitted,
    accepted, returned and failed, a refund; the community fund holds its donations."""
    from app.awards.models import Award
    from app.money import ledger
    from app.money.models import (AccountKind, Agreement, AgreementStatus, Donation, DonationStatus,
                                  FundSource, Installment, InstallmentStatus, JournalLine, Payment, Refund)
    from app.reports.models import Report, ReportStatus

    assert ledger.unbalanced_entries() == []
    assert db.session.scalar(select(func.sum(JournalLine.amount_fen))) == 0
    assert {i.status for i in db.session.scalars(select(Installment))} == set(InstallmentStatus)
    assert {r.status for r in db.session.scalars(select(Report))} >= {
        ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.RETURNED, ReportStatus.FAILED}
    agreements = {a.status for a in db.session.scalars(select(Agreement))}
    assert agreements == {AgreementStatus.GENERATED, AgreementStatus.SIGNED}
    # The applicant's own award waits for its signed scan.
    owner_award = db.session.scalar(select(Award).join(Award.organization).where(
        Award.organization.has(name="昆明市五华区翠湖社区居家养老服务中心")))
    assert db.session.scalar(select(Agreement.status).where(Agreement.award_id == owner_award.id)) \
        == AgreementStatus.GENERATED
    # Money paid = the payments in force; nothing paid beyond what was awarded.
    paid = ledger.balance(AccountKind.PAID)
    assert paid == db.session.scalar(select(func.sum(Payment.amount_fen)).where(Payment.reversed_entry_id.is_(None)))
    for award in db.session.scalars(select(Award)):
        assert ledger.balance(AccountKind.PAID, award_id=award.id) <= award.amount_fen
    refund = db.session.scalar(select(Refund))
    assert refund is not None and ledger.balance(AccountKind.REFUNDED) == -refund.amount_fen
    fund = db.session.scalar(select(FundSource).where(FundSource.accepts_donations.is_(True)))
    donated = db.session.scalar(select(func.sum(Donation.amount_fen)).where(
        Donation.fund_source_id == fund.id, Donation.status == DonationStatus.PAID))
    assert donated > 0 and -ledger.balance(AccountKind.DONATIONS, fund_source_id=fund.id) == donated
    assert loaded["fund_sources"] == 4

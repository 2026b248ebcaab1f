"""Builders that flush and never commit, chaining sensibly: `make_org()` makes its
community (and that community's region chain)."""
from __future__ import annotations

import itertools
from datetime import date

from app.auth.models import User
from app.core.db import utcnow
from app.extensions import db
from app.funders.models import Funder, FunderKind, StaffMembership, StaffRole
from app.orgs.models import (Category, LegalStatus, MemberRole, OrgMembership, Organization,
                             OrganizationServiceTarget, ServiceTarget)
from app.regions.models import CommunityKind, Region, RegionLevel

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


def _n() -> int:
    return next(_seq)


_HASHES: dict[str, str] = {}


def _password_hash(password: str) -> str:
    """Hashing is deliberately slow; tests hash each distinct password once."""
    if password not in _HASHES:
        from werkzeug.security import generate_password_hash
        _HASHES[password] = generate_password_hash(password)
    return _HASHES[password]


def make_user(*, email: str | None = None, name: str = "测试用户", password: str = PASSWORD,
              confirmed: bool = True, is_admin: bool = False, active: bool = True) -> User:
    user = User(email=email or f"user{_n()}@example.cn", name=name, phone="13800000000",
                is_admin=is_admin, is_active_account=active,
                email_confirmed_at=utcnow() if confirmed else None)
    user.password_hash = _password_hash(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_region(*, level: RegionLevel = RegionLevel.COMMUNITY, parent: Region | None = None,
                name: str | None = None, kind: CommunityKind | None = None,
                code: str | None = None) -> Region:
    """A region; a community without a parent gets a fresh province→street chain."""
    if parent is None and level != RegionLevel.PROVINCE:
        levels = list(RegionLevel)
        parent = make_region(level=levels[levels.index(level) - 1])
    n = _n()
    if level == RegionLevel.COMMUNITY and kind is None:
        kind = CommunityKind.URBAN
    region = Region(code=code or f"T{n:011d}", name=name or f"{level.label}{n}", level=level,
                    kind=kind if level == RegionLevel.COMMUNITY else None, parent=parent)
    db.session.add(region)
    db.session.flush()
    region.path = (parent.path if parent else "/") + f"{region.id}/"
    db.session.flush()
    return region


def ancestor(region: Region, level: RegionLevel) -> Region:
    node = region
    while node.level != level:
        node = node.parent
    return node


def make_funder(*, region: Region | None = None, kind: FunderKind = FunderKind.CIVIL_AFFAIRS,
                name: str | None = None) -> Funder:
    funder = Funder(name=name or f"测试民政局{_n()}", kind=kind,
                    region_id=(region or make_region(level=RegionLevel.COUNTY)).id)
    db.session.add(funder)
    db.session.flush()
    db.session.refresh(funder)
    return funder


def make_staff(funder: Funder, role: StaffRole = StaffRole.PROGRAM_OFFICER, **user_kw) -> User:
    user = make_user(**user_kw)
    db.session.add(StaffMembership(user_id=user.id, funder_id=funder.id, role=role))
    db.session.flush()
    db.session.refresh(user)
    return user


def make_org(*, community: Region | None = None, legal_status: LegalStatus = LegalStatus.FILED,
             credit_code: str | None = None, name: str | None = None,
             category: Category = Category.LIFE_SERVICE,
             targets: tuple[ServiceTarget, ...] = (ServiceTarget.ELDERLY,),
             owner: User | None = None) -> Organization:
    org = Organization(
        name=name or f"测试社区服务队{_n()}", legal_status=legal_status,
        credit_code=credit_code if legal_status == LegalStatus.REGISTERED else None,
        category=category, home_community_id=(community or make_region()).id,
        founded_on=date(2020, 5, 1), registration_authority="测试街道办事处",
        contact_name="李老师", contact_phone="0871-65550000", contact_email="contact@example.cn",
    )
    db.session.add(org)
    db.session.flush()
    for t in targets:
        db.session.add(OrganizationServiceTarget(organization_id=org.id, target=t))
    if owner is not None:
        db.session.add(OrgMembership(user_id=owner.id, organization_id=org.id, role=MemberRole.OWNER))
    db.session.flush()
    db.session.refresh(org)
    if owner is not None:
        db.session.refresh(owner)
    return org


def add_member(org: Organization, user: User, role: MemberRole = MemberRole.MEMBER) -> OrgMembership:
    m = OrgMembership(user_id=user.id, organization_id=org.id, role=role)
    db.session.add(m)
    db.session.flush()
    db.session.refresh(user)
    return m


def make_admin(**user_kw) -> User:
    """A confirmed platform administrator."""
    return make_user(is_admin=True, name=user_kw.pop("name", "平台管理员"), **user_kw)


def make_invitation(org: Organization, email: str, *, role: MemberRole = MemberRole.MEMBER,
                    invited_by: User | None = None):
    """A pending invitation (no email sent; use orgs.services.invite_member for that)."""
    from app.orgs.models import Invitation, InvitationStatus

    invitation = Invitation(organization_id=org.id, email=email.lower(), role=role,
                            status=InvitationStatus.PENDING,
                            invited_by_id=invited_by.id if invited_by else None)
    db.session.add(invitation)
    db.session.flush()
    return invitation


def make_call(funder: Funder, *, status=None, kind=None, title: str | None = None,
              opens_at=None, deadline_at=None, region: Region | None = None,
              budget_fen: int = 50_000_000, min_award_fen: int = 2_000_000,
              max_award_fen: int = 10_000_000, service_item: str = "", created_by: User | None = None):
    """A call with the default rubric and installments (open by default a day ago, closing in 30 days)."""
    from datetime import timedelta

    from app.calls.models import Call, CallKind, CallStatus, InstallmentStep, RubricCriterion
    from app.calls.services import DEFAULT_INSTALLMENTS, DEFAULT_RUBRIC

    now = utcnow()
    kind = kind or CallKind.VENTURE
    call = Call(
        funder_id=funder.id, kind=kind, status=status or CallStatus.DRAFT,
        title=title or f"测试公益创投{_n()}", summary="为社区老人提供服务", description="详细说明",
        region_scope_id=(region.id if region else funder.region_id),
        service_item=service_item or ("居家养老服务" if kind == CallKind.PURCHASE else ""),
        budget_fen=budget_fen, min_award_fen=min_award_fen, max_award_fen=max_award_fen,
        opens_at=opens_at or now - timedelta(days=1), deadline_at=deadline_at or now + timedelta(days=30),
        created_by_id=created_by.id if created_by else None,
    )
    call.criteria = [RubricCriterion(position=i, **c) for i, c in enumerate(DEFAULT_RUBRIC, 1)]
    call.installments = [InstallmentStep(position=i, **s) for i, s in enumerate(DEFAULT_INSTALLMENTS, 1)]
    db.session.add(call)
    db.session.flush()
    return call


def make_application(call, org: Organization, *, status=None, title: str | None = None,
                     requested_fen: int = 5_000_000, matching_fen: int = 0, created_by: User | None = None,
                     complete: bool = True):
    """An application with complete content (budget = requested + matching, management 5%).

    Any status other than draft gets submitted_at, current_version 1 and a version row
    whose snapshot is taken by the applications service, as a real submission would.
    """
    from datetime import timedelta

    from app.applications.models import (Application, ApplicationCommunity, ApplicationStatus,
                                         ApplicationTargetGroup, ApplicationVersion, BudgetLine,
                                         Milestone, OutcomeIndicator, TeamMember)

    status = status or ApplicationStatus.DRAFT
    today = date.today()
    app_ = Application(call_id=call.id, organization_id=org.id, status=status,
                       title=title or f"社区长者助餐与陪伴项目{_n()}",
                       created_by_id=created_by.id if created_by else None)
    if complete:
        total = requested_fen + matching_fen
        management = total * 5 // 100
        app_.summary = "为社区独居老人提供助餐、探访和健康讲座。"
        app_.leader_name, app_.leader_phone = "李红", "13800000001"
        app_.need = "社区 60 岁以上老人占 28%，其中独居老人 120 人，用餐困难。"
        app_.objectives = "一年内为 100 名独居老人提供每周五次助餐。"
        app_.activities = "助餐点运营、志愿者探访、每月一次健康讲座。"
        app_.sustainability = "项目结束后由社区食堂和志愿者队伍接续。"
        app_.planned_beneficiaries = 100
        app_.beneficiary_description = "独居、空巢及高龄老人"
        app_.starts_on, app_.ends_on = today + timedelta(days=60), today + timedelta(days=400)
        app_.requested_fen, app_.matching_fen = requested_fen, matching_fen
        app_.matching_source = "社区自筹" if matching_fen else ""
        app_.declares_no_fixed_assets = app_.declares_no_cash_gifts = app_.declares_truthful = True
        app_.budget_lines = [
            BudgetLine(position=1, head="业务活动费", item="助餐服务", unit="人次", quantity=1,
                       unit_price_fen=total - management),
            BudgetLine(position=2, head="管理费用", item="项目管理", unit="项", quantity=1, unit_price_fen=management),
        ]
        app_.indicators = [OutcomeIndicator(position=1, name="助餐服务人次", unit="人次", target=5000,
                                            measurement="签到表")]
        app_.milestones = [Milestone(position=1, due_on=today + timedelta(days=90), title="助餐点开放",
                                     deliverable="助餐点运营记录")]
        app_.team = [TeamMember(position=1, name="李红", role="项目负责人", qualification="中级社工师",
                                is_social_worker=True)]
        app_.community_rows = [ApplicationCommunity(community_id=org.home_community_id)]
        app_.target_rows = [ApplicationTargetGroup(target=ServiceTarget.ELDERLY)]
    if status != ApplicationStatus.DRAFT:
        app_.submitted_at = utcnow()
        app_.current_version = 1
    db.session.add(app_)
    db.session.flush()
    if status != ApplicationStatus.DRAFT:
        from app.applications.services import snapshot

        db.session.add(ApplicationVersion(application_id=app_.id, number=1, snapshot=snapshot(app_),
                                          submitted_by_id=created_by.id if created_by else None))
        db.session.flush()
    return app_


MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def make_attachment(application, *, kind: str = "其他材料", content: bytes = MINIMAL_PDF,
                    name: str = "材料.pdf", locked: bool | None = None, uploaded_by: User | None = None):
    """An attachment with a real stored file (checked and written by app.core.uploads under
    UPLOAD_DIR). Written directly, not through the service, so a submitted application can
    have one; locked by default unless the application is a draft."""
    import io

    from app.applications.attachments import ALLOWED_TYPES, SUBDIR
    from app.applications.models import ApplicationStatus, Attachment
    from app.core import uploads

    stored = uploads.store(io.BytesIO(content), allowed=ALLOWED_TYPES, subdir=SUBDIR, filename=name)
    if locked is None:
        locked = application.status != ApplicationStatus.DRAFT
    attachment = Attachment(application_id=application.id, kind=kind, original_name=stored.original_name,
                            stored_name=stored.stored_name, content_type=stored.content_type,
                            size_bytes=stored.size_bytes, sha256=stored.sha256,
                            uploaded_by_id=uploaded_by.id if uploaded_by else None, locked=locked)
    db.session.add(attachment)
    db.session.flush()
    db.session.expire(application, ["attachments"])
    return attachment


# --------------------------------------------------------------------------- reviews

def make_expert(user: User | None = None, *, fields=None, employer: str | None = None,
                active: bool = True, approved_by: User | None = None, affiliations=()):
    """An expert of the pool (active unless ``active=False`` → pending). ``fields`` are
    ExpertiseField members (default 社会工作); ``affiliations`` are (name, relation) pairs
    or (name, relation, organization) triples."""
    from app.reviews.models import Expert, ExpertAffiliation, ExpertField, ExpertiseField

    user = user or make_user(name=f"专家{_n()}")
    fields = list(fields) if fields is not None else [ExpertiseField.SOCIAL_WORK]
    expert = Expert(user_id=user.id, title="副教授", employer=employer or f"某大学{_n()}",
                    is_active=active, approved_at=utcnow() if active else None,
                    approved_by_id=approved_by.id if approved_by else None,
                    field_rows=[ExpertField(field=f) for f in fields])
    for row in affiliations:
        name, relation, org = (tuple(row) + (None,))[:3]
        expert.affiliations.append(ExpertAffiliation(name=name, relation=relation,
                                                     organization_id=org.id if org else None))
    db.session.add(expert)
    db.session.flush()
    return expert


def make_panel(call, *, reviewers=(), chair=None, created_by: User | None = None):
    """A panel for ``call`` with ``reviewers`` (Experts) as members and ``chair`` (an
    Expert, also added as a member) as its chair; no draw record."""
    from app.reviews.models import Panel, PanelMember, PanelRole

    panel = Panel(call_id=call.id, created_by_id=created_by.id if created_by else None)
    db.session.add(panel)
    db.session.flush()
    for expert in reviewers:
        db.session.add(PanelMember(panel_id=panel.id, expert_id=expert.id, role=PanelRole.REVIEWER))
    if chair is not None:
        db.session.add(PanelMember(panel_id=panel.id, expert_id=chair.id, role=PanelRole.CHAIR))
    db.session.flush()
    db.session.expire(panel, ["members"])
    return panel


def make_assignment(panel, application, expert, *, status=None, origin=None):
    """``expert`` (a member of ``panel``) assigned to ``application``; accepted (declared no
    conflict) by default."""
    from app.reviews.models import (AssignmentOrigin, AssignmentStatus, PanelMember,
                                    ReviewAssignment)
    from sqlalchemy import select

    member = db.session.scalar(select(PanelMember).where(
        PanelMember.panel_id == panel.id, PanelMember.expert_id == expert.id))
    if member is None:
        raise ValueError("the expert is not a member of the panel")
    status = status or AssignmentStatus.ACCEPTED
    assignment = ReviewAssignment(
        panel_id=panel.id, application_id=application.id, member_id=member.id, status=status,
        origin=origin or AssignmentOrigin.AUTO,
        declared_at=utcnow() if status != AssignmentStatus.PENDING else None)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def make_sheet(assignment, points=None, *, submitted: bool = False, comment: str = "评分意见"):
    """A score sheet for ``assignment``. ``points`` maps criterion id → points (default:
    80% of each criterion's maximum, rounded down); ``submitted`` locks it."""
    from app.reviews.models import ScoreSheet, SheetStatus

    if points is None:
        points = {c.id: c.max_points * 8 // 10 for c in assignment.application.call.criteria}
    sheet = ScoreSheet(assignment_id=assignment.id, points={str(k): int(v) for k, v in points.items()},
                       comment=comment,
                       status=SheetStatus.SUBMITTED if submitted else SheetStatus.DRAFT,
                       submitted_at=utcnow() if submitted else None)
    db.session.add(sheet)
    db.session.flush()
    return sheet


# --------------------------------------------------------------------------- money (issue 5)

def make_fund_source(funder: Funder, *, amount_fen: int = 100_000_000, kind=None, name: str | None = None,
                     fiscal_year: int = 2026, appropriate: bool = True, accepts_donations: bool = False,
                     donation_target_fen: int = 0):
    """A fund source; its appropriation is posted to the journal unless ``appropriate=False``."""
    from app.money import ledger
    from app.money.models import FundSource, FundSourceKind

    fund = FundSource(funder_id=funder.id, kind=kind or FundSourceKind.WELFARE_LOTTERY,
                      name=name or f"测试资金{_n()}", fiscal_year=fiscal_year, amount_fen=amount_fen,
                      accepts_donations=accepts_donations, donation_target_fen=donation_target_fen)
    db.session.add(fund)
    db.session.flush()
    if appropriate and amount_fen:
        ledger.appropriate(None, fund)
    return fund


def make_award(application, *, amount_fen: int | None = None, number: str | None = None,
               final_score: str = "85.00", rank: int = 1):
    """An Award row for ``application`` (no ledger entries; see make_funding)."""
    from decimal import Decimal

    from app.awards.models import Award

    award = Award(number=number or f"TEST-{application.id}-{_n()}", call_id=application.call_id,
                  application_id=application.id, organization_id=application.organization_id,
                  amount_fen=amount_fen or application.requested_fen, final_score=Decimal(final_score), rank=rank)
    db.session.add(award)
    db.session.flush()
    return award


def make_funding(award, fund, *, amount_fen: int | None = None, allocate: bool = True):
    """Allocate (unless ``allocate=False``) and commit ``amount_fen`` (default the award's
    amount) of ``fund`` to ``award`` through the ledger, with its AwardFunding row."""
    from app.money import ledger
    from app.money.models import AwardFunding

    amount = amount_fen or award.amount_fen
    call = award.call
    if allocate:
        ledger.allocate(None, fund, call, amount)
    entry = ledger.commit(None, award, [(fund, amount)])
    row = AwardFunding(award_id=award.id, fund_source_id=fund.id, amount_fen=amount, entry_id=entry.id)
    db.session.add(row)
    db.session.flush()
    return row


def make_installments(award, *, statuses=None):
    """The award's installments from its call's template (50/40/10 by default), amounts
    split in fen with the remainder on the last; ``statuses`` (InstallmentStatus per
    position) default to WAITING."""
    from app.money.models import Installment, InstallmentStatus

    steps = sorted(award.call.installments, key=lambda s: s.position)
    rows, given = [], 0
    for i, step in enumerate(steps):
        amount = award.amount_fen - given if i == len(steps) - 1 else award.amount_fen * step.percent // 100
        given += amount
        status = (statuses or [])[i] if statuses and i < len(statuses) else InstallmentStatus.WAITING
        rows.append(Installment(award_id=award.id, position=step.position, percent=step.percent,
                                trigger=step.trigger.value, amount_fen=amount, status=status,
                                due_at=utcnow() if status != InstallmentStatus.WAITING else None))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def make_agreement(award, *, status=None, number: str | None = None):
    """The award's agreement (signed by default, with a stand-in scan record)."""
    from datetime import timedelta

    from app.money.models import Agreement, AgreementStatus

    status = status or AgreementStatus.SIGNED
    today = date.today()
    agreement = Agreement(award_id=award.id, number=number or f"XY-{award.id}-{_n()}", status=status,
                          starts_on=today, ends_on=today + timedelta(days=364))
    if status != AgreementStatus.GENERATED:
        agreement.scan_original_name, agreement.scan_stored_name = "签署件.pdf", f"{_n():032d}.pdf"
        agreement.scan_content_type, agreement.scan_size_bytes = "application/pdf", 1234
        agreement.scan_sha256, agreement.uploaded_at = "ab" * 32, utcnow()
    if status == AgreementStatus.SIGNED:
        agreement.signed_at = utcnow()
    db.session.add(agreement)
    db.session.flush()
    return agreement


def make_payment(installment, *, approved_by: User | None = None, reference: str = "TEST-BANK-0001"):
    """Pay ``installment`` through the ledger (from the award's funding rows, in
    proportion), with its Payment row; the installment becomes PAID."""
    from sqlalchemy import select

    from app.money import ledger
    from app.money.models import AwardFunding, InstallmentStatus, Payment, PaymentMethod

    award = installment.award
    fundings = list(db.session.scalars(select(AwardFunding).where(AwardFunding.award_id == award.id)
                                       .order_by(AwardFunding.id)))
    shares, given = [], 0
    for i, f in enumerate(fundings):
        part = installment.amount_fen - given if i == len(fundings) - 1 else \
            installment.amount_fen * f.amount_fen // award.amount_fen
        given += part
        if part:
            shares.append((f.fund_source_id, part))
    payment = Payment(installment_id=installment.id, voucher_number=f"FK-TEST-{_n()}",
                      amount_fen=installment.amount_fen, paid_on=date.today(),
                      method=PaymentMethod.BANK_TRANSFER, reference=reference,
                      approved_by_id=approved_by.id if approved_by else None, entry_id=0)
    entry = ledger.pay(approved_by, award, shares, source=("installment", installment.id))
    payment.entry_id = entry.id
    installment.status = InstallmentStatus.PAID
    db.session.add(payment)
    db.session.flush()
    return payment


def make_report(award, *, kind=None, status=None, due_on=None):
    """A report of ``award`` (progress, draft by default)."""
    from datetime import timedelta

    from app.reports.models import Report, ReportKind, ReportStatus

    status = status or ReportStatus.DRAFT
    report = Report(award_id=award.id, kind=kind or ReportKind.PROGRESS, status=status,
                    due_on=due_on or date.today() + timedelta(days=30), narrative="项目按计划推进。",
                    submitted_at=utcnow() if status != ReportStatus.DRAFT else None)
    if status in (ReportStatus.ACCEPTED, ReportStatus.FAILED):
        report.reviewed_at = utcnow()
    db.session.add(report)
    db.session.flush()
    return report

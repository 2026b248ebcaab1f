"""Demo money (issue 5): fund sources with their appropriations, allocations to the demo
calls, the awarded round's agreements, installments in every state, reports submitted,
accepted, returned and failed (remaining installments withheld, unused money refunded), and
donations to the community foundation's fund — all through the services, as the people
involved would do it.
"""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.auth.models import User
from app.awards.models import Award
from app.calls.models import Call
from app.core import pdf
from app.demo.clock import beijing as _beijing
from app.extensions import db
from app.funders.models import Funder
from app.money import agreements as agreement_services
from app.money import disbursement
from app.money import donations as donation_services
from app.money import funds as fund_services
from app.money.models import AgreementStatus, Donation, FundSource, FundSourceKind, JournalEntry
from app.reports import services as report_services
from app.reports.models import Report, ReportKind

# (funder, officer who records it, kind, name, amount yuan, description, donations?, target yuan)
FUNDS = [
    ("昆明市五华区民政局", "finance@gongyi.demo", FundSourceKind.WELFARE_LOTTERY, "2026年五华区福彩公益金",
     "1500000", "区级留存福利彩票公益金，用于支持社区社会组织开展为老、助残、救孤、济困服务。", False, ""),
    ("云南省民政厅", "officer@gongyi.demo", FundSourceKind.GOVERNMENT_PURCHASE, "2026年省级政府购买服务资金",
     "3000000", "省级财政安排的政府购买社会组织服务资金。", False, ""),
    ("昆明市五华区社区发展基金会", "foundation@gongyi.demo", FundSourceKind.COMMUNITY_FOUNDATION,
     "2026年社区发展基金资助资金", "80000", "基金会年度公益资助预算。", False, ""),
    ("昆明市五华区社区发展基金会", "foundation@gongyi.demo", FundSourceKind.DONATION, "翠湖社区邻里互助基金",
     "0", "由居民和爱心企业捐赠设立，专项用于翠湖片区的邻里互助、助老助残和儿童关爱小项目。"
          "每一笔捐赠和使用都在平台公开。", True, "200000"),
]

# Which fund pays which demo call, and how much of its budget (yuan).
ALLOCATIONS = {
    "2026年五华区福彩公益金支持社区社会组织服务项目": ("2026年五华区福彩公益金", "720000"),
    "2026年五华区“三社联动”社区服务创投": ("2026年五华区福彩公益金", "250000"),
    "2027年五华区社区公益创投大赛": ("2026年五华区福彩公益金", "300000"),
    "2026年省级福彩公益金购买社区心理关爱服务": ("2026年省级政府购买服务资金", "1200000"),
    "2026年翠湖片区社区发展基金“邻里微光”小额资助": ("2026年社区发展基金资助资金", "30000"),
}

# (amount yuan, name or "" for anonymous, message, days ago)
DONATIONS = [
    ("5000", "云南滇池物业服务有限公司", "支持翠湖片区邻里互助，共建温暖社区。", 40),
    ("200", "", "", 33),
    ("1000", "翠湖社区居民王先生", "给社区里的老人们添一份温暖。", 21),
    ("500", "李晓", "", 12),
    ("88", "", "一点心意。", 6),
    ("2000", "昆明理工大学志愿者协会", "为四点半课堂的孩子们加油！", 2),
]


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@gongyi.demo")))}


def _fund(name: str) -> FundSource | None:
    return db.session.scalar(select(FundSource).where(FundSource.name == name))


def load_funds(counts: dict[str, int]) -> None:
    """Fund sources (with their appropriation entries); idempotent by name."""
    users = _users()
    for funder_name, email, kind, name, amount, description, donations, target in FUNDS:
        if _fund(name) is not None:
            continue
        funder = db.session.scalar(select(Funder).where(Funder.name == funder_name))
        fund_services.create_fund(users[email], funder, {
            "kind": kind.value, "name": name, "fiscal_year": "2026", "amount": amount,
            "description": description, "accepts_donations": donations, "donation_target": target})
        counts["created"] += 1
    db.session.flush()


def allocate_budget(call: Call) -> None:
    """Allocate the call's share of its fund (the demo calls' budgets are funded)."""
    fund_name, amount = ALLOCATIONS.get(call.title, (None, None))
    fund = _fund(fund_name) if fund_name else None
    if fund is None or fund_services.call_allocations(call):
        return
    actor = db.session.scalar(select(User).where(User.email == "finance@gongyi.demo")) \
        if fund.funder.name == "昆明市五华区民政局" else _officer_of(fund.funder)
    fund_services.allocate(actor, fund, call, amount, f"{call.title}预算")


def _officer_of(funder: Funder) -> User:
    from app.funders.models import StaffMembership, StaffRole

    return db.session.scalar(select(User).join(StaffMembership, StaffMembership.user_id == User.id)
                             .where(StaffMembership.funder_id == funder.id,
                                    StaffMembership.role == StaffRole.PROGRAM_OFFICER).limit(1))


def _owner(award: Award) -> User:
    from app.orgs.models import MemberRole, OrgMembership

    return db.session.scalar(select(User).join(OrgMembership, OrgMembership.user_id == User.id)
                             .where(OrgMembership.organization_id == award.organization_id,
                                    OrgMembership.role == MemberRole.OWNER).limit(1))


def _signed_scan(award: Award) -> FileStorage:
    story = [pdf.para(agreement_services.document_title(award.call), "title"),
             pdf.para(award.application.title, "subtitle"),
             pdf.para(f"协议编号：{agreement_services.agreement_for(award).number}"),
             pdf.para(f"甲方：{award.call.funder.name}（盖章）　　乙方：{award.organization.name}（盖章）"),
             pdf.spacer(8), pdf.para("（签署件扫描件，演示材料）", "small")]
    return FileStorage(stream=io.BytesIO(pdf.build(story, "协议签署件")), filename="协议签署件.pdf",
                       content_type="application/pdf")


def _sign(award: Award, officer: User, days_ago: int) -> None:
    owner = _owner(award)
    agreement_services.upload_scan(owner, award, _signed_scan(award), now=_beijing(-days_ago - 2, 15))
    agreement_services.confirm(officer, award, now=_beijing(-days_ago, 10))


def _pay(installment, officer: User, finance: User, days_ago: int, reference: str) -> None:
    disbursement.request_payment(officer, installment, now=_beijing(-days_ago - 1, 11))
    when = _beijing(-days_ago, 15)
    disbursement.approve_payment(finance, installment, disbursement.beijing_today(when), "bank_transfer", reference,
                                 now=when)


def _report_data(report: Report, share: float) -> dict:
    """A filled-in report: indicators at ``share`` of their targets, spending likewise."""
    application = report.award.application
    data = {
        "narrative": "项目按计划推进：已完成服务对象摸底和建档，志愿者队伍完成岗前培训，"
                     "日常服务每周开展，服务对象反馈良好。",
        "problems": "部分服务对象行动不便，上门服务所需时间超出预期，下阶段将调整排班。",
    }
    for target in application.target_groups:
        data[f"beneficiaries-{target.value}"] = str(int(60 * share) + 5)
    for indicator in application.indicators:
        data[f"indicator-{indicator.id}-actual"] = str(int(float(indicator.target) * share))
    for line in application.budget_lines:
        spent = int(line.amount_fen * share * 0.9)
        data[f"expense-{line.id}-spent"] = f"{spent // 100}.{spent % 100:02d}"
    return data


def _progress_report(award: Award) -> Report:
    return next(r for r in report_services.reports_of(award) if r.kind == ReportKind.PROGRESS)


def _write_and_submit(award: Award, share: float, days_ago: int) -> Report:
    owner = _owner(award)
    report = _progress_report(award)
    report_services.save_report(owner, report, _report_data(report, share))
    report_services.submit(owner, report, now=_beijing(-days_ago, 16))
    return report


def load_money(counts: dict[str, int]) -> None:
    """The awarded round's money and reports, and the donations; runs once (the awarded
    round's first agreement being signed marks it done)."""
    from app.demo.reviews import AWARDED_TITLE

    for call in db.session.scalars(select(Call).where(Call.title.in_(list(ALLOCATIONS)))):
        allocate_budget(call)
    call = db.session.scalar(select(Call).where(Call.title == AWARDED_TITLE))
    if call is not None:
        awards = list(db.session.scalars(select(Award).where(Award.call_id == call.id).order_by(Award.rank)))
        done = any(agreement_services.agreement_for(a) is not None
                   and agreement_services.agreement_for(a).status != AgreementStatus.GENERATED for a in awards)
        if awards and not done:
            _drive_awards(awards)
            counts["created"] += len(awards)
    _load_donations(counts)
    db.session.flush()
    counts["fund_sources"] = db.session.scalar(select(func.count(FundSource.id))) or 0
    counts["journal_entries"] = db.session.scalar(select(func.count(JournalEntry.id))) or 0


def _drive_awards(awards: list[Award]) -> None:
    """By rank: 1 — paid, midterm accepted, second installment requested (finance to
    approve); then — paid, midterm submitted (officer to review); — signed, first installment
    due (officer to request), midterm returned for changes; — paid, midterm failed: the rest
    withheld and unused money refunded. The applicant's own award waits for its signed scan."""
    users = _users()
    officer, finance = users["district.officer@gongyi.demo"], users["finance@gongyi.demo"]
    by_org = {a.organization.name: a for a in awards}
    applicant_award = by_org.get("昆明市五华区翠湖社区居家养老服务中心")
    others = [a for a in awards if a is not applicant_award]
    for award in awards:
        if not fund_services.funding_of(award):
            fund_services.fund_award(officer, award, fund_services.default_split(award))
        if agreement_services.agreement_for(award) is None:
            agreement_services.generate(officer, award)

    plans = ["accepted", "submitted", "returned", "failed"]
    for index, (award, plan) in enumerate(zip(others, plans)):
        _sign(award, officer, days_ago=14 - index)
        first = _installment(award, 1)
        if plan != "returned":  # that one's first installment waits for the officer's request (DUE)
            _pay(first, officer, finance, days_ago=11 - index, reference=f"HX2026{award.id:04d}01")
        if plan == "accepted":
            report = _write_and_submit(award, 0.45, days_ago=5)
            report_services.accept(officer, report, comment="进度符合预期，服务记录完整。", now=_beijing(-3, 10))
            disbursement.request_payment(officer, _installment(award, 2), now=_beijing(-1, 9))
        elif plan == "submitted":
            _write_and_submit(award, 0.5, days_ago=2)
        elif plan == "returned":
            report = _write_and_submit(award, 0.4, days_ago=6)
            report_services.return_report(officer, report, "支出明细中“服务活动与物料”缺少发票清单说明，"
                                                            "受益人数与签到表汇总不一致，请核对后重新提交。",
                                          now=_beijing(-4, 10))
        elif plan == "failed":
            report = _write_and_submit(award, 0.15, days_ago=7)
            report_services.fail(officer, report, "中期评估：服务人次仅完成目标的15%，项目负责人已离职，"
                                                  "机构无法保证后续实施。剩余资金暂停拨付，已拨未用资金退回。",
                                 now=_beijing(-5, 10))
            funding = fund_services.funding_of(award)[0]
            fund_services.record_refund(finance, award, funding.fund_source_id, str(first.amount_fen // 200),
                                        disbursement.beijing_today(_beijing(-2, 10)), f"TK2026{award.id:04d}",
                                        "中期评估不合格，退回已拨付但未使用的资金。")
    # The applicant's own award waits for their signed scan (sign in as applicant@gongyi.demo).


def _installment(award: Award, position: int):
    from app.money.models import Installment

    return db.session.scalar(select(Installment).where(Installment.award_id == award.id,
                                                       Installment.position == position))


def _load_donations(counts: dict[str, int]) -> None:
    """Paid donations to the community fund, credited as the Stripe webhook would."""
    fund = _fund("翠湖社区邻里互助基金")
    if fund is None or db.session.scalar(select(Donation.id).where(Donation.fund_source_id == fund.id).limit(1)):
        return
    from app.money.models import DonationStatus

    for i, (amount, name, message, days_ago) in enumerate(DONATIONS, 1):
        fen = int(amount) * 100
        donation = Donation(fund_source_id=fund.id, amount_fen=fen, donor_name=name, message=message,
                            checkout_session_id=f"cs_demo_{fund.id}_{i}")
        db.session.add(donation)
        db.session.flush()
        result = donation_services.handle_event({
            "id": f"evt_demo_{fund.id}_{i}", "type": "checkout.session.completed",
            "data": {"object": {"id": donation.checkout_session_id, "payment_status": "paid",
                                "amount_total": fen, "currency": "cny",
                                "client_reference_id": str(donation.id)}}})
        if result != "credited" or donation.status != DonationStatus.PAID:
            raise RuntimeError(f"demo donation {i} not credited: {result}")
        donation.paid_at = _beijing(-days_ago, 10 + i)
        counts["created"] += 1
    db.session.flush()

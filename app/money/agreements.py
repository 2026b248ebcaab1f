"""Agreements (资助协议 / 政府购买服务合同) of awards — SPEC §3.4.

The flow, each step a service below:

1. ``generate`` — the program officer (or, automatically, the award decision: the
   "awards.decided" handler at the bottom) creates the agreement of an award: its number,
   its term (the application's project period; a purchase contract runs at most one year —
   longer periods are clipped and the officer is told) and the award's installment
   schedule (app.money.installments.create_schedule). The PDF is rendered from the data on
   every download (app.money.agreement_pdf), so regenerating a GENERATED agreement only
   refreshes its term.
2. ``upload_scan`` — a member of the organization uploads the signed and sealed scan (PDF,
   PNG or JPEG, judged by content) → UPLOADED; a new upload replaces the old one (its file
   is deleted after the commit).
3. ``confirm`` — the officer checks the scan and confirms: SIGNED (effective), which fires
   the ``agreement_signed`` installment trigger (the first installment becomes DUE) and
   emits "agreement.signed". ``refuse_scan`` sends it back (UPLOADED → GENERATED) with the
   reason.

Steps out of order raise Conflict (409). Signed purchase contracts are public
(``public_contracts``, ``contract_summary``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload, joinedload

from app.applications.models import Application
from app.awards.models import Award
from app.awards.services import beijing_date
from app.calls.models import Call, CallKind, InstallmentTrigger
from app.core import audit, uploads
from app.core.db import MAX_ID, utcnow
from app.core.errors import Conflict, ValidationError
from app.core.events import emit, subscribe
from app.core.forms import CONTROL_CHARS
from app.core.permissions import require, staff_funders
from app.extensions import db
from app.money import installments as inst
from app.money.models import Agreement, AgreementStatus, AwardFunding, Installment, InstallmentStatus
from app.orgs.models import Organization

SUBDIR = "agreements"
SCAN_TYPES = frozenset({"pdf", "png", "jpeg"})
REASON_MIN, REASON_MAX = 5, 500
# Reporting duties (SPEC §2 Report): the progress report at the middle of the term, the
# final report within this many days after its end.
FINAL_REPORT_DAYS = 15

AS = AgreementStatus


# --------------------------------------------------------------------------- lookups

def is_purchase(call: Call) -> bool:
    return call.kind == CallKind.PURCHASE


def document_title(call: Call) -> str:
    """资助协议 (venture calls) or 政府购买服务合同 (purchase calls)."""
    return _("政府购买服务合同") if is_purchase(call) else _("资助协议")


def agreement_for(award: Any) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.award_id == award.id))


def get_award(award_id: int) -> Award | None:
    if not 0 < award_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Award).where(Award.id == award_id)
        .options(joinedload(Award.application).selectinload(Application.community_rows)))


def _locked(award: Any) -> Agreement | None:
    """The award's agreement, locked for the rest of the transaction (PostgreSQL) and
    re-read, so two officers (or an officer and an uploader) act one after the other."""
    return db.session.scalar(select(Agreement).where(Agreement.award_id == award.id)
                             .with_for_update(of=Agreement).execution_options(populate_existing=True))


def fundings(award: Any) -> list[AwardFunding]:
    return list(db.session.scalars(select(AwardFunding).where(AwardFunding.award_id == award.id)
                                   .order_by(AwardFunding.id)))


# --------------------------------------------------------------------------- term and number

def one_year_end(start: date) -> date:
    """The last day of a one-year term starting on ``start`` (2026-03-01 → 2027-02-28)."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        anniversary = date(start.year + 1, 3, 1)
    return anniversary - timedelta(days=1)


@dataclass
class Term:
    starts_on: date
    ends_on: date
    notes: list[str] = field(default_factory=list)   # why it differs from the application

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def term_for(award: Any, now: datetime | None = None) -> Term:
    """The agreement term: the application's project period; without one, a year from the
    award decision; for a purchase contract at most one year (clipped, with a note)."""
    application = award.application
    start, end = application.starts_on, application.ends_on
    notes: list[str] = []
    if start is None or end is None or end < start:
        start = beijing_date(award.awarded_at or now or utcnow())
        end = one_year_end(start)
        notes.append(_("申报书没有填写有效的项目周期，协议期限按立项之日起一年确定。"))
    if is_purchase(award.call) and end > one_year_end(start):
        clipped = one_year_end(start)
        notes.append(_("政府购买服务合同的履行期限不超过一年：申报书的项目周期为 %(start)s 至 %(end)s，"
                       "合同期限按 %(start)s 至 %(clipped)s 确定。",
                       start=start.isoformat(), end=end.isoformat(), clipped=clipped.isoformat()))
        end = clipped
    return Term(start, end, notes)


def reporting_dates(starts_on: date, ends_on: date) -> tuple[date, date]:
    """(progress report due, final report due): the middle of the term, and
    FINAL_REPORT_DAYS after its end."""
    return starts_on + (ends_on - starts_on) // 2, ends_on + timedelta(days=FINAL_REPORT_DAYS)


_AWARD_NUMBER = re.compile(r"^GY(\d{4}-\d{4}-\d{3})$")


def agreement_number(award: Any, now: datetime | None = None) -> str:
    """协议编号 from the award number: GY2026-0007-001 → XY2026-0007-001 (资助协议) or
    HT2026-0007-001 (购买服务合同); other award numbers → XY<year>-A<award id>."""
    prefix = "HT" if is_purchase(award.call) else "XY"
    match = _AWARD_NUMBER.match(award.number or "")
    if match:
        return prefix + match.group(1)
    return f"{prefix}{beijing_date(now or utcnow()).year}-A{award.id:06d}"


# --------------------------------------------------------------------------- generate

def _generate(actor: Any, award: Any, now: datetime | None = None) -> tuple[Agreement, Term]:
    now = now or utcnow()
    term = term_for(award, now)
    agreement = _locked(award)
    if agreement is not None and agreement.status != AS.GENERATED:
        raise Conflict(_("协议状态为“%(status)s”，不能重新生成。", status=agreement.status.label)
                       if agreement.status == AS.SIGNED else
                       _("机构已上传签署件，请先确认或退回签署件，再重新生成协议。"))
    inst.create_schedule(award, actor)
    if agreement is not None:
        before = {"starts_on": agreement.starts_on, "ends_on": agreement.ends_on}
        agreement.starts_on, agreement.ends_on, agreement.generated_at = term.starts_on, term.ends_on, now
        db.session.flush()
        audit.record(actor, "agreement.regenerate", agreement, before=before,
                     after={"starts_on": term.starts_on, "ends_on": term.ends_on, "notes": term.notes})
        return agreement, term
    agreement = Agreement(award_id=award.id, number=agreement_number(award, now), status=AS.GENERATED,
                          starts_on=term.starts_on, ends_on=term.ends_on, generated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(agreement)
            db.session.flush()
    except IntegrityError:
        # Two officers at once (or a clash of numbers): the other agreement stands.
        raise Conflict(_("该项目的协议刚刚已经生成，请刷新页面。")) from None
    audit.record(actor, "agreement.generate", agreement, after={
        "award_id": award.id, "number": agreement.number, "starts_on": term.starts_on,
        "ends_on": term.ends_on, "notes": term.notes})
    emit("agreement.generated", award=award, agreement=agreement, actor=actor)
    return agreement, term


def generate(actor: Any, award: Any, now: datetime | None = None) -> Agreement:
    """Create (or, while GENERATED, refresh) the award's agreement and its installment
    schedule. Conflict once the scan is uploaded or the agreement signed."""
    require(actor, "agreement.manage", award)
    return _generate(actor, award, now)[0]


def generate_with_notes(actor: Any, award: Any, now: datetime | None = None) -> tuple[Agreement, list[str]]:
    """``generate`` that also says how the term differs from the application (for the page)."""
    require(actor, "agreement.manage", award)
    agreement, term = _generate(actor, award, now)
    return agreement, term.notes


@subscribe("awards.decided")
def _on_awards_decided(call=None, awards=(), actor=None, **_ignored):
    """Every new award gets its agreement at once. Never fails the award decision: a
    problem (e.g. no installment template) is left for the officer, who generates the
    agreement on its page after fixing it."""
    for award in awards:
        try:
            with db.session.begin_nested():
                _generate(actor, award)
        except (ValidationError, Conflict) as err:
            current_app.logger.info("agreement of award %s not generated: %s", award.id, err.message)


# --------------------------------------------------------------------------- signed scan

def _scan_fields(agreement: Agreement) -> dict:
    return {"original_name": agreement.scan_original_name, "stored_name": agreement.scan_stored_name,
            "sha256": agreement.scan_sha256}


def upload_scan(actor: Any, award: Any, file: Any, now: datetime | None = None) -> Agreement:
    """The organization uploads the signed and sealed agreement (PDF/PNG/JPEG, checked by
    content) → UPLOADED. While UPLOADED (or after a refusal) a new upload replaces the
    scan; the old file is deleted once the change is committed."""
    require(actor, "agreement.sign", award)
    now = now or utcnow()
    agreement = _locked(award)
    if agreement is None:
        raise Conflict(_("资助方尚未生成协议，暂时不能上传签署件。"))
    if agreement.status == AS.SIGNED:
        raise Conflict(_("协议已经生效，不能再更换签署件。"))
    if file is None or not getattr(file, "filename", None):
        raise ValidationError(_("请选择签署盖章后的协议扫描件（PDF、PNG 或 JPEG）。"), field="file")
    stored = uploads.store(file, allowed=SCAN_TYPES, subdir=SUBDIR)
    uploads.discard_on_rollback(db.session, SUBDIR, stored.stored_name)
    before = {"status": agreement.status, **_scan_fields(agreement)}
    old = agreement.scan_stored_name
    agreement.scan_original_name = stored.original_name
    agreement.scan_stored_name = stored.stored_name
    agreement.scan_content_type = stored.content_type
    agreement.scan_size_bytes = stored.size_bytes
    agreement.scan_sha256 = stored.sha256
    agreement.uploaded_at = now
    agreement.uploaded_by_id = getattr(actor, "id", None)
    agreement.status = AS.UPLOADED
    db.session.flush()
    if old and old != stored.stored_name:
        uploads.delete_after_commit(db.session, SUBDIR, old)
    audit.record(actor, "agreement.upload", agreement, before=before,
                 after={"status": agreement.status, **_scan_fields(agreement)})
    emit("agreement.uploaded", award=award, agreement=agreement, actor=actor)
    return agreement


def confirm(actor: Any, award: Any, now: datetime | None = None) -> Agreement:
    """The officer confirms the uploaded scan: SIGNED (effective from now); the
    ``agreement_signed`` installments become DUE."""
    require(actor, "agreement.manage", award)
    now = now or utcnow()
    agreement = _locked(award)
    if agreement is None:
        raise Conflict(_("该项目还没有生成协议。"))
    if agreement.status == AS.SIGNED:
        raise Conflict(_("协议已经生效，不能重复确认。"))
    if agreement.status != AS.UPLOADED:
        raise Conflict(_("机构尚未上传签署件，不能确认协议生效。"))
    agreement.status = AS.SIGNED
    agreement.signed_at = now
    agreement.confirmed_by_id = getattr(actor, "id", None)
    agreement.return_reason = ""
    db.session.flush()
    inst.create_schedule(award, actor)
    due = inst.fire_trigger(award, InstallmentTrigger.AGREEMENT_SIGNED, actor, now)
    audit.record(actor, "agreement.confirm", agreement, before={"status": AS.UPLOADED},
                 after={"status": AS.SIGNED, "signed_at": now, "due_installments": [i.id for i in due]})
    emit("agreement.signed", award=award, agreement=agreement, actor=actor)
    return agreement


def _clean_reason(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if CONTROL_CHARS.search(text):
        raise ValidationError(_("退回原因不能包含控制字符。"), field="reason")
    if not text:
        raise ValidationError(_("请填写退回原因，告诉机构签署件哪里需要更正。"), field="reason")
    if len(text) < REASON_MIN:
        raise ValidationError(_("退回原因至少 %(min)s 个字。", min=REASON_MIN), field="reason")
    if len(text) > REASON_MAX:
        raise ValidationError(_("退回原因不能超过 %(max)s 个字。", max=REASON_MAX), field="reason")
    return text


def refuse_scan(actor: Any, award: Any, reason: Any) -> Agreement:
    """The officer sends the scan back (UPLOADED → GENERATED) with the reason; the
    organization uploads a corrected one."""
    require(actor, "agreement.manage", award)
    agreement = _locked(award)
    if agreement is None or agreement.status != AS.UPLOADED:
        raise Conflict(_("只有已上传、待确认的签署件可以退回。"))
    reason = _clean_reason(reason)
    agreement.status = AS.GENERATED
    agreement.return_reason = reason
    db.session.flush()
    audit.record(actor, "agreement.refuse", agreement, before={"status": AS.UPLOADED},
                 after={"status": AS.GENERATED, "reason": reason})
    emit("agreement.refused", award=award, agreement=agreement, actor=actor, reason=reason)
    return agreement


# --------------------------------------------------------------------------- public contracts

@dataclass
class ContractSummary:
    """What the public sees of a signed purchase contract (SPEC §3.4)."""

    award: Award
    agreement: Agreement
    schedule: list[Installment]

    @property
    def project(self) -> str:
        return self.award.application.title

    @property
    def organization(self) -> Organization:
        return self.award.organization

    @property
    def content(self) -> str:
        return self.award.application.summary or self.award.call.service_item or ""

    @property
    def payment_terms(self) -> str:
        """"协议签订后拨付 50%；中期报告通过后拨付 40%；…" — payment by performance."""
        return "；".join(_("%(condition)s %(percent)s%%", condition=inst.condition_text(i), percent=i.percent)
                        for i in self.schedule)


def _schedules(award_ids: Iterable[int]) -> dict[int, list[Installment]]:
    out: dict[int, list[Installment]] = {}
    ids = list(award_ids)
    if ids:
        for row in db.session.scalars(select(Installment).where(Installment.award_id.in_(ids))
                                      .order_by(Installment.award_id, Installment.position)):
            out.setdefault(row.award_id, []).append(row)
    return out


def public_contracts(call: Call) -> list[ContractSummary]:
    """The signed contracts of a purchase call, by award rank (empty for venture calls)."""
    if not is_purchase(call):
        return []
    rows = db.session.execute(
        select(Agreement, Award).join(Award, Award.id == Agreement.award_id)
        .where(Award.call_id == call.id, Agreement.status == AS.SIGNED)
        .options(joinedload(Award.application), joinedload(Award.organization))
        .order_by(Award.rank, Award.id)).all()
    schedules = _schedules(award.id for _a, award in rows)
    return [ContractSummary(award, agreement, schedules.get(award.id, [])) for agreement, award in rows]


def contract_summary(award: Award) -> ContractSummary | None:
    """The published summary of one award's contract; None unless it is a signed
    agreement of a purchase call."""
    if not is_purchase(award.call):
        return None
    agreement = agreement_for(award)
    if agreement is None or agreement.status != AS.SIGNED:
        return None
    return ContractSummary(award, agreement, inst.installments_of(award))


# --------------------------------------------------------------------------- "my awards"

SCOPE_ORG, SCOPE_FUNDER = "org", "funder"
NO_AGREEMENT = "none"


def scopes(user: Any) -> list[str]:
    """Which lists of awards the user has: their organizations' (members) and their
    funders' (staff; admins see every funder's)."""
    out = []
    if getattr(user, "org_memberships", None):
        out.append(SCOPE_ORG)
    if getattr(user, "staff_memberships", None) or getattr(user, "is_admin", False):
        out.append(SCOPE_FUNDER)
    return out


def awards_query(user: Any, scope: str, *, q: str | None = None, agreement_status: str | None = None,
                 call_id: int | None = None) -> Select:
    """Awards of the user's organizations (scope "org") or funders (scope "funder"),
    newest first. ``agreement_status`` is an AgreementStatus value or "none" (no agreement
    yet); ``agreements_by_award`` gives the agreements of a page."""
    stmt = (select(Award)
            .join(Application, Application.id == Award.application_id)
            .join(Organization, Organization.id == Award.organization_id)
            .join(Call, Call.id == Award.call_id)
            .outerjoin(Agreement, Agreement.award_id == Award.id)
            .options(defaultload(Award.application).lazyload(Application.community_rows),
                     defaultload(Award.call).lazyload(Call.category_rows),
                     defaultload(Award.call).lazyload(Call.target_rows),
                     defaultload(Award.organization).lazyload(Organization.target_rows)))
    if scope == SCOPE_ORG:
        org_ids = [m.organization_id for m in user.org_memberships]
        stmt = stmt.where(Award.organization_id.in_(org_ids or [-1]))
    elif not getattr(user, "is_admin", False):
        funder_ids = [f.id for f in staff_funders(user)]
        stmt = stmt.where(Call.funder_id.in_(funder_ids or [-1]))
    if q:
        needle = q.lower()
        stmt = stmt.where(or_(func.lower(Organization.name).contains(needle, autoescape=True),
                              func.lower(Application.title).contains(needle, autoescape=True),
                              func.lower(Award.number).contains(needle, autoescape=True)))
    if agreement_status == NO_AGREEMENT:
        stmt = stmt.where(Agreement.id.is_(None))
    elif agreement_status:
        stmt = stmt.where(Agreement.status == AgreementStatus(agreement_status))
    if call_id is not None:
        stmt = stmt.where(Award.call_id == call_id)
    return stmt.order_by(Award.awarded_at.desc(), Award.id.desc())


def agreements_by_award(award_ids: Iterable[int]) -> dict[int, Agreement]:
    ids = list(award_ids)
    if not ids:
        return {}
    return {a.award_id: a for a in db.session.scalars(select(Agreement).where(Agreement.award_id.in_(ids)))}


def call_choices(user: Any, scope: str) -> list[tuple[int, str]]:
    """Calls with awards in the user's list (for the filter)."""
    sub = awards_query(user, scope).with_only_columns(Award.call_id).order_by(None).subquery()
    return [(i, t) for i, t in db.session.execute(
        select(Call.id, Call.title).where(Call.id.in_(select(sub.c.call_id))).order_by(Call.id.desc()))]


@dataclass(frozen=True)
class NextStep:
    text: str
    tone: str = "secondary"     # Bootstrap colour of the badge


def next_step(agreement: Agreement | None, progress: inst.Progress | None, scope: str) -> NextStep:
    """What happens next for an award, worded for the organization ("org") or the funder."""
    org = scope == SCOPE_ORG
    if agreement is None:
        return NextStep(_("等待资助方生成协议") if org else _("生成协议"), "warning")
    if agreement.status == AS.GENERATED:
        if agreement.return_reason:
            return NextStep(_("签署件被退回，请按意见重新上传") if org else _("等待机构重新上传签署件"), "danger")
        return NextStep(_("下载协议，签署盖章后上传扫描件") if org else _("等待机构上传签署件"), "warning")
    if agreement.status == AS.UPLOADED:
        return NextStep(_("等待资助方确认签署件") if org else _("审核签署件并确认生效"), "info")
    if progress is None or progress.count == 0:
        return NextStep(_("协议已生效"), "success")
    if progress.paid == progress.count:
        return NextStep(_("资金已全部拨付"), "success")
    if progress.due:
        return NextStep(_("拨付办理中") if org else _("办理拨付"), "info")
    if progress.withheld:
        return NextStep(_("暂停拨付"), "danger")
    return NextStep(_("执行中，等待下一期拨付条件"), "secondary")


def installment_status_tone(status: InstallmentStatus) -> str:
    return {InstallmentStatus.WAITING: "secondary", InstallmentStatus.DUE: "primary",
            InstallmentStatus.REQUESTED: "info", InstallmentStatus.PAID: "success",
            InstallmentStatus.WITHHELD: "danger"}[status]


def agreement_status_tone(status: AgreementStatus | None) -> str:
    if status is None:
        return "light"
    return {AS.GENERATED: "warning", AS.UPLOADED: "info", AS.SIGNED: "success"}[status]

"""Blind review (匿名评审): what a reviewer of a blind call may see of an application.

When ``call.blind_review`` is on, nothing a reviewer (or the chair, who is a reviewer too)
can fetch — pages, PDFs, XLSX, attachment names — may carry the organization's identity.
The rules:

- An application is named by its **code** (:func:`application_code`, e.g. ``GY-00012``),
  never by the organization; its title and every free-text field pass through
  :func:`redact`, which replaces each identifying term with ``REDACTED``.
- Identifying terms (:func:`identity_terms`): the organization's name (also without
  brackets and with full-width/half-width brackets swapped), its credit code, legal
  representative, contact person, phone, email and address; the applicant's project leader
  and phone; the names of the team members; the names of the organization's members.
- Team members are shown by role and qualification only; the organization, its members,
  the home community's name and the submitter are never shown.
- Attachments reach reviewers only when the program officer marked them blind-safe, and
  then under a neutral name (``附件 N：<kind>.<ext>``), without the uploaded file name, the
  uploader or the upload time.

Non-blind calls show reviewers the application as the funder's staff see it (still without
contacts, which reviewers never need).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

REDACTED = "■■■"
MIN_TERM_LENGTH = 2


def is_blind(call: Any) -> bool:
    return bool(getattr(call, "blind_review", False))


def application_code(application: Any) -> str:
    """The neutral name of an application in review pages and sheets."""
    return f"GY-{application.id:05d}"


def _variants(name: str) -> set[str]:
    out = {name}
    swapped = name.replace("（", "(").replace("）", ")")
    out.add(swapped)
    out.add(name.replace("(", "（").replace(")", "）"))
    out.add(re.sub(r"[（(][^）)]*[）)]", "", name))  # without a bracketed part
    return {v.strip() for v in out if v and v.strip()}


def identity_terms(application: Any) -> list[str]:
    """Every string that identifies the applying organization, longest first."""
    org = application.organization
    terms: set[str] = set()
    if org is not None:
        terms |= _variants(org.name or "")
        for value in (org.credit_code, org.legal_representative, org.contact_name,
                      org.contact_phone, org.contact_email, org.address):
            if value:
                terms.add(str(value).strip())
        for membership in getattr(org, "members", None) or []:
            user = getattr(membership, "user", None)
            if user is not None and user.name:
                terms.add(user.name.strip())
    for value in (application.leader_name, application.leader_phone):
        if value:
            terms.add(str(value).strip())
    for member in application.team or []:
        if member.name:
            terms.add(member.name.strip())
    return sorted((t for t in terms if len(t) >= MIN_TERM_LENGTH), key=lambda t: (-len(t), t))


def redact(text: Any, terms: Iterable[str]) -> str:
    """``text`` with every term replaced by REDACTED (case-insensitive for Latin letters)."""
    text = "" if text is None else str(text)
    terms = [t for t in terms if t]
    if not text or not terms:
        return text
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    return pattern.sub(REDACTED, text)


def reviewer_label(application: Any, *, blind: bool, terms: Iterable[str] | None = None) -> str:
    """How review pages name the application: ``GY-00012 <title>`` with the title
    redacted in blind mode; ``<title>（<organization>）`` otherwise."""
    if blind:
        terms = identity_terms(application) if terms is None else terms
        return f"{application_code(application)} {redact(application.title, terms)}".strip()
    org = application.organization
    return f"{application.title}（{org.name}）" if org is not None else application.title


# --------------------------------------------------------------------------- what a reviewer sees

def _terms_for(application: Any, blind: bool) -> list[str]:
    return identity_terms(application) if blind else []


def reviewer_view(application: Any, blind: bool) -> dict:
    """The application as a reviewer sees it (review page and reviewer PDF).

    Blind: code, redacted title and free text, team by role and qualification only, no
    organization, leader or contacts. Not blind: the organization's and the leader's names
    and the team's names too — but never phone numbers or other contacts.
    """
    from app.applications.services import management_share

    terms = _terms_for(application, blind)

    def text(value: Any) -> str:
        return redact(value, terms) if blind else ("" if value is None else str(value))

    mgmt, total = management_share(application)
    org = application.organization
    return {
        "blind": blind,
        "code": application_code(application),
        "label": reviewer_label(application, blind=blind, terms=terms),
        "title": text(application.title),
        "organization": None if blind or org is None else org.name,
        "leader_name": None if blind else (application.leader_name or ""),
        "call": {"id": application.call_id, "title": application.call.title},
        "summary": text(application.summary),
        "need": text(application.need),
        "objectives": text(application.objectives),
        "activities": text(application.activities),
        "sustainability": text(application.sustainability),
        "beneficiary_description": text(application.beneficiary_description),
        "planned_beneficiaries": application.planned_beneficiaries or 0,
        "target_groups": [t.label for t in application.target_groups],
        "communities": [c.name for c in application.communities],
        "starts_on": application.starts_on,
        "ends_on": application.ends_on,
        "requested_fen": application.requested_fen or 0,
        "matching_fen": application.matching_fen or 0,
        "matching_source": text(application.matching_source),
        "budget_total_fen": total,
        "management_fen": mgmt,
        "budget_lines": [
            {"head": text(b.head), "item": text(b.item), "unit": text(b.unit), "quantity": b.quantity,
             "unit_price_fen": b.unit_price_fen, "amount_fen": b.amount_fen, "note": text(b.note)}
            for b in application.budget_lines],
        "indicators": [
            {"name": text(i.name), "unit": text(i.unit), "target": i.target, "target_text": _plain_number(i.target),
             "measurement": text(i.measurement)}
            for i in application.indicators],
        "milestones": [
            {"due_on": m.due_on, "title": text(m.title), "deliverable": text(m.deliverable)}
            for m in application.milestones],
        "team": [
            {"name": None if blind else t.name, "role": text(t.role), "qualification": text(t.qualification),
             "is_social_worker": bool(t.is_social_worker)}
            for t in application.team],
    }


def _plain_number(value: Any) -> str:
    """Indicator targets: 5000.00 → "5,000", 12.50 → "12.5"."""
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value or "")
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


@dataclass(frozen=True)
class ReviewerAttachment:
    """An attachment as a reviewer gets it: numbered, and under a neutral name when blind."""

    attachment: Any
    number: int
    name: str
    kind: str
    ext: str

    @property
    def id(self) -> int:
        return self.attachment.id

    @property
    def size_bytes(self) -> int:
        return self.attachment.size_bytes

    @property
    def content_type(self) -> str:
        return self.attachment.content_type


def _extension(attachment: Any) -> str:
    # The stored (generated) name carries the extension of the detected type, never the
    # client's file name.
    stored = str(getattr(attachment, "stored_name", "") or "")
    _stem, dot, ext = stored.rpartition(".")
    return ext.lower() if dot and re.fullmatch(r"[a-z0-9]{1,5}", ext.lower()) else "bin"


def neutral_name(number: int, kind: str, ext: str) -> str:
    """``附件 3：项目预算明细表.pdf`` — the name a blind reviewer's download carries."""
    from flask_babel import gettext as _

    return _("附件 %(n)s：%(kind)s.%(ext)s", n=number, kind=kind, ext=ext)


def reviewer_attachments(application: Any, blind: bool) -> list[ReviewerAttachment]:
    """The files a reviewer may open: every submitted (locked) attachment when the call is
    not blind; only those the officer marked blind-safe when it is, under neutral names."""
    terms = _terms_for(application, blind)
    files = [a for a in sorted(application.attachments, key=lambda a: a.id)
             if a.locked and (a.blind_safe or not blind)]
    out = []
    for n, attachment in enumerate(files, 1):
        ext = _extension(attachment)
        kind = redact(attachment.kind, terms) if blind else attachment.kind
        name = neutral_name(n, kind, ext) if blind else attachment.original_name
        out.append(ReviewerAttachment(attachment, n, name, kind, ext))
    return out


# --------------------------------------------------------------------------- officer marking

def blind_safe_query(call: Any, q: str | None = None, marked: bool | None = None):
    """The locked attachments of the call's applications in review (eligible or under
    review), with their application and organization, in a fixed order."""
    from sqlalchemy import func, or_, select
    from sqlalchemy.orm import contains_eager

    from app.applications.models import Application, ApplicationStatus, Attachment
    from app.orgs.models import Organization

    stmt = (select(Attachment)
            .join(Application, Application.id == Attachment.application_id)
            .join(Organization, Organization.id == Application.organization_id)
            .where(Application.call_id == call.id, Attachment.locked.is_(True),
                   Application.status.in_((ApplicationStatus.ELIGIBLE, ApplicationStatus.UNDER_REVIEW)))
            .options(contains_eager(Attachment.application).contains_eager(Application.organization))
            .order_by(Application.id, Attachment.id))
    if marked is not None:
        stmt = stmt.where(Attachment.blind_safe.is_(marked))
    if q:
        needle = q.lower()
        conditions = [func.lower(Application.title).contains(needle, autoescape=True),
                      func.lower(Organization.name).contains(needle, autoescape=True),
                      func.lower(Attachment.original_name).contains(needle, autoescape=True),
                      func.lower(Attachment.kind).contains(needle, autoescape=True)]
        code = re.fullmatch(r"(?:gy-?)?0*(\d{1,9})", needle.strip())
        if code:
            conditions.append(Application.id == int(code.group(1)))
        stmt = stmt.where(or_(*conditions))
    return stmt


def marking_problem(call: Any) -> str | None:
    from flask_babel import gettext as _

    from app.calls.models import CallStatus

    if call.status not in (CallStatus.SCREENING, CallStatus.REVIEWING):
        return _("征集“%(title)s”当前处于“%(status)s”阶段，只有在形式审查或专家评审阶段才能标记匿名评审可用的附件。",
                 title=call.title, status=call.status.label)
    return None


def blind_safe_counts(call: Any) -> tuple[int, int]:
    """(blind-safe, all) locked attachments of the call's applications in review."""
    from sqlalchemy import case, func, select

    from app.applications.models import Application, ApplicationStatus, Attachment
    from app.extensions import db

    row = db.session.execute(
        select(func.count(Attachment.id), func.coalesce(func.sum(case((Attachment.blind_safe.is_(True), 1),
                                                                      else_=0)), 0))
        .join(Application, Application.id == Attachment.application_id)
        .where(Application.call_id == call.id, Attachment.locked.is_(True),
               Application.status.in_((ApplicationStatus.ELIGIBLE, ApplicationStatus.UNDER_REVIEW)))).one()
    return int(row[1] or 0), int(row[0] or 0)


def set_blind_safe(actor: Any, attachment: Any, safe: bool) -> bool:
    """Mark (or unmark) one attachment as blind-safe (匿名评审可用); True when it changed.
    Program officers of the call (panel.manage), while the call is in screening or review."""
    from flask_babel import gettext as _

    from app.applications.models import ApplicationStatus
    from app.core import audit
    from app.core.errors import Conflict, PermissionDenied, ValidationError
    from app.core.permissions import can

    application = attachment.application
    call = application.call
    if not can(actor, "panel.manage", call):
        raise PermissionDenied(_("只有本征集的项目主管可以标记匿名评审可用的附件。"))
    problem = marking_problem(call)
    if problem:
        raise Conflict(problem)
    if not attachment.locked or application.status not in (ApplicationStatus.ELIGIBLE,
                                                           ApplicationStatus.UNDER_REVIEW):
        raise ValidationError(_("只有进入专家评审的申报书已提交的附件才能标记。"), field="safe")
    safe = bool(safe)
    if attachment.blind_safe == safe:
        return False
    before = attachment.blind_safe
    attachment.blind_safe = safe
    audit.record(actor, "attachment.blind_safe", attachment, before={"blind_safe": before},
                 after={"blind_safe": safe, "application_id": application.id, "kind": attachment.kind})
    return True


def save_blind_safe(actor: Any, call: Any, shown_ids: Iterable[Any], safe_ids: Iterable[Any]) -> tuple[int, int]:
    """One save of the marking page: each attachment of the call listed in ``shown_ids``
    becomes blind-safe when its id is in ``safe_ids``, otherwise not. Ids that are not
    locked attachments of the call's applications in review are ignored. Returns
    (newly marked, newly unmarked)."""
    from flask_babel import gettext as _

    from app.core.errors import Conflict, PermissionDenied
    from app.core.permissions import can
    from app.extensions import db

    if not can(actor, "panel.manage", call):
        raise PermissionDenied(_("只有本征集的项目主管可以标记匿名评审可用的附件。"))
    problem = marking_problem(call)
    if problem:
        raise Conflict(problem)
    shown = _ids(shown_ids)
    safe = _ids(safe_ids) & shown
    if not shown:
        return 0, 0
    from app.applications.models import Attachment

    attachments = db.session.scalars(blind_safe_query(call).where(Attachment.id.in_(shown))).unique().all()
    marked = unmarked = 0
    for attachment in attachments:
        want = attachment.id in safe
        if set_blind_safe(actor, attachment, want):
            if want:
                marked += 1
            else:
                unmarked += 1
    db.session.flush()
    return marked, unmarked


def _ids(values: Iterable[Any]) -> set[int]:
    """Ids from form values; anything that is not a positive 32-bit integer is dropped."""
    out = set()
    for value in values or ():
        text = str(value).strip()
        if re.fullmatch(r"[0-9]{1,10}", text) and 0 < int(text) <= 2**31 - 1:
            out.add(int(text))
    return out

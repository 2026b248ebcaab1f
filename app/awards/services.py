"""Public notice (公示), objections (异议) and the award decision (立项) — SPEC §3.3.

The flow, each step a service below:

1. ``publish_notice`` — once the panel is finalized and the review outcomes exist, the
   program officer publishes the recommended list. The scored applications become
   拟立项 (recommended) or 未入围 (not recommended) as their outcome says; the notice runs
   for ``call.notice_working_days`` working days (app.core.workdays.notice_period: the
   day of publication never counts, weekends are skipped, and so are the holidays and
   make-up working days configured as ``PUBLIC_HOLIDAYS`` / ``MAKEUP_WORKDAYS``); the call
   moves to ``notice``.
2. ``file_objection`` — anyone may object while the notice runs (the view rate-limits).
   Name, content and the answer are public; the contact is seen by the funder's staff only.
3. ``answer_objection`` — the officer answers every objection; an upheld objection against
   a recommended project cancels that recommendation (拟立项 → 未入围; the outcome keeps the
   original recommendation as the record and is marked ``cancelled_by_objection``).
4. ``close_notice`` — after the period, with every objection answered, the officer closes
   the notice: one Award (立项) per recommendation still standing, the others rejected,
   and the call moves to ``awarded``.

The generic "next phase" button of a call cannot skip steps 1 and 4: a ``call.advancing``
handler refuses ``notice`` without a published notice and ``awarded`` without a closed one.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload, joinedload, selectinload

from app.applications.models import Application, ApplicationCommunity, ApplicationStatus
from app.auth.models import User
from app.awards.models import Award, Notice, Objection, ObjectionStatus
from app.calls.models import Call, CallStatus
from app.core import audit
from app.core.db import MAX_ID, utcnow
from app.core.errors import Conflict, ValidationError
from app.core.events import emit, subscribe
from app.core.forms import CONTROL_CHARS
from app.core.permissions import require
from app.core.states import transition
from app.core.workdays import notice_period, working_days_between
from app.extensions import db
from app.funders.models import Funder
from app.orgs.models import Organization
from app.regions.models import Region, RegionLevel
from app.reviews.models import Expert, Panel, PanelMember, PanelRole, ReviewOutcome

CHINA = ZoneInfo("Asia/Shanghai")

INTRO_MAX = 2000
CONTACT_MAX = 200
OBJECTOR_NAME_MAX = 50
OBJECTOR_CONTACT_MAX = 100
OBJECTION_MIN, OBJECTION_MAX = 10, 2000
ANSWER_MIN, ANSWER_MAX = 10, 2000

# A phone number (digits, spaces, + - ( ) and an optional extension) or an email address.
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,28}(?:(?:转|ext\.?|x)[0-9]{1,6})?$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- small helpers ------------------------------------------------------------------------

def beijing(value: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp in Beijing time, for messages."""
    return value.astimezone(CHINA).strftime(fmt)


def beijing_date(value: datetime) -> date:
    return value.astimezone(CHINA).date()


def _dates(values: Any) -> frozenset[date]:
    out = set()
    for v in values or ():
        if isinstance(v, datetime):
            v = v.date()
        elif isinstance(v, str):
            v = date.fromisoformat(v.strip())
        out.add(v)
    return frozenset(out)


def calendar() -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, make-up working days) from the configuration: ``PUBLIC_HOLIDAYS`` and
    ``MAKEUP_WORKDAYS``, lists of dates or ISO date strings (none by default: only
    weekends are skipped, see app.core.workdays)."""
    config = current_app.config
    return _dates(config.get("PUBLIC_HOLIDAYS")), _dates(config.get("MAKEUP_WORKDAYS"))


def _text(value: Any, label: str, field_name: str, *, max_len: int, min_len: int = 0,
          required: bool = False) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if CONTROL_CHARS.search(value):
        raise ValidationError(_("%(label)s不能包含控制字符。", label=label), field=field_name)
    if required and not value:
        raise ValidationError(_("请填写%(label)s。", label=label), field=field_name)
    if value and len(value) < min_len:
        raise ValidationError(_("%(label)s至少 %(min)s 个字。", label=label, min=min_len), field=field_name)
    if len(value) > max_len:
        raise ValidationError(_("%(label)s不能超过 %(max)s 个字。", label=label, max=max_len), field=field_name)
    return value


def _id(value: Any) -> int | None:
    """A submitted id: None for "", "0" or None; an int for digits; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    value = str(value).strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise ValueError
    return int(value)


# --- lookups ------------------------------------------------------------------------------
# Lists show a call's title and funder and an organization's name: the call's categories and
# service targets and the organization's targets (loaded "selectin" by default) stay unloaded.

def _call_only(path):
    return (path.lazyload(Call.category_rows), path.lazyload(Call.target_rows))


def _application_only(path):
    return (*_call_only(path.defaultload(Application.call)),
            path.defaultload(Application.organization).lazyload(Organization.target_rows))


def get_notice(call_id: int) -> Notice | None:
    """The notice of a call (its call loaded), None when it has none or the id is absurd."""
    if not 0 < call_id <= MAX_ID:
        return None
    return db.session.scalar(select(Notice).where(Notice.call_id == call_id)
                             .options(*_call_only(defaultload(Notice.call))))


def get_objection(objection_id: int) -> Objection | None:
    if not 0 < objection_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Objection).where(Objection.id == objection_id)
        .options(joinedload(Objection.notice).joinedload(Notice.call)))


def get_award(award_id: int) -> Award | None:
    if not 0 < award_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Award).where(Award.id == award_id)
        .options(joinedload(Award.application).selectinload(Application.community_rows)))


def _outcomes_query(call: Call) -> Select:
    return (select(ReviewOutcome).where(ReviewOutcome.call_id == call.id)
            .options(joinedload(ReviewOutcome.application).selectinload(Application.community_rows)
                     .joinedload(ApplicationCommunity.community),
                     *_application_only(defaultload(ReviewOutcome.application)))
            .order_by(ReviewOutcome.rank, ReviewOutcome.application_id))


def outcomes(call: Call) -> list[ReviewOutcome]:
    """Every review outcome of the call, by rank (the applications and their communities
    loaded in two queries)."""
    return list(db.session.scalars(_outcomes_query(call)).unique())


# --- publishing ----------------------------------------------------------------------------

def publish_problems(call: Call) -> list[str]:
    """Why the notice cannot be published now (empty: it can)."""
    if get_notice(call.id) is not None:
        return [_("该征集的拟立项名单已经公示，不能重复发布。")]
    if call.status != CallStatus.REVIEWING:
        return [_("征集当前处于“%(status)s”阶段，只有在“专家评审”阶段、评审结束后才能发布公示。",
                  status=call.status.label)]
    panel = db.session.scalar(select(Panel).where(Panel.call_id == call.id))
    if panel is None:
        return [_("该征集还没有组建评审小组，没有可公示的评审结果。")]
    if not panel.is_finalized:
        return [_("评审小组尚未确认评审结果（评审组长完成评审后才能公示）。")]
    problems = []
    counted = db.session.scalar(select(func.count(ReviewOutcome.id)).where(ReviewOutcome.call_id == call.id)) or 0
    if not counted:
        problems.append(_("还没有评审结果（排名与拟资助金额），请先生成评审结果。"))
    missing = db.session.scalar(
        select(func.count(Application.id)).where(
            Application.call_id == call.id, Application.status == ApplicationStatus.SCORED,
            ~select(ReviewOutcome.id).where(ReviewOutcome.application_id == Application.id).exists())) or 0
    if missing:
        problems.append(_("%(n)s 份已评分的申报书还没有评审结果，请重新生成评审结果。", n=missing))
    return problems


def preview_period(call: Call, now: datetime | None = None) -> tuple[datetime, datetime]:
    """(starts_at, ends_at) of a notice published at ``now``."""
    holidays, workdays = calendar()
    return notice_period(now or utcnow(), call.notice_working_days, holidays, workdays)


def default_intro(call: Call) -> str:
    return _("经形式审查和专家评审，“%(call)s”拟立项项目已经确定，现予以公示。公示期为 %(n)s 个工作日。"
             "公示期间，任何单位和个人对拟立项项目有异议的，可以在本页面提交异议，或通过下方联系方式反映；"
             "请写明异议的项目和事实理由，并留下联系方式以便核实答复。我们将逐条答复，答复内容在本页面公开。",
             call=call.title, n=call.notice_working_days)


def default_contact(call: Call) -> str:
    funder = call.funder
    if funder.contact_phone:
        return _("%(funder)s，电话 %(phone)s", funder=funder.name, phone=funder.contact_phone)[:CONTACT_MAX]
    return funder.name[:CONTACT_MAX]


def publish_notice(actor: Any, call: Call, intro: Any, contact: Any, now: datetime | None = None) -> Notice:
    """Publish the recommended list (公示): applications scored → recommended / not
    recommended, the Notice written, the call moved to ``notice``."""
    require(actor, "notice.manage", call)
    now = now or utcnow()
    intro = _text(intro, _("公示说明"), "intro", max_len=INTRO_MAX)
    contact = _text(contact, _("异议受理联系方式"), "contact", max_len=CONTACT_MAX, required=True)
    problems = publish_problems(call)
    if problems:
        raise Conflict(" ".join(problems))
    holidays, workdays = calendar()
    started, ends = notice_period(now, call.notice_working_days, holidays, workdays)
    notice = Notice(call_id=call.id, intro=intro, contact=contact, published_at=started, ends_at=ends,
                    working_days=call.notice_working_days, published_by_id=getattr(actor, "id", None))
    try:
        # One notice per call (UNIQUE): a second officer publishing at the same moment is refused.
        with db.session.begin_nested():
            db.session.add(notice)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("该征集的拟立项名单已经公示，不能重复发布。")) from None
    recommended = not_recommended = 0
    for outcome in outcomes(call):
        application = outcome.application
        if application.status != ApplicationStatus.SCORED:
            continue  # withdrawn after scoring: not on the list
        if outcome.recommended:
            transition(application, ApplicationStatus.RECOMMENDED, actor, reason=_("公示拟立项"))
            recommended += 1
        else:
            transition(application, ApplicationStatus.NOT_RECOMMENDED, actor, reason=_("评审未入围"))
            not_recommended += 1
    db.session.flush()
    audit.record(actor, "notice.publish", notice, after={
        "call_id": call.id, "published_at": started, "ends_at": ends, "working_days": notice.working_days,
        "recommended": recommended, "not_recommended": not_recommended, "contact": contact})
    from app.calls.services import advance

    advance(actor, call, CallStatus.NOTICE, now)
    return notice


@subscribe("call.advancing")
def _notice_steps_cannot_be_skipped(call: Call, to: CallStatus, now: datetime, **_kw) -> None:
    """Into ``notice`` only by publishing the list; into ``awarded`` only by closing the
    notice (which makes the awards) — never by the generic "next phase" button."""
    if to == CallStatus.NOTICE:
        if get_notice(call.id) is None:
            raise Conflict(_("请通过“发布公示”发布拟立项名单，征集会随之进入公示阶段。"))
    elif to == CallStatus.AWARDED:
        notice = get_notice(call.id)
        if notice is None or notice.closed_at is None:
            raise Conflict(_("请在公示期满、所有异议答复完毕后通过“结束公示并立项”作出立项决定，"
                             "征集会随之进入已立项阶段。"))


# --- the notice while it runs ---------------------------------------------------------------

def is_running(notice: Notice, now: datetime | None = None) -> bool:
    """Objections are accepted: published, not past its end, not closed, and the call
    still in its notice phase (not cancelled)."""
    now = now or utcnow()
    return (notice.closed_at is None and notice.call.status == CallStatus.NOTICE
            and notice.published_at <= now <= notice.ends_at)


def remaining_working_days(notice: Notice, now: datetime | None = None) -> int | None:
    """Working days after today up to the last day of the notice (0 on the last day);
    None once it has ended."""
    now = now or utcnow()
    if not is_running(notice, now):
        return None
    holidays, workdays = calendar()
    return max(0, working_days_between(beijing_date(now), beijing_date(notice.ends_at), holidays, workdays))


@dataclass
class NoticeRow:
    """One line of the public list (公示名单), SPEC §3.3."""

    rank: int
    application: Application
    final_score: Decimal
    amount_fen: int
    fund_source: str
    cancelled: bool
    communities: list[str] = field(default_factory=list)
    credit_bonus: Decimal = Decimal("0")   # included in final_score (Call.credit_bonus_max)

    @property
    def title(self) -> str:
        return self.application.title

    @property
    def organization(self) -> str:
        return self.application.organization.name

    @property
    def status_label(self) -> str:
        if self.cancelled:
            return _("异议成立，已取消")
        status = self.application.status
        if status == ApplicationStatus.AWARDED:
            return _("已立项")
        if status == ApplicationStatus.WITHDRAWN:
            return _("已撤回")
        if status in (ApplicationStatus.NOT_RECOMMENDED, ApplicationStatus.REJECTED):
            return _("已取消")
        return _("拟立项")

    @property
    def standing(self) -> bool:
        """Still recommended (or awarded)."""
        return not self.cancelled and self.application.status in (ApplicationStatus.RECOMMENDED,
                                                                  ApplicationStatus.AWARDED)


def notice_rows(call: Call, all_outcomes: list[ReviewOutcome] | None = None) -> list[NoticeRow]:
    """The recommended list of the call, by rank: every recommendation made by the review
    (cancelled ones stay on the list, marked). Two queries whatever the length (none when
    the call's outcomes are given)."""
    fund_source = call.funder.name  # until fund sources exist (issue 5)
    rows = []
    for outcome in (outcomes(call) if all_outcomes is None else all_outcomes):
        if not outcome.recommended:
            continue
        application = outcome.application
        rows.append(NoticeRow(
            rank=outcome.rank, application=application, final_score=outcome.final_score,
            amount_fen=outcome.amount_fen, fund_source=fund_source,
            cancelled=outcome.cancelled_by_objection,
            communities=[c.name for c in application.communities], credit_bonus=outcome.credit_bonus))
    return rows


def objections(notice: Notice) -> list[Objection]:
    """The notice's objections, oldest first, with the projects they name (one query)."""
    return list(db.session.scalars(
        select(Objection).where(Objection.notice_id == notice.id).order_by(Objection.id)).unique())


def open_objection_count(notice: Notice) -> int:
    return db.session.scalar(select(func.count(Objection.id)).where(
        Objection.notice_id == notice.id, Objection.status == ObjectionStatus.OPEN)) or 0


@dataclass
class PanelExpert:
    name: str
    title: str
    employer: str
    is_chair: bool


def panel_experts(call: Call, now: datetime | None = None, notice: Notice | None = None) -> list[PanelExpert]:
    """The names (title, employer) of the call's panel, chair first — public once the
    notice (given, or looked up) has started, never before; never any per-reviewer score."""
    now = now or utcnow()
    notice = notice or get_notice(call.id)
    if notice is None or notice.published_at > now:
        return []
    chair_first = case((PanelMember.role == PanelRole.CHAIR, 0), else_=1)
    rows = db.session.execute(
        select(User.name, Expert.title, Expert.employer, PanelMember.role)
        .join(Expert, Expert.user_id == User.id)
        .join(PanelMember, PanelMember.expert_id == Expert.id)
        .join(Panel, Panel.id == PanelMember.panel_id)
        .where(Panel.call_id == call.id)
        .order_by(chair_first, PanelMember.id)).all()
    return [PanelExpert(name, title, employer, role == PanelRole.CHAIR) for name, title, employer, role in rows]


# --- objections -------------------------------------------------------------------------------

def _clean_contact(value: Any) -> str:
    contact = _text(value, _("联系方式"), "contact", max_len=OBJECTOR_CONTACT_MAX, required=True)
    if not (_PHONE.match(contact) or _EMAIL.match(contact)):
        raise ValidationError(_("请填写有效的电话号码或电子邮箱（半角字符），以便我们核实和答复。"), field="contact")
    return contact


def listed_application_ids(call: Call) -> set[int]:
    return set(db.session.scalars(select(ReviewOutcome.application_id).where(
        ReviewOutcome.call_id == call.id, ReviewOutcome.recommended.is_(True))))


def file_objection(notice: Notice, name: Any, contact: Any, content: Any, application_id: Any = None,
                   now: datetime | None = None) -> Objection:
    """异议: anyone, while the notice runs. ``application_id`` names a project on the list;
    None (or "") objects to the list as a whole."""
    now = now or utcnow()
    if now < notice.published_at and notice.closed_at is None:
        raise Conflict(_("公示尚未开始。"))
    if not is_running(notice, now):
        raise Conflict(_("公示期已结束，不再受理异议。"))
    name = _text(name, _("姓名"), "name", max_len=OBJECTOR_NAME_MAX, required=True)
    contact = _clean_contact(contact)
    content = _text(content, _("异议内容"), "content", max_len=OBJECTION_MAX, min_len=OBJECTION_MIN, required=True)
    try:
        target = _id(application_id)
    except ValueError:
        target = -1
    if target is not None and target not in listed_application_ids(notice.call):
        raise ValidationError(_("请从公示名单中选择异议针对的项目，或选择“整体名单”。"), field="application_id")
    objection = Objection(notice_id=notice.id, application_id=target, name=name, contact=contact,
                          content=content, submitted_at=now, status=ObjectionStatus.OPEN)
    db.session.add(objection)
    db.session.flush()
    # The contact is private: it stays out of the audit trail, which auditors read.
    audit.record(None, "objection.file", objection, after={
        "notice_id": notice.id, "application_id": target, "name": name, "content": content})
    emit("notice.objection_filed", objection=objection)
    return objection


def answer_objection(actor: Any, objection: Objection, upheld: bool | None, answer: Any,
                     now: datetime | None = None) -> Objection:
    """The officer's public answer. Upheld against a recommended project: that
    recommendation is cancelled (拟立项 → 未入围) and the outcome marked."""
    notice = objection.notice
    call = notice.call
    require(actor, "notice.manage", call)
    now = now or utcnow()
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict(_("该异议已经答复，不能重复答复。"))
    if notice.closed_at is not None or call.status != CallStatus.NOTICE:
        raise Conflict(_("公示已经结束，不能再答复异议。"))
    if not isinstance(upheld, bool):
        raise ValidationError(_("请选择异议是否成立。"), field="decision")
    answer = _text(answer, _("答复"), "answer", max_len=ANSWER_MAX, min_len=ANSWER_MIN, required=True)
    # Only an open objection is answered: two officers answering at once, the second is refused.
    answered = db.session.execute(
        update(Objection).where(Objection.id == objection.id, Objection.status == ObjectionStatus.OPEN)
        .values(status=ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED, answer=answer,
                answered_at=now, answered_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False))
    if answered.rowcount != 1:
        raise Conflict(_("该异议已经答复，不能重复答复。"))
    db.session.refresh(objection)
    cancelled = False
    application = objection.application
    if upheld and application is not None and application.status == ApplicationStatus.RECOMMENDED:
        outcome = db.session.scalar(select(ReviewOutcome).where(ReviewOutcome.application_id == application.id))
        if outcome is not None:
            outcome.cancelled_by_objection = True
        transition(application, ApplicationStatus.NOT_RECOMMENDED, actor,
                   reason=_("公示期异议成立，取消拟立项：%(answer)s", answer=answer))
        cancelled = True
    db.session.flush()
    audit.record(actor, "objection.answer", objection, before={"status": ObjectionStatus.OPEN},
                 after={"status": objection.status, "answer": answer, "cancelled_application_id":
                        application.id if cancelled else None})
    emit("notice.objection_answered", objection=objection, actor=actor, cancelled=cancelled)
    return objection


# --- closing: the award decision --------------------------------------------------------------

def close_problems(call: Call, notice: Notice, now: datetime | None = None) -> list[str]:
    """Why the notice cannot be closed now (empty: it can)."""
    now = now or utcnow()
    if notice.closed_at is not None:
        return [_("公示已于 %(time)s（北京时间）结束。", time=beijing(notice.closed_at))]
    if call.status != CallStatus.NOTICE:
        return [_("征集当前处于“%(status)s”阶段，不能结束公示。", status=call.status.label)]
    problems = []
    if now <= notice.ends_at:
        problems.append(_("公示期至 %(time)s（北京时间）结束，期满后才能结束公示并作出立项决定。",
                          time=beijing(notice.ends_at)))
    waiting = open_objection_count(notice)
    if waiting:
        problems.append(_("还有 %(n)s 条异议尚未答复，请全部答复后再结束公示。", n=waiting))
    return problems


def award_number(call: Call, year: int, seq: int) -> str:
    """立项编号: GY<year>-<call id, 4 digits>-<sequence, 3 digits>, e.g. GY2026-0007-001.
    Unique: one call closes once, and the sequence is per call."""
    return f"GY{year}-{call.id:04d}-{seq:03d}"


def close_notice(actor: Any, call: Call, now: datetime | None = None) -> list[Award]:
    """End the notice and decide: one Award per recommendation still standing (amount =
    the recommended amount, after any adjustment), the rest rejected; the call → awarded."""
    require(actor, "notice.manage", call)
    now = now or utcnow()
    notice = get_notice(call.id)
    if notice is None:
        raise Conflict(_("该征集还没有发布公示。"))
    problems = close_problems(call, notice, now)
    if problems:
        raise Conflict(" ".join(problems))
    # Close once: of two officers closing at the same moment, the second is refused here.
    closing = db.session.execute(
        update(Notice).where(Notice.id == notice.id, Notice.closed_at.is_(None))
        .values(closed_at=now, closed_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False))
    if closing.rowcount != 1:
        raise Conflict(_("公示已经结束，立项决定已经作出。"))
    db.session.refresh(notice)
    year = beijing_date(now).year
    awards: list[Award] = []
    rejected: list[Application] = []
    for outcome in outcomes(call):
        application = outcome.application
        if application.status == ApplicationStatus.RECOMMENDED:
            if outcome.amount_fen <= 0:
                raise Conflict(_("“%(title)s”的拟资助金额为零，无法立项，请核对评审结果。", title=application.title))
            award = Award(number=award_number(call, year, len(awards) + 1), call_id=call.id,
                          application_id=application.id, organization_id=application.organization_id,
                          amount_fen=outcome.amount_fen, final_score=outcome.final_score, rank=outcome.rank,
                          awarded_at=now, awarded_by_id=getattr(actor, "id", None))
            db.session.add(award)
            transition(application, ApplicationStatus.AWARDED, actor, reason=_("公示期满，予以立项"))
            awards.append(award)
        elif application.status == ApplicationStatus.NOT_RECOMMENDED:
            transition(application, ApplicationStatus.REJECTED, actor, reason=_("公示期满，未予立项"))
            rejected.append(application)
    db.session.flush()
    audit.record(actor, "notice.close", notice, after={
        "closed_at": now, "awards": [[a.number, a.application_id, a.amount_fen] for a in awards],
        "rejected": [a.id for a in rejected]})
    from app.calls.services import advance

    advance(actor, call, CallStatus.AWARDED, now)
    emit("awards.decided", call=call, awards=awards, rejected=rejected, actor=actor)
    return awards


# --- public lists -------------------------------------------------------------------------------

def notices_query(q: str | None = None) -> Select:
    """Every published notice, newest first; ``q`` searches the call's title and the funder."""
    stmt = (select(Notice).join(Call, Call.id == Notice.call_id).join(Funder, Funder.id == Call.funder_id)
            .options(*_call_only(defaultload(Notice.call))))
    if q:
        needle = q.lower()
        stmt = stmt.where(or_(func.lower(Call.title).contains(needle, autoescape=True),
                              func.lower(Funder.name).contains(needle, autoescape=True)))
    return stmt.order_by(Notice.published_at.desc(), Notice.id.desc())


def objection_counts(notice_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """notice id → (objections, still open), in one query."""
    ids = list(notice_ids)
    if not ids:
        return {}
    is_open = func.sum(case((Objection.status == ObjectionStatus.OPEN, 1), else_=0))
    rows = db.session.execute(
        select(Objection.notice_id, func.count(Objection.id), is_open)
        .where(Objection.notice_id.in_(ids)).group_by(Objection.notice_id)).all()
    return {notice_id: (int(total), int(waiting or 0)) for notice_id, total, waiting in rows}


def _year_range(year: int) -> tuple[datetime, datetime]:
    start = datetime(year, 1, 1, tzinfo=CHINA).astimezone(timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(timezone.utc)
    return start, end


def public_awards(q: str | None = None, call_id: int | None = None, region_id: int | None = None,
                  year: int | None = None) -> Select:
    """The public award list (立项名单), filtered: ``q`` matches the organization or the
    project; ``region_id`` keeps projects whose organization or a service community lies in
    that region; ``year`` is the Beijing year of the decision. Newest decisions first,
    then by rank. Rows come with their application, organization, call and communities."""
    stmt = (select(Award)
            .join(Application, Application.id == Award.application_id)
            .join(Organization, Organization.id == Award.organization_id)
            .options(joinedload(Award.application).selectinload(Application.community_rows),
                     *_application_only(defaultload(Award.application)), *_call_only(defaultload(Award.call)),
                     defaultload(Award.organization).lazyload(Organization.target_rows)))
    if q:
        needle = q.lower()
        stmt = stmt.where(or_(func.lower(Organization.name).contains(needle, autoescape=True),
                              func.lower(Application.title).contains(needle, autoescape=True)))
    if call_id is not None:
        stmt = stmt.where(Award.call_id == call_id)
    if region_id is not None:
        path = select(Region.path).where(Region.id == region_id).scalar_subquery()
        home = select(Region.id).where(Region.id == Organization.home_community_id,
                                       Region.path.startswith(path))
        served = (select(ApplicationCommunity.application_id)
                  .join(Region, Region.id == ApplicationCommunity.community_id)
                  .where(ApplicationCommunity.application_id == Award.application_id,
                         Region.path.startswith(path)))
        stmt = stmt.where(or_(home.exists(), served.exists()))
    if year is not None:
        start, end = _year_range(year)
        stmt = stmt.where(Award.awarded_at >= start, Award.awarded_at < end)
    return stmt.order_by(Award.awarded_at.desc(), Award.call_id.desc(), Award.rank, Award.id)


@dataclass
class AwardFilterChoices:
    calls: list[tuple[int, str]]
    regions: list[tuple[int, str]]
    years: list[int]


def award_filter_choices() -> AwardFilterChoices:
    """Calls with awards, the counties their organizations and communities lie in, and the
    years of the decisions (three queries)."""
    calls = db.session.execute(
        select(Call.id, Call.title).where(select(Award.id).where(Award.call_id == Call.id).exists())
        .order_by(Call.id.desc())).all()
    # The county of a region is the ancestor at depth 3 of its path "/p/f/c/…".
    paths = set(db.session.scalars(
        select(Region.path).join(Organization, Organization.home_community_id == Region.id)
        .join(Award, Award.organization_id == Organization.id)))
    paths |= set(db.session.scalars(
        select(Region.path).join(ApplicationCommunity, ApplicationCommunity.community_id == Region.id)
        .join(Award, Award.application_id == ApplicationCommunity.application_id)))
    county_ids = set()
    for path in paths:
        parts = [p for p in path.strip("/").split("/") if p.isdigit()]
        if len(parts) >= 3:
            county_ids.add(int(parts[2]))
    regions = []
    if county_ids:
        regions = [(r.id, r.name) for r in db.session.scalars(
            select(Region).where(Region.id.in_(county_ids), Region.level == RegionLevel.COUNTY)
            .order_by(Region.code))]
    stamps = db.session.scalars(select(Award.awarded_at)).all()
    years = sorted({beijing_date(s).year for s in stamps}, reverse=True)
    return AwardFilterChoices([(i, t) for i, t in calls], regions, years)


def award_totals(call: Call) -> tuple[int, int]:
    """(number of awards, total awarded fen) of a call."""
    count, total = db.session.execute(
        select(func.count(Award.id), func.coalesce(func.sum(Award.amount_fen), 0)).where(Award.call_id == call.id)
    ).one()
    return int(count), int(total)


@dataclass
class PublishedResult:
    """What an application's own page shows of the review once the list is public (the
    notice has started): never per-reviewer scores."""

    final_score: Decimal
    rank: int
    recommended: bool
    amount_fen: int
    cancelled: bool
    reason_code: str
    award: Award | None


def published_result(application: Application) -> PublishedResult | None:
    """The review result of ``application`` once its call's notice has been published,
    else None (before that only the funder's staff see scores, on the results page)."""
    if application.call.status not in (CallStatus.NOTICE, CallStatus.AWARDED, CallStatus.CLOSED):
        return None
    outcome = db.session.scalar(select(ReviewOutcome).where(ReviewOutcome.application_id == application.id))
    if outcome is None:
        return None
    award = db.session.scalar(select(Award).where(Award.application_id == application.id))
    return PublishedResult(final_score=outcome.final_score, rank=outcome.rank, recommended=outcome.recommended,
                           amount_fen=outcome.amount_fen, cancelled=outcome.cancelled_by_objection,
                           reason_code=outcome.reason_code, award=award)

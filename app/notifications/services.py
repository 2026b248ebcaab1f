"""Notifications (消息通知): the in-app inbox and the email that goes out beside it.

`notify()` is the one way to tell a user something: it writes the inbox row and queues
the email, which is sent only when the transaction commits. Texts are stored as written
(Chinese, the platform's language), whoever caused them.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.core.db import utcnow
from app.core.errors import PermissionDenied
from app.core.mail import queue_email
from app.core.urls import is_local_path
from app.extensions import db
from app.notifications.models import Notification

CHINA = ZoneInfo("Asia/Shanghai")
REMINDER_WINDOW = timedelta(hours=48)
_TITLE_MAX = 200
_LINK_MAX = 300


def china_time(value: datetime) -> str:
    """A UTC timestamp as Beijing time, e.g. "2026-05-01 17:00"."""
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_safe_link(link: str | None) -> bool:
    """Only a path on this site (app.core.urls.is_local_path)."""
    return is_local_path(link)


def full_url(link: str) -> str:
    """The link as an absolute address for an email (config BASE_URL)."""
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    return f"{base}{link}"


def notify(user: User, kind: str, title: str, body: str, link: str, *,
           dedupe_key: str | None = None, email: bool = True) -> Notification | None:
    """Add a notification to `user`'s inbox and queue the email.

    Nothing happens for a deactivated account, nor when a notification with the same
    `dedupe_key` already exists for the user (checked first, and the UNIQUE constraint
    settles a race inside a savepoint). Returns the new row, or None.
    """
    if user is None or not user.is_active:
        return None
    if dedupe_key is not None:
        exists = db.session.scalar(select(Notification.id).where(
            Notification.user_id == user.id, Notification.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    link = link if is_safe_link(link) and len(link) <= _LINK_MAX else ""
    notification = Notification(user_id=user.id, kind=kind, title=shorten(title, _TITLE_MAX),
                                body=body or "", link=link, dedupe_key=dedupe_key, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(notification)
            db.session.flush()
    except IntegrityError:
        # Another transaction wrote the same (user, dedupe_key) in between.
        return None
    if email and user.email:
        text = notification.body
        if link:
            text += f"\n\n查看详情：{full_url(link)}"
        queue_email(db.session, user.email, notification.title, text)
    return notification


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def inbox(user: User, unread_only: bool = False, q: str | None = None) -> Select:
    """The user's notifications, newest first; optionally unread only or matching `q`."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if q:
        needle = q.strip().lower()
        query = query.where(or_(func.lower(Notification.title).contains(needle, autoescape=True),
                                func.lower(Notification.body).contains(needle, autoescape=True)))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def mark_read(user: User, notification: Notification) -> None:
    if notification.user_id != user.id:
        raise PermissionDenied(_("您没有权限执行此操作。"))
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of `user` read; returns how many were unread."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


# --- who hears about an application -------------------------------------------------

def organization_members(organization_id: int) -> list[User]:
    from app.orgs.models import OrgMembership

    return list(db.session.scalars(
        select(User).join(OrgMembership, OrgMembership.user_id == User.id)
        .where(OrgMembership.organization_id == organization_id, User.is_active_account.is_(True))
        .order_by(User.id)).unique())


def staff_with_role(funder_id: int, role) -> list[User]:
    from app.funders.models import StaffMembership

    return list(db.session.scalars(
        select(User).join(StaffMembership, StaffMembership.user_id == User.id)
        .where(StaffMembership.funder_id == funder_id, StaffMembership.role == role,
               User.is_active_account.is_(True))
        .order_by(User.id)).unique())


def program_officers(funder_id: int) -> list[User]:
    from app.funders.models import StaffRole

    return staff_with_role(funder_id, StaffRole.PROGRAM_OFFICER)


def finance_officers(funder_id: int) -> list[User]:
    from app.funders.models import StaffRole

    return staff_with_role(funder_id, StaffRole.FINANCE_OFFICER)


def application_link(application) -> str:
    return f"/applications/{application.id}"


def project_title(application) -> str:
    return shorten(application.title, 60) if application.title else "（未命名申报书）"


# --- deadline reminders (`flask notify due`) -----------------------------------------

def send_due_reminders(now: datetime) -> int:
    """Remind each member of an organization whose draft is not submitted while its call
    closes within 48 hours (and has not closed yet). Once per application and member:
    running it again sends nothing new. Returns how many notifications were created."""
    from app.applications.models import Application, ApplicationStatus
    from app.calls.models import Call, CallStatus

    drafts = db.session.scalars(
        select(Application).join(Call, Call.id == Application.call_id)
        .where(Application.status == ApplicationStatus.DRAFT, Call.status == CallStatus.OPEN,
               Call.deadline_at > now, Call.deadline_at <= now + REMINDER_WINDOW)
        .order_by(Application.id)).unique().all()
    created = 0
    for application in drafts:
        call = application.call
        hours = int((call.deadline_at - now).total_seconds() // 3600)
        title = f"申报即将截止：{shorten(call.title, 80)}"
        body = (f"您的组织“{application.organization.name}”在“{call.title}”中的申报书"
                f"《{project_title(application)}》尚未提交。征集将于 {china_time(call.deadline_at)}"
                f"（北京时间）截止，距今约 {hours} 小时。请尽快完善并提交，逾期系统将不再接收。")
        for member in organization_members(application.organization_id):
            if notify(member, "application.deadline", title, body, application_link(application),
                      dedupe_key=f"deadline48:{application.id}"):
                created += 1
    return created

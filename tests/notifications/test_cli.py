"""`flask notify due`: the cron-friendly reminder command."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.calls.models import CallStatus
from app.core.db import utcnow
from app.notifications.models import Notification
from tests.factories import add_member, make_application, make_call, make_funder, make_org, make_user


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


def test_notify_due_sends_once_and_prints_only_the_count(app, db, outbox):
    owner, member = make_user(), make_user()
    org = make_org(owner=owner)
    add_member(org, member)
    now = utcnow()
    soon = make_call(make_funder(), status=CallStatus.OPEN, opens_at=now - timedelta(days=5),
                     deadline_at=now + timedelta(hours=20))
    make_application(soon, org)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["notify", "due"])
    assert result.exit_code == 0, result.output
    assert result.output == "sent 2 reminders\n"
    assert _count(db) == 2 and len(outbox) == 2  # committed, so the emails went out

    again = runner.invoke(args=["notify", "due"])
    assert again.exit_code == 0 and again.output == "sent 0 reminders\n"
    assert _count(db) == 2 and len(outbox) == 2


def test_notify_due_with_nothing_to_do(app, db):
    result = app.test_cli_runner().invoke(args=["notify", "due"])
    assert result.exit_code == 0 and result.output == "sent 0 reminders\n"


def test_notify_due_also_reminds_of_project_reports_due_soon(app, db):
    """A progress report due in three days reminds the organization's members, once."""
    from datetime import date

    from app.applications.models import ApplicationStatus
    from app.money.models import AgreementStatus
    from tests.factories import make_agreement, make_award, make_report

    owner = make_user()
    org = make_org(owner=owner)
    call = make_call(make_funder(), status=CallStatus.AWARDED)
    award = make_award(make_application(call, org, status=ApplicationStatus.AWARDED))
    agreement = make_agreement(award, status=AgreementStatus.SIGNED)
    # Half-way through the term in three days: the progress report is due then.
    agreement.starts_on, agreement.ends_on = date.today() - timedelta(days=180), date.today() + timedelta(days=186)
    make_report(award, due_on=date.today() + timedelta(days=3))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notify", "due"])
    assert result.exit_code == 0 and result.output == "sent 1 reminders\n", result.output
    note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    assert "中期报告" in note.title
    assert runner.invoke(args=["notify", "due"]).output == "sent 0 reminders\n"

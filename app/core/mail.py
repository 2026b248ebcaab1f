"""Email after commit: services queue messages on the session; they go out only when
the transaction commits (and are dropped on rollback).

With `MAIL_SERVER` set they are sent over SMTP (Flask-Mail); otherwise they are written
to the log, which is how development and the demo show them.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_mail import Mail, Message
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

mail = Mail()


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def queue_email(session: Session, to: str, subject: str, body: str) -> None:
    # The message belongs to the current transaction: begin one so that a rollback
    # (even one with no SQL before it) drops the message.
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()
    session.info.setdefault("outbox", []).append(Email(to, subject, body))


def _deliver(message: Email) -> None:
    app = current_app._get_current_object()
    sent = app.extensions.setdefault("gongyi_sent_mail", [])
    sent.append(message)
    if app.config.get("MAIL_SERVER"):
        mail.send(Message(subject=message.subject, recipients=[message.to], body=message.body))
    else:
        app.logger.info("EMAIL to=%s subject=%s\n%s", message.to, message.subject, message.body)


@event.listens_for(Session, "after_commit")
def _send_outbox(session: Session) -> None:
    # A released SAVEPOINT is reported as a commit too: mail goes only with the real one.
    if session.in_nested_transaction():
        return
    outbox = session.info.pop("outbox", [])
    if not outbox or not has_app_context():
        return
    for message in outbox:
        try:
            _deliver(message)
        except Exception:  # a mail failure must not undo a committed change
            current_app.logger.exception("sending email to %s failed", message.to)


@event.listens_for(Session, "after_soft_rollback")
def _drop_outbox(session: Session, previous_transaction) -> None:
    # Only when the session's outermost transaction is rolled back; a rolled-back
    # SAVEPOINT inside a request keeps what was queued before it.
    if previous_transaction.parent is None:
        session.info.pop("outbox", None)

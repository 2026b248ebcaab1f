"""`flask` commands: users, audit, demo, notify, backup, restore."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.errors import DomainError

users_cli = AppGroup("users", help="Manage accounts.")
audit_cli = AppGroup("audit", help="Audit log.")
demo_cli = AppGroup("demo", help="Realistic demo data.")
notify_cli = AppGroup("notify", help="Scheduled notifications.")

ROLE_CHOICES = ["admin", "program_officer", "finance_officer", "auditor", "applicant"]


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="", help="Display name (defaults to the email's local part).")
@click.option("--role", type=click.Choice(ROLE_CHOICES), default="applicant", show_default=True)
@click.option("--funder", "funder_id", type=int, help="Funder id for a staff role.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(email: str, name: str, role: str, funder_id: int | None, password: str) -> None:
    """Create a confirmed account, e.g. `flask users create --email a@b.cn --role admin`."""
    from app.admin.services import create_user_with_role
    from app.extensions import db

    try:
        user = create_user_with_role(None, email=email, name=name or email.split("@")[0],
                                     password=password, role=role, funder_id=funder_id)
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}> role={role}")


@audit_cli.command("verify")
def verify_audit() -> None:
    """Recompute the hash chain and name the first broken row."""
    from app.core.audit import verify_chain

    report = verify_chain()
    if report.ok:
        click.echo(f"audit chain OK: {report.checked} rows, head {report.head_hash}")
        return
    click.echo(f"audit chain BROKEN at row {report.broken_id}: {report.reason} "
               f"({report.checked} rows verified before it)", err=True)
    raise SystemExit(1)


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo data (idempotent: running it twice changes nothing)."""
    from app.demo import load
    from app.extensions import db

    summary = load()
    db.session.commit()
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@demo_cli.command("load-if-empty")
def load_demo_if_empty() -> None:
    """Load the demo data only into a database without users (used by `make run`)."""
    from sqlalchemy import func, select

    from app.auth.models import User
    from app.demo import load
    from app.extensions import db

    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("database already has data; demo not loaded")
        return
    summary = load()
    db.session.commit()
    click.echo("demo data loaded: " + ", ".join(f"{k}={v}" for k, v in summary.items()))


@notify_cli.command("due")
def notify_due() -> None:
    """Reminders: drafts 48 hours before a call closes; project reports due within 7 days
    and overdue ones.

    Meant for cron (e.g. hourly): running it again sends nothing twice."""
    from app.core.db import utcnow
    from app.extensions import db
    from app.notifications.services import send_due_reminders
    from app.reports.services import send_report_reminders

    now = utcnow()
    sent = send_due_reminders(now)
    sent += send_report_reminders(now)
    db.session.commit()
    click.echo(f"sent {sent} reminders")


@click.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Archive path (default instance/backups/gongyi-YYYYmmdd-HHMMSS.tar.gz).")
def backup_command(output: str | None) -> None:
    """Write the database and the uploads to one .tar.gz archive."""
    from flask import current_app

    from app.core.backup import create_backup, default_backup_path

    path = output or default_backup_path(current_app.instance_path)
    try:
        summary = create_backup(path)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"backup written: {summary['path']} ({summary['size']} bytes)")
    click.echo(f"alembic revision: {summary['alembic_revision']}")
    for table, rows in summary["row_counts"].items():
        click.echo(f"  {table}: {rows} rows")
    click.echo(f"uploads: {summary['uploads']} files, {summary['upload_bytes']} bytes")
    click.echo(f"audit head: {summary['audit_head_hash']}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore_command(path: str) -> None:
    """Restore an archive made by `flask backup` into an EMPTY database that `flask db
    upgrade` has migrated to the same revision."""
    from app.core.backup import restore_backup

    try:
        summary = restore_backup(path)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"restored backup of {summary['created_at']} (revision {summary['alembic_revision']})")
    for table, rows in summary["row_counts"].items():
        click.echo(f"  {table}: {rows} rows")
    click.echo(f"uploads: {summary['uploads']} files written "
               f"({summary['uploads_in_archive']} in the archive)")
    click.echo(f"audit chain OK: {summary['audit_rows']} rows, head {summary['audit_head_hash']}")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)

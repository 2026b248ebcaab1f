"""`flask backup` / `flask restore`: the database and the uploads round-trip with nothing
lost, into a fresh database built by Alembic; unsuitable targets and tampered archives are
refused with nothing written."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tarfile
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import JSON, create_engine, func, null, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from app.auth.models import User
from app.core import audit
from app.core.audit import AuditEntry
from app.core.backup import BackupError, alembic_revision, create_backup, restore_backup
from app.core.db import utcnow
from app.extensions import db as _db
from app.regions.models import RegionLevel
from config import TestingConfig
from tests.factories import (make_funder, make_invitation, make_org, make_region, make_staff,
                             make_user)


# ------------------------------------------------------------------ fixtures / helpers

@pytest.fixture
def restore_database_url(tmp_path):
    """An empty database: a SQLite file, or `<test db>_restore` on PostgreSQL."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path}/restore.sqlite"
        return
    import psycopg

    parsed = make_url(url)
    name = f"{parsed.database}_restore"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield parsed.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def preserved_logging():
    """Alembic's env.py runs logging.fileConfig, which disables every existing logger
    (e.g. the mail log other tests read); put the logging setup back afterwards."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger()] + [lg for lg in manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    saved = [(lg, lg.disabled, lg.level, list(lg.handlers), lg.propagate) for lg in loggers]
    try:
        yield
    finally:
        for lg, disabled, level, handlers, propagate in saved:
            lg.disabled, lg.level, lg.handlers, lg.propagate = disabled, level, handlers, propagate
        for name, lg in list(manager.loggerDict.items()):
            if isinstance(lg, logging.Logger) and lg not in {s[0] for s in saved}:
                lg.disabled = False


@pytest.fixture
def target(restore_database_url, tmp_path):
    """A second app on a fresh database migrated with Alembic, with its own session and
    its own (empty) upload directory."""
    from flask_migrate import upgrade

    upload_dir = tmp_path / "restored-uploads"
    target_app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=restore_database_url,
                            UPLOAD_DIR=str(upload_dir))
    with target_app.app_context(), preserved_logging():
        upgrade()
    engine = create_engine(restore_database_url)
    session = Session(bind=engine)
    yield SimpleNamespace(app=target_app, session=session, upload_dir=upload_dir,
                          revision=alembic_revision(session))
    session.close()
    engine.dispose()
    with target_app.app_context():
        _db.engine.dispose()


@pytest.fixture
def source_uploads(app):
    """A couple of files in the main app's UPLOAD_DIR, removed afterwards."""
    root = Path(app.config["UPLOAD_DIR"]) / "backup-test"
    (root / "org" / "7").mkdir(parents=True, exist_ok=True)
    (root / "a.txt").write_text("hello\n", encoding="utf-8")
    (root / "org" / "7" / "申报书.pdf").write_bytes(os.urandom(200_000))
    yield Path(app.config["UPLOAD_DIR"])
    shutil.rmtree(root)


def stamp(session, revision: str) -> None:
    """The test database is built by create_all; give it the Alembic revision (rolled back
    with the test's transaction)."""
    session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                         "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
    session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})


def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table as the database returns it, with SQL NULL vs JSON null."""
    out = {}
    for table in _db.metadata.sorted_tables:
        json_cols = [c for c in table.columns if isinstance(c.type, JSON)]
        stmt = select(*table.columns, *[c.is_(None) for c in json_cols]).order_by(
            *table.primary_key.columns)
        out[table.name] = [tuple(row) for row in session.execute(stmt)]
    return out


def file_hashes(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def table_counts(session) -> dict[str, int]:
    return {t.name: session.scalar(select(func.count()).select_from(t))
            for t in _db.metadata.sorted_tables}


def rewrite_archive(src: Path, dst: Path, change, *, fix_manifest: bool = False) -> None:
    """Copy an archive, passing each member through `change(name, data) -> (name, data)`."""
    members = []
    with tarfile.open(src, "r:gz") as tin:
        for m in tin.getmembers():
            members.append(change(m.name, tin.extractfile(m).read()))
    if fix_manifest:
        manifest = json.loads(dict(members)["manifest.json"])
        manifest["members"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                               for n, d in members if n != "manifest.json"}
        members = [(n, json.dumps(manifest).encode() if n == "manifest.json" else d)
                   for n, d in members]
    with tarfile.open(dst, "w:gz") as tout:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))


def build_data(db):
    """Rows in every table, with the awkward cases: a region whose parent has a higher id,
    Chinese text, dates, enums, JSON null, JSON SQL NULL, dicts in the audit log."""
    owner = make_user(name="张三")
    org = make_org(owner=owner, name="五华区社区养老服务队")
    org.registered_on = date(2021, 3, 15)
    funder = make_funder()
    staff = make_staff(funder)
    make_invitation(org, "invitee@example.cn", invited_by=owner)
    # A call with its rubric, installments, categories and service targets.
    from app.calls.models import CallCategory, CallServiceTarget
    from app.orgs.models import Category, ServiceTarget
    from tests.factories import make_call

    call = make_call(funder, title="2026年五华区社区公益创投")
    call.category_rows = [CallCategory(category=Category.LIFE_SERVICE)]
    call.target_rows = [CallServiceTarget(target=ServiceTarget.ELDERLY)]
    db.session.flush()
    # An application with every child row, an attachment row, a screening and a
    # notification, and a debarment.
    from app.applications.models import ApplicationStatus, Attachment, Screening, ScreeningDecision
    from app.notifications.models import Notification
    from app.orgs.models import Debarment
    from tests.factories import make_application

    application = make_application(call, org, status=ApplicationStatus.ELIGIBLE, created_by=owner)
    db.session.add_all([
        Attachment(application_id=application.id, kind="机构登记证书", original_name="登记证书.pdf",
                   stored_name="ab" * 32 + ".pdf", content_type="application/pdf", size_bytes=1234,
                   sha256="cd" * 32, uploaded_by_id=owner.id),
        Screening(application_id=application.id, checks=[{"rule": "legal_status", "passed": True, "reason": ""}],
                  checks_passed=True, decision=ScreeningDecision.ELIGIBLE, decided_by_id=staff.id),
        Notification(user_id=owner.id, kind="application.submitted", title="申报书已提交", body="正文",
                     link="/applications/1", dedupe_key=None),
        Debarment(organization_id=org.id, funder_id=funder.id, starts_on=date(2025, 1, 1),
                  ends_on=date(2028, 1, 1), reason="违约"),
    ])
    db.session.flush()
    # An expert with a field and an affiliation to the organization.
    from app.reviews.models import Expert, ExpertAffiliation, ExpertField, ExpertiseField

    expert = Expert(user_id=staff.id, title="教授", employer="云南大学", is_active=True, approved_at=utcnow(),
                    approved_by_id=staff.id, created_by_id=staff.id)
    db.session.add(expert)
    db.session.flush()
    db.session.add_all([ExpertField(expert_id=expert.id, field=ExpertiseField.SOCIAL_WORK),
                        ExpertAffiliation(expert_id=expert.id, organization_id=org.id, name=org.name,
                                          relation="顾问", since=date(2020, 1, 1))])
    db.session.flush()
    # Review (issue 4): a panel with a draw record, a chair, an assignment with a submitted
    # sheet, an outcome, a notice with an objection, and an award.
    from decimal import Decimal

    from app.awards.models import Award, Notice, Objection, ObjectionStatus
    from app.reviews.models import PanelDraw, ReviewOutcome
    from tests.factories import make_assignment, make_panel, make_sheet

    panel = make_panel(call, chair=expert, created_by=staff)
    panel.assignment_seed = "ab" * 16
    db.session.add(PanelDraw(panel_id=panel.id, seed="cd" * 16, size=1, fields=None, eligible=[expert.id],
                             excluded=[[expert.id + 1, "为申报组织成员"]], off_field=[], picked=[expert.id],
                             drawn_by_id=staff.id))
    assignment = make_assignment(panel, application, expert)
    assignment.conflict_reason = ""
    make_sheet(assignment, submitted=True, comment="设计完整，预算合理。")
    db.session.add(ReviewOutcome(call_id=call.id, application_id=application.id, final_score=Decimal("81.25"),
                                 rank=1, reviewer_count=1, sd=Decimal("0.00"), requested_fen=application.requested_fen,
                                 recommended=True, reason_code="recommended", amount_fen=application.requested_fen,
                                 adjusted_fen=None))
    notice = Notice(call_id=call.id, intro="公示说明", contact="0871-1234567", ends_at=utcnow(), working_days=5,
                    published_by_id=staff.id)
    db.session.add(notice)
    db.session.flush()
    db.session.add_all([
        Objection(notice_id=notice.id, application_id=application.id, name="居民", contact="13900000000",
                  content="异议内容：请核实。", status=ObjectionStatus.DISMISSED, answer="经核实不成立。",
                  answered_at=utcnow(), answered_by_id=staff.id),
        Award(number="GY2026-0001-001", call_id=call.id, application_id=application.id, organization_id=org.id,
              amount_fen=application.requested_fen, final_score=Decimal("81.25"), rank=1, awarded_by_id=staff.id),
    ])
    db.session.flush()
    # Money and reports (issue 5): a fund with its journal, the award funded, agreement,
    # installments with a (reversed and re-made) payment, a refund, a donation with its Stripe
    # event, and a report with indicator, expense and photo rows.
    from app.awards.models import Award as _Award
    from app.money import ledger
    from app.money.models import Donation, DonationStatus, JournalEntry, Refund, StripeEvent
    from app.reports.models import ReportExpense, ReportIndicator, ReportPhoto
    from tests.factories import (make_agreement, make_fund_source, make_funding, make_installments,
                                 make_payment, make_report)

    award = db.session.scalar(select(_Award))
    fund = make_fund_source(funder, amount_fen=50_000_000, name="2026年福彩公益金")
    make_funding(award, fund)
    make_agreement(award)
    first, *_rest = make_installments(award)
    payment = make_payment(first, approved_by=staff)
    payment.reversed_entry_id = ledger.reverse(staff, db.session.get(JournalEntry, payment.entry_id), "退票").id
    payment.reversal_reason = "退票"
    make_payment(first, approved_by=staff, reference="BANK-0002")
    refund_entry = ledger.refund(staff, award, fund.id, 1000)
    db.session.add(Refund(award_id=award.id, fund_source_id=fund.id, amount_fen=1000, received_on=date(2026, 6, 1),
                          reference="退款-001", reason="结余退回", recorded_by_id=staff.id, entry_id=refund_entry.id))
    donation = Donation(fund_source_id=fund.id, amount_fen=5000, donor_name="", donor_email="d@example.cn",
                        checkout_session_id="cs_backup_1")
    db.session.add(donation)
    db.session.flush()
    donation.entry_id = ledger.donate(fund, 5000, source=("donation", donation.id)).id
    donation.status, donation.receipt_number, donation.paid_at = DonationStatus.PAID, "JZ-0001", utcnow()
    db.session.add(StripeEvent(id="evt_backup_1", type="checkout.session.completed", donation_id=donation.id))
    report = make_report(award)
    db.session.add_all([
        ReportIndicator(report_id=report.id, indicator_id=application.indicators[0].id, actual=Decimal("2500.50")),
        ReportExpense(report_id=report.id, budget_line_id=application.budget_lines[0].id, spent_fen=123_456),
        ReportPhoto(report_id=report.id, caption="活动照片", original_name="照片.png", stored_name="ef" * 32 + ".png",
                    content_type="image/png", size_bytes=2048, sha256="01" * 32),
    ])
    db.session.flush()
    # Re-parent an early community under a street created after it (parent id > child id).
    community = org.home_community
    new_street = make_region(level=RegionLevel.STREET, parent=community.parent.parent)
    community.parent = new_street
    db.session.flush()
    audit.record(staff, "test.backup", org, before=None,
                 after={"名称": org.name, "amount_fen": 1234500, "when": utcnow()})
    audit.record(None, "test.system", object_type="demo", object_id="v1", after={"n": [1, 2]})
    # An entry whose JSON columns are SQL NULL (not JSON null), properly chained.
    head = db.session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    entry = AuditEntry(id=head.id + 1, created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, timezone.utc),
                       actor_id=None, actor_label="system", action="test.raw", object_type="",
                       object_id="", before=None, after=None, prev_hash=head.hash)
    values = entry.payload() | {"prev_hash": head.hash,
                                "hash": audit.compute_hash(head.hash, entry.payload())}
    values["created_at"] = entry.created_at
    for key in ("before", "after"):
        values.pop(key)
    db.session.execute(AuditEntry.__table__.insert().values(before=null(), after=null()), [values])
    db.session.flush()
    return org


# ------------------------------------------------------------------ round trip

def test_backup_and_restore_round_trip_with_nothing_lost(app, db, target, source_uploads, tmp_path):
    stamp(db.session, target.revision)
    build_data(db)
    before = snapshot(db.session)
    assert all(before.values()), {k: len(v) for k, v in before.items()}  # every table has rows
    assert any(row[-1] for row in before["audit_entry"])  # a SQL NULL JSON value is present
    uploads_before = file_hashes(source_uploads)
    assert len(uploads_before) >= 2
    head = audit.head_hash()

    archive = tmp_path / "b.tar.gz"
    summary = create_backup(archive)
    assert summary["row_counts"] == {k: len(v) for k, v in before.items()}
    assert summary["audit_head_hash"] == head
    assert summary["alembic_revision"] == target.revision
    assert archive.stat().st_mode & 0o077 == 0  # holds password hashes: owner-only
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = tar.getnames()
    assert manifest["audit_head_hash"] == head
    assert [t["name"] for t in manifest["tables"]] == [t.name for t in _db.metadata.sorted_tables]
    assert "uploads/backup-test/org/7/申报书.pdf" in names
    assert set(manifest["members"]) == set(names) - {"manifest.json"}

    with target.app.app_context():
        result = restore_backup(archive, session=target.session)
    assert result["row_counts"] == summary["row_counts"]
    assert result["audit_head_hash"] == head

    check = Session(bind=target.session.get_bind())
    assert snapshot(check) == before
    assert file_hashes(target.upload_dir) == uploads_before
    with target.app.app_context():
        original, _db.session = _db.session, check
        try:
            report = audit.verify_chain()
            assert report.ok and report.head_hash == head
        finally:
            _db.session = original

    # Sequences were moved past the restored ids: a new row gets a fresh id.
    max_id = max(row[0] for row in before["user"])
    user = User(email="after-restore@example.cn", name="新用户", password_hash="x")
    check.add(user)
    check.flush()
    assert user.id > max_id
    check.rollback()
    check.close()


def test_restore_into_a_non_empty_database_is_refused_and_writes_nothing(db, target, tmp_path):
    stamp(db.session, target.revision)
    build_data(db)
    archive = tmp_path / "b.tar.gz"
    create_backup(archive, upload_dir=tmp_path / "no-uploads")
    target.session.execute(User.__table__.insert(), [{"email": "x@example.cn", "name": "x",
                                                      "password_hash": "x", "phone": "",
                                                      "is_admin": False,
                                                      "is_active_account": True,
                                                      "created_at": utcnow()}])
    target.session.commit()
    before = table_counts(target.session)

    with target.app.app_context(), pytest.raises(BackupError) as err:
        restore_backup(archive, session=target.session)
    assert "不是空的" in err.value.message and "flask db upgrade" in err.value.message
    assert table_counts(target.session) == before == {**{k: 0 for k in before}, "user": 1}


def test_restore_requires_the_same_alembic_revision(db, target, tmp_path):
    stamp(db.session, "0123456789ab")
    make_user()
    archive = tmp_path / "b.tar.gz"
    create_backup(archive, upload_dir=tmp_path / "no-uploads")
    with target.app.app_context(), pytest.raises(BackupError) as err:
        restore_backup(archive, session=target.session)
    assert "0123456789ab" in err.value.message and "flask db upgrade" in err.value.message
    assert not any(table_counts(target.session).values())


def test_a_tampered_archive_is_refused_and_nothing_is_written(db, target, source_uploads, tmp_path):
    stamp(db.session, target.revision)
    build_data(db)
    archive = tmp_path / "b.tar.gz"
    create_backup(archive)

    def flip_one_byte(name, data):
        if name == "tables/user.jsonl":
            at = data.index(b"example.cn") + 2
            data = data[:at] + b"b" + data[at + 1:]  # "example" -> "exbmple"
        return name, data

    tampered = tmp_path / "tampered.tar.gz"
    rewrite_archive(archive, tampered, flip_one_byte)
    with target.app.app_context(), pytest.raises(BackupError) as err:
        restore_backup(tampered, session=target.session)
    assert "tables/user.jsonl" in err.value.message and "sha256" in err.value.message
    assert not any(table_counts(target.session).values())
    assert file_hashes(target.upload_dir) == {}

    # A truncated (damaged) archive is refused as well.
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with target.app.app_context(), pytest.raises(BackupError, match="已损坏"):
        restore_backup(damaged, session=target.session)
    assert not any(table_counts(target.session).values())


@pytest.mark.parametrize("bad_name", ["uploads/../escaped.txt", "uploads//etc/passwd",
                                      "uploads/a/../../escaped.txt"])
def test_upload_paths_escaping_the_upload_dir_are_refused(db, target, source_uploads, tmp_path,
                                                          bad_name):
    stamp(db.session, target.revision)
    make_user()
    archive = tmp_path / "b.tar.gz"
    create_backup(archive)
    evil = tmp_path / "evil.tar.gz"
    rewrite_archive(archive, evil,
                    lambda n, d: (bad_name if n == "uploads/backup-test/a.txt" else n, d),
                    fix_manifest=True)
    with target.app.app_context(), pytest.raises(BackupError, match="路径"):
        restore_backup(evil, session=target.session)
    assert not (tmp_path / "escaped.txt").exists()
    assert not any(table_counts(target.session).values())
    assert file_hashes(target.upload_dir) == {}


def test_backup_never_overwrites_an_existing_file(db, tmp_path):
    existing = tmp_path / "b.tar.gz"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="已存在"):
        create_backup(existing)
    assert existing.read_bytes() == b"keep me"


# ------------------------------------------------------------------ command line

def test_cli_backup_prints_path_and_counts_and_restore_refusal_exits_non_zero(app, db, tmp_path):
    stamp(db.session, "0123456789ab")
    make_user()
    runner = app.test_cli_runner()
    out = tmp_path / "cli.tar.gz"
    result = runner.invoke(args=["backup", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output and "user: " in result.output and out.exists()

    # The test database is not empty, so restoring into it is refused.
    result = runner.invoke(args=["restore", str(out)])
    assert result.exit_code != 0
    assert "不是空的" in result.output

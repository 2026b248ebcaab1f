import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from app.core import audit
from app.core.audit import AuditEntry, verify_chain
from tests.factories import make_user


def _write_three(db):
    user = make_user()
    for i in range(3):
        audit.record(user, "test.action", user, before={"i": i}, after={"i": i + 1})
    db.session.flush()
    return user


def _drop_guards(db):
    """Tampering tests remove the append-only triggers inside the rolled-back transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("DROP TRIGGER audit_entry_no_update ON audit_entry"))
    else:
        db.session.execute(text("DROP TRIGGER audit_entry_no_update"))
        db.session.execute(text("DROP TRIGGER audit_entry_no_delete"))


def test_chain_links_each_row_to_the_previous(db):
    _write_three(db)
    rows = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert rows[0].prev_hash == audit.GENESIS_HASH
    for prev, row in zip(rows, rows[1:]):
        assert row.prev_hash == prev.hash
    report = verify_chain()
    assert report.ok and report.checked == len(rows)
    assert report.head_hash == audit.head_hash() == rows[-1].hash


def test_update_and_delete_are_refused_by_the_database(db):
    _write_three(db)
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text("UPDATE audit_entry SET action = 'x'"))
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text("DELETE FROM audit_entry"))


def test_verify_names_the_edited_row(db):
    _write_three(db)
    _drop_guards(db)
    second = db.session.query(AuditEntry).order_by(AuditEntry.id).offset(1).first()
    db.session.execute(text("UPDATE audit_entry SET action = 'forged' WHERE id = :i"), {"i": second.id})
    db.session.expire_all()
    report = verify_chain()
    assert not report.ok and report.broken_id == second.id and "edited" in report.reason


def test_verify_names_the_row_after_a_deletion(db):
    _write_three(db)
    _drop_guards(db)
    ids = [r.id for r in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": ids[1]})
    db.session.expire_all()
    report = verify_chain()
    assert not report.ok and report.broken_id == ids[2]


def test_verify_detects_swapped_content(db):
    _write_three(db)
    _drop_guards(db)
    rows = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    a, b = rows[0], rows[1]
    db.session.execute(text("UPDATE audit_entry SET after = :x WHERE id = :i"),
                       {"x": '{"i": 2}', "i": a.id})
    db.session.execute(text("UPDATE audit_entry SET after = :x WHERE id = :i"),
                       {"x": '{"i": 1}', "i": b.id})
    db.session.expire_all()
    report = verify_chain()
    assert not report.ok and report.broken_id == a.id


def test_cli_verify(app, db):
    _write_three(db)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "audit chain OK" in result.output

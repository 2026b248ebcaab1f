"""The Alembic migrations build exactly the schema the models describe, and come down
cleanly (on SQLite and, in the PostgreSQL run, on PostgreSQL)."""
from __future__ import annotations

import os
import tempfile

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from config import TestingConfig


@pytest.fixture
def empty_database_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{tempfile.mkdtemp(prefix='gongyi-mig-')}/m.sqlite"
        return
    import psycopg

    parsed = make_url(url)
    name = f"{parsed.database}_migrations"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield parsed.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_matches_models_and_downgrade_is_clean(empty_database_url):
    from flask_migrate import downgrade, upgrade

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        engine = create_engine(empty_database_url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    db.metadata)
            assert diff == []
            # The audit log's append-only trigger came with the migration.
            conn.execute(text("INSERT INTO audit_entry (id, created_at, actor_label, action, object_type,"
                              " object_id, prev_hash, hash) VALUES (1, CURRENT_TIMESTAMP, 's', 'a', 't', '1',"
                              " 'p', 'h')"))
            with pytest.raises(Exception):
                conn.execute(text("UPDATE audit_entry SET action = 'b'"))
            conn.rollback()
        downgrade(revision="base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        engine.dispose()


def test_demo_data_survives_downgrade_to_the_first_revision_and_upgrade_back(empty_database_url):
    """With the demo data loaded, stepping down to the first revision and back up keeps
    every row of the tables the first revision holds."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from app.auth.models import User
    from app.demo import load
    from app.orgs.models import Organization
    from app.regions.models import Region

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        engine = create_engine(empty_database_url)

        def counts():
            with engine.connect() as conn:
                return [conn.scalar(select(func.count()).select_from(m.__table__))
                        for m in (User, Region, Organization)]

        with Session(engine) as session:
            original = db.session
            db.session = session
            try:
                load()
                session.commit()
            finally:
                db.session = original
        before = counts()
        assert before[0] == 25 and before[2] >= 40  # 14 demo accounts + 11 experts
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        downgrade(revision=script.get_base())
        assert counts() == before
        upgrade()
        assert counts() == before
        engine.dispose()

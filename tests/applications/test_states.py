"""The application state machine: every pair of statuses, allowed or refused."""
import itertools

import pytest
from sqlalchemy import func, select

from app.applications.models import (ACTIVE_STATUSES, EDITABLE_STATUSES, WITHDRAWABLE_STATUSES, Application,
                                     ApplicationStatus)
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.core.errors import InvalidTransition
from app.core.states import transition
from app.regions.models import RegionLevel
from tests.factories import make_application, make_call, make_funder, make_org, make_region, make_user

S = ApplicationStatus
PAIRS = list(itertools.product(list(S), repeat=2))


def _audit_count(db):
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.fixture
def world(db):
    county = make_region(level=RegionLevel.COUNTY)
    community = make_region(parent=make_region(level=RegionLevel.STREET, parent=county))
    call = make_call(make_funder(region=county), status=CallStatus.OPEN)
    org = make_org(community=community)
    return call, org, make_user()


def test_table_covers_every_status():
    assert set(Application.ALLOWED) == set(S)
    assert all(targets <= set(S) for targets in Application.ALLOWED.values())
    # The terminal states lead nowhere.
    for terminal in (S.AWARDED, S.REJECTED, S.WITHDRAWN):
        assert Application.ALLOWED[terminal] == frozenset()


@pytest.mark.parametrize("current,to", PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_transition(db, world, current, to):
    call, org, actor = world
    application = make_application(call, org, status=current)
    application.submitted_at = application.submitted_at or utcnow()
    db.session.flush()
    changed_at = application.status_changed_at
    audits = _audit_count(db)
    if to in Application.ALLOWED[current]:
        transition(application, to, actor)
        db.session.flush()
        db.session.expire(application)
        assert application.status == to
        assert application.status_changed_at is not None
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "application.status"
        assert entry.object_id == str(application.id)
        assert entry.before == {"status": current.value} and entry.after == {"status": to.value}
        assert _audit_count(db) == audits + 1
    else:
        with pytest.raises(InvalidTransition):
            transition(application, to, actor)
        db.session.flush()
        db.session.expire(application)
        assert application.status == current
        assert application.status_changed_at == changed_at
        assert _audit_count(db) == audits


def test_status_groups():
    assert EDITABLE_STATUSES == {S.DRAFT, S.RETURNED}
    assert S.AWARDED not in WITHDRAWABLE_STATUSES and S.REJECTED not in WITHDRAWABLE_STATUSES
    assert S.INELIGIBLE not in WITHDRAWABLE_STATUSES and S.WITHDRAWN not in WITHDRAWABLE_STATUSES
    # Every withdrawable status may actually move to withdrawn.
    for status in WITHDRAWABLE_STATUSES:
        assert S.WITHDRAWN in Application.ALLOWED[status]
    assert ACTIVE_STATUSES == set(S) - {S.WITHDRAWN, S.INELIGIBLE, S.REJECTED}

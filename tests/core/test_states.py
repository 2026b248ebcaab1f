import itertools

import pytest

from app.core.audit import AuditEntry
from app.core.errors import InvalidTransition
from app.core.states import transition
from app.calls.models import Call, CallStatus
from app.orgs.models import Invitation, InvitationStatus
from tests.factories import make_call, make_funder, make_org, make_user

ALL_MODELS = [Invitation, Call]


@pytest.mark.parametrize("model", ALL_MODELS)
def test_every_status_has_a_row_in_the_table(model):
    status_enum = type(next(iter(model.ALLOWED)))
    assert set(model.ALLOWED) == set(status_enum)


@pytest.mark.parametrize("src,dst", list(itertools.product(InvitationStatus, InvitationStatus)))
def test_invitation_transitions_follow_the_table(db, src, dst):
    owner = make_user()
    inv = Invitation(organization_id=make_org(owner=owner).id, email="x@example.cn", status=src)
    db.session.add(inv)
    db.session.flush()
    before = db.session.query(AuditEntry).count()
    if dst in Invitation.ALLOWED[src]:
        transition(inv, dst, owner)
        assert inv.status == dst and inv.status_changed_at is not None
        assert db.session.query(AuditEntry).count() == before + 1
    else:
        with pytest.raises(InvalidTransition):
            transition(inv, dst, owner)
        assert inv.status == src
        assert db.session.query(AuditEntry).count() == before


@pytest.mark.parametrize("src,dst", list(itertools.product(CallStatus, CallStatus)))
def test_call_transitions_follow_the_table(db, src, dst):
    actor = make_user()
    call = make_call(make_funder(), status=src)
    before = db.session.query(AuditEntry).count()
    if dst in Call.ALLOWED[src]:
        transition(call, dst, actor)
        assert call.status == dst and call.status_changed_at is not None
        assert db.session.query(AuditEntry).count() == before + 1
    else:
        with pytest.raises(InvalidTransition):
            transition(call, dst, actor)
        assert call.status == src
        assert db.session.query(AuditEntry).count() == before


def test_call_lifecycle_table_is_the_specified_one():
    S = CallStatus
    assert Call.ALLOWED[S.DRAFT] == {S.OPEN, S.CANCELLED}
    assert Call.ALLOWED[S.NOTICE] == {S.AWARDED, S.CANCELLED}
    assert Call.ALLOWED[S.AWARDED] == {S.CLOSED}
    assert Call.ALLOWED[S.CLOSED] == Call.ALLOWED[S.CANCELLED] == frozenset()

import itertools

import pytest

from app.core.audit import AuditEntry
from app.core.errors import InvalidTransition
from app.core.states import transition
from app.orgs.models import Invitation, InvitationStatus
from tests.factories import make_org, make_user

ALL_MODELS = [Invitation]


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

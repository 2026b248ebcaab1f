"""The API answers every role alike: published calls for all, the draft call for none (not
even its funder's officer or an admin), and no signed-in role sees more of an object."""
from __future__ import annotations

import pytest

from tests.conftest import login
from tests.security.world import build_world


@pytest.mark.parametrize("role", ["public", "officer", "admin", "applicant_own"])
def test_every_role_sees_the_same_api(client, db, role):
    world = build_world()
    if role != "public":
        login(client, world.users[role])
    draft, open_ = world.objects["call_draft"], world.objects["call_open"]
    assert client.get(f"/api/v1/calls/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/calls/{open_.id}").status_code == 200
    listed = [c["id"] for c in client.get("/api/v1/calls?per_page=100").get_json()["data"]]
    assert open_.id in listed and draft.id not in listed
    org = client.get(f"/api/v1/organizations/{world.objects['org'].id}").get_json()
    assert "contact_phone" not in org and "members" not in org

import pytest

from tests.api import fixtures


@pytest.fixture
def data(db):
    return fixtures.build()


def get_json(client, url, status=200, **kw):
    resp = client.get(url, **kw)
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:500])
    return resp.get_json() if resp.data else None

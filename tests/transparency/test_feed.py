"""The Atom feed of new calls and notices (issue 6 item 4)."""
from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

from app.awards.models import Notice
from app.calls.models import CallStatus
from app.core.db import utcnow
from app.extensions import db as _db
from app.transparency import opendata
from tests.factories import make_call, make_funder

A = "{http://www.w3.org/2005/Atom}"


def _feed(client):
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.get_data()), response.get_data()


def test_feed_lists_published_calls_and_notices_newest_first(client, db):
    now = utcnow()
    funder = make_funder(name="五华区民政局")
    old = make_call(funder, status=CallStatus.OPEN, title="较早的征集", opens_at=now - timedelta(days=10))
    tricky = make_call(funder, status=CallStatus.NOTICE, title='老人<助餐> & "陪伴"', opens_at=now - timedelta(days=5))
    make_call(funder, status=CallStatus.DRAFT, title="草稿征集不公开", opens_at=now - timedelta(days=1))
    notice = Notice(call_id=tricky.id, published_at=now - timedelta(days=2), ends_at=now + timedelta(days=5),
                    working_days=5, contact="secret-objection-desk@example.cn")
    _db.session.add(notice)
    _db.session.flush()

    root, body = _feed(client)
    assert root.tag == f"{A}feed"
    assert root.find(f"{A}link[@rel='self']").get("href") == "http://127.0.0.1:5000/feed.atom"
    entries = root.findall(f"{A}entry")
    titles = [e.findtext(f"{A}title") for e in entries]
    assert titles == ['立项公示：老人<助餐> & "陪伴"', '项目征集：老人<助餐> & "陪伴"', "项目征集：较早的征集"]
    assert b"&lt;" in body and b"&amp;" in body and "草稿征集不公开".encode() not in body
    assert b"secret-objection-desk" not in body
    first = entries[0]
    assert first.find(f"{A}link").get("href") == f"http://127.0.0.1:5000/notices/{tricky.id}"
    assert entries[2].find(f"{A}link").get("href") == f"http://127.0.0.1:5000/calls/{old.id}"
    assert first.findtext(f"{A}id").startswith("tag:127.0.0.1,")
    assert len({e.findtext(f"{A}id") for e in entries}) == 3
    for e in entries:
        assert e.findtext(f"{A}updated").endswith("Z")
        assert e.findtext(f"{A}summary")
    assert root.findtext(f"{A}updated") == max(e.findtext(f"{A}updated") for e in entries)


def test_feed_links_use_base_url_and_fall_back_to_the_request(app, client, db):
    funder = make_funder()
    call = make_call(funder, status=CallStatus.OPEN)
    app.config["BASE_URL"] = ""
    try:
        root, _ = _feed(client)
    finally:
        app.config["BASE_URL"] = "http://127.0.0.1:5000"
    assert root.find(f"{A}entry/{A}link").get("href") == f"http://localhost/calls/{call.id}"


def test_feed_is_capped_and_constant_in_queries(client, db, count_queries, monkeypatch):
    funder = make_funder()
    for _ in range(3):
        make_call(funder, status=CallStatus.OPEN)
    with count_queries() as n:
        client.get("/feed.atom")
    few = n()
    for _ in range(5):
        make_call(funder, status=CallStatus.OPEN)
    monkeypatch.setattr(opendata, "FEED_SIZE", 4)
    with count_queries() as n:
        root, _ = _feed(client)
    assert n() == few
    assert len(root.findall(f"{A}entry")) == 4

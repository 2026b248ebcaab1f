"""The inbox pages and the unread count in the navigation."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from app.core.db import utcnow
from app.extensions import db as _db
from app.notifications.models import Notification
from tests.conftest import login
from tests.factories import make_user


def _add(user, title="消息", *, link="/orgs/", body="", read=False, created_at=None) -> Notification:
    n = Notification(user_id=user.id, kind="test", title=title, body=body, link=link,
                     created_at=created_at or utcnow(), read_at=utcnow() if read else None)
    _db.session.add(n)
    _db.session.flush()
    return n


@pytest.fixture
def user(db):
    return make_user(name="王芳")


def test_inbox_needs_sign_in(client, db):
    resp = client.get("/notifications/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_empty_inbox_shows_the_empty_state(client, user):
    login(client, user)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "还没有消息" in html
    assert "全部标为已读" not in html
    assert "条未读" not in html  # no badge in the navigation


def test_inbox_lists_newest_first_with_beijing_time_and_unread_marker(client, user):
    other = make_user()
    _add(user, "较早的消息", created_at=datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc), read=True)
    _add(user, "较新的消息", created_at=datetime(2026, 3, 2, 16, 5, tzinfo=timezone.utc))
    _add(other, "别人的消息")
    login(client, user)
    html = client.get("/notifications/").get_data(as_text=True)
    assert html.index("较新的消息") < html.index("较早的消息")
    assert "别人的消息" not in html
    assert "2026-03-03 00:05" in html and "2026-03-01 10:00" in html  # Asia/Shanghai
    assert html.count('badge text-bg-danger me-1">未读<') == 1
    assert "全部标为已读" in html


def test_inbox_paginates(client, user, app):
    size = app.config["PAGE_SIZE"]
    base = utcnow()
    for i in range(size + 3):
        _add(user, f"第{i:02d}条", created_at=base - timedelta(minutes=i))
    login(client, user)
    first = client.get("/notifications/").get_data(as_text=True)
    assert "第00条" in first and f"第{size - 1:02d}条" in first and f"第{size:02d}条" not in first
    assert f"共 {size + 3} 条消息" in first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert f"第{size:02d}条" in second and "第00条" not in second
    # Odd page numbers fall back to page 1 rather than failing.
    assert client.get("/notifications/?page=abc").status_code == 200
    assert client.get("/notifications/?page=99999999999").status_code == 200


def test_filter_unread_and_search(client, user):
    _add(user, "已读的退回通知", read=True)
    _add(user, "未读的提交通知")
    _add(user, "未读的审查结果", body="形式审查通过")
    login(client, user)
    html = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "未读的提交通知" in html and "未读的审查结果" in html and "已读的退回通知" not in html
    html = client.get("/notifications/?q=退回").get_data(as_text=True)
    assert "已读的退回通知" in html and "未读的提交通知" not in html
    html = client.get("/notifications/?q=形式审查").get_data(as_text=True)  # searches the body too
    assert "未读的审查结果" in html and "未读的提交通知" not in html
    html = client.get("/notifications/?show=unread&q=退回").get_data(as_text=True)
    assert "没有符合条件的消息" in html
    # Unknown filter values and control characters are harmless.
    assert client.get("/notifications/?show=evil&q=%00%01").status_code == 200


def test_open_marks_read_and_follows_the_link(client, user):
    n = _add(user, "去看看", link="/orgs/mine")
    login(client, user)
    resp = client.post(f"/notifications/{n.id}/open")
    assert resp.status_code == 302 and resp.headers["Location"] == "/orgs/mine"
    _db.session.refresh(n)
    assert n.read_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                  "javascript:alert(1)"])
def test_open_never_redirects_off_site(client, user, link):
    n = _add(user, "可疑链接", link=link)  # written directly: notify() would refuse it
    login(client, user)
    resp = client.post(f"/notifications/{n.id}/open")
    assert resp.status_code == 302 and resp.headers["Location"] == "/notifications/"
    _db.session.refresh(n)
    assert n.read_at is not None
    assert "链接无效" in client.get("/notifications/").get_data(as_text=True)


def test_open_without_a_link_returns_to_the_inbox(client, user):
    n = _add(user, "没有链接", link="")
    login(client, user)
    resp = client.post(f"/notifications/{n.id}/open")
    assert resp.headers["Location"] == "/notifications/"
    _db.session.refresh(n)
    assert n.is_read


def test_someone_elses_notification_is_refused(client, user):
    other = make_user()
    n = _add(other, "别人的")
    login(client, user)
    assert client.post(f"/notifications/{n.id}/open").status_code == 403
    _db.session.refresh(n)
    assert n.read_at is None
    assert client.post("/notifications/2147483647/open").status_code == 404
    assert client.post("/notifications/99999999999/open").status_code == 404


def test_open_is_post_only(client, user):
    n = _add(user)
    login(client, user)
    assert client.get(f"/notifications/{n.id}/open").status_code == 405


def test_mark_all_read_touches_only_mine(client, user):
    other = make_user()
    mine = [_add(user, f"我的{i}") for i in range(3)]
    theirs = _add(other, "别人的")
    login(client, user)
    resp = client.post("/notifications/read-all")
    assert resp.status_code == 302 and resp.headers["Location"] == "/notifications/"
    for n in mine + [theirs]:
        _db.session.refresh(n)
    assert all(n.read_at is not None for n in mine) and theirs.read_at is None
    html = client.get("/notifications/").get_data(as_text=True)
    assert "已将 3 条消息标为已读。" in html


def test_navigation_shows_the_unread_count(client, user):
    _add(user, "一")
    _add(user, "二")
    _add(user, "三", read=True)
    login(client, user)
    html = client.get("/orgs/").get_data(as_text=True)
    nav = html[html.index("<nav"):html.index("</nav>")]
    assert 'href="/notifications/"' in nav
    assert "2 条未读" in nav
    assert re.search(r'aria-hidden="true">2</span>', nav)
    client.post("/notifications/read-all")
    html = client.get("/orgs/").get_data(as_text=True)
    assert "条未读" not in html and 'href="/notifications/"' in html


def test_navigation_count_costs_one_query_per_page(client, user):
    from sqlalchemy import event

    _add(user)
    login(client, user)
    statements: list[str] = []

    def _before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", _before)
    try:
        html = client.get("/orgs/").get_data(as_text=True)
    finally:
        event.remove(_db.engine, "before_cursor_execute", _before)
    assert "1 条未读" in html
    assert sum("FROM notification" in s for s in statements) == 1


def test_signed_out_pages_have_no_inbox_link(client, db):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/notifications/"' not in html


def test_action_buttons_are_forms_with_the_csrf_token(app, user):
    """The CSRF suite checks the refusal without a token; here: the token is on the page."""
    _add(user, "有令牌")
    client = app.test_client()
    login(client, user)
    html = client.get("/notifications/").get_data(as_text=True)
    assert re.search(r'action="/notifications/\d+/open"[^>]*>\s*<input type="hidden" name="csrf_token"', html)
    assert 'action="/notifications/read-all"' in html


def test_my_applications_link_appears_once_its_page_exists(app, client, db):
    """base.html links "我的申报" only when the applications.mine endpoint is registered."""
    from tests.factories import make_org

    owner = make_user()
    make_org(owner=owner)
    login(client, owner)
    nav = client.get("/orgs/").get_data(as_text=True).split("</nav>")[0]
    if "applications.mine" in app.view_functions:
        assert "我的申报" in nav
        with app.test_request_context():
            from flask import url_for

            assert f'href="{url_for("applications.mine")}"' in nav
    else:
        assert "我的申报" not in nav

"""The application page shows its review result once the recommended list is public —
final score, rank, recommendation or award with the 立项通知书 link — and nothing of it
before the notice; per-reviewer scores never."""
from __future__ import annotations

from datetime import timedelta

from app.awards import services as award_services
from tests.awards import FRIDAY_10AM_BEIJING, reviewed_call
from tests.conftest import login


def test_result_appears_with_the_notice_and_the_award_link_after_closing(client, db):
    s = reviewed_call()
    top, _, low = s.applications
    login(client, s.owners[0])
    page = f"/applications/{top.id}"
    assert "评审结果" not in client.get(page).get_data(as_text=True)  # still under review

    award_services.publish_notice(s.officer, s.call, "公示说明文字", "0871-1234567", now=FRIDAY_10AM_BEIJING)
    html = client.get(page).get_data(as_text=True)
    assert "评审结果" in html and "88.40" in html and "第 1 名" in html and "拟立项（公示中）" in html
    assert "¥50,000.00" in html and "下载立项通知书" not in html

    notice = award_services.get_notice(s.call.id)
    award_services.close_notice(s.officer, s.call, now=notice.ends_at + timedelta(seconds=1))
    html = client.get(page).get_data(as_text=True)
    assert "已立项" in html and "下载立项通知书" in html
    award = award_services.published_result(top).award
    assert award is not None and award.number in html

    # The organization below the pass line sees its score, rank and 未入围 — not the others'.
    client.post("/auth/logout")
    login(client, s.owners[2])
    html = client.get(f"/applications/{low.id}").get_data(as_text=True)
    assert "55.00" in html and "第 3 名" in html and "未入围" in html
    assert "88.40" not in html

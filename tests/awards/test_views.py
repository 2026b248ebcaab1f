"""Notice and award pages through the Flask client."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.awards import services
from app.awards.models import Award, Notice, Objection, ObjectionStatus
from app.calls.models import CallStatus
from app.core.db import utcnow
from tests.awards import Spec, reviewed_call
from tests.conftest import login
from tests.factories import make_user

CONTACT = "测试区民政局社会组织科，电话 0871-63000000"
OBJECTOR_PHONE = "13912345678"


def _count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _published(specs=None, **kw):
    s = reviewed_call(specs, **kw) if specs else reviewed_call(**kw)
    s.notice = services.publish_notice(s.officer, s.call, "经专家评审，现予公示。", CONTACT, utcnow())
    return s


def _end_the_period(s):
    s.notice.ends_at = utcnow() - timedelta(minutes=1)


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _objection_data(s, **kw):
    data = {"name": "居民王某", "contact": OBJECTOR_PHONE, "application_id": str(s.applications[0].id),
            "content": "该机构去年承接的项目没有按期结项，请核实后再立项。"}
    data.update(kw)
    return data


# --- publishing ----------------------------------------------------------------------------------

def test_publish_page_previews_and_publishes(client, db):
    s = reviewed_call()
    login(client, s.officer)
    resp = client.get(f"/notices/{s.call.id}/publish")
    html = _html(resp)
    assert resp.status_code == 200
    assert "银龄饭桌助餐项目" in html and "四点半课堂" in html and "广场舞队培育" not in html
    assert "¥85,000.00" in html  # the recommended total
    assert "公示期 5 个工作日" in html and "现予以公示" in html  # the prefilled intro
    resp = client.post(f"/notices/{s.call.id}/publish", data={"intro": "公示说明", "contact": CONTACT})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/notices/{s.call.id}")
    assert s.call.status == CallStatus.NOTICE
    assert _count(db, Notice, Notice.call_id == s.call.id) == 1


def test_publish_refused_with_the_reason(client, db):
    s = reviewed_call(finalized=False)
    login(client, s.officer)
    html = _html(client.get(f"/notices/{s.call.id}/publish"))
    assert "评审小组尚未确认评审结果" in html and 'disabled aria-describedby="publish-problems"' in html
    resp = client.post(f"/notices/{s.call.id}/publish", data={"intro": "", "contact": CONTACT})
    assert resp.status_code == 409 and "评审小组尚未确认评审结果" in _html(resp)
    assert _count(db, Notice) == 0
    resp = client.post(f"/notices/{s.call.id}/publish", data={"intro": "", "contact": ""})
    assert resp.status_code == 200 and "请填写异议受理联系方式" in _html(resp)


def test_publish_page_is_for_the_calls_officers(client, db):
    s = reviewed_call()
    login(client, s.finance)
    assert client.get(f"/notices/{s.call.id}/publish").status_code == 403
    assert client.post(f"/notices/{s.call.id}/publish", data={"contact": CONTACT}).status_code == 403
    assert _count(db, Notice) == 0


# --- the public notice ------------------------------------------------------------------------------

def test_notice_page_is_public(client, db):
    s = _published()
    html = _html(client.get(f"/notices/{s.call.id}"))
    assert "银龄饭桌助餐项目" in html and "四点半课堂" in html and "广场舞队培育" not in html
    assert "¥50,000.00" in html and "¥35,000.00" in html and "88.40" in html
    assert s.funder.name in html and "第1社区" in html
    assert re.search(r"剩余 \d+ 个工作日|今天 24 时截止", html)
    assert "李组长" in html and "王评审" in html and "评审组长" in html
    assert "提交异议" in html and CONTACT in html
    assert "结束公示并立项" not in html  # the officer's panel


def test_no_notice_is_a_404(client, db):
    s = reviewed_call()
    assert client.get(f"/notices/{s.call.id}").status_code == 404
    assert client.get("/notices/2147483647").status_code == 404
    assert client.get(f"/awards/calls/{s.call.id}").status_code == 404


def test_notices_index(client, db):
    html = _html(client.get("/notices/"))
    assert "暂无公示" in html
    s = _published()
    services.file_objection(s.notice, "居民王某", OBJECTOR_PHONE, "该机构去年的项目没有按期结项。")
    html = _html(client.get("/notices/"))
    assert s.call.title in html and "1 条待答复" in html and "剩余" in html
    html = _html(client.get("/notices/?q=没有这个征集"))
    assert "没有符合条件的公示" in html and s.call.title not in html


def test_the_public_can_object_and_the_contact_stays_private(client, db):
    s = _published()
    resp = client.post(f"/notices/{s.call.id}/objections", data=_objection_data(s))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/notices/{s.call.id}#objections")
    objection = db.session.scalar(select(Objection))
    assert objection.contact == OBJECTOR_PHONE and objection.application_id == s.applications[0].id
    html = _html(client.get(f"/notices/{s.call.id}"))
    assert "居民王某" in html and "没有按期结项" in html and "待答复" in html
    assert OBJECTOR_PHONE not in html
    # A signed-in applicant is public too; the funder's staff see the contact.
    login(client, s.owners[0])
    assert OBJECTOR_PHONE not in _html(client.get(f"/notices/{s.call.id}"))
    login(client, s.finance)
    assert OBJECTOR_PHONE in _html(client.get(f"/notices/{s.call.id}"))


def test_bad_objection_gives_the_form_back(client, db):
    s = _published()
    resp = client.post(f"/notices/{s.call.id}/objections",
                       data=_objection_data(s, contact="请找居委会", content="太短"))
    html = _html(resp)
    assert resp.status_code == 200 and "请填写 10 到 2000 个字" in html
    assert _count(db, Objection) == 0
    resp = client.post(f"/notices/{s.call.id}/objections", data=_objection_data(s, contact="请找居委会"))
    assert resp.status_code == 200 and "有效的电话号码或电子邮箱" in _html(resp)
    resp = client.post(f"/notices/{s.call.id}/objections",
                       data=_objection_data(s, application_id=str(s.applications[2].id)))
    assert resp.status_code == 200 and "公示名单" in _html(resp)
    assert _count(db, Objection) == 0


def test_objection_after_the_period_is_refused(client, db):
    s = _published()
    _end_the_period(s)
    resp = client.post(f"/notices/{s.call.id}/objections", data=_objection_data(s))
    assert resp.status_code == 302
    assert _count(db, Objection) == 0
    html = _html(client.get(f"/notices/{s.call.id}"))
    assert "公示期已结束" in html and 'name="content"' not in html


def test_objections_are_rate_limited(client, db):
    s = _published()
    url = f"/notices/{s.call.id}/objections"
    for i in range(5):
        resp = client.post(url, data=_objection_data(s, name=f"居民{i}"))
        assert resp.status_code == 302
    resp = client.post(url, data=_objection_data(s, name="第六位"))
    assert resp.status_code == 429
    html = _html(resp)
    assert "每小时最多可提交 5 条异议" in html and "Traceback" not in html
    assert _count(db, Objection) == 5


def test_invalid_attempts_do_not_use_up_the_limit_but_a_flood_is_cut_off(client, db):
    s = _published()
    url = f"/notices/{s.call.id}/objections"
    for _ in range(6):
        assert client.post(url, data=_objection_data(s, content="短")).status_code == 200
    assert client.post(url, data=_objection_data(s)).status_code == 302
    for _ in range(23):
        client.post(url, data=_objection_data(s, content="短"))
    assert client.post(url, data=_objection_data(s, name="第三十一次")).status_code == 429
    assert _count(db, Objection) == 1


# --- answers and closing -------------------------------------------------------------------------------

def test_officer_answers_and_the_answer_is_public(client, db):
    s = _published()
    objection = services.file_objection(s.notice, "居民王某", OBJECTOR_PHONE, "该机构去年的项目没有按期结项。",
                                        s.applications[0].id)
    login(client, s.officer)
    html = _html(client.get(f"/notices/{s.call.id}"))
    assert f'action="/notices/objections/{objection.id}/answer"' in html
    assert "还有 1 条异议尚未答复" in html and "disabled" in html
    resp = client.post(f"/notices/objections/{objection.id}/answer",
                       data={"decision": "upheld", "answer": "经核实，该机构上一期项目确未结项，取消其拟立项资格。"})
    assert resp.status_code == 302
    assert objection.status == ObjectionStatus.UPHELD
    assert s.applications[0].status == ApplicationStatus.NOT_RECOMMENDED
    client.post("/auth/logout")
    with client.session_transaction() as sess:
        sess.clear()
    html = _html(client.get(f"/notices/{s.call.id}"))
    assert "经核实，该机构上一期项目确未结项" in html and "异议成立，已取消" in html


def test_answer_without_a_decision_changes_nothing(client, db):
    s = _published()
    objection = services.file_objection(s.notice, "居民王某", OBJECTOR_PHONE, "该机构去年的项目没有按期结项。",
                                        s.applications[0].id)
    login(client, s.officer)
    resp = client.post(f"/notices/objections/{objection.id}/answer", data={"answer": "经核实，异议不成立，维持原结果。"})
    assert resp.status_code == 302
    assert objection.status == ObjectionStatus.OPEN
    assert "请选择异议是否成立" in _html(client.get(resp.headers["Location"]))


def test_close_refused_then_done(client, db):
    s = _published()
    login(client, s.officer)
    resp = client.post(f"/notices/{s.call.id}/close")
    assert resp.status_code == 302 and _count(db, Award) == 0
    assert "期满后才能结束公示" in _html(client.get(resp.headers["Location"]))
    _end_the_period(s)
    html = _html(client.get(f"/notices/{s.call.id}"))
    assert f'action="/notices/{s.call.id}/close"' in html
    resp = client.post(f"/notices/{s.call.id}/close")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/awards/calls/{s.call.id}")
    assert _count(db, Award, Award.call_id == s.call.id) == 2
    assert s.call.status == CallStatus.AWARDED
    html = _html(client.get(resp.headers["Location"]))
    assert "2 个项目正式立项" in html and "¥85,000.00" in html and "立项通知书" in html


# --- award lists and the PDF -----------------------------------------------------------------------------

def _awarded(specs=None):
    s = _published(specs)
    _end_the_period(s)
    services.close_notice(s.officer, s.call, utcnow())
    return s


def test_award_lists(client, db):
    html = _html(client.get("/awards/"))
    assert "暂无立项项目" in html
    s = _awarded()
    html = _html(client.get("/awards/"))
    assert "银龄饭桌助餐项目" in html and "四点半课堂" in html and "广场舞队培育" not in html
    assert "¥35,000.00" in html and "81.25" in html and "第2社区" in html and s.call.title in html
    html = _html(client.get("/awards/?q=四点半"))
    assert "四点半课堂" in html and "银龄饭桌助餐项目" not in html
    html = _html(client.get(f"/awards/?region={s.county.id}&year=2025"))
    assert "没有符合条件的立项项目" in html
    html = _html(client.get("/awards/?call=abc&region=-1&year=x&page=zz"))
    assert "银龄饭桌助餐项目" in html
    html = _html(client.get(f"/awards/calls/{s.call.id}"))
    assert "银龄饭桌助餐项目" in html and "李组长" in html and "立项通知书" not in html  # the PDF: members only
    login(client, s.owners[0])
    html = _html(client.get(f"/awards/calls/{s.call.id}"))
    awards = db.session.scalars(select(Award).where(Award.call_id == s.call.id).order_by(Award.rank)).all()
    assert f"/awards/{awards[0].id}/notice.pdf" in html  # their own award's notice only
    assert f"/awards/{awards[1].id}/notice.pdf" not in html


def test_call_in_notice_shows_the_notice_list(client, db):
    s = _published()
    html = _html(client.get(f"/awards/calls/{s.call.id}"))
    assert "正在公示" in html and "银龄饭桌助餐项目" in html and f"/notices/{s.call.id}" in html


def test_award_pdf_for_members_and_staff_only(client, db):
    s = _awarded()
    award = db.session.scalar(select(Award).where(Award.application_id == s.applications[0].id))
    url = f"/awards/{award.id}/notice.pdf"
    assert client.get(url).status_code == 302  # to the login page
    login(client, make_user())
    assert client.get(url).status_code == 403
    login(client, s.owners[1])  # another awarded organization
    assert client.get(url).status_code == 403
    for user in (s.owners[0], s.finance):
        login(client, user)
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        assert resp.data.startswith(b"%PDF") and "attachment" in resp.headers["Content-Disposition"]
    assert client.get("/awards/2147483647/notice.pdf").status_code == 404


# --- constant query counts ---------------------------------------------------------------------------------

def _specs(n):
    return [Spec(f"{90 - i}.00", True, requested_fen=2_000_000, title=f"项目{i}") for i in range(n)]


@pytest.mark.parametrize("path", ["/awards/", "/notices/{call}", "/awards/calls/{call}", "/notices/"])
def test_public_pages_run_a_constant_number_of_queries(client, db, count_queries, path):
    counts = []
    for n in (2, 6):
        s = _awarded(_specs(n)) if path.startswith("/awards") else _published(_specs(n))
        if not path.startswith("/awards"):
            for i in range(n):
                services.file_objection(s.notice, f"居民{i}", OBJECTOR_PHONE, "请核实该项目的服务对象人数。",
                                        s.applications[i].id)
        url = path.format(call=s.call.id)
        client.get(url)  # warm up
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        counts.append(queries())
    assert counts[0] == counts[1], counts

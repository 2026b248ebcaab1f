"""Program officer journey in Chromium: create a venture round (a bad amount refused),
publish it, and see it on the public call list. Screenshots at each step."""
import re

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_officer_creates_and_publishes_a_call(page, live_server):
    page.goto("/auth/login")
    page.get_by_label("邮箱").fill("district.officer@gongyi.demo")
    page.get_by_label("密码").fill("gongyi-demo-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/dashboard")

    page.get_by_role("link", name="征集管理").first.click()
    page.wait_for_url("**/calls/manage")
    shot(page, "10-calls-manage")
    page.goto("/calls/new")
    page.get_by_label("征集标题").fill("2027年五华区社区公益创投大赛")
    page.get_by_label("简介").fill("支持社区社会组织围绕为老服务、儿童关爱和邻里互助开展公益项目。")
    page.get_by_label("资助总额（元）").fill("１２３")
    page.get_by_label("单个项目最低资助额（元）").fill("20000")
    page.get_by_label("单个项目最高资助额（元）").fill("50000")
    page.get_by_label("开始时间（北京时间）").fill("2026-11-01T09:00")
    page.get_by_label("截止时间（北京时间）").fill("2027-01-15T17:00")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("半角数字").first.is_visible()
    shot(page, "11-call-form-bad-amount")
    page.get_by_label("资助总额（元）").fill("300000")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/calls/\d+$"))
    assert page.get_by_role("heading", name="2027年五华区社区公益创投大赛").is_visible()
    shot(page, "12-call-draft")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="发布征集").click()
    page.wait_for_load_state()
    assert page.get_by_text("征集中").first.is_visible()
    shot(page, "13-call-published")

    page.goto("/calls/")
    assert page.get_by_text("2027年五华区社区公益创投大赛").first.is_visible()
    shot(page, "14-public-call-list")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_text("2027年五华区社区公益创投大赛").first.click()
    page.wait_for_url(re.compile(r".*/calls/\d+$"))
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "15-public-call-phone")
    assert page.js_errors == []

"""Applicant journey in Chromium: register → confirm the email → create an organization
(after a wrong credit code is refused) → invite a member. Screenshots at each step."""
import re

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

PASSWORD = "lotus-pond-evening-7"


def _last_mail_to(app, email):
    mails = [m for m in app.extensions["gongyi_sent_mail"] if m.to == email]
    assert mails, f"no mail to {email}"
    return mails[-1]


def test_register_confirm_create_org_invite(page, live_server):
    email = "journey.owner@example.cn"
    page.goto("/auth/register")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("姓名").fill("周雨桐")
    page.get_by_label("手机号码").fill("13987654321")
    page.get_by_label("密码", exact=True).fill("12345678")
    page.get_by_label("确认密码").fill("12345678")
    page.get_by_role("button", name="注册").click()
    assert page.get_by_text("这个密码太常见").is_visible()
    shot(page, "01-register-weak-password")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_url("**/dashboard")
    assert page.get_by_text("尚未确认").is_visible()
    shot(page, "02-dashboard-unconfirmed")

    link = re.search(r"https?://\S+/auth/confirm/\S+", _last_mail_to(live_server, email).body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", "", link))
    assert page.get_by_text("邮箱已确认").is_visible()
    assert page.get_by_text("尚未确认").count() == 0
    shot(page, "03-dashboard-confirmed")

    page.get_by_role("link", name="创建组织").first.click()
    page.wait_for_url("**/orgs/new")
    page.get_by_label("组织名称").fill("翠湖社区银龄互助服务社")
    page.get_by_label("法律状态").select_option("registered")
    page.get_by_label("统一社会信用代码").fill("91350100M000100Y44")
    page.get_by_label("组织类别").select_option("mutual_aid")
    page.get_by_label("老年人").check()
    page.get_by_label("困难家庭").check()
    community = page.locator("#home_community_id option", has_text="翠湖社区").first.get_attribute("value")
    page.get_by_label("所在社区（村）").select_option(community)
    page.get_by_label("成立日期").fill("2021-03-15")
    page.get_by_label("登记日期").fill("2021-06-01")
    page.get_by_label("宗旨与服务内容").fill("组织低龄老人结对帮扶高龄独居老人，提供探访、陪诊和代购服务。")
    page.get_by_role("button", name=re.compile("创建|保存|提交")).click()
    assert page.get_by_text("校验位不正确").first.is_visible()
    assert page.get_by_text("应为“3”").first.is_visible()
    shot(page, "04-create-org-wrong-credit-code")
    page.get_by_label("统一社会信用代码").fill("91350100M000100Y43")
    page.get_by_role("button", name=re.compile("创建|保存|提交")).click()
    page.wait_for_url(re.compile(r".*/orgs/\d+$"))
    assert page.get_by_role("heading", name="翠湖社区银龄互助服务社").is_visible()
    shot(page, "05-org-profile")

    page.get_by_role("link", name=re.compile("成员")).first.click()
    page.wait_for_url(re.compile(r".*/orgs/\d+/members$"))
    page.get_by_label("邮箱").fill("new.volunteer@example.cn")
    page.get_by_role("button", name=re.compile("邀请|发送")).click()
    assert page.get_by_text("new.volunteer@example.cn").first.is_visible()
    invite = _last_mail_to(live_server, "new.volunteer@example.cn")
    assert "翠湖社区银龄互助服务社" in invite.body
    shot(page, "06-members-invited")
    assert page.js_errors == []

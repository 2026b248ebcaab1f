"""The English interface: pages switch language wholesale; Chinese stays the default."""
import re

import pytest

from app.orgs.models import LegalStatus
from app.regions.models import RegionLevel
from tests import factories as f
from tests.conftest import login

CJK = re.compile(r"[\u4e00-\u9fff]")


def _english(client):
    resp = client.post("/auth/language", data={"lang": "en"})
    assert resp.status_code == 302


def _text(resp) -> str:
    html = resp.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return html


@pytest.fixture
def org(db):
    province = f.make_region(level=RegionLevel.PROVINCE, name="Yunnan")
    prefecture = f.make_region(level=RegionLevel.PREFECTURE, parent=province, name="Kunming")
    county = f.make_region(level=RegionLevel.COUNTY, parent=prefecture, name="Wuhua")
    street = f.make_region(level=RegionLevel.STREET, parent=county, name="Huashan")
    community = f.make_region(level=RegionLevel.COMMUNITY, parent=street, name="Cuihu")
    org = f.make_org(community=community, name="Cuihu Volunteers", legal_status=LegalStatus.FILED)
    org.registration_authority = "Huashan Office"
    org.contact_name = "Li"
    db.session.commit()
    return org


def test_chinese_is_the_default(client, org):
    html = _text(client.get("/orgs/"))
    assert "社区社会组织名录" in html
    assert "Community social organization directory" not in html
    assert "备案" in html  # the enum label, untranslated


def test_directory_in_english(client, org):
    _english(client)
    html = _text(client.get("/orgs/"))
    assert "Community social organization directory" in html
    assert "社区社会组织名录" not in html
    assert "All categories" in html and "Filed" in html and "Older people" in html
    assert '<html lang="en">' in html


@pytest.mark.parametrize("url, expected", [
    ("/", "How projects work"),
    ("/auth/login", "Forgot your password?"),
    ("/auth/register", "Confirm password"),
    ("/auth/forgot", "Send reset email"),
])
def test_public_pages_have_no_chinese_left_in_english(client, org, url, expected):
    _english(client)
    html = _text(client.get(url))
    assert expected in html
    # The only Chinese left is the switch back to Chinese ("中文") and data.
    leftover = set(CJK.findall(html.replace("中文", "")))
    assert not leftover, leftover


def test_org_profile_in_english(client, org):
    _english(client)
    html = _text(client.get(f"/orgs/{org.id}"))
    assert "Community social organizations" in html or "Service targets" in html
    assert "Community services" in html  # Category.LIFE_SERVICE label
    assert "Urban community" in html
    assert not CJK.findall(html.replace("中文", ""))


@pytest.mark.parametrize("url, expected", [
    ("/admin/", "Total users"),
    ("/admin/users", "User list"),
])
def test_admin_pages_in_english(client, db, org, url, expected):
    admin = f.make_admin(name="Admin")
    login(client, admin)
    _english(client)
    html = _text(client.get(url))
    assert expected in html and "Administration" in html
    assert not CJK.findall(html.replace("中文", ""))


def test_flash_and_form_errors_follow_the_language(client, db):
    _english(client)
    resp = client.post("/auth/login", data={"email": "nobody@example.cn", "password": "wrong-password"})
    assert "Incorrect email or password." in resp.get_data(as_text=True)
    resp = client.post("/auth/register", data={"email": "x@example.cn", "name": "",
                                               "password": "a", "password2": "b"})
    html = resp.get_data(as_text=True)
    assert "Please enter a name." in html and "The two passwords do not match." in html


def test_validation_messages_stay_chinese_by_default(client, db):
    resp = client.post("/auth/login", data={"email": "nobody@example.cn", "password": "wrong-password"})
    assert "邮箱或密码不正确。" in resp.get_data(as_text=True)


def test_login_required_message_is_translated(client, db):
    _english(client)
    resp = client.get("/orgs/mine", follow_redirects=True)
    assert "Please sign in first." in resp.get_data(as_text=True)


def test_service_error_in_english(client, db):
    user = f.make_user(name="Someone")
    login(client, user)
    _english(client)
    resp = client.post("/auth/password", data={"current_password": "not-my-password",
                                               "password": "Another-long-pass-42", "password2": "Another-long-pass-42"})
    html = resp.get_data(as_text=True)
    assert "The current password is incorrect." in html
    assert "当前密码不正确。" not in html

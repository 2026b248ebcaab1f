"""The public and admin pages at phone and desktop widths, in Chinese, with screenshots
to look at; each page must have its heading, no horizontal overflow and no JS error."""
import pytest

from tests.browser.conftest import shot
from tests.browser.conftest import no_horizontal_scroll as _no_horizontal_overflow, sign_in as _login

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages(page, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    for name, path, heading in [("home", "/", "公益创投与政府购买服务平台"),
                                ("login", "/auth/login", "登录"),
                                ("directory", "/orgs/", "社区社会组织名录")]:
        page.goto(path)
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
        assert _no_horizontal_overflow(page), f"{path} overflows at {width}"
        shot(page, f"public-{name}-{width}")
    page.goto("/orgs/")
    page.locator("a[href^='/orgs/']").filter(has_text="翠湖社区居家养老服务中心").first.click()
    assert page.get_by_role("heading", name="昆明市五华区翠湖社区居家养老服务中心").is_visible()
    assert _no_horizontal_overflow(page)
    shot(page, f"public-profile-{width}")
    assert page.js_errors == []
    page.goto("/orgs/999999")
    assert page.get_by_role("heading", name="页面不存在").is_visible()
    shot(page, f"error-404-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_pages(page, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    _login(page, "admin@gongyi.demo")
    for name, path in [("overview", "/admin/"), ("users", "/admin/users"),
                       ("funders", "/admin/funders"), ("regions", "/admin/regions")]:
        page.goto(path)
        assert page.locator("h1").first.is_visible()
        assert _no_horizontal_overflow(page), f"{path} overflows at {width}"
        shot(page, f"admin-{name}-{width}")
    assert page.js_errors == []

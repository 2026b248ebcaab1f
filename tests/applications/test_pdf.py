"""The submitted application as a PDF (申报书): content from the version's snapshot,
Chinese text that renders, and the download route's access rules and headers."""
from __future__ import annotations

import copy
import re
import subprocess
from urllib.parse import quote

import pytest

from app.applications.models import ApplicationStatus, ApplicationVersion
from app.applications.pdf import render_application_pdf
from app.core import pdf as core_pdf
from app.funders.models import StaffRole
from app.orgs.models import LegalStatus
from tests import factories as f
from tests.conftest import login


def _save(data: bytes, tmp_path, name: str = "app.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _text(data: bytes, tmp_path, *args: str) -> str:
    path = _save(data, tmp_path)
    return subprocess.run(["pdftotext", "-layout", *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def world(db):
    owner = f.make_user(name="王芳")
    org = f.make_org(name="翠湖社区邻里互助服务中心", legal_status=LegalStatus.REGISTERED,
                     credit_code="52530102MJY123456X", owner=owner)
    funder = f.make_funder(name="五华区民政局", region=org.home_community.parent.parent)
    officer = f.make_staff(funder, StaffRole.PROGRAM_OFFICER)
    call = f.make_call(funder, title="2026 年社区公益创投")
    application = f.make_application(call, org, status=ApplicationStatus.SUBMITTED, title="银龄助餐服务项目",
                                     requested_fen=5_000_000, created_by=owner)
    draft = f.make_application(call, org, title="尚未提交的草稿", created_by=owner)
    return {"owner": owner, "org": org, "funder": funder, "officer": officer, "call": call,
            "application": application, "draft": draft}


def _version(application, number: int = 1) -> ApplicationVersion:
    return next(v for v in application.versions if v.number == number)


def _add_version(application, **changes) -> ApplicationVersion:
    from app.extensions import db

    latest = application.versions[-1]
    snap = copy.deepcopy(latest.snapshot)
    snap.update(changes)
    version = ApplicationVersion(application_id=application.id, number=latest.number + 1, snapshot=snap)
    db.session.add(version)
    application.current_version = version.number
    db.session.flush()
    db.session.expire(application, ["versions"])
    return version


# --- the document ------------------------------------------------------------------------

def test_pdf_prints_chinese_text_tables_and_totals(world, tmp_path):
    application = world["application"]
    data = render_application_pdf(application, _version(application))
    assert data.startswith(b"%PDF")
    text = _flat(_text(data, tmp_path))
    for expected in ("项目申报书", "银龄助餐服务项目", "翠湖社区邻里互助服务中心", "2026年社区公益创投", "五华区民政局",
                     "52530102MJY123456X", "登记", "李红", "13800000001", "第1版",
                     "需求分析", "社区60岁以上老人占28%", "预算明细", "助餐服务", "管理费用",
                     "¥47,500.00", "¥2,500.00", "¥50,000.00", "5.00%", "征集上限10%",
                     "成效指标", "助餐服务人次", "5,000", "签到表", "实施进度", "助餐点开放",
                     "项目团队", "中级社工师", "承诺", "项目资金不用于购置固定资产",
                     "申报单位（盖章）", "负责人签字", "日期"):
        assert expected in text, expected
    # Sections in the order of the form.
    order = ["项目概述", "需求分析", "项目目标", "内容与活动", "服务对象与受益人", "服务社区", "项目周期",
             "预算明细", "成效指标", "实施进度", "项目团队", "配套资金", "附件清单", "承诺"]
    positions = [text.index(f"、{title}") for title in order]
    assert positions == sorted(positions)
    # The subtotal of each head and the grand total.
    assert "小计（业务活动费）¥47,500.00" in text and "小计（管理费用）¥2,500.00" in text
    assert "预算合计¥50,000.00" in text


def test_pdf_names_or_embeds_a_cjk_font_and_renders_to_an_image(world, tmp_path):
    application = world["application"]
    path = _save(render_application_pdf(application, _version(application)), tmp_path)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    chosen = core_pdf.register_fonts()
    if chosen.embedded:
        assert re.search(r"TrueType.*\byes\s+yes\b", fonts)  # an embedded subset
    else:
        assert re.search(r"STSong-Light\s+CID Type 0\s+UniGB-UCS2-H", fonts)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True, capture_output=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 5_000
    from PIL import Image

    with Image.open(png) as image:
        dark = sum(image.convert("L").histogram()[:128])
    assert dark > 2_000  # the cover page has real text on it, not a blank page


def test_pdf_metadata(world, tmp_path):
    application = world["application"]
    path = _save(render_application_pdf(application, _version(application)), tmp_path)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Title:\s+项目申报书 - 银龄助餐服务项目 - 第 1 版", info)
    assert re.search(r"Author:\s+Gongyi", info)


def test_pdf_prints_the_snapshot_not_the_live_application(world, tmp_path, db):
    application = world["application"]
    version = _version(application)
    application.title = "提交后改过的标题"
    application.budget_lines[0].item = "改过的事项"
    db.session.flush()
    text = _flat(_text(render_application_pdf(application, version), tmp_path))
    assert "银龄助餐服务项目" in text and "提交后改过的标题" not in text
    assert "助餐服务" in text and "改过的事项" not in text


def test_user_text_is_escaped_and_long_content_flows_over_pages(world, tmp_path):
    application = world["application"]
    lines = [{"head": "业务活动费", "item": f"事项{i}<b>&", "unit": "次", "quantity": 2, "unit_price_fen": 10_000,
              "amount_fen": 20_000, "note": "备注" if i % 3 == 0 else ""} for i in range(1, 31)]
    version = _add_version(application, need="需求<script>alert(1)</script> & 说明\n" * 80, budget_lines=lines,
                           requested_fen=600_000, matching_fen=0)
    data = render_application_pdf(application, version)
    text = _flat(_text(data, tmp_path))
    assert "需求<script>alert(1)</script>&说明" in text
    assert "事项30<b>&" in text and "预算合计¥6,000.00" in text
    # No management lines: a share of 0.00%, and the sums agree.
    assert "管理费用¥0.00占预算合计0.00%" in text and "不一致" not in text
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(_save(data, tmp_path))], capture_output=True, text=True, check=True).stdout).group(1))
    assert pages >= 4
    assert f"第{pages}页/共{pages}页" in _flat(_text(data, tmp_path, "-f", str(pages), "-l", str(pages)))


def test_budget_problems_are_visible(world, tmp_path):
    application = world["application"]
    version = _add_version(application, budget_lines=[
        {"head": "业务活动费", "item": "活动", "unit": "项", "quantity": 1, "unit_price_fen": 800_000,
         "amount_fen": 800_000, "note": ""},
        {"head": "管理费用", "item": "管理", "unit": "项", "quantity": 1, "unit_price_fen": 200_000,
         "amount_fen": 200_000, "note": ""},
    ], requested_fen=900_000, matching_fen=0)
    text = _flat(_text(render_application_pdf(application, version), tmp_path))
    assert "20.00%" in text and "超出上限" in text
    assert "不一致" in text and "¥9,000.00" in text


def test_declarations_not_given_print_no(world, tmp_path):
    application = world["application"]
    version = _add_version(application, declarations={"no_fixed_assets": True, "no_cash_gifts": False,
                                                      "truthful": True})
    text = _flat(_text(render_application_pdf(application, version), tmp_path))
    assert "项目资金不用于向服务对象发放现金或礼品否" in text
    assert "项目资金不用于购置固定资产是" in text


def test_a_sparse_snapshot_still_renders(world, tmp_path):
    application = world["application"]
    version = ApplicationVersion(application_id=application.id, number=9, snapshot={"title": "只有标题"})
    text = _flat(_text(render_application_pdf(application, version), tmp_path))
    assert "只有标题" in text and "（未填写）" in text and "预算明细" in text


# --- the route -----------------------------------------------------------------------------

def _url(application, version=None) -> str:
    return f"/applications/{application.id}/pdf" + (f"?version={version}" if version is not None else "")


def test_member_downloads_the_pdf(world, client):
    login(client, world["owner"])
    resp = client.get(_url(world["application"]))
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''" + quote("申报书-银龄助餐服务项目-v1.pdf") in disposition
    assert "no-store" in resp.headers["Cache-Control"]


def test_officer_of_the_funder_downloads_the_pdf(world, client):
    login(client, world["officer"])
    resp = client.get(_url(world["application"], 1))
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_default_is_the_latest_version(world, client, tmp_path):
    application = world["application"]
    _add_version(application, title="第二版标题")
    login(client, world["owner"])
    latest = client.get(_url(application))
    assert quote("申报书-第二版标题-v2.pdf") in latest.headers["Content-Disposition"]
    assert "第二版标题" in _flat(_text(latest.data, tmp_path))
    first = client.get(_url(application, 1))
    assert quote("-v1.pdf") in first.headers["Content-Disposition"]
    assert "第二版标题" not in _flat(_text(first.data, tmp_path))


def test_draft_has_no_pdf(world, client):
    login(client, world["owner"])
    resp = client.get(_url(world["draft"]))
    assert resp.status_code == 404
    assert "尚未提交" in resp.get_data(as_text=True)


@pytest.mark.parametrize("version", ["2", "0", "-1", "abc", "１", "99999999999999999999", "1.0"])
def test_bad_version_number_is_404(world, client, version):
    login(client, world["owner"])
    resp = client.get(_url(world["application"], version))
    assert resp.status_code == 404


def test_unknown_application_is_404(world, client):
    login(client, world["owner"])
    assert client.get("/applications/99999999/pdf").status_code == 404


def test_other_organization_is_forbidden(world, client):
    stranger = f.make_user(name="他组织负责人")
    f.make_org(owner=stranger)
    login(client, stranger)
    assert client.get(_url(world["application"])).status_code == 403


def test_officer_cannot_see_a_draft(world, client):
    login(client, world["officer"])
    assert client.get(_url(world["draft"])).status_code == 403


def test_anonymous_is_sent_to_login(world, client):
    resp = client.get(_url(world["application"]))
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]

"""Fund-use disclosure: figures hand-computed (see fixtures), page = PDF = XLSX, privacy,
constant queries."""
from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal

import pytest

from app.core import audit
from app.reports.models import ReportRating
from app.transparency import disclosure as service
from tests.transparency import fixtures as fx


def _figures(d):
    f = d.figures
    return (f.appropriated, f.donations, f.allocated, f.committed, f.paid, f.refunded, f.available)


def test_figures_and_projects_of_the_lottery_fund(db):
    data = fx.build()
    d = service.build(service.get_fund(data.w.id, 2026))
    assert _figures(d) == (100_000_000, 0, 3_000_000, 1_500_000, 1_500_000, 0, 97_000_000)
    assert d.welfare_lottery
    [p] = d.projects
    assert (p.title, p.organization, p.amount_fen, p.award_fen, p.paid_fen) == (
        "长者助餐项目", "阳光长者服务队", 3_000_000, 5_000_000, 1_500_000)
    assert p.paid_percent == Decimal("50.0") and p.spending_rate == Decimal("20.0")
    assert (p.leader, p.contact) == ("李红", fx.ORG_PHONE)
    assert not p.completed and p.rating is None
    assert p.effect == fx.ACCEPTED_NARRATIVE
    assert [(i.actual, i.achieved) for i in p.indicators] == [(Decimal("2000"), Decimal("40.0"))]
    assert d.head_hash == audit.head_hash() and len(d.head_hash) == 64
    assert d.totals == {"amount": 3_000_000, "paid": 1_500_000, "count": 1, "completed": 0}


def test_figures_of_the_government_fund_hide_the_contact(db):
    data = fx.build()
    fx.accept_final(data, ReportRating.GOOD)
    d = service.build(service.get_fund(data.g.id, 2026))
    assert _figures(d) == (50_000_000, 0, 6_000_000, 5_000_000, 1_000_000, 0, 44_000_000)
    assert [(p.title, p.amount_fen, p.paid_fen) for p in d.projects] == [
        ("长者助餐项目", 2_000_000, 1_000_000), ("儿童课后托管项目", 4_000_000, 0)]
    a, b = d.projects
    assert a.contact is None and b.contact is None
    assert a.completed and a.rating == ReportRating.GOOD and "已结项" in service.completion_text(a)
    assert b.indicators == [] and b.spending_rate is None and b.effect == ""
    assert "联系电话" not in service.project_header(d)


def test_wrong_year_or_fund_is_404(client, db):
    data = fx.build()
    assert service.get_fund(data.w.id, 2025) is None
    for url in (f"/disclosure/{data.w.id}/2025", "/disclosure/999999/2026", f"/disclosure/{data.w.id}/2025/disclosure.pdf",
                f"/disclosure/{data.w.id}/2025/disclosure.xlsx", "/disclosure/99999999999/2026"):
        assert client.get(url).status_code == 404, url


PRIVATE = (fx.DRAFT_SECRET, fx.DONOR_EMAIL, fx.OBJECTOR_CONTACT, fx.REVIEWER_COMMENT, fx.LEADER_PHONE, fx.ORG_EMAIL)


def test_page(client, db):
    data = fx.build()
    r = client.get(f"/disclosure/{data.w.id}/2026")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for shown in ("2026年福彩公益金 2026 年度资金使用情况公告", "福彩公益金资助", "¥1,000,000.00", "¥970,000.00",
                  "¥15,000.00", "¥30,000.00", "长者助餐项目", "李红", fx.ORG_PHONE, "拨付进度 50.0%", "预算执行率 20.0%",
                  fx.ACCEPTED_NARRATIVE, "助餐服务人次：2,000 / 5,000 人次（40.0%）", audit.head_hash(),
                  "flask audit verify", f"/projects/{data.award_a.id}"):
        assert shown in html, shown
    for secret in PRIVATE:
        assert secret not in html, secret
    assert "儿童课后托管项目" not in html   # paid by G only
    html = client.get(f"/disclosure/{data.g.id}/2026").get_data(as_text=True)
    assert fx.ORG_PHONE not in html and "福彩公益金资助" not in html and "儿童课后托管项目" in html


def test_index(client, db):
    data = fx.build()
    html = client.get("/disclosure/").get_data(as_text=True)
    assert f"/disclosure/{data.w.id}/2026" in html and f"/disclosure/{data.g.id}/2026" in html
    assert "2026 年度" in html


def _pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is needed to read the PDF")
    return subprocess.run(["pdftotext", "-raw", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _xlsx(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


def test_pdf_and_xlsx_agree_with_the_page(client, db):
    data = fx.build()
    d = service.build(service.get_fund(data.w.id, 2026))
    r = client.get(f"/disclosure/{data.w.id}/2026/disclosure.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    text = _pdf_text(r.data)
    squashed = "".join(text.split())
    for label, fen in service.figure_rows(d):
        assert label in squashed
        assert f"¥{fen / 100:,.2f}" in squashed
    for shown in ("福彩公益金资助", "长者助餐项目", "阳光长者服务队", "¥30,000.00", "¥15,000.00", "李红", fx.ORG_PHONE,
                  d.head_hash[:16], "flaskauditverify"):
        assert "".join(shown.split()) in squashed, shown
    for secret in PRIVATE:
        assert secret not in squashed, secret

    r = client.get(f"/disclosure/{data.w.id}/2026/disclosure.xlsx")
    assert r.status_code == 200 and "spreadsheetml" in r.mimetype
    wb = _xlsx(r.data)
    summary, projects = wb.worksheets
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    for label, fen in service.figure_rows(d):
        assert Decimal(str(values[label + "（元）"])) == Decimal(fen) / 100
    assert values["审计日志末条哈希"] == d.head_hash
    rows = list(projects.iter_rows(values_only=True))
    header = list(rows[0])
    assert header == service.project_header(d) and "联系电话" in header
    [line] = rows[1:]
    cell = dict(zip(header, line))
    assert cell["项目名称"] == "长者助餐项目" and cell["承接组织"] == "阳光长者服务队"
    assert Decimal(str(cell["资助金额（元）"])) == Decimal("30000") and Decimal(str(cell["已拨付（元）"])) == Decimal("15000")
    assert cell["联系电话"] == fx.ORG_PHONE and cell["项目负责人"] == "李红"
    assert cell["指标完成情况"] == "助餐服务人次：2,000 / 5,000 人次（40.0%）"
    flat = " ".join(str(v) for row in rows for v in row if v is not None)
    for secret in PRIVATE:
        assert secret not in flat


def test_xlsx_neutralises_formulas(client, db):
    data = fx.build()
    data.award_a.application.title = "=HYPERLINK(\"http://evil\")"
    db.session.flush()
    wb = _xlsx(client.get(f"/disclosure/{data.w.id}/2026/disclosure.xlsx").data)
    title = wb.worksheets[1].cell(row=2, column=2)
    assert title.value.startswith("'=") and title.data_type == "s"


def test_disclosure_query_count_is_constant(client, db, count_queries):
    data = fx.build()
    url = f"/disclosure/{data.w.id}/2026"
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    fx.add_awards(data.call, data.w, 4)
    assert len(service.build(data.w).projects) == 5
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert small() == large()
    with count_queries() as index_small:
        client.get("/disclosure/")
    from tests.factories import make_fund_source
    for i in range(3):
        make_fund_source(data.funder, amount_fen=1_000_000, name=f"追加资金{i}", fiscal_year=2025)
    with count_queries() as index_large:
        html = client.get("/disclosure/").get_data(as_text=True)
    assert "2025 年度" in html and index_small() == index_large()

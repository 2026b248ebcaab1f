"""The agreement pages through the Flask client: who sees what, every step's outcome
(redirect, message beside the field, 409 out of order), the downloads and the lists."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.calls.models import CallKind
from app.core.audit import AuditEntry
from app.money import agreements as service
from app.money import installments as inst
from app.money.models import AgreementStatus as AS, InstallmentStatus as S
from tests.conftest import login
from tests.core.test_uploads import HTML, PDF, png_bytes
from tests.factories import make_staff, make_user
from tests.money.test_agreements import NOW, make_scene, scan


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(root))
    return root


@pytest.fixture
def s(db, upload_dir):
    return make_scene()


def page(client, scene):
    return client.get(f"/awards/{scene.award.id}/agreement")


def post(client, scene, action, data=None, **kw):
    return client.post(f"/awards/{scene.award.id}/agreement/{action}", data=data or {}, **kw)


def audit_total(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


# --------------------------------------------------------------------------- the page

def test_before_generation_the_officer_can_generate_and_the_org_waits(client, db, s):
    login(client, s.officer)
    html = page(client, s).get_data(as_text=True)
    assert "尚未生成" in html and f"/awards/{s.award.id}/agreement/generate" in html
    login(client, s.owner)
    html = page(client, s).get_data(as_text=True)
    assert "协议尚未生成" in html and "/generate" not in html and "/upload" not in html
    # No PDF and no scan yet.
    assert client.get(f"/awards/{s.award.id}/agreement.pdf").status_code == 404
    assert client.get(f"/awards/{s.award.id}/agreement/scan").status_code == 404


def test_the_whole_flow_through_the_pages(client, db, s, upload_dir):
    login(client, s.officer)
    resp = post(client, s, "generate")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/awards/{s.award.id}/agreement")
    agreement = service.agreement_for(s.award)
    assert agreement.status == AS.GENERATED
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "协议已生成" in html and agreement.number in html and "等待机构签署盖章后上传扫描件" in html
    assert "第 1 期" in html and "¥25,000.00" in html and "协议签订后拨付" in html

    login(client, s.owner)
    html = page(client, s).get_data(as_text=True)
    assert "签署并上传" in html and 'enctype="multipart/form-data"' in html and "/agreement.pdf" in html
    pdf = client.get(f"/awards/{s.award.id}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"] and pdf.headers["Cache-Control"] == "no-store"
    resp = post(client, s, "upload", {"file": (io.BytesIO(PDF), "签署件.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    assert service.agreement_for(s.award).status == AS.UPLOADED
    assert "签署件已上传" in client.get(resp.headers["Location"]).get_data(as_text=True)

    login(client, s.officer)
    html = page(client, s).get_data(as_text=True)
    assert "确认生效" in html and "退回签署件" in html and "/agreement/scan" in html
    resp = post(client, s, "confirm")
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "协议已确认生效。第 1 期资金（¥25,000.00）已可申请拨付。" in html
    assert "可申请拨付" in html
    assert [i.status for i in inst.installments_of(s.award)] == [S.DUE, S.WAITING, S.WAITING]
    # The request button (once the disbursement pages exist) is for program officers.
    if "money.installment_request" in client.application.view_functions:
        assert f"/finance/installments/{inst.installments_of(s.award)[0].id}/request" in html
        login(client, s.owner)
        assert "/request" not in page(client, s).get_data(as_text=True)


def test_out_of_order_steps_answer_409_and_write_nothing(client, db, s, upload_dir):
    login(client, s.officer)
    before = audit_total(db)
    resp = post(client, s, "confirm")
    assert resp.status_code == 409 and "还没有生成协议" in resp.get_data(as_text=True)
    resp = post(client, s, "refuse", {"reason": "缺少公章请补盖"})
    assert resp.status_code == 409
    assert audit_total(db) == before
    post(client, s, "generate")
    resp = post(client, s, "confirm")
    assert resp.status_code == 409 and "尚未上传签署件" in resp.get_data(as_text=True)
    login(client, s.owner)
    post(client, s, "upload", {"file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    login(client, s.officer)
    resp = post(client, s, "generate")
    assert resp.status_code == 409 and "请先确认或退回签署件" in resp.get_data(as_text=True)
    post(client, s, "confirm")
    before = audit_total(db)
    for action in ("generate", "confirm", "refuse"):
        assert post(client, s, action, {"reason": "缺少公章请补盖"}).status_code == 409
    login(client, s.owner)
    resp = post(client, s, "upload", {"file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 409 and "协议已经生效" in resp.get_data(as_text=True)
    assert audit_total(db) == before
    assert len([p for p in upload_dir.rglob("*") if p.is_file()]) == 1


@pytest.mark.parametrize("data,message", [
    ({}, "请选择签署盖章后的协议扫描件"),
    ({"file": (io.BytesIO(HTML), "签署件.pdf")}, "文件内容与扩展名不符"),
    ({"file": (io.BytesIO(b"MZ\x90\x00"), "签署件.exe")}, "不支持的文件类型"),
])
def test_a_refused_upload_says_why_beside_the_field(client, db, s, upload_dir, data, message):
    service.generate(s.officer, s.award, NOW)
    login(client, s.member)
    resp = post(client, s, "upload", data, content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert message in html and "invalid-feedback" in html
    assert service.agreement_for(s.award).status == AS.GENERATED
    assert not any(p.is_file() for p in upload_dir.rglob("*"))


def test_refuse_needs_a_reason_and_the_org_sees_it(client, db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    service.upload_scan(s.owner, s.award, scan())
    login(client, s.officer)
    resp = post(client, s, "refuse", {"reason": ""})
    assert resp.status_code == 200 and "请填写退回原因" in resp.get_data(as_text=True)
    assert service.agreement_for(s.award).status == AS.UPLOADED
    resp = post(client, s, "refuse", {"reason": "缺少乙方公章，请补盖后重新上传。"})
    assert resp.status_code == 302
    login(client, s.owner)
    html = page(client, s).get_data(as_text=True)
    assert "签署件被退回" in html and "缺少乙方公章，请补盖后重新上传。" in html


def test_the_scan_is_served_as_an_attachment(client, db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    service.upload_scan(s.owner, s.award, scan(png_bytes(), "签署件.png"))
    for user in (s.member, s.finance):
        login(client, user)
        resp = client.get(f"/awards/{s.award.id}/agreement/scan")
        assert resp.status_code == 200 and resp.data == png_bytes()
        assert resp.mimetype == "image/png"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in resp.headers["Cache-Control"]
        assert resp.headers["Content-Disposition"].startswith("attachment")
    login(client, s.outsider)
    assert client.get(f"/awards/{s.award.id}/agreement/scan").status_code == 403


def test_strangers_are_refused(client, db, s):
    login(client, s.outsider)
    assert page(client, s).status_code == 403
    assert post(client, s, "generate").status_code == 403
    other_officer = make_staff(make_scene().funder)
    login(client, other_officer)
    assert page(client, s).status_code == 403
    assert client.get("/awards/999999/agreement").status_code == 404
    assert client.get("/awards/99999999999/agreement").status_code == 404


# --------------------------------------------------------------------------- the public contract

def test_the_public_contract_page(client, db, upload_dir):
    scene = make_scene(CallKind.PURCHASE)
    url = f"/awards/{scene.award.id}/contract"
    assert client.get(url).status_code == 404
    service.generate(scene.officer, scene.award, NOW)
    service.upload_scan(scene.owner, scene.award, scan())
    assert client.get(url).status_code == 404
    service.confirm(scene.officer, scene.award, NOW)
    resp = client.get(url)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for expected in ("政府购买服务合同公开", scene.org.name, "银龄饭桌助餐项目", "居家养老服务", "¥50,000.01",
                     "2026-07-01", "协议签订后拨付 50%", service.agreement_for(scene.award).number):
        assert expected in html, expected
    assert "签署件" not in html     # the scan stays private


def test_a_venture_agreement_has_no_public_contract(client, db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    service.upload_scan(s.owner, s.award, scan())
    service.confirm(s.officer, s.award, NOW)
    assert client.get(f"/awards/{s.award.id}/contract").status_code == 404


# --------------------------------------------------------------------------- my awards

def test_my_awards_for_the_organization(client, db, s, upload_dir):
    login(client, s.owner)
    html = client.get("/awards/mine").get_data(as_text=True)
    assert "银龄饭桌助餐项目" in html and "等待资助方生成协议" in html and "尚未生成" in html
    service.generate(s.officer, s.award, NOW)
    service.upload_scan(s.owner, s.award, scan())
    service.confirm(s.officer, s.award, NOW)
    html = client.get("/awards/mine").get_data(as_text=True)
    assert "已生效" in html and "拨付办理中" in html and "已拨 0 / 3 期" in html


def test_my_awards_for_the_funder_with_filters(client, db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    login(client, s.officer)
    html = client.get("/awards/mine").get_data(as_text=True)
    assert "银龄饭桌助餐项目" in html and "等待机构上传签署件" in html
    assert "银龄饭桌助餐项目" in client.get("/awards/mine?status=generated").get_data(as_text=True)
    html = client.get("/awards/mine?status=signed").get_data(as_text=True)
    assert "没有符合条件的立项项目" in html
    assert "没有符合条件" in client.get("/awards/mine?q=不存在的项目").get_data(as_text=True)
    for junk in ("?status=<x>", "?call=abc", "?call=99999999999", "?page=-3", "?scope=org", "?q=" + "长" * 300,
                 "?q=%00"):
        assert client.get("/awards/mine" + junk).status_code == 200, junk


def test_my_awards_for_someone_with_none(client, db):
    login(client, make_user())
    resp = client.get("/awards/mine")
    assert resp.status_code == 200 and "暂无立项项目" in resp.get_data(as_text=True)


def test_my_awards_tabs_for_a_member_who_is_also_staff(client, db, s, upload_dir):
    other = make_scene()
    from app.funders.models import StaffMembership, StaffRole

    db.session.add(StaffMembership(user_id=s.owner.id, funder_id=other.funder.id, role=StaffRole.AUDITOR))
    db.session.flush()
    db.session.refresh(s.owner)
    login(client, s.owner)
    html = client.get("/awards/mine").get_data(as_text=True)
    assert "我的组织" in html and "资助方项目" in html and s.org.name in html and other.org.name not in html
    html = client.get("/awards/mine?scope=funder").get_data(as_text=True)
    assert other.org.name in html and s.org.name not in html

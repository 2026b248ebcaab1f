"""Agreements (资助协议 / 政府购买服务合同): generation (by hand and on the award decision),
the signed scan, confirmation firing the first installment, refusals, out-of-order steps,
the PDF text and the public purchase contracts (app.money.agreements)."""
from __future__ import annotations

import io
import re
import subprocess
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.awards import services as award_services
from app.calls.models import CallKind, CallStatus
from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.core.events import _HANDLERS, subscribe
from app.funders.models import StaffRole
from app.money import agreements as service
from app.money import installments as inst
from app.money.agreement_pdf import render_agreement
from app.money.models import Agreement, AgreementStatus as AS, FundSourceKind, InstallmentStatus as S
from app.orgs.models import LegalStatus
from app.regions.models import RegionLevel
from tests.awards import FIVE_DAYS_LATER, FRIDAY_10AM_BEIJING, reviewed_call
from tests.core.test_uploads import HTML, PDF, png_bytes
from tests.factories import (add_member, make_application, make_award, make_call, make_fund_source, make_funder,
                             make_funding, make_org, make_region, make_staff, make_user)

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(root))
    return root


def make_scene(kind=CallKind.VENTURE, *, amount_fen=5_000_001, starts_on=date(2026, 7, 1),
               ends_on=date(2027, 6, 30)) -> SimpleNamespace:
    """Funder F (officer, finance) with an awarded call; organization X (owner, member,
    registered, with its credit code) and its award GY2026-<call>-001."""
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    funder = make_funder(region=county, name=f"五华区民政局{county.id}")
    funder.address, funder.contact_phone = "五华区人民中路1号", "0871-63000000"
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER, name="项目主管")
    finance = make_staff(funder, StaffRole.FINANCE_OFFICER, name="财务人员")
    call = make_call(funder, status=CallStatus.AWARDED, kind=kind, title="2026年五华区社区公益创投")
    owner, member = make_user(name="机构负责人"), make_user(name="机构成员")
    community = make_region(level=RegionLevel.COMMUNITY, name="翠湖社区")
    org = make_org(community=community, owner=owner, legal_status=LegalStatus.REGISTERED,
                   credit_code=f"52530102MJ{county.id:07d}X", name=f"翠湖社区居家养老服务中心{county.id}")
    org.legal_representative, org.address = "张三", "翠湖南路8号"
    add_member(org, member)
    application = make_application(call, org, title="银龄饭桌助餐项目", requested_fen=amount_fen, created_by=owner)
    application.starts_on, application.ends_on = starts_on, ends_on
    award = make_award(application, amount_fen=amount_fen, number=f"GY2026-{call.id:04d}-001")
    return SimpleNamespace(funder=funder, officer=officer, finance=finance, call=call, owner=owner, member=member,
                           org=org, application=application, award=award, outsider=make_user(name="外人"))


@pytest.fixture
def s(db):
    return make_scene()


def scan(content: bytes = PDF, name: str = "签署件.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name)


def audit_count(db, action: str | None = None) -> int:
    stmt = select(func.count()).select_from(AuditEntry)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalar(stmt)


# --------------------------------------------------------------------------- generate

def test_generate_numbers_the_agreement_and_creates_the_schedule(db, s):
    agreement = service.generate(s.officer, s.award, NOW)
    assert agreement.number == f"XY2026-{s.call.id:04d}-001"
    assert agreement.status == AS.GENERATED
    assert (agreement.starts_on, agreement.ends_on) == (date(2026, 7, 1), date(2027, 6, 30))
    assert [i.amount_fen for i in inst.installments_of(s.award)] == [2_500_000, 2_000_000, 500_001]
    assert service.agreement_for(s.award) == agreement
    assert audit_count(db, "agreement.generate") == 1


def test_generate_again_refreshes_a_generated_agreement_only(db, s, upload_dir):
    first = service.generate(s.officer, s.award, NOW)
    s.application.ends_on = date(2027, 3, 31)
    again = service.generate(s.officer, s.award, NOW + timedelta(days=1))
    assert again.id == first.id and again.ends_on == date(2027, 3, 31)
    assert db.session.scalar(select(func.count()).select_from(Agreement)) == 1
    assert len(inst.installments_of(s.award)) == 3
    service.upload_scan(s.owner, s.award, scan())
    with pytest.raises(Conflict, match="签署件"):
        service.generate(s.officer, s.award)
    service.confirm(s.officer, s.award)
    before = audit_count(db)
    with pytest.raises(Conflict, match="已生效"):
        service.generate(s.officer, s.award)
    assert audit_count(db) == before


@pytest.mark.parametrize("who", ["finance", "owner", "outsider"])
def test_only_program_officers_generate(db, s, who):
    with pytest.raises(PermissionDenied):
        service.generate(getattr(s, who), s.award)
    assert service.agreement_for(s.award) is None and inst.installments_of(s.award) == []


def test_a_purchase_contract_runs_at_most_a_year(db):
    scene = make_scene(CallKind.PURCHASE, starts_on=date(2026, 7, 1), ends_on=date(2027, 12, 31))
    agreement, notes = service.generate_with_notes(scene.officer, scene.award, NOW)
    assert agreement.number.startswith("HT2026-")
    assert (agreement.starts_on, agreement.ends_on) == (date(2026, 7, 1), date(2027, 6, 30))
    assert len(notes) == 1 and "不超过一年" in notes[0] and "2027-12-31" in notes[0]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "agreement.generate"))
    assert "不超过一年" in entry.after["notes"][0]


def test_a_venture_agreement_keeps_a_longer_period(db):
    scene = make_scene(starts_on=date(2026, 7, 1), ends_on=date(2027, 12, 31))
    agreement, notes = service.generate_with_notes(scene.officer, scene.award, NOW)
    assert agreement.ends_on == date(2027, 12, 31) and notes == []


def test_without_a_project_period_the_term_is_a_year_from_the_award(db, s):
    s.application.starts_on = s.application.ends_on = None
    s.award.awarded_at = datetime(2026, 2, 28, 17, 0, tzinfo=timezone.utc)   # 1 March in Beijing
    term = service.term_for(s.award)
    assert (term.starts_on, term.ends_on) == (date(2026, 3, 1), date(2027, 2, 28)) and term.notes


@pytest.mark.parametrize("start,end", [(date(2026, 3, 1), date(2027, 2, 28)), (date(2024, 2, 29), date(2025, 2, 28)),
                                       (date(2026, 1, 1), date(2026, 12, 31))])
def test_one_year_end(start, end):
    assert service.one_year_end(start) == end


def test_reporting_dates():
    assert service.reporting_dates(date(2026, 7, 1), date(2027, 6, 30)) == (date(2026, 12, 30), date(2027, 7, 15))


def test_agreement_number_for_other_award_numbers(db, s):
    s.award.number = "TEST-7"
    assert service.agreement_number(s.award, NOW) == f"XY2026-A{s.award.id:06d}"


# --------------------------------------------------------------------------- on the award decision

def test_the_award_decision_generates_every_agreement(db):
    r = reviewed_call()
    award_services.publish_notice(r.officer, r.call, "公示说明", "电话 0871-63000000", FRIDAY_10AM_BEIJING)
    awards = award_services.close_notice(r.officer, r.call, FIVE_DAYS_LATER + timedelta(hours=1))
    assert len(awards) == 2
    for award in awards:
        agreement = service.agreement_for(award)
        assert agreement is not None and agreement.status == AS.GENERATED
        assert agreement.number == "XY" + award.number[2:]
        rows = inst.installments_of(award)
        assert sum(i.amount_fen for i in rows) == award.amount_fen and all(i.status == S.WAITING for i in rows)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "agreement.generate"))
    assert entry.actor_id == r.officer.id


def test_a_bad_template_never_fails_the_award_decision(db):
    r = reviewed_call()
    r.call.installments[0].percent = 10          # 10 + 40 + 10: not 100%
    award_services.publish_notice(r.officer, r.call, "公示说明", "电话 0871-63000000", FRIDAY_10AM_BEIJING)
    awards = award_services.close_notice(r.officer, r.call, FIVE_DAYS_LATER + timedelta(hours=1))
    assert len(awards) == 2 and r.call.status == CallStatus.AWARDED
    assert all(service.agreement_for(a) is None and inst.installments_of(a) == [] for a in awards)


# --------------------------------------------------------------------------- the signed scan

def test_upload_stores_the_scan(db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    agreement = service.upload_scan(s.member, s.award, scan(), NOW)
    assert agreement.status == AS.UPLOADED
    assert agreement.uploaded_by_id == s.member.id and agreement.uploaded_at == NOW
    assert agreement.scan_content_type == "application/pdf" and agreement.scan_original_name == "签署件.pdf"
    path = upload_dir / service.SUBDIR / agreement.scan_stored_name
    assert path.read_bytes() == PDF
    assert audit_count(db, "agreement.upload") == 1


@pytest.mark.parametrize("content,name,message", [
    (HTML, "签署件.pdf", "文件内容与扩展名不符"),
    (HTML, "签署件.html", "不支持的文件类型"),
    (png_bytes(), "签署件.pdf", "扩展名应为 .png"),
    (b"", "签署件.pdf", "文件是空的"),
])
def test_upload_judges_the_file_by_its_content(db, s, upload_dir, content, name, message):
    service.generate(s.officer, s.award, NOW)
    db.session.commit()
    with pytest.raises(ValidationError, match=message):
        service.upload_scan(s.owner, s.award, scan(content, name))
    db.session.rollback()
    assert service.agreement_for(s.award).status == AS.GENERATED
    assert not any(p.is_file() for p in upload_dir.rglob("*"))


def test_a_docx_is_not_a_scan(db, s, upload_dir):
    from tests.core.test_uploads import docx_bytes

    service.generate(s.officer, s.award, NOW)
    with pytest.raises(ValidationError, match="此处不接受"):
        service.upload_scan(s.owner, s.award, scan(docx_bytes(), "签署件.docx"))


def test_a_png_scan_is_accepted_and_a_missing_file_refused(db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    with pytest.raises(ValidationError, match="请选择"):
        service.upload_scan(s.owner, s.award, None)
    with pytest.raises(ValidationError, match="请选择"):
        service.upload_scan(s.owner, s.award, FileStorage(stream=io.BytesIO(b""), filename=""))
    agreement = service.upload_scan(s.owner, s.award, scan(png_bytes(), "第1页.png"))
    assert agreement.scan_content_type == "image/png"


def test_a_new_upload_replaces_the_scan_and_deletes_the_old_file_after_commit(db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    first = service.upload_scan(s.owner, s.award, scan()).scan_stored_name
    db.session.commit()
    old = upload_dir / service.SUBDIR / first
    assert old.is_file()
    second = service.upload_scan(s.owner, s.award, scan(png_bytes(), "重扫.png")).scan_stored_name
    assert second != first and old.is_file()      # flushed only: a rollback must still find it
    db.session.commit()
    assert not old.exists() and (upload_dir / service.SUBDIR / second).is_file()
    assert service.agreement_for(s.award).scan_original_name == "重扫.png"


def test_a_refused_replacement_keeps_the_old_file(db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    first = service.upload_scan(s.owner, s.award, scan()).scan_stored_name
    db.session.commit()
    with pytest.raises(ValidationError):
        service.upload_scan(s.owner, s.award, scan(HTML, "x.pdf"))
    db.session.rollback()
    assert (upload_dir / service.SUBDIR / first).is_file()
    assert [p.name for p in (upload_dir / service.SUBDIR).iterdir() if p.is_file()] == [first]


def test_upload_out_of_order_and_by_others(db, s, upload_dir):
    with pytest.raises(Conflict, match="尚未生成协议"):
        service.upload_scan(s.owner, s.award, scan())
    service.generate(s.officer, s.award, NOW)
    for who in (s.officer, s.finance, s.outsider):
        with pytest.raises(PermissionDenied):
            service.upload_scan(who, s.award, scan())
    service.upload_scan(s.owner, s.award, scan())
    service.confirm(s.officer, s.award)
    db.session.commit()
    before = audit_count(db)
    with pytest.raises(Conflict, match="已经生效"):
        service.upload_scan(s.owner, s.award, scan())
    db.session.rollback()
    assert audit_count(db) == before
    assert len([p for p in upload_dir.rglob("*") if p.is_file()]) == 1


# --------------------------------------------------------------------------- confirm / refuse

def test_confirm_signs_and_makes_the_first_installment_due(db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    service.upload_scan(s.owner, s.award, scan(), NOW)
    seen = []
    handler = subscribe("agreement.signed")(lambda **kw: seen.append(kw))
    try:
        agreement = service.confirm(s.officer, s.award, NOW + timedelta(hours=1))
    finally:
        _HANDLERS["agreement.signed"].remove(handler)
    assert agreement.status == AS.SIGNED and agreement.signed_at == NOW + timedelta(hours=1)
    assert agreement.confirmed_by_id == s.officer.id
    rows = inst.installments_of(s.award)
    assert [r.status for r in rows] == [S.DUE, S.WAITING, S.WAITING]
    assert rows[0].due_at == NOW + timedelta(hours=1)
    assert seen and seen[0]["award"] == s.award and seen[0]["agreement"] == agreement
    assert audit_count(db, "agreement.confirm") == 1 and audit_count(db, "installments.due") == 1


def test_confirm_out_of_order_writes_nothing(db, s, upload_dir):
    with pytest.raises(Conflict, match="还没有生成协议"):
        service.confirm(s.officer, s.award)
    service.generate(s.officer, s.award, NOW)
    before = audit_count(db)
    with pytest.raises(Conflict, match="尚未上传签署件"):
        service.confirm(s.officer, s.award)
    assert audit_count(db) == before and all(r.status == S.WAITING for r in inst.installments_of(s.award))
    service.upload_scan(s.owner, s.award, scan())
    for who in (s.finance, s.owner):
        with pytest.raises(PermissionDenied):
            service.confirm(who, s.award)
    service.confirm(s.officer, s.award)
    before = audit_count(db)
    with pytest.raises(Conflict, match="不能重复确认"):
        service.confirm(s.officer, s.award)
    assert audit_count(db) == before


def test_refuse_sends_the_scan_back_with_the_reason(db, s, upload_dir):
    service.generate(s.officer, s.award, NOW)
    service.upload_scan(s.owner, s.award, scan())
    agreement = service.refuse_scan(s.officer, s.award, "  缺少乙方公章，请补盖后重新上传。 ")
    assert agreement.status == AS.GENERATED and agreement.return_reason == "缺少乙方公章，请补盖后重新上传。"
    with pytest.raises(Conflict):
        service.confirm(s.officer, s.award)
    with pytest.raises(Conflict, match="只有已上传"):
        service.refuse_scan(s.officer, s.award, "再次退回的原因")
    # The corrected scan goes through.
    service.upload_scan(s.owner, s.award, scan())
    assert service.confirm(s.officer, s.award).return_reason == ""


@pytest.mark.parametrize("reason,message", [("", "请填写退回原因"), ("太短", "至少"), ("x" * 501, "不能超过"),
                                            ("原因\x00原因原因", "控制字符"), (None, "请填写退回原因")])
def test_refuse_needs_a_reason(db, s, upload_dir, reason, message):
    service.generate(s.officer, s.award, NOW)
    service.upload_scan(s.owner, s.award, scan())
    with pytest.raises(ValidationError, match=message):
        service.refuse_scan(s.officer, s.award, reason)
    assert service.agreement_for(s.award).status == AS.UPLOADED


# --------------------------------------------------------------------------- PDF

def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


def test_the_venture_agreement_pdf(db, s, tmp_path):
    agreement = service.generate(s.officer, s.award, NOW)
    data = render_agreement(agreement, now=NOW)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    for expected in [
        "资助协议", agreement.number, "甲方（资助方）", s.funder.name, "五华区人民中路1号",
        "乙方（受资助方）", s.org.name, s.org.credit_code, "张三", "翠湖南路8号",
        "银龄饭桌助餐项目", s.call.title, s.award.number, "2026年7月1日至2027年6月30日",
        "¥50,000.01", "人民币伍万元零壹分",
        # the schedule: percent, amount, condition
        "第1期50%¥25,000.00协议签订后拨付", "第2期40%¥20,000.00中期报告通过后拨付",
        "第3期10%¥5,000.01结项验收通过后拨付",
        # reporting duties with dates
        "2026年12月30日前", "2027年7月15日前",
        # rules and the breach clause
        "不得用于购置固定资产", "不得向服务对象发放现金", "管理费用不得超过资助金额的10%", "三年内不得申报",
        # funds: none split yet → the funder
        f"由{s.funder.name}统筹安排",
        # the signature blocks
        "甲方（盖章）", "乙方（盖章）", "盖章处", "法定代表人或授权代表（签字）",
    ]:
        assert expected in text, expected


def test_articles_are_numbered_in_the_reader_s_language(app, db, s, tmp_path):
    from flask_babel import force_locale

    agreement = service.generate(s.officer, s.award, NOW)
    chinese = pdf_text(render_agreement(agreement, now=NOW), tmp_path)
    assert "第一条" in chinese and "第二条" in chinese and "Article1" not in chinese
    with force_locale("en"):
        english = pdf_text(render_agreement(agreement, now=NOW), tmp_path)
    assert "Article1" in english and "Article2" in english
    assert "Article一" not in english and "第一条" not in english


def test_the_purchase_contract_pdf_lists_the_fund_sources(db, tmp_path):
    scene = make_scene(CallKind.PURCHASE)
    fund = make_fund_source(scene.funder, name="2026年区级政府购买服务资金", kind=FundSourceKind.GOVERNMENT_PURCHASE)
    make_funding(scene.award, fund)
    agreement = service.generate(scene.officer, scene.award, NOW)
    text = pdf_text(render_agreement(agreement), tmp_path)
    for expected in ["政府购买服务合同", "甲方（购买方）", "乙方（承接方）", "购买服务事项居家养老服务",
                     "2026年区级政府购买服务资金", "政府购买服务资金", "按绩效分期支付", "合同期限",
                     "政府购买服务合同履行期限不超过一年"]:
        assert expected in text, expected


def test_the_pdf_renders_chinese(db, s, tmp_path):
    """pdftoppm draws the first page; a page of missing glyphs (tofu) would still render,
    so this checks the text layer and that the font is embedded or a CJK CID font."""
    agreement = service.generate(s.officer, s.award, NOW)
    path = tmp_path / "a.pdf"
    path.write_bytes(render_agreement(agreement))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "GongyiCJK" in fonts or "STSong-Light" in fonts
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 5000


def test_a_signed_agreement_pdf_says_so(db, s, tmp_path, upload_dir):
    service.generate(s.officer, s.award, NOW)
    service.upload_scan(s.owner, s.award, scan())
    agreement = service.confirm(s.officer, s.award, datetime(2026, 6, 2, 2, 0, tzinfo=timezone.utc))
    assert "本协议已于2026年6月2日经甲方在平台确认生效" in pdf_text(render_agreement(agreement), tmp_path)


# --------------------------------------------------------------------------- public contracts

def sign(scene):
    service.generate(scene.officer, scene.award, NOW)
    service.upload_scan(scene.owner, scene.award, scan())
    return service.confirm(scene.officer, scene.award, NOW)


def test_signed_purchase_contracts_are_public(db, upload_dir):
    scene = make_scene(CallKind.PURCHASE)
    assert service.public_contracts(scene.call) == [] and service.contract_summary(scene.award) is None
    service.generate(scene.officer, scene.award, NOW)
    assert service.public_contracts(scene.call) == []
    service.upload_scan(scene.owner, scene.award, scan())
    service.confirm(scene.officer, scene.award, NOW)
    [summary] = service.public_contracts(scene.call)
    assert summary.award == scene.award and summary.project == "银龄饭桌助餐项目"
    assert summary.organization == scene.org
    assert summary.payment_terms == "协议签订后拨付 50%；中期报告通过后拨付 40%；结项验收通过后拨付 10%"
    assert service.contract_summary(scene.award).agreement.status == AS.SIGNED


def test_venture_agreements_are_not_published(db, s, upload_dir):
    sign(s)
    assert service.public_contracts(s.call) == [] and service.contract_summary(s.award) is None


# --------------------------------------------------------------------------- my awards

def test_awards_query_scopes(db, s, upload_dir):
    other = make_scene()
    assert service.scopes(s.owner) == ["org"] and service.scopes(s.officer) == ["funder"]
    assert service.scopes(s.outsider) == []
    assert db.session.scalars(service.awards_query(s.owner, "org")).all() == [s.award]
    assert db.session.scalars(service.awards_query(s.officer, "funder")).all() == [s.award]
    admin = make_user(is_admin=True)
    assert set(db.session.scalars(service.awards_query(admin, "funder"))) == {s.award, other.award}
    service.generate(s.officer, s.award, NOW)
    q = service.awards_query
    assert db.session.scalars(q(s.officer, "funder", agreement_status="generated")).all() == [s.award]
    assert db.session.scalars(q(s.officer, "funder", agreement_status="none")).all() == []
    assert db.session.scalars(q(admin, "funder", agreement_status="none")).all() == [other.award]
    assert db.session.scalars(q(s.officer, "funder", q="银龄")).all() == [s.award]
    assert db.session.scalars(q(s.officer, "funder", q="不存在")).all() == []
    assert db.session.scalars(q(s.officer, "funder", call_id=other.call.id)).all() == []
    assert service.call_choices(s.officer, "funder") == [(s.call.id, s.call.title)]


def test_next_step(db, s, upload_dir):
    step = lambda scope: service.next_step(service.agreement_for(s.award),  # noqa: E731
                                           inst.progress_by_award([s.award.id]).get(s.award.id), scope).text
    assert (step("org"), step("funder")) == ("等待资助方生成协议", "生成协议")
    service.generate(s.officer, s.award, NOW)
    assert step("org") == "下载协议，签署盖章后上传扫描件"
    service.upload_scan(s.owner, s.award, scan())
    assert step("funder") == "审核签署件并确认生效"
    service.refuse_scan(s.officer, s.award, "缺少公章，请补盖")
    assert step("org") == "签署件被退回，请按意见重新上传"
    service.upload_scan(s.owner, s.award, scan())
    service.confirm(s.officer, s.award)
    assert (step("org"), step("funder")) == ("拨付办理中", "办理拨付")
    inst.withhold_remaining(s.award, None, "中期评估不合格")
    assert step("funder") == "暂停拨付"

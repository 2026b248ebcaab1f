"""Report pages through the Flask client: writing with messages beside the fields, photos,
submitting, the officer's review, the certificate PDF, and the list's query count."""
from __future__ import annotations

import io
import re
import subprocess
from decimal import Decimal

from sqlalchemy import func, select

from app.money.models import InstallmentStatus
from app.reports import services
from app.reports.models import ReportPhoto, ReportRating, ReportStatus
from tests.conftest import login
from tests.factories import make_user
from tests.reports.conftest import PNG, full_data


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _accepted_final(project):
    progress, final = services.reports_of(project.award)
    services.save_report(project.owner, progress, full_data(progress))
    services.submit(project.owner, progress)
    services.accept(project.officer, progress)
    services.save_report(project.owner, final, full_data(final))
    services.submit(project.owner, final)
    services.accept(project.officer, final, rating="excellent", comment="成效显著，同意结项。")
    return progress, final


def test_award_page_lists_both_reports_and_the_schedule(client, db, project):
    login(client, project.owner)
    resp = client.get(f"/reports/awards/{project.award.id}")
    assert resp.status_code == 200
    page = _text(resp)
    assert "中期报告" in page and "结项报告" in page and "2026-07-02" in page and "2027-01-15" in page
    assert "可申请拨付" in page and "未到拨付条件" in page


def test_edit_shows_a_message_beside_a_bad_number_and_saves_nothing(client, db, project):
    progress, _final = services.reports_of(project.award)
    login(client, project.owner)
    data = full_data(progress)
    indicator = project.application.indicators[0]
    data[f"indicator-{indicator.id}-actual"] = "１２０"
    resp = client.post(f"/reports/{progress.id}/edit", data=data)
    assert resp.status_code == 200
    page = _text(resp)
    assert "请使用半角数字" in page and 'aria-invalid="true"' in page
    assert "已开展助餐服务" in page  # what was typed stays in the form
    db.session.refresh(progress)
    assert progress.narrative == "" and progress.indicators == []


def test_edit_saves_then_submits(client, db, project):
    progress, _final = services.reports_of(project.award)
    login(client, project.owner)
    resp = client.post(f"/reports/{progress.id}/edit", data=full_data(progress))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/reports/{progress.id}/edit")
    page = _text(client.get(f"/reports/{progress.id}/edit"))
    assert 'value="2400.5"' in page and 'value="1000.50"' in page
    resp = client.post(f"/reports/{progress.id}/edit", data={**full_data(progress), "then": "submit"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/reports/{progress.id}")
    db.session.refresh(progress)
    assert progress.status == ReportStatus.SUBMITTED
    # Submitted: writing again is out of order.
    locked = client.get(f"/reports/{progress.id}/edit")
    assert locked.status_code == 200 and "不能再修改" in _text(locked) and 'name="narrative"' not in _text(locked)
    assert client.post(f"/reports/{progress.id}/edit", data=full_data(progress)).status_code == 409
    assert client.post(f"/reports/{progress.id}/submit").status_code == 409


def test_an_incomplete_report_goes_back_to_the_form(client, db, project):
    progress, _final = services.reports_of(project.award)
    login(client, project.owner)
    resp = client.post(f"/reports/{progress.id}/submit", follow_redirects=True)
    assert resp.status_code == 200 and "报告还不完整" in _text(resp)
    db.session.refresh(progress)
    assert progress.status == ReportStatus.DRAFT


def test_photo_upload_serve_and_delete(client, db, project):
    progress, _final = services.reports_of(project.award)
    login(client, project.owner)
    resp = client.post(f"/reports/{progress.id}/photos",
                       data={"file": (io.BytesIO(PNG), "开放日.png"), "caption": "助餐点开放日"},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    photo = db.session.scalar(select(ReportPhoto).where(ReportPhoto.report_id == progress.id))
    assert photo.caption == "助餐点开放日"
    served = client.get(f"/reports/photos/{photo.id}")
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.mimetype == "image/png"
    # A text file named .png is refused by its content.
    resp = client.post(f"/reports/{progress.id}/photos", data={"file": (io.BytesIO(b"hello"), "fake.png")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "开放日.png" in _text(resp)
    assert db.session.scalar(select(func.count(ReportPhoto.id))) == 1
    # Someone else's organization never sees it.
    login(client, make_user())
    assert client.get(f"/reports/photos/{photo.id}").status_code == 403
    login(client, project.owner)
    assert client.post(f"/reports/photos/{photo.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(ReportPhoto.id))) == 0


def test_officer_accepts_the_progress_report_and_the_next_installment_is_due(client, db, project):
    progress, _final = services.reports_of(project.award)
    services.save_report(project.owner, progress, full_data(progress))
    services.submit(project.owner, progress)
    login(client, project.officer)
    page = _text(client.get(f"/reports/{progress.id}"))
    assert "审核报告" in page and "48.0%" in page
    resp = client.post(f"/reports/{progress.id}/accept", data={"comment": "按计划执行。"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert progress.status == ReportStatus.ACCEPTED
    assert project.installments[1].status == InstallmentStatus.DUE
    # Twice: out of order.
    assert client.post(f"/reports/{progress.id}/accept", data={}).status_code == 409


def test_final_acceptance_without_a_rating_says_so(client, db, project):
    progress, final = services.reports_of(project.award)
    services.save_report(project.owner, progress, full_data(progress))
    services.submit(project.owner, progress)
    services.accept(project.officer, progress)
    services.save_report(project.owner, final, full_data(final))
    services.submit(project.owner, final)
    login(client, project.officer)
    resp = client.post(f"/reports/{final.id}/accept", data={"rating": "fail"})
    assert resp.status_code == 200 and "请评定等级" in _text(resp)
    db.session.refresh(final)
    assert final.status == ReportStatus.SUBMITTED
    resp = client.post(f"/reports/{final.id}/accept", data={"rating": "pass"})
    assert resp.status_code == 302
    db.session.refresh(final)
    assert final.rating == ReportRating.PASS


def test_return_needs_a_reason(client, db, project):
    progress, _final = services.reports_of(project.award)
    services.save_report(project.owner, progress, full_data(progress))
    services.submit(project.owner, progress)
    login(client, project.officer)
    resp = client.post(f"/reports/{progress.id}/return", data={"return-reason": ""})
    assert resp.status_code == 200 and "请填写理由" in _text(resp)
    resp = client.post(f"/reports/{progress.id}/return", data={"return-reason": "请补充照片和签到表。"})
    assert resp.status_code == 302
    db.session.refresh(progress)
    assert progress.status == ReportStatus.RETURNED
    login(client, project.owner)
    assert "请补充照片和签到表" in _text(client.get(f"/reports/{progress.id}/edit"))


def test_certificate_only_for_an_accepted_final_report(client, db, project):
    progress, final = services.reports_of(project.award)
    login(client, project.owner)
    assert client.get(f"/reports/{final.id}/certificate.pdf").status_code == 404
    _accepted_final(project)
    resp = client.get(f"/reports/{final.id}/certificate.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    assert client.get(f"/reports/{progress.id}/certificate.pdf").status_code == 404


def test_certificate_text(db, project, tmp_path):
    from app.reports.certificate_pdf import render_certificate

    _progress, final = _accepted_final(project)
    path = tmp_path / "cert.pdf"
    path.write_bytes(render_certificate(final))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    compact = re.sub(r"\s+", "", text)
    award = project.award
    for expected in ("项目结项证书", award.number, award.organization.name, project.application.title,
                     "2026年1月1日至2026年12月31日", "优秀", "助餐服务人次", "5000", "2400.5", "48.0%",
                     "成效显著，同意结项。", award.call.funder.name, "（盖章）"):
        assert expected.replace(" ", "") in compact, expected
    assert f"¥{award.amount_fen // 100:,}.00" in compact
    v = services.view(final)
    assert f"{v.rate}%" in compact
    assert v.rate == (Decimal(v.spent_fen) * 100 / v.planned_fen).quantize(Decimal("0.1"))


def test_index_lists_what_to_write_and_review_with_filters(client, db, project):
    progress, final = services.reports_of(project.award)
    services.save_report(project.owner, progress, full_data(progress))
    services.submit(project.owner, progress)
    login(client, project.officer)
    page = _text(client.get("/reports/"))
    assert project.application.title in page and "共 2 份报告" in page
    page = _text(client.get("/reports/?status=submitted"))
    assert "共 1 份报告" in page
    page = _text(client.get("/reports/?kind=final&status=bogus&page=abc"))
    assert "共 1 份报告" in page
    login(client, make_user())
    page = _text(client.get("/reports/"))
    assert "暂无项目报告" in page and project.application.title not in page


def test_index_creates_missing_reports_for_the_organization(client, db, project):
    login(client, project.owner)
    page = _text(client.get("/reports/"))
    assert "共 2 份报告" in page


def test_index_runs_a_constant_number_of_queries(client, db, project, count_queries):
    from tests.factories import make_agreement, make_application, make_award

    login(client, project.officer)
    services.reports_of(project.award)
    client.get("/reports/")
    with count_queries() as one:
        assert client.get("/reports/").status_code == 200
    call, org = project.award.call, project.award.organization
    for _ in range(4):
        award = make_award(make_application(call, org))
        make_agreement(award)
        services.reports_of(award)
    client.get("/reports/")
    with count_queries() as five:
        assert client.get("/reports/").status_code == 200
    assert five() == one()

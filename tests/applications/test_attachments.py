"""Application attachments (申报附件): the service rules, and the upload, download and
delete routes (QUALITY.md: size cap 413, type by content, stored outside the web root
with their sha256, served as attachment with nosniff, only to those allowed)."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import render_template_string
from flask_login import login_user
from sqlalchemy import func, select

from app.applications import attachments as service
from app.applications.models import ApplicationStatus, Attachment
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.errors import Conflict, ValidationError
from app.funders.models import StaffRole
from app.regions.models import RegionLevel
from tests.conftest import login
from tests.core.test_uploads import HTML, PDF, docx_bytes, png_bytes
from tests.factories import (add_member, make_application, make_attachment, make_call, make_funder,
                             make_org, make_region, make_staff, make_user)

REQUIRED = ["机构登记证书", "项目预算明细表"]


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(root))
    return root


@pytest.fixture
def scene(db, upload_dir):
    """Organization X (owner, member) applying to an open call of funder F that requires
    two attachments; organization Y's owner; F's officer; another funder's officer."""
    county = make_region(level=RegionLevel.COUNTY)
    street = make_region(level=RegionLevel.STREET, parent=county)
    community = make_region(parent=street)
    funder = make_funder(region=county)
    call = make_call(funder, status=CallStatus.OPEN)
    call.required_attachments = list(REQUIRED)
    owner, member, outsider = make_user(name="负责人"), make_user(name="成员"), make_user(name="他组织")
    org = make_org(community=community, owner=owner)
    add_member(org, member)
    make_org(owner=outsider)
    db.session.flush()

    class Scene:
        pass

    s = Scene()
    s.call, s.org, s.owner, s.member, s.outsider = call, org, owner, member, outsider
    s.officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    s.officer_other = make_staff(make_funder(), StaffRole.PROGRAM_OFFICER)
    s.draft = make_application(call, org, created_by=owner)
    s.submitted = make_application(call, org, status=ApplicationStatus.SUBMITTED, created_by=owner)
    s.returned = make_application(call, org, status=ApplicationStatus.RETURNED, created_by=owner)
    s.upload_dir = upload_dir
    return s


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count_attachments(db, application=None) -> int:
    stmt = select(func.count()).select_from(Attachment)
    if application is not None:
        stmt = stmt.where(Attachment.application_id == application.id)
    return db.session.scalar(stmt)


def add(s, application, content=PDF, name="登记证书.pdf", kind="机构登记证书", actor=None):
    return service.add_attachment(actor or s.owner, application, kind, io.BytesIO(content), filename=name)


# ------------------------------------------------------------------ service

def test_kinds_are_the_calls_required_attachments_then_other(scene):
    assert service.attachment_kinds(scene.call) == REQUIRED + ["其他材料"]
    scene.call.required_attachments = ["其他材料", "章程"]
    assert service.attachment_kinds(scene.call) == ["其他材料", "章程"]


def test_add_stores_the_file_and_the_row_and_audits(db, scene):
    att = add(scene, scene.draft)
    db.session.commit()
    assert (att.kind, att.original_name, att.content_type, att.size_bytes) == \
        ("机构登记证书", "登记证书.pdf", "application/pdf", len(PDF))
    assert att.sha256 == hashlib.sha256(PDF).hexdigest()
    assert att.uploaded_by_id == scene.owner.id and att.locked is False
    path = scene.upload_dir / service.SUBDIR / att.stored_name
    assert stored_files(scene.upload_dir) == [path] and path.read_bytes() == PDF
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "application.attachment.add")).one()
    assert entry.actor_id == scene.owner.id and entry.after["sha256"] == att.sha256
    assert entry.after["application_id"] == scene.draft.id


def test_missing_kinds_follow_the_uploads(db, scene):
    assert service.missing_kinds(scene.draft) == REQUIRED
    add(scene, scene.draft, kind="项目预算明细表", name="预算.pdf")
    db.session.refresh(scene.draft)
    assert service.missing_kinds(scene.draft) == ["机构登记证书"]


@pytest.mark.parametrize("kind", ["", "营业执照", "其他", "机构登记证书\x00"])
def test_a_kind_outside_the_list_is_refused_and_nothing_stored(db, scene, kind):
    with pytest.raises(ValidationError) as err:
        add(scene, scene.draft, kind=kind)
    assert err.value.field == "kind"
    assert count_attachments(db, scene.draft) == 0 and stored_files(scene.upload_dir) == []


def test_surrounding_spaces_of_the_kind_are_trimmed(db, scene):
    assert add(scene, scene.draft, kind=" 机构登记证书 ").kind == "机构登记证书"


@pytest.mark.parametrize("status", [s for s in ApplicationStatus if s not in (ApplicationStatus.DRAFT,
                                                                                ApplicationStatus.RETURNED)])
def test_only_an_editable_application_takes_files(db, scene, status):
    scene.submitted.status = status
    db.session.flush()
    with pytest.raises(Conflict):
        add(scene, scene.submitted)
    assert count_attachments(db, scene.submitted) == 0 and stored_files(scene.upload_dir) == []


def test_a_lying_file_is_refused_and_nothing_written(db, scene):
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(ValidationError, match="文件内容与扩展名不符"):
        add(scene, scene.draft, content=HTML, name="证书.pdf")
    assert count_attachments(db) == 0 and stored_files(scene.upload_dir) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_at_most_thirty_attachments(db, scene):
    for i in range(service.MAX_ATTACHMENTS):
        make_attachment(scene.draft, name=f"材料{i}.pdf")
    files = stored_files(scene.upload_dir)
    with pytest.raises(Conflict, match="最多上传 30 个附件"):
        add(scene, scene.draft, kind="其他材料")
    assert count_attachments(db, scene.draft) == 30 and stored_files(scene.upload_dir) == files


def test_a_returned_application_adds_files_and_removes_only_unlocked_ones(db, scene):
    locked = make_attachment(scene.returned, kind="机构登记证书")
    assert locked.locked
    new = add(scene, scene.returned, kind="项目预算明细表", name="预算（修订）.pdf")
    db.session.commit()
    with pytest.raises(Conflict, match="已提交的版本"):
        service.remove_attachment(scene.owner, locked)
    db.session.rollback()
    service.remove_attachment(scene.owner, new)
    db.session.commit()
    assert [a.id for a in scene.returned.attachments] == [locked.id]
    assert stored_files(scene.upload_dir) == [scene.upload_dir / service.SUBDIR / locked.stored_name]


def test_remove_is_refused_once_submitted_even_for_an_unlocked_file(db, scene):
    att = make_attachment(scene.submitted, locked=False)
    with pytest.raises(Conflict, match="不能删除"):
        service.remove_attachment(scene.owner, att)
    assert (scene.upload_dir / service.SUBDIR / att.stored_name).is_file()


def test_removal_deletes_the_file_only_after_commit(db, scene):
    att = add(scene, scene.draft)
    db.session.commit()
    path = scene.upload_dir / service.SUBDIR / att.stored_name
    service.remove_attachment(scene.owner, att)
    assert path.is_file()  # the row is only flushed: a rollback must still find its file
    db.session.rollback()
    assert path.is_file() and count_attachments(db, scene.draft) == 1
    att = db.session.get(Attachment, att.id)
    service.remove_attachment(scene.owner, att)
    db.session.commit()
    assert not path.exists() and count_attachments(db, scene.draft) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "application.attachment.remove")) == 1


def test_an_added_file_goes_when_the_transaction_is_rolled_back(db, scene):
    att = add(scene, scene.draft)
    path = scene.upload_dir / service.SUBDIR / att.stored_name
    assert path.is_file()
    db.session.rollback()
    assert not path.exists() and count_attachments(db) == 0


# ------------------------------------------------------------------ upload route

def upload(client, application, content, name, kind="机构登记证书"):
    return client.post(f"/applications/{application.id}/attachments",
                       data={"kind": kind, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as sess:
        return list(sess.get("_flashes", []))


def assert_back_to_detail(resp, application):
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/applications/{application.id}#attachments")


@pytest.mark.parametrize("content,name,mimetype", [
    (PDF, "机构登记证书.pdf", "application/pdf"),
    (png_bytes(), "证书照片.png", "image/png"),
    (docx_bytes(), "项目方案.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_upload_real_files(client, db, scene, content, name, mimetype):
    login(client, scene.member)
    resp = upload(client, scene.draft, content, name)
    assert_back_to_detail(resp, scene.draft)
    assert ("attachments-success", f"附件“{name}”已上传。") in flashes(client)
    att = db.session.scalars(select(Attachment).where(Attachment.application_id == scene.draft.id)).one()
    assert (att.original_name, att.content_type, att.sha256) == (name, mimetype, hashlib.sha256(content).hexdigest())
    assert att.uploaded_by_id == scene.member.id
    path = scene.upload_dir / service.SUBDIR / att.stored_name
    assert path.read_bytes() == content
    assert name not in att.stored_name


@pytest.mark.parametrize("content,name,message", [
    (HTML, "机构登记证书.pdf", "文件内容与扩展名不符"),
    (png_bytes(), "机构登记证书.pdf", "文件内容与扩展名不符"),
    (b"MZ\x90\x00" + b"\x00" * 60, "机构登记证书.pdf", "文件内容与扩展名不符"),
    (HTML, "index.html", "不支持的文件类型"),
    (b"", "空文件.pdf", "文件是空的"),
])
def test_upload_refusals_are_flashed_and_write_nothing(client, db, scene, content, name, message):
    login(client, scene.owner)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    resp = upload(client, scene.draft, content, name)
    assert_back_to_detail(resp, scene.draft)
    assert any(cat == "attachments-danger" and message in text for cat, text in flashes(client)), flashes(client)
    assert count_attachments(db) == 0 and stored_files(scene.upload_dir) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


@pytest.mark.parametrize("data,message", [
    ({"kind": "机构登记证书"}, "请选择要上传的文件"),
    ({"kind": "营业执照", "file": (io.BytesIO(PDF), "a.pdf")}, "请选择附件类别"),
    ({"kind": "", "file": (io.BytesIO(PDF), "a.pdf")}, "请选择附件类别"),
    ({"file": (io.BytesIO(PDF), "a.pdf")}, "请选择附件类别"),
    ({"kind": "机构登记证书", "file": "not a file"}, "请选择要上传的文件"),
    ({"kind": "机构登记证书", "file": (io.BytesIO(PDF), "")}, "请选择要上传的文件"),
])
def test_a_bad_form_is_flashed_back(client, db, scene, data, message):
    login(client, scene.owner)
    resp = client.post(f"/applications/{scene.draft.id}/attachments", data=data, content_type="multipart/form-data")
    assert_back_to_detail(resp, scene.draft)
    assert any(cat == "attachments-danger" and message in text for cat, text in flashes(client)), flashes(client)
    assert count_attachments(db) == 0 and stored_files(scene.upload_dir) == []


def test_upload_to_a_submitted_application_is_refused_with_a_message(client, db, scene):
    login(client, scene.owner)
    resp = upload(client, scene.submitted, PDF, "证书.pdf")
    assert_back_to_detail(resp, scene.submitted)
    assert any("不能再上传附件" in text for _, text in flashes(client))
    assert count_attachments(db) == 0 and stored_files(scene.upload_dir) == []


def test_a_too_large_request_answers_413_with_the_page(app, client, db, scene, monkeypatch):
    login(client, scene.owner)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4 * 1024)
    resp = upload(client, scene.draft, PDF + b"0" * 8 * 1024, "大文件.pdf")
    assert resp.status_code == 413
    assert "文件过大" in resp.get_data(as_text=True)
    assert count_attachments(db) == 0 and stored_files(scene.upload_dir) == []
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # the same file under a larger cap is taken
    assert upload(client, scene.draft, PDF + b"0" * 8 * 1024, "大文件.pdf").status_code == 302
    assert count_attachments(db) == 1


def test_a_path_traversal_name_is_reduced_to_its_last_part(client, db, scene, tmp_path):
    login(client, scene.owner)
    upload(client, scene.draft, PDF, "../../etc/passwd.pdf")
    att = db.session.scalars(select(Attachment)).one()
    assert att.original_name == "passwd.pdf"
    assert stored_files(tmp_path) == [scene.upload_dir / service.SUBDIR / att.stored_name]


@pytest.mark.parametrize("name,expected", [
    ("证书\x00.pdf", "证书.pdf"),
    ("\u202efdp.exe.pdf", "fdp.exe.pdf"),
    ("长" * 500 + ".pdf", "长" * 116 + ".pdf"),
    ("...pdf", None),
    ("😀 报告.pdf", "😀 报告.pdf"),
])
def test_odd_file_names_never_break_the_upload(client, db, scene, name, expected):
    login(client, scene.owner)
    resp = upload(client, scene.draft, PDF, name)
    assert_back_to_detail(resp, scene.draft)
    att = db.session.scalars(select(Attachment)).one_or_none()
    if expected is None:  # nothing left of the name but "pdf": no extension, so refused
        assert att is None and any("文件内容与扩展名不符" in text for _, text in flashes(client))
    else:
        assert att.original_name == expected and len(att.original_name) <= 200


def test_files_live_under_upload_dir_not_static(app, client, db, scene):
    login(client, scene.owner)
    upload(client, scene.draft, PDF, "证书.pdf")
    att = db.session.scalars(select(Attachment)).one()
    static = Path(app.static_folder)
    assert not list(static.rglob(att.stored_name))
    assert (scene.upload_dir / service.SUBDIR / att.stored_name).is_file()
    # Nor can it be fetched as a static file.
    assert client.get(f"/static/{att.stored_name}").status_code == 404


@pytest.mark.parametrize("who", ["officer", "outsider"])
def test_only_the_organization_may_upload(client, db, scene, who):
    login(client, getattr(scene, who))
    assert upload(client, scene.draft, PDF, "证书.pdf").status_code == 403
    assert count_attachments(db) == 0


def test_upload_to_an_unknown_application_is_404(client, db, scene):
    login(client, scene.owner)
    assert upload(client, scene.draft, PDF, "a.pdf").status_code == 302
    assert client.post("/applications/2147483647/attachments").status_code == 404
    assert client.post("/applications/99999999999/attachments").status_code == 404


# ------------------------------------------------------------------ download route

def test_download_headers_and_bytes(client, db, scene):
    content = docx_bytes()
    att = make_attachment(scene.submitted, content=content, name="项目方案（定稿）.docx")
    login(client, scene.officer)
    resp = client.get(f"/applications/{scene.submitted.id}/attachments/{att.id}")
    assert resp.status_code == 200
    assert resp.data == content and hashlib.sha256(resp.data).hexdigest() == att.sha256
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('项目方案（定稿）.docx')}" in disposition
    assert resp.headers["Content-Type"] == att.content_type
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in resp.headers["Cache-Control"]
    assert resp.headers["Content-Length"] == str(len(content))


def test_a_pdf_is_served_as_a_download_not_inline(client, db, scene):
    att = make_attachment(scene.draft, name="证书.pdf")
    login(client, scene.owner)
    resp = client.get(f"/applications/{scene.draft.id}/attachments/{att.id}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("who,expected", [
    ("owner", 200), ("member", 200), ("officer", 200), ("outsider", 403), ("officer_other", 403),
])
def test_who_may_download_a_submitted_applications_file(client, db, scene, who, expected):
    att = make_attachment(scene.submitted)
    login(client, getattr(scene, who))
    assert client.get(f"/applications/{scene.submitted.id}/attachments/{att.id}").status_code == expected


def test_a_drafts_files_are_the_organizations_own(client, db, scene):
    att = make_attachment(scene.draft)
    login(client, scene.officer)
    assert client.get(f"/applications/{scene.draft.id}/attachments/{att.id}").status_code == 403


def test_files_added_during_a_correction_are_the_organizations_own_until_resubmitted(client, db, scene):
    submitted = make_attachment(scene.returned, name="第一版证书.pdf")
    in_progress = make_attachment(scene.returned, name="修改中的预算.pdf", locked=False)
    base = f"/applications/{scene.returned.id}/attachments"
    login(client, scene.officer)
    assert client.get(f"{base}/{submitted.id}").status_code == 200
    assert client.get(f"{base}/{in_progress.id}").status_code == 404
    login(client, scene.member)
    assert client.get(f"{base}/{in_progress.id}").status_code == 200


def test_the_public_is_sent_to_login(client, db, scene):
    att = make_attachment(scene.submitted)
    resp = client.get(f"/applications/{scene.submitted.id}/attachments/{att.id}")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_an_attachment_of_another_application_is_404(client, db, scene):
    att = make_attachment(scene.draft)
    login(client, scene.owner)
    # Both applications are the owner's: still the URL must name the attachment's own application.
    assert client.get(f"/applications/{scene.submitted.id}/attachments/{att.id}").status_code == 404
    assert client.get(f"/applications/{scene.draft.id}/attachments/2147483647").status_code == 404


def test_a_row_whose_file_is_gone_is_404_not_500(client, db, scene):
    att = make_attachment(scene.draft)
    (scene.upload_dir / service.SUBDIR / att.stored_name).unlink()
    login(client, scene.owner)
    assert client.get(f"/applications/{scene.draft.id}/attachments/{att.id}").status_code == 404


# ------------------------------------------------------------------ delete route

def test_delete_an_unlocked_file(client, db, scene):
    att = make_attachment(scene.draft, name="旧版预算.pdf")
    path = scene.upload_dir / service.SUBDIR / att.stored_name
    login(client, scene.member)
    resp = client.post(f"/applications/{scene.draft.id}/attachments/{att.id}/delete")
    assert_back_to_detail(resp, scene.draft)
    assert ("attachments-success", "附件“旧版预算.pdf”已删除。") in flashes(client)
    assert count_attachments(db) == 0 and not path.exists()


def test_delete_is_refused_when_locked(client, db, scene):
    att = make_attachment(scene.returned)
    assert att.locked
    path = scene.upload_dir / service.SUBDIR / att.stored_name
    login(client, scene.owner)
    resp = client.post(f"/applications/{scene.returned.id}/attachments/{att.id}/delete")
    assert_back_to_detail(resp, scene.returned)
    assert any(cat == "attachments-danger" and "已提交的版本" in text for cat, text in flashes(client))
    assert count_attachments(db) == 1 and path.is_file()


@pytest.mark.parametrize("who", ["officer", "outsider"])
def test_others_may_not_delete(client, db, scene, who):
    att = make_attachment(scene.draft)
    login(client, getattr(scene, who))
    assert client.post(f"/applications/{scene.draft.id}/attachments/{att.id}/delete").status_code == 403
    assert count_attachments(db) == 1


def test_delete_through_another_applications_url_is_404(client, db, scene):
    att = make_attachment(scene.draft)
    login(client, scene.owner)
    assert client.post(f"/applications/{scene.returned.id}/attachments/{att.id}/delete").status_code == 404
    assert count_attachments(db) == 1


def test_delete_is_a_post(client, db, scene):
    att = make_attachment(scene.draft)
    login(client, scene.owner)
    assert client.get(f"/applications/{scene.draft.id}/attachments/{att.id}/delete").status_code == 405
    assert count_attachments(db) == 1


# ------------------------------------------------------------------ the partial

def render_panel(app, user, application) -> str:
    with app.test_request_context("/"):
        login_user(user)
        return render_template_string("{% include 'applications/_attachments.html' %}", application=application)


def test_panel_for_an_editor_shows_missing_kinds_the_form_and_delete(app, db, scene):
    att = make_attachment(scene.draft, kind="项目预算明细表", name="预算.xlsx.pdf")
    html = render_panel(app, scene.owner, scene.draft)
    assert "尚缺必传附件" in html and "机构登记证书" in html
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    for kind in REQUIRED + ["其他材料"]:
        assert f'<option value="{kind}">' in html
    assert f"/applications/{scene.draft.id}/attachments/{att.id}/delete" in html
    assert f"/applications/{scene.draft.id}/attachments/{att.id}\"" in html
    assert att.sha256[:12] in html and "预算.xlsx.pdf" in html and f"{len(PDF)} B" in html


def test_panel_for_a_viewer_has_no_form_and_no_delete(app, db, scene):
    att = make_attachment(scene.submitted, kind="机构登记证书")
    html = render_panel(app, scene.officer, scene.submitted)
    assert f"/attachments/{att.id}\"" in html  # download link
    assert "/delete" not in html and 'name="file"' not in html
    assert "项目预算明细表" in html and "尚缺必传附件" in html
    assert "已提交" in html  # the locked badge


def test_panel_for_staff_hides_files_not_yet_resubmitted(app, db, scene):
    make_attachment(scene.returned, kind="机构登记证书", name="第一版证书.pdf")
    make_attachment(scene.returned, kind="项目预算明细表", name="修改中的预算.pdf", locked=False)
    html = render_panel(app, scene.officer, scene.returned)
    assert "第一版证书.pdf" in html and "修改中的预算.pdf" not in html
    assert "尚缺必传附件" in html
    html = render_panel(app, scene.owner, scene.returned)
    assert "修改中的预算.pdf" in html and "必传附件已齐全" in html


def test_panel_for_the_owner_of_a_submitted_application_has_no_form(app, db, scene):
    make_attachment(scene.submitted, kind="机构登记证书")
    make_attachment(scene.submitted, kind="项目预算明细表")
    html = render_panel(app, scene.owner, scene.submitted)
    assert 'name="file"' not in html and "/delete" not in html
    assert "必传附件已齐全" in html


def test_panel_without_attachments_says_so(app, db, scene):
    html = render_panel(app, scene.owner, scene.returned)
    assert "尚未上传附件" in html and 'name="file"' in html


def test_panel_escapes_names(app, db, scene):
    make_attachment(scene.draft, name="<img src=x onerror=alert(1)>.pdf")
    html = render_panel(app, scene.owner, scene.draft)
    assert "<img src=x" not in html


def test_panel_when_full_hides_the_form(app, db, scene):
    for i in range(service.MAX_ATTACHMENTS):
        make_attachment(scene.draft, name=f"材料{i}.pdf")
    html = render_panel(app, scene.owner, scene.draft)
    assert 'name="file"' not in html and "附件数量上限" in html


def test_the_detail_page_includes_the_panel(client, db, scene):
    make_attachment(scene.draft, name="登记证书.pdf")
    login(client, scene.owner)
    resp = client.get(f"/applications/{scene.draft.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="attachments"' in html and "登记证书.pdf" in html

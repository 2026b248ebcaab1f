"""app.core.uploads: type by content, lying names refused, size caps, safe names, atomic
storage outside the web root with the sha256, deletion tied to the transaction, and the
stored files in `flask backup`."""
from __future__ import annotations

import hashlib
import io
import json
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core import uploads
from app.core.errors import NotFound, ValidationError

ALL = {"pdf", "png", "jpeg", "docx", "xlsx"}
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def png_bytes() -> bytes:
    """A valid 1×1 PNG: signature, IHDR, IDAT, IEND with their CRCs."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def ooxml_bytes(parts: dict[str, str], main_part: str | None, main_type: str | None) -> bytes:
    buf = io.BytesIO()
    override = (f'<Override PartName="/{main_part}" ContentType="{main_type}"/>' if main_part else "")
    content_types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                     'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                     f'{override}</Types>')
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        for name, text in parts.items():
            zf.writestr(name, text)
    return buf.getvalue()


def docx_bytes() -> bytes:
    return ooxml_bytes({"word/document.xml": "<w:document><w:body><w:p>项目方案</w:p></w:body></w:document>"},
                       "word/document.xml", WORD_MAIN)


def xlsx_bytes() -> bytes:
    return ooxml_bytes({"xl/workbook.xml": "<workbook/>", "xl/worksheets/sheet1.xml": "<worksheet/>"},
                       "xl/workbook.xml", EXCEL_MAIN)


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(root))
    return root


def files_in(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def store(content: bytes, name: str, allowed=ALL, **kw):
    return uploads.store(io.BytesIO(content), allowed=allowed, subdir="test", filename=name, **kw)


# ------------------------------------------------------------------ accepted types

@pytest.mark.parametrize("content,name,key,mimetype,ext", [
    (PDF, "申报书.pdf", "pdf", "application/pdf", "pdf"),
    (png_bytes(), "现场照片.PNG", "png", "image/png", "png"),
    (JPEG, "活动.jpeg", "jpeg", "image/jpeg", "jpg"),
    (JPEG, "活动.jpg", "jpeg", "image/jpeg", "jpg"),
    (docx_bytes(), "项目方案.docx", "docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    (xlsx_bytes(), "预算明细.xlsx", "xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
])
def test_accepted_types_are_stored_under_a_generated_name_with_their_sha256(upload_dir, content, name, key,
                                                                             mimetype, ext):
    stored = store(content, name)
    assert (stored.type_key, stored.content_type, stored.original_name) == (key, mimetype, name)
    assert stored.size_bytes == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.stored_name.endswith("." + ext) and len(stored.stored_name) == 33 + len(ext)
    assert files_in(upload_dir) == [upload_dir / "test" / stored.stored_name]
    assert (upload_dir / "test" / stored.stored_name).read_bytes() == content


def test_the_declared_mimetype_of_a_file_storage_is_ignored(upload_dir):
    from werkzeug.datastructures import FileStorage

    fs = FileStorage(io.BytesIO(png_bytes()), filename="照片.png", content_type="application/pdf")
    stored = uploads.store(fs, allowed=ALL, subdir="test")
    assert stored.content_type == "image/png" and stored.original_name == "照片.png"


# ------------------------------------------------------------------ refused files

@pytest.mark.parametrize("content,name,allowed,message", [
    (HTML, "申报书.pdf", ALL, "文件内容与扩展名不符"),
    (EXE, "申报书.pdf", ALL, "文件内容与扩展名不符"),
    (png_bytes(), "申报书.pdf", ALL, "文件内容与扩展名不符"),
    (png_bytes(), "申报书.pdf", {"pdf"}, "文件内容与扩展名不符"),
    (PDF, "申报书.png", ALL, "文件内容与扩展名不符"),
    (PDF, "申报书", ALL, "文件内容与扩展名不符"),
    (docx_bytes(), "方案.xlsx", ALL, "文件内容与扩展名不符"),
    (b"%PDX-1.4 not really", "假的.pdf", ALL, "文件内容与扩展名不符"),
    (png_bytes(), "照片.png", {"pdf"}, "此处不接受PNG 图片"),
    (HTML, "page.html", ALL, "不支持的文件类型"),
    (EXE, "setup.exe", ALL, "不支持的文件类型"),
    (b"just some text\n", "说明.txt", ALL, "不支持的文件类型"),
    (OLE2, "旧版.doc", ALL, "旧版 Office"),
    (OLE2, "旧版.xls", ALL, "旧版 Office"),
    (b"", "空.pdf", ALL, "文件是空的"),
])
def test_refused_files_leave_nothing_behind(upload_dir, content, name, allowed, message):
    with pytest.raises(ValidationError) as err:
        store(content, name, allowed)
    assert message in err.value.message and err.value.field == "file"
    assert files_in(upload_dir) == []


def test_a_plain_zip_is_not_an_office_document(upload_dir):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")  # no [Content_Types].xml
    for name in ("资料.docx", "资料.zip"):
        with pytest.raises(ValidationError):
            store(buf.getvalue(), name)
    # A package that declares no Word/Excel main part is not one either.
    with pytest.raises(ValidationError):
        store(ooxml_bytes({"word/document.xml": "<w:document/>"}, None, None), "资料.docx")
    assert files_in(upload_dir) == []


def test_a_truncated_zip_is_refused_not_an_error(upload_dir):
    with pytest.raises(ValidationError, match="文件内容与扩展名不符"):
        store(docx_bytes()[:200], "方案.docx")


@pytest.mark.parametrize("content", [
    ooxml_bytes({"word/document.xml": "<w:document/>", "word/vbaProject.bin": "VBA"},
                "word/document.xml", WORD_MAIN),
    ooxml_bytes({"word/document.xml": "<w:document/>"}, "word/document.xml",
                "application/vnd.ms-word.document.macroEnabled.main+xml"),
])
def test_office_files_with_macros_are_refused(upload_dir, content):
    with pytest.raises(ValidationError, match="含宏"):
        store(content, "方案.docx")
    assert files_in(upload_dir) == []


def test_a_file_over_the_per_file_cap_is_refused_midstream(app, upload_dir, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILE_BYTES", 100 * 1024)
    with pytest.raises(ValidationError, match="文件过大"):
        store(PDF + b"0" * (100 * 1024), "大文件.pdf")
    assert files_in(upload_dir) == []
    stored = store(PDF + b"0" * (100 * 1024 - len(PDF)), "刚好.pdf")  # exactly at the cap
    assert stored.size_bytes == 100 * 1024


def test_unknown_allowed_types_are_a_programming_error(upload_dir):
    with pytest.raises(ValueError):
        store(PDF, "a.pdf", {"pdf", "gif"})


# ------------------------------------------------------------------ names

@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\system32\\报告.pdf", "报告.pdf"),
    ("C:\\fakepath\\2026年 项目申报书.pdf", "2026年 项目申报书.pdf"),
    ("evil\u202egpj.exe", "evilgpj.exe"),
    ("a\x00b\x1b[31m\x7f.pdf", "ab[31m.pdf"),
    ('<script>"x"|?*.pdf', "_script__x____.pdf"),
    ("  \u3000 ..hidden.pdf ", "hidden.pdf"),
    ("line\nbreak\t说明\u2028.pdf", "line break 说明 .pdf"),
    ("", "附件"),
    (None, "附件"),
    ("../..", "附件"),
])
def test_safe_display_name(raw, expected):
    assert uploads.safe_display_name(raw) == expected


def test_long_names_are_cut_keeping_the_extension():
    name = uploads.safe_display_name("很长的名字" * 60 + ".docx")
    assert len(name) <= uploads.MAX_NAME_LENGTH and name.endswith(".docx") and name.startswith("很长的名字")


def test_a_traversal_name_is_stored_inside_the_upload_dir(upload_dir, tmp_path):
    stored = store(PDF, "../../../../../etc/passwd.pdf")
    assert stored.original_name == "passwd.pdf"
    assert files_in(upload_dir) == [upload_dir / "test" / stored.stored_name]
    assert not (tmp_path / "etc").exists()


# ------------------------------------------------------------------ where and how files live

def test_uploads_never_go_under_the_static_folder(app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(Path(app.static_folder) / "uploads"))
    with pytest.raises(RuntimeError):
        store(PDF, "a.pdf")
    assert not (Path(app.static_folder) / "uploads").exists()


def test_the_default_upload_dir_is_outside_the_web_root():
    from config import BASE_DIR, Config

    upload = Path(Config.UPLOAD_DIR).resolve()
    assert upload.is_relative_to(BASE_DIR / "instance")
    assert not upload.is_relative_to(BASE_DIR / "app")


def test_open_and_delete_stored(upload_dir):
    stored = store(PDF, "a.pdf")
    with uploads.open_stored("test", stored.stored_name) as fh:
        assert fh.read() == PDF
    assert uploads.delete_stored("test", stored.stored_name) is True
    assert uploads.delete_stored("test", stored.stored_name) is False
    with pytest.raises(NotFound):
        uploads.open_stored("test", stored.stored_name)


@pytest.mark.parametrize("name", ["../../config.py", "a" * 32 + ".pdf/../x", "", ".upload-x.part",
                                  "ABCDEF" + "0" * 26 + ".pdf"])
def test_only_generated_names_are_opened(upload_dir, name):
    with pytest.raises(NotFound):
        uploads.stored_path("test", name)
    assert uploads.delete_stored("test", name) is False


@pytest.mark.parametrize("subdir", ["../x", "", "a/b", "Applications", "."])
def test_subdirs_are_plain_names(upload_dir, subdir):
    with pytest.raises(ValueError):
        uploads.store(io.BytesIO(PDF), allowed=ALL, subdir=subdir, filename="a.pdf")


def test_stream_read_errors_leave_no_partial_file(upload_dir):
    class Broken(io.RawIOBase):
        def __init__(self):
            self.calls = 0

        def read(self, n=-1):
            self.calls += 1
            if self.calls > 2:
                raise OSError("connection reset")
            return PDF

    with pytest.raises(OSError):
        uploads.store(Broken(), allowed=ALL, subdir="test", filename="a.pdf")
    assert files_in(upload_dir) == []


# ------------------------------------------------------------------ transactions

def test_discard_on_rollback_removes_the_file_and_commit_keeps_it(db, upload_dir):
    kept = store(PDF, "kept.pdf")
    uploads.discard_on_rollback(db.session, "test", kept.stored_name)
    db.session.commit()
    assert (upload_dir / "test" / kept.stored_name).is_file()

    dropped = store(PDF, "dropped.pdf")
    uploads.discard_on_rollback(db.session, "test", dropped.stored_name)
    db.session.rollback()
    assert not (upload_dir / "test" / dropped.stored_name).exists()
    assert (upload_dir / "test" / kept.stored_name).is_file()


def test_delete_after_commit_waits_for_the_commit_and_is_forgotten_on_rollback(db, upload_dir):
    stored = store(PDF, "a.pdf")
    path = upload_dir / "test" / stored.stored_name
    uploads.delete_after_commit(db.session, "test", stored.stored_name)
    db.session.rollback()
    assert path.is_file()
    db.session.commit()  # the rolled-back request's deletion does not come back
    assert path.is_file()

    uploads.delete_after_commit(db.session, "test", stored.stored_name)
    db.session.flush()
    assert path.is_file()
    db.session.commit()
    assert not path.exists()


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_deletion(db, upload_dir):
    stored = store(PDF, "a.pdf")
    uploads.delete_after_commit(db.session, "test", stored.stored_name)
    nested = db.session.begin_nested()
    nested.rollback()
    db.session.commit()
    assert not (upload_dir / "test" / stored.stored_name).exists()


def test_a_released_savepoint_is_not_the_commit_that_deletes(db, upload_dir):
    """SQLAlchemy reports a released SAVEPOINT through after_commit too: the file must
    survive it (a later rollback of the outer transaction still needs it)."""
    stored = store(PDF, "a.pdf")
    path = upload_dir / "test" / stored.stored_name
    uploads.delete_after_commit(db.session, "test", stored.stored_name)
    with db.session.begin_nested():
        db.session.execute(text("SELECT 1"))
    assert path.is_file()
    db.session.commit()
    assert not path.exists()


# ------------------------------------------------------------------ backup

def test_stored_files_are_in_the_backup_under_their_relative_path(db, upload_dir, tmp_path):
    from app.core.backup import _safe_upload_target, create_backup

    content = docx_bytes()
    stored = store(content, "方案.docx")
    archive = tmp_path / "backup.tar.gz"
    # Read inside the test's own transaction (as the backup tests do): on PostgreSQL the
    # backup would otherwise try to open its REPEATABLE READ snapshot on that connection.
    db.session.execute(text("SELECT 1"))
    create_backup(archive, upload_dir=upload_dir)
    with tarfile.open(archive, "r:gz") as tar:
        member = f"uploads/test/{stored.stored_name}"
        assert tar.extractfile(member).read() == content
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["members"][member]["sha256"] == stored.sha256
    # No temporary upload files were lying around to be archived.
    assert [n for n in manifest["members"] if n.startswith("uploads/")] == [member]
    # Restore puts it back at the same place (the path is accepted, not refused as unsafe).
    target = _safe_upload_target(tmp_path / "restored", f"test/{stored.stored_name}")
    assert target == (tmp_path / "restored" / "test" / stored.stored_name).resolve()

"""Uploaded files (上传文件): checked by content, stored outside the web root.

QUALITY.md (ASVS 5.2/5.3): the type of a file is decided by its first bytes (and, for
Office documents, by the parts inside the ZIP), never by the name or the mimetype the
browser declares; a name whose extension does not match the content is refused. Files
are written under ``UPLOAD_DIR/<subdir>/`` (``instance/uploads`` by default — never under
``app/static``) with a generated name (uuid4 hex + the extension of the detected type),
atomically (a temporary file in the same directory, fsync, ``os.replace``), and their
sha256 is computed while streaming. The request size cap is Flask's
``MAX_CONTENT_LENGTH`` (413); ``UPLOAD_MAX_FILE_BYTES`` caps one file; empty files are
refused.

Types: PDF, PNG, JPEG, and Office Open XML documents (.docx, .xlsx) — a ZIP holding
``[Content_Types].xml`` that declares the plain (not macro-enabled) main part, and
``word/document.xml`` or ``xl/workbook.xml``. A plain ZIP is refused, and so is any
package carrying a VBA project. Legacy Office files (.doc/.xls, OLE2 compound files) are
refused with a request to save them as .docx/.xlsx or PDF: their container cannot be told
apart from other OLE2 files (installers, macro carriers) without parsing it, and every
current office suite writes the newer formats.

Each domain keeps its files in its own ``subdir`` and stores ``stored_name`` (and the
other `StoredFile` fields) on its row. Deleting a file that a committed row refers to
must wait for the commit (`delete_after_commit`); a file stored for a row that is then
rolled back is removed (`discard_on_rollback`). A crash between the two leaves an
orphan file, never a row without its file.

`flask backup` archives every file under ``UPLOAD_DIR`` by its relative path, so these
``<subdir>/<stored_name>`` files round-trip.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from app.core.enums import N_
from app.core.errors import NotFound, ValidationError

CHUNK = 64 * 1024
DEFAULT_MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_NAME_LENGTH = 120
# Office packages: how many parts and how large a [Content_Types].xml we look at.
MAX_ZIP_ENTRIES = 10_000
MAX_CONTENT_TYPES_BYTES = 256 * 1024

_SUBDIR = re.compile(r"^[a-z0-9_]{1,40}$")
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,5}$")


@dataclass(frozen=True)
class FileType:
    key: str
    label: str  # a msgid (N_): translate when shown
    mimetype: str
    extension: str  # of the stored file
    extensions: frozenset[str]  # what a truthful name may end with


TYPES: dict[str, FileType] = {t.key: t for t in (
    FileType("pdf", N_("PDF 文件"), "application/pdf", "pdf", frozenset({"pdf"})),
    FileType("png", N_("PNG 图片"), "image/png", "png", frozenset({"png"})),
    FileType("jpeg", N_("JPEG 图片"), "image/jpeg", "jpg", frozenset({"jpg", "jpeg"})),
    FileType("docx", N_("Word 文档（.docx）"),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
             frozenset({"docx"})),
    FileType("xlsx", N_("Excel 表格（.xlsx）"),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
             frozenset({"xlsx"})),
)}

_OOXML_MAIN = {
    "docx": ("word/document.xml",
             b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml",
             b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size_bytes: int
    sha256: str
    original_name: str
    type_key: str


# --------------------------------------------------------------------------- names

# Control, format (e.g. U+202E right-to-left override, which disguises "gpj.exe"),
# surrogate, private-use, unassigned and line/paragraph separator characters.
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_RESERVED = set('<>:"|?*')


def safe_display_name(name: str | None, fallback: str = "附件") -> str:
    """The client's file name made safe to store and show: the last path part only, no
    control or invisible characters, no characters Windows forbids, no leading dots,
    at most MAX_NAME_LENGTH characters (keeping the extension). Chinese is kept."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(" " if ch.isspace() else "_" if ch in _RESERVED else ch for ch in text
                   if ch.isspace() or unicodedata.category(ch) not in _DROP_CATEGORIES)
    text = " ".join(text.split()).strip(" .")
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            text = stem[:MAX_NAME_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            text = text[:MAX_NAME_LENGTH].rstrip(" .")
    return text or fallback


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


# --------------------------------------------------------------------------- detection

def _macro_refused() -> ValidationError:
    return ValidationError(_("不接受含宏的 Office 文件，请另存为不含宏的 .docx/.xlsx 或 PDF 后上传。"), field="file")


def _ooxml_kind(path: Path) -> str | None:
    """'docx' / 'xlsx' for a genuine Office Open XML package, else None. Raises for a
    macro-enabled package. Only the directory and [Content_Types].xml are read."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return None
            names = {i.filename for i in infos}
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise _macro_refused()
            ct = next((i for i in infos if i.filename == "[Content_Types].xml"), None)
            if ct is None or ct.file_size > MAX_CONTENT_TYPES_BYTES:
                return None
            with zf.open(ct) as fh:
                content_types = fh.read(MAX_CONTENT_TYPES_BYTES + 1)
    # Every way zipfile reports a damaged or hostile archive: NotImplementedError is an
    # unsupported compression method, RuntimeError an encrypted entry. Such a file is
    # simply not a genuine Office document.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError, zlib.error, ValueError):
        return None
    if b"macroEnabled" in content_types:
        raise _macro_refused()
    for key, (main_part, main_type) in _OOXML_MAIN.items():
        if main_part in names and main_type in content_types:
            return key
    return None


def detect_type(path: str | os.PathLike) -> str | None:
    """The key in TYPES of the file's real type, judged by content; None if unknown.
    Raises ValidationError for types refused on purpose (legacy OLE2, macros)."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(32)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(_PNG) and head[12:16] == b"IHDR":
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(path)
    if head.startswith(_OLE2):
        raise ValidationError(_("不接受旧版 Office 格式（.doc/.xls），请另存为 .docx/.xlsx 或 PDF 后上传。"),
                              field="file")
    return None


def type_labels(keys: Iterable[str]) -> str:
    return "、".join(_(TYPES[k].label) for k in TYPES if k in set(keys))


def accept_attribute(keys: Iterable[str]) -> str:
    """For <input type=file accept=...>: a hint to the browser only."""
    keys = set(keys)
    return ",".join("." + ext for k, t in TYPES.items() if k in keys for ext in sorted(t.extensions))


def _check_type(kind: str | None, name: str, allowed: set[str]) -> FileType:
    ext = extension_of(name)
    known_exts = {e for t in TYPES.values() for e in t.extensions}
    if kind is None:
        if ext in known_exts:
            raise ValidationError(_("文件内容与扩展名不符：扩展名为 .%(ext)s，但文件内容不是有效的 %(label)s。",
                                    ext=ext, label=_(next(t.label for t in TYPES.values() if ext in t.extensions))),
                                  field="file")
        raise ValidationError(_("不支持的文件类型。请上传：%(types)s。", types=type_labels(allowed)), field="file")
    ftype = TYPES[kind]
    if ext not in ftype.extensions:
        raise ValidationError(_("文件内容与扩展名不符：文件内容是 %(label)s，扩展名应为 .%(ext)s。",
                                label=_(ftype.label), ext=ftype.extension), field="file")
    if kind not in allowed:
        raise ValidationError(_("此处不接受%(label)s。请上传：%(types)s。",
                                label=_(ftype.label), types=type_labels(allowed)), field="file")
    return ftype


# --------------------------------------------------------------------------- storage

def upload_root() -> Path:
    """UPLOAD_DIR, refusing a configuration that would put uploads in the web root."""
    root = Path(current_app.config["UPLOAD_DIR"]).resolve()
    static = Path(current_app.static_folder).resolve()
    if root == static or static in root.parents:
        raise RuntimeError("UPLOAD_DIR must not be inside the static folder (the web root)")
    return root


def _directory(subdir: str) -> Path:
    if not _SUBDIR.match(subdir or ""):
        raise ValueError(f"invalid upload subdir {subdir!r}")
    return upload_root() / subdir


def stored_path(subdir: str, stored_name: str) -> Path:
    """The path of a stored file; NotFound when the name is not a generated one or the
    file is missing (a row whose file is gone answers 404, not 500)."""
    if not _STORED_NAME.match(stored_name or ""):
        raise NotFound(_("文件不存在。"))
    path = _directory(subdir) / stored_name
    if not path.is_file():
        raise NotFound(_("文件不存在或已被删除。"))
    return path


def open_stored(subdir: str, stored_name: str) -> BinaryIO:
    return open(stored_path(subdir, stored_name), "rb")


def delete_stored(subdir: str, stored_name: str) -> bool:
    """Remove a stored file now; True if there was one."""
    if not _STORED_NAME.match(stored_name or ""):
        return False
    try:
        (_directory(subdir) / stored_name).unlink()
    except FileNotFoundError:
        return False
    return True


def store(source, *, allowed: set[str] | frozenset[str], subdir: str, filename: str | None = None,
          max_bytes: int | None = None) -> StoredFile:
    """Check and store one upload; raise ValidationError (field "file") if it is refused,
    leaving nothing behind.

    `source` is a Werkzeug FileStorage (its `filename` is the client's name) or any
    binary stream (pass `filename`). `allowed` holds keys of TYPES.
    """
    unknown = set(allowed) - set(TYPES)
    if unknown:
        raise ValueError(f"unknown file types {unknown}")
    original = safe_display_name(filename if filename is not None else getattr(source, "filename", None))
    stream = getattr(source, "stream", source)
    limit = max_bytes or current_app.config.get("UPLOAD_MAX_FILE_BYTES") or DEFAULT_MAX_FILE_BYTES

    directory = _directory(subdir)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=directory)
    tmp = Path(tmp_name)
    try:
        sha = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            while True:
                block = stream.read(CHUNK)
                if not block:
                    break
                size += len(block)
                if size > limit:
                    raise ValidationError(_("文件过大：单个文件不能超过 %(mb)s MB。",
                                            mb=f"{limit / 1024 / 1024:g}"), field="file")
                sha.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise ValidationError(_("文件是空的，请选择有内容的文件。"), field="file")
        ftype = _check_type(detect_type(tmp), original, set(allowed))
        while True:
            stored_name = f"{uuid.uuid4().hex}.{ftype.extension}"
            final = directory / stored_name
            if not final.exists():
                break
        os.chmod(tmp, 0o640)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StoredFile(stored_name=stored_name, content_type=ftype.mimetype, size_bytes=size,
                      sha256=sha.hexdigest(), original_name=original, type_key=ftype.key)


# --------------------------------------------------------------------------- transactions

_DELETE_KEY = "uploads_delete_after_commit"
_DISCARD_KEY = "uploads_discard_on_rollback"


def _session_of(session) -> Session:
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()
    return session


def delete_after_commit(session, subdir: str, stored_name: str) -> None:
    """Delete the file once the transaction that removed its row commits (kept on rollback)."""
    _session_of(session).info.setdefault(_DELETE_KEY, []).append((subdir, stored_name))


def discard_on_rollback(session, subdir: str, stored_name: str) -> None:
    """Delete the just-stored file if the transaction that refers to it is rolled back."""
    _session_of(session).info.setdefault(_DISCARD_KEY, []).append((subdir, stored_name))


def _remove_all(pending: list[tuple[str, str]]) -> None:
    if not pending or not has_app_context():
        return
    for subdir, stored_name in pending:
        try:
            delete_stored(subdir, stored_name)
        except Exception:  # the transaction is over; a leftover file is only an orphan
            current_app.logger.exception("removing upload %s/%s failed", subdir, stored_name)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # SQLAlchemy also reports a released SAVEPOINT as a commit: only the real one counts.
    if session.in_nested_transaction():
        return
    session.info.pop(_DISCARD_KEY, None)
    _remove_all(session.info.pop(_DELETE_KEY, []))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    # Only the outermost transaction: a rolled-back SAVEPOINT leaves at worst an orphan.
    if previous_transaction.parent is None:
        session.info.pop(_DELETE_KEY, None)
        _remove_all(session.info.pop(_DISCARD_KEY, []))

"""`flask backup` / `flask restore`: one portable archive of the database and the uploads.

The archive is a gzip-compressed tar holding

* ``tables/<table>.jsonl`` — one file per table, in ``db.metadata.sorted_tables`` order
  (parents before children), one JSON object per row, rows ordered by primary key.
  Values are written losslessly and database-independently: datetimes as ISO 8601 with
  their offset, dates and times as ISO, JSON columns as the JSON value itself, enums by
  value, bytes as base64, decimals as strings. A JSON column that is SQL ``NULL`` (rather
  than the JSON value ``null``) is listed in the row's ``"__sql_null__"`` key.
* ``uploads/<relative path>`` — every regular file under ``UPLOAD_DIR``.
* ``manifest.json`` (written last) — format version, creation time (UTC), the Alembic
  revision, per-table row counts and columns, the sha256 and size of every other member,
  and the audit chain's head hash.

A backup taken from SQLite restores into PostgreSQL and vice versa. Restoring is only
allowed into an EMPTY database migrated to the SAME Alembic revision (``flask db upgrade``
on a new database); the archive is verified completely before anything is written, rows
are inserted in one transaction, the audit chain is re-verified, and only then are the
uploads moved into place and the transaction committed. Either everything is restored
or nothing is.

Both functions take an optional ``session`` (default ``db.session``) so that a test can
back up one database and restore into another from the same process.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from contextlib import contextmanager
from datetime import date, datetime, time, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Iterator

from flask import current_app
from sqlalchemy import JSON, Date, DateTime, Float, LargeBinary, Numeric, Table, Time
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import null, select, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.types import TypeDecorator

from app.core.errors import DomainError
from app.extensions import db

FORMAT = "gongyi-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
TABLES_PREFIX = "tables/"
UPLOADS_PREFIX = "uploads/"
SQL_NULL_KEY = "__sql_null__"
CHUNK_ROWS = 1000
READ_SIZE = 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
SKIP_TABLES = {"alembic_version"}


class BackupError(DomainError):
    """A backup or restore that was refused; `message` says why and what to do."""


# --------------------------------------------------------------------------- values

def _kind(column) -> str:
    """How a column's Python values are written to and read from JSON."""
    col_type = column.type
    if isinstance(col_type, TypeDecorator):
        col_type = col_type.impl_instance
    if isinstance(col_type, JSON):
        return "json"
    if isinstance(col_type, SAEnum):
        return "enum" if col_type.enum_class is not None else "plain"
    if isinstance(col_type, DateTime):
        return "datetime"
    if isinstance(col_type, Date):
        return "date"
    if isinstance(col_type, Time):
        return "time"
    if isinstance(col_type, LargeBinary):
        return "bytes"
    if isinstance(col_type, Float):
        return "plain"
    if isinstance(col_type, Numeric):
        return "decimal" if col_type.asdecimal else "plain"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("datetime", "date", "time"):
        return value.isoformat()
    if kind == "enum":
        return value.value if isinstance(value, Enum) else value
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    return value  # plain and json: already JSON-native


def _decode(kind: str, value: Any, column) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "enum":
        col_type = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
        return col_type.enum_class(value)
    if kind == "bytes":
        return base64.b64decode(value.encode("ascii"))
    if kind == "decimal":
        return Decimal(value)
    return value


# --------------------------------------------------------------------------- helpers

class _HashingReader:
    """Wraps a binary file; hashes and counts what is read through it."""

    def __init__(self, raw):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        """Line by line (the raw file must be buffered, as tar members are)."""
        for line in self.raw:
            self.sha.update(line)
            self.size += len(line)
            yield line


@contextmanager
def _audit_session(session: Session) -> Iterator[None]:
    """app.core.audit reads through `db.session`; point it at `session` meanwhile."""
    original = db.session
    if session is original:
        yield
        return
    db.session = session
    try:
        yield
    finally:
        db.session = original


def _app_tables() -> list[Table]:
    return [t for t in db.metadata.sorted_tables if t.name not in SKIP_TABLES]


def _pk_order(table: Table):
    cols = list(table.primary_key.columns) or list(table.columns)
    return cols


def alembic_revision(session: Session) -> str | None:
    conn = session.connection()
    if not sa_inspect(conn).has_table("alembic_version"):
        return None
    versions = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return ",".join(versions) or None


def _upload_files(upload_dir: Path) -> Iterator[tuple[str, Path]]:
    """(archive-relative posix path, file path) of every regular file, sorted."""
    if not upload_dir.is_dir():
        return
    for root, dirs, files in os.walk(upload_dir, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            full = Path(root) / name
            if full.is_symlink() or not full.is_file():
                continue
            yield full.relative_to(upload_dir).as_posix(), full


def _safe_upload_target(upload_dir: Path, relative: str) -> Path:
    """Where an archived upload goes; refuses anything that would escape UPLOAD_DIR."""
    parts = relative.split("/")
    if (not relative or relative.startswith("/") or "\x00" in relative or "\\" in relative
            or any(p in ("", ".", "..") for p in parts) or ":" in parts[0]):
        raise BackupError(f"备份中的上传文件路径不安全，已拒绝恢复：{relative!r}")
    base = os.path.realpath(upload_dir)
    target = os.path.realpath(os.path.join(base, *parts))
    if not target.startswith(base + os.sep):
        raise BackupError(f"备份中的上传文件路径会超出上传目录，已拒绝恢复：{relative!r}")
    return Path(target)


def _sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(READ_SIZE), b""):
            sha.update(block)
    return sha.hexdigest()


# --------------------------------------------------------------------------- backup

def _dump_table(session: Session, table: Table, out) -> int:
    columns = list(table.columns)
    kinds = {c.name: _kind(c) for c in columns}
    json_cols = [c for c in columns if kinds[c.name] == "json"]
    null_flags = [c.is_(None).label(f"__isnull_{i}") for i, c in enumerate(json_cols)]
    stmt = select(*columns, *null_flags).order_by(*_pk_order(table))
    count = 0
    result = session.execute(stmt, execution_options={"yield_per": CHUNK_ROWS})
    for row in result:
        values = tuple(row)
        record = {c.name: _encode(kinds[c.name], values[i]) for i, c in enumerate(columns)}
        sql_nulls = [c.name for i, c in enumerate(json_cols) if values[len(columns) + i]]
        if sql_nulls:
            record[SQL_NULL_KEY] = sql_nulls
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        out.write(b"\n")
        count += 1
    return count


def _add_member(tar: tarfile.TarFile, name: str, path: Path, mtime: float) -> dict:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(mtime)
    info.mode = 0o600
    with open(path, "rb") as fh:
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"sha256": reader.sha.hexdigest(), "size": reader.size}


def create_backup(path: str | os.PathLike, *, session: Session | None = None,
                  upload_dir: str | os.PathLike | None = None) -> dict:
    """Write the archive at `path` (refusing to overwrite); return its summary."""
    from app.core.audit import head_hash

    session = session if session is not None else db.session
    upload_dir = Path(upload_dir or current_app.config["UPLOAD_DIR"])
    path = Path(path)
    if path.exists():
        raise BackupError(f"文件已存在，不会覆盖：{path}")
    path.parent.mkdir(parents=True, exist_ok=True)

    concrete = session() if isinstance(session, scoped_session) else session
    started_here = not concrete.in_transaction()
    if started_here and session.get_bind().dialect.name == "postgresql":
        # One snapshot for every table, so the backup is consistent while the site runs.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    created_at = datetime.now(timezone.utc)
    partial = path.with_name(path.name + ".partial")
    try:
        revision = alembic_revision(session)
        with _audit_session(session):
            audit_head = head_hash()
        members: dict[str, dict] = {}
        tables: list[dict] = []
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz",
                                                      format=tarfile.PAX_FORMAT) as tar, \
                tempfile.TemporaryDirectory(prefix="gongyi-backup-") as tmp:
            for table in _app_tables():
                dump = Path(tmp) / "table.jsonl"
                with open(dump, "wb") as out:
                    rows = _dump_table(session, table, out)
                name = f"{TABLES_PREFIX}{table.name}.jsonl"
                members[name] = _add_member(tar, name, dump, created_at.timestamp())
                dump.unlink()
                tables.append({"name": table.name, "file": name, "rows": rows,
                               "columns": [c.name for c in table.columns]})
            upload_count = upload_bytes = 0
            for relative, full in _upload_files(upload_dir):
                name = UPLOADS_PREFIX + relative
                members[name] = _add_member(tar, name, full, full.stat().st_mtime)
                upload_count += 1
                upload_bytes += members[name]["size"]
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": created_at.isoformat(),
                "database_dialect": session.get_bind().dialect.name,
                "alembic_revision": revision,
                "audit_head_hash": audit_head,
                "tables": tables,
                "row_counts": {t["name"]: t["rows"] for t in tables},
                "uploads": {"files": upload_count, "bytes": upload_bytes},
                "members": members,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(data)
            info.mtime = int(created_at.timestamp())
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        if started_here:
            session.rollback()  # end the read-only snapshot
    return {"path": str(path), "alembic_revision": revision, "audit_head_hash": audit_head,
            "row_counts": manifest["row_counts"], "uploads": upload_count,
            "upload_bytes": upload_bytes, "size": path.stat().st_size}


# --------------------------------------------------------------------------- restore

_DAMAGED = "备份文件已损坏或不是 Gongyi 备份（{detail}），未写入任何数据。"


def _read_and_verify(path: Path, upload_dir: Path) -> dict:
    """Pass 1: hash every member, check it against the manifest, validate every name."""
    seen: dict[str, dict] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                if member.name in seen or member.name == MANIFEST_NAME and manifest_bytes:
                    raise BackupError(_DAMAGED.format(detail=f"成员重复：{member.name}"))
                if not member.isfile():
                    raise BackupError(_DAMAGED.format(detail=f"含有非普通文件成员：{member.name}"))
                fh = tar.extractfile(member)
                if member.name == MANIFEST_NAME:
                    if member.size > MAX_MANIFEST_BYTES:
                        raise BackupError(_DAMAGED.format(detail="清单过大"))
                    manifest_bytes = fh.read()
                    continue
                if member.name.startswith(UPLOADS_PREFIX):
                    _safe_upload_target(upload_dir, member.name[len(UPLOADS_PREFIX):])
                elif not member.name.startswith(TABLES_PREFIX):
                    raise BackupError(_DAMAGED.format(detail=f"未知成员：{member.name}"))
                reader = _HashingReader(fh)
                while reader.read(READ_SIZE):
                    pass
                seen[member.name] = {"sha256": reader.sha.hexdigest(), "size": reader.size}
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise BackupError(_DAMAGED.format(detail=str(err) or type(err).__name__)) from None
    if manifest_bytes is None:
        raise BackupError(_DAMAGED.format(detail="缺少 manifest.json"))
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except ValueError:
        raise BackupError(_DAMAGED.format(detail="manifest.json 无法解析")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_DAMAGED.format(detail="不是 Gongyi 备份格式"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"不支持的备份格式版本 {manifest.get('format_version')!r}"
                          f"（本程序支持版本 {FORMAT_VERSION}），未写入任何数据。")
    expected = manifest.get("members") or {}
    missing = sorted(set(expected) - set(seen))
    extra = sorted(set(seen) - set(expected))
    if missing or extra:
        raise BackupError(_DAMAGED.format(
            detail=f"成员与清单不符：缺少 {missing[:5]}，多出 {extra[:5]}"))
    for name, info in seen.items():
        if expected[name].get("sha256") != info["sha256"] or expected[name].get("size") != info["size"]:
            raise BackupError(f"备份文件校验失败：{name} 的 sha256 与清单不符（文件被改动或损坏），"
                              "已拒绝恢复，未写入任何数据。")
    table_files = {t["file"] for t in manifest.get("tables", [])}
    if table_files != {n for n in seen if n.startswith(TABLES_PREFIX)}:
        raise BackupError(_DAMAGED.format(detail="表文件与清单不符"))
    return manifest


def _check_target(session: Session, manifest: dict) -> list[Table]:
    """The target must be migrated to the archive's revision and hold no rows."""
    how = ("请新建一个空数据库，在其上运行 `flask db upgrade`（迁移到与备份相同的版本），"
           "然后再运行 `flask restore`。")
    revision = alembic_revision(session)
    if revision is None:
        raise BackupError("目标数据库尚未迁移（没有 alembic_version 表）。" + how)
    if revision != manifest.get("alembic_revision"):
        raise BackupError(f"数据库结构版本不一致：备份为 {manifest.get('alembic_revision')}，"
                          f"目标数据库为 {revision}。" + how)
    tables = _app_tables()
    by_name = {t.name: t for t in tables}
    archived = manifest.get("tables", [])
    names = [t.get("name") for t in archived]
    if len(names) != len(set(names)) or set(names) != set(by_name):
        raise BackupError("备份中的表与本程序的数据模型不一致（程序版本不同？），已拒绝恢复。")
    done: set[str] = set()
    for entry in archived:
        table = by_name[entry["name"]]
        if entry.get("columns") != [c.name for c in table.columns]:
            raise BackupError(f"表 {table.name} 的列与本程序的数据模型不一致，已拒绝恢复。")
        parents = {fk.column.table.name for fk in table.foreign_keys} - {table.name}
        if not parents <= done:
            raise BackupError(_DAMAGED.format(detail=f"表 {table.name} 的顺序不满足外键依赖"))
        done.add(table.name)
    existing = set(sa_inspect(session.connection()).get_table_names())
    absent = sorted(set(by_name) - existing)
    if absent:
        raise BackupError(f"目标数据库缺少表 {', '.join(absent)}。" + how)
    non_empty = [t.name for t in tables
                 if session.execute(select(1).select_from(t).limit(1)).first() is not None]
    if non_empty:
        raise BackupError(f"目标数据库不是空的（表 {', '.join(non_empty)} 已有数据），"
                          "恢复只写入空数据库，以免覆盖或混入现有数据。" + how)
    return tables


class _TableLoader:
    """Bulk-inserts one table's rows in chunks, parents before children within the table."""

    def __init__(self, session: Session, table: Table):
        self.session = session
        self.table = table
        self.kinds = {c.name: _kind(c) for c in table.columns}
        self.columns = {c.name: c for c in table.columns}
        self.json_cols = {n for n, k in self.kinds.items() if k == "json"}
        # Self-references (region.parent_id → region.id): a row whose parent comes later
        # is inserted with NULL there and patched afterwards.
        self.self_refs = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys
                          if fk.column.table is table and fk.parent.nullable]
        self.seen_refs = {ref: set() for _, ref in self.self_refs}
        self.deferred: list[tuple[dict, str, Any]] = []
        self.pending: list[dict] = []
        self.count = 0

    def add(self, line: bytes) -> None:
        try:
            raw = json.loads(line)
        except ValueError:
            raise BackupError(_DAMAGED.format(detail=f"表 {self.table.name} 含无法解析的行")) from None
        sql_nulls = frozenset(raw.pop(SQL_NULL_KEY, ()))
        if set(raw) != set(self.columns) or not sql_nulls <= self.json_cols:
            raise BackupError(_DAMAGED.format(detail=f"表 {self.table.name} 的行与列定义不符"))
        row = {n: _decode(self.kinds[n], v, self.columns[n]) for n, v in raw.items()}
        for col, ref in self.self_refs:
            value = row[col]
            if value is not None and value not in self.seen_refs[ref]:
                key = {c.name: row[c.name] for c in self.table.primary_key.columns}
                self.deferred.append((key, col, value))
                row[col] = None
        for _, ref in self.self_refs:
            self.seen_refs[ref].add(row[ref])
        for col in sql_nulls:
            row.pop(col)
        self.pending.append(row)
        self.count += 1
        if len(self.pending) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        groups: dict[frozenset, list[dict]] = {}
        for row in self.pending:
            groups.setdefault(frozenset(self.json_cols - set(row)), []).append(row)
        for sql_nulls, rows in groups.items():
            stmt = self.table.insert()
            if sql_nulls:
                stmt = stmt.values({c: null() for c in sql_nulls})
            self.session.execute(stmt, rows)
        self.pending = []

    def finish(self) -> None:
        self.flush()
        for key, col, value in self.deferred:
            where = [self.table.c[k] == v for k, v in key.items()]
            self.session.execute(self.table.update().where(*where).values({col: value}))


def _reset_sequences(session: Session, tables: list[Table]) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    preparer = session.get_bind().dialect.identifier_preparer
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        quoted_table, quoted_col = preparer.format_table(table), preparer.quote(column.name)
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence(:table, :column), m) "
                 f"FROM (SELECT max({quoted_col}) AS m FROM {quoted_table}) AS s "
                 f"WHERE m IS NOT NULL"),
            {"table": quoted_table, "column": column.name},
        )


def restore_backup(path: str | os.PathLike, *, session: Session | None = None,
                   upload_dir: str | os.PathLike | None = None) -> dict:
    """Restore the archive at `path` into an empty, migrated database and commit.

    Raises BackupError (a DomainError) with a clear message, having written nothing,
    when the archive is damaged or tampered with or the target is not suitable.
    """
    from app.core.audit import head_hash, verify_chain

    session = session if session is not None else db.session
    upload_dir = Path(upload_dir or current_app.config["UPLOAD_DIR"])
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}")

    manifest = _read_and_verify(path, upload_dir)
    members = manifest["members"]
    try:
        tables = _check_target(session, manifest)
    except BaseException:
        session.rollback()
        raise
    by_name = {t.name: t for t in tables}
    file_to_table = {t["file"]: by_name[t["name"]] for t in manifest["tables"]}

    # Uploads that already exist must be identical (then they are left alone).
    for name in members:
        if name.startswith(UPLOADS_PREFIX):
            target = _safe_upload_target(upload_dir, name[len(UPLOADS_PREFIX):])
            if target.exists() or target.is_symlink():
                if not target.is_file() or target.is_symlink() or \
                        _sha256_file(target) != members[name]["sha256"]:
                    raise BackupError(f"上传目录中已有不同内容的文件 {target}，已拒绝恢复，"
                                      "请改用空的上传目录。")

    counts: dict[str, int] = {}
    staged: list[tuple[Path, Path, float]] = []  # (temporary file, final path, mtime)
    placed: list[Path] = []
    uploads_restored = 0
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                if member.name == MANIFEST_NAME:
                    continue
                reader = _HashingReader(tar.extractfile(member))
                if member.name in file_to_table:
                    loader = _TableLoader(session, file_to_table[member.name])
                    for line in reader:
                        if line.strip():
                            loader.add(line)
                    loader.finish()
                    counts[loader.table.name] = loader.count
                else:
                    target = _safe_upload_target(upload_dir, member.name[len(UPLOADS_PREFIX):])
                    if target.is_file():  # identical, checked above
                        while reader.read(READ_SIZE):
                            pass
                    else:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        fd, tmp_name = tempfile.mkstemp(prefix=".restoring-", dir=target.parent)
                        staged.append((Path(tmp_name), target, member.mtime))
                        with os.fdopen(fd, "wb") as out:
                            for block in iter(lambda: reader.read(READ_SIZE), b""):
                                out.write(block)
                        uploads_restored += 1
                # The archive is read twice; it must not have changed in between.
                if reader.sha.hexdigest() != members[member.name]["sha256"]:
                    raise BackupError(f"备份文件在恢复过程中被改动（{member.name}），已撤销恢复。")

        for entry in manifest["tables"]:
            if counts.get(entry["name"]) != entry["rows"]:
                raise BackupError(f"表 {entry['name']} 恢复了 {counts.get(entry['name'])} 行，"
                                  f"清单记录为 {entry['rows']} 行，已撤销恢复。")
        _reset_sequences(session, tables)
        session.flush()
        with _audit_session(session):
            report = verify_chain()
            head = head_hash()
        if not report.ok:
            raise BackupError(f"恢复后审计链校验失败（第 {report.broken_id} 行：{report.reason}），"
                              "已撤销恢复。")
        if head != manifest.get("audit_head_hash"):
            raise BackupError("恢复后审计链的末端哈希与备份清单不符，已撤销恢复。")
        for tmp_path, target, mtime in staged:
            os.utime(tmp_path, (mtime, mtime))
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, target)
            placed.append(target)
        session.commit()
    except BaseException as err:
        session.rollback()
        for tmp_path, _target, _mtime in staged:
            tmp_path.unlink(missing_ok=True)
        for target in placed:
            target.unlink(missing_ok=True)
        if isinstance(err, (tarfile.TarError, EOFError, zlib.error)):
            raise BackupError(_DAMAGED.format(detail=str(err) or type(err).__name__)) from None
        if isinstance(err, OSError):
            raise BackupError(f"读写文件失败，已撤销恢复：{err}") from None
        if isinstance(err, SQLAlchemyError):
            detail = str(getattr(err, "orig", None) or err).splitlines()[0]
            raise BackupError(f"写入数据库失败，已撤销恢复：{detail}") from None
        raise
    return {"row_counts": counts, "uploads": uploads_restored,
            "uploads_in_archive": manifest["uploads"]["files"],
            "alembic_revision": manifest["alembic_revision"], "audit_head_hash": head,
            "audit_rows": report.checked, "created_at": manifest["created_at"]}


def default_backup_path(instance_path: str | os.PathLike) -> Path:
    """instance/backups/gongyi-YYYYmmdd-HHMMSS.tar.gz, in Asia/Shanghai time."""
    from zoneinfo import ZoneInfo

    stamp = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d-%H%M%S")
    return Path(instance_path) / "backups" / f"gongyi-{stamp}.tar.gz"

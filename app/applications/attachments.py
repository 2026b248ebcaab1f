"""Attachments of an application (申报附件): add, remove, and which required kinds are missing.

Files are checked and stored by app.core.uploads (type by content, outside the web root,
sha256). An application accepts new files only while the organization can edit it (draft
or returned). Submission locks the attachments it included (`Attachment.locked`): they
belong to a submitted version and are kept; after a return the applicant may add files
and remove only the ones added since.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.applications.models import Application, Attachment
from app.core import audit, uploads
from app.core.errors import Conflict, ValidationError
from app.extensions import db

SUBDIR = "applications"
OTHER_KIND = "其他材料"
MAX_ATTACHMENTS = 30
ALLOWED_TYPES = frozenset({"pdf", "png", "jpeg", "docx", "xlsx"})


def attachment_kinds(call) -> list[str]:
    """What an attachment may be: the call's required attachments, then 其他材料."""
    kinds = [k for k in (call.required_attachments or []) if k]
    return kinds + ([OTHER_KIND] if OTHER_KIND not in kinds else [])


def missing_kinds(application: Application, attachments=None) -> list[str]:
    """Required kinds (in the call's order) with no file yet among `attachments` (default:
    all of the application's)."""
    present = {a.kind for a in (application.attachments if attachments is None else attachments)}
    return [k for k in (application.call.required_attachments or []) if k and k not in present]


def visible_attachments(application: Application, is_member: bool) -> list[Attachment]:
    """The organization sees every file; others (the funder's staff) only the files of
    submitted versions — what is added while a returned application is being corrected
    is the organization's own until it is resubmitted."""
    return [a for a in application.attachments if is_member or a.locked]


def _summary(attachment: Attachment) -> dict:
    return {"application_id": attachment.application_id, "kind": attachment.kind,
            "name": attachment.original_name, "stored_name": attachment.stored_name,
            "content_type": attachment.content_type, "size_bytes": attachment.size_bytes,
            "sha256": attachment.sha256}


def add_attachment(actor, application: Application, kind: str, file, *,
                   filename: str | None = None) -> Attachment:
    """Store `file` (a FileStorage, or a binary stream with `filename`) as an attachment
    of `kind`. Refused (nothing stored) when the application cannot be edited, the kind
    is not one of `attachment_kinds`, the limit is reached, or the file is refused."""
    if not application.is_editable:
        raise Conflict(_("申报书当前状态为“%(status)s”，不能再上传附件。", status=application.status.label))
    kind = (kind or "").strip()
    if kind not in attachment_kinds(application.call):
        raise ValidationError(_("请选择附件类别。"), field="kind")
    count = db.session.scalar(select(func.count()).select_from(Attachment)
                              .where(Attachment.application_id == application.id))
    if count >= MAX_ATTACHMENTS:
        raise Conflict(_("每份申报书最多上传 %(max)s 个附件，请先删除不需要的附件。", max=MAX_ATTACHMENTS))

    stored = uploads.store(file, allowed=ALLOWED_TYPES, subdir=SUBDIR, filename=filename)
    # From here the file exists: it goes again if this transaction is rolled back.
    uploads.discard_on_rollback(db.session, SUBDIR, stored.stored_name)
    attachment = Attachment(application_id=application.id, kind=kind, original_name=stored.original_name,
                            stored_name=stored.stored_name, content_type=stored.content_type,
                            size_bytes=stored.size_bytes, sha256=stored.sha256,
                            uploaded_by_id=getattr(actor, "id", None), locked=False)
    application.attachments.append(attachment)
    db.session.flush()
    audit.record(actor, "application.attachment.add", attachment, after=_summary(attachment))
    return attachment


def remove_attachment(actor, attachment: Attachment) -> None:
    """Delete an attachment that is not part of a submitted version, while the
    application can be edited. The file goes only once the deletion commits."""
    application = attachment.application
    if not application.is_editable:
        raise Conflict(_("申报书当前状态为“%(status)s”，附件不能删除。", status=application.status.label))
    if attachment.locked:
        raise Conflict(_("该附件属于已提交的版本，不能删除；如需更新，请上传新的文件。"))
    audit.record(actor, "application.attachment.remove", attachment, before=_summary(attachment))
    stored_name = attachment.stored_name
    application.attachments.remove(attachment)
    db.session.delete(attachment)
    db.session.flush()
    uploads.delete_after_commit(db.session, SUBDIR, stored_name)

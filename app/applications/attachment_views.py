"""Attachment routes: upload, download, delete. Every outcome of upload and delete is a
flash message and a redirect to the application page (never a 500); a request larger
than MAX_CONTENT_LENGTH answers 413."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.applications import attachments as service
from app.applications import bp
from app.applications.models import Application, Attachment
from app.core import uploads
from app.core.errors import DomainError
from app.core.forms import BaseForm, require_action_form
from app.core.permissions import can, require
from app.extensions import db


class AttachmentForm(BaseForm):
    # The service checks the kind against the call's list (a clear message, not WTForms').
    kind = SelectField(_l("附件类别"), validators=[DataRequired(message=_l("请选择附件类别。"))],
                       validate_choice=False)
    file = FileField(_l("选择文件"), validators=[FileRequired(message=_l("请选择要上传的文件。"))])

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _("请选择…"))] + [(k, k) for k in kinds]


def _application_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    return application


def _attachment_or_404(application: Application, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.application_id != application.id:
        abort(404)
    return attachment


# Attachment messages are shown inside the attachments section (where _back() lands), not at
# the top of the page: templates/applications/_attachments.html shows these categories and
# base.html leaves out every category starting with "attachments-".
DONE, FAILED = "attachments-success", "attachments-danger"


def _back(application: Application):
    return redirect(url_for("applications.detail", application_id=application.id, _anchor="attachments"))


@bp.route("/<int:application_id>/attachments", methods=["POST"])
@login_required
def upload_attachment(application_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.edit", application)
    form = AttachmentForm(kinds=service.attachment_kinds(application.call))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), FAILED)
        return _back(application)
    try:
        attachment = service.add_attachment(current_user, application, form.kind.data, form.file.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, FAILED)
    else:
        db.session.commit()
        flash(_("附件“%(name)s”已上传。", name=attachment.original_name), DONE)
    return _back(application)


@bp.route("/<int:application_id>/attachments/<int:attachment_id>")
@login_required
def download_attachment(application_id: int, attachment_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.view", application)
    attachment = _attachment_or_404(application, attachment_id)
    if attachment not in service.visible_attachments(application, can(current_user, "application.edit", application)):
        abort(404)
    path = uploads.stored_path(service.SUBDIR, attachment.stored_name)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.original_name, etag=attachment.sha256,
                         conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:application_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(application_id: int, attachment_id: int):
    application = _application_or_404(application_id)
    require(current_user, "application.edit", application)
    attachment = _attachment_or_404(application, attachment_id)
    require_action_form()
    name = attachment.original_name
    try:
        service.remove_attachment(current_user, attachment)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, FAILED)
    else:
        db.session.commit()
        flash(_("附件“%(name)s”已删除。", name=name), DONE)
    return _back(application)


def _filesize(size: int | None) -> str:
    """1 234 567 → "1.2 MB" (Jinja's filesizeformat writes "Bytes")."""
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


bp.add_app_template_filter(_filesize, "filesize")


@bp.app_context_processor
def _attachment_panel():
    """`attachment_panel(application)` for templates/applications/_attachments.html, which
    other pages include with only `application` in their context."""

    def panel(application: Application) -> dict:
        member = can(current_user, "application.edit", application)
        editable = application.is_editable and member
        kinds = service.attachment_kinds(application.call)
        visible = service.visible_attachments(application, member)
        return {
            "attachments": visible,
            "required": [k for k in (application.call.required_attachments or []) if k],
            "missing": service.missing_kinds(application, visible),
            "editable": editable,
            "full": len(application.attachments) >= service.MAX_ATTACHMENTS,
            "max": service.MAX_ATTACHMENTS,
            "form": AttachmentForm(formdata=None, kinds=kinds) if editable else None,
            "accept": uploads.accept_attribute(service.ALLOWED_TYPES),
            "types": uploads.type_labels(service.ALLOWED_TYPES),
            "max_mb": f"{(current_app.config.get('UPLOAD_MAX_FILE_BYTES') or uploads.DEFAULT_MAX_FILE_BYTES) / 1024 / 1024:g}",
        }

    return {"attachment_panel": panel}

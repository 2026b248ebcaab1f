"""Documents of an application: the submitted 申报书 as a PDF."""
from __future__ import annotations

import io
import re

from flask import abort, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.applications import bp
from app.applications.models import Application, ApplicationVersion
from app.core.db import MAX_ID
from app.core.errors import NotFound
from app.core.permissions import require
from app.extensions import db

_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _filename(title: str, number: int) -> str:
    """申报书-<项目名>-v<N>.pdf, without characters file systems refuse."""
    name = _UNSAFE_FILENAME.sub("", title or "").strip(" .") or _("项目")
    return f"{_('申报书')}-{name[:60]}-v{number}.pdf"


def _version_number(raw: str | None) -> int | None:
    """The ?version= argument: None when absent; a bad value is a 404, not a 500."""
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise NotFound(_("没有这个版本的申报书。"))
    return int(raw)


@bp.route("/<int:application_id>/pdf")
@login_required
def pdf(application_id: int):
    application = db.session.get(Application, application_id) if 0 < application_id <= MAX_ID else None
    if application is None:
        abort(404)
    require(current_user, "application.view", application)
    number = _version_number(request.args.get("version"))
    query = db.select(ApplicationVersion).where(ApplicationVersion.application_id == application.id)
    if number is None:
        query = query.order_by(ApplicationVersion.number.desc()).limit(1)
    else:
        query = query.where(ApplicationVersion.number == number)
    version = db.session.execute(query).scalars().first()
    if version is None:
        if number is None:
            raise NotFound(_("该申报书尚未提交，暂无可下载的 PDF。提交后即可下载申报书。"))
        raise NotFound(_("没有这个版本的申报书。"))

    from app.applications.pdf import render_application_pdf

    content = render_application_pdf(application, version)
    response = send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                         download_name=_filename(version.snapshot.get("title") if isinstance(version.snapshot, dict)
                                                 else application.title, version.number),
                         etag=False, conditional=False, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    return response

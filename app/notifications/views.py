"""Inbox pages (消息中心): list, open (marks read, then follows the link), mark all read."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.db import MAX_ID, page_arg
from app.core.forms import clean_search, require_action_form
from app.core.permissions import require
from app.extensions import db
from app.notifications import bp, services
from app.notifications.models import Notification

SHOW_CHOICES = ("all", "unread")


@bp.route("/")
@login_required
def inbox():
    show = request.args.get("show", "all")
    if show not in SHOW_CHOICES:
        show = "all"
    q = clean_search(request.args.get("q"))
    page = db.paginate(services.inbox(current_user, unread_only=show == "unread", q=q or None),
                       page=page_arg(request.args), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    args = {k: v for k, v in (("show", show if show != "all" else ""), ("q", q)) if v}
    return render_template("notifications/inbox.html", page=page, show=show, q=q, args=args)


def _notification_or_404(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id) if 0 < notification_id <= MAX_ID else None
    if notification is None:
        abort(404)
    return notification


@bp.route("/<int:notification_id>/open", methods=["POST"], endpoint="open")
@login_required
def open_notification(notification_id: int):
    notification = _notification_or_404(notification_id)
    require(current_user, "notification.read", notification)
    require_action_form()
    services.mark_read(current_user, notification)
    db.session.commit()
    if services.is_safe_link(notification.link):
        return redirect(notification.link)
    if notification.link:
        # Only paths on this site are followed: never an open redirect.
        flash(_("这条消息的链接无效，已标为已读。"), "warning")
    return redirect(url_for("notifications.inbox"))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    require_action_form()
    count = services.mark_all_read(current_user)
    db.session.commit()
    if count:
        flash(_("已将 %(n)s 条消息标为已读。", n=count), "success")
    else:
        flash(_("没有未读消息。"), "info")
    return redirect(url_for("notifications.inbox"))

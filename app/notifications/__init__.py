"""Notifications (消息通知): the in-app inbox and emails about what happened to a user's work."""
from flask import Blueprint, current_app, g
from flask_login import current_user

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _navigation():
    """What the navigation needs on every page: the unread count (one COUNT query per
    request, signed-in users only) and whether an optional endpoint exists yet."""

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            from app.notifications.services import unread_count

            g.unread_notifications = unread_count(current_user)
        return g.unread_notifications

    return {
        "unread_notifications": unread_notifications,
        "has_endpoint": lambda endpoint: endpoint in current_app.view_functions,
    }


from app.notifications import handlers, views  # noqa: E402,F401

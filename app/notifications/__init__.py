"""Notifications (消息通知): the in-app inbox and emails about what happened to a user's work."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)

from app.notifications import handlers, views  # noqa: E402,F401

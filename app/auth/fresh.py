"""Fresh login (QUALITY 7.5.1): sensitive actions — approving a payment — need the password
entered within the last FRESH_LOGIN_MINUTES. The time of the last password check is kept in
the (signed) session; a remembered-cookie login has none, so it is never fresh."""
from __future__ import annotations

from functools import wraps

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user

from app.core.db import utcnow

SESSION_KEY = "auth_at"


def mark_authenticated() -> None:
    """Call right after the password was checked (login, re-authentication)."""
    session[SESSION_KEY] = utcnow().timestamp()


def is_fresh() -> bool:
    stamp = session.get(SESSION_KEY)
    if not isinstance(stamp, (int, float)) or not current_user.is_authenticated:
        return False
    age = utcnow().timestamp() - stamp
    return 0 <= age <= current_app.config["FRESH_LOGIN_MINUTES"] * 60


def fresh_login_required(view):
    """Redirect to the re-authentication page (and back) unless the login is fresh. For a
    POST the user is sent back to the page the form came from (the Referer when it is on
    this site, else the dashboard), as a form cannot be replayed through a redirect."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_fresh():
            from flask_babel import gettext as _

            flash(_("此操作需要重新验证身份，请再次输入密码。"), "info")
            if request.method == "GET":
                target = request.full_path.rstrip("?")
            else:
                target = _same_site_referrer() or url_for("public.dashboard")
            return redirect(url_for("auth.reauthenticate", next=target))
        return view(*args, **kwargs)

    return wrapped


def _same_site_referrer() -> str | None:
    from urllib.parse import urlsplit

    ref = request.referrer
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")

"""Community social organizations (社区社会组织): profiles, members, directory."""
from flask import Blueprint

bp = Blueprint("orgs", __name__)

from app.orgs import views  # noqa: E402,F401

"""Platform administration: users and roles, funders, regions (系统管理)."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import views  # noqa: E402,F401

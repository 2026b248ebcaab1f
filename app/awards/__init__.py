"""Public notice (公示), objections (异议), awards (立项) and public award lists."""
from flask import Blueprint

bp = Blueprint("awards", __name__)

from app.awards import views  # noqa: E402,F401
from app.awards import breach_views  # noqa: E402,F401
from app.awards import credit_records  # noqa: E402,F401  (its part of the credit record)

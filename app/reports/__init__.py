"""Project reports (项目报告): progress and final reports, review, rating, certificates."""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import views  # noqa: E402,F401
from app.reports import credit_records  # noqa: E402,F401  (its part of the credit record)

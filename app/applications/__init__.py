"""Applications (项目申报): proposals, attachments, submission and eligibility screening."""
from flask import Blueprint

bp = Blueprint("applications", __name__)

from app.applications import attachment_views, document_views, screening_views, views  # noqa: E402,F401

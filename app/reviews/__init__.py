"""Expert review (专家评审): panels, assignment, scoring, aggregation and ranking."""
from flask import Blueprint

bp = Blueprint("reviews", __name__)

from app.reviews import views  # noqa: E402,F401
from app.reviews import panel_views  # noqa: E402,F401
from app.reviews import reviewer_views  # noqa: E402,F401
from app.reviews import chair_views  # noqa: E402,F401

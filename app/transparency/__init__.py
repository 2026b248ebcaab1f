"""Transparency and open data (issue 6): public project pages, fund-use disclosure, open
data (CSV, 360Giving JSON), the Atom feed, statistics."""
from flask import Blueprint

bp = Blueprint("transparency", __name__)

from app.transparency import project_views  # noqa: E402,F401
from app.transparency import opendata_views  # noqa: E402,F401
from app.transparency import stats_views  # noqa: E402,F401

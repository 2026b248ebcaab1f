"""The read-only JSON API under /api/v1/ (issue 6): calls, awards, organizations' public
fields, fund sources and statistics, described by the OpenAPI 3.1 document at
/api/v1/openapi.json.

Every answer under /api/v1 is JSON — including unknown paths (404), other methods (405),
the rate limit (429) and server errors (500), as problem details (RFC 9457) — and carries
``Access-Control-Allow-Origin: *``: the data is open and nothing here reads a session.
"""
from flask import Blueprint, current_app
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db, limiter

bp = Blueprint("api", __name__)

# Generous: open data is meant to be harvested, a page costs a handful of queries.
RATE_LIMIT = "600 per minute"


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", RATE_LIMIT)


limiter.limit(_rate_limit)(bp)

from app.api import http  # noqa: E402


@bp.before_app_request
def _api_routing_errors():
    """A URL under /api/v1 that matched no route, or no method of its route, answers JSON
    (the app's error pages are HTML; blueprint error handlers never see routing errors)."""
    if not http.is_api_request():
        return None
    problem = http.routing_problem()
    return http.finish(http.problem_response(problem)) if problem is not None else None


@bp.errorhandler(http.ApiProblem)
def _problem(err: http.ApiProblem):
    db.session.rollback()
    return http.problem_response(err)


def _http_error(err: HTTPException):
    return http.problem_response(http.problem_from_http(err))


# By status code too: Flask prefers the app's handlers by code (HTML pages) over a
# blueprint's handler by class.
bp.register_error_handler(HTTPException, _http_error)
for _code in (400, 403, 404, 405, 409, 413, 429):
    bp.register_error_handler(_code, _http_error)


@bp.errorhandler(InternalServerError)
def _server_error(err):
    db.session.rollback()
    return http.problem_response(http.problem_from_http(err))


@bp.after_request
def _headers(response):
    return http.finish(response)


from app.api import views  # noqa: E402,F401

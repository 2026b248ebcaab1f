"""The HTTP edge of the API: query parameters (each declared once, parsed here and described
in the OpenAPI document from the same object), problem responses (RFC 9457), pagination
(envelope and RFC 8288 ``Link`` header), conditional requests (``ETag`` / ``Last-Modified``,
RFC 9110) and the open-data headers (CORS, public caching).

Every operation is declared with ``api_route``: the registry ``OPERATIONS`` is what
app.api.openapi turns into the document, so a route cannot exist without its description.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.http import http_date

from app.core.db import MAX_ID
from app.core.forms import CONTROL_CHARS
from app.extensions import db

JSON = "application/json"
PROBLEM = "application/problem+json"
CACHE_CONTROL = "public, max-age=60"
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
PROBLEM_BASE = "/api/v1/problems/"
_DIGITS = re.compile(r"-?[0-9]+", re.ASCII)


# --------------------------------------------------------------------------- problems

class ApiProblem(Exception):
    """An answer other than 200 (RFC 9457 problem details): ``kind`` names the problem type,
    ``detail`` says what was wrong in the reader's language."""

    def __init__(self, status: int, kind: str, detail: str, *, parameter: str | None = None,
                 headers: Mapping[str, str] | None = None):
        super().__init__(detail)
        self.status, self.kind, self.detail, self.parameter = status, kind, detail, parameter
        self.headers = dict(headers or {})


def _titles() -> dict[str, str]:
    return {
        "invalid-parameter": _("参数无效"),
        "not-found": _("未找到"),
        "method-not-allowed": _("不支持的请求方法"),
        "too-many-requests": _("请求过于频繁"),
        "server-error": _("服务器内部错误"),
        "http-error": _("请求错误"),
    }


def problem_response(err: ApiProblem) -> Response:
    body: dict[str, Any] = {"type": PROBLEM_BASE + err.kind, "title": _titles().get(err.kind, err.kind),
                            "status": err.status, "detail": err.detail}
    if err.parameter is not None:
        body["parameter"] = err.parameter
    response = Response(json.dumps(body, ensure_ascii=False), status=err.status, mimetype=PROBLEM)
    response.headers.update(err.headers)
    return response


def problem_from_http(exc: HTTPException) -> ApiProblem:
    """A werkzeug exception (routing 404/405, the rate limiter's 429, an abort) as a problem."""
    code = exc.code or 500
    if code == 404:
        return ApiProblem(404, "not-found", _("没有这个地址：%(path)s。可用的地址见 /api/v1/。", path=request.path))
    if code == 405:
        allowed = sorted(getattr(exc, "valid_methods", None) or ["GET", "HEAD", "OPTIONS"])
        return ApiProblem(405, "method-not-allowed",
                          _("开放数据接口只读，只接受 %(methods)s 请求。", methods=", ".join(allowed)),
                          headers={"Allow": ", ".join(allowed)})
    if code == 429:
        return ApiProblem(429, "too-many-requests", _("请求过于频繁，请稍后再试。"))
    if code >= 500:
        return ApiProblem(code, "server-error", _("服务器内部错误，请稍后再试。"))
    return ApiProblem(code, "http-error", exc.description or _titles()["http-error"])


def not_found(what: str, ident: int | str) -> ApiProblem:
    return ApiProblem(404, "not-found", _("找不到%(what)s：%(id)s。", what=what, id=ident))


def is_api_request() -> bool:
    prefix = current_app.config.get("API_PREFIX", "/api/v1")
    return request.path == prefix or request.path.startswith(prefix + "/")


def routing_problem() -> ApiProblem | None:
    """The problem to answer when the URL under /api/v1 matched no route (404) or no method
    of its route (405); None when routing succeeded."""
    exc = request.routing_exception
    if exc is None or not isinstance(exc, HTTPException):
        return None
    if isinstance(exc, MethodNotAllowed):
        return problem_from_http(exc)
    return problem_from_http(exc) if (exc.code or 0) >= 400 else None


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Param:
    """A query parameter: its JSON Schema and its parser are the same declaration."""

    name: str
    type: str                                   # "integer" | "string"
    description: str
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    pattern: str | None = None
    default: int | None = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for key, value in (("minimum", self.minimum), ("maximum", self.maximum), ("maxLength", self.max_length),
                           ("pattern", self.pattern), ("default", self.default)):
            if value is not None:
                out[key] = value
        if self.enum is not None:
            out["enum"] = list(self.enum)
        return out

    def _bad(self, detail: str) -> ApiProblem:
        return ApiProblem(400, "invalid-parameter", detail, parameter=self.name)

    def parse(self, args) -> Any:
        """The parameter's value from the query string (None when absent or, for a text
        search, empty); anything the schema refuses is a 400 naming the parameter."""
        values = args.getlist(self.name)
        if not values:
            return self.default
        if len(values) > 1:
            raise self._bad(_("参数 %(name)s 只能出现一次。", name=self.name))
        raw = values[0]
        if self.type == "integer":
            if not _DIGITS.fullmatch(raw):
                raise self._bad(_("参数 %(name)s 必须是整数，收到“%(value)s”。", name=self.name, value=raw[:40]))
            value = int(raw)
            if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
                raise self._bad(_("参数 %(name)s 必须在 %(lo)s 到 %(hi)s 之间。", name=self.name,
                                  lo=self.minimum, hi=self.maximum))
            return value
        if self.enum is not None:
            if raw not in self.enum:
                raise self._bad(_("参数 %(name)s 的取值无效，可选值：%(values)s。", name=self.name,
                                  values=", ".join(self.enum)))
            return raw
        if self.max_length is not None and len(raw) > self.max_length:
            raise self._bad(_("参数 %(name)s 不能超过 %(n)s 个字符。", name=self.name, n=self.max_length))
        if self.pattern is not None and not re.search(self.pattern, raw):
            raise self._bad(_("参数 %(name)s 的格式不正确。", name=self.name))
        cleaned = CONTROL_CHARS.sub("", raw).strip()
        return cleaned or None


def id_param(name: str, description: Any) -> Param:
    return Param(name, "integer", description, minimum=1, maximum=MAX_ID)


def year_param(description: Any) -> Param:
    return Param("year", "integer", description, minimum=2000, maximum=2100)


def enum_param(name: str, enum_cls, description: Any, exclude: Iterable[str] = ()) -> Param:
    return Param(name, "string", description, enum=tuple(m.value for m in enum_cls if m.value not in set(exclude)))


def region_param(name: str, description: Any) -> Param:
    return Param(name, "string", description, max_length=12, pattern=r"^[0-9A-Za-z]{1,12}$")


Q = Param("q", "string", "搜索文字（不区分大小写，包含即匹配）", max_length=100)
PAGE = Param("page", "integer", "页码，从 1 开始", minimum=1, maximum=MAX_ID, default=1)
PER_PAGE = Param("per_page", "integer", "每页条数（1–100）", minimum=1, maximum=MAX_PER_PAGE, default=DEFAULT_PER_PAGE)


def parse_args() -> dict[str, Any]:
    """The current operation's query parameters, parsed as its OpenAPI description says
    (the same Param objects), so a view cannot accept what the document does not list."""
    op = next(o for o in OPERATIONS if o.endpoint == request.endpoint)
    return {p.name: p.parse(request.args) for p in op.params}


# --------------------------------------------------------------------------- registry

@dataclass
class Operation:
    """One GET operation as the OpenAPI document describes it."""

    endpoint: str                # "api.calls"
    rule: str                    # "/calls/<int:call_id>"
    summary: Any
    description: str
    tag: str
    schema: str                  # component name of the answer ("CallPage", "Call", …)
    params: tuple[Param, ...] = ()
    path_params: tuple[tuple[str, Any], ...] = ()   # (name, description)
    conditional: bool = True     # Last-Modified / If-Modified-Since
    item: bool = False           # may answer 404 for an unknown id
    paged: bool = False


OPERATIONS: list[Operation] = []


def api_route(bp, rule: str, *, summary: Any, description: Any = "", tag: str, schema: str,
              params: Iterable[Param] = (), path_params: Iterable[tuple[str, Any]] = (),
              conditional: bool = True, paged: bool = False) -> Callable:
    """Register a GET view on the blueprint and describe it for the OpenAPI document."""
    params = tuple(params) + ((PAGE, PER_PAGE) if paged else ())

    def decorator(fn: Callable) -> Callable:
        OPERATIONS.append(Operation(f"{bp.name}.{fn.__name__}", rule, summary, description, tag, schema, params,
                                    tuple(path_params), conditional, bool(path_params), paged))
        return bp.route(rule, methods=["GET"])(fn)

    return decorator


# --------------------------------------------------------------------------- pages

@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


def paginate(stmt: Select, page: int, per_page: int) -> Page:
    """One page of ``stmt`` and the total (two queries; the total counts distinct rows of the
    statement without its eager loads or order)."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, page, per_page, int(total))


def _page_url(number: int, per_page: int) -> str:
    args = {k: v for k, v in request.args.items(multi=False) if k not in ("page", "per_page")}
    args.update(page=number, per_page=per_page)
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)


def envelope(page: Page, data: list) -> tuple[dict, dict[str, str]]:
    """The page's body ``{"data", "meta", "links"}`` and its ``Link`` header."""
    links = {"self": _page_url(page.page, page.per_page), "first": _page_url(1, page.per_page),
             "last": _page_url(page.pages, page.per_page),
             "prev": _page_url(page.page - 1, page.per_page) if 1 < page.page <= page.pages + 1 else None,
             "next": _page_url(page.page + 1, page.per_page) if page.page < page.pages else None}
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self")
    body = {"data": data, "meta": {"page": page.page, "per_page": page.per_page, "total": page.total,
                                   "pages": page.pages}, "links": links}
    return body, {"Link": header}


# --------------------------------------------------------------------------- answers

def iso(value: datetime | None) -> str | None:
    """A UTC timestamp as ISO 8601 in Beijing time (+08:00)."""
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds")


def newest(*stamps: datetime | None) -> datetime | None:
    found = [s for s in stamps if s is not None]
    return max(found) if found else None


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:40]


def json_response(body: Any, *, last_modified: datetime | None = None,
                  headers: Mapping[str, str] | None = None) -> Response:
    """A 200 with a strong ETag (a hash of the body) and, when known, Last-Modified — or a
    304 when the client's copy is current (If-None-Match first, per RFC 9110 §13.2.2)."""
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode()
    tag = etag_of(payload)
    if last_modified is not None:
        last_modified = last_modified.astimezone(timezone.utc).replace(microsecond=0)
    extra = dict(headers or {})
    extra["ETag"] = f'"{tag}"'
    if last_modified is not None:
        extra["Last-Modified"] = http_date(last_modified)
    if _not_modified(tag, last_modified):
        response = Response(status=304)
        response.headers.update(extra)
        return response
    response = Response(payload, status=200, mimetype=JSON)
    response.headers.update(extra)
    return response


def _not_modified(tag: str, last_modified: datetime | None) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if "If-None-Match" in request.headers:
        return request.if_none_match.contains_weak(tag)
    since = request.if_modified_since
    return bool(last_modified is not None and since is not None and last_modified <= since)


def finish(response: Response) -> Response:
    """Headers every API answer carries: open CORS, public caching of successes."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
        response.headers["Access-Control-Max-Age"] = "86400"
    if response.status_code in (200, 304):
        response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def max_of(stmt: Select, name: str) -> datetime | None:
    """The largest value of the column ``name`` of the entity ``stmt`` selects, over all its
    rows (one query) — for Last-Modified."""
    sub = stmt.order_by(None).subquery()
    return db.session.scalar(select(func.max(sub.c[name])))

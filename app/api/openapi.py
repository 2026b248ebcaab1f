"""The OpenAPI 3.1 document of the API, built from the operations registered with
``api_route`` (app.api.http.OPERATIONS: path, parameters, answer schema) and the component
schemas of app.api.schemas — one place, so the document cannot drift from the routes."""
from __future__ import annotations

import re
from typing import Any

from app.api import schemas
from app.api.http import OPERATIONS, PROBLEM, Operation

PREFIX = "/api/v1"

DESCRIPTION = """公益创投与政府购买服务平台的只读开放数据接口（无需登录，只含公开信息）。

- **分页**：集合接口接受 `page`（从 1 开始）和 `per_page`（1–100，默认 20），回答
  `{"data": [...], "meta": {"page", "per_page", "total", "pages"}, "links": {"self", "first", "last", "prev", "next"}}`，
  链接为绝对地址；同样的链接也在 `Link` 响应头中（RFC 8288，rel = first / last / prev / next）。页码超过总页数时 `data` 为空。
- **缓存**：每个 200 响应带强 `ETag`（响应体的哈希）和 `Cache-Control: public, max-age=60`；
  数据有更新时间的接口另带 `Last-Modified`。请求带 `If-None-Match`（优先）或 `If-Modified-Since`
  且数据未变时回答 304，没有响应体。
- **时间** 均为 ISO 8601 北京时间（+08:00）；日期为 `YYYY-MM-DD`。
- **金额** 均为整数，单位为分（1 元 = 100 分）。
- **枚举** 以 `{"value", "label"}` 给出：`value` 稳定不变，`label` 为当前语言的显示名称。
- **错误** 以 `application/problem+json`（RFC 9457）回答：参数无效 400（`parameter` 指出是哪个参数），
  找不到 404，只读接口不接受的方法 405，请求过于频繁 429。
- **跨域**：`Access-Control-Allow-Origin: *`。
- **频率限制**：同一来源对每个接口每分钟最多 600 次请求，超出回答 429。
- **许可**：数据按知识共享署名 4.0 国际许可协议（CC BY 4.0）开放。
"""

TAGS = [
    {"name": "index", "description": "接口目录与本文档"},
    {"name": "calls", "description": "项目征集（不含草稿）"},
    {"name": "awards", "description": "立项项目"},
    {"name": "organizations", "description": "社区社会组织的公开资料"},
    {"name": "fund-sources", "description": "资金来源及其台账数据"},
    {"name": "statistics", "description": "统计数据"},
]


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: "/calls/<int:call_id>" → "/calls/{call_id}"."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _header(schema: dict, description: str, required: bool = False) -> dict:
    return {"description": description, "required": required, "schema": schema}


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM: {"schema": schemas.ref("Problem")}}}


def _answer_schema(op: Operation) -> dict:
    if op.schema == "OpenAPI":
        return {"type": "object", "required": ["openapi", "info", "paths"],
                "description": "本 OpenAPI 3.1 文档"}
    return schemas.ref(op.schema)


def _operation(op: Operation) -> dict[str, Any]:
    text = {"type": "string"}
    headers = {
        "ETag": _header(text, "强 ETag：响应体的哈希", required=True),
        "Cache-Control": _header(text, "public, max-age=60", required=True),
        "Access-Control-Allow-Origin": _header(text, "*", required=True),
    }
    if op.conditional:
        headers["Last-Modified"] = _header(text, "数据最近的更新时间（HTTP 日期）")
    if op.paged:
        headers["Link"] = _header(text, "分页链接（RFC 8288）", required=True)
    parameters = [{"name": name, "in": "path", "required": True, "description": description,
                   "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
                  for name, description in op.path_params]
    parameters += [{"name": p.name, "in": "query", "required": False, "description": p.description,
                    "schema": p.schema()} for p in op.params]
    responses: dict[str, Any] = {
        "200": {"description": "成功", "headers": headers,
                "content": {"application/json": {"schema": _answer_schema(op)}}},
        "304": {"description": "未修改（If-None-Match / If-Modified-Since 与当前数据一致），没有响应体",
                "headers": {"ETag": _header(text, "当前的 ETag", required=True)}},
    }
    if op.params:
        responses["400"] = _problem("参数无效（非整数、超出范围、未知的取值或重复出现）")
    responses["404"] = _problem("找不到该记录或地址")
    responses["429"] = _problem("请求过于频繁")
    out: dict[str, Any] = {"operationId": op.endpoint.split(".", 1)[1], "summary": op.summary, "tags": [op.tag],
                           "parameters": parameters, "responses": responses}
    if op.description:
        out["description"] = op.description
    return out


def document() -> dict[str, Any]:
    """The whole document (paths relative to the server ``/api/v1``)."""
    from app.api.views import VERSION

    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.rule), {})["get"] = _operation(op)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {"title": "Gongyi 公益 开放数据接口", "version": VERSION, "description": DESCRIPTION,
                 "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}},
        "servers": [{"url": PREFIX, "description": "本站"}],
        "tags": TAGS,
        "paths": paths,
        "components": {"schemas": schemas.components()},
    }

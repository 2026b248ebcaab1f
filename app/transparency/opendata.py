"""Open data (issue 6, SPEC §6): the award list as CSV and as a 360Giving Data Standard
JSON package, and the Atom feed of new calls and notices.

**Only Award rows are published** (an award exists only after the public notice closed),
with public fields only: no contacts, no emails, no scores per reviewer, no bank details.

**Streaming and batching.** Both exports are generators. The award rows come from ONE
column query (no ORM entities, so the session's identity map does not grow) executed
with ``yield_per=BATCH`` and read ``partitions()`` at a time; for each partition three
more queries fetch that page's fund sources, payments in force and served communities by
``IN (…page ids…)``. A download therefore runs ``1 + 3 × ceil(rows / BATCH)`` queries
and holds one page in memory, whatever the number of awards.

Identifiers (SPEC §6), ``<prefix>`` being the config key ``OPEN_DATA_PREFIX``
(default "gongyi"): grant ``360G-<prefix>-<award id>``; recipient ``CN-USCI-<统一社会信用代码>``
or, without one, ``360G-<prefix>-org-<id>``; funder ``360G-<prefix>-funder-<id>``.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.applications.models import Application, ApplicationCommunity
from app.awards.models import Award, Notice
from app.calls.models import Call, CallStatus
from app.extensions import db
from app.funders.models import Funder
from app.money.models import AwardFunding, FundSource, FundSourceKind, Installment, Payment
from app.orgs.models import Organization
from app.regions.models import Region

CHINA = ZoneInfo("Asia/Shanghai")
BATCH = 500                       # award rows per page of the export query
FEED_SIZE = 50                    # entries in the Atom feed
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
GIVING_VERSION = "1.4"
ATOM_NS = "http://www.w3.org/2005/Atom"
CSV_BOM = "\ufeff"


# --------------------------------------------------------------------------- helpers

def prefix() -> str:
    return str(current_app.config.get("OPEN_DATA_PREFIX") or "gongyi")


def grant_id(award_id: int) -> str:
    return f"360G-{prefix()}-{award_id}"


def org_identifier(org_id: int, credit_code: str | None) -> str:
    return f"CN-USCI-{credit_code}" if credit_code else f"360G-{prefix()}-org-{org_id}"


def funder_identifier(funder_id: int) -> str:
    return f"360G-{prefix()}-funder-{funder_id}"


def base_url() -> str:
    """The site's address for absolute links: BASE_URL, else the request's root."""
    base = (current_app.config.get("BASE_URL") or "").strip()
    if not base:
        base = request.url_root
    return base.rstrip("/")


def absolute(endpoint: str, **values: Any) -> str:
    return base_url() + url_for(endpoint, **values)


@dataclass
class Links:
    """Absolute links built without a request: the exports' generators run after the
    view has returned (see ``streamed``)."""

    base: str
    adapter: Any
    prefix: str

    def url(self, endpoint: str, **values: Any) -> str:
        return self.base + self.adapter.build(endpoint, values)


def links() -> Links:
    """Taken in the view, inside the request."""
    return Links(base_url(), current_app.create_url_adapter(request), prefix())


def streamed(head: str, body: Iterator[str]) -> Iterator[str]:
    """The response body of an export: ``head`` (built in the view, inside the request:
    the CSV header, the JSON envelope), then ``body`` run inside an application context of
    its own, entered at its first chunk and left after the last (or when the server closes
    the response), in whatever thread and contextvars Context iterates the body. The
    session is that app context's: the request's own was removed at teardown.

    Why not ``flask.stream_with_context``: it pushes the request context when the view
    returns and pops it when the body ends; the test client (and any server that takes the
    first chunk in the view's Context, see werkzeug.test.run_wsgi_app) iterates the rest in
    another Context and the pop fails. The body needs no request: its links come from
    ``Links``, taken in the view."""
    app = current_app._get_current_object()

    def run() -> Iterator[str]:
        yield head
        with app.app_context():
            yield from body

    return run()


def safe_cell(value: Any) -> str:
    """A CSV text cell a spreadsheet will not run as a formula (= + - @, tab, CR)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def yuan_text(fen: int) -> str:
    """12345 → "123.45" (two decimals, no separators)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan_number(fen: int) -> int | float:
    """Fen as a JSON number of yuan: exact (a float's repr of n/100 is the shortest
    round-trip form, so 12345 → 123.45)."""
    fen = int(fen)
    return fen // 100 if fen % 100 == 0 else fen / 100


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def beijing_iso(value: datetime) -> str:
    """A stored (UTC) time as an ISO 8601 date-time in Beijing time."""
    return _utc(value).astimezone(CHINA).isoformat(timespec="seconds")


def day_iso(value: date) -> str:
    """A calendar date as the start of that day in Beijing, ISO date-time. (The 360Giving
    schema's date fields are ``oneOf`` date-time / date pattern; a full date-time matches
    exactly one branch whether or not the validator checks formats.)"""
    return datetime.combine(value, time(0, 0), tzinfo=CHINA).isoformat(timespec="seconds")


def rfc3339_utc(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- award rows

@dataclass
class Disbursement:
    payment_id: int
    voucher_number: str
    amount_fen: int
    paid_on: date


@dataclass
class Community:
    name: str
    code: str


@dataclass
class AwardRow:
    """One published award with everything the exports show (public fields only)."""

    id: int
    number: str
    title: str
    summary: str
    amount_fen: int
    awarded_at: datetime
    org_id: int
    org_name: str
    credit_code: str | None
    call_id: int
    call_title: str
    funder_id: int
    funder_name: str
    starts_on: date | None
    ends_on: date | None
    fund_kinds: list[FundSourceKind] = field(default_factory=list)
    fund_names: list[str] = field(default_factory=list)
    payments: list[Disbursement] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)

    @property
    def paid_fen(self) -> int:
        return sum(p.amount_fen for p in self.payments)


def _award_query():
    return (select(Award.id, Award.number, Application.title, Application.summary, Award.amount_fen,
                   Award.awarded_at, Organization.id, Organization.name, Organization.credit_code,
                   Call.id, Call.title, Funder.id, Funder.name, Application.starts_on, Application.ends_on)
            .join(Application, Application.id == Award.application_id)
            .join(Organization, Organization.id == Award.organization_id)
            .join(Call, Call.id == Award.call_id)
            .join(Funder, Funder.id == Call.funder_id)
            .order_by(Award.id))


def _complete(rows: Sequence[AwardRow]) -> None:
    """Fund sources, payments in force and communities of one page: three queries."""
    by_id = {r.id: r for r in rows}
    ids = list(by_id)
    for award_id, kind, name in db.session.execute(
            select(AwardFunding.award_id, FundSource.kind, FundSource.name)
            .join(FundSource, FundSource.id == AwardFunding.fund_source_id)
            .where(AwardFunding.award_id.in_(ids)).order_by(AwardFunding.award_id, AwardFunding.id)):
        row = by_id[award_id]
        if kind not in row.fund_kinds:
            row.fund_kinds.append(kind)
        row.fund_names.append(name)
    for award_id, pid, voucher, amount, paid_on in db.session.execute(
            select(Installment.award_id, Payment.id, Payment.voucher_number, Payment.amount_fen, Payment.paid_on)
            .join(Installment, Installment.id == Payment.installment_id)
            .where(Installment.award_id.in_(ids), Payment.reversed_entry_id.is_(None))
            .order_by(Installment.award_id, Installment.position, Payment.id)):
        by_id[award_id].payments.append(Disbursement(pid, voucher, int(amount), paid_on))
    for award_id, name, code in db.session.execute(
            select(Award.id, Region.name, Region.code)
            .join(ApplicationCommunity, ApplicationCommunity.application_id == Award.application_id)
            .join(Region, Region.id == ApplicationCommunity.community_id)
            .where(Award.id.in_(ids)).order_by(Award.id, Region.path)):
        by_id[award_id].communities.append(Community(name, code))


def award_rows(batch: int | None = None) -> Iterator[list[AwardRow]]:
    """The published awards, oldest first, one page (≤ ``batch`` rows) at a time."""
    size = batch or BATCH
    result = db.session.execute(_award_query().execution_options(yield_per=size))
    try:
        for part in result.partitions(size):
            rows = [AwardRow(id=r[0], number=r[1], title=r[2] or "", summary=r[3] or "", amount_fen=int(r[4]),
                             awarded_at=r[5], org_id=r[6], org_name=r[7], credit_code=r[8], call_id=r[9],
                             call_title=r[10], funder_id=r[11], funder_name=r[12], starts_on=r[13],
                             ends_on=r[14]) for r in part]
            if rows:
                _complete(rows)
                yield rows
    finally:
        result.close()


# --------------------------------------------------------------------------- CSV

def csv_header() -> list[str]:
    return [_("资助编号(360Giving)"), _("立项编号"), _("项目名称"), _("承接组织"), _("统一社会信用代码"),
            _("所属征集"), _("资助方"), _("资金来源类型"), _("资助金额(元)"), _("立项日期"), _("服务社区"),
            _("区划代码"), _("已拨付(元)")]


def csv_cells(row: AwardRow) -> list[str]:
    return [grant_id(row.id), safe_cell(row.number), safe_cell(row.title), safe_cell(row.org_name),
            safe_cell(row.credit_code or ""), safe_cell(row.call_title), safe_cell(row.funder_name),
            "、".join(str(k.label) for k in row.fund_kinds), yuan_text(row.amount_fen),
            _utc(row.awarded_at).astimezone(CHINA).date().isoformat(),
            safe_cell("、".join(c.name for c in row.communities)),
            safe_cell(";".join(c.code for c in row.communities)), yuan_text(row.paid_fen)]


def csv_head(header: list[str] | None = None) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(header or csv_header())
    return CSV_BOM + buffer.getvalue()


def csv_body(batch: int | None = None) -> Iterator[str]:
    """The CSV rows, one text chunk per page of awards."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for page in award_rows(batch):
        for row in page:
            writer.writerow(csv_cells(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def awards_csv(header: list[str] | None = None, batch: int | None = None) -> Iterator[str]:
    """The whole CSV as text chunks: a BOM and the header, then one chunk per page."""
    yield csv_head(header)
    yield from csv_body(batch)


# --------------------------------------------------------------------------- 360Giving

def grant(row: AwardRow, link: Links) -> dict[str, Any]:
    """One award as a 360Giving grant object."""
    recipient = org_identifier(row.org_id, row.credit_code)
    funder = funder_identifier(row.funder_id)
    out: dict[str, Any] = {
        "id": grant_id(row.id),
        "title": row.title,
        "description": row.summary or row.title,
        "currency": "CNY",
        "amountAwarded": yuan_number(row.amount_fen),
        "awardDate": beijing_iso(row.awarded_at),
        "recipientOrganization": [{"id": recipient, "name": row.org_name, "addressCountry": "CN"}],
        "fundingOrganization": [{"id": funder, "name": row.funder_name}],
        "grantProgramme": [{"code": f"{prefix()}-call-{row.call_id}", "title": row.call_title,
                            "url": link.url("calls.detail", call_id=row.call_id)}],
        "fromOpenCall": "Yes",
    }
    if row.communities:
        out["beneficiaryLocation"] = [{"id": c.code, "name": c.name, "countryCode": "CN", "geoCode": c.code}
                                      for c in row.communities]
    if row.starts_on and row.ends_on:
        out["plannedDates"] = [{"startDate": day_iso(row.starts_on), "endDate": day_iso(row.ends_on)}]
    if row.fund_kinds:
        out["classifications"] = [{"vocabulary": f"{prefix()}-fund-source-kind", "code": k.value,
                                   "title": str(k.label)} for k in row.fund_kinds]
    out["amountDisbursed"] = yuan_number(row.paid_fen)
    out["disbursementTransaction"] = [
        {"id": f"{grant_id(row.id)}-payment-{p.payment_id}", "currency": "CNY", "value": yuan_number(p.amount_fen),
         "transactionDate": day_iso(p.paid_on), "description": p.voucher_number,
         "provider": funder, "recipient": recipient}
        for p in row.payments]
    return out


def package_envelope(now: datetime, link: Links) -> dict[str, Any]:
    site = _("公益创投与政府购买服务平台")
    return {
        "version": GIVING_VERSION,
        "title": _("%(site)s 立项资助数据", site=site),
        "description": _("本平台全部立项项目的资助数据（360Giving 数据标准 1.4），按知识共享署名 4.0 (CC BY 4.0) 许可开放。"),
        "issued": beijing_iso(now),
        "modified": beijing_iso(now),
        "identifier": f"{prefix()}-awards",
        "publisher": {"name": site, "website": link.base + "/"},
        "license": LICENSE_URL,
        "downloadURL": link.url("transparency.awards_360giving"),
        "accessURL": link.url("transparency.open_data"),
    }


def package_head(now: datetime, link: Links) -> str:
    """The envelope with ``"grants":[`` left open."""
    head = json.dumps(package_envelope(now, link), ensure_ascii=False, separators=(",", ":"))
    return head[:-1] + ',"grants":['


def package_body(link: Links, batch: int | None = None) -> Iterator[str]:
    """The grants, one chunk per page (comma-separated, each grant its own json.dumps),
    then the closing ``]}``."""
    first = True
    for page in award_rows(batch):
        parts = []
        for row in page:
            text = json.dumps(grant(row, link), ensure_ascii=False, separators=(",", ":"))
            parts.append(text if first else "," + text)
            first = False
        yield "".join(parts)
    yield "]}"


def awards_360giving(now: datetime, link: Links, batch: int | None = None) -> Iterator[str]:
    """The whole package as text chunks."""
    yield package_head(now, link)
    yield from package_body(link, batch)


# --------------------------------------------------------------------------- overview

@dataclass
class OpenDataSummary:
    award_count: int
    total_fen: int
    last_award_at: datetime | None
    call_count: int
    notice_count: int
    last_event_at: datetime | None


def summary() -> OpenDataSummary:
    """Record counts and last-updated times for the open data page (three queries)."""
    count, total, last = db.session.execute(
        select(func.count(Award.id), func.coalesce(func.sum(Award.amount_fen), 0), func.max(Award.awarded_at))).one()
    calls, last_call = db.session.execute(
        select(func.count(Call.id), func.max(Call.opens_at)).where(Call.status != CallStatus.DRAFT)).one()
    notices, last_notice = db.session.execute(select(func.count(Notice.id), func.max(Notice.published_at))).one()
    stamps = [_utc(s) for s in (last_call, last_notice) if s is not None]
    return OpenDataSummary(int(count), int(total), _utc(last) if last else None, int(calls), int(notices),
                           max(stamps) if stamps else None)


# --------------------------------------------------------------------------- Atom feed

@dataclass
class FeedEntry:
    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    summary: str
    category: str


def _tag(kind: str, object_id: int, when: datetime) -> str:
    host = base_url().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    return f"tag:{host},{_utc(when).date().isoformat()}:{prefix()}/{kind}/{object_id}"


def feed_entries(limit: int | None = None) -> list[FeedEntry]:
    """The newest public events (FEED_SIZE by default): calls published (not draft; dated
    by their opening) and notices published. Two queries of at most ``limit`` rows each,
    merged."""
    limit = limit or FEED_SIZE
    calls = db.session.execute(
        select(Call.id, Call.title, Call.summary, Call.opens_at, Call.status_changed_at, Call.status,
               Funder.name)
        .join(Funder, Funder.id == Call.funder_id)
        .where(Call.status != CallStatus.DRAFT)
        .order_by(Call.opens_at.desc(), Call.id.desc()).limit(limit)).all()
    notices = db.session.execute(
        select(Notice.id, Notice.call_id, Notice.published_at, Notice.ends_at, Call.title, Funder.name)
        .join(Call, Call.id == Notice.call_id).join(Funder, Funder.id == Call.funder_id)
        .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)).all()
    entries = []
    for cid, title, text, opens_at, changed, status, funder in calls:
        published = _utc(opens_at)
        updated = max(published, _utc(changed)) if changed else published
        entries.append(FeedEntry(
            id=_tag("call", cid, published), title=_("项目征集：%(title)s", title=title),
            link=absolute("calls.detail", call_id=cid), published=published, updated=updated,
            summary=_("%(funder)s发布。%(summary)s（当前状态：%(status)s）", funder=funder, summary=text or "",
                      status=status.label),
            category="call"))
    for nid, call_id, published_at, ends_at, title, funder in notices:
        published = _utc(published_at)
        entries.append(FeedEntry(
            id=_tag("notice", nid, published), title=_("立项公示：%(title)s", title=title),
            link=absolute("awards.notice", call_id=call_id), published=published, updated=published,
            summary=_("%(funder)s公示拟立项名单，公示期至 %(end)s（北京时间）。", funder=funder,
                      end=_utc(ends_at).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")),
            category="notice"))
    entries.sort(key=lambda e: (e.published, e.id), reverse=True)
    return entries[:limit]


def atom_feed(entries: Iterable[FeedEntry], now: datetime) -> bytes:
    """An Atom 1.0 document (ElementTree escapes every text)."""
    entries = list(entries)
    ET.register_namespace("", ATOM_NS)

    def sub(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    root = ET.Element(f"{{{ATOM_NS}}}feed")
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN")
    sub(root, "id", f"{base_url()}/feed.atom")
    sub(root, "title", _("公益创投平台：新征集与立项公示"))
    sub(root, "subtitle", _("新发布的项目征集和立项公示。"))
    sub(root, "updated", rfc3339_utc(max((e.updated for e in entries), default=now)))
    sub(root, "link", rel="self", type="application/atom+xml", href=absolute("transparency.feed"))
    sub(root, "link", rel="alternate", type="text/html", href=base_url() + "/")
    author = sub(root, "author")
    sub(author, "name", _("公益创投与政府购买服务平台"))
    sub(root, "rights", _("知识共享署名 4.0 (CC BY 4.0)"))
    for e in entries:
        item = sub(root, "entry")
        sub(item, "id", e.id)
        sub(item, "title", e.title)
        sub(item, "published", rfc3339_utc(e.published))
        sub(item, "updated", rfc3339_utc(e.updated))
        sub(item, "link", rel="alternate", type="text/html", href=e.link)
        sub(item, "category", term=e.category)
        sub(item, "summary", e.summary)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

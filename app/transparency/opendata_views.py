"""Open data pages (public): the overview, the award list as CSV and as a 360Giving JSON
package (both streamed, see app.transparency.opendata), and the Atom feed."""
from __future__ import annotations

from flask import Response, render_template

from app.core.db import utcnow
from app.transparency import bp
from app.transparency import opendata as service


@bp.route("/open-data/")
def open_data():
    return render_template("transparency/opendata/index.html", summary=service.summary(),
                           header=service.csv_header(), license_url=service.LICENSE_URL,
                           prefix=service.prefix(), batch=service.BATCH, feed_size=service.FEED_SIZE)


def _download(head: str, body, mimetype: str, filename: str) -> Response:
    response = Response(service.streamed(head, body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/open-data/awards.csv")
def awards_csv():
    return _download(service.csv_head(service.csv_header()), service.csv_body(), "text/csv; charset=utf-8", "gongyi-awards.csv")


@bp.route("/open-data/360giving.json")
def awards_360giving():
    link = service.links()
    return _download(service.package_head(utcnow(), link), service.package_body(link),
                     "application/json; charset=utf-8", "gongyi-360giving.json")


@bp.route("/feed.atom")
def feed():
    body = service.atom_feed(service.feed_entries(), utcnow())
    response = Response(body, content_type="application/atom+xml; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response

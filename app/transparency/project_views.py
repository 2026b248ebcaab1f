"""Public project pages (/projects/…) and fund-use disclosure (/disclosure/…). Everything
here is public and read-only (see app.transparency.projects and .disclosure)."""
from __future__ import annotations

import io

from flask import abort, current_app, render_template, request, send_file
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from app.awards.forms import _int_choice
from app.core.db import page_arg
from app.core.forms import BaseForm, clean_search
from app.extensions import db
from app.money.models import FundSourceKind
from app.orgs.forms import plain_options
from app.transparency import bp
from app.transparency import disclosure as disclosure_service
from app.transparency import projects as service


class ProjectFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("项目或组织名称"), validators=[Optional(), Length(max=100)])
    call = SelectField(_l("征集"), validate_choice=False)
    kind = SelectField(_l("资金来源类型"), validate_choice=False)
    year = SelectField(_l("立项年度"), validate_choice=False)
    region = SelectField(_l("地区（县/市/区）"), validate_choice=False)

    NAMES = ("q", "call", "kind", "year", "region")

    def __init__(self, *args, choices: service.FilterChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.call.choices = plain_options(choices.calls, blank=_l("全部征集"))
        self.kind.choices = plain_options(choices.kinds, blank=_l("全部类型"))
        self.year.choices = plain_options([(y, str(y)) for y in choices.years], blank=_l("全部年度"))
        self.region.choices = plain_options(choices.regions, blank=_l("全部地区"))

    def filters(self) -> dict:
        year = _int_choice(self.year.data)
        kind = self.kind.data if isinstance(self.kind.data, str) else ""
        return {
            "q": clean_search(self.q.data) or None,
            "call_id": _int_choice(self.call.data),
            "kind": FundSourceKind(kind) if kind in {k.value for k in FundSourceKind} else None,
            "year": year if year is not None and 1900 < year < 3000 else None,
            "region_id": _int_choice(self.region.data),
        }

    def active_args(self) -> dict:
        return {n: getattr(self, n).data for n in self.NAMES if getattr(self, n).data}


@bp.route("/projects/")
def projects():
    form = ProjectFilterForm(request.args, choices=service.filter_choices())
    page = db.paginate(service.projects_query(**form.filters()), page=page_arg(request.args),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    extras = service.list_extras(a.id for a in page.items)
    return render_template("transparency/projects/index.html", form=form, page=page, extras=extras,
                           args=form.active_args())


@bp.route("/projects/<int:award_id>")
def project(award_id: int):
    project_ = service.get_project(award_id)
    if project_ is None:
        abort(404)
    return render_template("transparency/projects/detail.html", p=project_)


@bp.route("/disclosure/")
def disclosure_index():
    rows = disclosure_service.disclosure_index()
    return render_template("transparency/disclosure/index.html", years=disclosure_service.years_of(rows))


def _disclosure_or_404(fund_id: int, year: int) -> disclosure_service.Disclosure:
    fund = disclosure_service.get_fund(fund_id, year)
    if fund is None:
        abort(404)
    return disclosure_service.build(fund)


@bp.route("/disclosure/<int:fund_id>/<int:year>")
def disclosure(fund_id: int, year: int):
    d = _disclosure_or_404(fund_id, year)
    return render_template("transparency/disclosure/detail.html", d=d, svc=disclosure_service)


def _download(data: bytes, mimetype: str, name: str):
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name,
                     etag=False, conditional=False, max_age=None)


@bp.route("/disclosure/<int:fund_id>/<int:year>/disclosure.pdf")
def disclosure_pdf(fund_id: int, year: int):
    d = _disclosure_or_404(fund_id, year)
    return _download(disclosure_service.to_pdf(d), "application/pdf", disclosure_service.filename(d, "pdf"))


@bp.route("/disclosure/<int:fund_id>/<int:year>/disclosure.xlsx")
def disclosure_xlsx(fund_id: int, year: int):
    d = _disclosure_or_404(fund_id, year)
    return _download(disclosure_service.to_xlsx(d),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     disclosure_service.filename(d, "xlsx"))

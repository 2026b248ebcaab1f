"""Public statistics pages (/statistics/…): an overview and three sections — organizations per
community against the policy targets, awards by category / target / region / year, and the
money flow. Everything is public and read-only; the figures come from
app.transparency.statistics, the charts from app.transparency.charts. Filters come from the
query string and never fail: a value that is not one of the choices is dropped (the page
says so) and the unfiltered figures are shown."""
from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.awards.forms import _int_choice
from app.core.forms import BaseForm
from app.core.money import format_fen
from app.money.models import FundSourceKind
from app.orgs.forms import plain_options
from app.transparency import bp
from app.transparency import charts
from app.transparency import statistics as service


class _Filters(BaseForm):
    class Meta:
        csrf = False

    NAMES: tuple[str, ...] = ()

    def active_args(self) -> dict:
        return {n: v for n in self.NAMES if (v := self.cleaned.get(n)) is not None}

    def _pick(self, name: str, value, allowed, message: str):
        """``value`` when it is one of ``allowed``; else None, noting ``message`` when
        something was given."""
        raw = getattr(self, name).data
        if value is not None and value in allowed:
            self.cleaned[name] = value
            return value
        if raw not in (None, ""):
            self.problems.append(message)
            getattr(self, name).data = ""
        return None


class CoverageFilterForm(_Filters):
    county = SelectField(_l("县/市/区"), validate_choice=False)
    NAMES = ("county",)

    def __init__(self, *args, counties: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.county.choices = plain_options(counties, blank=_l("全部县/市/区"))
        self.cleaned, self.problems = {}, []
        self.county_id = self._pick("county", _int_choice(self.county.data), {i for i, _n in counties},
                                    _("没有这个县/市/区，已显示全部地区的数据。"))


class AwardFilterForm(_Filters):
    year = SelectField(_l("立项年度"), validate_choice=False)
    funder = SelectField(_l("资助方"), validate_choice=False)
    kind = SelectField(_l("征集类型"), validate_choice=False)
    NAMES = ("year", "funder", "kind")

    def __init__(self, *args, choices: service.AwardChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = plain_options([(y, str(y)) for y in choices.years], blank=_l("全部年度"))
        self.funder.choices = plain_options(choices.funders, blank=_l("全部资助方"))
        self.kind.choices = plain_options(choices.kinds, blank=_l("全部类型"))
        self.cleaned, self.problems = {}, []
        self.year_value = self._pick("year", _int_choice(self.year.data), set(choices.years),
                                     _("所选年度没有立项，已显示全部年度的数据。"))
        self.funder_id = self._pick("funder", _int_choice(self.funder.data), {i for i, _n in choices.funders},
                                    _("没有这个资助方的立项，已显示全部资助方的数据。"))
        kind = self.kind.data if isinstance(self.kind.data, str) else None
        self.kind_value = self._pick("kind", kind, {k for k, _n in choices.kinds},
                                     _("没有这种征集类型，已显示全部类型的数据。"))


class MoneyFilterForm(_Filters):
    year = SelectField(_l("资金年度"), validate_choice=False)
    funder = SelectField(_l("资助方"), validate_choice=False)
    NAMES = ("year", "funder")

    def __init__(self, *args, choices: service.MoneyChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = plain_options([(y, str(y)) for y in choices.years], blank=_l("全部年度"))
        self.funder.choices = plain_options(choices.funders, blank=_l("全部资助方"))
        self.cleaned, self.problems = {}, []
        self.year_value = self._pick("year", _int_choice(self.year.data), set(choices.years),
                                     _("所选年度没有资金记录，已显示全部年度的数据。"))
        self.funder_id = self._pick("funder", _int_choice(self.funder.data), {i for i, _n in choices.funders},
                                    _("没有这个资助方的资金记录，已显示全部资助方的数据。"))


def _csv(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --------------------------------------------------------------------------- charts for the pages

def coverage_chart(cov: dict) -> charts.Markup:
    by_street = cov["county"] is not None
    rows = [charts.Stack(r["name"], (r["meeting_target"], r["below_target"]),
                         _("%(n)s 个社区", n=r["communities"])) for r in cov["regions"]]
    where = cov["county"]["name"] if by_street else _("各县/市/区")
    return charts.stacked_chart(
        rows, [(_("达标社区"), charts.MEETING), (_("未达标社区"), charts.BELOW)], chart_id="chart-coverage",
        title=_("%(where)s社区社会组织达标情况", where=where),
        desc=_("每个%(unit)s一条横条：蓝色为达到目标的社区数，橙色为未达到目标的社区数（城市社区目标 %(urban)s 个，"
               "农村社区目标 %(rural)s 个）。数据见下表。", unit=_("街道/乡镇") if by_street else _("县/市/区"),
               urban=service.URBAN_TARGET, rural=service.RURAL_TARGET))


def award_chart(breakdown: dict, dimension: str) -> charts.Markup:
    rows = [charts.Bar(r["label"], r["amount_fen"], _("%(amount)s（%(n)s 项）", amount=format_fen(r["amount_fen"]),
                                                     n=r["awards"])) for r in breakdown[dimension] if r["awards"]]
    name = service.award_dimension_label(dimension)
    return charts.bar_chart(rows, chart_id=f"chart-awards-{dimension.replace('_', '-')}",
                            title=_("按%(name)s统计的资助金额", name=name),
                            desc=_("每个%(name)s一条横条，长度表示资助金额，括号内为立项数；没有立项的项只列在下表中。数据见下表。",
                                   name=name))


def flow_chart(flow: dict) -> charts.Markup:
    projects, links = charts.group_small_projects(flow, lambda n: _("其他 %(n)s 个项目", n=n))
    kinds = list(FundSourceKind)
    fund_colour = {f"fund:{f['id']}": charts.PALETTE[kinds.index(FundSourceKind(f["kind"])) % len(charts.PALETTE)]
                   for f in flow["funds"]}
    nodes = [charts.Node(f"fund:{f['id']}", f["name"], f["allocated_fen"], format_fen(f["allocated_fen"]), 0,
                         fund_colour[f"fund:{f['id']}"]) for f in flow["funds"] if f["allocated_fen"] > 0]
    nodes += [charts.Node(f"call:{c['id']}", c["title"], c["amount_fen"], format_fen(c["amount_fen"]), 1,
                          "#334155") for c in flow["calls"] if c["amount_fen"] > 0]
    nodes += [charts.Node(f"project:{p['id']}", p["title"], p["amount_fen"], format_fen(p["amount_fen"]), 2,
                          "#475569") for p in projects]
    lines = [charts.Link(k["source"], k["target"], k["amount_fen"], fund_colour.get(k["source"], "#64748b"))
             for k in links]
    return charts.flow_chart(
        nodes, lines, chart_id="chart-money-flow", title=_("资金流向：资金来源 → 征集 → 项目"),
        heads=(_("资金来源（已分配）"), _("征集"), _("项目（已承诺）")),
        desc=_("左列为资金来源，高度表示分配给各征集的金额；中列为征集；右列为立项项目，高度表示承诺给项目的金额"
               "（含已支付）。较小的项目合并为“其他”。完整数据见下表。"))


# --------------------------------------------------------------------------- pages

@bp.route("/statistics/")
def statistics():
    return render_template("transparency/stats/index.html", cov=service.organization_coverage(),
                           awards=service.award_breakdown(), money=service.money_flow(), svc=service)


@bp.route("/statistics/organizations")
def statistics_organizations():
    form = CoverageFilterForm(request.args, counties=service.counties())
    cov = service.organization_coverage(form.county_id)
    return render_template("transparency/stats/organizations.html", form=form, cov=cov,
                           chart=coverage_chart(cov) if cov["regions"] else None,
                           regions=service.coverage_regions_table(cov), below=service.coverage_below_table(cov),
                           groups=service.below_target_groups(cov), args=form.active_args(), svc=service)


@bp.route("/statistics/organizations.csv")
def statistics_organizations_csv():
    form = CoverageFilterForm(request.args, counties=service.counties())
    cov = service.organization_coverage(form.county_id)
    return _csv(service.to_csv([service.coverage_regions_table(cov)]), "gongyi-statistics-organizations.csv")


@bp.route("/statistics/organizations-below-target.csv")
def statistics_below_target_csv():
    form = CoverageFilterForm(request.args, counties=service.counties())
    cov = service.organization_coverage(form.county_id)
    return _csv(service.to_csv([service.coverage_below_table(cov)]), "gongyi-statistics-below-target.csv")


def _awards(form: AwardFilterForm) -> dict:
    return service.award_breakdown(year=form.year_value, funder_id=form.funder_id, kind=form.kind_value)


@bp.route("/statistics/awards")
def statistics_awards():
    form = AwardFilterForm(request.args, choices=service.award_choices())
    data = _awards(form)
    sections = [(d, service.award_table(data, d), award_chart(data, d) if any(r["awards"] for r in data[d]) else None)
                for d in service.AWARD_DIMENSIONS]
    return render_template("transparency/stats/awards.html", form=form, data=data, sections=sections,
                           args=form.active_args(), svc=service)


@bp.route("/statistics/awards.csv")
def statistics_awards_csv():
    form = AwardFilterForm(request.args, choices=service.award_choices())
    return _csv(service.to_csv(service.award_tables(_awards(form)), with_caption=True),
                "gongyi-statistics-awards.csv")


def _money(form: MoneyFilterForm) -> dict:
    return service.money_flow(year=form.year_value, funder_id=form.funder_id)


@bp.route("/statistics/money")
def statistics_money():
    form = MoneyFilterForm(request.args, choices=service.money_choices())
    flow = _money(form)
    return render_template("transparency/stats/money.html", form=form, flow=flow,
                           chart=flow_chart(flow) if flow["links"] else None, table=service.money_table(flow),
                           args=form.active_args(), svc=service)


@bp.route("/statistics/money.csv")
def statistics_money_csv():
    form = MoneyFilterForm(request.args, choices=service.money_choices())
    return _csv(service.to_csv([service.money_table(_money(form))]), "gongyi-statistics-money.csv")

"""The completion certificate (结项证书) as a PDF: issued once the final report is accepted.

It states the award number, project, organization, term, amount, the rating, each
outcome indicator's target against its actual value, the execution rate of the budget,
and the funder with its seal space and the date of acceptance.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.core import pdf
from app.reports import services
from app.reports.models import Report


def _chinese_date(value) -> str:
    if isinstance(value, datetime):
        text = pdf.local_time(value, "%Y年%m月%d日")
    else:
        text = value.strftime("%Y年%m月%d日")
    return text.replace("年0", "年").replace("月0", "月")


def _number(value) -> str:
    """A Decimal without trailing zeros: 120.00 → "120", 85.50 → "85.5"."""
    if value is None:
        return "—"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def certificate_filename(report: Report) -> str:
    return f"{_('结项证书')}-{report.award.number}.pdf"


def certificate_number(report: Report) -> str:
    """证书编号: JX + the award number's digits (GY2026-0007-001 → JX2026-0007-001)."""
    number = report.award.number
    return "JX" + number[2:] if number.startswith("GY") else f"JX-{number}"


def render_certificate(report: Report, *, now: datetime | None = None) -> bytes:
    award = report.award
    application = award.application
    funder = award.call.funder
    v = services.view(report)
    starts, ends = services.term(award)
    story = [
        pdf.para(_("项目结项证书"), "title"),
        pdf.para(_("证书编号：%(number)s", number=certificate_number(report)), "subtitle"),
        pdf.spacer(6),
        pdf.para(_("兹证明%(organization)s承担的项目“%(project)s”已按资助协议完成实施，结项报告经审核通过，"
                   "准予结项。", organization=award.organization.name, project=application.title), "body"),
        pdf.spacer(2),
        pdf.key_value_table([
            (_("立项编号"), award.number),
            (_("项目名称"), application.title),
            (_("承担单位"), award.organization.name),
            (_("所属征集"), award.call.title),
            (_("项目周期"), _("%(start)s 至 %(end)s", start=_chinese_date(starts), end=_chinese_date(ends))),
            (_("资助金额"), pdf.money(award.amount_fen)),
            (_("结项评定等级"), report.rating.label if report.rating else "—"),
            (_("预算执行率"), _("%(rate)s（实际支出 %(spent)s / 预算 %(planned)s）", rate=_pct(v.rate),
                                spent=pdf.money(v.spent_fen), planned=pdf.money(v.planned_fen))),
            (_("受益人数"), _("%(n)s 人", n=f"{v.beneficiaries_total:,}")),
        ]),
        *pdf.heading(_("成效指标完成情况")),
    ]
    rows = [[_("指标"), _("单位"), _("目标值"), _("实际完成"), _("完成率")]]
    for row in v.indicators:
        rows.append([row.indicator.name, row.indicator.unit, _number(row.indicator.target),
                     _number(row.actual), _pct(row.achieved)])
    if len(rows) == 1:
        rows.append([_("（申报书未设置成效指标）"), "", "", "", ""])
    story.append(pdf.table(rows, [0.40, 0.12, 0.16, 0.16, 0.16],
                           align=["LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT"]))
    story += pdf.heading(_("预算执行情况"))
    rows = [[_("科目"), _("支出内容"), _("预算"), _("实际支出"), _("执行率")]]
    for row in v.expenses:
        rows.append([row.line.head, row.line.item, pdf.money(row.planned_fen), pdf.money(row.spent_fen),
                     _pct(row.rate)])
    rows.append([_("合计"), "", pdf.money(v.planned_fen), pdf.money(v.spent_fen), _pct(v.rate)])
    story.append(pdf.table(rows, [0.18, 0.34, 0.17, 0.17, 0.14], total_row=True,
                           align=["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"]))
    if report.review_comment:
        story += pdf.heading(_("验收意见"))
        story += pdf.paragraphs(report.review_comment, "body_plain")
    right = pdf.styles()["cell_value"]
    story += [
        pdf.spacer(14),
        pdf.para(funder.name, right.clone("cert_funder", alignment=2, fontSize=11, leading=18)),
        pdf.para(_("（盖章）"), right.clone("cert_seal", alignment=2, fontSize=11, leading=18, textColor=pdf.MUTED)),
        pdf.para(_chinese_date(report.reviewed_at or now), right.clone("cert_date", alignment=2, fontSize=11,
                                                                       leading=18)),
    ]
    return pdf.build(story, _("结项证书 %(number)s", number=award.number), subject=application.title, now=now)

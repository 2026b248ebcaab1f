"""The application as a PDF for its reviewer (评审用申报书).

Built from ``blind.reviewer_view`` and ``blind.reviewer_attachments`` — the same data the
review page shows — so a blind call's PDF carries no trace of the organization: not in
the text, the attachment list, the header, nor the PDF metadata (title, subject; the
author is the platform).
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from app.core import pdf
from app.core.pdf import para, paragraphs, table
from app.reviews.blind import reviewer_attachments, reviewer_view


def _number(value: Any) -> str:
    from app.applications.pdf import _number as plain

    return plain(value)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


def document_title(view: dict) -> str:
    """The PDF's title (metadata and header): the code only when blind."""
    if view["blind"]:
        return _("评审用申报书 %(code)s", code=view["code"])
    return _("评审用申报书 %(code)s %(title)s", code=view["code"], title=view["title"])


def render_reviewer_pdf(application: Any, blind: bool, *, reviewer_name: str | None = None) -> bytes:
    view = reviewer_view(application, blind)
    files = reviewer_attachments(application, blind)
    story: list = []

    story.append(para(_("评审用申报书"), "title"))
    story.append(para(view["title"] or _("（未命名项目）"), "subtitle"))
    story.append(Spacer(1, 4 * mm))
    pairs: list[tuple[str, Any]] = [
        (_("项目编号"), view["code"]),
        (_("项目名称"), view["title"] or "—"),
        (_("申报征集"), view["call"]["title"]),
    ]
    if not blind:
        pairs += [(_("申报组织"), view["organization"] or "—"), (_("项目负责人"), view["leader_name"] or "—")]
    pairs += [
        (_("申请资助金额"), pdf.money(view["requested_fen"])),
        (_("评审方式"), _("匿名评审：申报组织的名称、成员和联系方式已隐去") if blind else _("实名评审")),
    ]
    if reviewer_name:
        pairs.append((_("评审专家"), reviewer_name))
    story.append(pdf.key_value_table(pairs))
    story.append(Spacer(1, 3 * mm))
    story.append(para(_("本文件仅供评审专家评审使用，请勿外传。"), "muted"))

    story += pdf.heading(_("一、项目概述"))
    story += paragraphs(view["summary"])
    story += pdf.heading(_("二、需求分析"))
    story += paragraphs(view["need"])
    story += pdf.heading(_("三、项目设计"))
    story.append(para(_("项目目标"), "subheading"))
    story += paragraphs(view["objectives"])
    story.append(para(_("主要内容与活动"), "subheading"))
    story += paragraphs(view["activities"])
    story.append(para(_("可持续性"), "subheading"))
    story += paragraphs(view["sustainability"])

    story += pdf.heading(_("四、服务对象与受益人"))
    if view["starts_on"] and view["ends_on"]:
        period = _("%(start)s 至 %(end)s", start=view["starts_on"].isoformat(), end=view["ends_on"].isoformat())
    else:
        period = "—"
    story.append(pdf.key_value_table([
        (_("服务对象"), "、".join(view["target_groups"]) or _("（未填写）")),
        (_("计划受益人数"), _("%(n)s 人", n=f"{view['planned_beneficiaries']:,}")),
        (_("受益人说明"), view["beneficiary_description"] or _("（未填写）")),
        (_("服务社区"), "、".join(view["communities"]) or _("（未填写）")),
        (_("项目周期"), period),
    ]))

    story += pdf.heading(_("五、预算"))
    lines = view["budget_lines"]
    if lines:
        data: list[list[Any]] = [[_("科目"), _("支出内容"), _("数量"), _("单价"), _("金额")]]
        for b in lines:
            item = b["item"] + (f"（{b['note']}）" if b["note"] else "")
            data.append([b["head"], item, f"{b['quantity']:,} {b['unit']}".strip(),
                         pdf.money(b["unit_price_fen"]), pdf.money(b["amount_fen"])])
        data.append([_("预算合计"), "", "", "", pdf.money(view["budget_total_fen"])])
        last = len(data) - 1
        story.append(table(data, [0.16, 0.38, 0.14, 0.15, 0.17], align=["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"],
                           total_row=True, style=[("SPAN", (0, last), (3, last))]))
    else:
        story.append(para(_("（未填写预算明细）"), "muted"))
    story.append(Spacer(1, 2 * mm))
    funding = [(_("申请资助金额"), pdf.money(view["requested_fen"])),
               (_("配套资金"), pdf.money(view["matching_fen"]) +
                (f" · {view['matching_source']}" if view["matching_source"] else "")),
               (_("其中管理费用"), pdf.money(view["management_fen"]))]
    story.append(pdf.key_value_table(funding))

    story += pdf.heading(_("六、成效指标"))
    if view["indicators"]:
        story.append(table([[_("指标"), _("目标值"), _("测量方式")]] +
                           [[i["name"], f"{_number(i['target'])} {i['unit']}".strip(), i["measurement"] or "—"]
                            for i in view["indicators"]],
                           [0.34, 0.2, 0.46], align=["LEFT", "RIGHT", "LEFT"]))
    else:
        story.append(para(_("（未填写）"), "muted"))

    story += pdf.heading(_("七、实施进度"))
    if view["milestones"]:
        story.append(table([[_("完成日期"), _("阶段任务"), _("成果 / 交付物")]] +
                           [[m["due_on"].isoformat() if m["due_on"] else "—", m["title"], m["deliverable"] or "—"]
                            for m in view["milestones"]],
                           [0.18, 0.36, 0.46], align=["CENTER", "LEFT", "LEFT"]))
    else:
        story.append(para(_("（未填写）"), "muted"))

    story += pdf.heading(_("八、项目团队"))
    if view["team"]:
        if blind:
            header = [_("序号"), _("项目职务"), _("资质与经验"), _("持证社工")]
            rows = [[str(n), t["role"], t["qualification"] or "—", _("是") if t["is_social_worker"] else _("否")]
                    for n, t in enumerate(view["team"], 1)]
            widths = [0.08, 0.22, 0.56, 0.14]
            align = ["CENTER", "LEFT", "LEFT", "CENTER"]
        else:
            header = [_("姓名"), _("项目职务"), _("资质与经验"), _("持证社工")]
            rows = [[t["name"], t["role"], t["qualification"] or "—", _("是") if t["is_social_worker"] else _("否")]
                    for t in view["team"]]
            widths = [0.14, 0.2, 0.52, 0.14]
            align = ["LEFT", "LEFT", "LEFT", "CENTER"]
        story.append(table([header] + rows, widths, align=align))
        if blind:
            story.append(Spacer(1, 1.5 * mm))
            story.append(para(_("匿名评审：团队成员只显示项目职务和资质。"), "muted"))
    else:
        story.append(para(_("（未填写）"), "muted"))

    story += pdf.heading(_("九、附件"))
    if files:
        story.append(table([[_("序号"), _("材料类别"), _("文件名"), _("大小")]] +
                           [[str(f.number), f.kind, f.name, _size(f.size_bytes)] for f in files],
                           [0.08, 0.27, 0.5, 0.15], align=["CENTER", "LEFT", "LEFT", "RIGHT"]))
    else:
        story.append(para(_("（没有可供评审查看的附件）"), "muted"))
    if blind:
        story.append(Spacer(1, 1.5 * mm))
        story.append(para(_("匿名评审：只列出项目主管确认不含组织信息的附件，文件名已统一编号。"), "muted"))

    title = document_title(view)
    return pdf.build(story, title, subject=view["call"]["title"], header_title=title)

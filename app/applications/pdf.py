"""The submitted application as a PDF (项目申报书).

Prints a version's **snapshot** (what was submitted), never the live proposal. A few facts
the snapshot may not carry (funder, legal status, credit code, the call's management cap,
budget heads) are read from the snapshot when present and otherwise from the call and
organization, which the applicant cannot change after submission.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from reportlab.platypus import KeepTogether, PageBreak, Spacer
from reportlab.lib.units import mm

from app.applications.models import Application, ApplicationVersion
from app.core import pdf
from app.core.pdf import markup, para, paragraphs, table
from app.orgs.models import LegalStatus, ServiceTarget

MANAGEMENT_HEAD = "管理费用"

_CN_NUMBERS = "一二三四五六七八九十"


def _section_number(n: int) -> str:
    if n <= 10:
        return _CN_NUMBERS[n - 1]
    if n < 20:
        return "十" + _CN_NUMBERS[n - 11]
    return str(n)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _date_text(value: Any) -> str:
    d = _date(value)
    return d.isoformat() if d else (str(value) if value else "—")


def _label(enum_cls, value: Any) -> str:
    member = enum_cls.coerce(value) if isinstance(value, str) else value
    if member is None:
        return str(value or "")
    return member.label


def _number(value: Any) -> str:
    """Indicator targets: "5000.00" → "5,000", "12.50" → "12.5"."""
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value or "")
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d:,.2f}".rstrip("0").rstrip(".")


def _percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "—"
    return f"{Decimal(part * 100) / Decimal(whole):.2f}%"


def _size(n: Any) -> str:
    n = _int(n)
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


class _Sections:
    """Numbers section headings 一、二、… in order."""

    def __init__(self, story: list):
        self.story = story
        self.n = 0

    def add(self, title: str) -> None:
        self.n += 1
        self.story.extend(pdf.heading(f"{_section_number(self.n)}、{title}"))


def _budget(story: list, snap: dict, heads_order: list[str], cap_pct: int | None) -> None:
    lines = [line for line in snap.get("budget_lines") or [] if isinstance(line, dict)]
    if not lines:
        story.append(para(_("（未填写预算明细）"), "muted"))
        return
    groups: OrderedDict[str, list[dict]] = OrderedDict()
    for head in heads_order:
        groups[head] = []
    for line in lines:
        groups.setdefault(str(line.get("head") or _("未分类")), []).append(line)

    data: list[list[Any]] = [[_("科目"), _("支出内容"), _("单位"), _("数量"), _("单价"), _("金额")]]
    subtotal_rows: list[int] = []
    spans: list[tuple] = []
    total = 0
    for head, items in groups.items():
        if not items:
            continue
        head_total = 0
        for line in items:
            quantity = _int(line.get("quantity"))
            price = _int(line.get("unit_price_fen"))
            amount = _int(line.get("amount_fen"), quantity * price)
            head_total += amount
            item = markup(line.get("item") or "")
            note = str(line.get("note") or "").strip()
            if note:
                note_text = markup(_("备注：") + note)
                item += f'<br/><font size="8" color="#5F6B7A">{note_text}</font>'
            data.append([head, para(item, "cell", raw=True), line.get("unit") or "", f"{quantity:,}",
                         pdf.money(price), pdf.money(amount)])
        total += head_total
        data.append([_("小计（%(head)s）", head=head), "", "", "", "", pdf.money(head_total)])
        row = len(data) - 1
        subtotal_rows.append(row)
        spans.append(("SPAN", (0, row), (4, row)))
    data.append([_("预算合计"), "", "", "", "", pdf.money(total)])
    spans.append(("SPAN", (0, len(data) - 1), (4, len(data) - 1)))
    story.append(table(data, [0.15, 0.31, 0.09, 0.1, 0.16, 0.19],
                       align=["LEFT", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT"],
                       total_row=True, subtotal_rows=subtotal_rows, style=spans))
    story.append(Spacer(1, 3 * mm))

    requested = _int(snap.get("requested_fen"))
    matching = _int(snap.get("matching_fen"))
    mgmt = sum(_int(line.get("amount_fen"), _int(line.get("quantity")) * _int(line.get("unit_price_fen")))
               for line in lines if line.get("head") == MANAGEMENT_HEAD)
    share = _percent(mgmt, total)
    cap_text = _("征集上限 %(cap)s%%", cap=cap_pct) if cap_pct is not None else _("征集未设上限")
    over_cap = cap_pct is not None and total > 0 and mgmt * 100 > cap_pct * total
    summary = [
        [_("项目"), _("金额"), _("说明")],
        [_("申请资助金额"), pdf.money(requested), ""],
        [_("配套资金"), pdf.money(matching), snap.get("matching_source") or ""],
        [_("预算合计"), pdf.money(total),
         _("与申请资助金额 + 配套资金一致") if total == requested + matching
         else _("与申请资助金额 + 配套资金（%(sum)s）不一致", sum=pdf.money(requested + matching))],
        [_("管理费用"), pdf.money(mgmt),
         _("占预算合计 %(share)s（%(cap)s）", share=share, cap=cap_text) + (_("，超出上限") if over_cap else "")],
    ]
    story.append(table(summary, [0.22, 0.2, 0.58], align=["LEFT", "RIGHT", "LEFT"]))


def _cover(story: list, application: Application, version: ApplicationVersion, snap: dict) -> None:
    call = snap.get("call") if isinstance(snap.get("call"), dict) else {}
    org = snap.get("organization") if isinstance(snap.get("organization"), dict) else {}
    live_call, live_org = application.call, application.organization
    funder = call.get("funder")
    if isinstance(funder, dict):
        funder = funder.get("name")
    funder = funder or (live_call.funder.name if live_call is not None and live_call.funder else "")
    kind = call.get("kind") or (live_call.kind if live_call is not None else None)
    legal_status = org.get("legal_status") or (live_org.legal_status if live_org is not None else None)
    credit_code = org.get("credit_code") if "credit_code" in org else (
        live_org.credit_code if live_org is not None else None)

    story.append(Spacer(1, 22 * mm))
    story.append(para(_("项目申报书"), "title"))
    story.append(Spacer(1, 4 * mm))
    story.append(para(snap.get("title") or _("（未命名项目）"), "subtitle"))
    story.append(Spacer(1, 12 * mm))
    call_title = call.get("title") or (live_call.title if live_call is not None else "")
    if kind:
        from app.calls.models import CallKind

        call_title = f"{call_title}（{_label(CallKind, kind)}）"
    pairs: list[tuple[str, Any]] = [
        (_("项目名称"), snap.get("title") or ""),
        (_("申报征集"), call_title),
        (_("资助方"), funder or "—"),
        (_("申报单位"), org.get("name") or (live_org.name if live_org is not None else "")),
        (_("法律身份"), _label(LegalStatus, legal_status) if legal_status else "—"),
    ]
    if credit_code:
        pairs.append((_("统一社会信用代码"), credit_code))
    pairs += [
        (_("项目负责人"), snap.get("leader_name") or "—"),
        (_("联系电话"), snap.get("leader_phone") or "—"),
        (_("申请资助金额"), pdf.money(_int(snap.get("requested_fen")))),
        (_("申报书版本"), _("第 %(n)d 版", n=version.number)),
        (_("提交时间"), _("%(time)s（北京时间）", time=pdf.local_time(version.submitted_at))),
    ]
    story.append(pdf.key_value_table(pairs))
    story.append(Spacer(1, 8 * mm))
    latest = application.current_version or version.number
    note = _("本申报书依据第 %(n)d 版提交时的内容生成。", n=version.number)
    if latest > version.number:
        note += _("该申报已有更新的第 %(latest)d 版。", latest=latest)
    story.append(para(note, "muted"))
    story.append(PageBreak())


def _signatures() -> KeepTogether:
    blank = "_" * 18
    rows = [
        [para(_("申报单位（盖章）："), "body_plain"), para(blank, "body_plain")],
        [para(_("负责人签字："), "body_plain"), para(blank, "body_plain")],
        [para(_("日期："), "body_plain"), para(_("______年____月____日"), "body_plain")],
    ]
    return KeepTogether([Spacer(1, 8 * mm),
                         table(rows, [0.3, 0.5], header=False, grid=False,
                               style=[("TOPPADDING", (0, 0), (-1, -1), 10)])])


def render_application_pdf(application: Application, version: ApplicationVersion) -> bytes:
    """The 申报书 of `version` (a submitted snapshot of `application`) as PDF bytes."""
    snap: dict = version.snapshot if isinstance(version.snapshot, dict) else {}
    call = snap.get("call") if isinstance(snap.get("call"), dict) else {}
    live_call = application.call
    heads_order = list(call.get("budget_heads") or (live_call.budget_heads if live_call is not None else []) or [])
    cap = call.get("management_cap_pct")
    if cap is None and live_call is not None:
        cap = live_call.management_cap_pct

    story: list = []
    _cover(story, application, version, snap)
    sec = _Sections(story)

    sec.add(_("项目概述"))
    story += paragraphs(snap.get("summary"))
    sec.add(_("需求分析"))
    story += paragraphs(snap.get("need"))
    sec.add(_("项目目标"))
    story += paragraphs(snap.get("objectives"))
    sec.add(_("内容与活动"))
    story += paragraphs(snap.get("activities"))
    if "sustainability" in snap:
        sec.add(_("可持续性"))
        story += paragraphs(snap.get("sustainability"))

    sec.add(_("服务对象与受益人"))
    groups = [_label(ServiceTarget, v) for v in snap.get("target_groups") or []]
    story.append(pdf.key_value_table([
        (_("服务对象"), "、".join(groups) if groups else _("（未填写）")),
        (_("计划受益人数"), _("%(n)s 人", n=f"{_int(snap.get('planned_beneficiaries')):,}")),
        (_("受益人说明"), snap.get("beneficiary_description") or _("（未填写）")),
    ]))

    sec.add(_("服务社区"))
    communities = [c for c in snap.get("communities") or [] if isinstance(c, dict)]
    if communities:
        story.append(table([[_("序号"), _("社区（村）"), _("区划代码")]] +
                           [[str(i), c.get("name") or "", c.get("code") or ""]
                            for i, c in enumerate(communities, 1)],
                           [0.1, 0.6, 0.3], align=["CENTER", "LEFT", "LEFT"]))
    else:
        story.append(para(_("（未填写）"), "muted"))

    sec.add(_("项目周期"))
    starts, ends = _date(snap.get("starts_on")), _date(snap.get("ends_on"))
    if starts and ends:
        period = _("%(start)s 至 %(end)s，共 %(days)d 天", start=starts.isoformat(), end=ends.isoformat(),
                   days=(ends - starts).days + 1)
    else:
        period = _("%(start)s 至 %(end)s", start=_date_text(snap.get("starts_on")),
                   end=_date_text(snap.get("ends_on")))
    story.append(para(period, "body_plain"))

    sec.add(_("预算明细"))
    _budget(story, snap, heads_order, cap)

    sec.add(_("成效指标"))
    indicators = [i for i in snap.get("indicators") or [] if isinstance(i, dict)]
    if indicators:
        story.append(table([[_("序号"), _("指标名称"), _("单位"), _("目标值"), _("测量方式")]] +
                           [[str(n), i.get("name") or "", i.get("unit") or "", _number(i.get("target")),
                             i.get("measurement") or ""] for n, i in enumerate(indicators, 1)],
                           [0.08, 0.3, 0.1, 0.14, 0.38], align=["CENTER", "LEFT", "CENTER", "RIGHT", "LEFT"]))
    else:
        story.append(para(_("（未填写）"), "muted"))

    sec.add(_("实施进度"))
    milestones = [m for m in snap.get("milestones") or [] if isinstance(m, dict)]
    if milestones:
        story.append(table([[_("序号"), _("完成时间"), _("阶段任务"), _("成果 / 交付物")]] +
                           [[str(n), _date_text(m.get("due_on")), m.get("title") or "", m.get("deliverable") or ""]
                            for n, m in enumerate(milestones, 1)],
                           [0.08, 0.16, 0.34, 0.42], align=["CENTER", "CENTER", "LEFT", "LEFT"]))
    else:
        story.append(para(_("（未填写）"), "muted"))

    sec.add(_("项目团队"))
    team = [t for t in snap.get("team") or [] if isinstance(t, dict)]
    if team:
        story.append(table([[_("序号"), _("姓名"), _("项目职务"), _("资质与经验"), _("持证社工")]] +
                           [[str(n), t.get("name") or "", t.get("role") or "", t.get("qualification") or "",
                             _("是") if t.get("is_social_worker") else _("否")]
                            for n, t in enumerate(team, 1)],
                           [0.08, 0.14, 0.18, 0.48, 0.12], align=["CENTER", "LEFT", "LEFT", "LEFT", "CENTER"]))
    else:
        story.append(para(_("（未填写）"), "muted"))

    sec.add(_("配套资金"))
    matching = _int(snap.get("matching_fen"))
    if matching:
        story.append(pdf.key_value_table([
            (_("配套资金金额"), pdf.money(matching)),
            (_("资金来源"), snap.get("matching_source") or _("（未填写）")),
        ]))
    else:
        story.append(para(_("本项目无配套资金。"), "body_plain"))

    sec.add(_("附件清单"))
    attachments = [f for f in snap.get("attachments") or [] if isinstance(f, dict)]
    if attachments:
        story.append(table([[_("序号"), _("材料类别"), _("文件名"), _("大小"), _("SHA-256（前 12 位）")]] +
                           [[str(n), f.get("kind") or "", f.get("name") or "", _size(f.get("size_bytes")),
                             str(f.get("sha256") or "")[:12]] for n, f in enumerate(attachments, 1)],
                           [0.08, 0.22, 0.38, 0.11, 0.21], align=["CENTER", "LEFT", "LEFT", "RIGHT", "LEFT"]))
    else:
        story.append(para(_("（无附件）"), "muted"))

    sec.add(_("承诺"))
    declarations = snap.get("declarations") if isinstance(snap.get("declarations"), dict) else {}
    story.append(table([[_("承诺事项"), _("是否承诺")]] + [
        [_("项目资金不用于购置固定资产"), _("是") if declarations.get("no_fixed_assets") else _("否")],
        [_("项目资金不用于向服务对象发放现金或礼品"), _("是") if declarations.get("no_cash_gifts") else _("否")],
        [_("本申报书所填内容真实、准确，如有不实愿承担相应责任"),
         _("是") if declarations.get("truthful") else _("否")],
    ], [0.8, 0.2], align=["LEFT", "CENTER"]))
    story.append(_signatures())

    title = snap.get("title") or _("（未命名项目）")
    return pdf.build(
        story,
        _("项目申报书 - %(title)s - 第 %(n)d 版", title=title, n=version.number),
        subject=call.get("title") or (live_call.title if live_call is not None else ""),
        header_title=_("项目申报书 · 第 %(n)d 版 · %(title)s", n=version.number, title=title),
    )

"""The agreement as a PDF: 资助协议 (venture calls) or 政府购买服务合同 (purchase calls).

Rendered from the data on every download (app.core.pdf): both parties, the project, the
amount in figures and Chinese capitals, the fund sources, the installment schedule, the
reporting duties with due dates, the rules on the use of funds, the breach clause and the
signature blocks of both parties with space for their seals.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from app.awards.pdf import amount_in_words
from app.core import pdf
from app.money import agreements as service
from app.money import installments as inst
from app.money.models import Agreement, AgreementStatus


def _d(value: date | None) -> str:
    if value is None:
        return "—"
    return f"{value.year}年{value.month}月{value.day}日"


def _dt(value: datetime | None) -> str:
    return pdf.local_time(value, "%Y年%m月%d日").replace("年0", "年").replace("月0", "月")


def agreement_filename(agreement: Agreement) -> str:
    return f"{service.document_title(agreement.award.call)}-{agreement.number}.pdf"


class SealPlace(Flowable):
    """A dashed circle marking where the seal (公章) goes."""

    def __init__(self, label: str, diameter: float = 30 * mm):
        super().__init__()
        self.label = label
        self.diameter = diameter
        self.width = self.height = diameter

    def wrap(self, avail_width, avail_height):
        return self.diameter, self.diameter

    def draw(self):
        canv = self.canv
        r = self.diameter / 2
        canv.saveState()
        canv.setStrokeColor(pdf.RULE)
        canv.setDash(3, 2)
        canv.setLineWidth(0.8)
        canv.circle(r, r, r - 1)
        canv.restoreState()
        pdf.draw_text(canv, r, r - 3, self.label, 8.5, align="center")


def _clause(number: int, title: str) -> list[Flowable]:
    # Chinese counts articles in Chinese numerals (第一条), other languages in figures (Article 1).
    chinese = str(get_locale() or "zh_CN").startswith("zh")
    numeral = "一二三四五六七八九十"[number - 1] if chinese else str(number)
    return pdf.heading(_("第%(n)s条　%(title)s", n=numeral, title=title),
                       "subheading", min_space_mm=25)


def _items(texts: list[str]) -> list[Flowable]:
    return [pdf.para(f"{i}. {text}", "body_plain") for i, text in enumerate(texts, 1)]


def render_agreement(agreement: Agreement, *, now: datetime | None = None) -> bytes:
    award = agreement.award
    call = award.call
    application = award.application
    organization = award.organization
    funder = call.funder
    purchase = service.is_purchase(call)
    title = service.document_title(call)
    party_a = _("甲方（购买方）") if purchase else _("甲方（资助方）")
    party_b = _("乙方（承接方）") if purchase else _("乙方（受资助方）")
    schedule = inst.installments_of(award)
    fundings = service.fundings(award)
    progress_due, final_due = service.reporting_dates(agreement.starts_on, agreement.ends_on)
    communities = "、".join(c.name for c in application.communities) or "—"

    story: list[Flowable] = [
        pdf.para(title, "title"),
        pdf.para(_("编号：%(number)s", number=agreement.number), "subtitle"),
        pdf.spacer(4),
        pdf.key_value_table([
            (party_a, funder.name),
            (_("地址"), funder.address or "—"),
            (_("联系电话"), funder.contact_phone or "—"),
        ]),
        pdf.spacer(3),
        pdf.key_value_table([
            (party_b, organization.name),
            (_("统一社会信用代码"), organization.credit_code or "—"),
            (_("法定代表人"), organization.legal_representative or "—"),
            (_("地址"), organization.address or "—"),
            (_("联系人及电话"), " ".join(x for x in (organization.contact_name, organization.contact_phone) if x) or "—"),
        ]),
        pdf.spacer(4),
    ]
    if purchase:
        story.append(pdf.para(_(
            "根据政府购买服务的有关规定，经公开征集、专家评审和社会公示，甲方确定向乙方购买“%(project)s”服务"
            "（征集项目：%(call)s，立项编号：%(award)s）。为明确双方权利义务，经协商一致，订立本合同。",
            project=application.title, call=call.title, award=award.number)))
    else:
        story.append(pdf.para(_(
            "经公开征集、专家评审和社会公示，甲方决定资助乙方实施“%(project)s”项目（征集项目：%(call)s，"
            "立项编号：%(award)s）。为规范项目实施和资金使用，经双方协商一致，订立本协议。",
            project=application.title, call=call.title, award=award.number)))

    # 1. the project
    story += _clause(1, _("服务内容与期限") if purchase else _("项目内容与期限"))
    rows = [
        (_("项目名称"), application.title),
        (_("项目概要"), application.summary or "—"),
        (_("服务社区"), communities),
        (_("计划受益人数"), _("%(n)s 人", n=application.planned_beneficiaries) if application.planned_beneficiaries else "—"),
        (_("合同期限") if purchase else _("项目期限"),
         _("%(start)s 至 %(end)s", start=_d(agreement.starts_on), end=_d(agreement.ends_on))),
    ]
    if purchase and call.service_item:
        rows.insert(1, (_("购买服务事项"), call.service_item))
    story += [pdf.key_value_table(rows), pdf.spacer(3)]
    story.append(pdf.para(_("乙方按甲方审核通过的项目申报书（实施方案、预算和绩效目标）组织实施，申报书为本%(doc)s的组成部分。",
                            doc=_("合同") if purchase else _("协议")), "body_plain"))
    if purchase:
        story.append(pdf.para(_("政府购买服务合同履行期限不超过一年。"), "muted"))

    # 2. amount and fund sources
    story += _clause(2, _("合同金额与资金来源") if purchase else _("资助金额与资金来源"))
    story.append(pdf.key_value_table([
        (_("金额（小写）"), pdf.money(award.amount_fen)),
        (_("金额（大写）"), amount_in_words(award.amount_fen)),
    ]))
    story.append(pdf.spacer(2))
    if fundings:
        data = [[_("资金来源"), _("类别"), _("年度"), _("金额")]]
        data += [[f.fund_source.name, f.fund_source.kind.label, str(f.fund_source.fiscal_year), pdf.money(f.amount_fen)]
                 for f in fundings]
        data.append([_("合计"), "", "", pdf.money(sum(f.amount_fen for f in fundings))])
        story += [KeepTogether(pdf.table(data, [0.46, 0.2, 0.1, 0.24], align=["LEFT", "LEFT", "CENTER", "RIGHT"],
                                         total_row=True)), pdf.spacer(2)]
    else:
        story.append(pdf.para(_("资金来源：由%(funder)s统筹安排的资金。", funder=funder.name), "body_plain"))

    # 3. installments
    story += _clause(3, _("按绩效分期支付") if purchase else _("分期拨付"))
    if schedule:
        data = [[_("期次"), _("比例"), _("金额"), _("拨付条件")]]
        data += [[_("第 %(n)s 期", n=i.position), f"{i.percent}%", pdf.money(i.amount_fen), inst.condition_text(i)]
                 for i in schedule]
        data.append([_("合计"), f"{sum(i.percent for i in schedule)}%", pdf.money(sum(i.amount_fen for i in schedule)), ""])
        story += [KeepTogether(pdf.table(data, [0.16, 0.12, 0.24, 0.48], align=["CENTER", "CENTER", "RIGHT", "LEFT"],
                                         total_row=True)), pdf.spacer(2)]
    else:
        story.append(pdf.para(_("拨付计划尚未生成。"), "warn"))
    story.append(pdf.para(_(
        "拨付条件达到后，由甲方项目主管提出拨付申请，经甲方财务人员审核后转入乙方银行账户。"
        "中期评估不合格的，甲方暂停拨付剩余款项。每期金额按比例计算至分，尾差计入最后一期。"), "body_plain"))

    # 4. reporting duties
    story += _clause(4, _("报告义务"))
    story += _items([
        _("中期报告：乙方应于 %(date)s 前通过平台提交中期报告，报告项目进展、绩效指标完成情况、受益人情况和资金使用情况。",
          date=_d(progress_due)),
        _("结项报告：乙方应于项目结束后 %(days)s 日内、即 %(date)s 前通过平台提交结项报告，并配合甲方组织的结项评估。",
          days=service.FINAL_REPORT_DAYS, date=_d(final_due)),
        _("项目实施中如需调整内容、预算或期限，乙方须事先书面报甲方同意。"),
    ])

    # 5. use of funds
    story += _clause(5, _("资金使用规定"))
    story += _items([
        _("资金专款专用，单独核算，不得挪作他用。"),
        _("不得用于购置固定资产。"),
        _("不得向服务对象发放现金、购物卡或礼品。"),
        _("管理费用不得超过%(doc)s金额的 %(cap)s%%。", doc=_("合同") if purchase else _("资助"),
          cap=call.management_cap_pct),
        _("乙方应保存完整的支出凭证，接受甲方及审计、财政部门的监督检查；项目结束后结余资金按甲方要求退回。"),
    ])

    # 6. breach
    story += _clause(6, _("违约责任"))
    story += _items([
        _("乙方未按约定实施项目、提交报告或违规使用资金的，甲方有权暂停拨付、要求限期整改，并追回已拨付的相应资金。"),
        _("乙方弄虚作假、挪用资金或严重违约的，甲方有权解除本%(doc)s、追回全部已拨付资金，且乙方三年内不得申报甲方发布的项目征集。",
          doc=_("合同") if purchase else _("协议")),
        _("甲方无正当理由未按约定拨付资金的，应承担相应责任。"),
    ])

    # 7. other terms
    story += _clause(7, _("其他"))
    story += _items([
        _("本%(doc)s自双方签字盖章、乙方上传签署件并经甲方在平台确认之日起生效。", doc=_("合同") if purchase else _("协议")),
        _("本%(doc)s一式两份，甲乙双方各执一份，具有同等法律效力。未尽事宜由双方协商解决。",
          doc=_("合同") if purchase else _("协议")),
    ])
    if agreement.status == AgreementStatus.SIGNED and agreement.signed_at:
        story.append(pdf.para(_("本%(doc)s已于 %(date)s 经甲方在平台确认生效。",
                                doc=_("合同") if purchase else _("协议"), date=_dt(agreement.signed_at)), "muted"))

    # signatures
    def block(label: str, name: str) -> list[Flowable]:
        st = pdf.styles()["cell_value"]
        return [pdf.para(_("%(party)s（盖章）", party=label), "cell_label"), pdf.para(name, st), pdf.spacer(3),
                SealPlace(_("盖章处")), pdf.spacer(3),
                pdf.para(_("法定代表人或授权代表（签字）："), st), pdf.spacer(7),
                pdf.para(_("日期：______年____月____日"), st)]

    signature = pdf.table([[block(_("甲方"), funder.name),
                            block(_("乙方"), organization.name)]],
                          [0.5, 0.5], header=False, grid=False,
                          style=[("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("TOPPADDING", (0, 0), (-1, -1), 8)])
    story += [pdf.spacer(8), KeepTogether([signature])]
    return pdf.build(story, _("%(title)s %(number)s", title=title, number=agreement.number),
                     subject=application.title, now=now)

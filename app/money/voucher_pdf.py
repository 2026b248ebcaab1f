"""The payment voucher (付款凭证) as a PDF: who paid whom, for which award and
installment, how much (figures and capitals), from which fund sources, how, and who
requested (maker) and approved (checker) it, with signature lines."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.awards.pdf import amount_in_words
from app.core import pdf
from app.money.disbursement import VoucherData, trigger_label
from app.money.models import Payment


def voucher_filename(payment: Payment) -> str:
    return f"{_('付款凭证')}-{payment.voucher_number}.pdf"


def _compact_table(pairs) -> object:
    """Label / value rows like pdf.key_value_table, tighter, so the voucher stays on one page."""
    data = [[pdf.para(label, "cell_label"), pdf.para(value, "cell_value")] for label, value in pairs]
    return pdf.table(data, [0.22, 0.78], header=False,
                     style=[("BACKGROUND", (0, 0), (0, -1), pdf.SUBTOTAL_BG),
                            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)])


def _chinese_date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _person(user, when: datetime | None) -> str:
    name = user.name if user is not None else _("（账号已删除）")
    return f"{name}　{pdf.local_time(when)}" if when else name


def render_voucher(data: VoucherData, *, now: datetime | None = None) -> bytes:
    payment, installment, award = data.payment, data.installment, data.award
    call, organization, application = award.call, award.organization, award.application
    funder = call.funder
    payee = organization.name
    if organization.credit_code:
        payee += _("（统一社会信用代码 %(code)s）", code=organization.credit_code)
    condition = _("第 %(n)s/%(total)s 期，占立项金额 %(percent)s%%，拨付条件：%(trigger)s",
                  n=installment.position, total=data.count, percent=installment.percent,
                  trigger=trigger_label(installment))
    story = [
        pdf.para(_("付款凭证"), "title"),
        pdf.para(_("凭证号：%(number)s", number=payment.voucher_number), "subtitle"),
        pdf.spacer(4),
    ]
    if payment.reversed_entry_id is not None:
        story.append(pdf.para(_("本凭证已冲正（反向分录 #%(entry)s），原因：%(reason)s。本凭证仅作历史记录，不再作为付款依据。",
                                entry=payment.reversed_entry_id, reason=payment.reversal_reason), "warn"))
        story.append(pdf.spacer(2))
    story += [
        _compact_table([
            (_("付款单位"), funder.name),
            (_("收款单位"), payee),
            (_("收款账户"), _("平台不存储收款单位的银行账户信息，以资助协议约定的账户和银行付款回单为准。")),
            (_("立项编号"), award.number),
            (_("项目名称"), application.title),
            (_("所属征集"), call.title),
            (_("资助协议"), data.agreement.number if data.agreement else "—"),
            (_("拨付期次"), condition),
            (_("金额（小写）"), pdf.money(payment.amount_fen)),
            (_("金额（大写）"), amount_in_words(payment.amount_fen)),
            (_("付款方式"), payment.method.label),
            (_("付款流水号"), payment.reference),
            (_("付款日期"), _chinese_date(payment.paid_on)),
        ]),
        *pdf.heading(_("资金来源")),
    ]
    rows = [[_("资金来源"), _("类别"), _("年度"), _("本次支付金额")]]
    rows += [[fund.name, fund.kind.label, str(fund.fiscal_year), pdf.money(amount)] for fund, amount in data.shares]
    rows.append([_("合计"), "", "", pdf.money(sum(amount for _fund, amount in data.shares))])
    story.append(pdf.table(rows, [0.44, 0.2, 0.12, 0.24], align=["LEFT", "LEFT", "CENTER", "RIGHT"],
                           total_row=True))
    story += [
        *pdf.heading(_("审批")),
        pdf.para(_("本笔付款实行申请与审核分离：由项目主管申请拨付，另一位财务人员审核付款。"), "muted"),
        pdf.spacer(2),
        pdf.table([
            [_("申请人（项目主管）"), _person(data.requested_by, installment.requested_at), _("签字：")],
            [_("审核人（财务人员）"), _person(data.approved_by, payment.approved_at), _("签字：")],
        ], [0.26, 0.44, 0.30], header=False,
            style=[("TOPPADDING", (0, 0), (-1, -1), 9), ("BOTTOMPADDING", (0, 0), (-1, -1), 9)]),
        pdf.spacer(5),
        pdf.para(funder.name, pdf.styles()["cell_value"].clone("voucher_funder", alignment=2, fontSize=11, leading=18)),
        pdf.para(_("（财务专用章）"), pdf.styles()["cell_value"].clone("voucher_seal", alignment=2, fontSize=11,
                                                                  leading=18, textColor=pdf.MUTED)),
    ]
    return pdf.build(story, _("付款凭证 %(number)s", number=payment.voucher_number), subject=application.title,
                     now=now)


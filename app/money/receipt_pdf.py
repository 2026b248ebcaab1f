"""The donation receipt (捐赠票据) as a PDF.

It acknowledges a donation received online; it is **not** a tax invoice, and not the
公益事业捐赠票据 (the official receipt for tax deduction), which the foundation issues
separately on request.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.awards.pdf import amount_in_words
from app.core import pdf
from app.money.donations import donor_label
from app.money.models import Donation


def receipt_filename(donation: Donation) -> str:
    return f"{_('捐赠票据')}-{donation.receipt_number}.pdf"


def _chinese_date(value: datetime) -> str:
    return pdf.local_time(value, "%Y年%m月%d日").replace("年0", "年").replace("月0", "月")


def render_receipt(donation: Donation, *, now: datetime | None = None) -> bytes:
    fund = donation.fund_source
    funder = fund.funder
    right = pdf.styles()["cell_value"].clone("receipt_sign", alignment=2, fontSize=11, leading=18)
    story = [
        pdf.para(_("捐赠票据"), "title"),
        pdf.para(_("票据号：%(number)s", number=donation.receipt_number), "subtitle"),
        pdf.spacer(6),
        pdf.para(_("%(donor)s：", donor=donor_label(donation)), "body_plain"),
        pdf.para(_("衷心感谢您对“%(fund)s”的捐赠。您的善款已于 %(date)s 到账，将按基金用途用于社区公益项目，"
                   "使用情况在平台资金公开页面公布。", fund=fund.name, date=_chinese_date(donation.paid_at)), "body"),
        pdf.spacer(2),
        pdf.key_value_table([
            (_("票据号"), donation.receipt_number),
            (_("捐赠人"), donor_label(donation)),
            (_("捐赠金额（小写）"), pdf.money(donation.amount_fen)),
            (_("捐赠金额（大写）"), amount_in_words(donation.amount_fen)),
            (_("受赠基金"), fund.name),
            (_("基金管理方"), funder.name),
            (_("到账日期"), _chinese_date(donation.paid_at)),
            (_("支付方式"), _("在线支付（银行卡 / 支付宝 / 微信支付，经 Stripe 收款）")),
        ]),
        *pdf.heading(_("说明")),
        pdf.para(_("1. 本票据是平台出具的捐赠确认凭证，不是税务发票，也不能作为税前扣除凭证。"), "body_plain"),
        pdf.para(_("2. 如需公益事业捐赠票据（用于税前扣除），请凭本票据号联系%(funder)s另行开具。", funder=funder.name),
                 "body_plain"),
        pdf.para(_("3. 捐赠款项已计入该基金的捐赠收入账户，可在平台基金页面查看累计筹款情况。"), "body_plain"),
        pdf.spacer(14),
        pdf.para(_("感谢您的爱心与支持！"), right),
        pdf.para(funder.name, right),
        pdf.para(_chinese_date(donation.paid_at), right),
    ]
    return pdf.build(story, _("捐赠票据 %(number)s", number=donation.receipt_number),
                     subject=fund.name, now=now)

"""The award notice (立项通知书) as a PDF, and amounts in Chinese capital numerals (大写).

``amount_in_words`` follows the People's Bank of China rules for written amounts
(《支付结算办法》附件一 and 《会计基础工作规范》第五十二条): 壹贰叁…, 拾佰仟, 万亿; a zero
inside the number is written once as 零 (¥1,409.50 → 壹仟肆佰零玖元伍角整, ¥6,007.14 →
陆仟零柒元壹角肆分); a missing 角 before a 分 is written 零 (¥325.04 → 叁佰贰拾伍元零肆分);
an amount ending at 元 or 角 ends with 整; tens are written 壹拾 (¥10.00 → 壹拾元整), so
nothing can be put in front of them.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.awards.models import Award
from app.core import pdf

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _four_digits(n: int) -> str:
    """0 < n < 10000 in capitals, without its leading zeros (壹仟零伍, 贰拾)."""
    out = []
    zero = False
    for power in (3, 2, 1, 0):
        digit = n // 10 ** power % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[power])
    return "".join(out)


def _yuan_in_words(yuan: int) -> str:
    groups = []
    while yuan:
        yuan, group = divmod(yuan, 10000)
        groups.append(group)
    out = ""
    zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero = bool(out)
            continue
        if out and (zero or group < 1000):
            out += "零"
        out += _four_digits(group) + _BIG_UNITS[index]
        zero = False
    return out


def amount_in_words(fen: int) -> str:
    """Fen as 人民币 in capitals: 5000000 → "人民币伍万元整", 0 → "人民币零元整"."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("amount_in_words takes whole fen as an int")
    if fen < 0:
        raise ValueError("amount_in_words takes a non-negative amount")
    if fen >= 10 ** 16 * 100:
        raise ValueError("amount too large")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    words = _yuan_in_words(yuan)
    if words:
        words += "元"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif fen_digit and words:
        words += "零"
    if fen_digit:
        words += _DIGITS[fen_digit] + "分"
    if not words:
        words = "零元"
    if not fen_digit:
        words += "整"
    return "人民币" + words


def _chinese_date(value: datetime) -> str:
    return pdf.local_time(value, "%Y年%m月%d日").replace("年0", "年").replace("月0", "月")


def award_filename(award: Award) -> str:
    return f"{_('立项通知书')}-{award.number}.pdf"


def render_award_notice(award: Award, *, now: datetime | None = None) -> bytes:
    """立项通知书: to the organization; project, number, amount in figures and capitals,
    score and rank, next steps, the funder's name, the date and the seal space."""
    call = award.call
    application = award.application
    organization = award.organization
    funder = call.funder
    communities = "、".join(c.name for c in application.communities) or "—"
    story = [
        pdf.para(_("立项通知书"), "title"),
        pdf.para(_("立项编号：%(number)s", number=award.number), "subtitle"),
        pdf.spacer(6),
        pdf.para(_("%(organization)s：", organization=organization.name), "body_plain"),
        pdf.para(_("你单位申报的项目“%(project)s”，经形式审查、专家评审和社会公示，决定予以立项资助。现将有关事项通知如下。",
                   project=application.title), "body"),
        pdf.spacer(2),
        pdf.key_value_table([
            (_("项目名称"), application.title),
            (_("申报单位"), organization.name),
            (_("所属征集"), call.title),
            (_("立项编号"), award.number),
            (_("资助金额（小写）"), pdf.money(award.amount_fen)),
            (_("资助金额（大写）"), amount_in_words(award.amount_fen)),
            (_("评审得分与排名"), _("%(score)s 分，第 %(rank)s 名", score=f"{award.final_score:.2f}", rank=award.rank)),
            (_("服务社区"), communities),
            (_("资金来源"), funder.name),
            (_("立项日期"), _chinese_date(award.awarded_at)),
        ]),
        *pdf.heading(_("下一步工作")),
    ]
    steps = [
        _("请于收到本通知之日起 15 个工作日内登录平台，核对项目实施方案和预算，与资助方签订资助协议（资助协议由平台生成）。"),
    ]
    installments = [(step.percent, step.trigger.label) for step in call.installments]
    if installments:
        schedule = "；".join(_("%(trigger)s后拨付 %(percent)s%%", trigger=label, percent=percent)
                            for percent, label in installments)
        steps.append(_("资助资金按以下进度分期拨付：%(schedule)s。", schedule=schedule))
    steps += [
        _("项目须按申报书确定的目标、内容和预算执行，按期提交中期报告和结项报告；资金专款专用，不得用于购置固定资产或向服务对象发放现金、礼品。"),
        _("项目实施中如需调整内容、预算或周期，须事先书面报资助方同意。"),
    ]
    story += [pdf.para(f"{i}. {text}", "body_plain") for i, text in enumerate(steps, 1)]
    story += [
        pdf.spacer(14),
        pdf.para(funder.name, pdf.styles()["cell_value"].clone("sign_name", alignment=2, fontSize=11, leading=18)),
        pdf.para(_("（盖章）"), pdf.styles()["cell_value"].clone("sign_seal", alignment=2, fontSize=11, leading=18,
                                                               textColor=pdf.MUTED)),
        pdf.para(_chinese_date(award.awarded_at),
                 pdf.styles()["cell_value"].clone("sign_date", alignment=2, fontSize=11, leading=18)),
    ]
    return pdf.build(story, _("立项通知书 %(number)s", number=award.number),
                     subject=application.title, now=now)

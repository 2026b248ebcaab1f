"""Money is integer fen (分). Parse input with Decimal, store int, show "¥1,234.50"."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from app.core.errors import ValidationError

# Ten billion yuan: far above any grant, low enough that no input overflows a BIGINT.
MAX_FEN = 10_000_000_000 * 100
_PLAIN_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")


def parse_yuan(text: str | None, *, allow_zero: bool = False, max_fen: int = MAX_FEN) -> int:
    """Parse a yuan amount typed by a person ("1,234.5", "¥800") into fen.

    Refuses negatives, more than two decimals, exponents, NaN and full-width digits
    with a message that says what to type instead.
    """
    if text is None or not str(text).strip():
        raise ValidationError(_("请输入金额。"))
    cleaned = str(text).strip().replace(",", "").replace("¥", "").replace("￥", "").strip()
    if not cleaned.isascii():
        raise ValidationError(_("金额请使用半角数字，例如 1234.50。"))
    if cleaned.startswith("-"):
        raise ValidationError(_("金额不能为负数。"))
    if not _PLAIN_AMOUNT.match(cleaned):
        if re.match(r"^[0-9]+\.[0-9]{3,}$", cleaned):
            raise ValidationError(_("金额最多保留两位小数（精确到分）。"))
        raise ValidationError(_("金额格式不正确，请输入如 1234.50 的数字。"))
    try:
        fen = int((Decimal(cleaned) * 100).to_integral_exact())
    except (InvalidOperation, ArithmeticError):
        raise ValidationError(_("金额格式不正确，请输入如 1234.50 的数字。")) from None
    if fen == 0 and not allow_zero:
        raise ValidationError(_("金额必须大于零。"))
    if fen > max_fen:
        raise ValidationError(_("金额不能超过 %(maximum)s。", maximum=format_fen(max_fen)))
    return fen


def format_fen(fen: int | None, *, symbol: bool = True) -> str:
    """12345 -> "¥123.45"; negative amounts keep their sign before the symbol."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{cents:02d}"


def fen_to_input(fen: int | None) -> str:
    """Fen as a plain number for a form field (no symbol, no separators)."""
    if fen is None:
        return ""
    yuan, cents = divmod(int(fen), 100)
    return f"{yuan}.{cents:02d}"


def split_fen(total_fen: int, weights: list[int]) -> list[int]:
    """Split `total_fen` by integer weights: floor each share, the remainder to the last.

    The parts always sum to the whole.
    """
    if total_fen < 0:
        raise ValueError("total must not be negative")
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    whole = sum(weights)
    parts = [total_fen * w // whole for w in weights[:-1]]
    parts.append(total_fen - sum(parts))
    return parts

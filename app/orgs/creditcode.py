"""Unified social credit code (统一社会信用代码) per GB 32100-2015.

18 characters from 0-9 and A-Y without I, O, Z, S, V (values 0-30); position i (1-based,
1..17) has weight 3^(i-1) mod 31; the check character's value is (31 - Σ mod 31) mod 31.
The first character (registration authority) is not restricted to a fixed list: real
codes begin with 1, 5, 9, G and others.
"""
from __future__ import annotations

from flask_babel import gettext as _

from app.core.errors import ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def check_character(first17: str) -> str:
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    return "".join((code or "").split()).upper()


def validate_credit_code(code: str, *, field: str = "credit_code") -> str:
    """Return the normalized code, or raise a ValidationError saying what is wrong."""
    value = normalize(code)
    if not value:
        raise ValidationError(_("登记的社会组织须填写统一社会信用代码。"), field=field)
    if not value.isascii():
        raise ValidationError(_("统一社会信用代码请使用半角字母和数字。"), field=field)
    if len(value) != 18:
        raise ValidationError(_("统一社会信用代码应为 18 位，您输入了 %(count)s 位。", count=len(value)), field=field)
    bad = sorted({ch for ch in value if ch not in VALUES})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：") + _("、").join(bad)
            + _("（代码不使用 I、O、Z、S、V，只包含数字和其余大写字母）。"), field=field)
    expected = check_character(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位不正确：按前 17 位计算，第 18 位应为“%(expected)s”，而不是“%(actual)s”。请核对营业执照或登记证书。", expected=expected, actual=value[17]), field=field)
    return value

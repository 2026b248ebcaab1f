"""The award notice (立项通知书) PDF and amounts in Chinese capitals (大写)."""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest

from app.awards import services
from app.awards.pdf import amount_in_words, award_filename, render_award_notice
from tests.awards import FIVE_DAYS_LATER, FRIDAY_10AM_BEIJING, reviewed_call


@pytest.mark.parametrize("fen, words", [
    (5_000_000, "人民币伍万元整"),
    (0, "人民币零元整"),
    (5, "人民币伍分"),
    (50, "人民币伍角整"),
    (1_000, "人民币壹拾元整"),
    (11_000, "人民币壹佰壹拾元整"),
    (100_100, "人民币壹仟零壹元整"),
    (101_000, "人民币壹仟零壹拾元整"),
    (140_950, "人民币壹仟肆佰零玖元伍角整"),
    (600_714, "人民币陆仟零柒元壹角肆分"),
    (32_504, "人民币叁佰贰拾伍元零肆分"),
    (1_640_902, "人民币壹万陆仟肆佰零玖元零贰分"),
    (168_032, "人民币壹仟陆佰捌拾元叁角贰分"),
    (10_700_053, "人民币壹拾万柒仟元伍角叁分"),
    (20_050_000, "人民币贰拾万零伍佰元整"),
    (3_500_000, "人民币叁万伍仟元整"),
    (10_000_000_000, "人民币壹亿元整"),
    (10_001_000_000, "人民币壹亿零壹万元整"),
    (123_456_789_012, "人民币壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
    (100_000_000_000_000, "人民币壹万亿元整"),
])
def test_amount_in_words(fen, words):
    assert amount_in_words(fen) == words


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("100", TypeError)])
def test_amount_in_words_refuses_what_is_not_fen(bad, error):
    with pytest.raises(error):
        amount_in_words(bad)


def _text(data: bytes, tmp_path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


def test_award_notice_pdf_text(db, tmp_path):
    s = reviewed_call()
    services.publish_notice(s.officer, s.call, "公示说明", "电话 0871-63000000", FRIDAY_10AM_BEIJING)
    awards = services.close_notice(s.officer, s.call, FIVE_DAYS_LATER + timedelta(hours=1))
    award = awards[0]
    data = render_award_notice(award)
    assert data.startswith(b"%PDF")
    text = _text(data, tmp_path)
    organization = s.applications[0].organization.name
    assert f"{organization}：" in text
    assert "立项通知书" in text and award.number in text
    assert "银龄饭桌助餐项目" in text
    assert "¥50,000.00" in text and "人民币伍万元整" in text
    assert "88.40分，第1名" in text
    assert s.funder.name in text and "（盖章）" in text and "2026年12月12日" in text
    assert "资助协议" in text and "协议签订后拨付50%" in text
    assert award_filename(award) == f"立项通知书-{award.number}.pdf"


def test_award_notice_with_an_adjusted_amount(db, tmp_path):
    s = reviewed_call()
    services.publish_notice(s.officer, s.call, "", "电话 0871-63000000", FRIDAY_10AM_BEIJING)
    award = services.close_notice(s.officer, s.call, FIVE_DAYS_LATER + timedelta(hours=1))[1]
    text = _text(render_award_notice(award), tmp_path)
    assert "¥35,000.00" in text and "人民币叁万伍仟元整" in text

import pytest
from hypothesis import given, strategies as st

from app.core.errors import ValidationError
from app.core.money import fen_to_input, format_fen, parse_yuan, split_fen


@pytest.mark.parametrize("text,fen", [
    ("1234.5", 123450), ("1,234.50", 123450), ("¥800", 80000), ("￥0.01", 1), (" 12 ", 1200),
])
def test_parse_yuan_accepts_ordinary_amounts(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text,message", [
    ("-5", "负数"), ("0", "大于零"), ("1.234", "两位小数"), ("NaN", "格式"), ("1e9", "格式"),
    ("１２３", "半角"), ("", "请输入"), ("abc", "格式"), ("99999999999999", "不能超过"),
])
def test_parse_yuan_refuses_bad_input_with_a_clear_message(text, message):
    with pytest.raises(ValidationError) as err:
        parse_yuan(text)
    assert message in err.value.message


def test_zero_allowed_when_asked():
    assert parse_yuan("0", allow_zero=True) == 0


@pytest.mark.parametrize("fen,text", [(0, "¥0.00"), (123450, "¥1,234.50"), (5, "¥0.05"),
                                      (-250, "-¥2.50"), (100000000, "¥1,000,000.00")])
def test_format_fen(fen, text):
    assert format_fen(fen) == text


def test_fen_to_input_round_trips():
    assert parse_yuan(fen_to_input(123405)) == 123405


@given(st.integers(min_value=0, max_value=10**12),
       st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(lambda w: sum(w) > 0))
def test_split_parts_sum_to_whole_and_floor_all_but_last(total, weights):
    parts = split_fen(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    whole = sum(weights)
    for part, w in zip(parts[:-1], weights[:-1]):
        assert part == total * w // whole


def test_split_50_40_10():
    assert split_fen(100001, [50, 40, 10]) == [50000, 40000, 10001]

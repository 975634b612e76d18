"""The message catalogues: the same keys and placeholders in both languages, each in its own language."""

from __future__ import annotations

import re
import string

import pytest

from calibrate.messages import MessageError, catalogue, text
from calibrate.messages import format as fmt

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_hold_the_same_keys_and_placeholders():
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en)
    assert {k: _fields(v) for k, v in zh.items()} == {k: _fields(v) for k, v in en.items()}


def test_english_messages_hold_no_chinese_and_chinese_messages_are_chinese():
    assert [k for k, v in catalogue("en").items() if CJK.search(v)] == []
    method_names = {"CRITIC", "R"}  # names a Chinese page writes in Latin letters
    latin_only = {
        k
        for k, v in catalogue("zh").items()
        if not CJK.search(v) and set(re.findall(r"[A-Za-z]+", re.sub(r"\{[^}]*\}", "", v))) - method_names
    }
    assert latin_only == set()


def test_missing_keys_and_values_are_named():
    with pytest.raises(MessageError, match="no message 'summary.nope'"):
        text("summary.nope", "en")
    with pytest.raises(MessageError, match="needs the value 'year'"):
        text("summary.title", "en")


def test_numbers_for_readers():
    assert fmt.number(1234567.891, 1) == "1,234,567.9"
    assert fmt.money(1930, "zh") == "1,930 万元" and fmt.money(1930, "en") == "1,930 × 10k CNY"
    assert fmt.percent(float("nan"), missing="new_hire", lang="en") == "new hire"
    assert fmt.percent(None) == "–"
    assert fmt.points(-0.031, "zh") == "-3.1 个百分点"


@pytest.mark.parametrize(
    "weights",
    [[0.155, 0.155, 0.69], [1 / 3] * 3, [0.1] * 10, [0.004, 0.996], [0.25, 0.15, 0.15, 0.12, 0.08, 0.08, 0.09, 0.08]],
)
def test_whole_percentages_add_up_to_100_and_stay_within_one_point(weights):
    pct = fmt.whole_percentages(weights)
    assert sum(pct) == 100
    assert all(abs(p - 100 * w / sum(weights)) < 1 for p, w in zip(pct, weights))

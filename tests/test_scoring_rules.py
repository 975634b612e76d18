"""Indicator points: ratio with cap, threshold rules, relative rules, and their direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate.errors import ConfigError
from calibrate.indicators import load_indicator_set
from calibrate.scoring import apply_rule, attainment_ratio, indicator_rules, parse_rule, score_indicators


def _s(values):
    return pd.Series(values, dtype=float)


def test_attainment_is_capped_at_120_percent():
    rule = parse_rule({"rule": "ratio", "target": 1.0, "cap": 1.2})
    assert apply_rule(rule, _s([1.3, 1.2, 1.0, 0.85, np.nan])).tolist()[:4] == pytest.approx([120, 120, 100, 85])
    against_target = parse_rule({"rule": "ratio", "target": 2.0, "cap": 1.2})
    assert apply_rule(against_target, _s([2.6, 1.5])).tolist() == pytest.approx([120, 75])


def test_ratio_for_lower_is_better_scores_below_target_above_100():
    # churn target 5%: 4% -> 2 - 0.8 = 120%; 7.5% -> 50%; 20% -> below 0 -> floor 0
    rule = parse_rule({"rule": "ratio", "target": 0.05, "cap": 1.5}, "key_customer_churn", "lower")
    assert apply_rule(rule, _s([0.04, 0.05, 0.075, 0.2]), "lower").tolist() == pytest.approx([120, 100, 50, 0])
    assert attainment_ratio(_s([90.0, 50.0]), _s([100.0, 0.0])).tolist()[0] == pytest.approx(0.9)
    assert np.isnan(attainment_ratio(_s([90.0, 50.0]), _s([100.0, 0.0])).iloc[1])  # no target: no attainment


def test_threshold_rule_satisfaction_at_80_percent_scores_full_marks():
    rule = parse_rule({"rule": "threshold", "threshold": 0.8, "floor": 0.4}, "satisfaction")
    assert apply_rule(rule, _s([0.9, 0.8, 0.6, 0.4, 0.3])).tolist() == pytest.approx([100, 100, 50, 0, 0])


def test_threshold_rule_reply_within_24_hours_counts_as_on_time():
    rule = parse_rule({"rule": "threshold", "threshold": 24, "floor": 72}, "response_hours", "lower")
    points = apply_rule(rule, _s([12, 24, 48, 60, 72, 100]), "lower")
    assert points.tolist() == pytest.approx([100, 100, 50, 25, 0, 0])


def test_zscore_and_minmax_by_hand_and_flipped_for_lower_is_better():
    z = parse_rule({"rule": "zscore"})
    # mean 2, population sd sqrt(2/3): z = -1.2247, 0, 1.2247 -> T = 50 + 10 z
    assert apply_rule(z, _s([1, 2, 3])).tolist() == pytest.approx([37.7525513, 50, 62.2474487])
    assert apply_rule(z, _s([1, 2, 3]), "lower").tolist() == pytest.approx([62.2474487, 50, 37.7525513])
    mm = parse_rule({"rule": "minmax"})
    assert apply_rule(mm, _s([10, 20, 40])).tolist() == pytest.approx([0, 100 / 3, 100])
    assert apply_rule(mm, _s([10, 20, 40]), "lower").tolist() == pytest.approx([100, 200 / 3, 0])
    assert apply_rule(mm, _s([7, 7])).tolist() == [50, 50] and apply_rule(z, _s([7, 7])).tolist() == [50, 50]


def test_relative_rules_compare_within_each_period():
    values = pd.DataFrame(
        {"period": ["Q1", "Q1", "Q2", "Q2"], "level": ["a", "a", "a", "a"], "x": [1.0, 3.0, 10.0, 30.0]}
    )
    iset = load_indicator_set("account_manager").subset(["profit_margin"])
    frame = values.rename(columns={"x": "profit_margin"})
    points = score_indicators(frame, iset, {"profit_margin": parse_rule({"rule": "minmax"})})
    assert points["profit_margin"].tolist() == [0, 100, 0, 100]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=3, max_size=12, unique=True),
    st.sampled_from([{"rule": "zscore"}, {"rule": "minmax"}, {"rule": "ratio", "target": 0.5, "cap": 3.0}]),
)
def test_lower_is_better_reverses_the_order_of_points(values, spec):
    rule = parse_rule(spec)
    x = _s(values)
    up, down = apply_rule(rule, x, "higher"), apply_rule(rule, x, "lower")
    inner = (up > 0) & (up < rule.cap * 100) & (down > 0) & (down < rule.cap * 100)
    order = np.argsort(x[inner].to_numpy())
    assert np.all(np.diff(up[inner].to_numpy()[order]) >= -1e-9)
    assert np.all(np.diff(down[inner].to_numpy()[order]) <= 1e-9)


def test_rules_written_wrong_say_what_to_fix():
    with pytest.raises(ConfigError, match="'rule' must be one of ratio, threshold, minmax, zscore"):
        parse_rule({"rule": "percentile"}, "nps")
    with pytest.raises(ConfigError, match="satisfaction is higher-is-better, so the floor \\(0.9\\) must lie below"):
        parse_rule({"rule": "threshold", "threshold": 0.8, "floor": 0.9}, "satisfaction", "higher")
    with pytest.raises(ConfigError, match="unknown key\\(s\\) ceiling for rule 'ratio'"):
        parse_rule({"rule": "ratio", "ceiling": 1.2}, "revenue_attainment")
    with pytest.raises(ConfigError, match="needs 'threshold' \\(full marks\\) and 'floor'"):
        parse_rule({"rule": "threshold", "threshold": 0.8}, "satisfaction")


def test_default_rules_follow_the_config_and_direction():
    iset = load_indicator_set("account_manager")
    rules = indicator_rules(
        iset, {"revenue_attainment": {"rule": "ratio", "target": 1.0, "cap": 1.2}}, {"rule": "zscore"}
    )
    assert rules["revenue_attainment"].kind == "ratio" and rules["revenue_attainment"].cap == 1.2
    assert rules["key_customer_churn"].kind == "zscore"

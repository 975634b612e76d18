"""Indicator sets: the shipped templates and the errors for broken YAML."""

from __future__ import annotations

import pytest
import yaml

from calibrate.errors import ConfigError
from calibrate.indicators import available_templates, load_indicator_set, parse_indicator_set


def test_templates_ship_and_validate():
    assert set(available_templates()) >= {"account_manager", "key_account_director", "saas", "manufacturing"}
    for name in available_templates():
        s = load_indicator_set(name)
        assert abs(s.default_weights().sum() - 1) < 1e-9
        assert {d.id for d in s.dimensions} == {"results", "customer_value", "strategic_behaviour"}


def test_key_account_director_is_the_seven_indicator_table():
    s = load_indicator_set("key_account_director")
    expected = {
        "revenue_attainment": 0.25,
        "new_customer_contribution": 0.15,
        "profit_margin": 0.20,
        "nps": 0.15,
        "key_customer_churn": 0.10,
        "solution_innovation": 0.08,
        "collaboration": 0.07,
    }
    assert s.default_weights().to_dict() == expected
    assert s["key_customer_churn"].direction == "lower"
    assert s["nps"].label_zh == "净推荐值"
    by_dim = s.default_weights().groupby(s.dimension_of()).sum().round(2).to_dict()
    assert by_dim == {"results": 0.60, "customer_value": 0.25, "strategic_behaviour": 0.15}


def test_saas_and_manufacturing_have_their_own_indicators():
    assert "renewal_rate" in load_indicator_set("saas").ids
    assert "key_account_penetration" in load_indicator_set("manufacturing").ids


def _raw(name="account_manager"):
    from importlib import resources

    return yaml.safe_load((resources.files("calibrate") / "templates" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_unknown_key_is_named():
    raw = _raw()
    raw["indicators"][3]["directon"] = "higher"
    with pytest.raises(ConfigError, match=r"indicator nps: unknown key 'directon'"):
        parse_indicator_set(raw, where="my_set.yaml")


def test_duplicate_indicator_is_named():
    raw = _raw()
    raw["indicators"].append(dict(raw["indicators"][0]))
    with pytest.raises(ConfigError, match=r"duplicate indicator id 'revenue_attainment'"):
        parse_indicator_set(raw, where="my_set.yaml")


def test_bands_that_cannot_sum_to_one():
    raw = _raw()
    raw["dimensions"]["results"]["band"] = [0.70, 0.80]
    with pytest.raises(ConfigError, match=r"bands cannot sum to 1 \(lows sum to 1.10"):
        parse_indicator_set(raw, where="my_set.yaml")


def test_weights_outside_band_and_bad_direction_reported_together():
    raw = _raw()
    raw["indicators"][0]["weight"] = 0.45
    raw["indicators"][1]["direction"] = "up"
    with pytest.raises(ConfigError) as info:
        parse_indicator_set(raw, where="my_set.yaml")
    message = str(info.value)
    assert "direction 'up' is not one of higher, lower" in message
    assert "indicator weights sum to 1.2000, not 1" in message


def test_compute_must_read_its_source():
    raw = _raw()
    raw["indicators"][3]["compute"] = {"ratio": ["a", "b"]}
    with pytest.raises(ConfigError, match=r"compute 'ratio' reads the performance table, but source is 'survey'"):
        parse_indicator_set(raw, where="x.yaml")


def test_unknown_template_lists_the_available_ones():
    with pytest.raises(ConfigError, match=r"unknown indicator set 'banking'.*account_manager"):
        load_indicator_set("banking")


def test_labels_in_both_languages():
    s = load_indicator_set("account_manager")
    frame = s.to_frame("zh")
    assert frame.loc[frame.indicator == "collaboration", "label"].item() == "跨团队协作"
    assert s.to_frame("en").loc[0, "dimension_label"] == "Results"

"""The recommended target plan: each branch on constructed plan tables, and on a simulated company."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibrate.config import load_config
from calibrate.errors import ConfigError
from calibrate.loading import load_dataset
from calibrate.targets.plan import target_plan
from calibrate.targets.recommend import bonus_budget, recommend_plan


def _plans(shares, p50, with_backtest=True):
    names = ["current", "equal_difficulty", "uniform_growth", "allocated"][: len(shares)]
    frame = pd.DataFrame(
        {
            "plan": names,
            "expected_share": shares,
            "bonus_p50": p50,
            "bonus_p90": [v * 1.1 for v in p50],
            "bonus_p99": [v * 1.2 for v in p50],
        }
    )
    if with_backtest:  # the backtest row is never a candidate, however attractive
        frame.loc[len(frame)] = {
            "plan": "data_targets",
            "expected_share": 0.7,
            "bonus_p50": 1.0,
            "bonus_p90": 1.0,
            "bonus_p99": 1.0,
        }
    return frame


def test_cheapest_plan_in_the_band_within_budget_is_recommended():
    r = recommend_plan(_plans([0.42, 0.70, 0.65, 0.74], [1800, 2100, 1950, 2000]), band=(0.6, 0.75), budget=2050)
    assert (r.plan, r.status, r.relax, r.fallback) == ("uniform_growth", "recommended", {}, None)
    assert r.table.set_index("plan").loc["current", "in_band"] == False  # noqa: E712
    assert r.table["recommended"].sum() == 1 and "data_targets" not in set(r.table["plan"])


def test_band_edges_are_inclusive_and_ties_keep_table_order():
    r = recommend_plan(_plans([0.60, 0.75], [2000, 2000]), band=(0.6, 0.75), budget=2000)
    assert r.plan == "current"


def test_over_budget_names_the_budget_the_cheapest_healthy_plan_needs():
    r = recommend_plan(_plans([0.42, 0.70, 0.72], [1800, 2300, 2200]), band=(0.6, 0.75), budget=1930)
    assert r.plan is None and r.status == "over_budget"
    assert r.fallback == "uniform_growth" and r.relax == {"bonus_budget": 2200.0}


def test_out_of_band_names_the_band_edge_the_nearest_affordable_plan_needs():
    r = recommend_plan(_plans([0.42, 0.55, 0.90], [1800, 1900, 2500]), band=(0.6, 0.75), budget=2000)
    assert r.plan is None and r.status == "out_of_band"
    assert r.fallback == "equal_difficulty" and r.relax == {"healthy_band": [0.55, 0.75]}


def test_neither_band_nor_budget_names_both():
    r = recommend_plan(_plans([0.42, 0.85], [2500, 2600]), band=(0.6, 0.75), budget=2000)
    assert r.status == "neither" and r.fallback == "equal_difficulty"
    assert r.relax == {"healthy_band": [0.6, 0.85], "bonus_budget": 2600.0}


def test_low_probability_share_per_plan_from_manager_probabilities():
    probs = pd.DataFrame(
        {"plan": ["current"] * 4 + ["equal_difficulty"] * 4, "probability": [0.1, 0.15, 0.5, 0.9, 0.7, 0.7, 0.7, 0.19]}
    )
    r = recommend_plan(_plans([0.42, 0.70], [1800, 1900]), budget=2000, probabilities=probs)
    assert r.table.set_index("plan")["low_probability_share"].to_dict() == {"current": 0.5, "equal_difficulty": 0.25}


def test_budget_defaults_to_base_times_headcount_and_bad_settings_are_named():
    assert bonus_budget(None, 5.0, 386) == 1930.0
    assert bonus_budget(2500, 5.0, 386) == 2500.0
    with pytest.raises(ConfigError, match="bonus_budget must be a number of 0 or more"):
        bonus_budget(-1, 5.0, 10)
    with pytest.raises(ConfigError, match="healthy_band must satisfy 0 <= low < high <= 1"):
        recommend_plan(_plans([0.5], [1.0]), band=(0.8, 0.6), budget=1)


def test_on_a_simulated_company_the_recommendation_follows_the_plan_table(small_company_master):
    config = load_config(small_company_master / "calibrate.yaml", {"targets": {"scenarios": 2000}})
    plan = target_plan(load_dataset(config), settings=config.targets, seed=config.seed)
    plans = plan.to_frame()
    budget = bonus_budget(None, plan.settings.bonus_base, int(plans["managers"].iloc[0]))
    r = recommend_plan(plans, band=(0.6, 0.75), budget=budget, probabilities=plan.probabilities())
    table = r.table.set_index("plan")
    # equal_difficulty and uniform_growth aim at targets.probability = 0.7: inside the band by construction
    assert table.loc["equal_difficulty", "in_band"] and table.loc["uniform_growth", "in_band"]
    ok = table[table["in_band"] & table["within_budget"]]
    if len(ok):
        assert r.status == "recommended" and r.plan == ok["bonus_p50"].idxmin()
    else:
        assert r.status == "over_budget"
        assert r.relax["bonus_budget"] == pytest.approx(table.loc[table["in_band"], "bonus_p50"].min())
    # a budget above every plan's P50 always gives a recommendation in the band
    rich = recommend_plan(plans, budget=float(plans["bonus_p50"].max()) + 1)
    assert rich.status == "recommended" and rich.table.set_index("plan").loc[rich.plan, "in_band"]
    assert np.isfinite(table["low_probability_share"]).all()

"""Backtest: scores by hand, and the sample company's known truth for the final year."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import ROOT

from calibrate.errors import ConfigError
from calibrate.targets.backtest import backtest, brier_decomposition, brier_score, reliability_table
from calibrate.targets.fit import InsufficientHistory

SAMPLE = ROOT / "data" / "sample"


def test_brier_score_by_hand():
    assert brier_score([0.8, 0.3], [1, 0]) == pytest.approx(0.065)  # (0.2^2 + 0.3^2) / 2
    assert brier_score([0.5] * 4, [True, False, True, False]) == pytest.approx(0.25)
    assert brier_score([1.0, 0.0], [1, 0]) == 0.0


def test_reliability_table_and_wilson_interval_by_hand():
    table = reliability_table([0.05, 0.15, 0.15, 0.95], [0, 1, 0, 1], bins=10)
    assert len(table) == 10 and table["managers"].tolist() == [1, 1 + 1, 0, 0, 0, 0, 0, 0, 0, 1]
    second = table.iloc[1]
    assert second["mean_predicted"] == pytest.approx(0.15) and second["observed"] == pytest.approx(0.5)
    # Wilson 95% interval for 1 success in 2 trials: 0.0945 to 0.9055
    assert second["observed_low"] == pytest.approx(0.0945, abs=1e-4)
    assert second["observed_high"] == pytest.approx(0.9055, abs=1e-4)
    assert np.isnan(table.iloc[4]["observed"])
    # a probability of exactly 1 falls in the last bin
    assert reliability_table([1.0, 0.0], [1, 0], bins=4)["managers"].tolist() == [1, 0, 0, 1]


def test_murphy_decomposition_is_exact_when_predictions_are_constant_within_bins():
    p = np.array([0.15, 0.15, 0.15, 0.55, 0.55, 0.85, 0.85, 0.85, 0.85])
    o = np.array([0, 0, 1, 1, 0, 1, 1, 1, 0])
    parts = brier_decomposition(reliability_table(p, o, bins=10))
    base = o.mean()
    assert parts["uncertainty"] == pytest.approx(base * (1 - base))
    assert brier_score(p, o) == pytest.approx(parts["reliability"] - parts["resolution"] + parts["uncertainty"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=60), st.integers(1, 12))
def test_reliability_table_invariants(pairs, bins):
    p = np.array([a for a, _ in pairs])
    o = np.array([b for _, b in pairs])
    table = reliability_table(p, o, bins)
    assert len(table) == bins and table["managers"].sum() == len(p)
    seen = table[table["managers"] > 0]
    assert ((seen["mean_predicted"] >= seen["lower"] - 1e-12) & (seen["mean_predicted"] <= seen["upper"] + 1e-12)).all()
    assert (
        (seen["observed_low"] <= seen["observed"] + 1e-12) & (seen["observed"] <= seen["observed_high"] + 1e-12)
    ).all()
    hits = (seen["observed"] * seen["managers"]).sum()
    assert hits == pytest.approx(o.sum())


def test_bad_scores_input_is_explained():
    with pytest.raises(ConfigError, match="between 0 and 1"):
        brier_score([1.2], [1])
    with pytest.raises(ConfigError, match="Outcomes must be 0/1"):
        brier_score([0.5], [2])
    with pytest.raises(ConfigError, match="same length"):
        reliability_table([0.5, 0.5], [1])


@pytest.fixture(scope="module")
def sample_backtest():
    perf = pd.read_csv(SAMPLE / "performance.csv")
    managers = pd.read_csv(SAMPLE / "managers.csv", keep_default_na=False)
    return backtest(perf, managers, scenarios=4_000, seed=2025)


def test_sample_backtest_matches_the_known_truth(sample_backtest):
    """The generator re-simulated 2025 400 times from the end of 2024 with the true parameters:
    the model, fitted on 2023-2024 only, must predict the expected share hitting the annual
    target within 5 points, and rank managers like their true probabilities."""
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))["final_year"]
    truth_managers = pd.read_csv(SAMPLE / "truth_managers.csv")
    bt = sample_backtest
    assert bt.year == 2025 and bt.fit.last_quarter == "2024Q4"
    full = set(truth_managers.loc[truth_managers["final_year_full"], "manager_id"])
    assert set(bt.managers["manager_id"]) == full and len(full) == truth["managers_full_year"]
    assert abs(bt.expected_share - truth["expected_share_hitting_annual_target"]) < 0.05
    merged = bt.managers.merge(truth_managers, on="manager_id")
    assert np.corrcoef(merged["probability"], merged["final_year_p_hit"])[0, 1] > 0.8
    # the data's own annual targets and actuals are what was scored
    np.testing.assert_allclose(merged["target"], merged["final_year_target"], atol=0.02)
    np.testing.assert_allclose(merged["actual"], merged["final_year_actual"], atol=0.02)
    assert bt.realised_share == pytest.approx(truth["realised_share_hitting_annual_target"])
    # region shocks make the share spread like the truth's (P5-P95 width 0.150 in the re-simulations)
    p5, p95 = bt.attainment.share_quantile([0.05, 0.95])
    true_p5, _, true_p95 = truth["share_hitting_p5_p50_p95"]
    assert abs((p95 - p5) - (true_p95 - true_p5)) < 0.04


def test_sample_backtest_scores(sample_backtest):
    bt = sample_backtest
    s = bt.summary()
    assert s["brier"] < 0.19 and s["brier_skill"] > 0.2  # far better than the base rate (0.249)
    assert s["brier_reference"] == pytest.approx(bt.realised_share * (1 - bt.realised_share))
    assert s["share_p5"] < s["expected_share"] < s["share_p95"] and s["realised_within_p5_p95"]
    assert s["mean_probability_hit"] > s["mean_probability_missed"] + 0.25
    assert bt.reliability["managers"].sum() == s["managers"] == 368
    # the reliability table is close to the diagonal where it has managers
    r = bt.reliability[bt.reliability["managers"] >= 20]
    assert np.average(np.abs(r["mean_predicted"] - r["observed"]), weights=r["managers"]) < 0.12


def test_backtest_needs_a_complete_year_and_history_before_it(small_company_master):
    perf = pd.read_csv(small_company_master / "performance.csv")
    managers = pd.read_csv(small_company_master / "managers.csv", keep_default_na=False)
    with pytest.raises(InsufficientHistory, match="at least four quarters before it"):
        backtest(perf, managers, year=2023, scenarios=200)
    with pytest.raises(InsufficientHistory, match="all four quarters of 2024"):
        backtest(perf[perf["period"] != "2024Q4"], managers, scenarios=200)

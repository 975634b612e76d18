"""Fitting the performance model: recovery of known parameters, the annual formulas, fallbacks, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.conftest import ROOT

from calibrate.errors import ConfigError, ValidationError
from calibrate.targets.fit import InsufficientHistory, annual_degrees_of_freedom, fit_performance_model

SAMPLE = ROOT / "data" / "sample"
SEASON = np.array([-0.06, 0.0, 0.01, 0.05])  # log factors Q1..Q4, mean 0


def company(
    n: int = 240,
    quarters: int = 12,
    *,
    growth_sd: float = 0.06,
    noise_sd: float = 0.05,
    region_sd: float = 0.02,
    noise_df: float | None = None,
    seed: int = 11,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A company following the fit's own model with known parameters: veterans only, a
    random walk with drift per manager, seasonality, region shocks."""
    rng = np.random.default_rng(seed)
    regions = np.array(["East", "North", "South", "West"])
    region = rng.integers(0, 4, n)
    growth = rng.normal(0.08, growth_sd, n)  # annual log growth
    level = np.log(rng.lognormal(np.log(500), 0.3, n))
    rows = []
    for t in range(quarters):
        if t > 0:
            shock = (
                rng.standard_t(noise_df, n) * np.sqrt((noise_df - 2) / noise_df) if noise_df else rng.standard_normal(n)
            )
            level = level + growth / 4 + noise_sd * shock + rng.normal(0, region_sd, 4)[region]
        q = t % 4
        rows.append(
            pd.DataFrame(
                {
                    "manager_id": [f"M{i:03d}" for i in range(n)],
                    "period": f"{2022 + t // 4}Q{q + 1}",
                    "revenue": np.exp(level + SEASON[q]),
                }
            )
        )
    managers = pd.DataFrame(
        {
            "manager_id": [f"M{i:03d}" for i in range(n)],
            "region": regions[region],
            "hire_date": pd.Timestamp("2012-01-01"),
        }
    )
    return pd.concat(rows, ignore_index=True), managers, {"growth": growth}


@pytest.fixture(scope="module")
def known():
    perf, managers, truth = company()
    return fit_performance_model(perf, managers), truth


def test_recovers_known_parameters(known):
    fit, truth = known
    np.testing.assert_allclose(fit.season.to_numpy(), SEASON, atol=0.006)
    assert fit.season_estimated and fit.year == 2025 and fit.horizon == ("2025Q1", "2025Q2", "2025Q3", "2025Q4")
    assert fit.quarterly_sd == pytest.approx(0.05, abs=0.004)
    assert fit.region_sd_quarterly == pytest.approx(0.02, abs=0.008)
    assert fit.permanent_share > 0.9  # a pure random walk: no transient noise
    assert fit.growth_between_sd == pytest.approx(0.06, abs=0.03)
    assert fit.quarterly_df is None or fit.quarterly_df > 30  # normal noise was simulated
    table = fit.to_frame()
    rmse_raw = np.sqrt(np.mean((table["growth_raw"] - truth["growth"]) ** 2))
    rmse_shrunk = np.sqrt(np.mean((table["growth"] - truth["growth"]) ** 2))
    assert rmse_shrunk < 0.8 * rmse_raw  # shrinkage helps against the known truth
    assert table["shrinkage"].between(0, 1).all() and table["shrinkage"].mean() > 0.3


def test_annual_model_follows_the_documented_formulas(known):
    """mu = log sum_j w_j exp(j g / 4); sigma^2 = sigma_q^2 sum_m (sum_{j>=m} w_j)^2 for a random walk;
    base = sum_j exp(L + season_j) with w_j its quarterly shares, for the last quarter in 2024Q4."""
    fit, _ = known
    t = fit.to_frame()
    w = np.exp(fit.season.to_numpy())
    w = w / w.sum()  # veterans: ramp share 1 in every quarter
    h = np.arange(1, 5)
    mu = np.log(np.exp(np.outer(t["growth"] / 4, h)) @ w)
    np.testing.assert_allclose(t["mu"], mu, rtol=1e-10)
    c = np.array([w[m - 1 :].sum() for m in h])  # loading of the shock of quarter m
    var_q = t["sigma_quarterly"] ** 2
    expected = np.sqrt(
        fit.permanent_share * var_q * np.sum(c**2) + (1 - fit.permanent_share) / 2 * var_q * np.sum(w**2)
    )
    np.testing.assert_allclose(t["sigma"], expected, rtol=1e-10)
    # Q1 is the small quarter, so early shocks weigh a little more than with equal quarters (1.875)
    assert 1.875 < np.sum(c**2) < 1.95
    np.testing.assert_allclose(fit.model.median, t["base"] * np.exp(t["mu"]), rtol=1e-12)


def test_currency_unit_only_scales_the_base(known):
    """Revenue in CNY instead of 10k CNY: base and median scale by 10,000; growth, noise,
    shrinkage and every probability stay the same."""
    fit, _ = known
    perf, managers, _ = company()
    yuan = fit_performance_model(perf.assign(revenue=perf["revenue"] * 10_000), managers)
    np.testing.assert_allclose(yuan.model.base, fit.model.base * 10_000, rtol=1e-9)
    for column in ("mu", "sigma", "growth_uncertainty", "shrinkage"):
        np.testing.assert_allclose(yuan.to_frame()[column], fit.to_frame()[column], rtol=1e-8, atol=1e-12)
    targets = fit.model.median * 1.05
    np.testing.assert_allclose(
        yuan.model.hit_probability(targets * 10_000), fit.model.hit_probability(targets), atol=1e-9
    )


def test_annual_degrees_of_freedom_by_hand():
    # quarterly t(5): excess kurtosis 6; weights (1, .75, .5, .25): sum w^4 / (sum w^2)^2 = 1.3828 / 3.5156
    ratio = (1 + 0.75**4 + 0.5**4 + 0.25**4) / (1 + 0.75**2 + 0.5**2 + 0.25**2) ** 2
    assert annual_degrees_of_freedom(5.0, [1, 0.75, 0.5, 0.25]) == pytest.approx(4 + 6 / (6 * ratio))
    assert annual_degrees_of_freedom(5.0, [1, 0.75, 0.5, 0.25]) == pytest.approx(6.5424, abs=1e-4)
    assert annual_degrees_of_freedom(3.0, [1, 1]) == 3.0  # infinite kurtosis: the tail index stays
    assert annual_degrees_of_freedom(None, [1]) is None
    assert annual_degrees_of_freedom(60.0, [1, 1, 1, 1]) is None  # a sum of four t(60) is normal enough


def test_heavy_tails_are_found_and_can_be_switched_off():
    perf, managers, _ = company(300, noise_df=4.5, seed=3)
    fit = fit_performance_model(perf, managers)
    assert 3.0 < fit.quarterly_df < 8.0
    assert fit.annual_df is not None and fit.annual_df > fit.quarterly_df  # sums are lighter-tailed
    assert fit.model.df == fit.annual_df
    normal = fit_performance_model(perf, managers, heavy_tails=False)
    assert normal.model.df is None and normal.quarterly_df is None


def test_sample_company_ramp_season_and_region_shocks_match_the_truth(sample_config):
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))
    perf = pd.read_csv(SAMPLE / "performance.csv")
    managers = pd.read_csv(SAMPLE / "managers.csv", keep_default_na=False)
    fit = fit_performance_model(perf, managers, through="2024Q4")
    assert fit.ramp.source == "data" and fit.ramp.new_hires >= 40
    assert fit.ramp.first_year_share == pytest.approx(truth["ramp"]["first_year_mean"], abs=0.05)
    true_ramp = 1 - 0.75 * np.exp(-np.arange(8) / 3.0)  # spec: ramp_amplitude 0.75, ramp_scale 3
    np.testing.assert_allclose(fit.ramp.share(np.arange(8)), true_ramp, atol=0.05)
    # eight quarters see each quarter-to-quarter change twice; with the three years the error halves
    np.testing.assert_allclose(fit.season.to_numpy(), truth["spec"]["season"], atol=0.02)
    full = fit_performance_model(perf, managers)
    np.testing.assert_allclose(full.season.to_numpy(), truth["spec"]["season"], atol=0.013)
    # the error of the full-history ramp over samples of seeds 1-6 and both versions of data/sample: -0.026 to
    # +0.001 (mean -0.011, sd 0.009); this sample's is -0.021 (was -0.009 before rater leniency was added), so
    # the bound is 0.03 (was 0.02, which seed 2 broke as well)
    assert full.year == 2026 and full.ramp.first_year_share == pytest.approx(truth["ramp"]["first_year_mean"], abs=0.03)
    assert fit.region_sd_quarterly == pytest.approx(truth["spec"]["region_sd"], abs=0.01)
    t = fit.to_frame()
    # managers with a short history lean more on the team mean
    short, long_ = t[t["quarters_observed"].between(2, 4)], t[t["quarters_observed"] == 8]
    assert short["shrinkage"].mean() > long_["shrinkage"].mean() + 0.2
    # default selection: present in 2024Q4 and not gone before 2025, plus those hired for 2025Q1
    hires_2025q1 = managers["hire_date"].between("2025-01-01", "2025-03-31").sum()
    present = set(perf.loc[perf["period"] == "2024Q4", "manager_id"])
    gone = set(managers.loc[managers["leave_date"].str.startswith("2024"), "manager_id"])
    assert fit.model.n_managers == len(present - gone) + hires_2025q1


def test_few_new_hires_fall_back_to_the_default_ramp_and_config_overrides(small_company_master):
    perf = pd.read_csv(small_company_master / "performance.csv")
    managers = pd.read_csv(small_company_master / "managers.csv", keep_default_na=False)
    fit = fit_performance_model(perf, managers)
    assert fit.ramp.source == "default" and fit.ramp.first_year_share == 0.5
    np.testing.assert_allclose(fit.ramp.share([0, 3, 4, 6, 8, 20]), [0.5, 0.5, 0.6, 0.8, 1.0, 1.0])
    assert any("default of 50%" in note for note in fit.notes)
    configured = fit_performance_model(perf, managers, ramp_first_year_share=0.6)
    assert configured.ramp.source == "config"
    np.testing.assert_allclose(configured.ramp.share([0, 4, 8]), [0.6, 0.68, 1.0])
    # ramp_share: the mean share over the plan year's four quarters, e.g. tenure 2..5 -> (.6+.6+.68+.76)/4
    t = configured.to_frame()
    new = t[t["tenure_quarters"] < 8]
    assert len(new) >= 2
    for k, share in zip(new["tenure_quarters"], new["ramp_share"]):
        by_hand = np.mean([0.6 if q < 4 else min(1.0, 0.6 + 0.08 * (q - 3)) for q in range(k, k + 4)])
        assert share == pytest.approx(by_hand)
    assert (t.loc[t["tenure_quarters"] >= 8, "ramp_share"] == 1.0).all()


def test_seasonality_needs_five_quarters(small_company_master):
    perf = pd.read_csv(small_company_master / "performance.csv")
    managers = pd.read_csv(small_company_master / "managers.csv", keep_default_na=False)
    fit = fit_performance_model(perf, managers, through="2023Q4")
    assert not fit.season_estimated and (fit.season == 0).all()
    assert any("Seasonality could not be estimated" in note for note in fit.notes)
    assert fit.year == 2024


def test_bad_input_is_explained(small_company_master):
    perf = pd.read_csv(small_company_master / "performance.csv")
    managers = pd.read_csv(small_company_master / "managers.csv", keep_default_na=False)
    with pytest.raises(InsufficientHistory, match="At least two quarters"):
        fit_performance_model(perf[perf["period"] == "2023Q1"], managers)
    with pytest.raises(ValidationError, match="not in the managers table: M0001"):
        fit_performance_model(perf, managers[managers["manager_id"] != "M0001"])
    with pytest.raises(ConfigError, match="ramp_first_year_share must be above 0 and at most 1"):
        fit_performance_model(perf, managers, ramp_first_year_share=1.5)
    with pytest.raises(ConfigError, match="plan year 2024 must come after the last quarter used"):
        fit_performance_model(perf, managers, year=2024)
    with pytest.raises(ConfigError, match="needs the managers table"):
        fit_performance_model(perf)


# fit_performance_model runs in named stages (panel, ramp, seasonality, raw growth, region shocks and noise, tails,
# growth shrinkage, current level, next year). tests/reference/fit_sample_stages.json holds the fit of the one
# 236-line function it replaced, on data/sample (written once with that function; the staged fit matched it to
# the last digit). Regenerating data/sample means regenerating this file from a fit you have checked.
STAGE_CASES = {
    "default": {},
    "normal": {"heavy_tails": False},
    "through_2024Q4": {"through": "2024Q4"},
    "ramp_override": {"ramp_first_year_share": 0.6},
    "short": {"through": "2023Q3"},
}
STAGE_COLUMNS = ["growth_se", "growth", "base", "mu", "sigma", "growth_uncertainty"]
PER_MANAGER = ("default", "through_2024Q4")  # per-manager columns kept for these cases (file size)


def _stage_fingerprint(fit, case: str) -> dict:
    summary = fit.to_dict()
    columns = STAGE_COLUMNS if case in PER_MANAGER else []
    return {
        "summary": {k: v for k, v in summary.items() if k != "season"},
        "season": [float(x) for x in fit.season],
        "manager_id": fit.managers["manager_id"].tolist(),
        **{c: fit.managers[c].astype(float).tolist() for c in columns},
    }


@pytest.mark.parametrize("case", sorted(STAGE_CASES))
def test_staged_fit_equals_the_single_function_fit_on_the_sample(sample_config, case):
    from calibrate.loading import load_dataset

    expected = json.loads((ROOT / "tests" / "reference" / "fit_sample_stages.json").read_text())[case]
    fit = fit_performance_model(load_dataset(sample_config), **STAGE_CASES[case])
    got = json.loads(json.dumps(_stage_fingerprint(fit, case)))
    assert got["manager_id"] == expected["manager_id"]
    assert got["summary"].pop("notes") == expected["summary"].pop("notes")
    for key, value in expected["summary"].items():
        if isinstance(value, float):
            assert got["summary"][key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
        else:
            assert got["summary"][key] == value, key
    for column in ["season", *(STAGE_COLUMNS if case in PER_MANAGER else [])]:
        np.testing.assert_allclose(
            np.array(got[column], dtype=float),
            np.array(expected[column], dtype=float),
            rtol=1e-12,
            atol=1e-15,
            err_msg=column,
        )

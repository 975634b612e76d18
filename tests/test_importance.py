"""Tests for calibrate.weights.importance: LMG (Shapley) and Johnson's relative weights."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate.errors import CalibrateError, ValidationError
from calibrate.weights import importance
from calibrate.weights.importance import (
    MAX_LMG_PREDICTORS,
    lmg,
    lmg_from_corr,
    relative_weights,
    relative_weights_from_corr,
    subset_r_squared,
)

REFERENCE = Path(__file__).resolve().parent / "reference"


def _case(name: str) -> tuple[dict, pd.DataFrame]:
    case = json.loads((REFERENCE / name).read_text(encoding="utf-8"))
    return case, pd.DataFrame(case["rows"])


def _brute_force_lmg(r2: dict[frozenset, float], p: int) -> np.ndarray:
    """Average incremental R^2 over all p! orderings (the textbook LMG definition)."""
    out = np.zeros(p)
    for order in itertools.permutations(range(p)):
        seen: frozenset = frozenset()
        for j in order:
            out[j] += r2[seen | {j}] - r2[seen]
            seen = seen | {j}
    return out / math.factorial(p)


def _ols_r2_all_subsets(df: pd.DataFrame, outcome: str, names: list[str]) -> dict[frozenset, float]:
    r2 = {frozenset(): 0.0}
    for k in range(1, len(names) + 1):
        for subset in itertools.combinations(range(len(names)), k):
            x = sm.add_constant(df[[names[j] for j in subset]])
            r2[frozenset(subset)] = sm.OLS(df[outcome], x).fit().rsquared
    return r2


def _random_data(seed: int, n: int, p: int, mix: float = 0.4) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, p))
    x = z + mix * z @ rng.normal(size=(p, p))
    y = x @ rng.normal(size=p) + rng.normal(scale=2.0, size=n)
    names = [f"x{j}" for j in range(p)]
    df = pd.DataFrame(x, columns=names)
    df["y"] = y
    return df, names


# --------------------------------------------------------------------------- published cases


def test_swiss_lmg_matches_relaimpo():
    """tests/reference/swiss_lmg.json: R's swiss data (Mosteller & Tukey 1977), the example of
    Groemping (2006, JSS 17(1)); relaimpo's calc.relimp lmg output to 4 decimals
    (figures as quoted from relaimpo 2.2-7 output, see the file's figures_source)."""
    case, df = _case("swiss_lmg.json")
    result = lmg(df, case["outcome"], case["predictors"])
    assert result.n == 47
    assert round(result.r_squared, 4) == case["expected_r_squared_4dp"]
    for name, published in case["expected_lmg_4dp"].items():
        assert round(result.raw[name], 4) == pytest.approx(published, abs=1e-12), name
    for name, published in case["expected_lmg_relative_4dp"].items():
        assert round(result.normalised[name], 4) == pytest.approx(published, abs=1e-12), name


def test_attitude_general_dominance_matches_dominanceanalysis_readme():
    """tests/reference/attitude_dominance.json: R's attitude data (Chatterjee & Price 1977);
    general dominance (= LMG) printed to 3 decimals in the README of the R package
    dominanceanalysis (github clbustos/dominanceAnalysis), full-model R^2 0.733."""
    case, df = _case("attitude_dominance.json")
    result = lmg(df, case["outcome"], case["predictors"])
    assert round(result.r_squared, 3) == case["expected_r_squared_3dp"]
    for name, published in case["expected_general_dominance_3dp"].items():
        assert round(result.raw[name], 3) == pytest.approx(published, abs=1e-12), name


def test_mtcars_relative_weights_match_rwa_readme():
    """tests/reference/mtcars_relative_weights.json: R's mtcars (Henderson & Velleman 1981);
    Johnson's raw relative weights (7 digits), rescaled percentages (5 decimals) and R^2
    printed in the README of the R package rwa (github martinctc/rwa)."""
    case, df = _case("mtcars_relative_weights.json")
    result = relative_weights(df, case["outcome"], case["predictors"])
    assert round(result.r_squared, 7) == pytest.approx(case["expected_r_squared_7dp"], abs=1e-12)
    for name, published in case["expected_raw_relative_weights_7dp"].items():
        assert round(result.raw[name], 7) == pytest.approx(published, abs=1e-12), name
    for name, published in case["expected_rescaled_percent_5dp"].items():
        assert round(100 * result.normalised[name], 5) == pytest.approx(published, abs=1e-9), name


def test_relative_weights_are_close_to_lmg_on_swiss():
    """Johnson's weights approximate LMG: on swiss every share is within 0.02 R^2 units
    (largest gap: Examination 0.1547 vs 0.1712) and the ranking is the same."""
    case, df = _case("swiss_lmg.json")
    rw = relative_weights(df, case["outcome"], case["predictors"])
    sh = lmg(df, case["outcome"], case["predictors"])
    assert np.max(np.abs(rw.raw - sh.raw)) < 0.02
    assert list(rw.raw.sort_values().index) == list(sh.raw.sort_values().index)
    assert rw.r_squared == pytest.approx(sh.r_squared, abs=1e-14)


# --------------------------------------------------------------------------- known truths


def test_lmg_matches_brute_force_statsmodels_ols_for_five_predictors():
    """Every one of the 32 subset R^2 values and the 5 LMG shares agree with refitting
    statsmodels OLS on each subset and averaging over all 120 orderings."""
    df, names = _random_data(seed=7, n=300, p=5)
    ols = _ols_r2_all_subsets(df, "y", names)
    corr = df[["y", *names]].corr().to_numpy()
    r2 = subset_r_squared(corr[1:, 1:], corr[1:, 0])
    assert len(r2) == 32
    for mask in range(32):
        subset = frozenset(j for j in range(5) if mask >> j & 1)
        assert r2[mask] == pytest.approx(ols[subset], abs=1e-12), sorted(subset)
    result = lmg(df, "y", names)
    assert result.raw.to_numpy() == pytest.approx(_brute_force_lmg(ols, 5), abs=1e-12)


def test_orthogonal_predictors_get_their_squared_correlations():
    """With exactly uncorrelated predictors both LMG and relative weights equal r_jy^2."""
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(200, 4))
    q, _ = np.linalg.qr(raw - raw.mean(axis=0))  # centred, mutually orthogonal
    x = q * 10.0
    y = x @ np.array([3.0, -2.0, 1.0, 0.5]) + rng.normal(scale=5.0, size=200)
    df = pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(y=y)
    r = df.corr()["y"][["a", "b", "c", "d"]].to_numpy()
    assert lmg(df, "y", ["a", "b", "c", "d"]).raw.to_numpy() == pytest.approx(r**2, abs=1e-12)
    assert relative_weights(df, "y", ["a", "b", "c", "d"]).raw.to_numpy() == pytest.approx(r**2, abs=1e-12)


def test_two_predictors_by_hand():
    """r12 = 0.5, ry1 = 0.6, ry2 = 0.4: R^2 = (0.36 + 0.16 - 2*0.6*0.4*0.5) / (1 - 0.25) = 0.37333.
    LMG_1 = (0.36 + (R^2 - 0.16)) / 2 = 0.28667, LMG_2 = R^2 - LMG_1 = 0.08667; with two
    predictors Johnson's weights are the same."""
    r_xx = np.array([[1.0, 0.5], [0.5, 1.0]])
    r_xy = np.array([0.6, 0.4])
    r2 = 0.28 / 0.75
    expected = [(0.36 + r2 - 0.16) / 2, (0.16 + r2 - 0.36) / 2]
    assert lmg_from_corr(r_xx, r_xy) == pytest.approx(expected, abs=1e-15)
    assert relative_weights_from_corr(r_xx, r_xy) == pytest.approx(expected, abs=1e-12)
    assert subset_r_squared(r_xx, r_xy) == pytest.approx([0.0, 0.36, 0.16, r2], abs=1e-15)


def test_single_predictor_gets_all_of_r_squared():
    df, _ = _random_data(seed=1, n=50, p=1)
    result = lmg(df, "y", ["x0"])
    assert result.raw["x0"] == pytest.approx(df.corr().loc["x0", "y"] ** 2, abs=1e-14)
    assert result.normalised["x0"] == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 9), st.floats(0.0, 2.0))
def test_lmg_components_sum_to_r_squared(seed, p, mix):
    df, names = _random_data(seed=seed, n=60, p=p, mix=mix)
    result = lmg(df, "y", names)
    full = sm.OLS(df["y"], sm.add_constant(df[names])).fit().rsquared
    assert result.r_squared == pytest.approx(full, abs=1e-10)
    assert result.raw.sum() == pytest.approx(result.r_squared, abs=1e-12)
    assert result.normalised.sum() == pytest.approx(1.0, abs=1e-12)
    assert (result.raw >= 0).all()
    rw = relative_weights(df, "y", names)
    assert rw.raw.sum() == pytest.approx(result.r_squared, abs=1e-10)
    assert (rw.raw >= -1e-15).all()


def test_twenty_predictors_are_exact_and_consistent():
    """p = 20 (1,048,576 subsets): the shares sum to R^2, the full-model entry equals R^2,
    and one interior subset agrees with a direct solve."""
    df, names = _random_data(seed=11, n=10_000, p=20)
    corr = df[["y", *names]].corr().to_numpy()
    r2 = subset_r_squared(corr[1:, 1:], corr[1:, 0])
    assert r2.shape == (1 << 20,) and r2.dtype == np.float64
    subset = [1, 4, 5, 13, 19]
    mask = sum(1 << j for j in subset)
    s = np.array(subset)
    direct = corr[1:, 0][s] @ np.linalg.solve(corr[1:, 1:][np.ix_(s, s)], corr[1:, 0][s])
    assert r2[mask] == pytest.approx(direct, abs=1e-12)
    result = lmg(df, "y", names)
    assert result.raw.sum() == pytest.approx(r2[-1], abs=1e-12)
    assert result.r_squared == pytest.approx(r2[-1], abs=1e-12)


def test_subset_r_squared_does_not_depend_on_chunking(monkeypatch):
    """Splitting the sweep into chunks of parent subsets gives bit-identical results."""
    df, names = _random_data(seed=5, n=500, p=12)
    corr = df[["y", *names]].corr().to_numpy()
    whole = subset_r_squared(corr[1:, 1:], corr[1:, 0])
    monkeypatch.setattr(importance, "_SWEEP_BUDGET", 500)
    chunked = subset_r_squared(corr[1:, 1:], corr[1:, 0])
    assert importance._sweep_peak(12) > 500  # the chunked path was really taken
    assert np.array_equal(whole, chunked)


def test_result_frame_and_summary():
    case, df = _case("swiss_lmg.json")
    result = lmg(df, case["outcome"], case["predictors"])
    frame = result.to_frame()
    assert list(frame.columns) == ["predictor", "raw", "normalised", "rank", "method", "outcome", "r_squared", "n"]
    assert frame.set_index("predictor")["rank"].to_dict() == {
        "Education": 1,
        "Examination": 2,
        "Infant.Mortality": 3,
        "Catholic": 4,
        "Agriculture": 5,
    }
    assert "R^2 = 0.7067 (n = 47)" in str(result.summary())


# --------------------------------------------------------------------------- bad input


def test_missing_values_name_the_column():
    df, names = _random_data(seed=2, n=40, p=3)
    df.loc[[4, 9], "x1"] = np.nan
    with pytest.raises(
        ValidationError,
        match=r"data, column x1: 2 missing value\(s\) \(index 4, 9\); fill them, or "
        r"pass missing='drop'",
    ):
        lmg(df, "y", names)
    dropped = lmg(df, "y", names, missing="drop")
    assert dropped.n == 38


def test_missing_column_is_named():
    df, names = _random_data(seed=2, n=40, p=3)
    with pytest.raises(ValidationError, match=r"column nps: column not found"):
        relative_weights(df, "y", [*names, "nps"])


def test_text_in_a_numeric_column_is_named():
    df, names = _random_data(seed=2, n=40, p=3)
    df["x2"] = df["x2"].astype(object)
    df.loc[3, "x2"] = "n/a"
    with pytest.raises(ValidationError, match=r"column x2: is not numeric: 'n/a' \(index 3\)"):
        lmg(df, "y", names)


def test_constant_column_is_named():
    df, names = _random_data(seed=2, n=40, p=3)
    df["x0"] = 5.0
    with pytest.raises(ValidationError, match=r"column x0: has the same value \(5\) in every row"):
        lmg(df, "y", names)


def test_collinear_predictors_are_named():
    df, names = _random_data(seed=2, n=40, p=3)
    df["total"] = df["x0"] + df["x1"]
    with pytest.raises(CalibrateError, match=r"predictors .*total.* are perfectly collinear"):
        lmg(df, "y", [*names, "total"])


def test_too_many_predictors_suggests_relative_weights():
    df, names = _random_data(seed=2, n=100, p=MAX_LMG_PREDICTORS + 1)
    with pytest.raises(
        CalibrateError,
        match=r"LMG with 23 predictors needs 8,388,608 subset models; "
        r"the limit is 22\. Use relative_weights\(\)",
    ):
        lmg(df, "y", names)
    assert relative_weights(df, "y", names).raw.sum() == pytest.approx(relative_weights(df, "y", names).r_squared)


def test_too_few_rows_and_outcome_as_predictor():
    df, names = _random_data(seed=2, n=4, p=3)
    with pytest.raises(
        CalibrateError,
        match=r"4 complete row\(s\) for 3 predictor\(s\); a regression "
        r"needs at least 5",
    ):
        lmg(df, "y", names)
    with pytest.raises(CalibrateError, match=r"y is both the outcome and a predictor"):
        lmg(df, "y", ["y", "x0"])


def test_covariance_instead_of_correlation_is_refused():
    with pytest.raises(CalibrateError, match=r"pass a correlation matrix"):
        lmg_from_corr(np.array([[4.0, 1.0], [1.0, 2.0]]), np.array([0.3, 0.2]))
    with pytest.raises(CalibrateError, match=r"imply R\^2 = .* > 1"):
        lmg_from_corr(np.eye(2), np.array([0.9, 0.9]))

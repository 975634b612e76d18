"""PLS options a researcher expects: missing answers (mean replacement) and unscaled indicators.

Published references, stored in tests/reference/ with their sources inside:

- ``corp_rep.csv`` + ``seminr_corp_rep_missing.json``: the corporate-reputation
  survey of Hair, Hult, Ringle & Sarstedt (2017), *A Primer on PLS-SEM* (2nd ed.),
  344 rows with answers missing (coded -99), and seminr's path estimates of the
  extended model fitted with ``missing = mean_replacement`` (seminr fixture
  ``tests/fixtures/V_3_6_0/missing_cases_paths.csv``).
- ``russa.csv`` + ``plspm_russa_missing.json``: R plspm's ``russa`` data (Russett
  1964) with three answers removed and R plspm's inner summary (R², block
  communality, mean redundancy) from its available-case (pairwise) algorithm.
- ``satisfaction.csv`` + ``plspm_satisfaction_unscaled.json``: R plspm's
  ``satisfaction`` data (Sanchez 2013, *PLS Path Modeling with R*) and R plspm's
  estimates with ``scaled = FALSE`` (fixtures of GoogleCloudPlatform/plspm-python).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibrate.errors import CalibrateError, ValidationError
from calibrate.pls import fit_pls, path_model

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def corp_rep() -> tuple[pd.DataFrame, dict]:
    data = pd.read_csv(REFERENCE / "corp_rep.csv", sep=";", na_values=[-99])
    return data, json.loads((REFERENCE / "seminr_corp_rep_missing.json").read_text())


@pytest.fixture(scope="module")
def satisfaction() -> tuple[pd.DataFrame, dict]:
    data = pd.read_csv(REFERENCE / "satisfaction.csv")
    return data, json.loads((REFERENCE / "plspm_satisfaction_unscaled.json").read_text())


def _model(ref: dict):
    return path_model(ref["blocks"], [tuple(p[:2]) for p in ref["paths"]], ref.get("modes"))


# --- mean replacement: seminr on the corporate-reputation data ----------------------------------------


def test_corp_rep_data_is_the_published_table(corp_rep):
    data, ref = corp_rep
    assert data.shape == (344, 46)
    # seminr's descriptives also list columns its later copy of the data added (switch_1-4)
    shared = [c for c in ref["means"] if c in data.columns]
    assert len(shared) == 46
    assert {c: int(n) for c, n in data[shared].isna().sum().items() if n} == ref["missing_cells"]
    np.testing.assert_allclose(data[shared].mean().to_numpy(), [ref["means"][c] for c in shared], rtol=0, atol=1e-13)


def test_mean_replacement_reproduces_seminr_paths_to_14_digits(corp_rep):
    # seminr: estimate_pls(corp_rep_data, ..., inner_weights = path_factorial, missing = mean_replacement,
    # missing_value = "-99", stopCriterion = 1) -> missing_cases_paths.csv, column "Original Est."
    data, ref = corp_rep
    model = _model(ref)
    previous = None
    for updates in range(1, 20):  # seminr stops when the sum of |weight changes| < 10^-1
        fit = fit_pls(data, model, scheme="factorial", tol=0.0, max_iter=updates, missing="mean")
        weights = fit.outer["weight"].to_numpy()
        if previous is not None and np.abs(weights - previous).sum() < 1e-1:
            break
        previous = weights
    assert updates == 2
    assert fit.missing == "mean" and fit.n_imputed == 3 + 4 + 3 + 1  # cusl_1-3, cusa
    paths = fit.path_matrix()
    assert len(ref["paths"]) == 13
    for source, target, value in ref["paths"]:
        assert paths.loc[source, target] == pytest.approx(value, abs=1e-13), (source, target)
    assert "replaced by their column mean" in fit.summary_text()


def test_missing_answers_are_refused_by_default_with_the_row_and_the_option(corp_rep):
    data, ref = corp_rep
    with pytest.raises(ValidationError) as err:
        fit_pls(data, _model(ref), source="corp_rep.csv")
    assert (
        "corp_rep.csv row 179, column cusa: value is missing; fill it, drop the row, or fit with missing='mean'"
    ) in str(err.value)
    with pytest.raises(CalibrateError, match="missing='drop' is not one of error, mean, pairwise"):
        fit_pls(data, _model(ref), missing="drop")


def test_mean_replacement_refuses_a_column_without_answers(corp_rep):
    data, ref = corp_rep
    empty = data.assign(cusa=np.nan)
    with pytest.raises(ValidationError, match="column cusa: has 0 answered row"):
        fit_pls(empty, _model(ref), missing="mean")


def test_mean_replacement_leaves_complete_data_unchanged(satisfaction):
    data, ref = satisfaction
    a = fit_pls(data, _model(ref))
    b = fit_pls(data, _model(ref), missing="mean")
    pd.testing.assert_frame_equal(a.outer, b.outer)
    assert b.n_imputed == 0


# --- pairwise (available-case): R plspm on russa with missing answers ---------------------------------


@pytest.fixture(scope="module")
def russa() -> tuple[pd.DataFrame, dict]:
    ref = json.loads((REFERENCE / "plspm_russa_missing.json").read_text())
    data = pd.read_csv(REFERENCE / "russa.csv", index_col="country")
    for country, column in ref["removed_cells"]:
        data.loc[country, column] = np.nan
    return data, ref


def test_pairwise_reproduces_r_plspm_with_missing_answers(russa):
    # R plspm (nonmetric algorithm, all "num", centroid, tol 1e-7) -> russa.missing.inner_summary.csv.
    # plspm stops when the summed squared change of the scores is below 1e-7, so its printed
    # figures agree with the converged ones to about 1e-6.
    data, ref = russa
    fit = fit_pls(data, _model(ref), scheme="centroid", missing="pairwise")
    assert fit.converged and fit.n_imputed == 3 and fit.missing == "pairwise"
    assert "3 cell(s) left out (pairwise" in fit.summary_text()
    communality = (fit.outer["loading"] ** 2).groupby(fit.outer["lv"]).mean()
    published = ref["inner_summary"]
    assert fit.r_squared["POLINS"] == pytest.approx(published["POLINS"]["r_squared"], abs=1e-6)
    for lv in ("AGRI", "IND", "POLINS"):
        assert communality[lv] == pytest.approx(published[lv]["block_communality"], abs=1e-6), lv
    assert communality["POLINS"] * fit.r_squared["POLINS"] == pytest.approx(
        published["POLINS"]["mean_redundancy"], abs=1e-6
    )
    # mean replacement is a different estimator: it misses plspm's figure
    filled = fit_pls(data, _model(ref), scheme="centroid", missing="mean")
    assert abs(filled.r_squared["POLINS"] - published["POLINS"]["r_squared"]) > 3e-3


def test_pairwise_equals_the_usual_fit_on_complete_answers(satisfaction):
    data, ref = satisfaction
    a = fit_pls(data, _model(ref), scheme="centroid")
    b = fit_pls(data, _model(ref), scheme="centroid", missing="pairwise")
    np.testing.assert_allclose(b.outer["weight"], a.outer["weight"], atol=1e-8)
    np.testing.assert_allclose(b.outer["loading"], a.outer["loading"], atol=1e-9)
    np.testing.assert_allclose(b.paths["coefficient"], a.paths["coefficient"], atol=1e-9)
    pd.testing.assert_frame_equal(a.reliability, b.reliability, atol=1e-9)


def test_pairwise_bootstrap_and_refusals(russa, corp_rep):
    data, ref = russa
    fit = fit_pls(data, _model(ref), missing="pairwise", n_boot=40, seed=2)
    assert fit.bootstrap.n_failed < 40 and np.isfinite(fit.bootstrap.paths["std_error"]).all()
    gaps = data.copy()
    gaps.loc["Belgium", ["gnpr", "labo"]] = np.nan
    with pytest.raises(CalibrateError, match=r"row\(s\) 5 answer no indicator of block 'IND'"):
        fit_pls(gaps, _model(ref), missing="pairwise")
    corp, corp_ref = corp_rep
    with pytest.raises(CalibrateError, match="formative \\(mode B\\) and has missing answers"):
        fit_pls(corp.assign(qual_1=corp["qual_1"].where(corp.index != 3)), _model(corp_ref), missing="pairwise")


# --- scaled = FALSE: R plspm on the satisfaction data -------------------------------------------------


def test_unscaled_fit_reproduces_r_plspm_scaled_false(satisfaction):
    # R plspm: plspm(satisfaction, sat_path, sat_blocks, modes = rep("A", 6), scaled = FALSE)
    # (centroid scheme, tol 1e-6); weights, loadings and the paths into SAT from
    # satisfaction.outer-model.csv and satisfaction.inner-model.csv. plspm normalises scores
    # to variance 1 with divisor n, calibrate (like SmartPLS and seminr) with n - 1, so
    # plspm's weights are ours times sqrt(n / (n - 1)). plspm stopped at tol 1e-6 on the
    # squared weight change, so its printed figures agree with the converged ones to 1e-6.
    data, ref = satisfaction
    fit = fit_pls(data, _model(ref), scheme="centroid", scaled=False)
    n = len(data)
    outer = fit.outer.set_index("indicator")
    published = pd.DataFrame(ref["outer_model"]).T
    assert len(published) == 27
    np.testing.assert_allclose(
        outer.loc[published.index, "weight"] * np.sqrt(n / (n - 1)), published["weight"], rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(outer.loc[published.index, "loading"], published["loading"], rtol=0, atol=1e-6)
    paths = fit.path_matrix()
    for source, value in ref["paths_to_SAT"].items():
        assert paths.loc[source, "SAT"] == pytest.approx(value, abs=1e-6)
    assert not fit.scaled and "centred (unscaled) data" in fit.summary_text()


def test_standardized_fit_differs_from_the_unscaled_reference(satisfaction):
    # the option matters on this data: the standardized fit misses plspm's scaled = FALSE weights
    data, ref = satisfaction
    fit = fit_pls(data, _model(ref), scheme="centroid")
    weights = fit.outer.set_index("indicator")["weight"] * np.sqrt(len(data) / (len(data) - 1))
    published = pd.Series({k: v["weight"] for k, v in ref["outer_model"].items()})
    assert (weights[published.index] - published).abs().max() > 0.1


def test_unscaled_weights_apply_to_centred_raw_answers(satisfaction):
    data, ref = satisfaction
    fit = fit_pls(data, _model(ref), scaled=False, n_boot=20, seed=3)
    block = ref["blocks"]["SAT"]
    raw = data[block] - data[block].mean()
    weights = fit.outer.set_index("indicator").loc[block, "weight"].to_numpy()
    np.testing.assert_allclose(raw.to_numpy() @ weights, fit.scores["SAT"].to_numpy(), atol=1e-10)
    assert fit.bootstrap is not None and fit.bootstrap.n_failed == 0

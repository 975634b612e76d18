"""PLS path modelling (calibrate.pls) and the ECSI model (calibrate.ecsi).

Published references, stored in tests/reference/ with their sources inside:

- ``mobi.csv``: the ECSI mobile-phone survey (250 x 24) of Tenenhaus, Esposito
  Vinzi, Chatelin & Lauro (2005), "PLS path modeling", CSDA 48, 159-205, as
  shipped with the R packages semPLS and seminr.
- ``ecsi_mobi_smartpls.json``: SmartPLS 2.0.M3 estimates of the full ECSI
  model (path, centroid and factorial weighting) printed to 8 decimals, from
  the regression fixtures of the R package semPLS
  (cran/semPLS tests/SmartPLS/results/ecsi/).
- ``ecsi_mobi_seminr.json``: seminr estimates on mobi (R², Cronbach's alpha,
  composite reliability, AVE; a model with a formative block), 15 digits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate.ecsi import ECSI_PATHS, MOBI_BLOCKS, fit_ecsi
from calibrate.errors import CalibrateError, ConfigError, ValidationError
from calibrate.pls import average_variance_extracted, composite_reliability, cronbach_alpha, fit_pls, path_model
from calibrate.pls.bootstrap import align_signs

REFERENCE = Path(__file__).parent / "reference"
ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "mobi.csv")


@pytest.fixture(scope="module")
def smartpls() -> dict:
    return json.loads((REFERENCE / "ecsi_mobi_smartpls.json").read_text())


@pytest.fixture(scope="module")
def seminr() -> dict:
    return json.loads((REFERENCE / "ecsi_mobi_seminr.json").read_text())


def _ours(ref: dict, name: str) -> str:
    return ref["latent_variable_names"][name]


def _published_and_ours(fit, ref: dict, scheme: str, parts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    pub = ref["schemes"][scheme]
    want, got = [], []
    paths, weights = fit.path_matrix(), fit.outer.set_index("indicator")["weight"]
    effects = fit.total_effects.set_index(["from", "to"])["total"]
    for e in pub["path_coefficients"] if "paths" in parts else []:
        want.append(e["value"])
        got.append(paths.loc[_ours(ref, e["from"]), _ours(ref, e["to"])])
    for e in pub.get("total_effects", []) if "total_effects" in parts else []:
        want.append(e["value"])
        got.append(effects[(_ours(ref, e["from"]), _ours(ref, e["to"]))])
    for indicator, row in pub.get("cross_loadings", {}).items() if "cross_loadings" in parts else []:
        for lv, value in row.items():
            want.append(value)
            got.append(fit.cross_loadings.loc[indicator, _ours(ref, lv)])
    for indicator, value in pub["outer_weights"].items() if "weights" in parts else []:
        want.append(value)
        got.append(weights[indicator])
    return np.array(want), np.array(got)


# --- Published case 1: SmartPLS 2.0.M3 on the ECSI model (semPLS fixtures), 8 decimals -------------


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_smartpls_paths_loadings_and_effects_match_to_8_decimals(mobi, smartpls, scheme):
    # SmartPLS reports the LV-based estimates from the scores of its 5th weight update
    # (its readMe: "converged after 5 iterations"); after 5 updates ours agree to every printed digit.
    fit = fit_ecsi(mobi, scheme=scheme, tol=0.0, max_iter=5)
    parts = ("paths", "total_effects", "cross_loadings") if scheme == "path" else ("paths",)
    want, got = _published_and_ours(fit, smartpls, scheme, parts)
    assert len(want) == (12 + 21 + 24 * 7 if scheme == "path" else 12)
    np.testing.assert_array_equal(np.round(got, 8), np.round(want, 8))


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_smartpls_outer_weights_match_to_8_decimals(mobi, smartpls, scheme):
    # SmartPLS's abort criterion 1e-7 on the largest weight change stops after the 6th update,
    # whose weights it reports.
    fit = fit_ecsi(mobi, scheme=scheme, tol=1e-7)
    assert fit.converged and fit.iterations == 6
    want, got = _published_and_ours(fit, smartpls, scheme, ("weights",))
    assert len(want) == 24
    np.testing.assert_array_equal(np.round(got, 8), np.round(want, 8))


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_fully_converged_fit_is_within_3e8_of_every_smartpls_figure(mobi, smartpls, scheme):
    fit = fit_ecsi(mobi, scheme=scheme)  # default tolerance 1e-10
    want, got = _published_and_ours(fit, smartpls, scheme, ("paths", "total_effects", "cross_loadings", "weights"))
    assert fit.converged
    assert len(want) == (12 + 21 + 24 * 7 + 24 if scheme == "path" else 12 + 24)
    np.testing.assert_allclose(got, want, rtol=0, atol=3e-8)


# --- Published case 2: seminr on mobi, 15 digits -----------------------------------------------------


def _model(spec: dict):
    return path_model(spec["blocks"], [tuple(p) for p in spec["paths"]], spec["modes"])


def _fit_until_seminr_stops(data: pd.DataFrame, model) -> tuple[object, int]:
    """Refit with 1, 2, ... weight updates until seminr's rule fires: sum of |weight changes| < 1e-7."""
    previous = None
    for updates in range(1, 50):
        fit = fit_pls(data, model, tol=0.0, max_iter=updates)
        weights = fit.outer["weight"].to_numpy()
        if previous is not None and np.abs(weights - previous).sum() < 1e-7:
            return fit, updates
        previous = weights
    raise AssertionError("seminr's stopping rule never fired")


def test_seminr_r_squared_and_reliability_match_all_published_digits(mobi, seminr):
    spec = seminr["satisfaction_model"]
    fit, updates = _fit_until_seminr_stops(mobi, _model(spec))
    assert updates == 6
    assert fit.r_squared["Satisfaction"] == pytest.approx(spec["r_squared"]["Satisfaction"], abs=1e-14)
    table = fit.reliability.set_index("lv")
    for lv, published in spec["reliability"].items():
        assert table.loc[lv, "cronbach_alpha"] == pytest.approx(published["alpha"], abs=1e-14)
        assert table.loc[lv, "composite_reliability"] == pytest.approx(published["rhoC"], abs=1e-14)
        assert table.loc[lv, "ave"] == pytest.approx(published["AVE"], abs=1e-14)
    converged = fit_pls(mobi, _model(spec))
    assert converged.r_squared["Satisfaction"] == pytest.approx(0.590603320, abs=1e-9)


def test_seminr_formative_quality_block_matches_to_8_decimals(mobi, seminr):
    spec = seminr["formative_quality_model"]
    fit = fit_pls(mobi, _model(spec))
    paths = fit.path_matrix()
    for source, target, value in spec["path_coefficients"]:
        assert paths.loc[source, target] == pytest.approx(value, abs=1e-9)
    outer = fit.outer.set_index("indicator")
    for indicator, (weight, loading) in spec["outer_model"].items():
        assert outer.loc[indicator, "weight"] == pytest.approx(weight, abs=1e-8)
        assert outer.loc[indicator, "loading"] == pytest.approx(loading, abs=1e-8)
    assert outer.loc["PERQ6", "mode"] == "B" and outer.loc["PERQ6", "weight"] < 0


# --- Reliability by hand -----------------------------------------------------------------------------


def test_cronbach_alpha_composite_reliability_and_ave_by_hand():
    items = np.array([[1, 2, 2], [2, 3, 4], [3, 5, 4], [4, 4, 5]], dtype=float)
    # item variances 5/3, 5/3, 4.75/3; variance of the row sums (5, 9, 12, 13) is 38.75/3
    assert cronbach_alpha(items, standardized=False) == pytest.approx(1.5 * (1 - 14.75 / 38.75), abs=1e-12)
    assert cronbach_alpha(items, standardized=False) == pytest.approx(0.9290322580645161, abs=1e-12)
    r = np.corrcoef(items, rowvar=False)[np.triu_indices(3, 1)].mean()  # mean inter-item correlation
    assert cronbach_alpha(pd.DataFrame(items)) == pytest.approx(3 * r / (1 + 2 * r), abs=1e-12)
    assert cronbach_alpha(items) == pytest.approx(0.92916, abs=1e-5)
    assert np.isnan(cronbach_alpha(items[:, :1]))
    assert composite_reliability([0.8, 0.7, 0.6]) == pytest.approx(2.1**2 / (2.1**2 + 1.51), abs=1e-12)
    assert average_variance_extracted([0.8, 0.7, 0.6]) == pytest.approx((0.64 + 0.49 + 0.36) / 3, abs=1e-12)


# --- Bootstrap ---------------------------------------------------------------------------------------


def test_bootstrap_is_determined_by_the_seed(mobi):
    a = fit_ecsi(mobi, n_boot=60, seed=7).bootstrap
    b = fit_ecsi(mobi, n_boot=60, seed=np.random.default_rng(7)).bootstrap
    c = fit_ecsi(mobi, n_boot=60, seed=8).bootstrap
    pd.testing.assert_frame_equal(a.paths, b.paths)
    pd.testing.assert_frame_equal(a.loadings, b.loadings)
    assert not np.allclose(a.paths["lower"], c.paths["lower"])
    assert a.n_failed == 0 and len(a.path_draws) == 60


def test_bootstrap_intervals_are_plausible_for_mobi(mobi):
    fit = fit_ecsi(mobi, n_boot=120, seed=0)
    paths = fit.to_frame("paths").set_index(["from", "to"])
    first = paths.loc[("image", "expectation")]
    assert first["coefficient"] == pytest.approx(0.50491393, abs=1e-8)
    assert first["lower"] < first["coefficient"] < first["upper"]
    # a correlation of 0.505 on 250 rows has standard error about (1 - r^2) / sqrt(n) = 0.047
    assert first["std_error"] == pytest.approx(0.047, abs=0.015)
    loads = fit.to_frame("outer").set_index("indicator")
    assert (loads.drop(index=["CUSL2", "CUSCO"])["loading_lower"] > 0.3).all()  # aligned: no sign flips
    assert "95% percentile intervals" in str(fit.summary())


def test_sign_alignment_undoes_a_flipped_latent_variable():
    columns = (np.array([0, 1]), np.array([2, 3]))
    reference = np.array([0.8, 0.7, 0.9, 0.6])
    paths = np.array([[0.0, -0.4], [0.0, 0.0]])  # a resample whose second LV came out flipped
    aligned_paths, aligned_loadings = align_signs(paths, np.array([0.8, 0.7, -0.9, -0.6]), reference, columns)
    np.testing.assert_allclose(aligned_loadings, reference)
    assert aligned_paths[0, 1] == pytest.approx(0.4)


# --- Known truth on synthetic data -------------------------------------------------------------------


def test_formative_weights_and_path_recovered_from_known_structure():
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.multivariate_normal(np.zeros(3), [[1, 0.3, 0.2], [0.3, 1, 0.1], [0.2, 0.1, 1]], size=n)
    true_w = np.array([0.6, 0.3, -0.4])
    cause = x @ true_w / np.std(x @ true_w, ddof=1)
    effect = 0.6 * cause + 0.8 * rng.normal(size=n)
    ys = 0.85 * effect[:, None] + np.sqrt(1 - 0.85**2) * rng.normal(size=(n, 4))
    data = pd.DataFrame(np.column_stack([x, ys]), columns=["x1", "x2", "x3", "y1", "y2", "y3", "y4"])
    model = path_model(
        {"cause": ["x1", "x2", "x3"], "effect": ["y1", "y2", "y3", "y4"]}, [("cause", "effect")], modes={"cause": "B"}
    )
    fit = fit_pls(data, model)
    scaled_w = true_w / np.sqrt(true_w @ np.cov(x, rowvar=False) @ true_w)
    np.testing.assert_allclose(fit.outer["weight"][:3], scaled_w, atol=0.04)
    rho = 3.4**2 / (3.4**2 + 4 * (1 - 0.85**2))  # composite reliability of the effect block
    assert fit.path_matrix().loc["cause", "effect"] == pytest.approx(0.6 * np.sqrt(rho), abs=0.03)


@settings(max_examples=15, deadline=None)
@given(
    column=st.sampled_from(["IMAG2", "CUEX1", "PERV2", "CUSA3"]), scale=st.floats(0.01, 100), shift=st.floats(-50, 50)
)
def test_results_do_not_change_when_an_indicator_is_rescaled(column, scale, shift):
    data = pd.read_csv(REFERENCE / "mobi.csv")
    blocks = {k: MOBI_BLOCKS[k] for k in ("image", "expectation", "value", "satisfaction")}
    model = path_model(blocks, [("image", "satisfaction"), ("expectation", "satisfaction"), ("value", "satisfaction")])
    before = fit_pls(data, model).paths["coefficient"].to_numpy()
    data[column] = data[column] * scale + shift
    after = fit_pls(data, model).paths["coefficient"].to_numpy()
    np.testing.assert_allclose(after, before, atol=1e-9)


# --- Clear errors ------------------------------------------------------------------------------------


def test_non_numeric_answer_is_reported_with_row_and_column(mobi):
    data = mobi.astype({"PERQ3": object})
    data.loc[4, "PERQ3"] = "eight"
    with pytest.raises(ValidationError) as err:
        fit_ecsi(data, source="survey.csv")
    assert "survey.csv row 6, column PERQ3: 'eight' is not a number" in str(err.value)


def test_missing_answers_are_reported_with_row_and_column(mobi):
    data = mobi.astype({"CUSA2": float})
    data.loc[[9, 30], "CUSA2"] = np.nan
    with pytest.raises(ValidationError) as err:
        fit_ecsi(data)
    assert len(err.value.problems) == 2
    assert "data row 11, column CUSA2: value is missing" in str(err.value)
    assert "data row 32, column CUSA2" in str(err.value)


def test_constant_indicator_is_named(mobi):
    data = mobi.assign(IMAG3=7)
    with pytest.raises(ValidationError, match=r"column IMAG3: has the same value \(7\) in every row.*'image'"):
        fit_ecsi(data)


def test_missing_column_is_named(mobi):
    with pytest.raises(ValidationError, match="column CUEX2: column not found; block 'expectation'"):
        fit_ecsi(mobi.drop(columns="CUEX2"))


def test_path_to_an_unknown_latent_variable_is_named():
    with pytest.raises(
        ConfigError,
        match=r"path image -> satisfacton names an unknown latent variable "
        r"'satisfacton' \(did you mean 'satisfaction'\?\)",
    ):
        path_model(MOBI_BLOCKS, [*ECSI_PATHS, ("image", "satisfacton")])


def test_cycles_and_isolated_blocks_are_refused():
    blocks = {"a": ["a1"], "b": ["b1"], "c": ["c1"]}
    with pytest.raises(ConfigError, match="paths form a cycle a -> b -> c -> a"):
        path_model(blocks, [("a", "b"), ("b", "c"), ("c", "a")])
    with pytest.raises(ConfigError, match="latent variable\\(s\\) c take part in no path"):
        path_model(blocks, [("a", "b")])


def test_collinear_formative_block_is_named(mobi):
    data = mobi.assign(PERV3=mobi["PERV1"] + mobi["PERV2"])
    blocks = {**MOBI_BLOCKS, "value": ("PERV1", "PERV2", "PERV3")}
    with pytest.raises(CalibrateError, match="block 'value' \\(mode B\\) has perfectly collinear indicators"):
        fit_ecsi(data, blocks, modes={"value": "B"})


# --- Notebook ------------------------------------------------------------------------------------------


@pytest.mark.notebook
def test_notebook_runs_under_papermill(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "11_ecsi.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "11_ecsi.ipynb"),
        str(out),
        parameters={"bootstrap": 10, "seed": 1},
        cwd=str(ROOT),
        progress_bar=False,
    )
    text = out.read_text()
    assert "inner weighting: path" in text and "0.505" in text and "image/png" in text

"""Outcome regressions on plain tables: calibrate.outcome_regression (OLS) and calibrate.outcome_glm (binomial).

Published references (the data ship with statsmodels):

- Longley (1967) employment data: NIST StRD certified values for the linear
  regression of TOTEMP on GNPDEFL, GNP, UNEMP, ARMED, POP, YEAR
  (https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml), as stored in
  statsmodels' regression/tests/results/results_regression.py (class Longley).
- Star98 (Gill 2001, *Generalized Linear Models: A Unified Approach*, ch. 3):
  binomial GLM of NABOVE out of NABOVE + NBELOW on 20 covariates; coefficients
  and standard errors as published and stored in statsmodels'
  genmod/tests/results/results_glm.py (class Star98, from R's glm).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import calibrate
from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel
from calibrate.weights.outcome_models import InvalidRegressionData
from calibrate.weights.regression import design_matrix, fit_growth_ols, fit_retention_glm

LONGLEY_NIST = {
    "intercept": -3482258.63459582,
    "GNPDEFL": 15.0618722713733,
    "GNP": -0.358191792925910e-01,
    "UNEMP": -2.02022980381683,
    "ARMED": -1.03322686717359,
    "POP": -0.511041056535807e-01,
    "YEAR": 1829.15146461355,
}
LONGLEY_NIST_SE = {
    "intercept": 890420.383607373,
    "GNPDEFL": 84.9149257747669,
    "GNP": 0.334910077722432e-01,
    "UNEMP": 0.488399681651699,
    "ARMED": 0.214274163161675,
    "POP": 0.226073200069370,
    "YEAR": 455.478499142212,
}
STAR98_PARAMS = (
    -0.0168150366,
    0.0099254766,
    -0.0187242148,
    -0.0142385609,
    0.2544871730,
    0.2406936644,
    0.0804086739,
    -1.9521605027,
    -0.3340864748,
    -0.1690221685,
    0.0049167021,
    -0.0035799644,
    -0.0140765648,
    -0.0040049918,
    -0.0039063958,
    0.0917143006,
    0.0489898381,
    0.0080407389,
    0.0002220095,
    -0.0022492486,
    2.9588779262,
)  # covariates in dataset order, intercept last
STAR98_SE = (
    4.339467e-04,
    6.013714e-04,
    7.435499e-04,
    4.338655e-04,
    2.994576e-02,
    5.713824e-02,
    1.392359e-02,
    3.168109e-01,
    6.126411e-02,
    3.270139e-02,
    1.253877e-03,
    2.254633e-04,
    1.904573e-03,
    4.739838e-04,
    9.623650e-04,
    1.450923e-02,
    7.451666e-03,
    1.499497e-03,
    2.988794e-05,
    3.489838e-04,
    1.546712e00,
)


def test_ols_reproduces_the_nist_certified_longley_regression():
    data = sm.datasets.longley.load_pandas().data
    predictors = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]
    fit = calibrate.outcome_regression(data, "TOTEMP", predictors)
    table = fit.to_frame()
    for term, value in LONGLEY_NIST.items():
        assert table.loc[term, "coef"] == pytest.approx(value, rel=1e-8), term
        assert table.loc[term, "se"] == pytest.approx(LONGLEY_NIST_SE[term], rel=1e-7), term
    assert fit.fit_stat == pytest.approx(0.995479004577296, abs=1e-12)
    assert list(table.columns) == ["coef", "se", "ci_low", "ci_high", "p_value", "elasticity"]
    # elasticity at the means: b * mean(x) / mean(y)
    assert table.loc["GNP", "elasticity"] == pytest.approx(
        LONGLEY_NIST["GNP"] * data["GNP"].mean() / data["TOTEMP"].mean(), rel=1e-8
    )
    assert np.isnan(table.loc["intercept", "elasticity"])
    assert "R² = 0.9955" in fit.summary_text() and "classical" in str(fit.summary())


def test_binomial_glm_reproduces_gills_star98_model():
    ds = sm.datasets.star98.load_pandas()
    data = pd.concat([ds.endog, ds.exog], axis=1).assign(TESTED=lambda d: d["NABOVE"] + d["NBELOW"])
    predictors = list(ds.exog.columns)
    fit = calibrate.outcome_glm(data, "NABOVE", "TESTED", predictors)
    table = fit.to_frame()
    order = predictors + ["intercept"]
    np.testing.assert_allclose(table.loc[order, "coef"], STAR98_PARAMS, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(table.loc[order, "se"], STAR98_SE, rtol=1e-5)
    assert fit.fit_stat == pytest.approx(1 - 4078.76541772 / 34345.3688931, abs=1e-9)


@pytest.fixture(scope="module")
def small_panel(small_company_master):
    ds = load_dataset(small_company_master / "calibrate.yaml")
    return ds, indicator_panel(ds)


def test_panel_growth_model_is_the_plain_regression_with_manager_clusters(small_panel):
    ds, panel = small_panel
    design = design_matrix(panel, ds.indicator_set, "revenue_growth", controls=("period",))
    via_panel = fit_growth_ols(design).coefficients
    ids = list(ds.indicator_set.ids)
    rows = panel.reset_index()
    plain = calibrate.outcome_regression(
        rows, "next_revenue_growth", ids, cluster="manager_id", controls=["period"], log_outcome=True
    ).to_frame()
    np.testing.assert_allclose(plain.loc[ids, "coef"], via_panel["coef"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(plain.loc[ids, "se"], via_panel["se"], rtol=1e-9, atol=1e-12)
    # and the same as statsmodels' formula interface with cluster-robust errors
    used = rows.dropna(subset=[*ids, "next_revenue_growth"])
    ref = sm.OLS.from_formula("next_revenue_growth ~ " + " + ".join(ids) + " + C(period)", used).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(used["manager_id"])[0]}
    )
    np.testing.assert_allclose(plain.loc[ids, "coef"], ref.params[ids], rtol=1e-9)
    np.testing.assert_allclose(plain.loc[ids, "se"], ref.bse[ids], rtol=1e-9)


def test_panel_retention_model_is_the_plain_glm_with_manager_clusters(small_panel):
    ds, panel = small_panel
    design = design_matrix(panel, ds.indicator_set, "retention", controls=("period",))
    via_panel = fit_retention_glm(design).coefficients
    ids = list(ds.indicator_set.ids)
    plain = calibrate.outcome_glm(
        panel.reset_index().dropna(subset=["next_retention"]),
        "next_customers_kept",
        "next_customers_start",
        ids,
        cluster="manager_id",
        controls=["period"],
    ).to_frame()
    np.testing.assert_allclose(plain.loc[ids, "coef"], via_panel["coef"], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(plain.loc[ids, "se"], via_panel["se"], rtol=1e-6, atol=1e-10)


def test_bad_tables_get_one_clear_error():
    df = pd.DataFrame(
        {
            "y": [1.0, 2, 3, 4, 5],
            "x": [1.0, 2, 3, 5, 4],
            "z": [2.0, 4, 6, 10, 8],
            "g": ["a", "a", "b", "b", "b"],
            "word": list("abcde"),
            "k": [1, 2, 3, 9, 1],
            "m": [2, 2, 3, 4, 5],
        }
    )
    with pytest.raises(InvalidRegressionData, match="no column.*missing_col"):
        calibrate.outcome_regression(df, "y", ["missing_col"])
    with pytest.raises(InvalidRegressionData, match="column word is not numeric"):
        calibrate.outcome_regression(df, "y", ["word"])
    with pytest.raises(InvalidRegressionData, match="collinear"):
        calibrate.outcome_regression(df, "y", ["x", "z"])
    with pytest.raises(InvalidRegressionData, match="k = 9 is outside 0..m"):
        calibrate.outcome_glm(df, "k", "m", ["x"])
    with pytest.raises(InvalidRegressionData, match="single value"):
        calibrate.outcome_regression(df.assign(g="a"), "y", ["x"], cluster="g")


def test_readme_three_lines_run_on_the_sample(sample_config):
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Outcome regressions on your own table", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) == 3
    code = code.replace('"data/sample/calibrate.yaml"', repr(str(sample_config)))
    lines = code.strip().splitlines()
    scope: dict = {}
    exec("\n".join(lines[:-1]), scope)
    table = eval(lines[-1], scope)
    assert {"nps", "satisfaction"} <= set(table.index)
    assert list(table.columns) == ["coef", "se", "ci_low", "ci_high", "p_value", "elasticity"]
    assert table.loc["nps", "ci_low"] < table.loc["nps", "coef"] < table.loc["nps", "ci_high"]
    glm = calibrate.outcome_glm(
        scope["panel"], "next_customers_kept", "next_customers_start", ["nps"], cluster="manager_id"
    )
    assert glm.n_clusters > 1 and glm.to_frame().loc["nps", "coef"] > 0

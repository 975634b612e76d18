"""Outcome regressions and evidence importance, checked against the sample company's known truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from calibrate.errors import CalibrateError
from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel
from calibrate.weights.regression import (
    RAMP_QUARTERS,
    design_matrix,
    evidence_importance,
    fit_growth_ols,
    outcome_regressions,
)

EFFECTS = ("nps", "satisfaction", "solution_innovation", "collaboration")


@pytest.fixture(scope="module")
def sample(sample_config):
    ds = load_dataset(sample_config)
    panel = indicator_panel(ds)
    truth = json.loads((sample_config.parent / "truth.json").read_text(encoding="utf-8"))
    return ds, panel, truth


@pytest.fixture(scope="module")
def sample_suite(sample):
    ds, panel, _ = sample
    return outcome_regressions(panel, ds.indicator_set, level=0.99, mixed=True)


@pytest.fixture(scope="module")
def small(small_company_master):
    ds = load_dataset(small_company_master / "calibrate.yaml")
    return ds, indicator_panel(ds)


def test_growth_coefficients_cover_the_true_effects(sample, sample_suite):
    """99% intervals (clustered by manager) of the growth OLS cover spec.growth_effects for all four."""
    _, _, truth = sample
    coef = sample_suite.growth_ols.coefficients
    for name in EFFECTS:
        true = truth["spec"]["growth_effects"][name]
        assert coef.loc[name, "ci_low"] <= true <= coef.loc[name, "ci_high"], (name, true, coef.loc[name].to_dict())
    # and the point estimates are close: NPS 0.0007 per point is recovered within 15%
    assert coef.loc["nps", "coef"] == pytest.approx(truth["spec"]["growth_effects"]["nps"], rel=0.15)


def test_retention_coefficients_cover_the_true_churn_effects(sample, sample_suite):
    """The GLM models retention log-odds, so its coefficients are minus the churn log-odds effects."""
    _, _, truth = sample
    coef = sample_suite.retention_glm.coefficients
    for name in EFFECTS:
        true = -truth["spec"]["churn_effects"][name]
        assert coef.loc[name, "ci_low"] <= true <= coef.loc[name, "ci_high"], (name, true, coef.loc[name].to_dict())
    # per SD the estimates match the truth's standardised effects (nps strongest)
    std = coef.loc[list(EFFECTS), "std_coef"]
    true_std = -pd.Series(truth["standardised_effects"]["churn_log_odds"])[list(EFFECTS)]
    assert np.allclose(std, true_std, atol=0.06)


def test_importance_order_matches_truth(sample, sample_suite):
    _, _, truth = sample
    evidence = evidence_importance(sample_suite)
    t = evidence.table
    for column, outcome in (("lmg_revenue", "revenue_growth"), ("lmg_retention", "retention")):
        order = list(t.loc[list(EFFECTS), column].sort_values(ascending=False).index)
        assert order == truth["importance_order"][outcome], (column, t[column].round(4).to_dict())
    assert np.isclose(t["evidence"].sum(), 1.0)
    # the indicators without any effect get (nearly) nothing: together under 5% of the evidence
    assert t.loc[truth["indicators_without_effect"], "evidence"].sum() < 0.05


def test_mixed_model_flags_the_manager_level_artefact(sample, sample_suite):
    """truth.json: revenue_attainment only reflects the manager's own growth rate; the pooled model
    finds an effect, the model with a manager intercept does not, and a warning says so."""
    ols = sample_suite.growth_ols.coefficients.loc["revenue_attainment"]
    mixed = sample_suite.growth_mixed.coefficients.loc["revenue_attainment"]
    assert ols["p_value"] < 0.10 < mixed["p_value"]
    assert mixed["coef"] < ols["coef"] / 2
    assert any(w.startswith("revenue_attainment: predicts growth in the pooled model") for w in sample_suite.warnings)
    assert sample_suite.growth_mixed.extra["manager_sd"] > 0


def test_ols_matches_a_formula_fit_with_the_same_controls(small):
    """The design (quarter dummies, ramp-up dummies) gives the coefficients of the formula model."""
    import statsmodels.formula.api as smf

    ds, panel = small
    ids = list(ds.indicator_set.ids)
    design = design_matrix(panel, ds.indicator_set, "revenue_growth", controls=("period", "tenure"))
    result = fit_growth_ols(design)
    frame = panel.reset_index().dropna(subset=ids + ["next_revenue_growth"])
    frame["ramp"] = np.minimum(frame["tenure_quarters"], RAMP_QUARTERS).astype(int)
    ref = smf.ols("next_revenue_growth ~ " + " + ".join(ids) + " + C(period) + C(ramp)", frame).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["manager_id"])[0]}
    )
    assert design.n == len(frame)
    np.testing.assert_allclose(result.coefficients["coef"], ref.params[ids], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(result.coefficients["se"], ref.bse[ids], rtol=1e-6)
    assert result.r_squared == pytest.approx(ref.rsquared, rel=1e-9)
    assert len(result.residuals) == design.n


def test_vif_equals_the_textbook_definition(small):
    """VIF_j = 1 / (1 - R^2_j) from regressing indicator j on the other indicators and the controls."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    ds, panel = small
    design = design_matrix(panel, ds.indicator_set, "revenue_growth")
    result = fit_growth_ols(design)
    exog = np.column_stack([np.ones(design.n), design.x, design.d[:, 1:]])  # explicit constant, one dummy dropped
    expected = [variance_inflation_factor(exog, j + 1) for j in range(design.p)]
    np.testing.assert_allclose(result.vif.to_numpy(), expected, rtol=1e-6)


def test_elasticity_at_the_mean_on_the_shifted_nps_scale():
    """Noise-free toy panel: growth = 0.002 * NPS + 0.1 * satisfaction + quarter effect. The elasticity of
    NPS is 0.002 * mean(NPS + 100) (scale measured from its bottom, -100), of satisfaction 0.1 * mean."""
    from calibrate.indicators import load_indicator_set

    iset = load_indicator_set("account_manager").subset(["nps", "satisfaction", "collaboration"])
    rng = np.random.default_rng(3)
    managers, periods = [f"M{i:02d}" for i in range(30)], ["2024Q1", "2024Q2", "2024Q3"]
    idx = pd.MultiIndex.from_product([managers, periods], names=["manager_id", "period"])
    nps = rng.uniform(-60, 80, len(idx))
    sat = rng.uniform(0.2, 0.9, len(idx))
    col = rng.uniform(2, 5, len(idx))
    season = np.tile([0.0, 0.03, -0.02], len(managers))
    panel = pd.DataFrame(
        {
            "nps": nps,
            "satisfaction": sat,
            "collaboration": col,
            "next_revenue_growth": 0.002 * nps + 0.1 * sat + season,
        },
        index=idx,
    )
    result = fit_growth_ols(design_matrix(panel, iset, "revenue_growth", controls=("period",)))
    c = result.coefficients
    assert c.loc["nps", "coef"] == pytest.approx(0.002, rel=1e-8)
    assert c.loc["nps", "elasticity"] == pytest.approx(0.002 * (nps.mean() + 100), rel=1e-7)
    assert c.loc["satisfaction", "elasticity"] == pytest.approx(0.1 * sat.mean(), rel=1e-7)
    assert abs(c.loc["collaboration", "coef"]) < 1e-10


def test_wrong_sign_gets_zero_evidence_weight_and_a_warning(small):
    """Make collaboration strongly *hurt* next-quarter growth: it must get no revenue evidence weight."""
    ds, panel = small
    damaged = panel.copy()
    damaged["next_revenue_growth"] = damaged["next_revenue_growth"] - 0.3 * (damaged["collaboration"] - 3.4)
    suite = outcome_regressions(damaged, ds.indicator_set, mixed=False)
    assert suite.growth_ols.coefficients.loc["collaboration", "coef"] < -0.2
    evidence = evidence_importance(suite)
    assert evidence.table.loc["collaboration", "lmg_revenue"] > 0.3  # it explains a lot ...
    assert evidence.table.loc["collaboration", "revenue"] == 0.0  # ... in the wrong direction
    assert evidence.table["revenue"].sum() == pytest.approx(1.0)
    assert any(
        w.startswith("collaboration: in the growth_ols model a higher collaboration goes with LOWER")
        for w in suite.warnings
    )


def test_a_lower_is_better_indicator_is_judged_by_its_aligned_sign(small):
    """Higher key-customer churn predicting *lower* retention is the right direction for a lower-is-better
    indicator: it keeps its evidence share (aligned coefficient positive)."""
    ds, panel = small
    damaged = panel.copy()
    lost = np.round(8 * damaged["key_customer_churn"] * damaged["next_customers_start"] / 3)
    kept = damaged["next_customers_kept"] - lost
    damaged["next_customers_kept"] = kept.clip(lower=0)
    damaged["next_retention"] = damaged["next_customers_kept"] / damaged["next_customers_start"]
    suite = outcome_regressions(damaged, ds.indicator_set, mixed=False)
    c = suite.retention_glm.coefficients.loc["key_customer_churn"]
    assert c["coef"] < 0 < c["aligned"]
    assert evidence_importance(suite).table.loc["key_customer_churn", "retention"] > 0.2


def test_too_few_rows_and_unknown_controls_are_explained(small):
    ds, panel = small
    few = panel.iloc[:12]
    with pytest.raises(CalibrateError, match=r"only \d+ manager-quarters have all 8 indicators"):
        design_matrix(few, ds.indicator_set, "revenue_growth")
    with pytest.raises(CalibrateError, match="unknown control.*weekday.*choose from period, region_period"):
        design_matrix(panel, ds.indicator_set, "revenue_growth", controls=("period", "weekday"))
    constant = panel.assign(profit_margin=0.2)
    with pytest.raises(CalibrateError, match="profit_margin have the same value"):
        design_matrix(constant, ds.indicator_set, "revenue_growth")


def test_random_intercept_reml_matches_statsmodels_mixedlm(sample):
    """The vectorised REML fit gives statsmodels MixedLM's estimates on the sample company's growth design:
    fixed effects within 0.001 standard errors, standard errors within 1e-4 (relative), manager variance and
    residual variance within 1e-3 (relative), and a restricted likelihood at least as high as MixedLM's."""
    import warnings

    import statsmodels.api as sm
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    from calibrate.weights.regression import random_intercept_reml

    ds, panel, _ = sample
    d = design_matrix(panel, ds.indicator_set, "revenue_growth")
    ours = random_intercept_reml(d.exog, d.y, d.groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.MixedLM(d.y, d.exog, groups=d.groups)
        # statsmodels' default optimiser (bfgs) stops unconverged on this design (manager variance 0.00092,
        # 1.6 standard errors off); Powell converges, to our estimates
        ref = model.fit(reml=True, method="powell")
    k = d.exog.shape[1]
    assert ref.converged and ours.converged
    assert np.max(np.abs(ours.params - ref.fe_params) / ref.bse[:k]) < 1e-3
    np.testing.assert_allclose(ours.bse, ref.bse[:k], rtol=1e-4)
    np.testing.assert_allclose(ours.var_group, float(np.asarray(ref.cov_re)[0, 0]), rtol=1e-3)
    np.testing.assert_allclose(ours.scale, ref.scale, rtol=1e-3)
    np.testing.assert_allclose(ours.fitted, ref.fittedvalues, atol=1e-5)
    profile = [
        model.loglike(MixedLMParams.from_components(cov_re=np.array([[r]])), profile_fe=True)
        for r in (ours.ratio, float(np.asarray(ref.cov_re)[0, 0]) / ref.scale)
    ]
    assert profile[0] >= profile[1] - 1e-9


def test_random_intercept_reml_without_manager_variance_is_ols():
    """With no manager effect in the data the REML ratio sits at (or near) 0 and the fit is OLS."""
    from calibrate.weights.regression import random_intercept_reml

    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(200), 4)
    x = np.column_stack([np.ones(800), rng.normal(size=800)])
    y = x @ [0.5, 2.0] + rng.normal(size=800)
    fit = random_intercept_reml(x, y, groups)
    ols, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert fit.ratio < 0.05
    np.testing.assert_allclose(fit.params, ols, atol=0.02)

"""The batched manager bootstrap: exact at the full sample, whole managers per resample, reproducible."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from calibrate.errors import CalibrateError
from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel
from calibrate.weights.ahp import aggregate_judgments, ahp_panel, ahp_priorities
from calibrate.weights.baselines import critic_weights, entropy_weights
from calibrate.weights.proposal import manager_profile
from calibrate.weights.regression import evidence_importance, outcome_regressions
from calibrate.weights.uncertainty import (
    ahp_batch,
    bootstrap_inputs,
    bootstrap_weights,
    critic_batch,
    draw_counts,
    entropy_batch,
    evaluate_resamples,
)

EFFECTS = ("nps", "satisfaction", "solution_innovation", "collaboration")


def _setup(config):
    ds = load_dataset(config)
    panel = indicator_panel(ds)
    suite = outcome_regressions(panel, ds.indicator_set, mixed=False)
    ahp = ahp_panel(ds.ahp_judgments, items=list(ds.indicator_set.ids))
    inputs = bootstrap_inputs(
        suite, manager_profile(panel, ds.indicator_set), {e: r.matrix for e, r in ahp.experts.items()}
    )
    return ds, panel, suite, ahp, inputs


@pytest.fixture(scope="module")
def small(small_company_master):
    return _setup(small_company_master / "calibrate.yaml")


@pytest.fixture(scope="module")
def sample(sample_config):
    truth = json.loads((sample_config.parent / "truth.json").read_text(encoding="utf-8"))
    return (*_setup(sample_config), truth)


def test_counts_of_one_give_the_full_sample_estimates(small):
    ds, panel, suite, ahp, inputs = small
    weights, coefs = evaluate_resamples(inputs, np.ones((1, len(inputs.managers))))
    np.testing.assert_allclose(coefs["growth_ols"][0], suite.growth_ols.coefficients["coef"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(
        coefs["retention_glm"][0], suite.retention_glm.coefficients["coef"], rtol=1e-6, atol=1e-10
    )
    table = evidence_importance(suite).table
    for method in ("lmg_revenue", "lmg_retention", "evidence"):
        np.testing.assert_allclose(weights[method][0], table[method], atol=1e-9)
    profile = manager_profile(panel, ds.indicator_set)
    ids, directions = list(ds.indicator_set.ids), ds.indicator_set.directions()
    np.testing.assert_allclose(weights["entropy"][0], entropy_weights(profile, ids, directions).weights, atol=1e-12)
    np.testing.assert_allclose(weights["critic"][0], critic_weights(profile, ids, directions).weights, atol=1e-12)
    np.testing.assert_allclose(weights["ahp"][0], ahp.aij.priorities, atol=1e-10)


def test_a_resample_refits_exactly_on_the_drawn_managers_rows(small):
    """Resample 0 of seed 11 = OLS on the stacked rows of the drawn managers, each repeated as often
    as it was drawn (a cluster bootstrap: managers, never single rows)."""
    import statsmodels.api as sm

    _, _, suite, _, inputs = small
    result = bootstrap_weights(inputs, resamples=3, seed=11)
    counts, _ = draw_counts(11, len(inputs.managers), len(inputs.experts), 3)
    assert counts.sum(axis=1).tolist() == [len(inputs.managers)] * 3
    g = suite.growth
    drawn = np.repeat(np.arange(len(inputs.managers)), counts[0])  # manager i appears counts[0, i] times
    rows = np.concatenate([np.flatnonzero(g.groups == m) for m in drawn])
    with warnings.catch_warnings():  # a resample may lack a ramp-up quarter: its dummy is all zero
        warnings.simplefilter("ignore")
        ref = sm.OLS(g.y[rows], g.exog[rows]).fit()
    np.testing.assert_allclose(result.coefficients["growth_ols"][0], ref.params[: g.p], rtol=1e-6, atol=1e-12)


def test_batched_entropy_and_critic_equal_the_baselines_on_repeated_rows():
    rng = np.random.default_rng(5)
    values = rng.normal(size=(12, 4)) * [1, 5, 0.2, 2] + [0, 10, 1, -3]
    values[:, 3] = np.round(values[:, 3])  # ties, like a rate with few values
    direction = np.array([1.0, -1.0, 1.0, 1.0])
    counts = np.array([[2, 0, 1, 1, 3, 0, 1, 0, 2, 1, 0, 1]])
    repeated = pd.DataFrame(np.repeat(values, counts[0], axis=0), columns=list("abcd"))
    dirs = {"a": "higher", "b": "lower", "c": "higher", "d": "higher"}
    np.testing.assert_allclose(
        entropy_batch(values, counts, direction)[0], entropy_weights(repeated, list("abcd"), dirs).weights, atol=1e-12
    )
    np.testing.assert_allclose(
        critic_batch(values, counts, direction)[0], critic_weights(repeated, list("abcd"), dirs).weights, atol=1e-12
    )


def test_batched_ahp_equals_the_weighted_panel_aggregate(small):
    """Expert counts (2, 0, 1, 0, 1) = AIJ with expert weights 2:0:1:0:1 (geometric mean of judgments)."""
    ds, _, _, ahp, inputs = small
    counts = np.array([[2, 0, 1, 0, 1]])
    chosen = {e: ahp.experts[e].matrix for e, c in zip(inputs.experts, counts[0]) if c}
    weights = {e: float(c) for e, c in zip(inputs.experts, counts[0]) if c}
    expected = ahp_priorities(aggregate_judgments(chosen, weights=weights)).priorities
    np.testing.assert_allclose(ahp_batch(inputs.ahp_logs, counts)[0], expected, atol=1e-10)


def test_same_seed_same_draws_any_chunk(small):
    _, _, _, _, inputs = small
    a = bootstrap_weights(inputs, resamples=40, seed=3, chunk=7)
    b = bootstrap_weights(inputs, resamples=40, seed=3, chunk=250)
    c = bootstrap_weights(inputs, resamples=40, seed=4)
    for m in a.draws:
        np.testing.assert_array_equal(a.draws[m], b.draws[m])
    assert not np.allclose(a.draws["critic"], c.draws["critic"])
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    with pytest.raises(CalibrateError, match="at least 2 resamples"):
        bootstrap_weights(inputs, resamples=1)


def test_one_step_glm_is_close_to_refitting(sample):
    """The one-step Newton update from the full-sample fit is within 5% of a bootstrap SD of an exact
    refit on the same resample (sample company, 3 resamples)."""
    import statsmodels.api as sm

    _, _, suite, _, inputs, _ = sample
    r = suite.retention
    counts, _ = draw_counts(2, len(inputs.managers), 0, 3)
    _, coefs = evaluate_resamples(inputs, counts)
    sd = suite.retention_glm.coefficients["se"].to_numpy()
    for k in range(3):
        w = counts[k][r.groups].astype(float)
        keep = w > 0
        fit = sm.GLM(
            np.column_stack([r.kept, r.trials - r.kept])[keep],
            r.exog[keep],
            family=sm.families.Binomial(),
            freq_weights=w[keep],
        ).fit()
        assert np.all(np.abs(coefs["retention_glm"][k] - fit.params[: r.p]) < 0.05 * sd)


def test_bootstrap_intervals_cover_the_truth_on_the_sample(sample):
    """99% percentile intervals (200 resamples of managers) cover the true growth and churn effects,
    and the retention importance ranks nps first in (nearly) every resample."""
    _, _, _, _, inputs, truth = sample
    result = bootstrap_weights(inputs, resamples=200, seed=2025, level=0.99)
    ci = result.coefficient_frame().set_index(["model", "indicator"])
    for name in EFFECTS:
        growth = ci.loc[("growth_ols", name)]
        assert growth["ci_low"] <= truth["spec"]["growth_effects"][name] <= growth["ci_high"], name
        retention = ci.loc[("retention_glm", name)]
        assert retention["ci_low"] <= -truth["spec"]["churn_effects"][name] <= retention["ci_high"], name
    ranks = pd.DataFrame(result.draws["lmg_retention"], columns=inputs.indicators)[list(EFFECTS)]
    assert (ranks.idxmax(axis=1) == "nps").mean() > 0.95
    assert result.failed == 0

"""The memory-lean fitting cores (calibrate.weights.blockwise) give statsmodels' figures (issue 18).

Reference: statsmodels OLS/WLS and GLM(Binomial) with ``cov_type="cluster"`` (CR1: small-sample factor
G/(G-1) (n-1)/(n-k), ``sandwich_covariance.cov_cluster``), fitted on the full stacked design in the same
test. Relative tolerance 1e-9 on every figure.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from calibrate.loading import load_dataset, sample_config_path
from calibrate.panel import indicator_panel
from calibrate.weights.blockwise import cross_products, logit_blockwise, ols_blockwise, weighted_moments
from calibrate.weights.regression import design_matrix, fit_growth_ols, fit_retention_glm

RTOL = 1e-9


def close(ours, ref, rtol=RTOL):
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    scale = np.maximum(np.abs(ref), 1e-300)
    assert np.max(np.abs(ours - ref) / scale) <= rtol, np.max(np.abs(ours - ref) / scale)


def sm_glm(k, m, exog, groups=None):
    model = sm.GLM(np.column_stack([k, m - k]), exog, family=sm.families.Binomial())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit() if groups is None else model.fit(cov_type="cluster", cov_kwds={"groups": groups})


@pytest.fixture(scope="module")
def random_design():
    """Unequal clusters (1..39 rows, shuffled, some codes unused), a near-collinear pair, two dummies."""
    rng = np.random.default_rng(11)
    sizes = rng.integers(1, 40, 160)
    groups = np.repeat(np.arange(160), sizes)
    groups = np.where(groups % 37 == 5, groups + 1, groups)  # a few cluster codes have no rows
    rng.shuffle(groups)
    n = len(groups)
    x = rng.normal(size=(n, 4)) * [1.0, 30.0, 0.2, 0.2]
    x[:, 3] = x[:, 2] + 2e-3 * rng.normal(size=n)  # correlation ~ 0.99995 with column 2
    d = np.column_stack([np.ones(n), (rng.random(n) < 0.3).astype(float)])
    exog = np.column_stack([x, d])
    beta = np.array([0.1, 0.01, 0.5, -0.3, 1.0, 0.5])
    y = exog @ beta + rng.normal(size=n) + rng.normal(size=160)[groups]
    m = rng.integers(1, 30, n).astype(float)
    eta = 0.5 * exog @ beta + 0.3 * rng.normal(size=160)[groups]
    k = rng.binomial(m.astype(int), 1 / (1 + np.exp(-eta))).astype(float)
    return x, d, exog, y, rng.uniform(0.5, 3.0, n), k, m, groups


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("clustered", [False, True])
def test_ols_equals_statsmodels_on_a_random_design(random_design, weighted, clustered):
    x, d, exog, y, w, _, _, groups = random_design
    model = sm.WLS(y, exog, weights=w) if weighted else sm.OLS(y, exog)
    ref = model.fit(cov_type="cluster", cov_kwds={"groups": groups}) if clustered else model.fit()
    ours = ols_blockwise((x, d), y, groups if clustered else None, weights=w if weighted else None, block_rows=97)
    close(ours.params, ref.params)
    close(ours.bse, ref.bse)
    close(ours.cov_params, ref.cov_params(), rtol=1e-8)  # off-diagonal terms near 0 carry absolute noise
    close(ours.rsquared, ref.rsquared)
    close(ours.ssr, ref.ssr)
    close(ours.fitted, ref.fittedvalues)
    if clustered:
        assert ours.n_groups == len(np.unique(groups)) < groups.max() + 1


@pytest.mark.parametrize("clustered", [False, True])
def test_logit_equals_statsmodels_on_a_random_design(random_design, clustered):
    x, d, exog, _, _, k, m, groups = random_design
    ref = sm_glm(k, m, exog, groups if clustered else None)
    ours = logit_blockwise((x, d), k, m, groups if clustered else None, block_rows=101)
    assert ours.converged and ours.iterations == ref.fit_history["iteration"]
    close(ours.params, ref.params)
    close(ours.bse, ref.bse)
    close(ours.deviance, ref.deviance)
    close(ours.null_deviance, ref.null_deviance)
    close(ours.fitted, ref.fittedvalues)


def test_the_block_size_changes_nothing_beyond_round_off(random_design):
    x, d, _, y, _, k, m, groups = random_design
    one = ols_blockwise((x, d), y, groups)  # a single block
    for rows in (7, 500):
        close(ols_blockwise((x, d), y, groups, block_rows=rows).bse, one.bse, rtol=1e-11)
        close(logit_blockwise((x, d), k, m, groups, block_rows=rows).bse, logit_blockwise((x, d), k, m, groups).bse)


def test_a_rank_deficient_design_gets_statsmodels_minimum_norm_solution(random_design):
    x, d, _, y, _, _, _, groups = random_design
    twice = np.column_stack([x, x[:, :1]])  # an exact copy of column 0
    ref = sm.OLS(y, np.column_stack([twice, d])).fit(cov_type="cluster", cov_kwds={"groups": groups})
    ours = ols_blockwise((twice, d), y, groups)
    close(ours.params, ref.params, rtol=1e-8)
    close(ours.bse, ref.bse, rtol=1e-8)


def test_cross_products_and_moments_read_blocks(random_design):
    x, d, _, y, w, _, _, _ = random_design
    z = np.column_stack([x, d, y])
    close(cross_products((x, d, y), w, block_rows=33), (z * w[:, None]).T @ z, rtol=1e-12)
    means, ss = weighted_moments(x, w)
    close(means, np.average(x, axis=0, weights=w), rtol=1e-12)
    close(ss, (w[:, None] * (x - np.average(x, axis=0, weights=w)) ** 2).sum(axis=0), rtol=1e-12)


@pytest.fixture(scope="module")
def sample_designs():
    ds = load_dataset(sample_config_path())
    panel = indicator_panel(ds)
    growth = design_matrix(panel, ds.indicator_set, "revenue_growth")
    retention = design_matrix(panel, ds.indicator_set, "retention", managers=growth.managers)
    return growth, retention


def test_the_sample_growth_model_equals_statsmodels(sample_designs):
    g, _ = sample_designs
    exog = np.column_stack([g.x, g.d])
    ref = sm.OLS(g.y, exog).fit(cov_type="cluster", cov_kwds={"groups": g.groups})
    ours = fit_growth_ols(g)
    close(ours.params, ref.params)
    close(ours.coefficients["se"], ref.bse[: g.p])
    close(ours.r_squared, ref.rsquared)
    close(ours.residuals["fitted"], ref.fittedvalues)
    close(ours.residuals["residual"], ref.resid, rtol=1e-7)  # residuals near 0: relative noise of y - fitted


def test_the_sample_retention_model_equals_statsmodels(sample_designs):
    _, r = sample_designs
    exog = np.column_stack([r.x, r.d])
    ref = sm_glm(r.kept, r.trials, exog, r.groups)
    ours = fit_retention_glm(r)
    close(ours.params, ref.params)
    close(ours.coefficients["se"], ref.bse[: r.p])
    close(ours.r_squared, 1 - ref.deviance / ref.null_deviance)
    close(ours.residuals["fitted"], ref.fittedvalues)


def test_the_company_models_allocate_less_than_one_copy_of_the_design(sample_designs, monkeypatch):
    """The fits read blocks of rows: their peak allocation (per-row vectors such as the fitted values and the
    residual table, and blocks) stays below the size of the stacked design, which statsmodels copies several
    times."""
    import tracemalloc

    from calibrate.weights import blockwise

    monkeypatch.setattr(blockwise, "BLOCK_ELEMENTS", 1 << 12)  # blocks of ~100 rows on the sample
    for design, fit in zip(sample_designs, (fit_growth_ols, fit_retention_glm)):
        fit(design)  # warm: caches (the design's gram) and imports
        object.__getattribute__(design, "__dict__").pop("_gram_cache", None)
        stacked = design.n * (design.p + design.d.shape[1]) * 8
        tracemalloc.start()
        fit(design)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < stacked, (design.outcome, peak, stacked)


def test_the_two_designs_share_the_indicator_rows_when_their_rows_coincide():
    from calibrate.weights.regression import outcome_regressions

    ds = load_dataset(sample_config_path())
    suite = outcome_regressions(indicator_panel(ds), ds.indicator_set, mixed=False)
    g, r = suite.growth, suite.retention
    assert r.index.equals(g.index)  # the sample: every manager-quarter has both outcomes
    assert np.shares_memory(r.x, g.x) and np.shares_memory(r.d, g.d)
    assert not np.shares_memory(r.y, g.y)

"""Parameter uncertainty in the target Monte Carlo: draws per scenario, the fit's standard errors
against the sample generator's truth, the setting, and the Dask path."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from calibrate.errors import ConfigError, ValidationError
from calibrate.sample import SampleSpec, generate_company
from calibrate.targets.fit import fit_performance_model
from calibrate.targets.model import PerformanceModel
from calibrate.targets.plan import DEFAULT_TARGETS, TargetSettings
from calibrate.targets.simulation import SCENARIO_BLOCK, _parameter_draws, attainment, root_seed, simulate


def _model(n=400, loading=0.05, region_sigma=0.0, region_sigma_df=None, seed=3):
    rng = np.random.default_rng(seed)
    return PerformanceModel(
        manager_id=[f"M{i}" for i in range(n)],
        region=rng.choice(list("ABC"), n),
        base=rng.uniform(100, 200, n),
        mu=rng.normal(0.05, 0.02, n),
        sigma=np.full(n, 0.1),
        region_sigma=region_sigma,
        shared_loadings=np.full((n, 1), loading),
        region_sigma_df=region_sigma_df,
    )


def test_shared_draws_match_the_normal_formula_and_move_managers_together():
    m = _model()
    targets = m.median * np.exp(np.linspace(-0.15, 0.15, m.n_managers))
    res = attainment(m, targets, scenarios=20_000, seed=5)
    exact = m.hit_probability(targets)  # sigma^2 + loading^2 in the closed form
    se = np.sqrt(exact * (1 - exact) / res.scenarios)
    assert np.all(np.abs(res.probability - exact) < 4.5 * se + 1e-9)
    # one shared draw per scenario: the share is far wider than for independent managers
    alone = attainment(m.without_parameter_uncertainty(), targets, scenarios=20_000, seed=5)
    assert res.share_sd > 2 * alone.share_sd
    # conditional on the shared draw v, managers are independent: share sd = sd of mean Phi((d + 0.05 v) / 0.1)
    v = np.random.default_rng(0).standard_normal(20_000)
    gap = (m.log_median - np.log(targets))[None, :]
    expected_sd = stats.norm.cdf((gap + 0.05 * v[:, None]) / 0.1).mean(axis=1).std()
    assert res.share_sd == pytest.approx(expected_sd, rel=0.05)


def test_region_variance_draw_is_a_chi_square_scale_of_the_region_shock():
    n, d = 3, 4.0
    m = PerformanceModel(
        [f"M{i}" for i in range(n)], ["A"] * n, [100.0] * n, [0.0] * n, [0.0] * n, region_sigma=0.1, region_sigma_df=d
    )
    _, _, scale = _parameter_draws(m, 20_000, root_seed(2))
    assert stats.kstest(d * scale.astype(float) ** 2, stats.chi2(d).cdf).pvalue > 0.01
    log_y = np.log(np.vstack([c.outcomes for c in simulate(m, scenarios=20_000, seed=2)])[0] / 100.0)
    # shock x sqrt(chi2_d / d): variance unchanged (0.01), excess kurtosis 6 / d instead of 0
    assert np.var(log_y) == pytest.approx(0.01, rel=0.05)
    assert stats.kurtosis(log_y) == pytest.approx(6 / d, abs=0.4)


def test_parameter_draws_are_keyed_by_scenario_block_not_by_the_run_length():
    m = _model(n=10, region_sigma=0.1, region_sigma_df=10.0)
    _, short, scale_short = _parameter_draws(m, 100, root_seed(4))
    _, long, scale_long = _parameter_draws(m, SCENARIO_BLOCK + 50, root_seed(4))
    assert np.array_equal(short, long[:, :100]) and np.array_equal(scale_short, scale_long[:100])


def test_bad_shared_parameters_are_named():
    with pytest.raises(ValidationError, match="shared_loadings"):
        PerformanceModel(["a", "b"], ["R", "R"], [1, 1], [0, 0], [0.1, 0.1], shared_loadings=np.ones((3, 1)))
    with pytest.raises(ValidationError, match="region_sigma_df"):
        PerformanceModel(["a"], ["R"], [1], [0], [0.1], region_sigma_df=0)


SPEC = SampleSpec(n_managers=400, n_quarters=12, truth_replications=2)


@pytest.fixture(scope="module")
def company():
    return generate_company(SPEC, seed=2025)


def test_standard_errors_cover_the_generator_truth(company):
    spec = SPEC
    fit = fit_performance_model(company.tables["performance"], company.tables["managers"])
    se = fit.parameter_se
    truth = {
        "growth_mean": spec.growth_mean,
        "ramp_amplitude": spec.ramp_amplitude,
        "ramp_scale": spec.ramp_scale,
        "season_q2": spec.season[1] - spec.season[0],
        "season_q3": spec.season[2] - spec.season[1],
        "season_q4": spec.season[3] - spec.season[2],
    }
    estimate = fit.parameter_estimates
    for name, value in truth.items():
        assert se[name] > 0, name
        assert abs(estimate[name] - value) < 3 * se[name], (name, estimate[name], value, se[name])
    # the region-shock variance is drawn with its Satterthwaite degrees of freedom
    assert fit.model.region_sigma_df is not None and fit.model.region_sigma_df > 5
    assert fit.model.shared_loadings.shape == (fit.model.n_managers, 6)
    assert np.all(fit.to_frame()["parameter_sd"] > 0)


def test_new_hires_carry_the_ramp_uncertainty(company):
    fit = fit_performance_model(company.tables["performance"], company.tables["managers"])
    table = fit.to_frame()
    ramp = np.array([n.startswith("ramp") for n in fit.model.shared_names])
    ramp_sd = np.sqrt((fit.model.shared_loadings[:, ramp] ** 2).sum(axis=1))
    new = table["tenure_quarters"].to_numpy() < 4
    veteran = table["tenure_quarters"].to_numpy() >= 16
    assert ramp_sd[new].mean() > 10 * ramp_sd[veteran].mean()


def test_the_setting_switches_back_to_the_old_model(company):
    perf, mgr = company.tables["performance"], company.tables["managers"]
    old = fit_performance_model(perf, mgr, parameter_uncertainty=False)
    new = fit_performance_model(perf, mgr)
    assert old.model.shared_loadings.shape[1] == 0 and old.model.region_sigma_df is None
    np.testing.assert_array_equal(old.model.log_median, new.model.log_median)
    assert DEFAULT_TARGETS["parameter_uncertainty"] is True
    assert TargetSettings.from_config({"parameter_uncertainty": False}).parameter_uncertainty is False
    with pytest.raises(ConfigError, match="parameter_uncertainty"):
        TargetSettings.from_config({"parameter_uncertainty": "yes"})


def test_monte_carlo_with_parameter_draws_on_dask_equals_local():
    pytest.importorskip("distributed")
    from calibrate.distributed import executor_for

    m = _model(n=2500, region_sigma=0.05, region_sigma_df=12.0)
    targets = m.median * 1.02
    local = attainment(m, targets, scenarios=600, seed=8, chunk_managers=1024)
    with executor_for("local:2") as ex:
        remote = attainment(m, targets, scenarios=600, seed=8, chunk_managers=1024, workers=ex)
    assert np.array_equal(local.hits, remote.hits)
    assert np.array_equal(local.ratio_quantiles, remote.ratio_quantiles)

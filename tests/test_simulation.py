"""Monte Carlo engine: agreement with exact formulas, stream design, chunk invariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from calibrate.errors import CalibrateError, ConfigError, ValidationError
from calibrate.targets import simulation
from calibrate.targets.model import PerformanceModel
from calibrate.targets.payout import PayoutCurve
from calibrate.targets.simulation import BLOCK_MANAGERS, attainment, simulate, stream


def make_model(
    n: int = 300,
    *,
    regions: int = 4,
    region_sigma: float = 0.1,
    df: float | None = None,
    growth_uncertainty: float | None = None,
    seed: int = 7,
    shared: int = 0,
    region_sigma_df: float | None = None,
) -> PerformanceModel:
    rng = np.random.default_rng(seed)
    return PerformanceModel(
        manager_id=[f"M{i:04d}" for i in range(n)],
        region=[f"R{r}" for r in rng.integers(0, regions, n)],
        base=rng.uniform(2e5, 2e6, n),
        mu=rng.normal(0.05, 0.04, n),
        sigma=rng.uniform(0.08, 0.35, n),
        region_sigma=region_sigma,
        df=df,
        growth_uncertainty=growth_uncertainty,
        shared_loadings=rng.normal(0, 0.03, (n, shared)) if shared else None,
        region_sigma_df=region_sigma_df,
    )


def spread_targets(model: PerformanceModel, seed: int = 1) -> np.ndarray:
    """Targets from easy to hard: median times exp(+-1.2 sd)."""
    rng = np.random.default_rng(seed)
    return model.median * np.exp(rng.uniform(-1.2, 1.2, model.n_managers) * model.log_sd)


# ---------------------------------------------------------------------------- known truth
def test_probabilities_match_the_normal_formula_within_monte_carlo_error():
    model = make_model(300, region_sigma=0.12, growth_uncertainty=0.05)
    targets = spread_targets(model)
    result = attainment(model, targets, scenarios=20_000, seed=11)
    exact = model.hit_probability(targets)
    # the hand formula, written out: Phi((mu + log base - log T) / sqrt(sigma^2 + gu^2 + region_sigma^2))
    by_hand = stats.norm.cdf(
        (model.mu + np.log(model.base) - np.log(targets)) / np.sqrt(model.sigma**2 + 0.05**2 + 0.12**2)
    )
    np.testing.assert_allclose(exact, by_hand, rtol=1e-12)
    se = np.sqrt(exact * (1 - exact) / 20_000)
    assert np.all(np.abs(result.probability - exact) <= 4.5 * se + 1e-12)
    assert abs(result.probability.mean() - exact.mean()) < 0.01
    assert 0.2 < exact.mean() < 0.8 and exact.min() < 0.15 and exact.max() > 0.85  # targets really spread


def test_expected_ratio_and_quantiles_match_the_lognormal_formulas():
    model = make_model(200, region_sigma=0.1)
    targets = spread_targets(model, seed=3)
    result = attainment(model, targets, scenarios=20_000, seed=5, quantiles=(0.1, 0.5, 0.9))
    s = model.log_sd
    # Y / T is lognormal: relative Monte Carlo error of its mean ~ sqrt(exp(s^2) - 1) / sqrt(n)
    rel_se = np.sqrt(np.expm1(s**2) / 20_000)
    np.testing.assert_array_less(np.abs(result.expected_ratio / model.expected_ratio(targets) - 1), 5 * rel_se)
    for k, q in enumerate((0.1, 0.5, 0.9)):
        exact = model.attainment_quantile(targets, q)
        # quantile standard error on the log scale: sqrt(q (1 - q) / n) / density
        log_se = np.sqrt(q * (1 - q) / 20_000) * s / stats.norm.pdf(stats.norm.ppf(q))
        np.testing.assert_array_less(np.abs(np.log(result.ratio_quantiles[:, k] / exact)), 5 * log_se)
    frame = result.to_frame()
    assert list(frame.columns) == [
        "manager_id",
        "region",
        "target",
        "probability",
        "probability_se",
        "expected_attainment",
        "attainment_p10",
        "attainment_p50",
        "attainment_p90",
    ]
    assert len(frame) == 200 and frame["manager_id"].iloc[0] == "M0000"


def test_student_t_matches_the_exact_t_formula_and_has_heavier_tails():
    model = make_model(200, region_sigma=0.0, df=4)
    assert model.has_closed_form
    # a hard target: the normal model's 1-in-500 upper quantile
    targets = model.median * np.exp(model.sigma * stats.norm.isf(0.002))
    exact = model.hit_probability(targets)
    by_hand = stats.t(4).sf(stats.norm.isf(0.002) / np.sqrt(2 / 4))  # unit-variance t: t * sqrt((df-2)/df)
    np.testing.assert_allclose(exact, by_hand, rtol=1e-10)
    assert np.all(exact > 0.004)  # heavier tail than the normal's 0.002
    result = attainment(model, targets, scenarios=40_000, seed=2, quantiles=())
    se = np.sqrt(exact * (1 - exact) / 40_000)
    assert np.all(np.abs(result.probability - exact) <= 4.5 * se)
    assert abs(result.probability.mean() - exact.mean()) < 2 * se.mean()


def test_student_t_with_region_shock_and_growth_uncertainty_matches_numerical_integral():
    model = make_model(40, regions=2, region_sigma=0.15, df=5, growth_uncertainty=0.1)
    assert not model.has_closed_form
    targets = spread_targets(model, seed=9)
    result = attainment(model, targets, scenarios=30_000, seed=4, quantiles=())
    c = np.sqrt(3 / 5)
    for i in (0, 13, 27):
        gap = model.log_median[i] - np.log(targets[i])
        v = np.hypot(0.15, 0.1)  # the normal part: region shock and growth uncertainty
        exact, _ = integrate.quad(
            lambda z: stats.norm.pdf(z) * stats.t(5).cdf((gap + v * z) / (model.sigma[i] * c)), -9, 9, epsabs=1e-11
        )
        se = np.sqrt(exact * (1 - exact) / 30_000)
        assert abs(result.probability[i] - exact) <= 4.5 * se, (i, result.probability[i], exact)


def test_team_share_is_wider_than_independent_and_its_mean_is_the_mean_probability():
    model = make_model(600, regions=3, region_sigma=0.15)
    targets = model.median * 1.02
    result = attainment(model, targets, scenarios=4_000, seed=1, quantiles=())
    assert result.share_mean == pytest.approx(result.probability.mean(), rel=1e-12)
    assert result.share_mean == pytest.approx(model.hit_probability(targets).mean(), abs=0.01)
    # three regions moving together: the share swings far more than for independent managers
    assert result.share_sd > 4 * result.independent_share_sd
    p5, p95 = result.share_quantile([0.05, 0.95])
    assert p95 - p5 > 0.25
    # no region shock: back to independent managers (Poisson-binomial spread)
    calm = make_model(600, regions=3, region_sigma=0.0)
    calm_result = attainment(calm, calm.median * 1.02, scenarios=4_000, seed=1, quantiles=())
    assert calm_result.share_sd == pytest.approx(calm_result.independent_share_sd, rel=0.08)
    summary = result.team_summary()
    assert summary["managers"] == 600 and summary["share_p5"] <= summary["share_p50"] <= summary["share_p95"]
    assert result.hits.shape == (4_000,) and result.hits.max() <= 600


def test_team_share_distribution_matches_the_conditional_formula():
    """Given region shocks the managers are independent, so the share's
    distribution over shocks is known by quadrature; compare its mean and spread."""
    model = make_model(900, regions=1, region_sigma=0.2, seed=4)
    targets = model.median * np.exp(0.1 * model.log_sd)
    z, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / w.sum()
    cond = stats.norm.cdf(
        (model.log_median[:, None] - np.log(targets)[:, None] + 0.2 * z) / model.sigma[:, None]
    )  # managers x shock nodes
    p_node = cond.mean(axis=0)
    mean = w @ p_node
    var = w @ (p_node - mean) ** 2 + w @ (cond * (1 - cond)).sum(axis=0) / 900**2
    result = attainment(model, targets, scenarios=6_000, seed=8, quantiles=())
    assert result.share_mean == pytest.approx(mean, abs=4 * np.sqrt(var / 6_000))
    assert result.share_sd == pytest.approx(np.sqrt(var), rel=0.05)


# ---------------------------------------------------------------------------- randomness design
def test_same_seed_identical_different_seed_different():
    model = make_model(150)
    targets = spread_targets(model)
    a = attainment(model, targets, scenarios=500, seed=3)
    b = attainment(model, targets, scenarios=500, seed=3)
    c = attainment(model, targets, scenarios=500, seed=4)
    assert np.array_equal(a.probability, b.probability) and np.array_equal(a.hits, b.hits)
    assert np.array_equal(a.ratio_quantiles, b.ratio_quantiles)
    assert not np.array_equal(a.hits, c.hits)
    assert not np.array_equal(a.ratio_quantiles, c.ratio_quantiles)
    d = attainment(model, targets, scenarios=500, seed=np.random.SeedSequence(3))
    assert np.array_equal(a.ratio_quantiles, d.ratio_quantiles)


def test_streams_are_the_seed_sequence_spawn_children():
    root = np.random.SeedSequence(123)
    expected = np.random.Generator(np.random.PCG64(root.spawn(2)[1].spawn(6)[5])).standard_normal(5)
    assert np.array_equal(stream(np.random.SeedSequence(123), 1, 5).standard_normal(5), expected)


def test_a_manager_draws_do_not_depend_on_other_blocks():
    """Managers of the first block get the same draws whether or not later managers exist."""
    model = make_model(2 * BLOCK_MANAGERS + 10, region_sigma=0.1)
    targets = spread_targets(model)
    head = BLOCK_MANAGERS
    small = PerformanceModel(
        model.manager_id[:head], model.region[:head], model.base[:head], model.mu[:head], model.sigma[:head], 0.1
    )
    assert set(small.region) == set(model.region)  # same regions, so the same region streams
    full = attainment(model, targets, scenarios=300, seed=6)
    part = attainment(small, targets[:head], scenarios=300, seed=6)
    assert np.array_equal(full.ratio_quantiles[:head], part.ratio_quantiles)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 2_600),
    scenarios=st.integers(1, 200),
    chunk=st.sampled_from([1, 700, 1024, 1500, 4096]),
    workers=st.sampled_from([1, 2]),
    heavy=st.booleans(),
    seed=st.integers(0, 2**32),
    parameters=st.booleans(),
)
def test_results_are_bit_identical_whatever_the_chunk_size(n, scenarios, chunk, workers, heavy, seed, parameters):
    # parameters: shared parameter draws per scenario and a drawn region-shock variance (targets.fit)
    model = make_model(
        n,
        regions=3,
        region_sigma=0.1,
        df=5 if heavy else None,
        growth_uncertainty=0.05,
        seed=seed % 1000,
        shared=3 if parameters else 0,
        region_sigma_df=20.0 if parameters else None,
    )
    targets = spread_targets(model)
    kwargs = dict(scenarios=scenarios, seed=seed, payout=PayoutCurve.standard(), bonus_base=1000.0)
    ref = attainment(model, targets, chunk_managers=10**6, **kwargs)
    got = attainment(model, targets, chunk_managers=chunk, workers=workers, **kwargs)
    for name in ("probability", "expected_ratio", "ratio_quantiles", "hits"):
        assert np.array_equal(getattr(ref, name), getattr(got, name)), name
    assert np.array_equal(ref.bonus.total, got.bonus.total)
    assert np.array_equal(ref.bonus.expected_coefficient, got.bonus.expected_coefficient)


@pytest.mark.parametrize("heavy,workers,chunk", [(False, 1, 10**6), (True, 2, 1024)])
def test_several_plans_on_shared_draws_equal_each_plan_alone(heavy, workers, chunk):
    """attainment_many draws and sorts once for all plans; each plan's result is attainment()'s, bit for bit."""
    model = make_model(2_300, df=5 if heavy else None, growth_uncertainty=0.05, shared=2, region_sigma_df=20.0)
    plans = {"spread": spread_targets(model), "easy": model.median * 0.8, "hard": spread_targets(model, 2) * 1.3}
    kwargs = dict(scenarios=700, seed=11, payout=PayoutCurve.standard(), bonus_base=1000.0)
    many = simulation.attainment_many(model, plans, chunk_managers=chunk, workers=workers, **kwargs)
    assert list(many) == list(plans)
    for name, targets in plans.items():
        alone = attainment(model, targets, **kwargs)
        for field in ("target", "probability", "expected_ratio", "ratio_quantiles", "hits"):
            assert np.array_equal(getattr(alone, field), getattr(many[name], field)), (name, field)
        assert np.array_equal(alone.bonus.total, many[name].bonus.total)
        assert np.array_equal(alone.bonus.expected_coefficient, many[name].bonus.expected_coefficient)
    assert not np.array_equal(many["easy"].probability, many["hard"].probability)


def test_region_shocks_generated_per_block_equal_the_table(monkeypatch):
    model = make_model(1_500, regions=40, region_sigma=0.2)
    targets = spread_targets(model)
    ref = attainment(model, targets, scenarios=200, seed=1)
    monkeypatch.setattr(simulation, "_SHOCK_TABLE_LIMIT", 0)
    got = attainment(model, targets, scenarios=200, seed=1, chunk_managers=1)
    assert np.array_equal(ref.ratio_quantiles, got.ratio_quantiles) and np.array_equal(ref.hits, got.hits)


def test_streamed_outcomes_are_the_engine_draws():
    model = make_model(1_100)
    targets = spread_targets(model)
    result = attainment(model, targets, scenarios=401, seed=9, quantiles=(0.5,))
    chunks = list(simulate(model, scenarios=401, seed=9, chunk_managers=1))
    assert [c.outcomes.shape for c in chunks] == [(1024, 401), (76, 401)]
    outcomes = np.vstack([c.outcomes for c in chunks])
    hit_rate = (outcomes >= targets[:, None]).mean(axis=1)
    assert np.max(np.abs(hit_rate - result.probability)) <= 1 / 401  # float32 rounding at the boundary only
    # an odd count makes the median one simulated value, so both routes must agree to float32 precision
    np.testing.assert_allclose(np.median(outcomes, axis=1) / targets, result.ratio_quantiles[:, 0], rtol=1e-5)


def test_progress_bar_does_not_change_results(capsys):
    model = make_model(100)
    targets = spread_targets(model)
    quiet = attainment(model, targets, scenarios=200, seed=1)
    loud = attainment(model, targets, scenarios=200, seed=1, progress=True)
    assert np.array_equal(quiet.hits, loud.hits)
    assert "Monte Carlo" in capsys.readouterr().err


# ---------------------------------------------------------------------------- bad input
def test_missing_and_unknown_targets_are_named():
    model = make_model(5)
    targets = pd.Series([1e5, 1e5, 1e5, 1e5], index=["M0000", "M0001", "M0003", "X9"])
    with pytest.raises(ValidationError) as info:
        attainment(model, targets, scenarios=10)
    message = str(info.value)
    assert "missing for 2 managers: M0002, M0004" in message
    assert "not in the performance model: X9" in message


def test_non_positive_targets_are_named():
    model = make_model(4)
    with pytest.raises(ValidationError, match=r"not above 0 for 2 managers: M0001, M0003"):
        attainment(model, [1e5, 0.0, 1e5, np.nan], scenarios=10)


def test_bad_model_parameters_are_reported_together():
    with pytest.raises(ValidationError) as info:
        PerformanceModel(["A", "B", "B"], "R", [1e5, -1.0, 1e5], 0.0, [0.2, 0.2, -0.1], 0.1, df=2)
    message = str(info.value)
    assert "duplicated for 1 managers: B" in message
    assert "column base: missing, infinite or out of range for 1 managers: B" in message
    assert "column sigma" in message and "df" in message and "above 2" in message


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(scenarios=0), "scenarios"),
        (dict(scenarios=10, seed=-1), "seed"),
        (dict(scenarios=10, chunk_managers=0), "chunk_managers"),
        (dict(scenarios=10, quantiles=(1.5,)), "between 0 and 1"),
        (dict(scenarios=10, bonus_base=100.0), "without a payout curve"),
        (dict(scenarios=10, payout=PayoutCurve.standard()), "needs bonus_base"),
    ],
)
def test_bad_run_settings_raise_config_errors(kwargs, fragment):
    model = make_model(3)
    with pytest.raises(ConfigError, match=fragment):
        attainment(model, model.median, **kwargs)


def test_exact_helpers_refuse_models_without_a_closed_form():
    model = make_model(3, df=5, region_sigma=0.1)
    with pytest.raises(CalibrateError, match="Monte Carlo"):
        model.hit_probability(model.median)


def test_model_round_trips_through_a_frame_and_ramp_scales_the_median():
    model = make_model(6)
    frame = model.to_frame().assign(ramp=0.5)
    again = PerformanceModel.from_frame(frame, region_sigma={r: 0.1 for r in model.regions})
    np.testing.assert_allclose(again.median, 0.5 * model.median)
    assert again.hit_probability(again.median) == pytest.approx(np.full(6, 0.5))
    with pytest.raises(ConfigError, match="lacks the column"):
        PerformanceModel.from_frame(frame.drop(columns="sigma"))

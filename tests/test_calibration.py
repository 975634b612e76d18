"""Targets at a difficulty, uniform growth, goal allocation, multi-year goals, ramps."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from calibrate.errors import ConfigError, InfeasibleConstraints
from calibrate.targets.calibration import (
    allocate_goal,
    annual_growth,
    goal_path,
    ramp_share,
    ramp_targets,
    targets_for_probability,
    uniform_growth_for_probability,
)
from calibrate.targets.model import PerformanceModel
from calibrate.targets.simulation import attainment


def make_model(n: int = 200, *, df: float | None = None, region_sigma: float = 0.1, seed: int = 2) -> PerformanceModel:
    rng = np.random.default_rng(seed)
    return PerformanceModel(
        [f"M{i:03d}" for i in range(n)],
        rng.choice(["East", "North", "West"], n),
        rng.uniform(3e5, 3e6, n),
        rng.normal(0.06, 0.05, n),
        rng.uniform(0.1, 0.3, n),
        region_sigma,
        df=df,
    )


def test_equal_difficulty_targets_exact():
    model = make_model()
    frame = targets_for_probability(model, 0.7)
    assert list(frame.columns) == ["manager_id", "region", "target", "probability"]
    np.testing.assert_allclose(model.hit_probability(frame["target"].to_numpy()), 0.7, rtol=1e-12)
    # by hand: log T = mu + log base - sd * z_0.7
    sd = np.sqrt(model.sigma**2 + 0.1**2)
    np.testing.assert_allclose(frame["target"], model.base * np.exp(model.mu - sd * stats.norm.ppf(0.7)), rtol=1e-12)
    # and the Monte Carlo engine agrees (the frame is accepted as targets)
    result = attainment(model, frame, scenarios=10_000, seed=1, quantiles=())
    assert np.all(np.abs(result.probability - 0.7) < 4.5 * np.sqrt(0.21 / 10_000))


def test_equal_difficulty_targets_by_monte_carlo_for_a_heavy_tailed_model():
    model = make_model(100, df=4, region_sigma=0.1)
    frame = targets_for_probability(model, 0.8, scenarios=8_000, seed=3)
    same_draws = attainment(model, frame, scenarios=8_000, seed=3, quantiles=())
    assert np.all(np.abs(same_draws.probability - 0.8) <= 1 / 8_000)  # the empirical 20% quantile
    fresh = attainment(model, frame, scenarios=8_000, seed=99, quantiles=())
    assert abs(fresh.probability.mean() - 0.8) < 0.01
    assert np.all(np.abs(fresh.probability - 0.8) < 6 * np.sqrt(0.16 / 8_000))


def test_uniform_growth_by_hand_for_identical_managers():
    # identical managers: P(Y >= ref (1 + g)) = Phi((mu - log(1 + g)) / sd) = p  =>  g = exp(mu - sd z_p) - 1
    model = PerformanceModel([f"M{i}" for i in range(10)], "R", 1e6, 0.08, 0.2, 0.15)
    result = uniform_growth_for_probability(model, 0.6, 1e6)
    by_hand = np.exp(0.08 - np.hypot(0.2, 0.15) * stats.norm.ppf(0.6)) - 1
    assert result.growth == pytest.approx(by_hand, abs=1e-10)
    np.testing.assert_allclose(result.target, 1e6 * (1 + by_hand), rtol=1e-9)


def test_uniform_growth_gives_the_share_on_average_but_unequal_difficulty():
    model = make_model()
    reference = model.base
    result = uniform_growth_for_probability(model, 0.65, reference)
    probs = model.hit_probability(result.target)
    assert probs.mean() == pytest.approx(0.65, abs=1e-9) and result.expected_share == pytest.approx(0.65)
    assert probs.std() > 0.05  # one rate for all is easy for some and hard for others
    mc = uniform_growth_for_probability(model, 0.65, reference, method="monte_carlo", scenarios=4_000, seed=1)
    assert mc.growth == pytest.approx(result.growth, abs=0.01)
    assert list(result.to_frame().columns) == ["manager_id", "region", "reference", "target", "probability"]


def test_allocation_sums_to_the_goal_with_equal_probabilities():
    model = make_model()
    goal = model.median.sum() * 1.12
    frame = allocate_goal(model, goal)
    assert frame["target"].sum() == pytest.approx(goal, rel=1e-12)
    p = frame["probability"].iloc[0]
    assert 0.05 < p < 0.6
    np.testing.assert_allclose(model.hit_probability(frame["target"].to_numpy()), p, atol=1e-9)
    regions = allocate_goal(model, goal, level="region")
    assert list(regions.columns) == ["region", "managers", "target", "median", "probability"]
    assert regions["target"].sum() == pytest.approx(goal, rel=1e-12)
    east = frame.loc[frame["region"] == "East", "target"].sum()
    assert regions.set_index("region").loc["East", "target"] == pytest.approx(east, rel=1e-12)
    assert regions["managers"].sum() == 200


def test_allocation_of_the_median_total_is_close_to_even_odds():
    model = PerformanceModel(["A", "B"], "R", [1e6, 4e6], 0.0, 0.2, 0.0)
    frame = allocate_goal(model, 5e6)  # identical spreads: median targets exactly, p = 0.5
    np.testing.assert_allclose(frame["target"], [1e6, 4e6], rtol=1e-10)
    assert frame["probability"].iloc[0] == pytest.approx(0.5, abs=1e-10)


def test_allocation_by_monte_carlo_sums_to_the_goal():
    model = make_model(120, df=5, region_sigma=0.1)
    goal = model.median.sum() * 1.05
    frame = allocate_goal(model, goal, scenarios=4_000, seed=2)
    assert frame["target"].sum() == pytest.approx(goal, rel=1e-12)
    p = frame["probability"].iloc[0]
    check = attainment(model, frame, scenarios=4_000, seed=2, quantiles=())
    assert np.all(np.abs(check.probability - p) < 0.01)  # grid interpolation only


def test_unreachable_goal_is_explained():
    model = make_model(20)
    with pytest.raises(InfeasibleConstraints, match="too far above"):
        allocate_goal(model, model.median.sum() * 50)
    with pytest.raises(ConfigError, match="positive amount"):
        allocate_goal(model, -5)


def test_multi_year_goal():
    assert annual_growth(0.2, 3) == pytest.approx(1.2 ** (1 / 3) - 1)
    assert annual_growth(0.2, 3) == pytest.approx(0.062659, abs=1e-6)
    path = goal_path(1_000_000, 0.2, 3)
    np.testing.assert_allclose(path["goal"], [1_062_658.6, 1_129_243.2, 1_200_000.0], rtol=1e-7)
    with pytest.raises(ConfigError, match="whole number"):
        annual_growth(0.2, 0)


def test_new_hire_ramp():
    np.testing.assert_allclose(ramp_share(np.arange(10)), [0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0])
    smooth = ramp_share([3, 4, 5.5, 8], curve="smooth")
    np.testing.assert_allclose(smooth, [0.5, 0.5 + 0.5 * (0.04 * 2.6), 0.75, 1.0])
    np.testing.assert_allclose(
        ramp_targets(400_000, [0, 6, 12], first_year_share=0.4, full_at_quarter=7),
        [160_000, 400_000 * (0.4 + 0.6 * 0.75), 400_000],
    )
    np.testing.assert_allclose(ramp_share([5], curve=lambda u: u**2), [0.5 + 0.5 * 0.16])
    with pytest.raises(ConfigError, match="quarters"):
        ramp_share([-1])


def test_a_plan_draws_the_quantile_grid_once_for_uniform_growth_and_the_allocation(monkeypatch):
    """Uniform growth and the allocated goal read the same scenarios (same seed): the grid is simulated once
    and the results are those of a model that had to simulate it for each."""
    import calibrate.targets.calibration as calibration

    model, twin = make_model(150, df=5), make_model(150, df=5)
    ref = np.full(150, float(np.median(model.median)))
    expected = (
        uniform_growth_for_probability(twin, 0.6, ref, scenarios=3_000, seed=4).target,
        allocate_goal(make_model(150, df=5), twin.median.sum(), scenarios=3_000, seed=4)["target"].to_numpy(),
    )
    calls = []
    real = calibration.outcome_quantiles
    monkeypatch.setattr(calibration, "outcome_quantiles", lambda *a, **k: calls.append(1) or real(*a, **k))
    growth = uniform_growth_for_probability(model, 0.6, ref, scenarios=3_000, seed=4).target
    allocated = allocate_goal(model, model.median.sum(), scenarios=3_000, seed=4)["target"].to_numpy()
    assert len(calls) == 1
    np.testing.assert_array_equal(growth, expected[0])
    np.testing.assert_array_equal(allocated, expected[1])
    allocate_goal(model, model.median.sum(), scenarios=3_000, seed=5)  # another seed: drawn again
    assert len(calls) == 2

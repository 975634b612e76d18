"""Payout curves (hand arithmetic) and bonus cost (exact integrals)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from calibrate.errors import ConfigError
from calibrate.targets.model import PerformanceModel
from calibrate.targets.payout import PayoutCurve
from calibrate.targets.simulation import attainment, bonus_cost


def test_standard_curve_by_hand():
    # threshold 80% pays 0.8 (1:1 up to target), 100% pays 1.0, 2x accelerator, cap 1.5 reached at 125%
    curve = PayoutCurve.standard(threshold=0.8, accelerator=2.0, cap=1.5)
    assert curve.points == ((0.8, 0.8), (1.0, 1.0), (1.25, 1.5))
    attainment_ = [0.0, 0.79, 0.8, 0.9, 1.0, 1.1, 1.2, 1.25, 1.4, 3.0]
    by_hand = [0.0, 0.0, 0.8, 0.9, 1.0, 1.0 + 2 * 0.1, 1.0 + 2 * 0.2, 1.5, 1.5, 1.5]
    np.testing.assert_allclose(curve.coefficient(attainment_), by_hand, rtol=1e-12)
    assert curve.threshold == 0.8 and curve.cap == 1.5


def test_curve_with_a_jump_at_threshold_by_hand():
    # 80% pays half the bonus, linear to 1.0 at 100%: slope (1.0 - 0.5) / 0.2 = 2.5 per unit
    curve = PayoutCurve.standard(threshold=0.8, at_threshold=0.5, accelerator=3.0, cap=1.6)
    assert curve.points[-1] == pytest.approx((1.2, 1.6))
    got = curve.coefficient([0.7999, 0.8, 0.9, 0.96, 1.0, 1.1, 1.3])
    np.testing.assert_allclose(got, [0.0, 0.5, 0.75, 0.9, 1.0, 1.3, 1.6], rtol=1e-12)


def test_uncapped_slope_above_last_point():
    curve = PayoutCurve(((0.9, 0.5), (1.0, 1.0)), slope_above=1.5)
    np.testing.assert_allclose(curve.coefficient([0.95, 1.0, 1.2, 2.0]), [0.75, 1.0, 1.3, 2.5])
    assert curve.cap == float("inf")


@pytest.mark.parametrize(
    "curve",
    [
        PayoutCurve.standard(),
        PayoutCurve.standard(at_threshold=0.5, accelerator=3),
        PayoutCurve(((0.5, 0.0), (0.9, 0.6), (1.0, 1.0), (1.5, 2.0)), slope_above=0.5),
    ],
)
def test_engine_float32_coefficient_equals_reference(curve):
    x = np.linspace(0, 2.5, 100_001).astype(np.float32).reshape(1, -1)
    out, scratch = np.empty_like(x), np.empty_like(x)
    fast = curve.coefficient_into(x, out, scratch)
    np.testing.assert_allclose(fast, curve.coefficient(x.astype(float)), atol=2e-6)


@pytest.mark.parametrize(
    "points, fragment",
    [
        (((1.0, 1.0), (0.8, 0.8)), "increase strictly"),
        (((0.8, 1.0), (1.0, 0.5)), "must not fall"),
        (((0.8, -0.1), (1.0, 1.0)), "0 or more"),
        ((), "at least one"),
    ],
)
def test_invalid_curves_are_explained(points, fragment):
    with pytest.raises(ConfigError, match=fragment):
        PayoutCurve(points)


def test_bonus_cost_of_a_certain_world_is_plain_arithmetic():
    # no noise at all: every scenario pays exactly base * coefficient(median / target)
    model = PerformanceModel(["A", "B", "C"], ["N", "N", "S"], [100.0, 100.0, 100.0], 0.0, 0.0, 0.0)
    targets = [125.0, 90.0, 80.0]  # attainment 0.8, 1.111..., 1.25
    curve = PayoutCurve.standard()
    cost = bonus_cost(model, targets, curve, [10_000.0, 20_000.0, 5_000.0], scenarios=50)
    by_hand = 10_000 * 0.8 + 20_000 * (1 + 2 * (100 / 90 - 1)) + 5_000 * 1.5
    np.testing.assert_allclose(cost.total, by_hand, rtol=1e-6)
    assert cost.p50 == pytest.approx(by_hand, rel=1e-6) and cost.p99 == pytest.approx(by_hand, rel=1e-6)
    np.testing.assert_allclose(cost.expected_bonus, [8_000, 20_000 * (1 + 2 / 9), 7_500], rtol=1e-6)


def _expected_coefficient(curve: PayoutCurve, log_mean: float, log_sd: float) -> float:
    def f(z: float) -> float:
        return float(curve.coefficient(np.exp(log_mean + log_sd * z))) * stats.norm.pdf(z)

    kinks = [(np.log(a) - log_mean) / log_sd for a, _ in curve.points]
    value, _ = integrate.quad(f, -10, 10, points=kinks, limit=200)
    return value


def test_bonus_cost_matches_the_exact_expectation_and_its_distribution_is_ordered():
    rng = np.random.default_rng(3)
    n = 400
    model = PerformanceModel(
        [f"M{i}" for i in range(n)],
        rng.choice(["N", "S"], n),
        rng.uniform(1e5, 1e6, n),
        0.04,
        rng.uniform(0.1, 0.3, n),
        0.1,
    )
    targets = model.median * np.exp(rng.uniform(-0.2, 0.2, n))
    base = rng.uniform(1e4, 5e4, n)
    curve = PayoutCurve.standard()
    cost = bonus_cost(model, targets, curve, base, scenarios=20_000, seed=5)
    for i in (0, 101, 333):
        exact = _expected_coefficient(curve, model.log_median[i] - np.log(targets[i]), model.log_sd[i])
        # the coefficient lies in [0, 1.5]: its standard error is at most 0.75 / sqrt(n)
        assert cost.expected_coefficient[i] == pytest.approx(exact, abs=4 * 0.75 / np.sqrt(20_000))
    assert cost.mean == pytest.approx(cost.expected_bonus.sum(), rel=1e-9)
    assert cost.p50 < cost.p90 < cost.p99 <= cost.total.max() <= 1.5 * base.sum()
    summary = cost.summary()
    assert summary["target_pool"] == pytest.approx(base.sum()) and summary["p90"] == cost.p90
    assert list(cost.to_frame().columns) == [
        "manager_id",
        "region",
        "bonus_base",
        "expected_coefficient",
        "expected_bonus",
    ]


def test_bonus_cost_uses_the_attainment_draws():
    model = PerformanceModel(["A", "B", "C", "D"], ["N", "N", "S", "S"], 1e5, 0.0, 0.2, 0.1)
    plain = attainment(model, model.median, scenarios=2_000, seed=3)
    with_pay = attainment(
        model, model.median, scenarios=2_000, seed=3, payout=PayoutCurve.standard(), bonus_base=1_000.0
    )
    assert np.array_equal(plain.hits, with_pay.hits)
    assert np.array_equal(plain.ratio_quantiles, with_pay.ratio_quantiles)
    assert "bonus_p90" in with_pay.team_summary() and "expected_bonus" in with_pay.to_frame()
    # a manager below the threshold in a scenario is paid nothing: P(ratio < 0.8) of the payouts are zero
    assert with_pay.bonus.expected_coefficient.max() < 1.5

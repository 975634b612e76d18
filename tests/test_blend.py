"""Blending weight sources and finding the closest weights within bands, limits and the change cap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate.errors import CalibrateError, InfeasibleConstraints
from calibrate.indicators import load_indicator_set, parse_indicator_set
from calibrate.weights.blend import blend, blend_target, closest_weights, weight_constraints


def _toy(min_a1: float = 0.0):
    """Two dimensions: A (band 0.5-0.7) with a1, a2; B (band 0.3-0.5) with b1."""
    ind = [
        {
            "id": i,
            "label": i,
            "dimension": d,
            "direction": "higher",
            "unit": "rate",
            "source": "performance",
            "compute": {"column": "revenue"},
            "review_period": "quarter",
        }
        for i, d in (("a1", "A"), ("a2", "A"), ("b1", "B"))
    ]
    ind[0]["min_weight"] = min_a1
    return parse_indicator_set(
        {
            "name": "toy",
            "dimensions": {"A": {"label": "A", "band": [0.5, 0.7]}, "B": {"label": "B", "band": [0.3, 0.5]}},
            "indicators": ind,
        }
    )


def test_change_cap_binds_and_the_rest_moves_equally():
    """Target (0.5, 0.2, 0.3), last year (0.3, 0.3, 0.4), cap 0.1: a1 stops at 0.3 + 0.1 = 0.4 and the
    missing 0.1 is shared equally by a2 and b1 (+0.05 each): (0.40, 0.25, 0.35)."""
    rules = weight_constraints(_toy(), pd.Series({"a1": 0.3, "a2": 0.3, "b1": 0.4}), max_change=0.1)
    result = blend({"x": pd.Series({"a1": 0.5, "a2": 0.2, "b1": 0.3})}, {"x": 1.0}, rules)
    np.testing.assert_allclose(result.weights.to_numpy(), [0.40, 0.25, 0.35], atol=1e-7)
    assert list(result.binding) == ["cap", "", ""]
    np.testing.assert_allclose(result.change.to_numpy(), [0.10, -0.05, -0.05], atol=1e-7)
    assert result.distance == pytest.approx(np.sqrt(0.1**2 + 2 * 0.05**2), abs=1e-7)


def test_dimension_band_binds():
    """Target (0.5, 0.4, 0.1), no cap: B needs at least 0.3, so A gives up 0.2 (0.1 each): (0.4, 0.3, 0.3)."""
    rules = weight_constraints(_toy(), None)
    result = blend({"x": pd.Series({"a1": 0.5, "a2": 0.4, "b1": 0.1})}, {"x": 1.0}, rules)
    np.testing.assert_allclose(result.weights.to_numpy(), [0.4, 0.3, 0.3], atol=1e-7)
    assert list(result.binding) == ["band_high", "band_high", "band_low"]


def test_minimum_weight_binds():
    """a1 must keep 0.3: from target (0.1, 0.45, 0.45) it rises to 0.3 and a2, b1 each give up 0.1:
    (0.30, 0.35, 0.35); both dimensions stay inside their bands."""
    rules = weight_constraints(_toy(min_a1=0.3), None)
    result = blend({"x": pd.Series({"a1": 0.1, "a2": 0.45, "b1": 0.45})}, {"x": 1.0}, rules)
    np.testing.assert_allclose(result.weights.to_numpy(), [0.3, 0.35, 0.35], atol=1e-7)
    assert list(result.binding) == ["min", "", ""]


def test_blend_target_is_the_share_weighted_average():
    ev = pd.Series({"a1": 0.6, "a2": 0.2, "b1": 0.2})
    ex = pd.Series({"a1": 0.2, "a2": 0.4, "b1": 0.4})
    target, parts = blend_target({"evidence": ev, "ahp": ex}, {"evidence": 0.75, "ahp": 0.25})
    np.testing.assert_allclose(target.to_numpy(), [0.5, 0.25, 0.25])
    np.testing.assert_allclose(parts["ahp"].to_numpy(), [0.05, 0.1, 0.1])
    with pytest.raises(CalibrateError, match="must add up to 1, they add up to 0.9000"):
        blend_target({"evidence": ev, "ahp": ex}, {"evidence": 0.6, "ahp": 0.3})
    with pytest.raises(CalibrateError, match="baseline have a share but were not computed"):
        blend_target({"evidence": ev}, {"evidence": 0.5, "baseline": 0.5})


def test_last_years_weights_as_target_come_back_unchanged():
    iset = load_indicator_set("account_manager")
    last = iset.default_weights()
    result = blend({"ahp": last}, {"ahp": 1.0}, weight_constraints(iset, last, max_change=0.05))
    np.testing.assert_allclose(result.weights.to_numpy(), last.to_numpy(), atol=1e-8)
    assert (result.change.abs() < 1e-8).all()


def test_infeasible_dimension_names_the_conflict_and_the_fix():
    """Customer value needs 0.25, but last year's 0.04+0.03+0.03 with a 0.04 cap reach only 0.22."""
    iset = load_indicator_set("account_manager")
    last = iset.default_weights()
    last[["nps", "satisfaction", "key_customer_churn"]] = [0.04, 0.03, 0.03]
    rules = weight_constraints(iset, last, max_change=0.04)
    with pytest.raises(InfeasibleConstraints) as err:
        closest_weights(last / last.sum(), rules)
    msg = str(err.value)
    assert (
        "dimension customer_value (Customer value) needs at least 0.25 but its indicators can reach at most "
        "0.22 within the 0.04 change cap from last year's 0.04+0.03+0.03 (nps, satisfaction, "
        "key_customer_churn)"
    ) in msg
    assert "raise weights.max_change to at least 0.050" in msg  # (0.25 - 0.10) / 3 = 0.05


def test_infeasible_indicator_limit_and_total_are_explained():
    iset = _toy(min_a1=0.45)
    rules = weight_constraints(iset, pd.Series({"a1": 0.3, "a2": 0.3, "b1": 0.4}), max_change=0.1)
    with pytest.raises(
        InfeasibleConstraints,
        match=r"a1 needs at least its min_weight 0.450, but the change cap "
        r"allows at most 0.400 .*at least 0.150",
    ):
        rules.check_feasible()
    # every indicator can move 0.05: A reaches at most 0.45 + 0.05... total at most 0.95 < 1
    low = weight_constraints(_toy(), pd.Series({"a1": 0.25, "a2": 0.25, "b1": 0.3}), max_change=0.05)
    with pytest.raises(
        InfeasibleConstraints, match="needs at least 0.50 but its indicators can reach at most 0.60|cannot add up to 1"
    ):
        low.check_feasible()


def test_total_that_cannot_reach_one_lists_each_dimension():
    rules = weight_constraints(_toy(), pd.Series({"a1": 0.3, "a2": 0.3, "b1": 0.3}), max_change=0.03)
    with pytest.raises(InfeasibleConstraints) as err:
        rules.check_feasible()
    assert (
        "the weights cannot add up to 1: within the bands, indicator limits and change cap the dimensions "
        "reach at most 0.990 in total (dimension A at most 0.660, dimension B at most 0.330)"
    ) in str(err.value)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=8, max_size=8).filter(lambda v: sum(v) > 0.05))
def test_any_target_gives_admissible_weights_nearest_the_target(values):
    """Property: for any target the result obeys every rule, and no admissible point is closer
    (checked against an independent solver, SciPy's trust-constr, on the same problem)."""
    from scipy.optimize import LinearConstraint, minimize

    iset = load_indicator_set("account_manager")
    last = iset.default_weights()
    rules = weight_constraints(iset, last, max_change=0.05)
    target = pd.Series(np.array(values) / sum(values), index=list(iset.ids))
    w = closest_weights(target, rules)
    assert w.sum() == pytest.approx(1.0, abs=1e-8)
    assert np.all(np.abs(w - last.to_numpy()) <= 0.05 + 1e-8)
    dims = iset.dimension_of()
    for dim, (lo, hi) in iset.bands().iterrows():
        share = w[(dims == dim).to_numpy()].sum()
        assert lo - 1e-8 <= share <= hi + 1e-8
    member = np.array([(dims == d).to_numpy() for d in iset.bands().index], dtype=float)
    bands = iset.bands()
    ref = minimize(
        lambda x: ((x - target.to_numpy()) ** 2).sum(),
        last.to_numpy(),
        method="trust-constr",
        jac=lambda x: 2 * (x - target.to_numpy()),
        bounds=list(zip(rules.lower, rules.upper)),
        constraints=[
            LinearConstraint(np.ones((1, 8)), 1, 1),
            LinearConstraint(member, bands["low"].to_numpy(), bands["high"].to_numpy()),
        ],
        options={"gtol": 1e-10, "xtol": 1e-12, "maxiter": 3000},
    )
    assert ((w - target.to_numpy()) ** 2).sum() <= ((ref.x - target.to_numpy()) ** 2).sum() + 1e-7


@pytest.mark.parametrize("cap", [0.02, 0.05, None])
def test_many_targets_are_projected_at_once_onto_the_nearest_admissible_weights(cap):
    """The bootstrap projects every resample's target in one call: each row obeys every rule to 1e-12 and is
    no farther from its target than the nearest point SciPy's trust-constr finds (an independent solver)."""
    from scipy.optimize import LinearConstraint, minimize

    from calibrate.weights.blend import linear_form, project_onto_rules

    iset = load_indicator_set("account_manager")
    rules = weight_constraints(iset, iset.default_weights(), max_change=cap)
    lo, hi, a, b = linear_form(rules)
    targets = np.random.default_rng(3).dirichlet(np.full(8, 0.6), size=12)
    w = project_onto_rules(targets, rules)
    assert np.abs(w.sum(axis=1) - 1).max() < 1e-12
    assert (w >= lo - 1e-12).all() and (w <= hi + 1e-12).all() and (w @ a.T - b >= -1e-12).all()
    for t, row in zip(targets, w):
        ref = minimize(
            lambda x, t=t: ((x - t) ** 2).sum(),
            np.clip(t, lo, hi),
            jac=lambda x, t=t: 2 * (x - t),
            method="trust-constr",
            bounds=list(zip(lo, hi)),
            constraints=[LinearConstraint(np.ones((1, 8)), 1, 1), LinearConstraint(a, b, np.inf)],
            options={"gtol": 1e-12, "xtol": 1e-14, "maxiter": 5000},
        )
        assert ((row - t) ** 2).sum() <= ((ref.x - t) ** 2).sum() + 1e-10
    np.testing.assert_array_equal(w[4], closest_weights(pd.Series(targets[4], index=list(iset.ids)), rules))

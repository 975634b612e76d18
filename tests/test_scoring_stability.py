"""Grade stability under uncertain weights: weight draws in ranges and bands, a hand case, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibrate.errors import InfeasibleConstraints
from calibrate.indicators import load_indicator_set
from calibrate.scoring import Grading, compare_weightings, grade_stability, sample_weights

THIRDS = Grading.forced({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})


def _points():
    idx = pd.MultiIndex.from_tuples(
        [("M1", "2025Q1"), ("M2", "2025Q1"), ("M3", "2025Q1")], names=["manager_id", "period"]
    )
    return pd.DataFrame({"a": [100.0, 0.0, 50.0], "b": [0.0, 100.0, 50.0]}, index=idx)


def test_grade_change_probability_and_rank_correlations_by_hand():
    # proposed 0.6/0.4: M1 60 (A), M3 50 (B), M2 40 (C); the draw 0.4/0.6 swaps M1 and M2.
    points = _points()
    scores = pd.Series({"M1": 60.0, "M2": 40.0, "M3": 50.0})
    grades = THIRDS.assign(scores)
    draws = pd.DataFrame({"a": [0.6, 0.4], "b": [0.4, 0.6]})
    result = grade_stability(points, scores, grades, draws, THIRDS, boundary_probability=0.5)
    m = result.managers.set_index("manager_id")
    assert m["p_grade_change"].to_dict() == {"M1": 0.5, "M2": 0.5, "M3": 0.0}
    assert m.loc["M1", "p_grade_down"] == 0.5 and m.loc["M2", "p_grade_up"] == 0.5
    assert m.loc["M1", ["best_grade", "worst_grade"]].tolist() == ["A", "C"]
    assert m["on_boundary"].to_dict() == {"M1": True, "M2": True, "M3": False}
    assert result.draws["spearman"].tolist() == pytest.approx([1.0, -1.0])
    assert result.draws["kendall"].tolist() == pytest.approx([1.0, -1.0])
    assert result.draws["same_grade"].tolist() == pytest.approx([1.0, 1 / 3])
    # grade cuts lie midway between adjacent grades: 55 (A/B) and 45 (B/C)
    assert m["distance_to_cut"].to_dict() == pytest.approx({"M1": 5.0, "M2": 5.0, "M3": 5.0})
    assert result.summary()["expected_share_changing_grade"] == pytest.approx(1 / 3)


def test_compare_named_weightings():
    out = compare_weightings(
        _points(), {"proposed": pd.Series({"a": 0.6, "b": 0.4}), "last_year": pd.Series({"a": 0.4, "b": 0.6})}, THIRDS
    )
    assert out.loc[0, ["weights_a", "weights_b"]].tolist() == ["proposed", "last_year"]
    assert out.loc[0, "spearman"] == pytest.approx(-1.0) and out.loc[0, "same_grade"] == pytest.approx(1 / 3)


def test_weight_draws_stay_in_ranges_and_dimension_bands_and_are_reproducible():
    iset = load_indicator_set("account_manager")
    w = iset.default_weights()
    ranges = pd.DataFrame({"low": w * 0.7, "high": w * 1.3})
    draws = sample_weights(w, ranges, draws=300, seed=5, dimension_of=iset.dimension_of(), bands=iset.bands())
    assert draws.shape == (300, 8)
    assert np.allclose(draws.sum(axis=1), 1.0)
    bands = iset.bands()
    shares = draws.T.groupby(iset.dimension_of()).sum().T[bands.index]
    assert ((shares >= bands["low"] - 1e-9) & (shares <= bands["high"] + 1e-9)).all().all()
    # renormalising moves a weight by at most the factor sum range: (0.7 / 1.3, 1.3 / 0.7)
    assert (draws >= w * 0.7 / 1.3 - 1e-12).all().all() and (draws <= w * 1.3 / 0.7 + 1e-12).all().all()
    assert draws.mean().to_numpy() == pytest.approx(w.to_numpy(), abs=0.01)
    again = sample_weights(w, ranges, draws=300, seed=5, dimension_of=iset.dimension_of(), bands=iset.bands())
    pd.testing.assert_frame_equal(draws, again)


def test_ranges_that_cannot_respect_the_bands_are_reported():
    iset = load_indicator_set("account_manager")
    w = iset.default_weights()
    ranges = pd.DataFrame({"low": w, "high": w})
    ranges.loc["revenue_attainment"] = [0.6, 0.7]  # results would take ~65-70% of the weight: band 50-60%
    with pytest.raises(InfeasibleConstraints, match="kept every dimension inside its weight band; widen"):
        sample_weights(w, ranges, draws=50, seed=0, dimension_of=iset.dimension_of(), bands=iset.bands())

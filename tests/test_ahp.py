"""Tests for calibrate.weights.ahp: priorities, consistency, validation and panels."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrate.errors import CalibrateError, InvalidJudgments
from calibrate.weights.ahp import (
    SAATY_RANDOM_INDEX,
    SAATY_SCALE,
    aggregate_judgments,
    aggregate_priorities,
    ahp_panel,
    ahp_priorities,
    reciprocal_matrix,
)

# tests/reference/ahp_drinks.json (a copy of the project's shared/reference/ahp_drinks.json): relative
# consumption of drinks in the United States, Saaty's classic AHP validation example. Source: T. L. Saaty,
# The Analytic Hierarchy Process (1980), reproduced in the AHPy project (github PhilipGriffith/ahpy),
# which prints the published values.
DRINKS_FILE = Path(__file__).resolve().parent / "reference" / "ahp_drinks.json"


@pytest.fixture(scope="module")
def drinks() -> dict:
    return json.loads(DRINKS_FILE.read_text(encoding="utf-8"))


def _long(case: dict) -> pd.DataFrame:
    rows = [(*pair.split("/"), value) for pair, value in case["judgments_upper_triangle"].items()]
    return pd.DataFrame(rows, columns=["row", "col", "value"])


def _consistent_long(weights: dict[str, float], expert: str | None = None) -> pd.DataFrame:
    names = list(weights)
    rows = [
        (names[i], names[j], weights[names[i]] / weights[names[j]])
        for i in range(len(names))
        for j in range(i + 1, len(names))
    ]
    frame = pd.DataFrame(rows, columns=["row", "col", "value"])
    if expert is not None:
        frame.insert(0, "expert", expert)
    return frame


# --------------------------------------------------------------------------- published case


def test_drinks_priorities_match_published_3_and_4_decimals(drinks):
    """ahp_drinks.json (Saaty 1980 drinks case): all 7 priorities to 3 and 4 decimals."""
    result = ahp_priorities(_long(drinks), drinks["items"])
    assert list(result.priorities.index) == drinks["items"]
    for item, published in drinks["published_priorities_3dp"].items():
        assert round(result.priorities[item], 3) == pytest.approx(published, abs=1e-12), item
    for item, published in drinks["published_priorities_4dp"].items():
        assert round(result.priorities[item], 4) == pytest.approx(published, abs=1e-12), item


def test_drinks_consistency_ratio_matches_published(drinks):
    """ahp_drinks.json: CR 0.022 with Saaty's RI(7) = 1.32 (lambda_max 7.1766)."""
    result = ahp_priorities(_long(drinks), drinks["items"])
    assert result.random_index == 1.32
    assert result.lambda_max == pytest.approx(7.1766, abs=5e-5)
    assert result.consistency_index == pytest.approx((result.lambda_max - 7) / 6)
    assert round(result.consistency_ratio, 3) == drinks["published_consistency_ratio_3dp"]
    assert result.consistent


def test_drinks_square_input_gives_the_same_result(drinks):
    """The same judgments as a square reciprocal matrix give identical priorities."""
    long = _long(drinks)
    square = reciprocal_matrix(long, drinks["items"])
    assert np.allclose(square.to_numpy() * square.to_numpy().T, 1.0)
    from_square = ahp_priorities(square)
    from_long = ahp_priorities(long, drinks["items"])
    pd.testing.assert_series_equal(from_square.priorities, from_long.priorities)
    assert from_square.consistency_ratio == pytest.approx(from_long.consistency_ratio)


def test_random_index_table_is_saatys():
    """Saaty (1980) RI table, n = 1..15."""
    assert [SAATY_RANDOM_INDEX[n] for n in range(1, 16)] == [
        0.0,
        0.0,
        0.58,
        0.90,
        1.12,
        1.24,
        1.32,
        1.41,
        1.45,
        1.49,
        1.51,
        1.48,
        1.56,
        1.57,
        1.59,
    ]


# --------------------------------------------------------------------------- diagnostics


def test_worst_judgment_points_at_the_reversed_pair():
    """Weights 8:4:2:1 give a/b=2, a/c=4, a/d=8, b/c=2, b/d=4, c/d=2; reversing c/d to 1/2
    leaves every other pair consistent, so c/d is the worst judgment; the other
    judgments pull the implied c/d back towards 2 (here to about 0.97, nearest scale
    value 1), far from the stated 1/2."""
    long = _consistent_long({"a": 8, "b": 4, "c": 2, "d": 1})
    long.loc[(long["row"] == "c") & (long["col"] == "d"), "value"] = 0.5
    result = ahp_priorities(long)
    worst = result.worst_judgment
    assert (worst.row, worst.col, worst.value) == ("c", "d", 0.5)
    assert worst.consistent_value == pytest.approx(result.priorities["c"] / result.priorities["d"])
    assert worst.consistent_value == pytest.approx(0.9654, abs=1e-4)
    assert worst.suggested_value == 1.0
    assert worst.log_error == pytest.approx(math.log(0.9654067534 / 0.5), abs=1e-6)
    assert result.consistency_ratio > 0


def test_circular_judgments_are_flagged_inconsistent():
    """a > b (9), b > c (9), c > a (9) is maximally circular: CR far above 0.1."""
    long = pd.DataFrame({"row": ["a", "b", "c"], "col": ["b", "c", "a"], "value": [9, 9, 9]})
    result = ahp_priorities(long)
    assert not result.consistent
    assert result.consistency_ratio > 1.0
    assert result.priorities.to_numpy() == pytest.approx([1 / 3] * 3)
    assert "NOT consistent" in str(result.summary())


def test_summary_and_frame_report_the_figures():
    result = ahp_priorities(
        pd.DataFrame({"row": ["revenue", "revenue", "nps"], "col": ["nps", "churn", "churn"], "value": [3, 5, 2]}),
        expert="E1",
    )
    frame = result.to_frame()
    assert list(frame.columns) == ["expert", "item", "priority", "rank"]
    assert frame.set_index("item")["rank"].to_dict() == {"revenue": 1, "nps": 2, "churn": 3}
    assert frame["priority"].sum() == pytest.approx(1.0)
    text = str(result.summary())
    assert "expert E1" in text and "CR = 0.003" in text and "RI(3) = 0.58" in text
    assert "revenue/churn = 5" in text


def test_two_items_are_always_consistent():
    result = ahp_priorities(pd.DataFrame({"row": ["x"], "col": ["y"], "value": [4]}))
    assert result.priorities.to_dict() == pytest.approx({"x": 0.8, "y": 0.2})
    assert result.consistency_ratio == 0.0 and result.consistent
    assert result.worst_judgment is None


# --------------------------------------------------------------------------- bad input, one class each


def test_off_scale_judgment_names_expert_and_cell():
    long = pd.DataFrame({"row": ["nps"], "col": ["satisfaction"], "value": [12]})
    with pytest.raises(
        InvalidJudgments, match=r"^expert E3: judgment nps/satisfaction = 12 is off Saaty's 1/9-9 scale$"
    ):
        reciprocal_matrix(long, expert="E3")


def test_scale_tolerance_accepts_rounded_ninth_but_not_a_tenth():
    ok = reciprocal_matrix(pd.DataFrame({"row": ["a"], "col": ["b"], "value": [0.11]}))
    assert ok.loc["b", "a"] == pytest.approx(1 / 0.11)
    with pytest.raises(InvalidJudgments, match=r"judgment a/b = 1/10 is off Saaty's 1/9-9 scale"):
        reciprocal_matrix(pd.DataFrame({"row": ["a"], "col": ["b"], "value": [0.1]}))


def test_non_positive_judgment_is_rejected():
    long = pd.DataFrame({"row": ["a", "a", "b"], "col": ["b", "c", "c"], "value": [-3, 2, 2]})
    with pytest.raises(InvalidJudgments, match=r"judgment a/b = -3 is not positive.*use 1/3, not -3"):
        reciprocal_matrix(long)


def test_missing_or_text_value_is_rejected():
    long = pd.DataFrame({"row": ["a", "a", "b"], "col": ["b", "c", "c"], "value": [3, "strong", None]})
    with pytest.raises(InvalidJudgments) as info:
        reciprocal_matrix(long)
    message = str(info.value)
    assert message.startswith("2 problems in the pairwise judgments:")
    assert "judgment a/c = 'strong' is missing or not a number" in message
    assert "judgment b/c = None is missing or not a number" in message


def test_non_reciprocal_square_matrix_names_both_cells():
    square = pd.DataFrame([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 2, 1]], index=["a", "b", "c"], columns=["a", "b", "c"])
    with pytest.raises(InvalidJudgments, match=r"judgments b/c = 2 and c/b = 2 are not reciprocal: .* c/b must be 1/2"):
        reciprocal_matrix(square, expert=None)


def test_square_matrix_diagonal_must_be_one():
    square = pd.DataFrame([[2, 3], [1 / 3, 1]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(InvalidJudgments, match=r"diagonal cell a/a = 2.0 must be 1"):
        reciprocal_matrix(square)


def test_nearly_reciprocal_square_matrix_is_made_exactly_reciprocal():
    square = pd.DataFrame([[1, 3], [0.33, 1]], index=["a", "b"], columns=["a", "b"])
    matrix = reciprocal_matrix(square)
    assert matrix.loc["a", "b"] == pytest.approx(math.sqrt(3 / 0.33))
    assert matrix.loc["a", "b"] * matrix.loc["b", "a"] == pytest.approx(1.0, abs=1e-15)


def test_missing_pairs_are_listed():
    long = pd.DataFrame({"row": ["a"], "col": ["b"], "value": [3]})
    with pytest.raises(
        InvalidJudgments, match=r"^2 of 3 pairs have no judgment: a/c, b/c; every pair of items needs one$"
    ):
        reciprocal_matrix(long, items=["a", "b", "c"])


def test_duplicate_pairs_are_rejected_in_either_orientation():
    long = pd.DataFrame({"row": ["a", "b"], "col": ["b", "a"], "value": [3, 1 / 3]})
    with pytest.raises(InvalidJudgments, match=r"judgment b/a is given twice \(entries 1 and 2, the first as a/b\)"):
        reciprocal_matrix(long)


def test_unknown_item_is_named():
    long = pd.DataFrame(
        {"row": ["nps", "nps", "revenue"], "col": ["revenue", "loyalty", "loyalty"], "value": [1, 2, 3]}
    )
    with pytest.raises(
        InvalidJudgments,
        match=r"expert E2: judgment nps/loyalty names an unknown item 'loyalty'; "
        r"the items are nps, revenue, churn",
    ):
        reciprocal_matrix(long, items=["nps", "revenue", "churn"], expert="E2")


def test_self_comparison_other_than_one_is_rejected():
    long = pd.DataFrame({"row": ["a", "a"], "col": ["a", "b"], "value": [3, 2]})
    with pytest.raises(InvalidJudgments, match=r"judgment a/a = 3 compares an item with itself"):
        reciprocal_matrix(long)


def test_wrong_columns_are_explained():
    with pytest.raises(InvalidJudgments, match=r"missing column\(s\): col"):
        reciprocal_matrix(pd.DataFrame({"row": ["a"], "column": ["b"], "value": [3]}))


def test_more_than_fifteen_items_suggests_a_hierarchy():
    names = [f"i{k}" for k in range(16)]
    long = _consistent_long({n: 1.0 for n in names})
    with pytest.raises(InvalidJudgments, match=r"16 items cannot be compared .* Split the items into a hierarchy"):
        ahp_priorities(long)


def test_invalid_judgments_is_a_calibrate_error():
    assert issubclass(InvalidJudgments, CalibrateError)


# --------------------------------------------------------------------------- panels


def test_aggregate_judgments_is_the_geometric_mean_by_hand():
    """E1: a/b = 3, a/c = 9, b/c = 3; E2: a/b = 1/3, a/c = 1, b/c = 3.
    AIJ: a/b = sqrt(3 * 1/3) = 1, a/c = sqrt(9 * 1) = 3, b/c = 3.
    With weights 3:1, a/b = 3^(3/4) * (1/3)^(1/4) = 3^(1/2)."""
    e1 = pd.DataFrame({"row": ["a", "a", "b"], "col": ["b", "c", "c"], "value": [3, 9, 3]})
    e2 = pd.DataFrame({"row": ["a", "a", "b"], "col": ["b", "c", "c"], "value": [1 / 3, 1, 3]})
    agg = aggregate_judgments({"E1": e1, "E2": e2})
    assert agg.loc["a", "b"] == pytest.approx(1.0)
    assert agg.loc["a", "c"] == pytest.approx(3.0)
    assert agg.loc["b", "c"] == pytest.approx(3.0)
    assert agg.loc["c", "a"] == pytest.approx(1 / 3)
    weighted = aggregate_judgments({"E1": e1, "E2": e2}, weights={"E1": 3, "E2": 1})
    assert weighted.loc["a", "b"] == pytest.approx(math.sqrt(3))


def test_aggregate_priorities_is_the_renormalised_geometric_mean_by_hand():
    """E1 priorities (0.5, 0.25, 0.25) and E2 (0.25, 0.5, 0.25): geometric means
    (sqrt(.125), sqrt(.125), .25) = (.35355, .35355, .25), renormalised / .95711."""
    r1 = ahp_priorities(_consistent_long({"a": 2, "b": 1, "c": 1}), expert="E1")
    r2 = ahp_priorities(_consistent_long({"a": 1, "b": 2, "c": 1}), expert="E2")
    aip = aggregate_priorities({"E1": r1, "E2": r2})
    g = np.array([math.sqrt(0.125), math.sqrt(0.125), 0.25])
    assert aip.to_numpy() == pytest.approx(g / g.sum())
    assert aggregate_priorities([r1, r2]).to_numpy() == pytest.approx(g / g.sum())


def test_panel_reports_each_expert_and_both_aggregates():
    panel_input = pd.concat(
        [
            _consistent_long({"revenue": 4, "nps": 2, "churn": 1}, expert="E1"),
            _consistent_long({"revenue": 2, "nps": 2, "churn": 1}, expert="E2"),
            pd.DataFrame(
                {
                    "expert": "E3",
                    "row": ["revenue", "revenue", "nps"],
                    "col": ["nps", "churn", "churn"],
                    "value": [9, 1 / 9, 9],
                }
            ),
        ],
        ignore_index=True,
    )
    panel = ahp_panel(panel_input)
    assert list(panel.experts) == ["E1", "E2", "E3"]
    assert panel.experts["E1"].priorities.to_numpy() == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert panel.experts["E1"].consistent and not panel.experts["E3"].consistent
    frame = panel.to_frame()
    assert len(frame) == 5 * 3
    assert set(frame["source"]) == {"E1", "E2", "E3", "aggregate (AIJ)", "aggregate (AIP)"}
    assert frame.groupby("source")["priority"].sum().to_numpy() == pytest.approx(np.ones(5))
    assert frame.loc[frame["source"] == "aggregate (AIP)", "consistency_ratio"].isna().all()
    checks = panel.consistency_frame().set_index("expert")
    assert checks.loc["E3", "consistent"] == False  # noqa: E712 (numpy bool)
    assert checks.loc["E3", "worst_pair"] in {"revenue/nps", "revenue/churn", "nps/churn"}
    assert checks["weight"].to_numpy() == pytest.approx([1 / 3] * 3)


def test_panel_collects_every_experts_problems():
    bad = pd.DataFrame(
        {
            "expert": ["E1", "E1", "E1", "E3", "E3", "E3"],
            "row": ["nps", "nps", "sat", "nps", "nps", "sat"],
            "col": ["sat", "churn", "churn", "sat", "churn", "churn"],
            "value": [3, 2, 1, 12, 2, 0],
        }
    )
    with pytest.raises(InvalidJudgments) as info:
        ahp_panel(bad)
    message = str(info.value)
    assert "expert E3: judgment nps/sat = 12 is off Saaty's 1/9-9 scale" in message
    assert "expert E3: judgment sat/churn = 0 is not positive" in message
    assert "expert E1" not in message


def test_expert_weights_must_cover_the_panel():
    panel_input = pd.concat([_consistent_long({"a": 2, "b": 1}, "E1"), _consistent_long({"a": 1, "b": 1}, "E2")])
    with pytest.raises(InvalidJudgments, match=r"expert weights are missing for: E2"):
        ahp_panel(panel_input, weights={"E1": 1.0})
    with pytest.raises(InvalidJudgments, match=r"expert weights must be positive numbers: E2 = -1.0"):
        ahp_panel(panel_input, weights={"E1": 1.0, "E2": -1.0})


# --------------------------------------------------------------------------- properties

_scale_values = st.sampled_from(SAATY_SCALE)


@st.composite
def _random_judgments(draw, min_items: int = 2, max_items: int = 9) -> pd.DataFrame:
    n = draw(st.integers(min_items, max_items))
    names = [f"i{k}" for k in range(n)]
    rows = [(names[i], names[j], draw(_scale_values)) for i in range(n) for j in range(i + 1, n)]
    return pd.DataFrame(rows, columns=["row", "col", "value"])


@settings(max_examples=60, deadline=None)
@given(_random_judgments())
def test_priorities_are_positive_and_sum_to_one(long):
    result = ahp_priorities(long)
    assert result.priorities.sum() == pytest.approx(1.0, abs=1e-12)
    assert (result.priorities > 0).all()
    assert result.lambda_max >= len(result.priorities) - 1e-9  # Perron: lambda_max >= n
    assert result.consistency_ratio >= 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(1.0, 9.0), min_size=2, max_size=12))
def test_consistent_matrix_returns_its_weights_and_zero_cr(raw):
    weights = {f"i{k}": w for k, w in enumerate(raw)}
    result = ahp_priorities(_consistent_long(weights))
    expected = np.array(raw) / sum(raw)
    assert result.priorities.to_numpy() == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert result.lambda_max == pytest.approx(len(raw), abs=1e-9)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    assert result.consistent


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 7).flatmap(
        lambda n: st.lists(
            st.lists(_scale_values, min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2), min_size=1, max_size=5
        ).map(lambda panel: (n, panel))
    ),
    st.lists(st.floats(0.1, 10.0), min_size=5, max_size=5),
)
def test_aggregated_matrix_is_reciprocal(case, raw_weights):
    n, panel = case
    names = [f"i{k}" for k in range(n)]
    pairs = [(names[i], names[j]) for i in range(n) for j in range(i + 1, n)]
    frames = {
        f"E{k}": pd.DataFrame([(r, c, v) for (r, c), v in zip(pairs, values)], columns=["row", "col", "value"])
        for k, values in enumerate(panel)
    }
    weights = {f"E{k}": raw_weights[k] for k in range(len(panel))}
    agg = aggregate_judgments(frames, weights=weights).to_numpy()
    assert np.allclose(agg * agg.T, 1.0, rtol=0, atol=1e-12)
    assert np.allclose(np.diag(agg), 1.0)
    assert agg.min() >= 1 / 9 - 1e-12 and agg.max() <= 9 + 1e-12


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(1.0, 9.0), min_size=4, max_size=4), min_size=2, max_size=5))
def test_aij_equals_aip_for_consistent_experts(panel):
    """For perfectly consistent experts the geometric-mean matrix is consistent with the
    geometric mean of the priorities, so AIJ and AIP coincide."""
    frames = {f"E{k}": _consistent_long({f"i{j}": w for j, w in enumerate(raw)}) for k, raw in enumerate(panel)}
    result = ahp_panel(frames)
    assert result.aij.priorities.to_numpy() == pytest.approx(result.aip.to_numpy(), rel=1e-9)
    assert result.aij.consistency_ratio == pytest.approx(0.0, abs=1e-9)


def test_ties_in_the_worst_judgment_follow_the_documented_rule_not_float_noise():
    """In a 3x3 matrix every judgment deviates equally; noise of 1e-15 either way must not change the answer."""
    from calibrate.weights.ahp import _worst_index

    strength = np.log(np.array([3.0, 5.0, 2.0]))
    for noise in ([0, 0, 0], [1e-15, 0, 0], [0, 0, 1e-15], [-1e-15, 1e-15, 0]):
        errors = np.full(3, 0.1) + np.array(noise)
        assert _worst_index(errors, strength) == 1  # the strongest judgment, 5
    assert _worst_index(np.array([0.1, 0.1, 0.1]), np.log([2.0, 2.0, 2.0])) == 0  # then item order
    assert (
        _worst_index(np.array([0.1, 0.3, 0.1]), strength) == 1
        and _worst_index(np.array([0.1, 0.1, 0.3]), strength) == 2
    )

"""Tests for calibrate.weights.baselines: equal, entropy and CRITIC weights."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from calibrate.errors import CalibrateError, ValidationError
from calibrate.weights.baselines import critic_weights, entropy_weights, equal_weights

ENTROPY_CASE = pd.DataFrame({"a": [1, 2, 3, 4], "b": [10, 10, 10, 20], "c": [5, 1, 5, 1]})
CRITIC_CASE = pd.DataFrame({"A": [0, 1, 2, 3], "B": [0, 0, 1, 1], "C": [1, 0, 0, 1]})


# --------------------------------------------------------------------------- equal


def test_equal_weights_split_evenly():
    result = equal_weights(["revenue", "nps", "churn", "margin"])
    assert result.weights.to_dict() == {"revenue": 0.25, "nps": 0.25, "churn": 0.25, "margin": 0.25}
    assert list(result.to_frame().columns) == ["indicator", "weight", "method"]


def test_equal_weights_accept_an_indicator_set_like_object():
    class FakeSet:
        ids = ("revenue", "nps", "churn")

    assert equal_weights(FakeSet()).weights.to_numpy() == pytest.approx([1 / 3] * 3)


def test_equal_weights_reject_empty_and_duplicates():
    with pytest.raises(CalibrateError, match="at least one indicator"):
        equal_weights([])
    with pytest.raises(CalibrateError, match=r"indicator\(s\) nps are listed twice"):
        equal_weights(["nps", "revenue", "nps"])


# --------------------------------------------------------------------------- entropy, by hand


def test_entropy_weights_by_hand():
    """4 managers x 3 indicators, all higher-is-better, m = 4, ln 4 = 1.386294.

    a = 1,2,3,4   -> z = 0,1/3,2/3,1 -> p = 0,1/6,2/6,3/6
                     e = (ln6/6 + ln3/3 + ln2/2) / ln4 = 1.011404 / 1.386294 = 0.729574, d = 0.270426
    b = 10,10,10,20 -> z = 0,0,0,1 -> p = 0,0,0,1 -> e = 0, d = 1
    c = 5,1,5,1   -> z = 1,0,1,0 -> p = 1/2,0,1/2,0 -> e = ln2/ln4 = 0.5, d = 0.5
    sum d = 1.770426 -> w = 0.152746, 0.564836, 0.282418
    """
    result = entropy_weights(ENTROPY_CASE, ["a", "b", "c"])
    assert result.weights.to_numpy() == pytest.approx([0.152746, 0.564836, 0.282418], abs=5e-7)
    assert result.details["entropy"].to_numpy() == pytest.approx([0.729574, 0.0, 0.5], abs=5e-7)
    assert result.weights.sum() == pytest.approx(1.0)
    assert result.n == 4


def test_entropy_lower_is_better_flips_the_column():
    """b lower-is-better: z = 1,1,1,0 -> p = 1/3,1/3,1/3,0 -> e = ln3/ln4 = 0.792481,
    d_b = 0.207519; with d_a = 0.270426 and d_c = 0.5 the weights become
    0.270426/0.977945 = 0.276525, 0.212199, 0.511276."""
    result = entropy_weights(ENTROPY_CASE, ["a", "b", "c"], directions={"b": "lower"})
    assert result.details.loc["b", "entropy"] == pytest.approx(math.log(3) / math.log(4))
    assert result.weights.to_numpy() == pytest.approx([0.276525, 0.212199, 0.511276], abs=5e-7)


def test_entropy_constant_column_gets_zero_weight():
    df = ENTROPY_CASE.assign(flat=7.0)
    result = entropy_weights(df, ["a", "b", "c", "flat"])
    assert result.weights["flat"] == 0.0
    assert bool(result.details.loc["flat", "constant"])
    assert result.weights[["a", "b", "c"]].to_numpy() == pytest.approx([0.152746, 0.564836, 0.282418], abs=5e-7)


def test_all_constant_columns_are_a_clear_error():
    df = pd.DataFrame({"nps": [40, 40, 40], "churn": [0.1, 0.1, 0.1]})
    with pytest.raises(
        CalibrateError,
        match=r"every indicator \(nps, churn\) has the same value for "
        r"all managers, so data-driven weights are undefined",
    ):
        entropy_weights(df, ["nps", "churn"])
    with pytest.raises(CalibrateError, match=r"every indicator \(nps, churn\) has the same value"):
        critic_weights(df, ["nps", "churn"])


# --------------------------------------------------------------------------- CRITIC, by hand


def test_critic_weights_by_hand():
    """Normalised columns: A = 0,1/3,2/3,1; B = 0,0,1,1; C = 1,0,0,1.

    Centred: A = -1/2,-1/6,1/6,1/2 (|A|^2 = 5/9), B = -1/2,-1/2,1/2,1/2 (|B|^2 = 1),
    C = 1/2,-1/2,-1/2,1/2. r_AB = (2/3)/sqrt(5/9) = 2/sqrt5 = 0.894427, r_AC = r_BC = 0.
    s (n - 1 = 3): s_A = sqrt(5/27) = 0.430331, s_B = s_C = sqrt(1/3) = 0.577350.
    Conflict sum_k (1 - r_jk): A = 1.105573, B = 1.105573, C = 2.
    C_j = s_j * conflict: 0.475763, 0.638303, 1.154701; sum 2.268767
    -> w = 0.209701, 0.281344, 0.508955.
    """
    result = critic_weights(CRITIC_CASE, ["A", "B", "C"])
    assert result.details["std"].to_numpy() == pytest.approx([math.sqrt(5 / 27), math.sqrt(1 / 3), math.sqrt(1 / 3)])
    assert result.details["conflict"].to_numpy() == pytest.approx([2 - 2 / math.sqrt(5)] * 2 + [2.0])
    assert result.weights.to_numpy() == pytest.approx([0.209701, 0.281344, 0.508955], abs=5e-7)


def test_critic_lower_is_better_flips_the_correlation():
    """B lower-is-better: z_B = 1,1,0,0, so r_AB = -0.894427 and the conflict of A and B
    rises to 1 + 1.894427 = 2.894427: C = 1.245563, 1.671098, 1.154701 -> w = 0.305933,
    0.410452, 0.283615."""
    result = critic_weights(CRITIC_CASE, ["A", "B", "C"], directions={"B": "lower"})
    assert result.details.loc["A", "conflict"] == pytest.approx(2 + 2 / math.sqrt(5))
    assert result.weights.to_numpy() == pytest.approx([0.305933, 0.410452, 0.283615], abs=5e-7)


def test_critic_constant_column_gets_zero_weight_and_is_left_out():
    result = critic_weights(CRITIC_CASE.assign(flat=3), ["A", "B", "C", "flat"])
    assert result.weights["flat"] == 0.0
    assert result.weights[["A", "B", "C"]].to_numpy() == pytest.approx([0.209701, 0.281344, 0.508955], abs=5e-7)


def test_critic_needs_two_varying_indicators():
    df = pd.DataFrame({"nps": [10, 20, 30], "churn": [0.1, 0.1, 0.1]})
    with pytest.raises(CalibrateError, match=r"CRITIC needs at least two indicators that vary .*only nps varies"):
        critic_weights(df, ["nps", "churn"])
    twins = pd.DataFrame({"x": [1, 2, 3], "y": [2, 4, 6]})
    with pytest.raises(CalibrateError, match="perfectly correlated"):
        critic_weights(twins, ["x", "y"])


# --------------------------------------------------------------------------- bad input


def test_missing_values_name_the_column_and_rows():
    df = ENTROPY_CASE.astype(float)
    df.loc[2, "b"] = np.nan
    with pytest.raises(ValidationError, match=r"data, column b: 1 missing value\(s\) \(index 2\)"):
        entropy_weights(df, ["a", "b", "c"])
    with pytest.raises(ValidationError, match=r"performance.csv, column b: 1 missing value"):
        critic_weights(df, ["a", "b", "c"], source="performance.csv")


def test_non_numeric_and_absent_columns_are_named():
    df = ENTROPY_CASE.astype(object)
    df.loc[1, "c"] = "high"
    with pytest.raises(ValidationError, match=r"column c: is not numeric: 'high' \(index 1\)"):
        entropy_weights(df, ["a", "c"])
    with pytest.raises(ValidationError, match=r"column margin: column not found"):
        critic_weights(ENTROPY_CASE, ["a", "margin"])


def test_bad_directions_are_explained():
    with pytest.raises(CalibrateError, match=r"direction of b is 'down'; use 'higher' or 'lower'"):
        entropy_weights(ENTROPY_CASE, ["a", "b"], directions={"b": "down"})
    with pytest.raises(CalibrateError, match=r"directions name column\(s\) not among the indicators: z"):
        critic_weights(ENTROPY_CASE, ["a", "b", "c"], directions={"z": "lower"})


def test_directions_accept_a_series_like_indicator_set_directions():
    directions = pd.Series({"b": "lower", "a": "higher"}, name="direction")
    via_series = entropy_weights(ENTROPY_CASE, ["a", "b", "c"], directions=directions)
    via_dict = entropy_weights(ENTROPY_CASE, ["a", "b", "c"], directions={"b": "lower"})
    pd.testing.assert_series_equal(via_series.weights, via_dict.weights)


# --------------------------------------------------------------------------- properties

_matrices = arrays(
    np.float64,
    st.tuples(st.integers(3, 12), st.integers(2, 5)),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False),
)


def _frame(values: np.ndarray) -> tuple[pd.DataFrame, list[str]]:
    names = [f"k{j}" for j in range(values.shape[1])]
    return pd.DataFrame(values, columns=names), names


def _varying(values: np.ndarray) -> np.ndarray:
    span = values.max(axis=0) - values.min(axis=0)
    return span > 1e-6 * np.maximum(1.0, np.abs(values).max(axis=0))


@settings(max_examples=80, deadline=None)
@given(_matrices)
def test_entropy_weights_sum_to_one(values):
    assume(_varying(values).any())
    df, names = _frame(values)
    w = entropy_weights(df, names).weights
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert (w >= 0).all() and (w <= 1).all()


@settings(max_examples=80, deadline=None)
@given(_matrices, st.floats(0.1, 100.0), st.floats(-1e3, 1e3))
def test_entropy_and_critic_ignore_units(values, scale, shift):
    """Min-max normalisation: a positive affine change of units leaves both unchanged."""
    assume(_varying(values).all())
    df, names = _frame(values)
    moved = df.copy()
    moved[names[0]] = moved[names[0]] * scale + shift
    assert entropy_weights(moved, names).weights.to_numpy() == pytest.approx(
        entropy_weights(df, names).weights.to_numpy(), abs=1e-9
    )
    try:
        base = critic_weights(df, names).weights.to_numpy()
    except CalibrateError:
        return  # perfectly correlated columns: no CRITIC weights
    assert critic_weights(moved, names).weights.to_numpy() == pytest.approx(base, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(_matrices)
def test_lower_is_better_equals_negating_the_column(values):
    """Declaring a column lower-is-better is the same as negating it and keeping higher-is-better."""
    assume(_varying(values).all())
    df, names = _frame(values)
    negated = df.copy()
    negated[names[0]] = -negated[names[0]]
    lower = {names[0]: "lower"}
    assert entropy_weights(df, names, lower).weights.to_numpy() == pytest.approx(
        entropy_weights(negated, names).weights.to_numpy(), abs=1e-9
    )
    try:
        expected = critic_weights(negated, names).weights.to_numpy()
        base = critic_weights(df, names).weights.to_numpy()
    except CalibrateError:
        return  # perfectly correlated columns: no CRITIC weights
    assert critic_weights(df, names, lower).weights.to_numpy() == pytest.approx(expected, abs=1e-9)
    # Flipping every column leaves CRITIC unchanged (all correlations keep their sign).
    everything = {n: "lower" for n in names}
    assert critic_weights(df, names, everything).weights.to_numpy() == pytest.approx(base, abs=1e-9)


# --------------------------------------------------------------------------- entropy, column-sum normalisation

SUM_REFERENCE = Path(__file__).resolve().parent / "reference" / "entropy_sum_normalised.json"


@pytest.mark.parametrize(
    "case", json.loads(SUM_REFERENCE.read_text(encoding="utf-8"))["cases"], ids=["xu2004", "zavadskas_podvezko2016"]
)
def test_entropy_sum_normalisation_reproduces_published_worked_examples(case):
    """tests/reference/entropy_sum_normalised.json: Xu (2004) weights 0.4630, 0.3992, 0.1378, 0.0000 and
    Zavadskas & Podvezko (2016) weights 0.1146, 0.1981, 0.4185, 0.2689 (4 decimals), with normalise='sum'."""
    frame = pd.DataFrame(case["matrix"], columns=case["columns"])
    result = entropy_weights(frame, case["columns"], case.get("directions"), normalise="sum")
    assert result.weights.round(4).tolist() == pytest.approx(case["published_weights_4dp"], abs=1e-12)
    # the default min-max normalisation gives other weights on the same data
    assert not np.allclose(entropy_weights(frame, case["columns"]).weights, result.weights, atol=1e-3)


def test_entropy_sum_normalisation_rejects_negative_values_and_unknown_options():
    df = pd.DataFrame({"a": [1.0, -2.0, 3.0], "b": [1.0, 2.0, 4.0]})
    with pytest.raises(CalibrateError, match=r"normalise='sum' needs values >= 0; column\(s\) a have negative"):
        entropy_weights(df, ["a", "b"], normalise="sum")
    with pytest.raises(CalibrateError, match=r"entropy normalise must be 'minmax' or 'sum', got 'zscore'"):
        entropy_weights(df, ["a", "b"], normalise="zscore")

"""Composite breakdown, grades (forced distribution and bands), improvement-plan flags, bonus, settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibrate.config import load_config
from calibrate.errors import ConfigError
from calibrate.indicators import load_indicator_set
from calibrate.scoring import (
    Grading,
    ScoringSettings,
    bonus_coefficients,
    bonus_table,
    composite_scores,
    improvement_flags,
    period_means,
)
from calibrate.scoring.composite import InvalidWeights

FORCED = {"A": 0.1, "B": 0.2, "C": 0.5, "D": 0.15, "E": 0.05}


def test_composite_breakdown_adds_up_and_missing_weight_is_shared_out():
    points = pd.DataFrame({"a": [100.0, 90.0], "b": [50.0, np.nan], "c": [80.0, 60.0]}, index=["M1", "M2"])
    result = composite_scores(points, pd.Series({"a": 0.5, "b": 0.3, "c": 0.2}))
    m1, m2 = result.scores.loc["M1"], result.scores.loc["M2"]
    assert [m1["points_a"], m1["points_b"], m1["points_c"]] == pytest.approx([50, 15, 16])
    assert m1["composite"] == pytest.approx(81.0) and m1["weight_present"] == pytest.approx(1.0)
    # M2 has no b: a and c share its weight, 0.5 / 0.7 x 90 + 0.2 / 0.7 x 60
    assert m2["points_a"] == pytest.approx(64.2857143) and m2["points_c"] == pytest.approx(17.1428571)
    assert m2["composite"] == pytest.approx(81.4285714) and m2["weight_present"] == pytest.approx(0.7)
    assert np.isnan(m2["points_b"]) and m2["n_missing"] == 1
    assert result.breakdown().sum(axis=1).tolist() == pytest.approx(result.composite.tolist())


def test_annual_score_is_the_mean_of_the_quarters():
    idx = pd.MultiIndex.from_tuples(
        [("M1", "2025Q1"), ("M1", "2025Q2"), ("M1", "2024Q4")], names=["manager_id", "period"]
    )
    points = pd.DataFrame({"a": [100.0, 60.0, 0.0], "b": [50.0, np.nan, 0.0]}, index=idx)
    annual = period_means(composite_scores(points, pd.Series({"a": 0.6, "b": 0.4})), ["2025Q1", "2025Q2"])
    # Q1: 60 + 20 = 80; Q2: only a -> 60; mean 70; 2024Q4 is not in the year
    assert annual.loc["M1", "composite"] == pytest.approx(70.0) and annual.loc["M1", "n_periods"] == 2
    assert annual.loc["M1", "points_a"] + annual.loc["M1", "points_b"] == pytest.approx(70.0)


def test_weights_must_match_the_indicators_and_add_up_to_one():
    points = pd.DataFrame({"a": [1.0], "b": [2.0]})
    with pytest.raises(InvalidWeights, match="no weight for b; weights for unknown indicator\\(s\\) c"):
        composite_scores(points, pd.Series({"a": 0.5, "c": 0.5}))
    with pytest.raises(InvalidWeights, match="add up to 0.9000, not 1"):
        composite_scores(points, pd.Series({"a": 0.5, "b": 0.4}))


def test_forced_distribution_on_ten_managers_with_a_tie():
    scores = pd.Series([95, 90, 90, 85, 80, 75, 70, 65, 60, 55], index=[f"M{k:02d}" for k in range(1, 11)], dtype=float)
    grades = Grading.forced(FORCED).assign(scores)
    # quotas end at positions 1, 3, 8, 9.5 -> 10, 10: 1 A, 2 B, 5 C, 2 D, 0 E; the two 90s share B
    assert grades.tolist() == ["A", "B", "B", "C", "C", "C", "C", "C", "D", "D"]
    tied_top = Grading.forced(FORCED).assign(pd.Series([95, 95, 90, 85, 80, 75, 70, 65, 60, 55], dtype=float))
    assert tied_top.tolist()[:3] == ["A", "A", "B"]  # a tie across A/B: both A, B loses one place
    twenty = Grading.forced(FORCED).assign(pd.Series(np.arange(20.0)))
    assert twenty.value_counts().reindex(list("ABCDE")).tolist() == [2, 4, 10, 3, 1]


def test_forced_distribution_ignores_order_of_rows_and_leaves_missing_scores_ungraded():
    scores = pd.Series(
        [55, np.nan, 95, 60, 90, 90, 85, 80, 75, 70, 65],
        dtype=float,
        index=["M10", "X", "M01", "M09", "M02", "M03", "M04", "M05", "M06", "M07", "M08"],
    )
    grades = Grading.forced(FORCED).assign(scores)
    assert pd.isna(grades["X"])
    assert grades[["M01", "M02", "M03", "M04", "M09", "M10"]].tolist() == ["A", "B", "B", "C", "D", "D"]


def test_score_bands():
    bands = Grading.bands({"A": 90, "B": 75, "C": 60, "D": 45, "E": 0})
    assert bands.assign(pd.Series([95, 90, 89.9, 60, 10, -5.0])).tolist() == ["A", "A", "B", "C", "E", "E"]
    with pytest.raises(ConfigError, match="falling from grade to grade"):
        Grading.bands({"A": 70, "B": 75})


def test_improvement_plan_after_two_consecutive_low_quarters():
    rows = [("X", q, g) for q, g in zip(["2025Q1", "2025Q2", "2025Q3", "2025Q4"], "CDED")]
    rows += [("Y", q, g) for q, g in zip(["2025Q1", "2025Q2", "2025Q3", "2025Q4"], "DECD")]
    rows += [("Z", "2025Q1", "D"), ("Z", "2025Q3", "D"), ("Z", "2025Q4", "E")]  # no grade in Q2: a gap
    rows += [("W", "2025Q3", "C"), ("W", "2025Q4", "E")]
    frame = pd.DataFrame(rows, columns=["manager_id", "period", "grade"])
    out = improvement_flags(frame, ["D", "E"], consecutive=2).set_index("manager_id")
    assert out.loc["X", ["low_periods", "longest_low_run", "current_low_run"]].tolist() == [3, 3, 3]
    assert out.loc["Y", ["longest_low_run", "current_low_run"]].tolist() == [2, 1]
    assert out.loc["Z", ["longest_low_run", "current_low_run"]].tolist() == [2, 2]
    assert out["improvement_plan"].to_dict() == {"W": False, "X": True, "Y": False, "Z": True}
    assert improvement_flags(frame, ["D", "E"], consecutive=3).set_index("manager_id")["improvement_plan"].sum() == 1


def test_bonus_from_grade_and_from_score():
    annual = pd.DataFrame({"grade": ["A", "C", "E"], "score": [90.0, 60.0, 30.0]}, index=["M1", "M2", "M3"])
    coef = bonus_coefficients(
        annual, source="grade", grade_coefficients={"A": 1.5, "B": 1.2, "C": 1.0, "D": 0.6, "E": 0.0}
    )
    assert bonus_table(coef, 30.0)["bonus"].tolist() == [45.0, 30.0, 0.0]
    scored = pd.DataFrame({"score": [30.0, 40.0, 50.0, 70.0, 90.0]})
    coef = bonus_coefficients(scored, source="score", score_points=((40, 0.5), (60, 1.0), (80, 1.5)))
    # nothing below 40; 0.5 at 40; halfway to 60 -> 0.75; 70 -> 1.25; flat at 1.5 beyond 80
    assert coef.tolist() == pytest.approx([0.0, 0.5, 0.75, 1.25, 1.5])
    base = pd.Series([20.0, 30.0, 30.0, 40.0, 10.0])
    assert bonus_table(coef, base)["bonus"].tolist() == pytest.approx([0.0, 15.0, 22.5, 50.0, 15.0])
    with pytest.raises(ConfigError, match="no coefficient for grade\\(s\\) A"):
        bonus_coefficients(annual, source="grade", grade_coefficients={"C": 1.0, "E": 0.0})


def test_settings_defaults_and_errors(tmp_path, sample_config):
    iset = load_indicator_set("account_manager")
    s = ScoringSettings.from_section(load_config(sample_config).scoring, iset)
    assert s.grades == ("A", "B", "C", "D", "E") and s.min_responses == 5 and s.consecutive == 2
    assert s.reviews.min_raters == 5 and s.reviews.max_raters == 8
    with pytest.raises(ConfigError) as info:
        ScoringSettings.from_section(
            {
                "reviews": {"min_rater": 4},
                "rules": {"revenue": {"rule": "zscore"}},
                "forced_distribution": {"A": 0.5, "B": 0.4},
                "improvement": {"low_grades": ["F"]},
            },
            iset,
        )
    message = str(info.value)
    assert "reviews: unknown key 'min_rater'" in message
    assert "rules: unknown indicator(s) revenue" in message
    assert "add up to 1 (they add up to 0.9000)" in message
    assert "low_grades ['F'] are not grades" in message
    config = tmp_path / "c.yaml"
    config.write_text(
        sample_config.read_text(encoding="utf-8")
        .replace("data:\n", "scoring:\n  forced_curve: 1\ndata:\n")
        .replace("managers.csv", str(sample_config.parent / "managers.csv")),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="scoring: unknown key 'forced_curve'"):
        load_config(config)

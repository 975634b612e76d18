"""Customer measures for scoring: NPS with its interval and minimum responses, satisfaction, customer rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibrate.customer import nps_table
from calibrate.scoring import customer_rates, nps_interval, satisfaction_scores
from calibrate.scoring.customer_measures import InvalidAnswers


def _survey(recommend, satisfaction=None, manager="A"):
    n = len(recommend)
    return pd.DataFrame(
        {
            "manager_id": [manager] * n,
            "period": ["2025Q1"] * n,
            "customer_id": range(n),
            "recommend": recommend,
            "satisfaction": satisfaction if satisfaction is not None else [np.nan] * n,
        }
    )


def test_nps_and_its_interval_by_hand():
    # 5 promoters (10, 9, 9, 10, 9), 3 detractors (6, 3, 5), 2 passives of 10 answers, one blank left out.
    s = _survey([10, 9, 9, 8, 7, 6, 3, 10, 5, 9, np.nan])
    row = nps_interval(s, min_responses=5, method="wald").iloc[0]
    assert row["n_responses"] == 10 and row["promoters"] == 5 and row["detractors"] == 3
    assert row["nps"] == pytest.approx(20.0)
    # var = (0.5 + 0.3 - 0.2^2) / 10 = 0.076; se = 100 sqrt(0.076) = 27.5681 points
    assert row["se"] == pytest.approx(27.568097504, abs=1e-8)
    # 20 +- 1.959964 x 27.5681
    assert row["ci_low"] == pytest.approx(-34.03247823, abs=1e-6)
    assert row["ci_high"] == pytest.approx(74.03247823, abs=1e-6)
    assert row["status"] == "ok"


def test_nps_interval_is_clipped_to_the_scale_and_level_changes_width():
    s = _survey([10, 10, 10, 10, 9, 9, 0])  # 6 promoters, 1 detractor: NPS 71.4
    r95 = nps_interval(s, min_responses=5, method="wald").iloc[0]
    r80 = nps_interval(s, min_responses=5, confidence=0.8, method="wald").iloc[0]
    assert r95["ci_high"] == 100.0  # 71.4 + 1.96 x 19.2 > 100
    assert r80["ci_high"] - r80["nps"] < r95["nps"] - r95["ci_low"]


def test_fewer_answers_than_the_minimum_are_insufficient_not_a_number():
    s = pd.concat([_survey([10, 9, 0, 7]), _survey([10, 9, 0, 7, 8], manager="B")])
    out = nps_interval(s, min_responses=5).set_index("manager_id")
    assert out.loc["A", "status"] == "insufficient" and np.isnan(out.loc["A", "nps"]) and np.isnan(out.loc["A", "se"])
    assert out.loc["A", "n_responses"] == 4  # the count is still reported
    assert out.loc["B", "status"] == "ok" and out.loc["B", "nps"] == pytest.approx(20.0)
    # the same counts as the panel's NPS (no duplicated logic)
    assert out.loc["B", "nps"] == nps_table(s).set_index("manager_id").loc["B", "nps"]


def test_nps_rejects_answers_outside_0_to_10():
    with pytest.raises(InvalidAnswers, match="11 .* is not a whole answer from 0 to 10"):
        nps_interval(_survey([10, 11, 3]))


def test_satisfaction_share_mean_and_weighted_likert_by_hand():
    s = _survey([np.nan] * 6, satisfaction=[5, 4, 3, 2, 5, np.nan])
    row = satisfaction_scores(s, min_responses=5).iloc[0]
    assert row["n_responses"] == 5
    assert row["share_satisfied"] == pytest.approx(0.6)  # 5, 4, 5 of 5 answers
    assert row["mean_likert"] == pytest.approx(3.8)  # 19 / 5
    assert row["weighted_likert"] == pytest.approx(70.0)  # (100 + 75 + 50 + 25 + 100) / 5
    custom = satisfaction_scores(s, level_weights={1: 0, 2: 10, 3: 40, 4: 80, 5: 100}, min_responses=5).iloc[0]
    assert custom["weighted_likert"] == pytest.approx(66.0)  # (100 + 80 + 40 + 10 + 100) / 5
    few = satisfaction_scores(s, min_responses=6).iloc[0]
    assert few["status"] == "insufficient" and np.isnan(few["weighted_likert"])


def test_satisfaction_answer_without_a_weight_is_an_error():
    s = _survey([np.nan] * 3, satisfaction=[5, 6, 4])
    with pytest.raises(InvalidAnswers, match="answer\\(s\\) 6 have no weight"):
        satisfaction_scores(s, min_responses=1)


def test_repeat_purchase_and_referral_rates_by_hand():
    customers = pd.DataFrame(
        {
            "manager_id": ["A", "A", "A", "A", "B", "B"],
            "period": ["2025Q1"] * 6,
            "repeat_purchase": [1, 0, 1, 1, True, np.nan],
            "referral": [0, 0, 1, np.nan, 0, 0],
        }
    )
    out = customer_rates(customers).set_index("manager_id")
    assert out.loc["A", "repeat_purchase_rate"] == pytest.approx(0.75) and out.loc["A", "repeat_purchase_n"] == 4
    assert out.loc["A", "referral_rate"] == pytest.approx(1 / 3) and out.loc["A", "referral_n"] == 3
    assert out.loc["B", "repeat_purchase_rate"] == 1.0 and out.loc["B", "repeat_purchase_n"] == 1
    strict = customer_rates(customers, min_responses=2).set_index("manager_id")
    assert np.isnan(strict.loc["B", "repeat_purchase_rate"]) and strict.loc["B", "referral_rate"] == 0.0


def test_customer_rates_need_yes_no_values_and_the_columns():
    bad = pd.DataFrame({"manager_id": ["A"], "period": ["2025Q1"], "repeat_purchase": ["often"], "referral": [1]})
    with pytest.raises(InvalidAnswers, match="repeat_purchase: 'often' .* is not yes/no"):
        customer_rates(bad)
    with pytest.raises(InvalidAnswers, match="no column\\(s\\) referral"):
        customer_rates(bad.drop(columns="referral"))

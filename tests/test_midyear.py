"""Mid-year re-weighting: the year scored piecewise under two weightings, on the sample company.

The sample's truth (``truth_managers.csv``) holds each manager's true innovation trait, which drives
the solution-innovation ratings: raising that weight from Q3 must move scores up for the innovators.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibrate.config import load_config
from calibrate.errors import ConfigError
from calibrate.loading import load_dataset
from calibrate.scoring.midyear import midyear_reweighting, piecewise_scores, raise_weight
from calibrate.scoring.scorecard import build_scorecard
from calibrate.scoring.settings import ScoringSettings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def card():
    cfg = load_config(SAMPLE / "calibrate.yaml")
    settings = ScoringSettings.from_section(cfg.scoring)
    return build_scorecard(load_dataset(cfg), settings, seed=1), settings


def _whatif(card, settings, switch):
    new = raise_weight(card.weights, {"solution_innovation": 0.30})
    return midyear_reweighting(
        card.points,
        card.weights,
        new,
        switch=switch,
        grading=card.grading,
        bonus_from=settings.bonus_from,
        grade_coefficients=settings.grade_coefficients,
        score_coefficients=settings.score_coefficients,
        bonus_base=30.0,
    )


def test_innovation_raised_from_q3_against_the_truth(card):
    card, settings = card
    r = _whatif(card, settings, f"{card.year}Q3")
    m = r.managers.set_index("manager_id")
    annual = card.annual.set_index("manager_id")
    # the old weighting throughout is exactly the scorecard's year
    np.testing.assert_allclose(m["score_before"], annual["score"].reindex(m.index))
    assert (m["grade_before"] == annual["grade"].reindex(m.index)).all()
    # score changes follow the true innovation trait (measured r = 0.56)
    truth = pd.read_csv(SAMPLE / "truth_managers.csv").set_index("manager_id")
    assert np.corrcoef(m["score_change"], truth["innovation"].reindex(m.index))[0, 1] > 0.4
    assert r.to_dict()["grade_changed"] == int((m["grade_before"] != m["grade_after"]).sum()) > 0
    assert r.describe().startswith(f"From {card.year}Q3: ") and "solution_innovation 9% -> 30%" in r.describe()


def test_switch_at_the_start_is_the_new_weighting_for_the_whole_year(card):
    card, settings = card
    first = _whatif(card, settings, f"{card.year}Q1").managers.set_index("manager_id")
    new = raise_weight(card.weights, {"solution_innovation": 0.30})
    whole = card.points
    from calibrate.scoring.composite import composite_scores, period_means

    expected = period_means(composite_scores(whole, new), card.periods)["composite"]
    np.testing.assert_allclose(first["score_after"], expected.reindex(first.index))
    late = _whatif(card, settings, f"{card.year + 1}Q1").managers
    np.testing.assert_allclose(late["score_after"], late["score_before"])


def test_raise_weight_and_bad_input():
    w = pd.Series({"a": 0.5, "b": 0.3, "c": 0.2})
    out = raise_weight(w, {"c": 0.4})
    assert out.sum() == pytest.approx(1.0) and out["c"] == 0.4
    assert out["a"] / out["b"] == pytest.approx(0.5 / 0.3)
    with pytest.raises(ConfigError, match="unknown indicator"):
        raise_weight(w, {"d": 0.1})
    with pytest.raises(ConfigError, match="must look like 2025Q3"):
        piecewise_scores(
            pd.DataFrame(
                {"a": [1.0]}, index=pd.MultiIndex.from_tuples([("M1", "2025Q1")], names=["manager_id", "period"])
            ),
            pd.Series({"a": 1.0}),
            pd.Series({"a": 1.0}),
            switch="July",
        )

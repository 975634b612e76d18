"""Mid-year re-weighting: the year scored piecewise under two weightings.

When strategy moves during the year (say solution innovation raised from 15% to
30% from Q3), the quarters before the switch keep the old weights and the
quarters from the switch on use the new ones. Each quarter's composite is the
weighted composite of :func:`~calibrate.scoring.composite.composite_scores` under
the weighting in force that quarter; the annual score is the mean over the year's
quarters that have a composite (as in
:func:`~calibrate.scoring.composite.period_means`). The what-if compares it with
the year scored under the old weights throughout: scores, grades, who changes
grade and the bonus cost.

:func:`raise_weight` builds the new weighting from one changed weight, the others
scaled in proportion so the weights still add up to 1.

>>> pts = pd.DataFrame({"a": [80.0, 80, 80, 80], "b": [40.0, 40, 40, 40]},
...                    index=pd.MultiIndex.from_product([["M1"], ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]],
...                                                     names=["manager_id", "period"]))
>>> old, new = pd.Series({"a": 0.5, "b": 0.5}), pd.Series({"a": 0.25, "b": 0.75})
>>> piecewise_scores(pts, old, new, switch="2025Q3")["piecewise"].tolist()   # (60 + 60 + 50 + 50) / 4
[55.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError
from calibrate.periods import parse_quarter, quarter_index
from calibrate.results import Summary
from calibrate.scoring.composite import check_weights, composite_scores
from calibrate.scoring.grades import Grading, bonus_coefficients, bonus_table


def raise_weight(weights: pd.Series, changes: Mapping[str, float]) -> pd.Series:
    """New weights with ``changes`` (indicator -> new weight in [0, 1]) and every other
    weight scaled in proportion so the total stays 1."""
    w = pd.Series(weights, dtype=float)
    unknown = [k for k in changes if k not in w.index]
    if unknown:
        raise ConfigError(
            f"Mid-year re-weighting: unknown indicator(s) {', '.join(unknown)}; the weighting has {', '.join(w.index)}."
        )
    fixed = sum(float(v) for v in changes.values())
    if any(not 0 <= float(v) <= 1 for v in changes.values()) or fixed > 1 + 1e-12:
        raise ConfigError(
            f"Mid-year re-weighting: new weights must lie in [0, 1] and add up to at most 1; got {dict(changes)}."
        )
    rest = w.drop(list(changes))
    if rest.sum() <= 0 and fixed < 1 - 1e-12:
        raise ConfigError("Mid-year re-weighting: the other indicators have no weight to scale.")
    out = w.copy()
    out[rest.index] = rest * (1 - fixed) / rest.sum() if rest.sum() > 0 else 0.0
    for k, v in changes.items():
        out[k] = float(v)
    return out


def piecewise_scores(points: pd.DataFrame, before: pd.Series, after: pd.Series, *, switch: str) -> pd.DataFrame:
    """Annual scores per manager: ``whole_year`` under ``before`` throughout and ``piecewise``
    with ``after`` from quarter ``switch`` on. ``points``: indicator points (0-100) indexed by
    (manager_id, period); the annual score is the mean of the quarters with a composite."""
    if parse_quarter(str(switch)) is None:
        raise ConfigError(f"The quarter the new weights apply from must look like 2025Q3; got {switch!r}.")
    indicators = list(points.columns)
    old = composite_scores(points, check_weights(before, indicators)).composite
    new = composite_scores(points, check_weights(after, indicators)).composite
    period = old.index.get_level_values("period").astype(str)
    from_switch = quarter_index(pd.Series(period)) >= quarter_index([str(switch)])[0]
    mixed = pd.Series(np.where(from_switch, new.to_numpy(), old.to_numpy()), index=old.index)
    out = pd.DataFrame(
        {
            "whole_year": old.groupby(level="manager_id").mean(),
            "piecewise": mixed.groupby(level="manager_id").mean(),
            "quarters_before": pd.Series(~from_switch & old.notna().to_numpy(), index=old.index)
            .groupby(level="manager_id")
            .sum()
            .astype(int),
            "quarters_after": pd.Series(from_switch & new.notna().to_numpy(), index=old.index)
            .groupby(level="manager_id")
            .sum()
            .astype(int),
        }
    )
    return out


@dataclass(frozen=True, eq=False)
class MidyearResult:
    """The year under the old weights against the year scored piecewise.

    ``managers``: manager_id, score_before / score_after (annual, points 0-100),
    score_change, grade_before / grade_after, grade_changed, bonus_before /
    bonus_after (currency units). ``changes``: indicator, weight_before,
    weight_after for every weight that moved; ``switch``: the first quarter of
    the new weights.
    """

    switch: str
    before: pd.Series
    after: pd.Series
    managers: pd.DataFrame

    @property
    def changes(self) -> pd.DataFrame:
        moved = (self.after - self.before).abs() > 1e-12
        return pd.DataFrame(
            {
                "indicator": self.before.index[moved],
                "weight_before": self.before[moved].to_numpy(),
                "weight_after": self.after[moved].to_numpy(),
            }
        )

    def describe(self) -> str:
        """What changed and when, e.g. "From 2025Q3: solution_innovation 15% -> 30%, nps 20% -> 16.5%"."""
        parts = [f"{r.indicator} {r.weight_before:.1%} -> {r.weight_after:.1%}" for r in self.changes.itertuples()]
        return f"From {self.switch}: " + ", ".join(p.replace(".0%", "%") for p in parts)

    def to_frame(self) -> pd.DataFrame:
        return self.managers.copy()

    def to_dict(self) -> dict[str, Any]:
        m = self.managers
        return {
            "switch": self.switch,
            "change": self.describe(),
            "managers": int(len(m)),
            "grade_changed": int(m["grade_changed"].sum()),
            "mean_abs_score_change": float(m["score_change"].abs().mean()),
            "bonus_before": float(m["bonus_before"].sum()),
            "bonus_after": float(m["bonus_after"].sum()),
        }

    def summary(self) -> Summary:
        return Summary.from_values("mid-year re-weighting", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def midyear_reweighting(
    points: pd.DataFrame,
    before: pd.Series,
    after: pd.Series,
    *,
    switch: str,
    grading: Grading,
    bonus_from: str = "grade",
    grade_coefficients: Mapping[str, float] | None = None,
    score_coefficients: Sequence[Sequence[float]] | None = None,
    bonus_base: float | pd.Series = 30.0,
) -> MidyearResult:
    """Scores, grades and bonus of the year under ``before`` throughout against the year with
    ``after`` from ``switch`` on (see the module docstring). Grades and bonus as in the
    scorecard: ``grading`` and the bonus coefficient from the grade or the score."""
    scores = piecewise_scores(points, before, after, switch=switch)
    out = pd.DataFrame(index=scores.index)
    out["score_before"], out["score_after"] = scores["whole_year"], scores["piecewise"]
    out["score_change"] = out["score_after"] - out["score_before"]
    for side in ("before", "after"):
        annual = pd.DataFrame({"score": out[f"score_{side}"], "grade": grading.assign(out[f"score_{side}"])})
        coefficient = bonus_coefficients(
            annual,
            source=bonus_from,
            grade_coefficients=grade_coefficients,
            score_points=tuple((float(p[0]), float(p[1])) for p in score_coefficients or ()),
        )
        out[f"grade_{side}"] = annual["grade"]
        out[f"bonus_{side}"] = bonus_table(coefficient, bonus_base)["bonus"]
    out["grade_changed"] = out["grade_before"] != out["grade_after"]
    ordered = [
        "score_before",
        "score_after",
        "score_change",
        "grade_before",
        "grade_after",
        "grade_changed",
        "bonus_before",
        "bonus_after",
    ]
    return MidyearResult(
        switch=str(switch),
        before=check_weights(before, list(points.columns)),
        after=check_weights(after, list(points.columns)),
        managers=out[ordered].rename_axis("manager_id").reset_index(),
    )

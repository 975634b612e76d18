"""Grades (score bands or forced distribution), improvement-plan flags and bonus coefficients.

Forced distribution. Managers are ranked by score, best first. Grade quotas are
cumulative: with ``n`` managers graded, the first ``round(n x cumulative share)``
positions get the grades so far, rounding halves up (in the managers' favour:
10 managers under A 10% / B 20% / C 50% / D 15% / E 5% get 1 A, 2 B, 5 C, 2 D and
no E, since the D quota ends at position 9.5 -> 10). Ties: managers with equal
scores always get the same grade, the grade of the best position the tie group
occupies; the overrun is taken from the grades below. No tie-break by name or id.

Score bands. ``{A: 90, B: 75, C: 60, D: 45, E: 0}``: a score gets the first grade
whose lower bound it reaches; scores below every bound get the last grade.

Managers without a score get no grade (blank).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError
from calibrate.periods import quarter_index
from calibrate.ranks import rank_min


@dataclass(frozen=True)
class Grading:
    """A grading scheme: ``kind`` 'forced' (``values`` = shares) or 'bands' (``values`` = lower bounds)."""

    kind: str
    labels: tuple[str, ...]
    values: tuple[float, ...]

    @classmethod
    def forced(cls, shares: Mapping[str, float]) -> Grading:
        values = tuple(float(v) for v in shares.values())
        if not values or min(values) < 0 or abs(sum(values) - 1) > 1e-6:
            raise ConfigError(f"forced-distribution shares must be 0 or more and add up to 1; got {dict(shares)}")
        return cls("forced", tuple(shares), values)

    @classmethod
    def bands(cls, bounds: Mapping[str, float]) -> Grading:
        values = tuple(float(v) for v in bounds.values())
        if not values or any(a <= b for a, b in zip(values, values[1:])):
            raise ConfigError(
                f"grade bands are lower bounds, best grade first, falling from grade to grade; got {dict(bounds)}"
            )
        return cls("bands", tuple(bounds), values)

    def quota_bounds(self, n: int) -> np.ndarray:
        """Forced distribution: the position (0-based) at which each grade's quota ends, for ``n`` managers."""
        cumulative = np.floor(np.cumsum(self.values) * n + 0.5 + 1e-9).astype(int)
        cumulative[-1] = n
        return np.minimum(cumulative, n)

    def codes(self, scores: np.ndarray) -> np.ndarray:
        """Grade index (0 = best) for scores (managers x draws, or managers); every score must be a number."""
        x = np.asarray(scores, dtype=float)
        if self.kind == "bands":
            below = (x[..., None] < np.array(self.values)).sum(axis=-1)
            return np.minimum(below, len(self.labels) - 1)
        position = rank_min(-x) - 1
        return np.searchsorted(self.quota_bounds(x.shape[0]), position, side="right")

    def assign(self, scores: pd.Series) -> pd.Series:
        """Grade labels per manager (index kept); blank where the score is missing."""
        known = scores.dropna()
        labels = np.array(self.labels, dtype=object)[self.codes(known.to_numpy())]
        return pd.Series(labels, index=known.index, dtype="str").reindex(scores.index).rename("grade")

    def cuts(self, scores: pd.Series, grades: pd.Series) -> np.ndarray:
        """Scores at which the grade changes: the band bounds, or (forced) midpoints between adjacent grades' scores."""
        if self.kind == "bands":
            return np.array(self.values[:-1])
        cuts = []
        for better, worse in zip(self.labels, self.labels[1:]):
            low_of_better = scores[grades == better].min()
            high_of_worse = scores[grades.isin(self.labels[self.labels.index(worse) :])].max()
            if pd.notna(low_of_better) and pd.notna(high_of_worse):
                cuts.append((low_of_better + high_of_worse) / 2)
        return np.array(cuts)


def grading_from(settings) -> Grading:
    """The grading of :class:`~calibrate.scoring.settings.ScoringSettings`."""
    if settings.grading == "forced":
        return Grading.forced(settings.forced_distribution)
    return Grading.bands(settings.grade_bands)


def distance_to_cut(scores: pd.Series, cuts: np.ndarray) -> pd.Series:
    """Points between each score and the nearest grade cut (NaN when there is no cut)."""
    if not len(cuts):
        return pd.Series(np.nan, index=scores.index, name="distance_to_cut")
    d = np.abs(scores.to_numpy(dtype=float)[:, None] - cuts[None, :]).min(axis=1)
    return pd.Series(d, index=scores.index, name="distance_to_cut")


def grade_distribution(grades: pd.Series, grading: Grading) -> pd.DataFrame:
    """Count and share per grade (and the target share under forced distribution)."""
    counts = grades.value_counts().reindex(list(grading.labels), fill_value=0)
    out = pd.DataFrame(
        {
            "grade": list(grading.labels),
            "managers": counts.to_numpy(),
            "share": counts.to_numpy() / max(int(counts.sum()), 1),
        }
    )
    if grading.kind == "forced":
        out["target_share"] = grading.values
    return out


def improvement_flags(
    period_grades: pd.DataFrame, low_grades: tuple[str, ...] | list[str], consecutive: int
) -> pd.DataFrame:
    """Improvement-plan flags from grades per quarter.

    ``period_grades`` has columns manager_id, period (quarters) and grade. A quarter
    is low when its grade is in ``low_grades``; a gap (a quarter without a grade)
    ends a run. Per manager: ``low_periods``, ``longest_low_run``,
    ``current_low_run`` (the run ending at the manager's last graded quarter) and
    ``improvement_plan`` (current run >= ``consecutive``).
    """
    if consecutive < 1:
        raise ConfigError(f"consecutive low periods must be at least 1, got {consecutive}")
    g = period_grades.dropna(subset=["grade"]).assign(_q=lambda f: quarter_index(f["period"]))
    g = g.sort_values(["manager_id", "_q"], kind="stable")
    low = g["grade"].isin(list(low_grades)).to_numpy()
    same = (g["manager_id"].to_numpy()[1:] == g["manager_id"].to_numpy()[:-1]) & (np.diff(g["_q"].to_numpy()) == 1)
    run = np.zeros(len(g), dtype=int)
    for k in range(len(g)):
        run[k] = (run[k - 1] + 1 if k and same[k - 1] else 1) if low[k] else 0
    g = g.assign(_run=run, _low=low)
    per = g.groupby("manager_id", sort=True)
    out = pd.DataFrame(
        {
            "low_periods": per["_low"].sum().astype(int),
            "longest_low_run": per["_run"].max(),
            "current_low_run": per["_run"].last(),
        }
    )
    out["improvement_plan"] = out["current_low_run"] >= consecutive
    return out.reset_index()


def bonus_coefficients(
    annual: pd.DataFrame,
    *,
    source: str,
    grade_coefficients: Mapping[str, float] | None = None,
    score_points: tuple[tuple[float, float], ...] | None = None,
) -> pd.Series:
    """Bonus coefficient per manager from the grade (table) or from the score (piecewise-linear points).

    Score points are ``(score, coefficient)``: 0 below the first score, linear in
    between, flat beyond the last (a :class:`calibrate.targets.payout.PayoutCurve`).
    """
    if source == "grade":
        table = dict(grade_coefficients or {})
        unknown = sorted(set(annual["grade"].dropna()) - set(table))
        if unknown:
            raise ConfigError(f"grade_coefficients has no coefficient for grade(s) {', '.join(unknown)}")
        return annual["grade"].map(table).astype(float).rename("coefficient")
    if source == "score":
        from calibrate.targets.payout import PayoutCurve

        curve = PayoutCurve(tuple(score_points or ()))
        score = annual["score"].to_numpy(dtype=float)
        return pd.Series(
            np.where(np.isnan(score), np.nan, curve.coefficient(np.nan_to_num(score))),
            index=annual.index,
            name="coefficient",
        )
    raise ConfigError(f"bonus source '{source}' must be 'grade' or 'score'")


def bonus_table(coefficient: pd.Series, base: float | pd.Series) -> pd.DataFrame:
    """``bonus = base x coefficient`` per manager (base in currency units, e.g. 10k CNY; a number or per manager).

    >>> bonus_table(pd.Series({"M1": 1.2, "M2": 0.6}), 30.0)["bonus"].tolist()
    [36.0, 18.0]
    """
    base = base.reindex(coefficient.index) if isinstance(base, pd.Series) else pd.Series(float(base), coefficient.index)
    if (base < 0).any() or base.isna().any():
        raise ConfigError("the bonus base must be a number of 0 or more for every manager")
    return pd.DataFrame({"coefficient": coefficient, "bonus_base": base, "bonus": coefficient * base})

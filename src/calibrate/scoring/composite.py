"""Weighted composite scores with the points each indicator contributes (what an appeal needs).

composite = sum_i w_i' x points_i, with w_i' the weights renormalised over the
indicators a manager has a value for in that period (an insufficient NPS or a
missing 360 review does not count as zero: its weight is shared out among the
others in proportion). ``weight_present`` says how much of the weight had data.
The contributions of a row add up to its composite.

>>> pts = pd.DataFrame({"a": [100.0, 80.0], "b": [50.0, None]}, index=["M1", "M2"])
>>> composite_scores(pts, pd.Series({"a": 0.6, "b": 0.4})).scores["composite"].tolist()
[80.0, 80.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError
from calibrate.results import Summary, frame_summary

CONTRIBUTION_PREFIX = "points_"


class InvalidWeights(CalibrateError):
    """Weights that do not match the indicators, are negative, or do not add up to 1."""


@dataclass(frozen=True)
class CompositeResult:
    """``scores``: per row ``composite``, ``weight_present`` (0-1), ``n_missing`` and a
    ``points_<indicator>`` column per indicator (points contributed, NaN when missing).
    ``weights``: the weights used (summing to 1)."""

    scores: pd.DataFrame
    weights: pd.Series

    @property
    def composite(self) -> pd.Series:
        return self.scores["composite"]

    def breakdown(self) -> pd.DataFrame:
        """Points contributed by each indicator (columns are indicator ids)."""
        cols = [CONTRIBUTION_PREFIX + i for i in self.weights.index]
        return self.scores[cols].rename(columns=lambda c: c[len(CONTRIBUTION_PREFIX) :])

    def to_frame(self) -> pd.DataFrame:
        return self.scores.reset_index()

    def summary(self) -> Summary:
        """The weights and the composite's spread."""
        c = self.composite
        return frame_summary(
            "composite score",
            self.weights.rename_axis("indicator").reset_index(name="weight"),
            values={"rows": int(len(c)), "composite_mean": float(c.mean()), "composite_sd": float(c.std())},
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def check_weights(weights: pd.Series, indicators: list[str] | tuple[str, ...]) -> pd.Series:
    """Weights in indicator order; error when an indicator lacks a weight, one is unknown or negative, or the sum is not 1."""
    w = pd.Series(weights, dtype=float)
    unknown = [i for i in w.index if i not in indicators]
    missing = [i for i in indicators if i not in w.index]
    if unknown or missing:
        parts = [
            f"no weight for {', '.join(missing)}" if missing else "",
            f"weights for unknown indicator(s) {', '.join(map(str, unknown))}" if unknown else "",
        ]
        raise InvalidWeights("the weights do not match the indicator set: " + "; ".join(p for p in parts if p))
    w = w.reindex(list(indicators))
    if w.isna().any() or (w < 0).any():
        raise InvalidWeights(f"weights must be numbers of 0 or more; check {', '.join(w.index[w.isna() | (w < 0)])}")
    if abs(w.sum() - 1) > 1e-4:
        raise InvalidWeights(f"the weights add up to {w.sum():.4f}, not 1")
    return w / w.sum()


def composite_scores(points: pd.DataFrame, weights: pd.Series) -> CompositeResult:
    """Composite score per row of ``points`` (indicator points, 0-100) with its per-indicator breakdown."""
    w = check_weights(weights, list(points.columns))
    values = points[w.index].to_numpy(dtype=float)
    have = ~np.isnan(values)
    present = have @ w.to_numpy()
    share = np.divide(
        w.to_numpy()[None, :], present[:, None], out=np.full(values.shape, np.nan), where=present[:, None] > 0
    )
    frame = pd.DataFrame(values * share, index=points.index, columns=[CONTRIBUTION_PREFIX + i for i in w.index])
    frame.insert(0, "composite", composite_matrix(values, w.to_numpy()[None, :])[0])
    frame.insert(1, "weight_present", present)
    frame.insert(2, "n_missing", (~have).sum(axis=1))
    return CompositeResult(scores=frame, weights=w)


def composite_matrix(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Composites for many weightings at once: ``values`` rows x indicators (NaN = missing),
    ``weights`` draws x indicators; returns draws x rows (NaN where no indicator has a value)."""
    have = ~np.isnan(values)
    present = weights @ have.T
    total = weights @ np.where(have, values, 0.0).T
    return np.divide(total, present, out=np.full(total.shape, np.nan), where=present > 0)


def period_means(result: CompositeResult, periods: pd.Series | np.ndarray | list[str]) -> pd.DataFrame:
    """Mean composite and contributions per manager over the given periods (e.g. the quarters of a year).

    ``result.scores`` must be indexed by (manager_id, period). Quarters without a
    composite are left out; a missing contribution counts as 0 in a quarter that
    has a composite, so the mean contributions still add up to the mean composite.
    ``n_periods`` counts the quarters averaged.
    """
    scores = result.scores
    rows = scores[scores.index.get_level_values("period").isin(list(periods)) & scores["composite"].notna()]
    cols = ["composite"] + [CONTRIBUTION_PREFIX + i for i in result.weights.index]
    filled = rows[cols].fillna(0.0)
    grouped = filled.groupby(level="manager_id", sort=True)
    out = grouped.mean()
    out.insert(1, "n_periods", grouped.size())
    out.insert(2, "weight_present", rows.groupby(level="manager_id", sort=True)["weight_present"].mean())
    return out

"""Diagnostics of one indicator set that need no outcome: redundancy and rank stability over time.

Redundancy
----------
``max_abs_corr`` is the largest absolute Pearson correlation between two of the
set's indicators (pairwise-complete rows). The variance inflation factor of
indicator j is ``VIF_j = 1 / (1 - R_j^2)`` with ``R_j^2`` from the least-squares
regression of j on the other indicators (complete rows); 1 means unrelated to
the others, above about 5 the indicator mostly repeats them, infinite means it
is an exact linear combination of them.

Rank stability over periods
---------------------------
The Spearman correlation of managers' scores in quarter t and quarter t+1
(managers scored in both), averaged over all consecutive pairs of quarters. In
[-1, 1]. High is not always good: a score that never moves cannot reward change.

>>> df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1.0, 3, 2, 4]})
>>> round(indicator_redundancy(df, ["a", "b"]).max_vif, 4)   # r = 0.8 -> 1 / (1 - 0.64)
2.7778
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from calibrate.errors import CalibrateError
from calibrate.periods import quarter_index
from calibrate.results import Summary, frame_summary

__all__ = ["RedundancyResult", "indicator_redundancy", "rank_stability_over_periods", "spearman"]

_PERFECT = 1e-10


@dataclass(frozen=True)
class RedundancyResult:
    """How much the indicators of a set repeat each other.

    ``correlations``: indicator x indicator Pearson correlations (pairwise-complete);
    ``vif``: variance inflation factor per indicator (>= 1; inf when an exact linear
    combination of the others; NaN for a constant indicator); ``n``: complete rows
    used for the VIFs.
    """

    correlations: pd.DataFrame
    vif: pd.Series
    n: int

    @property
    def max_abs_corr(self) -> float:
        """Largest |r| between two different indicators, in [0, 1] (NaN with one indicator)."""
        pair = self.max_corr_pair
        return float(abs(self.correlations.loc[pair[0], pair[1]])) if pair else float("nan")

    @property
    def max_corr_pair(self) -> tuple[str, str] | None:
        """The two indicators with the largest |r|."""
        c = self.correlations.abs().to_numpy(copy=True)
        if c.shape[0] < 2:
            return None
        np.fill_diagonal(c, -1.0)
        c = np.nan_to_num(c, nan=-1.0)
        i, j = np.unravel_index(int(np.argmax(c)), c.shape)
        names = list(self.correlations.index)
        return (names[min(i, j)], names[max(i, j)])

    @property
    def max_vif(self) -> float:
        return float(self.vif.max()) if self.vif.notna().any() else float("nan")

    @property
    def max_vif_indicator(self) -> str | None:
        return str(self.vif.idxmax()) if self.vif.notna().any() else None

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: ``vif``, its most correlated other indicator and that ``|r|``."""
        c = self.correlations.abs().copy()
        for k in c.index:
            c.loc[k, k] = np.nan
        most = c.idxmax(axis=1) if len(c) > 1 else pd.Series(None, index=c.index, dtype=object)
        return pd.DataFrame(
            {
                "indicator": list(c.index),
                "vif": self.vif.to_numpy(),
                "most_correlated_with": most.to_numpy(),
                "abs_corr": c.max(axis=1).to_numpy(),
                "n": self.n,
            }
        )

    def summary(self) -> Summary:
        """VIF and the most correlated other indicator per indicator."""
        return frame_summary(
            "indicator redundancy",
            self.to_frame(),
            values={"n": int(self.n), "max_vif": self.max_vif, "max_abs_corr": self.max_abs_corr},
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def indicator_redundancy(frame: pd.DataFrame, columns: Sequence[str]) -> RedundancyResult:
    """Correlations and variance inflation factors of the indicator ``columns`` (rows: manager-quarters)."""
    columns = [str(c) for c in columns]
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise CalibrateError(f"column(s) {', '.join(absent)} not found")
    data = frame[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    corr = data.corr()
    complete = data.dropna().to_numpy()
    n, p = complete.shape
    vif = np.full(p, np.nan)
    varying = complete.std(axis=0) > 0 if n else np.zeros(p, dtype=bool)
    for j in np.flatnonzero(varying):
        others = [k for k in np.flatnonzero(varying) if k != j]
        y = complete[:, j] - complete[:, j].mean()
        if not others:
            vif[j] = 1.0
            continue
        x = complete[:, others] - complete[:, others].mean(axis=0)
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ coef
        unexplained = float(resid @ resid) / float(y @ y)
        vif[j] = np.inf if unexplained < _PERFECT else 1.0 / unexplained
    return RedundancyResult(
        correlations=corr, vif=pd.Series(vif, index=pd.Index(columns, name="indicator"), name="vif"), n=n
    )


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); NaN when either side is constant."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 3:
        return float("nan")
    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = np.sqrt((ra @ ra) * (rb @ rb))
    return float(ra @ rb / den) if den > 0 else float("nan")


def rank_stability_over_periods(scores: pd.Series, *, min_managers: int = 3) -> float:
    """Mean Spearman correlation of managers' scores between consecutive quarters.

    ``scores`` is indexed by ``(manager_id, period)`` with quarter labels such as
    ``2024Q3``. Pairs of quarters with fewer than ``min_managers`` managers in
    common, or not one quarter apart, are skipped; NaN when no pair is left.
    """
    if list(scores.index.names) != ["manager_id", "period"]:
        raise CalibrateError("scores must be indexed by (manager_id, period)")
    wide = scores.unstack("period")
    periods = list(wide.columns)
    order = np.argsort(quarter_index(periods))
    periods = [periods[k] for k in order]
    q = quarter_index(periods)
    values = []
    for k in range(len(periods) - 1):
        if q[k + 1] - q[k] != 1:
            continue
        pair = wide[[periods[k], periods[k + 1]]].dropna()
        if len(pair) >= min_managers:
            rho = spearman(pair.iloc[:, 0].to_numpy(), pair.iloc[:, 1].to_numpy())
            if np.isfinite(rho):
                values.append(rho)
    return float(np.mean(values)) if values else float("nan")

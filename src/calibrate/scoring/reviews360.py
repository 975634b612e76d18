"""360 reviews: one robust score per manager, period and criterion, corrected for rater leniency.

Each manager is rated by 5-8 raters per review period on each criterion (1-5).
A review with fewer than ``min_raters`` or more than ``max_raters`` raters is still
scored but flagged.

Robust to one extreme rater: with 5 or more raters the highest and the lowest
rating are dropped and the rest averaged (a trimmed mean); with fewer, the plain
mean is used. Example: ratings 5, 4, 4, 3, 1 give (4 + 4 + 3) / 3 = 3.667 where
the plain mean is 3.4.

Leniency. A rater who rates several managers may be systematically lenient or
severe. The model is additive, ``rating = level[manager, period, criterion] +
leniency[rater] + noise``, fitted by alternating steps:

1. levels = the (trimmed) mean of ratings minus their raters' leniency;
2. each rater's mean deviation from those levels, shrunk toward 0 as a random
   effect: ``leniency = n d / (n + sigma^2 / tau^2)`` where ``n`` is the rater's
   number of ratings, ``sigma^2`` the pooled within-rater variance and ``tau^2``
   the between-rater variance estimated by moments (``mean(d^2) - sigma^2 / n``,
   floored at 0); leniencies are centred to a rating-weighted mean of 0;

until the leniencies move by less than ``tol``. Only raters who rate at least
``min_ratees`` managers get a leniency (others 0: one rating of one manager cannot
separate the rater from the manager). When raters show no persistent leniency,
``tau^2`` is estimated near 0 and the corrected scores equal the uncorrected ones.
Corrected scores are clipped to the 1-5 scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError
from calibrate.results import Summary
from calibrate.schema import expand_to_quarters

UNIT = ["manager_id", "period", "criterion"]
OK, TOO_FEW, TOO_MANY = "ok", "too_few_raters", "too_many_raters"
TRIM_FROM = 5  # raters needed before the highest and lowest rating are dropped


class InvalidReviews(CalibrateError):
    """360 review rows that cannot be aggregated (missing columns, scores outside 1-5)."""


@dataclass(frozen=True)
class ReviewScores:
    """Aggregated 360 reviews.

    ``scores``: one row per manager, period and criterion with ``n_raters``,
    ``raw_mean`` (plain mean, 1-5), ``robust_mean`` (trimmed, uncorrected),
    ``score`` (trimmed and leniency-corrected, 1-5) and ``flag``.
    ``rater_effects``: per rater ``n_ratings``, ``n_ratees``, ``leniency`` (rating
    points; positive = lenient). ``leniency_sd`` and ``residual_sd`` are the
    estimated spread of rater leniency and of single ratings (rating points).
    """

    scores: pd.DataFrame
    rater_effects: pd.DataFrame
    leniency_sd: float
    residual_sd: float
    iterations: int
    converged: bool

    def to_frame(self) -> pd.DataFrame:
        return self.scores.copy()

    def quarterly(self, criterion: str, column: str = "score") -> pd.Series:
        """A criterion's scores per manager and quarter (half-year reviews apply to both quarters)."""
        rows = self.scores.loc[self.scores["criterion"] == criterion, ["manager_id", "period", column]]
        expanded = expand_to_quarters(rows, "period")
        return expanded.groupby(["manager_id", "quarter"])[column].mean().rename_axis(["manager_id", "period"])

    def to_dict(self) -> dict:
        flags = self.scores["flag"].value_counts()
        return {
            "reviews": int(len(self.scores)),
            "raters": int(len(self.rater_effects)),
            "too_few_raters": int(flags.get(TOO_FEW, 0)),
            "too_many_raters": int(flags.get(TOO_MANY, 0)),
            "leniency_sd": self.leniency_sd,
            "residual_sd": self.residual_sd,
            "iterations": self.iterations,
            "converged": self.converged,
        }

    def summary(self) -> Summary:
        """Reviews, raters, flags and the leniency estimates (:meth:`to_dict`) as a table."""
        return Summary.from_values("360 reviews", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def trimmed_mean(ratings: pd.Series | np.ndarray) -> float:
    """Mean after dropping one highest and one lowest rating when there are at least 5 (else the plain mean).

    >>> round(trimmed_mean([5, 4, 4, 3, 1]), 4)
    3.6667
    """
    x = np.asarray(ratings, dtype=float)
    return float(_unit_means(x, np.zeros(len(x), dtype=int), np.array([len(x)]), True)[0])


def aggregate_reviews(
    reviews: pd.DataFrame,
    *,
    min_raters: int = 5,
    max_raters: int = 8,
    trim: bool = True,
    correct_leniency: bool = True,
    min_ratees: int = 3,
    max_iter: int = 200,
    tol: float = 1e-6,
) -> ReviewScores:
    """Aggregate 360 ratings (columns manager_id, period, rater_id, criterion, score 1-5); see the module notes."""
    missing = [c for c in [*UNIT, "rater_id", "score"] if c not in reviews.columns]
    if missing:
        raise InvalidReviews(f"360 reviews need column(s) {', '.join(missing)}")
    data = reviews.loc[reviews["score"].notna(), [*UNIT, "rater_id", "score"]].reset_index(drop=True)
    y = data["score"].to_numpy(dtype=float)
    bad = np.flatnonzero((y < 1) | (y > 5))
    if len(bad):
        raise InvalidReviews(f"360 reviews: score {y[bad[0]]:g} of rater {data['rater_id'][bad[0]]} is outside 1-5")
    if not len(data):
        raise InvalidReviews("360 reviews: no ratings to aggregate")
    unit_codes, units = pd.MultiIndex.from_frame(data[UNIT]).factorize()
    rater_codes, raters = pd.factorize(data["rater_id"])
    n_unit = np.bincount(unit_codes)
    n_rater = np.bincount(rater_codes)
    ratees = data.groupby("rater_id", sort=False)["manager_id"].nunique().reindex(raters).to_numpy()
    eligible = ratees >= min_ratees

    def level(adjusted: np.ndarray) -> np.ndarray:
        return _unit_means(adjusted, unit_codes, n_unit, trim)

    leniency = np.zeros(len(raters))
    theta = level(y)
    tau2 = sigma2 = 0.0
    iterations, converged = 0, True
    if correct_leniency and eligible.any():
        converged = False
        for iterations in range(1, max_iter + 1):
            dev = y - theta[unit_codes]
            dbar = np.bincount(rater_codes, weights=dev) / n_rater
            sigma2 = float(np.sum((dev - dbar[rater_codes]) ** 2) / max(len(y) - len(raters), 1))
            tau2 = max(0.0, float(np.mean(dbar[eligible] ** 2 - sigma2 / n_rater[eligible])))
            new = np.zeros_like(leniency)
            if tau2 > 0:
                new[eligible] = n_rater[eligible] * dbar[eligible] / (n_rater[eligible] + sigma2 / tau2)
                new[eligible] -= np.average(new[eligible], weights=n_rater[eligible])
            step = float(np.max(np.abs(new - leniency)))
            leniency = new
            theta = level(y - leniency[rater_codes])
            if step < tol:
                converged = True
                break
    if not sigma2:
        dev = y - theta[unit_codes]
        sigma2 = float(np.sum(dev**2) / max(len(y) - len(units), 1))
    raw = np.bincount(unit_codes, weights=y) / n_unit
    scores = pd.DataFrame(units.tolist(), columns=UNIT).assign(
        n_raters=n_unit,
        raw_mean=raw,
        robust_mean=level(y),
        score=np.clip(theta, 1.0, 5.0),
        flag=np.select([n_unit < min_raters, n_unit > max_raters], [TOO_FEW, TOO_MANY], OK),
    )
    scores = scores.sort_values(UNIT, kind="stable").reset_index(drop=True)
    effects = (
        pd.DataFrame({"rater_id": raters, "n_ratings": n_rater, "n_ratees": ratees, "leniency": leniency})
        .sort_values("rater_id", kind="stable")
        .reset_index(drop=True)
    )
    return ReviewScores(
        scores=scores,
        rater_effects=effects,
        leniency_sd=float(np.sqrt(tau2)),
        residual_sd=float(np.sqrt(sigma2)),
        iterations=iterations,
        converged=converged,
    )


def _unit_means(x: np.ndarray, codes: np.ndarray, n: np.ndarray, trim: bool) -> np.ndarray:
    """Per-unit mean of ``x``; with ``trim``, the highest and lowest are dropped where a unit has >= 5 values."""
    total = np.bincount(codes, weights=x, minlength=len(n))
    if not trim:
        return total / n
    high = np.full(len(n), -np.inf)
    low = np.full(len(n), np.inf)
    np.maximum.at(high, codes, x)
    np.minimum.at(low, codes, x)
    trimmed = n >= TRIM_FROM
    out = total / n
    out[trimmed] = (total[trimmed] - high[trimmed] - low[trimmed]) / (n[trimmed] - 2)
    return out

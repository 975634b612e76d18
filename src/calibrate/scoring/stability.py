"""How stable grades and ranks are when the weights are uncertain.

Weight draws. Each indicator weight is drawn uniformly within its range (given
per indicator, or the weight +-20%), the draw is renormalised to sum to 1, and it
is kept only if every dimension's share stays inside the indicator set's
dimension band (rejection sampling); draws from a weights bootstrap can be given
instead. For each draw the annual composite of every manager is recomputed from
the same indicator points, and managers are graded again.

Per manager: the probability that the grade differs from the one under the
proposed weights (``p_grade_change``, split into up and down), the range of
grades and of ranks (5th-95th percentile) over draws, the distance in points to
the nearest grade cut, and ``on_boundary`` when the grade changes in at least
``boundary_probability`` of the draws. Per draw: Spearman and Kendall rank
correlation with the ranking under the proposed weights and the share of
managers keeping their grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from calibrate.errors import InfeasibleConstraints
from calibrate.ranks import kendall_tau_b, rank_average, rank_min
from calibrate.results import Summary
from calibrate.scoring.composite import InvalidWeights, check_weights, composite_matrix
from calibrate.scoring.grades import Grading, distance_to_cut
from calibrate.threads import single_thread

MAX_ROUNDS = 50


@dataclass(frozen=True)
class StabilityResult:
    """``managers``: one row per graded manager; ``draws``: per weighting, ``spearman``,
    ``kendall`` and ``same_grade`` (share of managers keeping their grade);
    ``weights``: the weightings drawn (draws x indicators)."""

    managers: pd.DataFrame
    draws: pd.DataFrame
    weights: pd.DataFrame
    boundary_probability: float

    def to_frame(self) -> pd.DataFrame:
        return self.managers.copy()

    def to_dict(self) -> dict:
        m, d = self.managers, self.draws
        return {
            "draws": int(len(d)),
            "managers": int(len(m)),
            "expected_share_changing_grade": float(m["p_grade_change"].mean()),
            "managers_on_boundary": int(m["on_boundary"].sum()),
            "share_on_boundary": float(m["on_boundary"].mean()),
            "spearman_mean": float(d["spearman"].mean()),
            "spearman_p5": float(d["spearman"].quantile(0.05)),
            "kendall_mean": float(d["kendall"].mean()),
            "kendall_p5": float(d["kendall"].quantile(0.05)),
            "same_grade_mean": float(d["same_grade"].mean()),
            "boundary_probability": self.boundary_probability,
        }

    def summary(self) -> Summary:
        """Grade stability figures (:meth:`to_dict`) as a table."""
        return Summary.from_values("grade stability", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def sample_weights(
    weights: pd.Series,
    ranges: pd.DataFrame,
    *,
    draws: int = 500,
    seed: int | np.random.Generator = 0,
    dimension_of: pd.Series | None = None,
    bands: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Weightings drawn uniformly within ``ranges`` (columns low, high per indicator), renormalised,
    kept only when each dimension's share lies within ``bands`` (columns low, high per dimension)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ranges = ranges.reindex(weights.index)
    low, high = ranges["low"].to_numpy(dtype=float), ranges["high"].to_numpy(dtype=float)
    if np.isnan(low).any() or np.isnan(high).any() or (low < 0).any() or (high < low).any() or high.sum() <= 0:
        raise InfeasibleConstraints(
            f"each indicator needs a weight range with 0 <= low <= high (ranges given: {ranges.to_dict('index')})"
        )
    member = None
    if dimension_of is not None and bands is not None:
        dims = list(bands.index)
        member = np.array([[dimension_of[i] == d for i in weights.index] for d in dims], dtype=float)
        band_low, band_high = bands["low"].to_numpy(dtype=float), bands["high"].to_numpy(dtype=float)
    kept, tried = [], 0
    for _ in range(MAX_ROUNDS):
        batch = rng.uniform(low, high, size=(2 * draws, len(low)))
        batch = batch / batch.sum(axis=1, keepdims=True)
        tried += len(batch)
        if member is not None:
            share = batch @ member.T
            ok = np.all((share >= band_low - 1e-9) & (share <= band_high + 1e-9), axis=1)
            batch = batch[ok]
        kept.append(batch)
        if sum(len(b) for b in kept) >= draws:
            break
    out = np.concatenate(kept)[:draws]
    if len(out) < draws:
        raise InfeasibleConstraints(
            f"only {len(out)} of {tried} weight draws kept every dimension inside its weight band; "
            "widen the weight ranges (scoring: stability: ranges / spread) or check the dimension bands"
        )
    return pd.DataFrame(out, columns=weights.index).rename_axis("draw")


def annual_composites(points: pd.DataFrame, weights: np.ndarray, *, executor: Any = None) -> pd.DataFrame:
    """Annual composite per manager (rows) and weighting (columns): the mean over the manager's
    periods with a composite. ``points`` is indexed by (manager_id, period), one column per indicator.

    Weightings are taken in batches so that memory stays near 160 MB whatever the company's size.
    ``executor`` (anything with ``map``, e.g. a Dask client's executor; see
    :mod:`calibrate.distributed`) computes the batches elsewhere; each batch is a
    pure function of its weightings, so the result is the same as in this process.
    """
    values = points.to_numpy(dtype=float)
    weights = np.atleast_2d(weights)
    codes, managers = pd.factorize(points.index.get_level_values("manager_id"), sort=True)
    # rows -> managers as a sparse indicator matrix: memory grows with rows, not managers x rows
    onehot = sparse.csr_matrix(
        (np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), len(managers))
    ).T.tocsr()
    batch = max(1, int(2e7 // max(len(codes), 1)))
    batches = [(values, onehot, weights[start : start + batch]) for start in range(0, len(weights), batch)]
    parts = list(executor.map(_annual_batch, batches)) if executor is not None else [_annual_batch(b) for b in batches]
    annual = np.concatenate(parts, axis=1) if parts else np.empty((len(managers), 0))
    return pd.DataFrame(annual, index=pd.Index(managers, name="manager_id"))


def _annual_batch(task: tuple[np.ndarray, Any, np.ndarray]) -> np.ndarray:
    """Annual composites (managers x weightings) of one batch of weightings, on one BLAS thread so that
    a Dask worker and this process add in the same order."""
    values, onehot, weights = task
    with single_thread():
        composite = composite_matrix(values, weights)  # draws x rows
    have = ~np.isnan(composite)
    total = onehot @ np.where(have, composite, 0.0).T  # managers x draws
    count = onehot @ have.T.astype(float)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def grade_stability(
    points: pd.DataFrame,
    scores: pd.Series,
    grades: pd.Series,
    draws: pd.DataFrame,
    grading: Grading,
    *,
    boundary_probability: float = 0.2,
    executor: Any = None,
) -> StabilityResult:
    """Grade and rank stability of each manager under the weightings in ``draws``.

    ``points``: indicator points of the periods scored (indexed manager_id, period);
    ``scores``/``grades``: each manager's annual score and grade under the proposed
    weights (as published); ``draws``: weightings (draws x indicators).
    """
    w = _weight_matrix(draws, list(points.columns))
    annual = annual_composites(points, w, executor=executor)
    graded = scores.dropna().index.intersection(annual.index).sort_values()
    annual = annual.loc[graded].to_numpy()
    if np.isnan(annual).any():
        raise InfeasibleConstraints(
            "some weight draws leave a manager without a score (a weight of 0 on the "
            "only indicator the manager has); give ranges with a low above 0"
        )
    base_score = scores.loc[graded].to_numpy(dtype=float)
    base_code = grades.loc[graded].map({g: k for k, g in enumerate(grading.labels)}).to_numpy(dtype=int)
    codes = grading.codes(annual)  # managers x draws
    ranks = rank_min(-annual)
    base_rank = rank_min(-base_score)
    p_up, p_down = (codes < base_code[:, None]).mean(axis=1), (codes > base_code[:, None]).mean(axis=1)
    labels = np.array(grading.labels)
    managers = pd.DataFrame(
        {
            "manager_id": graded,
            "score": base_score,
            "grade": labels[base_code],
            "rank": base_rank.astype(int),
            "p_grade_change": p_up + p_down,
            "p_grade_up": p_up,
            "p_grade_down": p_down,
            "best_grade": labels[codes.min(axis=1)],
            "worst_grade": labels[codes.max(axis=1)],
            "rank_p5": np.percentile(ranks, 5, axis=1),
            "rank_p95": np.percentile(ranks, 95, axis=1),
        }
    )
    cuts = grading.cuts(pd.Series(base_score), pd.Series(labels[base_code]))
    managers["distance_to_cut"] = distance_to_cut(pd.Series(base_score), cuts).to_numpy()
    managers["on_boundary"] = managers["p_grade_change"] >= boundary_probability
    spearman = _columnwise_pearson(rank_average(-annual), rank_average(-base_score)[:, None])
    kendall = kendall_tau_b(base_score, annual)
    per_draw = pd.DataFrame(
        {
            "draw": np.arange(len(w)),
            "spearman": spearman,
            "kendall": kendall,
            "same_grade": (codes == base_code[:, None]).mean(axis=0),
        }
    )
    return StabilityResult(
        managers=managers,
        draws=per_draw,
        weights=pd.DataFrame(w, columns=points.columns).rename_axis("draw"),
        boundary_probability=float(boundary_probability),
    )


def compare_weightings(points: pd.DataFrame, weightings: Mapping[str, pd.Series], grading: Grading) -> pd.DataFrame:
    """Pairwise agreement of named weightings (e.g. proposed vs last year's): Spearman and Kendall
    correlation of the annual scores, and the share of managers given the same grade."""
    names = list(weightings)
    w = _weight_matrix(pd.DataFrame([weightings[n] for n in names]), list(points.columns))
    annual = annual_composites(points, w).dropna()
    codes = grading.codes(annual.to_numpy())
    rows = []
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            x, y = annual.iloc[:, a].to_numpy(dtype=float), annual.iloc[:, b].to_numpy(dtype=float)
            rows.append(
                {
                    "weights_a": names[a],
                    "weights_b": names[b],
                    "spearman": float(np.corrcoef(rank_average(x), rank_average(y))[0, 1]),
                    "kendall": float(kendall_tau_b(x, y)[0]),
                    "same_grade": float((codes[:, a] == codes[:, b]).mean()),
                }
            )
    return pd.DataFrame(rows, columns=["weights_a", "weights_b", "spearman", "kendall", "same_grade"])


def _weight_matrix(draws: pd.DataFrame, indicators: list[str]) -> np.ndarray:
    """Weightings as a draws x indicators array in indicator order, each checked like a single weighting."""
    check_weights(draws.iloc[0], indicators)
    w = draws[indicators].to_numpy(dtype=float)
    sums = w.sum(axis=1)
    if (w < 0).any() or np.any(np.abs(sums - 1) > 1e-4):
        raise InvalidWeights("every weighting must have weights of 0 or more adding up to 1")
    return w / sums[:, None]


def _columnwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    return (a * b).sum(axis=0) / np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))

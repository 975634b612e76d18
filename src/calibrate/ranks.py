"""Ranks and rank correlations of many columns at once, in numpy.

The grade-stability draws rank every manager under hundreds of weightings;
these do it for all columns in one pass instead of one ``scipy.stats`` call per
column, and give ``scipy.stats``' numbers: :func:`rank_min` and
:func:`rank_average` are ``rankdata(x, method="min" | "average", axis=0)``,
:func:`kendall_tau_b` is ``kendalltau(x, y[:, j]).statistic`` (tau-b, ties
corrected) for every column ``j``.

>>> import numpy as np
>>> rank_min(np.array([3.0, 1.0, 3.0, 2.0])).tolist()
[3, 1, 3, 2]
>>> rank_average(np.array([3.0, 1.0, 3.0, 2.0])).tolist()
[3.5, 1.0, 3.5, 2.0]
>>> round(float(kendall_tau_b(np.array([1.0, 2, 3, 4]), np.array([[1.0], [3], [2], [4]]))[0]), 4)
0.6667
"""

from __future__ import annotations

import numpy as np

__all__ = ["rank_min", "rank_average", "kendall_tau_b"]


def _sorted_runs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, position of each sorted value, True where a sorted value starts a new run of equal values)."""
    order = np.argsort(x, axis=0, kind="stable")
    ordered = np.take_along_axis(x, order, axis=0)
    position = np.arange(x.shape[0]).reshape((-1,) + (1,) * (x.ndim - 1))
    new = np.ones(ordered.shape, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    return order, position, new


def rank_min(x: np.ndarray) -> np.ndarray:
    """1-based rank of each value within its column (axis 0), ties given the lowest rank of their run."""
    x = np.asarray(x, dtype=float)
    order, position, new = _sorted_runs(x)
    first = np.maximum.accumulate(np.where(new, position, 0), axis=0)
    ranks = np.empty(x.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, first + 1, axis=0)
    return ranks


def rank_average(x: np.ndarray) -> np.ndarray:
    """1-based rank of each value within its column (axis 0), ties given the average rank of their run."""
    x = np.asarray(x, dtype=float)
    order, position, new = _sorted_runs(x)
    n = x.shape[0]
    first = np.maximum.accumulate(np.where(new, position, 0), axis=0)
    # the last position of each run: the first position of the run, read from the end
    ends = np.zeros(x.shape, dtype=bool)
    ends[:-1] = new[1:]
    ends[-1] = True
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, position, n), axis=0), axis=0), axis=0)
    ranks = np.empty(x.shape, dtype=float)
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, axis=0)
    return ranks


def _tied_pairs(sorted_values: np.ndarray) -> np.ndarray:
    """Per column of values sorted along axis 0: the number of pairs with equal values."""
    new = np.ones(sorted_values.shape, dtype=bool)
    new[1:] = sorted_values[1:] != sorted_values[:-1]
    run = np.cumsum(new, axis=0)  # run number of each value, per column
    total = np.zeros(sorted_values.shape[1:], dtype=np.int64)
    for j in np.ndindex(sorted_values.shape[1:]):
        sizes = np.bincount(run[(slice(None), *j)])
        total[j] = int((sizes * (sizes - 1) // 2).sum())
    return total


def _discordant(codes: np.ndarray) -> np.ndarray:
    """Per column, the pairs i < j with codes[i] > codes[j] (inversions), by a bottom-up merge of sorted runs."""
    n, k = codes.shape
    size = 1 << max(0, (n - 1).bit_length())
    runs = np.full((size, k), np.iinfo(np.int64).max, dtype=np.int64)  # padding sorts last and inverts nothing
    runs[:n] = codes
    runs = runs.T.copy()  # k x size, each row a sequence
    inversions = np.zeros(k, dtype=np.int64)
    width = 1
    while width < size:
        pairs = runs.reshape(k, size // (2 * width), 2 * width)
        # merge each (left, right) pair of sorted runs: a stable sort keeps a left value before an equal right one
        order = np.argsort(pairs, axis=2, kind="stable")
        from_right = order >= width
        left_before = np.cumsum(~from_right, axis=2)  # left values placed up to each merged position
        # each right value is passed over by the left values placed after it: width - left values before it
        inversions += np.where(from_right, width - left_before, 0).sum(axis=(1, 2))
        runs = np.take_along_axis(pairs, order, axis=2).reshape(k, size)
        width *= 2
    return inversions


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b between ``x`` (n values) and each column of ``y`` (n x k), ties corrected.

    ``(concordant - discordant) / sqrt((n0 - ties in x) (n0 - ties in y))`` with ``n0 = n (n - 1) / 2``,
    the statistic of ``scipy.stats.kendalltau`` (its default ``variant="b"``); NaN when either side is constant.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    n, k = y.shape
    n0 = n * (n - 1) // 2
    by_x = np.lexsort((np.zeros(n), x))
    xs = x[by_x]
    ties_x = int(_tied_pairs(xs[:, None])[0])
    ys = y[by_x]
    # sort each column by (x, y): within a run of equal x the order of y must not count as discordant
    x_run = np.cumsum(np.r_[True, xs[1:] != xs[:-1]])
    y_codes = np.argsort(np.argsort(ys, axis=0, kind="stable"), axis=0, kind="stable")  # distinct codes, stable
    y_dense = rank_min(ys) - 1  # equal y share a code
    within = np.lexsort((y_codes.T, np.broadcast_to(x_run, (k, n))), axis=-1).T  # per column: by x run, then y
    ordered = np.take_along_axis(y_dense, within, axis=0)
    discordant = _discordant(ordered)
    ties_y = _tied_pairs(np.sort(y, axis=0))
    # pairs tied in both x and y are neither concordant nor discordant and sit in both tie counts
    joint = np.zeros(k, dtype=np.int64)
    if ties_x:
        for j in range(k):
            pairs = np.unique(np.column_stack([x_run, ordered[:, j]]), axis=0, return_counts=True)[1]
            joint[j] = int((pairs * (pairs - 1) // 2).sum())
    concordant_minus_discordant = n0 - ties_x - ties_y + joint - 2 * discordant
    with np.errstate(divide="ignore", invalid="ignore"):
        return concordant_minus_discordant / np.sqrt((n0 - ties_x) * (n0 - ties_y).astype(float))

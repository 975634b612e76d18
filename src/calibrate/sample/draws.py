"""The generator's own discrete draws, built on uniform doubles from ``Generator.random``.

numpy's ``Generator.choice`` may change its algorithm between releases (NEP 19
promises no stream stability for it), which would silently change the sample
company. The two discrete draws the generator needs are therefore written here,
each from one block of ``rng.random`` doubles:

* :func:`weighted_choice`: indices with given probabilities, by the inverse CDF
  (one double per draw: the first index whose cumulative probability exceeds it);
* :func:`choose_without_replacement`: for many units at once, a uniformly random
  subset of ``sizes[u]`` items of ``range(pool_sizes[u])`` by Floyd's algorithm
  (Bentley & Floyd, "A sample of brilliance", CACM 30(9), 1987), one double per
  item drawn.

Both consume exactly ``len(result)`` doubles from ``rng``, so the state of ``rng``
afterwards is that after ``rng.random(len(result))``.

>>> import numpy as np
>>> weighted_choice(np.random.default_rng(0), [0.5, 0.5], 4).tolist()
[1, 0, 0, 0]
>>> picked = choose_without_replacement(np.random.default_rng(0), [10, 3], [4, 3])
>>> len(picked), sorted(picked[4:].tolist())
(7, [0, 1, 2])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def weighted_choice(rng: np.random.Generator, probabilities: Sequence[float] | np.ndarray, size: int) -> np.ndarray:
    """``size`` indices into ``probabilities`` (non-negative, summing to about 1), by the inverse CDF."""
    cdf = np.cumsum(np.asarray(probabilities, dtype=float))
    cdf = cdf / cdf[-1]
    index = np.searchsorted(cdf, rng.random(size), side="right")
    return np.minimum(index, len(cdf) - 1).astype(np.int64)


def bounded(u: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Whole numbers uniform on ``0..bound-1`` from doubles ``u`` uniform on [0, 1)."""
    bound = np.asarray(bound, dtype=np.int64)
    return np.minimum((u * bound).astype(np.int64), bound - 1)


def choose_without_replacement(
    rng: np.random.Generator, pool_sizes: Sequence[int] | np.ndarray, sizes: Sequence[int] | np.ndarray
) -> np.ndarray:
    """Concatenated random subsets: ``sizes[u]`` distinct items of ``range(pool_sizes[u])`` for every unit u.

    Floyd's algorithm for each unit, vectorised over units: for j from
    ``pool - size`` to ``pool - 1`` draw t uniform on ``0..j``; keep t, or j when t
    is already kept. Every subset is equally likely. The items of a unit come in
    the order Floyd's algorithm keeps them. Draws ``sum(sizes)`` doubles, unit by
    unit, so a unit's items depend only on its own position in the stream.
    """
    pools = np.asarray(pool_sizes, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    if np.any(sizes < 0) or np.any(sizes > pools):
        raise ValueError("each unit needs 0 <= size <= pool size")
    u = rng.random(int(sizes.sum()))
    if not len(sizes) or not sizes.max():
        return np.empty(0, dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    width = int(sizes.max())
    out = np.full((len(sizes), width), -1, dtype=np.int64)
    for t in range(width):
        sel = np.flatnonzero(sizes > t)
        j = pools[sel] - sizes[sel] + t
        value = bounded(u[starts[sel] + t], j + 1)
        taken = (out[sel, :t] == value[:, None]).any(axis=1)
        out[sel, t] = np.where(taken, j, value)
    return out[np.arange(width) < sizes[:, None]]

"""Estimates computed from converged LV scores: loadings, paths, R², total effects.

All inputs are standardized, so loadings and cross-loadings are correlations
and path coefficients are standardized OLS coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InnerEstimates:
    """Path coefficients ``B[i, j]`` (from ``i`` to ``j``), R² per LV (NaN if exogenous), total effects."""

    paths: np.ndarray
    r_squared: np.ndarray
    total_effects: np.ndarray


def cross_loadings(z: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Correlation of every indicator (rows) with every LV score (columns)."""
    n = z.shape[0]
    zs = (z - z.mean(axis=0)) / z.std(axis=0, ddof=1)
    ys = (scores - scores.mean(axis=0)) / scores.std(axis=0, ddof=1)
    return zs.T @ ys / (n - 1)


def own_loadings(cross: np.ndarray, columns: tuple[np.ndarray, ...]) -> np.ndarray:
    """Each indicator's loading on its own LV (indicator order)."""
    return np.concatenate([cross[cols, j] for j, cols in enumerate(columns)])


def inner_estimates(scores: np.ndarray, adjacency: np.ndarray) -> InnerEstimates:
    """OLS of each endogenous LV on its predecessors, R², and total effects ``(I - B)^-1 - I``."""
    r = np.corrcoef(scores, rowvar=False)
    m = r.shape[0]
    b = np.zeros((m, m))
    r2 = np.full(m, np.nan)
    for j in range(m):
        before = np.flatnonzero(adjacency[:, j])
        if before.size:
            b[before, j] = np.linalg.solve(r[np.ix_(before, before)], r[before, j])
            r2[j] = float(b[before, j] @ r[before, j])
    total = np.linalg.inv(np.eye(m) - b) - np.eye(m)
    return InnerEstimates(paths=b, r_squared=r2, total_effects=total)

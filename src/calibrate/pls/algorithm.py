"""The Lohmöller/Wold iterative PLS algorithm on standardized data.

Starting from unit outer weights, each iteration

1. forms the outer estimate ``Y_j = X_j w_j`` of every LV, scaled to unit variance;
2. forms the inner estimate ``Z_j = sum_i e_ji Y_i`` over the LVs adjacent to
   ``j`` with the inner weighting scheme:

   - ``"path"`` (default): regression coefficients of ``Y_j`` on its
     predecessors, correlations with its successors;
   - ``"centroid"``: signs of the correlations;
   - ``"factorial"``: the correlations;
3. updates the outer weights: mode A ``w_j = cov(X_j, Z_j)``, mode B
   ``w_j = (X_j'X_j)^-1 X_j'Z_j``;

until no outer weight moves by more than ``tol`` (largest absolute change)
or ``max_iter`` iterations have run. Finally each LV is oriented so that the
sum of its loadings is not negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from calibrate.errors import CalibrateError
from calibrate.pls.spec import PathModel

Scheme = Literal["path", "centroid", "factorial"]
SCHEMES: tuple[str, ...] = ("path", "centroid", "factorial")
DEFAULT_SCHEME: Scheme = "path"
DEFAULT_TOL = 1e-10
DEFAULT_MAX_ITER = 300


@dataclass(frozen=True)
class Design:
    """The model as index arrays: columns of each block, mode-B flags, adjacency."""

    columns: tuple[np.ndarray, ...]
    mode_b: tuple[bool, ...]
    adjacency: np.ndarray

    @classmethod
    def of(cls, model: PathModel) -> Design:
        columns, start = [], 0
        for b in model.blocks:
            columns.append(np.arange(start, start + len(b.indicators)))
            start += len(b.indicators)
        return cls(tuple(columns), tuple(b.mode == "B" for b in model.blocks), model.adjacency())


@dataclass(frozen=True)
class OuterSolution:
    """Converged outer weights (one vector per block), LV scores, iterations used."""

    weights: tuple[np.ndarray, ...]
    scores: np.ndarray
    iterations: int
    converged: bool


def check_scheme(scheme: str) -> Scheme:
    if scheme not in SCHEMES:
        raise CalibrateError(f"inner weighting scheme {scheme!r} is not one of {', '.join(SCHEMES)}")
    return scheme  # type: ignore[return-value]


def solve_outer_weights(
    z: np.ndarray,
    design: Design,
    *,
    scheme: Scheme = DEFAULT_SCHEME,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
) -> OuterSolution:
    """Run the iterative algorithm on standardized indicators ``z`` (rows x indicators)."""
    weights = tuple(_unit_variance(z[:, cols], np.ones(len(cols))) for cols in design.columns)
    converged, iteration = False, 0
    for iteration in range(1, max_iter + 1):
        scores = _scores(z, design, weights)
        inner = scores @ inner_weights(scores, design.adjacency, scheme)
        new = tuple(_update_block(z[:, cols], inner[:, j], design.mode_b[j]) for j, cols in enumerate(design.columns))
        change = max(float(np.max(np.abs(a - b))) for a, b in zip(new, weights))
        weights = new
        if change < tol:
            converged = True
            break
    weights = _orient(z, design, weights)
    return OuterSolution(weights=weights, scores=_scores(z, design, weights), iterations=iteration, converged=converged)


def inner_weights(scores: np.ndarray, adjacency: np.ndarray, scheme: Scheme) -> np.ndarray:
    """``E[i, j]``: weight of LV ``i`` in the inner estimate of LV ``j``."""
    r = np.corrcoef(scores, rowvar=False)
    linked = (adjacency + adjacency.T) > 0
    if scheme == "centroid":
        return np.where(linked, np.sign(r), 0.0)
    if scheme == "factorial":
        return np.where(linked, r, 0.0)
    e = np.zeros_like(r)
    for j in range(r.shape[0]):
        before = np.flatnonzero(adjacency[:, j])
        after = np.flatnonzero(adjacency[j, :])
        if before.size:
            e[before, j] = np.linalg.solve(r[np.ix_(before, before)], r[before, j])
        e[after, j] = r[after, j]
    return e


def _update_block(x: np.ndarray, inner: np.ndarray, mode_b: bool) -> np.ndarray:
    if mode_b:
        w = np.linalg.lstsq(x, inner, rcond=None)[0]
    else:
        w = x.T @ inner / (len(inner) - 1)
    return _unit_variance(x, w)


def _unit_variance(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    sd = float(np.std(x @ w, ddof=1))
    if not np.isfinite(sd) or sd == 0.0:
        raise CalibrateError(
            "a latent variable score has no variance; check that its indicators vary "
            "and are linked to the rest of the model"
        )
    return w / sd


def _scores(z: np.ndarray, design: Design, weights: tuple[np.ndarray, ...]) -> np.ndarray:
    return np.column_stack([z[:, cols] @ w for cols, w in zip(design.columns, weights)])


def _orient(z: np.ndarray, design: Design, weights: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Flip an LV whose loadings sum to a negative number (PLS fixes scores only up to sign)."""
    out = []
    for cols, w in zip(design.columns, weights):
        y = z[:, cols] @ w
        out.append(-w if float(np.sum(z[:, cols].T @ y)) < 0 else w)
    return tuple(out)

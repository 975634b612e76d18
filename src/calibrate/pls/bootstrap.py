"""Bootstrap percentile intervals for path coefficients and loadings.

Rows are resampled with replacement from one ``numpy.random.Generator`` built
from ``seed`` (all resamples are drawn up front, so results depend only on the
seed). Each resample is standardized (or centred, ``scaled=False``) and refitted from scratch. Because PLS
fixes an LV only up to its sign, every resample is *sign-aligned* to the full
sample at construct level: LV ``j`` is flipped when its loadings point against
the full-sample loadings (negative sum of products), and its loadings and the
paths touching it change sign with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibrate.errors import CalibrateError
from calibrate.pls.algorithm import Design, Scheme, solve_outer_weights
from calibrate.pls.available import pairwise_correlations, prepare_available, solve_available
from calibrate.pls.data import is_constant, prepare
from calibrate.pls.estimates import cross_loadings, inner_estimates, own_loadings

Seed = int | np.random.SeedSequence | np.random.Generator


@dataclass(frozen=True)
class BootstrapDraws:
    """Aligned estimates of the resamples that could be fitted."""

    paths: np.ndarray  # draws x LV x LV
    loadings: np.ndarray  # draws x indicators
    n_failed: int
    n_not_converged: int


def draw_resamples(
    x: np.ndarray,
    design: Design,
    full_loadings: np.ndarray,
    *,
    n_boot: int,
    seed: Seed,
    scheme: Scheme,
    tol: float,
    max_iter: int,
    scaled: bool = True,
    pairwise: bool = False,
) -> BootstrapDraws:
    """Refit the model on ``n_boot`` row resamples of the raw indicator matrix ``x``."""
    if n_boot < 2:
        raise CalibrateError(f"bootstrap needs at least 2 resamples, got {n_boot}")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, x.shape[0], size=(n_boot, x.shape[0]))
    paths, loadings, failed, slow = [], [], 0, 0
    for idx in rows:
        xb = x[idx]
        if _unusable(xb):
            failed += 1
            continue
        try:
            if pairwise:
                zb = prepare_available(xb, scaled)
                sol = solve_available(zb, design, scheme=scheme, tol=tol, max_iter=max_iter)
                cross = pairwise_correlations(zb, sol.scores)
            else:
                zb = prepare(xb, scaled)
                sol = solve_outer_weights(zb, design, scheme=scheme, tol=tol, max_iter=max_iter)
                cross = cross_loadings(zb, sol.scores)
            inner = inner_estimates(sol.scores, design.adjacency)
        except (CalibrateError, np.linalg.LinAlgError):
            failed += 1
            continue
        slow += not sol.converged
        lam = own_loadings(cross, design.columns)
        b, lam = align_signs(inner.paths, lam, full_loadings, design.columns)
        paths.append(b)
        loadings.append(lam)
    if len(paths) < 2:
        raise CalibrateError(
            f"only {len(paths)} of {n_boot} bootstrap resamples could be fitted; "
            f"the data may be too small or have near-constant indicators"
        )
    return BootstrapDraws(np.stack(paths), np.stack(loadings), failed, slow)


def _unusable(xb: np.ndarray) -> bool:
    """A resample with a constant column, or (with gaps) a column answered fewer than twice or a row
    without answers in some column set, cannot be fitted."""
    if not np.isnan(xb).any():
        return bool(is_constant(xb).any())
    answered = ~np.isnan(xb)
    if (answered.sum(axis=0) < 2).any():
        return True
    spread = np.nanmax(xb, axis=0) - np.nanmin(xb, axis=0)
    return bool((spread <= 1e-12 * np.maximum(np.nanmax(np.abs(xb), axis=0), 1.0)).any())


def align_signs(
    paths: np.ndarray, loadings: np.ndarray, reference: np.ndarray, columns: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Flip each LV whose loadings point against ``reference``; returns (paths, loadings)."""
    signs = np.array([-1.0 if float(loadings[c] @ reference[c]) < 0 else 1.0 for c in columns])
    per_indicator = np.concatenate([np.full(len(c), s) for c, s in zip(columns, signs)])
    return paths * np.outer(signs, signs), loadings * per_indicator


def percentile_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile bounds along the first axis (linear interpolation)."""
    if not 0 < level < 1:
        raise CalibrateError(f"confidence level must be between 0 and 1, got {level}")
    tail = (1 - level) / 2
    return np.quantile(draws, tail, axis=0), np.quantile(draws, 1 - tail, axis=0)

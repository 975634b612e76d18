"""PLS with missing answers by pairwise (available-case) estimation, as R plspm does (Lohmöller 1989; NIPALS).

No answer is filled in. In every iteration, for a mode-A block ``X`` (columns
standardized over their answered rows) and the inner estimate ``z`` of its LV:

- each outer weight is the regression coefficient of the indicator on ``z``
  over the rows that answered it: ``w_l = sum_i x_il z_i / sum_(i answered l) z_i^2``;
- each respondent's score is the regression coefficient of their answered
  indicators on the weights: ``y_i = sum_l x_il w_l / sum_(l answered by i) w_l^2``,
  then the scores are scaled to unit variance.

With complete answers this is exactly the usual mode-A update. Loadings and
cross-loadings are correlations over the rows where both values exist
(``pairwise.complete.obs``), and Cronbach's alpha uses pairwise correlations.
This is R plspm's treatment of missing data (``get_weights_nonmetric``, G.
Sanchez, *PLS Path Modeling with R*, 2013, and Lohmöller 1989); mode-B blocks
(which plspm fits by PLS regression with missing data) are not offered: use
``missing="mean"`` for them.

The iteration stops when no score changes by more than ``tol`` (largest
absolute change of the unit-variance scores) or after ``max_iter`` iterations.
Reported weights are those of a respondent who answered every indicator of
the block (``y = x w`` for that row, on the unit-variance scale), for
indicators standardized over their answered rows with the n - 1 divisor like
every other fit; internally columns are scaled with divisor n_answered as in
plspm, which matters only when columns have different numbers of answers.
"""

from __future__ import annotations

import numpy as np

from calibrate.errors import CalibrateError
from calibrate.pls.algorithm import Design, OuterSolution, Scheme, inner_weights


def prepare_available(x: np.ndarray, scaled: bool = True) -> np.ndarray:
    """Columns centred (and, if ``scaled``, scaled to sd 1 with divisor n_answered, as plspm) over their
    answered rows; NaN kept. (With complete answers the divisor changes nothing: every column gets the same factor.)"""
    centred = x - np.nanmean(x, axis=0)
    return centred / np.nanstd(x, axis=0, ddof=0) if scaled else centred


def check_answered(x: np.ndarray, design: Design, block_names: list[str]) -> None:
    """Every row must answer at least one indicator of every block, and no mode-B block may have gaps."""
    for name, cols, mode_b in zip(block_names, design.columns, design.mode_b):
        gaps = np.isnan(x[:, cols])
        if mode_b and gaps.any():
            raise CalibrateError(
                f"block {name!r} is formative (mode B) and has missing answers; pairwise "
                f"estimation covers mode A blocks only: use missing='mean' or mode A"
            )
        empty = np.flatnonzero(gaps.all(axis=1))
        if len(empty):
            rows = ", ".join(str(r + 2) for r in empty[:5])
            raise CalibrateError(
                f"row(s) {rows} answer no indicator of block {name!r}; a score needs at least "
                f"one answer per block: drop those rows or use missing='mean'"
            )


def solve_available(z: np.ndarray, design: Design, *, scheme: Scheme, tol: float, max_iter: int) -> OuterSolution:
    """The iterative algorithm on ``z`` with NaN for missing answers (see the module notes)."""
    answered = ~np.isnan(z)
    zf = np.where(answered, z, 0.0)
    blocks = [(zf[:, c], answered[:, c].astype(float)) for c in design.columns]
    weights = [np.ones(len(c)) / np.sqrt(len(c)) for c in design.columns]
    scores = np.column_stack([_unit(_row_scores(xb, ab, w)) for (xb, ab), w in zip(blocks, weights)])
    converged, iteration = False, 0
    for iteration in range(1, max_iter + 1):
        inner = scores @ inner_weights(scores, design.adjacency, scheme)
        new_weights, new_scores = [], []
        for j, (xb, ab) in enumerate(blocks):
            zj = inner[:, j]
            denominator = ab.T @ (zj**2)
            if np.any(denominator <= 0):
                raise CalibrateError(
                    "a latent variable's inner estimate is zero on every answered row; check "
                    "that the block's indicators vary and are linked to the rest of the model"
                )
            w = np.linalg.lstsq(xb, zj, rcond=None)[0] if design.mode_b[j] else xb.T @ zj / denominator
            new_weights.append(w)
            new_scores.append(_unit(_row_scores(xb, ab, w)))
        new = np.column_stack(new_scores)
        change = float(np.max(np.abs(np.abs(new) - np.abs(scores))))
        weights, scores = new_weights, new
        if change < tol:
            converged = True
            break
    raw = [_row_scores(xb, ab, w) for (xb, ab), w in zip(blocks, weights)]
    final = []
    for j, ((xb, ab), w, y) in enumerate(zip(blocks, weights, raw)):
        scale = float(np.std(y, ddof=1))
        w = w / (scale * float(w @ w))  # complete row: y_unit = x w
        sign = -1.0 if np.nansum(pairwise_correlations(z[:, design.columns[j]], scores[:, [j]])) < 0 else 1.0
        final.append(sign * w)
        scores[:, j] = sign * _unit(y)
    return OuterSolution(weights=tuple(final), scores=scores, iterations=iteration, converged=converged)


def weights_on_standard_scale(
    weights: tuple[np.ndarray, ...], x: np.ndarray, design: Design, scaled: bool
) -> tuple[np.ndarray, ...]:
    """Weights re-expressed for indicators standardized with the n - 1 divisor (as every other fit reports them)."""
    if not scaled:
        return weights
    answered = (~np.isnan(x)).sum(axis=0).astype(float)
    factor = np.sqrt(answered / (answered - 1))
    return tuple(w * factor[cols] for w, cols in zip(weights, design.columns))


def pairwise_correlations(z: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Correlation of every column of ``z`` (NaN = missing) with every score column, over rows where both exist."""
    out = np.empty((z.shape[1], scores.shape[1]))
    for col in range(z.shape[1]):
        ok = ~np.isnan(z[:, col])
        out[col] = [np.corrcoef(z[ok, col], scores[ok, j])[0, 1] for j in range(scores.shape[1])]
    return out


def _row_scores(xb: np.ndarray, ab: np.ndarray, w: np.ndarray) -> np.ndarray:
    return (xb @ w) / (ab @ (w**2))


def _unit(y: np.ndarray) -> np.ndarray:
    sd = float(np.std(y, ddof=1))
    if not np.isfinite(sd) or sd == 0.0:
        raise CalibrateError(
            "a latent variable score has no variance; check that its indicators vary "
            "and are linked to the rest of the model"
        )
    return (y - y.mean()) / sd

"""Memory-lean fits of the company-panel models: OLS and the binomial GLM (logit) from row blocks.

The designs of :mod:`calibrate.weights.regression` have a million rows at
100,000 managers; statsmodels holds several full copies of the design while
it fits (the stacked ``exog``, its weighted copy, ``pinv(exog)``, the score
matrix of the sandwich). The fits here read the design's own column blocks
(``x``, ``d``, ``y``, weights) a block of rows at a time and keep only
k x k triangles, the per-cluster score sums (clusters x k) and per-row
vectors (fitted values):

* least squares by a sequential (tall-skinny) QR: the triangle ``R`` of
  ``sqrt(w) [X, y]`` is updated block by block, ``R_new = qr([R; block])``
  (Golub & Van Loan 2013, sec. 5.2), so the precision is that of a QR of the
  whole design, not of the normal equations; ``beta = pinv(R11) r12`` and
  ``(X'WX)^+ = pinv(R11) pinv(R11)'`` as statsmodels' ``pinv(wexog)`` (the
  singular values of ``R11`` are those of ``sqrt(w) X``: the same rank cut);
* the binomial GLM by the IRLS of statsmodels ``GLM.fit()``: the same start
  (``mu = (y + 1/2) / 2``), working weights and response, and the same stop
  (the deviance changes by at most ``tol`` = 1e-8 between iterations); one
  pass over the rows per iteration;
* the cluster-robust covariance (``cov_type="cluster"`` in statsmodels,
  Liang & Zeger 1986; Arellano 1987) ``H^-1 (sum_g s_g s_g') H^-1`` with
  ``s_g`` the sum of cluster g's scores and ``H`` the (weighted) cross-product
  (OLS: ``X'WX``; GLM: the Fisher information ``X' diag(m mu (1 - mu)) X``),
  times the CR1 small-sample factor that statsmodels applies to both models
  (``sandwich_covariance.cov_cluster``, ``use_correction=True``)
  ``G / (G - 1) * (n - 1) / (n - k)``: G clusters with rows, n rows, k
  coefficients.

``tests/test_blockwise.py`` checks every figure against statsmodels on the
sample's designs and on random designs with unequal clusters, weights and a
near-collinear column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "as_columns",
    "linear_predictor",
    "LeanFit",
    "ols_blockwise",
    "logit_blockwise",
    "cross_products",
    "weighted_moments",
    "BLOCK_ELEMENTS",
]

#: Design elements (rows x columns) per block: 2**21 float64, about 16 MB.
BLOCK_ELEMENTS = 1 << 21
_EPS = np.finfo(float).eps


@dataclass(frozen=True, eq=False)
class LeanFit:
    """A least-squares or logit fit from row blocks; the figures of the statsmodels results of the same model.

    ``params``, ``bse`` and ``cov_params`` (cluster-robust CR1 when fitted
    with groups, else classical); ``normalized_cov`` is ``(X'WX)^+`` (the
    inverse Fisher information for the GLM); ``fitted`` is ``X beta`` (OLS)
    or the success probability ``mu`` (GLM). OLS: ``ssr``, ``rsquared``
    (centred when the columns span a constant, ``hasconst``), ``scale``
    (``ssr / (n - k)``); GLM: ``deviance``, ``null_deviance`` (constant-only
    model), ``iterations`` and ``converged``. ``n_groups`` counts the clusters
    with at least one row.
    """

    model: str
    params: np.ndarray
    bse: np.ndarray
    cov_params: np.ndarray
    normalized_cov: np.ndarray
    fitted: np.ndarray
    nobs: int
    n_groups: int | None
    ssr: float = np.nan
    rsquared: float = np.nan
    scale: float = 1.0
    deviance: float = np.nan
    null_deviance: float = np.nan
    iterations: int = 0
    converged: bool = True


# --------------------------------------------------------------------------- helpers


def as_columns(columns: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """The column blocks of a design given as one matrix or a sequence of arrays (rows x k_j, or 1-D).

    Blocks keep their dtype (e.g. 0/1 dummies as ``uint8``): they are read into float64 a block of rows
    at a time, never converted whole.
    """
    parts = [columns] if isinstance(columns, np.ndarray) else list(columns)
    parts = [np.asarray(a) for a in parts]
    for a in parts:
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
            raise TypeError(f"design columns must be numbers, got {a.dtype}")
    return [a[:, None] if a.ndim == 1 else a for a in parts]


def linear_predictor(columns: np.ndarray | Sequence[np.ndarray], beta: np.ndarray) -> np.ndarray:
    """``X beta`` for ``X`` the columns side by side, without stacking them."""
    parts = as_columns(columns)
    beta = np.asarray(beta, dtype=float)
    n = parts[0].shape[0] if parts else 0
    k = sum(a.shape[1] for a in parts)
    out = np.empty(n)
    step = _block_rows(k, None)
    buffer = np.empty((min(step, max(n, 1)), k))
    for r0 in range(0, n, step):
        r1 = min(r0 + step, n)
        np.matmul(_fill(buffer, parts, r0, r1), beta, out=out[r0:r1])
    return out


def _block_rows(k: int, block_rows: int | None) -> int:
    return int(block_rows) if block_rows else max(256, BLOCK_ELEMENTS // max(k, 1))


def _fill(buffer: np.ndarray, parts: list[np.ndarray], r0: int, r1: int) -> np.ndarray:
    """Rows r0:r1 of the columns side by side, written into the front of ``buffer`` (no new array)."""
    out = buffer[: r1 - r0]
    c = 0
    for a in parts:
        out[:, c : c + a.shape[1]] = a[r0:r1]
        c += a.shape[1]
    return out


class _TallSkinnyQR:
    """The R factor of a tall matrix given a block of rows at a time (sequential QR)."""

    def __init__(self, k: int, block: int):
        self.k = k
        self.stack = np.zeros((block + k, k))
        self.filled = 0  # rows of R on top of the stack

    def add(self, rows: np.ndarray) -> None:
        n = len(rows)
        if n == 0:
            return
        top = self.filled
        self.stack[top : top + n] = rows
        r = np.asarray(np.linalg.qr(self.stack[: top + n], mode="r"))  # mode "r": the triangle only
        self.filled = r.shape[0]
        self.stack[: self.filled] = r

    @property
    def r(self) -> np.ndarray:
        out = np.zeros((self.k, self.k))
        out[: self.filled] = self.stack[: self.filled]
        return out


def _solve(r: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From R of ``[X, y]``: ``beta = pinv(R11) r12``, ``(X'X)^+`` and ``pinv(R11)``."""
    r_inv = np.linalg.pinv(r[:k, :k])
    return r_inv @ r[:k, k], r_inv @ r_inv.T, r_inv


def _add_group_sums(out: np.ndarray, groups: np.ndarray, block: np.ndarray, factor: np.ndarray) -> None:
    """``out[g] += sum over the block's rows of group g of block * factor`` (column by column, rows in order)."""
    g = out.shape[0]
    for j in range(block.shape[1]):
        out[:, j] += np.bincount(groups, weights=block[:, j] * factor, minlength=g)


def _cluster_cov(bread: np.ndarray, scores: np.ndarray, groups: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """CR1: ``bread (sum_g s_g s_g') bread * G / (G - 1) * (n - 1) / (n - k)``; clusters without rows add nothing."""
    n_groups = int(np.count_nonzero(np.bincount(groups)))
    k = bread.shape[0]
    cov = bread @ (scores.T @ scores) @ bread
    cov *= n_groups / (n_groups - 1.0) * ((n - 1.0) / float(n - k))
    return cov, n_groups


def _check_rows(parts: list[np.ndarray], n: int, what: str) -> None:
    for a in parts:
        if a.shape[0] != n:
            raise ValueError(f"{what}: a column block has {a.shape[0]} rows, the outcome {n}")


def _groups(groups: np.ndarray | None, n: int) -> np.ndarray | None:
    if groups is None:
        return None
    g = np.asarray(groups)
    if g.shape != (n,) or not np.issubdtype(g.dtype, np.integer) or (n and g.min() < 0):
        raise ValueError("groups must be non-negative integer cluster codes, one per row")
    return g


# --------------------------------------------------------------------------- OLS


def ols_blockwise(
    columns: np.ndarray | Sequence[np.ndarray],
    y: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    weights: np.ndarray | None = None,
    hasconst: bool = True,
    block_rows: int | None = None,
) -> LeanFit:
    """(Weighted) least squares of ``y`` on the columns side by side; CR1 clustered by ``groups`` when given.

    The figures of ``statsmodels.api.WLS(y, X, weights).fit()`` (or
    ``.fit(cov_type="cluster", cov_kwds={"groups": groups})``), with
    ``X = np.column_stack(columns)`` never built. ``groups``: non-negative
    integer codes (clusters without rows are ignored). ``hasconst``: the
    columns span a constant (R^2 is then centred).
    """
    parts = as_columns(columns)
    y = np.asarray(y, dtype=float)
    n = len(y)
    _check_rows(parts, n, "ols_blockwise")
    g = _groups(groups, n)
    w = None if weights is None else np.asarray(weights, dtype=float)
    k = sum(a.shape[1] for a in parts)
    step = _block_rows(k + 1, block_rows)
    buffer = np.empty((min(step, max(n, 1)), k + 1))
    qr = _TallSkinnyQR(k + 1, len(buffer))
    for r0 in range(0, n, step):
        r1 = min(r0 + step, n)
        z = _fill(buffer, [*parts, y[:, None]], r0, r1)
        if w is not None:
            z *= np.sqrt(w[r0:r1])[:, None]
        qr.add(z)
    beta, normalized, _ = _solve(qr.r, k)
    del qr
    # second pass: fitted values, residuals, the residual sum of squares and each cluster's score sum
    fitted = np.empty(n)
    scores = np.zeros((int(g.max()) + 1 if g is not None and n else 0, k))
    ssr = 0.0
    for r0 in range(0, n, step):
        r1 = min(r0 + step, n)
        xb = _fill(buffer[:, :k], parts, r0, r1)
        np.matmul(xb, beta, out=fitted[r0:r1])
        e = y[r0:r1] - fitted[r0:r1]
        we = e if w is None else w[r0:r1] * e
        ssr += float(e @ we)
        if g is not None:
            _add_group_sums(scores, g[r0:r1], xb, we)
    if hasconst:
        ybar = float(np.average(y, weights=w))
        tss = float(((y - ybar) ** 2) @ (np.ones(n) if w is None else w))
    else:
        tss = float(y @ y) if w is None else float((y * y) @ w)
    scale = ssr / (n - k)
    if g is None:
        cov, n_groups = normalized * scale, None
    else:
        cov, n_groups = _cluster_cov(normalized, scores, g, n)
    return LeanFit(
        model="ols",
        params=beta,
        bse=np.sqrt(np.clip(np.diag(cov), 0, None)),
        cov_params=cov,
        normalized_cov=normalized,
        fitted=fitted,
        nobs=n,
        n_groups=n_groups,
        ssr=ssr,
        rsquared=1.0 - ssr / tss if tss > 0 else np.nan,
        scale=scale,
    )


# --------------------------------------------------------------------------- binomial GLM


def _binomial_deviance(k: np.ndarray, m: np.ndarray, mu: np.ndarray | float) -> float:
    """``2 sum [k log(k / (m mu)) + (m - k) log((m - k) / (m (1 - mu)))]``, with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(k > 0, k * np.log(k / (m * mu)), 0.0)
        b = np.where(m - k > 0, (m - k) * np.log((m - k) / (m * (1 - mu))), 0.0)
    return 2.0 * float(a.sum() + b.sum())


def logit_blockwise(
    columns: np.ndarray | Sequence[np.ndarray],
    successes: np.ndarray,
    trials: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    maxiter: int = 100,
    tol: float = 1e-8,
    block_rows: int | None = None,
) -> LeanFit:
    """Binomial GLM (logit link) of ``successes`` out of ``trials`` on the columns side by side, by IRLS.

    The figures of ``statsmodels.api.GLM(np.column_stack([successes, trials
    - successes]), X, family=Binomial()).fit()`` (or with ``cov_type="cluster"``):
    the same iterations and stopping rule (see the module notes). ``trials``
    must be positive.
    """
    parts = as_columns(columns)
    kk = np.asarray(successes, dtype=float)
    m = np.asarray(trials, dtype=float)
    n = len(kk)
    _check_rows(parts, n, "logit_blockwise")
    g = _groups(groups, n)
    k = sum(a.shape[1] for a in parts)
    y = kk / m
    p_bar = float(kk.sum() / m.sum())  # the constant-only model's fit
    null_deviance = 0.0
    step = _block_rows(k + 1, block_rows)
    buffer = np.empty((min(step, max(n, 1)), k + 1))
    fitted = np.empty(n)
    n_clusters = int(g.max()) + 1 if g is not None and n else 0

    def sweep(beta: np.ndarray | None) -> tuple[float, np.ndarray, np.ndarray | None]:
        """mu at ``beta`` (the start when None, adding up the null deviance too), its deviance, R of
        sqrt(W)[X, z] for the next step and the scores."""
        nonlocal null_deviance
        qr = _TallSkinnyQR(k + 1, len(buffer))
        scores = np.zeros((n_clusters, k)) if g is not None and beta is not None else None
        dev = 0.0
        for r0 in range(0, n, step):
            r1 = min(r0 + step, n)
            yb, mb = y[r0:r1], m[r0:r1]
            z = None
            if beta is None:
                null_deviance += _binomial_deviance(kk[r0:r1], mb, p_bar)
                mu = (yb + 0.5) / 2.0
                p = np.clip(mu, _EPS, 1 - _EPS)
                eta = np.log(p / (1 - p))
            else:
                z = _fill(buffer[:, :k], parts, r0, r1)
                eta = z @ beta
                mu = 1.0 / (1.0 + np.exp(-eta))
                fitted[r0:r1] = mu
                if scores is not None and g is not None:
                    _add_group_sums(scores, g[r0:r1], z, kk[r0:r1] - mb * mu)
            dev += _binomial_deviance(kk[r0:r1], mb, mu)
            p = np.clip(mu, _EPS, 1 - _EPS)
            v = p * (1 - p)
            root = np.sqrt(mb * v)  # the working weight is m mu (1 - mu)
            block = _fill(buffer, parts, r0, r1) if z is None else buffer[: r1 - r0]
            block[:, k] = eta + (yb - mu) / v
            block *= root[:, None]
            qr.add(block)
        return dev, qr.r, scores

    dev_prev, r, _ = sweep(None)
    converged, iterations = False, 0
    beta = np.zeros(k)
    dev, scores = dev_prev, None
    for iterations in range(1, maxiter + 1):
        beta, _, _ = _solve(r, k)
        dev, r, scores = sweep(beta)
        if abs(dev - dev_prev) <= tol:
            converged = True
            break
        dev_prev = dev
    # r is now the triangle of sqrt(W) X at the final mu: the Fisher information is R11' R11
    _, information_inv, _ = _solve(r, k)
    if g is None:
        cov, n_groups = information_inv, None
    else:
        assert scores is not None
        cov, n_groups = _cluster_cov(information_inv, scores, g, n)
    return LeanFit(
        model="binomial_logit",
        params=beta,
        bse=np.sqrt(np.clip(np.diag(cov), 0, None)),
        cov_params=cov,
        normalized_cov=information_inv,
        fitted=fitted,
        nobs=n,
        n_groups=n_groups,
        deviance=dev,
        null_deviance=null_deviance,
        iterations=iterations,
        converged=converged,
    )


# --------------------------------------------------------------------------- cross-products


def cross_products(
    columns: np.ndarray | Sequence[np.ndarray], weights: np.ndarray | None = None, *, block_rows: int | None = None
) -> np.ndarray:
    """``Z' W Z`` of the columns side by side, summed a block of rows at a time (no copy of ``Z``)."""
    parts = as_columns(columns)
    n = parts[0].shape[0] if parts else 0
    k = sum(a.shape[1] for a in parts)
    w = None if weights is None else np.asarray(weights, dtype=float)
    step = _block_rows(k, block_rows)
    buffer = np.empty((min(step, max(n, 1)), k))
    weighted = np.empty_like(buffer)
    out = np.zeros((k, k))
    for r0 in range(0, n, step):
        r1 = min(r0 + step, n)
        z = _fill(buffer, parts, r0, r1)
        if w is None:
            out += z.T @ z
        else:
            zw = np.multiply(z, w[r0:r1, None], out=weighted[: r1 - r0])
            out += zw.T @ z
    return out


def weighted_moments(x: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per column of ``x`` (rows x p): the weighted mean and the weighted centred sum of squares
    ``sum w (x - mean)^2``, column by column (temporaries of one column, not of ``x``)."""
    x = np.asarray(x, dtype=float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    total = float(w.sum())
    means = np.empty(x.shape[1])
    ss = np.empty(x.shape[1])
    for j in range(x.shape[1]):
        col = np.array(x[:, j], dtype=float)  # a copy of one column
        means[j] = float(col @ w) / total
        col -= means[j]
        ss[j] = float((col * col) @ w)
    return means, ss

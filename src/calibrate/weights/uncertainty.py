"""Bootstrap intervals for every weight method and for the final proposal, resampling managers.

A manager's quarters are not independent of each other, so the bootstrap
resamples *managers* with replacement (a cluster bootstrap), never rows: a
resample is a vector of multinomial counts ``c_i`` (how often manager i was
drawn, summing to the number of managers), and every statistic is computed
as if each drawn manager's rows were repeated ``c_i`` times.

Batched, not refitted
---------------------
Nothing is refitted row by row. Once, per manager, we store

* the weighted cross-products ``Z_i' W_i Z_i`` of ``Z = [indicators, control
  dummies, outcome]`` for the growth and retention designs: a resample's
  regression moments are ``sum_i c_i Z_i' W_i Z_i``, from which the OLS coefficients and the LMG correlations follow
  after partialling out the controls;
* the retention GLM's score ``g_i`` and information ``H_i`` at the full-sample
  estimate: a resample's logit coefficients are the one-step Newton update
  ``beta + (sum_i c_i H_i)^+ sum_i c_i g_i`` (exact at ``c = 1``; first-order
  equivalent to refitting, see Davison & Hinkley 1997, section 6.2.4, "linear
  approximation" bootstrap);
* each manager's indicator profile for entropy and CRITIC, evaluated with
  counts as weights (a manager drawn twice counts twice, exactly as duplicated
  rows would).

AHP: the experts are resampled with replacement too (their own multinomial
counts), and the panel's judgments are re-aggregated (AIJ, count-weighted
geometric mean) and re-analysed (principal eigenvector), so the interval of
the AHP weights says how much the result depends on who sat on the panel.
With a single expert the AHP weights are fixed.

One :class:`numpy.random.Generator` per stream, both spawned from the seed
(``SeedSequence(seed).spawn(2)``: managers, experts); all counts are drawn
before any work, so results are identical for the same seed whatever the
chunk size.

Memory and time: the per-manager matrices are symmetric, so only their upper
triangles are computed (``k (k + 1) / 2`` numbers per manager instead of
``k^2``), and they are not stored: a :class:`ManagerStack` keeps the rows (the
design's own arrays) and computes a block of managers' matrices when the
resamples' sums read it. One pass over the managers, in cache-sized blocks,
gives every resample's sums (each block is computed once and read by every
resample while it is in the cache); a resample's sum never depends on which
other resamples share the pass, so chunking and workers do not change it.
Entropy and CRITIC are computed one resample at a time on the drawn managers
only, with the counts as weights, so no resamples x managers x indicators
array is ever built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from calibrate.errors import CalibrateError
from calibrate.results import Summary, frame_summary
from calibrate.threads import single_thread  # noqa: F401  (re-exported: used by proposal and benchmarks)
from calibrate.weights.blockwise import linear_predictor
from calibrate.weights.regression import (
    RegressionSuite,
    _combine,
    _keep_right_sign,
    growth_lmg,
    partial_moments,
    per_manager_cross_products,
    retention_lmg,
    unpack_symmetric,
)

__all__ = [
    "BootstrapInputs",
    "BootstrapResult",
    "ManagerStack",
    "bootstrap_inputs",
    "bootstrap_weights",
    "evaluate_resamples",
    "resample_sums",
    "draw_counts",
    "manager_counts",
    "single_thread",
    "entropy_batch",
    "critic_batch",
    "ahp_batch",
    "METHODS",
]

#: Methods whose weights are bootstrapped, in table order.
METHODS = ("equal", "entropy", "critic", "ahp", "lmg_revenue", "lmg_retention", "evidence", "target", "proposal")
_CHUNK = 250
_SUM_BLOCK = 128  # managers per cache-sized block of the per-manager stacks


@dataclass(frozen=True, eq=False)
class ManagerStack:
    """Each manager's packed symmetric matrix ``sum over its rows of w z z'``, computed when read.

    Holds the rows (sorted by manager; views of the design when they already
    are) instead of the managers x k (k + 1) / 2 numbers: at 20 indicators and
    20 control dummies a stored stack is 6.9 kB per manager, its rows ~4 kB,
    and the design keeps the rows anyway. ``stack[lo:hi]`` gives managers
    lo..hi-1, bit for bit the values of :func:`per_manager_cross_products`
    (``packed=True``) on all the rows, since a manager's matrix is summed over
    its own rows only, in their order.
    """

    columns: tuple[np.ndarray, ...]
    weights: np.ndarray
    bounds: np.ndarray

    @classmethod
    def from_rows(cls, columns, weights: np.ndarray, groups: np.ndarray, managers: int) -> ManagerStack:
        """``columns``: arrays (rows x k_j, or 1-D) side by side; ``groups``: each row's manager position."""
        groups = np.asarray(groups)
        cols = [np.asarray(c) for c in columns]  # dtype kept (uint8 dummies): read as floats by the piece
        cols = [c[:, None] if c.ndim == 1 else c for c in cols]
        weights = np.asarray(weights, dtype=float)
        if len(groups) and np.any(groups[1:] < groups[:-1]):  # not yet in manager order
            order = np.argsort(groups, kind="stable")
            groups, weights, cols = groups[order], weights[order], [c[order] for c in cols]
        bounds = np.searchsorted(groups, np.arange(managers + 1))
        return cls(columns=tuple(cols), weights=weights, bounds=bounds)

    @property
    def shape(self) -> tuple[int, int]:
        k = sum(c.shape[1] for c in self.columns)
        return len(self.bounds) - 1, k * (k + 1) // 2

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitem__(self, managers: slice) -> np.ndarray:
        lo, hi, step = managers.indices(len(self))
        if step != 1:
            raise IndexError("a ManagerStack is read by contiguous ranges of managers")
        r0, r1 = int(self.bounds[lo]), int(self.bounds[max(hi, lo)])
        groups = np.repeat(np.arange(max(hi - lo, 0)), np.diff(self.bounds[lo : max(hi, lo) + 1]))
        return per_manager_cross_products(
            [c[r0:r1] for c in self.columns], self.weights[r0:r1], groups, max(hi - lo, 0), packed=True
        )

    def to_array(self) -> np.ndarray:
        """Every manager's packed matrix (managers x k (k + 1) / 2)."""
        return self[:]


@dataclass(frozen=True)
class BootstrapInputs:
    """Per-manager sufficient statistics of one dataset (see the module docstring).

    Arrays over managers are aligned with ``managers``; ``growth_gram``,
    ``retention_gram`` and ``glm_hessian`` hold each manager's symmetric
    matrix as its packed upper triangle (managers x k (k + 1) / 2, see
    :func:`calibrate.weights.regression.unpack_symmetric`), either stored or
    as a :class:`ManagerStack` computed from the rows when read; ``profile`` rows are
    NaN for managers without a complete indicator profile (they still count
    in the regressions when they have regression rows).
    """

    managers: tuple[str, ...]
    indicators: tuple[str, ...]
    direction: np.ndarray
    growth_gram: np.ndarray | ManagerStack
    retention_gram: np.ndarray | ManagerStack
    glm_params: np.ndarray
    glm_score: np.ndarray
    glm_hessian: np.ndarray | ManagerStack
    profile: np.ndarray
    ahp_logs: np.ndarray | None
    experts: tuple[str, ...] = field(default=())

    @property
    def p(self) -> int:
        return len(self.indicators)


def bootstrap_inputs(
    suite: RegressionSuite, profile: pd.DataFrame, ahp_matrices: Mapping[str, pd.DataFrame] | None = None
) -> BootstrapInputs:
    """Collect the per-manager statistics from fitted regressions, the manager profile and the experts' matrices.

    ``profile``: one row per manager (index ``manager_id``), one column per
    indicator (e.g. :func:`calibrate.weights.proposal.manager_profile`).
    ``ahp_matrices``: expert -> reciprocal judgment matrix over the indicators.
    """
    g, r = suite.growth, suite.retention
    if g.managers != r.managers:
        raise CalibrateError("the growth and retention designs must share one manager list")
    ids = g.indicators
    beta = suite.retention_glm.params
    if beta is None:
        raise CalibrateError("the retention GLM result carries no coefficients to bootstrap from")
    mu = expit(linear_predictor((r.x, r.d), beta))  # the columns side by side: no stacked copy of the rows
    m = len(g.managers)
    resid = r.kept - r.trials * mu
    score = np.empty((m, len(beta)))
    for j, column in enumerate(_columns(r.x, r.d)):  # per-manager sums, rows added in order
        score[:, j] = np.bincount(r.groups, weights=column * resid, minlength=m)
    info = ManagerStack.from_rows((r.x, r.d), r.trials * mu * (1 - mu), r.groups, m)
    del resid, mu
    prof = profile.reindex(list(g.managers))[list(ids)].to_numpy(dtype=float)
    logs, experts = None, ()
    if ahp_matrices:
        experts = tuple(ahp_matrices)
        logs = np.stack([np.log(ahp_matrices[e].loc[list(ids), list(ids)].to_numpy(dtype=float)) for e in experts])
    return BootstrapInputs(
        managers=g.managers,
        indicators=ids,
        direction=g.direction,
        growth_gram=ManagerStack.from_rows((g.x, g.d, g.y), g.weights, g.groups, m),
        retention_gram=ManagerStack.from_rows((r.x, r.d, r.y), r.weights, r.groups, m),
        glm_params=beta,
        glm_score=score,
        glm_hessian=info,
        profile=prof,
        ahp_logs=logs,
        experts=experts,
    )


def _columns(*blocks: np.ndarray):
    """The columns of 2-D arrays side by side, one at a time (no copy of the whole)."""
    for block in blocks:
        for j in range(block.shape[1]):
            yield block[:, j]


def manager_counts(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    """``resamples`` x ``n`` multinomial counts: how often each of n units is drawn (each row sums to n)."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.int32)  # int32: half the memory


# --------------------------------------------------------------------------- batched baselines


def _normalised_drawn(
    values: np.ndarray, counts: np.ndarray, direction: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One resample: min-max normalised values (1 = best) of the drawn units only, their counts as float
    weights, and a constant-column flag (same arithmetic as :func:`calibrate.weights.baselines._normalised`)."""
    drawn = np.flatnonzero(counts)
    z = values[drawn]  # a copy: normalised in place
    w = counts[drawn].astype(float)
    lo, hi = z.min(axis=0), z.max(axis=0)
    span = hi - lo
    constant = ~(span > 0)
    z -= lo
    z /= np.where(constant, 1.0, span)
    lower = direction < 0
    if lower.any():
        z[:, lower] = 1.0 - z[:, lower]
    z[:, constant] = 0.0
    return z, w, constant


def entropy_batch(values: np.ndarray, counts: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Entropy weights for each row of ``counts`` (the method of :func:`calibrate.weights.baselines.entropy_weights`).

    ``values``: units x indicators (no missing values); ``counts``: resamples x
    units; ``direction``: +1 higher / -1 lower is better. Returns resamples x
    indicators (rows sum to 1; NaN where every indicator is constant).
    One resample at a time, on its drawn units, with the counts as weights.
    """
    out = np.full((counts.shape[0], values.shape[1]), np.nan)
    for b in range(counts.shape[0]):
        z, w, constant = _normalised_drawn(values, counts[b], direction)
        colsum = w @ z
        z /= np.where(colsum > 0, colsum, 1.0)  # p = z / column sum (constant columns stay 0)
        plogp = np.zeros_like(z)
        np.log(z, out=plogp, where=z > 0)
        plogp *= z
        entropy = -(w @ plogp) / np.log(w.sum())
        divergence = np.where(constant, 0.0, 1.0 - entropy)
        total = divergence.sum()
        if total > 0:
            out[b] = divergence / total
    return out


def critic_batch(values: np.ndarray, counts: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """CRITIC weights for each row of ``counts`` (the method of :func:`calibrate.weights.baselines.critic_weights`).

    One resample at a time, on its drawn units, with the counts as weights."""
    out = np.full((counts.shape[0], values.shape[1]), np.nan)
    for b in range(counts.shape[0]):
        z, w, constant = _normalised_drawn(values, counts[b], direction)
        m = w.sum()
        z -= (w @ z) / m
        cov = (z * w[:, None]).T @ z / (m - 1)
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        varying = ~constant
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
        pair = varying[:, None] & varying[None, :]
        conflict = np.where(pair, 1.0 - corr, 0.0).sum(axis=1)
        information = np.where(varying, sd * conflict, 0.0)
        total = information.sum()
        if varying.sum() >= 2 and total > 0:
            out[b] = information / total
    return out


def ahp_batch(logs: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """AIJ priorities for each row of expert ``counts``: principal eigenvector of the count-weighted geometric mean.

    ``logs``: experts x n x n log judgment matrices. Returns resamples x n (rows sum to 1).
    """
    w = counts / counts.sum(axis=1, keepdims=True)
    agg = np.exp(np.einsum("be,eij->bij", w, logs))
    values, vectors = np.linalg.eig(agg)
    k = np.argmax(values.real, axis=1)
    v = np.abs(np.take_along_axis(vectors.real, k[:, None, None], axis=2)[:, :, 0])
    return v / v.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- the bootstrap


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap draws of every method's weights and of the outcome models' coefficients.

    ``draws[method]`` is resamples x indicators (NaN rows for failed
    resamples); ``coefficients[model]`` the same for ``growth_ols`` and
    ``retention_glm``. Intervals are percentile intervals at ``level``.
    """

    indicators: tuple[str, ...]
    resamples: int
    seed: int
    level: float
    draws: Mapping[str, np.ndarray]
    coefficients: Mapping[str, np.ndarray]
    failed: int

    def _interval_frame(self, arrays: Mapping[str, np.ndarray], key: str) -> pd.DataFrame:
        lo_q, hi_q = 100 * (1 - self.level) / 2, 100 * (1 + self.level) / 2
        parts = []
        for name, a in arrays.items():
            ok = a[np.all(np.isfinite(a), axis=1)]
            if len(ok) == 0:
                continue
            parts.append(
                pd.DataFrame(
                    {
                        key: name,
                        "indicator": list(self.indicators),
                        "boot_mean": ok.mean(axis=0),
                        "boot_sd": ok.std(axis=0, ddof=1) if len(ok) > 1 else np.nan,
                        "ci_low": np.percentile(ok, lo_q, axis=0),
                        "ci_high": np.percentile(ok, hi_q, axis=0),
                        "resamples": len(ok),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """Percentile intervals of every method's weights: method, indicator, boot_mean, boot_sd, ci_low, ci_high."""
        return self._interval_frame(self.draws, "method")

    def coefficient_frame(self) -> pd.DataFrame:
        """Percentile intervals of the growth OLS and retention GLM coefficients (natural units)."""
        return self._interval_frame(self.coefficients, "model")

    def summary_text(self) -> str:
        f = self.to_frame()
        lines = [
            f"manager bootstrap: {self.resamples} resamples (seed {self.seed}, {self.failed} failed), "
            f"{self.level:.0%} percentile intervals"
        ]
        for method, part in f.groupby("method", sort=False):
            cells = ", ".join(f"{r.indicator} [{r.ci_low:.3f}, {r.ci_high:.3f}]" for r in part.itertuples())
            lines.append(f"  {method}: {cells}")
        return "\n".join(lines)

    def interval(self, method: str) -> pd.DataFrame:
        """``ci_low``/``ci_high`` of one method, indexed by indicator."""
        f = self.to_frame()
        return f[f["method"] == method].set_index("indicator")[["ci_low", "ci_high"]]

    def summary(self) -> Summary:
        """Percentile intervals per method and indicator; str() gives the text form."""
        return frame_summary(
            f"manager bootstrap ({self.resamples} resamples)",
            self.to_frame(),
            text=self.summary_text(),
            values={"resamples": int(self.resamples), "failed": int(self.failed), "level": float(self.level)},
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def evaluate_resamples(
    inputs: BootstrapInputs,
    counts: np.ndarray,
    *,
    expert_counts: np.ndarray | None = None,
    evidence_shares: Mapping[str, float] | None = None,
    sums: tuple[np.ndarray, ...] | None = None,
) -> tuple[dict, dict]:
    """Every method's weights and the models' coefficients for given manager (and expert) counts.

    ``counts``: resamples x managers (``np.ones((1, managers))`` is the full
    sample); ``expert_counts``: resamples x experts (default: every expert once).
    Returns ``(weights, coefficients)``: method -> resamples x indicators and
    model -> resamples x indicators, NaN rows where a resample cannot be computed.
    ``sums``: :func:`resample_sums` of these counts, when already computed.
    """
    ev_shares = dict(evidence_shares or {"revenue_growth": 0.5, "retention": 0.5})
    counts = np.atleast_2d(np.asarray(counts))
    b_count, p = counts.shape[0], inputs.p
    out = {m: np.full((b_count, p), np.nan) for m in METHODS if m not in ("target", "proposal")}
    coefs = {"growth_ols": np.full((b_count, p), np.nan), "retention_glm": np.full((b_count, p), np.nan)}
    out["equal"][:] = 1.0 / p
    growth, retention, hessian, score = resample_sums(inputs, counts) if sums is None else sums
    k_g, k_h = _side(growth.shape[1]), _side(hessian.shape[1])
    s_growth = partial_moments(unpack_symmetric(growth, k_g), p)
    s_ret = partial_moments(unpack_symmetric(retention, k_g), p)
    h = unpack_symmetric(hessian, k_h)
    sc = score
    beta_glm = inputs.glm_params + np.einsum("bij,bj->bi", np.linalg.pinv(h, hermitian=True), sc)
    has_profile = np.all(np.isfinite(inputs.profile), axis=1)
    if has_profile.all():
        out["entropy"] = entropy_batch(inputs.profile, counts, inputs.direction)
        out["critic"] = critic_batch(inputs.profile, counts, inputs.direction)
    elif has_profile.any():
        values, sub = inputs.profile[has_profile], counts[:, has_profile]
        out["entropy"] = entropy_batch(values, sub, inputs.direction)
        out["critic"] = critic_batch(values, sub, inputs.direction)
    if inputs.ahp_logs is not None:
        e = np.ones((b_count, len(inputs.ahp_logs))) if expert_counts is None else np.atleast_2d(expert_counts)
        out["ahp"] = ahp_batch(inputs.ahp_logs, e)
    for k in range(b_count):
        try:
            raw_rev, beta = growth_lmg(s_growth[k])
            raw_ret = retention_lmg(s_ret[k][:-1, :-1], beta_glm[k, :p])
        except (np.linalg.LinAlgError, CalibrateError):
            continue
        coefs["growth_ols"][k] = beta
        coefs["retention_glm"][k] = beta_glm[k, :p]
        out["lmg_revenue"][k] = raw_rev / raw_rev.sum()
        out["lmg_retention"][k] = raw_ret
        rev = _keep_right_sign(raw_rev, beta * inputs.direction)
        ret = _keep_right_sign(raw_ret, beta_glm[k, :p] * inputs.direction)
        out["evidence"][k] = _combine({"revenue_growth": rev, "retention": ret}, ev_shares)
    return out, coefs


def resample_sums(inputs: BootstrapInputs, counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every resample's count-weighted sums of the per-manager statistics, in one pass over the managers.

    Returns packed growth and retention moments, the packed GLM information
    and the GLM score, each resamples x (numbers per manager). See
    :func:`_weighted_sum` for why a resample's sums do not depend on which
    other resamples share the pass.
    """
    return tuple(
        _weighted_sums(counts, [inputs.growth_gram, inputs.retention_gram, inputs.glm_hessian, inputs.glm_score])
    )


def _weighted_sum(counts: np.ndarray, per_manager) -> np.ndarray:
    """``sum_i counts[b, i] * per_manager[i]`` for every resample b (see :func:`_weighted_sums`)."""
    flat = per_manager if isinstance(per_manager, ManagerStack) else per_manager.reshape(per_manager.shape[0], -1)
    out = _weighted_sums(counts, [flat])[0]
    return out if isinstance(per_manager, ManagerStack) else out.reshape((counts.shape[0],) + per_manager.shape[1:])


def _weighted_sums(counts: np.ndarray, stacks: list) -> list[np.ndarray]:
    """``sum_i counts[b, i] * stack[i]`` for every resample b and every stack (managers x numbers: an array
    or a :class:`ManagerStack`, whose block is computed once here and read by every resample).

    Managers are taken :data:`_SUM_BLOCK` at a time (a block of a stack
    stays in the CPU cache while every resample reads it, instead of the
    whole stack being read once per resample) and, within a block, one
    resample at a time (a vector-matrix product whose shape never depends
    on how many resamples share a chunk), so every resample's sum is the
    same whatever the chunking; blocks are added in manager order. Integer
    counts are turned into floats a block at a time.
    """
    managers = counts.shape[1]
    outs = [np.zeros((counts.shape[0], st.shape[1])) for st in stacks]
    parts = [np.empty(st.shape[1]) for st in stacks]
    for lo in range(0, managers, _SUM_BLOCK):
        c = counts[:, lo : lo + _SUM_BLOCK].astype(float)
        for st, out, part in zip(stacks, outs, parts):
            block = st[lo : lo + _SUM_BLOCK]
            for b in range(counts.shape[0]):
                np.dot(c[b], block, out=part)
                out[b] += part
    return outs


def _side(packed_size: int) -> int:
    """k of a packed k x k symmetric matrix of ``packed_size`` numbers."""
    return int(round((np.sqrt(8 * packed_size + 1) - 1) / 2))


def _summed_matrices(counts: np.ndarray, packed) -> np.ndarray:
    """:func:`_weighted_sum` of packed symmetric per-manager matrices, unpacked: resamples x k x k."""
    return unpack_symmetric(_weighted_sum(counts, packed), _side(packed.shape[1]))


def draw_counts(seed: int, managers: int, experts: int, resamples: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The manager and expert counts of a bootstrap with ``seed`` (two streams spawned from the seed)."""
    stream_m, stream_e = np.random.SeedSequence(seed).spawn(2)
    counts = manager_counts(np.random.default_rng(stream_m), managers, resamples)
    expert_counts = manager_counts(np.random.default_rng(stream_e), experts, resamples) if experts > 1 else None
    return counts, expert_counts


def bootstrap_weights(
    inputs: BootstrapInputs,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.90,
    evidence_shares: Mapping[str, float] | None = None,
    shares: Mapping[str, float] | None = None,
    baseline: str = "critic",
    constraints=None,
    chunk: int = _CHUNK,
    executor: Any = None,
) -> BootstrapResult:
    """Resample managers (and experts) ``resamples`` times and recompute every method and the proposal.

    ``shares`` (``evidence``, ``ahp``, ``baseline``), ``baseline`` and
    ``constraints`` (:class:`~calibrate.weights.blend.WeightConstraints`)
    describe the blend exactly as for the point estimate; without
    ``constraints`` only the methods (not ``target``/``proposal``) are drawn.
    ``chunk`` bounds memory only: the results do not depend on it. ``executor``
    (anything with ``map``, e.g. a Dask client's executor, see :mod:`calibrate.distributed`)
    evaluates the chunks elsewhere, each on one BLAS thread as here, with the same result.
    """
    from calibrate.weights.blend import project_onto_rules

    if int(resamples) < 2:
        raise CalibrateError(f"weights.bootstrap must be at least 2 resamples (1000 recommended), got {resamples}")
    if not (0 < level < 1):
        raise CalibrateError(f"the interval level must be between 0 and 1, got {level}")
    if baseline not in ("equal", "entropy", "critic"):
        raise CalibrateError(f"weights.baseline must be equal, entropy or critic, got {baseline!r}")
    resamples = int(resamples)
    n_experts = len(inputs.experts) if inputs.ahp_logs is not None else 0
    counts, expert_counts = draw_counts(seed, len(inputs.managers), n_experts, resamples)
    if constraints is not None:
        constraints.check_feasible()
    with single_thread():
        return _bootstrap(
            inputs,
            counts,
            expert_counts,
            seed=seed,
            level=level,
            evidence_shares=evidence_shares,
            shares=shares,
            baseline=baseline,
            constraints=constraints,
            chunk=chunk,
            solve=project_onto_rules,
            executor=executor,
        )


def _evaluate_chunk(task):
    """One chunk of resamples (a pure function of its arguments, on one BLAS thread wherever it runs)."""
    inputs, counts, expert_counts, evidence_shares, *sums = task
    with single_thread():
        return evaluate_resamples(
            inputs, counts, expert_counts=expert_counts, evidence_shares=evidence_shares, sums=sums[0] if sums else None
        )


def _bootstrap(
    inputs,
    counts,
    expert_counts,
    *,
    seed,
    level,
    evidence_shares,
    shares,
    baseline,
    constraints,
    chunk,
    solve,
    executor=None,
) -> BootstrapResult:
    resamples = counts.shape[0]
    p = inputs.p
    out = {m: np.full((resamples, p), np.nan) for m in METHODS}
    coefs = {"growth_ols": np.full((resamples, p), np.nan), "retention_glm": np.full((resamples, p), np.nan)}
    step = max(int(chunk), 1)
    slices = [slice(start, min(start + step, resamples)) for start in range(0, resamples, step)]
    tasks = [
        (inputs, counts[sl], None if expert_counts is None else expert_counts[sl], evidence_shares) for sl in slices
    ]
    if executor is not None:  # each chunk sums its own resamples where it runs (the rows travel, not sums)
        parts = executor.map(_evaluate_chunk, tasks)
    else:  # here: one pass over the managers serves every resample (same sums)
        sums = resample_sums(inputs, counts)
        parts = map(_evaluate_chunk, [task + (tuple(x[sl] for x in sums),) for task, sl in zip(tasks, slices)])
    for sl, (part, part_coefs) in zip(slices, parts):
        for m, v in part.items():
            out[m][sl] = v
        for m, v in part_coefs.items():
            coefs[m][sl] = v
    if constraints is not None and shares is not None:
        used = {s: float(v) for s, v in shares.items() if float(v) > 0}
        source_of = {"evidence": "evidence", "ahp": "ahp", "baseline": baseline}
        targets = np.sum([v * out[source_of[s]] for s, v in used.items()], axis=0)  # resamples x indicators
        finite = np.all(np.isfinite(targets), axis=1)
        out["target"][finite] = targets[finite]
        if finite.any():  # every resample's nearest admissible weights at once (exact projection)
            out["proposal"][finite] = solve(targets[finite], constraints)
    else:
        out.pop("target")
        out.pop("proposal")
    failed = int((~np.all(np.isfinite(out["lmg_revenue"]), axis=1)).sum())
    if inputs.ahp_logs is None:
        out.pop("ahp")
    if not np.all(np.isfinite(inputs.profile), axis=1).any():
        out.pop("entropy")
        out.pop("critic")
    return BootstrapResult(
        indicators=inputs.indicators,
        resamples=resamples,
        seed=seed,
        level=level,
        draws=out,
        coefficients=coefs,
        failed=failed,
    )

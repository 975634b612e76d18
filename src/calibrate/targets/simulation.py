"""Monte Carlo engine: attainment of targets and bonus cost over scenarios.

Streams (why results never depend on chunk size or worker count)
-----------------------------------------------------------------
The seed becomes a root ``np.random.SeedSequence``. Every draw comes from a
child stream whose key is fixed by *what* it draws, never by how the work is cut:

* ``(0, r)``  region ``r``'s shocks, one per scenario, in scenario order
  (``r`` indexes the model's sorted region labels);
* ``(1, b)``  the manager noise of block ``b`` = managers ``1024*b ... 1024*b+1023``
  in model order, manager by manager, each manager's scenarios in order;
* ``(2, b)``  the growth-uncertainty draws of block ``b`` (Student-t models only;
  with normal noise it is folded into the noise variance, see :mod:`.model`);
* ``(3, c)``  the parameter draws of scenario block ``c`` = scenarios
  ``4096*c ... 4096*c+4095``: for each scenario in order its K shared
  standard normals (``model.shared_loadings``);
* ``(4, c)``  one chi-square draw per scenario of block ``c`` for the
  region-variance scale (``model.region_sigma_df``). These are
  O(scenarios x parameters), drawn whole by every worker before its managers,
  so they depend on neither the chunking nor the manager blocks (and the first
  scenarios' parameters do not change when more scenarios are asked for).

Key ``(k, j)`` is exactly the child that ``root.spawn(k + 1)[k].spawn(j + 1)[j]``
would give (``SeedSequence`` spawning appends the child's number to the key),
built directly so that no stream needs the others. Each stream feeds a PCG64
``Generator``. Work is cut into chunks of whole blocks (``chunk_managers`` is
rounded up to a multiple of 1,024) and each block into tiles of a fixed number
of managers that depends only on the scenario count; per-scenario totals are
added block by block in block order. Every floating-point operation is
therefore the same whatever ``chunk_managers`` or ``workers`` are.

Memory: a worker holds a few tiles of about 1 MiB (``tile rows x scenarios``
float32) plus the per-manager results; the full scenarios x managers matrix is
never built. Region shocks are kept as a regions x scenarios float32 table
(generated per block instead when that table would pass 256 MiB).

Precision: draws and per-draw arithmetic are float32 (about 7 significant
digits, far finer than the Monte Carlo error); sums are accumulated in float64.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError
from calibrate.results import Summary
from calibrate.targets.model import PerformanceModel, align_targets
from calibrate.targets.payout import BonusCost, PayoutCurve

BLOCK_MANAGERS = 1024
"""Managers per random stream; fixed so results do not depend on chunking."""

_TILE_ELEMENTS = 1 << 18  # float32 tile of ~1 MiB: stays in the L2 cache
_SHOCK_TABLE_LIMIT = 1 << 26  # 256 MiB of float32 region shocks
_LOG_CLIP = 80.0  # exp(80) ~ 5.5e34 stays finite in float32 (log-t tails)
_REGION, _NOISE, _GROWTH, _PARAMETERS, _REGION_SCALE = 0, 1, 2, 3, 4
SCENARIO_BLOCK = 4096  # scenarios per parameter stream
_ROW_LOOP_SCENARIOS = 1024  # from this many scenarios, region shocks are added row by row

Seed = int | np.random.SeedSequence


# ---------------------------------------------------------------------------- streams
def root_seed(seed: Seed) -> np.random.SeedSequence:
    """The run's root ``SeedSequence`` from a non-negative int or a SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.SeedSequence(int(seed))
    raise ConfigError(f"The random seed must be a whole number of 0 or more (or a numpy SeedSequence); got {seed!r}.")


def stream(root: np.random.SeedSequence, kind: int, index: int) -> np.random.Generator:
    """Generator for child ``(kind, index)`` of ``root`` (see the module docstring)."""
    child = np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + (kind, index), pool_size=root.pool_size
    )
    return np.random.Generator(np.random.PCG64(child))


def _tile_rows(scenarios: int) -> int:
    rows = max(1, _TILE_ELEMENTS // scenarios)
    return min(BLOCK_MANAGERS, 1 << (rows.bit_length() - 1))  # a power of two dividing the block


def _check_run(scenarios: int, chunk_managers: int | None, workers: Any) -> None:
    if not isinstance(scenarios, (int, np.integer)) or isinstance(scenarios, bool) or scenarios < 1:
        raise ConfigError(f"The number of scenarios must be a whole number of at least 1; got {scenarios!r}.")
    if chunk_managers is not None and (not isinstance(chunk_managers, (int, np.integer)) or chunk_managers < 1):
        raise ConfigError(f"chunk_managers must be a whole number of at least 1; got {chunk_managers!r}.")
    if hasattr(workers, "map") and not isinstance(workers, (int, np.integer)):
        return  # an executor: concurrent.futures or a Dask client's
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ConfigError(f"workers must be a whole number of at least 1; got {workers!r}.")


# ---------------------------------------------------------------------------- noise
class _Noise:
    """Draws x = log(Y / median) tile by tile, identically for any chunking."""

    def __init__(self, model: PerformanceModel, scenarios: int, root: np.random.SeedSequence):
        self.scenarios = scenarios
        self.root = root
        self.df = model.df
        if model.df is None:  # growth uncertainty folds into the normal variance
            self.scale = np.sqrt(model.sigma**2 + model.growth_uncertainty**2).astype(np.float32)
            self.growth = None
        else:
            self.scale = (model.sigma * model.noise_scale).astype(np.float32)
            self.growth = model.growth_uncertainty.astype(np.float32) if np.any(model.growth_uncertainty > 0) else None
        self.codes = model.region_code
        self.region_sd = model.region_sigma_by_region.astype(np.float32)
        self.has_shocks = bool(np.any(self.region_sd > 0))
        self.loadings, self.shared, self.region_scale = _parameter_draws(model, scenarios, root)
        self.table = None
        if self.has_shocks and self.region_sd.size * scenarios <= _SHOCK_TABLE_LIMIT:
            self.table = np.stack([self._region(r) for r in range(self.region_sd.size)])

    def _region(self, r: int) -> np.ndarray:
        shocks = stream(self.root, _REGION, r).standard_normal(self.scenarios, dtype=np.float32)
        shocks *= self.region_sd[r]
        if self.region_scale is not None:
            shocks *= self.region_scale
        return shocks

    def block(self, b: int, stop: int) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, x)`` tiles of block ``b`` (x: rows x scenarios float32,
        valid until the next tile)."""
        start = b * BLOCK_MANAGERS
        rows = _tile_rows(self.scenarios)
        noise = stream(self.root, _NOISE, b)
        growth = stream(self.root, _GROWTH, b) if self.growth is not None else None
        x_buf = np.empty((rows, self.scenarios), np.float32)
        tmp_buf = np.empty_like(x_buf)
        local: dict[int, np.ndarray] = {}
        for t0 in range(start, stop, rows):
            t1 = min(t0 + rows, stop)
            x, tmp = x_buf[: t1 - t0], tmp_buf[: t1 - t0]
            if self.df is None:
                noise.standard_normal(out=x, dtype=np.float32)
            else:
                x[...] = noise.standard_t(self.df, size=x.shape)
            x *= self.scale[t0:t1, None]
            if growth is not None:
                growth.standard_normal(out=tmp, dtype=np.float32)
                tmp *= self.growth[t0:t1, None]
                x += tmp
            for k in range(self.loadings.shape[1]):  # shared parameter errors, same in every block
                np.multiply(self.loadings[t0:t1, k, None], self.shared[k], out=tmp)
                x += tmp
            if self.has_shocks:
                codes = self.codes[t0:t1]
                if self.table is None:
                    for r in np.unique(codes):
                        if int(r) not in local:
                            local[int(r)] = self._region(int(r))
                    table = local
                else:
                    table = self.table
                if np.all(codes == codes[0]):
                    x += table[int(codes[0])]
                elif self.table is not None and x.shape[1] < _ROW_LOOP_SCENARIOS:
                    np.take(self.table, codes, axis=0, out=tmp)  # many short rows: one gather
                    x += tmp
                else:
                    for k, r in enumerate(codes):  # long rows: add in place, no copy
                        x[k] += table[int(r)]
            yield t0, t1, x


def _parameter_draws(
    model: PerformanceModel, scenarios: int, root: np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(loadings managers x K float32, shared draws K x scenarios float32, region scale per scenario or None)."""
    k = model.shared_loadings.shape[1]
    rdf = model.region_sigma_df if np.any(model.region_sigma_by_region > 0) else None
    shared = np.empty((k, scenarios), np.float32)
    scale = np.empty(scenarios, np.float32) if rdf is not None else None
    if k or rdf is not None:
        for c in range(-(-scenarios // SCENARIO_BLOCK)):
            s0, s1 = c * SCENARIO_BLOCK, min(scenarios, (c + 1) * SCENARIO_BLOCK)
            if k:
                shared[:, s0:s1] = stream(root, _PARAMETERS, c).standard_normal((s1 - s0, k)).T
            if rdf is not None:
                scale[s0:s1] = np.sqrt(stream(root, _REGION_SCALE, c).chisquare(rdf, s1 - s0) / rdf)
    return model.shared_loadings.astype(np.float32), shared, scale


def _blocks(n: int) -> int:
    return -(-n // BLOCK_MANAGERS)


def _chunks(n: int, chunk_managers: int) -> list[range]:
    per = -(-chunk_managers // BLOCK_MANAGERS)  # whole blocks per chunk
    nb = _blocks(n)
    return [range(b, min(b + per, nb)) for b in range(0, nb, per)]


def _block_stop(b: int, n: int) -> int:
    return min(n, (b + 1) * BLOCK_MANAGERS)


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class AttainmentResult:
    """Monte Carlo attainment of targets.

    Per manager: ``probability`` = P(Y >= T) in [0, 1], ``expected_ratio`` =
    E[Y / T], ``ratio_quantiles`` (managers x levels) of Y / T at
    ``quantile_levels`` (empirical, linear interpolation on the log scale).
    Under Student-t noise E[Y / T] is infinite in theory (log-t results have no
    mean): the simulated average is then unstable, prefer the median.
    Per scenario: ``hits`` = number of managers reaching target (int64). Team
    share figures are derived from ``hits``. ``bonus`` is set when a payout
    curve was given.
    """

    manager_id: np.ndarray
    region: np.ndarray
    target: np.ndarray
    probability: np.ndarray
    expected_ratio: np.ndarray
    quantile_levels: tuple[float, ...]
    ratio_quantiles: np.ndarray
    hits: np.ndarray
    scenarios: int
    bonus: BonusCost | None = None

    @property
    def probability_se(self) -> np.ndarray:
        """Monte Carlo standard error of ``probability``."""
        return np.sqrt(self.probability * (1 - self.probability) / self.scenarios)

    @property
    def share(self) -> np.ndarray:
        """Share of managers reaching target in each scenario, in [0, 1]."""
        return self.hits / self.manager_id.size

    @property
    def share_mean(self) -> float:
        """Expected share reaching target (= mean of the per-manager probabilities)."""
        return float(self.hits.sum() / (self.manager_id.size * self.scenarios))

    def share_quantile(self, q: float | Sequence[float]) -> Any:
        """Quantile(s) of the per-scenario share reaching target; q in [0, 1]."""
        return np.quantile(self.share, q)

    @property
    def share_sd(self) -> float:
        """Spread of the share across scenarios (region shocks widen it)."""
        return float(self.share.std())

    @property
    def independent_share_sd(self) -> float:
        """The spread the share would have if managers were independent (Poisson-binomial)."""
        p = self.probability
        return float(np.sqrt(np.sum(p * (1 - p))) / p.size)

    def team_summary(self) -> pd.Series:
        """Managers, scenarios, expected share, P5/P50/P95 of the share, its spread
        against the independent-managers spread, and bonus cost when present."""
        p5, p50, p95 = self.share_quantile([0.05, 0.5, 0.95])
        out = {
            "managers": int(self.manager_id.size),
            "scenarios": int(self.scenarios),
            "expected_share": self.share_mean,
            "share_p5": float(p5),
            "share_p50": float(p50),
            "share_p95": float(p95),
            "share_sd": self.share_sd,
            "independent_share_sd": self.independent_share_sd,
        }
        if self.bonus is not None:
            out.update({f"bonus_{k}": v for k, v in self.bonus.summary().items() if k != "scenarios"})
        return pd.Series(out)

    def to_frame(self) -> pd.DataFrame:
        """One row per manager: target, probability (and its standard error),
        expected attainment, attainment quantiles (``attainment_p10`` ...) and
        expected bonus when present."""
        frame = pd.DataFrame(
            {
                "manager_id": self.manager_id,
                "region": self.region,
                "target": self.target,
                "probability": self.probability,
                "probability_se": self.probability_se,
                "expected_attainment": self.expected_ratio,
            }
        )
        for k, q in enumerate(self.quantile_levels):
            frame[f"attainment_p{100 * q:g}"] = self.ratio_quantiles[:, k]
        if self.bonus is not None:
            frame["expected_bonus"] = self.bonus.expected_bonus
        return frame

    def summary(self) -> Summary:
        """The team figures of :meth:`team_summary` as a table."""
        return Summary.from_values(
            "attainment", {k: (v.item() if hasattr(v, "item") else v) for k, v in self.team_summary().items()}
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


@dataclass
class _Accumulators:
    hits_m: np.ndarray
    ratio_sum: np.ndarray
    log_q: np.ndarray
    coef_sum: np.ndarray | None


# ---------------------------------------------------------------------------- engine
def attainment(
    model: PerformanceModel,
    targets: Any,
    *,
    scenarios: int = 10_000,
    seed: Seed = 0,
    chunk_managers: int = 20_480,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    payout: PayoutCurve | None = None,
    bonus_base: Any = None,
    workers: int = 1,
    progress: bool = False,
) -> AttainmentResult:
    """Monte Carlo attainment of ``targets`` under ``model``; identical for any
    ``chunk_managers`` and ``workers``.

    targets
        Per-manager targets in currency units (> 0): a Series indexed by
        manager_id, a DataFrame with ``manager_id`` and ``target`` columns, or an
        array in model order.
    scenarios
        Number of simulated periods (Monte Carlo error of a probability p is
        ``sqrt(p (1 - p) / scenarios)``).
    seed
        Non-negative int or ``SeedSequence``; the same seed gives bit-identical results.
    chunk_managers
        Managers per unit of work (rounded up to a multiple of 1,024); affects
        memory and progress updates, never results.
    quantiles
        Levels in [0, 1] of the attainment-ratio quantiles per manager; ``()``
        skips the per-manager sort (the costliest step after drawing).
    payout, bonus_base
        With a :class:`PayoutCurve` and target bonuses (currency units, >= 0),
        the total bonus cost of every scenario is accumulated in the same pass.
    workers
        Threads (numpy releases the GIL while drawing and computing).
    progress
        Show a tqdm progress bar over managers.
    """
    return attainment_many(
        model,
        {"": targets},
        scenarios=scenarios,
        seed=seed,
        chunk_managers=chunk_managers,
        quantiles=quantiles,
        payout=payout,
        bonus_base=bonus_base,
        workers=workers,
        progress=progress,
    )[""]


def attainment_many(
    model: PerformanceModel,
    targets: Mapping[str, Any],
    *,
    scenarios: int = 10_000,
    seed: Seed = 0,
    chunk_managers: int = 20_480,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    payout: PayoutCurve | None = None,
    bonus_base: Any = None,
    workers: int = 1,
    progress: bool = False,
) -> dict[str, AttainmentResult]:
    """:func:`attainment` of several target plans on the same scenarios, drawn once.

    Returns, per name of ``targets``, exactly what ``attainment(model, targets[name], ...)``
    with the same arguments returns (bit for bit): the draws and the per-manager sort of
    the quantiles, the costly parts, are done once for all plans.
    """
    names = list(targets)
    if not names:
        raise ConfigError("attainment_many needs at least one set of targets.")
    aligned = [align_targets(model, targets[name]) for name in names]
    log_targets = np.stack([np.log(t) for t in aligned])
    base = None
    if payout is not None:
        if bonus_base is None:
            raise ConfigError("A payout curve needs bonus_base: the target bonus of each manager in currency units.")
        base = align_targets(model, bonus_base, name="bonus_base", allow_zero=True)
    elif bonus_base is not None:
        raise ConfigError("bonus_base was given without a payout curve; pass payout=PayoutCurve(...) as well.")
    levels = tuple(float(q) for q in quantiles)
    if any(not 0 <= q <= 1 for q in levels):
        raise ConfigError(f"Quantile levels must lie between 0 and 1; got {list(quantiles)}.")
    _check_run(scenarios, chunk_managers, workers)
    scenarios = int(scenarios)
    runs = _run(
        model,
        log_targets,
        scenarios=scenarios,
        seed=seed,
        chunk_managers=chunk_managers,
        levels=levels,
        payout=payout,
        bonus_base=base,
        workers=workers,
        progress=progress,
    )
    out = {}
    for name, target, log_target, (acc, hits, bonus_total) in zip(names, aligned, log_targets, runs):
        offset = model.log_median - log_target
        bonus = None
        if payout is not None:
            bonus = BonusCost(model.manager_id, model.region, base, acc.coef_sum / scenarios, bonus_total)
        out[name] = AttainmentResult(
            manager_id=model.manager_id,
            region=model.region,
            target=target,
            probability=acc.hits_m / scenarios,
            expected_ratio=acc.ratio_sum / scenarios,
            quantile_levels=levels,
            ratio_quantiles=np.exp(acc.log_q + offset[:, None]),
            hits=hits,
            scenarios=scenarios,
            bonus=bonus,
        )
    return out


def outcome_quantiles(
    model: PerformanceModel,
    levels: Sequence[float],
    *,
    scenarios: int = 10_000,
    seed: Seed = 0,
    chunk_managers: int = 20_480,
    workers: int = 1,
    progress: bool = False,
    log: bool = False,
) -> np.ndarray:
    """Empirical quantiles of each manager's result Y (managers x levels, currency
    units; natural logs of them with ``log=True``) from the same draws as
    :func:`attainment` with the same seed."""
    levels = tuple(float(q) for q in levels)
    if any(not 0 <= q <= 1 for q in levels):
        raise ConfigError(f"Quantile levels must lie between 0 and 1; got {list(levels)}.")
    _check_run(scenarios, chunk_managers, workers)
    ((acc, _, _),) = _run(
        model,
        model.log_median[None, :],
        scenarios=int(scenarios),
        seed=seed,
        chunk_managers=chunk_managers,
        levels=levels,
        payout=None,
        bonus_base=None,
        workers=workers,
        progress=progress,
        need_mean=False,
    )
    log_q = acc.log_q
    log_q += model.log_median[:, None]
    return log_q if log else np.exp(log_q, out=log_q)


def _run(
    model: PerformanceModel,
    log_targets: np.ndarray,
    *,
    scenarios: int,
    seed: Seed,
    chunk_managers: int,
    levels: tuple[float, ...],
    payout: PayoutCurve | None,
    bonus_base: np.ndarray | None,
    workers: int,
    progress: bool,
    need_mean: bool = True,
) -> list[tuple[_Accumulators, np.ndarray, np.ndarray | None]]:
    """One pass over the scenarios for every row of ``log_targets`` (plans x managers); per plan
    ``(accumulators, hits per scenario, bonus total per scenario or None)``. A plan's numbers do not
    depend on the other plans: each tile's draws are compared with every plan before they are sorted."""
    n = model.n_managers
    plans = log_targets.shape[0]
    noise = _Noise(model, scenarios, root_seed(seed))
    offsets = (model.log_median - log_targets).astype(np.float32)  # log(median / target), plans x managers
    thresholds = -offsets  # hit when x >= -offset
    base32 = None if bonus_base is None else bonus_base.astype(np.float32)
    # paid when log(Y / T) >= log(threshold), i.e. x >= log(threshold) - offset (from float64 logs)
    paid_from = (
        None
        if payout is None
        else np.stack(
            [
                (
                    np.log(payout.threshold) - (model.log_median - lt) if payout.threshold > 0 else np.full(n, -np.inf)
                ).astype(np.float32)
                for lt in log_targets
            ]
        )
    )
    pos = np.array(levels) * (scenarios - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, scenarios - 1)
    frac = pos - lo
    clip = model.df is not None

    def accumulators(size: int) -> _Accumulators:
        return _Accumulators(
            hits_m=np.zeros(size, np.int64),
            ratio_sum=np.zeros(size),
            log_q=np.zeros((size, len(levels))),
            coef_sum=None if payout is None else np.zeros(size),
        )

    def run_chunk(blocks: range) -> tuple[int, list[_Accumulators], np.ndarray, list[list[np.ndarray]]]:
        # Self-contained: returns its managers' results instead of writing shared state, so a chunk
        # can run in a thread, another process or a Dask worker and give the same numbers.
        start, stop = blocks[0] * BLOCK_MANAGERS, _block_stop(blocks[-1], n)
        parts = [accumulators(stop - start) for _ in range(plans)]
        hits_s = np.zeros((plans, scenarios), np.int64)
        bonus_blocks: list[list[np.ndarray]] = [[] for _ in range(plans)]
        rows = _tile_rows(scenarios)
        ratio = np.empty((rows, scenarios), np.float32)
        coef = np.empty_like(ratio) if payout is not None else None
        scratch = np.empty_like(ratio) if payout is not None else None
        hit = np.empty((rows, scenarios), bool)
        tile_hits = np.empty(scenarios, np.int32)
        paid = np.empty((rows, scenarios), bool) if payout is not None else None
        for b in blocks:
            bonus_s = [np.zeros(scenarios) for _ in range(plans)] if payout is not None else None
            for t0, t1, x in noise.block(b, _block_stop(b, n)):
                h = t1 - t0
                u0, u1 = t0 - start, t1 - start
                for k, part in enumerate(parts):
                    offset, threshold = offsets[k], thresholds[k]
                    hv = hit[:h]
                    np.greater_equal(x, threshold[t0:t1, None], out=hv)
                    u8 = hv.view(np.uint8)  # counts without a bool -> int copy
                    np.add.reduce(u8, axis=1, dtype=np.int64, out=part.hits_m[u0:u1])
                    np.add.reduce(u8, axis=0, dtype=np.int32, out=tile_hits)
                    hits_s[k] += tile_hits
                    if need_mean or payout is not None:
                        rv = ratio[:h]
                        np.add(x, offset[t0:t1, None], out=rv)
                        if clip:
                            np.minimum(rv, np.float32(_LOG_CLIP), out=rv)
                        np.exp(rv, out=rv)  # attainment Y / T
                        np.add.reduce(rv, axis=1, dtype=np.float64, out=part.ratio_sum[u0:u1])
                        if payout is not None:
                            pv = np.greater_equal(x, paid_from[k, t0:t1, None], out=paid[:h])
                            cv = payout.coefficient_into(rv, coef[:h], scratch[:h], paid=pv)
                            part.coef_sum[u0:u1] = cv.sum(axis=1, dtype=np.float64)
                            cv *= base32[t0:t1, None]
                            bonus_s[k] += cv.sum(axis=0, dtype=np.float64)
                if levels:  # the quantiles of x are the same for every plan: one sort
                    x.sort(axis=1)
                    q = x[:, lo] + frac * (x[:, hi].astype(np.float64) - x[:, lo])
                    for part in parts:
                        part.log_q[u0:u1] = q
            if bonus_s is not None:
                for k in range(plans):
                    bonus_blocks[k].append(bonus_s[k])
        return start, parts, hits_s, bonus_blocks

    accs = [accumulators(n) for _ in range(plans)]
    hits = np.zeros((plans, scenarios), np.int64)
    bonus_totals = [np.zeros(scenarios) if payout is not None else None for _ in range(plans)]
    chunks = _chunks(n, chunk_managers)
    with _progress_bar(progress, total=n, unit="manager", desc="Monte Carlo") as bar:
        own = isinstance(workers, (int, np.integer))
        executor = ThreadPoolExecutor(max_workers=int(workers)) if own and workers > 1 else (None if own else workers)
        try:
            results = executor.map(run_chunk, chunks) if executor else map(run_chunk, chunks)
            for start, parts, hits_s, bonus_blocks in results:
                stop = start + parts[0].hits_m.size
                for k, (acc, part) in enumerate(zip(accs, parts)):
                    acc.hits_m[start:stop] = part.hits_m
                    acc.ratio_sum[start:stop] = part.ratio_sum
                    acc.log_q[start:stop] = part.log_q
                    if part.coef_sum is not None:
                        acc.coef_sum[start:stop] = part.coef_sum
                    total = bonus_totals[k]
                    if total is not None:
                        for bonus_s in bonus_blocks[k]:  # block order: bit-identical totals
                            total += bonus_s
                hits += hits_s
                bar.update(stop - start)
        finally:
            if executor is not None and own:
                executor.shutdown(cancel_futures=True)
    return [(accs[k], hits[k], bonus_totals[k]) for k in range(plans)]


# ---------------------------------------------------------------------------- streaming
@dataclass(frozen=True, eq=False)
class SimulatedChunk:
    """Simulated results of managers ``start ... stop - 1`` (model order):
    ``outcomes`` is (managers x scenarios) float32 in currency units."""

    start: int
    stop: int
    manager_id: np.ndarray
    outcomes: np.ndarray


def simulate(
    model: PerformanceModel,
    *,
    scenarios: int = 10_000,
    seed: Seed = 0,
    chunk_managers: int | None = None,
    progress: bool = False,
) -> Iterator[SimulatedChunk]:
    """Stream the simulated results chunk by chunk, for analyses the engine does
    not cover. The draws are those of :func:`attainment` with the same seed.

    Each chunk holds ``chunk_managers`` (rounded up to a multiple of 1,024;
    default: as many as fit in about 256 MiB) managers x ``scenarios`` float32.
    """
    _check_run(scenarios, chunk_managers, 1)
    scenarios = int(scenarios)
    if chunk_managers is None:
        chunk_managers = max(1, (1 << 26) // scenarios)
    n = model.n_managers
    noise = _Noise(model, scenarios, root_seed(seed))
    chunks = list(_chunks(n, chunk_managers))
    with _progress_bar(progress, total=len(chunks), unit="chunk", desc="Simulating") as bar:
        for blocks in chunks:
            start, stop = blocks[0] * BLOCK_MANAGERS, _block_stop(blocks[-1], n)
            out = np.empty((stop - start, scenarios), np.float32)
            for b in blocks:
                for t0, t1, x in noise.block(b, _block_stop(b, n)):
                    view = out[t0 - start : t1 - start]
                    np.add(x, model.log_median[t0:t1, None].astype(np.float32), out=view)
                    np.minimum(view, np.float32(88.0), out=view)
                    np.exp(view, out=view)
            bar.update(1)
            yield SimulatedChunk(start, stop, model.manager_id[start:stop], out)


def bonus_cost(
    model: PerformanceModel,
    targets: Any,
    curve: PayoutCurve,
    bonus_base: Any,
    *,
    scenarios: int = 10_000,
    seed: int | np.random.SeedSequence = 0,
    chunk_managers: int = 20_480,
    workers: int = 1,
    progress: bool = False,
) -> BonusCost:
    """Distribution of the total bonus cost when the model's results meet ``targets``.

    ``bonus_base``: target bonus per manager in currency units (Series by
    manager_id, array in model order, or one number for all), 0 or more.
    Uses the same draws as :func:`calibrate.targets.simulation.attainment` with
    the same seed, so cost and attainment figures describe the same scenarios.
    """
    result = attainment(
        model,
        targets,
        scenarios=scenarios,
        seed=seed,
        chunk_managers=chunk_managers,
        quantiles=(),
        payout=curve,
        bonus_base=bonus_base,
        workers=workers,
        progress=progress,
    )
    assert result.bonus is not None
    return result.bonus


def _progress_bar(show: bool, **kwargs: Any):
    """A terminal progress bar (stderr) when asked for, else a silent stand-in.

    tqdm is imported only here: ``tqdm.auto`` warns at import inside a Jupyter
    kernel without ipywidgets, and that warning used to open every report.
    """
    if show:
        from tqdm.std import tqdm

        return tqdm(**kwargs)
    return _NoBar()


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

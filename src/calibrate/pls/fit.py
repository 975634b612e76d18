"""Fit a PLS path model to a table of survey answers."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError
from calibrate.pls.algorithm import (
    DEFAULT_MAX_ITER,
    DEFAULT_SCHEME,
    DEFAULT_TOL,
    Design,
    Scheme,
    check_scheme,
    solve_outer_weights,
)
from calibrate.pls.available import (
    check_answered,
    pairwise_correlations,
    prepare_available,
    solve_available,
    weights_on_standard_scale,
)
from calibrate.pls.bootstrap import BootstrapDraws, Seed, draw_resamples, percentile_interval
from calibrate.pls.data import indicator_matrix, prepare, replace_by_means
from calibrate.pls.estimates import cross_loadings, inner_estimates, own_loadings
from calibrate.pls.reliability import average_variance_extracted, composite_reliability, cronbach_alpha
from calibrate.pls.result import PLSBootstrap, PLSResult
from calibrate.pls.spec import PathModel

Missing = Literal["error", "mean", "pairwise"]
MISSING: tuple[str, ...] = ("error", "mean", "pairwise")


def fit_pls(
    data: pd.DataFrame,
    model: PathModel,
    *,
    scheme: Scheme = DEFAULT_SCHEME,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    n_boot: int = 0,
    seed: Seed = 0,
    level: float = 0.95,
    source: str = "data",
    scaled: bool = True,
    missing: Missing = "error",
) -> PLSResult:
    """Estimate a PLS path model (Lohmöller/Wold algorithm) on standardized indicators.

    ``scheme`` is the inner weighting scheme: ``"path"`` (default),
    ``"centroid"`` or ``"factorial"``; iteration stops when no outer weight
    changes by more than ``tol`` (default 1e-10) or after ``max_iter``
    (default 300) iterations. With ``n_boot > 0`` rows are resampled
    ``n_boot`` times with ``numpy.random.default_rng(seed)`` for percentile
    intervals at ``level`` (default 0.95) on paths and loadings. ``source``
    names the data in error messages (e.g. the file name).

    ``scaled=True`` (default) standardizes every indicator (mean 0, sd 1), as
    SmartPLS, seminr and R plspm do by default. ``scaled=False`` only centres
    them, as R plspm's ``scaled = FALSE``: indicators keep their units, so in
    mode A an item with more spread gets more weight; weights then apply to
    the centred raw answers. Loadings, paths and R² stay correlations-based.

    ``missing`` says what to do with empty answers: ``"error"`` (default; the
    model needs complete answers and every gap is reported with its row) or
    ``"mean"``, each gap replaced by its column's mean over the answered
    rows (seminr's default ``mean_replacement``; SmartPLS "mean
    replacement"; Hair et al. 2017, *A Primer on PLS-SEM*, 2nd ed.), or
    ``"pairwise"``: nothing is filled, every weight, score and correlation
    uses the answers that exist (R plspm's available-case algorithm, see
    :mod:`calibrate.pls.available`; mode-A blocks only where gaps are).
    The default stays ``"error"`` so that gaps are never handled silently;
    the result's ``missing`` and ``n_imputed`` say what was done (cells
    filled by ``"mean"``; cells left out by ``"pairwise"``). Bootstrap
    resamples are drawn from the filled table (``"mean"``) or with their gaps
    (``"pairwise"``).

    Examples
    --------
    >>> from calibrate.pls import path_model
    >>> rng = np.random.default_rng(1)
    >>> q = rng.normal(size=200); s = 0.6 * q + 0.8 * rng.normal(size=200)
    >>> data = pd.DataFrame({"q1": q + rng.normal(size=200), "q2": q + rng.normal(size=200),
    ...                      "s1": s + rng.normal(size=200), "s2": s + rng.normal(size=200)})
    >>> fit = fit_pls(data, path_model({"q": ["q1", "q2"], "s": ["s1", "s2"]}, [("q", "s")]))
    >>> fit.to_frame("paths").round(2).values.tolist()
    [['q', 's', 0.36]]
    """
    if max_iter < 1 or not tol >= 0:
        raise CalibrateError(f"need max_iter >= 1 and tol >= 0, got max_iter={max_iter}, tol={tol}")
    if n_boot and not 0 < level < 1:
        raise CalibrateError(f"confidence level must be between 0 and 1, got {level}")
    if missing not in MISSING:
        raise CalibrateError(f"missing={missing!r} is not one of {', '.join(MISSING)}")
    x = indicator_matrix(data, model, source=source, allow_missing=missing != "error")
    design = Design.of(model)
    scheme = check_scheme(scheme)
    pairwise = missing == "pairwise"
    if pairwise:
        n_imputed = int(np.isnan(x).sum())
        check_answered(x, design, [b.name for b in model.blocks])
        z = prepare_available(x, scaled)
        sol = solve_available(z, design, scheme=scheme, tol=tol, max_iter=max_iter)
        sol = replace(sol, weights=weights_on_standard_scale(sol.weights, x, design, scaled))
        cross = pairwise_correlations(z, sol.scores)
    else:
        x, n_imputed = replace_by_means(x)
        _check_formative_blocks(x, model, design)
        z = prepare(x, scaled)
        sol = solve_outer_weights(z, design, scheme=scheme, tol=tol, max_iter=max_iter)
        cross = cross_loadings(z, sol.scores)
    inner = inner_estimates(sol.scores, design.adjacency)
    lvs, cols = list(model.latent_variables), list(model.indicators)
    loadings = own_loadings(cross, design.columns)
    boot = None
    if n_boot:
        draws = draw_resamples(
            x,
            design,
            loadings,
            n_boot=n_boot,
            seed=seed,
            scheme=scheme,
            tol=tol,
            max_iter=max_iter,
            scaled=scaled,
            pairwise=pairwise,
        )
        boot = _bootstrap_tables(model, inner.paths, loadings, draws, n_boot, level, seed)
    return PLSResult(
        model=model,
        scheme=scheme,
        tol=tol,
        max_iter=max_iter,
        iterations=sol.iterations,
        converged=sol.converged,
        n_obs=x.shape[0],
        outer=_outer_table(model, np.concatenate(sol.weights), loadings),
        cross_loadings=pd.DataFrame(cross, index=pd.Index(cols, name="indicator"), columns=lvs),
        scores=pd.DataFrame(sol.scores, index=data.index, columns=lvs),
        paths=_paths_table(model, inner.paths),
        r_squared=pd.Series(
            [inner.r_squared[lvs.index(lv)] for lv in model.endogenous],
            index=pd.Index(model.endogenous, name="lv"),
            name="r_squared",
        ),
        total_effects=_effects_table(lvs, inner.paths, inner.total_effects),
        reliability=_reliability_table(model, z, loadings, design),
        bootstrap=boot,
        scaled=scaled,
        missing=missing,
        n_imputed=n_imputed,
    )


def _check_formative_blocks(x: np.ndarray, model: PathModel, design: Design) -> None:
    for block, cols, mode_b in zip(model.blocks, design.columns, design.mode_b):
        if mode_b and np.linalg.matrix_rank(x[:, cols] - x[:, cols].mean(axis=0)) < len(cols):
            raise CalibrateError(
                f"block {block.name!r} (mode B) has perfectly collinear indicators "
                f"({', '.join(block.indicators)}); drop one of them or use mode A"
            )


def _outer_table(model: PathModel, weights: np.ndarray, loadings: np.ndarray) -> pd.DataFrame:
    rows = [(b.name, c, b.mode) for b in model.blocks for c in b.indicators]
    frame = pd.DataFrame(rows, columns=["lv", "indicator", "mode"])
    return frame.assign(weight=weights, loading=loadings)


def _paths_table(model: PathModel, b: np.ndarray) -> pd.DataFrame:
    index = {lv: k for k, lv in enumerate(model.latent_variables)}
    return pd.DataFrame([(s, t, b[index[s], index[t]]) for s, t in model.paths], columns=["from", "to", "coefficient"])


def _effects_table(lvs: list[str], direct: np.ndarray, total: np.ndarray) -> pd.DataFrame:
    rows = [
        (lvs[i], lvs[j], direct[i, j], total[i, j] - direct[i, j], total[i, j])
        for i in range(len(lvs))
        for j in range(len(lvs))
        if total[i, j] != 0.0
    ]
    return pd.DataFrame(rows, columns=["from", "to", "direct", "indirect", "total"])


def _reliability_table(model: PathModel, z: np.ndarray, loadings: np.ndarray, design: Design) -> pd.DataFrame:
    rows = [
        (
            b.name,
            b.mode,
            len(b.indicators),
            cronbach_alpha(z[:, cols]),
            composite_reliability(loadings[cols]),
            average_variance_extracted(loadings[cols]),
        )
        for b, cols in zip(model.blocks, design.columns)
    ]
    return pd.DataFrame(rows, columns=["lv", "mode", "indicators", "cronbach_alpha", "composite_reliability", "ave"])


def _bootstrap_tables(
    model: PathModel,
    paths: np.ndarray,
    loadings: np.ndarray,
    draws: BootstrapDraws,
    n_boot: int,
    level: float,
    seed: Seed,
) -> PLSBootstrap:
    index = {lv: k for k, lv in enumerate(model.latent_variables)}
    ij = [(index[s], index[t]) for s, t in model.paths]
    path_draws = np.column_stack([draws.paths[:, i, j] for i, j in ij])
    est = np.array([paths[i, j] for i, j in ij])

    def stats(estimate: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
        lower, upper = percentile_interval(d, level)
        return {
            "estimate": estimate,
            "boot_mean": d.mean(axis=0),
            "std_error": d.std(axis=0, ddof=1),
            "lower": lower,
            "upper": upper,
        }

    path_frame = pd.DataFrame(
        {"from": [s for s, _ in model.paths], "to": [t for _, t in model.paths], **stats(est, path_draws)}
    )
    load_frame = pd.DataFrame(
        {
            "lv": [b.name for b in model.blocks for _ in b.indicators],
            "indicator": list(model.indicators),
            **stats(loadings, draws.loadings),
        }
    )
    return PLSBootstrap(
        n_boot=n_boot,
        n_failed=draws.n_failed,
        n_not_converged=draws.n_not_converged,
        level=level,
        seed=repr(seed) if not isinstance(seed, int) else str(seed),
        paths=path_frame,
        loadings=load_frame,
        path_draws=pd.DataFrame(path_draws, columns=[f"{s} -> {t}" for s, t in model.paths]),
    )

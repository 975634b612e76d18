"""Benchmark: the batched manager bootstrap vs refitting statsmodels OLS on every resample.

Run from the repository root::

    .venv/bin/python benchmarks/bench_bootstrap.py                 # sample company, 1000 vs 50 resamples
    .venv/bin/python benchmarks/bench_bootstrap.py --loop 100 --batched 2000

Both sides compute the same thing, the growth regression's indicator
coefficients on resamples of managers (a cluster bootstrap), measured in the
same run on the same data (``data/sample``):

* **batched**: per-manager cross-product matrices are summed with the
  resample's counts, the controls are partialled out and the normal equations
  solved (:func:`calibrate.weights.uncertainty.evaluate_resamples`, which also
  computes LMG, the GLM one-step update, entropy, CRITIC and AHP);
  the script also times the bare coefficient path and the full proposal
  bootstrap (every method + the constrained blend per resample);
* **loop**: for each resample the drawn managers' rows are stacked (a manager
  drawn twice appears twice) and ``statsmodels.OLS(...).fit()`` is called.

It checks that both give the same coefficients on the loop's resamples and
prints milliseconds per resample and the speed-up.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from calibrate.loading import load_dataset  # noqa: E402
from calibrate.panel import indicator_panel  # noqa: E402
from calibrate.weights.ahp import ahp_panel  # noqa: E402
from calibrate.weights.blend import weight_constraints  # noqa: E402
from calibrate.weights.proposal import last_year_series, manager_profile  # noqa: E402
from calibrate.weights.regression import outcome_regressions, partial_moments  # noqa: E402
from calibrate.weights.uncertainty import (  # noqa: E402
    _summed_matrices,
    bootstrap_inputs,
    bootstrap_weights,
    draw_counts,
    evaluate_resamples,
    single_thread,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "data" / "sample" / "calibrate.yaml"))
    parser.add_argument("--batched", type=int, default=1000, help="resamples for the batched method")
    parser.add_argument("--loop", type=int, default=50, help="resamples refitted with statsmodels")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    import statsmodels.api as sm

    ds = load_dataset(args.config)
    panel = indicator_panel(ds)
    suite = outcome_regressions(panel, ds.indicator_set, mixed=False)
    ahp = ahp_panel(ds.ahp_judgments, items=list(ds.indicator_set.ids))
    inputs = bootstrap_inputs(
        suite, manager_profile(panel, ds.indicator_set), {e: r.matrix for e, r in ahp.experts.items()}
    )
    g = suite.growth
    m = len(inputs.managers)
    print(
        f"data: {g.n} manager-quarters, {m} managers, {g.p} indicators + {g.d.shape[1]} control dummies; "
        f"python {platform.python_version()}, numpy {np.__version__}, statsmodels {sm.__version__}"
    )
    counts, experts = draw_counts(args.seed, m, len(inputs.experts), max(args.batched, args.loop))
    rows_of = [np.flatnonzero(g.groups == i) for i in range(m)]

    with single_thread():
        # loop: statsmodels OLS on the stacked rows of each resample
        t0 = time.perf_counter()
        loop_coefs = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for b in range(args.loop):
                rows = np.concatenate([rows_of[i] for i in np.repeat(np.arange(m), counts[b])])
                loop_coefs.append(sm.OLS(g.y[rows], g.exog[rows]).fit().params[: g.p])
        t_loop = (time.perf_counter() - t0) / args.loop

        # batched: coefficients only
        gram = inputs.growth_gram
        t0 = time.perf_counter()
        s = partial_moments(_summed_matrices(counts[: args.batched].astype(float), gram), g.p)
        coefs = np.linalg.solve(s[:, : g.p, : g.p], s[:, : g.p, g.p][..., None])[..., 0]
        t_coef = (time.perf_counter() - t0) / args.batched

        # batched: every method (LMG x 2, GLM one-step, entropy, CRITIC, AHP)
        t0 = time.perf_counter()
        evaluate_resamples(inputs, counts[: args.batched], expert_counts=experts[: args.batched])
        t_methods = (time.perf_counter() - t0) / args.batched

    # the whole proposal bootstrap, as the weights step runs it (every method + the constrained blend)
    last, _ = last_year_series(ds.last_year_weights, ds.indicator_set)
    rules = weight_constraints(ds.indicator_set, last, max_change=0.05)
    t0 = time.perf_counter()
    bootstrap_weights(
        inputs,
        resamples=args.batched,
        seed=args.seed,
        shares={"evidence": 0.5, "ahp": 0.3, "baseline": 0.2},
        constraints=rules,
    )
    t_full = (time.perf_counter() - t0) / args.batched

    # every method, setup included (the per-manager statistics are built from the fitted suite), against
    # what a refitting bootstrap of the same models must do per resample: refit the growth OLS and the
    # retention GLM with statsmodels on the drawn managers' stacked rows
    r = suite.retention
    r_rows_of = [np.flatnonzero(r.groups == i) for i in range(m)]
    endog = np.column_stack([r.kept, r.trials - r.kept])
    with single_thread():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for b in range(args.loop):
                drawn = np.repeat(np.arange(m), counts[b])
                rows = np.concatenate([rows_of[i] for i in drawn])
                sm.OLS(g.y[rows], g.exog[rows]).fit()
                rr = np.concatenate([r_rows_of[i] for i in drawn])
                sm.GLM(endog[rr], r.exog[rr], family=sm.families.Binomial()).fit()
        t_refits = (time.perf_counter() - t0) / args.loop
        t0 = time.perf_counter()
        fresh = bootstrap_inputs(
            suite, manager_profile(panel, ds.indicator_set), {e: r_.matrix for e, r_ in ahp.experts.items()}
        )
        evaluate_resamples(fresh, counts[: args.batched], expert_counts=experts[: args.batched])
        t_all_setup = (time.perf_counter() - t0) / args.batched

    diff = np.max(np.abs(np.array(loop_coefs) - coefs[: args.loop]) / np.abs(coefs[: args.loop]).clip(1e-12))
    print(f"same coefficients on the {args.loop} shared resamples: max relative difference {diff:.1e}")
    print(f"statsmodels OLS refit per resample        {1000 * t_loop:8.3f} ms   ({args.loop} resamples)")
    print(
        f"batched coefficients per resample          {1000 * t_coef:8.3f} ms   ({args.batched} resamples)"
        f"   speed-up x{t_loop / t_coef:,.0f}"
    )
    print(
        f"batched, every method per resample         {1000 * t_methods:8.3f} ms"
        f"   speed-up x{t_loop / t_methods:,.1f} (and computes far more)"
    )
    print(f"statsmodels OLS+GLM refits per resample    {1000 * t_refits:8.3f} ms   ({args.loop} resamples)")
    print(
        f"batched, every method incl. setup per resample {1000 * t_all_setup:8.3f} ms"
        f"   speed-up x{t_refits / t_all_setup:,.1f} against the OLS+GLM refits (goal >= 10)"
    )
    print(
        f"full proposal bootstrap per resample       {1000 * t_full:8.3f} ms"
        f"   -> {args.batched} resamples in {args.batched * t_full:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

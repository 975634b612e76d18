"""Benchmark: fit per-step cost models (time and memory against managers) and check their prediction.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scale_model.py --fit 20000,40000,80000 --json model.json
    .venv/bin/python benchmarks/bench_scale_model.py --fit 20000,40000,80000 --check 300000 --json model.json

Each size runs in a fresh process on a synthetic company built in memory
(``--quarters`` quarters, ``--indicators`` indicators, period dummies as
controls, a random manager intercept; retention as customers kept out of
about 20): no files, so the sizes measure the methods only. Steps timed:

* ``regressions``: growth OLS (clustered), the random-intercept REML model and
  the retention GLM (:mod:`calibrate.weights.regression`);
* ``bootstrap``: the per-manager statistics and ``--resamples`` resamples of
  every method (:mod:`calibrate.weights.uncertainty`);
* ``monte_carlo``: attainment of targets over ``--scenarios`` scenarios
  (:func:`calibrate.targets.simulation.attainment`, one worker).

Per step: CPU seconds of the process (what to compare on a shared machine;
single-threaded BLAS) and the peak increase of its resident memory over the
start of the step (sampled every 20 ms). With quarters, indicators,
resamples and scenarios fixed, each is linear in managers: the script fits
``cost = a + b * managers`` by least squares over ``--fit`` sizes, prints the
coefficients, and with ``--check N`` predicts size N, runs it once and prints
the prediction error of every figure (goal: within 25%). ``docs/scale.md``
turns the coefficients into a cost model in all five variables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

STEPS = ("regressions", "bootstrap", "monte_carlo")


def synthetic(managers: int, quarters: int, indicators: int, seed: int = 0):
    """Growth and retention designs of a synthetic company (period dummies as controls), and a profile."""
    import pandas as pd

    from calibrate.weights.regression import Design

    rng = np.random.default_rng(seed)
    rows = managers * quarters
    groups = np.repeat(np.arange(managers, dtype=np.int64), quarters)
    period = np.tile(np.arange(quarters), managers)
    x = rng.normal(size=(rows, indicators)) + rng.normal(size=(managers, indicators))[groups]
    d = np.zeros((rows, quarters))
    d[:, 0] = 1.0
    later = period > 0
    d[np.flatnonzero(later), period[later]] = 1.0  # constant + one dummy per later quarter
    beta = rng.normal(scale=0.02, size=indicators)
    y = x @ beta + rng.normal(scale=0.05, size=managers)[groups] + rng.normal(scale=0.1, size=rows)
    trials = rng.integers(10, 30, rows).astype(float)
    kept = rng.binomial(trials.astype(int), 1 / (1 + np.exp(-(1.5 + x @ (beta * 5))))).astype(float)
    ids = tuple(f"x{j}" for j in range(indicators))
    names = ("const",) + tuple(f"q{t}" for t in range(1, quarters))
    mgr = tuple(f"M{i:07d}" for i in range(managers))
    index = pd.MultiIndex.from_arrays([np.array(mgr)[groups], period.astype(str)], names=["manager_id", "period"])
    common = dict(
        indicators=ids,
        direction=np.ones(indicators),
        floor=np.zeros(indicators),
        controls=("period",),
        control_names=names,
        x=x,
        d=d,
        groups=groups,
        managers=mgr,
        index=index,
    )
    growth = Design(outcome="revenue_growth", y=y, weights=np.ones(rows), trials=None, kept=None, **common)
    retention = Design(outcome="retention", y=kept / trials, weights=trials, trials=trials, kept=kept, **common)
    profile = pd.DataFrame(
        rng.normal(size=(managers, indicators)), index=pd.Index(mgr, name="manager_id"), columns=list(ids)
    )
    return growth, retention, profile


def child(managers: int, quarters: int, indicators: int, resamples: int, scenarios: int) -> dict:
    from bench_scale import PeakMemory
    from bench_simulation import bench_model

    from calibrate.targets.simulation import attainment
    from calibrate.weights.regression import (
        RegressionSuite,
        fit_growth_mixed,
        fit_growth_ols,
        fit_retention_glm,
    )
    from calibrate.weights.uncertainty import bootstrap_inputs, bootstrap_weights, single_thread

    meter = PeakMemory()
    out: dict = {}

    def measure(name, fn):
        c0 = time.process_time()
        value, seconds, peak, increase = meter.stage(fn)
        out[name] = {
            "cpu_s": time.process_time() - c0,
            "wall_s": seconds,
            "peak_gb": peak / 1e9,
            "increase_gb": increase / 1e9,
        }
        return value

    model, targets, _ = bench_model(managers, seed=1)
    measure("monte_carlo", lambda: attainment(model, targets, scenarios=scenarios, seed=0))
    growth, retention, profile = synthetic(managers, quarters, indicators)
    with single_thread():

        def regressions():
            ols, mix, glm = fit_growth_ols(growth), fit_growth_mixed(growth), fit_retention_glm(retention)
            return RegressionSuite(
                growth=growth, retention=retention, growth_ols=ols, retention_glm=glm, growth_mixed=mix, warnings=()
            )

        suite = measure("regressions", regressions)
        measure("bootstrap", lambda: bootstrap_weights(bootstrap_inputs(suite, profile), resamples=resamples, seed=0))
    meter.close()
    return out


def run_size(n: int, args) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--_child",
            str(n),
            str(args.quarters),
            str(args.indicators),
            str(args.resamples),
            str(args.scenarios),
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    res = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {n:>9,} managers: "
        + "; ".join(f"{s} {res[s]['cpu_s']:.1f} s CPU, +{res[s]['increase_gb']:.2f} GB" for s in STEPS),
        flush=True,
    )
    return res


def fit_linear(sizes: list[int], values: list[float]) -> tuple[float, float]:
    """``value = a + b * managers`` by least squares; returns (a, b)."""
    a_mat = np.column_stack([np.ones(len(sizes)), np.asarray(sizes, dtype=float)])
    (a, b), *_ = np.linalg.lstsq(a_mat, np.asarray(values, dtype=float), rcond=None)
    return float(a), float(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", default="20000,40000,80000", help="sizes (managers) the models are fitted on")
    parser.add_argument("--check", type=int, help="predict this size, run it once, print the errors")
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--resamples", type=int, default=50)
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--json", help="write sizes, measurements, coefficients and the check to this file")
    parser.add_argument("--_child", nargs=5, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        print(json.dumps(child(*args._child)))
        return 0

    sizes = sorted(int(s) for s in args.fit.split(",") if s)
    print(
        f"Cost models: {args.quarters} quarters, {args.indicators} indicators, {args.resamples} resamples, "
        f"{args.scenarios} scenarios; fitted on {', '.join(f'{n:,}' for n in sizes)} managers; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}",
        flush=True,
    )
    runs = {n: run_size(n, args) for n in sizes}
    coef = {s: {k: fit_linear(sizes, [runs[n][s][k] for n in sizes]) for k in ("cpu_s", "increase_gb")} for s in STEPS}
    print("\nper step: CPU seconds and memory increase = a + b * managers")
    for s in STEPS:
        (a_t, b_t), (a_m, b_m) = coef[s]["cpu_s"], coef[s]["increase_gb"]
        print(
            f"  {s:12s} CPU {a_t:7.2f} s + {b_t * 1e6:8.1f} s per million managers; "
            f"memory {a_m:6.3f} GB + {b_m * 1e6:7.2f} GB per million managers"
        )
    payload = {
        "benchmark": "scale_model",
        "quarters": args.quarters,
        "indicators": args.indicators,
        "resamples": args.resamples,
        "scenarios": args.scenarios,
        "sizes": sizes,
        "runs": {str(n): runs[n] for n in sizes},
        "coefficients": coef,
    }
    if args.check:
        n = args.check
        predicted = {s: {k: coef[s][k][0] + coef[s][k][1] * n for k in ("cpu_s", "increase_gb")} for s in STEPS}
        print(f"\ncheck at {n:,} managers (predicted from the fit, then run once)")
        measured = run_size(n, args)
        errors, worst = {}, 0.0
        for s in STEPS:
            errors[s] = {}
            for k, unit in (("cpu_s", "s CPU"), ("increase_gb", "GB")):
                p, m = predicted[s][k], measured[s][k]
                errors[s][k] = (m - p) / p if p else None
                worst = max(worst, abs(errors[s][k] or 0.0))
                print(f"  {s:12s} {unit:6s} predicted {p:8.2f}, measured {m:8.2f}: error {errors[s][k]:+.0%}")
        print(f"\nlargest prediction error {worst:.0%} (goal within 25%): {'met' if worst <= 0.25 else 'MISSED'}")
        payload["check"] = {
            "managers": n,
            "predicted": predicted,
            "measured": measured,
            "errors": errors,
            "largest_error": worst,
        }
    if args.json:
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

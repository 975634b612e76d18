"""Benchmark: the weights step on a large synthetic company: wall time, peak memory, and each part's cost.

Run from the repository root::

    .venv/bin/python benchmarks/bench_weights_scale.py                      # 100,000 managers, 100 resamples
    .venv/bin/python benchmarks/bench_weights_scale.py --managers 10000,30000 --json w.json

The company (managers x 12 quarters x 20 indicators, ``SampleSpec(extra_indicators=12)``)
is generated once and cached under ``--cache`` (the cache of ``bench_scale.py``).
For each size a fresh process loads and validates the data and builds the
panel, then times what the weights step of ``calibrate run`` does
(``propose_from_config`` and ``write_weight_artifacts``), in wall and CPU
seconds (CPU time is what to compare on a shared machine), with its peak
resident memory (the whole process, sampled every 20 ms: ``peak_gb``) and the
increase over the memory held before the step (``increase_gb``).
Goals (issue 18): <= 100 s and <= 4 GB peak at 100,000 managers.

With ``--parts`` (default on) it then times each part again on its own:
the three designs, OLS, the mixed model, the GLM, the bootstrap's
per-manager statistics and the bootstrap itself; and, on the first
``--mixedlm-managers`` managers, statsmodels ``MixedLM`` (REML) against
:func:`calibrate.weights.regression.random_intercept_reml` on the same
design (a ratio measured in the same process); and, on the first
``--compare-managers`` managers, statsmodels OLS and GLM(Binomial) with
cluster-robust errors against the blockwise cores of
:mod:`calibrate.weights.blockwise` (CPU-time and allocated-memory ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))


def child(folder: str, resamples: int, parts: bool, mixedlm_managers: int, compare_managers: int) -> dict:
    """One size, in this (fresh) process."""
    from bench_scale import PeakMemory

    from calibrate.config import load_config
    from calibrate.loading import load_dataset
    from calibrate.panel import indicator_panel
    from calibrate.steps.weights import write_weight_artifacts
    from calibrate.weights.proposal import propose_from_config

    out: dict = {"stages": {}}
    meter = PeakMemory()
    with tempfile.TemporaryDirectory(prefix="bench_weights_") as tmp:
        import yaml

        config_path = Path(folder) / "calibrate.yaml"
        written = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        config = load_config(
            config_path, {"weights": {**(written.get("weights") or {}), "bootstrap": resamples}, "output": tmp}
        )
        dataset = load_dataset(config)
        panel = indicator_panel(dataset)
        out["rows"] = int(len(panel))
        out["indicators"] = len(dataset.indicator_set.ids)

        def step():
            result = propose_from_config(dataset, config, panel=panel)
            write_weight_artifacts(
                result,
                Path(tmp) / "weights",
                lang=config.lang,
                pseudonymise=config.pseudonymise,
                key=config.pseudonym_key() if config.pseudonymise else None,
            )
            return result

        c0 = time.process_time()
        result, seconds, peak, increase = meter.stage(step)
        out["step"] = {
            "seconds": seconds,
            "cpu_seconds": time.process_time() - c0,
            "peak_gb": peak / 1e9,
            "increase_gb": increase / 1e9,
        }
        out["weights"] = {k: float(v) for k, v in result.weights.items()}
        del result
        if parts:
            out["stages"] = _parts(meter, dataset, config, panel, resamples, mixedlm_managers, compare_managers)
    meter.close()
    return out


def _parts(meter, dataset, config, panel, resamples: int, mixedlm_managers: int, compare_managers: int) -> dict:
    import warnings

    from calibrate.weights.proposal import WeightSettings, manager_profile
    from calibrate.weights.regression import (
        design_matrix,
        fit_growth_mixed,
        fit_growth_ols,
        fit_retention_glm,
        outcome_regressions,
        random_intercept_reml,
    )
    from calibrate.weights.uncertainty import bootstrap_inputs, bootstrap_weights

    settings = WeightSettings.from_config(config.weights)
    iset = dataset.indicator_set
    stages: dict = {}

    def timed(name, fn):
        c0 = time.process_time()
        value, seconds, peak, increase = meter.stage(fn)
        cpu = time.process_time() - c0
        stages[name] = {"seconds": seconds, "cpu_seconds": cpu, "peak_gb": peak / 1e9, "increase_gb": increase / 1e9}
        print(
            f"    {name:28s} {seconds:8.2f} s (CPU {cpu:7.2f} s)  peak {peak / 1e9:6.2f} GB (+{increase / 1e9:.2f})",
            flush=True,
        )
        return value

    growth = timed("design (growth)", lambda: design_matrix(panel, iset, "revenue_growth", controls=settings.controls))
    retention = timed(
        "design (retention)",
        lambda: design_matrix(panel, iset, "retention", controls=settings.controls, managers=growth.managers),
    )
    timed("growth OLS", lambda: fit_growth_ols(growth))
    timed("growth mixed (REML)", lambda: fit_growth_mixed(growth))
    timed("retention GLM", lambda: fit_retention_glm(retention))
    suite = timed("all regressions", lambda: outcome_regressions(panel, iset, controls=settings.controls))
    profile = timed("manager profile", lambda: manager_profile(panel, iset))
    inputs = timed("bootstrap inputs", lambda: bootstrap_inputs(suite, profile))
    timed(f"bootstrap ({resamples})", lambda: bootstrap_weights(inputs, resamples=resamples, seed=0))
    # statsmodels MixedLM against the vectorised REML fit, on the first managers' rows
    keep = growth.groups < mixedlm_managers
    exog, y, groups = growth.exog[keep], growth.y[keep], growth.groups[keep]
    t0 = time.perf_counter()
    ours = random_intercept_reml(exog, y, groups)
    t_ours = time.perf_counter() - t0
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        ref = sm.MixedLM(y, exog, groups=groups).fit(reml=True)
        t_sm = time.perf_counter() - t0
    k = exog.shape[1]
    stages["mixedlm_comparison"] = {
        "managers": int(min(mixedlm_managers, growth.n_managers)),
        "rows": int(keep.sum()),
        "calibrate_s": t_ours,
        "statsmodels_s": t_sm,
        "ratio": t_sm / t_ours,
        "max_coef_diff_in_se": float(np.max(np.abs(ours.params - ref.fe_params) / ref.bse[:k])),
    }
    print(
        f"    MixedLM on {keep.sum():,} rows: statsmodels {t_sm:.2f} s, calibrate {t_ours:.3f} s "
        f"({t_sm / t_ours:.0f}x)",
        flush=True,
    )
    stages["lean_comparison"] = _lean_vs_statsmodels(growth, retention, compare_managers)
    return stages


def _lean_vs_statsmodels(growth, retention, managers: int) -> dict:
    """statsmodels OLS and GLM(Binomial) with cluster-robust errors against the blockwise cores, on the same
    rows (the first ``managers`` managers): wall and CPU seconds (a plain run each) and the peak of memory
    allocated during the fit (tracemalloc, a second run each: numpy reports its buffers to it)."""
    import tracemalloc
    import warnings

    import statsmodels.api as sm

    from calibrate.weights.blockwise import logit_blockwise, ols_blockwise

    def measure(fn):
        c0, t0 = time.process_time(), time.perf_counter()
        value = fn()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return value, {"seconds": seconds, "cpu_seconds": cpu, "peak_alloc_gb": peak / 1e9}

    out: dict = {"managers": int(managers)}
    g, r = growth, retention
    keep = g.groups < managers
    gx, gd, gy, gg = g.x[keep], g.d[keep], g.y[keep], g.groups[keep]
    keep = r.groups < managers
    rx, rd, rk, rm, rg = r.x[keep], r.d[keep], r.kept[keep], r.trials[keep], r.groups[keep]
    cluster = {"cov_type": "cluster", "cov_kwds": {"groups": gg}}

    def sm_ols():
        return sm.OLS(gy, np.column_stack([gx, gd]), hasconst=True).fit(**cluster)

    def sm_glm():
        model = sm.GLM(np.column_stack([rk, rm - rk]), np.column_stack([rx, rd]), family=sm.families.Binomial())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(cov_type="cluster", cov_kwds={"groups": rg})

    for name, ref_fn, lean_fn in (
        ("growth OLS", sm_ols, lambda: ols_blockwise((gx, gd), gy, gg)),
        ("retention GLM", sm_glm, lambda: logit_blockwise((rx, rd), rk, rm, rg)),
    ):
        ref, a = measure(ref_fn)
        lean, b = measure(lean_fn)
        diff = float(np.max(np.abs(lean.bse - ref.bse) / np.abs(ref.bse)))
        out[name] = {
            "rows": int(len(lean.fitted)),
            "statsmodels": a,
            "lean": b,
            "cpu_ratio": a["cpu_seconds"] / b["cpu_seconds"],
            "memory_ratio": a["peak_alloc_gb"] / b["peak_alloc_gb"],
            "max_rel_diff_se": diff,
        }
        print(
            f"    {name} on {len(lean.fitted):,} rows: statsmodels {a['seconds']:.2f} s (CPU {a['cpu_seconds']:.2f} s), "
            f"{a['peak_alloc_gb']:.3f} GB allocated; blockwise {b['seconds']:.2f} s (CPU {b['cpu_seconds']:.2f} s), "
            f"{b['peak_alloc_gb']:.3f} GB: CPU {a['cpu_seconds'] / b['cpu_seconds']:.1f}x, memory "
            f"{a['peak_alloc_gb'] / b['peak_alloc_gb']:.1f}x less; largest SE difference {diff:.1e} (relative)",
            flush=True,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", default="100000", help="sizes, comma-separated (default 100000)")
    parser.add_argument("--bootstrap", type=int, default=100, help="weights.bootstrap (default 100)")
    parser.add_argument("--no-parts", action="store_true", help="time the whole step only")
    parser.add_argument(
        "--mixedlm-managers",
        type=int,
        default=5000,
        help="managers in the statsmodels MixedLM comparison (default 5000)",
    )
    parser.add_argument(
        "--compare-managers",
        type=int,
        default=20000,
        help="managers in the statsmodels-vs-blockwise OLS and GLM comparison (default 20000)",
    )
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "calibrate_bench_scale"))
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--_child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        folder, resamples, parts, mixed_n, compare_n = args._child
        print("RESULT " + json.dumps(child(folder, int(resamples), parts == "1", int(mixed_n), int(compare_n))))
        return 0

    from bench_scale import company_folder

    sizes = sorted(int(s) for s in args.managers.split(",") if s)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    print(
        f"Weights step at scale: {', '.join(f'{n:,}' for n in sizes)} managers x 12 quarters x 20 indicators, "
        f"{args.bootstrap} resamples; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    results = {}
    for n in sizes:
        folder = company_folder(cache, n, 12, 12, 20, 2025)
        if not (folder / "calibrate.yaml").exists():
            print(f"  generating {n:,} managers into {folder}", flush=True)
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "bench_scale.py"),
                    "--_generate",
                    str(folder),
                    str(n),
                    "12",
                    "12",
                    "20",
                    "2025",
                    "--_out",
                    os.devnull,
                ],
                check=True,
            )
        print(f"\n{n:,} managers", flush=True)
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--_child",
                str(folder),
                str(args.bootstrap),
                "0" if args.no_parts else "1",
                str(args.mixedlm_managers),
                str(args.compare_managers),
            ],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        print("\n".join(line for line in done.stdout.splitlines() if not line.startswith("RESULT ")))
        res = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])
        step = res["step"]
        ok = step["seconds"] <= 100 and step["peak_gb"] <= 4.0 if n == 100_000 else None
        print(
            f"  weights step: {step['seconds']:.1f} s (CPU {step['cpu_seconds']:.1f} s), peak {step['peak_gb']:.2f} GB "
            f"(the loaded data and panel held {step['peak_gb'] - step['increase_gb']:.2f} GB before the step; "
            f"the step's own increase +{step['increase_gb']:.2f} GB)"
            + ("" if ok is None else f"; goal <= 100 s and <= 4 GB: {'met' if ok else 'MISSED'}"),
            flush=True,
        )
        results[n] = res
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "benchmark": "weights_scale",
                    "bootstrap": args.bootstrap,
                    "sizes": sizes,
                    "per_size": {str(n): results[n] for n in sizes},
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

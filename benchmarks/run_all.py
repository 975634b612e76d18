"""Run every benchmark in its own process and print one table of ratios measured in this run.

    .venv/bin/python benchmarks/run_all.py            # full sizes (tens of minutes)
    .venv/bin/python benchmarks/run_all.py --quick    # small sizes, a few minutes
    .venv/bin/python benchmarks/run_all.py --quick --scale --json bench.json

Each row compares calibrate with a baseline timed in the same process on the
same data, so the ratio holds whatever else the machine is doing:

==============  ==========================================  ============================================
benchmark       calibrate                                   baseline
==============  ==========================================  ============================================
LMG             ``weights.importance.lmg`` (exact Shapley)  ``dominance-analysis`` package (bench_lmg.py);
                ``lmg_from_corr``                           a plain in-place numpy sweep (same script)
bootstrap       batched manager bootstrap, per resample;    statsmodels OLS refit per resample;
                every method with setup                     statsmodels OLS + GLM refits (bench_bootstrap.py)
simulation      Monte Carlo engine, manager-scenarios/s;    numpy's raw float32 normal draws/s;
                engine CPU time                             an ideal in-place kernel, same work
                                                            (bench_simulation.py)
sample run      ``calibrate run`` on data/sample            the same number of empty notebooks
                                                            through papermill (bench_run.py)
Dask            Monte Carlo, bootstrap, stability draws,    the local executor, same work, results
                research sweep on LocalCluster 1 and 2      checked bit-identical (bench_dask.py)
scale           (``--scale``) largest scaling exponent of   managers^1 (bench_scale.py)
                any step across company sizes
weights scale   (``--scale``) weights step at 100,000       the goals: 100 s, 4 GB (bench_weights_scale.py)
                managers: time, peak memory
scale model     (``--scale``) cost model's prediction at    the measured run (bench_scale_model.py)
                a larger size
==============  ==========================================  ============================================

A benchmark whose script is missing is listed as skipped; one that fails is
listed with the last line of its error, and the others still run. The full
output of each is kept in ``--logs`` (a temporary folder by default).
dominance-analysis comes with ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SETTINGS = {
    "quick": {
        "lmg": [
            "--sizes",
            "12,14",
            "--da-sizes",
            "12,14",
            "--repeats",
            "3",
            "--timeout",
            "240",
            "--plain-sizes",
            "16,20",
        ],
        "bootstrap": ["--batched", "200", "--loop", "20"],
        "simulation": ["--managers", "20000", "--scenarios", "2000", "--ideal-managers", "10000"],
        "run": ["--quick", "--repeats", "2"],
        "cli": ["--repeats", "7"],
        "dask": ["--quick", "--repeats", "3"],
        "scale": [
            "--sizes",
            "1000,2000,4000",
            "--no-notebooks",
            "--bootstrap",
            "20",
            "--scenarios",
            "500",
            "--stability-draws",
            "20",
        ],
        "weights_scale": ["--managers", "10000", "--no-parts"],
        "scale_model": ["--fit", "2000,4000,8000", "--check", "16000", "--resamples", "10", "--scenarios", "500"],
    },
    "full": {
        "lmg": [],
        "bootstrap": [],
        "simulation": [],
        "run": [],
        "cli": [],
        "dask": [],
        "scale": [],
        "weights_scale": [],
        "scale_model": ["--fit", "20000,40000,80000", "--check", "300000"],
    },
}


def run_bench(
    name: str, script: str, extra: list[str], logs: Path, timeout: float, json_out: bool = True
) -> tuple[dict | None, str, float]:
    """Run one benchmark script; returns (its JSON or None, its stdout, seconds)."""
    path = HERE / script
    if not path.exists():
        return None, "skipped: script not present", 0.0
    out = logs / f"{name}.json"
    cmd = [sys.executable, str(path), *extra, *(["--json", str(out)] if json_out else [])]
    print(f"  {name:11s} {' '.join([script, *extra])}", flush=True)
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, f"failed: no result within {timeout:g} s", time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    (logs / f"{name}.log").write_text(done.stdout + "\n--- stderr ---\n" + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        tail = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()][-1:] or ["?"]
        return None, f"failed: {tail[0][:120]}", seconds
    data = json.loads(out.read_text(encoding="utf-8")) if json_out and out.exists() else None
    return data, done.stdout, seconds


def lmg_rows(data: dict) -> list[dict]:
    rows = []
    for r in data["results"]:
        if r["mode"] != "raw":
            continue
        if r["dominance_analysis_s"] is None:
            rows.append(
                _row(
                    f"LMG, {r['p']} predictors",
                    "calibrate lmg vs dominance-analysis",
                    f"{r['calibrate_best_s']:.4f} s",
                    r["note"] or "not run",
                    None,
                    "x faster",
                )
            )
        else:
            rows.append(
                _row(
                    f"LMG, {r['p']} predictors",
                    "calibrate lmg vs dominance-analysis",
                    f"{r['calibrate_best_s']:.4f} s",
                    f"{r['dominance_analysis_s']:.2f} s",
                    r["ratio"],
                    "x faster",
                    f"same shares within {r['max_abs_diff']:.0e}",
                )
            )
    return rows + lmg_plain_rows(data)


def bootstrap_rows(stdout: str) -> list[dict]:
    loop = re.search(r"statsmodels OLS refit per resample\s+([\d.]+) ms", stdout)
    coef = re.search(r"batched coefficients per resample\s+([\d.]+) ms", stdout)
    every = re.search(r"batched, every method per resample\s+([\d.]+) ms", stdout)
    same = re.search(r"max relative difference ([\d.e+-]+)", stdout)
    if not (loop and coef):
        return [_row("bootstrap", "batched vs statsmodels refit", "?", "?", None, "", "output not recognised")]
    t_loop, t_coef = float(loop.group(1)), float(coef.group(1))
    rows = [
        _row(
            "bootstrap, coefficients",
            "batched vs statsmodels OLS refit, per resample",
            f"{t_coef:.3f} ms",
            f"{t_loop:.3f} ms",
            t_loop / t_coef,
            "x faster",
            f"same coefficients within {same.group(1)}" if same else "",
        )
    ]
    refits = re.search(r"statsmodels OLS\+GLM refits per resample\s+([\d.]+) ms", stdout)
    setup = re.search(r"batched, every method incl. setup per resample\s+([\d.]+) ms", stdout)
    if refits and setup:
        t_refits, t_setup = float(refits.group(1)), float(setup.group(1))
        rows.append(
            _row(
                "bootstrap, all methods",
                "every method, setup included, vs statsmodels OLS+GLM refits",
                f"{t_setup:.3f} ms",
                f"{t_refits:.3f} ms",
                t_refits / t_setup,
                "x faster",
                "per resample; goal >= 10x",
            )
        )
    if every:
        t_every = float(every.group(1))
        rows.append(
            _row(
                "bootstrap, every method",
                "LMG x2, GLM, entropy, CRITIC, AHP vs one OLS refit",
                f"{t_every:.3f} ms",
                f"{t_loop:.3f} ms",
                t_loop / t_every,
                "x faster",
            )
        )
    return rows


def simulation_rows(data: dict) -> list[dict]:
    raw = data["raw"]
    rows = []
    for variant, run in data["runs"].items():
        rate = run["draws"] / run["wall_s"]
        rate_cpu = run["draws"] / run["cpu_s"]
        rows.append(
            _row(
                f"simulation, {variant}",
                "manager-scenarios/s vs numpy float32 normals/s",
                f"{rate / 1e6:.1f} M/s",
                f"{raw['float32_wall'] / 1e6:.0f} M/s",
                rate / raw["float32_wall"],
                "of raw (wall)",
                f"{rate_cpu / raw['float32_cpu']:.0%} per CPU second; peak RSS {run['maxrss_bytes'] / 1e9:.2f} GB",
            )
        )
    for variant, run in data.get("vs_ideal", {}).items():
        if not isinstance(run, dict):
            continue
        goal = 0.9 if variant == "attainment" else 0.5
        rows.append(
            _row(
                f"simulation vs ideal, {variant}",
                "engine vs ideal in-place numpy kernel, same work (CPU s)",
                f"{run['engine_cpu_s']:.2f} s",
                f"{run['ideal_cpu_s']:.2f} s",
                run["ratio"],
                "x of ideal",
                f"goal >= {goal}; median of {run['repeats']} pairs",
            )
        )
    return rows


def lmg_plain_rows(data: dict) -> list[dict]:
    return [
        _row(
            f"LMG, {r['p']} predictors",
            "lmg_from_corr vs plain in-place numpy sweep (CPU s)",
            f"{r['calibrate_cpu_s']:.4f} s",
            f"{r['plain_cpu_s']:.4f} s",
            r["ratio"],
            "x the plain sweep",
            f"goal <= 1.1; median of {r['repeats']} pairs; same shares within {r['max_abs_diff']:.0e}",
        )
        for r in data.get("plain_sweep", [])
    ]


def run_rows(data: dict) -> list[dict]:
    ratios = ", ".join(f"{r:.2f}" for r in data["ratios"])
    return [
        _row(
            "sample run",
            f"calibrate run vs {data['notebooks']} empty notebooks + HTML (fresh processes)",
            f"{data['run_median']:.1f} s",
            f"{data['floor_median']:.1f} s",
            data["ratio"],
            "x the floor",
            f"pairs in turns: {ratios}" + (", quick settings" if data["quick"] else ""),
        )
    ]


def cli_rows(data: dict) -> list[dict]:
    median = data["median_seconds"]
    return [
        _row(
            "CLI start",
            "calibrate --help vs import pandas (fresh processes)",
            f"{1000 * median['calibrate --help']:.0f} ms",
            f"{1000 * median['import pandas (baseline)']:.0f} ms",
            data["ratio_help_to_import_pandas"],
            "x import pandas",
            f"--version {data['ratio_version_to_import_pandas']:.2f}x; scientific modules loaded: "
            f"{', '.join(data['scientific_modules_loaded_by_help']) or 'none'}",
        )
    ]


def dask_rows(data: dict) -> list[dict]:
    start = data["startup_seconds"]
    return [
        _row(
            f"Dask, {label}",
            "LocalCluster 1 / 2 workers vs the local executor, same work",
            f"{res['median_seconds']['local:2']:.2f} s",
            f"{res['median_seconds']['local']:.2f} s",
            res["ratio_to_local"]["local:2"],
            "x local (2 workers)",
            f"1 worker {res['ratio_to_local']['local:1']:.2f}x; bit-identical; cluster start-up "
            f"{start['local:2']:.1f} s once per run",
        )
        for label, res in data["work"].items()
    ]


def scale_rows(data: dict) -> list[dict]:
    exps = {k: v for k, v in data["exponents"].items() if v is not None and k != "generate"}
    worst = max(exps, key=exps.get) if exps else None
    sizes = "/".join(f"{n // 1000}k" if n >= 1000 else str(n) for n in data["sizes"])
    flagged = ", ".join(data["flagged"]) or "none"
    return [
        _row(
            "scale",
            f"time ~ managers^b over {sizes} managers",
            f"b = {exps[worst]:.2f}" if worst else "?",
            "b = 1",
            exps.get(worst),
            "(largest b)",
            f"largest: {worst}; b > {data['flag_exponent']}: {flagged}",
        )
    ]


def weights_scale_rows(data: dict) -> list[dict]:
    rows = []
    for n, res in data["per_size"].items():
        step = res["step"]
        rows.append(
            _row(
                f"weights step, {int(n):,} managers",
                "time and peak RSS vs 100 s / 4 GB",
                f"{step['seconds']:.0f} s",
                "100 s",
                step["seconds"] / 100,
                "x the goal",
                f"CPU {step['cpu_seconds']:.0f} s; peak {step['peak_gb']:.2f} GB "
                f"(+{step['increase_gb']:.2f} GB over the loaded data)",
            )
        )
    return rows


def scale_model_rows(data: dict) -> list[dict]:
    check = data.get("check")
    if not check:
        return [_row("scale model", "cost model", "", "", None, "", "no check size given")]
    return [
        _row(
            f"scale model, {check['managers']:,} managers",
            "measured vs predicted, worst step",
            "",
            "",
            1 + check["largest_error"],
            "x (goal <= 1.25)",
            f"fitted on {', '.join(str(n) for n in data['sizes'])} managers",
        )
    ]


def _row(name: str, what: str, ours: str, theirs: str, ratio: float | None, unit: str, note: str = "") -> dict:
    return {
        "benchmark": name,
        "comparison": what,
        "calibrate": ours,
        "baseline": theirs,
        "ratio": None if ratio is None else round(float(ratio), 3),
        "unit": unit,
        "note": note,
    }


def _ratio_text(row: dict) -> str:
    r, unit = row["ratio"], row["unit"]
    if r is None:
        return ""
    if unit in ("x of ideal", "x the plain sweep", "x local (2 workers)"):
        return f"{r:.2f}{unit}"
    if unit == "of raw (wall)":
        return f"{r:.0%} {unit}"
    if unit == "(largest b)":
        return f"{r:.2f} {unit}"
    return f"{r:,.1f}{unit}" if r < 100 else f"{r:,.0f}{unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: the whole set in a few minutes")
    parser.add_argument("--scale", action="store_true", help="also run bench_scale.py (long without --quick)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per benchmark")
    parser.add_argument("--logs", help="folder for each benchmark's JSON and output (default: a temporary one)")
    parser.add_argument("--json", help="write the table to this JSON file")
    args = parser.parse_args(argv)

    mode = "quick" if args.quick else "full"
    settings = SETTINGS[mode]
    timeout = args.timeout or (900 if args.quick else 7200)
    logs = Path(args.logs or tempfile.mkdtemp(prefix="calibrate_bench_"))
    logs.mkdir(parents=True, exist_ok=True)
    print(
        f"calibrate benchmarks ({mode}); {os.cpu_count()} CPUs, Python {platform.python_version()}; logs in {logs}",
        flush=True,
    )
    rows: list[dict] = []
    plan = [
        ("lmg", "bench_lmg.py", lmg_rows, True),
        ("bootstrap", "bench_bootstrap.py", bootstrap_rows, False),
        ("simulation", "bench_simulation.py", simulation_rows, True),
        ("run", "bench_run.py", run_rows, True),
        ("cli", "bench_cli.py", cli_rows, True),
        ("dask", "bench_dask.py", dask_rows, True),
    ]
    if args.scale:
        plan += [
            ("scale", "bench_scale.py", scale_rows, True),
            ("weights_scale", "bench_weights_scale.py", weights_scale_rows, True),
            ("scale_model", "bench_scale_model.py", scale_model_rows, True),
        ]
    started = time.perf_counter()
    for name, script, to_rows, json_out in plan:
        data, stdout, seconds = run_bench(name, script, settings[name], logs, timeout, json_out)
        if data is None and not stdout.startswith(("skipped", "failed")) and json_out:
            stdout = "failed: no results written"
        if stdout.startswith(("skipped", "failed")):
            rows.append(_row(name, script, "", "", None, "", stdout))
            continue
        try:
            rows += to_rows(data if json_out else stdout)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            rows.append(_row(name, script, "", "", None, "", f"results not understood ({exc})"))
    width = max(len(r["benchmark"]) for r in rows) + 2
    print(f"\n{'benchmark':{width}s}{'calibrate':>14s}{'baseline':>14s}  {'ratio':<22s}comparison / note")
    print("-" * (width + 100))
    for r in rows:
        print(
            f"{r['benchmark']:{width}s}{r['calibrate']:>14s}{r['baseline']:>14s}  {_ratio_text(r):<22s}"
            f"{r['comparison']}" + (f"; {r['note']}" if r["note"] else "")
        )
    print(f"\nall benchmarks in {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"mode": mode, "cpus": os.cpu_count(), "rows": rows}, indent=2), encoding="utf-8"
        )
        print(f"table written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

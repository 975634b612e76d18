"""Benchmark: exact LMG (Shapley R^2) in calibrate vs the dominance-analysis package.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_lmg.py            # 12, 16, 20 predictors
    PYTHONPATH=src python benchmarks/bench_lmg.py --timeout 900 --da-corr

For each number of predictors p the script builds one synthetic dataset of
10,000 rows (correlated predictors, fixed seed), times ``calibrate.weights.
importance.lmg`` (best and median of several repeats, including computing the
correlations from the DataFrame), and runs ``dominance_analysis.Dominance``
(regression mode, ``objective=1``; its general dominance, "Total Dominance",
is LMG) in a child process with a time limit, only for the sizes given by
``--da-sizes``. Where both finish it checks that they give the same LMG shares.

dominance-analysis 1.1.9 imports bokeh and calls ``output_notebook()`` at
import time; with numpy 2 / current IPython that import fails (``np.bool8``
was removed, ``publish_display_data`` changed), so the child process applies
two shims before importing it: ``np.bool8 = np.bool_`` and a no-op
``bokeh.io.output_notebook``. Neither touches its computations.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240601
ROWS = 10_000


def make_data(p: int, rows: int = ROWS, seed: int = SEED) -> tuple[pd.DataFrame, list[str]]:
    """``rows`` x p correlated predictors x0..x{p-1} and an outcome y (R^2 around 0.6)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, p]))
    common = rng.normal(size=(rows, 3))
    x = rng.normal(size=(rows, p)) + common @ rng.normal(scale=0.7, size=(3, p))
    beta = rng.normal(size=p)
    signal = x @ beta
    y = signal + rng.normal(scale=0.8 * signal.std(), size=rows)
    names = [f"x{j}" for j in range(p)]
    frame = pd.DataFrame(x, columns=names)
    frame["y"] = y
    return frame, names


def time_calibrate(frame: pd.DataFrame, names: list[str], repeats: int) -> tuple[float, float, pd.Series]:
    from calibrate.weights.importance import lmg

    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = lmg(frame, "y", names)
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times)), result.raw


def plain_sweep_lmg(r_xx: np.ndarray, r_xy: np.ndarray) -> np.ndarray:
    """The same LMG computed by the plainest in-place numpy code: two preallocated ping-pong buffers sized
    for the largest level, every subset swept level by level in place (no chunking, no concatenation),
    then the Shapley sums. The yardstick for ``lmg_from_corr`` (same arithmetic, no plumbing)."""
    import math

    p = r_xy.shape[0]
    size = max((1 << m) * (p + 1 - m) ** 2 for m in range(p + 1))
    bufs = (np.empty(size), np.empty(size))
    state = bufs[0][: (p + 1) ** 2].reshape(1, p + 1, p + 1)
    state[0, :p, :p] = r_xx
    state[0, :p, p] = state[0, p, :p] = r_xy
    state[0, p, p] = 1.0
    for m in range(p):
        n, q = 1 << m, p + 1 - m
        step = bufs[(m + 1) % 2][: 2 * n * (q - 1) ** 2].reshape(2 * n, q - 1, q - 1)
        np.copyto(step[:n], state[:, 1:, 1:])
        col = state[:, 1:, 0]
        np.multiply(col[:, :, None], col[:, None, :], out=step[n:])
        step[n:] /= state[:, 0, 0][:, None, None]
        np.subtract(step[:n], step[n:], out=step[n:])
        state = step
    r2 = 1.0 - state.reshape(-1)
    r2[0] = 0.0
    sizes = np.zeros(1, dtype=np.int8)
    for _ in range(p):
        sizes = np.concatenate([sizes, sizes + 1])
    weight = np.array([1.0 / (p * math.comb(p - 1, k)) for k in range(p)] + [0.0])[sizes]
    out = np.empty(p)
    for j in range(p):
        hi, lo = 1 << (p - 1 - j), 1 << j
        r3, w3 = r2.reshape(hi, 2, lo), weight.reshape(hi, 2, lo)
        out[j] = (w3[:, 0, :] * (r3[:, 1, :] - r3[:, 0, :])).sum()
    return out


def against_plain_sweep(p: int, repeats: int) -> dict:
    """CPU seconds of ``lmg_from_corr`` and of :func:`plain_sweep_lmg` on the same correlations, alternated
    ``repeats`` times in this process: medians and the median of the per-pair ratios (calibrate / plain)."""
    from calibrate.weights.importance import lmg_from_corr

    frame, names = make_data(p)
    corr = frame.corr().to_numpy()
    r_xx, r_xy = corr[:p, :p], corr[:p, p]
    pairs = []
    for _ in range(repeats):
        c0 = time.process_time()
        ours = lmg_from_corr(r_xx, r_xy)
        c1 = time.process_time()
        plain = plain_sweep_lmg(r_xx, r_xy)
        c2 = time.process_time()
        pairs.append((c1 - c0, c2 - c1))
    return {
        "p": p,
        "calibrate_cpu_s": float(np.median([a for a, _ in pairs])),
        "plain_cpu_s": float(np.median([b for _, b in pairs])),
        "ratio": float(np.median([a / b for a, b in pairs])),
        "repeats": repeats,
        "max_abs_diff": float(np.max(np.abs(ours - plain))),
    }


def run_dominance_child(data_file: str, mode: str, out_file: str) -> None:
    """Child process: run dominance-analysis on the saved data, write timing and shares as JSON."""
    import numpy as np_child

    if not hasattr(np_child, "bool8"):
        np_child.bool8 = np_child.bool_  # shim for bokeh 2.x under numpy 2
    import bokeh.io

    bokeh.io.output_notebook = lambda *args, **kwargs: None  # no notebook at import time
    import warnings

    warnings.filterwarnings("ignore")
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        from dominance_analysis import Dominance

        frame = pd.read_parquet(data_file) if data_file.endswith(".parquet") else pd.read_pickle(data_file)
        p = frame.shape[1] - 1
        start = time.perf_counter()
        if mode == "raw":
            dom = Dominance(data=frame, target="y", objective=1, top_k=p)
        else:  # correlation-matrix input
            dom = Dominance(data=frame.corr(), target="y", objective=1, data_format=1)
        dom.incremental_rsquare()
        stats = dom.dominance_stats()
        elapsed = time.perf_counter() - start
    shares = {str(k): float(v) for k, v in stats["Total Dominance"].items()}
    Path(out_file).write_text(json.dumps({"seconds": elapsed, "total_dominance": shares}))


def time_dominance(frame: pd.DataFrame, mode: str, timeout: float) -> tuple[float | None, dict | None, str]:
    with tempfile.TemporaryDirectory() as tmp:
        data_file = os.path.join(tmp, "data.pkl")
        out_file = os.path.join(tmp, "out.json")
        frame.to_pickle(data_file)
        cmd = [sys.executable, os.path.abspath(__file__), "--_child", data_file, mode, out_file]
        try:
            done = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            return None, None, f"did not finish in {timeout:g} s"
        if done.returncode != 0 or not os.path.exists(out_file):
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return None, None, f"failed: {tail[0][:80]}"
        payload = json.loads(Path(out_file).read_text())
        return payload["seconds"], payload["total_dominance"], ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="12,16,20", help="numbers of predictors (default 12,16,20)")
    parser.add_argument("--da-sizes", default="12,16", help="sizes also run with dominance-analysis (default 12,16)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds allowed per dominance-analysis run (default 300)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of calibrate.lmg")
    parser.add_argument(
        "--da-corr", action="store_true", help="also run dominance-analysis on the correlation matrix (data_format=1)"
    )
    parser.add_argument(
        "--plain-sizes", default="16,20", help="sizes also timed against a plain in-place numpy sweep (default 16,20)"
    )
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        run_dominance_child(*args._child)
        return

    sizes = [int(s) for s in args.sizes.split(",") if s]
    da_sizes = {int(s) for s in args.da_sizes.split(",") if s}
    modes = ["raw"] + (["corr"] if args.da_corr else [])
    print(
        f"LMG benchmark: {ROWS:,} rows, seed {SEED}; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}"
    )
    print(f"calibrate: best / median of {args.repeats} runs; dominance-analysis: one run, limit {args.timeout:g} s\n")
    header = (
        f"{'p':>3} {'subsets':>10} {'calibrate best':>15} {'median':>9} "
        f"{'dominance-analysis':>26} {'ratio':>10} {'max |diff|':>11}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for p in sizes:
        frame, names = make_data(p)
        best, median, ours = time_calibrate(frame, names, args.repeats)
        for k, mode in enumerate(modes):
            label = "dominance-analysis" + (" (corr)" if mode == "corr" else "")
            if p in da_sizes:
                seconds, theirs, note = time_dominance(frame, mode, args.timeout)
            else:
                seconds, theirs, note = None, None, "not run"
            if seconds is not None:
                da_text = f"{seconds:.2f} s"
                ratio = f"{seconds / best:,.0f}x"
                diff = max(abs(theirs[n] - ours[n]) for n in names)
                diff_text = f"{diff:.1e}"
            else:
                da_text = note
                ratio = f">{args.timeout / best:,.0f}x" if note.startswith("did not finish") else ""
                diff_text = ""
            lead = (
                f"{p:>3} {2**p:>10,} {best:>13.4f} s {median:>7.4f} s"
                if k == 0
                else f"{'':>3} {'':>10} {'':>15} {'':>9}"
            )
            print(
                f"{lead} {da_text:>26} {ratio:>10} {diff_text:>11}" + (f"   [{label}]" if len(modes) > 1 else ""),
                flush=True,
            )
            results.append(
                {
                    "p": p,
                    "mode": mode,
                    "calibrate_best_s": best,
                    "calibrate_median_s": median,
                    "dominance_analysis_s": seconds,
                    "ratio": None if seconds is None else seconds / best,
                    "max_abs_diff": None if seconds is None else diff,
                    "note": note,
                }
            )
    print(
        "\nratio = dominance-analysis time / calibrate best time; max |diff| compares the LMG "
        "shares (R^2 units) with dominance-analysis 'Total Dominance'."
    )
    plain = []
    for p in [int(s) for s in args.plain_sizes.split(",") if s]:
        row = against_plain_sweep(p, max(args.repeats, 3))
        plain.append(row)
        print(
            f"{p} predictors: lmg_from_corr {row['calibrate_cpu_s']:.3f} s vs plain in-place sweep "
            f"{row['plain_cpu_s']:.3f} s (CPU, medians of {row['repeats']}): {row['ratio']:.2f}x "
            f"(goal <= 1.1x); same shares within {row['max_abs_diff']:.0e}",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "benchmark": "lmg",
                    "rows": ROWS,
                    "seed": SEED,
                    "timeout": args.timeout,
                    "results": results,
                    "plain_sweep": plain,
                },
                indent=2,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()

"""Benchmark of the Monte Carlo engine against numpy's raw normal draw rate.

    python benchmarks/bench_simulation.py [--managers 100000 --scenarios 10000 --workers 1]

Each engine run happens in a fresh subprocess so that its peak memory
(``ru_maxrss``, the whole process including Python and numpy) and its
tracemalloc peak (arrays allocated by the run) are clean. numpy's raw rate is
measured in this process just before and after, on the same machine in the same
run: ``Generator.standard_normal`` in float64 (the default call) and in float32
into a preallocated buffer (the engine's own draw call, the stricter baseline).
Goals: throughput >= 30% of the raw float32 rate, peak memory < 2 GB.

Against an ideal kernel (issue 18): :func:`ideal_kernel` does the same work as
the engine (same draws, same hits, attainment sums and quantiles; with the
payout curve, the bonus cost too) as one plain in-place numpy loop. It is
timed in this process, alternating with the engine (``workers=1``), on
``--ideal-managers`` managers, in CPU seconds (robust to other load on a
shared machine); the ratio is ideal time / engine time, the median over
``--repeats`` pairs. Goals: >= 0.9 for attainment, >= 0.5 with the bonus cost.
The ideal kernel takes its quantiles by whichever of an in-place sort and a
multi-``kth`` ``np.partition`` was faster in this run (numpy's SIMD float32
sort usually wins at these row lengths).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"


def raw_rates(draws: int = 50_000_000, piece: int = 5_000_000) -> dict[str, float]:
    """Best-of-three raw normal draws per second of wall and of CPU time, float64
    (allocating, the default call) and float32 (into a buffer, the engine's call)."""
    rng = np.random.default_rng(0)
    buf = np.empty(piece, np.float32)
    rates = {}
    for name, draw in [
        ("float64", lambda: rng.standard_normal(piece)),
        ("float32", lambda: rng.standard_normal(out=buf, dtype=np.float32)),
    ]:
        best_wall = best_cpu = float("inf")
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(draws // piece):
                draw()
            best_wall = min(best_wall, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        rates[f"{name}_wall"] = draws // piece * piece / best_wall
        rates[f"{name}_cpu"] = draws // piece * piece / best_cpu
    return rates


def engine_run(managers: int, scenarios: int, workers: int, payout: bool) -> dict[str, float]:
    """One engine run (called in the child process)."""
    import tracemalloc

    sys.path.insert(0, str(SRC))
    from calibrate.targets.payout import PayoutCurve
    from calibrate.targets.simulation import attainment

    model, targets, bonus_base = bench_model(managers, seed=1)
    extra = dict(payout=PayoutCurve.standard(), bonus_base=bonus_base) if payout else {}
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    result = attainment(model, targets, scenarios=scenarios, seed=0, workers=workers, **extra)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = {
        "wall_s": wall,
        "cpu_s": cpu,
        "draws": managers * scenarios,
        "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "traced_peak_bytes": traced,
        "expected_share": result.share_mean,
    }
    if payout:
        out["bonus_p90"] = result.bonus.p90
    return out


# ---------------------------------------------------------------------------- the ideal kernel
def ideal_kernel(
    model,
    targets: np.ndarray,
    scenarios: int,
    levels=(0.1, 0.5, 0.9),
    payout=None,
    bonus_base=None,
    quantile_method: str = "sort",
) -> dict:
    """The same work as ``attainment`` written as one plain in-place numpy loop, with none of the engine's
    plumbing (no chunks, no executor, no accumulator objects): per tile of managers, draw the noise in float32
    into a preallocated buffer, scale it in place, add each manager's region shock row by row (no gathered
    copy), compare with the threshold, count hits per manager and per scenario on a uint8 view, sum exp(x +
    offset) per manager in float64, and take the quantiles by sorting (or partitioning) the tile in place.
    With a payout curve it also builds the payout coefficient from clipped ramps in place and sums the
    coefficient per manager and the bonus per scenario. Normal noise only (the benchmark's model)."""
    from calibrate.targets.simulation import BLOCK_MANAGERS, _tile_rows, root_seed, stream

    root = root_seed(0)
    n = model.n_managers
    scale = np.sqrt(model.sigma**2 + model.growth_uncertainty**2).astype(np.float32)
    sd = model.region_sigma_by_region.astype(np.float32)
    table = np.stack([stream(root, 0, r).standard_normal(scenarios, dtype=np.float32) * sd[r] for r in range(sd.size)])
    codes = model.region_code
    offset = (model.log_median - np.log(targets)).astype(np.float32)
    threshold = -offset
    pos = np.array(levels) * (scenarios - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, scenarios - 1)
    frac = pos - lo
    kth = np.unique(np.concatenate([lo, hi]))
    rows = _tile_rows(scenarios)
    x_buf = np.empty((rows, scenarios), np.float32)
    r_buf = np.empty_like(x_buf)
    h_buf = np.empty((rows, scenarios), bool)
    hits_m = np.empty(n, np.int64)
    hits_s = np.zeros(scenarios, np.int64)
    tile_hits = np.empty(scenarios, np.int32)
    ratio_sum = np.empty(n)
    log_q = np.empty((n, len(levels)))
    if payout is not None:
        c_buf, s_buf = np.empty_like(x_buf), np.empty_like(x_buf)
        base32 = bonus_base.astype(np.float32)
        coef_sum = np.empty(n)
        bonus = np.zeros(scenarios)
        paid_from = (np.log(payout.threshold) - offset).astype(np.float32)
        ramps = [
            (np.float32(a0), np.float32(a1 - a0), np.float32((c1 - c0) / (a1 - a0)))
            for (a0, c0), (a1, c1) in zip(payout.points[:-1], payout.points[1:])
            if c1 != c0
        ]
    for b in range(-(-n // BLOCK_MANAGERS)):
        gen = stream(root, 1, b)
        for t0 in range(b * BLOCK_MANAGERS, min(n, (b + 1) * BLOCK_MANAGERS), rows):
            t1 = min(t0 + rows, n)
            h = t1 - t0
            x, r, hit = x_buf[:h], r_buf[:h], h_buf[:h]
            gen.standard_normal(out=x, dtype=np.float32)
            x *= scale[t0:t1, None]
            for k in range(h):
                x[k] += table[codes[t0 + k]]
            np.greater_equal(x, threshold[t0:t1, None], out=hit)
            u8 = hit.view(np.uint8)
            np.add.reduce(u8, axis=1, dtype=np.int64, out=hits_m[t0:t1])
            np.add.reduce(u8, axis=0, dtype=np.int32, out=tile_hits)
            hits_s += tile_hits
            np.add(x, offset[t0:t1, None], out=r)
            np.exp(r, out=r)
            np.add.reduce(r, axis=1, dtype=np.float64, out=ratio_sum[t0:t1])
            if payout is not None:
                c, s = c_buf[:h], s_buf[:h]
                c.fill(payout.points[0][1])
                for a0, width, slope in ramps:
                    np.subtract(r, a0, out=s)
                    np.clip(s, np.float32(0), width, out=s)
                    s *= slope
                    c += s
                if payout.slope_above > 0:
                    np.subtract(r, np.float32(payout.points[-1][0]), out=s)
                    np.maximum(s, np.float32(0), out=s)
                    s *= np.float32(payout.slope_above)
                    c += s
                np.greater_equal(x, paid_from[t0:t1, None], out=hit)
                c *= hit
                np.add.reduce(c, axis=1, dtype=np.float64, out=coef_sum[t0:t1])
                c *= base32[t0:t1, None]
                bonus += np.add.reduce(c, axis=0, dtype=np.float64)
            if quantile_method == "sort":
                x.sort(axis=1)
            else:
                x.partition(kth, axis=1)
            log_q[t0:t1] = x[:, lo] + frac * (x[:, hi].astype(np.float64) - x[:, lo])
    return {"hits_s": hits_s, "hits_m": hits_m, "ratio_sum": ratio_sum, "log_q": log_q}


def bench_model(managers: int, seed: int = 1):
    sys.path.insert(0, str(SRC))
    from calibrate.targets.model import PerformanceModel

    rng = np.random.default_rng(seed)
    model = PerformanceModel(
        [f"M{i:06d}" for i in range(managers)],
        [f"R{r:02d}" for r in rng.integers(0, 30, managers)],
        rng.uniform(2e5, 3e6, managers),
        rng.normal(0.05, 0.04, managers),
        rng.uniform(0.1, 0.35, managers),
        0.1,
        growth_uncertainty=0.05,
    )
    return model, model.median * 1.05, rng.uniform(1e4, 6e4, managers)


def against_ideal(managers: int, scenarios: int, repeats: int) -> dict:
    """CPU seconds of the engine (workers=1) and of the ideal kernel on the same work, alternated
    ``repeats`` times in this process; medians and the median of the per-pair ratios."""
    from calibrate.targets.payout import PayoutCurve
    from calibrate.targets.simulation import attainment

    model, targets, base = bench_model(managers)
    curve = PayoutCurve.standard()

    def cpu(fn):
        c0 = time.process_time()
        out = fn()
        return time.process_time() - c0, out

    # the ideal kernel takes the faster of a full in-place sort and a multi-kth partition
    t_sort, _ = cpu(lambda: ideal_kernel(model, targets, scenarios, quantile_method="sort"))
    t_part, _ = cpu(lambda: ideal_kernel(model, targets, scenarios, quantile_method="partition"))
    method = "sort" if t_sort <= t_part else "partition"
    out = {"quantile_method": method, "sort_s": t_sort, "partition_s": t_part}
    for variant in ("attainment", "payout"):
        extra = dict(payout=curve, bonus_base=base) if variant == "payout" else {}
        pairs = []
        for _ in range(repeats):
            t_engine, res = cpu(lambda: attainment(model, targets, scenarios=scenarios, seed=0, **extra))
            t_ideal, ideal = cpu(
                lambda: ideal_kernel(
                    model,
                    targets,
                    scenarios,
                    quantile_method=method,
                    **({"payout": curve, "bonus_base": base} if extra else {}),
                )
            )
            pairs.append((t_engine, t_ideal))
        if not np.array_equal(res.hits, ideal["hits_s"]):
            raise SystemExit("the ideal kernel and the engine disagree: the benchmark is not comparing like with like")
        engine = [p[0] for p in pairs]
        ideal_t = [p[1] for p in pairs]
        out[variant] = {
            "engine_cpu_s": float(np.median(engine)),
            "ideal_cpu_s": float(np.median(ideal_t)),
            "ratio": float(np.median([i / e for e, i in pairs])),
            "repeats": repeats,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=100_000)
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--ideal-managers",
        type=int,
        default=20_000,
        help="managers in the engine-vs-ideal-kernel comparison (default 20,000)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="engine/ideal pairs timed (default 3)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--child", choices=["attainment", "payout"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(engine_run(args.managers, args.scenarios, args.workers, args.child == "payout")))
        return

    print(
        f"Monte Carlo engine: {args.scenarios:,} scenarios x {args.managers:,} managers, "
        f"workers={args.workers}, numpy {np.__version__}, {os.cpu_count()} CPU(s)"
    )
    before = raw_rates()
    runs = {}
    for variant in ("attainment", "payout"):
        cmd = [
            sys.executable,
            __file__,
            "--child",
            variant,
            "--managers",
            str(args.managers),
            "--scenarios",
            str(args.scenarios),
            "--workers",
            str(args.workers),
        ]
        runs[variant] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    after = raw_rates()
    raw = {k: max(before[k], after[k]) for k in before}  # the less disturbed measurement
    print(
        f"numpy raw standard_normal: float64 {raw['float64_wall'] / 1e6:,.0f} M draws/s, "
        f"float32 {raw['float32_wall'] / 1e6:,.0f} M draws/s (wall); "
        f"float32 {raw['float32_cpu'] / 1e6:,.0f} M draws/s (CPU time)"
    )
    labels = {
        "attainment": "attainment (P(hit), E[Y/T], P10/P50/P90, team share)",
        "payout": "attainment + bonus cost in the same pass",
    }
    ok = True
    for variant, run in runs.items():
        rate, rate_cpu = run["draws"] / run["wall_s"], run["draws"] / run["cpu_s"]
        ratio32, ratio64 = rate / raw["float32_wall"], rate / raw["float64_wall"]
        ratio_cpu = rate_cpu / raw["float32_cpu"]
        rss_gb, traced_mb = run["maxrss_bytes"] / 1e9, run["traced_peak_bytes"] / 1e6
        ok &= max(ratio32, ratio_cpu) >= 0.30 and rss_gb < 2.0
        print(
            f"\n{labels[variant]}\n"
            f"  wall time          {run['wall_s']:8.1f} s   (CPU {run['cpu_s']:.1f} s)\n"
            f"  throughput         {rate / 1e6:8.1f} M manager-scenarios/s\n"
            f"  vs raw float32     {ratio32:8.0%}   wall clock (goal >= 30%)\n"
            f"  vs raw float32     {ratio_cpu:8.0%}   CPU time per thread, robust to other load\n"
            f"  vs raw float64     {ratio64:8.0%}   wall clock\n"
            f"  peak RSS (process) {rss_gb:8.3f} GB  (goal < 2 GB)\n"
            f"  peak traced arrays {traced_mb:8.1f} MB"
        )
    vs_ideal = against_ideal(min(args.ideal_managers, args.managers), args.scenarios, args.repeats)
    print(
        f"\nagainst the ideal in-place kernel ({min(args.ideal_managers, args.managers):,} managers, CPU seconds, "
        f"medians of {args.repeats} alternated pairs; ideal quantiles by {vs_ideal['quantile_method']})"
    )
    for variant, goal in (("attainment", 0.9), ("payout", 0.5)):
        row = vs_ideal[variant]
        ok &= row["ratio"] >= goal
        print(
            f"  {labels[variant]:55s} engine {row['engine_cpu_s']:7.2f} s, ideal {row['ideal_cpu_s']:7.2f} s: "
            f"{row['ratio']:.2f}x of ideal (goal >= {goal})"
        )
    print("\nall goals met" if ok else "\nGOAL MISSED")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "benchmark": "simulation",
                    "managers": args.managers,
                    "scenarios": args.scenarios,
                    "workers": args.workers,
                    "raw": raw,
                    "runs": runs,
                    "vs_ideal": vs_ideal,
                    "goals_met": bool(ok),
                },
                indent=2,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()

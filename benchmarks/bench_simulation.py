"""Benchmark of the Monte Carlo engine against numpy's raw normal draw rate.

    python benchmarks/bench_simulation.py [--managers 100000 --scenarios 10000 --workers 1]

Each engine run happens in a fresh subprocess so that its peak memory
(``ru_maxrss``, the whole process including Python and numpy) and its
tracemalloc peak (arrays allocated by the run) are clean. numpy's raw rate is
measured in this process just before and after, on the same machine in the same
run: ``Generator.standard_normal`` in float64 (the default call) and in float32
into a preallocated buffer (the engine's own draw call, the stricter baseline).
Goals: throughput >= 30% of the raw float32 rate, peak memory < 2 GB.
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
    for name, draw in [("float64", lambda: rng.standard_normal(piece)),
                       ("float32", lambda: rng.standard_normal(out=buf, dtype=np.float32))]:
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
    from calibrate.targets.model import PerformanceModel
    from calibrate.targets.payout import PayoutCurve
    from calibrate.targets.simulation import attainment

    rng = np.random.default_rng(1)
    model = PerformanceModel([f"M{i:06d}" for i in range(managers)],
                             [f"R{r:02d}" for r in rng.integers(0, 30, managers)],
                             rng.uniform(2e5, 3e6, managers), rng.normal(0.05, 0.04, managers),
                             rng.uniform(0.1, 0.35, managers), 0.1, growth_uncertainty=0.05)
    targets = model.median * 1.05
    extra = dict(payout=PayoutCurve.standard(), bonus_base=rng.uniform(1e4, 6e4, managers)) if payout else {}
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    result = attainment(model, targets, scenarios=scenarios, seed=0, workers=workers, **extra)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = {"wall_s": wall, "cpu_s": cpu, "draws": managers * scenarios, "maxrss_bytes": resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss * 1024, "traced_peak_bytes": traced,
        "expected_share": result.share_mean}
    if payout:
        out["bonus_p90"] = result.bonus.p90
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=100_000)
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--child", choices=["attainment", "payout"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(engine_run(args.managers, args.scenarios, args.workers, args.child == "payout")))
        return

    print(f"Monte Carlo engine: {args.scenarios:,} scenarios x {args.managers:,} managers, "
          f"workers={args.workers}, numpy {np.__version__}, {os.cpu_count()} CPU(s)")
    before = raw_rates()
    runs = {}
    for variant in ("attainment", "payout"):
        cmd = [sys.executable, __file__, "--child", variant, "--managers", str(args.managers),
               "--scenarios", str(args.scenarios), "--workers", str(args.workers)]
        runs[variant] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    after = raw_rates()
    raw = {k: max(before[k], after[k]) for k in before}      # the less disturbed measurement
    print(f"numpy raw standard_normal: float64 {raw['float64_wall'] / 1e6:,.0f} M draws/s, "
          f"float32 {raw['float32_wall'] / 1e6:,.0f} M draws/s (wall); "
          f"float32 {raw['float32_cpu'] / 1e6:,.0f} M draws/s (CPU time)")
    labels = {"attainment": "attainment (P(hit), E[Y/T], P10/P50/P90, team share)",
              "payout": "attainment + bonus cost in the same pass"}
    ok = True
    for variant, run in runs.items():
        rate, rate_cpu = run["draws"] / run["wall_s"], run["draws"] / run["cpu_s"]
        ratio32, ratio64 = rate / raw["float32_wall"], rate / raw["float64_wall"]
        ratio_cpu = rate_cpu / raw["float32_cpu"]
        rss_gb, traced_mb = run["maxrss_bytes"] / 1e9, run["traced_peak_bytes"] / 1e6
        ok &= max(ratio32, ratio_cpu) >= 0.30 and rss_gb < 2.0
        print(f"\n{labels[variant]}\n"
              f"  wall time          {run['wall_s']:8.1f} s   (CPU {run['cpu_s']:.1f} s)\n"
              f"  throughput         {rate / 1e6:8.1f} M manager-scenarios/s\n"
              f"  vs raw float32     {ratio32:8.0%}   wall clock (goal >= 30%)\n"
              f"  vs raw float32     {ratio_cpu:8.0%}   CPU time per thread, robust to other load\n"
              f"  vs raw float64     {ratio64:8.0%}   wall clock\n"
              f"  peak RSS (process) {rss_gb:8.3f} GB  (goal < 2 GB)\n"
              f"  peak traced arrays {traced_mb:8.1f} MB")
    print("\nall goals met" if ok else "\nGOAL MISSED")
    if args.json:
        Path(args.json).write_text(json.dumps({"benchmark": "simulation", "managers": args.managers,
                                               "scenarios": args.scenarios, "workers": args.workers, "raw": raw,
                                               "runs": runs, "goals_met": bool(ok)}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

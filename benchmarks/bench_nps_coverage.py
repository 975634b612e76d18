"""Coverage study: how often each NPS interval contains the true NPS, for managers with 5 to 200 answers.

Run from the repository root::

    .venv/bin/python benchmarks/bench_nps_coverage.py                  # 4000 managers per cell
    .venv/bin/python benchmarks/bench_nps_coverage.py --reps 1000 --n-boot 500

Each simulated manager has a true share of promoters and detractors (the
profiles below, from a weak NPS of 0 to a near-perfect 93) and ``n`` customers
answer; the counts are a trinomial draw. For every method of
:func:`calibrate.scoring.nps_intervals.nps_bounds` the script counts how often
the 95% interval contains the true NPS and prints, per ``n``, the mean coverage
over profiles, the worst profile's coverage and the mean width (points).
All draws come from one ``numpy.random.SeedSequence`` (``--seed``).

The default method of the scorecard (``DEFAULT_NPS_METHOD``) is the one whose
coverage stays closest to nominal for small ``n``; the measured table is kept in
the docstring of ``calibrate.scoring.nps_intervals`` users read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from calibrate.scoring.nps_intervals import DEFAULT_NPS_METHOD, NPS_METHODS, nps_bounds  # noqa: E402

PROFILES = [(0.30, 0.30), (0.50, 0.20), (0.70, 0.10), (0.85, 0.05), (0.95, 0.02)]  # (promoters, detractors)
SIZES = [5, 10, 20, 50, 100, 200]


def coverage_table(reps: int, n_boot: int, seed: int, level: float = 0.95) -> list[dict]:
    root = np.random.SeedSequence(seed)
    rows = []
    for n, size_seq in zip(SIZES, root.spawn(len(SIZES))):
        per_method: dict[str, list[tuple[float, float]]] = {m: [] for m in NPS_METHODS}
        for (p_p, p_d), seq in zip(PROFILES, size_seq.spawn(len(PROFILES))):
            draw_seq, boot_seq = seq.spawn(2)
            counts = np.random.default_rng(draw_seq).multinomial(n, [p_p, p_d, 1 - p_p - p_d], size=reps)
            truth = 100.0 * (p_p - p_d)
            for method in NPS_METHODS:
                low, high, _ = nps_bounds(
                    counts[:, 0],
                    counts[:, 1],
                    np.full(reps, n),
                    method=method,
                    confidence=level,
                    n_boot=n_boot,
                    seed=boot_seq,
                )
                per_method[method].append(
                    (float(np.mean((low <= truth) & (truth <= high))), float(np.mean(high - low)))
                )
        for method, cells in per_method.items():
            cov = np.array([c for c, _ in cells])
            rows.append(
                {
                    "n": n,
                    "method": method,
                    "mean_coverage": cov.mean(),
                    "worst_coverage": cov.min(),
                    "mean_width": float(np.mean([w for _, w in cells])),
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4000, help="simulated managers per (n, profile) cell")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples per manager")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args(argv)
    rows = coverage_table(args.reps, args.n_boot, args.seed)
    print(
        f"NPS 95% interval coverage: {args.reps} simulated managers per cell, profiles (promoters, detractors) "
        f"{PROFILES}, bootstrap {args.n_boot} resamples, seed {args.seed}"
    )
    print(f"{'n':>4}  {'method':<14} {'mean cover':>10} {'worst cover':>11} {'mean width':>10}")
    for r in rows:
        mark = "  <- default" if r["method"] == DEFAULT_NPS_METHOD else ""
        print(
            f"{r['n']:>4}  {r['method']:<14} {r['mean_coverage']:>10.3f} {r['worst_coverage']:>11.3f} "
            f"{r['mean_width']:>10.1f}{mark}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

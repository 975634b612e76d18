"""Benchmark: what Dask costs against the local executor on the same work, as ratios measured in one run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_dask.py                          # sample company sizes
    .venv/bin/python benchmarks/bench_dask.py --quick --repeats 3 --json dask.json

Four pieces of work, each the engine a run (or the research notebook) sends to
the executor of ``scheduler``, on the sample company's data:

* *Monte Carlo*: ``targets.simulation.attainment`` (hit probabilities and the
  bonus cost) for ``--managers`` synthetic managers x ``--scenarios`` scenarios;
* *bootstrap*: ``weights.proposal.propose_weights`` with ``--resamples``
  resamples of managers (every method; the mixed model left out);
* *grade stability*: ``scoring.stability.annual_composites`` for ``--draws``
  weight draws on the sample's indicator points;
* *research sweep*: ``research.compare_indicator_sets`` of two templates with
  CRITIC weights refitted on ``--resamples`` bootstrap resamples.

Each is timed with the local executor (``None``: in this process), on a Dask
``LocalCluster`` of one worker process (``local:1``, the pure overhead: pickling,
scheduling, the transfer of inputs and results) and of two (``local:2``, the
machine's cores). The clusters are started once, before the timings (their
start-up is reported on its own line); the executors are timed in turns, so
drift of a shared machine hits all three; a ratio is the median over repeats of
Dask time / local time (below 1: Dask is faster). Every Dask result is checked
bit-identical to the local one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SCHEDULERS = ("local:1", "local:2")


def _monte_carlo(managers: int, scenarios: int) -> Callable[[Any], Any]:
    from calibrate.targets.model import PerformanceModel
    from calibrate.targets.payout import PayoutCurve
    from calibrate.targets.simulation import attainment

    rng = np.random.default_rng(0)
    model = PerformanceModel(
        manager_id=[f"M{i:06d}" for i in range(managers)],
        region=rng.choice(list("ABCDE"), managers),
        base=rng.lognormal(5, 0.3, managers),
        mu=rng.normal(0.06, 0.03, managers),
        sigma=np.full(managers, 0.15),
        region_sigma=0.05,
        df=6.0,
    )
    targets = np.exp(model.log_median) * 1.05
    curve, base = PayoutCurve.standard(), np.full(managers, 3.0)
    chunk = -(-managers // 4)  # four chunks: work for two workers (same result for any chunk)

    def work(executor: Any) -> Any:
        res = attainment(
            model,
            targets,
            scenarios=scenarios,
            seed=11,
            payout=curve,
            bonus_base=base,
            chunk_managers=chunk,
            workers=executor if executor is not None else 1,
        )
        return [res.probability, res.hits, res.ratio_quantiles, res.bonus.total]

    return work


def _bootstrap(dataset: Any, resamples: int) -> Callable[[Any], Any]:
    from calibrate.weights.proposal import propose_weights

    def work(executor: Any) -> Any:
        res = propose_weights(dataset, bootstrap=resamples, seed=3, mixed=False, executor=executor)
        return [res.to_frame(), *[res.bootstrap.draws[k] for k in sorted(res.bootstrap.draws)]]

    return work


def _stability(dataset: Any, draws: int) -> Callable[[Any], Any]:
    from calibrate.scoring.stability import annual_composites

    rng = np.random.default_rng(3)
    managers = sorted(dataset.managers["manager_id"].astype(str))
    index = pd.MultiIndex.from_product(
        [managers, ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]], names=["manager_id", "period"]
    )
    points = pd.DataFrame(rng.uniform(0, 100, (len(index), 7)), index=index, columns=list("abcdefg"))
    weights = rng.dirichlet(np.ones(7), draws)

    def work(executor: Any) -> Any:
        return [annual_composites(points, weights, executor=executor)]

    return work


def _research(dataset: Any, resamples: int) -> Callable[[Any], Any]:
    from calibrate.research import compare_indicator_sets, load_sets

    sets = load_sets(["account_manager", "key_account_director"])

    def work(executor: Any) -> Any:
        res = compare_indicator_sets(dataset, sets, weights="critic", bootstrap=resamples, seed=4, executor=executor)
        return [res.per_set, res.validity, res.weights, res.predictions]

    return work


def _same(a: list[Any], b: list[Any]) -> bool:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, pd.DataFrame):
            if not x.equals(y):
                return False
        elif not np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "data" / "sample" / "calibrate.yaml"))
    parser.add_argument("--managers", type=int, default=20_000, help="Monte Carlo managers")
    parser.add_argument("--scenarios", type=int, default=5_000, help="Monte Carlo scenarios")
    parser.add_argument("--resamples", type=int, default=400, help="bootstrap resamples (weights and research)")
    parser.add_argument("--draws", type=int, default=2_000, help="grade-stability weight draws")
    parser.add_argument("--repeats", type=int, default=3, help="timings of each executor, in turns")
    parser.add_argument("--quick", action="store_true", help="smaller work: 5,000 x 2,000, 100 resamples, 500 draws")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.managers, args.scenarios, args.resamples, args.draws = 5_000, 2_000, 100, 500

    from calibrate.distributed import executor_for
    from calibrate.loading import load_dataset

    print(
        f"Dask overhead benchmark; {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f}; {args.repeats} repeats in turns",
        flush=True,
    )
    dataset = load_dataset(args.config)
    works = {
        f"Monte Carlo ({args.managers:,} managers x {args.scenarios:,} scenarios)": _monte_carlo(
            args.managers, args.scenarios
        ),
        f"weights bootstrap ({args.resamples} resamples)": _bootstrap(dataset, args.resamples),
        f"grade-stability draws ({args.draws:,})": _stability(dataset, args.draws),
        f"research sweep (2 sets, {args.resamples} resamples)": _research(dataset, args.resamples),
    }
    results: dict[str, Any] = {
        "benchmark": "dask",
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "settings": {k: getattr(args, k) for k in ("managers", "scenarios", "resamples", "draws", "repeats")},
        "startup_seconds": {},
        "work": {},
    }
    with ExitStack() as stack:
        executors: dict[str, Any] = {"local": None}
        for name in SCHEDULERS:
            t0 = time.perf_counter()
            executors[name] = stack.enter_context(executor_for(name))
            results["startup_seconds"][name] = time.perf_counter() - t0
        for label, work in works.items():
            expected = work(None)  # warm-up, and the reference result
            for name in SCHEDULERS:
                if not _same(expected, work(executors[name])):  # warm-up on the cluster, and the check
                    raise SystemExit(f"{label}: the result on {name} differs from the local one")
            times: dict[str, list[float]] = {name: [] for name in executors}
            for _ in range(args.repeats):
                for name, ex in executors.items():
                    t0 = time.perf_counter()
                    work(ex)
                    times[name].append(time.perf_counter() - t0)
            ratios = {
                name: statistics.median(t / base for t, base in zip(times[name], times["local"])) for name in SCHEDULERS
            }
            results["work"][label] = {
                "seconds": times,
                "median_seconds": {k: statistics.median(v) for k, v in times.items()},
                "ratio_to_local": ratios,
                "identical": True,
            }
            med = results["work"][label]["median_seconds"]
            print(
                f"{label:52s} local {med['local']:6.2f} s | local:1 {med['local:1']:6.2f} s "
                f"({ratios['local:1']:.2f}x) | local:2 {med['local:2']:6.2f} s ({ratios['local:2']:.2f}x); "
                f"bit-identical",
                flush=True,
            )
    start = results["startup_seconds"]
    print(f"cluster start-up (once per run): local:1 {start['local:1']:.1f} s, local:2 {start['local:2']:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

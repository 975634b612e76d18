"""Validation: does the predicted share-hitting interval cover the realised share, with and without parameter uncertainty?

Run from the repository root::

    .venv/bin/python benchmarks/validate_share_interval.py                  # 60 companies x 200 managers
    .venv/bin/python benchmarks/validate_share_interval.py --companies 20 --managers 100

Each replication simulates a fresh company with ``calibrate.sample.generate_company``
(seed = ``--seed`` + replication, 12 quarters: years 1-3), fits the performance
model on years 1-2 and predicts the share of managers reaching year 3's
company-set targets (:func:`calibrate.targets.backtest.backtest`), once with
``parameter_uncertainty=False`` and once with ``True`` (same Monte Carlo seed),
and records whether the central ``--level`` interval of the predicted share
covers the realised share. Also reported: mean width, and the mean predicted
share against the generator's true expected share (mean of the true hit
probabilities in ``truth_managers``), which separates bias from spread.

A coverage over ``C`` companies has Monte Carlo standard error
``sqrt(level (1 - level) / C)`` (0.039 at 60 companies and 90%).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from calibrate.sample import SampleSpec, generate_company  # noqa: E402
from calibrate.targets.backtest import backtest, share_interval  # noqa: E402


def coverage_table(companies: int, managers: int, level: float, scenarios: int, seed: int) -> pd.DataFrame:
    """One row per company and setting: lower, upper, realised, covered, width, predicted and true share."""
    rows = []
    for c in range(companies):
        company = generate_company(SampleSpec(n_managers=managers, n_quarters=12, truth_replications=50), seed=seed + c)
        perf, mgr = company.tables["performance"], company.tables["managers"]
        truth = company.truth_managers
        for uncertainty in (False, True):
            bt = backtest(perf, mgr, scenarios=scenarios, seed=seed + c, parameter_uncertainty=uncertainty)
            row = share_interval(bt, level)
            true_p = truth.set_index("manager_id").reindex(bt.managers["manager_id"])
            row.update(
                company=c,
                parameter_uncertainty=uncertainty,
                predicted=bt.attainment.share_mean,
                true_expected=float(true_p["final_year_p_hit"].mean()) if "final_year_p_hit" in true_p else np.nan,
            )
            rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=60)
    parser.add_argument("--managers", type=int, default=200)
    parser.add_argument("--level", type=float, default=0.9)
    parser.add_argument("--scenarios", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    start = time.perf_counter()
    table = coverage_table(args.companies, args.managers, args.level, args.scenarios, args.seed)
    se = np.sqrt(args.level * (1 - args.level) / args.companies)
    print(
        f"{args.companies} companies x {args.managers} managers, nominal {args.level:.0%} "
        f"(Monte Carlo SE of a coverage {se:.3f}), {time.perf_counter() - start:.0f} s"
    )
    summary = table.groupby("parameter_uncertainty").agg(
        coverage=("covered", "mean"),
        mean_width=("width", "mean"),
        mean_predicted=("predicted", "mean"),
        mean_true_expected=("true_expected", "mean"),
        mean_realised=("realised", "mean"),
    )
    print(summary.round(3).to_string())
    print(
        "mean |predicted - true expected| share:",
        table.groupby("parameter_uncertainty")
        .apply(lambda t: float(np.mean(np.abs(t["predicted"] - t["true_expected"]))), include_groups=False)
        .round(3)
        .to_dict(),
    )


if __name__ == "__main__":
    main()

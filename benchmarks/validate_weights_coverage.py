"""Validation: do the 90% bootstrap intervals of the outcome regressions cover the true effects 90% of the time?

Run from the repository root (a few minutes on one core)::

    .venv/bin/python benchmarks/validate_weights_coverage.py                      # 100 companies x 200 managers
    .venv/bin/python benchmarks/validate_weights_coverage.py --companies 20 --resamples 200

Each replication simulates a fresh synthetic company with
``calibrate.sample.generate_company`` (seed = ``--seed`` + replication; 12
quarters), loads it exactly as a user's data would be loaded, fits the growth
OLS and the retention GLM (controls: quarter and ramp-up dummies), bootstraps
managers (``--resamples``) and records whether each 90% percentile interval
covers the generator's true effect: ``spec.growth_effects`` for next-quarter
log revenue growth and ``-spec.churn_effects`` for the retention log-odds (the
GLM models customers *kept*). For comparison it also records the coverage of
the clustered Wald intervals and how often the recovered LMG importance order
of the four indicators with an effect matches the truth.

With 100 replications a coverage's Monte Carlo standard error is about
sqrt(0.9 * 0.1 / 100) = 0.03, so values between about 0.84 and 0.96 are
consistent with the nominal 0.90.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from calibrate.loading import load_dataset  # noqa: E402
from calibrate.panel import indicator_panel  # noqa: E402
from calibrate.sample import SampleSpec, write_sample  # noqa: E402
from calibrate.weights.proposal import manager_profile  # noqa: E402
from calibrate.weights.regression import evidence_importance, outcome_regressions  # noqa: E402
from calibrate.weights.uncertainty import bootstrap_inputs, bootstrap_weights, single_thread  # noqa: E402

EFFECTS = ("nps", "satisfaction", "solution_innovation", "collaboration")


def one_company(seed: int, managers: int, quarters: int, resamples: int, level: float) -> list[dict]:
    spec = SampleSpec(n_managers=managers, n_quarters=quarters, truth_replications=2)
    with tempfile.TemporaryDirectory() as folder:
        write_sample(folder, spec, seed=seed)
        ds = load_dataset(Path(folder) / "calibrate.yaml")
        import json

        truth = json.loads((Path(folder) / "truth.json").read_text(encoding="utf-8"))
    panel = indicator_panel(ds)
    suite = outcome_regressions(panel, ds.indicator_set, level=level, mixed=False)
    inputs = bootstrap_inputs(suite, manager_profile(panel, ds.indicator_set))
    boot = bootstrap_weights(inputs, resamples=resamples, seed=seed, level=level)
    ci = boot.coefficient_frame().set_index(["model", "indicator"])
    evidence = evidence_importance(suite).table
    rows = []
    for model, result, key, sign in (
        ("growth_ols", suite.growth_ols, "growth_effects", 1.0),
        ("retention_glm", suite.retention_glm, "churn_effects", -1.0),
    ):
        outcome = "revenue_growth" if model == "growth_ols" else "retention"
        column = "lmg_revenue" if model == "growth_ols" else "lmg_retention"
        order = list(evidence.loc[list(EFFECTS), column].sort_values(ascending=False).index)
        for name in EFFECTS:
            true = sign * truth["spec"][key][name]
            b = ci.loc[(model, name)]
            w = result.coefficients.loc[name]
            rows.append(
                {
                    "company": seed,
                    "model": model,
                    "indicator": name,
                    "true": true,
                    "estimate": w["coef"],
                    "boot_cover": b["ci_low"] <= true <= b["ci_high"],
                    "wald_cover": w["ci_low"] <= true <= w["ci_high"],
                    "boot_width": b["ci_high"] - b["ci_low"],
                    "wald_width": w["ci_high"] - w["ci_low"],
                    "order_ok": order == truth["importance_order"][outcome],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100)
    parser.add_argument("--managers", type=int, default=200)
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--resamples", type=int, default=500)
    parser.add_argument("--level", type=float, default=0.90)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--csv", help="also write every replication's rows to this CSV")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rows: list[dict] = []
    with single_thread():
        for k in range(args.companies):
            rows += one_company(args.seed + k, args.managers, args.quarters, args.resamples, args.level)
            if (k + 1) % 10 == 0:
                print(f"  {k + 1}/{args.companies} companies ({time.perf_counter() - started:.0f} s)", flush=True)
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    table = frame.groupby(["model", "indicator"], sort=False).agg(
        true=("true", "first"),
        mean_estimate=("estimate", "mean"),
        sd_estimate=("estimate", "std"),
        boot_coverage=("boot_cover", "mean"),
        wald_coverage=("wald_cover", "mean"),
        boot_width=("boot_width", "mean"),
        wald_width=("wald_width", "mean"),
    )
    pd.set_option("display.width", 160)
    print(
        f"\n{args.companies} companies x {args.managers} managers x {args.quarters} quarters, "
        f"{args.resamples} bootstrap resamples, nominal {args.level:.0%} intervals "
        f"({time.perf_counter() - started:.0f} s)"
    )
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))
    mc = np.sqrt(args.level * (1 - args.level) / args.companies)
    print(
        f"\nbootstrap coverage over all 8 coefficients: {frame['boot_cover'].mean():.3f} "
        f"(Monte Carlo s.e. per coefficient about {mc:.3f})"
    )
    print(f"clustered Wald coverage over all 8:         {frame['wald_cover'].mean():.3f}")
    order = frame.drop_duplicates(["company", "model"]).groupby("model")["order_ok"].mean()
    print(
        "share of companies whose LMG importance order of the four matches the truth: "
        + ", ".join(f"{m} {v:.2f}" for m, v in order.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

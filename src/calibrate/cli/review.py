"""``calibrate review``: the quarterly review of the year's targets from the actuals so far.

    calibrate review --config data/sample/calibrate.yaml --quarter 2025Q2

writes ``review/`` (see :mod:`calibrate.steps.quarterly_review`) into ``--out``
(default ``<output>/<run_name>-review-<quarter>``) and prints the team figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from calibrate.cli.options import config_arg, load

NAME = "review"
HELP = "quarterly review: each manager's chance of reaching the annual target given the actuals so far"


def configure(p: argparse.ArgumentParser) -> None:
    config_arg(p)
    p.add_argument("--quarter", required=True, help="last quarter with actuals, e.g. 2026Q2")
    p.add_argument("--scenarios", type=int, help="Monte Carlo scenarios (overrides targets.scenarios)")
    p.add_argument("--seed", type=int, help="random seed (overrides the config)")
    p.add_argument("--cut", type=float, default=0.5, help="probability separating likely from unlikely (default 0.5)")
    p.add_argument("--lang", choices=["zh", "en"], help="language of the printed table (overrides the config)")
    p.add_argument("--out", help="output folder (default: <output>/<run_name>-review-<quarter>)")


def execute(args: argparse.Namespace) -> int:
    import pandas as pd

    from calibrate.loading import load_dataset
    from calibrate.steps.quarterly_review import compute_review, team_table, write_review

    config = load(args)
    review = compute_review(config, load_dataset(config), args.quarter, scenarios=args.scenarios, cut=args.cut)
    folder = Path(args.out) if args.out else config.output / f"{config.run_name}-review-{args.quarter}"
    paths = write_review(review, folder, key=config.pseudonym_key())
    summary = review.to_dict()
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(team_table(summary, config.lang).to_string(index=False))
    print(
        f"{summary['fell']} managers fell from likely to unlikely (cut {review.cut:.0%}) since "
        f"{summary['last_review']['through']}, {summary['rose']} rose"
    )
    if summary["improvement_plan_new"] is not None:
        print(f"{summary['improvement_plan_new']} managers newly meet the improvement-plan rule")
    print(f"{len(paths)} files written to {folder / 'review'}")
    return 0

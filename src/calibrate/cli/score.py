"""``calibrate score``: score the managers of a run config and print the grade distribution.

Writes the scoring artifacts (see :mod:`calibrate.steps.scoring`) into ``--out``
(default ``<output>/<run_name>-scoring``), leaving published run folders alone.
Weights: ``--weights FILE``, else ``<output>/<run_name>/weights/proposal.csv`` from
the last run, else the indicator set's defaults.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from calibrate.cli.options import load, override_args

NAME = "score"
HELP = "score managers: composite scores, grades, bonus coefficients and their stability"


def configure(p: argparse.ArgumentParser) -> None:
    override_args(p)
    p.add_argument("--weights", help="CSV with columns indicator, weight (default: the last run's proposal)")
    p.add_argument("--out", help="folder for the scoring files (default: <output>/<run_name>-scoring)")


def execute(args: argparse.Namespace) -> int:
    from calibrate.loading import load_dataset
    from calibrate.steps.base import RunContext
    from calibrate.steps.scoring import score_run, write_scorecard

    config = load(args)
    out = Path(args.out) if args.out else config.output / f"{config.run_name}-scoring"
    ctx = RunContext(config, load_dataset(config), config.run_folder())
    card, source = score_run(ctx, args.weights)
    write_scorecard(
        card, out, ctx.dataset.indicator_set, weights_source=source, key=config.pseudonym_key(), lang=config.lang
    )
    table = card.distribution()
    print(
        f"{card.year} ({', '.join(card.periods)}): {int(card.annual['score'].notna().sum())} managers scored "
        f"with weights from {source}"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1%}"))
    print(
        f"improvement plans: {int(card.annual['improvement_plan'].sum())}; "
        f"on a grade boundary: {int(card.annual['on_boundary'].sum())}; "
        f"bonus total: {card.annual['bonus'].sum():,.1f}"
    )
    print(f"scoring files written to {out}")
    return 0

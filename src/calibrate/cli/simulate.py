"""``calibrate simulate``: next year's target plans and their bonus cost, without the reports.

    calibrate simulate --config data/sample/calibrate.yaml --scenarios 20000 --probability 0.75

writes the ``targets/`` artifacts (see :mod:`calibrate.steps.targets`) into
``--out`` (default ``<output>/<run_name>-simulate``) and prints the plan table.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from calibrate.cli.options import config_arg, load

NAME = "simulate"
HELP = "simulate next year's target plans: share reaching target and bonus cost"


def configure(p: argparse.ArgumentParser) -> None:
    config_arg(p)
    p.add_argument("--scenarios", type=int, help="Monte Carlo scenarios (overrides targets.scenarios)")
    p.add_argument(
        "--probability",
        type=float,
        help="difficulty of calibrated targets: chance of reaching them, e.g. 0.7 (overrides targets.probability)",
    )
    p.add_argument("--seed", type=int, help="random seed (overrides the config)")
    p.add_argument("--lang", choices=["zh", "en"], help="language of the printed table (overrides the config)")
    p.add_argument("--out", help="folder for the artifacts (default: <output>/<run_name>-simulate)")


def execute(args: argparse.Namespace) -> int:
    import pandas as pd

    from calibrate.loading import load_dataset
    from calibrate.steps import artifacts as declared
    from calibrate.steps.targets import compute_targets, plans_table, write_target_artifacts
    from calibrate.targets.plan import TargetSettings

    config = load(args)
    settings = TargetSettings.from_config(config.targets, scenarios=args.scenarios, probability=args.probability)
    config = dataclasses.replace(
        config, targets={**config.targets, "scenarios": settings.scenarios, "probability": settings.probability}
    )
    dataset = load_dataset(config)
    plan, bt, reason = compute_targets(config, dataset, settings)
    folder = Path(args.out) if args.out else config.output / f"{config.run_name}-simulate"
    paths = write_target_artifacts(plan, bt, folder, key=config.pseudonym_key(), backtest_reason=reason)
    plans = declared.read_file(declared.in_folder(folder, "targets.plans"), "targets.plans")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(plans_table(plans, config.lang).to_string(index=False))
    if bt is None:
        print(f"backtest not run: {reason}")
    else:
        print(
            f"backtest {bt.year}: Brier {bt.brier:.3f} (skill {bt.brier_skill:.2f}), expected share "
            f"{bt.expected_share:.1%}, realised {bt.realised_share:.1%}"
        )
    print(f"{len(paths)} files written to {folder}")
    return 0

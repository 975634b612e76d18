"""``calibrate runs``: the runs in a reports folder with year, indicator set, recommendation and status.

calibrate runs --reports reports
"""

from __future__ import annotations

import argparse

NAME = "runs"
HELP = "list the runs in a reports folder: year, indicator set, recommendation, status"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reports", default="reports", help="folder that holds run folders (default: reports)")


def execute(args: argparse.Namespace) -> int:
    import pandas as pd

    from calibrate.report.runs import list_runs

    runs = list_runs(args.reports)
    if runs.empty:
        print(f"no runs in {args.reports}")
        return 0
    shown = runs.astype(object).where(runs.notna(), "-")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(shown.to_string(index=False))
    return 0

"""``calibrate run``: validate the data and produce the whole run folder of reports."""

from __future__ import annotations

import argparse

from calibrate.cli.options import load, override_args

NAME = "run"
HELP = "validate the data and produce the whole run folder of reports"


def configure(p: argparse.ArgumentParser) -> None:
    override_args(p)
    p.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these steps, e.g. 01_data_quality")
    p.add_argument(
        "--scheduler",
        help="where the weights bootstrap, the Monte Carlo and the grade-stability draws "
        "run: local, local:N "
        "or a Dask scheduler address such as tcp://host:8786 (overrides the config)",
    )


def execute(args: argparse.Namespace) -> int:
    from calibrate.errors import ValidationError
    from calibrate.pipeline import run

    config = load(args)
    try:
        run(config, notebooks=args.only)
    except ValidationError as exc:
        exc.lang = config.lang  # the problems are printed in the run's language (cli/app.py)
        raise
    return 0

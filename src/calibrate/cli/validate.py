"""``calibrate validate``: check the data and print every problem with file, row and column."""

from __future__ import annotations

import argparse

from calibrate.cli.options import config_arg, config_path

NAME = "validate"
HELP = "check the data and print every problem with file, row and column"


def configure(p: argparse.ArgumentParser) -> None:
    config_arg(p)


def execute(args: argparse.Namespace) -> int:
    from calibrate.config import load_config
    from calibrate.loading import validate

    report = validate(load_config(config_path(args)))
    print(report.text())
    return 0 if report.ok else 1

"""``calibrate validate``: check the data and print every problem with file, row and column.

The findings are printed in the config's language (``lang``), or in ``--lang``'s.
"""

from __future__ import annotations

import argparse

from calibrate.cli.options import config_arg, config_path

NAME = "validate"
HELP = "check the data and print every problem with file, row and column"


def configure(p: argparse.ArgumentParser) -> None:
    config_arg(p)
    p.add_argument("--lang", choices=["zh", "en"], help="language of the printed findings (overrides the config)")


def execute(args: argparse.Namespace) -> int:
    from calibrate.config import load_config
    from calibrate.errors import ValidationError
    from calibrate.loading import validate
    from calibrate.messages.findings import problems_text, report_text

    config = load_config(config_path(args), {"lang": args.lang})
    try:
        report = validate(config)
    except ValidationError as exc:  # a source that stops while it is read (deals, monthly rows)
        print(problems_text(exc.problems, config.lang))
        return 1
    print(report_text(report, config.lang))
    return 0 if report.ok else 1

"""Command line: ``calibrate init | run | validate | sample | weights | simulate | score | review | runs | schema | notebooks``.

Errors a user can fix (bad data, bad config) are printed without a traceback and
the command exits with status 1; ``--debug`` shows the traceback.

Every command is a module of this package with ``NAME``, ``HELP``, ``configure(parser)``
and ``execute(args)``; the modules import nothing scientific at import time, so
``calibrate --help`` and ``calibrate --version`` start instantly. The list below is
every command; there is no discovery.
"""

from __future__ import annotations

import argparse
import sys

from calibrate import __version__
from calibrate.cli import init, notebooks, review, run, runs, sample, schema, score, simulate, validate, weights
from calibrate.errors import CalibrateError, ValidationError

COMMANDS = (init, run, validate, sample, weights, simulate, score, review, runs, schema, notebooks)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calibrate",
        description="Evidence-based indicator weights and target difficulty for account-manager performance systems.",
    )
    parser.add_argument("--version", action="version", version=f"calibrate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.configure(p)
        p.set_defaults(func=command.execute)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
        lang = exc.lang
        if lang:  # a command that knows the run's language: the findings in it (messages/findings.py)
            from calibrate.messages import text
            from calibrate.messages.findings import problems_text

            print(text("validation_text.run_stopped", lang), file=sys.stderr)
            print(problems_text(exc.problems, lang, limit=50, heading="found"), file=sys.stderr)
        else:
            print(f"calibrate: the data has problems; nothing was written.\n{exc}", file=sys.stderr)
        return 1
    except CalibrateError as exc:
        if args.debug:
            raise
        print(f"calibrate: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("calibrate: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

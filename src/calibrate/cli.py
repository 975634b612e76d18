"""Command line: ``calibrate run | validate | sample | weights | simulate | score``.

Errors a user can fix (bad data, bad config) are printed without a traceback and
the command exits with status 1; ``--debug`` shows the traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from calibrate.errors import CalibrateError, ValidationError

SUBCOMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def subcommand(name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None]):
    def register(func: Callable[[argparse.Namespace], int]):
        SUBCOMMANDS[name] = (help_text, configure, func)
        return func
    return register


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", default=None,
                   help="run config YAML (default: data/sample/calibrate.yaml)")


def _config_path(args: argparse.Namespace) -> Path:
    from calibrate.dataset import sample_config_path

    return Path(args.config) if args.config else sample_config_path()


def _load(args: argparse.Namespace):
    from calibrate.config import load_config

    overrides = {k: getattr(args, k, None) for k in ("lang", "run_name", "seed")}
    if getattr(args, "output", None):
        overrides["output"] = args.output
    return load_config(_config_path(args), overrides)


def override_args(p: argparse.ArgumentParser) -> None:
    """--config and the settings a command may override: --lang, --run-name, --output, --seed."""
    _config_arg(p)
    p.add_argument("--lang", choices=["zh", "en"], help="report language (overrides the config)")
    p.add_argument("--run-name", dest="run_name", help="run folder name (overrides the config)")
    p.add_argument("--output", help="folder that holds run folders (overrides the config)")
    p.add_argument("--seed", type=int, help="random seed (overrides the config)")


def _run_args(p: argparse.ArgumentParser) -> None:
    override_args(p)
    p.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these steps, e.g. 01_data_quality")


@subcommand("run", "validate the data and produce the whole run folder of reports", _run_args)
def _cmd_run(args: argparse.Namespace) -> int:
    from calibrate.pipeline import run

    run(_load(args), notebooks=args.only)
    return 0


@subcommand("validate", "check the data and print every problem with file, row and column", _config_arg)
def _cmd_validate(args: argparse.Namespace) -> int:
    from calibrate.config import load_config
    from calibrate.dataset import validate

    report = validate(load_config(_config_path(args)))
    print(report.text())
    return 0 if report.ok else 1


def _sample_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", nargs="?", default="data/sample", help="where to write (default data/sample)")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--managers", type=int, default=400)
    p.add_argument("--quarters", type=int, default=12)


@subcommand("sample", "write the synthetic sample company (with its known truth)", _sample_args)
def _cmd_sample(args: argparse.Namespace) -> int:
    from calibrate.sample import SampleSpec, write_sample

    if args.managers < 10 or args.quarters < 8:
        raise CalibrateError("the sample needs at least 10 managers and 8 quarters")
    paths = write_sample(args.folder, SampleSpec(n_managers=args.managers, n_quarters=args.quarters), seed=args.seed)
    for name, path in paths.items():
        print(f"{name:18s} {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, configure, func) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    _register_optional_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
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


def _register_optional_commands() -> None:
    """Commands that live beside their modules (weights, targets, scoring) register on import."""
    import importlib

    for module in ("calibrate.weights.cli", "calibrate.targets.cli", "calibrate.scoring.cli"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


if __name__ == "__main__":
    sys.exit(main())

"""Options shared by several commands: the run config and the settings a command may override."""

from __future__ import annotations

import argparse
from pathlib import Path


def config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", "-c", default=None, help="run config YAML (default: the sample company shipped with the package)"
    )


def config_path(args: argparse.Namespace) -> Path:
    from calibrate.loading import sample_config_path

    return Path(args.config) if args.config else sample_config_path()


def load(args: argparse.Namespace):
    """The run config named by --config, with the command line's overrides applied."""
    from calibrate.config import load_config

    overrides = {k: getattr(args, k, None) for k in ("lang", "run_name", "seed", "scheduler")}
    if getattr(args, "output", None):
        overrides["output"] = args.output
    return load_config(config_path(args), overrides)


def override_args(p: argparse.ArgumentParser) -> None:
    """--config and the settings a command may override: --lang, --run-name, --output, --seed."""
    config_arg(p)
    p.add_argument("--lang", choices=["zh", "en"], help="report language (overrides the config)")
    p.add_argument("--run-name", dest="run_name", help="run folder name (overrides the config)")
    p.add_argument("--output", help="folder that holds run folders (overrides the config)")
    p.add_argument("--seed", type=int, help="random seed (overrides the config)")

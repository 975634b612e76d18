"""``calibrate sample``: write the synthetic sample company (with its known truth)."""

from __future__ import annotations

import argparse

NAME = "sample"
HELP = "write the synthetic sample company (with its known truth)"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", nargs="?", default="data/sample", help="where to write (default data/sample)")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--managers", type=int, default=400)
    p.add_argument("--quarters", type=int, default=12)


def execute(args: argparse.Namespace) -> int:
    from calibrate.errors import CalibrateError
    from calibrate.sample import SampleSpec, write_sample

    if args.managers < 10 or args.quarters < 8:
        raise CalibrateError("the sample needs at least 10 managers and 8 quarters")
    paths = write_sample(args.folder, SampleSpec(n_managers=args.managers, n_quarters=args.quarters), seed=args.seed)
    for name, path in paths.items():
        print(f"{name:18s} {path}")
    return 0

"""``calibrate init DIR``: a company folder to fill in (commented config, indicator set, Excel input workbook)."""

from __future__ import annotations

import argparse

NAME = "init"
HELP = "write a company folder to fill in: a commented config, the indicator set and an Excel input workbook"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", help="the folder to create (e.g. acme)")
    p.add_argument(
        "--template",
        default="account_manager",
        help="the indicator set to start from (account_manager, key_account_director, ...)",
    )
    p.add_argument("--lang", default="zh", choices=("zh", "en"), help="language of the workbook's headers and notes")
    p.add_argument("--year", type=int, default=None, help="the year to review (default: last calendar year)")
    p.add_argument("--force", action="store_true", help="overwrite the files if they exist")


def execute(args: argparse.Namespace) -> int:
    from calibrate.scaffold import init_company

    paths = init_company(args.folder, template=args.template, lang=args.lang, year=args.year, force=args.force)
    for name, path in paths.items():
        print(f"{name:14s} {path}")
    print(
        f"next: fill in {paths['workbook'].name}, then "
        f"calibrate validate --config {paths['config']} and calibrate run --config {paths['config']}"
    )
    return 0

"""``calibrate schema``: print the JSON Schema of a run config (for YAML editors)."""

from __future__ import annotations

import argparse

NAME = "schema"
HELP = "print the JSON Schema of the run config (for YAML editors)"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", type=str, default=None, help="write the schema to this file instead of printing it")


def execute(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from calibrate.config import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0

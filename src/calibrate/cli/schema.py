"""``calibrate schema``: print the JSON Schema of a run config (for YAML editors), or of the notebook parameters."""

from __future__ import annotations

import argparse

NAME = "schema"
HELP = "print the JSON Schema of the run config (for YAML editors) or, with --notebooks, of the notebook parameters"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", type=str, default=None, help="write the schema to this file instead of printing it")
    p.add_argument(
        "--notebooks",
        action="store_true",
        help="the parameters of every notebook (papermill -p NAME VALUE) instead of the run config",
    )


def execute(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    if args.notebooks:
        from calibrate.notebook_params import notebooks_json_schema as schema
    else:
        from calibrate.config import json_schema as schema

    text = json.dumps(schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0

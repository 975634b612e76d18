"""``calibrate weights``: run the weights step alone and print the proposal.

    calibrate weights [--config FILE] [--bootstrap N] [--output DIR] [--lang zh|en] [--seed N] [--report]

The artifacts go to ``DIR/weights/`` (default DIR: ``<config output>/<run_name>-weights``),
written atomically: the folder is replaced only when everything succeeded. With
``--report`` the 02_weights notebook is executed too and rendered to ``DIR/02_weights.html``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from calibrate.cli.options import config_arg, config_path

NAME = "weights"
HELP = "propose indicator weights from the evidence, experts and last year's weights"


def configure(p: argparse.ArgumentParser) -> None:
    config_arg(p)
    p.add_argument("--bootstrap", type=int, help="bootstrap resamples (overrides weights.bootstrap; 0 = none)")
    p.add_argument("--output", help="folder to write into (default: <output>/<run_name>-weights)")
    p.add_argument("--lang", choices=["zh", "en"], help="language of labels and headers (overrides the config)")
    p.add_argument("--seed", type=int, help="random seed (overrides the config)")
    p.add_argument("--report", action="store_true", help="also execute the 02_weights notebook and write its HTML")


def execute(args: argparse.Namespace) -> int:
    from calibrate.config import load_config
    from calibrate.errors import CalibrateError
    from calibrate.loading import load_dataset
    from calibrate.pipeline import notebook_parameters
    from calibrate.report import atomic_run_folder, execute_notebook, render_html
    from calibrate.steps.base import RunContext, copy_indicator_set
    from calibrate.steps.weights import weights_step
    from calibrate.steps.weights_workbook import localise, localise_codes

    config = load_config(config_path(args), {"lang": args.lang, "seed": args.seed})
    if args.bootstrap is not None:
        if args.bootstrap < 0:
            raise CalibrateError(f"--bootstrap must be 0 or more resamples, got {args.bootstrap}")
        config = _with_bootstrap(config, args.bootstrap)
    out = Path(args.output) if args.output else config.output / f"{config.run_name}-weights"
    dataset = load_dataset(config)
    with atomic_run_folder(out) as folder:
        ctx = RunContext(config, dataset, folder)
        copy_indicator_set(ctx)
        weights_step(ctx)
        if args.report:
            nb = execute_notebook(
                "02_weights",
                notebook_parameters(config, folder),
                folder,
                timeout=int(config.report.get("timeout", 900)),
            )
            render_html(
                nb, folder / "02_weights.html", title="指标权重" if config.lang == "zh" else "Indicator weights"
            )
        result = ctx.cache["weights"]
    table = result.to_frame(config.lang)[
        ["label", "dimension_label", "weight", "ci_low", "ci_high", "last_year", "change", "binding"]
    ]
    shown = localise(localise_codes(table, config.lang), config.lang)
    for col in ("weight", "ci_low", "ci_high", "last_year", "change"):
        name = localise(table[[col]], config.lang).columns[0]
        shown[name] = [("" if v != v else (f"{v:+.1%}" if col == "change" else f"{v:.1%}")) for v in table[col]]
    print(shown.to_string(index=False))
    if result.warnings:
        print(f"\n{len(result.warnings)} warning(s); see {out / 'weights' / 'warnings.csv'}")
    print(f"\nweights written to {out / 'weights'}")
    return 0


def _with_bootstrap(config, resamples: int):
    from dataclasses import replace

    return replace(config, weights={**config.weights, "bootstrap": int(resamples)})

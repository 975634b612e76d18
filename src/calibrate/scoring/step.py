"""The scoring step of a run (report ``05_scoring``): score managers, write ``scoring/``, draw the report.

Weights come from ``weights/proposal.csv`` in the run folder when the weights step
wrote it, else from the indicator set's defaults; the bonus base is the run's
``targets: bonus_base``.
"""
from __future__ import annotations

from pathlib import Path

from calibrate.pipeline import RunContext, Step, register_step
from calibrate.scoring.outputs import resolve_weights, write_scorecard
from calibrate.scoring.scorecard import Scorecard, build_scorecard
from calibrate.scoring.settings import ScoringSettings


def score_run(ctx: RunContext, weights_file: str | Path | None = None) -> tuple[Scorecard, str]:
    """The scorecard of a run and where its weights came from (see :func:`resolve_weights`)."""
    config, ds = ctx.config, ctx.dataset
    settings = ScoringSettings.from_section(config.scoring, ds.indicator_set)
    weights, source = resolve_weights(ctx.folder, ds.indicator_set, weights_file)
    card = build_scorecard(ds, settings, weights, year=config.year or None, seed=config.seed,
                           bonus_base=float(config.targets["bonus_base"]), panel=ctx.panel())
    return card, source


def scoring_step(ctx: RunContext) -> list[Path]:
    card, source = score_run(ctx)
    return write_scorecard(card, ctx.path("scoring"), ctx.dataset.indicator_set, weights_source=source,
                           salt=ctx.config.salt, lang=ctx.config.lang)


register_step(Step("scoring", "05_scoring", "客户经理评分与评级", "Manager scores and grades", scoring_step))

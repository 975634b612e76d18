"""The data-quality step (report ``01_data_quality``): what was read, coverage, raters, indicator summaries."""
from __future__ import annotations

from pathlib import Path

from calibrate import artifacts
from calibrate.privacy import pseudonymise_text
from calibrate.quality import coverage_by_quarter, data_summary, indicator_summary, rater_counts, table_overview
from calibrate.steps.base import RunContext, Step


def data_quality_step(ctx: RunContext) -> list[Path]:
    ds, lang = ctx.dataset, ctx.config.lang
    panel = ctx.panel()
    return [
        artifacts.write_csv(_validation_frame(ctx), ctx.path("data/validation.csv")),
        artifacts.write_csv(table_overview(ds), ctx.path("data/tables.csv")),
        artifacts.write_csv(coverage_by_quarter(ds), ctx.path("data/coverage.csv")),
        artifacts.write_csv(rater_counts(ds), ctx.path("data/raters.csv")),
        artifacts.write_csv(indicator_summary(panel, ds.indicator_set, lang), ctx.path("data/indicators.csv")),
        artifacts.write_parquet(panel, ctx.path("data/panel.parquet")),
        artifacts.write_json(data_summary(ds), ctx.path("data/summary.json")),
    ]


def _validation_frame(ctx: RunContext):
    """Validation findings; in a pseudonymised run the manager IDs in messages become pseudonyms."""
    frame = ctx.dataset.report.to_frame()
    if ctx.config.pseudonymise and len(frame):
        ids, key = ctx.dataset.managers["manager_id"].dropna().tolist(), ctx.config.pseudonym_key()
        frame["message"] = frame["message"].map(lambda m: pseudonymise_text(m, ids, key))
    return frame


STEP = Step("data_quality", "01_data_quality", "数据质量", "Data quality", data_quality_step)

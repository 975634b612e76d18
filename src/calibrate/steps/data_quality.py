"""The data-quality step (report ``01_data_quality``): what was read, coverage, raters, indicator summaries.

``data/aggregation.csv`` lists how monthly or daily rows were made quarters (column, rule, rows
read and kept); it is empty when every table came in quarters.
"""
from __future__ import annotations

from pathlib import Path

from calibrate import artifacts
from calibrate.quality import coverage_by_quarter, data_summary, indicator_summary, rater_counts, table_overview
from calibrate.sources import aggregation_frame
from calibrate.steps.base import RunContext, Step


def data_quality_step(ctx: RunContext) -> list[Path]:
    ds, lang = ctx.dataset, ctx.config.lang
    panel = ctx.panel()
    return [
        artifacts.write_csv(ds.report.to_frame(), ctx.path("data/validation.csv")),
        artifacts.write_csv(table_overview(ds), ctx.path("data/tables.csv")),
        artifacts.write_csv(aggregation_frame(ds.sources), ctx.path("data/aggregation.csv")),
        artifacts.write_csv(coverage_by_quarter(ds), ctx.path("data/coverage.csv")),
        artifacts.write_csv(rater_counts(ds), ctx.path("data/raters.csv")),
        artifacts.write_csv(indicator_summary(panel, ds.indicator_set, lang), ctx.path("data/indicators.csv")),
        artifacts.write_parquet(panel, ctx.path("data/panel.parquet")),
        artifacts.write_json(data_summary(ds), ctx.path("data/summary.json")),
    ]


STEP = Step("data_quality", "01_data_quality", "数据质量", "Data quality", data_quality_step)

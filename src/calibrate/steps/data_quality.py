"""The data-quality step (report ``01_data_quality``): what was read, coverage, raters, indicator summaries.

``data/aggregation.csv`` lists how monthly or daily rows were made quarters (column, rule, rows
read and kept); it is empty when every table came in quarters.
"""
from __future__ import annotations

from pathlib import Path

from calibrate.privacy import pseudonymise_text
from calibrate.quality import coverage_by_quarter, data_summary, indicator_summary, rater_counts, table_overview
from calibrate.sources import aggregation_frame
from calibrate.steps import artifacts as declared
from calibrate.steps.base import RunContext, Step


def data_quality_step(ctx: RunContext) -> list[Path]:
    ds, lang = ctx.dataset, ctx.config.lang
    panel = ctx.panel()
    folder = ctx.path(declared.FOLDERS["data"])
    return [
        declared.write(folder, "data.validation", _validation_frame(ctx)),
        declared.write(folder, "data.tables", table_overview(ds)),
        declared.write(folder, "data.aggregation", aggregation_frame(ds.sources)),
        declared.write(folder, "data.coverage", coverage_by_quarter(ds)),
        declared.write(folder, "data.raters", rater_counts(ds)),
        declared.write(folder, "data.indicators", indicator_summary(panel, ds.indicator_set, lang)),
        declared.write(declared.path(ctx.folder, "data.panel").parent, "data.panel", panel),   # real IDs: private/
        declared.write(folder, "data.summary", data_summary(ds)),
    ]


def _validation_frame(ctx: RunContext):
    """Validation findings; in a pseudonymised run the manager IDs in messages become pseudonyms."""
    frame = ctx.dataset.report.to_frame()
    if ctx.config.pseudonymise and len(frame):
        ids, key = ctx.dataset.managers["manager_id"].dropna().tolist(), ctx.config.pseudonym_key()
        frame["message"] = frame["message"].map(lambda m: pseudonymise_text(m, ids, key))
    return frame


STEP = Step("data_quality", "01_data_quality", "数据质量", "Data quality", data_quality_step)

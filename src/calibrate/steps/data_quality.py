"""The data-quality step (report ``01_data_quality``): what was read, coverage, raters, indicator summaries.

``data/aggregation.csv`` lists how monthly or daily rows were made quarters (column, rule, rows
read and kept); it is empty when every table came in quarters.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibrate.messages import has, text
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
        declared.write(declared.path(ctx.folder, "data.panel").parent, "data.panel", panel),  # real IDs: private/
        declared.write(folder, "data.summary", data_summary(ds)),
    ]


def _validation_frame(ctx: RunContext):
    """Validation findings (code, params, English message); in a pseudonymised run the manager IDs in
    messages and in params become pseudonyms."""
    frame = ctx.dataset.report.to_frame()
    if ctx.config.pseudonymise and len(frame):
        ids, key = ctx.dataset.managers["manager_id"].dropna().tolist(), ctx.config.pseudonym_key()
        frame["message"] = frame["message"].map(lambda m: pseudonymise_text(m, ids, key))
        frame["params"] = frame["params"].map(lambda p: _pseudonymised_params(p, ids, key))
    return frame


def _pseudonymised_params(params: str, ids, key: bytes) -> str:
    """Every text in the params (JSON), and in their lists, with manager IDs replaced as in the message."""
    import json

    def inert(value):
        if isinstance(value, str):
            return pseudonymise_text(value, ids, key)
        return [inert(v) for v in value] if isinstance(value, list) else value

    return json.dumps({k: inert(v) for k, v in json.loads(params).items()}, sort_keys=True, ensure_ascii=False)


STEP = Step("data_quality", "01_data_quality", data_quality_step)


# ---------------------------------------------------------------------------- for the notebook
#: Columns whose values are codes shown to readers in their words (``data_report.<prefix>_<code>``).
_CODES = {
    "kind": "kind",
    "table": "table",
    "unit": "unit",
    "direction": "direction",
    "rule": "rule",
    "severity": "severity",
}


def intro(summary: dict, lang: str) -> str:
    """The headline sentence: managers, regions, quarters, new hires, validation counts."""
    return text(
        "data_report.intro",
        lang,
        managers=summary["managers"],
        regions=summary["regions"],
        quarters=summary["quarters"],
        first=summary["first_quarter"],
        last=summary["last_quarter"],
        new_hires=summary["new_hires_in_panel"],
        problems=summary["problems"],
        warnings=summary["warnings"],
    )


def display_table(
    frame: pd.DataFrame, lang: str, *, percent: tuple[str, ...] = (), drop: tuple[str, ...] = (), digits: int = 3
):
    """A data-quality table for the page: headers and codes (source kinds, table names, units, directions,
    aggregation rules) in the page language from ``data_report.*``, percentages, no index column."""
    from calibrate import plotting

    shown = frame.drop(columns=[c for c in drop if c in frame.columns]).copy()
    for column in percent:
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{100 * v:.1f}%")
    for column, prefix in _CODES.items():
        if column in shown:
            shown[column] = [_word(f"{prefix}_{v}", v, lang) for v in shown[column]]
    shown.columns = [_word(f"col_{c}", c, lang) for c in shown.columns]
    return plotting.table(shown, digits=digits)


def findings_table(validation: pd.DataFrame, lang: str):
    """The validation findings for the page: severity, where (file, row, column) and what, each in the
    page language from the catalogue (``validation.<code>``, ``validation_text.where_*``)."""
    from calibrate import plotting
    from calibrate.messages.findings import message, where

    if "code" not in validation:  # a run folder written before findings had codes
        validation = validation.assign(code="", params="{}")
    rows = [
        {
            text("data_report.col_severity", lang): _word(f"severity_{r.severity}", r.severity, lang),
            text("validation_text.col_where", lang): where(r.source, _cell(r.row), _cell(r.column), lang),
            text("validation_text.col_finding", lang): message(
                _cell(r.code) or "", _cell(r.params) or "{}", r.message, lang
            ),
        }
        for r in validation.itertuples(index=False)
    ]
    return plotting.table(pd.DataFrame(rows))


def _cell(value):
    """A cell of a table read back from disk: ``None`` for a blank (NaN)."""
    return None if value is None or (isinstance(value, float) and value != value) else value


def _word(key: str, fallback, lang: str):
    return text(f"data_report.{key}", lang) if has(f"data_report.{key}", lang) else fallback

"""``weights.xlsx`` for HR: one formatted sheet per table, headers in the page language (``workbook.*`` of
the message catalogue).

Weights are shown as percentages, coefficients with four decimals, headers in
bold on a tinted row, the header frozen, and columns wide enough for their
content (CJK characters count double). The workbook's creation date is fixed
(:data:`CREATED`), so the same tables give the same bytes.

>>> write_weights_workbook({"proposal": frame}, "weights.xlsx", lang="zh")   # doctest: +SKIP
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.artifacts import neutralise_text
from calibrate.messages import has, text

__all__ = ["CREATED", "SHEETS", "header", "localise", "localise_codes", "write_weights_workbook"]

#: Fixed creation timestamp written into the workbook's properties (reproducible bytes).
CREATED = datetime(2000, 1, 1, 0, 0, 0)

_PERCENT = {
    "weight",
    "ci_low",
    "ci_high",
    "last_year",
    "change",
    "target",
    "from_evidence",
    "from_ahp",
    "from_baseline",
    "adjustment",
    "equal",
    "entropy",
    "critic",
    "ahp",
    "lmg_revenue",
    "lmg_retention",
    "evidence",
    "proposal",
    "boot_mean",
    "boot_sd",
}
_FOUR = {
    "coef",
    "se",
    "std_coef",
    "aligned",
    "elasticity",
    "elasticity_low",
    "elasticity_high",
    "boot_low",
    "boot_high",
}
_THREE = {"p_value", "consistency_ratio", "r_squared"}
_TWO = {"vif", "growth_ols", "growth_mixed", "retention_glm", "worst_value", "consistent_value", "suggested_value"}


#: Sheets in their order; each name is ``workbook.sheet_<key>`` of the message catalogue.
SHEETS = ("proposal", "blend", "methods", "regressions", "fit", "ahp", "diagnostics", "warnings")
_CODE_COLUMNS = ("binding", "model", "outcome", "source")


def localise_codes(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Replace codes (binding rules such as ``cap+band_high``, model and outcome ids) by readable words
    (``workbook.code_<code>``; a code without words stays as it is)."""
    out = frame.copy()
    sep = text("workbook.code_sep", lang)
    for col in _CODE_COLUMNS:
        if col in out.columns:
            out[col] = [
                sep.join(_words(f"workbook.code_{part}", part, lang) for part in str(v).split("+"))
                if isinstance(v, str) and v
                else v
                for v in out[col]
            ]
    return out


def header(column: str, lang: str) -> str:
    """The reader-facing header of a column (``workbook.col_<column>``; the column name itself when unknown)."""
    return _words(f"workbook.col_{column}", column, lang)


def localise(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The same table with reader-facing headers."""
    return frame.rename(columns={c: header(c, lang) for c in frame.columns})


def _words(key: str, fallback: str, lang: str) -> str:
    return text(key, lang) if has(key, lang) else fallback


def _width(value) -> int:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_weights_workbook(tables: Mapping[str, pd.DataFrame], path: str | Path, *, lang: str = "zh") -> Path:
    """Write ``tables`` (sheet key -> DataFrame, see :data:`SHEETS`) to an .xlsx file with HR formatting."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    wb.set_properties({"title": text("workbook.title", lang), "author": "calibrate", "created": CREATED})
    head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    fmts = {
        "pct": wb.add_format({"num_format": "0.0%"}),
        "four": wb.add_format({"num_format": "0.0000"}),
        "three": wb.add_format({"num_format": "0.000"}),
        "two": wb.add_format({"num_format": "0.00"}),
        "text": wb.add_format({}),
    }
    for key, frame in tables.items():
        name = _words(f"workbook.sheet_{key}", key, lang)[:31]
        ws = wb.add_worksheet(name)
        frame = localise_codes(frame, lang)
        columns = list(frame.columns)
        for j, col in enumerate(columns):
            ws.write_string(0, j, neutralise_text(header(col, lang)), head)
            kind = (
                "pct"
                if col in _PERCENT
                else "four"
                if col in _FOUR
                else "three"
                if col in _THREE
                else "two"
                if col in _TWO
                else "text"
            )
            values = frame[col].tolist()
            for i, v in enumerate(values, start=1):
                _write(ws, i, j, v, fmts[kind])
            shown = [_shown(v, kind) for v in values]
            width = max([_width(header(col, lang))] + [_width(s) for s in shown])
            ws.set_column(j, j, min(max(width + 2, 8), 60))
        ws.freeze_panes(1, 0)
        if len(frame):
            ws.autofilter(0, 0, len(frame), max(len(columns) - 1, 0))
    wb.close()
    return path


def _write(ws, row: int, col: int, value, fmt) -> None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value))
    elif isinstance(value, (int, float, np.integer, np.floating)):
        ws.write_number(row, col, float(value), fmt)
    else:
        ws.write_string(row, col, neutralise_text(str(value)))  # never a formula (OWASP CSV injection)


def _shown(value, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        digits = {"pct": "{:.1%}", "four": "{:.4f}", "three": "{:.3f}", "two": "{:.2f}"}.get(kind, "{:g}")
        return digits.format(float(value))
    return str(value)

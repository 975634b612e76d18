"""Check the indicator columns once at the boundary, fill gaps if asked, then standardize or centre them.

Every problem is reported at once as a :class:`~calibrate.errors.ValidationError`
whose lines name the column (and the row, counted as in a spreadsheet: header
row 1, first record row 2) and say what to do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate.errors import Problem, ValidationError
from calibrate.pls.spec import PathModel

_MAX_CELL_PROBLEMS = 20  # per column, so one bad column does not hide the others


def indicator_matrix(
    data: pd.DataFrame, model: PathModel, *, source: str = "data", allow_missing: bool = False
) -> np.ndarray:
    """The model's indicator columns as a float matrix (rows x indicators, block order).

    Raises ``ValidationError`` when a column is missing, not numeric, has
    missing values (unless ``allow_missing``: gaps stay NaN) or is constant
    over its answered rows.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            [Problem(source, None, None, f"expected a table (pandas DataFrame), got {type(data).__name__}")]
        )
    problems: list[Problem] = []
    owner = {c: b.name for b in model.blocks for c in b.indicators}
    columns: list[np.ndarray] = []
    for col in model.indicators:
        if col not in data.columns:
            problems.append(Problem(source, None, col, f"column not found; block {owner[col]!r} expects it"))
            continue
        values, found = _numeric_column(data[col], source, col, owner[col], allow_missing)
        problems += found
        columns.append(values)
    if len(data) < 3:
        problems.append(Problem(source, None, None, f"has {len(data)} row(s); a path model needs at least 3"))
    if problems:
        raise ValidationError(problems)
    return np.column_stack(columns)


def standardize(x: np.ndarray) -> np.ndarray:
    """Columns centred to mean 0 and scaled to standard deviation 1 (n - 1 divisor)."""
    sd = x.std(axis=0, ddof=1)
    return (x - x.mean(axis=0)) / sd


def prepare(x: np.ndarray, scaled: bool = True) -> np.ndarray:
    """Standardized columns, or with ``scaled=False`` columns centred only (kept in their own units)."""
    return standardize(x) if scaled else x - x.mean(axis=0)


def replace_by_means(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Each missing cell replaced by its column's mean over the answered rows; returns (matrix, cells filled).

    This is seminr's ``mean_replacement`` (Hair, Hult, Ringle & Sarstedt 2017,
    *A Primer on PLS-SEM*, 2nd ed.), also SmartPLS's "mean replacement".
    """
    gaps = np.isnan(x)
    if not gaps.any():
        return x, 0
    filled = np.where(gaps, np.nanmean(x, axis=0), x)
    return filled, int(gaps.sum())


def is_constant(x: np.ndarray) -> np.ndarray:
    """Which columns of ``x`` have (numerically) no spread."""
    spread = np.ptp(x, axis=0)
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    return spread <= 1e-12 * scale


def _numeric_column(
    series: pd.Series, source: str, col: str, block: str, allow_missing: bool = False
) -> tuple[np.ndarray, list[Problem]]:
    problems: list[Problem] = []
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(series):
        problems.append(Problem(source, None, col, "holds true/false values; code them as numbers (0/1)"))
    elif not pd.api.types.is_numeric_dtype(series):
        coerced = pd.to_numeric(series, errors="coerce")
        not_numbers = np.flatnonzero(~missing & coerced.isna().to_numpy())
        for pos in not_numbers[:_MAX_CELL_PROBLEMS]:
            problems.append(
                Problem(
                    source,
                    int(pos) + 2,
                    col,
                    f"{series.iloc[pos]!r} is not a number; block {block!r} needs numeric answers",
                )
            )
        if len(not_numbers) > _MAX_CELL_PROBLEMS:
            problems.append(Problem(source, None, col, f"{len(not_numbers)} non-numeric values in all"))
        series = coerced
    values = series.to_numpy(dtype=float, na_value=np.nan)
    gaps = np.flatnonzero(missing)
    answered = values[~np.isnan(values)]
    if allow_missing:
        if len(answered) < 2:
            problems.append(
                Problem(
                    source,
                    None,
                    col,
                    f"has {len(answered)} answered row(s); block {block!r} needs at least 2 answers in every column",
                )
            )
        gaps = gaps[:0]
    for pos in gaps[:_MAX_CELL_PROBLEMS]:
        problems.append(
            Problem(
                source,
                int(pos) + 2,
                col,
                "value is missing; fill it, drop the row, or fit with missing='mean' (mean replacement)",
            )
        )
    if len(gaps) > _MAX_CELL_PROBLEMS:
        problems.append(Problem(source, None, col, f"{len(gaps)} missing values in all"))
    if not problems and len(answered) and bool(is_constant(answered[:, None])[0]):
        problems.append(
            Problem(
                source,
                None,
                col,
                f"has the same value ({answered[0]:g}) in every row, so it carries no information; "
                f"drop it from block {block!r}",
            )
        )
    return values, problems

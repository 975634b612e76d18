"""Input checks shared by the weight methods: names listed once, columns present and numeric."""

from __future__ import annotations

import pandas as pd

from calibrate.errors import CalibrateError, Problem, ValidationError


def reject_duplicates(names: list[str], noun: str) -> None:
    """Raise CalibrateError naming every entry of ``names`` listed more than once (``noun``: what they are)."""
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CalibrateError(f"{noun}(s) {', '.join(dup)} are listed twice")


def require_columns(data: pd.DataFrame, columns: list[str], source: str) -> None:
    """Raise ValidationError naming every column of ``columns`` that ``data`` lacks."""
    problems = [Problem(source, None, c, "column not found") for c in columns if c not in data.columns]
    if problems:
        raise ValidationError(problems)


def numeric_column(col: pd.Series, name: str, source: str, problems: list[Problem]) -> pd.Series | None:
    """The column as floats (booleans as 0/1, numeric text parsed); None, with a problem added, if it is not."""
    if pd.api.types.is_bool_dtype(col):
        return col.astype(float)
    if not pd.api.types.is_numeric_dtype(col):
        converted = pd.to_numeric(col, errors="coerce")
        bad = col[converted.isna() & col.notna()]
        if len(bad):
            examples = ", ".join(f"{v!r} (index {i})" for i, v in list(bad.items())[:3])
            problems.append(Problem(source, None, name, f"is not numeric: {examples}"))
            return None
        col = converted
    return col.astype(float)

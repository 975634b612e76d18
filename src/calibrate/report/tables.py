"""Tables as a reader sees them: no index column, whole numbers with thousands separators,
fixed decimals, missing values in words, yes/no instead of True/False.

>>> html = show(pd.DataFrame({"n": [1200.0, 3.0], "share": [0.5, None]}), "en", percent=("share",)).data
>>> "1,200" in html and "50.0%" in html and "NaN" not in html and "<th>0</th>" not in html
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from calibrate.messages import format as fmt
from calibrate.messages import text


def formatted(
    frame: pd.DataFrame,
    lang: str,
    *,
    digits: int | Mapping[str, int] = 2,
    percent: tuple[str, ...] = (),
    missing: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Every cell as the string a reader sees (see the module docstring).

    ``digits``: decimals of float columns (one number, or per column); ``percent``: columns of
    shares shown as ``62.5%``; ``missing``: column -> reason key under ``missing.`` (default a dash)."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        reason = (missing or {}).get(col)
        d = digits.get(col, 2) if isinstance(digits, Mapping) else digits
        if col in percent:
            out[col] = [fmt.percent(v, 1, lang=lang, missing=reason) for v in s]
        elif pd.api.types.is_bool_dtype(s) or (
            s.dtype == object and s.dropna().map(type).isin([bool, np.bool_]).all() and s.notna().any()
        ):
            out[col] = [
                fmt.DASH if pd.isna(v) else text("format.yes_word" if bool(v) else "format.no_word", lang) for v in s
            ]
        elif pd.api.types.is_numeric_dtype(s):
            whole = s.dropna().map(lambda v: float(v).is_integer()).all()
            out[col] = [fmt.number(v, 0 if whole else d, lang=lang, missing=reason) for v in s]
        else:
            out[col] = [
                text(f"missing.{reason}", lang) if reason and pd.isna(v) else (fmt.DASH if pd.isna(v) else str(v))
                for v in s
            ]
    return pd.DataFrame(out, columns=list(frame.columns))


def show(frame: pd.DataFrame, lang: str, **options):
    """An IPython HTML table of :func:`formatted` (escaped, no index, numbers right-aligned)."""
    from IPython.display import HTML

    shown = formatted(frame, lang, **options)
    html = shown.to_html(index=False, border=0, classes="dataframe calibrate-table", escape=True)
    return HTML("<style>.calibrate-table td{white-space:nowrap}</style>" + html)

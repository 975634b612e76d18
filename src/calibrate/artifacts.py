"""Artifacts of a run: the files each step writes into the run folder and later steps and notebooks read.

Every artifact is written deterministically (fixed float format, sorted JSON keys),
so that the same config and data give byte-identical files.

CSV files are opened by people in spreadsheets, so a text cell (or column name)
that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is written with
a leading ``'`` (OWASP, "CSV Injection"): a spreadsheet shows it as text and never
runs it as a formula. Numbers stay numbers: only text cells are touched.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FLOAT_FORMAT = "%.10g"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: Any) -> Any:
    """``'`` + text when the text could start a spreadsheet formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot run as spreadsheet formulas."""
    text_columns = [
        c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)
    ]
    needs = any(isinstance(c, str) and c.startswith(FORMULA_START) for c in frame.columns) or any(
        frame[c].map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).any() for c in text_columns
    )
    if not needs:
        return frame
    out = frame.copy()
    for c in text_columns:
        out[c] = out[c].map(neutralise_text)
    out.columns = [neutralise_text(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False) -> Path:
    """``bom=True`` for a CSV meant for people: UTF-8 with a byte-order mark, which Excel on Chinese
    Windows needs to read the file as UTF-8 rather than the local code page (GBK)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = neutralise_formulas(frame)
    frame.to_csv(
        path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n", encoding="utf-8-sig" if bom else "utf-8"
    )
    return path


def write_parquet(frame: Any, path: Path) -> Path:
    """A DataFrame (with its index), or an Arrow table as pandas would have converted it (the same file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, pd.DataFrame):
        frame.to_parquet(path, index=True)
    else:
        import pyarrow.parquet as pq

        pq.write_table(frame, path, compression="snappy")  # pandas' to_parquet default
    return path


def write_json(obj: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=_plain) + "\n", encoding="utf-8"
    )
    return path


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_csv(path: Path) -> pd.DataFrame:
    """Read an artifact CSV, with or without a byte-order mark."""
    return pd.read_csv(path, encoding="utf-8-sig")


def read_parquet(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")

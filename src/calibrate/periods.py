"""Review periods: quarters ``2024Q3``, half-years ``2024H1`` and years ``2024``.

A quarter is the panel's unit of time. Half-year and year values (360 reviews,
annual surveys) apply to every quarter they contain.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

QUARTER = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")
HALF = re.compile(r"^(\d{4})\s*[Hh]([12])$")
YEAR = re.compile(r"^(\d{4})$")


def parse_quarter(label: str) -> tuple[int, int] | None:
    """``'2024Q3'`` -> ``(2024, 3)``; None when the label is not a quarter."""
    m = QUARTER.match(str(label).strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def quarter_index(labels: pd.Series | list[str]) -> np.ndarray:
    """Quarters as consecutive integers (year * 4 + quarter - 1); NaN-free input expected.

    Each distinct label is parsed once, so a million rows cost little more than their few quarters.
    """
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object), sort=False)
    parsed = np.array([(lambda yq: yq[0] * 4 + yq[1] - 1)(parse_quarter(x)) for x in uniques], dtype=np.int64)
    return parsed[codes]


def quarter_from_index(index: int) -> str:
    return quarter_label(index // 4, index % 4 + 1)


def quarter_range(first: str, last: str) -> list[str]:
    """All quarters from ``first`` to ``last`` inclusive."""
    a, b = quarter_index([first, last])
    return [quarter_from_index(i) for i in range(a, b + 1)]


def quarter_of_date(date: pd.Timestamp) -> str:
    return quarter_label(date.year, (date.month - 1) // 3 + 1)


def half_of_quarter(label: str) -> str:
    year, quarter = parse_quarter(label)
    return f"{year}H{1 if quarter <= 2 else 2}"


def is_period_label(label: str) -> bool:
    """True for a quarter, half-year or year label."""
    text = str(label).strip()
    return bool(QUARTER.match(text) or HALF.match(text) or YEAR.match(text))


def quarters_in(label: str) -> list[str]:
    """The quarters a quarter, half-year or year label covers."""
    text = str(label).strip()
    if m := QUARTER.match(text):
        return [quarter_label(int(m.group(1)), int(m.group(2)))]
    if m := HALF.match(text):
        year, half = int(m.group(1)), int(m.group(2))
        return [quarter_label(year, q) for q in ((1, 2) if half == 1 else (3, 4))]
    if m := YEAR.match(text):
        return [quarter_label(int(m.group(1)), q) for q in (1, 2, 3, 4)]
    raise ValueError(f"not a period label: {label!r}")

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


# ---- periods as people write them -------------------------------------------------------------
# quarters: 2024Q3, 2024-Q3, 2024 Q3, 2024年第3季度, 2024年3季度, 2024年Q3, 2024年第三季度
_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
_LOOSE_QUARTER = re.compile(r"^(\d{4})\s*(?:年\s*)?[-_/]?\s*(?:第\s*)?(?:[Qq]\s*([1-4])|([1-4一二三四])\s*季度?)$")
_LOOSE_HALF = re.compile(r"^(\d{4})\s*(?:年\s*)?[-_/]?\s*(?:[Hh]([12])|([上下])半年)$")
_LOOSE_YEAR = re.compile(r"^(\d{4})\s*年?(?:度)?$")
# months: 2024-03, 2024/3, 2024.3, 202403, 2024年3月
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]\s*|年\s*)?(\d{1,2})\s*月?$")
# dates: 2024-03-15, 2024/3/15, 2024.3.15, 2024年3月15日 (a time of day after it is ignored)
_DATE = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?(?:[ T].*)?$")


def read_period(value: object) -> tuple[str, str] | None:
    """A period as people write it -> ``(kind, label)``; None when it is not one.

    ``kind`` is ``quarter``, ``half``, ``year``, ``month`` or ``day``; ``label`` is
    the canonical quarter/half/year label (``2024Q3``, ``2024H1``, ``2024``), and for
    months and days the quarter they fall in.

    >>> read_period("2024年第3季度"), read_period("2024/3"), read_period("2024年3月15日")
    (('quarter', '2024Q3'), ('month', '2024Q1'), ('day', '2024Q1'))
    >>> read_period("2024上半年"), read_period("2024年"), read_period("2024-13")
    (('half', '2024H1'), ('year', '2024'), None)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp,)) or hasattr(value, "year") and hasattr(value, "month"):
        try:
            return "day", quarter_label(int(value.year), (int(value.month) - 1) // 3 + 1)
        except (TypeError, ValueError):
            return None
    text = str(value).strip()
    if m := _LOOSE_QUARTER.match(text):
        q = m.group(2) or m.group(3)
        return "quarter", quarter_label(int(m.group(1)), _ZH_DIGITS.get(q) or int(q))
    if m := _LOOSE_HALF.match(text):
        half = m.group(2) or ("1" if m.group(3) == "上" else "2")
        return "half", f"{int(m.group(1))}H{half}"
    if m := _LOOSE_YEAR.match(text):
        return "year", m.group(1)
    if m := _DATE.match(text):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return "day", quarter_label(year, (month - 1) // 3 + 1)
        return None
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return "month", quarter_label(year, (month - 1) // 3 + 1)
    return None


def period_start(value: object) -> pd.Timestamp | None:
    """The first day a period as people write it covers (a date is its own day); None when unreadable.

    Orders the months or days inside a quarter (for the ``first`` and ``last`` rules).

    >>> str(period_start("2024年3月").date()), str(period_start("2024/3/15").date())
    ('2024-03-01', '2024-03-15')
    """
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return pd.Timestamp(int(value.year), int(value.month), int(value.day))
    text = str(value).strip()
    if m := _DATE.match(text):
        try:
            return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if m := _MONTH.match(text):
        if 1 <= int(m.group(2)) <= 12:
            return pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
    read = read_period(text)
    if read is None:
        return None
    kind, label = read
    year = int(label[:4])
    month = {"quarter": lambda: (int(label[-1]) - 1) * 3 + 1, "half": lambda: 1 if label.endswith("1") else 7}.get(
        kind, lambda: 1
    )()
    return pd.Timestamp(year, month, 1)

"""A table as the company exports it -> the table calibrate reads: column and value mapping, periods, monthly rows.

A data spec in the config may carry, beside where to read (see :mod:`calibrate.io`):

* ``columns: {客户经理编号: manager_id, 季度: period}``: the source's headers -> calibrate's
  column names. A header the mapping names must exist; messages then name both
  (``业绩.xlsx row 5, column 营收 (revenue): ...``).
* ``values: {region: {E: 华东, N: 华北}}``: codes in a column -> calibrate's values
  (the column by its calibrate name or its header); values not listed stay as they are.
* ``aggregate: {customers_start: first}``: for a performance table with monthly or daily
  rows, the rule per column that makes quarters (``sum``, ``mean``, ``first``, ``last``,
  ``min``, ``max``). Unlisted columns follow :data:`DEFAULT_RULES`: amounts and counts are
  summed, stocks held at the start of a period take the first month, rates and scores the mean.

An indicator set may declare the rule of an indicator's columns too (``aggregate: last`` on
the indicator, see :mod:`calibrate.indicators`). When the config and the set both give a rule
for a column, the config wins (it is the company's statement about this export); the
aggregation table says where each rule came from (``config``, ``indicator set (<id>)`` or
``default``).

Periods are read as people write them (``2024年第3季度``, ``2024-03``, ``2024年3月``,
dates): see :func:`calibrate.periods.read_period`. Months and dates become the quarter
they fall in.

>>> read_table("performance", {"path": "业绩.xlsx", "columns": {"营收": "revenue"}})   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import DataSourceError, Problem, ValidationError
from calibrate.indicators import AGGREGATE_RULES
from calibrate.io import RawTable, read_source
from calibrate.periods import period_start, read_period

#: keys of a data spec handled here (the others say where to read, see :mod:`calibrate.io`)
MAPPING_KEYS = ("columns", "values", "aggregate")
RULES = AGGREGATE_RULES
#: where a column's rule came from, as the aggregation table says it
FROM_CONFIG, FROM_DEFAULT = "config", "default"
#: performance columns and how monthly rows add up to a quarter
DEFAULT_RULES = {
    "revenue_target": "sum",
    "revenue": "sum",
    "profit": "sum",
    "new_customers": "sum",
    "new_customer_target": "sum",
    "new_customer_revenue": "sum",
    "customers_lost": "sum",
    "key_customers_lost": "sum",
    "customers_start": "first",
    "key_customers": "first",  # stocks at the start of the quarter
}
_MEAN_SUFFIXES = ("_rate", "_ratio", "_share", "_score", "_margin", "_pct", "nps")
_PERIOD_TABLES = ("performance", "survey", "reviews")
_KEY = ("manager_id", "period")


def default_rule(column: str) -> str:
    """The aggregation rule of a column nobody declared: known columns by :data:`DEFAULT_RULES`,
    rates and scores (``*_rate``, ``*_score``, ...) by their mean, everything else summed."""
    if column in DEFAULT_RULES:
        return DEFAULT_RULES[column]
    return "mean" if column.endswith(_MEAN_SUFFIXES) else "sum"


def split_spec(spec: Any) -> tuple[Any, dict[str, Any]]:
    """(where to read, mapping options) of a data spec."""
    if not isinstance(spec, dict):
        return spec, {}
    return (
        {k: v for k, v in spec.items() if k not in MAPPING_KEYS},
        {k: v for k, v in spec.items() if k in MAPPING_KEYS},
    )


def read_table(
    name: str, spec: Any, *, base_dir: str | Path = ".", set_rules: dict[str, tuple[str, str]] | None = None
) -> RawTable:
    """Read one configured table and bring it to calibrate's columns, values and quarters.

    ``set_rules`` are the indicator set's aggregation rules (column -> (rule, indicator id),
    :meth:`calibrate.indicators.IndicatorSet.aggregation_rules`); the config's own win.
    """
    where, options = split_spec(spec)
    table = read_source(where, base_dir=base_dir)
    return prepare_table(name, table, options, set_rules=set_rules)


def prepare_table(
    name: str, table: RawTable, options: dict[str, Any], *, set_rules: dict[str, tuple[str, str]] | None = None
) -> RawTable:
    """Apply a table's column mapping, value mapping and period reading (and, for monthly
    performance rows, the aggregation to quarters)."""
    table = map_columns(table, options.get("columns") or _known_headers(name, table))
    table = map_values(table, options.get("values") or {})
    if name in _PERIOD_TABLES and "period" in table.frame.columns:
        table, fine = normalise_periods(table)
        if fine and name == "performance":
            table = aggregate_to_quarters(table, options.get("aggregate") or {}, set_rules=set_rules)
        else:
            table = strip_period_helpers(table)
    elif options.get("aggregate"):
        raise DataSourceError(
            f"{table.info.label}: 'aggregate' applies only to a performance table with monthly or daily rows"
        )
    return table


#: headers calibrate itself writes, read back without a mapping: last run's HR workbook (weights.xlsx)
KNOWN_HEADERS = {
    "last_year_weights": {
        "指标代码": "indicator",
        "建议权重": "weight",
        "Indicator id": "indicator",
        "Proposed weight": "weight",
    }
}


def _known_headers(name: str, table: RawTable) -> dict[str, str]:
    known = KNOWN_HEADERS.get(name, {})
    columns = set(table.frame.columns)
    mapping = {h: c for h, c in known.items() if h in columns and c not in columns}
    return mapping if len(set(mapping.values())) == len(mapping) else {}


def map_columns(table: RawTable, mapping: dict[str, Any]) -> RawTable:
    """Rename the source's headers to calibrate's names; every header named must exist."""
    if not mapping:
        return table
    label, frame = table.info.label, table.frame
    if not isinstance(mapping, dict):
        raise DataSourceError(
            f"{label}: 'columns' must map the file's headers to calibrate's names, e.g. {{客户经理编号: manager_id}}"
        )
    mapping = {str(k).strip(): str(v).strip() for k, v in mapping.items()}
    absent = [k for k in mapping if k not in frame.columns]
    if absent:
        raise DataSourceError(
            f"{label}: the column mapping names {', '.join(map(repr, absent))}, which "
            f"{'is not a header' if len(absent) == 1 else 'are not headers'} of the file "
            f"(headers: {', '.join(map(str, frame.columns))})"
        )
    renamed = [mapping.get(c, c) for c in frame.columns]
    seen: dict[str, str] = {}
    for original, new in zip(frame.columns, renamed):
        if new in seen:
            raise DataSourceError(
                f"{label}: both {seen[new]!r} and {original!r} would become column '{new}'; map only one of them"
            )
        seen[new] = original
    frame = frame.copy()
    frame.columns = renamed
    headers = dict(table.info.headers)
    headers.update({new: old for old, new in mapping.items() if old != new})
    return RawTable(frame, dataclasses.replace(table.info, headers=tuple(headers.items())))


def map_values(table: RawTable, mapping: dict[str, Any]) -> RawTable:
    """Replace codes by calibrate's values, column by column (unlisted values stay)."""
    if not mapping:
        return table
    label, frame = table.info.label, table.frame.copy()
    by_header = {old: new for new, old in table.info.headers}
    for column, codes in mapping.items():
        name = by_header.get(str(column), str(column))
        if name not in frame.columns:
            raise DataSourceError(f"{label}: 'values' names column {column!r}, which the table does not have")
        if not isinstance(codes, dict):
            raise DataSourceError(f"{label}: values: {column}: give a mapping of codes, e.g. {{E: 华东}}")
        lookup = {str(k).strip(): v for k, v in codes.items()}
        text = frame[name].astype("string").str.strip()
        mapped = text.map(lambda v: lookup.get(v, v) if isinstance(v, str) else v, na_action="ignore")
        frame[name] = mapped.astype(object).where(frame[name].notna(), frame[name])
    return RawTable(frame, table.info)


def normalise_periods(table: RawTable) -> tuple[RawTable, bool]:
    """Periods as written -> ``2024Q3`` / ``2024H1`` / ``2024``; months and dates -> their quarter.

    Returns the table and whether any row was monthly or daily. Unreadable values stay
    as they are, for validation to report with their row.
    """
    frame = table.frame.copy()
    column = frame["period"]
    codes, distinct = pd.factorize(column)
    read = [read_period(v) for v in distinct]
    labels = np.array([r[1] if r else v for r, v in zip(read, distinct)] + [None], dtype=object)
    fine_kinds = np.array([bool(r and r[0] in ("month", "day")) for r in read] + [False])
    frame["period"] = pd.Series(labels[codes], index=frame.index, dtype=object)
    fine = bool(fine_kinds[codes].any())
    if fine:
        starts = np.array([period_start(v) if r else None for r, v in zip(read, distinct)] + [None], dtype=object)
        frame["_period_start"] = pd.to_datetime(pd.Series(starts[codes], index=frame.index))
    return RawTable(frame, table.info), fine


def aggregate_to_quarters(
    table: RawTable, rules: dict[str, Any], *, set_rules: dict[str, tuple[str, str]] | None = None
) -> RawTable:
    """Monthly or daily performance rows -> one row per manager and quarter, by a rule per column.

    ``rules`` are the config's (column or header -> rule), ``set_rules`` the indicator set's
    (column -> (rule, indicator id)); a column both name follows the config.

    Cells that are not numbers stop here with their row and column (the sum of a quarter
    could not be checked afterwards). A quarter's row keeps the source row number of its
    first month, so later messages still point into the file.
    """
    info, frame = table.info, table.frame
    for column, rule in rules.items():
        if rule not in RULES:
            raise DataSourceError(f"{info.label}: aggregate: {column}: rule {rule!r} is not one of {', '.join(RULES)}")
    by_header = {old: new for new, old in info.headers}
    rules = {by_header.get(str(k), str(k)): v for k, v in rules.items()}
    unknown = [c for c in rules if c not in frame.columns]
    if unknown:
        raise DataSourceError(f"{info.label}: aggregate names {', '.join(unknown)}, which the table does not have")
    missing_key = [c for c in _KEY if c not in frame.columns]
    if missing_key:
        raise DataSourceError(f"{info.label}: monthly rows need the columns {', '.join(missing_key)} to make quarters")
    frame = frame.assign(_row=[info.row_number(i) for i in range(len(frame))])
    keyed = frame["manager_id"].notna() & frame["_period_start"].notna()
    problems = []
    for pos in np.flatnonzero(~keyed.to_numpy()):
        column = "manager_id" if pd.isna(frame["manager_id"].iloc[pos]) else "period"
        value = frame[column].iloc[pos]
        problems.append(
            Problem(
                info.label,
                int(frame["_row"].iloc[pos]),
                info.header(column),
                "value is missing" if pd.isna(value) else f"{value!r} is not a month, date or quarter",
                code="value_missing" if pd.isna(value) else "not_a_month",
                params={} if pd.isna(value) else {"value": repr(value)},
            )
        )
    value_columns = [c for c in frame.columns if c not in (*_KEY, "_period_start", "_row")]
    numbers = {}
    for c in value_columns:
        raw = frame[c]
        if not (pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype)):
            text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
            parsed = pd.to_numeric(text, errors="coerce")
            bad = text.notna() & (text != "") & parsed.isna()
            if c in rules or c in DEFAULT_RULES or not bad.all():
                for pos in np.flatnonzero(bad.to_numpy())[:50]:
                    problems.append(
                        Problem(
                            info.label,
                            int(frame["_row"].iloc[pos]),
                            info.header(c),
                            f"{raw.iloc[pos]!r} is not a number (monthly rows are added up to quarters)",
                            code="monthly_not_a_number",
                            params={"value": repr(raw.iloc[pos])},
                        )
                    )
            elif bad.all():
                continue  # a text column (a name, a region): not carried into quarters
            raw = parsed
        numbers[c] = raw.astype(float)
    if problems:
        raise ValidationError(problems)
    work = pd.DataFrame(numbers, index=frame.index)
    work["manager_id"], work["period"] = frame["manager_id"], frame["period"]
    work["_period_start"], work["_row"] = frame["_period_start"], frame["_row"]
    work = work[keyed].sort_values(["manager_id", "period", "_period_start", "_row"], kind="stable")
    grouped = work.groupby(["manager_id", "period"], sort=False)
    set_rules = set_rules or {}
    used, origin = {}, {}
    for c in numbers:
        if c in rules:
            used[c], origin[c] = rules[c], FROM_CONFIG
        elif c in set_rules:
            used[c], origin[c] = set_rules[c][0], f"indicator set ({set_rules[c][1]})"
        else:
            used[c], origin[c] = default_rule(c), FROM_DEFAULT
    out = pd.DataFrame({c: getattr(grouped[c], used[c])() for c in numbers})
    out["_row"] = grouped["_row"].min()
    out = out.reset_index().sort_values("_row", kind="stable").reset_index(drop=True)
    rows = tuple(int(r) for r in out.pop("_row"))
    new_info = dataclasses.replace(
        info,
        rows=rows,
        aggregation=tuple((c, used[c], origin[c]) for c in numbers),
        rows_read=len(frame),
        label=info.label,
    )
    return RawTable(out[[*_KEY, *numbers]], new_info)


def aggregation_frame(infos: dict[str, Any]) -> pd.DataFrame:
    """One row per aggregated column of each source: the rule, where it came from (``config``,
    ``indicator set (<id>)`` or ``default``), the rows read and the quarter rows made."""
    rows = []
    for table, info in infos.items():
        for column, rule, origin in info.aggregation:
            rows.append(
                {
                    "table": table,
                    "source": info.label,
                    "column": info.header(column),
                    "rule": rule,
                    "rule_from": origin,
                    "rows_read": info.rows_read,
                    "rows_after": len(info.rows or ()),
                }
            )
    return pd.DataFrame(rows, columns=["table", "source", "column", "rule", "rule_from", "rows_read", "rows_after"])


def strip_period_helpers(table: RawTable) -> RawTable:
    """Drop the helper column that ordered months inside quarters (tables that were not aggregated)."""
    if "_period_start" in table.frame.columns:
        return RawTable(table.frame.drop(columns="_period_start"), table.info)
    return table

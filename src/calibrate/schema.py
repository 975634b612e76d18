"""What each input table must hold, and the validation that reports every problem at once.

Each problem names the source, the row (as the user counts it) and the column.
Validation turns raw tables into typed ones; nothing downstream runs while a
problem remains.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from calibrate.errors import Problem
from calibrate.indicators import IndicatorSet
from calibrate.io import RawTable
from calibrate.periods import QUARTER, is_period_label, quarter_index, quarters_in


@dataclass(frozen=True)
class Column:
    """One column's rule. ``kind``: text, int, float, date, quarter, period, judgment."""

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    low: float | None = None
    high: float | None = None
    hint: str = ""
    positive: bool = False  # strictly above 0 (a target of 0 cannot be attained or divided by)
    scale: str = ""  # the hint's words in the catalogue: validation_range.<scale>
    # text or periods repeated over millions of rows (the survey's IDs): typed as a pandas categorical, each
    # distinct value stored once plus an integer code per row (a fifth of the memory of strings, issue 18)
    categorical: bool = False

    def range_code(self) -> str:
        """The catalogue's words for the range (``validation_range.<code>``): the scale, or low/high."""
        if self.scale:
            return self.scale
        if self.low is not None and self.high is not None:
            return "between"
        return "at_least" if self.low is not None else "at_most"

    def range_params(self) -> dict:
        return {"range": self.range_code(), "low": self.low, "high": self.high}

    def range_text(self) -> str:
        if self.hint:
            return self.hint
        if self.low is not None and self.high is not None:
            return f"{_fmt(self.low)}-{_fmt(self.high)}"
        if self.low is not None:
            return f"at least {_fmt(self.low)}"
        return f"at most {_fmt(self.high)}"


MAX_MAGNITUDE = 1e15  # no amount, count or score of a sales team comes near this; 1e308 overflows sums


def _fmt(x: float) -> str:
    return f"{x:g}"


TABLES: dict[str, list[Column]] = {
    "managers": [
        Column("manager_id", "text"),
        Column("name", "text", required=False, nullable=True),
        Column("region", "text"),
        Column("level", "text", required=False, nullable=True),
        Column("hire_date", "date"),
        Column("leave_date", "date", required=False, nullable=True),
    ],
    "performance": [
        Column("manager_id", "text"),
        Column("period", "quarter"),
        Column("revenue_target", "float", low=0, hint="a positive amount", positive=True, scale="positive"),
        Column("revenue", "float", low=0),
        Column("profit", "float", required=False),
        Column("new_customers", "int", required=False, low=0),
        Column("new_customer_target", "int", required=False, nullable=True, low=0),
        Column("new_customer_revenue", "float", required=False, low=0),
        Column("customers_start", "int", required=False, low=0),
        Column("customers_lost", "int", required=False, low=0),
        Column("key_customers", "int", required=False, low=0),
        Column("key_customers_lost", "int", required=False, low=0),
    ],
    "survey": [
        Column("manager_id", "text", categorical=True),
        Column("period", "period", categorical=True),
        Column("customer_id", "text", required=False, nullable=True, categorical=True),
        Column("recommend", "int", nullable=True, low=0, high=10, hint="0-10 (NPS scale)", scale="nps"),
        Column(
            "satisfaction", "int", required=False, nullable=True, low=1, high=5, hint="1-5 (Likert)", scale="likert"
        ),
    ],
    "reviews": [
        Column("manager_id", "text"),
        Column("period", "period"),
        Column("rater_id", "text"),
        Column("rater_role", "text", required=False, nullable=True),
        Column("criterion", "text"),
        Column("score", "float", low=1, high=5, hint="1-5 (360 rating scale)", scale="rating"),
    ],
    "innovation": [  # the innovation committee: solutions it accepted, per manager and year
        Column("manager_id", "text"),
        Column("year", "int", low=1900, high=2200, hint="a year such as 2024", scale="year"),
        Column("accepted_solutions", "int", low=0, hint="0 or more (a count of accepted solutions)", scale="count"),
    ],
    "ahp_judgments": [
        Column("expert", "text"),
        Column("row", "text"),
        Column("col", "text"),
        Column("value", "judgment", low=1 / 9, high=9, hint="1/9-9 (Saaty scale)", scale="saaty"),
        Column("parent", "text", required=False, nullable=True),  # hierarchical AHP: the group judged
    ],
    "last_year_weights": [
        Column("indicator", "text"),
        Column("weight", "float", low=0, high=1),
    ],
}
OPTIONAL_TABLES = ("survey", "reviews", "innovation", "ahp_judgments", "last_year_weights")
# pairs (part, whole): the part may not exceed the whole
PART_OF = {"performance": [("customers_lost", "customers_start"), ("key_customers_lost", "key_customers")]}


@dataclass
class ValidationReport:
    """All problems (which stop a run) and warnings (which do not), plus the typed tables."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_frame(self) -> pd.DataFrame:
        columns = ["severity", "source", "row", "column", "message", "code", "params"]
        rows = [
            [severity, p.source, p.row, p.column, p.message, p.code, p.params_json()]
            for severity, items in (("problem", self.problems), ("warning", self.warnings))
            for p in items
        ]
        return pd.DataFrame(rows, columns=columns)

    def text(self, limit: int = 200) -> str:
        lines = [
            f"{sum(self.rows.values())} rows in {len(self.rows)} tables: "
            f"{len(self.problems)} problem(s), {len(self.warnings)} warning(s)"
        ]
        for label, items in (("PROBLEM", self.problems), ("warning", self.warnings)):
            for p in items[:limit]:
                lines.append(f"  {label}: {p}")
            if len(items) > limit:
                lines.append(f"  ... {len(items) - limit} more {label.lower()}s")
        return "\n".join(lines)


def validate_tables(
    raw: dict[str, RawTable], indicator_set: IndicatorSet, judged_set: IndicatorSet | None = None
) -> ValidationReport:
    """Check types, ranges, duplicates, unknown managers and missing periods; all problems together.

    AHP judgments must name indicators of ``judged_set`` (default ``indicator_set``: the run's own set,
    when ``indicator_set`` is a union of sets being compared). A column renamed by a column mapping is
    named as the source names it, with calibrate's name beside it: ``业绩.xlsx row 5, column 营收 (revenue): ...``.
    """
    report = _validate_tables(raw, indicator_set, judged_set)
    headers = {t.info.label: t.info for t in raw.values() if t.info.headers}
    if headers:

        def named(p: Problem) -> Problem:
            info = headers.get(p.source)
            return dataclasses.replace(p, column=info.header(p.column)) if info and p.column else p

        report.problems[:] = [named(p) for p in report.problems]
        report.warnings[:] = [named(p) for p in report.warnings]
    return report


def _validate_tables(
    raw: dict[str, RawTable], indicator_set: IndicatorSet, judged_set: IndicatorSet | None = None
) -> ValidationReport:
    report = ValidationReport()
    for name in ("managers", "performance"):
        if name not in raw:
            report.problems.append(
                Problem(
                    "config",
                    None,
                    None,
                    f"no '{name}' data source is configured",
                    code="no_source",
                    params={"table": name},
                )
            )
    for ind in indicator_set.indicators:
        if ind.source not in raw and ind.source in TABLES:
            report.problems.append(
                Problem(
                    "config",
                    None,
                    None,
                    f"indicator '{ind.id}' of set '{indicator_set.name}' reads the "
                    f"'{ind.source}' table, but no '{ind.source}' data source is configured",
                    code="indicator_without_source",
                    params={"indicator": ind.id, "set": indicator_set.name, "table": ind.source},
                )
            )
    if report.problems:
        return report
    needed = _needed_columns(indicator_set)
    rates = _rate_columns(indicator_set)
    for name, table in raw.items():
        schema = list(TABLES[name])
        for column in needed.get(name, []):
            if column not in {c.name for c in schema}:
                # a column an indicator reads that the schema does not know: a number; rates in [0, 1]
                is_rate = column in rates or column.endswith("_rate")
                schema.append(Column(column, "float", low=0 if is_rate else None, high=1 if is_rate else None))
        required = {c.name for c in schema if c.required} | set(needed.get(name, []))
        report.tables[name] = _check_table(table, schema, required, report)
        report.rows[name] = len(table.frame)
    if any(p.code == "required_column_missing" for p in report.problems):
        return report  # cross-table checks need their columns; bad cells are skipped by each check
    checks = [lambda: _check_managers(raw["managers"], report), lambda: _check_performance(raw, report)]
    checks += [
        lambda name=name: _check_known_managers(raw[name], report, name)
        for name in ("survey", "reviews")
        if name in raw
    ]
    if "reviews" in raw:
        checks.append(lambda: _check_reviews(raw["reviews"], indicator_set, report))
    if "innovation" in raw:
        checks.append(lambda: _check_innovation(raw["innovation"], report))
    if "ahp_judgments" in raw:
        checks.append(lambda: _check_judgments(raw["ahp_judgments"], judged_set or indicator_set, report))
    if "last_year_weights" in raw:
        checks.append(lambda: _check_last_weights(raw["last_year_weights"], indicator_set, report))
    for check in checks:
        try:
            check()
        except (TypeError, ValueError, KeyError):
            # a cross-table check stumbled on a cell already reported as bad (blank or mistyped):
            # the problems listed explain it; without any, the failure is a bug and is raised
            if not report.problems:
                raise
    return report


def _needed_columns(indicator_set: IndicatorSet) -> dict[str, list[str]]:
    needed: dict[str, list[str]] = {}
    for ind in indicator_set.indicators:
        table = ind.source
        cols = [] if table == "reviews" else list(ind.compute_args)
        needed.setdefault(table, [])
        needed[table] += [c for c in cols if c not in needed[table]]
    return needed


def _rate_columns(indicator_set: IndicatorSet) -> set[str]:
    """Columns used as they are by indicators whose unit is a rate (shares in [0, 1])."""
    return {i.compute_args[0] for i in indicator_set.indicators if i.compute_kind == "column" and i.unit == "rate"}


def _check_table(table: RawTable, schema: list[Column], required: set[str], report: ValidationReport) -> pd.DataFrame:
    frame, info = table.frame, table.info
    if frame.empty and len(frame.columns):
        report.problems.append(Problem(info.label, None, None, "the table has no rows (only a header)", code="no_rows"))
    missing = [c for c in schema if c.name in required and c.name not in frame.columns]
    for c in missing:
        report.problems.append(
            Problem(
                info.label,
                None,
                c.name,
                f"required column '{c.name}' is missing (columns found: {', '.join(map(str, frame.columns))})",
                code="required_column_missing",
                params={"name": c.name, "found": [str(f) for f in frame.columns]},
            )
        )
    out = pd.DataFrame(index=frame.index)
    for c in schema:
        if c.name not in frame.columns:
            continue
        values = _check_column(frame[c.name], c, info, report)
        out[c.name] = values.astype("category") if c.categorical else values
    extra = [c for c in frame.columns if c not in out.columns]
    for c in extra:
        out[c] = frame[c]
    return out


def _is_plain_numeric(raw: pd.Series) -> bool:
    """Whole or real numbers stored as numbers (Parquet, SQL): not text, True/False or complex numbers."""
    return pd.api.types.is_integer_dtype(raw.dtype) or pd.api.types.is_float_dtype(raw.dtype)


def _check_column(raw: pd.Series, col: Column, info, report: ValidationReport) -> pd.Series:
    if col.kind in ("int", "float") and _is_plain_numeric(raw):
        return _check_numbers(raw, raw.astype(float), col, info, report)
    text = raw.astype("string").str.strip()
    empty = raw.isna() | (text == "")
    if not col.nullable:
        for pos in np.flatnonzero(empty.to_numpy()):
            report.problems.append(
                Problem(info.label, info.row_number(pos), col.name, "value is missing", code="value_missing")
            )
    present = ~empty
    if col.kind == "text":
        return text.where(present)
    if col.kind in ("quarter", "period"):
        # a column of periods holds a handful of labels: test and normalise each distinct label once
        codes, distinct = pd.factorize(text)
        test = (lambda v: bool(QUARTER.match(v))) if col.kind == "quarter" else is_period_label
        pattern_ok = np.array([test(v) for v in distinct] + [False], dtype=bool)[codes]
        bad = present & ~pattern_ok
        expected = "a quarter such as 2024Q3" if col.kind == "quarter" else "a period such as 2024Q3, 2024H1 or 2024"
        for pos in np.flatnonzero(bad.to_numpy()):
            report.problems.append(
                Problem(
                    info.label,
                    info.row_number(pos),
                    col.name,
                    f"{raw.iloc[pos]!r} is not {expected}",
                    code="not_a_quarter" if col.kind == "quarter" else "not_a_period",
                    params={"value": repr(raw.iloc[pos])},
                )
            )
        labels = pd.Series(distinct, dtype=text.dtype).str.upper().str.replace(" ", "", regex=False)
        normalised = pd.Series(labels.array.take(codes, allow_fill=True), index=text.index, name=text.name)
        return normalised.where(present)
    if col.kind == "date":
        values = _to_datetime_distinct(text.where(present))
        bad = present & values.isna()
        for pos in np.flatnonzero(bad.to_numpy()):
            report.problems.append(
                Problem(
                    info.label,
                    info.row_number(pos),
                    col.name,
                    f"{raw.iloc[pos]!r} is not a date (use YYYY-MM-DD)",
                    code="not_a_date",
                    params={"value": repr(raw.iloc[pos])},
                )
            )
        return values
    if col.kind == "judgment":
        values = text.map(_parse_judgment, na_action="ignore").astype(float)
    else:
        values = _to_numeric_distinct(text.where(present))
    bad_type = present & values.isna()
    noun = "a whole number" if col.kind == "int" else "a number"
    for pos in np.flatnonzero(bad_type.to_numpy()):
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                col.name,
                f"{raw.iloc[pos]!r} is not {noun}",
                code="not_a_whole_number" if col.kind == "int" else "not_a_number",
                params={"value": repr(raw.iloc[pos])},
            )
        )
    return _check_numbers(raw, values, col, info, report, present & values.notna())


def _check_numbers(
    raw: pd.Series, values: pd.Series, col: Column, info, report: ValidationReport, ok: pd.Series | None = None
) -> pd.Series:
    """Missing values, whole numbers and the range of a numeric column; ``values`` are the numbers as floats.

    Called directly for columns that arrive as numbers (no text to parse: a number is
    never 'not a number', and a blank is NaN); ``ok`` marks the values to check.
    """
    if ok is None:
        missing = values.isna()
        if not col.nullable:
            for pos in np.flatnonzero(missing.to_numpy()):
                report.problems.append(
                    Problem(info.label, info.row_number(pos), col.name, "value is missing", code="value_missing")
                )
        ok = ~missing
    if col.kind == "int":
        frac = ok & (np.abs(values - np.round(values)) > 1e-9)
        for pos in np.flatnonzero(frac.to_numpy()):
            report.problems.append(
                Problem(
                    info.label,
                    info.row_number(pos),
                    col.name,
                    f"{raw.iloc[pos]} is not a whole number",
                    code="not_a_whole_number",
                    params={"value": str(raw.iloc[pos])},
                )
            )
    huge = ok & ~(np.abs(values) <= MAX_MAGNITUDE)
    for pos in np.flatnonzero(np.asarray(huge)):
        finite = bool(np.isfinite(values.iloc[pos]))
        what = f"is larger than {MAX_MAGNITUDE:g}" if finite else "is not a finite number"
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                col.name,
                f"{raw.iloc[pos]} {what}",
                code="too_large" if finite else "not_finite",
                params={"value": str(raw.iloc[pos]), "limit": MAX_MAGNITUDE},
            )
        )
    ok = ok & ~huge
    if col.positive:
        zero = ok & (values <= 0)
        for pos in np.flatnonzero(np.asarray(zero)):
            report.problems.append(
                Problem(
                    info.label,
                    info.row_number(pos),
                    col.name,
                    f"{raw.iloc[pos]} is not {col.range_text()} (must be above 0)",
                    code="not_positive",
                    params={"value": str(raw.iloc[pos]), **col.range_params()},
                )
            )
        ok = ok & ~zero
    tol = 1e-9
    out_of_range = ok & (
        ((values < col.low - tol) if col.low is not None else False)
        | ((values > col.high + tol) if col.high is not None else False)
    )
    for pos in np.flatnonzero(np.asarray(out_of_range)):
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                col.name,
                f"{raw.iloc[pos]} is outside {col.range_text()}",
                code="out_of_range",
                params={"value": str(raw.iloc[pos]), **col.range_params()},
            )
        )
    return values


def _to_numeric_distinct(text: pd.Series) -> pd.Series:
    """``pd.to_numeric(text, errors="coerce").astype(float)``, parsing each distinct text once when values repeat
    (scores 1-5, counts)."""
    codes, distinct = pd.factorize(text)
    if len(distinct) == 0 or len(distinct) > len(text) // 2:
        return pd.to_numeric(text, errors="coerce").astype(float)
    parsed = pd.to_numeric(pd.Series(distinct, dtype=text.dtype), errors="coerce").astype(float).to_numpy()
    return pd.Series(np.append(parsed, np.nan)[codes], index=text.index, name=text.name)


def _to_datetime_distinct(text: pd.Series) -> pd.Series:
    """``pd.to_datetime(text, errors="coerce", format="mixed")``, parsing each distinct value once."""
    codes, distinct = pd.factorize(text)
    if len(distinct) == 0 or len(distinct) > len(text) // 2:
        return pd.to_datetime(text, errors="coerce", format="mixed")
    parsed = pd.to_datetime(pd.Series(distinct), errors="coerce", format="mixed")
    values = parsed.to_numpy()
    missing = np.array([np.datetime64("NaT")], dtype=values.dtype)
    return pd.Series(np.concatenate([values, missing])[codes], index=text.index, name=text.name)


def _parse_judgment(text: str) -> float:
    try:
        value = Fraction(text.replace(" ", ""))
    except (ValueError, ZeroDivisionError):
        return np.nan
    try:
        return float(value)
    except OverflowError:  # beyond any float: off the scale, and said so with the cell
        return np.inf if value > 0 else -np.inf


def _first_positions(*columns: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """For rows that repeat an earlier row's values in ``columns``: their positions and the first such row's."""
    if len(columns[0]) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    codes = [pd.factorize(c)[0] for c in columns]
    key = codes[0].astype(np.int64)
    for c in codes[1:]:
        key = key * (int(c.max()) + 2) + c + 1
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    first_of_row = first[inverse.ravel()]
    repeated = np.flatnonzero(first_of_row != np.arange(len(key)))
    return repeated, first_of_row[repeated]


def _check_managers(table: RawTable, report: ValidationReport) -> None:
    m, info = report.tables["managers"], table.info
    for pos, first in zip(*_first_positions(m["manager_id"])):
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                "manager_id",
                f"manager {m['manager_id'].iloc[pos]} appears again (first at row {info.row_number(first)})",
                code="duplicate_manager",
                params={"manager": m["manager_id"].iloc[pos], "first": info.row_number(first)},
            )
        )
    if "leave_date" in m:
        bad = m["leave_date"].notna() & (m["leave_date"] < m["hire_date"])
        for pos in np.flatnonzero(bad.to_numpy()):
            report.problems.append(
                Problem(
                    info.label,
                    info.row_number(pos),
                    "leave_date",
                    "leave date is before the hire date",
                    code="leave_before_hire",
                )
            )


def _check_known_managers(table: RawTable, report: ValidationReport, name: str) -> None:
    frame = report.tables[name]
    known = report.tables["managers"]["manager_id"].dropna().unique()
    unknown = frame["manager_id"].notna() & ~frame["manager_id"].isin(known)
    positions = np.flatnonzero(unknown.to_numpy())
    for pos in positions[:20]:
        report.problems.append(
            Problem(
                table.info.label,
                table.info.row_number(pos),
                "manager_id",
                f"manager {frame['manager_id'].iloc[pos]} is not in the managers table",
                code="unknown_manager",
                params={"manager": frame["manager_id"].iloc[pos]},
            )
        )
    if len(positions) > 20:
        report.problems.append(
            Problem(
                table.info.label,
                None,
                "manager_id",
                f"{len(positions) - 20} more rows name managers not in the managers table",
                code="more_unknown_managers",
                params={"count": len(positions) - 20},
            )
        )


def _check_performance(raw: dict[str, RawTable], report: ValidationReport) -> None:
    table = raw["performance"]
    info, p = table.info, report.tables["performance"]
    _check_known_managers(table, report, "performance")
    # a period is a quarter such as 2024Q3 here, so (manager, period) pairs are the 'manager|period' keys
    for pos, first in zip(*_first_positions(p["manager_id"], p["period"])):
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                "period",
                f"second row for manager {p['manager_id'].iloc[pos]} in {p['period'].iloc[pos]} "
                f"(first at row {info.row_number(first)})",
                code="duplicate_period",
                params={
                    "manager": p["manager_id"].iloc[pos],
                    "period": p["period"].iloc[pos],
                    "first": info.row_number(first),
                },
            )
        )
    for part, whole in PART_OF["performance"]:
        if part in p and whole in p:
            bad = p[part] > p[whole]
            for pos in np.flatnonzero(bad.to_numpy()):
                report.problems.append(
                    Problem(
                        info.label,
                        info.row_number(pos),
                        part,
                        f"{p[part].iloc[pos]:g} exceeds {whole} ({p[whole].iloc[pos]:g})",
                        code="part_exceeds_whole",
                        params={"value": p[part].iloc[pos], "whole": whole, "whole_value": p[whole].iloc[pos]},
                    )
                )
    _check_periods(table, report)


def _check_periods(table: RawTable, report: ValidationReport) -> None:
    """Each employed manager has a row for every quarter of the panel, none outside their employment."""
    info, p, m = table.info, report.tables["performance"], report.tables["managers"]
    if p.empty:
        return  # reported by _check_table
    # rows and managers with a bad key or date were reported already: check the others
    p = p[p["manager_id"].notna() & p["period"].fillna("").str.match(QUARTER.pattern)]
    m = m[m["manager_id"].notna() & m["hire_date"].notna()]
    if p.empty:
        return
    codes, labels = pd.factorize(p["period"])
    q = quarter_index(list(labels))[codes]  # each distinct label parsed once
    first, last = int(q.min()), int(q.max())
    managers = m.drop_duplicates("manager_id").set_index("manager_id")
    hire_q = _quarter_of_dates(managers["hire_date"], last)
    leave_q = (
        _quarter_of_dates(managers["leave_date"], last)
        if "leave_date" in managers
        else pd.Series(last, index=managers.index)
    )
    present = pd.DataFrame({"manager_id": p["manager_id"].to_numpy(), "q": q})
    seen = present.groupby("manager_id")["q"]
    # managers whose rows do not cover every quarter they were employed in (counted, not listed, for speed)
    pairs = present.drop_duplicates()
    lo = np.maximum(first, pairs["manager_id"].map(hire_q).to_numpy(dtype=float))
    hi = np.minimum(last, pairs["manager_id"].map(leave_q).to_numpy(dtype=float))
    covered = pairs[(pairs["q"] >= lo) & (pairs["q"] <= hi)].groupby("manager_id").size()
    seen_ids = seen.size().index
    known = seen_ids[seen_ids.isin(managers.index)]
    span = np.maximum(
        0, np.minimum(last, leave_q.reindex(known).to_numpy()) - np.maximum(first, hire_q.reindex(known).to_numpy()) + 1
    )
    short = known[covered.reindex(known, fill_value=0).to_numpy() < span]
    short_rows = present[present["manager_id"].isin(short)]
    quarters_of = short_rows.groupby("manager_id")["q"].apply(set) if len(short_rows) else {}
    for manager_id in short:
        quarters = quarters_of[manager_id]
        lo, hi = max(first, int(hire_q[manager_id])), min(last, int(leave_q[manager_id]))
        missing = [i for i in range(lo, hi + 1) if i not in quarters]
        if missing:
            labels = ", ".join(f"{i // 4}Q{i % 4 + 1}" for i in missing[:6]) + (" ..." if len(missing) > 6 else "")
            report.problems.append(
                Problem(
                    info.label,
                    None,
                    "period",
                    f"manager {manager_id} has no row for {labels} "
                    f"(employed {managers.at[manager_id, 'hire_date'].date()} onwards)",
                    code="missing_quarters",
                    params={
                        "manager": manager_id,
                        "quarters": labels,
                        "hired": str(managers.at[manager_id, "hire_date"].date()),
                    },
                )
            )
    before = present["q"].to_numpy() < present["manager_id"].map(hire_q).to_numpy(dtype=float)
    for k in np.flatnonzero(before):
        pos = int(p.index[k])  # the row's position in the source
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                "period",
                f"{p['period'].iloc[k]} is before manager {p['manager_id'].iloc[k]}'s hire date",
                code="before_hire",
                params={"period": p["period"].iloc[k], "manager": p["manager_id"].iloc[k]},
            )
        )
    silent = sorted(set(managers.index) - set(seen_ids))
    active = [i for i in silent if int(leave_q[i]) >= first and int(hire_q[i]) <= last]
    if active:
        report.warnings.append(
            Problem(
                info.label,
                None,
                "manager_id",
                f"{len(active)} employed manager(s) have no performance rows: "
                f"{', '.join(active[:10])}{' ...' if len(active) > 10 else ''}",
                code="managers_without_rows",
                params={"count": len(active), "managers": active[:10], "more": " ..." if len(active) > 10 else ""},
            )
        )


def _quarter_of_dates(dates: pd.Series, default: int) -> pd.Series:
    """Quarter index (year * 4 + quarter - 1) of each date; ``default`` where there is no date."""
    dates = pd.to_datetime(dates)
    index = dates.dt.year * 4 + (dates.dt.month - 1) // 3
    return index.fillna(default).astype(np.int64)


def _check_reviews(table: RawTable, indicator_set: IndicatorSet, report: ValidationReport) -> None:
    r, info = report.tables["reviews"], table.info
    wanted = {ind.compute_args[0] for ind in indicator_set.indicators if ind.compute_kind == "review"}
    missing = wanted - set(r["criterion"].dropna().unique())
    for criterion in sorted(missing):
        report.problems.append(
            Problem(
                info.label,
                None,
                "criterion",
                f"no ratings for criterion '{criterion}', which indicator set '{indicator_set.name}' uses",
                code="criterion_without_ratings",
                params={"criterion": criterion, "set": indicator_set.name},
            )
        )
    columns = ["manager_id", "period", "rater_id", "criterion"]
    if any(r[c].str.contains("|", regex=False).any() for c in columns):
        # a '|' inside a value: keep the historical 'a|b|c|d' key, under which two rows can collide
        repeated = r["manager_id"] + "|" + r["period"] + "|" + r["rater_id"] + "|" + r["criterion"]
    else:
        repeated = r[columns]
    for pos in np.flatnonzero(repeated.duplicated(keep="first").to_numpy())[:20]:
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                "rater_id",
                f"rater {r['rater_id'].iloc[pos]} rated manager {r['manager_id'].iloc[pos]} on "
                f"{r['criterion'].iloc[pos]} twice in {r['period'].iloc[pos]}",
                code="duplicate_rating",
                params={
                    "rater": r["rater_id"].iloc[pos],
                    "manager": r["manager_id"].iloc[pos],
                    "criterion": r["criterion"].iloc[pos],
                    "period": r["period"].iloc[pos],
                },
            )
        )


def _check_innovation(table: RawTable, report: ValidationReport) -> None:
    """The innovation committee's table: known managers, one row per manager and year."""
    _check_known_managers(table, report, "innovation")
    t, info = report.tables["innovation"], table.info
    keyed = t[t["manager_id"].notna() & t["year"].notna()]
    for k, first in zip(*_first_positions(keyed["manager_id"], keyed["year"])):
        pos, first_pos = int(keyed.index[k]), int(keyed.index[first])
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                "year",
                f"second row for manager {keyed['manager_id'].iloc[k]} in "
                f"{int(keyed['year'].iloc[k])} (first at row {info.row_number(first_pos)})",
                code="duplicate_year",
                params={
                    "manager": keyed["manager_id"].iloc[k],
                    "year": int(keyed["year"].iloc[k]),
                    "first": info.row_number(first_pos),
                },
            )
        )


def _check_judgments(table: RawTable, indicator_set: IndicatorSet, report: ValidationReport) -> None:
    j, info = report.tables["ahp_judgments"], table.info
    j = j[j[["expert", "row", "col"]].notna().all(axis=1)]  # blank cells were reported already
    known = set(indicator_set.ids) | {d.id for d in indicator_set.dimensions}  # dimensions: hierarchical AHP
    for column in ("row", "col"):
        for pos in np.flatnonzero((~j[column].isin(known)).to_numpy()):
            report.problems.append(
                Problem(
                    info.label,
                    info.row_number(int(j.index[pos])),
                    column,
                    f"'{j[column].iloc[pos]}' is not an indicator or dimension of "
                    f"'{indicator_set.name}' (indicators: {', '.join(indicator_set.ids)}; "
                    f"dimensions: {', '.join(d.id for d in indicator_set.dimensions)})",
                    code="unknown_judged",
                    params={
                        "value": j[column].iloc[pos],
                        "set": indicator_set.name,
                        "indicators": list(indicator_set.ids),
                        "dimensions": [d.id for d in indicator_set.dimensions],
                    },
                )
            )
    same = j["row"] == j["col"]
    for pos in np.flatnonzero(same.to_numpy()):
        report.problems.append(
            Problem(
                info.label,
                info.row_number(int(j.index[pos])),
                "col",
                "an indicator is compared with itself",
                code="self_comparison",
            )
        )
    row_first = (j["row"] <= j["col"]).to_numpy(dtype=bool)
    low, high = j["row"].where(row_first, j["col"]), j["col"].where(row_first, j["row"])
    pair = j["expert"] + "|" + low + "|" + high
    for pos in np.flatnonzero(pair.duplicated(keep="first").to_numpy()):
        report.problems.append(
            Problem(
                info.label,
                info.row_number(int(j.index[pos])),
                "value",
                f"expert {j['expert'].iloc[pos]} judged {j['row'].iloc[pos]} vs {j['col'].iloc[pos]} twice",
                code="duplicate_judgment",
                params={"expert": j["expert"].iloc[pos], "row": j["row"].iloc[pos], "col": j["col"].iloc[pos]},
            )
        )


def _check_last_weights(table: RawTable, indicator_set: IndicatorSet, report: ValidationReport) -> None:
    w, info = report.tables["last_year_weights"], table.info
    total = float(w["weight"].sum())
    if abs(total - 1) > 0.005:
        report.problems.append(
            Problem(
                info.label,
                None,
                "weight",
                f"weights sum to {total:.4f}, not 1",
                code="weights_sum",
                params={"total": total},
            )
        )
    for pos in np.flatnonzero(w["indicator"].duplicated().to_numpy()):
        report.problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                "indicator",
                f"indicator {w['indicator'].iloc[pos]} appears twice",
                code="duplicate_indicator",
                params={"indicator": w["indicator"].iloc[pos]},
            )
        )
    dropped = sorted(set(w["indicator"].dropna()) - set(indicator_set.ids))
    if dropped:
        report.warnings.append(
            Problem(
                info.label,
                None,
                "indicator",
                f"last year's indicator(s) not in this year's set: {', '.join(dropped)}",
                code="dropped_indicators",
                params={"indicators": dropped},
            )
        )
    new = [i for i in indicator_set.ids if i not in set(w["indicator"].dropna())]
    if new:
        report.warnings.append(
            Problem(
                info.label,
                None,
                "indicator",
                f"new indicator(s) without a weight last year (taken as 0): {', '.join(new)}",
                code="new_indicators",
                params={"indicators": new},
            )
        )


def expand_to_quarters(frame: pd.DataFrame, period_column: str = "period") -> pd.DataFrame:
    """Repeat rows of half-year or year periods once per quarter they cover (column ``quarter``)."""
    labels = frame[period_column]
    if frame.empty or "quarter" in frame.columns or labels.isna().any():
        return _expand_rows(frame, period_column)
    # expand one row per distinct label (a handful), then repeat rows: the same table without a
    # Python call per row (a survey has ~20 rows per manager and quarter)
    codes, distinct = pd.factorize(labels)
    firsts = np.unique(codes, return_index=True)[1]
    small = _expand_rows(frame.iloc[firsts][[period_column]].reset_index(drop=True), period_column)
    per_label = np.bincount(pd.factorize(small[period_column])[0], minlength=len(distinct))
    start = np.cumsum(per_label) - per_label
    repeat = per_label[codes]
    rows = np.repeat(np.arange(len(frame)), repeat)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    out = frame.take(rows).reset_index(drop=True)
    out["quarter"] = small["quarter"].array.take(start[codes[rows]] + within)
    return out


def _expand_rows(frame: pd.DataFrame, period_column: str) -> pd.DataFrame:
    labels = frame[period_column]
    if isinstance(labels.dtype, pd.CategoricalDtype):
        labels = labels.astype(object)  # a categorical maps onto categories, and lists of quarters are not ones
    quarters = labels.map(quarters_in)
    out = frame.assign(quarter=quarters).explode("quarter")
    return out.reset_index(drop=True)

"""``calibrate init``: a company folder to fill in: a commented config, the indicator set, an Excel input workbook.

The workbook has one sheet per table the indicator set needs, headers in the
chosen language with a note on each (what it holds, its format and range), and
data validation: drop-downs for regions (from the editable list on the options
sheet) and periods, ranges for scores, amounts and weights. The config reads
each sheet through a column mapping (header -> calibrate's name), so
``calibrate validate`` and ``calibrate run`` read the workbook as HR returns it.

>>> paths = init_company("acme", template="key_account_director", lang="zh")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from calibrate.errors import ConfigError
from calibrate.indicators import indicator_set_text, load_indicator_set
from calibrate.messages import text
from calibrate.periods import quarter_label
from calibrate.schema import TABLES

#: The tables of the workbook, in sheet order; sheet names are ``init.sheet_<table>`` of the catalogue.
SHEETS = ("managers", "performance", "survey", "reviews", "innovation", "ahp_judgments", "last_year_weights")
DEFAULT_REGIONS = ("华东", "华北", "华南", "华中", "西部")
#: performance columns always asked for (the retention outcome reads the customer counts)
_PERFORMANCE_ALWAYS = ("customers_start", "customers_lost")
_WHOLE = {
    "new_customers",
    "new_customer_target",
    "customers_start",
    "customers_lost",
    "key_customers",
    "key_customers_lost",
    "recommend",
    "satisfaction",
    "year",
    "accepted_solutions",
}
#: tables that get a sheet only when the indicator set reads them
_OPTIONAL_SHEETS = ("survey", "reviews", "innovation")
_MAX_ROWS = 100_000


def table_columns(table: str, template: str) -> list[str]:
    """The columns the workbook asks for in ``table``: required ones, those the set reads, and a few useful ones."""
    iset = load_indicator_set(template)
    needed = {c for i in iset.indicators if i.source == table and i.compute_kind != "review" for c in i.compute_args}
    if table == "performance":
        needed |= set(_PERFORMANCE_ALWAYS)
    if table == "managers":
        needed |= {"name", "level", "leave_date"}
    return [c.name for c in TABLES[table] if c.required or c.name in needed]


def tables_for(template: str) -> list[str]:
    sources = {i.source for i in load_indicator_set(template).indicators}
    return [t for t in SHEETS if t not in _OPTIONAL_SHEETS or t in sources]


def init_company(
    folder: str | Path,
    *,
    template: str = "account_manager",
    lang: str = "zh",
    year: int | None = None,
    force: bool = False,
) -> dict[str, Path]:
    """Write ``calibrate.yaml``, ``indicator_set.yaml`` and the input workbook into ``folder``."""
    import datetime

    if lang not in ("zh", "en"):
        raise ConfigError(f"--lang {lang!r} must be zh or en")
    load_indicator_set(template)  # an unknown template stops here with the list
    folder = Path(folder)
    year = year or datetime.date.today().year - 1
    paths = {
        "config": folder / "calibrate.yaml",
        "indicator_set": folder / "indicator_set.yaml",
        "workbook": folder / text("init.workbook_file", lang),
    }
    existing = [p.name for p in paths.values() if p.exists()]
    if existing and not force:
        raise ConfigError(f"{folder}: {', '.join(existing)} already exist; choose an empty folder or add --force")
    folder.mkdir(parents=True, exist_ok=True)
    paths["indicator_set"].write_text(indicator_set_text(template), encoding="utf-8")
    tables = tables_for(template)
    write_input_workbook(paths["workbook"], {t: table_columns(t, template) for t in tables}, lang=lang, year=year)
    paths["config"].write_text(_config_text(tables, template, lang, year, paths["workbook"].name), encoding="utf-8")
    return paths


def _h(column: str, lang: str) -> str:
    """A column's header in the workbook (``init.col_<column>``)."""
    return text(f"init.col_{column}", lang)


def _sheet(table: str, lang: str) -> str:
    return text(f"init.sheet_{table}", lang)


def period_choices(year: int) -> tuple[list[str], list[str]]:
    """(quarters, every period) offered in the drop-downs: the review year and the two before it."""
    quarters = [quarter_label(y, q) for y in range(year - 2, year + 1) for q in (1, 2, 3, 4)]
    halves = [f"{y}H{h}" for y in range(year - 2, year + 1) for h in (1, 2)]
    return quarters, quarters + halves + [str(y) for y in range(year - 2, year + 1)]


def write_input_workbook(path: Path, tables: dict[str, list[str]], *, lang: str, year: int) -> Path:
    """The input workbook: a sheet per table with noted headers and validation, and the options sheet."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    wb.remove(wb.active)
    quarters, periods = period_choices(year)
    options = wb.create_sheet(text("init.options_sheet", lang))
    titles = tuple(text(f"init.options_{k}", lang) for k in ("region", "quarter", "period"))
    for k, (title, values) in enumerate(zip(titles, (DEFAULT_REGIONS, quarters, periods))):
        options.cell(1, k + 1, title).font = Font(bold=True)
        for r, v in enumerate(values):
            options.cell(r + 2, k + 1, v)
    ref = f"'{options.title}'"
    lists = {
        "region": f"={ref}!$A$2:$A$51",
        "quarter": f"={ref}!$B$2:$B${len(quarters) + 1}",
        "period": f"={ref}!$C$2:$C${len(periods) + 1}",
        "years": f"{year - 2}:{year}",
    }
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for table, columns in tables.items():
        ws = wb.create_sheet(_sheet(table, lang), index=len(wb.sheetnames) - 1)
        for k, column in enumerate(columns):
            cell = ws.cell(1, k + 1, _h(column, lang))
            cell.font, cell.fill = bold, fill
            note = text(f"init.note_{column}", lang)
            cell.comment = Comment(note, "calibrate")
            letter = cell.column_letter
            ws.column_dimensions[letter].width = max(12, 2 * len(cell.value) + 4)
            rule = _validation(table, column, lists, lang)
            if rule is not None:
                dv = DataValidation(**rule, allow_blank=True, showErrorMessage=True)
                dv.error = note
                dv.errorTitle = "calibrate"
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}{_MAX_ROWS}")
            if column in ("value", "manager_id", "rater_id", "expert", "customer_id"):
                for r in range(2, 202):
                    ws.cell(r, k + 1).number_format = "@"  # typed 1/3 stays text, not a date
        ws.freeze_panes = "A2"
    wb.save(path)
    return path


def _validation(table: str, column: str, lists: dict[str, str], lang: str) -> dict | None:
    if column == "region":
        return {"type": "list", "formula1": lists["region"]}
    if column == "period":
        return {"type": "list", "formula1": lists["quarter" if table == "performance" else "period"]}
    if column in ("hire_date", "leave_date"):
        return {"type": "date", "operator": "greaterThan", "formula1": "1"}
    if column == "year":  # the review year and the two before it, as the period lists
        low, high = lists["years"].split(":")
        return {"type": "whole", "operator": "between", "formula1": low, "formula2": high}
    spec = {c.name: c for c in TABLES[table]}.get(column)
    if spec is None or spec.kind not in ("int", "float") or (spec.low is None and spec.high is None):
        return None
    kind = "whole" if column in _WHOLE else "decimal"
    if spec.high is None:
        return {"type": kind, "operator": "greaterThanOrEqual", "formula1": f"{spec.low:g}"}
    return {"type": kind, "operator": "between", "formula1": f"{spec.low:g}", "formula2": f"{spec.high:g}"}


def _config_text(tables: list[str], template: str, lang: str, year: int, workbook: str) -> str:
    t = lambda key, **v: text(f"init.{key}", lang, **v)  # noqa: E731
    lines = [
        t("cfg_head"),
        "#   calibrate validate --config calibrate.yaml     # " + t("cfg_validate"),
        "#   calibrate run --config calibrate.yaml          # " + t("cfg_run"),
        f"run_name: {template}_{year}",
        "# " + t("cfg_year"),
        f"year: {year}",
        f"lang: {lang}",
        "seed: 1",
        "# " + t("cfg_indicator_set", template=template),
        "indicator_set: indicator_set.yaml",
        "# " + t("cfg_data"),
        "# " + t("cfg_other_sources"),
        "data:",
    ]
    for table in tables:
        columns = table_columns(table, template)
        mapping = ", ".join(f"{_h(c, lang)}: {c}" for c in columns)
        lines.append(f"  {table}:")
        lines.append(f"    path: {workbook}")
        lines.append(f"    sheet: {_sheet(table, lang)}")
        lines.append(f"    columns: {{{mapping}}}")
    lines += ["output: reports", "privacy:", "  pseudonymise: true", ""]
    return "\n".join(lines)

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
from calibrate.periods import quarter_label
from calibrate.schema import TABLES

WORKBOOK = {"zh": "输入数据.xlsx", "en": "input.xlsx"}
SHEETS = {"managers": ("人员", "Managers"), "performance": ("业绩", "Performance"), "survey": ("客户调研", "Survey"),
          "reviews": ("360评估", "360 reviews"), "innovation": ("创新委员会", "Innovation committee"),
          "ahp_judgments": ("专家判断", "AHP judgments"),
          "last_year_weights": ("去年权重", "Last year weights")}
OPTIONS_SHEET = ("选项", "Options")
DEFAULT_REGIONS = ("华东", "华北", "华南", "华中", "西部")
#: column -> (Chinese header, English header, Chinese note, English note)
COLUMNS: dict[str, tuple[str, str, str, str]] = {
    "manager_id": ("客户经理编号", "Manager ID", "工号，每人唯一，如 M0001", "Employee ID, one per person, e.g. M0001"),
    "name": ("姓名", "Name", "姓名（报告中不显示）", "Name (never shown in reports)"),
    "region": ("区域", "Region", "从下拉列表选择；列表在“选项”表中修改", "Pick from the list; edit the list on the Options sheet"),
    "level": ("职级", "Level", "可留空", "May be left empty"),
    "hire_date": ("入职日期", "Hire date", "日期，如 2021-03-15", "A date, e.g. 2021-03-15"),
    "leave_date": ("离职日期", "Leave date", "在职则留空", "Empty while employed"),
    "period": ("期间", "Period", "从下拉列表选择：季度如 2024Q3（也可写 2024年第3季度、2024-03）",
               "Pick from the list: a quarter such as 2024Q3 (2024-03 or a date also work)"),
    "revenue_target": ("收入目标", "Revenue target", "本季度收入目标（万元），大于 0", "The quarter's revenue target (10k CNY), above 0"),
    "revenue": ("收入", "Revenue", "本季度实际收入（万元），不小于 0", "The quarter's revenue (10k CNY), 0 or more"),
    "profit": ("利润", "Profit", "本季度利润（万元），可为负", "The quarter's profit (10k CNY), may be negative"),
    "new_customers": ("新客户数", "New customers", "本季度新签客户数，整数", "Customers won this quarter, a whole number"),
    "new_customer_target": ("新客户目标", "New-customer target", "可留空", "May be left empty"),
    "new_customer_revenue": ("新客户收入", "New-customer revenue", "新客户带来的收入（万元）", "Revenue from new customers (10k CNY)"),
    "customers_start": ("期初客户数", "Customers at start", "季度初的客户数，整数", "Customers at the start of the quarter"),
    "customers_lost": ("流失客户数", "Customers lost", "本季度流失的客户数，不超过期初客户数", "Customers lost in the quarter, at most those at the start"),
    "key_customers": ("重点客户数", "Key customers", "季度初的重点客户数", "Key customers at the start of the quarter"),
    "key_customers_lost": ("重点客户流失数", "Key customers lost", "不超过重点客户数", "At most the key customers"),
    "customer_id": ("客户编号", "Customer ID", "可留空", "May be left empty"),
    "recommend": ("推荐意愿", "Recommend", "0-10 分整数（NPS 问题），未答留空", "0-10 whole number (NPS question); empty if not answered"),
    "satisfaction": ("满意度", "Satisfaction", "1-5 分整数，未答留空", "1-5 whole number; empty if not answered"),
    "rater_id": ("评估人编号", "Rater ID", "评估人工号", "The rater's ID"),
    "rater_role": ("评估人角色", "Rater role", "peer / subordinate / supervisor / cross_team", "peer / subordinate / supervisor / cross_team"),
    "criterion": ("评估项", "Criterion", "指标集中的 360 评估项代码，如 collaboration", "The set's 360 criterion id, e.g. collaboration"),
    "score": ("评分", "Score", "1-5 分", "1-5"),
    "year": ("年度", "Year", "年度，如 2024；每人每年一行", "The year, e.g. 2024; one row per manager and year"),
    "accepted_solutions": ("采纳方案数", "Accepted solutions",
                           "创新委员会当年采纳的该客户经理的方案数，0 或正整数（没有被采纳的方案写 0）",
                           "Solutions of this manager the innovation committee accepted in the year, "
                           "a whole number 0 or more (write 0 when none was accepted)"),
    "expert": ("专家", "Expert", "专家代号", "The expert's code"),
    "row": ("指标A", "Item A", "指标代码（见指标集）", "Indicator id (see the indicator set)"),
    "col": ("指标B", "Item B", "指标代码（见指标集）", "Indicator id (see the indicator set)"),
    "value": ("A比B重要程度", "A vs B", "Saaty 1-9 标度；B 更重要时写 1/3 等（文本格式）", "Saaty 1-9; write 1/3 etc. when B matters more (text cell)"),
    "indicator": ("指标代码", "Indicator id", "指标代码（见指标集）", "Indicator id (see the indicator set)"),
    "weight": ("去年权重", "Weight", "0-1 之间的小数，合计为 1", "A share between 0 and 1; they sum to 1"),
}
#: performance columns always asked for (the retention outcome reads the customer counts)
_PERFORMANCE_ALWAYS = ("customers_start", "customers_lost")
_WHOLE = {"new_customers", "new_customer_target", "customers_start", "customers_lost", "key_customers",
          "key_customers_lost", "recommend", "satisfaction", "year", "accepted_solutions"}
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


def init_company(folder: str | Path, *, template: str = "account_manager", lang: str = "zh",
                 year: int | None = None, force: bool = False) -> dict[str, Path]:
    """Write ``calibrate.yaml``, ``indicator_set.yaml`` and the input workbook into ``folder``."""
    import datetime

    if lang not in ("zh", "en"):
        raise ConfigError(f"--lang {lang!r} must be zh or en")
    load_indicator_set(template)                     # an unknown template stops here with the list
    folder = Path(folder)
    year = year or datetime.date.today().year - 1
    paths = {"config": folder / "calibrate.yaml", "indicator_set": folder / "indicator_set.yaml",
             "workbook": folder / WORKBOOK[lang]}
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
    zh, en, _, _ = COLUMNS[column]
    return zh if lang == "zh" else en


def _sheet(table: str, lang: str) -> str:
    return SHEETS[table][0 if lang == "zh" else 1]


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
    options = wb.create_sheet(OPTIONS_SHEET[0 if lang == "zh" else 1])
    titles = (("区域", "季度", "期间") if lang == "zh" else ("Region", "Quarter", "Period"))
    for k, (title, values) in enumerate(zip(titles, (DEFAULT_REGIONS, quarters, periods))):
        options.cell(1, k + 1, title).font = Font(bold=True)
        for r, v in enumerate(values):
            options.cell(r + 2, k + 1, v)
    ref = f"'{options.title}'"
    lists = {"region": f"={ref}!$A$2:$A$51", "quarter": f"={ref}!$B$2:$B${len(quarters) + 1}",
             "period": f"={ref}!$C$2:$C${len(periods) + 1}", "years": f"{year - 2}:{year}"}
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for table, columns in tables.items():
        ws = wb.create_sheet(_sheet(table, lang), index=len(wb.sheetnames) - 1)
        for k, column in enumerate(columns):
            cell = ws.cell(1, k + 1, _h(column, lang))
            cell.font, cell.fill = bold, fill
            note = COLUMNS[column][2 if lang == "zh" else 3]
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
                    ws.cell(r, k + 1).number_format = "@"        # typed 1/3 stays text, not a date
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
    if column == "year":                      # the review year and the two before it, as the period lists
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
    zh = lang == "zh"
    lines = [
        "# calibrate run config (written by `calibrate init`). Edit, then:" if not zh else
        "# calibrate 运行配置（由 `calibrate init` 生成）。填好输入表后运行：",
        "#   calibrate validate --config calibrate.yaml     # " + ("检查数据，列出每个问题" if zh else "check the data"),
        "#   calibrate run --config calibrate.yaml          # " + ("生成报告" if zh else "write the reports"),
        f"run_name: {template}_{year}",
        "# " + ("考核年度：报告评估这一年，并为下一年给出方案" if zh else "the year reviewed; the plan is for the year after"),
        f"year: {year}",
        f"lang: {lang}",
        "seed: 1",
        "# " + (f"指标集（模板 {template} 的副本，可修改）" if zh else f"the indicator set (a copy of template {template}, yours to edit)"),
        "indicator_set: indicator_set.yaml",
        "# " + ("每个表：工作簿、工作表，以及表头到 calibrate 列名的映射（columns）。"
                if zh else "each table: the workbook, its sheet, and the headers -> calibrate's names (columns)."),
        "# " + ("也可以换成 CSV/Excel/数据库导出，见 README 的“数据格式”一节。"
                if zh else "Any table may come from a CSV, Excel or database export instead: see README, Data formats."),
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

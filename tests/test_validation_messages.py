"""Validation findings in the reader's language: every Problem of the loading path has a code that both
catalogues hold (``validation.<code>``); ``calibrate validate`` and report 01 say them in the run's language,
with file, row and column, values from the data as they are and manager IDs pseudonymised."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from calibrate.cli.app import main
from calibrate.messages import catalogue, has

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "calibrate"
#: Method packages check their own inputs (a DataFrame passed to a function); those problems are raised,
#: printed by the CLI as errors, and never shown on a page.
METHODS = ("pls", "targets", "weights", "research", "scoring")
CJK = re.compile(r"[\u3400-\u9fff]")


def codes_of_problem_calls(source: str) -> list[tuple[int, list[str] | None]]:
    """Each ``Problem(...)`` call with the codes it can give (both branches of ``a if c else b``);
    ``None`` when it gives no code or one that is not written out."""

    def literals(node: ast.expr) -> list[str] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
            return [node.value]
        if isinstance(node, ast.IfExp):
            a, b = literals(node.body), literals(node.orelse)
            return a + b if a is not None and b is not None else None
        return None

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Problem":
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            found.append((node.lineno, literals(code) if code is not None else None))
    return found


def test_the_code_check_finds_a_problem_without_a_code():
    source = (
        'a = Problem("f.csv", 2, "x", "value is missing")\n'
        'b = Problem("f.csv", 2, "x", "bad", code="value_missing" if blank else "not_a_number")\n'
        'c = Problem("f.csv", 2, "x", "bad", code=name)\n'
    )
    assert codes_of_problem_calls(source) == [(1, None), (2, ["value_missing", "not_a_number"]), (3, None)]


def test_every_problem_of_the_loading_path_has_a_code_in_both_catalogues():
    """Application and loading modules (schema, loading, sources, deals, ...) create no Problem without a
    code, and every code they can give is ``validation.<code>`` in zh.yaml and en.yaml."""
    missing, seen = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if parts[0] in METHODS or parts[0] == "errors.py":
            continue
        for line, codes in codes_of_problem_calls(path.read_text(encoding="utf-8")):
            where = f"{path.relative_to(PACKAGE)}:{line}"
            if codes is None:
                missing.append(f"{where}: no literal code")
                continue
            seen.update(codes)
            missing += [
                f"{where}: validation.{c} not in {lang}.yaml"
                for c in codes
                for lang in ("zh", "en")
                if not has(f"validation.{c}", lang)
            ]
    assert missing == []
    assert len(seen) >= 35  # schema.py alone gives about 30
    # every scale a column's range can name, and the plain ranges, have words in both languages
    from calibrate.schema import TABLES

    ranges = {c.range_code() for cols in TABLES.values() for c in cols if c.low is not None or c.high is not None}
    for lang in ("zh", "en"):
        for code in ranges | {"between", "at_least", "at_most"}:
            assert has(f"validation_range.{code}", lang), (lang, code)
        assert {k for k in catalogue(lang) if k.startswith("validation.")} == {f"validation.{c}" for c in seen}


def _edit(path: Path, edit) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame)
    frame.to_csv(path, index=False)


def _add_dropped_indicator(frame: pd.DataFrame) -> None:
    frame.loc[len(frame)] = ["legacy_indicator", "0"]  # a warning: last year's indicator not in this set


def _drop_revenue(frame: pd.DataFrame) -> None:
    frame.loc[0, "revenue"] = "x"


def _corrupt(folder: Path) -> None:
    """A problem or warning of many kinds at once."""

    def perf(f):
        f.loc[0, "revenue"] = "abc"
        f.loc[3, "revenue_target"] = "0"
        f.loc[5, "period"] = "2024Q7"
        f.loc[8, "new_customers"] = "1.5"
        f.loc[9, "customers_lost"] = str(int(f.loc[9, "customers_start"]) + 3)

    def managers(f):
        f.loc[2, "hire_date"] = "yesterday"
        f.loc[4, "leave_date"] = "2001-01-01"

    def reviews(f):
        f.loc[1, "score"] = "7"
        f.loc[2, "manager_id"] = "X999"

    def judgments(f):
        f.loc[0, "col"] = f.loc[0, "row"]
        f.loc[1, "row"] = "golf_handicap"

    _edit(folder / "performance.csv", perf)
    _edit(folder / "managers.csv", managers)
    _edit(folder / "reviews_360.csv", reviews)
    _edit(folder / "ahp_judgments.csv", judgments)
    _edit(folder / "last_year_weights.csv", _add_dropped_indicator)


def test_findings_say_the_english_message_in_english_and_chinese_in_chinese(small_company):
    """Rendered through the catalogue, each finding is its English message word for word in English
    (the catalogue and the code say the same), and in Chinese has no English word but the values it
    quotes from the data, ids and file names."""
    from calibrate.loading import validate
    from calibrate.messages.findings import line

    _corrupt(small_company)
    report = validate(small_company / "calibrate.yaml")
    findings = report.problems + report.warnings
    codes = {p.code for p in findings}
    assert len(codes) >= 12, codes
    for p in findings:
        assert line(p, "en") == str(p)
        zh = line(p, "zh")
        assert CJK.search(zh), zh
        values = [v for v in p.params.values() if not isinstance(v, list)]
        values += [item for v in p.params.values() if isinstance(v, list) for item in v]  # ids listed
        quoted = {str(v) for v in values} | {p.source, str(p.column)}
        rest = zh
        for value in sorted(quoted, key=len, reverse=True):
            rest = rest.replace(value, " ")
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z_']+", rest) if "_" not in w and w not in ("NPS", "AHP")]
        assert words == [], (zh, words)


def test_validate_prints_findings_in_the_config_language(small_company, capsys):
    """A zh config: the finding in Chinese, still naming file, row and column; exit code 1 as before.
    The same data with an en config prints the English line as before."""
    import yaml

    _edit(small_company / "performance.csv", _drop_revenue)
    config = small_company / "calibrate.yaml"
    assert yaml.safe_load(config.read_text(encoding="utf-8"))["lang"] == "zh"
    assert main(["validate", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "问题：performance.csv 第 2 行，列 revenue：'x' 不是数字" in out
    assert "个问题" in out and "PROBLEM" not in out and "is not a number" not in out

    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["lang"] = "en"
    english = small_company / "calibrate_en.yaml"
    english.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["validate", "--config", str(english)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM: performance.csv row 2, column revenue: 'x' is not a number" in out
    assert "1 problem(s), 0 warning(s)" in out and not CJK.search(out.replace("。", ""))
    # --lang overrides the config, as for review and simulate
    assert main(["validate", "--config", str(english), "--lang", "zh"]) == 1
    assert "'x' 不是数字" in capsys.readouterr().out


def _monthly_with_an_unreadable_period(frame: pd.DataFrame) -> None:
    frame.loc[0, "period"] = "2023-01"  # one monthly row: the table is aggregated while it is read
    frame.loc[1, "period"] = "sometime"


def test_validate_prints_a_problem_met_while_reading_in_the_config_language(small_company, capsys):
    """Monthly performance rows whose period cannot be read stop while the source is read (before
    validation); ``calibrate validate`` still prints the finding in the config's language with row and column."""
    _edit(small_company / "performance.csv", _monthly_with_an_unreadable_period)
    config = str(small_company / "calibrate.yaml")
    assert main(["validate", "--config", config]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "读取数据时发现 1 个问题：",
        "  问题：performance.csv 第 3 行，列 period：'sometime' 不是月份、日期或季度",
    ]
    assert main(["validate", "--config", config, "--lang", "en"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "1 problem(s) found while reading the data:",
        "  PROBLEM: performance.csv row 3, column period: 'sometime' is not a month, date or quarter",
    ]


@pytest.mark.notebook
def test_a_chinese_run_shows_its_validation_warnings_in_chinese(small_company, tmp_path):
    """Warnings do not stop a run: report 01 of a zh run lists them in Chinese (where and what), with the
    manager's pseudonym instead of the ID, and none of the English sentence."""
    from tests.report_text import problems, visible_text

    from calibrate.steps import artifacts as declared

    managers = pd.read_csv(small_company / "managers.csv", dtype=str, keep_default_na=False)
    silent = managers.loc[managers["leave_date"] == "", "manager_id"].iloc[0]
    performance = pd.read_csv(small_company / "performance.csv", dtype=str, keep_default_na=False)
    performance[performance["manager_id"] != silent].to_csv(small_company / "performance.csv", index=False)
    _edit(small_company / "last_year_weights.csv", _add_dropped_indicator)
    out = tmp_path / "reports"
    argv = ["run", "--config", str(small_company / "calibrate.yaml"), "--only", "01_data_quality"]
    assert main([*argv, "--output", str(out)]) == 0
    run = next(out.iterdir())
    validation = declared.read(run, "data.validation")
    assert list(validation["severity"]) == ["warning", "warning"]
    html = (run / "01_data_quality.html").read_text(encoding="utf-8")
    shown, _ = visible_text(html)
    for message in validation["message"]:
        assert message.split(":")[0] not in shown  # no English sentence
    assert "去年的指标不在今年的指标体系中：legacy_indicator" in shown
    assert "performance.csv，列 manager_id" in shown
    pseudonym = json.loads(validation["params"].iloc[0])["managers"][0]
    assert pseudonym.startswith("P-") and pseudonym in shown and silent not in html
    assert f"1 名在职客户经理没有业绩数据行：{pseudonym}" in shown
    # the headers of the user's files (here 'indicator', as written in last_year_weights.csv) are data
    headers = {"indicator"}
    assert problems(html, "zh", allowed=headers | set(managers["region"])) == []


def test_ecsi_labels_come_from_the_catalogue():
    """Every ECSI latent variable has a label in both catalogues (``ecsi.lv_<name>``); a researcher gets
    them with ``calibrate.report.ecsi.lv_label`` / ``ecsi_labels``; no per-language dict is left in code."""
    import calibrate.ecsi as ecsi
    from calibrate.messages import text
    from calibrate.report.ecsi import ecsi_labels, lv_label

    assert not hasattr(ecsi, "ECSI_LABELS")
    for lang in ("zh", "en"):
        labels = ecsi_labels(lang)
        assert list(labels) == list(ecsi.ECSI_LATENT) == list(ecsi.ECSI_LAYOUT)
        assert all(labels[lv] == text(f"ecsi.lv_{lv}", lang) != lv for lv in ecsi.ECSI_LATENT)
    assert lv_label("satisfaction", "zh") == "客户满意度" and lv_label("quality", "en") == "Perceived quality"
    assert all(CJK.search(v) for v in ecsi_labels("zh").values())


def test_run_stopped_by_the_data_prints_the_findings_in_the_run_language(small_company, capsys):
    """``calibrate run`` on data with a problem writes nothing and names file, row and column in the
    config's language (zh here), or in the language given with --lang."""
    _edit(small_company / "performance.csv", _drop_revenue)
    config = str(small_company / "calibrate.yaml")
    assert main(["run", "--config", config, "--output", str(small_company / "out")]) == 1
    lines = capsys.readouterr().err.splitlines()
    start = lines.index("calibrate: 数据有问题，未写入任何文件。")  # after the note of a new pseudonym key
    assert lines[start : start + 3] == [
        "calibrate: 数据有问题，未写入任何文件。",
        "输入数据中发现 1 个问题：",
        "  问题：performance.csv 第 2 行，列 revenue：'x' 不是数字",
    ]
    assert not (small_company / "out").exists() or not any((small_company / "out").iterdir())
    assert main(["run", "--config", config, "--output", str(small_company / "out"), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "performance.csv row 2, column revenue: 'x' is not a number" in err and "nothing was written" in err

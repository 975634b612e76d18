"""`calibrate init` -> HR fills the workbook -> `calibrate validate` -> `calibrate run`, for both templates."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from calibrate.cli.app import main
from calibrate.config import load_config
from calibrate.errors import ConfigError
from calibrate.indicators import load_indicator_set
from calibrate.loading import load_dataset
from calibrate.scaffold import init_company

SMALL = {
    "weights": {"bootstrap": 40},
    "targets": {"scenarios": 2000},
    "scoring": {"stability": {"draws": 40, "spread": 0.2, "ranges": None, "boundary_probability": 0.2}},
}


def _sample_tables(folder, template) -> dict[str, pd.DataFrame]:
    judgments = pd.read_csv(
        folder
        / ("ahp_judgments_key_account_director.csv" if template == "key_account_director" else "ahp_judgments.csv"),
        dtype=str,
    )
    weights = pd.read_csv(folder / "last_year_weights.csv")
    if template == "key_account_director":
        weights = load_indicator_set(template).default_weights().rename_axis("indicator").reset_index()
    return {
        "managers": pd.read_csv(folder / "managers.csv", dtype=str),
        "performance": pd.read_csv(folder / "performance.csv"),
        "survey": pd.read_parquet(folder / "survey.parquet"),
        "reviews": pd.read_csv(folder / "reviews_360.csv"),
        "innovation": pd.read_csv(folder / "innovation_committee.csv"),
        "ahp_judgments": judgments,
        "last_year_weights": weights,
    }


def _fill(config_path, tables):
    """Type the sample into the workbook the way HR would: under the localised headers, dates as dates."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    book_path = config_path.parent / next(iter(config["data"].values()))["path"]
    wb = load_workbook(book_path)
    for table, spec in config["data"].items():
        ws = wb[spec["sheet"]]
        headers = [c.value for c in ws[1]]
        frame = tables[table]
        for r, record in enumerate(frame[[spec["columns"][h] for h in headers]].itertuples(index=False), start=2):
            for k, value in enumerate(record, start=1):
                if pd.isna(value):
                    continue
                if headers[k - 1] in ("入职日期", "离职日期", "Hire date", "Leave date"):
                    value = datetime.datetime.fromisoformat(value)
                elif hasattr(value, "item"):
                    value = value.item()
                ws.cell(r, k, value)
    wb.save(book_path)


def _small_settings(config_path, output):
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config.update(SMALL, output=str(output))
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def test_workbook_has_noted_headers_and_validation(tmp_path):
    assert (
        main(["init", str(tmp_path / "acme"), "--template", "key_account_director", "--lang", "zh", "--year", "2024"])
        == 0
    )
    wb = load_workbook(tmp_path / "acme" / "输入数据.xlsx")
    assert wb.sheetnames == ["人员", "业绩", "客户调研", "360评估", "创新委员会", "专家判断", "去年权重", "选项"]
    perf = wb["业绩"]
    assert [c.value for c in perf[1]][:4] == ["客户经理编号", "期间", "收入目标", "收入"]
    assert "万元" in perf["C1"].comment.text
    rules = {str(dv.sqref).split(":")[0]: dv for dv in perf.data_validations.dataValidation}
    assert rules["B2"].type == "list" and "选项" in rules["B2"].formula1
    survey = {str(dv.sqref).split(":")[0]: dv for dv in wb["客户调研"].data_validations.dataValidation}
    assert (survey["C2"].type, survey["C2"].formula1, survey["C2"].formula2) == ("whole", "0", "10")
    regions = {str(dv.sqref).split(":")[0]: dv for dv in wb["人员"].data_validations.dataValidation}
    assert regions["C2"].type == "list"
    assert [wb["选项"].cell(r, 2).value for r in (2, 13)] == ["2022Q1", "2024Q4"]
    # the innovation committee's sheet: one row per manager and year, a year of the drop-down span, counts >= 0
    committee = wb["创新委员会"]
    assert [c.value for c in committee[1]] == ["客户经理编号", "年度", "采纳方案数"]
    assert "创新委员会当年采纳" in committee["C1"].comment.text and "每人每年一行" in committee["B1"].comment.text
    rules = {str(dv.sqref).split(":")[0]: dv for dv in committee.data_validations.dataValidation}
    assert (rules["B2"].type, rules["B2"].formula1, rules["B2"].formula2) == ("whole", "2022", "2024")
    assert (rules["C2"].type, rules["C2"].operator, rules["C2"].formula1) == ("whole", "greaterThanOrEqual", "0")
    init_company(tmp_path / "director_en", template="key_account_director", lang="en", year=2024)
    english = load_workbook(tmp_path / "director_en" / "input.xlsx")["Innovation committee"]
    assert [c.value for c in english[1]] == ["Manager ID", "Year", "Accepted solutions"]
    assert "innovation committee accepted" in english["C1"].comment.text
    # account-manager set also asks for satisfaction, and has no committee sheet (it does not read that table)
    init_company(tmp_path / "am", lang="en", year=2024)
    am = load_workbook(tmp_path / "am" / "input.xlsx")
    assert "Satisfaction" in [c.value for c in am["Survey"][1]] and "Innovation committee" not in am.sheetnames


def test_init_refuses_to_overwrite(tmp_path):
    init_company(tmp_path / "acme", year=2024)
    with pytest.raises(ConfigError, match="already exist"):
        init_company(tmp_path / "acme", year=2024)


@pytest.mark.notebook
@pytest.mark.parametrize(
    "template, lang, only",
    [
        ("account_manager", "zh", ["01_data_quality", "02_weights"]),  # its full run is tests/test_pipeline.py's
        # its full run is tests/test_innovation.py's (the sample's director config)
        ("key_account_director", "en", ["01_data_quality", "02_weights"]),
    ],
)
def test_init_fill_validate_run(template, lang, only, small_company_master, tmp_path, capsys):
    folder = tmp_path / "acme"
    assert main(["init", str(folder), "--template", template, "--lang", lang, "--year", "2024"]) == 0
    config_path = folder / "calibrate.yaml"
    _fill(config_path, _sample_tables(small_company_master, template))
    assert main(["validate", "--config", str(config_path)]) == 0  # printed in the config's language
    assert ("0 problem(s)" if lang == "en" else "0 个问题") in capsys.readouterr().out
    reference = load_dataset(small_company_master / "calibrate.yaml")
    ds = load_dataset(config_path)
    pd.testing.assert_frame_equal(
        ds.performance[reference.performance.columns.intersection(ds.performance.columns)],
        reference.performance[ds.performance.columns.intersection(reference.performance.columns)],
        check_dtype=False,
    )
    _small_settings(config_path, tmp_path / "reports")
    assert main(["run", "--config", str(config_path), *(["--only", *only] if only else [])]) == 0
    run_folder = tmp_path / "reports" / load_config(config_path).run_name
    for name in only or ("01_data_quality", "02_weights", "03_targets", "05_scoring", "executive_summary"):
        assert (run_folder / f"{name}.html").exists(), name
    proposal = pd.read_csv(run_folder / "weights" / "proposal.csv")
    assert set(proposal["indicator"]) == set(load_indicator_set(template).ids)
    if template == "key_account_director":
        # solution innovation is weighted from the innovation committee's yearly counts, not from 360 ratings
        row = proposal.set_index("indicator").loc["solution_innovation"]
        assert (row["data_source"], row["review_period"]) == ("innovation", "year") and row["weight"] > 0


def test_sample_director_config_validates_with_its_judgments_and_committee_table(small_company, capsys):
    """The sample's key_account_director config (written by the generator) reads the innovation committee's
    table and the director judgments: `calibrate validate` finds nothing to report."""
    config = small_company / "calibrate_key_account_director.yaml"
    assert load_config(config).data["innovation"] == "innovation_committee.csv"
    assert main(["validate", "--config", str(config), "--lang", "en"]) == 0
    assert "0 problem(s), 0 warning(s)" in capsys.readouterr().out
    judged = pd.read_csv(small_company / "ahp_judgments_key_account_director.csv")
    pairs = judged.groupby("expert").size()
    assert (pairs == 21).all()  # 7 items: every pair judged by every expert
    assert "solution_innovation" in set(judged["row"]) | set(judged["col"])

"""Every loader reads the same company into the same typed tables."""

from __future__ import annotations

import sqlite3

import duckdb
import pandas as pd
import pytest
import yaml

from calibrate.config import load_config
from calibrate.errors import DataSourceError
from calibrate.io import read_source
from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel


def _set_source(folder, table, spec):
    cfg_path = folder / "calibrate.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["data"][table] = spec
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return cfg_path


@pytest.fixture(scope="module")
def reference(small_company_master):
    return load_dataset(small_company_master / "calibrate.yaml")


def test_sample_config_loads_with_no_problems(reference):
    assert reference.report.ok and not reference.report.warnings
    assert len(reference.managers) == 40
    assert reference.quarters[0] == "2023Q1" and reference.quarters[-1] == "2024Q4"
    assert set(reference.sources) == {
        "managers",
        "performance",
        "survey",
        "reviews",
        "innovation",
        "ahp_judgments",
        "last_year_weights",
    }


def test_gbk_csv_reads_like_utf8(small_company, reference):
    text = (small_company / "managers.csv").read_text(encoding="utf-8")
    (small_company / "managers_gbk.csv").write_bytes(text.encode("gbk"))
    ds = load_dataset(_set_source(small_company, "managers", "managers_gbk.csv"))
    pd.testing.assert_frame_equal(ds.managers, reference.managers)
    assert ds.managers["region"].isin(["华东", "华北", "华南", "华中", "西部"]).all()


def test_utf8_bom_csv(small_company, reference):
    text = (small_company / "managers.csv").read_text(encoding="utf-8")
    (small_company / "managers_bom.csv").write_text(text, encoding="utf-8-sig")
    ds = load_dataset(_set_source(small_company, "managers", "managers_bom.csv"))
    assert list(ds.managers.columns[:2]) == ["manager_id", "name"]


def test_xlsx(small_company, reference):
    raw = pd.read_csv(small_company / "performance.csv", dtype=str)
    raw.to_excel(small_company / "performance.xlsx", index=False)
    ds = load_dataset(_set_source(small_company, "performance", "performance.xlsx"))
    pd.testing.assert_frame_equal(ds.performance, reference.performance)
    assert ds.sources["performance"].kind == "xlsx"


def test_parquet(small_company, reference):
    pd.read_csv(small_company / "reviews_360.csv").to_parquet(small_company / "reviews.parquet")
    ds = load_dataset(_set_source(small_company, "reviews", "reviews.parquet"))
    pd.testing.assert_frame_equal(
        ds.reviews.reset_index(drop=True), reference.reviews.reset_index(drop=True), check_dtype=False
    )


def test_duckdb_table(small_company, reference):
    db = small_company / "hr.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE performance AS SELECT * FROM read_csv_auto('{small_company / 'performance.csv'}')")
    ds = load_dataset(_set_source(small_company, "performance", {"path": "hr.duckdb", "table": "performance"}))
    pd.testing.assert_frame_equal(
        ds.performance[["manager_id", "period", "revenue"]], reference.performance[["manager_id", "period", "revenue"]]
    )
    assert ds.sources["performance"].label == "hr.duckdb:performance"


def test_sqlalchemy_url(small_company, reference):
    db = small_company / "hr.sqlite"
    with sqlite3.connect(db) as con:
        pd.read_csv(small_company / "managers.csv").to_sql("managers", con, index=False)
    spec = {"url": f"sqlite:///{db}", "query": "SELECT * FROM managers"}
    ds = load_dataset(_set_source(small_company, "managers", spec))
    assert ds.managers["manager_id"].tolist() == reference.managers["manager_id"].tolist()


def test_duckdb_through_sqlalchemy(small_company, reference):
    db = small_company / "hr2.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            f"CREATE TABLE m AS SELECT * FROM read_csv_auto('{small_company / 'managers.csv'}', all_varchar=true)"
        )
    ds = load_dataset(_set_source(small_company, "managers", {"url": f"duckdb:///{db}", "table": "m"}))
    assert len(ds.managers) == 40


def test_missing_file_names_it(small_company):
    with pytest.raises(DataSourceError, match=r"nowhere\.csv: file not found"):
        load_dataset(_set_source(small_company, "managers", "nowhere.csv"))


def test_undecodable_csv_names_file_and_fix(small_company):
    (small_company / "bad.csv").write_bytes(b"manager_id,region\nM1,\xff\xfe\xff\n")
    with pytest.raises(DataSourceError, match=r"bad\.csv: cannot decode the text as utf-8-sig or gb18030"):
        read_source("bad.csv", base_dir=small_company)


def test_database_without_table(small_company):
    db = small_company / "x.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(DataSourceError, match=r"give a 'table' or a 'query'"):
        read_source({"path": "x.duckdb"}, base_dir=small_company)


def test_sql_injection_in_table_name_refused(small_company):
    db = small_company / "y.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(DataSourceError, match=r"may hold only letters"):
        read_source({"path": "y.duckdb", "table": "x; DROP TABLE y"}, base_dir=small_company)


def test_unknown_config_key(small_company):
    cfg = small_company / "calibrate.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "langauge: en\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"unknown key 'langauge'"):
        load_config(cfg)


def test_panel_computes_indicators_from_raw_answers(reference):
    panel = indicator_panel(reference)
    survey = reference.survey
    counts = reference.performance.manager_id.value_counts()
    mid = counts[counts == 8].index[0]  # a manager present in every quarter
    one = survey[(survey.manager_id == mid) & (survey.period == "2024Q2")]["recommend"].dropna()
    expected = 100 * ((one >= 9).mean() - (one <= 6).mean())
    assert panel.loc[(mid, "2024Q2"), "nps"] == pytest.approx(expected)
    perf = reference.performance.set_index(["manager_id", "period"])
    row = perf.loc[(mid, "2024Q2")]
    assert panel.loc[(mid, "2024Q2"), "revenue_attainment"] == pytest.approx(row.revenue / row.revenue_target)
    # half-year 360 ratings apply to both quarters of the half
    assert panel.loc[(mid, "2024Q1"), "collaboration"] == panel.loc[(mid, "2024Q2"), "collaboration"]
    nxt = perf.loc[(mid, "2024Q3")]
    assert panel.loc[(mid, "2024Q2"), "next_retention"] == pytest.approx(1 - nxt.customers_lost / nxt.customers_start)
    assert pd.isna(panel.loc[(mid, "2024Q4"), "next_revenue_growth"])  # last quarter: no next


def test_survey_ids_and_periods_load_as_categoricals_of_the_source_values(reference, small_company_master):
    # issue 18: at 100,000 managers the survey has 20.8M rows; as strings its three ID columns held 0.94 GB.
    # Stored once per distinct value with a code per row, they read back as the source's strings.
    raw = pd.read_parquet(small_company_master / "survey.parquet")
    for column in ("manager_id", "period", "customer_id"):
        typed = reference.survey[column]
        assert isinstance(typed.dtype, pd.CategoricalDtype), column
        assert typed.cat.categories.is_unique and len(typed.cat.categories) == raw[column].nunique()
        pd.testing.assert_series_equal(
            typed.astype("string").reset_index(drop=True), raw[column].astype("string"), check_names=False
        )

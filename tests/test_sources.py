"""Real exports through a config only: column and value mapping, periods as written, monthly rows, deals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from calibrate.errors import DataSourceError, ValidationError
from calibrate.indicators import indicator_set_text
from calibrate.loading import load_dataset, validate
from calibrate.periods import read_period
from calibrate.sources import aggregation_frame

DERIVED = ["revenue", "profit", "new_customers", "new_customer_revenue"]
ZH = {
    "manager_id": "客户经理编号",
    "period": "季度",
    "revenue_target": "收入目标",
    "revenue": "营收",
    "profit": "利润",
    "new_customers": "新客户数",
    "new_customer_target": "新客户目标",
    "new_customer_revenue": "新客户收入",
    "customers_start": "期初客户数",
    "customers_lost": "流失客户数",
    "key_customers": "重点客户数",
    "key_customers_lost": "重点客户流失数",
}


@pytest.fixture(scope="module")
def reference(small_company_master):
    return load_dataset(small_company_master / "calibrate.yaml")


def _config(folder, **data):
    path = folder / "calibrate.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["data"].update(data)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024Q3", ("quarter", "2024Q3")),
        ("2024年第3季度", ("quarter", "2024Q3")),
        ("2024年第三季度", ("quarter", "2024Q3")),
        ("2024-Q4", ("quarter", "2024Q4")),
        ("2024-03", ("month", "2024Q1")),
        ("2024/3", ("month", "2024Q1")),
        ("2024年3月", ("month", "2024Q1")),
        ("202407", ("month", "2024Q3")),
        ("2024-03-15", ("day", "2024Q1")),
        ("2024/12/31", ("day", "2024Q4")),
        ("2024年5月1日", ("day", "2024Q2")),
        ("2024上半年", ("half", "2024H1")),
        ("2024H2", ("half", "2024H2")),
        ("2024年", ("year", "2024")),
        ("2024-13", None),
        ("Q3", None),
    ],
)
def test_periods_as_people_write_them(text, expected):
    assert read_period(text) == expected


def test_chinese_headers_and_region_codes_through_the_config(small_company, reference):
    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    perf["period"] = perf["period"].str.replace(r"(\d{4})Q(\d)", r"\1年第\2季度", regex=True)
    perf.rename(columns=ZH).to_excel(small_company / "业绩.xlsx", index=False)
    managers = pd.read_csv(small_company / "managers.csv", dtype=str)
    codes = {"华东": "E", "华北": "N", "华南": "S", "华中": "C", "西部": "W"}
    managers.assign(region=managers["region"].map(codes)).rename(
        columns={"manager_id": "工号", "region": "大区"}
    ).to_csv(small_company / "人员.csv", index=False)
    cfg = _config(
        small_company,
        performance={"path": "业绩.xlsx", "columns": {v: k for k, v in ZH.items()}},
        managers={
            "path": "人员.csv",
            "columns": {"工号": "manager_id", "大区": "region"},
            "values": {"region": {v: k for k, v in codes.items()}},
        },
    )
    ds = load_dataset(cfg)
    pd.testing.assert_frame_equal(ds.performance, reference.performance)
    pd.testing.assert_frame_equal(ds.managers, reference.managers)


def test_errors_name_the_original_header(small_company):
    perf = pd.read_csv(small_company / "performance.csv", dtype=str).rename(columns=ZH)
    perf.loc[3, "营收"] = "abc"
    perf.to_csv(small_company / "业绩.csv", index=False)
    cfg = _config(small_company, performance={"path": "业绩.csv", "columns": {v: k for k, v in ZH.items()}})
    messages = [str(p) for p in validate(cfg).problems]
    assert "业绩.csv row 5, column 营收 (revenue): 'abc' is not a number" in messages


def test_a_mapping_naming_a_missing_header_says_so(small_company):
    cfg = _config(small_company, performance={"path": "performance.csv", "columns": {"营收": "revenue"}})
    with pytest.raises(DataSourceError, match="names '营收', which is not a header of the file"):
        validate(cfg)


def _monthly(perf: pd.DataFrame) -> pd.DataFrame:
    """Each quarter row as three months: amounts and counts split (in cents / whole units), stocks only in month 1."""
    rows = []
    for _, r in perf.iterrows():
        year, q = int(r["period"][:4]), int(r["period"][-1])
        for k in range(3):
            row = {"客户经理编号": r["manager_id"], "月份": f"{year}年{(q - 1) * 3 + k + 1}月"}
            for col in ("revenue_target", "revenue", "profit", "new_customer_revenue"):
                cents = int(round(float(r[col]) * 100))
                part = cents // 3 + (cents - 3 * (cents // 3) if k == 2 else 0)
                row[ZH[col]] = f"{part / 100:.2f}"
            for col in ("new_customers", "new_customer_target", "customers_lost", "key_customers_lost"):
                n = int(r[col])
                row[ZH[col]] = n // 3 + (n - 3 * (n // 3) if k == 2 else 0)
            # stocks: the start-of-quarter count in the first month, other values later
            row[ZH["customers_start"]] = int(r["customers_start"]) + (0 if k == 0 else 5 * k)
            row[ZH["key_customers"]] = int(r["key_customers"]) + (0 if k == 0 else k)
            rows.append(row)
    out = pd.DataFrame(rows)
    return out.iloc[np.random.default_rng(0).permutation(len(out))]  # months in any order


def test_monthly_chinese_export_is_summed_to_quarters(small_company, reference):
    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    _monthly(perf).to_csv(small_company / "月度业绩.csv", index=False)
    cfg = _config(
        small_company,
        performance={
            "path": "月度业绩.csv",
            "columns": {**{v: k for k, v in ZH.items() if k != "period"}, "月份": "period"},
            "aggregate": {"期初客户数": "first"},
        },
    )
    ds = load_dataset(cfg)
    got = ds.performance.set_index(["manager_id", "period"]).sort_index()
    want = reference.performance.set_index(["manager_id", "period"]).sort_index()
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=False, rtol=1e-9, atol=1e-9)
    shown = aggregation_frame(ds.sources)
    rules = dict(zip(shown["column"], shown["rule"]))
    assert rules["期初客户数 (customers_start)"] == "first" and rules["营收 (revenue)"] == "sum"
    assert rules["重点客户数 (key_customers)"] == "first"
    assert set(shown["rows_read"]) == {3 * len(perf)} and set(shown["rows_after"]) == {len(perf)}


def _set_declaring_last(folder) -> None:
    """The account_manager set with ``aggregate: last`` on key_customer_churn (its columns: the month-end figures)."""
    raw = yaml.safe_load(indicator_set_text("account_manager"))
    next(i for i in raw["indicators"] if i["id"] == "key_customer_churn")["aggregate"] = "last"
    (folder / "set.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    path = folder / "calibrate.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**cfg, "indicator_set": "set.yaml"}, allow_unicode=True), encoding="utf-8")


def test_indicator_set_declares_a_rule_and_the_config_wins(small_company, reference):
    """key_customer_churn declares 'last': its columns take the quarter's last month, except key_customers,
    which the config declares 'first' (the config wins); the table says where each rule came from."""
    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    _monthly(perf).to_csv(small_company / "月度业绩.csv", index=False)
    _set_declaring_last(small_company)
    cfg = _config(
        small_company,
        performance={
            "path": "月度业绩.csv",
            "columns": {**{v: k for k, v in ZH.items() if k != "period"}, "月份": "period"},
            "aggregate": {"重点客户数": "first"},
        },
    )
    ds = load_dataset(cfg)
    got = ds.performance.set_index(["manager_id", "period"]).sort_index()
    want = reference.performance.set_index(["manager_id", "period"]).sort_index()
    lost = want["key_customers_lost"].astype(int)
    np.testing.assert_array_equal(got["key_customers_lost"], lost // 3 + lost - 3 * (lost // 3))  # month 3's part
    np.testing.assert_array_equal(got["key_customers"], want["key_customers"])  # config 'first', not 'last'
    np.testing.assert_allclose(got["revenue"], want["revenue"], rtol=1e-9)  # default: summed
    shown = aggregation_frame(ds.sources).set_index("column")
    assert shown.loc["重点客户流失数 (key_customers_lost)", ["rule", "rule_from"]].tolist() == [
        "last",
        "indicator set (key_customer_churn)",
    ]
    assert shown.loc["重点客户数 (key_customers)", ["rule", "rule_from"]].tolist() == ["first", "config"]
    assert shown.loc["营收 (revenue)", ["rule", "rule_from"]].tolist() == ["sum", "default"]


def test_bad_cell_in_a_monthly_export_names_its_row(small_company):
    monthly = _monthly(pd.read_csv(small_company / "performance.csv", dtype=str)).reset_index(drop=True)
    monthly.loc[6, "营收"] = "n/a"
    monthly.to_csv(small_company / "月度业绩.csv", index=False)
    cfg = _config(
        small_company,
        performance={
            "path": "月度业绩.csv",
            "columns": {**{v: k for k, v in ZH.items() if k != "period"}, "月份": "period"},
        },
    )
    with pytest.raises(ValidationError, match=r"月度业绩.csv row 8, column 营收 \(revenue\): 'n/a' is not a number"):
        load_dataset(cfg)


def _targets_only(folder):
    perf = pd.read_csv(folder / "performance.csv", dtype=str)
    perf.drop(columns=DERIVED).to_csv(folder / "targets.csv", index=False)


def test_sample_deals_export_rederives_the_performance_table_exactly(small_company, reference):
    _targets_only(small_company)
    cfg = _config(
        small_company,
        performance="targets.csv",
        deals={"path": "deals.csv", "profile": "cn_crm", "columns": {"负责人工号": "owner"}},
    )
    ds = load_dataset(cfg)
    deals = pd.read_csv(small_company / "deals.csv", dtype=str)
    assert (deals["阶段"] == "输单").sum() > 10  # lost deals are there and left out
    got = ds.performance.set_index(["manager_id", "period"]).sort_index()
    want = reference.performance.set_index(["manager_id", "period"]).sort_index()
    for column in DERIVED:
        assert np.array_equal(np.round(got[column].to_numpy(float), 2), want[column].to_numpy(float)), column
    assert (got["customers_with_deals"] >= got["new_customers"]).all()


def test_zoho_deals_export_goes_through_with_only_a_config(small_company, reference):
    _targets_only(small_company)
    deals = pd.read_csv(small_company / "deals.csv", dtype=str)
    managers = pd.read_csv(small_company / "managers.csv", dtype=str)
    # Zoho's Deal Owner is a user name; unique names here (the sample repeats a few)
    managers["name"] = managers["name"] + managers["manager_id"].str[-2:]
    managers.to_csv(small_company / "managers.csv", index=False)
    owner = deals["负责人工号"].map(dict(zip(managers["manager_id"], managers["name"])))
    zoho = pd.DataFrame(
        {
            "Deal Name": deals["商机编号"],
            "Deal Owner": owner,
            "Account Name": deals["客户名称"],
            "Amount": deals["成交金额"],
            "Closing Date": pd.to_datetime(deals["结单日期"]).dt.strftime("%m/%d/%Y"),
            "Stage": deals["阶段"].map({"赢单": "Closed Won", "输单": "Closed Lost"}),
            "Probability (%)": "100",
            "Margin": deals["毛利"],
        }
    )
    zoho.to_csv(small_company / "Deals_export.csv", index=False)
    cfg = _config(
        small_company,
        performance="targets.csv",
        deals={"path": "Deals_export.csv", "profile": "zoho_deals", "columns": {"Margin": "profit"}},
    )
    ds = load_dataset(cfg)
    got = ds.performance.set_index(["manager_id", "period"]).sort_index()
    want = reference.performance.set_index(["manager_id", "period"]).sort_index()
    for column in DERIVED:
        assert np.array_equal(np.round(got[column].to_numpy(float), 2), want[column].to_numpy(float)), column


def test_deals_with_an_unknown_owner_name_the_row(small_company):
    _targets_only(small_company)
    deals = pd.read_csv(small_company / "deals.csv", dtype=str)
    deals.loc[4, "负责人工号"] = "X999"
    deals.to_csv(small_company / "deals.csv", index=False)
    cfg = _config(
        small_company,
        performance="targets.csv",
        deals={"path": "deals.csv", "profile": "cn_crm", "columns": {"负责人工号": "owner"}},
    )
    with pytest.raises(ValidationError, match=r"deals.csv row 6, column 负责人工号 \(owner\): owner 'X999' is neither"):
        load_dataset(cfg)


def test_deals_and_performance_giving_the_same_column_is_an_error(small_company):
    cfg = _config(small_company, deals={"path": "deals.csv", "profile": "cn_crm", "columns": {"负责人工号": "owner"}})
    with pytest.raises(DataSourceError, match="both give revenue, profit"):
        load_dataset(cfg)


def test_a_sheet_named_by_a_year_unquoted_in_yaml(small_company, reference):
    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    with pd.ExcelWriter(small_company / "hr.xlsx") as writer:
        perf.head(3).to_excel(writer, sheet_name="2024", index=False)
        perf.to_excel(writer, sheet_name="2025", index=False)
    path = small_company / "calibrate.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "performance: performance.csv", "performance: {path: hr.xlsx, sheet: 2025}"
        ),
        encoding="utf-8",
    )
    assert "sheet: 2025}" in path.read_text(encoding="utf-8")
    pd.testing.assert_frame_equal(load_dataset(path).performance, reference.performance)


def test_salesforce_opportunities_report(small_company, reference):
    _targets_only(small_company)
    deals = pd.read_csv(small_company / "deals.csv", dtype=str)
    sf = pd.DataFrame(
        {
            "Opportunity Owner": deals["负责人工号"],
            "Account Name": deals["客户名称"],
            "Opportunity Name": deals["商机编号"],
            "Amount": "CNY " + deals["成交金额"],
            "Close Date": deals["结单日期"],
            "Stage": deals["阶段"].map({"赢单": "Closed Won", "输单": "Closed Lost"}),
            "Gross Margin": deals["毛利"],
        }
    )
    sf.to_excel(small_company / "report.xlsx", index=False)
    cfg = _config(
        small_company,
        performance="targets.csv",
        deals={"path": "report.xlsx", "profile": "salesforce_opportunities", "columns": {"Gross Margin": "profit"}},
    )
    got = load_dataset(cfg).performance.set_index(["manager_id", "period"]).sort_index()
    want = reference.performance.set_index(["manager_id", "period"]).sort_index()
    for column in DERIVED:
        assert np.array_equal(np.round(got[column].to_numpy(float), 2), want[column].to_numpy(float)), column


@pytest.mark.notebook
def test_data_quality_report_shows_the_aggregation(small_company, tmp_path):
    from calibrate.cli.app import main

    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    _monthly(perf).to_csv(small_company / "月度业绩.csv", index=False)
    _set_declaring_last(small_company)
    cfg = _config(
        small_company,
        performance={
            "path": "月度业绩.csv",
            "columns": {**{v: k for k, v in ZH.items() if k != "period"}, "月份": "period"},
        },
    )
    assert (
        main(
            [
                "run",
                "--config",
                str(cfg),
                "--only",
                "01_data_quality",
                "--lang",
                "en",
                "--output",
                str(tmp_path / "reports"),
            ]
        )
        == 0
    )
    folder = next((tmp_path / "reports").iterdir())
    shown = pd.read_csv(folder / "data" / "aggregation.csv")
    assert ("营收 (revenue)", "sum") in set(zip(shown["column"], shown["rule"]))
    assert ("重点客户数 (key_customers)", "last", "indicator set (key_customer_churn)") in set(
        zip(shown["column"], shown["rule"], shown["rule_from"])
    )
    html = (folder / "01_data_quality.html").read_text(encoding="utf-8")
    assert "Monthly or daily rows made quarters" in html and "期初客户数 (customers_start)" in html
    assert "indicator set (key_customer_churn)" in html

"""One test per class of bad input: each message names the file, the row and the column."""

from __future__ import annotations

import pandas as pd
import pytest

from calibrate.cli import main
from calibrate.errors import ValidationError
from calibrate.loading import load_dataset, validate


def _edit_csv(path, edit):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = edit(frame)
    frame.to_csv(path, index=False)


def _messages(folder):
    report = validate(folder / "calibrate.yaml")
    return [str(p) for p in report.problems]


def test_not_a_number(small_company):
    _edit_csv(small_company / "performance.csv", lambda f: f.assign(revenue=f.revenue.where(f.index != 15, "abc")))
    assert "performance.csv row 17, column revenue: 'abc' is not a number" in _messages(small_company)


def test_nps_answer_out_of_range(small_company):
    s = pd.read_parquet(small_company / "survey.parquet")
    s.loc[4, "recommend"] = 11
    s.to_parquet(small_company / "survey.parquet")
    assert "survey.parquet row 5, column recommend: 11 is outside 0-10 (NPS scale)" in _messages(small_company)


def test_likert_out_of_range(small_company):
    s = pd.read_parquet(small_company / "survey.parquet")
    s.loc[9, "satisfaction"] = 6
    s.to_parquet(small_company / "survey.parquet")
    assert "survey.parquet row 10, column satisfaction: 6 is outside 1-5 (Likert)" in _messages(small_company)


def test_rate_out_of_range(small_company):
    import yaml

    _edit_csv(
        small_company / "performance.csv",
        lambda f: f.assign(renewal_rate="0.9").assign(renewal_rate=lambda g: g.renewal_rate.where(g.index != 2, "1.3")),
    )
    iset = yaml.safe_load((small_company / "calibrate.yaml").read_text(encoding="utf-8"))
    custom = {
        "name": "custom",
        "dimensions": {"results": {"label": "R", "band": [1, 1]}},
        "indicators": [
            {
                "id": "renewal",
                "label": {"zh": "续约率", "en": "Renewal"},
                "dimension": "results",
                "direction": "higher",
                "unit": "rate",
                "source": "performance",
                "compute": {"column": "renewal_rate"},
                "review_period": "quarter",
            }
        ],
    }
    (small_company / "custom.yaml").write_text(yaml.safe_dump(custom, allow_unicode=True), encoding="utf-8")
    iset["indicator_set"] = "custom.yaml"
    del iset["data"]["ahp_judgments"], iset["data"]["last_year_weights"], iset["data"]["reviews"]
    (small_company / "calibrate.yaml").write_text(yaml.safe_dump(iset, allow_unicode=True), encoding="utf-8")
    assert "performance.csv row 4, column renewal_rate: 1.3 is outside 0-1" in _messages(small_company)


def test_duplicate_manager_period(small_company):
    _edit_csv(small_company / "performance.csv", lambda f: pd.concat([f, f.iloc[[3]]], ignore_index=True))
    msgs = _messages(small_company)
    n = len(pd.read_csv(small_company / "performance.csv"))
    first = pd.read_csv(small_company / "performance.csv").iloc[3]
    assert (
        f"performance.csv row {n + 1}, column period: second row for manager {first.manager_id} in "
        f"{first.period} (first at row 5)"
    ) in msgs


def test_unknown_manager(small_company):
    _edit_csv(
        small_company / "reviews_360.csv", lambda f: f.assign(manager_id=f.manager_id.where(f.index != 0, "M9999"))
    )
    assert "reviews_360.csv row 2, column manager_id: manager M9999 is not in the managers table" in _messages(
        small_company
    )


def test_missing_period(small_company):
    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    veteran = perf.manager_id.value_counts().idxmax()
    drop = perf[(perf.manager_id == veteran) & (perf.period == "2024Q2")].index
    perf.drop(drop).to_csv(small_company / "performance.csv", index=False)
    assert any(
        m.startswith(f"performance.csv, column period: manager {veteran} has no row for 2024Q2")
        for m in _messages(small_company)
    )


def test_missing_required_column(small_company):
    _edit_csv(small_company / "performance.csv", lambda f: f.drop(columns=["revenue_target"]))
    assert any(
        m.startswith("performance.csv, column revenue_target: required column 'revenue_target' is missing")
        for m in _messages(small_company)
    )


def test_bad_period_label(small_company):
    _edit_csv(small_company / "performance.csv", lambda f: f.assign(period=f.period.where(f.index != 0, "2023-13")))
    assert "performance.csv row 2, column period: '2023-13' is not a quarter such as 2024Q3" in _messages(small_company)


def test_bad_date(small_company):
    _edit_csv(
        small_company / "managers.csv", lambda f: f.assign(hire_date=f.hire_date.where(f.index != 1, "next spring"))
    )
    assert "managers.csv row 3, column hire_date: 'next spring' is not a date (use YYYY-MM-DD)" in _messages(
        small_company
    )


def test_part_exceeds_whole(small_company):
    _edit_csv(
        small_company / "performance.csv",
        lambda f: f.assign(customers_lost=f.customers_lost.where(f.index != 6, "999")),
    )
    assert any(
        m.startswith("performance.csv row 8, column customers_lost: 999 exceeds customers_start")
        for m in _messages(small_company)
    )


def test_missing_value(small_company):
    _edit_csv(small_company / "managers.csv", lambda f: f.assign(region=f.region.where(f.index != 5, "")))
    assert "managers.csv row 7, column region: value is missing" in _messages(small_company)


def test_fractional_count(small_company):
    _edit_csv(
        small_company / "performance.csv", lambda f: f.assign(new_customers=f.new_customers.where(f.index != 0, "2.5"))
    )
    assert "performance.csv row 2, column new_customers: 2.5 is not a whole number" in _messages(small_company)


def test_ahp_judgment_off_scale_and_not_a_number(small_company):
    _edit_csv(
        small_company / "ahp_judgments.csv",
        lambda f: f.assign(value=f.value.where(f.index != 0, "12").where(f.index != 1, "much more")),
    )
    msgs = _messages(small_company)
    assert "ahp_judgments.csv row 2, column value: 12 is outside 1/9-9 (Saaty scale)" in msgs
    assert "ahp_judgments.csv row 3, column value: 'much more' is not a number" in msgs


def test_last_year_weights_must_sum_to_one(small_company):
    _edit_csv(small_company / "last_year_weights.csv", lambda f: f.assign(weight=f.weight.where(f.index != 0, "0.5")))
    assert "last_year_weights.csv, column weight: weights sum to 1.2500, not 1" in _messages(small_company)


def test_duplicate_manager(small_company):
    _edit_csv(small_company / "managers.csv", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True))
    assert "managers.csv row 42, column manager_id: manager M0001 appears again (first at row 2)" in _messages(
        small_company
    )


def test_all_problems_reported_at_once_and_nothing_runs(small_company):
    _edit_csv(
        small_company / "performance.csv",
        lambda f: f.assign(revenue=f.revenue.where(f.index != 0, "x"), profit=f.profit.where(f.index != 1, "y")),
    )
    _edit_csv(small_company / "managers.csv", lambda f: f.assign(region=f.region.where(f.index != 2, "")))
    with pytest.raises(ValidationError) as info:
        load_dataset(small_company / "calibrate.yaml")
    text = str(info.value)
    assert "3 problem(s)" in text
    for fragment in (
        "performance.csv row 2, column revenue",
        "performance.csv row 3, column profit",
        "managers.csv row 4, column region",
    ):
        assert fragment in text


def test_cli_validate_prints_problems_and_exits_1(small_company, capsys):
    _edit_csv(small_company / "performance.csv", lambda f: f.assign(revenue=f.revenue.where(f.index != 0, "x")))
    code = main(["validate", "--config", str(small_company / "calibrate.yaml"), "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 1
    assert "PROBLEM: performance.csv row 2, column revenue: 'x' is not a number" in out


def test_cli_validate_clean_data_exits_0(small_company, capsys):
    assert main(["validate", "--config", str(small_company / "calibrate.yaml"), "--lang", "en"]) == 0
    assert "0 problem(s), 0 warning(s)" in capsys.readouterr().out


def test_cross_table_problems_are_reported_beside_bad_cells(small_company):
    """A bad cell does not hide a duplicate row, a missing quarter or an unknown manager elsewhere."""
    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    veteran = perf.manager_id.value_counts().idxmax()
    perf = perf.drop(perf[(perf.manager_id == veteran) & (perf.period == "2024Q2")].index)
    perf = pd.concat([perf, perf.iloc[[3]]], ignore_index=True)
    perf.loc[0, "revenue"] = "abc"
    perf.loc[1, "period"] = "2023-13"
    perf.to_csv(small_company / "performance.csv", index=False)
    _edit_csv(
        small_company / "reviews_360.csv", lambda f: f.assign(manager_id=f.manager_id.where(f.index != 0, "M9999"))
    )
    msgs = _messages(small_company)
    assert "performance.csv row 2, column revenue: 'abc' is not a number" in msgs
    assert "performance.csv row 3, column period: '2023-13' is not a quarter such as 2024Q3" in msgs
    assert any(
        m.startswith(f"performance.csv row {len(perf) + 1}, column period: second row for manager") for m in msgs
    )
    assert any(f"manager {veteran} has no row for" in m and "2024Q2" in m for m in msgs)
    assert "reviews_360.csv row 2, column manager_id: manager M9999 is not in the managers table" in msgs


def test_ahp_judgment_beyond_any_float_is_off_scale_not_a_crash(small_company):
    """The fuzz test's finding: a 400-digit judgment overflowed float() inside validation."""
    huge = "9" * 400
    _edit_csv(small_company / "ahp_judgments.csv", lambda f: f.assign(value=f.value.where(f.index != 0, huge)))
    msgs = _messages(small_company)
    assert any(
        m.startswith("ahp_judgments.csv row 2, column value: 999") and m.endswith("is not a finite number")
        for m in msgs
    ), msgs

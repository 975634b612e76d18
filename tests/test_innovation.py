"""The innovation committee's table: the generator's known truth, validation through `calibrate validate`,
and indicator-set rules (committee counts are yearly; `aggregate` per indicator)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from tests.conftest import ROOT, SMALL_SETTINGS

from calibrate.cli.app import main
from calibrate.indicators import indicator_set_text
from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel

SAMPLE = ROOT / "data" / "sample"


def test_committee_counts_recover_the_generators_negative_binomial():
    """A negative-binomial regression of the sample's accepted solutions on the true innovation trait (with the
    share of the year employed as exposure) recovers truth.json's base rate, trait effect and dispersion
    within three standard errors; the count tracks the 360 innovation ratings of the same trait."""
    counts = pd.read_csv(SAMPLE / "innovation_committee.csv")
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))["innovation_committee"]
    trait = pd.read_csv(SAMPLE / "truth_managers.csv").set_index("manager_id")["innovation"]
    perf = pd.read_csv(SAMPLE / "performance.csv")
    quarters = perf.assign(year=perf["period"].str[:4].astype(int)).groupby(["manager_id", "year"]).size()
    # one row per manager and year employed, exactly the manager-years of the performance table
    assert sorted(map(tuple, counts[["manager_id", "year"]].to_numpy().tolist())) == sorted(quarters.index)
    assert truth["rows"] == len(counts) and truth["file"] == "innovation_committee.csv"
    exposure = quarters.reindex(pd.MultiIndex.from_frame(counts[["manager_id", "year"]])).to_numpy() / 4
    design = sm.add_constant(counts["manager_id"].map(trait).to_numpy())
    fit = sm.NegativeBinomial(counts["accepted_solutions"].to_numpy(), design, offset=np.log(exposure)).fit(disp=0)
    want = [np.log(truth["base_rate"]), truth["trait_effect"], 1 / truth["dispersion"]]  # statsmodels' alpha = 1/k
    assert np.all(np.abs(fit.params - want) < 3 * fit.bse), (fit.params, fit.bse)
    reviews = pd.read_csv(SAMPLE / "reviews_360.csv")
    rated = reviews[reviews["criterion"] == "solution_innovation"]
    rating = rated.assign(year=rated["period"].str[:4].astype(int)).groupby(["manager_id", "year"])["score"].mean()
    both = pd.concat([counts.set_index(["manager_id", "year"])["accepted_solutions"], rating], axis=1).dropna()
    assert both.corr().iloc[0, 1] > 0.15  # 0.26 on the sample: one trait, two noisy measures


def test_director_panel_measures_solution_innovation_by_the_committees_yearly_count():
    ds = load_dataset(SAMPLE / "calibrate_key_account_director.yaml")
    panel = indicator_panel(ds, outcomes=False).reset_index()
    counts = ds.innovation.set_index(["manager_id", "year"])["accepted_solutions"]
    keys = pd.MultiIndex.from_arrays([panel["manager_id"], panel["period"].str[:4].astype(int)])
    np.testing.assert_array_equal(panel["solution_innovation"].to_numpy(), counts.reindex(keys).to_numpy())
    assert ds.indicator_set["solution_innovation"].source == "innovation"


@pytest.mark.notebook
def test_director_sample_runs_end_to_end_with_solution_innovation_from_the_committee(small_company, tmp_path):
    """`calibrate run` with the sample's key_account_director config: every step and report; solution
    innovation is weighted from the committee's yearly counts (the panel holds them), not from 360 ratings."""
    config = small_company / "calibrate_key_account_director.yaml"
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    config.write_text(
        yaml.safe_dump({**cfg, **SMALL_SETTINGS, "output": str(tmp_path / "reports")}, allow_unicode=True),
        encoding="utf-8",
    )
    assert main(["run", "--config", str(config)]) == 0
    run = tmp_path / "reports" / "sample_key_account_director"
    for name in ("01_data_quality", "02_weights", "03_targets", "05_scoring", "executive_summary"):
        assert (run / f"{name}.html").exists(), name
    proposal = pd.read_csv(run / "weights" / "proposal.csv").set_index("indicator")
    row = proposal.loc["solution_innovation"]
    assert (row["data_source"], row["review_period"]) == ("innovation", "year") and row["weight"] > 0
    assert abs(proposal["weight"].sum() - 1) < 1e-9
    assert "创新委员会" in (run / "executive_summary.html").read_text(encoding="utf-8")  # its data source
    panel = pd.read_parquet(run / "private" / "data" / "panel.parquet").reset_index()
    counts = pd.read_csv(small_company / "innovation_committee.csv").set_index(["manager_id", "year"])
    keys = pd.MultiIndex.from_arrays([panel["manager_id"], panel["period"].str[:4].astype(int)])
    np.testing.assert_array_equal(
        panel["solution_innovation"].to_numpy(), counts["accepted_solutions"].reindex(keys).to_numpy()
    )
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    recorded = manifest["data"]["innovation"]
    assert recorded["location"] == "innovation_committee.csv"
    assert recorded["sha256"] == hashlib.sha256((small_company / "innovation_committee.csv").read_bytes()).hexdigest()


def _director_config(small_company, innovation: str = "innovation_committee.csv", **changes):
    path = small_company / "calibrate_key_account_director.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["data"]["innovation"] = innovation
    cfg.update(changes)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_bad_committee_rows_are_named_by_file_row_and_column(small_company, capsys):
    table = pd.read_csv(small_company / "innovation_committee.csv", dtype=str)
    assert table.iloc[1][["manager_id", "year"]].tolist() == ["M0001", "2024"]
    table = pd.concat([table.iloc[:3], table.iloc[[1]], table.iloc[3:]], ignore_index=True)  # row 5 repeats row 3
    table.loc[5, "accepted_solutions"] = "-1"
    table.loc[6, "accepted_solutions"] = "1.5"
    table.loc[7, "accepted_solutions"] = "many"
    table.loc[8, "manager_id"] = "M9999"
    table.loc[9, "year"] = "二〇二四"
    table.to_csv(small_company / "innovation_committee.csv", index=False)
    assert (
        main(["validate", "--config", str(small_company / "calibrate_key_account_director.yaml"), "--lang", "en"]) == 1
    )
    out = capsys.readouterr().out
    for message in (  # the first is README's example (Data formats)
        "innovation_committee.csv row 5, column year: second row for manager M0001 in 2024 (first at row 3)",
        "innovation_committee.csv row 7, column accepted_solutions: -1 is outside 0 or more "
        "(a count of accepted solutions)",
        "innovation_committee.csv row 8, column accepted_solutions: 1.5 is not a whole number",
        "innovation_committee.csv row 9, column accepted_solutions: 'many' is not a whole number",
        "innovation_committee.csv row 10, column manager_id: manager M9999 is not in the managers table",
        "innovation_committee.csv row 11, column year: '二〇二四' is not a whole number",
    ):
        assert message in out, message


def test_a_director_set_without_the_committee_table_says_what_to_add(small_company, capsys):
    path = small_company / "calibrate_key_account_director.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    del cfg["data"]["innovation"]
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    assert main(["validate", "--config", str(path), "--lang", "en"]) == 1
    assert (
        "indicator 'solution_innovation' of set 'key_account_director' reads the 'innovation' table, but no "
        "'innovation' data source is configured"
    ) in capsys.readouterr().out


def _set_with(small_company, edit) -> str:
    raw = yaml.safe_load(indicator_set_text("key_account_director"))
    edit({i["id"]: i for i in raw["indicators"]})
    (small_company / "set.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return "set.yaml"


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda i: i["solution_innovation"].update(review_period="quarter"),
            "indicator solution_innovation: compute 'committee_count' reads one value per manager and year, so "
            "review_period must be year (not 'quarter')",
        ),
        (
            lambda i: i["profit_margin"].update(aggregate="median"),
            "indicator profit_margin: aggregate 'median' is not one of sum, mean, first, last, min, max",
        ),
        (
            lambda i: i["nps"].update(aggregate="mean"),
            "indicator nps: aggregate applies to indicators computed from performance columns (column or ratio), "
            "not to compute 'nps'; remove it",
        ),
        (
            lambda i: (i["profit_margin"].update(aggregate="sum"), i["revenue_attainment"].update(aggregate="last")),
            "indicator profit_margin: aggregate sum for column 'revenue' contradicts indicator revenue_attainment "
            "(aggregate last); give one rule",
        ),
    ],
)
def test_indicator_set_rules_are_the_sets_errors(small_company, capsys, edit, message):
    config = _director_config(small_company, indicator_set=_set_with(small_company, edit))
    assert main(["validate", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"set.yaml: {message}" in err, err

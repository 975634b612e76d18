"""The calibration cycle on the sample: a 2024 run on data through 2024Q4, then the 2025 run naming it.

The 2025 run checks the 2024 run's forecast for 2025 against the realised year and against the
generator's truth (``truth_managers.csv``: each manager's true probability of reaching the 2025
target, the target and the actual result). Built once for the module (two pipeline runs).
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibrate import pipeline
from calibrate.cli.app import main
from calibrate.config import load_config, parse_config
from calibrate.errors import CalibrateError, ConfigError
from calibrate.loading import load_dataset
from calibrate.steps import all_steps
from calibrate.steps.cycle import folder_sha256, lineage
from calibrate.steps.quarterly_review import year_scorecard
from calibrate.targets.forecast_check import forecast_check
from calibrate.targets.plan import DEFAULT_TARGETS, payout_curve_from_config
from cycle_chain import SAMPLE, truncated_sample, write_config

ROOT = Path(__file__).resolve().parents[1]
FAST = {"weights": {"bootstrap": 100}, "targets": {"scenarios": 2000}}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    base = tmp_path_factory.mktemp("cycle")
    reports = base / "reports"
    cfg_2024 = write_config(
        truncated_sample(base / "data_2024"), year=2024, run_name="sample_2024", output=str(reports), lang="en", **FAST
    )
    first = pipeline.run(cfg_2024, notebooks=["02_weights", "03_targets"], echo=None)
    d = base / "data_2025"
    d.mkdir()
    shutil.copy(SAMPLE / "calibrate.yaml", d / "calibrate.yaml")
    raw_data = {
        "managers": "managers.csv",
        "performance": "performance.csv",
        "survey": "survey.parquet",
        "reviews": "reviews_360.csv",
        "ahp_judgments": "ahp_judgments.csv",
        "last_year_weights": "last_year_weights.csv",
    }
    cfg_2025 = write_config(
        d / "calibrate.yaml",
        run_name="sample_2025",
        output=str(reports),
        lang="en",
        previous_run=str(first.folder),
        data={k: str(SAMPLE / v) for k, v in raw_data.items()},
        **FAST,
    )
    second = pipeline.run(cfg_2025, notebooks=["02_weights", "06_cycle", "90_executive_summary"], echo=None)
    return {"reports": reports, "first": first, "second": second}


@pytest.fixture(scope="module")
def truth():
    t = pd.read_csv(SAMPLE / "truth_managers.csv", dtype={"manager_id": str})
    return t[t["final_year_full"]].set_index("manager_id")


def test_last_years_forecast_against_the_truth(chain, truth):
    check = json.loads((chain["second"].folder / "cycle" / "forecast_check.json").read_text(encoding="utf-8"))
    managers = pd.read_csv(
        chain["second"].folder / "private" / "cycle" / "forecast_managers.csv", dtype={"manager_id": str}
    )
    assert check["available"] and check["year"] == 2025
    ids = managers["manager_id"]
    assert set(ids) <= set(truth.index) and check["managers_scored"] >= 350  # 357 of the 368 full-year managers
    t = truth.loc[ids]
    # the realised share is the truth's, over the managers scored (52.1%; 52.4% over all 368)
    realised = float((t["final_year_actual"] >= t["final_year_target"]).mean())
    assert check["realised_share"] == pytest.approx(realised, abs=1e-12)
    # the forecast interval holds the realised share and the truth's expected share (mean true p_hit, 47.8%)
    assert check["inside_interval"]
    assert check["share_low"] <= float(t["final_year_p_hit"].mean()) <= check["share_high"]
    # per manager the forecast tracks the true probabilities (measured: r = 0.86, Brier 0.154, skill 0.38)
    p = managers.set_index("manager_id")["probability"].reindex(ids)
    assert np.corrcoef(p, t["final_year_p_hit"])[0, 1] > 0.75
    assert check["brier_skill"] > 0.25
    # the realised bonus: the payout curve on each manager's true attainment, 5.0 per manager
    curve = payout_curve_from_config(DEFAULT_TARGETS["payout"])  # 0.5 at 80%, 1.0 at 100%, 1.5 from 120%
    expected = float((curve.coefficient(t["final_year_actual"] / t["final_year_target"]) * 5.0).sum())
    assert check["realised_bonus"] == pytest.approx(expected, rel=1e-4)
    assert check["bonus_p50"] <= check["bonus_p90"]
    rel = pd.read_csv(chain["second"].folder / "cycle" / "reliability.csv")
    assert rel["managers"].sum() == check["managers_scored"]


def test_the_executive_summary_quotes_last_years_forecast(chain):
    check = json.loads((chain["second"].folder / "cycle" / "forecast_check.json").read_text(encoding="utf-8"))
    sentence = check["sentence"]["en"]
    assert sentence == (
        f"Last year we forecast {round(100 * check['expected_share'])}% "
        f"({round(100 * check['share_low'])}-{round(100 * check['share_high'])}%) would hit their "
        f"2025 targets; {round(100 * check['realised_share'])}% hit."
    )
    page = (chain["second"].folder / "executive_summary.html").read_text(encoding="utf-8")
    assert sentence in page
    assert (chain["second"].folder / "06_cycle.html").exists()


def test_manifest_records_the_previous_run(chain):
    first, second = chain["first"], chain["second"]
    assert first.manifest["previous_run"] is None
    lineage_ = second.manifest["previous_run"]
    assert lineage_["folder"] == "../sample_2024"  # relative to this run: no machine path
    assert (chain["second"].folder / lineage_["folder"]).resolve() == first.folder.resolve()
    assert lineage_["sha256"] == folder_sha256(first.folder)


def test_weights_across_the_chain(chain):
    w = pd.read_csv(chain["second"].folder / "cycle" / "weights_chain.csv")
    assert list(dict.fromkeys(w["run"])) == ["sample_2024", "sample_2025"]
    assert list(dict.fromkeys(w["year"])) == [2024, 2025]
    sums = w.groupby("run")["weight"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-9)
    proposal = pd.read_csv(chain["first"].folder / "weights" / "proposal.csv")
    first = w[w["run"] == "sample_2024"].set_index("indicator")["weight"]
    np.testing.assert_allclose(first.reindex(proposal["indicator"]), proposal["weight"])


def test_calibrate_runs_lists_status_year_and_lineage(chain, tmp_path, capsys):
    reports = tmp_path / "reports"
    shutil.copytree(chain["reports"], reports)
    failed = reports / "sample_2026.failed"
    (failed / "notebooks").mkdir(parents=True)
    shutil.copy(reports / "sample_2025" / "indicator_set.yaml", failed / "indicator_set.yaml")
    (reports / ".sample_2027.partial-123-456" / "notebooks").mkdir(parents=True)
    assert main(["runs", "--reports", str(reports)]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["sample_2024"][1:4] == ["complete", "2024", "account_manager"]
    assert lines["sample_2025"][1:3] == ["complete", "2025"] and "sample_2024" in lines["sample_2025"]
    assert lines["sample_2026"][1] == "failed" and lines["sample_2026"][3] == "account_manager"
    assert lines["sample_2027"][1] == "partial"
    assert main(["runs", "--reports", str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_calibrate_review_cli(tmp_path, capsys):
    out = tmp_path / "review"
    assert (
        main(
            [
                "review",
                "--config",
                str(SAMPLE / "calibrate.yaml"),
                "--quarter",
                "2025Q3",
                "--scenarios",
                "500",
                "--lang",
                "en",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    summary = json.loads((out / "review" / "summary.json").read_text(encoding="utf-8"))
    assert summary["review"]["through"] == "2025Q3" and summary["last_review"]["through"] == "2025Q2"
    assert f"{summary['fell']} managers fell from likely to unlikely" in printed
    managers = pd.read_csv(out / "private" / "review" / "managers.csv", dtype={"manager_id": str})
    changes = pd.read_csv(out / "private" / "review" / "changes.csv", dtype={"manager_id": str})
    fell = managers[(managers["previous_probability"] >= 0.5) & (managers["probability"] < 0.5)]
    assert sorted(fell["manager_id"]) == sorted(changes.loc[changes["movement"] == "fell", "manager_id"])
    # who newly meets the improvement-plan rule (two low quarters in a row, low = D or E): low in 2025Q2 and
    # 2025Q3 and not already low in both 2025Q1 and 2025Q2, read from the year's quarterly grades
    cfg = load_config(SAMPLE / "calibrate.yaml")
    card, settings = year_scorecard(cfg, load_dataset(cfg), 2025)
    assert settings.consecutive == 2 and set(settings.low_grades) == {"D", "E"}
    low = (
        card.period_grades.assign(low=lambda f: f["grade"].isin(["D", "E"]))
        .pivot(index="manager_id", columns="period", values="low")
        .fillna(False)
        .astype(bool)
    )
    expected = low.index[low["2025Q2"] & low["2025Q3"] & ~(low["2025Q1"] & low["2025Q2"])]
    listed = pd.read_csv(out / "private" / "review" / "improvement_plans.csv", dtype={"manager_id": str})["manager_id"]
    assert sorted(listed) == sorted(expected) and len(listed) > 0
    assert f"{len(listed)} managers newly meet the improvement-plan rule" in printed
    assert main(["review", "--config", str(SAMPLE / "calibrate.yaml"), "--quarter", "2026Q1"]) == 1
    assert "no actuals for 2026Q1" in capsys.readouterr().err


def test_previous_run_must_exist(tmp_path):
    cfg = parse_config({"data": {"performance": "p.csv"}, "previous_run": "missing_run"}, tmp_path / "c.yaml")
    with pytest.raises(CalibrateError, match="does not exist"):
        lineage(cfg)
    plain = parse_config({"data": {"performance": "p.csv"}})
    assert lineage(plain) is None
    # a run without previous_run leaves the cycle step out unless asked for; with one, it is in
    steps = all_steps()
    assert not steps["06_cycle"].by_default(plain) and steps["06_cycle"].by_default(cfg)
    assert all(s.by_default(plain) for n, s in steps.items() if n != "06_cycle")


def test_forecast_check_by_hand_and_bad_input():
    forecast = pd.DataFrame({"manager_id": ["a", "b", "c", "d"], "probability": [0.9, 0.2, 0.6, 0.5]})
    realised = pd.DataFrame(
        {"manager_id": ["a", "b", "c", "e"], "target": [100.0, 100, 100, 100], "actual": [120.0, 90, 80, 150]}
    )
    check = forecast_check(forecast, realised, expected_share=0.55, share_low=0.3, share_high=0.8)
    # scored: a (hit, 0.9), b (miss, 0.2), c (miss, 0.6): Brier = (0.01 + 0.04 + 0.36) / 3
    assert check.brier == pytest.approx(0.41 / 3)
    assert check.realised_share == pytest.approx(1 / 3) and check.inside_interval
    assert check.to_dict()["managers_forecast"] == 4 and check.to_dict()["managers_scored"] == 3
    with pytest.raises(ConfigError, match="low <= expected <= high"):
        forecast_check(forecast, realised, expected_share=0.9, share_low=0.3, share_high=0.8)


def test_quarterly_review_notebook_runs_as_shipped(tmp_path):
    import papermill

    out = tmp_path / "13.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "13_quarterly_review.ipynb"),
        str(out),
        parameters={"lang": "en", "scenarios": 300},
        cwd=str(ROOT),
        progress_bar=False,
    )
    text = out.read_text(encoding="utf-8")
    assert "Quarterly review after 2025Q2" in text and "Traceback" not in text
    assert "Mid-year re-weighting (what-if)" in text and "Scored piecewise" in text

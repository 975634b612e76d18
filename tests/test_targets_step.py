"""Target plans, settings, the 03_targets step with its notebook, and `calibrate simulate`."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml

import calibrate.pipeline as pipeline
from calibrate.cli import main
from calibrate.config import load_config
from calibrate.errors import ConfigError
from calibrate.loading import load_dataset
from calibrate.privacy import pseudonym
from calibrate.steps.targets import compute_targets, managers_table, write_target_artifacts
from calibrate.targets.plan import TargetSettings, payout_curve_from_config, target_plan

SCENARIOS = {"targets": {"scenarios": 2000}}


@pytest.fixture(scope="module")
def small(small_company_master):
    config = load_config(small_company_master / "calibrate.yaml", SCENARIOS)
    return config, load_dataset(config)


@pytest.fixture(scope="module")
def plan(small):
    config, ds = small
    return target_plan(ds, settings=config.targets, seed=config.seed)


def test_settings_are_checked_with_actionable_messages():
    with pytest.raises(ConfigError, match="probability must lie strictly between 0 and 1"):
        TargetSettings.from_config({"probability": 1.5})
    with pytest.raises(ConfigError, match="scenarios must be a whole number of at least 100"):
        TargetSettings.from_config(scenarios=10)
    with pytest.raises(ConfigError, match="company_growth must be above -1"):
        TargetSettings.from_config({"company_growth": -1.2})
    with pytest.raises(ConfigError, match="threshold 0.9 differs from the first point's attainment 0.8"):
        payout_curve_from_config({"threshold": 0.9, "points": [[0.8, 0.5], [1.0, 1.0]]})
    with pytest.raises(ConfigError, match="cap 0.8 is below the last point's coefficient 1.0"):
        payout_curve_from_config({"points": [[0.8, 0.5], [1.0, 1.0]], "cap": 0.8})
    with pytest.raises(ConfigError, match="unknown setting"):
        TargetSettings.from_config({"probabilty": 0.7})


def test_payout_curve_from_the_config():
    default = TargetSettings().payout  # threshold 0.8 pays 0.5, 1.0 pays 1.0, 1.2 pays 1.5 (the cap)
    np.testing.assert_allclose(default.coefficient([0.79, 0.8, 0.9, 1.0, 1.1, 1.3]), [0, 0.5, 0.75, 1.0, 1.25, 1.5])
    # a cap above the last point continues the last slope (2.5 per unit) until it is reached: at 1.2
    extended = payout_curve_from_config({"points": [[0.8, 0.5], [1.0, 1.0]], "cap": 1.5})
    assert extended.points == ((0.8, 0.5), (1.0, 1.0), (1.2, 1.5))


def test_current_plan_is_last_year_plus_growth_and_ramped_for_new_hires(plan):
    m = plan.managers
    complete = m["last_year_actual"].notna()
    np.testing.assert_allclose(m.loc[complete, "current_target"], 1.1 * m.loc[complete, "last_year_actual"])
    row = plan.plans.set_index("plan").loc["current"]
    assert row["growth_vs_last_year"] == pytest.approx(0.10)
    # new hires: veterans' average plan of the same level x the mean ramp share over the year
    fit = plan.fit.to_frame().set_index("manager_id")
    veterans = m[complete & (m["tenure_quarters"] >= 8)]
    for _, r in m[~complete].iterrows():
        peers = veterans[veterans["level"] == r["level"]]
        average = peers["current_target"].mean() if len(peers) >= 2 else veterans["current_target"].mean()
        k = int(fit.loc[r["manager_id"], "tenure_quarters"])
        share = np.mean([0.5 if q < 4 else min(1.0, 0.5 + 0.1 * (q - 3)) for q in range(k, k + 4)])
        assert r["current_target"] == pytest.approx(average * share)
    assert (~complete).sum() >= 1


def test_calibrated_plans_hit_their_difficulty(plan):
    m, p = plan.managers, plan.settings.probability
    assert p == 0.7 and plan.settings.scenarios == 2000
    # equal difficulty: the Monte Carlo quantile of the same draws, so exact to one scenario
    assert np.all(np.abs(m["equal_difficulty_probability"] - p) <= 1 / 2000 + 1e-12)
    plans = plan.plans.set_index("plan")
    assert plans.loc["uniform_growth", "expected_share"] == pytest.approx(p, abs=0.01)
    ratio = m["uniform_growth_target"] / (m["current_target"] / 1.1)
    np.testing.assert_allclose(ratio, 1 + plan.uniform_growth, rtol=1e-9)
    # allocation keeps the company total and gives everyone the same probability
    assert m["allocated_target"].sum() == pytest.approx(m["current_target"].sum(), rel=1e-9)
    assert np.all(np.abs(m["allocated_probability"] - plan.allocation_probability) < 0.035)
    assert plans.loc["current", "bonus_target_pool"] == pytest.approx(5.0 * len(m))  # config targets.bonus_base
    for name in plans.index:
        r = plans.loc[name]
        assert r["share_p5"] <= r["share_p50"] <= r["share_p95"] and r["bonus_p50"] <= r["bonus_p90"] <= r["bonus_p99"]
    # harder targets cost less bonus on the same scenarios
    order = plans.sort_values("expected_share")
    assert order["bonus_mean"].is_monotonic_increasing


def test_regions_add_up(plan):
    regions = plan.regions()
    assert regions["managers"].sum() == len(plan.managers)
    assert regions["allocated_target"].sum() == pytest.approx(plan.company_goal, rel=1e-9)
    by_hand = plan.managers.groupby("region")["current_probability"].mean()
    np.testing.assert_allclose(regions.set_index("region")["current_share"], by_hand.reindex(regions["region"]))


def test_artifacts_are_byte_identical_for_a_seed(small, tmp_path):
    config, ds = small
    written = []
    for name in ("a", "b"):
        plan, bt, reason = compute_targets(config, ds)
        written.append(
            write_target_artifacts(plan, bt, tmp_path / name, key=config.pseudonym_key(), backtest_reason=reason)
        )
    assert [p.name for p in written[0]] == [p.name for p in written[1]]
    for a, b in zip(*written):
        assert a.read_bytes() == b.read_bytes(), a.name
    plans = pd.read_csv(tmp_path / "a" / "plans.csv")
    assert plans["plan"].tolist() == ["current", "equal_difficulty", "uniform_growth", "allocated", "data_targets"]
    assert plans.loc[4, "year"] == 2024 and plans.loc[0, "year"] == 2025
    backtest = json.loads((tmp_path / "a" / "backtest.json").read_text(encoding="utf-8"))
    assert backtest["available"] and backtest["fit_last_quarter"] == "2023Q4"
    assert plans.loc[4, "realised_share"] == pytest.approx(backtest["realised_share"])
    calibrated = pd.read_csv(tmp_path / "a" / "calibrated_targets.csv")
    assert calibrated.loc[0, "pseudonym"] == pseudonym(calibrated.loc[0, "manager_id"], config.pseudonym_key())


def test_managers_table_hides_ids_when_asked(plan):
    frame = plan.managers.assign(
        pseudonym=[pseudonym(m, b"test-key-0123456789abcdef") for m in plan.managers["manager_id"]]
    )
    hidden = managers_table(frame, "en", pseudonymise=True, n=3)
    shown = managers_table(frame, "en", pseudonymise=False, n=3)
    assert hidden["Manager"].str.startswith("P-").all() and shown["Manager"].str.startswith("M").all()
    assert len(hidden) == 6 and hidden["Probability"].iloc[0] <= hidden["Probability"].iloc[-1]


@pytest.mark.notebook
def test_run_step_publishes_the_report_with_pseudonymised_ids(small_company_master, tmp_path):
    config = load_config(small_company_master / "calibrate.yaml", {"output": str(tmp_path), **SCENARIOS})
    result = pipeline.run(config, notebooks=["03_targets"], echo=None)
    folder = result.folder
    for name in (
        "plans.csv",
        "regions.csv",
        "payout_curve.csv",
        "backtest.json",
        "reliability.csv",
        "share_distribution.csv",
        "bonus_distribution.csv",
    ):
        assert (folder / "targets" / name).exists(), name
    for name in ("calibrated_targets.csv", "manager_probabilities.csv", "model.csv", "backtest_managers.csv"):
        assert (folder / "private" / "targets" / name).exists() and not (folder / "targets" / name).exists(), name
    html = (folder / "03_targets.html").read_text(encoding="utf-8")
    assert "2025 年目标难度与奖金成本" in html and "data:image/png;base64" in html
    assert not re.search(r"\bM00\d\d\b", html) and re.search(r"P-[0-9a-f]{8}", html)  # pseudonymised
    assert "Traceback" not in html
    assert "targets/plans.csv" in result.manifest["artifacts"]


def test_simulate_command_prints_the_plan_table(small_company_master, tmp_path, capsys):
    out = tmp_path / "sim"
    code = main(
        [
            "simulate",
            "--config",
            str(small_company_master / "calibrate.yaml"),
            "--scenarios",
            "500",
            "--probability",
            "0.6",
            "--lang",
            "en",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "Equal difficulty" in printed and "Last year + company growth" in printed and "backtest 2024" in printed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["scenarios"] == 500 and summary["settings"]["probability"] == 0.6
    probs = pd.read_csv(out / "calibrated_targets.csv")["equal_difficulty_probability"]
    assert np.all(np.abs(probs - 0.6) <= 1 / 500 + 1e-12)
    code = main(
        [
            "simulate",
            "--config",
            str(small_company_master / "calibrate.yaml"),
            "--probability",
            "1.5",
            "--out",
            str(tmp_path / "bad"),
        ]
    )
    assert code == 1 and "probability must lie strictly between 0 and 1" in capsys.readouterr().err


def test_simulate_reads_targets_parameter_uncertainty_from_the_config(small_company, capsys):
    """targets.parameter_uncertainty in the run config reaches the fit that `calibrate simulate` runs."""
    config = small_company / "calibrate.yaml"
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    seen = {}
    for flag in (True, False):
        raw["targets"] = {**(raw.get("targets") or {}), "parameter_uncertainty": flag}
        config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        out = small_company / f"sim_{flag}"
        assert main(["simulate", "--config", str(config), "--scenarios", "500", "--out", str(out)]) == 0
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["settings"]["parameter_uncertainty"] is flag
        seen[flag] = summary["fit"]["parameter_uncertainty"]
    capsys.readouterr()
    assert seen == {True: True, False: False}

"""scoring.ramp_allowance: wired into the scoring step, never on top of targets that already
include the ramp; checked against the sample generator's true ramp (truth.json)."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from calibrate.config import load_config
from calibrate.errors import ConfigError
from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel
from calibrate.scoring.ramp import scoring_ramp_allowance, targets_include_ramp
from calibrate.scoring.settings import DEFAULT_SCORING, ScoringSettings
from calibrate.steps.base import RunContext
from calibrate.steps.scoring import ramp_text, score_run, scoring_step


@pytest.fixture(scope="module")
def sample(sample_config):
    ds = load_dataset(sample_config)
    truth = json.loads((sample_config.parent / "truth.json").read_text(encoding="utf-8"))
    panel = indicator_panel(ds, outcomes=False)
    spec = truth["spec"]
    true_ramp = 1 - spec["ramp_amplitude"] * np.exp(-np.maximum(panel["tenure_quarters"], 0) / spec["ramp_scale"])
    perf = ds.performance.assign(manager_id=ds.performance["manager_id"].astype(str)).set_index(
        ["manager_id", "period"]
    )
    targets = perf["revenue_target"].reindex(panel.index)
    groups = panel.reset_index()[["period", "level"]].set_axis(panel.index)
    return panel, truth, true_ramp, targets, groups


def test_the_sample_targets_are_detected_as_ramped(sample):
    # the generator's company sets targets with the true ramp: new hires' targets sit near the first-year share
    panel, truth, _, targets, groups = sample
    share = truth["ramp"]["first_year_mean"]
    ramped, ratio = targets_include_ramp(targets, panel["tenure_quarters"], share, groups=groups)
    assert ramped is True and ratio == pytest.approx(share, abs=0.12)
    values = panel[["revenue_attainment"]]
    out, info = scoring_ramp_allowance(
        values, panel["tenure_quarters"], ["revenue_attainment"], 0.5, targets=targets, groups=groups
    )
    assert info["reason"] == "targets_include_ramp" and not info["applied"]
    pd.testing.assert_series_equal(out["revenue_attainment"], values["revenue_attainment"])


def test_veteran_level_targets_get_the_allowance_and_new_hires_are_judged_fairly(sample):
    # the same company with targets at veteran level (targets / true ramp): no ramp in the targets
    panel, truth, true_ramp, targets, groups = sample
    flat_targets = targets / true_ramp
    raw = panel[["revenue_attainment"]].assign(revenue_attainment=panel["revenue_attainment"] * true_ramp)
    share = truth["ramp"]["first_year_mean"]
    ramped, ratio = targets_include_ramp(flat_targets, panel["tenure_quarters"], share, groups=groups)
    assert ramped is False and ratio > 0.85
    out, info = scoring_ramp_allowance(
        raw, panel["tenure_quarters"], ["revenue_attainment"], share, targets=flat_targets, groups=groups
    )
    assert info["applied"] and info["rows"] > 0
    first_year = panel["tenure_quarters"].between(0, 3) & raw["revenue_attainment"].notna()
    fair = panel.loc[first_year, "revenue_attainment"].mean()  # against the truly ramped targets
    assert out.loc[first_year, "revenue_attainment"].mean() == pytest.approx(fair, rel=0.08)


def test_the_setting_is_checked_at_config_load():
    assert DEFAULT_SCORING["ramp_allowance"] == "fitted"
    assert ScoringSettings.from_section({"ramp_allowance": 0.6}).ramp_allowance == 0.6
    assert ScoringSettings.from_section({"ramp_allowance": "off"}).ramp_allowance == "off"
    for bad in (0, 1.5, "yes", True):
        with pytest.raises(ConfigError, match="ramp_allowance"):
            ScoringSettings.from_section({"ramp_allowance": bad})


def _flat_target_company(small_company_master, tmp_path):
    """The small company with veteran-level targets (the generator's targets divided by its true ramp)."""
    cfg = load_config(small_company_master / "calibrate.yaml")
    ds = load_dataset(cfg)
    truth = json.loads((small_company_master / "truth.json").read_text(encoding="utf-8"))["spec"]
    tenure = indicator_panel(ds, outcomes=False)["tenure_quarters"]
    perf = ds.performance.copy()
    k = tenure.reindex(pd.MultiIndex.from_frame(perf[["manager_id", "period"]].astype(str))).to_numpy()
    ramp = 1 - truth["ramp_amplitude"] * np.exp(-np.maximum(k, 0) / truth["ramp_scale"])
    perf["revenue_target"] = perf["revenue_target"] / ramp
    return cfg, dataclasses.replace(ds, performance=perf)


def test_the_scoring_step_shows_who_got_the_allowance(small_company_master, tmp_path):
    cfg, ds = _flat_target_company(small_company_master, tmp_path)
    written = scoring_step(RunContext(cfg, ds, tmp_path))
    summary = json.loads(next(p for p in written if p.name == "summary.json").read_text(encoding="utf-8"))
    info = summary["ramp_allowance"]
    assert info["applied"] and info["reason"] == "applied" and info["managers"] > 0
    scores = pd.read_csv(next(p for p in written if p.name == "scores.csv"))
    assert (scores["ramp_share"] < 1).sum() == info["managers"]
    assert "ramp" in ramp_text(summary, "en").lower() and "爬坡" in ramp_text(summary, "zh")


def test_the_scoring_step_skips_the_allowance_on_ramped_targets(small_company_master, tmp_path):
    cfg = load_config(small_company_master / "calibrate.yaml")
    card, _ = score_run(RunContext(cfg, load_dataset(cfg), tmp_path))
    info = card.annual.attrs["ramp_allowance"]
    assert info["reason"] == "targets_include_ramp" and info["managers"] == 0
    assert (card.annual["ramp_share"] == 1).all()


def test_the_config_key_turns_the_allowance_off_in_the_step(small_company_master, tmp_path):
    """scoring.ramp_allowance: off, written in the run config, reaches the scoring step."""
    company = tmp_path / "company"
    shutil.copytree(small_company_master, company)
    raw = yaml.safe_load((company / "calibrate.yaml").read_text(encoding="utf-8"))
    raw["scoring"] = {**(raw.get("scoring") or {}), "ramp_allowance": "off"}
    path = company / "calibrate_ramp_off.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    _, ds = _flat_target_company(company, tmp_path)
    written = scoring_step(RunContext(load_config(path), ds, tmp_path))
    summary = json.loads(next(p for p in written if p.name == "summary.json").read_text(encoding="utf-8"))
    assert not summary["ramp_allowance"]["applied"] and summary["ramp_allowance"]["managers"] == 0

"""Ramp allowance for new hires, checked against the sample generator's true ramp (data/sample/truth.json).

The generator's revenue follows ramp(k) = 1 - 0.75 exp(-k / 3) of a veteran's in
tenure quarter k (truth.json "ramp", spec ramp_amplitude / ramp_scale), and its
targets already include that ramp. Dividing the targets by the true ramp gives
the veteran-level targets a company without ramped targets would set; against
those, new hires' raw attainment is about half a veteran's, and the allowance
(defaulting to the ramp fitted from the data) must restore it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from calibrate.errors import CalibrateError
from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel
from calibrate.scoring import ramp_allowance
from calibrate.targets import fit_performance_model


@pytest.fixture(scope="module")
def sample(sample_config):
    ds = load_dataset(sample_config)
    truth = json.loads((sample_config.parent / "truth.json").read_text(encoding="utf-8"))
    panel = indicator_panel(ds, outcomes=False)
    spec = truth["spec"]
    true_ramp = 1 - spec["ramp_amplitude"] * np.exp(-np.maximum(panel["tenure_quarters"], 0) / spec["ramp_scale"])
    # attainment against veteran-level targets (target / true ramp): what new hires face without an allowance
    raw = panel[["revenue_attainment"]].assign(revenue_attainment=panel["revenue_attainment"] * true_ramp)
    return ds, truth, panel, raw, fit_performance_model(ds).ramp


def test_the_fitted_first_year_share_recovers_the_true_ramp(sample):
    _, truth, _, _, ramp = sample
    assert ramp.source == "data"
    assert ramp.first_year_share == pytest.approx(truth["ramp"]["first_year_mean"], abs=0.03)


def test_allowance_from_the_fitted_ramp_puts_new_hires_back_on_the_veterans_footing(sample):
    _, _, panel, raw, ramp = sample
    first_year = panel["tenure_quarters"].between(0, 3) & raw["revenue_attainment"].notna()
    fair = panel.loc[first_year, "revenue_attainment"].mean()  # against ramped (true) targets
    before = raw.loc[first_year, "revenue_attainment"].mean()
    assert before < 0.6 * fair  # raw attainment punishes new hires
    adjusted = ramp_allowance(raw, panel["tenure_quarters"], ["revenue_attainment"], ramp=ramp)
    assert adjusted.loc[first_year, "revenue_attainment"].mean() == pytest.approx(fair, rel=0.05)
    settled = panel["tenure_quarters"] >= 4
    pd.testing.assert_series_equal(adjusted.loc[settled, "revenue_attainment"], raw.loc[settled, "revenue_attainment"])
    assert (adjusted.loc[first_year, "ramp_share"] == ramp.first_year_share).all()
    assert (adjusted.loc[settled, "ramp_share"] == 1.0).all()


def test_curve_mode_follows_the_fitted_ramp_quarter_by_quarter(sample):
    _, _, panel, raw, ramp = sample
    adjusted = ramp_allowance(raw, panel["tenure_quarters"], ["revenue_attainment"], ramp=ramp, mode="curve")
    for k in range(8):
        rows = (panel["tenure_quarters"] == k) & raw["revenue_attainment"].notna()
        assert rows.sum() > 10, k
        fair = panel.loc[rows, "revenue_attainment"].mean()
        assert adjusted.loc[rows, "revenue_attainment"].mean() == pytest.approx(fair, rel=0.05), k


def test_a_configured_share_wins_and_bad_settings_are_refused():
    v = pd.DataFrame({"revenue_attainment": [0.4, 0.9, np.nan]}, index=["a", "b", "c"])
    tenure = pd.Series([2, 9, np.nan], index=v.index)
    out = ramp_allowance(v, tenure, ["revenue_attainment"], first_year_share=0.8)
    assert out["revenue_attainment"].tolist()[:2] == pytest.approx([0.5, 0.9])
    assert out["ramp_share"].tolist() == [0.8, 1.0, 1.0]
    with pytest.raises(CalibrateError, match="first_year_share must be above 0 and at most 1"):
        ramp_allowance(v, tenure, ["revenue_attainment"], first_year_share=1.5)
    with pytest.raises(CalibrateError, match="needs the fitted ramp"):
        ramp_allowance(v, tenure, ["revenue_attainment"])
    with pytest.raises(CalibrateError, match="no column"):
        ramp_allowance(v, tenure, ["revenue"], first_year_share=0.5)

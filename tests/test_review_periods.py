"""Each indicator is measured over its review period: yearly and half-yearly indicators are not quarterly noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibrate.customer import nps_table
from calibrate.indicators import load_indicator_set
from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel


@pytest.fixture(scope="module")
def data(small_company_master):
    ds = load_dataset(small_company_master / "calibrate.yaml")
    return ds, indicator_panel(ds, load_indicator_set("key_account_director"), outcomes=False)


def test_director_review_periods_follow_their_sources():
    periods = load_indicator_set("key_account_director").to_frame().set_index("indicator")["review_period"]
    assert periods["profit_margin"] == "year" and periods["nps"] == "half_year"
    assert periods["collaboration"] == "year" and periods["revenue_attainment"] == "quarter"


def test_yearly_profit_margin_is_the_years_profit_over_its_revenue(data):
    ds, panel = data
    perf = ds.performance.assign(year=ds.performance["period"].str[:4])
    sums = perf.groupby(["manager_id", "year"])[["profit", "revenue"]].sum()
    want = sums["profit"] / sums["revenue"]
    got = panel["profit_margin"].reset_index()
    got["year"] = got["period"].str[:4]
    np.testing.assert_allclose(
        got["profit_margin"].to_numpy(), want.reindex(pd.MultiIndex.from_frame(got[["manager_id", "year"]])).to_numpy()
    )
    assert (got.groupby(["manager_id", "year"])["profit_margin"].nunique() == 1).all()


def test_half_yearly_nps_pools_the_halfs_answers(data):
    ds, panel = data
    survey = ds.survey.assign(
        half=ds.survey["period"].str[:4] + "H" + np.where(ds.survey["period"].str[-1].astype(int) <= 2, "1", "2")
    )
    want = nps_table(survey, by=["manager_id", "half"]).set_index(["manager_id", "half"])["nps"]
    got = panel["nps"].reset_index()
    got["half"] = got["period"].str[:4] + "H" + np.where(got["period"].str[-1].astype(int) <= 2, "1", "2")
    np.testing.assert_allclose(
        got["nps"].to_numpy(), want.reindex(pd.MultiIndex.from_frame(got[["manager_id", "half"]])).to_numpy()
    )


def test_quarterly_indicators_are_unchanged(data):
    ds, _ = data
    panel = indicator_panel(ds, outcomes=False)  # account_manager: quarterly results
    perf = ds.performance.set_index(["manager_id", "period"])
    np.testing.assert_allclose(
        panel["profit_margin"].to_numpy(), (perf["profit"] / perf["revenue"]).reindex(panel.index).to_numpy()
    )

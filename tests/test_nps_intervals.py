"""NPS intervals: Wald, the adjusted Wald of Rocks (2016) and a bootstrap; coverage against the known truth.

Reference: Rocks, B. (2016), "Interval estimation for the 'Net Promoter Score'",
The American Statistician 70(4), 365-372 (adjusted Wald: 3/4 added to promoters
and to detractors, 3 to n). The coverage test enumerates every outcome of the
trinomial distribution, so the "truth" is exact, not simulated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibrate.errors import CalibrateError
from calibrate.scoring import build_scorecard, nps_interval
from calibrate.scoring.nps_intervals import DEFAULT_NPS_METHOD, nps_bounds

Z95 = 1.959963984540054


def _exact_coverage(n: int, p_p: float, p_d: float, method: str) -> float:
    x_p, x_d = np.array([(a, b) for a in range(n + 1) for b in range(n + 1 - a)]).T
    prob = stats.multinomial.pmf(np.column_stack([x_p, x_d, n - x_p - x_d]), n, [p_p, p_d, 1 - p_p - p_d])
    low, high, _ = nps_bounds(x_p, x_d, np.full(len(x_p), n), method=method)
    truth = 100 * (p_p - p_d)
    return float(prob[(low <= truth) & (truth <= high)].sum())


def test_adjusted_wald_follows_rocks_formula_by_hand():
    # 6 promoters, 2 detractors, 10 answers: p_P = 6.75/13, p_D = 2.75/13, centre 100 * 4/13 = 30.769
    low, high, se = nps_bounds([6], [2], [10], method="adjusted_wald")
    p_p, p_d = 6.75 / 13, 2.75 / 13
    want_se = 100 * np.sqrt((p_p + p_d - (p_p - p_d) ** 2) / 13)
    assert se[0] == pytest.approx(want_se, abs=1e-12) and se[0] == pytest.approx(22.1202, abs=1e-4)
    assert low[0] == pytest.approx(100 * 4 / 13 - Z95 * want_se, abs=1e-9)
    assert high[0] == pytest.approx(100 * 4 / 13 + Z95 * want_se, abs=1e-9)


def test_all_promoters_gives_zero_width_wald_but_an_honest_adjusted_interval():
    w_low, w_high, _ = nps_bounds([5], [0], [5], method="wald")
    assert w_low[0] == w_high[0] == 100.0
    low, high, _ = nps_bounds([5], [0], [5], method="adjusted_wald")
    # p_P = 5.75/8, p_D = 0.75/8: centre 62.5, se 100 sqrt((0.8125 - 0.390625)/8) = 22.96
    assert high[0] == 100.0 and low[0] == pytest.approx(62.5 - Z95 * 100 * np.sqrt(0.421875 / 8), abs=1e-9)
    assert low[0] < 20


@pytest.mark.parametrize("n,p_p,p_d", [(5, 0.5, 0.2), (10, 0.7, 0.1), (20, 0.85, 0.05), (50, 0.9, 0.04)])
def test_adjusted_wald_keeps_nominal_coverage_where_wald_does_not(n, p_p, p_d):
    adjusted = _exact_coverage(n, p_p, p_d, "adjusted_wald")
    wald = _exact_coverage(n, p_p, p_d, "wald")
    assert adjusted >= 0.925, adjusted
    assert wald < adjusted and wald < 0.93, wald


def test_bootstrap_is_seeded_per_group_and_agrees_with_wald_for_many_answers():
    a = nps_bounds([120, 6], [40, 2], [200, 10], method="bootstrap", seed=3)
    b = nps_bounds([120], [40], [200], method="bootstrap", seed=3)
    c = nps_bounds([120, 6], [40, 2], [200, 10], method="bootstrap", seed=4)
    assert a[0][0] == b[0][0] and a[1][0] == b[1][0]  # the first group does not depend on the second
    assert a[2][1] != c[2][1]  # another seed, other resamples
    w_low, w_high, w_se = nps_bounds([120], [40], [200], method="wald")
    assert a[2][0] == pytest.approx(w_se[0], rel=0.08)
    assert a[0][0] == pytest.approx(w_low[0], abs=2.0) and a[1][0] == pytest.approx(w_high[0], abs=2.0)


def test_nps_interval_names_the_method_and_rejects_an_unknown_one():
    s = pd.DataFrame({"manager_id": ["A"] * 6, "period": ["2025Q1"] * 6, "recommend": [10, 10, 10, 10, 10, 10]})
    row = nps_interval(s).iloc[0]
    assert row["ci_method"] == DEFAULT_NPS_METHOD == "adjusted_wald"
    assert row["nps"] == 100.0 and row["ci_low"] < 40
    with pytest.raises(CalibrateError, match="'exact' is not one of adjusted_wald, wald, bootstrap"):
        nps_interval(s, method="exact")


def test_scorecard_uses_the_adjusted_wald_and_says_so(small_company_master):
    from calibrate.loading import load_dataset
    from calibrate.scoring import ScoringSettings

    ds = load_dataset(small_company_master / "calibrate.yaml")
    settings = ScoringSettings.from_section({"stability": {"draws": 20}}, ds.indicator_set)
    customer = build_scorecard(ds, settings, seed=1).customer
    ok = customer["nps_status"] == "ok"
    assert (customer.loc[ok, "nps_ci_method"] == "adjusted_wald").all() and ok.any()
    assert (customer.loc[ok, "nps_ci_high"] > customer.loc[ok, "nps_ci_low"]).all()

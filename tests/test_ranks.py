"""Ranks, rank correlations and the normal / Student-t functions in numpy equal scipy.stats'."""

import numpy as np
import pytest
from scipy import stats

from calibrate.distributions import norm, student_t
from calibrate.ranks import kendall_tau_b, rank_average, rank_min


@pytest.mark.parametrize("n,k,ties", [(2, 1, False), (5, 3, False), (386, 120, False), (386, 40, True), (61, 9, True)])
def test_ranks_and_kendall_equal_scipy(n, k, ties):
    rng = np.random.default_rng(n * 100 + k)
    x = rng.normal(size=n)
    y = rng.normal(size=(n, k)) + x[:, None]
    if ties:  # many equal values on both sides
        x, y = np.round(x * 2) / 2, np.round(y * 3) / 3
    assert np.array_equal(rank_min(y), stats.rankdata(y, method="min", axis=0))
    assert np.array_equal(rank_average(y), stats.rankdata(y, axis=0))
    assert np.array_equal(rank_min(x), stats.rankdata(x, method="min"))
    expected = np.array([stats.kendalltau(x, y[:, j]).statistic for j in range(k)])
    np.testing.assert_allclose(kendall_tau_b(x, y), expected, rtol=0, atol=1e-14)


def test_kendall_of_a_constant_side_is_undefined_and_of_reversed_order_is_minus_one():
    x = np.arange(6.0)
    assert kendall_tau_b(x, -x)[0] == -1.0
    assert np.isnan(kendall_tau_b(x, np.ones(6))[0])


def test_normal_and_t_functions_are_scipy_stats_to_the_bit():
    x = np.linspace(-9, 9, 401)
    q = np.linspace(1e-9, 1 - 1e-9, 401)
    assert np.array_equal(norm.cdf(x), stats.norm.cdf(x))
    assert np.array_equal(norm.sf(x), stats.norm.sf(x))
    assert np.array_equal(norm.ppf(q), stats.norm.ppf(q))
    assert np.array_equal(norm.isf(q), stats.norm.isf(q))
    for df in (1.0, 2.5, 7.0, 40.0):
        assert np.array_equal(student_t(df).cdf(x), stats.t(df).cdf(x))
        assert np.array_equal(student_t(df).sf(x), stats.t(df).sf(x))
        assert np.array_equal(student_t(df).ppf(q), stats.t(df).ppf(q))
        assert np.array_equal(student_t(df).isf(q), stats.t(df).isf(q))

"""Backtest of the share-hitting interval on companies simulated by the sample generator
(benchmarks/validate_share_interval.py is the large version)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from validate_share_interval import coverage_table  # noqa: E402

from calibrate.errors import ConfigError
from calibrate.targets.backtest import share_interval


def test_parameter_uncertainty_widens_the_interval_and_coverage_holds():
    table = coverage_table(companies=4, managers=120, level=0.9, scenarios=1000, seed=1000)
    with_pu = table[table["parameter_uncertainty"]].reset_index(drop=True)
    without = table[~table["parameter_uncertainty"]].reset_index(drop=True)
    # same companies, same Monte Carlo seed: the shared draws widen the interval (the share is
    # discrete, a quantile may stay on the same count) and coverage does not drop
    assert (with_pu["width"] >= without["width"]).all() and with_pu["width"].mean() > without["width"].mean()
    assert with_pu["covered"].mean() >= without["covered"].mean()
    # the realised share is a draw around the generator's expected share; the predicted mean
    # stays within 0.1 of it (per-manager parameter error, which the intervals do not fully carry)
    assert (abs(with_pu["predicted"] - with_pu["true_expected"]) < 0.1).all()


def test_share_interval_rejects_a_bad_level():
    with pytest.raises(ConfigError, match="level"):
        share_interval(None, 1.5)

"""A real local Dask cluster (worker processes) gives the same numbers as the local run."""
from __future__ import annotations

import numpy as np
import pytest

from calibrate.distributed import executor_for, grid, sweep
from calibrate.errors import ConfigError
from calibrate.targets.model import PerformanceModel
from calibrate.targets.payout import PayoutCurve
from calibrate.targets.simulation import attainment

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_executor():
    with executor_for("local:2") as ex:
        yield ex


def _model(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return PerformanceModel(manager_id=[f"M{i:05d}" for i in range(n)], region=rng.choice(list("ABCDE"), n),
                            base=rng.lognormal(5, 0.3, n), mu=rng.normal(0.06, 0.03, n),
                            sigma=np.full(n, 0.15), region_sigma=0.05, df=6.0)


def _hit_share(target_growth, seed):
    m = _model(800)
    res = attainment(m, np.exp(m.log_median) * (1 + target_growth), scenarios=500, seed=seed, chunk_managers=1024)
    return {"share": res.share_mean, "p5": float(res.share_quantile(0.05))}


def test_monte_carlo_on_dask_equals_local(dask_executor):
    m = _model()
    targets = np.exp(m.log_median) * 1.05
    curve = PayoutCurve.standard()
    base = np.full(m.n_managers, 3.0)
    local = attainment(m, targets, scenarios=1000, seed=11, chunk_managers=1024, payout=curve, bonus_base=base)
    remote = attainment(m, targets, scenarios=1000, seed=11, chunk_managers=1024, payout=curve, bonus_base=base,
                        workers=dask_executor)
    assert np.array_equal(local.probability, remote.probability)
    assert np.array_equal(local.hits, remote.hits)
    assert np.array_equal(local.ratio_quantiles, remote.ratio_quantiles)
    assert np.array_equal(local.bonus.total, remote.bonus.total)


def test_sweep_on_dask_equals_local(dask_executor):
    points = grid(target_growth=[0.0, 0.05, 0.10])
    local = sweep(_hit_share, points, seed=5)
    remote = sweep(_hit_share, points, seed=5, executor=dask_executor)
    assert local.equals(remote)
    assert local["share"].is_monotonic_decreasing          # harder targets, fewer hit


def test_bad_scheduler_setting():
    with pytest.raises(ConfigError, match=r"is not 'local', 'local:N' or a Dask address"):
        with executor_for("my-laptop"):
            pass

"""A real local Dask cluster (worker processes) gives the same numbers as the local run."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import compute_steps

from calibrate.config import load_config
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
    return PerformanceModel(
        manager_id=[f"M{i:05d}" for i in range(n)],
        region=rng.choice(list("ABCDE"), n),
        base=rng.lognormal(5, 0.3, n),
        mu=rng.normal(0.06, 0.03, n),
        sigma=np.full(n, 0.15),
        region_sigma=0.05,
        df=6.0,
    )


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
    remote = attainment(
        m, targets, scenarios=1000, seed=11, chunk_managers=1024, payout=curve, bonus_base=base, workers=dask_executor
    )
    assert np.array_equal(local.probability, remote.probability)
    assert np.array_equal(local.hits, remote.hits)
    assert np.array_equal(local.ratio_quantiles, remote.ratio_quantiles)
    assert np.array_equal(local.bonus.total, remote.bonus.total)


def test_sweep_on_dask_equals_local(dask_executor):
    points = grid(target_growth=[0.0, 0.05, 0.10])
    local = sweep(_hit_share, points, seed=5)
    remote = sweep(_hit_share, points, seed=5, executor=dask_executor)
    assert local.equals(remote)
    assert local["share"].is_monotonic_decreasing  # harder targets, fewer hit


def test_bad_scheduler_setting():
    with pytest.raises(ConfigError, match=r"is not 'local', 'local:N' or a Dask address"):
        with executor_for("my-laptop"):
            pass


def _run_files(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.parts[-2] in ("weights", "targets", "scoring")
        and p.suffix in (".csv", ".json", ".parquet")
    }


def test_calibrate_run_on_a_dask_cluster_gives_the_local_artifacts(small_company, tmp_path, capsys):
    """`scheduler: local:2` in the config sends the weights bootstrap and the Monte Carlo to a real
    LocalCluster of worker processes; the artifacts are byte-identical to the steps computed in this process (the
    stability draws on the cluster are checked below, without a third report run)."""
    from calibrate.cli import main

    config = small_company / "calibrate.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "weights:\n  bootstrap: 50\n", encoding="utf-8")
    # computed here as `calibrate run` computes them (the notebooks only read the artifacts)
    local = compute_steps(load_config(config, {"output": str(tmp_path / "a")}), ["02_weights", "03_targets"])
    dask = [
        "run",
        "--config",
        str(config),
        "--only",
        "02_weights",
        "03_targets",
        "--output",
        str(tmp_path / "b"),
        "--scheduler",
        "local:2",
    ]
    assert main(dask) == 0
    assert "heavy work runs on the Dask scheduler local:2" in capsys.readouterr().out
    a, b = _run_files(local), _run_files(tmp_path / "b" / "sample")
    assert len(a) > 5 and a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_the_executor_reaches_the_engines(small_company, monkeypatch):
    """Every Monte Carlo of the targets step and the stability draws go through the run's executor."""
    from calibrate.config import load_config
    from calibrate.loading import load_dataset
    from calibrate.steps.base import RunContext
    from calibrate.steps.scoring import score_run
    from calibrate.steps.targets import compute_targets
    from calibrate.weights.proposal import propose_from_config

    class Counting:
        calls = 0

        def map(self, fn, items):
            Counting.calls += 1
            return map(fn, items)

    config = load_config(small_company / "calibrate.yaml")
    ds = load_dataset(config)
    compute_targets(config, ds, executor=Counting())
    after_targets = Counting.calls
    assert after_targets == 2  # the four plans in one pass over the scenarios (attainment_many), and the backtest
    score_run(RunContext(config, ds, small_company, executor=Counting()))
    after_scoring = Counting.calls
    assert after_scoring > after_targets
    propose_from_config(ds, config, bootstrap=20, mixed=False, executor=Counting())
    assert Counting.calls == after_scoring + 1  # the bootstrap's chunks


def test_grade_stability_draws_on_dask_equal_local(dask_executor):
    import pandas as pd

    from calibrate.scoring.stability import annual_composites

    rng = np.random.default_rng(3)
    index = pd.MultiIndex.from_product(
        [[f"M{i:03d}" for i in range(300)], ["2024Q1", "2024Q2", "2024Q3"]], names=["manager_id", "period"]
    )
    points = pd.DataFrame(rng.uniform(0, 100, (len(index), 6)), index=index, columns=list("abcdef"))
    points.iloc[::7, 2] = np.nan
    weights = rng.dirichlet(np.ones(6), 40_000)  # several batches
    local = annual_composites(points, weights)
    remote = annual_composites(points, weights, executor=dask_executor)
    assert local.shape == (300, 40_000)
    assert np.array_equal(local.to_numpy(), remote.to_numpy(), equal_nan=True)


def test_weight_bootstrap_on_dask_equals_local(dask_executor, small_company_master):
    from calibrate.loading import load_dataset
    from calibrate.weights.proposal import propose_weights

    ds = load_dataset(small_company_master / "calibrate.yaml")
    local = propose_weights(ds, bootstrap=60, seed=3, mixed=False)
    remote = propose_weights(ds, bootstrap=60, seed=3, mixed=False, executor=dask_executor)
    assert local.bootstrap.draws.keys() == remote.bootstrap.draws.keys()
    for method, draws in local.bootstrap.draws.items():
        assert np.array_equal(draws, remote.bootstrap.draws[method], equal_nan=True), method
    pd_local, pd_remote = local.to_frame(), remote.to_frame()
    assert pd_local.equals(pd_remote)


def test_the_config_key_scheduler_is_what_the_run_opens(small_company, tmp_path, monkeypatch, capsys):
    """`scheduler:` in the run config reaches the executor the run opens (the flag above overrides it)."""
    from contextlib import contextmanager

    import calibrate.pipeline as pipeline
    from calibrate.cli import main

    opened = []

    @contextmanager
    def recording(scheduler):
        opened.append(scheduler)
        yield None

    monkeypatch.setattr(pipeline, "executor_for", recording)
    config = small_company / "calibrate.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "scheduler: local:3\n", encoding="utf-8")
    assert main(["run", "--config", str(config), "--only", "01_data_quality", "--output", str(tmp_path / "out")]) == 0
    assert opened == ["local:3"]
    assert "heavy work runs on the Dask scheduler local:3" in capsys.readouterr().out


def test_research_comparison_on_dask_equals_local(dask_executor, small_company_master):
    """The research comparison's bootstrap refits (batches of 25, the last one partial) give the same
    figures on a 2-process LocalCluster as in this process, bit for bit."""
    from calibrate.loading import load_dataset
    from calibrate.research import compare_indicator_sets, load_sets

    ds = load_dataset(small_company_master / "calibrate.yaml")
    sets = load_sets(["account_manager", "key_account_director"])
    local = compare_indicator_sets(ds, sets, weights="critic", bootstrap=60, folds=3, seed=4)
    remote = compare_indicator_sets(ds, sets, weights="critic", bootstrap=60, folds=3, seed=4, executor=dask_executor)
    assert (local.to_frame()["weight_sd"] > 0).all()  # learnt weights: the refits matter
    for part in ("per_set", "validity", "weights", "predictions"):
        assert getattr(local, part).equals(getattr(remote, part)), part


def test_research_scheduler_is_the_parameter_else_the_config(small_company):
    from calibrate.notebook_run import research_scheduler

    config = small_company / "calibrate.yaml"
    assert research_scheduler(str(config)) is None
    config.write_text(config.read_text(encoding="utf-8") + "scheduler: local:3\n", encoding="utf-8")
    assert research_scheduler(str(config)) == "local:3"
    assert research_scheduler(str(config), "none") is None
    assert research_scheduler(str(config), "tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"


@pytest.mark.notebook
def test_research_notebook_runs_its_sweep_on_the_config_scheduler(small_company, tmp_path):
    """Notebook 10 as a researcher runs it: the config's `scheduler: local:2` sends the bootstrap refits to
    a real LocalCluster, and every table it shows equals the one computed in the kernel (`scheduler="none"`)."""
    import re

    import nbformat
    import papermill

    from calibrate.report.execute import notebooks_folder

    config = small_company / "calibrate.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "scheduler: local:2\n", encoding="utf-8")
    shown = {}
    for name, extra in (("dask", {}), ("local", {"scheduler": "none"})):
        out = tmp_path / f"{name}.ipynb"
        papermill.execute_notebook(
            str(notebooks_folder() / "10_indicator_research.ipynb"),
            str(out),
            parameters={
                "config": str(config),
                "sets": ["account_manager", "key_account_director"],
                "weights": "critic",
                "bootstrap": 30,
                "folds": 3,
                "lang": "en",
                **extra,
            },
            cwd=str(tmp_path),
            progress_bar=False,
            kernel_name="python3",
        )
        outputs = [
            o
            for c in nbformat.read(str(out), as_version=4).cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
        ]
        assert not [o for o in outputs if o.get("output_type") in ("error", "stream")]
        shown[name] = (
            [
                re.sub(r"T_[0-9a-f]{5}", "T_", o["data"]["text/html"])  # a Styler's random id
                for o in outputs
                if "text/html" in o.get("data", {})
            ],
            "".join(o["data"].get("text/markdown", "") for o in outputs if "data" in o),
        )
    assert "The bootstrap refits ran on the Dask scheduler local:2." in shown["dask"][1]
    assert "Dask" not in shown["local"][1]
    assert len(shown["dask"][0]) >= 3 and shown["dask"][0] == shown["local"][0]

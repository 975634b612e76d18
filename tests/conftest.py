"""Shared fixtures: a small synthetic company written to a temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from calibrate.sample import SampleSpec, write_sample

# Property tests draw the same examples on every machine, so a suite that passes here passes in CI;
# CALIBRATE_HYPOTHESIS=random explores new examples (for hunting, not for landing).
settings.register_profile("calibrate", derandomize=True)
settings.register_profile("random", derandomize=False)
settings.load_profile("random" if os.environ.get("CALIBRATE_HYPOTHESIS") == "random" else "calibrate")


ROOT = Path(__file__).resolve().parents[1]
SMALL = SampleSpec(n_managers=40, n_quarters=8, truth_replications=20)


@pytest.fixture(scope="session")
def small_company_master(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("small_company")
    write_sample(folder, SMALL, seed=7)
    return folder


@pytest.fixture
def small_company(small_company_master, tmp_path) -> Path:
    """A fresh copy per test, safe to damage."""
    folder = tmp_path / "company"
    shutil.copytree(small_company_master, folder)
    return folder


@pytest.fixture(scope="session")
def sample_config() -> Path:
    return ROOT / "data" / "sample" / "calibrate.yaml"


SMALL_SETTINGS = {
    "weights": {"bootstrap": 40},
    "targets": {"scenarios": 2000},
    "scoring": {"stability": {"draws": 40, "spread": 0.2, "ranges": None, "boundary_probability": 0.2}},
}


@pytest.fixture(scope="session")
def full_runs(small_company_master, tmp_path_factory):
    """The whole run (every step and notebook), twice in English ("a", "b") and once in Chinese ("zh"),
    shared by every test that reads a full run (test_pipeline, test_reports)."""
    import calibrate.pipeline as pipeline
    from calibrate.config import load_config

    out = tmp_path_factory.mktemp("full")
    runs = {}
    for name, lang in (("a", "en"), ("b", "en"), ("zh", "zh")):
        cfg = load_config(
            small_company_master / "calibrate.yaml", {"output": str(out / name), "lang": lang, **SMALL_SETTINGS}
        )
        runs[name] = pipeline.run(cfg, echo=None)
    return runs


@pytest.fixture(scope="session", autouse=True)
def sample_pseudonym_key():
    """The shipped sample's pseudonym key exists before any test runs: a notebook that computes the sample in
    place notes a newly created key on stderr, and which test gets there first depends on how the test files
    are spread over processes (creating the key is atomic, so processes do not race)."""
    from calibrate.config import load_config
    from calibrate.loading import sample_config_path

    load_config(sample_config_path()).pseudonym_key()

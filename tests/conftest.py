"""Shared fixtures: a small synthetic company written to a temporary folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

try:
    import fcntl
except ImportError:  # pragma: no cover - no POSIX file locks: each process builds its own
    fcntl = None  # type: ignore[assignment]

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


def built_once(tmp_path_factory, builders: dict[str, Callable[[Path], None]]) -> dict[str, Path]:
    """Folders shared by every test process of this session, each built once by ``builders[name](folder)``.

    With the test files spread over processes (pytest-xdist), each process has its own session
    fixtures; a fixture that builds something expensive builds it here once, and the other
    processes read what was built (the processes' temporary folders share a parent: pytest-xdist's
    documented pattern). Each folder has a lock: a process first builds every folder no other
    process is building, then waits for the others, so two processes arriving together share the
    work. A folder counts as built only when its builder returned without an error.
    """
    shared = _shared_base(tmp_path_factory)
    folders = {name: shared / f"shared-{name}" for name in builders}

    def build(name: str, lock, wait: bool) -> bool:
        try:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False  # another process is building it
        try:
            done = folders[name] / ".built"
            if not done.exists():
                shutil.rmtree(folders[name], ignore_errors=True)  # a builder that failed in another process
                folders[name].mkdir()
                builders[name](folders[name])
                done.touch()
            return True
        finally:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)

    locks = {name: open(shared / f"shared-{name}.lock", "w") for name in builders}
    try:
        waiting = [name for name in builders if not build(name, locks[name], wait=False)]
        for name in waiting:
            build(name, locks[name], wait=True)
    finally:
        for lock in locks.values():
            lock.close()
    return folders


def _shared_base(tmp_path_factory) -> Path:
    """The temporary folder every test process of this session sees (its own where processes cannot lock)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") and fcntl is not None else base


@pytest.fixture(scope="session", autouse=True)
def notebook_cache(tmp_path_factory) -> Iterator[Path]:
    """Where notebooks opened as shipped keep the sample computed in place (``CALIBRATE_CACHE``): one folder for
    the session, shared by every process, so the sample's steps are computed once for every test that opens a
    shipped notebook, and never read from (or left in) the user's temporary folder. Keeping the folders is safe
    across processes: each is computed aside and moved into place whole (calibrate.notebook_run)."""
    folder = _shared_base(tmp_path_factory) / "notebook-cache"
    folder.mkdir(exist_ok=True)
    before = os.environ.get("CALIBRATE_CACHE")
    os.environ["CALIBRATE_CACHE"] = str(folder)
    yield folder
    if before is None:
        del os.environ["CALIBRATE_CACHE"]
    else:
        os.environ["CALIBRATE_CACHE"] = before


def _read_run(folder: Path):
    """The run in ``folder`` as ``pipeline.run`` returned it (a folder computed without notebooks has no
    manifest: ``{}``)."""
    import json

    from calibrate.pipeline import RunResult

    manifest = folder / "manifest.json"
    written = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    return RunResult(folder, written, sorted(folder.glob("*.html")))


@pytest.fixture(scope="session")
def full_runs(small_company_master, tmp_path_factory):
    """The whole run (every step and notebook) in English ("a") and in Chinese ("zh"), made once per session
    and shared by every test that reads a full run (test_pipeline, test_reports), in whichever process.

    "b" is the same configuration as "a" computed again without the notebooks: every artifact must be
    byte-identical to a's (determinism of the computation; the pages' determinism is checked where a page is
    made again, in test_pipeline.py and test_concurrent_runs.py)."""
    import calibrate.pipeline as pipeline
    from calibrate.config import load_config

    def whole_run(lang: str) -> Callable[[Path], None]:
        def build(out: Path) -> None:
            config = {"output": str(out), "lang": lang, **SMALL_SETTINGS}
            pipeline.run(load_config(small_company_master / "calibrate.yaml", config), echo=None)

        return build

    def computed_only(out: Path) -> None:
        compute_steps(
            load_config(small_company_master / "calibrate.yaml", {"output": str(out), "lang": "en", **SMALL_SETTINGS})
        )

    built = built_once(tmp_path_factory, {"run-a": whole_run("en"), "run-zh": whole_run("zh"), "run-b": computed_only})
    return {name: _read_run(_only_folder(built[f"run-{name}"])) for name in ("a", "zh", "b")}


def compute_steps(cfg, names: list[str] | None = None) -> Path:
    """The run folder of ``cfg`` with the steps ``names`` (default: the run's steps) computed as ``calibrate run``
    computes them, without executing their notebooks: for tests of the computed artifacts only."""
    from calibrate.notebook_run import _compute
    from calibrate.steps import all_steps

    folder = cfg.run_folder()
    folder.mkdir(parents=True)
    steps = all_steps()
    _compute(cfg, names or cfg.report["notebooks"] or [n for n, s in steps.items() if s.by_default(cfg)], folder)
    return folder


def _only_folder(parent: Path) -> Path:
    (folder,) = [p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return folder


@pytest.fixture(scope="session", autouse=True)
def sample_pseudonym_key():
    """The shipped sample's pseudonym key exists before any test runs: a notebook that computes the sample in
    place notes a newly created key on stderr, and which test gets there first depends on how the test files
    are spread over processes (creating the key is atomic, so processes do not race)."""
    from calibrate.config import load_config
    from calibrate.loading import sample_config_path

    load_config(sample_config_path()).pseudonym_key()

"""Installed, not cloned: the wheel built from this project works in a new virtual environment, outside the repository.

The wheel is built with pip (build isolation: setuptools comes from the package index)
and installed without dependencies into a new venv in a temporary folder; that venv
reaches the dependencies already installed for the tests through one ``.pth`` line,
and their data files (nbconvert's templates) through ``JUPYTER_PATH`` (installing numpy,
pandas, jupyter... again from the index takes about five minutes here). calibrate
itself, its notebooks, templates and sample company come only from the wheel: the
test checks where ``calibrate`` is imported from, and that a ``notebooks/`` folder in
the working directory is not executed (issue 11, item 12).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.notebook]


def _run(cmd, cwd, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "CALIBRATE_CACHE")}
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")  # the dependencies' data (nbconvert templates)
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("installed")
    assert ROOT not in base.parents
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(ROOT)], cwd=base)
    wheel = next((base / "dist").glob("calibrate-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)], cwd=base)
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base).stdout.strip()
    )
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return {"wheel": wheel, "bin": venv / "bin", "python": python, "site": site, "work": base / "work"}


def test_the_wheel_carries_notebooks_templates_and_the_sample(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    notebooks = {f"calibrate/notebooks/{p.name}" for p in (ROOT / "notebooks").iterdir()}
    assert notebooks <= names and "calibrate/notebooks/README.md" in names
    assert {
        "calibrate/templates/account_manager.yaml",
        "calibrate/sample_company/calibrate.yaml",
        "calibrate/sample_company/performance.csv",
        "calibrate/reference_data/mobi.csv",
        "calibrate/sample_company/indicator_sets/account_manager_plus_churn.yaml",
    } <= names
    located = _run(
        [
            str(installed["python"]),
            "-c",
            "import calibrate, calibrate.loading as l, calibrate.report.execute as e; "
            "print(calibrate.__file__); print(e.notebooks_folder()); print(l.sample_config_path())",
        ],
        cwd=installed["wheel"].parent,
    ).stdout.split()
    assert all(Path(p).is_relative_to(installed["site"]) for p in located), located


def test_sample_run_and_notebooks_outside_the_repository(installed):
    work = installed["work"]
    work.mkdir()
    # a notebooks/ folder where the command runs must never be executed
    (work / "notebooks").mkdir()
    broken = json.loads((ROOT / "notebooks" / "01_data_quality.ipynb").read_text(encoding="utf-8"))
    broken["cells"][1]["source"] = ["raise SystemExit('the notebook of the current folder was executed')"]
    (work / "notebooks" / "01_data_quality.ipynb").write_text(json.dumps(broken), encoding="utf-8")
    calibrate = str(installed["bin"] / "calibrate")
    assert _run([calibrate, "--version"], cwd=work).stdout.strip() == "calibrate 0.1.0"
    _run([calibrate, "sample", "demo"], cwd=work)
    assert (work / "demo" / "calibrate.yaml").exists() and (work / "demo" / "performance.csv").exists()
    _run([calibrate, "run", "--config", "demo/calibrate.yaml", "--only", "01_data_quality", "--lang", "en"], cwd=work)
    html = (work / "reports" / "sample" / "01_data_quality.html").read_text(encoding="utf-8")
    assert "Data quality report" in html and "current folder was executed" not in html
    _run([calibrate, "notebooks", "mine"], cwd=work)
    copied = sorted(p.name for p in (work / "mine").iterdir())
    assert copied == sorted(p.name for p in (ROOT / "notebooks").iterdir())

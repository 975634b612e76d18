"""What a maintainer expects of the package: a py.typed marker shipped in the wheel, doctests in make test,
a changelog in the Keep a Changelog format."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
from tests.conftest import ROOT


def test_py_typed_is_shipped_and_doctests_run_in_the_suite():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert (ROOT / "src" / "calibrate" / "py.typed").is_file()
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["calibrate"]
    pytest_config = config["tool"]["pytest"]["ini_options"]
    assert "src/calibrate" in pytest_config["testpaths"] and "--doctest-modules" in pytest_config["addopts"]


def test_changelog_follows_keep_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "keepachangelog.com" in text
    assert "## [Unreleased]" in text
    sections = re.findall(r"^### (\w+)", text, flags=re.M)
    assert sections and set(sections) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_make_test_spreads_the_files_over_two_processes_unless_told_otherwise():
    """The README's `make test` runs pytest with pytest-xdist over two processes; PYTEST_WORKERS=1 makes it serial."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        import pytest

        pytest.skip("make is not installed")

    def dry_run(*variables: str) -> str:
        out = subprocess.run(["make", "-n", "test", *variables], cwd=ROOT, capture_output=True, text=True, check=True)
        return [line for line in out.stdout.splitlines() if "-m pytest" in line][-1].rstrip()

    assert dry_run().endswith("-m pytest -n 2 --dist loadfile")
    assert dry_run("PYTEST_WORKERS=1", "PYTEST_ARGS=-x").endswith("-m pytest -n 1 --dist loadfile -x")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert any(d.startswith("pytest-xdist") for d in deps["dev"])
    assert "pytest-xdist" in (ROOT / "environment.yml").read_text(encoding="utf-8")


def test_an_older_pandas_is_refused_in_one_line_and_the_floor_is_the_declared_one():
    """pandas 2.2.3 cannot load the sample (blank text cells read as 'None'): the tool says what it needs
    instead of reporting hundreds of false problems; pyproject.toml and environment.yml declare that floor."""
    from calibrate.errors import CalibrateError
    from calibrate.io import PANDAS_FLOOR, check_pandas

    with pytest.raises(CalibrateError, match=r"needs pandas 3\.0 or later; this environment has pandas 2\.2\.3"):
        check_pandas("2.2.3")
    for version in ("3.0.0", "3.1.1", "3.0.0rc1", "4.0.0"):
        check_pandas(version)
    # through the command: an environment reporting pandas 2.2.3 gets the one line, no traceback
    code = (
        "import sys, pandas; pandas.__version__ = '2.2.3'; from calibrate.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    config = str(ROOT / "data" / "sample" / "calibrate.yaml")
    done = subprocess.run([sys.executable, "-c", code, "validate", "--config", config], capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "calibrate: calibrate needs pandas 3.0 or later; this environment has pandas 2.2.3 "
        "(pip install --upgrade 'pandas>=3.0')"
    )
    floor = ".".join(map(str, PANDAS_FLOOR))
    for file in ("pyproject.toml", "environment.yml"):
        declared = re.findall(r"pandas>=([\d.]+)", (ROOT / file).read_text(encoding="utf-8"))
        assert declared == [floor], file

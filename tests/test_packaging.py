"""What a maintainer expects of the package: a py.typed marker shipped in the wheel, doctests in make test,
a changelog in the Keep a Changelog format."""

from __future__ import annotations

import re
import tomllib

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

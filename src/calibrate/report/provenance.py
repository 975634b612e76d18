"""What a manifest records about the software: package versions and the project's git revision."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

PACKAGES = (
    "calibrate",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "pyarrow",
    "openpyxl",
    "duckdb",
    "pyyaml",
)


def git_revision(folder: Path | None = None) -> dict[str, Any]:
    """The git commit of the project and whether the work tree had uncommitted changes."""
    cwd = str(folder or Path(__file__).resolve().parent)
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return {"revision": None, "dirty": None}
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"revision": rev.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.TimeoutExpired):
        return {"revision": None, "dirty": None}


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def path_from(run_folder: Path, target: Path | None) -> str | None:
    """``target`` relative to the run folder when the two share a folder below the root, else None:
    a path that would climb to the root would spell the machine's folders."""
    if target is None:
        return None
    run, goal = Path(run_folder).resolve(), Path(target).resolve()
    if os.path.commonpath([run, goal]) == run.anchor:
        return None
    return os.path.relpath(goal, run)

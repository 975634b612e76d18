"""The runs in a reports folder: name, year, indicator set, recommendation and status.

Status: ``complete`` (a published run folder with its ``manifest.json``),
``failed`` (``<run-name>.failed/``, kept for debugging by
:func:`~calibrate.report.folders.atomic_run_folder`), ``partial`` (a hidden
``.<run-name>.partial-*`` folder of a run still going or one that died, or a
folder without a manifest). The year and indicator set come from the manifest
(or, for failed and partial runs, from the run's ``summary/summary.json`` and
``indicator_set.yaml`` when they exist); the recommendation is the
``recommendation`` of ``summary/summary.json`` when the summary provides one.
The previous run is the one the manifest's lineage names (``previous_run``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.errors import CalibrateError
from calibrate.report.folders import FAILED_DIR

COLUMNS = ["run", "status", "year", "indicator_set", "recommendation", "previous_run", "created"]


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _indicator_set(folder: Path) -> str | None:
    path = folder / "indicator_set.yaml"
    if not path.exists():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return None
    return str(data.get("name")) if isinstance(data, dict) and data.get("name") else None


def run_info(folder: Path) -> dict[str, Any]:
    """One row of :func:`list_runs` for a run folder."""
    folder = Path(folder)
    name = folder.name
    if name.startswith(".") and ".partial-" in name:
        status, run = "partial", name[1:].split(".partial-")[0]
    elif folder.parent.name == FAILED_DIR:
        status, run = "failed", name  # <output>/.failed/<run> (calibrate.report.folders)
    elif name.endswith(".failed"):
        status, run = "failed", name[: -len(".failed")]
    else:
        status, run = ("complete" if (folder / "manifest.json").exists() else "partial"), name
    manifest = _json(folder / "manifest.json")
    summary = _json(folder / "summary" / "summary.json")
    year = (manifest.get("config") or {}).get("year") or summary.get("year")
    previous = manifest.get("previous_run") or {}
    return {
        "run": run,
        "status": status,
        "year": year,
        "indicator_set": manifest.get("indicator_set") or _indicator_set(folder),
        "recommendation": _recommendation(summary),
        "previous_run": previous.get("name") or (Path(previous["folder"]).name if previous.get("folder") else None),
        "created": manifest.get("created"),
    }


def _recommendation(summary: dict[str, Any]) -> str | None:
    """The recommended plan of the run's executive summary, or its status when no plan qualified."""
    rec = (summary.get("targets") or {}).get("recommendation") or {}
    if rec.get("plan"):
        return str(rec["plan"])
    return f"none ({rec['status']})" if rec.get("status") else None


def list_runs(reports: Path) -> pd.DataFrame:
    """Every run folder directly under ``reports`` (columns :data:`COLUMNS`), by run name and status."""
    reports = Path(reports)
    if not reports.is_dir():
        raise CalibrateError(
            f"The reports folder {reports} does not exist; give the folder that holds run folders "
            "(the config's output, e.g. reports)."
        )
    folders = sorted(reports.iterdir())
    if (reports / FAILED_DIR).is_dir():
        folders += sorted((reports / FAILED_DIR).iterdir())
    rows = [
        run_info(p)
        for p in folders
        if p.is_dir()
        and p.name != FAILED_DIR
        and (
            (p / "manifest.json").exists()
            or p.parent.name == FAILED_DIR
            or p.name.endswith(".failed")
            or ".partial-" in p.name
            or (p / "notebooks").is_dir()
        )
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["year"] = pd.array(pd.to_numeric(frame["year"], errors="coerce"), dtype="Int64")
    return frame.sort_values(["run", "status"], kind="stable").reset_index(drop=True)

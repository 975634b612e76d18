"""Artifacts are declared once (calibrate.steps.artifacts) and read and written by name, never by file name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from calibrate.errors import CalibrateError
from calibrate.steps import artifacts as declared

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "calibrate"
NAME_USE = re.compile(
    r'declared\.(?:read|read_file|path|exists|in_folder|write)\((?:[^()]|\([^()]*\))*?"([a-z_0-9]+\.[a-z_0-9]+)"'
)
FILE_NAME = re.compile(r'"[A-Za-z_0-9/]+\.(?:csv|json|parquet|xlsx)"')
#: File names that are not run artifacts: a published data set the ECSI notebook reads, a doctest's example.
NOT_ARTIFACTS = {
    "notebooks/11_ecsi.ipynb": ['"reference_data/mobi.csv"'],
    "src/calibrate/steps/cycle.py": ['"manifest.json"'],
    "src/calibrate/notebook_run.py": ['"manifest.json"'],
    "src/calibrate/steps/weights_workbook.py": ['"weights.xlsx"'],
}


def _texts() -> dict[str, str]:
    out = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted(SRC.rglob("*.py"))}
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        out[str(nb.relative_to(ROOT))] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return out


def test_every_artifact_read_or_written_by_name_is_declared():
    used = {(where, name) for where, text in _texts().items() for name in NAME_USE.findall(text)}
    assert len(used) > 60  # the steps, the summary and the notebooks all go through names
    undeclared = sorted((w, n) for w, n in used if n not in {a.name for a in declared.ARTIFACTS})
    assert not undeclared
    assert all(n in {a.name for a in declared.ARTIFACTS} for names in declared.READS.values() for n in names)
    names = [a.name for a in declared.ARTIFACTS]
    assert len(names) == len(set(names))


def test_steps_notebooks_and_summary_spell_no_artifact_file_names():
    texts = _texts()
    places = [
        w
        for w in texts
        if w.startswith(
            (
                "src/calibrate/steps/",
                "notebooks/",
                "src/calibrate/cli/",
                "src/calibrate/whatif.py",
                "src/calibrate/notebook_run.py",
            )
        )
        and not w.endswith("steps/artifacts.py")
    ]
    spelled = {w: FILE_NAME.findall(texts[w]) for w in places}
    assert {w: f for w, f in spelled.items() if f and f != NOT_ARTIFACTS.get(w)} == {}


def test_a_table_without_its_declared_columns_is_refused(tmp_path):
    with pytest.raises(CalibrateError, match="artifact weights.proposal: columns .*ci_low"):
        declared.write(tmp_path, "weights.proposal", pd.DataFrame({"indicator": ["nps"], "weight": [1.0]}))
    with pytest.raises(CalibrateError, match="no artifact is declared as 'weights.propsal'"):
        declared.path(tmp_path, "weights.propsal")
    assert declared.path(tmp_path, "targets.plans") == tmp_path / "targets" / "plans.csv"

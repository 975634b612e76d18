"""Every notebook runs as shipped: from the notebooks/ folder, with no parameters (as JupyterLab runs it).

The step notebooks compute their step in place on the sample company shipped with the
package; one computation (kept in the session's folder, tests/conftest.py) serves them all. The other
execution mode, through `calibrate run`, is covered by tests/test_pipeline.py
(test_full_run_*: every step notebook) and by tests/test_wheel.py (an installed wheel).
"""

from __future__ import annotations

import re

import nbformat
import pytest
from tests.conftest import ROOT

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

# step notebooks first, in run order, so each reuses the sample computation of the one before
NOTEBOOKS = [
    "01_data_quality",
    "02_weights",
    "03_targets",
    "05_scoring",
    "06_cycle",
    "90_executive_summary",
    "12_what_if",
    "13_quarterly_review",
    "10_indicator_research",
    "11_ecsi",
]


def test_the_list_is_every_notebook():
    assert sorted(NOTEBOOKS) == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def _problems(nb) -> list[str]:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o["output_type"] == "error":
                out.append(f"error {o['ename']}: {o['evalue']}")
            elif o["output_type"] == "stream" and o["name"] == "stderr":
                out.append(f"stderr: {o['text'][:200]}")
            html = o.get("data", {}).get("text/html", "")
            if re.search(r">\s*(nan|NaN|None)\s*<", html):
                out.append(f"a table shows nan/None: {re.sub(r'<[^>]+>', ' ', html)[:200]}")
    return out


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_as_shipped_with_no_parameters(name, tmp_path, monkeypatch):
    import papermill

    monkeypatch.chdir(ROOT / "notebooks")
    out = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        f"{name}.ipynb", str(out), kernel_name="python3", progress_bar=False, cwd=str(ROOT / "notebooks")
    )
    nb = nbformat.read(str(out), as_version=4)
    assert _problems(nb) == []
    shown = "".join(
        str(o.get("data", {}).get(kind, ""))
        for c in nb.cells
        for o in c.get("outputs", [])
        for kind in ("text/markdown", "text/html")
    )
    assert shown.strip(), "the notebook showed nothing"
    chinese = bool(re.search(r"[\u4e00-\u9fff]", shown))
    assert chinese == (name != "11_ecsi"), f"{name} does not follow its default lang"  # 11_ecsi defaults to en


def test_a_parameter_change_is_computed_and_shown(tmp_path):
    """JupyterLab's second run: change the plan probability in 03_targets and run again."""
    import papermill

    out = tmp_path / "03.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "03_targets.ipynb"),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(ROOT / "notebooks"),
        parameters={"probability": 0.85, "scenarios": 500, "lang": "en"},
    )
    nb = nbformat.read(str(out), as_version=4)
    assert _problems(nb) == []
    text = "".join(str(o.get("data", {}).get("text/markdown", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "everyone a **85%** chance" in text and "500 simulated scenarios" in text


def test_a_misspelt_parameter_stops_the_notebook_naming_it(tmp_path):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as err:
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "03_targets.ipynb"),
            str(tmp_path / "x.ipynb"),
            kernel_name="python3",
            progress_bar=False,
            cwd=str(ROOT / "notebooks"),
            parameters={"probabilty": 0.85},
        )
    assert err.value.ename == "NotebookParameterError"
    assert "03_targets: no parameter 'probabilty'" in err.value.evalue

"""Clean reports: an executed notebook that shows an error, a warning or any stderr output fails the run.

A report goes to executives and HR; a red warning box (with the server's paths) or a
traceback in it is a defect, so :func:`check_clean` turns it into a NotebookFailed
naming the cell, and the run keeps the notebook under ``.failed/`` for debugging.
"""

from __future__ import annotations

import re
from pathlib import Path

from calibrate.errors import NotebookFailed


def unclean_outputs(notebook: Path) -> list[str]:
    """Every error or stderr output (warnings go to stderr) in an executed notebook, as 'cell N: ...' lines."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {number}: {out.get('ename')}: {_plain(out.get('evalue', ''))}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {number}: stderr: {_plain(out.get('text', '')).strip()[:200]}")
    return found


def check_clean(name: str, notebook: Path) -> None:
    """NotebookFailed when the executed notebook ``name`` shows an error, a warning or any stderr output."""
    problems = unclean_outputs(notebook)
    if problems:
        raise NotebookFailed(
            f"notebook {name} wrote warnings or errors into its report:\n  "
            + "\n  ".join(problems[:5])
            + f"\nthe executed notebook is kept at {{failed}}/notebooks/{name}.ipynb"
        )


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", str(text))

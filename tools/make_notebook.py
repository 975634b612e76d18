"""Write a clean notebook (no outputs) from a list of cells: used to author notebooks/ reproducibly.

Usage from Python: ``make_notebook(path, [("md", "# Title"), ("params", "run_dir = ''"), ("code", "...")])``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def make_notebook(path: str | Path, cells: list[tuple[str, str]]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(source.strip())
        else:
            cell = nbformat.v4.new_code_cell(source.strip())
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
        cell.pop("id", None)
        nb.cells.append(cell)
    nb.nbformat_minor = 4
    path = Path(path)
    nbformat.write(nb, str(path))
    return path


if __name__ == "__main__":
    sys.exit("import make_notebook from this module")

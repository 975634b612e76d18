"""Execute a report notebook with papermill; a failing cell becomes one readable NotebookFailed."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from calibrate.errors import CalibrateError, NotebookFailed

NOTEBOOK_DIR = "notebooks"


def notebooks_folder() -> Path:
    """The project's ``notebooks/`` folder (source checkout)."""
    here = Path(__file__).resolve()
    for parent in (Path.cwd(), *here.parents):
        candidate = parent / NOTEBOOK_DIR
        if (candidate / "01_data_quality.ipynb").exists():
            return candidate
    raise CalibrateError("the notebooks/ folder was not found: run calibrate from the project folder")


def execute_notebook(name: str, parameters: dict[str, Any], out_dir: Path, *, timeout: int = 900,
                     source_dir: Path | None = None) -> Path:
    """Run ``notebooks/<name>.ipynb`` with parameters into ``out_dir/notebooks/<name>.ipynb``.

    Raises NotebookFailed with the failing cell's error in one readable message.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source = (source_dir or notebooks_folder()) / f"{name}.ipynb"
    if not source.exists():
        raise CalibrateError(f"report notebook {source} not found")
    target = out_dir / "notebooks" / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    sockets = tempfile.mkdtemp(prefix="calibrate-kernel-")      # private (0700), removed afterwards
    try:
        pm.execute_notebook(str(source), str(target), parameters=parameters, kernel_name="python3",
                            progress_bar=False, log_output=False, execution_timeout=timeout,
                            cwd=str(source.parent.parent), kernel_manager_class=_local_kernel_manager(sockets))
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            f"notebook {name} failed in cell {exc.exec_count}: {exc.ename}: {_strip_ansi(exc.evalue)}\n"
            f"the executed notebook is kept at {{failed}}/notebooks/{name}.ipynb") from None
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    return target


def unclean_outputs(notebook: Path) -> list[str]:
    """Every error, stderr stream or warning output in an executed notebook, as 'cell N: text' lines."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {number}: {out.get('ename')}: {_strip_ansi(out.get('evalue', ''))}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {number}: stderr: {_strip_ansi(out.get('text', '')).strip()[:200]}")
    return found


def check_clean(name: str, notebook: Path) -> None:
    """NotebookFailed when the executed notebook shows an error, a warning or any stderr output."""
    problems = unclean_outputs(notebook)
    if problems:
        raise NotebookFailed(
            f"notebook {name} wrote warnings or errors into its report:\n  " + "\n  ".join(problems[:5])
            + f"\nthe executed notebook is kept at {{failed}}/notebooks/{name}.ipynb")


def _local_kernel_manager(sockets: str):
    """Kernels talk over Unix sockets (not TCP) in the private folder ``sockets``: nothing listens on the
    network, and runs started at the same time never share (or leave behind) socket files."""
    from jupyter_client.manager import AsyncKernelManager

    if os.name != "posix":
        return AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(sockets, "kernel-ipc"))
            super().__init__(**kwargs)

    return LocalKernelManager


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", str(text))



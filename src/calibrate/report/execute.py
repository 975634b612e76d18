"""Execute a report notebook with papermill; a failing cell becomes one readable NotebookFailed."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from calibrate.errors import CalibrateError, NotebookFailed

def notebooks_folder() -> Path:
    """The package's own notebooks (never a ``notebooks/`` folder of the current directory)."""
    from calibrate.resources import shipped_path

    return shipped_path("notebooks")


def execute_notebook(name: str, parameters: dict[str, Any], out_dir: Path, *, timeout: int = 900,
                     source_dir: Path | None = None) -> Path:
    """Run ``notebooks/<name>.ipynb`` with parameters into ``out_dir/notebooks/<name>.ipynb``.

    Raises NotebookFailed with the failing cell's error in one readable message.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from calibrate.notebook_params import NOTEBOOK_PARAMETERS, check_parameters

    if name in NOTEBOOK_PARAMETERS:
        check_parameters(name, parameters)          # one line naming a wrong parameter, before any kernel starts
    source = (source_dir or notebooks_folder()) / f"{name}.ipynb"
    if not source.exists():
        raise CalibrateError(f"report notebook {source} not found")
    target = out_dir / "notebooks" / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(str(source), str(target), parameters=parameters, kernel_name="python3",
                            progress_bar=False, log_output=False, execution_timeout=timeout,
                            cwd=str(source.parent), kernel_manager_class=_local_kernel_manager())
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            f"notebook {name} failed in cell {exc.exec_count}: {exc.ename}: {_strip_ansi(exc.evalue)}\n"
            f"the executed notebook is kept at {{failed}}/notebooks/{name}.ipynb") from None
    return target


def _local_kernel_manager():
    """Kernels talk over Unix sockets on this machine (not TCP): nothing listens on the network."""
    from jupyter_client.manager import AsyncKernelManager

    if os.name != "posix":
        return AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            super().__init__(**kwargs)

    return LocalKernelManager


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", str(text))



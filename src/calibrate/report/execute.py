"""Execute a report notebook with papermill; a failing cell becomes one readable NotebookFailed."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from calibrate.errors import CalibrateError, NotebookFailed


def notebooks_folder() -> Path:
    """The package's own notebooks (never a ``notebooks/`` folder of the current directory)."""
    from calibrate.resources import shipped_path

    return shipped_path("notebooks")


@contextmanager
def kernel_session() -> Iterator[Any]:
    """One warm Python kernel for every notebook of a run, reached only through a private folder.

    Each notebook of a run used to start its own kernel (~0.7 s) and import the
    scientific stack again (~1.3 s); one kernel serves them all. The kernel talks
    over Unix sockets in a fresh ``0700`` temporary folder (TCP on loopback where
    there are no Unix sockets), so runs at the same time never share socket files
    and nothing is left in the folder the command runs in. The kernel's own log
    goes to that folder too, never to the user's terminal, and the folder is
    removed when the session ends.
    """
    from jupyter_client.manager import KernelManager

    folder = Path(tempfile.mkdtemp(prefix="calibrate-kernel-"))
    if os.name == "posix":
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"))
    else:  # pragma: no cover - no Unix sockets
        km = KernelManager(kernel_name="python3", ip="127.0.0.1")
    km.connection_file = str(folder / "kernel.json")
    log = open(folder / "kernel.log", "wb")
    try:
        km.start_kernel(cwd=str(folder), stdout=log, stderr=log)  # boots while the first step computes
        _WARMING[km] = threading.Thread(target=_warm_up, args=(km,), name="calibrate-kernel-warm-up", daemon=True)
        _WARMING[km].start()
        yield km
    finally:
        warming = _WARMING.pop(km, None)
        if warming is not None:
            warming.join(timeout=60)
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


# What the report notebooks import (and the CJK font they load), run in the kernel as soon as it is up,
# while this process loads the data and computes the first step; a notebook then finds them imported.
WARM_UP = """
try:
    import IPython.display, matplotlib.pyplot
    import calibrate.notebook_params, calibrate.notebook_run, calibrate.plotting, calibrate.steps.artifacts
    import calibrate.quality, calibrate.messages, calibrate.messages.format, calibrate.report.tables
    import calibrate.steps.weights, calibrate.steps.targets, calibrate.steps.scoring_report
    import calibrate.steps.summary, calibrate.scoring.charts
    calibrate.plotting.use_theme("zh")
except Exception:
    pass
"""
_WARMING: dict[Any, threading.Thread] = {}


def _warm_up(kernel: Any, timeout: int = 300) -> None:
    """Run :data:`WARM_UP` in the kernel (best effort: a failure only means a colder first notebook)."""
    client = kernel.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        client.execute_interactive(WARM_UP, store_history=False, timeout=timeout, output_hook=lambda _msg: None)
    except Exception:  # noqa: BLE001 - the notebooks import what they need anyway
        pass
    finally:
        client.stop_channels()


def execute_notebook(
    name: str,
    parameters: dict[str, Any],
    out_dir: Path,
    *,
    timeout: int = 900,
    source_dir: Path | None = None,
    kernel: Any = None,
) -> Path:
    """Run ``notebooks/<name>.ipynb`` with parameters into ``out_dir/notebooks/<name>.ipynb``.

    ``kernel``: a running kernel from :func:`kernel_session` (shared by the notebooks
    of a run); without one, the notebook gets a session of its own. Raises
    NotebookFailed with the failing cell's error in one readable message.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from calibrate.notebook_params import NOTEBOOK_PARAMETERS, check_parameters

    if name in NOTEBOOK_PARAMETERS:
        check_parameters(name, parameters)  # one line naming a wrong parameter, before any kernel starts
    source = (source_dir or notebooks_folder()) / f"{name}.ipynb"
    if not source.exists():
        raise CalibrateError(f"report notebook {source} not found")
    if kernel is None:
        with kernel_session() as own:
            return execute_notebook(name, parameters, out_dir, timeout=timeout, source_dir=source_dir, kernel=own)
    target = out_dir / "notebooks" / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh_namespace(kernel)
    try:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            km=kernel,
        )
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            f"notebook {name} failed in cell {exc.exec_count}: {exc.ename}: {_strip_ansi(exc.evalue)}\n"
            f"the executed notebook is kept at {{failed}}/notebooks/{name}.ipynb"
        ) from None
    return target


def fresh_namespace(kernel: Any, timeout: int = 60) -> None:
    """Empty the kernel's namespace, so each notebook of a run starts as in a new kernel.

    Modules already imported stay in ``sys.modules`` (that is the time a shared kernel
    saves); variables of the previous notebook do not leak into the next one.
    """
    warming = _WARMING.get(kernel)
    if warming is not None:
        warming.join()  # its own timeout bounds the wait
    client = kernel.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        reply = client.execute_interactive(
            "get_ipython().run_line_magic('reset', '-f')",
            store_history=False,
            timeout=timeout,
            output_hook=lambda _msg: None,
        )
        if reply["content"].get("status") != "ok":
            raise CalibrateError(f"the report kernel could not be reset: {reply['content'].get('evalue', '')}")
    finally:
        client.stop_channels()


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", str(text))

"""Execute report notebooks with papermill, render them to HTML without code, and publish run folders atomically.

A run is built in a hidden temporary folder next to its destination and moved into
place only when every step succeeded. A failed run leaves the last good report
untouched and keeps what it produced, failed notebook included, in
``<output>/<run-name>.failed/``.
"""
from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from calibrate.errors import CalibrateError, NotebookFailed
from calibrate.webfont import embed_cjk_font

NOTEBOOK_DIR = "notebooks"
PACKAGES = ("calibrate", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "matplotlib", "seaborn",
            "papermill", "nbconvert", "pyarrow", "openpyxl", "duckdb", "pyyaml")


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
    try:
        pm.execute_notebook(str(source), str(target), parameters=parameters, kernel_name="python3",
                            progress_bar=False, log_output=False, execution_timeout=timeout,
                            cwd=str(source.parent.parent), kernel_manager_class=_local_kernel_manager())
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


def render_html(notebook: Path, html_path: Path, *, title: str, stamp: str | None = None) -> Path:
    """HTML without code cells or prompts, images embedded, no script or style fetched from the network."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    for k, cell in enumerate(nb.cells):          # papermill gives cells random ids: make the HTML reproducible
        cell["id"] = f"cell-{k}"
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _offline(body)
    body = _stable_styler_ids(body)
    if stamp:
        body = body.replace("</body>", f'<footer style="color:#777;font-size:12px;margin:2em 4em">{stamp}</footer>\n</body>', 1)
    body = embed_cjk_font(body)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _stable_styler_ids(html: str) -> str:
    """pandas Styler tables carry a random id (``T_8f3a1``): number them in order of appearance instead."""
    names: dict[str, str] = {}

    def rename(match: re.Match) -> str:
        return names.setdefault(match.group(0), f"T_t{len(names)}")

    return re.sub(r"\bT_[0-9a-f]{5}(?=[_\"\s ])", rename, html)


def _offline(html: str) -> str:
    """Drop scripts loaded from the network (MathJax, require.js): the reports hold no math or widgets."""
    html = re.sub(r'<script[^>]+src="https?://[^"]+"[^>]*>\s*</script>', "", html)
    html = re.sub(r'<link[^>]+href="https?://[^"]+"[^>]*>', "", html)
    return html


def git_revision(folder: Path | None = None) -> dict[str, Any]:
    """The git commit of the project and whether the work tree had uncommitted changes."""
    cwd = str(folder or Path(__file__).resolve().parent)
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return {"revision": None, "dirty": None}
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10)
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


@contextmanager
def atomic_run_folder(final: Path, *, start_from_previous: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``final``, on failure it becomes ``final.failed``.

    With ``start_from_previous`` the temporary folder starts as a copy of the last
    good ``final`` (for re-running some steps and keeping the others' results).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}-{time.time_ns()}"
    if start_from_previous and final.is_dir():
        shutil.copytree(final, tmp)
    else:
        tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        failed = final.parent / f"{final.name}.failed"
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(tmp, failed)
        raise
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}-{time.time_ns()}"
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    stale = final.parent / f"{final.name}.failed"
    if stale.exists():
        shutil.rmtree(stale, ignore_errors=True)

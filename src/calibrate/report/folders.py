"""Publish a run folder atomically.

A run is built in a hidden temporary folder next to its destination and moved into
place only when every step succeeded. A failed run leaves the last good report
untouched and keeps what it produced, failed notebook included, in
``<output>/<run-name>.failed/``.
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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

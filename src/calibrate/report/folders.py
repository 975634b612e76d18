"""Publish a run folder atomically.

A run is built in a hidden temporary folder next to its destination,
``<output>/.<run-name>.partial-<pid>-<ns>``, and moved into place only when every
step succeeded. A failed run leaves the last good report untouched and keeps what
it produced, failed notebook included, in ``<output>/.failed/<run-name>/``: a
run name cannot start with '.', so no run can ever be named like (or delete) a
failed run. Partial folders left by a run that was killed (its process is gone)
are removed by the next run into the same output folder, which says so.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from calibrate.errors import CalibrateError

FAILED_DIR = ".failed"
_PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?:partial|old)-(?P<pid>\d+)-\d+$")


def failed_folder(final: Path) -> Path:
    """Where a failed run of ``final`` keeps its output: ``<output>/.failed/<run-name>``."""
    final = Path(final)
    return final.parent / FAILED_DIR / final.name


def remove_stale_partials(output: Path, echo: Callable[[str], None] | None = None) -> list[Path]:
    """Delete ``.<run>.partial-<pid>-*`` folders in ``output`` whose process no longer runs."""
    removed: list[Path] = []
    if not Path(output).is_dir():
        return removed
    for entry in sorted(Path(output).iterdir()):
        match = _PARTIAL.match(entry.name)
        if not match or not entry.is_dir() or _alive(int(match["pid"])):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
        if echo:
            echo(f"removed {entry.name}, left by an interrupted run (process {match['pid']} is gone)")
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def check_output_folder(parent: Path) -> None:
    """CalibrateError naming the folder when run folders cannot be written there (read-only, full, a file)."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".write-test-{os.getpid()}-{time.time_ns()}"
        probe.write_bytes(b"x")
        probe.unlink()
    except OSError as exc:
        reason = "it is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc)).lower()
        raise CalibrateError(f"cannot write to the output folder {parent}: {reason}") from None


@contextmanager
def atomic_run_folder(
    final: Path, *, start_from_previous: bool = False, echo: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``final``, on failure it becomes ``.failed/<name>``.

    With ``start_from_previous`` the temporary folder starts as a copy of the last
    good ``final`` (for re-running some steps and keeping the others' results).
    """
    final = Path(final)
    check_output_folder(final.parent)
    remove_stale_partials(final.parent, echo)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}-{time.time_ns()}"
    try:
        if start_from_previous and final.is_dir():
            shutil.copytree(final, tmp)
        else:
            tmp.mkdir()
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CalibrateError(f"cannot write to the output folder {final.parent}: {exc.strerror}") from None
    try:
        yield tmp
    except BaseException:
        failed = failed_folder(final)
        failed.parent.mkdir(exist_ok=True)
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
    stale = failed_folder(final)
    if stale.exists():
        shutil.rmtree(stale, ignore_errors=True)

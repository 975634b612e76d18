"""Give freed memory back to the operating system after a large load.

Reading a company's tables allocates far more than the typed tables keep
(pyarrow buffers of strings, intermediate frames). pyarrow's allocator
(mimalloc or jemalloc) and glibc's malloc keep freed pages for reuse, so the
process stays as large as its peak: at 100,000 managers 4.5 GB resident after
loading for 2.1 GB of tables, 3.0 GB once the pool has released its unused
pages (issue 18). :func:`release_unused_memory` asks both allocators to return
what they do not use; it frees nothing that is still referenced and changes no
result.
"""

from __future__ import annotations

import ctypes
import functools
import sys

__all__ = ["release_unused_memory"]


def release_unused_memory() -> None:
    """Return pyarrow's and glibc's unused pages to the OS (each step skipped where not available).

    pyarrow is only asked when it is already imported (the loading used it);
    glibc's ``malloc_trim(0)`` only on Linux with glibc.
    """
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        try:
            pyarrow.default_memory_pool().release_unused()
        except Exception:  # noqa: BLE001 - an old pyarrow without release_unused, or a pool that cannot
            pass
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None. Looked up by the library's name, not by
    ``ctypes.util.find_library`` (which starts ``ldconfig`` in a child process: slow, and a fork of a
    large process briefly counts its pages twice in a reading of the process tree's memory)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None

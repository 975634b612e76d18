"""Run a block of numpy work on one thread.

Two reasons, one helper: many tiny matrix operations gain nothing from BLAS
threads (they only add overhead and contend on shared machines), and the same
numbers must come out whichever process computes a batch: a matrix product split
over several BLAS threads may add in another order than on one thread, and Dask
workers run with one thread each.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager


def single_thread() -> AbstractContextManager[object]:
    """A context in which BLAS and OpenMP pools use one thread; a no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1)

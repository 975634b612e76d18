"""Run a block of numpy work on one BLAS thread.

Used where the same numbers must come out whichever process computes them: a
matrix product split over several BLAS threads may add in another order than on
one thread, and Dask workers run with one thread each.
"""
from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager


def one_blas_thread() -> AbstractContextManager[object]:
    """A context in which BLAS (OpenBLAS, MKL) uses one thread; a no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")

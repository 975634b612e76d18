"""Run the heavy parts (Monte Carlo, bootstrap, sweeps) on more than one process or machine.

An *executor* is anything with ``map(fn, iterable)`` that yields results in order:
a ``concurrent.futures`` executor, or a Dask cluster's executor. Engines that take
one cut their work into pieces whose random streams are fixed by the piece, not
by the worker, so results are identical to the local run for the same seed.

The run config's ``scheduler`` entry chooses:

* absent or ``null``: in this process;
* ``local``: a Dask ``LocalCluster`` of worker processes on this machine;
* ``local:N``: the same with N worker processes;
* ``tcp://host:8786`` (any Dask scheduler address): an existing cluster.

>>> with executor_for(None) as ex:
...     print(ex)
None
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError


@contextmanager
def executor_for(scheduler: str | None) -> Iterator[Any]:
    """Yield an executor for the ``scheduler`` setting (None: run in this process)."""
    if scheduler in (None, "", "none"):
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("scheduler is set but Dask is not installed: pip install 'calibrate[scale]'") from None
    text = str(scheduler)
    if text == "local" or text.startswith("local:"):
        workers = int(text.split(":", 1)[1]) if ":" in text else (os.cpu_count() or 1)
        if workers < 1:
            raise ConfigError(f"scheduler {text!r}: the number of workers must be at least 1")
        # loopback only; the scheduler's HTTP server takes a free port (":0"), so that runs at the
        # same time never contend for Dask's default 8787 (None still means the default port)
        with (
            _quiet_dask(),
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client.get_executor()
        return
    if "://" not in text:
        raise ConfigError(f"scheduler {text!r} is not 'local', 'local:N' or a Dask address such as tcp://host:8786")
    try:
        client = Client(text, timeout="20s")
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {text} ({exc})") from None
    try:
        yield client.get_executor()
    finally:
        client.close()


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """Keep the life-cycle chatter of a cluster this process owns off stderr (errors still show).

    On a loaded machine a closing worker may outlive the nanny's 4 s grace and be
    killed with a WARNING on stderr; in a notebook that line would be a stderr
    output in the report. Levels are restored when the cluster is closed.
    """
    loggers = [
        logging.getLogger(name)
        for name in (
            "distributed",
            "distributed.nanny",
            "distributed.scheduler",
            "distributed.worker",
            "distributed.core",
        )
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def scheduler_label(scheduler: str) -> str:
    """The scheduler as it may be printed: an address without user or password.

    >>> scheduler_label("tcp://ann:secret@10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    """
    text = str(scheduler)
    if "@" in text and "://" in text:
        scheme, rest = text.split("://", 1)
        return f"{scheme}://{rest.rsplit('@', 1)[1]}"
    return text


def sweep(
    func: Callable[..., dict[str, Any]], grid: Iterable[dict[str, Any]], *, seed: int = 0, executor: Any = None
) -> pd.DataFrame:
    """Evaluate ``func(**params, seed=child_seed)`` for every point of a parameter grid.

    Point k gets the k-th child of ``SeedSequence(seed)`` whatever runs it, so a sweep
    gives the same table locally and on a cluster. ``func`` returns a dict of results;
    the table has one row per point: the parameters, then the results.
    """
    points = [dict(p) for p in grid]
    children = np.random.SeedSequence(seed).spawn(len(points))
    tasks = [(func, p, c) for p, c in zip(points, children)]
    results = list(executor.map(_call, tasks)) if executor is not None else [_call(t) for t in tasks]
    return pd.DataFrame([{**p, **r} for p, r in zip(points, results)])


def _call(task: tuple[Callable[..., dict[str, Any]], dict[str, Any], np.random.SeedSequence]) -> dict[str, Any]:
    func, params, child = task
    return func(**params, seed=child)


def grid(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """The Cartesian product of parameter axes, in row-major order: ``grid(p=[.6, .7], growth=[.1, .2])``."""
    points: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        points = [{**p, name: v} for p in points for v in values]
    return points

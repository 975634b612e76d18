"""Loading and the panel hand freed pages back to the OS (calibrate.memory, issue 18)."""

from __future__ import annotations

import sys

import pytest

import calibrate.loading as loading
import calibrate.panel as panel_module
from calibrate import memory
from calibrate.loading import load_dataset, sample_config_path


def test_loading_and_the_panel_release_unused_memory(monkeypatch):
    calls = []
    monkeypatch.setattr(loading, "release_unused_memory", lambda: calls.append("load"))
    monkeypatch.setattr(panel_module, "release_unused_memory", lambda: calls.append("panel"))
    ds = load_dataset(sample_config_path())
    assert calls == ["load"]
    panel_module.indicator_panel(ds)
    assert calls == ["load", "panel"]


def test_the_pyarrow_pool_is_asked_when_pyarrow_is_loaded(monkeypatch):
    released = []

    class Pool:
        def release_unused(self):
            released.append(True)

    class FakeArrow:
        @staticmethod
        def default_memory_pool():
            return Pool()

    monkeypatch.setitem(sys.modules, "pyarrow", FakeArrow)
    memory.release_unused_memory()
    assert released == [True]


@pytest.mark.parametrize("absent", [None, object()])
def test_without_pyarrow_or_with_an_old_one_nothing_fails(monkeypatch, absent):
    monkeypatch.setitem(sys.modules, "pyarrow", absent)  # None: not installed; object(): no memory pool API
    memory.release_unused_memory()


def test_releasing_starts_no_child_process(monkeypatch):
    """A child of a large process (e.g. ldconfig started by ctypes.util.find_library) costs time and, read
    with its parent, doubles the resident memory the benchmark measures."""
    import subprocess

    started = []
    real = subprocess.Popen.__init__

    def spy(self, *args, **kwargs):
        started.append(args[:1])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", spy)
    if hasattr(memory, "_malloc_trim"):
        memory._malloc_trim.cache_clear()
    memory.release_unused_memory()
    assert started == []

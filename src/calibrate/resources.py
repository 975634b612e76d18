"""Files the package ships: the notebooks, the sample company and the ECSI reference survey.

In a source checkout they live where people edit them (``notebooks/``, ``data/sample/``,
``tests/reference/mobi.csv``); building the wheel copies them into the package
(``calibrate/notebooks/`` ...) by the ``build_py`` hook in ``setup.py``, which reads
:data:`SHIPPED` below. So there is one copy of each in the repository and the
installed package finds its own copy with :mod:`importlib.resources`.

Nothing here looks at the current folder: a ``notebooks/`` folder wherever a command
runs is never used (a run executes the package's notebooks only).

This module imports only the standard library (``setup.py`` loads it before the
package is installed).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# name inside the package -> (path in the source checkout, files copied: glob patterns, or None for one file)
SHIPPED: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "notebooks": ("notebooks", ("*.ipynb", "README.md")),
    "sample_company": ("data/sample", ("*.csv", "*.parquet", "*.json", "*.yaml", "indicator_sets/*.yaml")),
    "reference_data/mobi.csv": ("tests/reference/mobi.csv", None),
}


def shipped_path(name: str) -> Path:
    """Where the shipped resource ``name`` (a key of :data:`SHIPPED`) is on this machine.

    The installed package's copy when there is one; otherwise (an editable install
    of a source checkout) the checkout's own file, found from this module's location,
    never from the current folder.
    """
    from calibrate.errors import CalibrateError

    if name not in SHIPPED:
        raise KeyError(name)
    packaged = Path(str(resources.files("calibrate"))) / name
    if packaged.exists():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / SHIPPED[name][0]
    if checkout.exists():
        return checkout
    raise CalibrateError(f"this calibrate installation lacks its {name} ({packaged} is missing): reinstall the package")

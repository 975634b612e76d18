"""Entry points: the ``calibrate`` command (see :mod:`calibrate.cli.app`)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    from calibrate.cli.app import main as _main

    return _main(argv)

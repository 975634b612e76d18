"""One exception family for everything a user can get wrong.

Every message is written for the person who has to fix the input: it names the
file, the row and the column where one applies, and says what was expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class CalibrateError(Exception):
    """Base class: the CLI prints these without a traceback and exits non-zero."""


class ConfigError(CalibrateError):
    """A run configuration or indicator-set file is wrong."""


class DataSourceError(CalibrateError):
    """A data source cannot be found or read (missing file, bad encoding, bad SQL)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in the input data.

    ``row`` is the 1-based data row as a spreadsheet user counts it (the header
    is row 1, the first record row 2) for files, or the 1-based record number for
    SQL tables; ``None`` when the problem is about a whole column or table.

    ``message`` is the English sentence (``str()``, logs); ``code`` and ``params`` (plain JSON
    values) let a page or the CLI say it in the run's language through the catalogue's
    ``validation.<code>`` (:mod:`calibrate.messages.findings`), as :class:`calibrate.notes.MethodWarning`
    does for method warnings:

    >>> p = Problem("perf.csv", 5, "nps", "11 is outside 0-10 (NPS scale)", code="out_of_range",
    ...             params={"value": 11, "range": "nps"})
    >>> str(p), p.params_json()
    ('perf.csv row 5, column nps: 11 is outside 0-10 (NPS scale)', '{"range": "nps", "value": 11}')
    """

    source: str
    row: int | None
    column: str | None
    message: str
    code: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def params_json(self) -> str:
        """``params`` as JSON (numpy numbers as plain numbers)."""
        return json.dumps(dict(self.params), sort_keys=True, ensure_ascii=False, default=_plain)

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) else str(value)


class ValidationError(CalibrateError):
    """The data failed validation; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem], *, limit: int = 50):
        self.problems = list(problems)
        self.lang: str | None = None  # set by a command that knows the run's language, to print the problems in it
        shown = self.problems[:limit]
        lines = [f"{len(self.problems)} problem(s) found in the input data:"]
        lines += [f"  - {p}" for p in shown]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more (see the validation report)")
        super().__init__("\n".join(lines))


class InvalidJudgments(CalibrateError):
    """An AHP judgment matrix is not positive, reciprocal, or on Saaty's 1/9-9 scale."""


class InfeasibleConstraints(CalibrateError):
    """Weight constraints (bands, bounds, change caps) admit no solution."""


class NotebookFailed(CalibrateError):
    """A report notebook raised an error while executing."""

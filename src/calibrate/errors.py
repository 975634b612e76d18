"""One exception family for everything a user can get wrong.

Every message is written for the person who has to fix the input: it names the
file, the row and the column where one applies, and says what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """

    source: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ValidationError(CalibrateError):
    """The data failed validation; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem], *, limit: int = 50):
        self.problems = list(problems)
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

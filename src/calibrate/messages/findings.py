"""Validation findings (:class:`calibrate.errors.Problem`) in the reader's language.

A problem carries a ``code`` and ``params``; its words are the catalogue's ``validation.<code>``
and its place (file, row, column) is ``validation_text.where_*``:

>>> from calibrate.errors import Problem
>>> p = Problem("业绩.xlsx", 5, "营收", "'abc' is not a number", code="not_a_number", params={"value": "'abc'"})
>>> line(p, "zh")
"业绩.xlsx 第 5 行，列 营收：'abc' 不是数字"
>>> line(p, "en") == str(p)
True

Values quoted from the data stay as they are; a param holding a list is joined with the
language's separator; ``range`` names the catalogue's ``validation_range.<range>`` (filled with
``low`` and ``high``). A problem without a code (a method's check) keeps its English message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from calibrate.messages import has, text

if TYPE_CHECKING:
    from calibrate.errors import Problem
    from calibrate.schema import ValidationReport

__all__ = ["CONFIG_SOURCE", "line", "message", "problems_text", "report_text", "where"]

#: The source named by problems of the run config itself (not a data file).
CONFIG_SOURCE = "config"


def where(source: str, row: Any, column: Any, lang: str) -> str:
    """``业绩.xlsx 第 5 行，列 营收`` / ``业绩.xlsx row 5, column 营收``; row and column only when given."""
    has_row = row is not None and row == row  # NaN (a blank cell of a frame) is no row
    has_column = column is not None and column == column and column != ""
    shape = "where_" + "_".join(
        [part for part, present in (("row", has_row), ("column", has_column)) if present] or ["source"]
    )
    shown = text("validation_text.config", lang) if source == CONFIG_SOURCE else source
    return text(f"validation_text.{shape}", lang, source=shown, row=int(row) if has_row else "", column=column)


def message(code: str, params: Mapping[str, Any] | str | None, english: str, lang: str) -> str:
    """The finding's sentence in ``lang`` from its code and params (a dict or its JSON); ``english`` when
    the code is not in the catalogue (a problem raised by a method, which never reaches a page)."""
    key = f"validation.{code}"
    if not code or not has(key, lang):
        return english
    values = dict(json.loads(params) if isinstance(params, str) else (params or {}))
    sep = text("validation_text.list_sep", lang)
    shown = {k: sep.join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in values.items()}
    if "range" in values:
        shown["range"] = text(
            f"validation_range.{values['range']}", lang, low=values.get("low"), high=values.get("high")
        )
    return text(key, lang, **shown)


def line(problem: Problem, lang: str) -> str:
    """``where：message`` for one problem."""
    return text(
        "validation_text.finding",
        lang,
        where=where(problem.source, problem.row, problem.column, lang),
        message=message(problem.code, problem.params, problem.message, lang),
    )


def report_text(report: ValidationReport, lang: str, limit: int = 200) -> str:
    """What ``calibrate validate`` prints: the counts, then each problem and warning on its own line."""
    lines = [
        text(
            "validation_text.summary",
            lang,
            rows=sum(report.rows.values()),
            tables=len(report.rows),
            problems=len(report.problems),
            warnings=len(report.warnings),
        )
    ]
    for severity, items in (("problem", report.problems), ("warning", report.warnings)):
        lines += _listed(items, severity, lang, limit)
    return "\n".join(lines)


def problems_text(problems: Iterable[Problem], lang: str, limit: int = 200, *, heading: str = "while_reading") -> str:
    """A count line (``validation_text.<heading>``: ``while_reading`` for a source that stops before
    validation, ``found`` for the problems that stopped a run), then one line per problem (``limit`` shown)."""
    items = list(problems)
    return "\n".join(
        [text(f"validation_text.{heading}", lang, problems=len(items)), *_listed(items, "problem", lang, limit)]
    )


def _listed(items: list, severity: str, lang: str, limit: int) -> list[str]:
    label = text(f"validation_text.label_{severity}", lang)
    out = [f"  {text('validation_text.finding', lang, where=label, message=line(p, lang))}" for p in items[:limit]]
    if len(items) > limit:
        out.append("  " + text(f"validation_text.more_{severity}", lang, count=len(items) - limit))
    return out

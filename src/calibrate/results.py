"""One summary type for every results object: a small table with a title and notes, in text and HTML.

Every public result of the method packages (weights, targets, scoring, pls,
research) has ``to_frame()`` (its full table), ``summary()`` returning a
:class:`Summary`, and ``_repr_html_`` showing that summary in a notebook (never
whole arrays).

A :class:`Summary` also reads like the plain figures it was built from, so
``fit.summary()["growth_mean"]`` and ``dict(fit.summary())`` work; results with
their own text form (a regression table, the AHP consistency report) keep it as
``str(summary)``.

>>> s = Summary.from_values("Backtest", {"brier": 0.18, "managers": 368, "notes": ["few new hires"]})
>>> s["managers"]
368
>>> print(s)
Backtest
  figure  value
   brier   0.18
managers    368
- few new hires
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MAX_ROWS = 40  # rows shown in text and HTML; longer tables are cut with a note


@dataclass(frozen=True, eq=False)
class Summary(Mapping):
    """A result in brief: ``title``, a small ``table`` (DataFrame) and ``notes``.

    ``text``: the result's own text form when it has one (``str(summary)`` returns
    it); otherwise the text is the title, the table and the notes. ``figures``: the
    plain figures behind the table (what ``summary[key]`` and ``dict(summary)`` read).
    """

    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    text: str | None = None
    figures: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_values(
        cls, title: str, values: Mapping[str, Any], *, notes: tuple[str, ...] | list[str] = (), text: str | None = None
    ) -> Summary:
        """A two-column table (figure, value) from plain values; nested mappings become ``outer.inner`` rows,
        lists of numbers or words are joined, longer structures are left to ``figures``; a ``notes`` list
        joins the notes."""
        rows: list[tuple[str, Any]] = []
        extra_notes = list(notes)

        def add(prefix: str, value: Any) -> None:
            if isinstance(value, Mapping):
                for k, v in value.items():
                    add(f"{prefix}.{k}" if prefix else str(k), v)
            elif isinstance(value, (list, tuple)):
                if prefix == "notes":
                    extra_notes.extend(str(v) for v in value)
                elif all(_is_scalar(v) for v in value):
                    rows.append((prefix, ", ".join(_format(v) for v in value)))
            elif _is_scalar(value):
                rows.append((prefix, value))

        add("", values)
        table = pd.DataFrame(rows, columns=["figure", "value"])
        return cls(title=title, table=table, notes=tuple(extra_notes), text=text, figures=dict(values))

    # --- the plain figures, read like a mapping
    def __getitem__(self, key: str) -> Any:
        return self.figures[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.figures)

    def __len__(self) -> int:
        return len(self.figures)

    def to_dict(self) -> dict[str, Any]:
        """The plain figures (for JSON)."""
        return dict(self.figures)

    def to_frame(self) -> pd.DataFrame:
        """The summary table."""
        return self.table.copy()

    # --- text and HTML
    def _shown(self) -> tuple[pd.DataFrame, tuple[str, ...]]:
        if len(self.table) <= MAX_ROWS:
            return self.table, self.notes
        cut = f"{len(self.table) - MAX_ROWS} more rows not shown (to_frame() has them all)"
        return self.table.head(MAX_ROWS), (*self.notes, cut)

    def __str__(self) -> str:
        if self.text is not None:
            return self.text
        table, notes = self._shown()
        body = table.to_string(index=False, float_format=_format) if len(table.columns) else ""
        return "\n".join([self.title, *([body] if body else []), *(f"- {n}" for n in notes)])

    def __repr__(self) -> str:
        return f"Summary({self.title!r}, {len(self.table)} rows)"

    def _repr_html_(self) -> str:
        table, notes = self._shown()
        parts = [f'<div class="calibrate-summary"><strong>{html.escape(self.title)}</strong>']
        if len(table.columns):
            parts.append(table.to_html(index=False, escape=True, float_format=_format, border=0))
        if notes:
            parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
        parts.append("</div>")
        return "".join(parts)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int, float, np.integer, np.floating))


def _format(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def frame_summary(
    title: str,
    frame: pd.DataFrame,
    *,
    notes: tuple[str, ...] | list[str] = (),
    text: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> Summary:
    """A summary whose table is (the head of) a result's own small table."""
    return Summary(
        title=title, table=frame.reset_index(drop=True), notes=tuple(notes), text=text, figures=dict(values or {})
    )

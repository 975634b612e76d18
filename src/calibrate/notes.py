"""A method's warning as a record: a stable ``code``, its ``params``, and an English sentence as its text.

Methods (weights, targets, scoring) know no report language; they return these records, and
the application renders each through the message catalogue (``method_warnings.<code>``) in
the page language. The record *is* its English sentence (a ``str``), so a console, a log or
``summary()`` shows it as before:

>>> w = MethodWarning("bootstrap.failed", "3 of 40 bootstrap resamples could not be computed", failed=3,
...                   resamples=40)
>>> str(w), w.code, w.params
('3 of 40 bootstrap resamples could not be computed', 'bootstrap.failed', {'failed': 3, 'resamples': 40})
"""

from __future__ import annotations

import json
from typing import Any


class MethodWarning(str):
    """A warning with a stable ``code`` and ``params`` (plain JSON values); ``str()`` is the English text."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, english: str, /, **params: Any) -> MethodWarning:
        self = super().__new__(cls, english)
        self.code = code
        self.params = params
        return self

    def __reduce__(self):  # pickled across processes (Dask) with its code and params
        return (_rebuild, (self.code, str(self), self.params))

    def params_json(self) -> str:
        return json.dumps(self.params, sort_keys=True, ensure_ascii=False)


def _rebuild(code: str, english: str, params: dict[str, Any]) -> MethodWarning:
    return MethodWarning(code, english, **params)


def code_of(warning: str) -> str:
    """The warning's code, or ``""`` for a plain string."""
    return getattr(warning, "code", "")


def params_of(warning: str) -> str:
    """The warning's params as JSON (``"{}"`` for a plain string)."""
    return warning.params_json() if isinstance(warning, MethodWarning) else "{}"

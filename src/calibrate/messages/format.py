"""Numbers as a reader expects them: percentages, money with its unit, thousands separators.

Missing values are never printed as ``NaN`` or ``None``: the caller names why the
value is missing (``missing="new_hire"``) and gets the catalogue's words for it,
or a dash.

>>> percent(0.6234), percent(0.6234, 1), money(1930.4, "en"), money(1930.4, "zh")
('62%', '62.3%', '1,930 × 10k CNY', '1,930 万元')
>>> number(None, missing="new_hire", lang="zh"), points(0.05, "en")
('新入职', '+5.0 pp')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from calibrate.messages import text

DASH = "–"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _blank(lang: str | None, missing: str | None) -> str:
    return text(f"missing.{missing}", lang or "en") if missing else DASH


def number(value: Any, digits: int = 0, *, lang: str | None = None, missing: str | None = None) -> str:
    """``1,234`` / ``1,234.5``: thousands separators, fixed decimals."""
    if _missing(value):
        return _blank(lang, missing)
    return f"{float(value):,.{digits}f}"


def percent(value: Any, digits: int = 0, *, lang: str | None = None, missing: str | None = None) -> str:
    """A share in [0, 1] as ``62%``."""
    if _missing(value):
        return _blank(lang, missing)
    return f"{float(value) * 100:,.{digits}f}%"


def points(change: Any, lang: str, digits: int = 1) -> str:
    """A change of a share as signed percentage points: ``+5.0 pp`` / ``+5.0 个百分点``."""
    if _missing(change):
        return DASH
    return text("format.points", lang, value=f"{float(change) * 100:+.{digits}f}")


def money(value: Any, lang: str, digits: int = 0, *, missing: str | None = None) -> str:
    """An amount in the revenue's unit with the unit: ``1,930 万元`` / ``1,930 × 10k CNY``."""
    if _missing(value):
        return _blank(lang, missing)
    return text("format.money", lang, value=f"{float(value):,.{digits}f}")


def money_unit(lang: str) -> str:
    """The unit alone, for a column header: ``万元`` / ``10k CNY``."""
    return text("format.money_unit", lang)


def whole_percentages(weights: Sequence[float], total: int = 100) -> list[int]:
    """Shares (summing to 1) as whole percentages that add up to ``total`` (largest remainder, Hamilton).

    Each share gets the floor of ``share x total``; the points left over go one each to the
    largest remainders (ties: the earlier item). Plain rounding can give 99 or 101.

    >>> whole_percentages([0.155, 0.155, 0.69]), [round(100 * w) for w in (0.155, 0.155, 0.69)]
    ([16, 15, 69], [16, 16, 69])
    >>> whole_percentages([1/3, 1/3, 1/3]), [round(100 / 3)] * 3
    ([34, 33, 33], [33, 33, 33])
    """
    values = [float(w) for w in weights]
    s = sum(values)
    if not values or s <= 0 or any(math.isnan(v) or v < 0 for v in values):
        raise ValueError("whole_percentages needs non-negative shares with a positive sum")
    quotas = [v / s * total for v in values]
    floors = [math.floor(q + 1e-9) for q in quotas]
    left = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def missing_or(value: Any, convert, missing: str, lang: str) -> Any:
    """``convert(value)``, or the catalogue's words for why it is missing (``missing.<reason>``)."""
    return text(f"missing.{missing}", lang) if _missing(value) else convert(value)

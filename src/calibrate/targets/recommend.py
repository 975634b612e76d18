"""One recommended target plan: healthy share hitting target, lowest bonus cost within budget.

Sales-compensation practice puts a healthy quota plan where roughly 60-75% of the
sales force reaches target: below about half, plans demotivate; above about 80%
they pay for nothing (the "healthy band", ``targets.healthy_band``). Among the
plans whose expected share reaching target lies in the band and whose median
(P50) total bonus cost is within the budget, the recommendation is the cheapest
(ties: the earlier plan in the table). The budget is ``targets.bonus_budget``,
or, when that is not set, the target bonus per manager times the headcount
(everyone paid exactly at target).

When no plan qualifies the result says which constraint binds and how far it
must move: the budget a plan in the band needs, or the band edge a plan within
budget needs (the smallest move that makes one plan qualify).

>>> plans = pd.DataFrame({"plan": ["current", "equal_difficulty"], "expected_share": [0.42, 0.70],
...                       "bonus_p50": [1900.0, 2100.0], "bonus_p90": [2000.0, 2200.0], "bonus_p99": [2100.0, 2300.0]})
>>> r = recommend_plan(plans, band=(0.6, 0.75), budget=2200.0)
>>> r.plan, r.status
('equal_difficulty', 'recommended')
>>> recommend_plan(plans, band=(0.6, 0.75), budget=2000.0).relax
{'bonus_budget': 2100.0}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError
from calibrate.results import Summary, frame_summary

#: Expected share reaching target that sales-compensation practice calls healthy.
DEFAULT_HEALTHY_BAND = (0.60, 0.75)
#: A manager below this chance of hitting target faces a target few could hit.
LOW_PROBABILITY = 0.20
#: Plans that are not candidates for next year (the backtest of this year's actual targets).
NOT_CANDIDATES = ("data_targets",)

RECOMMENDED, OVER_BUDGET, OUT_OF_BAND, NEITHER = "recommended", "over_budget", "out_of_band", "neither"


def check_band(band: Any, where: str = "targets: healthy_band") -> tuple[float, float]:
    """A healthy band ``[low, high]`` of shares in [0, 1] with low < high."""
    try:
        low, high = (float(v) for v in band)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be two shares [low, high], e.g. [0.60, 0.75]; got {band!r}.") from None
    if not 0 <= low < high <= 1:
        raise ConfigError(
            f"{where} must satisfy 0 <= low < high <= 1 (0.60 = 60% reaching target); got [{low:g}, {high:g}]."
        )
    return low, high


def bonus_budget(budget: float | None, bonus_base: float, headcount: int) -> float:
    """The bonus budget: ``budget`` when given, else ``bonus_base x headcount`` (currency units)."""
    if budget is None:
        return float(bonus_base) * int(headcount)
    if isinstance(budget, bool) or not isinstance(budget, (int, float, np.integer, np.floating)) or budget < 0:
        raise ConfigError(
            f"targets: bonus_budget must be a number of 0 or more (total bonus, in the revenue's "
            f"currency unit) or left empty for bonus_base x headcount; got {budget!r}."
        )
    return float(budget)


@dataclass(frozen=True)
class Recommendation:
    """The recommended plan, or why none qualifies.

    plan
        The recommended plan's key, or None when no plan qualifies.
    status
        ``recommended``; ``over_budget`` (plans in the band, none within budget);
        ``out_of_band`` (plans within budget, none in the band); ``neither``.
    band, budget
        The healthy band (shares) and the budget line (currency units).
    table
        One row per candidate plan: plan, expected_share, bonus_p50/p90/p99,
        budget, in_band, within_budget, qualifies, low_probability_share
        (share of managers with P(hit) < 20%; NaN without per-manager
        probabilities), recommended.
    relax
        When nothing qualifies: the smallest change that makes one plan
        qualify, ``{"bonus_budget": amount}`` and/or ``{"healthy_band": [low, high]}``.
    fallback
        The plan that qualifies once ``relax`` is applied (None when recommended).
    """

    plan: str | None
    status: str
    band: tuple[float, float]
    budget: float
    table: pd.DataFrame
    relax: dict[str, Any] = field(default_factory=dict)
    fallback: str | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> Summary:
        """The candidate plans with the verdict (recommended plan, or why none qualifies and what to relax)."""
        values = {
            "plan": self.plan,
            "status": self.status,
            "band_low": float(self.band[0]),
            "band_high": float(self.band[1]),
            "budget": float(self.budget),
            "fallback": self.fallback,
        }
        notes = [f"relax: {k} -> {v}" for k, v in self.relax.items()]
        title = f"recommended plan: {self.plan}" if self.plan else f"no plan qualifies ({self.status})"
        return frame_summary(title, self.table, notes=notes, values=values)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def row(self, plan: str | None = None) -> dict[str, Any]:
        """The table row of ``plan`` (default: the recommended one, else the fallback)."""
        key = plan or self.plan or self.fallback
        hit = self.table[self.table["plan"] == key]
        return {} if hit.empty else hit.iloc[0].to_dict()


def recommend_plan(
    plans: pd.DataFrame,
    *,
    band: Sequence[float] = DEFAULT_HEALTHY_BAND,
    budget: float,
    probabilities: pd.DataFrame | None = None,
    low_probability: float = LOW_PROBABILITY,
) -> Recommendation:
    """Recommend one plan from the plan table (see the module docstring).

    plans
        One row per plan with ``plan``, ``expected_share`` (0-1), ``bonus_p50``,
        ``bonus_p90`` and ``bonus_p99`` (total bonus cost, currency units).
    band
        Healthy expected share reaching target, ``(low, high)``, inclusive.
    budget
        Total bonus budget in the same currency unit (see :func:`bonus_budget`).
    probabilities
        Optional long table ``plan``, ``probability`` (one row per plan and
        manager) for the share of managers with P(hit) below ``low_probability``.
    """
    low, high = check_band(band)
    missing = [c for c in ("plan", "expected_share", "bonus_p50") if c not in plans.columns]
    if missing:
        raise ConfigError(f"plan table: missing column(s) {', '.join(missing)}")
    table = plans[~plans["plan"].isin(NOT_CANDIDATES)].reset_index(drop=True)
    cols = ["plan", "expected_share", "bonus_p50", "bonus_p90", "bonus_p99"]
    table = table.reindex(columns=cols).copy()
    table["budget"] = float(budget)
    share = table["expected_share"].astype(float)
    cost = table["bonus_p50"].astype(float)
    eps = 1e-12
    table["in_band"] = (share >= low - eps) & (share <= high + eps)
    table["within_budget"] = cost <= budget + eps
    table["qualifies"] = table["in_band"] & table["within_budget"]
    if probabilities is not None and len(probabilities):
        low_share = (
            probabilities.assign(low=probabilities["probability"].astype(float) < low_probability)
            .groupby("plan")["low"]
            .mean()
        )
        table["low_probability_share"] = table["plan"].map(low_share).astype(float)
    else:
        table["low_probability_share"] = np.nan

    def cheapest(mask: pd.Series) -> str | None:
        pool = table[mask]
        if pool.empty:
            return None
        return str(pool.iloc[int(np.argmin(pool["bonus_p50"].to_numpy(dtype=float)))]["plan"])

    chosen = cheapest(table["qualifies"])
    relax: dict[str, Any] = {}
    fallback = None
    if chosen is not None:
        status = RECOMMENDED
    elif table["in_band"].any():
        status = OVER_BUDGET
        fallback = cheapest(table["in_band"])
        relax["bonus_budget"] = float(table.loc[table["plan"] == fallback, "bonus_p50"].iloc[0])
    else:
        distance = np.maximum(low - share, share - high)  # how far outside the band
        pool = table["within_budget"] if table["within_budget"].any() else pd.Series(True, index=table.index)
        status = OUT_OF_BAND if table["within_budget"].any() else NEITHER
        if len(table):
            ranked = table[pool].assign(_d=distance[pool]).sort_values(["_d", "bonus_p50"], kind="stable")
            fallback = str(ranked.iloc[0]["plan"])
            s = float(ranked.iloc[0]["expected_share"])
            relax["healthy_band"] = [float(min(low, np.floor(s * 100) / 100)), float(max(high, np.ceil(s * 100) / 100))]
            if status == NEITHER:
                relax["bonus_budget"] = float(ranked.iloc[0]["bonus_p50"])
    table["recommended"] = table["plan"] == chosen
    return Recommendation(
        plan=chosen, status=status, band=(low, high), budget=float(budget), table=table, relax=relax, fallback=fallback
    )

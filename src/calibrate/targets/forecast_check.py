"""Last year's forecast against what happened.

A run's target plan forecasts, for the year after its data, each manager's
probability of reaching the target, the share of managers on target (expected
value and a P5-P95 interval over the Monte Carlo scenarios) and the total bonus
cost (P50/P90). A year later the data hold what happened; :func:`forecast_check`
scores the old forecast against it:

* the **realised share** on target against the forecast share and whether it falls
  inside the forecast interval;
* the per-manager **Brier score** ``mean((p - hit)^2)`` with its Murphy (1973)
  decomposition and the **reliability table** (forecast bins against observed
  frequencies, 95% Wilson intervals), as in :mod:`calibrate.targets.backtest`;
* the **bonus** the realised results imply (payout curve on each manager's
  realised attainment, times the target bonus) against the forecast P50 and P90.

Only managers who were forecast and worked the whole year are scored
(:func:`realised_year`); the forecast share refers to the managers forecast, so
the number scored and the number forecast are both reported.

>>> check = forecast_check(forecast, realised_year(perf, 2025), expected_share=0.58,
...                        share_low=0.50, share_high=0.66)     # doctest: +SKIP
>>> check.to_dict()["realised_share"]                            # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError
from calibrate.periods import quarter_index
from calibrate.results import Summary
from calibrate.targets.backtest import brier_decomposition, brier_score, reliability_table
from calibrate.targets.payout import PayoutCurve


def realised_year(performance: pd.DataFrame, year: int) -> pd.DataFrame:
    """Managers with all four quarters of ``year``: manager_id, target (sum of
    ``revenue_target``), actual (sum of ``revenue``), both in currency units."""
    missing = [c for c in ("manager_id", "period", "revenue", "revenue_target") if c not in performance.columns]
    if missing:
        raise ConfigError(f"Checking last year's forecast needs the performance column(s) {', '.join(missing)}.")
    q = quarter_index(performance["period"].astype(str))
    rows = performance.loc[(q // 4) == int(year)].copy()
    rows["manager_id"] = rows["manager_id"].astype(str)
    counts = rows.groupby("manager_id")["period"].nunique()
    full = counts.index[counts == 4]
    if len(full) == 0:
        raise ConfigError(
            f"No manager has all four quarters of {year} in the performance data: the forecast for "
            f"{year} cannot be checked until the year is complete."
        )
    totals = rows[rows["manager_id"].isin(full)].groupby("manager_id")[["revenue_target", "revenue"]].sum()
    totals = totals[totals["revenue_target"] > 0]
    return pd.DataFrame(
        {
            "manager_id": totals.index.to_numpy(dtype=object),
            "target": totals["revenue_target"].to_numpy(dtype=float),
            "actual": totals["revenue"].to_numpy(dtype=float),
        }
    )


@dataclass(frozen=True, eq=False)
class ForecastCheck:
    """A forecast scored against the realised year.

    ``managers``: manager_id, probability (forecast), forecast_target, target and
    actual (realised year), attainment, hit, realised_bonus. Shares in [0, 1];
    bonus figures in the revenue's currency unit.
    """

    managers: pd.DataFrame
    managers_forecast: int
    expected_share: float
    share_low: float
    share_high: float
    reliability: pd.DataFrame
    brier: float
    brier_reference: float
    decomposition: dict[str, float]
    bonus_p50: float | None = None
    bonus_p90: float | None = None

    @property
    def realised_share(self) -> float:
        return float(self.managers["hit"].mean())

    @property
    def inside_interval(self) -> bool:
        return bool(self.share_low <= self.realised_share <= self.share_high)

    @property
    def realised_bonus(self) -> float | None:
        col = self.managers.get("realised_bonus")
        return None if col is None else float(col.sum())

    @property
    def brier_skill(self) -> float:
        return float(1 - self.brier / self.brier_reference) if self.brier_reference > 0 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        return self.managers.copy()

    def to_dict(self) -> dict[str, Any]:
        t = self.managers
        target_gap = np.abs(t["target"] / t["forecast_target"] - 1) if "forecast_target" in t else None
        out: dict[str, Any] = {
            "managers_forecast": int(self.managers_forecast),
            "managers_scored": int(len(t)),
            "expected_share": self.expected_share,
            "share_low": self.share_low,
            "share_high": self.share_high,
            "realised_share": self.realised_share,
            "inside_interval": self.inside_interval,
            "mean_probability_scored": float(t["probability"].mean()),
            "brier": self.brier,
            "brier_reference": self.brier_reference,
            "brier_skill": self.brier_skill,
            **{f"brier_{k}": v for k, v in self.decomposition.items()},
            "median_target_difference": None if target_gap is None else float(np.median(target_gap)),
        }
        if self.bonus_p50 is not None and self.bonus_p90 is not None and self.realised_bonus is not None:
            out.update(
                {
                    "bonus_p50": self.bonus_p50,
                    "bonus_p90": self.bonus_p90,
                    "realised_bonus": self.realised_bonus,
                    "realised_bonus_position": (
                        "below P50"
                        if self.realised_bonus < self.bonus_p50
                        else "P50-P90"
                        if self.realised_bonus <= self.bonus_p90
                        else "above P90"
                    ),
                }
            )
        return out

    def summary(self) -> Summary:
        return Summary.from_values("last year's forecast against what happened", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def forecast_check(
    forecast: pd.DataFrame,
    realised: pd.DataFrame,
    *,
    expected_share: float,
    share_low: float,
    share_high: float,
    bonus_p50: float | None = None,
    bonus_p90: float | None = None,
    payout: PayoutCurve | None = None,
    bonus_base: float | None = None,
    bins: int = 10,
) -> ForecastCheck:
    """Score a forecast against the realised year.

    forecast
        manager_id and probability (0-1) of reaching the target; optionally
        ``target`` (the target the forecast was for, kept as ``forecast_target``).
    realised
        manager_id, target and actual of the realised year (:func:`realised_year`).
    expected_share, share_low, share_high
        The forecast share on target and its interval (e.g. P5 and P95), in [0, 1].
    bonus_p50, bonus_p90, payout, bonus_base
        The forecast total bonus quantiles and the payout curve and target bonus
        per manager that turn realised attainment into the realised bonus.
    """
    for name in ("manager_id", "probability"):
        if name not in forecast.columns:
            raise ConfigError(f"The forecast table needs the column {name}.")
    if not 0 <= share_low <= expected_share <= share_high <= 1:
        raise ConfigError(
            f"The forecast share and its interval must satisfy 0 <= low <= expected <= high <= 1; "
            f"got {share_low}, {expected_share}, {share_high}."
        )
    f = forecast.assign(manager_id=forecast["manager_id"].astype(str))
    keep = ["manager_id", "probability"] + (["target"] if "target" in f.columns else [])
    f = f[keep].rename(columns={"target": "forecast_target"})
    table = f.merge(realised.assign(manager_id=realised["manager_id"].astype(str)), on="manager_id", how="inner")
    if table.empty:
        raise ConfigError(
            "No manager of last year's forecast worked the whole of the year in the new data: "
            "check that the previous run and this run describe the same company."
        )
    table = table.sort_values("manager_id").reset_index(drop=True)
    table["attainment"] = table["actual"] / table["target"]
    table["hit"] = table["actual"] >= table["target"]
    if payout is not None:
        if bonus_base is None:
            raise ConfigError("The realised bonus needs bonus_base with the payout curve.")
        table["realised_bonus"] = payout.coefficient(table["attainment"].to_numpy()) * float(bonus_base)
    p, hit = table["probability"].to_numpy(dtype=float), table["hit"].to_numpy()
    rel = reliability_table(p, hit, bins)
    base = float(hit.mean())
    return ForecastCheck(
        managers=table,
        managers_forecast=int(len(f)),
        expected_share=float(expected_share),
        share_low=float(share_low),
        share_high=float(share_high),
        reliability=rel,
        brier=brier_score(p, hit),
        brier_reference=base * (1 - base),
        decomposition=brier_decomposition(rel),
        bonus_p50=None if bonus_p50 is None else float(bonus_p50),
        bonus_p90=None if bonus_p90 is None else float(bonus_p90),
    )

"""Quarterly review: the year's forecast updated with the quarters already realised.

At a review after quarter ``through`` of year ``year`` each manager's annual result is

    Y_i = A_i + R_i

with ``A_i`` the revenue already realised in the year's quarters up to ``through``
(year to date) and ``R_i`` the revenue of the quarters still to come. ``R_i`` comes
from the performance model (:func:`~calibrate.targets.fit.fit_performance_model`)
fitted on the history through ``through`` with the rest of the year as horizon
(``remaining=True``): the realised quarters update each manager's current level
(Kalman filter) and growth, and the remaining uncertainty covers only the quarters
left. ``P(hit) = P(A_i + R_i >= T_i)`` is then estimated by Monte Carlo on the draws
of :func:`~calibrate.targets.simulation.simulate` (seeded, so results are
reproducible), together with the share of managers on target per scenario and,
with a payout curve, the total bonus of the year per scenario.

With ``through`` the last quarter of the year before, nothing is realised yet and
this is the start-of-year forecast; with ``through`` the year's fourth quarter the
outcome is known (probabilities 0 or 1).

Managers who fall "from likely to unlikely" between two reviews are those whose
probability was at least ``cut`` (default 0.5) at the earlier review and is below
it now (:func:`review_changes`); the cut is an explicit option.

>>> result = review_forecast(perf, managers, year=2025, through="2025Q2")    # doctest: +SKIP
>>> result.to_frame()[["manager_id", "ytd_attainment", "probability"]]     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError, Problem, ValidationError
from calibrate.periods import parse_quarter, quarter_from_index, quarter_index
from calibrate.results import Summary
from calibrate.targets.backtest import brier_score
from calibrate.targets.fit import PerformanceFit, fit_performance_model
from calibrate.targets.model import id_list
from calibrate.targets.payout import PayoutCurve
from calibrate.targets.simulation import Seed, simulate


@dataclass(frozen=True, eq=False)
class ReviewResult:
    """The year's forecast at a review.

    ``managers``: one row per manager: manager_id, region, target (annual, currency
    units), ytd_actual and ytd_target (the year's quarters up to ``through``),
    ytd_attainment (ytd_actual / ytd_target), remaining_median (median revenue of
    the quarters left), expected_actual (median year-end total), probability (of
    reaching the annual target, 0-1) and expected_bonus (with a payout curve).
    ``hits``: managers on target per scenario; ``bonus``: total bonus per scenario
    (or None). ``fit`` is None when no quarter is left.
    """

    year: int
    through: str
    quarters_realised: int
    managers: pd.DataFrame
    hits: np.ndarray
    bonus: np.ndarray | None
    scenarios: int
    fit: PerformanceFit | None

    @property
    def expected_share(self) -> float:
        """Expected share of managers reaching the annual target, in [0, 1]."""
        return float(self.managers["probability"].mean())

    def share_quantile(self, q: float | Sequence[float]) -> Any:
        """Quantile(s) of the share on target over the scenarios."""
        return np.quantile(self.hits / len(self.managers), q)

    def bonus_quantile(self, q: float | Sequence[float]) -> Any:
        """Quantile(s) of the year's total bonus over the scenarios (currency units)."""
        if self.bonus is None:
            raise ConfigError("This review was run without a payout curve: no bonus cost to report.")
        return np.quantile(self.bonus, q)

    def brier(self, hit: Any) -> float:
        """Brier score of the probabilities against outcomes ``hit`` (a bool Series by
        manager_id, or an array in the order of :attr:`managers`)."""
        if isinstance(hit, pd.Series):
            hit = hit.reindex(self.managers["manager_id"]).to_numpy()
        return brier_score(self.managers["probability"].to_numpy(), np.asarray(hit, dtype=float))

    def to_frame(self) -> pd.DataFrame:
        return self.managers.copy()

    def to_dict(self) -> dict[str, Any]:
        """Team figures as plain numbers (for JSON)."""
        p5, p50, p95 = (float(v) for v in self.share_quantile([0.05, 0.5, 0.95]))
        out = {
            "year": self.year,
            "through": self.through,
            "quarters_realised": self.quarters_realised,
            "managers": int(len(self.managers)),
            "scenarios": self.scenarios,
            "expected_share": self.expected_share,
            "share_p5": p5,
            "share_p50": p50,
            "share_p95": p95,
            "ytd_actual_total": float(self.managers["ytd_actual"].sum()),
            "ytd_target_total": float(self.managers["ytd_target"].sum()),
            "target_total": float(self.managers["target"].sum()),
            "expected_actual_total": float(self.managers["expected_actual"].sum()),
        }
        if self.bonus is not None:
            out.update(
                {
                    "bonus_mean": float(self.bonus.mean()),
                    **{f"bonus_p{q}": float(v) for q, v in zip((50, 90), self.bonus_quantile([0.5, 0.9]))},
                }
            )
        return out

    def summary(self) -> Summary:
        return Summary.from_values(f"review of {self.year} after {self.through}", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def annual_targets(performance: pd.DataFrame, year: int, manager_ids: Sequence[str] | None = None) -> pd.Series:
    """Each manager's annual target: the sum of ``revenue_target`` over the year's four
    quarters (currency units), indexed by manager_id. Every manager needs all four
    quarters' targets (targets are set for the whole year in advance)."""
    if "revenue_target" not in performance.columns:
        raise ConfigError(
            "The review needs the revenue_target column of the performance table "
            "(or give the annual targets explicitly)."
        )
    q = quarter_index(performance["period"].astype(str))
    rows = performance.loc[(q // 4) == year, ["manager_id", "period", "revenue_target"]].copy()
    rows["manager_id"] = rows["manager_id"].astype(str)
    rows = rows[rows["revenue_target"].notna()]
    counts = rows.groupby("manager_id")["period"].nunique()
    ids = list(counts.index) if manager_ids is None else [str(m) for m in manager_ids]
    incomplete = [m for m in ids if counts.get(m, 0) < 4]
    if manager_ids is None:
        ids = [m for m in ids if m not in incomplete]
    elif incomplete:
        raise ValidationError(
            [
                Problem(
                    "performance",
                    None,
                    "revenue_target",
                    f"{year} targets are missing for some quarters of {len(incomplete)} managers: "
                    f"{id_list(incomplete)} (each manager needs all four quarters' targets)",
                )
            ]
        )
    if not ids:
        raise ValidationError(
            [Problem("performance", None, "revenue_target", f"no manager has targets for all four quarters of {year}")]
        )
    return rows.groupby("manager_id")["revenue_target"].sum().reindex(ids).rename("target")


def review_forecast(
    performance: pd.DataFrame,
    managers: pd.DataFrame,
    *,
    year: int,
    through: str,
    targets: pd.Series | None = None,
    scenarios: int = 10_000,
    seed: Seed = 0,
    heavy_tails: bool = True,
    ramp_first_year_share: float | None = None,
    payout: PayoutCurve | None = None,
    bonus_base: float | pd.Series | None = None,
    parameter_uncertainty: bool = True,
) -> ReviewResult:
    """The forecast of ``year`` given the revenue realised through quarter ``through``.

    performance, managers
        As for :func:`~calibrate.targets.fit.fit_performance_model` (rows after
        ``through`` are ignored, so the full year's file can be passed).
    year, through
        The year reviewed and the last realised quarter (``"2025Q2"``; the last
        quarter of the year before gives the start-of-year forecast).
    targets
        Annual targets by manager_id (default :func:`annual_targets` of the data);
        the managers reviewed are those with a target.
    scenarios, seed
        Monte Carlo scenarios and seed (same seed, same numbers).
    payout, bonus_base
        With a payout curve and the target bonus per manager (currency units), the
        year's total bonus per scenario on annual attainment ``Y / T``.
    parameter_uncertainty
        Draw the fit's team-level estimates per scenario (``targets.parameter_uncertainty``;
        see :func:`~calibrate.targets.fit.fit_performance_model`).
    """
    if parse_quarter(str(through)) is None:
        raise ConfigError(f"The review quarter must look like 2025Q2; got {through!r}.")
    t_idx = int(quarter_index([str(through)])[0])
    year = int(year)
    if not year * 4 - 1 <= t_idx <= year * 4 + 3:
        raise ConfigError(f"The review quarter {through} is not in {year} (or its eve, {year - 1}Q4).")
    if (payout is None) != (bonus_base is None):
        raise ConfigError("Give both payout and bonus_base for the bonus cost, or neither.")
    perf = performance.copy()
    perf["manager_id"] = perf["manager_id"].astype(str)
    q = quarter_index(perf["period"].astype(str))
    target = (
        annual_targets(perf, year)
        if targets is None
        else pd.Series(targets, dtype=float).rename(index=str).rename("target")
    )
    ids = list(target.index)
    realised = perf.loc[(q // 4 == year) & (q <= t_idx)]
    ytd_actual = realised.groupby("manager_id")["revenue"].sum().reindex(ids).fillna(0.0).to_numpy(dtype=float)
    if "revenue_target" in realised.columns:
        ytd_target = realised.groupby("manager_id")["revenue_target"].sum().reindex(ids).fillna(0.0)
    else:
        ytd_target = pd.Series(np.nan, index=ids)
    n_realised = t_idx - year * 4 + 1
    tgt = target.to_numpy(dtype=float)
    if np.any(~np.isfinite(tgt) | (tgt <= 0)):
        bad = target.index[~np.isfinite(tgt) | (tgt <= 0)]
        raise ValidationError([Problem("targets", None, "target", f"missing or not above 0 for {id_list(bad)}")])
    base = np.zeros(len(ids))
    if bonus_base is not None:
        base = (
            pd.Series(bonus_base, dtype=float).reindex(ids).to_numpy(dtype=float)
            if isinstance(bonus_base, pd.Series)
            else np.full(len(ids), float(bonus_base))
        )
    fit = None
    if n_realised < 4:
        fit = fit_performance_model(
            perf.loc[q <= t_idx],
            managers,
            through=str(through),
            year=year,
            manager_ids=ids,
            heavy_tails=heavy_tails,
            ramp_first_year_share=ramp_first_year_share,
            remaining=True,
            parameter_uncertainty=parameter_uncertainty,
        )
    hits_m = np.zeros(len(ids), np.int64)
    hits_s = np.zeros(int(scenarios), np.int64)
    ratio_sum = np.zeros(len(ids))
    coef_sum = np.zeros(len(ids))  # used only with a payout curve
    bonus_s = np.zeros(int(scenarios))
    chunks: Iterable[tuple[int, int, np.ndarray]]
    if fit is None:
        annual = ytd_actual[:, None] * np.ones((1, int(scenarios)))
        chunks = [(0, len(ids), annual)]
        remaining_median = np.zeros(len(ids))
    else:
        chunks = (
            (c.start, c.stop, ytd_actual[c.start : c.stop, None] + c.outcomes.astype(np.float64))
            for c in simulate(fit.model, scenarios=int(scenarios), seed=seed)
        )
        remaining_median = fit.model.median
    for start, stop, annual in chunks:
        hit = annual >= tgt[start:stop, None]
        hits_m[start:stop] = hit.sum(axis=1)
        hits_s += hit.sum(axis=0)
        ratio = annual / tgt[start:stop, None]
        ratio_sum[start:stop] = ratio.sum(axis=1)
        if payout is not None:
            coef = payout.coefficient(ratio)
            coef_sum[start:stop] = coef.sum(axis=1)
            bonus_s += (coef * base[start:stop, None]).sum(axis=0)
    s = int(scenarios)
    region = managers.assign(manager_id=managers["manager_id"].astype(str)).set_index("manager_id")["region"]
    table = pd.DataFrame(
        {
            "manager_id": ids,
            "region": region.reindex(ids).to_numpy(),
            "target": tgt,
            "ytd_actual": ytd_actual,
            "ytd_target": ytd_target.to_numpy(dtype=float),
            "ytd_attainment": np.divide(
                ytd_actual,
                ytd_target.to_numpy(dtype=float),
                out=np.full(len(ids), np.nan),
                where=ytd_target.to_numpy(dtype=float) > 0,
            ),
            "remaining_median": remaining_median,
            "expected_actual": ytd_actual + remaining_median,
            "probability": hits_m / s,
            "expected_attainment": ratio_sum / s,
        }
    )
    if payout is not None:
        table["expected_bonus"] = coef_sum / s * base
    return ReviewResult(
        year=year,
        through=quarter_from_index(t_idx),
        quarters_realised=n_realised,
        managers=table,
        hits=hits_s,
        bonus=bonus_s if payout is not None else None,
        scenarios=s,
        fit=fit,
    )


def review_changes(current: pd.DataFrame, previous: pd.DataFrame, *, cut: float = 0.5) -> pd.DataFrame:
    """Managers whose probability of reaching the annual target crossed ``cut`` between two reviews.

    ``current`` and ``previous``: tables with manager_id and probability (e.g.
    :meth:`ReviewResult.to_frame`). Returns manager_id, previous, current, change and
    movement (``"fell"``: from at least ``cut`` to below it; ``"rose"``: the other
    way), managers in both reviews only, largest falls first.
    """
    if not 0 < cut < 1:
        raise ConfigError(f"The likely/unlikely cut must lie strictly between 0 and 1; got {cut}.")
    both = previous[["manager_id", "probability"]].merge(
        current[["manager_id", "probability"]], on="manager_id", suffixes=("_previous", "_current")
    )
    both = both.rename(columns={"probability_previous": "previous", "probability_current": "current"})
    both["change"] = both["current"] - both["previous"]
    fell = (both["previous"] >= cut) & (both["current"] < cut)
    rose = (both["previous"] < cut) & (both["current"] >= cut)
    both["movement"] = np.where(fell, "fell", np.where(rose, "rose", ""))
    return both[fell | rose].sort_values(["change", "manager_id"]).reset_index(drop=True)

"""Backtest of the target model: predict last year's attainment from the years before, then compare.

The model is fitted on every quarter before the final year, predicts each
manager's probability of reaching the annual target that was actually set
(the sum of the four quarterly ``revenue_target`` values), and is scored
against what happened:

* the **Brier score** ``mean((p - hit)^2)`` (0 is perfect; always saying 50%
  scores 0.25) with its Murphy (1973) decomposition into reliability,
  resolution and uncertainty over the probability bins, and the **Brier skill**
  against always forecasting the realised share;
* a **reliability table**: managers binned by predicted probability, the mean
  prediction against the observed frequency with a 95% Wilson interval;
* the predicted **share of managers hitting target** (expected value and
  P5/P50/P95 over the Monte Carlo scenarios, region shocks included) against
  the realised share.

Only managers present in all four quarters of the final year are scored.

>>> result = backtest(load_dataset("data/sample/calibrate.yaml"), scenarios=2_000)   # doctest: +SKIP
>>> result.summary()["brier"]                                                         # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibrate.dataset import Dataset
from calibrate.distributions import norm
from calibrate.errors import ConfigError
from calibrate.periods import quarter_index
from calibrate.results import Summary
from calibrate.targets.fit import InsufficientHistory, PerformanceFit, fit_performance_model
from calibrate.targets.payout import PayoutCurve
from calibrate.targets.simulation import AttainmentResult, Seed, attainment


def brier_score(probability: Any, outcome: Any) -> float:
    """Mean squared difference between predicted probabilities (0-1) and outcomes (0/1 or bool).

    >>> brier_score([0.8, 0.3], [1, 0])     # ((0.2)^2 + (0.3)^2) / 2
    0.065
    """
    p, o = _check_pairs(probability, outcome)
    return float(np.round(np.mean((p - o) ** 2), 15))


def reliability_table(probability: Any, outcome: Any, bins: int = 10) -> pd.DataFrame:
    """Managers binned by predicted probability (``bins`` equal-width bins on [0, 1]).

    Columns: bin (1..bins), lower, upper, managers, mean_predicted, observed
    (share that hit), observed_low / observed_high (95% Wilson interval). Empty
    bins are kept with managers = 0 and NaN rates, so the table always has ``bins`` rows.
    """
    p, o = _check_pairs(probability, outcome)
    if not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ConfigError(f"The number of reliability bins must be a whole number of at least 1; got {bins!r}.")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(which, p, minlength=bins) / count
        observed = np.bincount(which, o, minlength=bins) / count
    low, high = _wilson(observed, count)
    return pd.DataFrame(
        {
            "bin": np.arange(1, bins + 1),
            "lower": edges[:-1],
            "upper": edges[1:],
            "managers": count,
            "mean_predicted": mean_p,
            "observed": observed,
            "observed_low": low,
            "observed_high": high,
        }
    )


def brier_decomposition(table: pd.DataFrame) -> dict[str, float]:
    """Murphy's decomposition from a :func:`reliability_table`: reliability (lower is
    better), resolution (higher is better) and uncertainty ``o (1 - o)``;
    Brier ~ reliability - resolution + uncertainty (exact when predictions within a bin are equal)."""
    t = table[table["managers"] > 0]
    n = t["managers"].sum()
    base = float((t["observed"] * t["managers"]).sum() / n)
    rel = float((t["managers"] * (t["mean_predicted"] - t["observed"]) ** 2).sum() / n)
    res = float((t["managers"] * (t["observed"] - base) ** 2).sum() / n)
    return {"reliability": rel, "resolution": res, "uncertainty": base * (1 - base)}


def _wilson(rate: np.ndarray, count: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    z = norm.ppf(0.5 + level / 2)
    n = np.where(count > 0, count, np.nan)
    centre = (rate + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(rate * (1 - rate) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def _check_pairs(probability: Any, outcome: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probability, dtype=float)
    o = np.asarray(outcome, dtype=float)
    if p.shape != o.shape or p.ndim != 1 or p.size == 0:
        raise ConfigError(
            f"Predicted probabilities and outcomes must be two lists of the same length; "
            f"got {p.size} and {o.size} values."
        )
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ConfigError("Predicted probabilities must lie between 0 and 1.")
    if np.any(~np.isin(o, (0.0, 1.0))):
        raise ConfigError("Outcomes must be 0/1 (or True/False): did the manager reach the target?")
    return p, o


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Predicted against realised attainment of the final year's annual targets.

    ``managers``: manager_id, region, target, actual (annual revenue, currency
    units), attainment (actual / target), hit (bool), probability (predicted,
    0-1). ``reliability``: see :func:`reliability_table`. Shares are in [0, 1].
    """

    year: int
    fit: PerformanceFit
    attainment: AttainmentResult
    managers: pd.DataFrame
    reliability: pd.DataFrame
    brier: float
    brier_reference: float
    log_loss: float
    decomposition: dict[str, float]

    @property
    def brier_skill(self) -> float:
        """1 - Brier / Brier of always forecasting the realised share (1 perfect, 0 no skill)."""
        return float(1 - self.brier / self.brier_reference) if self.brier_reference > 0 else float("nan")

    @property
    def expected_share(self) -> float:
        """Predicted expected share of managers reaching target."""
        return self.attainment.share_mean

    @property
    def realised_share(self) -> float:
        return float(self.managers["hit"].mean())

    def to_frame(self) -> pd.DataFrame:
        return self.managers.copy()

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers for backtest.json."""
        p5, p50, p95 = (float(v) for v in self.attainment.share_quantile([0.05, 0.5, 0.95]))
        return {
            "available": True,
            "year": self.year,
            "fit_first_quarter": self.fit.first_quarter,
            "fit_last_quarter": self.fit.last_quarter,
            "managers": int(len(self.managers)),
            "scenarios": int(self.attainment.scenarios),
            "brier": self.brier,
            "brier_reference": self.brier_reference,
            "brier_skill": self.brier_skill,
            "log_loss": self.log_loss,
            **{f"brier_{k}": v for k, v in self.decomposition.items()},
            "expected_share": self.expected_share,
            "share_p5": p5,
            "share_p50": p50,
            "share_p95": p95,
            "realised_share": self.realised_share,
            "realised_within_p5_p95": bool(p5 <= self.realised_share <= p95),
            "target_total": float(self.managers["target"].sum()),
            "actual_total": float(self.managers["actual"].sum()),
            "median_total": float(self.fit.model.median.sum()),
            "mean_probability_hit": float(self.managers.loc[self.managers["hit"], "probability"].mean()),
            "mean_probability_missed": float(self.managers.loc[~self.managers["hit"], "probability"].mean()),
            "fit": self.fit.to_dict(),
        }

    def summary(self) -> Summary:
        """The backtest figures (:meth:`to_dict`) as a table."""
        return Summary.from_values(f"backtest of {self.year}", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def backtest_year(data: Dataset | pd.DataFrame) -> int:
    """The final year of the performance data (the year a backtest predicts)."""
    perf = data.performance if isinstance(data, Dataset) else data
    return int(quarter_index(perf["period"].astype(str)).max() // 4)


def backtest(
    data: Dataset | pd.DataFrame,
    managers: pd.DataFrame | None = None,
    *,
    year: int | None = None,
    scenarios: int = 10_000,
    seed: Seed = 0,
    heavy_tails: bool = True,
    ramp_first_year_share: float | None = None,
    bins: int = 10,
    payout: PayoutCurve | None = None,
    bonus_base: Any = None,
    workers: Any = 1,
    parameter_uncertainty: bool = True,
) -> BacktestResult:
    """Fit on every quarter before ``year`` (default: the final year of the data) and score
    the predicted probabilities of reaching that year's annual targets.

    ``data``/``managers`` as for :func:`~calibrate.targets.fit.fit_performance_model`; the
    performance table also needs ``revenue_target``. With ``payout`` and ``bonus_base``
    (target bonus per manager) the bonus cost of those targets is simulated too. ``workers``: threads or an
    executor for the Monte Carlo (see :func:`~calibrate.targets.simulation.attainment`).
    ``parameter_uncertainty`` as for :func:`~calibrate.targets.fit.fit_performance_model`. Raises :class:`InsufficientHistory`
    when the year is incomplete or fewer than four quarters precede it.
    """
    if isinstance(data, Dataset):
        perf, mgr = data.performance, data.managers
    else:
        if managers is None:
            raise ConfigError("backtest needs the managers table when given a performance table.")
        perf, mgr = data, managers
    if "revenue_target" not in perf.columns:
        raise ConfigError("The backtest needs the revenue_target column of the performance table.")
    perf = perf.copy()
    perf["manager_id"] = perf["manager_id"].astype(str)
    q = quarter_index(perf["period"].astype(str))
    year = int(q.max() // 4) if year is None else int(year)
    in_year = (q // 4) == year
    quarters_in_year = np.unique(q[in_year])
    if quarters_in_year.size < 4:
        raise InsufficientHistory(
            f"The backtest needs all four quarters of {year} in the performance table; it has {quarters_in_year.size}."
        )
    before = np.unique(q[q < year * 4])
    if before.size < 4:
        raise InsufficientHistory(
            f"The backtest of {year} needs at least four quarters before it to fit the "
            f"model; the data has {before.size}."
        )
    year_rows = perf.loc[in_year]
    counts = year_rows.groupby("manager_id")["period"].nunique()
    full = counts.index[counts == 4]
    totals = year_rows[year_rows["manager_id"].isin(full)].groupby("manager_id")[["revenue_target", "revenue"]].sum()
    totals = totals[totals["revenue_target"] > 0]
    ids = list(totals.index)
    fit = fit_performance_model(
        perf[q < year * 4],
        mgr,
        year=year,
        manager_ids=ids,
        heavy_tails=heavy_tails,
        ramp_first_year_share=ramp_first_year_share,
        parameter_uncertainty=parameter_uncertainty,
    )
    target = totals["revenue_target"].reindex(fit.model.manager_id)
    result = attainment(
        fit.model,
        target,
        scenarios=scenarios,
        seed=seed,
        quantiles=(0.1, 0.5, 0.9),
        payout=payout,
        bonus_base=bonus_base,
        workers=workers,
    )
    actual = totals["revenue"].reindex(fit.model.manager_id).to_numpy()
    hit = actual >= target.to_numpy()
    table = pd.DataFrame(
        {
            "manager_id": fit.model.manager_id,
            "region": fit.model.region,
            "target": target.to_numpy(),
            "actual": actual,
            "attainment": actual / target.to_numpy(),
            "hit": hit,
            "probability": result.probability,
        }
    )
    rel = reliability_table(result.probability, hit, bins)
    base = hit.mean()
    eps = 1.0 / (2 * result.scenarios)  # keep 0 and 1 predictions finite in the log loss
    p = np.clip(result.probability, eps, 1 - eps)
    log_loss = float(-np.mean(np.where(hit, np.log(p), np.log1p(-p))))
    return BacktestResult(
        year=year,
        fit=fit,
        attainment=result,
        managers=table,
        reliability=rel,
        brier=brier_score(result.probability, hit),
        brier_reference=float(base * (1 - base)),
        log_loss=log_loss,
        decomposition=brier_decomposition(rel),
    )


def share_interval(result: BacktestResult, level: float = 0.9) -> dict[str, Any]:
    """The central ``level`` interval of the predicted share of managers hitting target
    (Monte Carlo quantiles, region shocks and any parameter draws included) against the
    realised share: lower, upper, realised, covered (bool), width; ``level`` in (0, 1)."""
    if not 0 < level < 1:
        raise ConfigError(f"The interval level must lie strictly between 0 and 1; got {level}.")
    lower, upper = (float(v) for v in result.attainment.share_quantile([(1 - level) / 2, (1 + level) / 2]))
    realised = float(result.managers["hit"].mean())
    return {
        "lower": lower,
        "upper": upper,
        "realised": realised,
        "covered": lower <= realised <= upper,
        "width": upper - lower,
    }

"""The target plan in one call: from the data and the ``targets`` settings to next year's plans.

Plans compared (all for the year after the data, on the same Monte Carlo
scenarios, so differences between plans are not simulation noise):

* ``current``: the opinion-based plan companies usually set: last year's actual
  revenue plus the company growth (``targets.company_growth``). Managers
  without a complete last year (new hires) get the veterans' average of this
  plan scaled by the ramp (:func:`~calibrate.targets.calibration.ramp_targets`,
  first-year share from ``targets.ramp_first_year_share`` or the one the data shows);
* ``equal_difficulty``: every manager gets the target he or she reaches with
  probability ``targets.probability``;
* ``uniform_growth``: one growth rate on last year's actual for everyone, chosen
  so that the expected share reaching target is ``targets.probability``;
* ``allocated``: the current plan's company total allocated to managers so that
  all reach their targets with the same probability (the probability follows
  from the total).

For each plan: per-manager hit probabilities, the distribution of the share
of managers reaching target (region shocks make it wider than independent
coin flips), and the total bonus cost (P50/P90/P99) under the payout curve
``targets.payout`` with ``targets.bonus_base`` per manager (currency unit of revenue).

>>> plan = target_plan(load_dataset("data/sample/calibrate.yaml"), probability=0.7, scenarios=10_000, seed=1)  # doctest: +SKIP
>>> plan.to_frame()                                                                                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calibrate.dataset import Dataset
from calibrate.errors import ConfigError, InfeasibleConstraints
from calibrate.keys import Key, Section
from calibrate.results import Summary
from calibrate.targets.calibration import (
    allocate_goal,
    ramp_targets,
    targets_for_probability,
    uniform_growth_for_probability,
)
from calibrate.targets.fit import RAMP_WINDOW, PerformanceFit, fit_performance_model
from calibrate.targets.payout import PayoutCurve
from calibrate.targets.simulation import AttainmentResult, attainment_many

PLANS = ("current", "equal_difficulty", "uniform_growth", "allocated")
_QUANTILES = (0.1, 0.5, 0.9)
_BONUS_LEVELS = np.round(np.linspace(0.005, 0.995, 199), 3)

#: The ``targets`` section of a run config: every key and its default (checked by :class:`TargetSettings`).
DEFAULT_TARGETS = {
    "scenarios": 10000,
    "probability": 0.7,
    "company_growth": 0.10,
    "bonus_base": 5.0,  # target bonus per manager, in the revenue unit (sample: 10k CNY)
    "payout": {"threshold": 0.8, "points": [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]], "cap": 1.5},
    "ramp_first_year_share": None,
    "heavy_tails": True,
    "healthy_band": [0.60, 0.75],  # expected share hitting target that the recommendation aims for
    "bonus_budget": None,  # total bonus budget (revenue unit); None: bonus_base x headcount
    "parameter_uncertainty": True,  # draw the fit's team-level estimates per scenario (see targets.fit)
}


# ---------------------------------------------------------------------------- settings
def payout_curve_from_config(spec: Mapping[str, Any] | PayoutCurve) -> PayoutCurve:
    """The payout curve of ``targets.payout``.

    ``points``: ``[[attainment, coefficient], ...]`` (attainment 1.0 = target met);
    ``threshold``: attainment where payment starts, equal to the first point's
    attainment (optional); ``cap``: highest coefficient (optional; above the last
    coefficient the last segment's slope continues up to it). Without ``points``,
    :meth:`PayoutCurve.standard` with ``threshold`` and ``cap``.
    """
    if isinstance(spec, PayoutCurve):
        return spec
    if not isinstance(spec, Mapping):
        raise ConfigError(
            "targets: payout must be a mapping with points (and optionally threshold and cap), "
            "e.g. {points: [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]], cap: 1.5}."
        )
    unknown = sorted(set(spec) - {"threshold", "points", "cap"})
    if unknown:
        raise ConfigError(f"targets: payout: unknown key(s) {', '.join(unknown)} (allowed: cap, points, threshold).")
    threshold, points, cap = spec.get("threshold"), spec.get("points"), spec.get("cap")
    if points is None:
        kwargs = {k: float(v) for k, v in (("threshold", threshold), ("cap", cap)) if v is not None}
        return PayoutCurve.standard(**kwargs)
    try:
        pts = [(float(a), float(c)) for a, c in points]
    except (TypeError, ValueError):
        raise ConfigError(
            "targets: payout: points must be pairs [attainment, coefficient], "
            "e.g. [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]]."
        ) from None
    if not pts:
        raise ConfigError("targets: payout: points is empty; give at least one [attainment, coefficient] pair.")
    if threshold is not None and not np.isclose(float(threshold), pts[0][0]):
        raise ConfigError(
            f"targets: payout: threshold {threshold} differs from the first point's attainment "
            f"{pts[0][0]}; payment starts at the first point, so make them equal (or drop threshold)."
        )
    if cap is not None:
        cap = float(cap)
        last_a, last_c = pts[-1]
        if cap < last_c - 1e-12:
            raise ConfigError(
                f"targets: payout: cap {cap} is below the last point's coefficient {last_c}; "
                "raise the cap or lower the last point."
            )
        if cap > last_c + 1e-12:
            if len(pts) < 2 or pts[-1][1] == pts[-2][1]:
                raise ConfigError(
                    f"targets: payout: cap {cap} is above the last coefficient {last_c} but the "
                    "curve is flat there; add the point where the cap is reached."
                )
            slope = (pts[-1][1] - pts[-2][1]) / (pts[-1][0] - pts[-2][0])
            pts.append((last_a + (cap - last_c) / slope, cap))
    return PayoutCurve(tuple(pts))


@dataclass(frozen=True)
class TargetSettings:
    """The ``targets`` section of a run config, checked.

    probability
        Difficulty of calibrated targets: chance of reaching them, in (0, 1).
    company_growth
        Growth of the company goal over last year's actual (0.10 = +10%), above -1.
    scenarios
        Monte Carlo scenarios (whole number, at least 100).
    bonus_base
        Target bonus per manager in the revenue's currency unit (>= 0).
    payout
        The payout curve (see :func:`payout_curve_from_config`).
    ramp_first_year_share
        New hires' share of a veteran's revenue in year one, in (0, 1]; None: from the data.
    heavy_tails
        Estimate Student-t noise (True) or use normal noise.
    parameter_uncertainty
        True (default): the estimation error of the team growth mean, the
        seasonal factors, the new-hire ramp and the region-shock variance is
        drawn once per Monte Carlo scenario (normal on each estimate with its
        standard error, see :mod:`calibrate.targets.fit`), so the share-hitting
        interval includes it; False: the estimates are taken as exact.
    """

    probability: float = DEFAULT_TARGETS["probability"]
    company_growth: float = DEFAULT_TARGETS["company_growth"]
    scenarios: int = DEFAULT_TARGETS["scenarios"]
    bonus_base: float = DEFAULT_TARGETS["bonus_base"]
    payout: PayoutCurve = field(default_factory=lambda: payout_curve_from_config(DEFAULT_TARGETS["payout"]))
    ramp_first_year_share: float | None = DEFAULT_TARGETS["ramp_first_year_share"]
    heavy_tails: bool = DEFAULT_TARGETS["heavy_tails"]
    parameter_uncertainty: bool = DEFAULT_TARGETS["parameter_uncertainty"]

    def __post_init__(self) -> None:
        object.__setattr__(self, "payout", payout_curve_from_config(self.payout))
        p = _number("probability", self.probability)
        if not 0 < p < 1:
            raise ConfigError(
                f"targets: probability must lie strictly between 0 and 1 (0.7 = a 70% chance of "
                f"reaching the target); got {self.probability}."
            )
        g = _number("company_growth", self.company_growth)
        if g <= -1:
            raise ConfigError(f"targets: company_growth must be above -1 (0.10 = +10%); got {self.company_growth}.")
        if (
            isinstance(self.scenarios, bool)
            or not isinstance(self.scenarios, (int, np.integer))
            or self.scenarios < 100
        ):
            raise ConfigError(
                f"targets: scenarios must be a whole number of at least 100 (10000 is typical); got {self.scenarios!r}."
            )
        b = _number("bonus_base", self.bonus_base)
        if b < 0:
            raise ConfigError(f"targets: bonus_base must be 0 or more (target bonus per manager); got {b}.")
        r = self.ramp_first_year_share
        if r is not None and not 0 < _number("ramp_first_year_share", r) <= 1:
            raise ConfigError(
                f"targets: ramp_first_year_share must be above 0 and at most 1 (0.5 = half a "
                f"veteran's revenue in year one), or left empty to estimate it; got {r}."
            )
        if not isinstance(self.heavy_tails, (bool, np.bool_)):
            raise ConfigError(f"targets: heavy_tails must be true or false; got {self.heavy_tails!r}.")
        if not isinstance(self.parameter_uncertainty, (bool, np.bool_)):
            raise ConfigError(
                f"targets: parameter_uncertainty must be true or false; got {self.parameter_uncertainty!r}."
            )
        object.__setattr__(self, "probability", p)
        object.__setattr__(self, "company_growth", g)
        object.__setattr__(self, "scenarios", int(self.scenarios))
        object.__setattr__(self, "bonus_base", b)

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None = None, **overrides: Any) -> TargetSettings:
        """Settings from a config's ``targets`` dict (defaults for missing keys); keyword
        overrides that are not None win (e.g. from the command line)."""
        merged = {**DEFAULT_TARGETS, **(section or {})}
        merged.update({k: v for k, v in overrides.items() if v is not None})
        unknown = sorted(set(merged) - set(DEFAULT_TARGETS))
        if unknown:
            raise ConfigError(
                f"targets: unknown setting(s) {', '.join(unknown)} (allowed: {', '.join(sorted(DEFAULT_TARGETS))})."
            )
        return cls(
            probability=merged["probability"],
            company_growth=merged["company_growth"],
            scenarios=merged["scenarios"],
            bonus_base=merged["bonus_base"],
            payout=merged["payout"],
            ramp_first_year_share=merged["ramp_first_year_share"],
            heavy_tails=merged["heavy_tails"],
            parameter_uncertainty=merged["parameter_uncertainty"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "company_growth": self.company_growth,
            "scenarios": self.scenarios,
            "bonus_base": self.bonus_base,
            "payout": [list(p) for p in self.payout.points],
            "ramp_first_year_share": self.ramp_first_year_share,
            "heavy_tails": bool(self.heavy_tails),
            "parameter_uncertainty": bool(self.parameter_uncertainty),
        }


#: The ``targets`` keys as a run config writes them: type, bounds, meaning (defaults: ``DEFAULT_TARGETS``).
TARGET_KEYS = {
    "scenarios": Key(int, "Monte Carlo scenarios (10000 is typical)", ge=100),
    "parameter_uncertainty": Key(
        bool,
        "draw the team growth mean, seasonality, ramp and region-shock variance "
        "per scenario from their estimation error (false: fitted values held fixed)",
    ),
    "probability": Key(float, "chance of reaching a calibrated target (0.7 = 70%)", gt=0, lt=1),
    "company_growth": Key(float, "company growth planned on last year's actual revenue (0.10 = +10%)", gt=-1),
    "bonus_base": Key(float, "target bonus per manager, in the revenue's currency unit", ge=0),
    "payout": Key(
        {
            "threshold": Key(float | None, "attainment where payment starts (= the first point's)"),
            "points": Key(
                list[list[float]] | None,
                "[attainment, coefficient] pairs; attainment 1.0 = "
                "target met; null: the standard curve from threshold and cap",
            ),
            "cap": Key(float | None, "highest coefficient; above the last point the last slope continues up to it"),
        },
        "the payout curve: bonus coefficient by attainment (given whole, it replaces the default)",
        merged=False,
    ),
    "ramp_first_year_share": Key(
        float | None, "new hires' share of a veteran's revenue in year one; null: from the data", gt=0, le=1
    ),
    "heavy_tails": Key(bool, "Student-t noise estimated from the data (false: normal noise)"),
    "healthy_band": Key(list[float], "[low, high] expected share reaching target that the recommendation aims for"),
    "bonus_budget": Key(float | None, "total bonus budget in the revenue unit; null: bonus_base x headcount", ge=0),
}
TARGETS_SECTION = Section(
    "targets",
    "Monte Carlo scenarios, attainment probability, growth, payout (calibrate.targets.plan)",
    DEFAULT_TARGETS,
    TARGET_KEYS,
    TargetSettings,
    TargetSettings.from_config,
)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"targets: {name} must be a number; got {value!r}.")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"targets: {name} must be a number; got {value!r}.") from None
    if not np.isfinite(out):
        raise ConfigError(f"targets: {name} must be a finite number; got {value!r}.")
    return out


# ---------------------------------------------------------------------------- the plan
@dataclass(frozen=True, eq=False)
class TargetPlan:
    """Next year's plans and their consequences (see the module docstring).

    plans
        One row per plan: plan, year, managers, target_total, median_total (sum
        of the managers' median results), growth_vs_last_year, expected_share,
        share_p5 / share_p50 / share_p95 / share_sd (share of managers reaching
        target over scenarios, 0-1), bonus_target_pool, bonus_mean, bonus_p50,
        bonus_p90, bonus_p99 (total bonus cost, currency units).
    managers
        One row per manager: targets and hit probabilities under every plan.
    results
        The engine's :class:`AttainmentResult` per plan (same scenarios).
    """

    settings: TargetSettings
    fit: PerformanceFit
    seed: int
    company_goal: float
    uniform_growth: float
    allocation_probability: float | None
    plans: pd.DataFrame
    managers: pd.DataFrame
    results: Mapping[str, AttainmentResult]
    notes: tuple[str, ...] = ()

    @property
    def year(self) -> int:
        return self.fit.year

    def to_frame(self) -> pd.DataFrame:
        """The plan table (one row per plan)."""
        return self.plans.copy()

    def probabilities(self) -> pd.DataFrame:
        """Long table: plan, manager_id, region, target, probability, probability_se,
        expected_attainment, attainment_p10/p50/p90 and expected_bonus."""
        frames = [r.to_frame().assign(plan=name) for name, r in self.results.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["plan"] + [c for c in out.columns if c != "plan"]]

    def regions(self) -> pd.DataFrame:
        """Per region: managers, new hires, last year's actual, the model's median, and per
        plan the target total and expected share reaching target; region_sigma (annual)."""
        m = self.managers
        grouped = m.groupby("region", sort=True)
        out = pd.DataFrame(
            {
                "managers": grouped.size(),
                "new_hires": grouped["new_hire"].sum(),
                "last_year_actual": grouped["last_year_actual"].sum(min_count=1),
                "median": grouped["median"].sum(),
            }
        )
        for plan in self.results:
            out[f"{plan}_target"] = grouped[f"{plan}_target"].sum()
            out[f"{plan}_share"] = grouped[f"{plan}_probability"].mean()
        sig = pd.Series(self.fit.model.region_sigma_by_region, index=self.fit.model.regions)
        out["region_sigma"] = sig.reindex(out.index).to_numpy()
        return out.reset_index()

    def share_distribution(self) -> pd.DataFrame:
        """See :func:`share_distribution`."""
        return share_distribution(self.results)

    def bonus_distribution(self) -> pd.DataFrame:
        """See :func:`bonus_distribution`."""
        return bonus_distribution(self.results)

    def payout_curve(self, upper: float = 1.6, step: float = 0.01) -> pd.DataFrame:
        """The payout curve on an attainment grid 0 .. ``upper``: attainment, coefficient, bonus (per manager)."""
        grid = np.round(np.arange(0.0, upper + step / 2, step), 6)
        coef = self.settings.payout.coefficient(grid)
        return pd.DataFrame({"attainment": grid, "coefficient": coef, "bonus": coef * self.settings.bonus_base})

    def to_dict(self) -> dict[str, Any]:
        """Settings, the fit's team-level estimates and the headline numbers (plain values for JSON)."""
        return {
            "year": self.year,
            "seed": self.seed,
            "settings": self.settings.to_dict(),
            "company_goal": self.company_goal,
            "uniform_growth": self.uniform_growth,
            "allocation_probability": self.allocation_probability,
            "last_year_total": float(self.managers["last_year_actual"].sum()),
            "fit": self.fit.to_dict(),
            "notes": list(self.notes),
        }

    def summary(self) -> Summary:
        """Settings, the fit's estimates and the headline numbers (:meth:`to_dict`) as a table."""
        return Summary.from_values(f"target plan for {self.year}", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def share_distribution(results: Mapping[str, AttainmentResult]) -> pd.DataFrame:
    """Per plan the frequency of each number of managers reaching target over the scenarios:
    plan, managers_hitting, share (0-1), scenarios (count), probability (0-1)."""
    rows = []
    for name, r in results.items():
        counts = np.bincount(r.hits, minlength=r.manager_id.size + 1)
        k = np.flatnonzero(counts)
        rows.append(
            pd.DataFrame(
                {
                    "plan": name,
                    "managers_hitting": k,
                    "share": k / r.manager_id.size,
                    "scenarios": counts[k],
                    "probability": counts[k] / r.scenarios,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def bonus_distribution(results: Mapping[str, AttainmentResult]) -> pd.DataFrame:
    """Per plan (with a payout curve) the quantiles of the total bonus cost at levels
    0.005, 0.010 ... 0.995: plan, level, cost (currency units)."""
    rows = [
        pd.DataFrame({"plan": name, "level": _BONUS_LEVELS, "cost": np.quantile(r.bonus.total, _BONUS_LEVELS)})
        for name, r in results.items()
        if r.bonus is not None
    ]
    if not rows:
        return pd.DataFrame(
            {"plan": pd.Series(dtype=str), "level": pd.Series(dtype=float), "cost": pd.Series(dtype=float)}
        )
    return pd.concat(rows, ignore_index=True)


def plan_row(
    name: str, result: AttainmentResult, *, year: int, median_total: float, last_year: np.ndarray | None = None
) -> dict[str, Any]:
    """One row of the plan table from an engine result (see :class:`TargetPlan`).
    ``last_year``: last year's actual per manager (NaN where incomplete) for growth_vs_last_year."""
    summary = result.team_summary()
    growth = np.nan
    if last_year is not None:
        complete = np.isfinite(last_year) & (last_year > 0)
        if complete.any():
            growth = float(result.target[complete].sum() / last_year[complete].sum() - 1)
    row = {
        "plan": name,
        "year": int(year),
        "managers": int(result.manager_id.size),
        "target_total": float(result.target.sum()),
        "median_total": float(median_total),
        "growth_vs_last_year": growth,
    }
    row.update({k: float(summary[k]) for k in ("expected_share", "share_p5", "share_p50", "share_p95", "share_sd")})
    for k in ("bonus_target_pool", "bonus_mean", "bonus_p50", "bonus_p90", "bonus_p99"):
        row[k] = float(summary[k]) if k in summary else np.nan
    return row


def target_plan(
    data: Dataset,
    *,
    settings: TargetSettings | Mapping[str, Any] | None = None,
    seed: int = 0,
    through: str | None = None,
    fit: PerformanceFit | None = None,
    workers: Any = 1,
    **overrides: Any,
) -> TargetPlan:
    """Fit the performance model and compute next year's plans (see the module docstring).

    settings
        :class:`TargetSettings`, or a config ``targets`` mapping; keyword
        ``overrides`` (probability=0.7, scenarios=10_000, company_growth=0.1, ...)
        replace single settings.
    seed
        Seed of every Monte Carlo run (all plans share the same scenarios).
    through
        Last quarter of history used (default: the last in the data).
    fit
        A ready :class:`PerformanceFit` (skips fitting).
    workers
        Threads, or an executor (a Dask client's, see :mod:`calibrate.distributed`) that
        runs the Monte Carlo chunks; the results do not depend on it.
    """
    if not isinstance(settings, TargetSettings):
        settings = TargetSettings.from_config(settings, **overrides)
    elif overrides:
        settings = TargetSettings.from_config(settings.to_dict() | {"payout": settings.payout}, **overrides)
    if fit is None:
        fit = fit_performance_model(
            data,
            through=through,
            heavy_tails=settings.heavy_tails,
            ramp_first_year_share=settings.ramp_first_year_share,
            parameter_uncertainty=settings.parameter_uncertainty,
        )
    model = fit.model
    s = settings
    run = {"scenarios": s.scenarios, "seed": seed}
    table = fit.to_frame()
    notes: list[str] = []

    current = _current_plan(fit, s)
    reference = current / (1 + s.company_growth)
    targets: dict[str, np.ndarray] = {"current": current}
    targets["equal_difficulty"] = targets_for_probability(model, s.probability, **run)["target"].to_numpy()
    uniform = uniform_growth_for_probability(model, s.probability, reference, **run)
    targets["uniform_growth"] = uniform.target
    goal = float(current.sum())
    allocation_p = None
    try:
        allocated = allocate_goal(model, goal, **run)
        targets["allocated"] = allocated["target"].to_numpy()
        allocation_p = float(allocated["probability"].iloc[0])
    except InfeasibleConstraints as exc:
        notes.append(f"The company goal could not be allocated at equal difficulty: {exc}")

    # every plan on the same scenarios, drawn once (each result is what attainment() alone gives)
    results = attainment_many(
        model, targets, quantiles=_QUANTILES, payout=s.payout, bonus_base=s.bonus_base, workers=workers, **run
    )
    managers = table[
        ["manager_id", "region", "level", "tenure_quarters", "new_hire", "last_year_actual", "ramp_share", "median"]
    ].copy()
    for name, r in results.items():
        managers[f"{name}_target"] = r.target
        managers[f"{name}_probability"] = r.probability
    last_year = table["last_year_actual"].to_numpy(dtype=float)
    rows = [
        plan_row(name, r, year=fit.year, median_total=float(model.median.sum()), last_year=last_year)
        for name, r in results.items()
    ]
    return TargetPlan(
        settings=s,
        fit=fit,
        seed=int(seed),
        company_goal=goal,
        uniform_growth=float(uniform.growth),
        allocation_probability=allocation_p,
        plans=pd.DataFrame(rows),
        managers=managers,
        results=results,
        notes=tuple(notes),
    )


def _current_plan(fit: PerformanceFit, s: TargetSettings) -> np.ndarray:
    """Last year's actual x (1 + company growth); without a complete last year, the veterans'
    average of that plan (same job level) scaled by the ramp over the plan year's quarters."""
    table = fit.to_frame()
    last = table["last_year_actual"].to_numpy(dtype=float)
    plan = last * (1 + s.company_growth)
    missing = ~np.isfinite(plan) | (plan <= 0)
    if not missing.any():
        return plan
    veteran = ~missing & (table["tenure_quarters"].to_numpy() >= RAMP_WINDOW)
    if not veteran.any():
        veteran = ~missing
    if not veteran.any():
        raise InfeasibleConstraints(
            "No manager has a complete last year of revenue, so last year's actual plus "
            "growth cannot be computed; add the previous four quarters of data."
        )
    level = table["level"].to_numpy(dtype=object)
    overall = plan[veteran].mean()
    share_first = s.ramp_first_year_share if s.ramp_first_year_share is not None else fit.ramp.first_year_share
    start = table["tenure_quarters"].to_numpy()
    for i in np.flatnonzero(missing):
        peers = veteran & (level == level[i])
        average = plan[peers].mean() if peers.sum() >= 2 else overall
        quarters = np.maximum(start[i], 0) + np.arange(4)  # tenure in each quarter of the plan year
        plan[i] = ramp_targets(average / 4, quarters, share_first).sum()
    return plan

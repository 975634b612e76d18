"""Targets at a chosen difficulty, allocation of a company goal, new-hire ramps.

Difficulty is the probability ``p`` in (0, 1) that a manager's result reaches
the target. Models with a closed form (normal noise, or Student-t noise without
a normal part; see :attr:`PerformanceModel.has_closed_form`) are solved exactly;
other models use Monte Carlo quantiles from :mod:`.simulation` (``method``
``"monte_carlo"`` forces that route for any model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

from calibrate.errors import ConfigError, InfeasibleConstraints
from calibrate.results import Summary
from calibrate.targets.model import PerformanceModel, align_targets
from calibrate.targets.simulation import Seed, outcome_quantiles

Method = Literal["auto", "exact", "monte_carlo"]

_P_MIN = 1e-6  # difficulties beyond [1e-6, 1 - 1e-6] are treated as infeasible
_GRID = np.linspace(0.005, 0.995, 199)  # quantile levels for Monte Carlo allocation


def _check_probability(p: float) -> float:
    p = float(p)
    if not 0 < p < 1:
        raise ConfigError(f"The hit probability must lie strictly between 0 and 1 (e.g. 0.7 for 70%); got {p}.")
    return p


def _use_exact(model: PerformanceModel, method: Method) -> bool:
    if method not in ("auto", "exact", "monte_carlo"):
        raise ConfigError(f"method must be 'auto', 'exact' or 'monte_carlo'; got {method!r}.")
    if method == "exact" and not model.has_closed_form:
        raise ConfigError(
            "This model has no exact formula (Student-t noise with region shocks or growth "
            "uncertainty); use method='monte_carlo' or 'auto'."
        )
    return method != "monte_carlo" and model.has_closed_form


def _frame(model: PerformanceModel, target: np.ndarray, probability: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "manager_id": model.manager_id,
            "region": model.region,
            "target": target,
            "probability": np.broadcast_to(np.asarray(probability, dtype=float), target.shape),
        }
    )


# ---------------------------------------------------------------------------- equal difficulty
def targets_for_probability(
    model: PerformanceModel,
    p: float,
    *,
    method: Method = "auto",
    scenarios: int = 10_000,
    seed: Seed = 0,
    chunk_managers: int = 20_480,
) -> pd.DataFrame:
    """Targets giving every manager the same probability ``p`` of reaching them.

    Returns manager_id, region, target (currency units) and probability (= p).
    Exact: ``T_i = median_i * exp(sd_i * z_(1-p))``. Monte Carlo: the empirical
    (1 - p) quantile of each manager's simulated results.
    """
    p = _check_probability(p)
    if _use_exact(model, method):
        target = model.target_for_probability(p)
    else:
        target = outcome_quantiles(model, [1 - p], scenarios=scenarios, seed=seed, chunk_managers=chunk_managers)[:, 0]
    return _frame(model, target, p)


@dataclass(frozen=True, eq=False)
class UniformGrowth:
    """One growth rate for everyone: targets = reference * (1 + growth).

    ``expected_share`` is the mean hit probability (= the chosen share);
    ``probability`` the per-manager hit probabilities, which differ.
    """

    growth: float
    expected_share: float
    manager_id: np.ndarray
    region: np.ndarray
    reference: np.ndarray
    probability: np.ndarray

    @property
    def target(self) -> np.ndarray:
        return self.reference * (1 + self.growth)

    def to_frame(self) -> pd.DataFrame:
        """manager_id, region, reference, target, probability."""
        return pd.DataFrame(
            {
                "manager_id": self.manager_id,
                "region": self.region,
                "reference": self.reference,
                "target": self.target,
                "probability": self.probability,
            }
        )

    def summary(self) -> Summary:
        """The uniform growth and the expected share hitting target."""
        return Summary.from_values(
            "uniform growth",
            {
                "growth": float(self.growth),
                "expected_share": float(self.expected_share),
                "managers": int(len(self.manager_id)),
            },
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def uniform_growth_for_probability(
    model: PerformanceModel,
    p: float,
    reference: Any,
    *,
    method: Method = "auto",
    scenarios: int = 10_000,
    seed: Seed = 0,
    chunk_managers: int = 20_480,
) -> UniformGrowth:
    """The single growth rate g (targets = reference * (1 + g)) at which the
    expected share of managers reaching target is ``p`` (in (0, 1)).

    ``reference``: last period's result per manager (currency units, > 0), as
    accepted by :func:`~calibrate.targets.model.align_targets`. With Monte Carlo,
    each manager's distribution is read from quantiles at 199 levels and
    interpolated, so the share is exact to about 0.001.
    """
    p = _check_probability(p)
    ref = align_targets(model, reference, name="reference")
    if _use_exact(model, method):

        def share(c: float) -> np.ndarray:
            return model.hit_probability(ref * np.exp(c))
    else:
        levels, log_q = _log_quantile_grid(model, scenarios, seed, chunk_managers)
        log_ref = np.log(ref)

        def share(c: float) -> np.ndarray:
            return 1 - _grid_cdf(levels, log_q, log_ref + c)

    # c = log(1 + g); the share falls as c rises
    gap = np.abs(model.log_median - np.log(ref)) + 12 * model.log_sd + 1
    lo, hi = -float(gap.max()), float(gap.max())
    f = lambda c: float(np.mean(share(c))) - p  # noqa: E731
    if f(lo) < 0 or f(hi) > 0:
        raise InfeasibleConstraints(
            f"No single growth rate gives an expected {p:.1%} of managers on target; "
            "check the reference results against the model."
        )
    c = optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12)
    prob = share(c)
    return UniformGrowth(
        growth=float(np.expm1(c)),
        expected_share=float(np.mean(prob)),
        manager_id=model.manager_id,
        region=model.region,
        reference=ref,
        probability=prob,
    )


def _log_quantile_grid(
    model: PerformanceModel, scenarios: int, seed: Seed, chunk_managers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each manager's log outcome at the ``_GRID`` levels. A plan asks for the same grid twice (uniform growth
    and the allocated goal, same scenarios and seed): kept on the model for an integer seed, read-only."""
    key = f"_log_quantile_grid:{int(scenarios)}:{seed}:{int(chunk_managers)}" if isinstance(seed, int) else None
    cached = model.__dict__.get(key) if key else None
    if cached is None:
        cached = outcome_quantiles(
            model, _GRID.tolist(), scenarios=scenarios, seed=seed, chunk_managers=chunk_managers, log=True
        )
        cached.flags.writeable = False
        if key:
            model.__dict__[key] = cached  # a frozen dataclass: stored beside its fields, not one of them
    return _GRID, cached


def _grid_cdf(levels: np.ndarray, log_q: np.ndarray, values: np.ndarray) -> np.ndarray:
    """P(log Y_i <= values_i) interpolated from each manager's quantile grid (vectorised)."""
    k = (log_q < values[:, None]).sum(axis=1)  # grid points below the value
    k_lo = np.clip(k - 1, 0, levels.size - 1)
    k_hi = np.clip(k, 0, levels.size - 1)
    rows = np.arange(values.size)
    x0, x1 = log_q[rows, k_lo], log_q[rows, k_hi]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(x1 > x0, (values - x0) / (x1 - x0), 0.0)
    out = levels[k_lo] + np.clip(w, 0, 1) * (levels[k_hi] - levels[k_lo])
    return np.where(k == 0, 0.0, np.where(k == levels.size, 1.0, out))


# ---------------------------------------------------------------------------- company goal
def allocate_goal(
    model: PerformanceModel,
    company_goal: float,
    *,
    level: Literal["manager", "region"] = "manager",
    method: Method = "auto",
    scenarios: int = 10_000,
    seed: Seed = 0,
    chunk_managers: int = 20_480,
) -> pd.DataFrame:
    """Targets summing to ``company_goal`` that every manager reaches with the same probability.

    Finds the common probability p whose equal-difficulty targets add up to the
    goal (root finding), then returns, for ``level="manager"``: manager_id,
    region, target, probability; for ``level="region"``: region, managers,
    target (sum of its managers' targets), median (sum of their median
    results), probability (each manager's, the common p). Targets sum to the
    goal up to float rounding. Monte Carlo models interpolate each manager's
    quantiles linearly between 199 levels, which keeps the sum exact.

    Raises :class:`~calibrate.errors.InfeasibleConstraints` when the goal would
    need a probability below 1e-6 or above 1 - 1e-6.
    """
    goal = float(company_goal)
    if not np.isfinite(goal) or goal <= 0:
        raise ConfigError(f"The company goal must be a positive amount in currency units; got {company_goal}.")
    if level not in ("manager", "region"):
        raise ConfigError(f"level must be 'manager' or 'region'; got {level!r}.")
    if _use_exact(model, method):
        target, p = _allocate_exact(model, goal)
    else:
        target, p = _allocate_grid(model, goal, scenarios, seed, chunk_managers)
    target = target * (goal / target.sum())  # remove root-finding residue (~1e-12)
    frame = _frame(model, target, p)
    if level == "manager":
        return frame
    frame["median"] = model.median
    out = frame.groupby("region", sort=True).agg(
        managers=("manager_id", "size"), target=("target", "sum"), median=("median", "sum")
    )
    out["probability"] = p
    return out.reset_index()


def _infeasible(goal: float, p: float, median_total: float) -> InfeasibleConstraints:
    side = "above" if p < 0.5 else "below"
    return InfeasibleConstraints(
        f"The company goal of {goal:,.0f} is too far {side} the model's expected total "
        f"(median sum {median_total:,.0f}): no common probability between {_P_MIN:g} and {1 - _P_MIN:g} "
        "gives targets that add up to it. Check the goal, its currency unit and the performance model."
    )


def _allocate_exact(model: PerformanceModel, goal: float) -> tuple[np.ndarray, float]:
    scale, dist = model._standard()
    log_goal = np.log(goal)
    # target_i(w) = median_i * exp(scale_i * w) with w = dist.isf(p); the sum grows with w
    f = lambda w: float(special.logsumexp(model.log_median + scale * w)) - log_goal  # noqa: E731
    w_lo, w_hi = float(dist.isf(1 - _P_MIN)), float(dist.isf(_P_MIN))
    if f(w_hi) < 0:
        raise _infeasible(goal, 0.0, model.median.sum())
    if f(w_lo) > 0:
        raise _infeasible(goal, 1.0, model.median.sum())
    if not np.any(scale > 0):
        w = 0.0
    else:
        w = optimize.brentq(f, w_lo, w_hi, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    return np.exp(model.log_median + scale * w), float(dist.sf(w))


def _allocate_grid(
    model: PerformanceModel, goal: float, scenarios: int, seed: Seed, chunk_managers: int
) -> tuple[np.ndarray, float]:
    levels, log_q = _log_quantile_grid(model, scenarios, seed, chunk_managers)
    q = np.exp(log_q)
    totals = q.sum(axis=0)  # rises with the level (= 1 - p)
    if goal < totals[0] or goal > totals[-1]:
        p = 1 - levels[0] if goal < totals[0] else 1 - levels[-1]
        raise InfeasibleConstraints(
            f"The company goal of {goal:,.0f} lies outside the simulated range of equal-difficulty totals "
            f"({totals[0]:,.0f} at a {1 - levels[0]:.2%} hit probability to {totals[-1]:,.0f} at "
            f"{1 - levels[-1]:.2%}); the nearest feasible probability is {p:.2%}. "
            "Check the goal or run more scenarios."
        )
    k = int(np.clip(np.searchsorted(totals, goal), 1, levels.size - 1))
    w = (goal - totals[k - 1]) / (totals[k] - totals[k - 1]) if totals[k] > totals[k - 1] else 0.0
    target = q[:, k - 1] + w * (q[:, k] - q[:, k - 1])
    level = levels[k - 1] + w * (levels[k] - levels[k - 1])
    return target, float(1 - level)


def annual_growth(total_growth: float, years: int) -> float:
    """Annual growth that compounds to ``total_growth`` over ``years``:
    ``(1 + total_growth) ** (1 / years) - 1`` (0.2 over 3 years -> about 0.0627)."""
    if not isinstance(years, (int, np.integer)) or years < 1:
        raise ConfigError(f"years must be a whole number of at least 1; got {years!r}.")
    if total_growth <= -1:
        raise ConfigError(f"Total growth must be above -100%; got {total_growth:.1%}.")
    return float((1 + total_growth) ** (1 / years) - 1)


def goal_path(current_total: float, total_growth: float, years: int) -> pd.DataFrame:
    """Year-by-year company goals compounding to ``current_total * (1 + total_growth)``.

    Returns year (1..years), growth (the annual rate) and goal (currency units).
    """
    g = annual_growth(total_growth, years)
    year = np.arange(1, years + 1)
    return pd.DataFrame({"year": year, "growth": g, "goal": current_total * (1 + g) ** year})


# ---------------------------------------------------------------------------- new hires
RampCurve = Literal["linear", "smooth"] | Callable[[np.ndarray], np.ndarray]


def ramp_share(
    tenure_quarters: Any, *, first_year_share: float = 0.5, full_at_quarter: float = 8, curve: RampCurve = "linear"
) -> np.ndarray:
    """Share of a veteran's target for a manager in tenure quarter ``q`` (0 = first quarter).

    Quarters 0-3 (the first year) get ``first_year_share``; from quarter 4 the
    share rises along ``curve`` to 1 at ``full_at_quarter`` (>= 4) and stays there.
    ``curve`` maps progress u in [0, 1] to [0, 1]: ``"linear"`` (u),
    ``"smooth"`` (3u^2 - 2u^3, slow start and finish) or your own function.
    Defaults: 0.5 in year one, then 0.6, 0.7, 0.8, 0.9 and 1.0 from quarter 8.
    """
    q = np.asarray(tenure_quarters, dtype=float)
    if np.any(~np.isfinite(q)) or np.any(q < 0):
        raise ConfigError("Tenure must be given in quarters, 0 or more (0 = the first quarter in the job).")
    if not 0 < first_year_share <= 1:
        raise ConfigError(f"first_year_share must be above 0 and at most 1; got {first_year_share}.")
    if full_at_quarter < 4:
        raise ConfigError(
            f"full_at_quarter must be 4 or more (the ramp starts after the first year); got {full_at_quarter}."
        )
    shapes = {"linear": lambda u: u, "smooth": lambda u: u * u * (3 - 2 * u)}
    if callable(curve):
        shape = curve
    elif curve in shapes:
        shape = shapes[curve]
    else:
        raise ConfigError(f"curve must be 'linear', 'smooth' or a function; got {curve!r}.")
    u = np.clip((q - 3) / (full_at_quarter - 3), 0, 1)
    return first_year_share + (1 - first_year_share) * np.clip(shape(u), 0, 1)


def ramp_targets(
    veteran_average: Any,
    tenure_quarters: Any,
    first_year_share: float = 0.5,
    *,
    full_at_quarter: float = 8,
    curve: RampCurve = "linear",
) -> np.ndarray:
    """Targets for new hires: ``veteran_average * ramp_share(tenure_quarters)``.

    ``veteran_average``: a veteran's average target for the same period
    (currency units, > 0), one number or one per manager.
    """
    vet = np.asarray(veteran_average, dtype=float)
    if np.any(~np.isfinite(vet)) or np.any(vet <= 0):
        raise ConfigError("The veteran average must be a positive amount in currency units.")
    return vet * ramp_share(
        tenure_quarters, first_year_share=first_year_share, full_at_quarter=full_at_quarter, curve=curve
    )

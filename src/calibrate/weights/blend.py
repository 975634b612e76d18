"""Blend weight sources into one proposal that respects the company's rules.

Two steps:

1. **Target**: a weighted average of the weight sources (evidence importance,
   the experts' AHP priorities, a data-only baseline) with user-set shares,
   ``target_j = sum_s share_s * source_s[j]``. Each source sums to 1, so the
   target does too.
2. **Closest admissible weights**: the weights ``w`` nearest to the target in
   squared (L2) distance, ``min sum_j (w_j - target_j)^2``, subject to

   * ``sum_j w_j = 1``;
   * each dimension's sum within its band ``[low, high]`` (indicator set);
   * each indicator within ``[min_weight, max_weight]`` (indicator set);
   * ``|w_j - last_year_j| <= max_change`` (an indicator new this year has
     last year 0).

   The problem is a small convex quadratic programme, solved with SciPy's
   SLSQP. Before solving, an explicit feasibility analysis by dimension checks
   that the rules can hold together; when they cannot,
   :class:`~calibrate.errors.InfeasibleConstraints` names the constraints that
   conflict and the numbers behind them.

Why the L2 distance: it spreads a required correction evenly over the
indicators that are free to move (the solution is ``w_j = target_j + lambda +
mu_dimension`` clipped to each indicator's bounds), which is easy to explain:
"every indicator gave up the same share to respect the rules".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError, InfeasibleConstraints
from calibrate.indicators import IndicatorSet
from calibrate.results import Summary, frame_summary

__all__ = [
    "WeightConstraints",
    "BlendResult",
    "weight_constraints",
    "blend_target",
    "closest_weights",
    "binding_constraints",
    "blend",
]

#: Tolerance (in weight units) for "a constraint holds" and "a constraint binds".
TOLERANCE = 1e-7


@dataclass(frozen=True)
class WeightConstraints:
    """The rules a weight vector must satisfy; all weights are shares in [0, 1].

    ``max_change`` is ``None`` when there is no cap (no last-year weights).
    Arrays are aligned with ``indicators``.
    """

    indicators: tuple[str, ...]
    dimension: tuple[str, ...]
    bands: pd.DataFrame
    min_weight: np.ndarray
    max_weight: np.ndarray
    last_year: np.ndarray
    max_change: float | None
    dimension_labels: Mapping[str, str]

    @property
    def lower(self) -> np.ndarray:
        """Each indicator's lowest admissible weight (min_weight, cap below last year, 0)."""
        lo = np.maximum(self.min_weight, 0.0)
        if self.max_change is not None:
            lo = np.maximum(lo, self.last_year - self.max_change)
        return lo

    @property
    def upper(self) -> np.ndarray:
        """Each indicator's highest admissible weight (max_weight, cap above last year, 1)."""
        hi = np.minimum(self.max_weight, 1.0)
        if self.max_change is not None:
            hi = np.minimum(hi, self.last_year + self.max_change)
        return hi

    def members(self, dimension: str) -> np.ndarray:
        return np.array([d == dimension for d in self.dimension])

    def check_feasible(self) -> None:
        """Raise :class:`InfeasibleConstraints` naming every conflict; return quietly when the rules can hold.

        The admissible set is a box (per-indicator bounds) cut by dimension-sum
        bands and ``sum = 1``. Each dimension can reach any sum in
        ``[max(low, sum of lower bounds), min(high, sum of upper bounds)]``,
        and the total can be 1 exactly when 1 lies between the sums of those
        intervals' ends; so these checks are necessary and sufficient.
        """
        problems: list[str] = []
        lo, hi = self.lower, self.upper
        for j, ind in enumerate(self.indicators):
            if lo[j] > hi[j] + TOLERANCE:
                problems.append(self._indicator_conflict(j))
        if problems:
            raise InfeasibleConstraints(_join(problems))
        reach_lo, reach_hi = {}, {}
        for dim, (band_lo, band_hi) in self.bands[["low", "high"]].iterrows():
            m = self.members(dim)
            if not m.any():
                continue
            can_lo, can_hi = float(lo[m].sum()), float(hi[m].sum())
            if can_hi < band_lo - TOLERANCE:
                problems.append(self._dimension_short(dim, band_lo, can_hi))
            if can_lo > band_hi + TOLERANCE:
                problems.append(self._dimension_over(dim, band_hi, can_lo))
            reach_lo[dim] = max(band_lo, can_lo)
            reach_hi[dim] = min(band_hi, can_hi)
        if problems:
            raise InfeasibleConstraints(_join(problems))
        total_lo, total_hi = sum(reach_lo.values()), sum(reach_hi.values())
        if total_hi < 1 - TOLERANCE:
            parts = ", ".join(f"{self._dim_name(d)} at most {reach_hi[d]:.3f}" for d in reach_hi)
            raise InfeasibleConstraints(
                f"the weights cannot add up to 1: within the bands, indicator limits and change cap the "
                f"dimensions reach at most {total_hi:.3f} in total ({parts}); raise a band's upper end, an "
                f"indicator's max_weight or weights.max_change"
            )
        if total_lo > 1 + TOLERANCE:
            parts = ", ".join(f"{self._dim_name(d)} at least {reach_lo[d]:.3f}" for d in reach_lo)
            raise InfeasibleConstraints(
                f"the weights cannot add up to 1: within the bands, indicator limits and change cap the "
                f"dimensions need at least {total_lo:.3f} in total ({parts}); lower a band's lower end, an "
                f"indicator's min_weight or raise weights.max_change"
            )

    # -- messages ---------------------------------------------------------------------------
    def _dim_name(self, dim: str) -> str:
        label = self.dimension_labels.get(dim, dim)
        return f"dimension {dim}" + (f" ({label})" if label and label != dim else "")

    def _indicator_conflict(self, j: int) -> str:
        ind, last, cap = self.indicators[j], self.last_year[j], self.max_change
        if self.min_weight[j] > self.max_weight[j] + TOLERANCE:
            return f"indicator {ind}: min_weight {self.min_weight[j]:.3f} exceeds max_weight {self.max_weight[j]:.3f}"
        if cap is not None and self.min_weight[j] > last + cap + TOLERANCE:
            return (
                f"indicator {ind} needs at least its min_weight {self.min_weight[j]:.3f}, but the change cap "
                f"allows at most {last + cap:.3f} (last year's {last:.3f} + {cap:.3f}); lower min_weight or "
                f"raise weights.max_change to at least {self.min_weight[j] - last:.3f}"
            )
        if cap is not None and self.max_weight[j] < last - cap - TOLERANCE:
            return (
                f"indicator {ind} may have at most its max_weight {self.max_weight[j]:.3f}, but the change cap "
                f"requires at least {last - cap:.3f} (last year's {last:.3f} - {cap:.3f}); raise max_weight or "
                f"weights.max_change to at least {last - self.max_weight[j]:.3f}"
            )
        return f"indicator {ind}: its limits leave no admissible weight"

    def _last_year_terms(self, m: np.ndarray) -> str:
        names = [self.indicators[j] for j in np.flatnonzero(m)]
        values = self.last_year[m]
        return "+".join(f"{v:.2f}" for v in values) + " (" + ", ".join(names) + ")"

    def _dimension_short(self, dim: str, band_lo: float, can_hi: float) -> str:
        m = self.members(dim)
        why = self._why_upper(m)
        fix = self._cap_fix(m, band_lo, upward=True)
        return (
            f"{self._dim_name(dim)} needs at least {band_lo:.2f} but its indicators can reach at most "
            f"{can_hi:.2f} {why}; {fix}"
        )

    def _dimension_over(self, dim: str, band_hi: float, can_lo: float) -> str:
        m = self.members(dim)
        why = self._why_lower(m)
        fix = self._cap_fix(m, band_hi, upward=False)
        return (
            f"{self._dim_name(dim)} may have at most {band_hi:.2f} but its indicators need at least "
            f"{can_lo:.2f} {why}; {fix}"
        )

    def _why_upper(self, m: np.ndarray) -> str:
        cap = self.max_change
        if cap is not None and np.any(self.last_year[m] + cap < np.minimum(self.max_weight[m], 1.0) - TOLERANCE):
            return f"within the {cap:.2f} change cap from last year's {self._last_year_terms(m)}"
        return "with their max_weight limits"

    def _why_lower(self, m: np.ndarray) -> str:
        cap = self.max_change
        if cap is not None and np.any(self.last_year[m] - cap > np.maximum(self.min_weight[m], 0.0) + TOLERANCE):
            return f"within the {cap:.2f} change cap from last year's {self._last_year_terms(m)}"
        return "with their min_weight limits"

    def _cap_fix(self, m: np.ndarray, bound: float, *, upward: bool) -> str:
        band_word = "lower the band's lower end" if upward else "raise the band's upper end"
        if self.max_change is None:
            return f"{band_word} or change the indicators' {'max_weight' if upward else 'min_weight'}"
        needed = _needed_cap(self.last_year[m], self.min_weight[m], self.max_weight[m], bound, upward=upward)
        if needed is None:
            return f"{band_word}; no change cap is enough with the current indicator limits"
        return f"raise weights.max_change to at least {needed:.3f} or {band_word}"


def _needed_cap(last: np.ndarray, min_w: np.ndarray, max_w: np.ndarray, bound: float, *, upward: bool) -> float | None:
    """Smallest change cap with which the members can reach ``bound`` (None if no cap can)."""

    def reach(cap: float) -> float:
        if upward:
            return float(np.minimum(np.minimum(max_w, 1.0), last + cap).sum())
        return float(np.maximum(np.maximum(min_w, 0.0), last - cap).sum())

    ok = (lambda v: v >= bound - TOLERANCE) if upward else (lambda v: v <= bound + TOLERANCE)
    if not ok(reach(1.0)):
        return None
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if ok(reach(mid)) else (mid, hi)
    return float(np.ceil(hi * 1000 - 1e-9) / 1000)


def _join(problems: list[str]) -> str:
    if len(problems) == 1:
        return "the weight rules conflict: " + problems[0]
    return "the weight rules conflict:\n" + "\n".join(f"  - {p}" for p in problems)


def weight_constraints(
    indicator_set: IndicatorSet,
    last_year: pd.Series | None = None,
    *,
    max_change: float | None = 0.05,
    lang: str = "en",
) -> WeightConstraints:
    """The rules of an indicator set, last year's weights (shares) and the change cap.

    ``last_year`` maps indicator -> last year's weight; an indicator missing
    from it is new this year (last year 0). With ``last_year=None`` there is
    no change cap. ``max_change`` is in weight units (0.05 = 5 percentage
    points), ``None`` for no cap.
    """
    ids = indicator_set.ids
    if max_change is not None and not (0 <= float(max_change) <= 1):
        raise CalibrateError(f"weights.max_change must be between 0 and 1 (a share, 0.05 = 5 points), got {max_change}")
    if last_year is None:
        last, cap = np.zeros(len(ids)), None
    else:
        last = pd.Series(last_year, dtype=float).reindex(list(ids)).fillna(0.0).to_numpy()
        cap = None if max_change is None else float(max_change)
    dims = indicator_set.dimension_of()
    return WeightConstraints(
        indicators=tuple(ids),
        dimension=tuple(dims[i] for i in ids),
        bands=indicator_set.bands(),
        min_weight=np.array([indicator_set[i].min_weight for i in ids], dtype=float),
        max_weight=np.array([indicator_set[i].max_weight for i in ids], dtype=float),
        last_year=last,
        max_change=cap,
        dimension_labels={d.id: d.label(lang) for d in indicator_set.dimensions},
    )


def blend_target(sources: Mapping[str, pd.Series], shares: Mapping[str, float]) -> tuple[pd.Series, pd.DataFrame]:
    """``target = sum_s shares[s] * sources[s]`` and each source's contribution.

    Every source is a weight vector over the same indicators summing to 1;
    ``shares`` are non-negative and sum to 1 (sources with share 0 may be
    missing). Returns the target and a DataFrame with one column per source
    (its contribution, ``share * weight``).
    """
    used = {s: float(v) for s, v in shares.items() if float(v) > 0}
    bad = [f"{s} = {v}" for s, v in shares.items() if not (np.isfinite(float(v)) and float(v) >= 0)]
    if bad:
        raise CalibrateError(f"weights.shares must be non-negative numbers: {', '.join(bad)}")
    total = sum(used.values())
    if abs(total - 1) > 1e-6:
        raise CalibrateError(
            f"weights.shares must add up to 1, they add up to {total:.4f} "
            f"({', '.join(f'{s} {v:g}' for s, v in shares.items())})"
        )
    missing = [s for s in used if s not in sources or sources[s] is None]
    if missing:
        raise CalibrateError(
            f"weight source(s) {', '.join(missing)} have a share but were not computed; "
            f"set their share to 0 in weights.shares or provide the data they need"
        )
    index = next(iter(sources[s] for s in used)).index
    contributions = pd.DataFrame(index=index)
    for s, share in used.items():
        src = sources[s].reindex(index)
        if src.isna().any():
            raise CalibrateError(f"weight source {s} has no weight for {', '.join(src.index[src.isna()])}")
        contributions[s] = share * src.to_numpy(dtype=float)
    target = contributions.sum(axis=1).rename("target")
    return target, contributions


@dataclass(frozen=True)
class BlendResult:
    """The proposal: weights (summing to 1) nearest the blended target within the rules.

    ``binding`` says which rules hold with equality per indicator (``cap``:
    the change cap, ``min``/``max``: the indicator's limits, ``band_low``/
    ``band_high``: its dimension sits at an end of its band); ``distance`` is
    the L2 distance ``||weights - target||``.
    """

    weights: pd.Series
    target: pd.Series
    contributions: pd.DataFrame
    last_year: pd.Series
    binding: pd.Series
    dimension: pd.Series
    distance: float

    @property
    def change(self) -> pd.Series:
        return (self.weights - self.last_year).rename("change")

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: weight, last_year, change, target, each source's contribution, adjustment, binding."""
        frame = pd.DataFrame(
            {
                "indicator": list(self.weights.index),
                "dimension": self.dimension.to_numpy(),
                "weight": self.weights.to_numpy(),
                "last_year": self.last_year.to_numpy(),
                "change": self.change.to_numpy(),
                "target": self.target.to_numpy(),
            }
        )
        for s in self.contributions.columns:
            frame[f"from_{s}"] = self.contributions[s].to_numpy()
        frame["adjustment"] = (self.weights - self.target).to_numpy()
        frame["binding"] = self.binding.to_numpy()
        return frame

    def summary_text(self) -> str:
        lines = [f"proposal ({len(self.weights)} indicators), distance to target {self.distance:.4f}"]
        width = max(len(i) for i in self.weights.index)
        for ind in self.weights.index:
            lines.append(
                f"  {ind:<{width}}  {self.weights[ind]:.4f}  (target {self.target[ind]:.4f}, last year "
                f"{self.last_year[ind]:.4f}){'  [' + self.binding[ind] + ']' if self.binding[ind] else ''}"
            )
        return "\n".join(lines)

    def summary(self) -> Summary:
        """Blended weights per indicator; str() gives the text form."""
        return frame_summary(
            "weight blend", self.to_frame(), text=self.summary_text(), values={"distance": float(self.distance)}
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def closest_weights(target: pd.Series, constraints: WeightConstraints) -> np.ndarray:
    """The weights nearest ``target`` (L2) that satisfy ``constraints`` (exact, see :func:`project_onto_rules`;
    checked feasible first).

    ``target`` is aligned with ``constraints.indicators``. Returns a float
    array summing to 1.
    """
    constraints.check_feasible()
    t = pd.Series(target, dtype=float).reindex(list(constraints.indicators)).to_numpy()
    if not np.all(np.isfinite(t)):
        raise CalibrateError("the blended target has missing values; check the weight sources")
    return _solve(t, constraints)


def linear_form(c: WeightConstraints) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(lower, upper, A, b)``: the rules as bounds plus ``A w >= b`` (dimension bands), for repeated solves."""
    dims = [d for d in c.bands.index if c.members(d).any()]
    m = np.array([c.members(d).astype(float) for d in dims])  # (dims, p)
    band_lo = c.bands.loc[dims, "low"].to_numpy(dtype=float)
    band_hi = c.bands.loc[dims, "high"].to_numpy(dtype=float)
    return c.lower, c.upper, np.vstack([m, -m]), np.concatenate([band_lo, -band_hi])


def _solve(t: np.ndarray, c: WeightConstraints) -> np.ndarray:
    lo, hi, a_ineq, b_ineq = linear_form(c)
    w = project_onto_rules(t[None, :], c)[0]
    if not _admissible(w, lo, hi, a_ineq, b_ineq):
        raise CalibrateError(
            "the weight optimisation did not converge to weights that satisfy the rules; "
            "this should not happen for feasible rules, please report it with your config"
        )
    return w


def project_onto_rules(targets: np.ndarray, c: WeightConstraints) -> np.ndarray:
    """The admissible weights nearest each row of ``targets`` (L2), exactly, for many targets at once.

    The rules are a box ``lower <= w <= upper`` (limits and change cap), one band per dimension on the
    sum of its indicators, and ``sum w = 1``. Their Karush-Kuhn-Tucker conditions give the solution
    ``w_j = clip(t_j - lambda_d, lower_j, upper_j)`` with one ``lambda_d`` per dimension ``d`` of
    indicator ``j``: ``lambda_d = mu`` (the multiplier of ``sum w = 1``) while the dimension's sum
    ``S_d(mu)`` lies inside its band, and otherwise the ``lambda_d`` that puts the sum on the band's
    edge. Every ``S_d`` is non-increasing and piecewise linear in its multiplier, so ``mu`` (total of
    the band-clipped sums = 1) and then each ``lambda_d`` are found by bisection to the resolution of
    floating point (the projection onto a convex set is unique, so flat stretches do not matter).
    ``targets``: resamples x indicators, aligned with ``c.indicators``; the rules must be feasible
    (:meth:`WeightConstraints.check_feasible`).
    """
    t = np.atleast_2d(np.asarray(targets, dtype=float))
    lo, hi = c.lower, c.upper
    dims = list(dict.fromkeys(c.dimension))
    group = np.array([dims.index(d) for d in c.dimension])
    bands = c.bands.reindex(dims)
    band_lo = bands["low"].to_numpy(dtype=float, na_value=-np.inf)
    band_hi = bands["high"].to_numpy(dtype=float, na_value=np.inf)
    columns = [np.flatnonzero(group == d) for d in range(len(dims))]

    def sums(shift: np.ndarray) -> np.ndarray:  # shift: resamples x indicators -> dimension sums
        w = np.clip(t - shift, lo, hi)  # row by row, so a row's result does not depend on the others
        return np.stack([w[:, cols].sum(axis=1) for cols in columns], axis=1)

    below = (t - hi).min(axis=1) - 1.0  # every weight at its upper limit
    above = (t - lo).max(axis=1) + 1.0  # every weight at its lower limit
    mu = _bisect_decreasing(lambda m: np.clip(sums(m[:, None]), band_lo, band_hi).sum(axis=1) - 1.0, below, above)
    goal = np.clip(sums(mu[:, None]), band_lo, band_hi)
    lam = _bisect_decreasing(
        lambda lam: sums(lam[:, group]) - goal,
        np.repeat(below[:, None], len(dims), axis=1),
        np.repeat(above[:, None], len(dims), axis=1),
    )
    return np.clip(t - lam[:, group], lo, hi)


def _bisect_decreasing(f, low: np.ndarray, high: np.ndarray, iterations: int = 120) -> np.ndarray:
    """Elementwise root of a non-increasing ``f`` with ``f(low) >= 0 >= f(high)``, to floating-point resolution."""
    low, high = low.copy(), high.copy()
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        right = f(mid) > 0  # still above zero: the root is to the right of mid
        low = np.where(right, mid, low)
        high = np.where(right, high, mid)
    return 0.5 * (low + high)


def _admissible(w: np.ndarray, lo: np.ndarray, hi: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float = 1e-6) -> bool:
    return bool(
        abs(w.sum() - 1) <= tol and np.all(w >= lo - tol) and np.all(w <= hi + tol) and np.all(a @ w - b >= -tol)
    )


def binding_constraints(w: np.ndarray, c: WeightConstraints, tol: float = 1e-6) -> list[str]:
    """Per indicator, the rules that hold with equality ('cap', 'min', 'max', 'band_low', 'band_high')."""
    out = []
    dim_sum = {d: float(w[c.members(d)].sum()) for d in c.bands.index}
    for j, ind in enumerate(c.indicators):
        tags = []
        if c.max_change is not None and abs(abs(w[j] - c.last_year[j]) - c.max_change) <= tol:
            tags.append("cap")
        if c.min_weight[j] > 0 and abs(w[j] - c.min_weight[j]) <= tol:
            tags.append("min")
        if c.max_weight[j] < 1 and abs(w[j] - c.max_weight[j]) <= tol:
            tags.append("max")
        d = c.dimension[j]
        low, high = c.bands.loc[d, "low"], c.bands.loc[d, "high"]
        if abs(dim_sum[d] - low) <= tol and low > 0:
            tags.append("band_low")
        elif abs(dim_sum[d] - high) <= tol and high < 1:
            tags.append("band_high")
        out.append("+".join(tags))
    return out


def blend(sources: Mapping[str, pd.Series], shares: Mapping[str, float], constraints: WeightConstraints) -> BlendResult:
    """Blend the sources with ``shares`` and find the nearest weights within ``constraints``.

    Examples
    --------
    >>> from calibrate.indicators import load_indicator_set
    >>> iset = load_indicator_set("account_manager")
    >>> last = iset.default_weights()
    >>> rules = weight_constraints(iset, last, max_change=0.05)
    >>> result = blend({"expert": last}, {"expert": 1.0}, rules)
    >>> float(result.distance) < 1e-9
    True
    """
    target, contributions = blend_target(sources, shares)
    target = target.reindex(list(constraints.indicators))
    contributions = contributions.reindex(list(constraints.indicators))
    w = closest_weights(target, constraints)
    index = pd.Index(constraints.indicators, name="indicator")
    weights = pd.Series(w, index=index, name="weight")
    return BlendResult(
        weights=weights,
        target=target.rename("target"),
        contributions=contributions,
        last_year=pd.Series(constraints.last_year, index=index, name="last_year"),
        binding=pd.Series(binding_constraints(w, constraints), index=index, name="binding"),
        dimension=pd.Series(constraints.dimension, index=index, name="dimension"),
        distance=float(np.sqrt(((w - target.to_numpy()) ** 2).sum())),
    )

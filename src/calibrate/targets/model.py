"""The performance model: next period's result distribution for every manager.

For manager ``i`` in region ``r`` the next-period result (revenue, in the
currency of ``base``) is

    Y_i = base_i * ramp_i * exp(mu_i + sigma_i * e_i + u_i + region_sigma_r * s_r)

* ``e_i``  idiosyncratic noise, independent across managers and scenarios:
  standard normal, or Student-t with ``df`` degrees of freedom scaled to unit
  variance (``t * sqrt((df - 2) / df)``, so ``df > 2``) for heavy tails;
* ``s_r``  a standard normal shock shared by every manager of region ``r``:
  managers of one region move together, so team counts are not binomial;
* ``u_i``  the uncertainty of the growth estimate itself: ``mu_i`` comes from a
  shrinkage fit with standard error ``growth_uncertainty_i``. We treat it as a
  normal draw ``u_i ~ N(0, growth_uncertainty_i**2)`` made afresh for each
  manager in each scenario (the posterior-predictive view). Being normal and
  independent of ``e_i``, with normal noise it simply adds to the variance
  (``sigma_i**2 + growth_uncertainty_i**2``), which is how the engine draws it;
  with Student-t noise the engine draws it separately. Estimation errors that
  are shared across managers (the shrinkage target, seasonality, ramp) are the
  ``shared_loadings`` below.

Parameter uncertainty (optional): the team-level estimates behind every
manager's median (team growth mean, seasonal factors, new-hire ramp) carry
sampling error shared by all managers. With ``shared_loadings`` (managers x K)
the engine draws ``K`` independent standard normals ``v_s`` once per scenario
and adds ``shared_loadings_i . v_s`` to every manager's log result, so a
scenario where the team mean was over-estimated lowers every manager at once
and the team share widens. ``region_sigma_df`` (the degrees of freedom of the
region-shock variance estimate) scales the region shocks of each scenario by
``sqrt(chi2_df / df)`` (the estimated variance is itself uncertain). The
closed forms include the shared normal part exactly and take the region
variance at its mean (``E[chi2_d / d] = 1``: the same variance; the mixture's
slightly heavier tails, negligible for tens of degrees of freedom, are ignored).

``base`` already includes seasonality and any new-hire ramp; ``ramp`` is an
extra per-manager multiplier (default 1) for callers who keep the two apart.

Construct from plain arrays or Series (taken by position) or from a DataFrame
with :meth:`PerformanceModel.from_frame`. The closed-form helpers
(:meth:`hit_probability`, :meth:`target_for_probability`, ...) are exact when
the noise is normal, or Student-t with no normal component (no region shock
and no growth uncertainty); the Monte Carlo engine in
:mod:`calibrate.targets.simulation` covers every case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from calibrate.distributions import norm, student_t
from calibrate.errors import ConfigError, Problem, ValidationError
from calibrate.results import Summary

ArrayLike = Any  # sequences, numpy arrays and pandas Series are all accepted

_SOURCE = "performance model"


def id_list(ids: Any, limit: int = 10) -> str:
    """``"M1, M2, M3"`` or ``"M1, ..., M10 and 5 more"`` for error messages."""
    ids = [str(i) for i in ids]
    shown = ", ".join(ids[:limit])
    return shown if len(ids) <= limit else f"{shown} and {len(ids) - limit} more"


def _frozen(values: np.ndarray) -> np.ndarray:
    values.setflags(write=False)
    return values


@dataclass(frozen=True, eq=False)
class PerformanceModel:
    """Per-manager distribution of next period's result (see the module docstring).

    Parameters (per-manager values are arrays, lists or Series taken by
    position; a scalar is applied to every manager):

    manager_id
        Unique manager identifiers.
    region
        Region of each manager; managers of one region share the region shock.
    base
        Baseline result for the period in currency units (> 0), seasonality
        and new-hire ramp included.
    mu
        Expected log growth over the period (0.05 is about +5%).
    sigma
        Standard deviation of the manager's own log noise (>= 0; 0.2 is about
        +/-20% in a typical year).
    region_sigma
        Standard deviation of the shared regional log shock (>= 0): one number
        for all regions, or a mapping / Series from region to value.
    df
        Degrees of freedom of Student-t noise (> 2), or ``None`` for normal.
    ramp
        Optional extra multiplier of ``base`` per manager (> 0, default 1).
    growth_uncertainty
        Optional standard error of ``mu`` per manager (>= 0, default 0).
    shared_loadings
        Optional (managers x K) effect on log Y of one standard-normal draw of
        each of K shared parameter errors, drawn once per scenario (log units).
    shared_names
        Names of the K shared parameters (default ``p1 .. pK``).
    region_sigma_df
        Optional degrees of freedom (> 0) of the region-shock variance estimate:
        each scenario's region shocks are scaled by ``sqrt(chi2_df / df)``.
    """

    manager_id: ArrayLike
    region: ArrayLike
    base: ArrayLike
    mu: ArrayLike
    sigma: ArrayLike
    region_sigma: float | Mapping[str, float] | pd.Series = 0.0
    df: float | None = None
    ramp: ArrayLike | None = None
    growth_uncertainty: ArrayLike | float | None = None
    shared_loadings: ArrayLike | None = None
    shared_names: tuple[str, ...] | None = None
    region_sigma_df: float | None = None

    def __post_init__(self) -> None:
        ids = np.asarray(self.manager_id, dtype=object).astype(str).astype(object)
        if ids.ndim != 1 or ids.size == 0:
            raise ConfigError("The performance model needs at least one manager (manager_id is empty).")
        n = ids.size
        problems: list[Problem] = []
        duplicated = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
        if len(duplicated):
            problems.append(
                Problem(
                    _SOURCE,
                    None,
                    "manager_id",
                    f"duplicated for {len(duplicated)} managers: {id_list(duplicated)} (each manager must appear once)",
                )
            )
        object.__setattr__(self, "manager_id", _frozen(ids))
        region = self._per_manager("region", self.region, n, problems, numeric=False)
        object.__setattr__(self, "region", region)
        rules = {
            "base": (lambda v: v > 0, "must be above 0 (a baseline result in currency units)"),
            "mu": (lambda v: np.ones_like(v, bool), ""),
            "sigma": (lambda v: v >= 0, "must be 0 or more (a standard deviation of log results)"),
            "ramp": (lambda v: v > 0, "must be above 0 (a multiplier of base)"),
            "growth_uncertainty": (lambda v: v >= 0, "must be 0 or more (a standard error)"),
        }
        defaults = {"ramp": 1.0, "growth_uncertainty": 0.0}
        for name, (ok, why) in rules.items():
            raw = getattr(self, name)
            values = self._per_manager(name, defaults[name] if raw is None else raw, n, problems)
            if values is not None:
                finite = np.isfinite(values)
                bad = ~finite | ~ok(np.where(finite, values, 1.0))
                if bad.any():
                    problems.append(
                        Problem(
                            _SOURCE,
                            None,
                            name,
                            f"missing, infinite or out of range for {int(bad.sum())} managers: "
                            f"{id_list(ids[bad])}" + (f" ({why})" if why else ""),
                        )
                    )
            object.__setattr__(self, name, values)
        object.__setattr__(self, "region_sigma", self._region_sigma(problems))
        if self.df is not None:
            df = float(self.df)
            if not np.isfinite(df) or df <= 2:
                problems.append(
                    Problem(
                        _SOURCE,
                        None,
                        "df",
                        f"Student-t degrees of freedom must be above 2 for a finite variance; got {self.df}",
                    )
                )
            object.__setattr__(self, "df", df)
        self._check_shared(n, problems)
        if problems:
            raise ValidationError(problems)

    def _check_shared(self, n: int, problems: list[Problem]) -> None:
        raw = self.shared_loadings
        loadings = np.zeros((n, 0)) if raw is None else np.array(raw, dtype=float, copy=True)
        if loadings.ndim == 1 and n == 1:
            loadings = loadings[None, :]
        if loadings.ndim != 2 or loadings.shape[0] != n:
            problems.append(
                Problem(
                    _SOURCE,
                    None,
                    "shared_loadings",
                    f"must be a managers x parameters table ({n} rows); got shape {loadings.shape}",
                )
            )
            loadings = np.zeros((n, 0))
        elif not np.all(np.isfinite(loadings)):
            bad = ~np.all(np.isfinite(loadings), axis=1)
            problems.append(
                Problem(
                    _SOURCE,
                    None,
                    "shared_loadings",
                    f"missing or infinite for {int(bad.sum())} managers: {id_list(np.asarray(self.manager_id)[bad])}",
                )
            )
        object.__setattr__(self, "shared_loadings", _frozen(loadings))
        names = (
            tuple(f"p{k + 1}" for k in range(loadings.shape[1]))
            if self.shared_names is None
            else tuple(str(x) for x in self.shared_names)
        )
        if len(names) != loadings.shape[1]:
            problems.append(
                Problem(
                    _SOURCE, None, "shared_names", f"has {len(names)} names for {loadings.shape[1]} shared parameters"
                )
            )
        object.__setattr__(self, "shared_names", names)
        if self.region_sigma_df is not None:
            rdf = float(self.region_sigma_df)
            if not np.isfinite(rdf) or rdf <= 0:
                problems.append(
                    Problem(
                        _SOURCE,
                        None,
                        "region_sigma_df",
                        f"must be above 0 (degrees of freedom); got {self.region_sigma_df}",
                    )
                )
            object.__setattr__(self, "region_sigma_df", rdf)

    @staticmethod
    def _per_manager(name: str, raw: Any, n: int, problems: list[Problem], numeric: bool = True) -> np.ndarray | None:
        values = np.asarray(raw.to_numpy() if isinstance(raw, pd.Series) else raw, dtype=float if numeric else object)
        if values.ndim == 0:
            values = np.full(n, values.item(), dtype=float if numeric else object)
        if values.shape != (n,):
            problems.append(
                Problem(
                    _SOURCE,
                    None,
                    name,
                    f"has {values.size} values but there are {n} managers (give one value per manager)",
                )
            )
            return None
        if not numeric:
            values = values.astype(str).astype(object)
        return _frozen(values)

    def _region_sigma(self, problems: list[Problem]) -> float | pd.Series:
        raw = self.region_sigma
        if isinstance(raw, (Mapping, pd.Series)):
            series = pd.Series(dict(raw) if isinstance(raw, Mapping) else raw, dtype=float)
            series.index = series.index.astype(str)
            if self.region is not None:
                missing = sorted(set(self.region) - set(series.index))
                if missing:
                    problems.append(
                        Problem(
                            _SOURCE, None, "region_sigma", f"no value for {len(missing)} regions: {id_list(missing)}"
                        )
                    )
            bad = ~np.isfinite(series.to_numpy()) | (series.to_numpy() < 0)
            if bad.any():
                problems.append(
                    Problem(
                        _SOURCE, None, "region_sigma", f"must be 0 or more for regions: {id_list(series.index[bad])}"
                    )
                )
            return series
        value = float(raw)
        if not np.isfinite(value) or value < 0:
            problems.append(Problem(_SOURCE, None, "region_sigma", f"must be 0 or more; got {raw}"))
        return value

    # ------------------------------------------------------------------ construction
    @property
    def shared_sd(self) -> np.ndarray:
        """Standard deviation of the shared parameter part of log Y per manager (0 without one)."""
        return np.sqrt(np.sum(self.shared_loadings**2, axis=1))

    def without_parameter_uncertainty(self) -> PerformanceModel:
        """The same model with no shared parameter draws and no region-variance draw."""
        return PerformanceModel(
            self.manager_id,
            self.region,
            self.base,
            self.mu,
            self.sigma,
            self.region_sigma,
            self.df,
            self.ramp,
            self.growth_uncertainty,
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        region_sigma: float | Mapping[str, float] | pd.Series = 0.0,
        df: float | None = None,
    ) -> PerformanceModel:
        """Build from a DataFrame with columns ``manager_id, region, base, mu, sigma``
        and optionally ``ramp`` and ``growth_uncertainty``."""
        required = ["manager_id", "region", "base", "mu", "sigma"]
        missing = [c for c in required if c not in frame.columns]
        if missing:
            raise ConfigError(
                f"The performance-model table lacks the column(s) {', '.join(missing)}; "
                f"it needs {', '.join(required)} (ramp and growth_uncertainty are optional)."
            )
        optional = {c: frame[c] for c in ("ramp", "growth_uncertainty") if c in frame.columns}
        return cls(
            frame["manager_id"],
            frame["region"],
            frame["base"],
            frame["mu"],
            frame["sigma"],
            region_sigma,
            df,
            **optional,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per manager with every parameter (region_sigma per manager)."""
        return pd.DataFrame(
            {
                "manager_id": self.manager_id,
                "region": self.region,
                "base": self.base,
                "ramp": self.ramp,
                "mu": self.mu,
                "sigma": self.sigma,
                "growth_uncertainty": self.growth_uncertainty,
                "parameter_sd": self.shared_sd,
                "region_sigma": self.manager_region_sigma,
                "median": self.median,
            }
        )

    # ------------------------------------------------------------------ derived values
    @property
    def n_managers(self) -> int:
        return int(self.manager_id.size)

    @cached_property
    def regions(self) -> np.ndarray:
        """Sorted distinct region labels; the region shock stream is laid out in this order."""
        return _frozen(np.array(sorted(set(self.region)), dtype=object))

    @cached_property
    def region_code(self) -> np.ndarray:
        """Position of each manager's region in :attr:`regions` (int64)."""
        lookup = {r: k for k, r in enumerate(self.regions)}
        return _frozen(np.array([lookup[r] for r in self.region], dtype=np.int64))

    @cached_property
    def region_sigma_by_region(self) -> np.ndarray:
        """Region shock standard deviation, aligned with :attr:`regions`."""
        if isinstance(self.region_sigma, pd.Series):
            return _frozen(self.region_sigma.reindex(self.regions).to_numpy(dtype=float))
        return _frozen(np.full(self.regions.size, self.region_sigma))

    @cached_property
    def manager_region_sigma(self) -> np.ndarray:
        return _frozen(self.region_sigma_by_region[self.region_code])

    @cached_property
    def log_median(self) -> np.ndarray:
        """Median of log Y: ``log(base) + log(ramp) + mu`` (all noise terms are symmetric)."""
        return _frozen(np.log(self.base) + np.log(self.ramp) + self.mu)

    @property
    def median(self) -> np.ndarray:
        """Median result per manager, currency units."""
        return np.exp(self.log_median)

    @property
    def noise_scale(self) -> float:
        """Factor turning a Student-t draw into unit variance (1 for normal noise)."""
        return 1.0 if self.df is None else float(np.sqrt((self.df - 2.0) / self.df))

    @cached_property
    def normal_sd(self) -> np.ndarray:
        """Standard deviation of the normal part of log Y (region shock and growth
        uncertainty, plus the manager noise when it is normal)."""
        var = self.manager_region_sigma**2 + self.growth_uncertainty**2 + self.shared_sd**2
        if self.df is None:
            var = var + self.sigma**2
        return _frozen(np.sqrt(var))

    @cached_property
    def log_sd(self) -> np.ndarray:
        """Total standard deviation of log Y per manager (any noise)."""
        return _frozen(
            np.sqrt(self.sigma**2 + self.growth_uncertainty**2 + self.manager_region_sigma**2 + self.shared_sd**2)
        )

    @property
    def has_closed_form(self) -> bool:
        """True when :meth:`hit_probability` and friends are exact: normal noise, or
        Student-t noise without region shock or growth uncertainty. A drawn
        region-shock variance (``region_sigma_df``) is taken at its mean there (the
        same variance; the scenario mixture's slightly heavier tails are ignored)."""
        return self.df is None or not np.any(self.normal_sd > 0)

    # ------------------------------------------------------------------ closed forms
    def _standard(self) -> tuple[np.ndarray, Any]:
        """(scale per manager, standard distribution) with log Y = log_median + scale * Z."""
        if not self.has_closed_form:
            raise ConfigError(
                "Exact probabilities are only available for normal noise, or Student-t noise "
                "without region shocks and growth uncertainty; use the Monte Carlo engine "
                "(calibrate.targets.simulation.attainment) for this model."
            )
        if self.df is None:
            return self.normal_sd, norm
        return self.sigma * self.noise_scale, student_t(self.df)

    def hit_probability(self, targets: ArrayLike) -> np.ndarray:
        """Exact P(Y_i >= T_i) per manager, in [0, 1].

        Normal noise: ``Phi((log_median_i - log T_i) / sqrt(sigma_i^2 + growth_uncertainty_i^2 + region_sigma^2))``.
        ``targets`` as accepted by :func:`align_targets`.
        """
        log_t = np.log(align_targets(self, targets))
        scale, dist = self._standard()
        gap = self.log_median - log_t
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(scale > 0, gap / np.where(scale > 0, scale, 1.0), np.where(gap >= 0, np.inf, -np.inf))
        return dist.cdf(z)

    def target_for_probability(self, p: float | ArrayLike) -> np.ndarray:
        """Exact target per manager with P(Y_i >= T_i) = p, currency units; p in (0, 1)."""
        p = np.asarray(p, dtype=float)
        if np.any(~(p > 0) | ~(p < 1)):
            raise ConfigError(f"A hit probability must lie strictly between 0 and 1; got {p.tolist()}.")
        scale, dist = self._standard()
        return np.exp(self.log_median + scale * dist.isf(p))

    def attainment_quantile(self, targets: ArrayLike, q: float) -> np.ndarray:
        """Exact q-quantile of the attainment ratio Y_i / T_i; q in (0, 1)."""
        log_t = np.log(align_targets(self, targets))
        scale, dist = self._standard()
        return np.exp(self.log_median - log_t + scale * dist.ppf(q))

    def expected_ratio(self, targets: ArrayLike) -> np.ndarray:
        """Exact E[Y_i / T_i]. Infinite under Student-t noise: a log-t result has no
        finite mean, so prefer medians and capped payouts in that case."""
        log_t = np.log(align_targets(self, targets))
        if self.df is not None and np.any(self.sigma > 0):
            return np.where(self.sigma > 0, np.inf, np.exp(self.log_median - log_t + self.normal_sd**2 / 2))
        return np.exp(self.log_median - log_t + self.log_sd**2 / 2)

    def summary(self) -> Summary:
        """Managers, regions, total median and the noise settings."""
        return Summary.from_values(
            "performance model",
            {
                "managers": int(self.n_managers),
                "regions": len(self.regions),
                "median_total": float(np.sum(self.median)),
                "df": self.df,
                "mean_log_sd": float(np.mean(self.log_sd)),
            },
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def align_targets(
    model: PerformanceModel, values: Any, *, name: str = "targets", allow_zero: bool = False
) -> np.ndarray:
    """Per-manager values aligned with ``model.manager_id`` (float64 array).

    Accepts a Series indexed by manager_id (matched by ID), a DataFrame with
    ``manager_id`` and ``target`` columns, a scalar (same for everyone), or an
    array/list in model order. Values must be finite and above 0 (or 0 and
    more with ``allow_zero``). Raises :class:`~calibrate.errors.ValidationError`
    naming the managers concerned.
    """
    ids = model.manager_id
    problems: list[Problem] = []
    if isinstance(values, pd.DataFrame):
        if not {"manager_id", "target"} <= set(values.columns):
            raise ConfigError(
                f"A {name} table needs the columns manager_id and target; it has {', '.join(map(str, values.columns))}."
            )
        values = pd.Series(values["target"].to_numpy(), index=values["manager_id"].astype(str))
    if isinstance(values, pd.Series):
        index = values.index.astype(str)
        dup = index[index.duplicated()].unique()
        if len(dup):
            raise ValidationError(
                [Problem(name, None, None, f"given more than once for {len(dup)} managers: {id_list(dup)}")]
            )
        series = pd.Series(values.to_numpy(), index=index)
        missing = pd.Index(ids).difference(index, sort=False)
        extra = index.difference(pd.Index(ids), sort=False)
        if len(missing):
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"missing for {len(missing)} managers: {id_list(missing)} "
                    "(give every manager in the model a value)",
                )
            )
        if len(extra):
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"given for {len(extra)} managers who are not in the performance model: {id_list(extra)}",
                )
            )
        if problems:
            raise ValidationError(problems)
        out = pd.to_numeric(series.reindex(ids), errors="coerce").to_numpy(dtype=float)
    else:
        out = np.asarray(values, dtype=float)
        if out.ndim == 0:
            out = np.full(ids.size, float(out))
        if out.shape != ids.shape:
            raise ValidationError(
                [Problem(name, None, None, f"has {out.size} values but the model has {ids.size} managers")]
            )
        out = out.copy()
    bad = ~np.isfinite(out) | ((out < 0) if allow_zero else (out <= 0))
    if bad.any():
        limit = "0 or more" if allow_zero else "above 0"
        raise ValidationError(
            [Problem(name, None, None, f"missing or not {limit} for {int(bad.sum())} managers: {id_list(ids[bad])}")]
        )
    return out

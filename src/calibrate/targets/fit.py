"""Fit the performance model from quarterly revenue history.

The model behind the fit (all in natural logs of quarterly revenue ``y``)::

    y[i,t] = season[q(t)] + log ramp(tenure[i,t]) + z[i,t]
    z[i,t] = L[i,t] + eps[i,t]                            transient noise (lumpy deals)
    L[i,t] = L[i,t-1] + g[i] / 4 + eta[i,t] + rho[r(i),t]   a random walk with drift

``g[i]`` is the manager's annual log growth, ``eta`` the manager's own
permanent shock, ``rho`` a shock shared by the managers of a region (anything
common to a whole region in a quarter), ``eps`` a transient deviation that does
not carry into the next quarter. Next year's revenue is the sum of its four
quarters; the fit turns it into a :class:`~calibrate.targets.model.PerformanceModel`.

How each piece is estimated
---------------------------
* **Ramp of new hires**: two regressions with region x quarter fixed effects.
  Levels: log revenue on tenure-quarter dummies (tenure 0 .. ``ramp_window`` - 1)
  and job-level dummies, i.e. a new hire's revenue relative to veterans of the
  same region, quarter and level. Changes: quarter-to-quarter log changes on
  tenure dummies, i.e. how much faster new hires grow than veterans; each
  manager's own base cancels, so these are far more precise than the levels.
  The learning curve ``share(k) = 1 - A exp(-k / tau)`` is fitted to both by
  weighted least squares (weights: observations / residual variance).
  With fewer than ``min_new_hires`` managers seen in their first year the
  planners' default is used instead: 50% of a veteran in the first year, rising
  linearly to 100% at tenure quarter 8 (:func:`~calibrate.targets.calibration.ramp_share`);
  ``ramp_first_year_share`` replaces the 50% and always wins over the data.
* **Seasonality**: quarter-to-quarter changes of de-ramped log revenue regressed
  on effect-coded calendar-quarter dummies within managers (each manager's own
  drift removed); the factors sum to zero over a year. It needs every
  quarter-to-quarter transition at least once (five consecutive quarters);
  with less the factors are set to 0 and a note says so.
* **Growth with shrinkage** (empirical Bayes): each manager's raw drift is
  ``(z_last - z_first) / span``; its sampling variance follows from the noise
  variances below. The between-manager variance ``tau^2`` is the
  DerSimonian-Laird moment estimate, and each manager's growth is pulled toward
  the precision-weighted team mean by ``B = se^2 / (se^2 + tau^2)`` (the
  ``shrinkage`` column: 0 = own history only, 1 = team mean only). Chosen over a
  MixedLM random intercept because managers' sampling variances differ a lot
  (new hires have a few quarters, veterans many) and the per-manager
  shrinkage factor is the number a reviewer wants to see; the moment estimator
  is closed-form and never fails to converge.
* **Region shocks**: a one-way random-effects ANOVA of the growth residuals
  grouped by region x quarter (between minus within mean squares), corrected
  for the per-manager demeaning. One value for all regions.
* **Idiosyncratic noise**: method of moments on the residuals with the region
  part removed: the variance and lag-1 autocovariance of the changes give the
  permanent (``eta``) and transient (``eps``) variances (a negative lag-1
  autocovariance means transient noise). Per manager the variance is shrunk
  toward the pooled one (Smyth 2004, prior degrees of freedom by moments, with
  the sampling variance widened for the measured kurtosis).
* **Heavy tails**: Student-t degrees of freedom by maximum likelihood on the
  standardised residuals (quarterly). A sum of four quarters has a lighter tail:
  the annual excess kurtosis is the quarterly one (``6 / (df - 4)``) times
  ``sum c^4 / (sum c^2)^2`` over the weights ``c`` of the shocks in the annual
  total, and ``df = 4 + 6 / kurtosis``. Above 100 (or with ``heavy_tails=False``)
  the noise is normal.
* **Current level**: a Kalman filter of the local-level model (with the
  shrunk drift) gives each manager's level at the last quarter and its variance
  (the last de-seasonalised, de-ramped value when there is no transient noise).

Next year's model per manager
-----------------------------
With ``w_j`` the share of quarter ``j`` in the year at the current run-rate and
``h_j`` the quarters from the last observation to quarter ``j``:

* ``base = sum_j exp(L + season_j + log ramp(tenure_j))``: next year's revenue at
  today's run-rate, seasonality and ramp progress included (same unit as revenue);
* ``mu = log sum_j w_j exp(h_j g / 4)``: the log growth of next year's total over
  ``base`` (about 0.6 x the annual growth when the year starts right after the data);
* ``sigma^2 = sigma_eta^2 sum_m c_m^2 + sigma_eps^2 sum_j w_j^2`` with
  ``c_m = sum_{j: h_j >= m} w_j``: permanent shocks keep acting on every later
  quarter, transient ones on their own quarter only;
* ``region_sigma^2 = sigma_rho^2 sum_m c_m^2`` (company-average weights);
* ``growth_uncertainty^2 = (se_g sum_j w_j h_j / 4)^2 + var(L)``: the posterior
  uncertainty of growth and current level (normal, drawn afresh per scenario).

Managers without history (hired after the last quarter, before the plan year)
start from the average veteran level of their job level, with the spread of
veteran levels as level uncertainty and the team's growth.

Parameter uncertainty (``parameter_uncertainty=True``, the default)
----------------------------------------------------------------------
The team-level estimates are shared by every manager, so their sampling error
moves all managers together and widens the team share (per-manager errors
average out, shared ones do not). Each is treated as **normal on the estimate
with its standard error** (a large-sample approximation):

* team growth mean: the DerSimonian-Laird variance ``1 / sum 1/(se_i^2 + tau^2)``
  plus the part of the region shocks the managers share
  (``sigma_rho^2 / span * sum_r share_r^2``, the managers being clustered in regions);
* seasonal factors: the three free contrasts of the within-manager
  regression with a cluster-robust (by manager) sandwich covariance, which
  allows for the serial correlation of a manager's changes;
* new-hire ramp (estimated from data only): the covariance of the learning
  curve's amplitude and time scale from the Gauss-Newton approximation
  ``(J'J)^-1`` of the weighted least squares, scaled up by the residual
  variance when it exceeds 1 (a configured or default ramp is a choice, not
  an estimate: no error);
* region effects: the region-shock variance from the one-way ANOVA is drawn
  per scenario as ``estimate x chi2_d / d`` with Satterthwaite's degrees of
  freedom ``d = 2 var_b^2 / Var(var_b)``.

Their effect on each manager's log median is linearised (delta method): the
fit's later stages (de-ramping, de-seasonalising, drift with the shrinkage
factors held fixed, Kalman level, next year's sum) are re-run with each
parameter moved by +-0.1 standard errors (central differences), giving a
managers x parameters Jacobian ``J``; with the parameters' covariance
``C = L L'`` the model's ``shared_loadings`` are ``J L``, drawn once per
scenario by the Monte Carlo (:mod:`calibrate.targets.simulation`). The
variance components themselves (noise, tails) are held at their estimates.
``managers`` reports the resulting ``parameter_sd`` per manager.

>>> fit = fit_performance_model(load_dataset("data/sample/calibrate.yaml"))   # doctest: +SKIP
>>> fit.model.to_frame().head()                                                # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from calibrate.dataset import Dataset
from calibrate.errors import CalibrateError, ConfigError, Problem, ValidationError
from calibrate.periods import parse_quarter, quarter_from_index, quarter_index, quarter_of_date
from calibrate.results import Summary
from calibrate.targets.calibration import ramp_share
from calibrate.targets.model import PerformanceModel, id_list

RAMP_WINDOW = 8  # tenure quarters treated as ramping; veterans from here on
MIN_NEW_HIRES = 15  # managers seen in their first year needed to estimate the ramp
DEFAULT_FIRST_YEAR_SHARE = 0.5
_DF_NORMAL = 100.0  # above this many degrees of freedom the noise is treated as normal
_DF_MIN = 2.5


class InsufficientHistory(CalibrateError):
    """The revenue history is too short to fit the performance model."""


# ---------------------------------------------------------------------------- ramp
@dataclass(frozen=True)
class RampEstimate:
    """Revenue of a new hire as a share of a veteran's, by tenure quarter (0 = first quarter).

    ``source`` is ``"data"`` (learning curve ``1 - amplitude * exp(-k / scale)``
    fitted to the observed ratios), ``"default"`` (too few new hires: 50% in
    year one, linear to 100% at quarter 8) or ``"config"`` (the configured
    first-year share on the same linear curve). ``table`` holds the observed
    ratios per tenure quarter when estimated from data.
    """

    source: Literal["data", "default", "config"]
    first_year_share: float
    amplitude: float | None = None
    scale: float | None = None
    new_hires: int = 0
    table: pd.DataFrame | None = None
    covariance: np.ndarray | None = None

    def with_parameters(self, amplitude: float, scale: float) -> RampEstimate:
        """The same curve with other amplitude and time scale (data-fitted ramps only)."""
        amplitude = float(np.clip(amplitude, 0.0, 0.995))
        scale = float(max(scale, 0.05))
        first_year = float(np.mean(1 - amplitude * np.exp(-np.arange(4) / scale)))
        return RampEstimate("data", first_year, amplitude, scale, self.new_hires, self.table, self.covariance)

    @property
    def standard_errors(self) -> tuple[float, float] | None:
        """(amplitude, scale) standard errors of a data-fitted ramp, else None."""
        if self.covariance is None:
            return None
        return float(np.sqrt(self.covariance[0, 0])), float(np.sqrt(self.covariance[1, 1]))

    def share(self, tenure_quarters: Any) -> np.ndarray:
        """Share of a veteran's revenue (0-1] at the given tenure quarters (>= 0; negative counts as 0)."""
        k = np.maximum(np.asarray(tenure_quarters, dtype=float), 0.0)
        if self.source == "data":
            return 1.0 - self.amplitude * np.exp(-k / self.scale)
        return ramp_share(k, first_year_share=self.first_year_share)

    def to_frame(self, max_tenure: int = 12) -> pd.DataFrame:
        """tenure_quarter 0..max_tenure, share (the curve used), and observations and
        observed_share where the data gave them."""
        k = np.arange(max_tenure + 1)
        out = pd.DataFrame({"tenure_quarter": k, "share": self.share(k)})
        if self.table is not None:
            out = out.merge(self.table, on="tenure_quarter", how="left")
        else:
            out["observations"] = 0
            out["observed_share"] = np.nan
        out["observations"] = out["observations"].fillna(0).astype(int)
        return out

    def summary(self) -> Summary:
        """Source, first-year share and the curve's parameters."""
        return Summary.from_values(
            "new-hire ramp",
            {
                "source": self.source,
                "first_year_share": float(self.first_year_share),
                "amplitude": self.amplitude,
                "scale": self.scale,
                "new_hires": int(self.new_hires),
            },
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def _ramp_from_data(
    y: np.ndarray,
    tenure: np.ndarray,
    region: np.ndarray,
    level: np.ndarray,
    window: int,
    min_new_hires: int,
    override: float | None,
) -> RampEstimate:
    """Learning curve fitted to two sets of evidence, each from a regression with region x
    quarter fixed effects (absorbed by demeaning):

    * levels: log revenue on tenure dummies 0..window-1 and job-level dummies, i.e. a new
      hire's revenue relative to veterans of the same region, quarter and level;
    * changes: the quarter-to-quarter change of log revenue on tenure dummies 1..window-1,
      i.e. how much faster new hires grow than veterans in the same region and quarter
      (each manager's own base cancels, so these are far more precise).

    The curve ``1 - A exp(-k / tau)`` is fitted to both by weighted least squares
    (weights = observations / residual variance of each regression)."""
    if override is not None:
        return RampEstimate("config", float(override))
    obs = np.isfinite(y) & (tenure >= 0)
    n_new = int(np.any(obs & (tenure < 4), axis=1).sum())
    if n_new < min_new_hires:
        return RampEstimate("default", DEFAULT_FIRST_YEAR_SHARE, new_hires=n_new)
    levels = pd.unique(level)
    mi, ti = np.nonzero(obs)
    k = tenure[mi, ti]
    x = np.column_stack(
        [(k == j).astype(float) for j in range(window)] + [(level[mi] == lv).astype(float) for lv in levels[1:]]
    )
    gamma, n_lev, var_lev = _fixed_effect_ols(y[mi, ti], x, region[mi], ti, window)
    change = np.zeros_like(obs)
    change[:, 1:] = obs[:, 1:] & obs[:, :-1]
    mi, ti = np.nonzero(change)
    k = tenure[mi, ti]
    x = np.column_stack([(k == j).astype(float) for j in range(1, window)])
    delta, n_chg, var_chg = _fixed_effect_ols(y[mi, ti] - y[mi, ti - 1], x, region[mi], ti, window - 1)
    k_lev, k_chg = np.arange(window), np.arange(1, window)
    use_lev, use_chg = n_lev > 0, n_chg > 0
    w_lev = np.sqrt(n_lev[use_lev] / var_lev) if var_lev > 0 else np.ones(use_lev.sum())
    w_chg = np.sqrt(n_chg[use_chg] / var_chg) if var_chg > 0 else np.ones(use_chg.sum())

    def log_share(kk: np.ndarray, a: float, tau: float) -> np.ndarray:
        return np.log1p(-a * np.exp(-kk / tau))

    def residuals(par: np.ndarray) -> np.ndarray:
        a, tau = par
        r_lev = w_lev * (gamma[use_lev] - log_share(k_lev[use_lev], a, tau))
        inc = log_share(k_chg, a, tau) - log_share(k_chg - 1, a, tau)
        return np.concatenate([r_lev, w_chg * (delta[use_chg] - inc[use_chg])])

    a0 = float(np.clip(1 - np.exp(gamma[0]), 0.05, 0.95)) if use_lev[0] else 0.5
    sol = optimize.least_squares(residuals, x0=[a0, 3.0], bounds=([0.0, 0.2], [0.99, 24.0]))
    amplitude, scale = (float(v) for v in sol.x)
    table = pd.DataFrame(
        {
            "tenure_quarter": k_lev,
            "observations": n_lev,
            "observed_share": np.where(use_lev, np.exp(gamma), np.nan),
            "observed_growth": np.concatenate([[np.nan], np.where(use_chg, delta, np.nan)]),
        }
    )
    first_year = float(np.mean(1 - amplitude * np.exp(-np.arange(4) / scale)))
    jac = np.asarray(sol.jac, dtype=float)
    dof = sol.fun.size - 2
    covariance = None
    if dof > 0 and np.linalg.matrix_rank(jac) == 2:
        inflation = max(1.0, float(sol.fun @ sol.fun) / dof)
        covariance = np.linalg.inv(jac.T @ jac) * inflation
    return RampEstimate("data", first_year, amplitude, scale, n_new, table, covariance)


def _fixed_effect_ols(
    yv: np.ndarray, x: np.ndarray, region: np.ndarray, ti: np.ndarray, n_report: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS of ``yv`` on ``x`` within region x quarter cells.

    Returns (coefficients of the first ``n_report`` columns, NaN where unidentified;
    observations with each of those columns = 1; residual variance)."""
    cell = pd.factorize(pd.Series(region).astype(str) + "|" + ti.astype(str))[0]
    counts = np.bincount(cell)
    keep = counts[cell] > 1
    cell, x, yv = pd.factorize(cell[keep])[0], x[keep], yv[keep]
    size = np.bincount(cell).astype(float)
    xd = (
        x
        - np.stack([np.bincount(cell, x[:, c], minlength=size.size) for c in range(x.shape[1])], axis=1)[cell]
        / size[cell, None]
    )
    yd = yv - (np.bincount(cell, yv) / size)[cell]
    n_col = x.sum(axis=0).astype(int)
    usable = n_col > 0
    coef = np.full(x.shape[1], np.nan)
    if usable.any():
        coef[usable] = np.linalg.lstsq(xd[:, usable], yd, rcond=None)[0]
    resid = yd - xd[:, usable] @ coef[usable]
    dof = yd.size - size.size - int(usable.sum())
    var = float(resid @ resid / dof) if dof > 0 else 0.0
    return coef[:n_report], n_col[:n_report], var


# ---------------------------------------------------------------------------- seasonality
def _season_from_changes(dz: np.ndarray, pair: np.ndarray, quarter_of_col: np.ndarray) -> np.ndarray | None:
    """Log seasonal factors (index 0..3 = Q1..Q4, mean 0) from within-manager changes; None if not identified.

    ``dz`` (managers x columns) holds the change into column t from column t-1 where
    ``pair`` is True."""
    fitted = _season_regression(dz, pair, quarter_of_col)
    return None if fitted is None else season_factors(fitted[0])


def season_factors(contrasts: np.ndarray) -> np.ndarray:
    """Log seasonal factors Q1..Q4 (mean 0) from the three quarter-to-quarter contrasts d2, d3, d4."""
    d = np.asarray(contrasts, dtype=float)
    s = np.array([0.0, d[0], d[0] + d[1], d[0] + d[1] + d[2]])
    return s - s.mean()


def _season_regression(
    dz: np.ndarray, pair: np.ndarray, quarter_of_col: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(contrasts d2, d3, d4; their cluster-robust covariance, clusters = managers) or None."""
    mi, ti = np.nonzero(pair)
    if mi.size == 0:
        return None
    q = quarter_of_col[ti]  # calendar quarter 1..4 entered
    if len(set(q.tolist())) < 4:
        return None
    x = np.zeros((mi.size, 3))
    for c, quarter in enumerate((2, 3, 4)):
        x[:, c] = (q == quarter).astype(float) - (q == 1)
    yv = dz[mi, ti]
    counts = np.bincount(mi)
    sums_y = np.bincount(mi, yv) / np.where(counts > 0, counts, 1)
    xd = x - np.stack([np.bincount(mi, x[:, c]) for c in range(3)], axis=1)[mi] / counts[mi, None]
    yd = yv - sums_y[mi]
    if np.linalg.matrix_rank(xd) < 3:
        return None
    d = np.linalg.lstsq(xd, yd, rcond=None)[0]  # d_2, d_3, d_4; d_1 = -(d_2 + d_3 + d_4)
    resid = yd - xd @ d
    bread = np.linalg.inv(xd.T @ xd)
    score = np.stack([np.bincount(mi, xd[:, c] * resid, minlength=counts.size) for c in range(3)], axis=1)
    clusters = int(np.sum(counts > 0))
    small = clusters / (clusters - 1) if clusters > 1 else 1.0
    return d, small * bread @ (score.T @ score) @ bread


# ---------------------------------------------------------------------------- variance components
def _region_variance(
    resid: np.ndarray, pair: np.ndarray, region: np.ndarray, n_changes: np.ndarray
) -> tuple[float, np.ndarray, float | None]:
    """(sigma_rho^2, shrunk region x quarter effect per change, in ``np.nonzero(pair)`` order)
    by one-way random-effects ANOVA (between minus within mean squares)."""
    mi, ti = np.nonzero(pair)
    groups = pd.factorize(pd.Series(region[mi]).astype(str) + "|" + ti.astype(str))[0]
    e = resid[mi, ti]
    g = groups.max() + 1 if groups.size else 0
    if g < 2 or e.size <= g:
        return 0.0, np.zeros_like(e), None
    n_g = np.bincount(groups, minlength=g).astype(float)
    mean_g = np.bincount(groups, e, minlength=g) / n_g
    grand = e.mean()
    ssb = np.sum(n_g * (mean_g - grand) ** 2)
    ssw = np.sum((e - mean_g[groups]) ** 2)
    msb, msw = ssb / (g - 1), ssw / (e.size - g)
    n0 = (e.size - np.sum(n_g**2) / e.size) / (g - 1)
    var_b = max(0.0, (msb - msw) / n0)
    # every manager's changes were demeaned, which removes about 1/n of a shared shock
    keep = 1.0 - np.mean(1.0 / n_changes[mi])
    var_b = var_b / keep if keep > 0 else 0.0
    lam = var_b / (var_b + msw / n_g) if var_b > 0 else np.zeros(g)
    # Satterthwaite: Var(var_b) ~ 2 / n0^2 (msb^2 / (g - 1) + msw^2 / (N - g)), on the corrected scale
    var_of = 2.0 / n0**2 * (msb**2 / (g - 1) + msw**2 / (e.size - g)) / (keep**2 if keep > 0 else 1.0)
    df_b = float(2 * var_b**2 / var_of) if var_b > 0 and var_of > 0 else None
    return float(var_b), (lam * mean_g)[groups], df_b


def _local_level_moments(e: np.ndarray, pair: np.ndarray, n_changes: np.ndarray) -> tuple[float, float]:
    """(gamma0, gamma1): variance and lag-1 autocovariance of the idiosyncratic changes,
    corrected for the per-manager demeaning (E e^2 = g0 - (g0 + 2 g1) / n, E e_t e_t+1 = g1 - (g0 + 2 g1) / n)."""
    sq = np.where(pair, e, 0.0) ** 2
    lagged = pair[:, 1:] & pair[:, :-1]
    prod = np.where(lagged, e[:, 1:] * np.where(lagged, e[:, :-1], 0.0), 0.0)
    n = np.where(n_changes > 0, n_changes, np.inf)[:, None]
    s_sq, s_prod = sq.sum(), prod.sum()
    c_sq, c_prod = pair.sum(), lagged.sum()
    if c_sq == 0:
        return 0.0, 0.0
    # sum over terms of the expectation coefficients: E[sum sq] = a0 g0 + a1 g1 ; E[sum prod] = b0 g0 + b1 g1
    inv_sq = np.sum(np.where(pair, 1.0 / n, 0.0))
    inv_prod = np.sum(np.where(lagged, 1.0 / n[:, :1], 0.0))
    a = np.array([[c_sq - inv_sq, -2 * inv_sq], [-inv_prod, c_prod - 2 * inv_prod]])
    if c_prod == 0 or abs(np.linalg.det(a)) < 1e-12:
        return float(s_sq / max(c_sq - inv_sq, 1.0)), 0.0
    g0, g1 = np.linalg.solve(a, [s_sq, s_prod])
    return float(max(g0, 0.0)), float(g1)


def _shrunk_variances(e: np.ndarray, pair: np.ndarray, kurtosis: float) -> tuple[np.ndarray, float, float]:
    """Per-manager variance of the changes shrunk toward a common prior (Smyth 2004).

    Returns (posterior variance per manager, prior variance s0^2, prior degrees of freedom d0)."""
    n = pair.sum(axis=1)
    has = n >= 2
    dfree = np.where(has, n - 1, 0).astype(float)
    mean_e = np.where(n > 0, np.where(pair, e, 0.0).sum(axis=1) / np.maximum(n, 1), 0.0)
    ss = np.where(pair, (e - mean_e[:, None]) ** 2, 0.0).sum(axis=1)
    v = np.where(has, ss / np.maximum(dfree, 1), np.nan)
    ok = has & (v > 0)
    if ok.sum() < 3:
        pooled = float(np.nansum(ss) / max(dfree.sum(), 1.0))
        return np.full(e.shape[0], pooled), pooled, np.inf
    d = dfree[ok]
    z = np.log(v[ok])
    adj = z - special.digamma(d / 2) + np.log(d / 2)
    emean = adj.mean()
    sampling = special.polygamma(1, d / 2) + max(kurtosis, 0.0) / (d + 1)  # log-variance noise, kurtosis-widened
    evar = np.sum((adj - emean) ** 2) / (adj.size - 1) - sampling.mean()
    if evar > 1e-8:
        d0 = 2 * _trigamma_inverse(evar)
        s0 = float(np.exp(emean + special.digamma(d0 / 2) - np.log(d0 / 2)))
    else:
        d0 = np.inf
        s0 = float(np.sum(ss[ok]) / np.sum(d))
    if np.isinf(d0):
        post = np.full(e.shape[0], s0)
    else:
        post = np.where(has, (dfree * np.nan_to_num(v) + d0 * s0) / (dfree + d0), s0)
    return post, s0, float(d0)


def _trigamma_inverse(x: float) -> float:
    """y with trigamma(y) = x (Newton iteration of Smyth 2004)."""
    if x > 1e7:
        return 1.0 / np.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = special.polygamma(1, y)
        dif = tri * (1 - tri / x) / special.polygamma(2, y)
        y += dif
        if -dif / y < 1e-8:
            break
    return float(y)


def _t_degrees_of_freedom(z: np.ndarray) -> float | None:
    """Student-t degrees of freedom of standardised residuals by maximum likelihood (None: normal)."""
    z = z[np.isfinite(z)]
    if z.size < 30:
        return None
    df, _, _ = stats.t.fit(z, floc=0.0)
    df = float(np.clip(df, _DF_MIN, 1e6))
    return None if df > _DF_NORMAL else df


def annual_degrees_of_freedom(quarterly_df: float | None, weights: np.ndarray) -> float | None:
    """Degrees of freedom of a weighted sum of independent Student-t shocks by matching kurtosis.

    ``weights`` are the loadings of the shocks in the sum (any scale). Excess kurtosis of
    t(df) is 6 / (df - 4); a sum has ``kurtosis * sum w^4 / (sum w^2)^2``; back to
    ``df = 4 + 6 / kurtosis``. For df <= 4 (infinite kurtosis) the tail index is kept.
    Example: quarterly df 5 with weights (1, .75, .5, .25) -> about 6.5.
    """
    if quarterly_df is None:
        return None
    if quarterly_df <= 4:
        return float(quarterly_df)
    w = np.asarray(weights, dtype=float)
    ratio = np.sum(w**4) / np.sum(w**2) ** 2
    kurt = 6.0 / (quarterly_df - 4) * ratio
    df = 4 + 6 / kurt
    return None if df > _DF_NORMAL else float(df)


# ---------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class PerformanceFit:
    """The fitted performance model for next year and everything estimated on the way.

    ``model`` is the :class:`PerformanceModel` (annual revenue, same currency unit
    as the performance table). Rates are natural-log rates: ``growth_mean``
    0.08 is about +8% a year. ``managers`` has one row per manager in the model
    (see :meth:`to_frame`); ``notes`` lists every fallback that was used.
    """

    model: PerformanceModel
    year: int
    horizon: tuple[str, ...]
    first_quarter: str
    last_quarter: str
    season: pd.Series
    season_estimated: bool
    ramp: RampEstimate
    growth_mean: float
    growth_between_sd: float
    quarterly_sd: float
    permanent_share: float
    region_sd_quarterly: float
    quarterly_df: float | None
    annual_df: float | None
    prior_df: float
    managers: pd.DataFrame
    notes: tuple[str, ...]
    parameter_estimates: dict[str, float] = dataclasses.field(default_factory=dict)
    parameter_se: dict[str, float] = dataclasses.field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per manager: manager_id, region, level, tenure_quarters (at the start of
        the plan year), new_hire, quarters_observed, last_year_actual (sum of the last
        four quarters when all present), growth_raw / growth_se (own history, annual
        log growth), shrinkage (0-1, weight on the team mean), growth (shrunk) and
        growth_sd, sigma_quarterly, and the model's base, mu, sigma,
        growth_uncertainty, region_sigma and median (next year's median revenue)."""
        return self.managers.copy()

    def to_dict(self) -> dict[str, Any]:
        """The team-level estimates as plain numbers (for JSON and reports)."""
        return {
            "year": self.year,
            "first_quarter": self.first_quarter,
            "last_quarter": self.last_quarter,
            "managers": self.model.n_managers,
            "season": {f"Q{q}": float(v) for q, v in self.season.items()},
            "season_estimated": self.season_estimated,
            "ramp_source": self.ramp.source,
            "ramp_first_year_share": self.ramp.first_year_share,
            "ramp_new_hires": self.ramp.new_hires,
            "growth_mean": self.growth_mean,
            "growth_between_sd": self.growth_between_sd,
            "mean_shrinkage": float(self.managers["shrinkage"].mean()),
            "quarterly_sd": self.quarterly_sd,
            "permanent_share": self.permanent_share,
            "region_sd_quarterly": self.region_sd_quarterly,
            "region_sigma_annual": float(self.model.region_sigma_by_region.max()),
            "quarterly_df": self.quarterly_df,
            "annual_df": self.annual_df,
            "prior_df": None if np.isinf(self.prior_df) else self.prior_df,
            "median_total": float(self.model.median.sum()),
            "parameter_uncertainty": bool(
                np.asarray(self.model.shared_loadings).shape[1] or self.model.region_sigma_df
            ),
            "parameter_se": dict(self.parameter_se),
            "region_sigma_df": self.model.region_sigma_df,
            "notes": list(self.notes),
        }

    def summary(self) -> Summary:
        """The team-level estimates (:meth:`to_dict`) as a table, the fallbacks as notes."""
        return Summary.from_values(f"performance model for {self.year}", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


# ---------------------------------------------------------------------------- the fit
def fit_performance_model(
    data: Dataset | pd.DataFrame,
    managers: pd.DataFrame | None = None,
    *,
    through: str | None = None,
    year: int | None = None,
    manager_ids: Sequence[str] | None = None,
    heavy_tails: bool = True,
    ramp_first_year_share: float | None = None,
    min_new_hires: int = MIN_NEW_HIRES,
    ramp_window: int = RAMP_WINDOW,
    remaining: bool = False,
    parameter_uncertainty: bool = True,
) -> PerformanceFit:
    """Fit next year's :class:`PerformanceModel` from the quarterly ``performance`` table.

    data, managers
        A :class:`~calibrate.dataset.Dataset`, or a performance table (manager_id,
        period like ``"2024Q3"``, revenue >= 0 in any currency unit) with a managers
        table (manager_id, region, hire_date, optional level and leave_date).
    through
        Last quarter used (e.g. ``"2024Q4"`` for a backtest); default the last in the data.
    year
        The plan year (default: the year after ``through``); its four quarters must
        come after ``through``.
    manager_ids
        Managers to model (default: those with revenue in the last quarter who have
        not left before the plan year, plus managers hired after it and by the plan
        year's first quarter). Managers without history get the team's prior.
    heavy_tails
        Estimate Student-t noise (False: normal noise).
    ramp_first_year_share
        Override of the new-hire ramp: share of a veteran's revenue in year one, in (0, 1].
    min_new_hires, ramp_window
        Managers seen in their first year needed to estimate the ramp from data
        (default 15), and tenure quarters treated as ramping (default 8).
    remaining
        With ``through`` inside the plan year, model only the plan year's quarters
        after ``through`` (the rest of the year, for a review conditioned on the
        realised quarters: :mod:`calibrate.targets.review`); without it the plan
        year must start after ``through``.
    parameter_uncertainty
        Propagate the estimation error of the team growth mean, the seasonal
        factors, the ramp and the region-shock variance into the model (drawn
        once per scenario by the Monte Carlo; see the module docstring). False:
        the estimates are taken as known (the behaviour before this option).

    Raises :class:`InsufficientHistory` with fewer than two quarters of revenue.
    """
    perf, mgr = _inputs(data, managers)
    if ramp_first_year_share is not None and not 0 < float(ramp_first_year_share) <= 1:
        raise ConfigError(
            f"targets: ramp_first_year_share must be above 0 and at most 1 (a share of a "
            f"veteran's revenue, e.g. 0.5); got {ramp_first_year_share}."
        )
    notes: list[str] = []
    panel = _panel(perf, mgr, through, year, manager_ids, notes, remaining)
    ramp, y_deramped = _ramp_stage(panel, ramp_window, min_new_hires, ramp_first_year_share, notes)
    season, season_estimated, z, dz, pair = _seasonality_stage(panel, y_deramped, notes)
    drift = _raw_growth(panel, z, dz, pair)
    shocks = _region_shocks_and_noise(panel, drift, dz, pair)
    tails = _tails_stage(shocks, pair, heavy_tails)
    growth = _growth_shrinkage(drift, shocks, tails)
    level_now, level_var = _current_level(panel, z, drift, shocks, tails, growth, ramp_window, notes)
    return _next_year(
        panel,
        ramp,
        season,
        season_estimated,
        drift,
        shocks,
        tails,
        growth,
        level_now,
        level_var,
        heavy_tails,
        ramp_window,
        notes,
        parameter_uncertainty,
    )


# ---------------------------------------------------------------------------- the fit, stage by stage
@dataclass(frozen=True)
class _Panel:
    """Managers x quarters matrices of the history used (rows ``ids``; columns quarters ``first..last``)."""

    ids: pd.Index
    chosen: list
    first: int
    last: int
    n_q: int
    horizon_idx: np.ndarray
    plan_year: int
    y: np.ndarray  # log revenue (NaN where missing or not positive)
    raw_rev: np.ndarray  # revenue
    region: np.ndarray
    level: np.ndarray
    hires: np.ndarray  # hire quarter index per manager
    tenure: np.ndarray  # tenure quarters per manager and column
    quarter_of_col: np.ndarray  # calendar quarter 1-4 of each column


def _panel(
    perf: pd.DataFrame,
    mgr: pd.DataFrame,
    through: str | None,
    year: int | None,
    manager_ids: Sequence[str] | None,
    notes: list[str],
    remaining: bool = False,
) -> _Panel:
    """Stage 1: the history up to ``through``, the plan year, the managers to plan for, the matrices."""
    quarters = quarter_index(perf["period"])
    last = quarters.max() if through is None else _quarter(through, "through")
    keep = quarters <= last
    perf, quarters = perf.loc[keep], quarters[keep]
    if perf.empty:
        raise InsufficientHistory(
            f"There is no revenue up to {quarter_from_index(int(last))}; "
            "the performance table needs quarters up to that one."
        )
    first = int(quarters.min())
    last = int(last)
    n_q = last - first + 1
    if np.unique(quarters).size < 2:
        raise InsufficientHistory(
            "At least two quarters of revenue are needed to estimate growth; the data "
            f"has only {quarter_from_index(first)}."
        )
    plan_year = (last // 4) + 1 if year is None else int(year)
    horizon_idx = np.arange(plan_year * 4, plan_year * 4 + 4)
    if horizon_idx[0] <= last and remaining:
        horizon_idx = horizon_idx[horizon_idx > last]  # a review within the year: the quarters still to come
    if horizon_idx.size == 0 or horizon_idx[0] <= last:
        raise ConfigError(
            f"The plan year {plan_year} must come after the last quarter used ({quarter_from_index(last)})."
        )
    mgr = mgr.set_index("manager_id")
    hire_q = np.array([quarter_index([quarter_of_date(d)])[0] for d in mgr["hire_date"]])
    hire_of = pd.Series(hire_q, index=mgr.index)
    leave_of = None
    if "leave_date" in mgr.columns:
        leave_of = pd.Series(
            [
                quarter_index([quarter_of_date(d)])[0] if pd.notna(d) else np.iinfo(np.int64).max
                for d in mgr["leave_date"]
            ],
            index=mgr.index,
        )
    in_perf = pd.Index(pd.unique(perf["manager_id"]))
    if manager_ids is None:
        at_last = set(perf.loc[quarters == last, "manager_id"])
        chosen = [m for m in in_perf if m in at_last and (leave_of is None or leave_of[m] >= horizon_idx[0])]
        later = mgr.index[(hire_of > last) & (hire_of <= horizon_idx[0])]
        chosen += [m for m in later if (leave_of is None or leave_of[m] >= horizon_idx[0]) and m not in chosen]
        if not chosen:
            raise InsufficientHistory(
                f"No manager has revenue in {quarter_from_index(last)}, the last quarter "
                "used; nobody can be planned for."
            )
    else:
        chosen = [str(m) for m in manager_ids]
        unknown = [m for m in chosen if m not in mgr.index]
        if unknown:
            raise ValidationError(
                [
                    Problem(
                        "managers",
                        None,
                        "manager_id",
                        f"{len(unknown)} managers to plan for are not in the managers table: {id_list(unknown)}",
                    )
                ]
            )
    ids = pd.Index(list(in_perf) + [m for m in chosen if m not in in_perf])
    n = ids.size
    col = quarters - first
    row = ids.get_indexer(perf["manager_id"])
    y = np.full((n, n_q), np.nan)
    revenue = perf["revenue"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        y[row, col] = np.where(revenue > 0, np.log(revenue), np.nan)
    nonpositive = int(np.sum(~(revenue > 0)))
    if nonpositive:
        notes.append(f"{nonpositive} manager-quarters with zero revenue were left out of the growth estimates.")
    raw_rev = np.full((n, n_q), np.nan)
    raw_rev[row, col] = revenue
    region = mgr["region"].reindex(ids).astype(str).to_numpy(dtype=object)
    level = (
        mgr["level"].reindex(ids).fillna("").astype(str).to_numpy(dtype=object)
        if "level" in mgr.columns
        else np.full(n, "", dtype=object)
    )
    hires = hire_of.reindex(ids).to_numpy()
    tenure = (np.arange(first, last + 1)[None, :] - hires[:, None]).astype(float)
    quarter_of_col = (np.arange(first, last + 1) % 4) + 1
    return _Panel(
        ids=ids,
        chosen=chosen,
        first=first,
        last=last,
        n_q=n_q,
        horizon_idx=horizon_idx,
        plan_year=plan_year,
        y=y,
        raw_rev=raw_rev,
        region=region,
        level=level,
        hires=hires,
        tenure=tenure,
        quarter_of_col=quarter_of_col,
    )


def _ramp_stage(
    panel: _Panel, ramp_window: int, min_new_hires: int, ramp_first_year_share: float | None, notes: list[str]
) -> tuple[RampEstimate, np.ndarray]:
    """Stage 2, ramp of new hires: the learning curve, and log revenue with the ramp taken out."""
    ramp = _ramp_from_data(
        panel.y, panel.tenure, panel.region, panel.level, ramp_window, min_new_hires, ramp_first_year_share
    )
    if ramp.source == "default":
        notes.append(
            f"Only {ramp.new_hires} managers were seen in their first year (fewer than {min_new_hires}): "
            "the new-hire ramp uses the default of 50% of a veteran in year one, 100% from quarter 8."
        )
    log_ramp = np.log(ramp.share(panel.tenure))
    return ramp, panel.y - log_ramp


def _seasonality_stage(
    panel: _Panel, y_deramped: np.ndarray, notes: list[str]
) -> tuple[pd.Series, bool, np.ndarray, np.ndarray, np.ndarray]:
    """Stage 3, seasonality: the factors, de-seasonalised ``z``, its changes ``dz`` and where they exist."""
    dz = np.full_like(y_deramped, np.nan)
    dz[:, 1:] = y_deramped[:, 1:] - y_deramped[:, :-1]
    pair = np.isfinite(dz)
    fitted = _season_regression(dz, pair, panel.quarter_of_col)
    season_arr = None if fitted is None else season_factors(fitted[0])
    season_estimated = season_arr is not None
    if season_arr is None:
        season_arr = np.zeros(4)
        notes.append(
            "Seasonality could not be estimated (it needs every quarter-to-quarter change at least once, "
            "i.e. five consecutive quarters): no seasonal factors were applied."
        )
    season = pd.Series(season_arr, index=pd.Index([1, 2, 3, 4], name="quarter"), name="log_factor")
    z = y_deramped - season_arr[panel.quarter_of_col - 1][None, :]
    dz[:, 1:] = z[:, 1:] - z[:, :-1]
    season.attrs["contrasts"] = None if fitted is None else fitted[0]
    season.attrs["covariance"] = None if fitted is None else fitted[1]
    return season, season_estimated, z, dz, pair


@dataclass(frozen=True)
class _Drift:
    """Each manager's raw quarterly drift and where its history lies."""

    n_obs: np.ndarray
    last_col: np.ndarray
    span: np.ndarray
    drift_raw: np.ndarray
    n_changes: np.ndarray
    region: np.ndarray


def _raw_growth(panel: _Panel, z: np.ndarray, dz: np.ndarray, pair: np.ndarray) -> _Drift:
    """Stage 4: raw drift ``(z_last - z_first) / span`` per manager."""
    n, n_q = z.shape
    obs = np.isfinite(z)
    n_obs = obs.sum(axis=1)
    first_col = np.where(n_obs > 0, np.argmax(obs, axis=1), -1)
    last_col = np.where(n_obs > 0, n_q - 1 - np.argmax(obs[:, ::-1], axis=1), -1)
    span = np.where(n_obs > 1, last_col - first_col, 0)
    rows = np.arange(n)
    z_first = np.where(n_obs > 0, z[rows, np.maximum(first_col, 0)], np.nan)
    z_last = np.where(n_obs > 0, z[rows, np.maximum(last_col, 0)], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        drift_raw = np.where(span > 0, (z_last - z_first) / np.where(span > 0, span, 1), np.nan)
    return _Drift(
        n_obs=n_obs, last_col=last_col, span=span, drift_raw=drift_raw, n_changes=pair.sum(axis=1), region=panel.region
    )


@dataclass(frozen=True)
class _Shocks:
    """Region shock variance and the manager's own noise: permanent and transient parts."""

    var_region: float
    e: np.ndarray  # residual changes with the region part removed
    e0: np.ndarray  # the same, 0 where there is no change
    gamma0: float
    var_eps: float
    var_eta: float
    permanent_share: float
    var_region_df: float | None = None


def _region_shocks_and_noise(panel: _Panel, drift: _Drift, dz: np.ndarray, pair: np.ndarray) -> _Shocks:
    """Stage 5, region shocks and idiosyncratic noise by moments of the growth residuals."""
    resid = np.where(pair, dz - np.nan_to_num(drift.drift_raw)[:, None], np.nan)
    var_region, region_part, var_region_df = _region_variance(resid, pair, panel.region, drift.n_changes)
    mi, ti = np.nonzero(pair)
    e = np.full_like(resid, np.nan)
    e[mi, ti] = resid[mi, ti] - region_part
    e0 = np.where(pair, e, 0.0)
    gamma0, gamma1 = _local_level_moments(e0, pair, drift.n_changes)
    if gamma0 <= 0:
        raise InsufficientHistory(
            "Revenue does not vary between quarters, so its uncertainty cannot be "
            "estimated; check the performance table."
        )
    var_eps = max(0.0, -gamma1)
    if 2 * var_eps > 0.9 * gamma0:
        var_eps = 0.45 * gamma0
    var_eta = gamma0 - 2 * var_eps
    return _Shocks(
        var_region=var_region,
        e=e,
        e0=e0,
        gamma0=gamma0,
        var_eps=var_eps,
        var_eta=var_eta,
        permanent_share=var_eta / gamma0,
        var_region_df=var_region_df,
    )


@dataclass(frozen=True)
class _Tails:
    """Quarterly Student-t degrees of freedom and the per-manager shrunk noise variances."""

    pooled_sd: float
    q_df: float | None
    var_i: np.ndarray
    prior_df: float
    var_eta_i: np.ndarray
    var_eps_i: np.ndarray


def _tails_stage(shocks: _Shocks, pair: np.ndarray, heavy_tails: bool) -> _Tails:
    """Stage 6, tails and per-manager noise."""
    pooled_sd = np.sqrt(shocks.gamma0)
    q_df = None
    kurt = 0.0
    if heavy_tails:
        q_df = _t_degrees_of_freedom(shocks.e[pair] / pooled_sd)
        if q_df is not None:
            kurt = 6.0 / (q_df - 4) if q_df > 4 else 6.0
    # the tail is measured on residuals scaled by the pooled sd: scaling by each manager's own
    # (few-quarter) estimate would hide the tails it is meant to find
    var_i, _, prior_df = _shrunk_variances(shocks.e0, pair, kurt)
    return _Tails(
        pooled_sd=pooled_sd,
        q_df=q_df,
        var_i=var_i,
        prior_df=prior_df,
        var_eta_i=shocks.permanent_share * var_i,
        var_eps_i=(1 - shocks.permanent_share) * var_i / 2,
    )


@dataclass(frozen=True)
class _Growth:
    """Growth with empirical-Bayes shrinkage (quarterly drift units)."""

    has_growth: np.ndarray
    se2: np.ndarray
    drift_mean: float
    tau2: float
    shrink: np.ndarray
    drift_post: np.ndarray
    drift_post_var: np.ndarray
    drift_mean_var: float = 0.0
    weights: np.ndarray | None = None  # DerSimonian-Laird weights 1 / (se^2 + tau^2), 0 without growth


def _growth_shrinkage(drift: _Drift, shocks: _Shocks, tails: _Tails) -> _Growth:
    """Stage 7, growth with shrinkage toward the DerSimonian-Laird team mean."""
    span = drift.span
    has_growth = span > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = np.where(
            has_growth,
            ((tails.var_eta_i + shocks.var_region) * span + 2 * tails.var_eps_i) / np.where(has_growth, span, 1) ** 2,
            np.nan,
        )
    drift_mean, tau2 = _dersimonian_laird(drift.drift_raw[has_growth], se2[has_growth])
    shrink = np.where(has_growth, se2 / (se2 + tau2) if tau2 > 0 else 1.0, 1.0)
    drift_post = np.where(
        has_growth, drift_mean + (1 - shrink) * (np.nan_to_num(drift.drift_raw) - drift_mean), drift_mean
    )
    drift_post_var = np.where(has_growth, (1 - shrink) * np.nan_to_num(se2), tau2)
    weights = np.where(has_growth, 1.0 / (np.nan_to_num(se2, nan=1.0) + tau2), 0.0)
    # the mean's error: DerSimonian-Laird's, plus the region shocks the managers of a region share
    _, share_r = np.unique(drift.region[has_growth], return_counts=True)
    mean_span = float(np.mean(span[has_growth])) if has_growth.any() else 1.0
    clustered = shocks.var_region / mean_span * float(np.sum((share_r / max(share_r.sum(), 1)) ** 2))
    drift_mean_var = float(1.0 / weights.sum()) + clustered if weights.sum() > 0 else 0.0
    return _Growth(
        has_growth=has_growth,
        se2=se2,
        drift_mean=drift_mean,
        tau2=tau2,
        shrink=shrink,
        drift_post=drift_post,
        drift_post_var=drift_post_var,
        drift_mean_var=drift_mean_var,
        weights=weights,
    )


def _current_level(
    panel: _Panel,
    z: np.ndarray,
    drift: _Drift,
    shocks: _Shocks,
    tails: _Tails,
    growth: _Growth,
    ramp_window: int,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Stage 8, current level by the local-level Kalman filter; managers without history get the veterans'."""
    level_now, level_var = _kalman_level(z, growth.drift_post, tails.var_eta_i + shocks.var_region, tails.var_eps_i)
    last, level, n_obs = panel.last, panel.level, drift.n_obs
    t_last = np.where(n_obs > 0, panel.first + drift.last_col, last)
    no_history = n_obs == 0
    if no_history.any():
        veteran = (n_obs > 0) & (t_last == last) & (panel.hires <= last - ramp_window)
        if not veteran.any():
            veteran = (n_obs > 0) & (t_last == last)
        for lv in np.unique(level[no_history]):
            ref = veteran & (level == lv)
            if ref.sum() < 2:
                ref = veteran
            sel = no_history & (level == lv)
            level_now[sel] = level_now[ref].mean()
            level_var[sel] = level_now[ref].var(ddof=1) if ref.sum() > 1 else 0.0
        notes.append(
            f"{int(no_history.sum())} managers have no revenue history yet: they start from the "
            "average veteran level of their job level, with the team's growth."
        )
    return level_now, level_var


def _plan_sum(
    panel: _Panel,
    drift: _Drift,
    ramp: RampEstimate,
    season_arr: np.ndarray,
    level_now: np.ndarray,
    drift_post: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(quarters ahead h, tenure in each plan quarter, quarter weights w, base, mu) of next year's sum."""
    horizon_idx = panel.horizon_idx
    t_last = np.where(drift.n_obs > 0, panel.first + drift.last_col, panel.last)
    h = (horizon_idx[None, :] - t_last[:, None]).astype(float)  # quarters ahead (>= 1)
    tenure_h = horizon_idx[None, :] - panel.hires[:, None]
    log_parts = level_now[:, None] + season_arr[horizon_idx % 4][None, :] + np.log(ramp.share(tenure_h))
    base = np.exp(special.logsumexp(log_parts, axis=1))
    w = np.exp(log_parts - np.log(base)[:, None])
    mu = np.log(np.sum(w * np.exp(h * drift_post[:, None]), axis=1))
    return h, tenure_h, w, base, mu


def _log_median(
    panel: _Panel,
    ramp: RampEstimate,
    season_arr: np.ndarray,
    mean_shift: float,
    shocks: _Shocks,
    tails: _Tails,
    growth: _Growth,
    ramp_window: int,
) -> np.ndarray:
    """Next year's log median per manager with the shared parameters replaced (ramp, seasonal
    factors, team growth mean + ``mean_shift``), re-running de-ramping, de-seasonalising, the raw
    drift, its shrinkage (factors held), the Kalman level and next year's sum."""
    z = panel.y - np.log(ramp.share(panel.tenure)) - season_arr[panel.quarter_of_col - 1][None, :]
    dz = np.full_like(z, np.nan)
    dz[:, 1:] = z[:, 1:] - z[:, :-1]
    drift = _raw_growth(panel, z, dz, np.isfinite(dz))
    raw = np.nan_to_num(drift.drift_raw)
    weights = growth.weights if growth.weights is not None else growth.has_growth.astype(float)
    mean = float(np.sum(weights * raw) / weights.sum()) + mean_shift
    drift_post = np.where(growth.has_growth, mean + (1 - growth.shrink) * (raw - mean), mean)
    moved = dataclasses.replace(growth, drift_post=drift_post)
    level_now, _ = _current_level(panel, z, drift, shocks, tails, moved, ramp_window, [])
    _, _, _, base, mu = _plan_sum(panel, drift, ramp, season_arr, level_now, drift_post)
    return np.log(base) + mu


def _shared_loadings(
    panel: _Panel,
    ramp: RampEstimate,
    season: pd.Series,
    shocks: _Shocks,
    tails: _Tails,
    growth: _Growth,
    ramp_window: int,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """(managers x K loadings ``J L``, names): the delta-method effect on each manager's log median
    of one standard-normal draw of the shared parameters (see the module docstring)."""
    season_arr = season.to_numpy()
    contrasts, season_cov = season.attrs.get("contrasts"), season.attrs.get("covariance")
    blocks: list[tuple[tuple[str, ...], np.ndarray, Any]] = []
    if growth.drift_mean_var > 0:
        blocks.append(
            (
                ("growth_mean",),
                np.array([[growth.drift_mean_var]]),
                lambda v: _log_median(panel, ramp, season_arr, v[0], shocks, tails, growth, ramp_window),
            )
        )
    if contrasts is not None and np.all(np.isfinite(season_cov)):
        blocks.append(
            (
                ("season_q2", "season_q3", "season_q4"),
                season_cov,
                lambda v: _log_median(
                    panel, ramp, season_factors(contrasts + v), 0.0, shocks, tails, growth, ramp_window
                ),
            )
        )
    if ramp.source == "data" and ramp.covariance is not None and np.all(np.isfinite(ramp.covariance)):
        blocks.append(
            (
                ("ramp_amplitude", "ramp_scale"),
                ramp.covariance,
                lambda v: _log_median(
                    panel,
                    ramp.with_parameters(ramp.amplitude + v[0], ramp.scale + v[1]),
                    season_arr,
                    0.0,
                    shocks,
                    tails,
                    growth,
                    ramp_window,
                ),
            )
        )
    columns, names = [], []
    for block_names, cov, f in blocks:
        cov = (cov + cov.T) / 2
        vals, vecs = np.linalg.eigh(cov)
        root = vecs * np.sqrt(np.clip(vals, 0.0, None))  # cov = root root'; a step along each column
        for k in range(root.shape[1]):
            step = 0.1 * root[:, k]
            if not np.any(step):
                continue
            columns.append((f(step) - f(-step)) / 0.2)  # d log median per standard-normal draw
            names.append(f"{block_names[0].split('_')[0]}_{k + 1}" if len(block_names) > 1 else block_names[0])
    if not columns:
        return np.zeros((panel.ids.size, 0)), ()
    return np.column_stack(columns), tuple(names)


def _next_year(
    panel: _Panel,
    ramp: RampEstimate,
    season: pd.Series,
    season_estimated: bool,
    drift: _Drift,
    shocks: _Shocks,
    tails: _Tails,
    growth: _Growth,
    level_now: np.ndarray,
    level_var: np.ndarray,
    heavy_tails: bool,
    ramp_window: int,
    notes: list[str],
    parameter_uncertainty: bool = False,
) -> PerformanceFit:
    """Stage 9: next year's annual model, the per-manager table and the result."""
    horizon_idx, hires, first, last, n_q = panel.horizon_idx, panel.hires, panel.first, panel.last, panel.n_q
    season_arr = season.to_numpy()
    var_eta_i, var_eps_i, drift_post = tails.var_eta_i, tails.var_eps_i, growth.drift_post
    h, tenure_h, w, base, mu = _plan_sum(panel, drift, ramp, season_arr, level_now, drift_post)
    h_max = int(h.max())
    m_steps = np.arange(1, h_max + 1)
    c = np.stack([np.sum(w * (h >= m), axis=1) for m in m_steps], axis=1)  # loading of the shock in quarter m
    perm_load = np.sum(c**2, axis=1)
    trans_load = np.sum(w**2, axis=1)
    sigma = np.sqrt(var_eta_i * perm_load + var_eps_i * trans_load)
    growth_unc = np.sqrt(growth.drift_post_var * np.sum(w * h, axis=1) ** 2 + level_var)
    region_sigma = float(np.sqrt(shocks.var_region * perm_load.mean()))
    a_df = None
    if tails.q_df is not None:
        c_mean, w_mean = c.mean(axis=0), w.mean(axis=0)
        loadings = np.concatenate([np.sqrt(shocks.var_eta) * c_mean, np.sqrt(shocks.var_eps) * w_mean])
        a_df = annual_degrees_of_freedom(tails.q_df, loadings[loadings > 0])

    ids, region, raw_rev = panel.ids, panel.region, panel.raw_rev
    keep_rows = ids.get_indexer(pd.Index(panel.chosen))
    shared, region_df = np.zeros((ids.size, 0)), None
    names: tuple[str, ...] = ()
    if parameter_uncertainty:
        shared, names = _shared_loadings(panel, ramp, season, shocks, tails, growth, ramp_window)
        region_df = shocks.var_region_df if region_sigma > 0 else None
    model = PerformanceModel(
        ids[keep_rows],
        region[keep_rows],
        base[keep_rows],
        mu[keep_rows],
        sigma[keep_rows],
        region_sigma,
        a_df,
        growth_uncertainty=growth_unc[keep_rows],
        shared_loadings=shared[keep_rows],
        shared_names=names,
        region_sigma_df=region_df,
    )
    last_year_cols = np.arange(n_q)[(np.arange(first, last + 1) // 4) == (last // 4)]
    last_year_actual = (
        np.nansum(raw_rev[:, last_year_cols], axis=1) if last_year_cols.size == 4 else np.full(ids.size, np.nan)
    )
    complete = np.isfinite(raw_rev[:, last_year_cols]).sum(axis=1) == 4
    last_year_actual = np.where(complete, last_year_actual, np.nan)
    tenure_start = horizon_idx[0] - hires
    table = (
        pd.DataFrame(
            {
                "manager_id": ids.to_numpy(dtype=object),
                "region": region,
                "level": panel.level,
                "tenure_quarters": tenure_start,
                "new_hire": tenure_start < ramp_window,
                "quarters_observed": drift.n_obs,
                "last_year_actual": last_year_actual,
                "growth_raw": 4 * drift.drift_raw,
                "growth_se": 4 * np.sqrt(growth.se2),
                "shrinkage": np.where(growth.has_growth, growth.shrink, 1.0),
                "growth": 4 * drift_post,
                "growth_sd": 4 * np.sqrt(growth.drift_post_var),
                "sigma_quarterly": np.sqrt(tails.var_i),
                "ramp_share": np.mean(ramp.share(tenure_h), axis=1),
            }
        )
        .iloc[keep_rows]
        .reset_index(drop=True)
    )
    table = table.merge(model.to_frame().drop(columns=["region"]), on="manager_id", how="left")
    if heavy_tails and a_df is None:
        notes.append("The residuals show no heavy tails worth modelling (or too few to tell): normal noise is used.")
    return PerformanceFit(
        model=model,
        year=panel.plan_year,
        horizon=tuple(quarter_from_index(int(q)) for q in horizon_idx),
        first_quarter=quarter_from_index(first),
        last_quarter=quarter_from_index(last),
        season=season,
        season_estimated=season_estimated,
        ramp=ramp,
        growth_mean=float(4 * growth.drift_mean),
        growth_between_sd=float(4 * np.sqrt(growth.tau2)),
        quarterly_sd=float(tails.pooled_sd),
        permanent_share=float(shocks.permanent_share),
        region_sd_quarterly=float(np.sqrt(shocks.var_region)),
        quarterly_df=tails.q_df,
        annual_df=a_df,
        prior_df=float(tails.prior_df),
        managers=table,
        notes=tuple(notes),
        **_parameter_table(ramp, season, growth),
    )


def _parameter_table(ramp: RampEstimate, season: pd.Series, growth: _Growth) -> dict[str, dict[str, float]]:
    """The shared parameters' estimates and standard errors (annual log growth; log seasonal
    contrasts Q(k) - Q(k-1); ramp amplitude and time scale in quarters)."""
    est = {"growth_mean": 4 * growth.drift_mean}
    se = {"growth_mean": 4 * float(np.sqrt(growth.drift_mean_var))}
    contrasts, cov = season.attrs.get("contrasts"), season.attrs.get("covariance")
    if contrasts is not None:
        for k, name in enumerate(("season_q2", "season_q3", "season_q4")):
            est[name], se[name] = float(contrasts[k]), float(np.sqrt(cov[k, k]))
    if ramp.standard_errors is not None:
        est["ramp_amplitude"], est["ramp_scale"] = float(ramp.amplitude or 0.0), float(ramp.scale or 0.0)
        se["ramp_amplitude"], se["ramp_scale"] = ramp.standard_errors
    return {"parameter_estimates": est, "parameter_se": se}


def _dersimonian_laird(estimate: np.ndarray, se2: np.ndarray) -> tuple[float, float]:
    """(random-effects mean, between variance tau^2) by DerSimonian and Laird (1986)."""
    if estimate.size == 0:
        raise InsufficientHistory("No manager has two quarters of revenue, so growth cannot be estimated.")
    if estimate.size == 1:
        return float(estimate[0]), 0.0
    w = 1.0 / se2
    fixed = np.sum(w * estimate) / w.sum()
    q = np.sum(w * (estimate - fixed) ** 2)
    tau2 = max(0.0, (q - (estimate.size - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    w_star = 1.0 / (se2 + tau2)
    return float(np.sum(w_star * estimate) / w_star.sum()), float(tau2)


def _kalman_level(
    z: np.ndarray, drift: np.ndarray, var_eta: np.ndarray, var_eps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Filtered level at each manager's last observation and its variance (local level with drift)."""
    n, t_count = z.shape
    level = np.full(n, np.nan)
    p = np.full(n, np.nan)
    for t in range(t_count):
        zt = z[:, t]
        seen = np.isfinite(zt)
        started = np.isfinite(level)
        # predict
        level = np.where(started, level + drift, level)
        p = np.where(started, p + var_eta, p)
        # start at the first observation
        init = seen & ~started
        level = np.where(init, zt, level)
        p = np.where(init, var_eps, p)
        upd = seen & started
        denom = p + var_eps
        gain = np.where(denom > 0, p / np.where(denom > 0, denom, 1.0), 0.0)
        level = np.where(upd, level + gain * (np.nan_to_num(zt) - level), level)
        p = np.where(upd, (1 - gain) * p, p)
    # the loop predicted past each manager's last observation; undo those steps
    obs = np.isfinite(z)
    n_obs = obs.sum(axis=1)
    last_col = np.where(n_obs > 0, t_count - 1 - np.argmax(obs[:, ::-1], axis=1), t_count - 1)
    extra = t_count - 1 - last_col
    level = np.where(n_obs > 0, level - extra * drift, 0.0)
    p = np.where(n_obs > 0, p - extra * var_eta, 0.0)
    return level, np.maximum(p, 0.0)


def _inputs(data: Dataset | pd.DataFrame, managers: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    if isinstance(data, Dataset):
        perf, mgr = data.performance, data.managers
    else:
        if managers is None:
            raise ConfigError(
                "fit_performance_model needs the managers table (manager_id, region, hire_date) "
                "when given a performance table."
            )
        perf, mgr = data, managers
    missing = [c for c in ("manager_id", "period", "revenue") if c not in perf.columns]
    missing += [c for c in ("manager_id", "region", "hire_date") if c not in mgr.columns]
    if missing:
        raise ConfigError(
            f"The performance model needs the column(s) {', '.join(missing)} "
            "(performance: manager_id, period, revenue; managers: manager_id, region, hire_date)."
        )
    perf = perf[["manager_id", "period", "revenue"]].copy()
    perf["manager_id"] = perf["manager_id"].astype(str)
    perf["period"] = perf["period"].astype(str)
    mgr = mgr.copy()
    mgr["manager_id"] = mgr["manager_id"].astype(str)
    mgr["hire_date"] = pd.to_datetime(mgr["hire_date"])
    if "leave_date" in mgr.columns:
        mgr["leave_date"] = pd.to_datetime(mgr["leave_date"].replace("", None))
    bad_period = perf.loc[[parse_quarter(p) is None for p in perf["period"]], "period"].unique()
    if len(bad_period):
        raise ConfigError(f"Periods must be quarters like 2024Q3; got {id_list(bad_period)}.")
    unknown = pd.Index(perf["manager_id"].unique()).difference(pd.Index(mgr["manager_id"]))
    if len(unknown):
        raise ValidationError(
            [
                Problem(
                    "performance",
                    None,
                    "manager_id",
                    f"{len(unknown)} managers are not in the managers table: {id_list(unknown)}",
                )
            ]
        )
    dup = perf.duplicated(["manager_id", "period"])
    if dup.any():
        raise ValidationError(
            [
                Problem(
                    "performance",
                    None,
                    None,
                    f"{int(dup.sum())} manager-quarters appear more than once, e.g. "
                    f"{perf.loc[dup, 'manager_id'].iloc[0]} {perf.loc[dup, 'period'].iloc[0]}",
                )
            ]
        )
    return perf, mgr


def _quarter(label: str, name: str) -> int:
    if parse_quarter(label) is None:
        raise ConfigError(f"{name} must be a quarter like 2024Q4; got {label!r}.")
    return int(quarter_index([label])[0])

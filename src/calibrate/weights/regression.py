"""Outcome regressions: which indicators predict next quarter's revenue growth and customer retention.

The panel (:func:`calibrate.panel.indicator_panel`) already aligns each
indicator measured in quarter t with the outcome from t to t+1, so every
model here regresses a *later* outcome on *earlier* indicators.

Models
------
* ``growth_ols``: next-quarter log revenue growth on the indicators (natural
  units) plus controls, OLS with standard errors clustered by manager (each
  manager's quarters are not independent).
* ``growth_mixed``: the same with a random intercept per manager
  (REML, :func:`random_intercept_reml`; the estimates of statsmodels
  ``MixedLM``): each manager's own growth rate is modelled,
  so an indicator that only reflects *who* the manager is (not what they do)
  loses its apparent effect.
* ``retention_glm``: binomial GLM (logit link) of customers kept out of
  customers at the start of the next quarter, clustered by manager.

Controls (``weights.controls``): ``period`` (a dummy per quarter: seasonality
and company-wide shocks), ``region_period`` (a dummy per region and quarter,
replaces ``period``), ``tenure`` (a dummy for each of a new hire's first
:data:`RAMP_QUARTERS` quarters: ramp-up growth), ``level`` (a dummy per job
level). Controls enter every model; the tables report the indicators only.

Elasticities
------------
The outcome is already in logs (growth = change of log revenue), so
``d log revenue_{t+1} / d log x = beta * x``. We report this *elasticity at
the mean* of the linear model, with each indicator measured from the bottom of
its scale: NPS (unit ``points``, -100 to 100) is shifted to ``NPS + 100``
(0-200) so that its elasticity is defined for negative scores and does not
flip sign around NPS = 0; every other indicator is measured from 0. For
retention the elasticity is ``beta * (1 - mean retention) * mean(x - floor)``,
the relative change in the retention rate per relative change of the
indicator (logit model at the mean). A log-log regression on shifted scales
was not used because rates such as churn are often exactly 0.

Evidence importance
-------------------
* Revenue growth: exact LMG shares (Shapley decomposition of R^2, see
  :mod:`calibrate.weights.importance`) of the indicators' R^2 *beyond the
  controls* (both outcome and indicators are residualised on the controls
  first, Frisch-Waugh), on standardised indicators.
* Retention: LMG applied to the retention GLM's linear predictor (the
  indicators' part of the log-odds of keeping a customer, weighted by
  customers at start): each indicator's share of the variance of the
  predicted log-odds. This keeps the logit model's coefficients (a linear
  probability model compresses the differences between strong predictors)
  and, like LMG, splits what correlated indicators explain jointly. With
  uncorrelated indicators the shares are the squared standardised logit
  coefficients, normalised.
* An indicator whose effect points the wrong way (e.g. higher NPS predicting
  lower growth, or higher churn predicting higher retention) gets zero evidence
  weight and a warning: a weight must reward the right direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from calibrate.distributions import norm
from calibrate.errors import CalibrateError
from calibrate.indicators import IndicatorSet
from calibrate.memory import release_unused_memory
from calibrate.notes import MethodWarning
from calibrate.results import Summary, frame_summary
from calibrate.weights.blockwise import (
    as_columns,
    cross_products,
    linear_predictor,
    logit_blockwise,
    ols_blockwise,
    weighted_moments,
)
from calibrate.weights.importance import lmg_from_corr

_PRODUCT_ELEMENTS = 1 << 21  # rows x k(k+1)/2 float64 products per piece: ~16 MB

__all__ = [
    "CONTROLS",
    "DEFAULT_CONTROLS",
    "RAMP_QUARTERS",
    "SIGNIFICANCE",
    "OUTCOMES",
    "Design",
    "RegressionResult",
    "RegressionSuite",
    "EvidenceImportance",
    "design_matrix",
    "fit_growth_ols",
    "fit_growth_mixed",
    "fit_retention_glm",
    "outcome_regressions",
    "evidence_importance",
    "partial_moments",
    "growth_lmg",
    "retention_lmg",
    "scale_floor",
    "per_manager_cross_products",
    "unpack_symmetric",
    "random_intercept_reml",
    "RandomInterceptFit",
]

CONTROLS = ("period", "region_period", "tenure", "level")
DEFAULT_CONTROLS = ("period", "tenure")
#: New hires' first quarters get their own dummy (ramp-up); later quarters share the reference level.
RAMP_QUARTERS = 8
#: Effects not distinguishable from zero at this level are flagged.
SIGNIFICANCE = 0.10
#: Outcome name -> panel column.
OUTCOMES = {"revenue_growth": "next_revenue_growth", "retention": "next_retention"}
_OUTCOME_TEXT = {"revenue_growth": "next-quarter revenue growth", "retention": "next-quarter customer retention"}


def scale_floor(unit: str) -> float:
    """The bottom of an indicator's scale, from which elasticities measure it (NPS: -100, else 0)."""
    return -100.0 if unit == "points" else 0.0


# --------------------------------------------------------------------------- design


@dataclass(frozen=True)
class Design:
    """The numbers one outcome model is fitted on.

    ``x`` holds the indicators in natural units (n x p), ``d`` the control
    dummies (n x c, 0/1 as ``uint8``: an eighth of the memory of floats, read
    into float64 a block of rows at a time; they always span a constant), ``y`` the outcome
    (log growth, or the retention rate in [0, 1]), ``weights`` the row weights
    (1 for growth, customers at start for retention), ``groups`` the
    position of each row's manager in ``managers``. ``direction`` is +1 for
    higher-is-better and -1 for lower-is-better indicators; ``floor`` the
    bottom of each scale (see :func:`scale_floor`).
    """

    outcome: str
    indicators: tuple[str, ...]
    direction: np.ndarray
    floor: np.ndarray
    controls: tuple[str, ...]
    control_names: tuple[str, ...]
    x: np.ndarray
    d: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    trials: np.ndarray | None
    kept: np.ndarray | None
    groups: np.ndarray
    managers: tuple[str, ...]
    index: pd.MultiIndex

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def p(self) -> int:
        return self.x.shape[1]

    @property
    def exog(self) -> np.ndarray:
        return np.column_stack([self.x, self.d])

    @property
    def n_managers(self) -> int:
        return int(len(np.unique(self.groups)))

    def gram_by_manager(self, *, packed: bool = False) -> np.ndarray:
        """Per manager, the weighted cross-products ``Z' W Z`` of ``Z = [x, d, y]``: shape (managers, k, k)
        (with ``packed=True`` only the upper triangles, see :func:`per_manager_cross_products`).

        Sums of these over a resample of managers give that resample's
        regression without touching the rows again (see :mod:`.uncertainty`).
        """
        return per_manager_cross_products(
            (self.x, self.d, self.y), self.weights, self.groups, len(self.managers), packed=packed
        )


def per_manager_cross_products(
    z: np.ndarray | Sequence[np.ndarray],
    weights: np.ndarray,
    groups: np.ndarray,
    managers: int,
    *,
    packed: bool = False,
) -> np.ndarray:
    """``sum over manager i's rows of w * z z'``; managers without rows get zeros.

    ``z`` is rows x k, or a sequence of arrays (rows x k_j, or 1-D for one
    column) that are its columns side by side (so that a caller need not
    copy them into one matrix first). Shape (managers, k, k), or with
    ``packed=True`` (managers, k (k + 1) / 2): the upper triangle in
    ``np.triu_indices(k)`` order (half the memory; see :func:`unpack_symmetric`).
    Rows are summed in their order within each manager, whole managers a
    piece at a time (two preallocated piece buffers, no other temporaries),
    so the result does not depend on anything but the data.
    """
    parts = [np.asarray(z, dtype=float)] if isinstance(z, np.ndarray) else [np.asarray(a, dtype=float) for a in z]
    parts = [a[:, None] if a.ndim == 1 else a for a in parts]
    k = sum(a.shape[1] for a in parts)
    weights = np.asarray(weights, dtype=float)
    iu, ju = np.triu_indices(k)
    out = np.zeros((managers, iu.size))
    groups = np.asarray(groups)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    bounds = np.searchsorted(sorted_groups, np.arange(managers + 1))
    step = max(1, _PRODUCT_ELEMENTS // max(iu.size, 1))
    left = np.empty((min(step, len(order)) or 1, iu.size))
    right = np.empty_like(left)
    lo = 0
    while lo < managers:  # whole managers per piece, about `step` rows
        hi = int(np.searchsorted(bounds, bounds[lo] + step, side="right")) - 1
        hi = min(max(hi, lo + 1), managers)
        r0, r1 = int(bounds[lo]), int(bounds[hi])
        if r1 > r0:
            rows = order[r0:r1]
            zr = np.concatenate([a[rows] for a in parts], axis=1) if len(parts) > 1 else parts[0][rows]
            if r1 - r0 > len(left):  # one manager with more rows than a piece
                left, right = np.empty((r1 - r0, iu.size)), np.empty((r1 - r0, iu.size))
            a, b = left[: r1 - r0], right[: r1 - r0]
            np.take(zr, iu, axis=1, out=a)
            zr *= weights[rows, None]
            np.take(zr, ju, axis=1, out=b)
            np.multiply(a, b, out=a)  # z_i (z_j w), as one product per row
            present = np.flatnonzero(bounds[lo + 1 : hi + 1] > bounds[lo:hi]) + lo
            out[present] = np.add.reduceat(a, bounds[present] - r0, axis=0)
        lo = hi
    return out if packed else unpack_symmetric(out, k)


def unpack_symmetric(packed: np.ndarray, k: int) -> np.ndarray:
    """(..., k (k + 1) / 2) upper triangles (``np.triu_indices`` order) to (..., k, k) symmetric matrices."""
    iu, ju = np.triu_indices(k)
    full = np.empty(packed.shape[:-1] + (k, k))
    full[..., iu, ju] = packed
    full[..., ju, iu] = packed
    return full


def design_matrix(
    panel: pd.DataFrame,
    indicator_set: IndicatorSet,
    outcome: str,
    *,
    controls: Sequence[str] = DEFAULT_CONTROLS,
    managers: Sequence[str] | None = None,
) -> Design:
    """Rows of ``panel`` with every indicator and the outcome present, as a :class:`Design`.

    ``outcome`` is ``"revenue_growth"`` or ``"retention"``. ``managers`` fixes
    the manager order (default: every manager in the panel, sorted), so that
    designs of different outcomes share one manager index for the bootstrap.
    """
    if outcome not in OUTCOMES:
        raise CalibrateError(f"unknown outcome '{outcome}'; use one of {', '.join(OUTCOMES)}")
    controls = _check_controls(controls)
    ids = list(indicator_set.ids)
    needed = ["manager_id", "period", *ids, OUTCOMES[outcome]]
    if outcome == "retention":
        needed += ["next_customers_kept", "next_customers_start"]
    if "tenure" in controls:
        needed.append("tenure_quarters")
    if "region_period" in controls:
        needed.append("region")
    if "level" in controls:
        needed.append("level")
    present = set(panel.columns) | {n for n in (panel.index.names or []) if n is not None}
    absent = [c for c in needed if c not in present]
    if absent:
        raise CalibrateError(
            f"the indicator panel has no column(s) {', '.join(absent)}; build it with calibrate.panel.indicator_panel"
        )
    # column by column, so that no copy of the whole panel is made: the rows to keep, then the
    # small columns of those rows as a frame, the indicators straight into x
    keep = np.ones(len(panel), dtype=bool)
    for c in [*ids, OUTCOMES[outcome]]:
        keep &= panel[c].notna().to_numpy()
    if outcome == "retention":
        keep &= (panel["next_customers_start"] > 0).to_numpy()
    frame = panel[[c for c in dict.fromkeys(needed) if c in panel.columns and c not in ids]].reset_index()
    rows = frame.loc[keep].reset_index(drop=True)
    all_managers = sorted(frame["manager_id"].astype(str).unique()) if managers is None else [str(m) for m in managers]
    position = {m: k for k, m in enumerate(all_managers)}
    unknown = sorted(set(rows["manager_id"].astype(str)) - set(position))
    if unknown:
        raise CalibrateError(f"managers {', '.join(unknown[:5])} are not in the given manager list")
    d, names = _controls(rows, controls)
    p = len(ids)
    if len(rows) < p + d.shape[1] + 2:
        raise CalibrateError(
            f"only {len(rows)} manager-quarters have all {p} indicators and the next quarter's "
            f"{_OUTCOME_TEXT[outcome]}; the {outcome} model needs at least {p + d.shape[1] + 2}. "
            f"Add more quarters or managers, or use fewer controls (weights.controls)"
        )
    x = np.empty((len(rows), p))
    for j, c in enumerate(ids):
        x[:, j] = panel[c].to_numpy(dtype=float)[keep]
    constant = [ids[j] for j in range(p) if np.ptp(x[:, j]) == 0]
    if constant:
        raise CalibrateError(
            f"indicator(s) {', '.join(constant)} have the same value for every manager and "
            f"quarter used in the {outcome} model, so their effect cannot be estimated; "
            f"check the data or leave them out of the indicator set"
        )
    kept = trials = None
    weights = np.ones(len(rows))
    y = rows[OUTCOMES[outcome]].to_numpy(dtype=float)
    if outcome == "retention":
        trials = rows["next_customers_start"].to_numpy(dtype=float)
        kept = rows["next_customers_kept"].to_numpy(dtype=float)
        weights = trials
    design = Design(
        outcome=outcome,
        indicators=tuple(ids),
        direction=np.array([1.0 if indicator_set[i].higher_is_better else -1.0 for i in ids]),
        floor=np.array([scale_floor(indicator_set[i].unit) for i in ids]),
        controls=tuple(controls),
        control_names=tuple(names),
        x=x,
        d=d,
        y=y,
        weights=weights,
        trials=trials,
        kept=kept,
        groups=rows["manager_id"].astype(str).map(position).to_numpy(dtype=np.int64),
        managers=tuple(all_managers),
        index=pd.MultiIndex.from_arrays(
            [rows["manager_id"].astype(str), rows["period"].astype(str)], names=["manager_id", "period"]
        ),
    )
    del frame, rows, keep
    release_unused_memory()  # the column temporaries are freed: give their pages back (calibrate.memory)
    return design


def _check_controls(controls: Sequence[str]) -> tuple[str, ...]:
    if isinstance(controls, str):
        controls = [controls]
    controls = tuple(str(c) for c in controls)
    unknown = [c for c in controls if c not in CONTROLS]
    if unknown:
        raise CalibrateError(
            f"weights.controls: unknown control(s) {', '.join(unknown)}; choose from {', '.join(CONTROLS)}"
        )
    if "region_period" in controls:
        controls = tuple(c for c in controls if c != "period")
    return controls


def _controls(rows: pd.DataFrame, controls: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Dummy columns spanning a constant: the first categorical control keeps all its levels."""
    blocks, names = [], []
    first = True
    for c in controls:
        if c == "period":
            codes = rows["period"].astype(str)
        elif c == "region_period":
            codes = rows["region"].astype(str) + ":" + rows["period"].astype(str)
        elif c == "level":
            codes = rows["level"].astype(str)
        else:  # tenure
            t = np.clip(rows["tenure_quarters"].to_numpy(dtype=float), 0, RAMP_QUARTERS)
            codes = pd.Series(
                np.where(t >= RAMP_QUARTERS, f"tenure>={RAMP_QUARTERS}", [f"tenure={int(v)}" for v in t]),
                index=rows.index,
            )
        levels = sorted(codes.unique())
        if c == "tenure":  # the reference level is the settled one
            levels = [f"tenure>={RAMP_QUARTERS}"] + [v for v in levels if v != f"tenure>={RAMP_QUARTERS}"]
        use = levels if first else levels[1:]
        for v in use:
            blocks.append((codes == v).to_numpy(dtype=np.uint8))
            names.append(f"{c}[{v}]")
        first = False
    if first:  # no categorical control: an intercept
        blocks.append(np.ones(len(rows), dtype=np.uint8))
        names.append("intercept")
    return np.column_stack(blocks), names  # 0/1 bytes: an eighth of float64 (read as floats by row blocks)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RegressionResult:
    """One outcome model: the indicators' coefficients, their uncertainty and diagnostics.

    ``coefficients`` is indexed by indicator with columns ``coef`` (per natural
    unit of the indicator: per NPS point, per share point of satisfaction as a
    rate 0-1, per Likert point), ``se`` (clustered by manager for OLS and GLM,
    model-based for the mixed model), ``ci_low``/``ci_high`` (``level``
    Wald interval), ``p_value``, ``std_coef`` (per standard deviation of the
    indicator), ``aligned`` (``coef`` times +1/-1 by the indicator's
    direction: positive = the better the indicator, the better the outcome),
    ``elasticity`` with its interval (see the module docstring) and, after a
    bootstrap, ``boot_low``/``boot_high``. ``vif`` is each indicator's variance
    inflation factor, ``1 / (1 - R^2)`` of the indicator on the other
    indicators and the controls (above 5: strongly overlapping indicators).
    ``residuals`` has ``manager_id``, ``period``, ``fitted`` and ``residual``
    (Pearson residuals for the GLM).
    """

    model: str
    outcome: str
    level: float
    coefficients: pd.DataFrame
    n: int
    n_managers: int
    r_squared: float
    r_squared_kind: str
    vif: pd.Series
    residuals: pd.DataFrame
    warnings: tuple[str, ...]
    controls: tuple[str, ...]
    extra: Mapping[str, float] = field(default_factory=dict)
    params: np.ndarray | None = field(default=None, repr=False)
    """Every estimated coefficient, controls included (the GLM bootstrap starts from them)."""

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator with ``model`` and ``outcome`` columns (tidy, for CSV and reports)."""
        frame = self.coefficients.reset_index(names="indicator")
        frame.insert(0, "outcome", self.outcome)
        frame.insert(0, "model", self.model)
        frame["vif"] = self.vif.reindex(self.coefficients.index).to_numpy()
        return frame

    def fit_frame(self) -> pd.DataFrame:
        """One row of fit statistics: n, managers, R^2 (or its analogue), controls, extras."""
        row = {
            "model": self.model,
            "outcome": self.outcome,
            "n": self.n,
            "managers": self.n_managers,
            "r_squared": self.r_squared,
            "r_squared_kind": self.r_squared_kind,
            "controls": "+".join(self.controls),
            "level": self.level,
        }
        row.update({k: float(v) for k, v in self.extra.items()})
        return pd.DataFrame([row])

    def summary(self) -> str:
        lines = [
            f"{self.model}: {_OUTCOME_TEXT.get(self.outcome, self.outcome)}; n = {self.n} manager-quarters, "
            f"{self.n_managers} managers; {self.r_squared_kind} = {self.r_squared:.3f}; "
            f"controls: {', '.join(self.controls) or 'none'}"
        ]
        c = self.coefficients
        width = max(len(i) for i in c.index)
        pct = f"{self.level:.0%}"
        lines.append(
            f"  {'indicator':<{width}}  {'coef':>10}  {'se':>9}  {pct + ' CI':>23}  {'p':>6}  {'per SD':>8}  VIF"
        )
        for ind, row in c.iterrows():
            lines.append(
                f"  {ind:<{width}}  {row['coef']:>10.4g}  {row['se']:>9.3g}  "
                f"[{row['ci_low']:>9.4g}, {row['ci_high']:>9.4g}]  {row['p_value']:>6.3f}  "
                f"{row['std_coef']:>8.4f}  {self.vif.get(ind, np.nan):.2f}"
            )
        lines += [f"  ! {w}" for w in self.warnings]
        return "\n".join(lines)

    # results-object methods: summary() is a Summary; the text table is summary_text() (and str(summary()))
    summary_text = summary

    def summary(self) -> Summary:
        """Coefficients with intervals; str() gives the text table."""
        values = {
            "model": self.model,
            "outcome": self.outcome,
            "n": int(self.n),
            "managers": int(self.n_managers),
            self.r_squared_kind: float(self.r_squared),
        }
        return frame_summary(
            f"{self.model}: {self.outcome}",
            self.to_frame(),
            notes=list(self.warnings),
            text=self.summary_text(),
            values=values,
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def _coefficient_table(
    design: Design, params: np.ndarray, bse: np.ndarray, level: float, *, elasticity_factor: float = 1.0
) -> pd.DataFrame:
    p = design.p
    b, se = params[:p], bse[:p]
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pval = 2 * norm.sf(np.abs(b / se))
    means, ss = weighted_moments(design.x)  # column by column: no temporary the size of x
    sd = np.sqrt(ss / (design.n - 1))
    at = (means - design.floor) * elasticity_factor
    return pd.DataFrame(
        {
            "coef": b,
            "se": se,
            "ci_low": b - z * se,
            "ci_high": b + z * se,
            "p_value": pval,
            "std_coef": b * sd,
            "aligned": b * design.direction,
            "elasticity": b * at,
            "elasticity_low": (b - z * se) * at,
            "elasticity_high": (b + z * se) * at,
        },
        index=pd.Index(design.indicators, name="indicator"),
    )


def _vif(design: Design) -> pd.Series:
    """``VIF_j = 1 / (1 - R^2_j)``, R^2_j of indicator j on the other indicators and the controls.

    Equals (total centred sum of squares of x_j) / (its residual sum of squares
    given everything else), the latter ``1 / [S_xx^-1]_jj`` with ``S_xx`` the
    indicators' cross-products after partialling out the controls (Frisch-Waugh).
    """
    s = partial_moments(_gram(design), design.p)[: design.p, : design.p]
    _, tss = weighted_moments(design.x, design.weights)
    return pd.Series(tss * np.diag(np.linalg.inv(s)), index=pd.Index(design.indicators, name="indicator"), name="vif")


def _gram(design: Design) -> np.ndarray:
    """``Z' W Z`` of ``Z = [x, d, y]`` (read-only), computed once per design: the VIF, the partial R^2 and
    the evidence of several models all start from it."""
    cached = design.__dict__.get("_gram_cache")
    if cached is None:
        cached = cross_products((design.x, design.d, design.y), design.weights)  # a block of rows at a time
        cached.flags.writeable = False
        design.__dict__["_gram_cache"] = cached  # a frozen dataclass: stored beside its fields, not one of them
    return cached


def _sign_warnings(model: str, design: Design, table: pd.DataFrame) -> list[str]:
    out = []
    what = _OUTCOME_TEXT[design.outcome]
    for ind, row in table.iterrows():
        better = "lower" if design.direction[design.indicators.index(ind)] < 0 else "higher"
        if row["aligned"] <= 0:
            out.append(
                MethodWarning(
                    "regression.wrong_sign",
                    f"{ind}: in the {model} model a {better} {ind} goes with LOWER {what} "
                    f"(a negative effect in the rewarded direction; coefficient {row['coef']:.3g}, "
                    f"p = {row['p_value']:.2f}); it gets no evidence weight",
                    indicator=str(ind),
                    model=model,
                    better=better,
                    outcome=design.outcome,
                    coef=float(row["coef"]),
                    p=float(row["p_value"]),
                )
            )
        elif row["p_value"] > SIGNIFICANCE:
            out.append(
                MethodWarning(
                    "regression.not_significant",
                    f"{ind}: in the {model} model its effect on {what} is not distinguishable from zero at "
                    f"{SIGNIFICANCE:.0%} (p = {row['p_value']:.2f})",
                    indicator=str(ind),
                    model=model,
                    outcome=design.outcome,
                    level=SIGNIFICANCE,
                    p=float(row["p_value"]),
                )
            )
    return out


def _residual_frame(design: Design, fitted: np.ndarray, resid: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "manager_id": design.index.get_level_values(0),
            "period": design.index.get_level_values(1),
            "fitted": np.asarray(fitted, dtype=float),
            "residual": np.asarray(resid, dtype=float),
        }
    )


# --------------------------------------------------------------------------- models


def fit_growth_ols(design: Design, *, level: float = 0.90) -> RegressionResult:
    """OLS of next-quarter log revenue growth on the indicators and controls, SEs clustered by manager."""
    _check_level(level)
    # from row blocks of x and d (no stacked copy of the design); statsmodels' OLS figures with CR1 errors
    res = ols_blockwise((design.x, design.d), design.y, design.groups, hasconst=True)  # the dummies span a constant
    table = _coefficient_table(design, res.params, res.bse, level)
    return RegressionResult(
        model="growth_ols",
        outcome="revenue_growth",
        level=level,
        coefficients=table,
        n=design.n,
        n_managers=design.n_managers,
        r_squared=float(res.rsquared),
        r_squared_kind="R²",
        vif=_vif(design),
        residuals=_residual_frame(design, res.fitted, design.y - res.fitted),
        warnings=tuple(_sign_warnings("growth_ols", design, table)),
        controls=design.controls,
        extra={"r_squared_indicators": _partial_r2(design)},
        params=np.asarray(res.params, dtype=float),
    )


def fit_growth_mixed(design: Design, *, level: float = 0.90) -> RegressionResult:
    """Linear mixed model of next-quarter growth with a random intercept per manager (REML).

    Fitted by :func:`random_intercept_reml` (the same estimates and standard
    errors as statsmodels ``MixedLM(..., groups=managers).fit(reml=True)``,
    from per-manager sums instead of per-manager matrices).
    """
    _check_level(level)
    notes: list[str] = []
    columns = (design.x, design.d)  # read side by side: no stacked copy of the rows
    fit = random_intercept_reml(columns, design.y, design.groups)
    table = _coefficient_table(design, fit.params, fit.bse, level)
    var_manager, var_resid = fit.var_group, fit.scale
    r2_marginal = _marginal_r2(linear_predictor(columns, fit.params), var_manager, var_resid)
    if not fit.converged:
        notes.append(
            MethodWarning(
                "regression.not_converged",
                "growth_mixed: the mixed model did not converge; read its coefficients with care",
                model="growth_mixed",
            )
        )
    elif var_manager <= 1e-6 * var_resid:
        notes.append(
            MethodWarning(
                "regression.no_manager_variance",
                "growth_mixed: managers' own growth levels do not differ beyond noise (manager "
                "variance about 0), so the mixed model equals the pooled one",
                model="growth_mixed",
            )
        )
    return RegressionResult(
        model="growth_mixed",
        outcome="revenue_growth",
        level=level,
        coefficients=table,
        n=design.n,
        n_managers=design.n_managers,
        r_squared=r2_marginal,
        r_squared_kind="marginal R²",
        vif=_vif(design),
        residuals=_residual_frame(design, fit.fitted, design.y - fit.fitted),
        warnings=tuple(notes),
        controls=design.controls,
        extra={
            "manager_sd": float(np.sqrt(max(var_manager, 0.0))),
            "residual_sd": float(np.sqrt(var_resid)),
            "icc": var_manager / (var_manager + var_resid) if var_manager + var_resid > 0 else np.nan,
            "converged": float(bool(fit.converged)),
        },
    )


@dataclass(frozen=True, eq=False)
class RandomInterceptFit:
    """REML fit of ``y = X beta + u_group + e``, ``u ~ N(0, var_group)``, ``e ~ N(0, scale)``.

    ``params``/``bse``: fixed effects and their standard errors; ``ratio`` =
    var_group / scale; ``fitted`` = X beta plus each group's predicted
    intercept (BLUP), as statsmodels' ``fittedvalues``.
    """

    params: np.ndarray
    bse: np.ndarray
    var_group: float
    scale: float
    ratio: float
    fitted: np.ndarray
    converged: bool


def random_intercept_reml(
    exog: np.ndarray | Sequence[np.ndarray], y: np.ndarray, groups: np.ndarray
) -> RandomInterceptFit:
    """REML fit of a random-intercept model from per-group sums, in O(rows x k) time and O(groups x k) memory.

    With ``V_i = scale (I + r J)`` for a group of ``n_i`` rows, ``V_i^-1 =
    (I - r / (1 + n_i r) J) / scale``, so every quantity of the restricted
    likelihood (Harville 1977; Laird & Ware 1982) needs only ``X'X``,
    ``X'y``, ``y'y`` and the per-group sums ``X_i'1``, ``y_i'1``. The
    profiled REML log-likelihood is maximised over the variance ratio ``r``
    by a bounded 1-D search on ``sqrt(r)``, then refined by Newton steps;
    standard errors come from the observed Hessian of the profiled
    likelihood in (beta, r), the convention of statsmodels ``MixedLM``
    (Lindstrom & Bates 1988), so they agree with it to optimiser precision.
    """
    from scipy.optimize import minimize_scalar

    parts = as_columns(exog)  # one matrix, or its column blocks side by side (never stacked here)
    y = np.asarray(y, dtype=float)
    _, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    n, k = len(y), sum(a.shape[1] for a in parts)
    g = sizes.size
    nf = sizes.astype(float)
    sx = np.zeros((g, k))
    _group_sums(parts, inverse, g, out=sx)
    sy = np.bincount(inverse, weights=y, minlength=g)
    moments = cross_products([*parts, y])  # [X, y]' [X, y], a block of rows at a time
    xtx, xty, yty = moments[:k, :k], moments[:k, k], float(moments[k, k])
    fac = n - k

    def pieces(r: float):
        c = r / (1.0 + nf * r)
        a = xtx - (sx * c[:, None]).T @ sx
        b = xty - (sx * c[:, None]).T @ sy
        chol = np.linalg.cholesky(a)
        beta = np.linalg.solve(a, b)
        rvr = yty - float(np.sum(c * sy * sy)) - float(b @ beta)  # r' V0^-1 r at the GLS beta
        logdet = 2.0 * float(np.log(np.diag(chol)).sum())
        return c, a, beta, rvr, logdet

    def negloglik(s: float) -> float:
        r = s * s
        try:
            _, _, _, rvr, logdet = pieces(r)
        except np.linalg.LinAlgError:
            return np.inf
        if rvr <= 0:
            return np.inf
        return 0.5 * (float(np.log1p(nf * r).sum()) + logdet + fac * np.log(rvr))

    start = np.sqrt(_anova_ratio(parts, y, inverse, sizes))
    upper = max(10.0, 10 * start)
    opt = minimize_scalar(negloglik, bounds=(0.0, upper), method="bounded", options={"xatol": 1e-10, "maxiter": 500})
    s_hat = float(opt.x)
    converged = bool(opt.success) and s_hat < upper * (1 - 1e-6)
    if negloglik(0.0) <= opt.fun:
        s_hat = 0.0
    r = s_hat * s_hat
    c, a, beta, rvr, _ = pieces(r)
    scale = rvr / fac
    # observed Hessian of the profiled REML log-likelihood in (beta, r) (statsmodels' MixedLM.hessian)
    e_sum = sy - sx @ beta  # per-group residual sums
    w = 1.0 / (1.0 + nf * r)  # V0_i^-1 1 = w_i 1
    hess = np.empty((k + 1, k + 1))
    hess[:k, :k] = -fac * a / rvr
    cross = -fac * ((w * w * e_sum) @ sx) / rvr
    hess[k, :k] = hess[:k, k] = cross
    big_b = float(np.sum(w * w * e_sum * e_sum))
    big_d = float(np.sum(2.0 * nf * w**3 * e_sum * e_sum))
    h_re = float(np.sum(nf * nf * w * w)) / 2 - 0.5 * fac * (big_d / rvr - big_b**2 / rvr**2)
    xtax = (sx * (w * w)[:, None]).T @ sx
    f_mat = 2.0 * (sx * (nf * w**3)[:, None]).T @ sx
    ql = np.linalg.solve(a, xtax)
    h_re += 0.5 * (float(np.sum(ql.T * ql)) - float(np.trace(np.linalg.solve(a, f_mat))))
    hess[k, k] = h_re
    if r > 0:
        cov = np.linalg.inv(-hess)[:k, :k]
    else:  # on the boundary: the fixed-effects block alone
        cov = np.linalg.inv(-hess[:k, :k])
    bse = np.sqrt(np.clip(np.diag(cov), 0, None))
    blup = r * w * e_sum  # E[u_i | y] / 1, in y units
    fitted = linear_predictor(parts, beta)
    fitted += blup[inverse]
    return RandomInterceptFit(
        params=beta, bse=bse, var_group=r * scale, scale=scale, ratio=r, fitted=fitted, converged=converged
    )


def _group_sums(parts: list[np.ndarray], inverse: np.ndarray, groups: int, *, out: np.ndarray) -> np.ndarray:
    """Per-group column sums of the column blocks side by side, column by column with bincount."""
    c = 0
    for a in parts:
        for j in range(a.shape[1]):
            out[:, c] = np.bincount(inverse, weights=a[:, j], minlength=groups)
            c += 1
    return out


def _anova_ratio(parts: list[np.ndarray], y: np.ndarray, inverse: np.ndarray, sizes: np.ndarray) -> float:
    """One-way ANOVA estimate of var(group intercept) / var(residual) from OLS residuals: the search's scale."""
    e = y - ols_blockwise(parts, y, hasconst=False).fitted
    n, g = len(e), len(sizes)
    if g < 2 or n <= g:
        return 0.1
    means = np.bincount(inverse, weights=e) / sizes
    msw = float(((e - means[inverse]) ** 2).sum() / (n - g))
    msb = float((sizes * (means - e.mean()) ** 2).sum() / (g - 1))
    n0 = (n - (sizes**2).sum() / n) / (g - 1)
    ratio = (msb - msw) / n0 / msw if msw > 0 else 0.1
    return float(np.clip(ratio, 0.01, 10.0))


def fit_retention_glm(design: Design, *, level: float = 0.90) -> RegressionResult:
    """Binomial GLM (logit) of customers kept out of customers at start, SEs clustered by manager."""
    _check_level(level)
    if design.trials is None:
        raise CalibrateError("the retention model needs a retention design (design_matrix(..., 'retention'))")
    # IRLS from row blocks of x and d: statsmodels' GLM(Binomial) figures with CR1 errors
    res = logit_blockwise((design.x, design.d), design.kept, design.trials, design.groups)
    mu = res.fitted
    p_bar = float(np.average(design.y, weights=design.trials))
    table = _coefficient_table(design, res.params, res.bse, level, elasticity_factor=1 - p_bar)
    deviance_explained = 1 - float(res.deviance) / float(res.null_deviance) if res.null_deviance > 0 else np.nan
    pearson = (design.kept - design.trials * mu) / np.sqrt(design.trials * mu * (1 - mu))
    return RegressionResult(
        model="retention_glm",
        outcome="retention",
        level=level,
        coefficients=table,
        n=design.n,
        n_managers=design.n_managers,
        r_squared=deviance_explained,
        r_squared_kind="deviance explained",
        vif=_vif(design),
        residuals=_residual_frame(design, mu, pearson),
        warnings=tuple(_sign_warnings("retention_glm", design, table)),
        controls=design.controls,
        extra={"mean_retention": p_bar, "customers": float(design.trials.sum())},
        params=np.asarray(res.params, dtype=float),
    )


def _partial_r2(design: Design) -> float:
    s = partial_moments(_gram(design), design.p)
    sxx, sxy, syy = s[:-1, :-1], s[:-1, -1], s[-1, -1]
    return float(sxy @ np.linalg.solve(sxx, sxy) / syy)


def _marginal_r2(fixed: np.ndarray, var_manager: float, var_resid: float) -> float:
    """Nakagawa & Schielzeth (2013) marginal R^2: variance of the fixed part over the total."""
    v = float(np.var(fixed))
    return v / (v + max(var_manager, 0.0) + var_resid)


def _check_level(level: float) -> None:
    if not (0 < level < 1):
        raise CalibrateError(f"the interval level must be between 0 and 1 (e.g. 0.90), got {level}")


# --------------------------------------------------------------------------- the suite


@dataclass(frozen=True)
class RegressionSuite:
    """Every outcome model of one panel, their designs and the combined warnings."""

    growth: Design
    retention: Design
    growth_ols: RegressionResult
    retention_glm: RegressionResult
    growth_mixed: RegressionResult | None
    warnings: tuple[str, ...]

    @property
    def results(self) -> tuple[RegressionResult, ...]:
        return tuple(r for r in (self.growth_ols, self.growth_mixed, self.retention_glm) if r is not None)

    def to_frame(self) -> pd.DataFrame:
        """Coefficients of every model, one row per (model, indicator)."""
        return pd.concat([r.to_frame() for r in self.results], ignore_index=True)

    def fit_frame(self) -> pd.DataFrame:
        return pd.concat([r.fit_frame() for r in self.results], ignore_index=True)

    def vif_frame(self) -> pd.DataFrame:
        """VIF per indicator and model (wide: one column per model)."""
        return pd.DataFrame({r.model: r.vif for r in self.results}).reset_index(names="indicator")

    def residuals_frame(self) -> pd.DataFrame:
        return pd.concat([r.residuals.assign(model=r.model) for r in self.results], ignore_index=True)

    # results-object methods: summary() is a Summary; the text of every model is summary_text()
    def summary_text(self) -> str:
        return "\n\n".join(r.summary_text() for r in self.results)

    def summary(self) -> Summary:
        """One row per fitted model (to_frame's fit figures); str() gives every model's text table."""
        return frame_summary(
            "outcome regressions", self.fit_frame(), notes=list(self.warnings), text=self.summary_text()
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def outcome_regressions(
    panel: pd.DataFrame,
    indicator_set: IndicatorSet,
    *,
    controls: Sequence[str] = DEFAULT_CONTROLS,
    level: float = 0.90,
    mixed: bool = True,
) -> RegressionSuite:
    """Fit the growth OLS, the growth mixed model (unless ``mixed=False``) and the retention GLM.

    Examples
    --------
    >>> ds = load_dataset("data/sample/calibrate.yaml")               # doctest: +SKIP
    >>> suite = outcome_regressions(indicator_panel(ds), ds.indicator_set)   # doctest: +SKIP
    >>> print(suite.growth_ols.summary())                             # doctest: +SKIP
    """
    managers = (
        sorted(panel.index.get_level_values("manager_id").astype(str).unique())
        if "manager_id" in (panel.index.names or [])
        else None
    )
    growth = design_matrix(panel, indicator_set, "revenue_growth", controls=controls, managers=managers)
    retention = _share_rows(
        growth, design_matrix(panel, indicator_set, "retention", controls=controls, managers=growth.managers)
    )
    ols = fit_growth_ols(growth, level=level)
    glm = fit_retention_glm(retention, level=level)
    mix = fit_growth_mixed(growth, level=level) if mixed else None
    notes = list(ols.warnings) + list(glm.warnings)
    if mix is not None:
        notes += list(mix.warnings)
        for ind in growth.indicators:
            a, b = ols.coefficients.loc[ind], mix.coefficients.loc[ind]
            if a["aligned"] > 0 and a["p_value"] <= SIGNIFICANCE and b["p_value"] > SIGNIFICANCE:
                notes.append(
                    MethodWarning(
                        "regression.pooled_only",
                        f"{ind}: predicts growth in the pooled model (p = {a['p_value']:.3f}) but not once each "
                        f"manager's own growth level is modelled (mixed model p = {b['p_value']:.2f}); its "
                        f"apparent effect may reflect who the manager is rather than what the indicator measures",
                        indicator=str(ind),
                        p_pooled=float(a["p_value"]),
                        p_mixed=float(b["p_value"]),
                    )
                )
    return RegressionSuite(
        growth=growth, retention=retention, growth_ols=ols, retention_glm=glm, growth_mixed=mix, warnings=tuple(notes)
    )


def _share_rows(growth: Design, retention: Design) -> Design:
    """``retention`` reading growth's ``x`` and ``d`` when both models use the same manager-quarters
    (the usual case): the same numbers, one copy of the indicators instead of two."""
    if retention.index.equals(growth.index) and np.array_equal(retention.x, growth.x):
        if np.array_equal(retention.d, growth.d):
            return replace(retention, x=growth.x, d=growth.d)
        return replace(retention, x=growth.x)
    return retention


# --------------------------------------------------------------------------- evidence -> importance


def partial_moments(gram: np.ndarray, p: int) -> np.ndarray:
    """Covariance (cross-products) of ``[x, y]`` after partialling out the controls.

    ``gram`` is ``Z' W Z`` for ``Z = [x (p columns), d (controls), y]``, or a
    stack of them (..., k, k). Returns ``S = G_zz - G_zd G_dd^+ G_dz`` for
    ``z = [x, y]`` (shape (..., p + 1, p + 1)); the Moore-Penrose inverse
    keeps a resample that lacks some control level (an all-zero dummy) valid.
    """
    gram = np.asarray(gram, dtype=float)
    k = gram.shape[-1]
    zi = np.r_[np.arange(p), k - 1]
    di = np.arange(p, k - 1)
    g_zz = gram[..., zi[:, None], zi[None, :]]
    g_zd = gram[..., zi[:, None], di[None, :]]
    g_dd = gram[..., di[:, None], di[None, :]]
    return g_zz - g_zd @ np.linalg.pinv(g_dd, hermitian=True) @ np.swapaxes(g_zd, -1, -2)


def _corr(s: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.clip(np.diag(s), 0, None))
    return s / np.outer(sd, sd)


def growth_lmg(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LMG shares (R^2 units) and OLS coefficients from partialled moments ``S`` of ``[x, y]``."""
    p = s.shape[0] - 1
    beta = np.linalg.solve(s[:p, :p], s[:p, p])
    c = _corr(s)
    return lmg_from_corr(c[:p, :p], c[:p, p]), beta


def retention_lmg(sxx: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """LMG shares (summing to 1) of the variance of the linear predictor ``x beta``.

    ``sxx``: partialled (weighted) cross-products of the indicators; ``beta``:
    their logit coefficients. The outcome of this decomposition is the
    predictor itself, so the full-model R^2 is 1.
    """
    cov_xe = sxx @ beta
    var_e = float(beta @ cov_xe)
    p = len(beta)
    if not var_e > 0:
        return np.full(p, np.nan)
    sd = np.sqrt(np.diag(sxx))
    r_xy = np.clip(cov_xe / (sd * np.sqrt(var_e)), -1.0, 1.0)
    r_xx = sxx / np.outer(sd, sd)
    np.fill_diagonal(r_xx, 1.0)
    # the predictor is an exact combination of the indicators: R^2 = 1 up to round-off
    scale = float(r_xy @ np.linalg.solve(r_xx, r_xy))
    if scale > 1:
        r_xy = r_xy / np.sqrt(scale)
    return lmg_from_corr(r_xx, r_xy)


def _keep_right_sign(shares: np.ndarray, aligned: np.ndarray) -> np.ndarray:
    """Zero the shares of wrong-sign effects and renormalise (NaN everywhere when nothing is left)."""
    out = np.where(aligned > 0, np.clip(shares, 0, None), 0.0)
    total = out.sum()
    return out / total if total > 0 else np.full_like(out, np.nan)


def _combine(parts: Mapping[str, np.ndarray], shares: Mapping[str, float]) -> np.ndarray:
    avail = {k: v for k, v in parts.items() if shares.get(k, 0) > 0 and np.all(np.isfinite(v))}
    total = sum(shares[k] for k in avail)
    if not avail or total <= 0:
        return np.full(len(next(iter(parts.values()))), np.nan)
    return sum(shares[k] / total * v for k, v in avail.items())


@dataclass(frozen=True)
class EvidenceImportance:
    """Per-indicator importance for each outcome and their blend (each column sums to 1).

    ``lmg_revenue``/``lmg_retention`` are the raw LMG shares (normalised to
    sum 1); ``revenue``/``retention`` the same after zeroing wrong-sign
    effects; ``evidence`` the blend with ``shares`` (``revenue_growth``,
    ``retention``). ``r_squared_revenue`` is the indicators' R^2 beyond the
    controls.
    """

    table: pd.DataFrame
    shares: Mapping[str, float]
    r_squared_revenue: float
    warnings: tuple[str, ...]

    @property
    def evidence(self) -> pd.Series:
        return self.table["evidence"].rename("evidence")

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: lmg_revenue, lmg_retention, revenue, retention, evidence (shares of 1)."""
        return self.table.reset_index(names="indicator")

    def summary(self) -> str:
        t = self.table
        width = max(len(i) for i in t.index)
        lines = [
            f"evidence importance (revenue growth {self.shares['revenue_growth']:g}, retention "
            f"{self.shares['retention']:g}); indicators' R^2 for growth beyond controls "
            f"{self.r_squared_revenue:.3f}",
            f"  {'indicator':<{width}}  revenue  retention  evidence",
        ]
        for ind, row in t.iterrows():
            lines.append(f"  {ind:<{width}}  {row['revenue']:7.1%}  {row['retention']:9.1%}  {row['evidence']:8.1%}")
        lines += [f"  ! {w}" for w in self.warnings]
        return "\n".join(lines)

    # results-object methods: summary() is a Summary; the text table is summary_text() (and str(summary()))
    summary_text = summary

    def summary(self) -> Summary:
        """Evidence weights per indicator; str() gives the text table."""
        return frame_summary(
            "evidence importance",
            self.to_frame(),
            notes=list(self.warnings),
            text=self.summary_text(),
            values={"r_squared_revenue": float(self.r_squared_revenue)},
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def evidence_importance(suite: RegressionSuite, shares: Mapping[str, float] | None = None) -> EvidenceImportance:
    """Turn the regressions into evidence weights (see the module docstring).

    ``shares`` weigh the two outcomes (default 0.5 each); an outcome whose
    every effect has the wrong sign drops out and the other takes its share.
    """
    shares = _evidence_shares(shares)
    g, r = suite.growth, suite.retention
    raw_rev, beta = growth_lmg(partial_moments(_gram(g), g.p))
    r2 = float(raw_rev.sum())
    beta_ret = suite.retention_glm.coefficients["coef"].to_numpy()
    raw_ret = retention_lmg(partial_moments(_gram(r), r.p)[:-1, :-1], beta_ret)
    rev = _keep_right_sign(raw_rev, beta * g.direction)
    ret = _keep_right_sign(raw_ret, beta_ret * r.direction)
    notes = []
    for name, v in (("revenue_growth", rev), ("retention", ret)):
        if not np.all(np.isfinite(v)) and shares[name] > 0:
            notes.append(
                MethodWarning(
                    "evidence.no_predictor",
                    f"no indicator predicts better {_OUTCOME_TEXT[name]}; that outcome gives no evidence weight",
                    outcome=name,
                )
            )
    evidence = _combine({"revenue_growth": rev, "retention": ret}, shares)
    if not np.all(np.isfinite(evidence)):
        raise CalibrateError(
            "no indicator predicts better revenue growth or retention in the right direction, so "
            "there is no evidence to weight by; set weights.shares.evidence to 0"
        )
    table = pd.DataFrame(
        {
            "lmg_revenue": raw_rev / raw_rev.sum() if raw_rev.sum() > 0 else raw_rev,
            "lmg_retention": raw_ret,
            "revenue": rev,
            "retention": ret,
            "evidence": evidence,
        },
        index=pd.Index(g.indicators, name="indicator"),
    )
    return EvidenceImportance(table=table, shares=dict(shares), r_squared_revenue=r2, warnings=tuple(notes))


def _evidence_shares(shares: Mapping[str, float] | None) -> dict[str, float]:
    if shares is None:
        return {"revenue_growth": 0.5, "retention": 0.5}
    unknown = [k for k in shares if k not in OUTCOMES]
    if unknown:
        raise CalibrateError(
            f"weights.evidence_shares: unknown outcome(s) {', '.join(unknown)}; use {', '.join(OUTCOMES)}"
        )
    out = {k: float(shares.get(k, 0.0)) for k in OUTCOMES}
    if any(not (v >= 0) for v in out.values()) or abs(sum(out.values()) - 1) > 1e-6:
        raise CalibrateError(
            f"weights.evidence_shares must be non-negative and add up to 1, got "
            f"{', '.join(f'{k} {v:g}' for k, v in out.items())}"
        )
    return out

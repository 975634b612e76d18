"""Outcome regressions on any table: OLS and a binomial GLM with standard errors clustered by a column.

The same models as the company-panel fits of :mod:`calibrate.weights.regression`,
for a researcher's own DataFrame. Those fit from row blocks with statsmodels'
figures (:mod:`calibrate.weights.blockwise`, to keep memory low at 100,000
managers); the functions here call statsmodels itself (:func:`ols_fit`,
:func:`binomial_fit`), which also gives the classical covariance without
clusters:

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"nps": rng.normal(30, 20, 200), "team": np.repeat(np.arange(40), 5)})
>>> df["growth"] = 0.01 + 0.002 * df["nps"] + rng.normal(0, 0.05, 200)
>>> fit = outcome_regression(df, "growth", ["nps"], cluster="team")
>>> round(float(fit.to_frame().loc["nps", "coef"]), 4)
0.0018

Standard errors: with ``cluster`` the cluster-robust (CR1) covariance of
statsmodels (``cov_type="cluster"``: Liang & Zeger 1986, small-sample factor
G/(G-1) (n-1)/(n-k) for OLS), intervals and p-values from the normal
distribution; without it the classical covariance (t distribution for OLS),
so that ``outcome_regression`` reproduces textbook and NIST figures.

Elasticities at the means: OLS ``b * mean(x) / mean(y)`` (or ``b * mean(x)``
when the outcome is already a log change, ``log_outcome=True``); binomial
GLM (logit) ``b * (1 - p) * mean(x)`` with ``p`` the pooled success rate: the
relative change of the success rate per relative change of ``x``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError
from calibrate.results import Summary, frame_summary


class InvalidRegressionData(CalibrateError):
    """A table or column that an outcome regression cannot use."""


# --------------------------------------------------------------------------- fitting cores


def ols_fit(y: np.ndarray, exog: np.ndarray, groups: np.ndarray | None = None, *, hasconst: bool | None = None):
    """statsmodels OLS of ``y`` on ``exog``; clustered by ``groups`` when given.

    ``hasconst=True`` tells statsmodels that the columns span a constant (e.g.
    a full set of dummies), which it would otherwise find out from the rank of
    the design with and without a column of ones (two SVDs of the whole design).
    """
    import statsmodels.api as sm

    model = sm.OLS(y, exog, hasconst=hasconst)
    if groups is None:
        return model.fit()
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


def binomial_fit(
    successes: np.ndarray,
    trials: np.ndarray,
    exog: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    hasconst: bool | None = None,
):
    """statsmodels binomial GLM (logit link) of ``successes`` out of ``trials``; clustered by ``groups``
    (``hasconst``: as for :func:`ols_fit`)."""
    import statsmodels.api as sm

    endog = np.column_stack([successes, trials - successes])
    model = sm.GLM(endog, exog, family=sm.families.Binomial(), hasconst=hasconst)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' perfect-separation / domain chatter
        if groups is None:
            return model.fit()
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class OutcomeFit:
    """A fitted outcome model: one row per term with estimate, uncertainty and elasticity.

    ``coefficients`` is indexed by term (``intercept``, the predictors, then
    ``<control>[<level>]`` dummies) with columns ``coef``, ``se``,
    ``ci_low``/``ci_high`` (``level`` interval), ``p_value`` and
    ``elasticity`` (predictors only; see the module notes). ``fit_stat`` is
    R² (OLS) or the share of deviance explained (GLM).
    """

    model: str
    outcome: str
    predictors: tuple[str, ...]
    cluster: str | None
    level: float
    n: int
    n_clusters: int | None
    fit_stat: float
    fit_stat_name: str
    coefficients: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table (a copy): coef, se, ci_low, ci_high, p_value, elasticity per term."""
        return self.coefficients.copy()

    def conf_int(self) -> pd.DataFrame:
        """``ci_low`` and ``ci_high`` per term."""
        return self.coefficients[["ci_low", "ci_high"]].copy()

    def summary(self) -> Summary:
        """The coefficient table with the model line (n, fit statistic, kind of standard errors)."""
        values = {"n": int(self.n), self.fit_stat_name: float(self.fit_stat)}
        return frame_summary(
            self.summary_text().splitlines()[0],
            self.coefficients.rename_axis("term").reset_index(),
            text=self.summary_text(),
            values=values,
        )

    def summary_text(self) -> str:
        se_kind = f"clustered by {self.cluster} ({self.n_clusters} clusters)" if self.cluster else "classical"
        lines = [
            f"{self.model}: {self.outcome} on {', '.join(self.predictors)}; n = {self.n}; "
            f"{self.fit_stat_name} = {self.fit_stat:.4f}; standard errors {se_kind}",
            self.coefficients.to_string(float_format=lambda v: f"{v:.4g}", na_rep=""),
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


# --------------------------------------------------------------------------- public functions


def outcome_regression(
    frame: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    controls: Sequence[str] = (),
    intercept: bool = True,
    level: float = 0.95,
    log_outcome: bool = False,
) -> OutcomeFit:
    """OLS of ``outcome`` on ``predictors`` (numeric columns) and ``controls`` (categorical columns, as dummies).

    Rows with a missing value in any used column are left out. ``cluster``
    names the column whose rows are not independent (e.g. ``"manager_id"``
    for a manager's quarters). See the module notes for the standard errors
    and elasticities.
    """
    _check_level(level)
    rows, x, names, groups = _prepare(frame, [outcome], predictors, controls, cluster, intercept)
    y = rows[outcome].to_numpy(dtype=float)
    res = ols_fit(y, x, groups)
    denominator = 1.0 if log_outcome else float(y.mean())
    at = rows[list(predictors)].mean().to_numpy(dtype=float) / denominator
    return _result("ols", outcome, predictors, cluster, level, res, names, at, groups, float(res.rsquared), "R²")


def outcome_glm(
    frame: pd.DataFrame,
    successes: str,
    trials: str,
    predictors: Sequence[str],
    *,
    cluster: str | None = None,
    controls: Sequence[str] = (),
    intercept: bool = True,
    level: float = 0.95,
) -> OutcomeFit:
    """Binomial GLM (logit) of ``successes`` out of ``trials`` (count columns) on ``predictors`` and ``controls``.

    E.g. customers kept out of customers at the start of the quarter. Rows with
    a missing value or ``trials <= 0`` are left out; ``successes`` must lie in
    ``[0, trials]``. Same options as :func:`outcome_regression`.
    """
    _check_level(level)
    rows, x, names, groups = _prepare(
        frame, [successes, trials], predictors, controls, cluster, intercept, positive=trials
    )
    k, m = rows[successes].to_numpy(dtype=float), rows[trials].to_numpy(dtype=float)
    bad = np.flatnonzero((k < 0) | (k > m))
    if len(bad):
        raise InvalidRegressionData(
            f"row {rows.index[bad[0]]}: {successes} = {k[bad[0]]:g} is outside 0..{trials} "
            f"({m[bad[0]]:g}); successes must be between 0 and the trials"
        )
    res = binomial_fit(k, m, x, groups)
    rate = float(k.sum() / m.sum())
    at = rows[list(predictors)].mean().to_numpy(dtype=float) * (1 - rate)
    explained = 1 - float(res.deviance) / float(res.null_deviance) if res.null_deviance > 0 else np.nan
    return _result(
        "binomial_glm",
        f"{successes}/{trials}",
        predictors,
        cluster,
        level,
        res,
        names,
        at,
        groups,
        explained,
        "deviance explained",
    )


# --------------------------------------------------------------------------- helpers


def _prepare(
    frame: pd.DataFrame,
    outcomes: list[str],
    predictors: Sequence[str],
    controls: Sequence[str],
    cluster: str | None,
    intercept: bool,
    positive: str | None = None,
) -> tuple[pd.DataFrame, np.ndarray, list[str], np.ndarray | None]:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidRegressionData(f"expected a table (pandas DataFrame), got {type(frame).__name__}")
    predictors, controls = _names(predictors, "predictors"), _names(controls, "controls", allow_empty=True)
    used = [*outcomes, *predictors, *controls, *([cluster] if cluster else [])]
    absent = [c for c in dict.fromkeys(used) if c not in frame.columns]
    if absent:
        raise InvalidRegressionData(
            f"the table has no column(s) {', '.join(absent)}; it has {', '.join(map(str, frame.columns))}"
        )
    for col in [*outcomes, *predictors]:
        if not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            raise InvalidRegressionData(
                f"column {col} is not numeric; code it as numbers (or pass it in controls to enter it as categories)"
            )
    rows = frame.loc[frame[list(dict.fromkeys(used))].notna().all(axis=1)]
    if positive is not None:
        rows = rows.loc[rows[positive] > 0]
    blocks, names = [], []
    if intercept:
        blocks.append(np.ones((len(rows), 1)))
        names.append("intercept")
    blocks.append(rows[predictors].to_numpy(dtype=float))
    names += predictors
    for c in controls:
        codes = rows[c].astype(str)
        levels = sorted(codes.unique())
        for v in levels[1:] if intercept or c != controls[0] else levels:
            blocks.append((codes == v).to_numpy(dtype=float)[:, None])
            names.append(f"{c}[{v}]")
    x = np.column_stack(blocks)
    if len(rows) <= x.shape[1]:
        raise InvalidRegressionData(
            f"only {len(rows)} complete row(s) for {x.shape[1]} coefficients; "
            f"add rows or use fewer predictors and controls"
        )
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise InvalidRegressionData(
            f"the predictors and controls are collinear ({', '.join(names)}): one is a "
            f"combination of the others (or constant); drop one"
        )
    groups = None
    if cluster:
        groups = pd.factorize(rows[cluster])[0]
        if groups.max() < 1:
            raise InvalidRegressionData(
                f"cluster column {cluster} has a single value; clustered standard errors need at least 2 clusters"
            )
    return rows, x, names, groups


def _names(values: Sequence[str], what: str, allow_empty: bool = False) -> list[str]:
    names = [values] if isinstance(values, str) else [str(v) for v in values]
    if not names and not allow_empty:
        raise InvalidRegressionData(f"no {what} given; name at least one column")
    return names


def _result(
    model: str,
    outcome: str,
    predictors: Sequence[str],
    cluster: str | None,
    level: float,
    res,
    names: list[str],
    at: np.ndarray,
    groups: np.ndarray | None,
    fit_stat: float,
    fit_stat_name: str,
) -> OutcomeFit:
    params, bse = np.asarray(res.params, dtype=float), np.asarray(res.bse, dtype=float)
    ci = np.asarray(res.conf_int(alpha=1 - level), dtype=float)
    predictors = _names(predictors, "predictors")
    elasticity = pd.Series(np.nan, index=names)
    elasticity[predictors] = params[[names.index(p) for p in predictors]] * at
    table = pd.DataFrame(
        {
            "coef": params,
            "se": bse,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "p_value": np.asarray(res.pvalues, dtype=float),
            "elasticity": elasticity.to_numpy(),
        },
        index=pd.Index(names, name="term"),
    )
    return OutcomeFit(
        model=model,
        outcome=outcome,
        predictors=tuple(predictors),
        cluster=cluster,
        level=level,
        n=int(res.nobs),
        n_clusters=None if groups is None else int(groups.max() + 1),
        fit_stat=fit_stat,
        fit_stat_name=fit_stat_name,
        coefficients=table,
    )


def _check_level(level: float) -> None:
    if not (0 < level < 1):
        raise CalibrateError(f"the interval level must be between 0 and 1 (e.g. 0.95), got {level}")

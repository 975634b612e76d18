"""Data-driven baseline weights: equal, entropy and CRITIC.

These weights use only the spread of the indicator values across managers,
not any outcome; they are baselines to compare regression, relative
importance and AHP weights against.

Normalisation (shared by entropy and CRITIC)
--------------------------------------------
(Entropy also offers ``normalise="sum"``: shares of the column sum on the raw
values, see :func:`entropy_weights`.)

Each indicator column x_j over the m managers is min-max normalised so that
1 is best: ``z_ij = (x_ij - min_j) / (max_j - min_j)`` when higher is better,
``z_ij = (max_j - x_ij) / (max_j - min_j)`` when lower is better (e.g. churn).
A constant column carries no information and gets weight 0.

Entropy weight method
---------------------
``p_ij = z_ij / sum_i z_ij``; entropy ``e_j = -(1 / ln m) sum_i p_ij ln p_ij``
(with 0 ln 0 = 0), in [0, 1]; divergence ``d_j = 1 - e_j``; weight
``w_j = d_j / sum_k d_k``. An indicator on which managers differ a lot
(values concentrated on a few managers) has low entropy and a high weight.

CRITIC (Diakoulaki, Mavrotas & Papayannakis 1995, Computers & Operations
Research 22(7), 763-770)
-------------------------------------------------------------------------
``C_j = s_j * sum_k (1 - r_jk)`` with ``s_j`` the standard deviation of z_j
and ``r_jk`` the Pearson correlation of z_j and z_k (over the non-constant
indicators); ``w_j = C_j / sum_k C_k``. Contrast (spread) raises a weight,
redundancy (high correlation with other indicators) lowers it. Whether
``s_j`` uses m or m - 1 in the denominator does not matter: the factor is
common to all indicators and cancels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError, Problem, ValidationError
from calibrate.results import Summary, frame_summary
from calibrate.weights._checks import numeric_column, reject_duplicates, require_columns

__all__ = ["BaselineWeights", "equal_weights", "entropy_weights", "critic_weights"]

_DIRECTIONS = ("higher", "lower")
_MAX_LISTED = 8


@dataclass(frozen=True)
class BaselineWeights:
    """Weights (summing to 1, each in [0, 1]) and the per-indicator figures behind them.

    ``details`` has one row per indicator; its columns depend on the method
    (entropy: ``entropy``, ``divergence``; CRITIC: ``std``, ``conflict``,
    ``information``). ``n`` is the number of managers (rows) used.
    """

    method: str
    weights: pd.Series
    details: pd.DataFrame
    n: int

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: ``indicator``, ``weight``, the method's details, ``method``."""
        frame = self.details.copy()
        frame.insert(0, "weight", self.weights)
        frame = frame.reset_index(names="indicator")
        frame["method"] = self.method
        return frame

    def summary(self) -> Summary:
        """Weights per indicator and the method's details."""
        return frame_summary(
            f"{self.method} weights (n = {self.n})", self.to_frame(), values={"method": self.method, "n": int(self.n)}
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def equal_weights(indicators: Iterable[str]) -> BaselineWeights:
    """1/k for each of k indicators (an ``IndicatorSet`` works too: its ``ids`` are used)."""
    ids = list(getattr(indicators, "ids", indicators))
    ids = [str(i) for i in ids]
    if not ids:
        raise CalibrateError("equal weights need at least one indicator")
    reject_duplicates(ids, "indicator")
    index = pd.Index(ids, name="indicator")
    weights = pd.Series(1.0 / len(ids), index=index, name="weight")
    return BaselineWeights(method="equal", weights=weights, details=pd.DataFrame(index=index), n=0)


def entropy_weights(
    data: pd.DataFrame,
    columns: Sequence[str],
    directions: Mapping[str, str] | pd.Series | None = None,
    *,
    source: str = "data",
    normalise: str = "minmax",
) -> BaselineWeights:
    """Shannon entropy weights of the indicator ``columns`` (one row per manager).

    ``directions`` maps column -> ``"higher"`` or ``"lower"`` (is better);
    columns not listed are higher-is-better (an ``IndicatorSet.directions()``
    series works directly). Constant columns get weight 0; if every column is
    constant the weights are undefined and a :class:`CalibrateError` is raised.
    Missing or non-numeric values raise a :class:`ValidationError` naming the
    column. Formula: see the module docstring.

    ``normalise``: ``"minmax"`` (default; the module docstring) or ``"sum"``:
    ``p_ij = x_ij / sum_i x_ij`` on the values as given, as in many published
    worked examples (e.g. Xu 2004, EJOR 156(2), 530-532; Zavadskas & Podvezko
    2016, IJITDM 15(2), 267-283). Values must then be >= 0, and ``directions``
    are not used: the entropy of the shares measures how unevenly a column is
    spread whichever way is better (those papers apply it to cost criteria
    unchanged).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [10, 10, 10, 20], "c": [5, 1, 5, 1]})
    >>> entropy_weights(df, ["a", "b", "c"]).weights.round(4).to_dict()
    {'a': 0.1527, 'b': 0.5648, 'c': 0.2824}
    """
    if normalise not in ("minmax", "sum"):
        raise CalibrateError(f"entropy normalise must be 'minmax' or 'sum', got {normalise!r}")
    if normalise == "sum":
        z, constant, names = _sum_shares(data, columns, directions, source=source)
    else:
        z, constant, names = _normalised(data, columns, directions, source=source)
    m = z.shape[0]
    entropy = np.ones(len(names))
    for j in np.flatnonzero(~constant):
        p = z[:, j] / z[:, j].sum()
        nz = p[p > 0]
        entropy[j] = float(-(nz * np.log(nz)).sum() / np.log(m)) + 0.0  # no -0.0
    divergence = np.where(constant, 0.0, 1.0 - entropy)
    if not divergence.sum() > 0:
        raise CalibrateError(
            f"{source}: every indicator has the same normalised spread (entropy 1), so entropy weights are undefined"
        )
    index = pd.Index(names, name="indicator")
    weights = pd.Series(divergence / divergence.sum(), index=index, name="weight")
    details = pd.DataFrame({"entropy": entropy, "divergence": divergence, "constant": constant}, index=index)
    return BaselineWeights(method="entropy", weights=weights, details=details, n=m)


def critic_weights(
    data: pd.DataFrame,
    columns: Sequence[str],
    directions: Mapping[str, str] | pd.Series | None = None,
    *,
    source: str = "data",
) -> BaselineWeights:
    """CRITIC weights (Diakoulaki et al. 1995) of the indicator ``columns``.

    Same input rules as :func:`entropy_weights`. Constant columns get weight 0
    and are left out of the correlations; at least two indicators must vary and
    they must not all be perfectly correlated.
    """
    z, constant, names = _normalised(data, columns, directions, source=source)
    varying = np.flatnonzero(~constant)
    if len(varying) < 2:
        only = f" (only {names[varying[0]]} varies)" if len(varying) == 1 else ""
        raise CalibrateError(
            f"{source}: CRITIC needs at least two indicators that vary across "
            f"managers{only}; use entropy or equal weights instead"
        )
    std = np.zeros(len(names))
    conflict = np.zeros(len(names))
    sub = z[:, varying]
    std[varying] = sub.std(axis=0, ddof=1)
    corr = np.corrcoef(sub, rowvar=False)
    conflict[varying] = (1.0 - corr).sum(axis=1)
    information = std * conflict
    if not information.sum() > 1e-12 * std.max() * len(varying):  # all |r| = 1 up to round-off
        raise CalibrateError(
            f"{source}: the indicators are perfectly correlated with each other, "
            f"so CRITIC cannot tell them apart; use equal weights instead"
        )
    index = pd.Index(names, name="indicator")
    weights = pd.Series(information / information.sum(), index=index, name="weight")
    details = pd.DataFrame(
        {"std": std, "conflict": conflict, "information": information, "constant": constant}, index=index
    )
    return BaselineWeights(method="critic", weights=weights, details=details, n=z.shape[0])


# --------------------------------------------------------------------------- shared input handling


def _normalised(
    data: pd.DataFrame, columns: Sequence[str], directions: Mapping[str, str] | pd.Series | None, *, source: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Min-max normalise ``columns`` to [0, 1] with 1 = best; flag constant columns."""
    values, names, direction = _checked_values(data, columns, directions, source=source)
    lo, hi = values.min(axis=0), values.max(axis=0)
    span = hi - lo
    constant = ~(span > 0)
    if constant.all():
        raise CalibrateError(
            f"{source}: every indicator ({', '.join(names)}) has the same value "
            f"for all managers, so data-driven weights are undefined"
        )
    safe = np.where(constant, 1.0, span)
    z = (values - lo) / safe
    lower = np.array([direction[c] == "lower" for c in names])
    z[:, lower] = 1.0 - z[:, lower]
    z[:, constant] = 0.0
    return z, constant, names


def _sum_shares(
    data: pd.DataFrame, columns: Sequence[str], directions: Mapping[str, str] | pd.Series | None, *, source: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The raw values (>= 0) for column-sum shares; constant columns flagged (their entropy is 1)."""
    values, names, _ = _checked_values(data, columns, directions, source=source)
    negative = [c for k, c in enumerate(names) if (values[:, k] < 0).any()]
    if negative:
        raise CalibrateError(
            f"{source}: entropy with normalise='sum' needs values >= 0; column(s) "
            f"{', '.join(negative)} have negative values (use normalise='minmax')"
        )
    constant = ~(values.max(axis=0) > values.min(axis=0))
    if constant.all():
        raise CalibrateError(
            f"{source}: every indicator ({', '.join(names)}) has the same value "
            f"for all managers, so data-driven weights are undefined"
        )
    return values, constant, names


def _checked_values(
    data: pd.DataFrame, columns: Sequence[str], directions: Mapping[str, str] | pd.Series | None, *, source: str
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    if not isinstance(data, pd.DataFrame):
        raise CalibrateError(f"{source} must be a table (DataFrame), got {type(data).__name__}")
    names = [str(c) for c in ([columns] if isinstance(columns, str) else columns)]
    if not names:
        raise CalibrateError("weights need at least one indicator column")
    reject_duplicates(names, "indicator column")
    direction = _directions(names, directions)

    require_columns(data, names, source)
    problems: list[Problem] = []
    values = np.empty((len(data), len(names)))
    for k, c in enumerate(names):
        col = numeric_column(data[c], c, source, problems)
        if col is None:
            continue
        missing = col.isna()
        if missing.any():
            where = list(col.index[missing])
            shown = ", ".join(map(str, where[:_MAX_LISTED]))
            more = ", ..." if len(where) > _MAX_LISTED else ""
            problems.append(
                Problem(
                    source,
                    None,
                    c,
                    f"{len(where)} missing value(s) (index {shown}{more}); fill or drop them before computing weights",
                )
            )
            continue
        if not np.all(np.isfinite(col.to_numpy())):
            problems.append(Problem(source, None, c, "contains infinite values"))
            continue
        values[:, k] = col.to_numpy()
    if problems:
        raise ValidationError(problems)
    if len(data) < 2:
        raise CalibrateError(f"{source}: weights from data need at least 2 rows (managers), got {len(data)}")
    return values, names, direction


def _directions(names: list[str], directions: Mapping[str, str] | pd.Series | None) -> dict[str, str]:
    out = {c: "higher" for c in names}
    if directions is None:
        return out
    given = dict(directions.items())
    problems = []
    unknown = [str(k) for k in given if str(k) not in out]
    if unknown:
        problems.append(f"directions name column(s) not among the indicators: {', '.join(unknown)}")
    for key, value in given.items():
        v = str(value).strip().lower()
        if str(key) in out:
            if v not in _DIRECTIONS:
                problems.append(f"direction of {key} is {value!r}; use 'higher' or 'lower' (is better)")
            else:
                out[str(key)] = v
    if problems:
        raise CalibrateError("; ".join(problems))
    return out

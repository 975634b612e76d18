"""Analytic Hierarchy Process (AHP): priorities from pairwise judgments.

An expert compares pairs of items (indicators, dimensions) on Saaty's 1-9
scale: ``row`` is ``value`` times as important as ``col`` (1 = equal,
3 = moderately, 5 = strongly, 7 = very strongly, 9 = extremely more
important; 1/3 ... 1/9 the other way round). Input parsing and validation
live in :mod:`calibrate.weights.ahp_input`; this module holds the mathematics.
Hierarchies (dimensions, then indicators) are in :mod:`.ahp_hierarchy`.

Prioritisation (``method``)
---------------------------
* ``"eigenvector"`` (default): the principal right eigenvector of the
  reciprocal matrix ``A`` (Saaty 1980), normalised to sum to 1.
* ``"geometric_mean"``: the row geometric mean, normalised (Crawford &
  Williams 1985); the logarithmic least squares solution.

Incomplete matrices
-------------------
Experts may leave pairs out. As long as the given judgments link every item
(directly or through chains), priorities are defined:

* eigenvector: Harker's method (Harker 1987, "Incomplete pairwise
  comparisons in the analytic hierarchy process", Mathematical Modelling 9(11),
  837-848): the principal eigenvector of ``B`` with ``b_ij = a_ij`` for given
  pairs, 0 for missing ones and ``b_ii = 1 + (missing pairs in row i)``;
* geometric mean: logarithmic least squares for incomplete matrices
  (Bozóki, Fülöp & Rónyai 2010, "On optimal completion of incomplete pairwise
  comparison matrices", Mathematical and Computer Modelling 52, 318-333):
  ``log w`` solves the Laplacian system of the judgment graph.

In both cases the missing pair (i, j) is implied as ``w_i / w_j``
(:attr:`AHPResult.implied`), and the consistency ratio is that of the
completed matrix (for Harker's method its lambda_max is the Perron root of
``B``). When the judgments fall into unlinked groups, :class:`InvalidJudgments`
names the expert and the groups.

Consistency
-----------
``CI = (lambda_max - n) / (n - 1)`` with ``lambda_max`` the principal
eigenvalue of the (completed) matrix, whatever the prioritisation method;
``CR = CI / RI(n)``. The random index table is an option (``ri_table``):

* ``"saaty1980"`` (default): T. L. Saaty, The Analytic Hierarchy Process,
  McGraw-Hill 1980; n <= 15;
* ``"saaty2005"``: T. L. Saaty, Theory and Applications of the Analytic
  Network Process, RWS Publications 2005, p. 31 (AHPy's ``random_index='saaty'``);
  n <= 15;
* ``"donegan_dodd"``: H. A. Donegan & F. J. Dodd, "A note on Saaty's random
  indexes", Mathematical and Computer Modelling 15(10), 1991, 135-137 (AHPy's
  default ``'dd'``); tabulated for n = 3..20 and 25, 30, ..., 100, linear in
  between.

Published CRs differ mainly by the table used.

Panels
------
Panels of experts are combined either by aggregating individual judgments
(AIJ: element-wise weighted geometric mean of the matrices, which keeps them
reciprocal; over the experts who judged a pair when matrices are incomplete)
or by aggregating individual priorities (AIP: weighted geometric mean of the
priority vectors, renormalised); see Forman & Peniwati (1998),
"Aggregating individual judgments and priorities with the AHP",
European Journal of Operational Research 108(1), 165-169.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import InvalidJudgments
from calibrate.results import Summary, frame_summary
from calibrate.weights.ahp_input import (  # noqa: F401  (re-exported: the public input names)
    SAATY_SCALE,
    _exactly_reciprocal,
    _expert_matrices,
    _expert_weights,
    _fmt_scale,
    _raise_if,
    judgment_groups,
    reciprocal_matrix,
)

__all__ = [
    "SAATY_RANDOM_INDEX",
    "RANDOM_INDEX_TABLES",
    "SAATY_SCALE",
    "METHODS",
    "AHPResult",
    "AHPPanelResult",
    "WorstJudgment",
    "random_index",
    "reciprocal_matrix",
    "ahp_priorities",
    "aggregate_judgments",
    "aggregate_priorities",
    "ahp_panel",
]

# Saaty's random index RI(n): the mean consistency index of random reciprocal
# matrices of order n, n = 1..15, as tabulated in T. L. Saaty, "The Analytic
# Hierarchy Process", McGraw-Hill, 1980 (the table reproduced in most AHP
# software). With RI(7) = 1.32 the drinks case gives CR = 0.0223 -> 0.022, the
# published figure. (Alonso & Lamata 2006 re-simulated RI(7) = 1.3417, which
# would give 0.0219: also 0.022, but we keep Saaty's own table.)
SAATY_RANDOM_INDEX: Mapping[int, float] = MappingProxyType(
    {
        1: 0.0,
        2: 0.0,
        3: 0.58,
        4: 0.90,
        5: 1.12,
        6: 1.24,
        7: 1.32,
        8: 1.41,
        9: 1.45,
        10: 1.49,
        11: 1.51,
        12: 1.48,
        13: 1.56,
        14: 1.57,
        15: 1.59,
    }
)

#: The published random-index tables (see the module docstring for the sources).
RANDOM_INDEX_TABLES: Mapping[str, Mapping[int, float]] = MappingProxyType(
    {
        "saaty1980": SAATY_RANDOM_INDEX,
        "saaty2005": MappingProxyType(
            {
                1: 0.0,
                2: 0.0,
                3: 0.52,
                4: 0.89,
                5: 1.11,
                6: 1.25,
                7: 1.35,
                8: 1.40,
                9: 1.45,
                10: 1.49,
                11: 1.52,
                12: 1.54,
                13: 1.56,
                14: 1.58,
                15: 1.59,
            }
        ),
        "donegan_dodd": MappingProxyType(
            {
                1: 0.0,
                2: 0.0,
                3: 0.4914,
                4: 0.8286,
                5: 1.0591,
                6: 1.1797,
                7: 1.2519,
                8: 1.3171,
                9: 1.3733,
                10: 1.4055,
                11: 1.4213,
                12: 1.4497,
                13: 1.4643,
                14: 1.4822,
                15: 1.4969,
                16: 1.5078,
                17: 1.5153,
                18: 1.5262,
                19: 1.5313,
                20: 1.5371,
                25: 1.5619,
                30: 1.5772,
                40: 1.5976,
                50: 1.6102,
                60: 1.6178,
                70: 1.6237,
                80: 1.6277,
                90: 1.6213,
                100: 1.6339,
            }
        ),
    }
)
#: Prioritisation methods.
METHODS = ("eigenvector", "geometric_mean")
_METHOD_LABELS = {"eigenvector": "principal eigenvector", "geometric_mean": "row geometric mean"}


def random_index(n: int, table: str = "saaty1980") -> float:
    """RI(n) from a published table (``saaty1980``, ``saaty2005`` or ``donegan_dodd``).

    Between tabulated sizes of the Donegan-Dodd table (20 < n < 100) the value is
    interpolated linearly. Raises :class:`InvalidJudgments` beyond a table's range.
    """
    if table not in RANDOM_INDEX_TABLES:
        raise InvalidJudgments(f"ri_table must be one of {', '.join(RANDOM_INDEX_TABLES)}, got {table!r}")
    values = RANDOM_INDEX_TABLES[table]
    if n in values:
        return float(values[n])
    largest = max(values)
    if n > largest:
        hint = " Split the items into a hierarchy (dimensions, then the indicators within each dimension)."
        raise InvalidJudgments(
            f"{n} items cannot be compared in one AHP matrix: the random index {table} (needed for "
            f"the consistency ratio) is published for at most {largest}.{hint}"
        )
    sizes = sorted(values)
    lo = max(s for s in sizes if s < n)
    hi = min(s for s in sizes if s > n)
    return float(values[lo] + (values[hi] - values[lo]) * (n - lo) / (hi - lo))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class WorstJudgment:
    """The judgment that contributes most to the inconsistency.

    ``lambda_max - n = (1/n) * sum_{i<j} (e_ij + 1/e_ij - 2)`` with
    ``e_ij = a_ij * w_j / w_i``, and each term grows with ``|log e_ij|``; the
    pair with the largest ``|log e_ij|`` (``log_error``) is therefore the
    largest single contributor to the consistency index.
    """

    row: str
    col: str
    value: float
    """The expert's judgment: ``row`` is ``value`` times as important as ``col``."""
    consistent_value: float
    """``w_row / w_col``: the judgment the expert's other judgments imply."""
    suggested_value: float
    """``consistent_value`` rounded to the nearest value of Saaty's 1/9-9 scale."""
    log_error: float
    """``|log(value / consistent_value)|``; 0 for a perfectly consistent pair."""

    def __str__(self) -> str:
        return (
            f"{self.row}/{self.col} = {_fmt_scale(self.value)}; the other judgments imply "
            f"{self.consistent_value:.3g} (nearest scale value {_fmt_scale(self.suggested_value)})"
        )


@dataclass(frozen=True)
class AHPResult:
    """Priorities of one judgment matrix and its consistency diagnostics.

    ``priorities`` sum to 1 (shares, in [0, 1]); ``consistency_ratio`` is
    ``CI / RI(n)`` (0 for n <= 2, where every reciprocal matrix is consistent);
    ``consistent`` is ``consistency_ratio < threshold`` (Saaty's 0.1 by default).
    ``matrix`` is the completed matrix (missing pairs filled with their implied
    values, listed in ``implied``: columns ``row``, ``col``, ``implied_value``).
    """

    priorities: pd.Series
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float
    consistent: bool
    threshold: float
    worst_judgment: WorstJudgment | None
    matrix: pd.DataFrame
    expert: str | None = None
    method: str = "eigenvector"
    ri_table: str = "saaty1980"
    implied: pd.DataFrame | None = None

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(self.priorities.index)

    @property
    def complete(self) -> bool:
        """True when every pair had a judgment."""
        return self.implied is None or len(self.implied) == 0

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item``, ``priority`` (sums to 1), ``rank`` (1 = most important)."""
        frame = pd.DataFrame(
            {
                "item": list(self.priorities.index),
                "priority": self.priorities.to_numpy(),
                "rank": self.priorities.rank(ascending=False, method="min").astype(int).to_numpy(),
            }
        )
        if self.expert is not None:
            frame.insert(0, "expert", self.expert)
        return frame

    def summary_text(self) -> str:
        """A short plain-text report: priorities, lambda_max, CI, CR and the worst judgment."""
        who = f"expert {self.expert}: " if self.expert is not None else ""
        n = len(self.priorities)
        lines = [f"{who}AHP priorities ({n} items, {_METHOD_LABELS.get(self.method, self.method)})"]
        width = max(len(str(i)) for i in self.priorities.index)
        for item, value in self.priorities.sort_values(ascending=False).items():
            lines.append(f"  {str(item):<{width}}  {value:.4f}")
        lines.append(
            f"lambda_max = {self.lambda_max:.4f}, CI = {self.consistency_index:.4f}, "
            f"RI({n}) = {self.random_index:.2f}, CR = {self.consistency_ratio:.3f}"
        )
        verdict = "consistent" if self.consistent else "NOT consistent"
        lines.append(f"{verdict} (threshold CR < {self.threshold:g})")
        if self.worst_judgment is not None:
            lines.append(f"most inconsistent judgment: {self.worst_judgment}")
        if not self.complete and self.implied is not None:
            implied = ", ".join(f"{r.row}/{r.col} = {r.implied_value:.3g}" for r in self.implied.itertuples())
            lines.append(f"missing pairs, implied by the other judgments: {implied}")
        return "\n".join(lines)

    def summary(self) -> Summary:
        """Priorities (largest first) with lambda_max, CI, RI, CR and the verdict."""
        table = self.priorities.sort_values(ascending=False).rename_axis("item").reset_index(name="priority")
        values = {
            "items": int(len(self.priorities)),
            "lambda_max": float(self.lambda_max),
            "consistency_index": float(self.consistency_index),
            "random_index": float(self.random_index),
            "consistency_ratio": float(self.consistency_ratio),
            "consistent": bool(self.consistent),
        }
        who = f"expert {self.expert}: " if self.expert is not None else ""
        return frame_summary(f"{who}AHP priorities", table, text=self.summary_text(), values=values)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def expert_consistency_row(name: str, weight: float, result: Any) -> dict[str, Any]:
    """One expert's consistency row: weight, CR, flag and the judgment to revisit first.

    ``result``: anything with ``consistency_ratio``, ``consistent`` and ``worst_judgment``
    (an :class:`AHPResult`, or one expert's summary over a hierarchy's matrices).
    """
    worst = result.worst_judgment
    return {
        "expert": name,
        "weight": float(weight),
        "consistency_ratio": result.consistency_ratio,
        "consistent": result.consistent,
        "worst_pair": f"{worst.row}/{worst.col}" if worst else None,
        "worst_value": worst.value if worst else np.nan,
        "consistent_value": worst.consistent_value if worst else np.nan,
        "suggested_value": worst.suggested_value if worst else np.nan,
    }


@dataclass(frozen=True)
class AHPPanelResult:
    """Every expert's result plus the two panel aggregates.

    ``aij`` is the AHP result of the geometric-mean judgment matrix (aggregation
    of individual judgments, with its own consistency ratio); ``aip`` is the
    renormalised geometric mean of the experts' priorities.
    """

    experts: Mapping[str, AHPResult]
    aij: AHPResult
    aip: pd.Series
    expert_weights: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Tidy priorities: one row per (source, item).

        ``source`` is an expert id, ``"aggregate (AIJ)"`` or ``"aggregate (AIP)"``;
        ``consistency_ratio`` and ``consistent`` repeat on each of a source's
        rows (missing for AIP, which has no matrix).
        """
        parts = []
        for name, result in [*self.experts.items(), ("aggregate (AIJ)", self.aij)]:
            parts.append(
                pd.DataFrame(
                    {
                        "source": name,
                        "item": list(result.priorities.index),
                        "priority": result.priorities.to_numpy(),
                        "consistency_ratio": result.consistency_ratio,
                        "consistent": result.consistent,
                    }
                )
            )
        parts.append(
            pd.DataFrame(
                {
                    "source": "aggregate (AIP)",
                    "item": list(self.aip.index),
                    "priority": self.aip.to_numpy(),
                    "consistency_ratio": np.nan,
                    "consistent": pd.NA,
                }
            )
        )
        frame = pd.concat(parts, ignore_index=True)
        frame["consistent"] = frame["consistent"].astype("boolean")
        return frame

    def consistency_frame(self) -> pd.DataFrame:
        """One row per expert: weight, CR, flag and the judgment to revisit first."""
        rows = [
            expert_consistency_row(name, self.expert_weights[name], result) for name, result in self.experts.items()
        ]
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """The panel's weights per item (to_frame) and each expert's consistency ratio as notes."""
        notes = [
            f"{r.expert}: CR {r.consistency_ratio:.3f}"
            for r in self.consistency_frame().itertuples()
            if hasattr(r, "expert") and hasattr(r, "consistency_ratio")
        ]
        return frame_summary(f"AHP panel of {len(self.experts)} experts", self.to_frame(), notes=notes)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


# --------------------------------------------------------------------------- public API


def ahp_priorities(
    judgments: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    expert: str | None = None,
    threshold: float = 0.1,
    method: str = "eigenvector",
    ri_table: str = "saaty1980",
) -> AHPResult:
    """Priorities from one expert's pairwise judgments (Saaty 1-9 scale).

    Returns the priorities (summing to 1; ``method`` ``"eigenvector"`` or
    ``"geometric_mean"``), ``lambda_max``, the consistency index
    ``CI = (lambda_max - n) / (n - 1)``, the consistency ratio ``CR = CI / RI(n)``
    (``ri_table``: ``saaty1980`` by default, ``saaty2005`` or ``donegan_dodd``),
    whether ``CR < threshold`` and the judgment that most breaks consistency.
    Long judgments may leave pairs out (see the module docstring); their
    implied values are in ``result.implied``.

    Examples
    --------
    >>> long = pd.DataFrame({"row": ["revenue", "revenue", "nps"],
    ...                      "col": ["nps", "churn", "churn"], "value": [3, 5, 2]})
    >>> result = ahp_priorities(long)
    >>> result.priorities.round(3).to_dict()
    {'revenue': 0.648, 'nps': 0.23, 'churn': 0.122}
    >>> round(result.consistency_ratio, 3)
    0.003
    >>> ahp_priorities(long.iloc[:2]).implied.round(3).to_dict("records")
    [{'row': 'nps', 'col': 'churn', 'implied_value': 1.667}]
    """
    _check_options(threshold, method, ri_table)
    matrix = reciprocal_matrix(judgments, items, expert=expert, allow_missing=True)
    return _analyse(matrix, expert=expert, threshold=threshold, method=method, ri_table=ri_table)


def aggregate_judgments(
    frames: Mapping[str, pd.DataFrame] | pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Aggregate a panel's judgments (AIJ) into one reciprocal matrix.

    ``frames`` maps expert id -> that expert's judgments (long or square), or is
    one long DataFrame with an ``expert`` column. Each cell of the result is the
    weighted geometric mean ``exp(sum_k v_k log a_ij^(k) / sum_k v_k)`` over
    the experts ``k`` who judged the pair, with weights ``v_k`` (equal by
    default; any positive numbers, e.g. years of experience). Because
    ``log a_ji = -log a_ij`` for every expert, the aggregate is exactly
    reciprocal. A pair nobody judged stays NaN (an incomplete matrix).
    """
    matrices = _expert_matrices(frames, items, allow_missing=True)
    v = _expert_weights(list(matrices), weights)
    return _aggregate_matrices(matrices, v)


def aggregate_priorities(
    results: Mapping[str, AHPResult] | Sequence[AHPResult], *, weights: Mapping[str, float] | pd.Series | None = None
) -> pd.Series:
    """Aggregate individual priorities (AIP): weighted geometric mean, renormalised to sum 1.

    ``results`` maps expert id -> :class:`AHPResult` (or is a sequence, whose
    experts are then ``"1"``, ``"2"``, ...). All results must rank the same items.
    """
    if not isinstance(results, Mapping):
        results = {(r.expert if r.expert is not None else str(k + 1)): r for k, r in enumerate(results)}
    if not results:
        raise InvalidJudgments("no expert results to aggregate")
    names = list(results)
    first = results[names[0]].priorities
    for name in names[1:]:
        other = results[name].priorities
        if set(other.index) != set(first.index):
            raise InvalidJudgments(
                f"expert {name} ranked items {sorted(map(str, other.index))}, but expert "
                f"{names[0]} ranked {sorted(map(str, first.index))}; every expert must compare "
                f"the same items"
            )
    v = _expert_weights(names, weights)
    logs = np.stack([np.log(results[n].priorities.reindex(first.index).to_numpy()) for n in names])
    gm = np.exp(np.tensordot(v.to_numpy(), logs, axes=1))
    return pd.Series(gm / gm.sum(), index=first.index.copy(), name="priority")


def ahp_panel(
    judgments: pd.DataFrame | Mapping[str, pd.DataFrame],
    items: Sequence[str] | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    threshold: float = 0.1,
    method: str = "eigenvector",
    ri_table: str = "saaty1980",
) -> AHPPanelResult:
    """Analyse a panel: every expert's priorities and CR, plus AIJ and AIP aggregates.

    ``judgments`` is one long DataFrame with columns ``expert``, ``row``,
    ``col``, ``value`` (or a mapping expert -> judgments). Problems in any
    expert's judgments are reported together, each prefixed with the expert.
    ``method`` and ``ri_table`` as in :func:`ahp_priorities`.
    """
    _check_options(threshold, method, ri_table)
    matrices = _expert_matrices(judgments, items, allow_missing=True)
    return panel_from_matrices(matrices, weights=weights, threshold=threshold, method=method, ri_table=ri_table)


def panel_from_matrices(
    matrices: Mapping[str, pd.DataFrame],
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    threshold: float = 0.1,
    method: str = "eigenvector",
    ri_table: str = "saaty1980",
    label: str | None = None,
) -> AHPPanelResult:
    """:func:`ahp_panel` on already validated (possibly incomplete) matrices over the same items.

    ``label`` (e.g. the parent in a hierarchy) prefixes the panel's error messages.
    """
    v = _expert_weights(list(matrices), weights)
    problems: list[str] = []
    experts = {}
    for name, m in matrices.items():
        try:
            experts[name] = _analyse(m, expert=name, threshold=threshold, method=method, ri_table=ri_table, label=label)
        except InvalidJudgments as exc:
            problems.extend(getattr(exc, "problems", [str(exc)]))
    _raise_if(problems)
    aij_matrix = _aggregate_matrices(matrices, v)
    aij = _analyse(
        aij_matrix,
        expert=None,
        threshold=threshold,
        method=method,
        ri_table=ri_table,
        label=label,
        who="the panel's aggregate judgments",
    )
    aip = aggregate_priorities(experts, weights=v)
    return AHPPanelResult(experts=MappingProxyType(experts), aij=aij, aip=aip, expert_weights=v.rename("weight"))


# --------------------------------------------------------------------------- core numerics


def _check_options(threshold: float, method: str, ri_table: str) -> None:
    if not (0 < threshold < 1):
        raise InvalidJudgments(f"the consistency threshold must be between 0 and 1, got {threshold}")
    if method not in METHODS:
        raise InvalidJudgments(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if ri_table not in RANDOM_INDEX_TABLES:
        raise InvalidJudgments(f"ri_table must be one of {', '.join(RANDOM_INDEX_TABLES)}, got {ri_table!r}")


def _aggregate_matrices(matrices: Mapping[str, pd.DataFrame], v: pd.Series) -> pd.DataFrame:
    first = next(iter(matrices.values()))
    logs = np.stack([np.log(m.to_numpy(dtype=float)) for m in matrices.values()])
    given = np.isfinite(logs)
    wv = v.reindex(list(matrices)).to_numpy()[:, None, None] * given
    total = wv.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        agg = np.exp((np.where(given, logs, 0.0) * wv).sum(axis=0) / total)
    agg[total == 0] = np.nan
    agg = _exactly_reciprocal(agg)
    return pd.DataFrame(agg, index=first.index.copy(), columns=first.columns.copy())


def _analyse(
    matrix: pd.DataFrame,
    *,
    expert: str | None,
    threshold: float,
    method: str = "eigenvector",
    ri_table: str = "saaty1980",
    label: str | None = None,
    who: str | None = None,
) -> AHPResult:
    a = matrix.to_numpy(dtype=float)
    n = a.shape[0]
    ri = random_index(n, ri_table) if n > 0 else 0.0
    missing = ~np.isfinite(a)
    if missing.any():
        groups = judgment_groups(matrix)
        if len(groups) > 1:
            where = f"{label}: " if label else ""
            whom = who or (f"expert {expert}" if expert is not None else "the judgments")
            listed = "; ".join("{" + ", ".join(g) + "}" for g in groups)
            raise InvalidJudgments(
                f"{where}{whom} do not link all items: the groups {listed} are not compared with each "
                f"other, directly or through other items; add a judgment between each pair of groups"
            )
    if method == "eigenvector":
        w = _harker_eigenvector(a) if missing.any() else _principal_eigenvector(a)[0]
    else:
        w = _log_least_squares(a)
    completed = a.copy()
    if missing.any():
        ratio = w[:, None] / w[None, :]
        completed[missing] = ratio[missing]
    lambda_max = _principal_eigenvector(completed)[1]
    ci = (lambda_max - n) / (n - 1) if n > 1 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci  # round-off on consistent matrices
    cr = ci / ri if ri > 0 else 0.0
    full = pd.DataFrame(completed, index=matrix.index.copy(), columns=matrix.columns.copy())
    iu, ju = np.triu_indices(n, k=1)
    gaps = missing[iu, ju]
    implied = pd.DataFrame(
        {
            "row": [str(matrix.index[i]) for i in iu[gaps]],
            "col": [str(matrix.columns[j]) for j in ju[gaps]],
            "implied_value": completed[iu[gaps], ju[gaps]],
        }
    )
    priorities = pd.Series(w, index=matrix.index.copy(), name="priority")
    return AHPResult(
        priorities=priorities,
        lambda_max=lambda_max,
        consistency_index=ci,
        random_index=ri,
        consistency_ratio=cr,
        consistent=bool(cr < threshold),
        threshold=threshold,
        worst_judgment=_most_inconsistent(full, w, ~missing),
        matrix=full,
        expert=expert,
        method=method,
        ri_table=ri_table,
        implied=implied,
    )


def _principal_eigenvector(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Perron eigenvector (positive, sums to 1) and eigenvalue of a positive matrix."""
    if a.shape[0] == 1:
        return np.ones(1), 1.0
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    v = np.abs(vectors[:, k].real)  # Perron vector: one sign, positive entries
    w = v / v.sum()
    lambda_max = float(values[k].real)
    return w, lambda_max


def _harker_eigenvector(a: np.ndarray) -> np.ndarray:
    """Harker (1987): Perron vector of the matrix with missing cells 0 and 1 + (missing in row) on the diagonal."""
    missing = ~np.isfinite(a)
    b = np.where(missing, 0.0, a)
    b[np.diag_indices_from(b)] = 1.0 + missing.sum(axis=1)
    return _principal_eigenvector(b)[0]


def _log_least_squares(a: np.ndarray) -> np.ndarray:
    """Minimise sum over given pairs of (log a_ij - y_i + y_j)^2; w = exp(y) normalised.

    The normal equations are ``L y = r`` with ``L`` the Laplacian of the judgment
    graph and ``r_i = sum_j log a_ij`` over the given pairs of row i (Bozóki,
    Fülöp & Rónyai 2010, Theorem 4); on a complete matrix this is the row
    geometric mean. ``y`` is fixed by ``sum y = 0`` (the graph is connected).
    """
    n = a.shape[0]
    known = np.isfinite(a)
    np.fill_diagonal(known, False)
    logs = np.where(known, np.log(np.where(known, a, 1.0)), 0.0)
    lap = np.diag(known.sum(axis=1).astype(float)) - known.astype(float)
    r = logs.sum(axis=1)
    y = np.linalg.solve(lap + np.ones((n, n)) / n, r) if n > 1 else np.zeros(1)
    w = np.exp(y - y.max())
    return w / w.sum()


def _most_inconsistent(matrix: pd.DataFrame, w: np.ndarray, given: np.ndarray | None = None) -> WorstJudgment | None:
    a = matrix.to_numpy(dtype=float)
    n = a.shape[0]
    if n < 3:
        return None
    iu, ju = np.triu_indices(n, k=1)
    if given is not None:
        keep = given[iu, ju]
        iu, ju = iu[keep], ju[keep]
        if len(iu) == 0:
            return None
    log_err = np.abs(np.log(a[iu, ju] * w[ju] / w[iu]))
    k = _worst_index(log_err, np.abs(np.log(a[iu, ju])))
    i, j = int(iu[k]), int(ju[k])
    consistent = float(w[i] / w[j])
    return WorstJudgment(
        row=str(matrix.index[i]),
        col=str(matrix.columns[j]),
        value=float(a[i, j]),
        consistent_value=consistent,
        suggested_value=_nearest_scale(consistent),
        log_error=float(log_err[k]),
    )


TIE_TOLERANCE = 1e-9


def _worst_index(log_err: np.ndarray, strength: np.ndarray) -> int:
    """The judgment that deviates most, ties broken by a rule that does not depend on the BLAS.

    Deviations within ``TIE_TOLERANCE`` (relative) of the largest count as equal; in a
    3x3 matrix, for instance, all three judgments deviate equally by construction.
    Among equal ones the strongest judgment (largest ``|log a_ij|``, the one furthest
    from "equally important") is named, then the first in item order (row, then column).
    """
    top = float(log_err.max())
    tied = np.flatnonzero(log_err >= top - TIE_TOLERANCE * max(top, 1.0))
    strongest = strength[tied].max()
    tied = tied[strength[tied] >= strongest - TIE_TOLERANCE * max(strongest, 1.0)]
    return int(tied[0])


def _nearest_scale(x: float) -> float:
    scale = np.asarray(SAATY_SCALE)
    return float(scale[np.argmin(np.abs(np.log(scale) - math.log(x)))])

"""Analytic Hierarchy Process (AHP): priorities from pairwise judgments.

An expert compares every pair of items (indicators, dimensions) on Saaty's
1-9 scale: ``row`` is ``value`` times as important as ``col`` (1 = equal,
3 = moderately, 5 = strongly, 7 = very strongly, 9 = extremely more
important; 1/3 ... 1/9 the other way round). From the reciprocal judgment
matrix ``A`` the priorities are its principal right eigenvector (Saaty 1980),
normalised to sum to 1, and the consistency ratio says how far the judgments
contradict each other.

Panels of experts are combined either by aggregating individual judgments
(AIJ: element-wise geometric mean of the matrices, which keeps them
reciprocal) or by aggregating individual priorities (AIP: geometric mean of
the priority vectors, renormalised); see Forman & Peniwati (1998),
"Aggregating individual judgments and priorities with the AHP",
European Journal of Operational Research 108(1), 165-169.

Input formats
-------------
*Long* judgments: a DataFrame with columns ``row``, ``col``, ``value`` holding
each unordered pair exactly once (usually the upper triangle), optionally an
``expert`` column for a panel. *Square*: a DataFrame whose index and columns
are the same items, with 1 on the diagonal and ``A[j, i] = 1 / A[i, j]``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from calibrate.errors import InvalidJudgments
from calibrate.results import Summary, frame_summary

__all__ = [
    "SAATY_RANDOM_INDEX",
    "SAATY_SCALE",
    "AHPResult",
    "AHPPanelResult",
    "WorstJudgment",
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
SAATY_RANDOM_INDEX: Mapping[int, float] = MappingProxyType({
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
    9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
})

#: The 17 values of Saaty's scale, 1/9 ... 1 ... 9.
SAATY_SCALE: tuple[float, ...] = tuple([1 / k for k in range(9, 1, -1)] + list(range(1, 10)))

# Relative tolerances. On the scale (1%): 0.11 typed for 1/9 is accepted, 9.5 or
# 0.1 are not. Reciprocal (5%, also the diagonal): a square matrix with 0.33 or
# 0.13 typed for 1/3 or 1/8 is accepted and then made exactly reciprocal.
_SCALE_TOLERANCE = 0.01
_SCALE_MIN = (1 / 9) * (1 - _SCALE_TOLERANCE)
_SCALE_MAX = 9 * (1 + _SCALE_TOLERANCE)
_RECIPROCAL_TOLERANCE = 0.05
_LONG_COLUMNS = ("row", "col", "value")
_MAX_LISTED = 10


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
        return (f"{self.row}/{self.col} = {_fmt_scale(self.value)}; the other judgments imply "
                f"{self.consistent_value:.3g} (nearest scale value {_fmt_scale(self.suggested_value)})")


@dataclass(frozen=True)
class AHPResult:
    """Priorities of one judgment matrix and its consistency diagnostics.

    ``priorities`` sum to 1 (shares, in [0, 1]); ``consistency_ratio`` is
    ``CI / RI(n)`` (0 for n <= 2, where every reciprocal matrix is consistent);
    ``consistent`` is ``consistency_ratio < threshold`` (Saaty's 0.1 by default).
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

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(self.priorities.index)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item``, ``priority`` (sums to 1), ``rank`` (1 = most important)."""
        frame = pd.DataFrame({
            "item": list(self.priorities.index),
            "priority": self.priorities.to_numpy(),
            "rank": self.priorities.rank(ascending=False, method="min").astype(int).to_numpy(),
        })
        if self.expert is not None:
            frame.insert(0, "expert", self.expert)
        return frame

    def summary(self) -> str:
        """A short plain-text report: priorities, lambda_max, CI, CR and the worst judgment."""
        who = f"expert {self.expert}: " if self.expert is not None else ""
        n = len(self.priorities)
        lines = [f"{who}AHP priorities ({n} items, principal eigenvector)"]
        width = max(len(str(i)) for i in self.priorities.index)
        for item, value in self.priorities.sort_values(ascending=False).items():
            lines.append(f"  {str(item):<{width}}  {value:.4f}")
        lines.append(f"lambda_max = {self.lambda_max:.4f}, CI = {self.consistency_index:.4f}, "
                     f"RI({n}) = {self.random_index:.2f}, CR = {self.consistency_ratio:.3f}")
        verdict = "consistent" if self.consistent else "NOT consistent"
        lines.append(f"{verdict} (threshold CR < {self.threshold:g})")
        if self.worst_judgment is not None:
            lines.append(f"most inconsistent judgment: {self.worst_judgment}")
        return "\n".join(lines)

    # results-object methods: summary() is a Summary; the text report is summary_text() (and str(summary()))
    summary_text = summary

    def summary(self) -> Summary:
        """Priorities (largest first) with lambda_max, CI, RI, CR and the verdict."""
        table = self.priorities.sort_values(ascending=False).rename_axis("item").reset_index(name="priority")
        values = {"items": int(len(self.priorities)), "lambda_max": float(self.lambda_max),
                  "consistency_index": float(self.consistency_index), "random_index": float(self.random_index),
                  "consistency_ratio": float(self.consistency_ratio), "consistent": bool(self.consistent)}
        who = f"expert {self.expert}: " if self.expert is not None else ""
        return frame_summary(f"{who}AHP priorities", table, text=self.summary_text(), values=values)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


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
            parts.append(pd.DataFrame({
                "source": name, "item": list(result.priorities.index),
                "priority": result.priorities.to_numpy(),
                "consistency_ratio": result.consistency_ratio,
                "consistent": result.consistent,
            }))
        parts.append(pd.DataFrame({
            "source": "aggregate (AIP)", "item": list(self.aip.index),
            "priority": self.aip.to_numpy(), "consistency_ratio": np.nan, "consistent": pd.NA,
        }))
        frame = pd.concat(parts, ignore_index=True)
        frame["consistent"] = frame["consistent"].astype("boolean")
        return frame

    def consistency_frame(self) -> pd.DataFrame:
        """One row per expert: weight, CR, flag and the judgment to revisit first."""
        rows = []
        for name, result in self.experts.items():
            worst = result.worst_judgment
            rows.append({
                "expert": name,
                "weight": float(self.expert_weights[name]),
                "consistency_ratio": result.consistency_ratio,
                "consistent": result.consistent,
                "worst_pair": f"{worst.row}/{worst.col}" if worst else None,
                "worst_value": worst.value if worst else np.nan,
                "consistent_value": worst.consistent_value if worst else np.nan,
                "suggested_value": worst.suggested_value if worst else np.nan,
            })
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """The panel's weights per item (to_frame) and each expert's consistency ratio as notes."""
        notes = [f"{r.expert}: CR {r.consistency_ratio:.3f}" for r in self.consistency_frame().itertuples()
                 if hasattr(r, "expert") and hasattr(r, "consistency_ratio")]
        return frame_summary(f"AHP panel of {len(self.experts)} experts", self.to_frame(), notes=notes)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


# --------------------------------------------------------------------------- public API


def reciprocal_matrix(judgments: pd.DataFrame, items: Sequence[str] | None = None, *,
                      expert: str | None = None) -> pd.DataFrame:
    """Validate pairwise judgments and return the full reciprocal matrix.

    ``judgments`` is either long (columns ``row``, ``col``, ``value``: "row is
    value times as important as col", each unordered pair exactly once) or
    square (index = columns = items). ``items`` fixes the order and the
    expected set of items; by default they are taken in order of appearance.
    ``expert`` only labels error messages.

    Values must be positive and on Saaty's 1/9-9 scale (1% tolerance, so 0.11
    stands for 1/9); a square matrix must have 1 on its diagonal and be
    reciprocal to 1% (it is then made exactly reciprocal with
    ``sqrt(a_ij / a_ji)``). Raises :class:`InvalidJudgments` listing every
    problem: off-scale or non-positive values, non-reciprocal cells, missing,
    duplicate or self pairs, and unknown items.
    """
    if not isinstance(judgments, pd.DataFrame):
        raise InvalidJudgments(f"{_who(expert)}judgments must be a table (DataFrame), "
                               f"got {type(judgments).__name__}")
    if _is_square(judgments):
        matrix, problems = _square_to_matrix(judgments, items, expert)
    else:
        matrix, problems = _long_to_matrix(judgments, items, expert)
    _raise_if(problems)
    if len(matrix) > max(SAATY_RANDOM_INDEX):
        raise InvalidJudgments(
            f"{_who(expert)}{len(matrix)} items cannot be compared in one AHP matrix: Saaty's "
            f"random index (needed for the consistency ratio) is published for at most "
            f"{max(SAATY_RANDOM_INDEX)}. Split the items into a hierarchy (dimensions, then the "
            f"indicators within each dimension).")
    return matrix


def ahp_priorities(judgments: pd.DataFrame, items: Sequence[str] | None = None, *,
                   expert: str | None = None, threshold: float = 0.1) -> AHPResult:
    """Priorities from one expert's pairwise judgments (Saaty 1-9 scale).

    Returns the principal-eigenvector priorities (summing to 1), ``lambda_max``,
    the consistency index ``CI = (lambda_max - n) / (n - 1)``, the consistency
    ratio ``CR = CI / RI(n)`` (Saaty 1980 random index), whether
    ``CR < threshold`` and the judgment that most breaks consistency.

    Examples
    --------
    >>> long = pd.DataFrame({"row": ["revenue", "revenue", "nps"],
    ...                      "col": ["nps", "churn", "churn"], "value": [3, 5, 2]})
    >>> result = ahp_priorities(long)
    >>> result.priorities.round(3).to_dict()
    {'revenue': 0.648, 'nps': 0.23, 'churn': 0.122}
    >>> round(result.consistency_ratio, 3)
    0.003
    """
    if not (0 < threshold < 1):
        raise InvalidJudgments(f"the consistency threshold must be between 0 and 1, got {threshold}")
    matrix = reciprocal_matrix(judgments, items, expert=expert)
    return _analyse(matrix, expert=expert, threshold=threshold)


def aggregate_judgments(frames: Mapping[str, pd.DataFrame] | pd.DataFrame,
                        items: Sequence[str] | None = None, *,
                        weights: Mapping[str, float] | pd.Series | None = None) -> pd.DataFrame:
    """Aggregate a panel's judgments (AIJ) into one reciprocal matrix.

    ``frames`` maps expert id -> that expert's judgments (long or square), or is
    one long DataFrame with an ``expert`` column. Each cell of the result is the
    weighted geometric mean ``exp(sum_k v_k log a_ij^(k) / sum_k v_k)`` over
    experts ``k`` with weights ``v_k`` (equal by default; any positive numbers,
    e.g. years of experience). Because ``log a_ji = -log a_ij`` for every
    expert, the aggregate is exactly reciprocal.
    """
    matrices = _expert_matrices(frames, items)
    v = _expert_weights(list(matrices), weights)
    first = next(iter(matrices.values()))
    logs = np.stack([np.log(m.to_numpy()) for m in matrices.values()])
    agg = np.exp(np.tensordot(v.to_numpy(), logs, axes=1))
    agg = _exactly_reciprocal(agg)
    return pd.DataFrame(agg, index=first.index.copy(), columns=first.columns.copy())


def aggregate_priorities(results: Mapping[str, AHPResult] | Sequence[AHPResult], *,
                         weights: Mapping[str, float] | pd.Series | None = None) -> pd.Series:
    """Aggregate individual priorities (AIP): weighted geometric mean, renormalised to sum 1.

    ``results`` maps expert id -> :class:`AHPResult` (or is a sequence, whose
    experts are then ``"1"``, ``"2"``, ...). All results must rank the same items.
    """
    if not isinstance(results, Mapping):
        results = {(r.expert if r.expert is not None else str(k + 1)): r
                   for k, r in enumerate(results)}
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
                f"the same items")
    v = _expert_weights(names, weights)
    logs = np.stack([np.log(results[n].priorities.reindex(first.index).to_numpy()) for n in names])
    gm = np.exp(np.tensordot(v.to_numpy(), logs, axes=1))
    return pd.Series(gm / gm.sum(), index=first.index.copy(), name="priority")


def ahp_panel(judgments: pd.DataFrame | Mapping[str, pd.DataFrame],
              items: Sequence[str] | None = None, *,
              weights: Mapping[str, float] | pd.Series | None = None,
              threshold: float = 0.1) -> AHPPanelResult:
    """Analyse a panel: every expert's priorities and CR, plus AIJ and AIP aggregates.

    ``judgments`` is one long DataFrame with columns ``expert``, ``row``,
    ``col``, ``value`` (or a mapping expert -> judgments). Problems in any
    expert's judgments are reported together, each prefixed with the expert.
    """
    matrices = _expert_matrices(judgments, items)
    v = _expert_weights(list(matrices), weights)
    experts = {name: _analyse(m, expert=name, threshold=threshold) for name, m in matrices.items()}
    aij_matrix = aggregate_judgments(matrices, weights=v)
    aij = _analyse(aij_matrix, expert=None, threshold=threshold)
    aip = aggregate_priorities(experts, weights=v)
    return AHPPanelResult(experts=MappingProxyType(experts), aij=aij, aip=aip,
                          expert_weights=v.rename("weight"))


# --------------------------------------------------------------------------- core numerics


def _analyse(matrix: pd.DataFrame, *, expert: str | None, threshold: float) -> AHPResult:
    a = matrix.to_numpy(dtype=float)
    n = a.shape[0]
    w, lambda_max = _principal_eigenvector(a)
    ri = SAATY_RANDOM_INDEX[n]
    ci = (lambda_max - n) / (n - 1) if n > 1 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci     # round-off on consistent matrices
    cr = ci / ri if ri > 0 else 0.0
    priorities = pd.Series(w, index=matrix.index.copy(), name="priority")
    return AHPResult(priorities=priorities, lambda_max=lambda_max, consistency_index=ci,
                     random_index=ri, consistency_ratio=cr, consistent=bool(cr < threshold),
                     threshold=threshold, worst_judgment=_most_inconsistent(matrix, w),
                     matrix=matrix, expert=expert)


def _principal_eigenvector(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Perron eigenvector (positive, sums to 1) and eigenvalue of a positive matrix."""
    if a.shape[0] == 1:
        return np.ones(1), 1.0
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    v = np.abs(vectors[:, k].real)        # Perron vector: one sign, positive entries
    w = v / v.sum()
    lambda_max = float(values[k].real)
    return w, lambda_max


def _most_inconsistent(matrix: pd.DataFrame, w: np.ndarray) -> WorstJudgment | None:
    a = matrix.to_numpy(dtype=float)
    n = a.shape[0]
    if n < 3:
        return None
    iu, ju = np.triu_indices(n, k=1)
    log_err = np.abs(np.log(a[iu, ju] * w[ju] / w[iu]))
    k = _worst_index(log_err, np.abs(np.log(a[iu, ju])))
    i, j = int(iu[k]), int(ju[k])
    consistent = float(w[i] / w[j])
    return WorstJudgment(row=str(matrix.index[i]), col=str(matrix.columns[j]), value=float(a[i, j]),
                         consistent_value=consistent, suggested_value=_nearest_scale(consistent),
                         log_error=float(log_err[k]))


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


def _exactly_reciprocal(a: np.ndarray) -> np.ndarray:
    """``sqrt(a_ij / a_ji)``: exactly reciprocal, unchanged where ``a`` already is."""
    out = np.sqrt(a / a.T)
    np.fill_diagonal(out, 1.0)
    return out


# --------------------------------------------------------------------------- input parsing


def _is_square(frame: pd.DataFrame) -> bool:
    if set(_LONG_COLUMNS) <= set(map(str, frame.columns)):
        return False
    return frame.shape[0] == frame.shape[1] and set(map(str, frame.index)) == set(map(str, frame.columns))


def _long_to_matrix(frame: pd.DataFrame, items: Sequence[str] | None,
                    expert: str | None) -> tuple[pd.DataFrame, list[str]]:
    who = _who(expert)
    missing_cols = [c for c in _LONG_COLUMNS if c not in frame.columns]
    if missing_cols:
        raise InvalidJudgments(
            f"{who}judgments need the columns row, col and value (long format) or a square "
            f"table whose row and column labels are the same items; missing column(s): "
            f"{', '.join(missing_cols)}")
    rows = frame["row"].astype(str).str.strip().tolist()
    cols = frame["col"].astype(str).str.strip().tolist()
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    raw_values = frame["value"].tolist()

    problems: list[str] = []
    if items is None:
        order: list[str] = []
        for name in (x for pair in zip(rows, cols) for x in pair):
            if name not in order:
                order.append(name)
    else:
        order = [str(i) for i in items]
        _check_items(order, who, problems)
        known = set(order)
        unknown = sorted({x for x in rows + cols if x not in known})
        for name in unknown:
            pairs = [f"{r}/{c}" for r, c in zip(rows, cols) if name in (r, c)]
            problems.append(f"{who}judgment {pairs[0]} names an unknown item '{name}'; the items "
                            f"are {', '.join(order)}")
        if problems:
            return pd.DataFrame(), problems

    index = {name: k for k, name in enumerate(order)}
    n = len(order)
    a = np.ones((n, n))
    seen: dict[frozenset, tuple[str, str, int]] = {}
    for pos, (r, c, v, raw) in enumerate(zip(rows, cols, values, raw_values)):
        label = f"{who}judgment {r}/{c}"
        if r == c:
            if not (np.isfinite(v) and abs(v - 1) <= _RECIPROCAL_TOLERANCE):
                problems.append(f"{label} = {raw} compares an item with itself; leave it out "
                                f"(an item is always 1 times as important as itself)")
            continue
        key = frozenset((r, c))
        if key in seen:
            pr, pc, ppos = seen[key]
            problems.append(f"{label} is given twice (entries {ppos + 1} and {pos + 1}, the "
                            f"first as {pr}/{pc}); give each pair once")
            continue
        seen[key] = (r, c, pos)
        problem = _value_problem(label, v, raw)
        if problem:
            problems.append(problem)
            continue
        a[index[r], index[c]] = v
        a[index[c], index[r]] = 1.0 / v

    missing = [f"{order[i]}/{order[j]}" for i in range(n) for j in range(i + 1, n)
               if frozenset((order[i], order[j])) not in seen]
    if missing and n > 1:
        shown = ", ".join(missing[:_MAX_LISTED])
        more = f" and {len(missing) - _MAX_LISTED} more" if len(missing) > _MAX_LISTED else ""
        problems.append(f"{who}{len(missing)} of {n * (n - 1) // 2} pairs have no judgment: "
                        f"{shown}{more}; every pair of items needs one")
    if n == 0:
        problems.append(f"{who}no judgments were given")
    return pd.DataFrame(a, index=pd.Index(order, name="row"), columns=pd.Index(order, name="col")), problems


def _square_to_matrix(frame: pd.DataFrame, items: Sequence[str] | None,
                      expert: str | None) -> tuple[pd.DataFrame, list[str]]:
    who = _who(expert)
    problems: list[str] = []
    frame = frame.copy()
    frame.index = frame.index.map(lambda x: str(x).strip())
    frame.columns = frame.columns.map(lambda x: str(x).strip())
    if frame.index.has_duplicates:
        dup = sorted(set(frame.index[frame.index.duplicated()]))
        return pd.DataFrame(), [f"{who}item(s) {', '.join(dup)} appear twice in the matrix"]
    order = list(frame.index) if items is None else [str(i) for i in items]
    if items is not None:
        _check_items(order, who, problems)
        unknown = sorted(set(frame.index) - set(order))
        absent = [i for i in order if i not in set(frame.index)]
        for name in unknown:
            problems.append(f"{who}the matrix names an unknown item '{name}'; the items are "
                            f"{', '.join(order)}")
        for name in absent:
            problems.append(f"{who}item '{name}' has no row or column in the matrix; every pair "
                            f"of items needs a judgment")
        if problems:
            return pd.DataFrame(), problems
    sub = frame.loc[order, order]
    raw = sub.to_numpy(dtype=object)
    a = sub.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    n = len(order)
    for i in range(n):
        v = a[i, i]
        if not (np.isfinite(v) and abs(v - 1) <= _RECIPROCAL_TOLERANCE):
            problems.append(f"{who}diagonal cell {order[i]}/{order[i]} = {raw[i, i]} must be 1 "
                            f"(an item is always 1 times as important as itself)")
    for i in range(n):
        for j in range(i + 1, n):
            bad = False
            for (r, c) in ((i, j), (j, i)):
                problem = _value_problem(f"{who}judgment {order[r]}/{order[c]}", a[r, c], raw[r, c])
                if problem:
                    problems.append(problem)
                    bad = True
            if not bad and abs(a[i, j] * a[j, i] - 1) > _RECIPROCAL_TOLERANCE:
                problems.append(
                    f"{who}judgments {order[i]}/{order[j]} = {_fmt_scale(a[i, j])} and "
                    f"{order[j]}/{order[i]} = {_fmt_scale(a[j, i])} are not reciprocal: if "
                    f"{order[i]} is {_fmt_scale(a[i, j])} times as important as {order[j]}, then "
                    f"{order[j]}/{order[i]} must be {_fmt_scale(1 / a[i, j])}")
    if problems:
        return pd.DataFrame(), problems
    a = _exactly_reciprocal(a)
    return pd.DataFrame(a, index=pd.Index(order, name="row"), columns=pd.Index(order, name="col")), problems


def _value_problem(label: str, v: float, raw: object) -> str | None:
    if not np.isfinite(v):
        return f"{label} = {raw!r} is missing or not a number; use a value from 1/9 to 9"
    if v <= 0:
        return (f"{label} = {_fmt_scale(v)} is not positive; judgments are ratios from 1/9 to 9 "
                f"(use 1/3, not -3, for 'moderately less important')")
    if not (_SCALE_MIN <= v <= _SCALE_MAX):
        return f"{label} = {_fmt_scale(v)} is off Saaty's 1/9-9 scale"
    return None


def _check_items(order: list[str], who: str, problems: list[str]) -> None:
    seen = set()
    for name in order:
        if name in seen:
            problems.append(f"{who}item '{name}' is listed twice in items")
        seen.add(name)


def _expert_matrices(frames: Mapping[str, pd.DataFrame] | pd.DataFrame,
                     items: Sequence[str] | None) -> dict[str, pd.DataFrame]:
    if isinstance(frames, pd.DataFrame):
        if "expert" not in frames.columns:
            raise InvalidJudgments("panel judgments need an 'expert' column (or pass a mapping "
                                   "expert -> judgments)")
        if frames["expert"].isna().any():
            bad = [k + 1 for k, x in enumerate(frames["expert"].isna()) if x][:_MAX_LISTED]
            raise InvalidJudgments(f"panel judgments: entries {bad} have no expert id")
        groups = {str(name): g.drop(columns="expert")
                  for name, g in frames.groupby(frames["expert"].astype(str), sort=False)}
    else:
        groups = {str(name): g for name, g in frames.items()}
    if not groups:
        raise InvalidJudgments("no expert judgments were given")
    if items is None:
        first = next(iter(groups.values()))
        if _is_square(first):
            items = [str(i).strip() for i in first.index]
        elif all(c in first.columns for c in _LONG_COLUMNS):
            items = []
            for g in groups.values():
                for name in (x for pair in zip(g["row"].astype(str).str.strip(),
                                               g["col"].astype(str).str.strip()) for x in pair):
                    if name not in items:
                        items.append(name)
    matrices: dict[str, pd.DataFrame] = {}
    problems: list[str] = []
    for name, g in groups.items():
        try:
            matrices[name] = reciprocal_matrix(g, items, expert=name)
        except InvalidJudgments as exc:
            problems.extend(getattr(exc, "problems", [str(exc)]))
    _raise_if(problems)
    return matrices


def _expert_weights(names: list[str], weights: Mapping[str, float] | pd.Series | None) -> pd.Series:
    if weights is None:
        return pd.Series(1.0 / len(names), index=names, name="weight")
    weights = pd.Series(weights, dtype=float) if not isinstance(weights, pd.Series) else weights.astype(float)
    weights.index = weights.index.map(str)
    missing = [n for n in names if n not in weights.index]
    unknown = [n for n in weights.index if n not in names]
    problems = []
    if missing:
        problems.append(f"expert weights are missing for: {', '.join(missing)}")
    if unknown:
        problems.append(f"expert weights name unknown experts: {', '.join(unknown)}")
    bad = [f"{n} = {weights[n]}" for n in names if n in weights.index
           and not (np.isfinite(weights[n]) and weights[n] > 0)]
    if bad:
        problems.append(f"expert weights must be positive numbers: {', '.join(bad)}")
    _raise_if(problems)
    v = weights.reindex(names)
    return (v / v.sum()).rename("weight")


def _raise_if(problems: list[str]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        exc = InvalidJudgments(problems[0])
    else:
        shown = problems[:50]
        lines = [f"{len(problems)} problems in the pairwise judgments:"] + [f"  - {p}" for p in shown]
        if len(problems) > 50:
            lines.append(f"  ... and {len(problems) - 50} more")
        exc = InvalidJudgments("\n".join(lines))
    exc.problems = list(problems)   # type: ignore[attr-defined]
    raise exc


def _who(expert: str | None) -> str:
    return f"expert {expert}: " if expert is not None else ""


def _fmt_scale(v: float) -> str:
    """12 -> '12', 0.3333 -> '1/3', 0.4 -> '0.4'."""
    if not np.isfinite(v):
        return str(v)
    if v > 0 and v < 1:
        inv = 1 / v
        if abs(inv - round(inv)) < 1e-6:
            return f"1/{int(round(inv))}"
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.4g}"

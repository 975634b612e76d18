"""Hierarchical AHP: judgments at each level (dimensions, then indicators within each dimension).

Each group of siblings (the dimensions under the goal; the indicators of one
dimension) is compared in its own small matrix, so no matrix is large however
many indicators a set has. Every matrix gets its local priorities (summing to
1 within the group), its consistency ratio, and the panel aggregates of
:mod:`.ahp` (AIJ, AIP, with expert weights); the *global* priority of an item
is its local priority times the global priority of its parent (Saaty 1980,
hierarchic composition), so the leaves' global priorities sum to 1.

Input (long, extends ``ahp_judgments.csv``)
-------------------------------------------
Columns ``expert`` (optional), ``row``, ``col``, ``value`` and an optional
``parent``: the group a judgment belongs to (a dimension id, or the root name
``goal`` for judgments between dimensions). Without ``parent`` (or where it is
blank) the group is inferred: the one group that holds both ``row`` and
``col``. So judgments between dimension ids compare dimensions, judgments
between two indicators of one dimension compare them within it:

    expert,row,col,value
    E1,results,customer_value,3
    E1,revenue_attainment,profit_margin,2

An expert may leave out pairs (incomplete matrices, see :mod:`.ahp`) and even
whole groups (the panel of that group is then the experts who judged it).
A group with two or more members that nobody judged is an error; a group with
one member needs no judgment (local priority 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from calibrate.errors import InvalidJudgments
from calibrate.results import Summary, frame_summary
from calibrate.weights.ahp import (
    AHPPanelResult,
    WorstJudgment,
    _check_options,
    expert_consistency_row,
    panel_from_matrices,
)
from calibrate.weights.ahp_input import _expert_weights, _raise_if, reciprocal_matrix

__all__ = [
    "ROOT",
    "HierarchicalAHPResult",
    "HierarchyAggregate",
    "ExpertHierarchy",
    "ahp_hierarchy",
    "indicator_hierarchy",
    "is_hierarchical",
]

#: Name of the root of an indicator hierarchy (the parent of the dimensions).
ROOT = "goal"
_AGGREGATIONS = ("aij", "aip")
_MAX_LISTED = 10


def indicator_hierarchy(indicator_set) -> dict[str, tuple[str, ...]]:
    """``{"goal": dimensions, dimension: its indicators}`` of an :class:`~calibrate.indicators.IndicatorSet`."""
    dims: dict[str, list[str]] = {}
    for ident in indicator_set.ids:
        dims.setdefault(str(indicator_set[ident].dimension), []).append(str(ident))
    return {ROOT: tuple(dims), **{d: tuple(v) for d, v in dims.items()}}


def is_hierarchical(judgments: pd.DataFrame, hierarchy: Mapping[str, Sequence[str]]) -> bool:
    """True when the judgments name a ``parent`` (a non-blank ``parent`` column) or compare an inner node
    (e.g. a dimension)."""
    if (
        "parent" in judgments.columns
        and judgments["parent"].notna().any()
        and (judgments["parent"].dropna().astype(str).str.strip() != "").any()
    ):
        return True
    inner = {str(p) for p in hierarchy} - {ROOT}
    names = set(judgments["row"].astype(str).str.strip()) | set(judgments["col"].astype(str).str.strip())
    return bool(names & inner)


@dataclass(frozen=True)
class HierarchyAggregate:
    """The panel aggregate over the whole hierarchy (the shape :class:`.ahp.AHPResult` has for one matrix).

    ``priorities``: global priorities of the leaves (sum 1). ``consistency_ratio``:
    the largest CR of the aggregate matrices (``matrix`` names which one);
    ``consistent``: every aggregate matrix below ``threshold``.
    """

    priorities: pd.Series
    consistency_ratio: float
    consistent: bool
    threshold: float
    worst_judgment: WorstJudgment | None
    matrix: str | None


@dataclass(frozen=True)
class ExpertHierarchy:
    """One expert's matrices (parent -> :class:`.ahp.AHPResult`) and their worst consistency."""

    expert: str
    results: Mapping[str, object]
    consistency_ratio: float
    consistent: bool
    worst_judgment: WorstJudgment | None
    worst_matrix: str | None
    global_priorities: pd.Series | None
    """The expert's own global priorities; None unless the expert judged every group."""


@dataclass(frozen=True)
class HierarchicalAHPResult:
    """Local and global priorities of a hierarchy, consistency per matrix, panel aggregates per matrix.

    ``groups``: parent -> panel result (:class:`.ahp.AHPPanelResult`) of each
    judged group; ``structure``: parent -> children; ``priorities``: global
    priorities of the leaves under ``aggregation`` (``aij``: local priorities of
    each aggregate matrix; ``aip``: aggregated local priorities); ``aij``/``aip``
    hold both.
    """

    structure: Mapping[str, tuple[str, ...]]
    root: str
    groups: Mapping[str, AHPPanelResult]
    local: pd.DataFrame
    aij: HierarchyAggregate
    aip: pd.Series
    experts: Mapping[str, ExpertHierarchy]
    expert_weights: pd.Series
    aggregation: str

    @property
    def priorities(self) -> pd.Series:
        return self.aij.priorities if self.aggregation == "aij" else self.aip

    def to_frame(self) -> pd.DataFrame:
        """One row per (parent, item): ``level`` (1 = children of the root), ``parent``, ``item``,
        ``local_priority``, ``global_priority`` (under the chosen aggregation), ``consistency_ratio``
        and ``consistent`` of the group's aggregate matrix (NaN/NA for a group of one), ``experts``."""
        return self.local.copy()

    def consistency_frame(self) -> pd.DataFrame:
        """One row per expert: weight, the largest CR over the expert's matrices, whether all are consistent,
        and the judgment to revisit first (in the matrix with the largest CR, named in ``matrix``)."""
        rows = [
            {**expert_consistency_row(name, self.expert_weights[name], e), "matrix": e.worst_matrix}
            for name, e in self.experts.items()
        ]
        return pd.DataFrame(rows)

    def matrices_frame(self) -> pd.DataFrame:
        """One row per (matrix, source): ``parent``, ``source`` (expert or ``aggregate (AIJ)``), ``items``,
        ``consistency_ratio``, ``consistent``, ``missing_pairs`` (pairs filled by their implied values)."""
        rows = []
        for parent, panel in self.groups.items():
            for source, r in [*panel.experts.items(), ("aggregate (AIJ)", panel.aij)]:
                rows.append(
                    {
                        "parent": parent,
                        "source": source,
                        "items": len(r.priorities),
                        "consistency_ratio": r.consistency_ratio,
                        "consistent": r.consistent,
                        "missing_pairs": 0 if r.implied is None else len(r.implied),
                    }
                )
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """Local and global priorities of every item (the table) with the tree as text."""
        values = {
            "leaves": int(len(self.priorities)),
            "matrices": int(len(self.groups)),
            "experts": int(len(self.experts)),
        }
        return frame_summary("hierarchical AHP", self.to_frame(), text=self.summary_text(), values=values)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def summary_text(self) -> str:
        """Plain text: the tree with local and global priorities, CR of every aggregate matrix."""
        lines = [
            f"hierarchical AHP ({len(self.priorities)} leaves, {len(self.groups)} matrices, "
            f"{len(self.experts)} experts, aggregation {self.aggregation.upper()})"
        ]
        frame = self.local

        def walk(parent: str, depth: int) -> None:
            panel = self.groups.get(parent)
            if panel is not None:
                flag = "" if panel.aij.consistent else "  NOT consistent"
                lines.append(f"{'  ' * depth}[{parent}] CR = {panel.aij.consistency_ratio:.3f}{flag}")
            for child in self.structure.get(parent, ()):
                row = frame[(frame["parent"] == parent) & (frame["item"] == child)].iloc[0]
                lines.append(
                    f"{'  ' * (depth + 1)}{child:<28} local {row['local_priority']:.4f}  "
                    f"global {row['global_priority']:.4f}"
                )
                if child in self.structure:
                    walk(child, depth + 1)

        walk(self.root, 0)
        bad = [n for n, e in self.experts.items() if not e.consistent]
        if bad:
            lines.append(
                "experts with a matrix at or above CR "
                + f"{self.aij.threshold:g}: "
                + ", ".join(
                    f"{n} ({self.experts[n].worst_matrix}, CR {self.experts[n].consistency_ratio:.3f})" for n in bad
                )
            )
        return "\n".join(lines)


def ahp_hierarchy(
    judgments: pd.DataFrame,
    hierarchy,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    threshold: float = 0.1,
    method: str = "eigenvector",
    ri_table: str = "saaty1980",
    aggregation: str = "aij",
    root: str | None = None,
) -> HierarchicalAHPResult:
    """Hierarchical AHP for a panel (or one expert) from long judgments.

    ``hierarchy``: an :class:`~calibrate.indicators.IndicatorSet` (goal ->
    dimensions -> indicators) or a mapping parent -> children (the root is the
    parent that is nobody's child, or ``root``). ``judgments``: columns
    ``row``, ``col``, ``value``, optionally ``expert`` and ``parent`` (see the
    module docstring). ``weights``: expert weights; ``method``, ``ri_table``,
    ``threshold`` as in :func:`.ahp.ahp_priorities`; ``aggregation``: ``aij``
    (default) or ``aip`` for the global priorities.

    Examples
    --------
    >>> tree = {"goal": ["results", "customer"], "results": ["revenue", "margin"], "customer": ["nps"]}
    >>> long = pd.DataFrame({"row": ["results", "revenue"], "col": ["customer", "margin"], "value": [3, 2]})
    >>> ahp_hierarchy(long, tree).priorities.round(4).to_dict()
    {'revenue': 0.5, 'margin': 0.25, 'nps': 0.25}
    """
    _check_options(threshold, method, ri_table)
    if aggregation not in _AGGREGATIONS:
        raise InvalidJudgments(f"aggregation must be aij or aip, got {aggregation!r}")
    structure = _structure(hierarchy)
    root = root or _root(structure)
    frame = _prepare(judgments, structure, root)
    experts_all = list(dict.fromkeys(frame["expert"]))
    v = _expert_weights(experts_all, weights)

    groups: dict[str, AHPPanelResult] = {}
    problems: list[str] = []
    for parent, children in structure.items():
        part = frame[frame["parent"] == parent]
        if len(children) < 2:
            continue
        if part.empty:
            problems.append(
                f"no judgments compare the members of {parent} ({', '.join(children)}); "
                f"every group of two or more needs judgments"
            )
            continue
        matrices = {}
        for name, g in part.groupby("expert", sort=False):
            try:
                matrices[str(name)] = reciprocal_matrix(
                    g[["row", "col", "value"]], children, expert=f"{name} in {parent}", allow_missing=True
                )
            except InvalidJudgments as exc:
                problems.extend(getattr(exc, "problems", [str(exc)]))
        if len(matrices) < part["expert"].nunique():
            continue
        try:
            groups[parent] = panel_from_matrices(
                matrices,
                weights=v.reindex(list(matrices)),
                threshold=threshold,
                method=method,
                ri_table=ri_table,
                label=parent,
            )
        except InvalidJudgments as exc:
            problems.extend(getattr(exc, "problems", [str(exc)]))
    _raise_if(problems)

    local_aij = {p: g.aij.priorities for p, g in groups.items()}
    local_aip = {p: g.aip for p, g in groups.items()}
    global_aij = _compose(structure, root, local_aij)
    global_aip = _compose(structure, root, local_aip)
    chosen_local = local_aij if aggregation == "aij" else local_aip
    chosen_global = global_aij if aggregation == "aij" else global_aip

    rows = []
    depth = _depths(structure, root)
    for parent, children in structure.items():
        panel = groups.get(parent)
        for child in children:
            rows.append(
                {
                    "level": depth[child],
                    "parent": parent,
                    "item": child,
                    "local_priority": float(chosen_local[parent][child]) if parent in chosen_local else 1.0,
                    "global_priority": float(chosen_global[child]),
                    "consistency_ratio": panel.aij.consistency_ratio if panel else np.nan,
                    "consistent": panel.aij.consistent if panel else pd.NA,
                    "experts": len(panel.experts) if panel else 0,
                }
            )
    local = pd.DataFrame(rows)
    local["consistent"] = local["consistent"].astype("boolean")

    leaves = [i for i in _leaves(structure, root)]
    worst_parent = max(groups, key=lambda p: groups[p].aij.consistency_ratio) if groups else None
    aij = HierarchyAggregate(
        priorities=pd.Series([global_aij[i] for i in leaves], index=pd.Index(leaves), name="priority"),
        consistency_ratio=groups[worst_parent].aij.consistency_ratio if worst_parent else 0.0,
        consistent=all(g.aij.consistent for g in groups.values()),
        threshold=threshold,
        worst_judgment=groups[worst_parent].aij.worst_judgment if worst_parent else None,
        matrix=worst_parent,
    )
    aip = pd.Series([global_aip[i] for i in leaves], index=pd.Index(leaves), name="priority")
    experts = {name: _expert_view(name, groups, structure, root, leaves) for name in experts_all}
    return HierarchicalAHPResult(
        structure=MappingProxyType(dict(structure)),
        root=root,
        groups=MappingProxyType(groups),
        local=local,
        aij=aij,
        aip=aip,
        experts=MappingProxyType(experts),
        expert_weights=v.rename("weight"),
        aggregation=aggregation,
    )


# --------------------------------------------------------------------------- helpers


def _structure(hierarchy) -> dict[str, tuple[str, ...]]:
    if hasattr(hierarchy, "ids") and hasattr(hierarchy, "dimension"):
        return indicator_hierarchy(hierarchy)
    if not isinstance(hierarchy, Mapping) or not hierarchy:
        raise InvalidJudgments("the hierarchy must be an IndicatorSet or a mapping parent -> children")
    out = {str(p): tuple(str(c) for c in children) for p, children in hierarchy.items()}
    seen: dict[str, str] = {}
    problems = []
    for p, children in out.items():
        for c in children:
            if c in seen:
                problems.append(f"hierarchy: {c} appears under both {seen[c]} and {p}; each item has one parent")
            seen[c] = p
    _raise_if(problems)
    return out


def _root(structure: Mapping[str, tuple[str, ...]]) -> str:
    children = {c for cs in structure.values() for c in cs}
    roots = [p for p in structure if p not in children]
    if len(roots) != 1:
        raise InvalidJudgments(
            f"the hierarchy needs exactly one root (a parent that is nobody's child); "
            f"found {', '.join(roots) or 'none'}"
        )
    return roots[0]


def _depths(structure, root) -> dict[str, int]:
    out, stack = {}, [(root, 0)]
    while stack:
        node, d = stack.pop()
        for c in structure.get(node, ()):
            out[c] = d + 1
            stack.append((c, d + 1))
    return out


def _leaves(structure, root) -> list[str]:
    out: list[str] = []
    for c in structure.get(root, ()):
        out.extend(_leaves(structure, c) if c in structure else [c])
    return out


def _compose(structure, root, local: Mapping[str, pd.Series]) -> dict[str, float]:
    out: dict[str, float] = {root: 1.0}
    stack = [root]
    while stack:
        p = stack.pop()
        children = structure.get(p, ())
        for c in children:
            share = float(local[p][c]) if p in local else 1.0 / len(children)
            out[c] = out[p] * share
            if c in structure:
                stack.append(c)
    return out


def _prepare(judgments: pd.DataFrame, structure, root: str) -> pd.DataFrame:
    if not isinstance(judgments, pd.DataFrame):
        raise InvalidJudgments(f"judgments must be a table (DataFrame), got {type(judgments).__name__}")
    missing = [c for c in ("row", "col", "value") if c not in judgments.columns]
    if missing:
        raise InvalidJudgments(
            f"hierarchical judgments need the columns row, col and value (and optionally "
            f"expert and parent); missing column(s): {', '.join(missing)}"
        )
    frame = judgments.copy()
    if "expert" not in frame.columns:
        frame["expert"] = "1"
    if frame["expert"].isna().any():
        bad = [k + 1 for k, x in enumerate(frame["expert"].isna()) if x][:_MAX_LISTED]
        raise InvalidJudgments(f"hierarchical judgments: entries {bad} have no expert id")
    frame["expert"] = frame["expert"].astype(str).str.strip()
    frame["row"] = frame["row"].astype(str).str.strip()
    frame["col"] = frame["col"].astype(str).str.strip()
    group_of: dict[str, str] = {c: p for p, cs in structure.items() for c in cs}
    given = frame["parent"] if "parent" in frame.columns else pd.Series([None] * len(frame), index=frame.index)
    parents: list[str | None] = []
    problems: list[str] = []
    for pos, (r, c, p) in enumerate(zip(frame["row"], frame["col"], given)):
        label = f"entry {pos + 1} ({r}/{c})"
        if p is not None and not pd.isna(p) and str(p).strip():
            p = str(p).strip()
            if p not in structure:
                problems.append(f"{label}: parent '{p}' is not a group of the hierarchy ({', '.join(structure)})")
            elif r not in structure[p] or c not in structure[p]:
                problems.append(f"{label}: parent is {p}, whose members are {', '.join(structure[p])}")
            parents.append(p)
            continue
        unknown = [x for x in (r, c) if x not in group_of]
        if unknown:
            problems.append(
                f"{label}: unknown item(s) {', '.join(unknown)}; the hierarchy has {', '.join(list(group_of)[:20])}"
            )
            parents.append(None)
        elif group_of[r] != group_of[c]:
            problems.append(
                f"{label}: {r} belongs to {group_of[r]} and {c} to {group_of[c]}; judgments "
                f"compare items of the same group only (dimensions with dimensions, indicators "
                f"within one dimension)"
            )
            parents.append(None)
        else:
            parents.append(group_of[r])
    _raise_if(problems)
    frame["parent"] = parents
    return frame


def _expert_view(name: str, groups: Mapping[str, AHPPanelResult], structure, root, leaves) -> ExpertHierarchy:
    results = {p: g.experts[name] for p, g in groups.items() if name in g.experts}
    if results:
        worst_parent = max(results, key=lambda p: results[p].consistency_ratio)
        worst = results[worst_parent]
        cr, wj = worst.consistency_ratio, worst.worst_judgment
    else:
        worst_parent, cr, wj = None, 0.0, None
    glob = None
    if set(results) == set(groups):
        g = _compose(structure, root, {p: r.priorities for p, r in results.items()})
        glob = pd.Series([g[i] for i in leaves], index=pd.Index(leaves), name="priority")
    return ExpertHierarchy(
        expert=name,
        results=MappingProxyType(results),
        consistency_ratio=cr,
        consistent=all(r.consistent for r in results.values()),
        worst_judgment=wj,
        worst_matrix=worst_parent,
        global_priorities=glob,
    )

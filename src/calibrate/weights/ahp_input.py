"""AHP input: pairwise judgments (long or square tables) -> validated reciprocal matrices.

Parsing and validation only; the mathematics (priorities, consistency,
aggregation) is in :mod:`calibrate.weights.ahp`.

Input formats
-------------
*Long* judgments: a DataFrame with columns ``row``, ``col``, ``value`` holding
each unordered pair at most once (usually the upper triangle), optionally an
``expert`` column for a panel: ``row`` is ``value`` times as important as
``col`` on Saaty's 1/9-9 scale. *Square*: a DataFrame whose index and columns
are the same items, with 1 on the diagonal and ``A[j, i] = 1 / A[i, j]``.

A long table may leave pairs out (an *incomplete* matrix): with
``allow_missing=True`` the missing cells are NaN and the mathematics fills them
(Harker's method or logarithmic least squares, see :mod:`.ahp`); without it
every pair needs a judgment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from calibrate.errors import InvalidJudgments

__all__ = ["SAATY_SCALE", "reciprocal_matrix", "judgment_groups"]

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


def reciprocal_matrix(
    judgments: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    expert: str | None = None,
    allow_missing: bool = False,
) -> pd.DataFrame:
    """Validate pairwise judgments and return the reciprocal matrix.

    ``judgments`` is either long (columns ``row``, ``col``, ``value``: "row is
    value times as important as col", each unordered pair at most once) or
    square (index = columns = items). ``items`` fixes the order and the
    expected set of items; by default they are taken in order of appearance.
    ``expert`` only labels error messages. ``allow_missing``: pairs without a
    judgment are NaN (both cells) instead of an error.

    Values must be positive and on Saaty's 1/9-9 scale (1% tolerance, so 0.11
    stands for 1/9); a square matrix must have 1 on its diagonal and be
    reciprocal to 1% (it is then made exactly reciprocal with
    ``sqrt(a_ij / a_ji)``). Raises :class:`InvalidJudgments` listing every
    problem: off-scale or non-positive values, non-reciprocal cells, missing,
    duplicate or self pairs, and unknown items.
    """
    if not isinstance(judgments, pd.DataFrame):
        raise InvalidJudgments(f"{_who(expert)}judgments must be a table (DataFrame), got {type(judgments).__name__}")
    if _is_square(judgments):
        matrix, problems = _square_to_matrix(judgments, items, expert)
    else:
        matrix, problems = _long_to_matrix(judgments, items, expert, allow_missing)
    _raise_if(problems)
    return matrix


def judgment_groups(matrix: pd.DataFrame) -> list[list[str]]:
    """The connected groups of items of a (possibly incomplete) matrix: items linked by given judgments.

    One group means every priority ratio is determined (directly or through
    chains of judgments); several groups mean the judgments say nothing about
    how one group compares with another.
    """
    a = matrix.to_numpy(dtype=float)
    n = a.shape[0]
    known = np.isfinite(a)
    label = [-1] * n
    groups: list[list[str]] = []
    for start in range(n):
        if label[start] >= 0:
            continue
        label[start] = len(groups)
        stack, members = [start], []
        while stack:
            i = stack.pop()
            members.append(i)
            for j in np.flatnonzero(known[i]):
                if label[j] < 0:
                    label[j] = label[start]
                    stack.append(int(j))
        groups.append([str(matrix.index[i]) for i in sorted(members)])
    return groups


# --------------------------------------------------------------------------- helpers


def _is_square(frame: pd.DataFrame) -> bool:
    if set(_LONG_COLUMNS) <= set(map(str, frame.columns)):
        return False
    return frame.shape[0] == frame.shape[1] and set(map(str, frame.index)) == set(map(str, frame.columns))


def _long_to_matrix(
    frame: pd.DataFrame, items: Sequence[str] | None, expert: str | None, allow_missing: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    who = _who(expert)
    missing_cols = [c for c in _LONG_COLUMNS if c not in frame.columns]
    if missing_cols:
        raise InvalidJudgments(
            f"{who}judgments need the columns row, col and value (long format) or a square "
            f"table whose row and column labels are the same items; missing column(s): "
            f"{', '.join(missing_cols)}"
        )
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
            problems.append(
                f"{who}judgment {pairs[0]} names an unknown item '{name}'; the items are {', '.join(order)}"
            )
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
                problems.append(
                    f"{label} = {raw} compares an item with itself; leave it out "
                    f"(an item is always 1 times as important as itself)"
                )
            continue
        key = frozenset((r, c))
        if key in seen:
            pr, pc, ppos = seen[key]
            problems.append(
                f"{label} is given twice (entries {ppos + 1} and {pos + 1}, the "
                f"first as {pr}/{pc}); give each pair once"
            )
            continue
        seen[key] = (r, c, pos)
        problem = _value_problem(label, v, raw)
        if problem:
            problems.append(problem)
            continue
        a[index[r], index[c]] = v
        a[index[c], index[r]] = 1.0 / v

    missing = [
        f"{order[i]}/{order[j]}"
        for i in range(n)
        for j in range(i + 1, n)
        if frozenset((order[i], order[j])) not in seen
    ]
    if allow_missing:
        for i in range(n):
            for j in range(i + 1, n):
                if frozenset((order[i], order[j])) not in seen:
                    a[i, j] = a[j, i] = np.nan
    elif missing and n > 1:
        shown = ", ".join(missing[:_MAX_LISTED])
        more = f" and {len(missing) - _MAX_LISTED} more" if len(missing) > _MAX_LISTED else ""
        problems.append(
            f"{who}{len(missing)} of {n * (n - 1) // 2} pairs have no judgment: "
            f"{shown}{more}; every pair of items needs one"
        )
    if n == 0:
        problems.append(f"{who}no judgments were given")
    return pd.DataFrame(a, index=pd.Index(order, name="row"), columns=pd.Index(order, name="col")), problems


def _square_to_matrix(
    frame: pd.DataFrame, items: Sequence[str] | None, expert: str | None
) -> tuple[pd.DataFrame, list[str]]:
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
            problems.append(f"{who}the matrix names an unknown item '{name}'; the items are {', '.join(order)}")
        for name in absent:
            problems.append(
                f"{who}item '{name}' has no row or column in the matrix; every pair of items needs a judgment"
            )
        if problems:
            return pd.DataFrame(), problems
    sub = frame.loc[order, order]
    raw = sub.to_numpy(dtype=object)
    a = sub.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    n = len(order)
    for i in range(n):
        v = a[i, i]
        if not (np.isfinite(v) and abs(v - 1) <= _RECIPROCAL_TOLERANCE):
            problems.append(
                f"{who}diagonal cell {order[i]}/{order[i]} = {raw[i, i]} must be 1 "
                f"(an item is always 1 times as important as itself)"
            )
    for i in range(n):
        for j in range(i + 1, n):
            bad = False
            for r, c in ((i, j), (j, i)):
                problem = _value_problem(f"{who}judgment {order[r]}/{order[c]}", a[r, c], raw[r, c])
                if problem:
                    problems.append(problem)
                    bad = True
            if not bad and abs(a[i, j] * a[j, i] - 1) > _RECIPROCAL_TOLERANCE:
                problems.append(
                    f"{who}judgments {order[i]}/{order[j]} = {_fmt_scale(a[i, j])} and "
                    f"{order[j]}/{order[i]} = {_fmt_scale(a[j, i])} are not reciprocal: if "
                    f"{order[i]} is {_fmt_scale(a[i, j])} times as important as {order[j]}, then "
                    f"{order[j]}/{order[i]} must be {_fmt_scale(1 / a[i, j])}"
                )
    if problems:
        return pd.DataFrame(), problems
    a = _exactly_reciprocal(a)
    return pd.DataFrame(a, index=pd.Index(order, name="row"), columns=pd.Index(order, name="col")), problems


def _value_problem(label: str, v: float, raw: object) -> str | None:
    if not np.isfinite(v):
        return f"{label} = {raw!r} is missing or not a number; use a value from 1/9 to 9"
    if v <= 0:
        return (
            f"{label} = {_fmt_scale(v)} is not positive; judgments are ratios from 1/9 to 9 "
            f"(use 1/3, not -3, for 'moderately less important')"
        )
    if not (_SCALE_MIN <= v <= _SCALE_MAX):
        return f"{label} = {_fmt_scale(v)} is off Saaty's 1/9-9 scale"
    return None


def _check_items(order: list[str], who: str, problems: list[str]) -> None:
    seen = set()
    for name in order:
        if name in seen:
            problems.append(f"{who}item '{name}' is listed twice in items")
        seen.add(name)


def _expert_matrices(
    frames: Mapping[str, pd.DataFrame] | pd.DataFrame, items: Sequence[str] | None, *, allow_missing: bool = False
) -> dict[str, pd.DataFrame]:
    if isinstance(frames, pd.DataFrame):
        if "expert" not in frames.columns:
            raise InvalidJudgments("panel judgments need an 'expert' column (or pass a mapping expert -> judgments)")
        if frames["expert"].isna().any():
            bad = [k + 1 for k, x in enumerate(frames["expert"].isna()) if x][:_MAX_LISTED]
            raise InvalidJudgments(f"panel judgments: entries {bad} have no expert id")
        groups = {
            str(name): g.drop(columns="expert") for name, g in frames.groupby(frames["expert"].astype(str), sort=False)
        }
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
                for name in (
                    x for pair in zip(g["row"].astype(str).str.strip(), g["col"].astype(str).str.strip()) for x in pair
                ):
                    if name not in items:
                        items.append(name)
    matrices: dict[str, pd.DataFrame] = {}
    problems: list[str] = []
    for name, g in groups.items():
        try:
            matrices[name] = reciprocal_matrix(g, items, expert=name, allow_missing=allow_missing)
        except InvalidJudgments as exc:
            problems.extend(getattr(exc, "problems", [str(exc)]))
    _raise_if(problems)
    return matrices


def _expert_weights(names: list[str], weights: Mapping[str, float] | pd.Series | None) -> pd.Series:
    if weights is None:
        return pd.Series(1.0 / len(names), index=names, name="weight")
    given = pd.Series(weights, dtype=float) if not isinstance(weights, pd.Series) else weights.astype(float)
    given.index = given.index.map(str)
    missing = [n for n in names if n not in given.index]
    unknown = [n for n in given.index if n not in names]
    problems = []
    if missing:
        problems.append(f"expert weights are missing for: {', '.join(missing)}")
    if unknown:
        problems.append(f"expert weights name unknown experts: {', '.join(unknown)}")
    bad = [f"{n} = {given[n]}" for n in names if n in given.index and not (np.isfinite(given[n]) and given[n] > 0)]
    if bad:
        problems.append(f"expert weights must be positive numbers: {', '.join(bad)}")
    _raise_if(problems)
    v = given.reindex(names)
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
    exc.problems = list(problems)  # type: ignore[attr-defined]
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


def _exactly_reciprocal(a: np.ndarray) -> np.ndarray:
    """``sqrt(a_ij / a_ji)``: exactly reciprocal, unchanged where ``a`` already is (NaN stays NaN)."""
    out = np.sqrt(a / a.T)
    np.fill_diagonal(out, 1.0)
    return out

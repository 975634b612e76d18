"""The specification of a PLS path model: blocks of indicators and the paths between them.

A *block* ties one latent variable (LV) to the manifest indicators (survey
items, columns of the data) that measure it, with its measurement mode:

- mode ``"A"`` (reflective): the indicators reflect the LV; outer weights are
  the covariances of each indicator with the LV's inner estimate;
- mode ``"B"`` (formative): the indicators form the LV; outer weights are the
  multiple-regression coefficients of the inner estimate on the indicators.

The inner (structural) model is a list of ``(from, to)`` paths that must form
a recursive (acyclic) graph in which every LV takes part.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from calibrate.errors import ConfigError

Mode = Literal["A", "B"]
MODES: tuple[str, ...] = ("A", "B")


@dataclass(frozen=True)
class Block:
    """One latent variable and the indicator columns that measure it."""

    name: str
    indicators: tuple[str, ...]
    mode: Mode = "A"


@dataclass(frozen=True)
class PathModel:
    """A validated PLS path model: blocks (in order) and recursive paths."""

    blocks: tuple[Block, ...]
    paths: tuple[tuple[str, str], ...]

    @property
    def latent_variables(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.blocks)

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(c for b in self.blocks for c in b.indicators)

    @property
    def endogenous(self) -> tuple[str, ...]:
        """LVs with at least one incoming path, in block order."""
        targets = {to for _, to in self.paths}
        return tuple(lv for lv in self.latent_variables if lv in targets)

    def block(self, name: str) -> Block:
        for b in self.blocks:
            if b.name == name:
                return b
        raise ConfigError(f"unknown latent variable {name!r}; known: {', '.join(self.latent_variables)}")

    def adjacency(self) -> np.ndarray:
        """``A[i, j] = 1`` when there is a path from LV ``i`` to LV ``j`` (block order)."""
        index = {lv: k for k, lv in enumerate(self.latent_variables)}
        a = np.zeros((len(index), len(index)))
        for source, target in self.paths:
            a[index[source], index[target]] = 1.0
        return a


def path_model(
    blocks: Mapping[str, Sequence[str]], paths: Iterable[tuple[str, str]], modes: Mapping[str, str] | None = None
) -> PathModel:
    """Build and validate a :class:`PathModel`.

    ``blocks`` maps each LV name to its indicator column names, ``paths`` lists
    ``(from, to)`` pairs and ``modes`` gives ``"A"`` (default) or ``"B"`` per LV.
    Raises :class:`~calibrate.errors.ConfigError` with a message naming the
    offending LV, indicator or path.

    Examples
    --------
    >>> m = path_model({"quality": ["q1", "q2"], "loyalty": ["l1", "l2"]},
    ...                [("quality", "loyalty")])
    >>> m.endogenous
    ('loyalty',)
    """
    modes = dict(modes or {})
    names = list(blocks)
    unknown_modes = sorted(set(modes) - set(names))
    if unknown_modes:
        raise ConfigError(
            f"modes given for unknown latent variable(s) {', '.join(unknown_modes)}; known: {', '.join(names)}"
        )
    built = tuple(_block(name, blocks[name], modes.get(name, "A")) for name in names)
    _check_indicators_unique(built)
    checked = tuple(_check_path(p, names) for p in paths)
    _check_paths(checked, names)
    return PathModel(blocks=built, paths=checked)


def _block(name: str, indicators: Sequence[str], mode: str) -> Block:
    if isinstance(indicators, str):
        raise ConfigError(
            f"block {name!r}: give its indicators as a list of column names, not the single string {indicators!r}"
        )
    cols = tuple(str(c) for c in indicators)
    if not cols:
        raise ConfigError(f"block {name!r} has no indicators; list at least one column")
    upper = str(mode).upper()
    if upper not in MODES:
        raise ConfigError(f"block {name!r}: mode {mode!r} is not 'A' (reflective) or 'B' (formative)")
    return Block(name=str(name), indicators=cols, mode=upper)  # type: ignore[arg-type]


def _check_indicators_unique(blocks: tuple[Block, ...]) -> None:
    owner: dict[str, str] = {}
    for b in blocks:
        for c in b.indicators:
            if c in owner:
                where = "twice in block" if owner[c] == b.name else f"in blocks {owner[c]!r} and"
                raise ConfigError(
                    f"indicator {c!r} appears {where} {b.name!r}; each column may measure one latent variable once"
                )
            owner[c] = b.name


def _check_path(path: tuple[str, str], names: list[str]) -> tuple[str, str]:
    try:
        source, target = path
    except (TypeError, ValueError):
        raise ConfigError(f"path {path!r} is not a (from, to) pair") from None
    for lv in (source, target):
        if lv not in names:
            hint = difflib.get_close_matches(str(lv), names, n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ConfigError(
                f"path {source} -> {target} names an unknown latent variable {lv!r}{also}; known: {', '.join(names)}"
            )
    if source == target:
        raise ConfigError(f"path {source} -> {target} points a latent variable at itself")
    return str(source), str(target)


def _check_paths(paths: tuple[tuple[str, str], ...], names: list[str]) -> None:
    if not paths:
        raise ConfigError("the inner model has no paths; give at least one (from, to) pair")
    seen: set[tuple[str, str]] = set()
    for p in paths:
        if p in seen:
            raise ConfigError(f"path {p[0]} -> {p[1]} is listed twice")
        if (p[1], p[0]) in seen:
            raise ConfigError(
                f"paths {p[0]} -> {p[1]} and {p[1]} -> {p[0]} form a loop; PLS path models must be recursive"
            )
        seen.add(p)
    linked = {lv for p in paths for lv in p}
    isolated = [lv for lv in names if lv not in linked]
    if isolated:
        raise ConfigError(
            f"latent variable(s) {', '.join(isolated)} take part in no path; connect them or drop their blocks"
        )
    cycle = _find_cycle(paths)
    if cycle:
        raise ConfigError(f"paths form a cycle {' -> '.join(cycle)}; PLS path models must be recursive")


def _find_cycle(paths: tuple[tuple[str, str], ...]) -> list[str] | None:
    children: dict[str, list[str]] = {}
    for s, t in paths:
        children.setdefault(s, []).append(t)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in children.get(node, []):
            if state.get(nxt) == 1:
                return trail[trail.index(nxt) :] + [node, nxt]  # nxt is an ancestor of node
            if state.get(nxt) is None:
                found = visit(nxt, trail + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for start in list(children):
        if state.get(start) is None:
            found = visit(start, [])
            if found:
                return found
    return None

"""Charts of a fitted PLS path model: the path diagram and a forest plot of path intervals."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from calibrate.pls.result import PLSResult
from calibrate.pls.spec import PathModel


def plot_path_diagram(
    result: PLSResult,
    *,
    labels: Mapping[str, str] | None = None,
    layout: Mapping[str, tuple[float, float]] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw LVs as boxes (with R² for endogenous ones) and paths as arrows labelled with coefficients.

    Arrow width grows with |coefficient|; a path whose bootstrap interval
    contains 0 is dashed. ``layout`` maps each LV to (x, y); by default LVs
    are placed on an ellipse in causal order.
    """
    model = result.model
    labels = dict(labels or {})
    pos = dict(layout) if layout else _circle_layout(model)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5.5))
    significant = _significant_paths(result)
    for row in result.paths.itertuples(index=False):
        source, target, coef = row[0], row[1], float(row[2])
        dashed = significant is not None and not significant[(source, target)]
        arrow = FancyArrowPatch(
            pos[source],
            pos[target],
            arrowstyle="-|>",
            mutation_scale=14,
            shrinkA=30,
            shrinkB=30,
            lw=0.8 + 4 * abs(coef),
            color="0.35",
            linestyle="--" if dashed else "-",
            connectionstyle="arc3,rad=0.06",
        )
        ax.add_patch(arrow)
        mid = (np.asarray(pos[source]) + np.asarray(pos[target])) / 2
        ax.text(
            float(mid[0]),
            float(mid[1]),
            f"{coef:.2f}",
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
        )
    r2 = result.r_squared
    for lv, (x, y) in pos.items():
        text = labels.get(lv, lv) + (f"\nR² = {r2[lv]:.2f}" if lv in r2.index else "")
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.42, y - 0.22),
                0.84,
                0.44,
                boxstyle="round,pad=0.02",
                fc="#dbe9f6" if lv in r2.index else "#f3e3c3",
                ec="0.3",
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=9)
    xs, ys = zip(*pos.values())
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_path_intervals(result: PLSResult, *, labels: Mapping[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """Forest plot: each path coefficient with its bootstrap percentile interval."""
    if result.bootstrap is None:
        raise ValueError("this fit has no bootstrap; refit with n_boot > 0")
    labels = dict(labels or {})
    frame = result.bootstrap.paths.iloc[::-1]
    names = [f"{labels.get(s, s)} → {labels.get(t, t)}" for s, t in zip(frame["from"], frame["to"])]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.4 * len(frame) + 1))
    y = np.arange(len(frame))
    ax.hlines(y, frame["lower"], frame["upper"], color="0.45", lw=2)
    ax.plot(frame["estimate"], y, "o", color="#1f5f9f")
    ax.axvline(0, color="0.7", lw=1, ls=":")
    ax.set_yticks(y, names)
    ax.set_xlabel(f"path coefficient ({result.bootstrap.level:.0%} bootstrap interval)")
    return ax


def _significant_paths(result: PLSResult) -> dict[tuple[str, str], bool] | None:
    if result.bootstrap is None:
        return None
    b = result.bootstrap.paths
    return {(s, t): bool(lo > 0 or hi < 0) for s, t, lo, hi in zip(b["from"], b["to"], b["lower"], b["upper"])}


def _circle_layout(model: PathModel) -> dict[str, tuple[float, float]]:
    """LVs on an ellipse in causal order (no three in a line, so arrows never overlap)."""
    depth = {lv: 0 for lv in model.latent_variables}
    for _ in model.latent_variables:  # longest-path depth; the model is acyclic
        for s, t in model.paths:
            depth[t] = max(depth[t], depth[s] + 1)
    order = sorted(model.latent_variables, key=lambda lv: depth[lv])
    angles = np.pi - 2 * np.pi * np.arange(len(order)) / len(order)
    return {lv: (2.2 * float(np.cos(a)), 1.4 * float(np.sin(a))) for lv, a in zip(order, angles)}

"""Payout curves and the cost of the bonus pool.

A payout curve maps attainment (result / target, 1.0 = target met) to a bonus
coefficient; a manager's bonus is ``bonus_base * coefficient`` where
``bonus_base`` is the target bonus in currency units (e.g. CNY).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError
from calibrate.results import Summary, frame_summary
from calibrate.targets.model import ArrayLike


@dataclass(frozen=True)
class PayoutCurve:
    """Piecewise-linear payout curve defined by breakpoints.

    ``points`` are ``(attainment, coefficient)`` pairs with strictly increasing
    attainment (ratios, 1.0 = 100%) and non-decreasing coefficients (>= 0):

    * below the first attainment (the threshold) the coefficient is 0; at the
      threshold it jumps to the first coefficient;
    * between breakpoints it is linear;
    * beyond the last breakpoint it rises by ``slope_above`` per unit of
      attainment (0 = capped at the last coefficient).

    Example: threshold 80% paying 0.8, 100% paying 1.0, an accelerator of 2x
    above target up to a cap of 1.5 (reached at 125%)::

        PayoutCurve(((0.8, 0.8), (1.0, 1.0), (1.25, 1.5)))
        PayoutCurve.standard(threshold=0.8, accelerator=2.0, cap=1.5)   # the same
    """

    points: tuple[tuple[float, float], ...]
    slope_above: float = 0.0

    def __post_init__(self) -> None:
        try:
            pts = tuple((float(a), float(c)) for a, c in self.points)
        except (TypeError, ValueError):
            raise ConfigError(
                "A payout curve needs (attainment, coefficient) pairs, e.g. ((0.8, 0.8), (1.0, 1.0), (1.25, 1.5))."
            ) from None
        if not pts:
            raise ConfigError("A payout curve needs at least one (attainment, coefficient) point.")
        att = np.array([a for a, _ in pts])
        coef = np.array([c for _, c in pts])
        if not (np.all(np.isfinite(att)) and np.all(np.isfinite(coef))) or att[0] < 0 or np.any(coef < 0):
            raise ConfigError(
                f"Payout curve points must be finite, with attainment and coefficient 0 or more; got {pts}."
            )
        if np.any(np.diff(att) <= 0):
            raise ConfigError(
                f"Payout curve attainments must increase strictly from point to point; got {att.tolist()}."
            )
        if np.any(np.diff(coef) < 0):
            raise ConfigError(
                "Payout curve coefficients must not fall as attainment rises "
                f"(a manager would earn less for doing better); got {coef.tolist()}."
            )
        slope = float(self.slope_above)
        if not np.isfinite(slope) or slope < 0:
            raise ConfigError(
                f"The payout slope above the last point must be 0 (capped) or more; got {self.slope_above}."
            )
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "slope_above", slope)

    @classmethod
    def standard(
        cls,
        *,
        threshold: float = 0.8,
        at_threshold: float | None = None,
        at_target: float = 1.0,
        accelerator: float = 2.0,
        cap: float = 1.5,
    ) -> PayoutCurve:
        """The usual plan: nothing below ``threshold``; ``at_threshold`` at the
        threshold (default: equal to the threshold, i.e. 1:1 pay), linear to
        ``at_target`` at 100%; above 100% the coefficient rises by ``accelerator``
        per unit of attainment (2.0: each extra 1% of attainment adds 2% of the
        bonus base) until it reaches ``cap``.
        """
        at_threshold = threshold if at_threshold is None else at_threshold
        if not 0 <= threshold < 1:
            raise ConfigError(f"The payout threshold must be at least 0 and below 100% attainment; got {threshold}.")
        if accelerator <= 0 or cap < at_target:
            raise ConfigError(
                f"The accelerator must be above 0 and the cap at least the target coefficient "
                f"({at_target}); got accelerator {accelerator}, cap {cap}."
            )
        points = [(threshold, at_threshold), (1.0, at_target)]
        if cap > at_target:
            points.append((1.0 + (cap - at_target) / accelerator, cap))
        return cls(tuple(points))

    @property
    def threshold(self) -> float:
        """Attainment below which nothing is paid."""
        return self.points[0][0]

    @property
    def cap(self) -> float:
        """Highest coefficient (inf when ``slope_above`` > 0)."""
        return self.points[-1][1] if self.slope_above == 0 else float("inf")

    def coefficient(self, attainment: ArrayLike) -> np.ndarray:
        """Bonus coefficient for attainment ratios (vectorised, float64, >= 0)."""
        x = np.asarray(attainment, dtype=float)
        att = np.array([a for a, _ in self.points])
        coef = np.array([c for _, c in self.points])
        out = np.interp(x, att, coef) + self.slope_above * np.maximum(x - att[-1], 0.0)
        return np.where(x >= att[0], out, 0.0)

    def coefficient_into(
        self, attainment: np.ndarray, out: np.ndarray, scratch: np.ndarray, paid: np.ndarray | None = None
    ) -> np.ndarray:
        """In-place float32 version for the simulation engine: writes the coefficient
        of ``attainment`` into ``out`` using ``scratch`` (same shape) as workspace.
        Same arithmetic as :meth:`coefficient` written as a sum of clipped ramps.
        ``paid`` (bool, same shape) may give "attainment >= threshold" computed
        more precisely by the caller (the engine compares logs, so a result
        exactly at the threshold is paid despite float32 rounding)."""
        dtype = out.dtype.type
        out.fill(self.points[0][1])
        for (a0, c0), (a1, c1) in zip(self.points[:-1], self.points[1:]):
            if c1 == c0:
                continue
            np.subtract(attainment, dtype(a0), out=scratch)
            np.clip(scratch, dtype(0), dtype(a1 - a0), out=scratch)
            scratch *= dtype((c1 - c0) / (a1 - a0))
            out += scratch
        if self.slope_above > 0:
            np.subtract(attainment, dtype(self.points[-1][0]), out=scratch)
            np.maximum(scratch, dtype(0), out=scratch)
            scratch *= dtype(self.slope_above)
            out += scratch
        if paid is None:
            np.greater_equal(attainment, dtype(self.threshold), out=scratch)
            out *= scratch
        else:
            out *= paid
        return out

    def to_frame(self) -> pd.DataFrame:
        """The breakpoints as a table (attainment, coefficient)."""
        return pd.DataFrame(self.points, columns=["attainment", "coefficient"])

    def summary(self) -> Summary:
        """The breakpoints (attainment, coefficient)."""
        return frame_summary("payout curve", self.to_frame(), values={"slope_above": self.slope_above})

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


@dataclass(frozen=True, eq=False)
class BonusCost:
    """Distribution of the total bonus cost over Monte Carlo scenarios.

    ``total`` holds the total cost of every scenario (currency units, float64);
    ``expected_coefficient`` the mean payout coefficient per manager.
    """

    manager_id: np.ndarray
    region: np.ndarray
    bonus_base: np.ndarray
    expected_coefficient: np.ndarray
    total: np.ndarray

    @property
    def expected_bonus(self) -> np.ndarray:
        """Mean bonus per manager, currency units."""
        return self.bonus_base * self.expected_coefficient

    @property
    def mean(self) -> float:
        return float(self.total.mean())

    def quantile(self, q: float) -> float:
        """The q-quantile of the total cost (q in [0, 1]): the budget that covers
        the cost in a share q of scenarios."""
        return float(np.quantile(self.total, q))

    @property
    def p50(self) -> float:
        return self.quantile(0.5)

    @property
    def p90(self) -> float:
        return self.quantile(0.9)

    @property
    def p99(self) -> float:
        return self.quantile(0.99)

    def to_series(self) -> pd.Series:
        """Target bonus pool, mean and P50/P90/P99 of the total cost."""
        return pd.Series(
            {
                "target_pool": float(self.bonus_base.sum()),
                "mean": self.mean,
                "p50": self.p50,
                "p90": self.p90,
                "p99": self.p99,
                "scenarios": int(self.total.size),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per manager: bonus base, expected coefficient and expected bonus."""
        return pd.DataFrame(
            {
                "manager_id": self.manager_id,
                "region": self.region,
                "bonus_base": self.bonus_base,
                "expected_coefficient": self.expected_coefficient,
                "expected_bonus": self.expected_bonus,
            }
        )

    def summary(self) -> Summary:
        """Target pool, mean and P50/P90/P99 of the total cost (reads like :meth:`to_series`)."""
        return Summary.from_values("bonus cost", self.to_series().to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

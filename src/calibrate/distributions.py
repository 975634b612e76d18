"""The normal and Student-t distributions the methods need, from :mod:`scipy.special`.

``scipy.stats`` takes about a second to import; a run needs only these few
functions, which are the very ones ``scipy.stats.norm`` and ``scipy.stats.t``
evaluate (``ndtr``, ``ndtri``, ``stdtr``, ``stdtrit``), so the numbers are the same
to the last bit.

>>> round(float(norm.ppf(0.95)), 4), round(float(student_t(5).cdf(2.015)), 4)
(1.6449, 0.95)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

__all__ = ["norm", "student_t", "Normal", "StudentT"]


class Normal:
    """The standard normal distribution: ``cdf``, ``sf``, ``ppf`` and ``isf`` as in ``scipy.stats.norm``."""

    @staticmethod
    def cdf(x: ArrayLike) -> np.ndarray:
        return special.ndtr(np.asarray(x, dtype=float))

    @staticmethod
    def sf(x: ArrayLike) -> np.ndarray:
        return special.ndtr(-np.asarray(x, dtype=float))

    @staticmethod
    def ppf(q: ArrayLike) -> np.ndarray:
        return special.ndtri(np.asarray(q, dtype=float))

    @staticmethod
    def isf(q: ArrayLike) -> np.ndarray:
        return -special.ndtri(np.asarray(q, dtype=float))


@dataclass(frozen=True)
class StudentT:
    """Student's t with ``df`` degrees of freedom: ``cdf``, ``sf``, ``ppf`` and ``isf`` as in ``scipy.stats.t(df)``."""

    df: float

    def cdf(self, x: ArrayLike) -> np.ndarray:
        return special.stdtr(self.df, np.asarray(x, dtype=float))

    def sf(self, x: ArrayLike) -> np.ndarray:
        return special.stdtr(self.df, -np.asarray(x, dtype=float))

    def ppf(self, q: ArrayLike) -> np.ndarray:
        return special.stdtrit(self.df, np.asarray(q, dtype=float))

    def isf(self, q: ArrayLike) -> np.ndarray:
        return -special.stdtrit(self.df, np.asarray(q, dtype=float))


norm = Normal()


def student_t(df: float) -> StudentT:
    """Student's t with ``df`` degrees of freedom."""
    return StudentT(float(df))

"""Reliability of a block of indicators: Cronbach's alpha, composite reliability, AVE.

These are the usual checks for reflective (mode A) blocks; for a formative
(mode B) block they are reported but carry little meaning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cronbach_alpha(items: pd.DataFrame | np.ndarray, *, standardized: bool = True) -> float:
    """Cronbach's alpha of a block of items (rows = respondents).

    ``alpha = p / (p - 1) * (1 - sum of item variances / variance of the item sum)``.
    With ``standardized=True`` (default, as the PLS model sees the data) the
    items are first scaled to unit variance, which gives
    ``p / (p - 1) * (1 - p / sum of all entries of the correlation matrix)``.
    Undefined (NaN) for a single item. In [-inf, 1]; 0.7 or more is the usual bar.

    Examples
    --------
    >>> round(cronbach_alpha(np.array([[1, 2], [2, 3], [3, 5]]), standardized=False), 4)
    0.9474
    """
    x = np.asarray(items, dtype=float)
    p = x.shape[1]
    if p < 2:
        return float("nan")
    if np.isnan(x).any():  # missing answers: pairwise-complete (co)variances
        frame = pd.DataFrame(x)
        cov = (frame.corr() if standardized else frame.cov()).to_numpy()
    else:
        cov = np.corrcoef(x, rowvar=False) if standardized else np.cov(x, rowvar=False)
    return float(p / (p - 1) * (1.0 - np.trace(cov) / cov.sum()))


def composite_reliability(loadings: np.ndarray | pd.Series) -> float:
    """Dillon-Goldstein's rho (composite reliability) from standardized loadings.

    ``(sum l)^2 / ((sum l)^2 + sum (1 - l^2))``, in [0, 1]; 0.7 or more is the usual bar.
    """
    lam = np.asarray(loadings, dtype=float)
    s = lam.sum() ** 2
    return float(s / (s + np.sum(1.0 - lam**2)))


def average_variance_extracted(loadings: np.ndarray | pd.Series) -> float:
    """AVE: mean squared standardized loading, in [0, 1]; 0.5 or more is the usual bar."""
    lam = np.asarray(loadings, dtype=float)
    return float(np.mean(lam**2))

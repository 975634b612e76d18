"""PLS path modelling (PLS-PM): blocks of indicators, a recursive inner model, the Lohmöller/Wold algorithm.

Public API: :func:`path_model` builds a validated :class:`PathModel`,
:func:`fit_pls` estimates it and returns a :class:`PLSResult`; the
reliability helpers work on any block of items.
"""

from __future__ import annotations

from calibrate.pls.algorithm import DEFAULT_MAX_ITER, DEFAULT_SCHEME, DEFAULT_TOL, SCHEMES, Scheme
from calibrate.pls.fit import MISSING, Missing, fit_pls
from calibrate.pls.reliability import average_variance_extracted, composite_reliability, cronbach_alpha
from calibrate.pls.result import PLSBootstrap, PLSResult
from calibrate.pls.spec import Block, PathModel, path_model

__all__ = [
    "DEFAULT_MAX_ITER",
    "DEFAULT_SCHEME",
    "DEFAULT_TOL",
    "SCHEMES",
    "Scheme",
    "Block",
    "PathModel",
    "path_model",
    "fit_pls",
    "MISSING",
    "Missing",
    "PLSResult",
    "PLSBootstrap",
    "cronbach_alpha",
    "composite_reliability",
    "average_variance_extracted",
]

"""The ECSI customer-satisfaction model as a PLS path model.

The European Customer Satisfaction Index links seven latent variables:
image, expectation, perceived quality, perceived value, satisfaction,
complaints and loyalty (Tenenhaus, Esposito Vinzi, Chatelin & Lauro 2005,
"PLS path modeling", Computational Statistics & Data Analysis 48, 159-205).
:data:`MOBI_BLOCKS` maps them to the 24 items of the public ECSI mobile-phone
survey (``mobi``, 250 respondents, answers on 1-10); pass your own ``blocks``
to fit the same structure to another questionnaire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from calibrate.pls import DEFAULT_MAX_ITER, DEFAULT_SCHEME, DEFAULT_TOL, PLSResult, Scheme, fit_pls, path_model
from calibrate.pls.bootstrap import Seed

ECSI_LATENT: tuple[str, ...] = ("image", "expectation", "quality", "value", "satisfaction", "complaints", "loyalty")

ECSI_PATHS: tuple[tuple[str, str], ...] = (
    ("image", "expectation"),
    ("image", "satisfaction"),
    ("image", "loyalty"),
    ("expectation", "quality"),
    ("expectation", "value"),
    ("expectation", "satisfaction"),
    ("quality", "value"),
    ("quality", "satisfaction"),
    ("value", "satisfaction"),
    ("satisfaction", "complaints"),
    ("satisfaction", "loyalty"),
    ("complaints", "loyalty"),
)

MOBI_BLOCKS: Mapping[str, tuple[str, ...]] = {
    "image": ("IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"),
    "expectation": ("CUEX1", "CUEX2", "CUEX3"),
    "quality": ("PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"),
    "value": ("PERV1", "PERV2"),
    "satisfaction": ("CUSA1", "CUSA2", "CUSA3"),
    "complaints": ("CUSCO",),
    "loyalty": ("CUSL1", "CUSL2", "CUSL3"),
}

# Where each LV sits in the usual ECSI drawing (x to the right, y up), for path diagrams.
ECSI_LAYOUT: Mapping[str, tuple[float, float]] = {
    "image": (0.0, 2.0),
    "expectation": (0.0, 0.0),
    "quality": (1.0, -1.4),
    "value": (2.7, -0.9),
    "satisfaction": (2.0, 1.0),
    "complaints": (4.0, 0.1),
    "loyalty": (4.0, 2.0),
}


def fit_ecsi(
    data: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]] = MOBI_BLOCKS,
    *,
    modes: Mapping[str, str] | None = None,
    scheme: Scheme = DEFAULT_SCHEME,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    n_boot: int = 0,
    seed: Seed = 0,
    level: float = 0.95,
    source: str = "data",
) -> PLSResult:
    """Fit the ECSI model (:data:`ECSI_PATHS`) with the given indicator ``blocks``.

    ``blocks`` must name the seven ECSI latent variables; all blocks are
    reflective (mode A) unless ``modes`` says otherwise. The other arguments
    are those of :func:`calibrate.pls.fit_pls` (path weighting by default).

    Examples
    --------
    >>> fit = fit_ecsi(mobi)                       # doctest: +SKIP
    >>> fit.to_frame("paths")                      # doctest: +SKIP
    """
    model = path_model(blocks, ECSI_PATHS, modes)
    return fit_pls(
        data, model, scheme=scheme, tol=tol, max_iter=max_iter, n_boot=n_boot, seed=seed, level=level, source=source
    )

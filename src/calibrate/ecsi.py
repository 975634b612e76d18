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
from calibrate.pls.result import Table

ECSI_LATENT: tuple[str, ...] = ("image", "expectation", "quality", "value", "satisfaction", "complaints",
                                "loyalty")

ECSI_PATHS: tuple[tuple[str, str], ...] = (
    ("image", "expectation"), ("image", "satisfaction"), ("image", "loyalty"),
    ("expectation", "quality"), ("expectation", "value"), ("expectation", "satisfaction"),
    ("quality", "value"), ("quality", "satisfaction"),
    ("value", "satisfaction"),
    ("satisfaction", "complaints"), ("satisfaction", "loyalty"),
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

ECSI_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {"image": "Image", "expectation": "Expectation", "quality": "Perceived quality",
           "value": "Perceived value", "satisfaction": "Satisfaction", "complaints": "Complaints",
           "loyalty": "Loyalty"},
    "zh": {"image": "企业形象", "expectation": "客户期望", "quality": "感知质量", "value": "感知价值",
           "satisfaction": "客户满意度", "complaints": "客户抱怨", "loyalty": "客户忠诚度"},
}

# Where each LV sits in the usual ECSI drawing (x to the right, y up), for path diagrams.
ECSI_LAYOUT: Mapping[str, tuple[float, float]] = {
    "image": (0.0, 2.0), "expectation": (0.0, 0.0), "quality": (1.0, -1.4), "value": (2.7, -0.9),
    "satisfaction": (2.0, 1.0), "complaints": (4.0, 0.1), "loyalty": (4.0, 2.0),
}


def fit_ecsi(data: pd.DataFrame, blocks: Mapping[str, Sequence[str]] = MOBI_BLOCKS, *,
             modes: Mapping[str, str] | None = None, scheme: Scheme = DEFAULT_SCHEME,
             tol: float = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER, n_boot: int = 0,
             seed: Seed = 0, level: float = 0.95, source: str = "data") -> PLSResult:
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
    return fit_pls(data, model, scheme=scheme, tol=tol, max_iter=max_iter, n_boot=n_boot, seed=seed,
                   level=level, source=source)


_ECSI_HEADERS = {
    "from": ("从", "From"), "to": ("到", "To"), "coefficient": ("路径系数", "Coefficient"),
    "std_error": ("标准误（自助法）", "Std. error (bootstrap)"), "lower": ("区间下限", "Interval low"),
    "upper": ("区间上限", "Interval high"), "lv": ("潜变量", "Latent variable"), "r_squared": ("R²", "R²"),
    "direct": ("直接效应", "Direct"), "indirect": ("间接效应", "Indirect"), "total": ("总效应", "Total"),
    "mode": ("测量模式", "Mode"), "indicators": ("题项数", "Items"), "cronbach_alpha": ("Cronbach α", "Cronbach's alpha"),
    "composite_reliability": ("组合信度", "Composite reliability"), "ave": ("平均方差提取量 AVE", "AVE"),
    "indicator": ("题项", "Item"), "weight": ("外部权重", "Outer weight"), "loading": ("载荷", "Loading"),
    "loading_se": ("载荷标准误", "Loading s.e."), "loading_lower": ("载荷区间下限", "Loading interval low"),
    "loading_upper": ("载荷区间上限", "Loading interval high"),
}


def ecsi_table(result: PLSResult, what: Table, lang: str = "en", digits: int = 3) -> tuple[pd.DataFrame, list[str]]:
    """``result.to_frame(what)`` for a report in ``lang`` (``zh`` or ``en``), and notes for its blank cells.

    Latent variables get their :data:`ECSI_LABELS`, headers are translated, numbers
    rounded. A value that is undefined (Cronbach's alpha of a one-item block) is
    left blank and explained in the returned notes, one sentence per kind.
    """
    frame = result.to_frame(what).copy()
    labels = ECSI_LABELS["zh" if lang == "zh" else "en"]
    notes = []
    if "cronbach_alpha" in frame and frame["cronbach_alpha"].isna().any():
        blocks = ", ".join(labels.get(v, v) for v in frame.loc[frame["cronbach_alpha"].isna(), "lv"])
        notes.append(f"{blocks}：单题项构念，Cronbach α 无定义（留空）。" if lang == "zh" else
                     f"{blocks}: a one-item block, for which Cronbach's alpha is not defined (left blank).")
    for column in ("from", "to", "lv"):
        if column in frame:
            frame[column] = frame[column].map(lambda v: labels.get(v, v))
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].round(digits)
    k = 0 if lang == "zh" else 1
    frame.columns = [_ECSI_HEADERS.get(c, (c, c))[k] for c in frame.columns]
    return frame, notes

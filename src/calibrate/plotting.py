"""One seaborn theme for every chart, with a font that has Chinese glyphs.

The font is Noto Sans CJK (SIL Open Font License), installed with the project as
the ``cvttf-notosanscjk-regular`` package, so charts need nothing from the system.

>>> use_theme("zh")            # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
import re

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib import font_manager

from calibrate.fonts import cjk_font_path  # re-exported: plotting.cjk_font_path() as before

PALETTE = ["#1f4e79", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646", "#7f7f7f", "#2c7f6f"]
CJK_FAMILY = "Noto Sans CJK TC"


def use_theme(lang: str = "zh") -> None:
    """Apply the calibrate theme; Chinese-capable font for both languages (names and regions are Chinese)."""
    path = cjk_font_path()
    family = ["DejaVu Sans"]
    if path:
        font_manager.fontManager.addfont(path)
        family = [CJK_FAMILY, "DejaVu Sans"]
    sns.set_theme(
        style="whitegrid",
        palette=PALETTE,
        font=family[0],
        rc={
            "font.family": "sans-serif",
            "font.sans-serif": family,
            "axes.unicode_minus": False,
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.figsize": (8, 4),
            "svg.hashsalt": "calibrate",
        },
    )
    plt.rcParams["axes.unicode_minus"] = False
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # no bold CJK face: not worth a warning
    _one_draw_per_figure()


def _one_draw_per_figure() -> None:
    """In a Jupyter kernel, draw each figure once (into the PNG the inline backend sends), not twice.

    pyplot redraws every changed figure after each cell when matplotlib is interactive
    (the inline backend makes it so); with the inline backend that canvas is never shown:
    ``flush_figures`` draws each figure again into its PNG and closes it. The first draw
    (a third of a notebook's charting time) is dropped; the PNG is the same.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebooks' extras
        return
    shell = get_ipython()
    hook = getattr(plt, "_draw_all_if_interactive", None)
    if shell is None or hook is None or "inline" not in str(plt.get_backend()):
        return
    if hook in shell.events.callbacks.get("post_execute", []):
        shell.events.unregister("post_execute", hook)


def text(lang: str, zh: str, en: str) -> str:
    """Pick the label for the report language."""
    return zh if lang == "zh" else en


_MARKDOWN_SIGNS = re.compile(r"([\\`*_\[\](){}#!|~])")


def escape(value: object) -> str:
    """Text from data or config made inert for a Markdown or HTML report: no tag, link or emphasis is formed.

    >>> escape("<b>x</b> [y](javascript:1)")
    '&lt;b&gt;x&lt;/b&gt; \\\\[y\\\\]\\\\(javascript:1\\\\)'
    """
    return html.escape(_MARKDOWN_SIGNS.sub(r"\\\1", str(value)), quote=True)


def table(frame: pd.DataFrame, digits: int = 3, percent: tuple[str, ...] = ()):
    """A table for a report: no index column, fixed decimals, chosen columns as percentages.

    Returns an IPython HTML object; the markup is deterministic (no random ids).
    """
    from IPython.display import HTML

    shown = frame.copy()
    for column in percent:
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{100 * v:.1f}%")
    html = shown.to_html(
        index=False,
        float_format=lambda v: f"{v:,.{digits}f}",
        na_rep="",
        border=0,
        classes="dataframe calibrate-table",
        escape=True,
    )
    return HTML(html)

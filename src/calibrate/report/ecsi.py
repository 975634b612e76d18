"""The ECSI model's tables for a report in one language (headers and notes from ``ecsi.*`` of the catalogue)."""

from __future__ import annotations

import pandas as pd

from calibrate.ecsi import ECSI_LATENT
from calibrate.messages import has, text
from calibrate.pls.result import PLSResult, Table

__all__ = ["ecsi_labels", "ecsi_table", "lv_label"]


def lv_label(name: str, lang: str) -> str:
    """The label of an ECSI latent variable in ``lang`` (the catalogue's ``ecsi.lv_<name>``); an LV the
    catalogue does not know (your own model's) keeps its name.

    >>> lv_label("satisfaction", "zh"), lv_label("satisfaction", "en"), lv_label("trust", "en")
    ('客户满意度', 'Satisfaction', 'trust')
    """
    key = f"ecsi.lv_{name}"
    return text(key, lang) if has(key, lang) else name


def ecsi_labels(lang: str) -> dict[str, str]:
    """Every ECSI latent variable's label in ``lang``: ``{"image": "Image", ...}`` (for path diagrams)."""
    return {name: lv_label(name, lang) for name in ECSI_LATENT}


def ecsi_table(result: PLSResult, what: Table, lang: str = "en", digits: int = 3) -> tuple[pd.DataFrame, list[str]]:
    """``result.to_frame(what)`` for a report in ``lang`` (``zh`` or ``en``), and notes for its blank cells.

    Latent variables get their labels (:func:`lv_label`), headers are the
    catalogue's ``ecsi.col_<column>``, numbers rounded. A value that is undefined
    (Cronbach's alpha of a one-item block) is left blank and explained in the
    returned notes, one sentence per kind.
    """
    frame = result.to_frame(what).copy()
    labels = ecsi_labels(lang)
    notes = []
    if "cronbach_alpha" in frame and frame["cronbach_alpha"].isna().any():
        blocks = text("ecsi.list_sep", lang).join(
            labels.get(v, v) for v in frame.loc[frame["cronbach_alpha"].isna(), "lv"]
        )
        notes.append(text("ecsi.one_item_note", lang, blocks=blocks))
    for column in ("from", "to", "lv"):
        if column in frame:
            frame[column] = frame[column].map(lambda v: labels.get(v, v))
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].round(digits)
    frame.columns = [text(f"ecsi.col_{c}", lang) if has(f"ecsi.col_{c}", lang) else c for c in frame.columns]
    return frame, notes

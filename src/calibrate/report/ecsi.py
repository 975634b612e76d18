"""The ECSI model's tables for a report in one language (headers and notes from ``ecsi.*`` of the catalogue)."""

from __future__ import annotations

import pandas as pd

from calibrate.ecsi import ECSI_LABELS
from calibrate.messages import has, text
from calibrate.pls.result import PLSResult, Table

__all__ = ["ecsi_table"]


def ecsi_table(result: PLSResult, what: Table, lang: str = "en", digits: int = 3) -> tuple[pd.DataFrame, list[str]]:
    """``result.to_frame(what)`` for a report in ``lang`` (``zh`` or ``en``), and notes for its blank cells.

    Latent variables get their :data:`calibrate.ecsi.ECSI_LABELS`, headers are the
    catalogue's ``ecsi.col_<column>``, numbers rounded. A value that is undefined
    (Cronbach's alpha of a one-item block) is left blank and explained in the
    returned notes, one sentence per kind.
    """
    frame = result.to_frame(what).copy()
    labels = ECSI_LABELS["zh" if lang == "zh" else "en"]
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

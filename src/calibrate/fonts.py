"""Where the bundled Chinese font is: charts (:mod:`calibrate.plotting`) and report pages
(:mod:`calibrate.report.webfont`) both use it; finding it imports nothing heavy.

The font is Noto Sans CJK (SIL Open Font License), installed with the project as
the ``cvttf-notosanscjk-regular`` package.
"""

from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """Path of the bundled Noto Sans CJK font, or None when the font package is missing."""
    try:
        import cvttf_NotoSansCJK_Regular as font_package
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(font_package.__file__), "NotoSansCJKtc-Regular.otf")
    return path if os.path.exists(path) else None

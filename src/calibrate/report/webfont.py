"""Embed the bundled Chinese font into a report page, cut down to the characters the page uses.

Readers then need no Chinese font of their own and the page opens offline. The
bundled Noto Sans CJK is a CID-keyed CFF font; browsers' font sanitizers reject
some glyphs of a CFF subset (and then drop the whole text run), so the subset's
outlines are converted to TrueType quadratic curves, which every browser accepts.
The result is deterministic: the same characters give the same bytes.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from calibrate.fonts import cjk_font_path

FAMILY = "CalibrateCJK"
FIRST_CJK = 0x2E80  # CJK radicals onwards: everything a Latin font lacks


def embed_cjk_font(page: str) -> str:
    """Add an @font-face with the page's CJK characters, first in every font stack.

    It holds CJK characters only, so Latin text still uses the fonts after it. (Listed
    last, Chromium drew some runs with a fallback font that has no CJK glyphs.)
    """
    style = font_style(cjk_characters(page))
    return page.replace("</head>", style + "\n</head>", 1) if style else page


def embed_cjk_font_in_pages(paths: list[Path], kept: list[Path] | None = None) -> None:
    """One subset for all the pages of a run (the union of their CJK characters), added to each page.

    Parsing and subsetting the 16 MB font is the costly part (~0.5 s): a run does it once.
    ``kept``: the pages of the run folder that a re-run of some steps keeps from the last run;
    their characters count in the union (they are not rewritten), so a page made again by a
    re-run carries the same subset, hence the same bytes, as in a whole run.
    """
    pages = {path: path.read_text(encoding="utf-8") for path in paths}
    chars: set[int] = set()
    for page in [*pages.values(), *(path.read_text(encoding="utf-8") for path in kept or [])]:
        chars.update(cjk_characters(page))
    style = font_style(sorted(chars))
    if not style:
        return
    for path, page in pages.items():
        path.write_text(page.replace("</head>", style + "\n</head>", 1), encoding="utf-8")


def cjk_characters(page: str) -> list[int]:
    """The code points at or above the CJK radicals that ``page`` uses, sorted."""
    return sorted({ord(ch) for ch in page if ord(ch) >= FIRST_CJK})


def font_style(chars: list[int]) -> str:
    """A ``<style>`` with the font subset for ``chars`` first in every font stack ('' when none is needed)."""
    path = cjk_font_path()
    if not chars or path is None:
        return ""
    data = base64.b64encode(subset_truetype(path, chars)).decode("ascii")
    return (
        f"<style>@font-face {{font-family: '{FAMILY}'; src: url(data:font/ttf;base64,{data}) "
        f"format('truetype'); font-display: block;}}\n"
        f"body, body *:not(pre):not(code) {{font-family: '{FAMILY}', system-ui, -apple-system, 'Segoe UI', "
        f"Roboto, 'Helvetica Neue', Arial, sans-serif !important;}}\n"
        f"pre, code {{font-family: '{FAMILY}', ui-monospace, Menlo, Consolas, monospace !important;}}</style>"
    )


def subset_truetype(path: str, codepoints: list[int]) -> bytes:
    """A TrueType font holding only ``codepoints`` (plus .notdef), from an OpenType/CFF font."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(path, recalcTimestamp=False, lazy=True)
    dropped = ["GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG", "BASE"]
    for tag in dropped:  # removed before subsetting, so their large layout tables are never parsed
        if tag in font:
            del font[tag]
    options = subset.Options()
    options.layout_features = []  # no shaping tables: nothing outside the subset is reached
    options.drop_tables += dropped
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    if "CFF " in font:
        _cff_to_truetype(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _cff_to_truetype(font) -> None:
    """Replace CFF outlines by quadratic TrueType outlines (within 1 font unit)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    glyph_set, order = font.getGlyphSet(), font.getGlyphOrder()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxComponentDepth",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    post.glyphOrder = order

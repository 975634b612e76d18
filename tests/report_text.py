"""What a reader must never see in a report: the other language, NaN/None/True/False, raw floats, index columns.

Used by tests/test_reports_language.py on every report of a run in each language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u3400-\u9fff]+")
WORD = re.compile(r"[A-Za-z][\w'’./-]*[A-Za-z0-9]")
IDENTIFIER = re.compile(
    r".*[_/].*|.*\.(?:[a-z]{2,4}|parquet|duckdb)"
)  # file names, paths, ids: not words of a language
RAW = re.compile(r"\b(?:NaN|nan|None|True|False|NaT|<NA>)\b")
NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*\.\d+\b")
INTEGER_AS_FLOAT = re.compile(r"^-?[\d,]+\.0$")
#: Latin words a Chinese page may hold: method names, units, statistics, ids.
ZH_ALLOWED = {
    "AHP",
    "AIJ",
    "OLS",
    "CRITIC",
    "LMG",
    "GLM",
    "NPS",
    "CR",
    "VIF",
    "Spearman",
    "Kendall",
    "Shapley",
    "Brier",
    "Student",
    "P50",
    "P90",
    "P99",
    "P5",
    "P95",
    "CNY",
    "UTC",
    "pp",
    "CSV",
    "Excel",
    "Parquet",
    "DuckDB",
    "SQL",
    "SHA-256",  # file formats and the digest's name
}
HEX_ID = re.compile(r"(?=.*\d)[0-9a-f]{6,}")  # content digests (sha256 prefixes): ids


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip, self.in_tbody, self.tbody_th = [], 0, 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        if tag == "tbody":
            self.in_tbody += 1
        if tag == "th" and self.in_tbody:
            self.tbody_th += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1
        if tag == "tbody":
            self.in_tbody -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> tuple[str, int]:
    """The text a reader sees (no style/script) and the number of row-header cells (index columns)."""
    p = _Text()
    p.feed(html)
    return "\n".join(s for s in (x.strip() for x in p.parts) if s), p.tbody_th


class _Tables(HTMLParser):
    """Cells per table: a list of (header row, body rows)."""

    def __init__(self):
        super().__init__()
        self.tables, self.cell, self.row, self.part = [], None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"head": [], "body": []})
        elif tag in ("thead", "tbody") and self.tables:
            self.part = "head" if tag == "thead" else "body"
        elif tag == "tr" and self.tables:
            self.row = []
            self.tables[-1][self.part or "body"].append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def integer_columns_as_floats(html: str) -> list[str]:
    """Headers of table columns whose every non-empty cell is a whole number written as ``843.0``."""
    p = _Tables()
    p.feed(html)
    out = []
    for t in p.tables:
        head = t["head"][-1] if t["head"] else []
        body = [r for r in t["body"] if r]
        for j in range(max((len(r) for r in body), default=0)):
            cells = [r[j] for r in body if j < len(r) and r[j] not in ("", "–")]
            if len(cells) >= 2 and all(INTEGER_AS_FLOAT.match(c) for c in cells):
                out.append(head[j] if j < len(head) else str(j))
    return out


def problems(html: str, lang: str, allowed: set[str] = frozenset()) -> list[str]:
    """Every offending snippet, as 'kind: text'."""
    text, index_cells = visible_text(html)
    out = []
    if index_cells:
        out.append(f"index column: {index_cells} row-header cells")
    for m in RAW.finditer(text):
        out.append(f"raw value: ...{text[max(0, m.start() - 40) : m.end() + 20]!r}")
    for m in NUMBER.finditer(text):
        number = m.group().lstrip("-").replace(",", "")
        decimals = len(number.split(".")[1])
        significant = len(number.replace(".", "").lstrip("0"))
        if decimals >= 4 and significant >= 5:
            out.append(f"raw float: {m.group()}")
    for column in integer_columns_as_floats(html):
        out.append(f"whole numbers printed as floats: column {column!r}")
    if lang == "en":
        for m in CJK.finditer(text):
            if m.group() not in allowed:
                out.append(
                    f"Chinese on an English page: {m.group()!r} in ...{text[max(0, m.start() - 30) : m.end() + 10]!r}"
                )
    else:
        for m in WORD.finditer(text):
            w = m.group()
            if (
                len(w) < 3
                or IDENTIFIER.fullmatch(w)
                or w in ZH_ALLOWED
                or w in allowed
                or HEX_ID.fullmatch(w)
                or re.fullmatch(r"[A-Z]-?[0-9a-f]*|\d{4}Q[1-4]", w)
            ):
                continue
            if True:
                out.append(f"English on a Chinese page: {w!r} in ...{text[max(0, m.start() - 30) : m.end() + 10]!r}")
    return out

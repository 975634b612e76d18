"""User-facing words live in the message catalogue (messages/zh.yaml, en.yaml), not in zh/en pairs in code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "calibrate"
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def zh_en_tuples(source: str) -> list[tuple[int, list[str]]]:
    """Tuple literals holding a Chinese string and a Latin-only string (a translation pair), by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple):
            texts = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if any(CJK.search(t) for t in texts) and any(LATIN_WORD.search(t) and not CJK.search(t) for t in texts):
                found.append((node.lineno, texts))
    return found


def test_the_check_finds_a_pair():
    assert zh_en_tuples('LABELS = {"cap": ("变动上限", "change cap")}') == [(1, ["变动上限", "change cap"])]
    assert zh_en_tuples('REGIONS = ("华东", "华北")\nIDS = ("cap", "min")') == []


def test_no_zh_en_tuple_in_the_package_outside_the_catalogue():
    pairs = {
        f"{path.relative_to(PACKAGE)}:{line}": texts
        for path in sorted(PACKAGE.rglob("*.py"))
        if "messages" not in path.relative_to(PACKAGE).parts
        for line, texts in zh_en_tuples(path.read_text(encoding="utf-8"))
    }
    assert pairs == {}, "move these to messages/zh.yaml and messages/en.yaml"

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


NOTEBOOKS = PACKAGE.parents[1] / "notebooks"


def literal_pairs(source: str) -> list[int]:
    """Lines calling ``text(lang, ...)`` (calibrate.plotting.text) with literal or f-string words."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "text"
            and node.args[:1]
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "lang"
            and any(
                isinstance(a, ast.JoinedStr) or (isinstance(a, ast.Constant) and isinstance(a.value, str))
                for a in node.args[1:]
            )
        ):
            found.append(node.lineno)
    return found


def test_the_notebook_check_finds_a_pair():
    assert literal_pairs('x = text(lang, "拟合", "Fit")\ny = plotting.text(lang, f"{n} 名", f"{n} people")') == [1, 2]
    assert literal_pairs('x = msg("nb_ecsi.fit", lang)\ny = text(lang, zh, en)') == []


def test_no_zh_en_pair_in_the_notebooks():
    import nbformat

    pairs = {
        f"{path.name} cell {i} line {line}": cell.source.splitlines()[line - 1].strip()
        for path in sorted(NOTEBOOKS.glob("*.ipynb"))
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells)
        if cell.cell_type == "code"
        for line in literal_pairs(cell.source)
    }
    assert pairs == {}, "move these to messages/zh.yaml and messages/en.yaml and call calibrate.messages.text"


def _picks_text(func: ast.expr) -> bool:
    """``text(...)`` or ``plotting.text(...)``, not ``ax.text(x, y, s)``."""
    if isinstance(func, ast.Name):
        return func.id == "text"
    return isinstance(func, ast.Attribute) and func.attr == "text" and getattr(func.value, "id", "") == "plotting"


def pair_calls(source: str) -> list[int]:
    """Lines of ``text(lang, "中文", "english")`` calls (a zh/en pair picked in code) and of
    ``lambda zh, en: ...`` helpers that make such calls shorter."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _picks_text(node.func) and len(node.args) == 3:
            if not isinstance(node.args[0], ast.Constant):  # the catalogue's text("key", lang) takes a key first
                found.append(node.lineno)
        elif isinstance(node, ast.Lambda) and [a.arg for a in node.args.args] == ["zh", "en"]:
            found.append(node.lineno)
    return sorted(found)


def test_the_check_finds_a_pair_call():
    assert pair_calls('x = text(lang, f"达标 {p:.0%}", f"on target {p:.0%}")') == [1]
    assert pair_calls("t = lambda zh, en: text(lang, zh, en)") == [1, 1]
    assert pair_calls('x = plotting.text(lang, "人数", "Managers")') == [1]
    assert pair_calls('x = text("whatif_page.baseline", lang)\ny = msg("cycle_page.yes", lang)') == []
    assert pair_calls('x = text("summary.title", lang, year=2026)') == []
    assert pair_calls('ax.text(x, y, "CR = 0.1")') == []


def test_no_zh_en_pair_call_in_the_package_outside_the_catalogue():
    calls = {
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "messages" not in path.relative_to(PACKAGE).parts
        for line in pair_calls(path.read_text(encoding="utf-8"))
    }
    assert calls == set(), "move these to messages/zh.yaml and messages/en.yaml: text(key, lang, **values)"


def test_step_titles_come_from_the_catalogue():
    """A report's title is the catalogue's step_titles.<step> in each language, not a pair passed to Step."""
    import dataclasses

    from calibrate.messages import text
    from calibrate.steps import all_steps
    from calibrate.steps.base import Step

    assert not {"title_zh", "title_en"} & {f.name for f in dataclasses.fields(Step)}
    for step in all_steps().values():
        for lang in ("zh", "en"):
            assert step.title(lang) == text(f"step_titles.{step.name}", lang)
    assert [s.title("zh") for s in all_steps().values()][:2] == ["数据质量", "指标权重"]

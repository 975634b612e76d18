"""Every user-facing string of the reports, one catalogue per language (``zh.yaml``, ``en.yaml``).

Keys are dotted paths into the catalogue (``summary.title``); values are
``str.format`` templates filled with keyword values:

>>> text("summary.title", "en", year=2026)
'Performance plan 2026: executive summary'
>>> text("summary.title", "zh", year=2026)
'2026 年度绩效方案校准：执行摘要'

Both catalogues hold the same keys (a test checks it); a missing key or value is
a :class:`MessageError` naming the key, never a silently English page.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from calibrate.errors import CalibrateError

LANGS = ("zh", "en")


class MessageError(CalibrateError):
    """A message key or one of its values is missing from a catalogue."""


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat catalogue of ``lang``: dotted key -> template."""
    if lang not in LANGS:
        raise MessageError(f"report language {lang!r} must be 'zh' or 'en'")
    text_ = resources.files(__package__).joinpath(f"{lang}.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text_, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: ~4x faster, same data
    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            flat[prefix] = str(node)

    walk("", raw)
    return flat


def text(key: str, lang: str, /, **values: Any) -> str:
    """The message ``key`` in ``lang``, filled with ``values``."""
    table = catalogue(lang)
    if key not in table:
        raise MessageError(f"messages/{lang}.yaml has no message '{key}'")
    try:
        return table[key].format(**values)
    except (KeyError, IndexError) as exc:
        raise MessageError(f"messages/{lang}.yaml: message '{key}' needs the value {exc}") from None


def has(key: str, lang: str) -> bool:
    return key in catalogue(lang)


def section(prefix: str, lang: str) -> dict[str, str]:
    """Every message under ``prefix`` in ``lang``, keyed by the rest of its key: the words a method takes
    as an argument (methods never read the catalogue themselves).

    >>> section("format", "en")["money_unit"]
    '10k CNY'
    """
    start = prefix + "."
    return {k[len(start) :]: v for k, v in catalogue(lang).items() if k.startswith(start)}


def translator(lang: str):
    """``t(key, **values)`` bound to one language (for templates and notebooks)."""

    def t(key: str, **values: Any) -> str:
        return text(key, lang, **values)

    return t

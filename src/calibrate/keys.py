"""How each key of a run-config section looks in the YAML: its type, bounds and meaning.

The method packages declare the keys of their config sections here in plain Python
(no pydantic, so a researcher can use the methods without it): a :class:`Key` per key
(type in the YAML's shape, bounds, meaning) and a :class:`Section` naming the
defaults (written once, beside the settings class), the declarations, the settings
class and its check (the cross-field rules: shares adding up to 1, falling bands).
:mod:`calibrate.config` turns the sections into the typed config model, its JSON
Schema and the README table; a key added to a section's defaults and to its settings
class is picked up from the class's annotation without touching the config layer.

>>> Key(float, "chance of reaching target", gt=0, lt=1).expected()
'a number strictly between 0 and 1'
>>> Key(int | None, "resamples", ge=100).expected()
'a whole number of at least 100, or null'
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin


@dataclass(frozen=True)
class Key:
    """One key of a config section.

    ``type`` is an annotation in the YAML's shape (``float``, ``int | None``,
    ``Literal["a", "b"]``, ``list[str]``, ``dict[str, float]``, ...) or, for a nested
    mapping, a dict of :class:`Key` by sub-key. ``ge``/``gt``/``le``/``lt`` bound
    numbers. ``merged``: for a nested mapping, whether the sub-keys left out keep
    their defaults (True) or the mapping given replaces the default whole (False).
    """

    type: Any
    description: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    merged: bool = True

    @property
    def nested(self) -> bool:
        return isinstance(self.type, Mapping)

    def expected(self) -> str:
        """The expected value in words (for one-line errors and the README)."""
        if self.nested:
            return "a mapping with keys " + ", ".join(self.type) + (", or null" if self.merged else "")
        args = _union_args(self.type)
        nullable = type(None) in args
        words = [self._words(a) for a in args if a is not type(None)]
        text = " or ".join(dict.fromkeys(words))
        return text + (", or null" if nullable else "")

    def _words(self, t: Any) -> str:
        origin = get_origin(t)
        if origin is Literal:
            values = [repr(v) for v in get_args(t)]
            return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]
        if t is bool:
            return "true or false"
        if t in (int, float):
            return ("a whole number" if t is int else "a number") + self.bounds()
        if t is str:
            return "text"
        if origin is list:
            (item,) = get_args(t) or (Any,)
            inner = get_args(item)
            if get_origin(item) is list and inner:
                return "a list of pairs of numbers"
            if get_origin(item) is Literal:
                return "a list of names from " + ", ".join(repr(v) for v in inner)
            return "a list of names" if item is str else "a list of numbers"
        if origin is dict:
            k, v = get_args(t)
            value = "numbers" if v in (int, float) else "settings"
            return f"a mapping of {'answers' if k is int else 'names'} to {value}"
        return getattr(t, "__name__", str(t))

    def bounds(self) -> str:
        """The bounds in words: ' strictly between 0 and 1', ' of at least 100', ''."""
        low, high = (self.gt if self.gt is not None else self.ge), (self.lt if self.lt is not None else self.le)
        if low is not None and high is not None:
            if self.gt is not None and self.lt is not None:
                return f" strictly between {low:g} and {high:g}"
            if self.gt is None and self.lt is None:
                return f" between {low:g} and {high:g}"
            return (
                f" above {low:g} and at most {high:g}" if self.gt is not None else f" from {low:g} up to below {high:g}"
            )
        if low is not None:
            return f" above {low:g}" if self.gt is not None else f" of at least {low:g}"
        if high is not None:
            return f" below {high:g}" if self.lt is not None else f" of at most {high:g}"
        return ""


@dataclass(frozen=True)
class Section:
    """One section of a run config as its method package declares it."""

    name: str
    description: str
    defaults: Mapping[str, Any]  # every key and its default, written once beside the settings class
    keys: Mapping[str, Key]  # type, bounds and meaning of each key
    settings: type  # the settings class; its annotations type a key that has no Key yet
    check: Callable[[Mapping[str, Any]], Any]  # builds the settings: the cross-field checks (ConfigError)

    def key(self, name: str) -> Key | None:
        """The declaration of ``name``; for a key without one, a Key from the settings class's annotation
        when the default fits it (else None: the key is untyped and only the settings check sees it)."""
        if name in self.keys:
            return self.keys[name]
        hints = typing.get_type_hints(self.settings)
        if name not in hints:
            default = self.defaults.get(name)
            return Key(bool, _undeclared(self)) if isinstance(default, bool) else None
        annotation = _yaml_shape(hints[name])
        return Key(annotation, _undeclared(self)) if _fits(self.defaults.get(name), annotation) else None


def _undeclared(section: Section) -> str:
    return f"see {section.settings.__module__}.{section.settings.__name__}"


def _union_args(t: Any) -> tuple[Any, ...]:
    if get_origin(t) in (Union, types.UnionType):
        return get_args(t)
    return (t,)


def _yaml_shape(t: Any) -> Any:
    """Mapping -> dict, tuple[X, ...] -> list[X]: the annotation of a settings field as YAML writes it."""
    origin = get_origin(t)
    if origin in (Union, types.UnionType):
        args = tuple(_yaml_shape(a) for a in get_args(t))
        return Union[args]  # noqa: UP007 (built from a tuple)
    if origin is not None and origin.__name__ in ("Mapping", "dict"):
        k, v = get_args(t)
        return dict[_yaml_shape(k), _yaml_shape(v)]  # type: ignore[misc]
    if origin is tuple:
        return list[_yaml_shape(get_args(t)[0])]  # type: ignore[misc]
    return t


def _fits(value: Any, t: Any) -> bool:
    """Whether a default has the annotated shape (bool, int, float, str, None, lists, dicts, literals)."""
    origin = get_origin(t)
    if origin in (Union, types.UnionType):
        return any(_fits(value, a) for a in get_args(t))
    if origin is Literal:
        return value in get_args(t)
    if t is type(None) or t is None:
        return value is None
    if t is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if t in (bool, str):
        return isinstance(value, t)
    if origin is list:
        return isinstance(value, list) and all(_fits(v, get_args(t)[0]) for v in value)
    if origin is dict:
        k, v = get_args(t)
        return isinstance(value, dict) and all(_fits(a, k) and _fits(b, v) for a, b in value.items())
    return False

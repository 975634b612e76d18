"""Read a YAML config safely: plain data only, and no expansion bombs.

``yaml.safe_load`` already refuses Python objects, but YAML anchors and aliases
let a few hundred bytes expand into millions of values ("billion laughs": each
level repeats the one before it nine times). A run config is small, so a
document whose fully expanded value tree holds more than ``MAX_NODES`` values
(or whose file is larger than ``MAX_BYTES``) is refused with one clear error.
"""

from __future__ import annotations

from typing import Any

import yaml

from calibrate.errors import ConfigError

MAX_NODES = 10_000
MAX_BYTES = 1_000_000


def load_yaml(text: str, where: str, *, max_nodes: int = MAX_NODES) -> Any:
    """Parse ``text`` (named ``where`` in messages); ConfigError when invalid or too large once expanded."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ConfigError(f"{where}: the file is larger than {MAX_BYTES // 1000} kB; a config is a few kB")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({exc})") from None
    if expanded_size(value, max_nodes) > max_nodes:
        raise ConfigError(
            f"{where}: the YAML expands into more than {max_nodes:,} values "
            f"(anchors and aliases repeating each other); refused"
        )
    return value


def expanded_size(value: Any, limit: int) -> int:
    """Number of values in ``value`` with every shared (aliased) part counted each time; stops past ``limit``."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return count
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return count

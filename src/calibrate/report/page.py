"""Report pages from Jinja2 templates (``report/templates/*.j2``) with autoescape on.

Every value a template prints is escaped unless it is marked safe, so text from
the data (indicator labels, region names, expert ids) can never inject markup.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("calibrate", "report/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> str:
    """Render ``template`` (a file name in ``report/templates``) with ``context``."""
    return environment().get_template(template).render(**context)

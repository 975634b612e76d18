"""What every step of a run is: a declared name, notebook and titles, and a compute function.

A step reads the validated dataset (and earlier steps' artifacts) and writes its
own artifacts into the run folder; its notebook only reads those artifacts and
draws them, so every statistic lives in the package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calibrate.config import RunConfig
from calibrate.dataset import Dataset
from calibrate.messages import text


@dataclass
class RunContext:
    """What a step may use: the config, the validated data, the folder it writes into, and the
    executor for heavy work (None: this process; a Dask client's executor when the config's
    ``scheduler`` names one, see :mod:`calibrate.distributed`)."""

    config: RunConfig
    dataset: Dataset
    folder: Path
    cache: dict[str, Any] = field(default_factory=dict)
    executor: Any = None

    def path(self, relative: str) -> Path:
        return self.folder / relative

    def panel(self):
        if "panel" not in self.cache:
            from calibrate.panel import indicator_panel

            self.cache["panel"] = indicator_panel(self.dataset)
        return self.cache["panel"]


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str
    compute: Callable[[RunContext], list[Path]]
    html: str | None = None  # the report's file name without .html (default: the notebook's)
    when: Callable[[RunConfig], bool] | None = None  # runs by default only when this says so (None: always)

    def title(self, lang: str) -> str:
        """The report's title in ``lang``, from the catalogue (``step_titles.<name>``)."""
        return text(f"step_titles.{self.name}", lang)

    def by_default(self, config: RunConfig) -> bool:
        """Whether a run that does not list its steps includes this one."""
        return self.when is None or bool(self.when(config))


def copy_indicator_set(ctx: RunContext) -> Path:
    """The run folder keeps the indicator set it was computed with (``indicator_set.yaml``)."""
    from calibrate.indicators import indicator_set_text

    path = ctx.path("indicator_set.yaml")
    path.write_text(indicator_set_text(ctx.config.indicator_set_path()), encoding="utf-8")
    return path

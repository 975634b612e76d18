"""The indicator sets a researcher compares, and the data they need.

A new indicator needs no code: add a column to ``performance.csv`` (or any
configured performance source), describe it in an indicator-set YAML
(``compute: {column: cross_sell_rate}`` or ``compute: {ratio: [pipeline, revenue]}``)
and list that YAML among the sets to compare. :func:`calibrate.loading.load_dataset_for_sets`
validates the columns every compared set reads (numbers; rates within 0-1), so
a bad value is reported with its file, row and column like any other input.

>>> sets = load_sets(["account_manager", "key_account_director"])
>>> list(sets)
['account_manager', 'key_account_director']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from calibrate.dataset import Dataset
from calibrate.errors import CalibrateError, ConfigError
from calibrate.indicators import Dimension, Indicator, IndicatorSet, load_indicator_set
from calibrate.panel import OUTCOMES, indicator_panel

__all__ = ["load_sets", "set_panels", "union_of"]

SetsLike = Mapping[str, "IndicatorSet | str | Path"] | Iterable["IndicatorSet | str | Path"]


def load_sets(sets: SetsLike) -> dict[str, IndicatorSet]:
    """Indicator sets keyed by a display name.

    ``sets`` is a list of template names (``"account_manager"``), YAML paths or
    :class:`IndicatorSet` objects (keyed by the set's ``name``, or by the file
    name when two sets share a name), or a mapping name -> any of those.
    """
    if isinstance(sets, (str, Path, IndicatorSet)):
        sets = [sets]
    if isinstance(sets, Mapping):
        items = [(str(k), v) for k, v in sets.items()]
    else:
        items = [(None, v) for v in sets]
    if not items:
        raise ConfigError("give at least one indicator set to compare (a template name or a YAML path)")
    loaded: list[tuple[str | None, IndicatorSet, str]] = []
    for key, value in items:
        iset = value if isinstance(value, IndicatorSet) else load_indicator_set(value)
        stem = Path(iset.path).stem if iset.path else iset.name
        loaded.append((key, iset, stem))
    names = [key or iset.name for key, iset, _ in loaded]
    out: dict[str, IndicatorSet] = {}
    for (key, iset, stem), name in zip(loaded, names):
        if key is None and names.count(name) > 1:
            name = stem
        if name in out:
            raise ConfigError(
                f"two indicator sets are both called '{name}': give them different 'name's "
                f"in their YAML files, or pass a mapping {{display name: set}}"
            )
        out[name] = iset
    return out


def set_panels(data: Dataset | pd.DataFrame, sets: Mapping[str, IndicatorSet]) -> dict[str, pd.DataFrame]:
    """One indicator panel per set (rows manager x quarter, as :func:`calibrate.panel.indicator_panel`).

    From a :class:`Dataset` each set's indicators are computed as its YAML says.
    From a ready panel (a DataFrame indexed by ``manager_id, period``) indicators
    are looked up by id, so the panel must hold a column for every indicator of
    every set and the outcome columns.
    """
    if isinstance(data, Dataset):
        out = {}
        for name, iset in sets.items():
            _check_available(data, name, iset)
            try:
                out[name] = indicator_panel(data, indicator_set=iset)
            except (ValueError, TypeError) as exc:
                raise CalibrateError(
                    f"indicator set '{name}': a column it reads holds values that are not numbers ({exc}); "
                    f"load the data with calibrate.load_dataset_for_sets(config, sets) to see "
                    f"the file, row and column"
                ) from None
        return out
    if isinstance(data, pd.DataFrame):
        if list(data.index.names) != ["manager_id", "period"]:
            raise CalibrateError(
                "the panel must be indexed by (manager_id, period), as calibrate.panel.indicator_panel returns it"
            )
        missing = sorted({i for s in sets.values() for i in s.ids if i not in data.columns})
        if missing:
            raise CalibrateError(
                f"the panel has no column for indicator(s) {', '.join(missing)}; pass the "
                f"Dataset instead so that each set's indicators are computed from the data"
            )
        return {name: data for name in sets}
    raise CalibrateError(
        f"expected a Dataset (calibrate.loading.load_dataset) or an indicator panel, got {type(data).__name__}"
    )


def _check_available(ds: Dataset, name: str, iset: IndicatorSet) -> None:
    problems = []
    for ind in iset.indicators:
        here = f"indicator set '{name}', indicator {ind.id}"
        if ind.source == "performance":
            absent = [c for c in ind.compute_args if c not in ds.performance.columns]
            if absent:
                problems.append(
                    f"{here}: the performance data has no column {', '.join(absent)} "
                    f"(add it to the performance file, or correct 'compute' in the YAML)"
                )
        elif ind.source == "survey":
            if ds.survey is None:
                problems.append(f"{here}: needs survey answers; add 'survey' under 'data' in the config")
            elif ind.compute_args[0] not in ds.survey.columns:
                problems.append(f"{here}: the survey has no column {ind.compute_args[0]}")
        elif ind.source == "reviews":
            if ds.reviews is None:
                problems.append(f"{here}: needs 360 reviews; add 'reviews' under 'data' in the config")
            elif ind.compute_args[0] not in set(ds.reviews["criterion"].dropna()):
                problems.append(f"{here}: the 360 reviews have no ratings for criterion '{ind.compute_args[0]}'")
    if problems:
        raise CalibrateError("\n".join(problems))


def union_of(sets: list[IndicatorSet]) -> IndicatorSet:
    """One set holding every distinct computation of the given sets (used only to validate the data)."""
    seen: dict[tuple, Indicator] = {}
    for s in sets:
        for ind in s.indicators:
            key = (ind.source, ind.compute_kind, ind.compute_args, ind.unit)
            if key not in seen:
                seen[key] = Indicator(
                    **{
                        **ind.__dict__,
                        "id": f"{ind.id}_{len(seen)}",
                        "dimension": "all",
                        "weight": None,
                        "min_weight": 0.0,
                        "max_weight": 1.0,
                    }
                )
    name = " + ".join(dict.fromkeys(s.name for s in sets))
    return IndicatorSet(name, name, name, (Dimension("all", "all", "all", (0.0, 1.0)),), tuple(seen.values()))


def outcome_columns(panel: pd.DataFrame, outcomes: Iterable[str]) -> list[str]:
    """Check the outcomes exist in the panel; names the known ones otherwise."""
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    if not outcomes:
        raise CalibrateError(f"give at least one outcome, e.g. {', '.join(OUTCOMES[:2])}")
    absent = [o for o in outcomes if o not in panel.columns]
    if absent:
        raise CalibrateError(
            f"outcome(s) {', '.join(absent)} are not in the panel; use "
            f"{' or '.join(OUTCOMES[:2])} (or another column of the panel)"
        )
    return outcomes

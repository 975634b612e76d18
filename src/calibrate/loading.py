"""Load a run's data from its config: read every source, validate them together, type them (application layer).

>>> ds = load_dataset("data/sample/calibrate.yaml")          # doctest: +SKIP
>>> ds.performance.shape                                      # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from calibrate.config import RunConfig, load_config
from calibrate.dataset import Dataset, build_dataset
from calibrate.errors import ConfigError, DataSourceError, Problem, ValidationError
from calibrate.indicators import IndicatorSet, load_indicator_set
from calibrate.io import RawTable
from calibrate.memory import release_unused_memory
from calibrate.periods import quarter_from_index, quarter_index
from calibrate.schema import ValidationReport, validate_tables
from calibrate.sources import read_table

if TYPE_CHECKING:
    from calibrate.research.sets import SetsLike


def read_sources(config: RunConfig, indicator_set: IndicatorSet | None = None) -> dict[str, RawTable]:
    """Read every configured source; a source that cannot be read stops here with its name.

    Column and value mappings, periods as people write them and monthly rows are
    handled by :mod:`calibrate.sources` (monthly rows by the config's ``aggregate`` rules,
    then the indicator set's, then the defaults); a ``deals`` export adds its derived
    columns to the performance table (:mod:`calibrate.deals`).
    """
    if indicator_set is None:
        indicator_set = load_indicator_set(config.indicator_set_path())
    set_rules = indicator_set.aggregation_rules()
    raw = {}
    for name, spec in config.data.items():
        if name != "deals":
            raw[name] = read_table(
                name, spec, base_dir=config.base_dir, set_rules=set_rules if name == "performance" else None
            )
    if "deals" in config.data:
        from calibrate.deals import derive_performance, merge_into_performance, read_deals

        deals, won = read_deals(config.data["deals"], base_dir=config.base_dir)
        if "managers" not in raw or "performance" not in raw:
            raise DataSourceError(
                "a 'deals' source needs 'managers' (to match owners) and 'performance' "
                "(targets per manager and quarter) under 'data' too"
            )
        derived = derive_performance(deals, won, raw["managers"].frame)
        raw["performance"] = merge_into_performance(raw["performance"], derived, deals.info.label)
    return raw


def validate(config: RunConfig | str | Path) -> ValidationReport:
    """Read and validate the configured data; the report lists every problem (nothing is raised for bad rows)."""
    if not isinstance(config, RunConfig):
        config = load_config(config)
    indicator_set = load_indicator_set(config.indicator_set_path())
    report = validate_tables(read_sources(config, indicator_set), indicator_set)
    report.problems[:0] = config_problems(config)
    if report.ok:
        gap = _year_gap(config, report.tables["performance"]["period"])
        if gap:
            report.problems.append(
                Problem(
                    config.path.name if config.path else "config",
                    None,
                    "year",
                    _year_message(**gap),
                    code="year_after_data",
                    params=gap,
                )
            )
    return report


def config_problems(config: RunConfig) -> list[Problem]:
    """What the steps of a run would refuse in the config given its data sources (checked before computing)."""
    problems = []
    shares, methods = config.weights.get("shares"), config.weights.get("methods")
    ahp_share = shares.get("ahp") if isinstance(shares, dict) else None
    if (
        isinstance(methods, (list, tuple))
        and "ahp" in methods
        and isinstance(ahp_share, (int, float))
        and ahp_share > 0
        and "ahp_judgments" not in config.data
    ):
        problems.append(
            Problem(
                "config",
                None,
                None,
                "weights.shares.ahp is above 0 but there are no AHP judgments: add 'ahp_judgments' "
                "under 'data' in the config, or set weights.shares.ahp to 0",
                code="ahp_share_without_judgments",
            )
        )
    return problems


def load_dataset(config: RunConfig | str | Path) -> Dataset:
    """Read, validate and type the data of a run; raises ValidationError listing every problem."""
    if not isinstance(config, RunConfig):
        config = load_config(config)
    problems = config_problems(config)
    if problems:
        raise ValidationError(problems)
    indicator_set = load_indicator_set(config.indicator_set_path())
    ds = build_dataset(read_sources(config, indicator_set), indicator_set)
    release_unused_memory()  # the raw tables are gone now: give their pages back (calibrate.memory)
    message = year_problem(config, ds.performance["period"])
    if message:
        raise ConfigError(f"{config.path.name if config.path else 'config'}: {message}")
    return ds


def year_problem(config: RunConfig, periods) -> str | None:
    """The message when the config's ``year`` has no quarter in the data (a yearly rerun whose data is not in yet)."""
    gap = _year_gap(config, periods)
    return _year_message(**gap) if gap else None


def _year_gap(config: RunConfig, periods) -> dict | None:
    """The config's year, the data's last quarter and its year when the year has no quarter in the data."""
    if not config.year or len(periods) == 0:
        return None
    last = max(quarter_index(list(dict.fromkeys(periods))))
    if config.year * 4 > last:
        return {"year": config.year, "last": quarter_from_index(int(last)), "data_year": int(last) // 4}
    return None


def _year_message(year: int, last: str, data_year: int) -> str:
    return f"year {year} is after the data's last quarter {last}: add {year}'s data, or set year to {data_year}"


def sample_config_path() -> Path:
    """The run config of the sample company that ships with the package (never one of the current folder).

    ``calibrate sample FOLDER`` writes the same company (with this config) into a folder of your choice.
    """
    from calibrate.resources import shipped_path

    return shipped_path("sample_company") / "calibrate.yaml"


def load_dataset_for_sets(config: RunConfig | str | Path, sets: SetsLike) -> Dataset:
    """Load a run's data, validating every column that any of ``sets`` reads.

    Like :func:`calibrate.loading.load_dataset`, but an indicator that only a
    compared set uses (a new column in performance.csv) is checked too: it must
    be present, numeric, and within 0-1 when its unit is a rate. Raises
    :class:`ValidationError` listing every problem. The returned dataset's own
    ``indicator_set`` is the config's.
    """
    if not isinstance(config, RunConfig):
        config = load_config(config)
    own = load_indicator_set(config.indicator_set_path())
    from calibrate.research.sets import load_sets, union_of

    compared = load_sets(sets)
    ds = build_dataset(read_sources(config, own), own, check_with=union_of([own, *compared.values()]))
    release_unused_memory()
    return ds

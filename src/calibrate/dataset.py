"""Load a run's sources, validate them together, and hand back typed tables.

>>> ds = load_dataset("data/sample/calibrate.yaml")          # doctest: +SKIP
>>> ds.performance.shape                                      # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from calibrate.config import RunConfig, load_config
from calibrate.errors import DataSourceError, ValidationError
from calibrate.indicators import IndicatorSet, load_indicator_set
from calibrate.io import RawTable, SourceInfo, read_source
from calibrate.schema import ValidationReport, validate_tables


@dataclass(frozen=True)
class Dataset:
    """Validated, typed input tables of one run. Optional tables are None when not configured."""

    indicator_set: IndicatorSet
    managers: pd.DataFrame
    performance: pd.DataFrame
    survey: pd.DataFrame | None
    reviews: pd.DataFrame | None
    ahp_judgments: pd.DataFrame | None
    last_year_weights: pd.DataFrame | None
    sources: dict[str, SourceInfo]
    report: ValidationReport

    @property
    def quarters(self) -> list[str]:
        return sorted(self.performance["period"].unique(), key=lambda q: (q[:4], q[-1]))


def read_sources(config: RunConfig) -> dict[str, RawTable]:
    """Read every configured source; a source that cannot be read stops here with its name."""
    raw = {}
    for name, spec in config.data.items():
        raw[name] = read_source(spec, base_dir=config.base_dir)
    return raw


def validate(config: RunConfig | str | Path) -> ValidationReport:
    """Read and validate the configured data; the report lists every problem (nothing is raised for bad rows)."""
    if not isinstance(config, RunConfig):
        config = load_config(config)
    indicator_set = load_indicator_set(config.indicator_set_path())
    return validate_tables(read_sources(config), indicator_set)


def load_dataset(config: RunConfig | str | Path) -> Dataset:
    """Read, validate and type the data of a run; raises ValidationError listing every problem."""
    if not isinstance(config, RunConfig):
        config = load_config(config)
    return build_dataset(read_sources(config), load_indicator_set(config.indicator_set_path()))


def build_dataset(raw: dict[str, RawTable], indicator_set: IndicatorSet,
                  check_with: IndicatorSet | None = None) -> Dataset:
    """Validate raw tables (against ``check_with`` when given, e.g. the union of several sets) and type them."""
    report = validate_tables(raw, check_with or indicator_set)
    if not report.ok:
        raise ValidationError(report.problems)
    t = report.tables
    return Dataset(indicator_set=indicator_set, managers=t["managers"], performance=t["performance"],
                   survey=t.get("survey"), reviews=t.get("reviews"), ahp_judgments=t.get("ahp_judgments"),
                   last_year_weights=t.get("last_year_weights"),
                   sources={k: v.info for k, v in raw.items()}, report=report)


def sample_config_path() -> Path:
    """The sample company's run config in a source checkout (``data/sample/calibrate.yaml``)."""
    here = Path(__file__).resolve()
    for parent in (Path.cwd(), *here.parents):
        candidate = parent / "data" / "sample" / "calibrate.yaml"
        if candidate.exists():
            return candidate
    raise DataSourceError("the sample config data/sample/calibrate.yaml was not found: run from the project "
                          "folder, give --config, or create it with 'calibrate sample data/sample'")

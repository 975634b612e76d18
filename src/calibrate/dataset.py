"""The validated, typed tables of one run (foundation layer; loading from a config is :mod:`calibrate.loading`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from calibrate.errors import ValidationError
from calibrate.indicators import IndicatorSet
from calibrate.io import RawTable, SourceInfo
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
    innovation: pd.DataFrame | None = None  # the innovation committee: manager_id, year, accepted_solutions

    @property
    def quarters(self) -> list[str]:
        return sorted(self.performance["period"].unique(), key=lambda q: (q[:4], q[-1]))


def build_dataset(
    raw: dict[str, RawTable], indicator_set: IndicatorSet, check_with: IndicatorSet | None = None
) -> Dataset:
    """Validate raw tables (against ``check_with`` when given, e.g. the union of several sets) and type them."""
    report = validate_tables(raw, check_with or indicator_set, indicator_set)
    if not report.ok:
        raise ValidationError(report.problems)
    t = report.tables
    return Dataset(
        indicator_set=indicator_set,
        managers=t["managers"],
        performance=t["performance"],
        survey=t.get("survey"),
        reviews=t.get("reviews"),
        ahp_judgments=t.get("ahp_judgments"),
        last_year_weights=t.get("last_year_weights"),
        innovation=t.get("innovation"),
        sources={k: v.info for k, v in raw.items()},
        report=report,
    )

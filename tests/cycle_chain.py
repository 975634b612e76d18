"""The sample's run chain for the cycle tests: a 2024 run on data through 2024Q4, then the 2025 run naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def truncated_sample(folder: Path, last_year: int = 2024) -> Path:
    """A copy of the sample company with every table cut after ``last_year``; returns its config path."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in SAMPLE.iterdir():
        if p.is_file():
            shutil.copy(p, folder / p.name)
    if (SAMPLE / "indicator_sets").exists():
        shutil.copytree(SAMPLE / "indicator_sets", folder / "indicator_sets", dirs_exist_ok=True)
    year_of = lambda s: s.astype(str).str[:4].astype(int)  # noqa: E731  (2024Q3 and 2024H2 alike)
    perf = pd.read_csv(SAMPLE / "performance.csv", dtype={"manager_id": str})
    perf[year_of(perf["period"]) <= last_year].to_csv(folder / "performance.csv", index=False)
    reviews = pd.read_csv(SAMPLE / "reviews_360.csv", dtype={"manager_id": str})
    reviews[year_of(reviews["period"]) <= last_year].to_csv(folder / "reviews_360.csv", index=False)
    survey = pd.read_parquet(SAMPLE / "survey.parquet")
    survey[year_of(survey["period"]) <= last_year].to_parquet(folder / "survey.parquet", index=False)
    committee = pd.read_csv(SAMPLE / "innovation_committee.csv", dtype={"manager_id": str})
    committee[committee["year"] <= last_year].to_csv(folder / "innovation_committee.csv", index=False)
    managers = pd.read_csv(SAMPLE / "managers.csv", dtype=str, keep_default_na=False)
    managers[pd.to_datetime(managers["hire_date"]).dt.year <= last_year].to_csv(folder / "managers.csv", index=False)
    for name in ("truth.json", "truth_managers.csv", "truth_raters.csv"):
        (folder / name).unlink(missing_ok=True)
    return folder / "calibrate.yaml"


def write_config(path: Path, **settings) -> Path:
    """A copy of the config at ``path`` with ``settings`` replacing top-level keys."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw.update(settings)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

"""Indicator sets: which indicators a company scores, in which dimension, and how each is measured.

An indicator set is a YAML file (see ``templates/``). It is validated on load:
unknown keys, a duplicate indicator, an unknown dimension, or weight bands that
cannot add up to 1 are reported with the file and the place in it.

>>> s = load_indicator_set("key_account_director")
>>> s.ids[:3]
('revenue_attainment', 'new_customer_contribution', 'profit_margin')
>>> round(float(sum(s.default_weights().values)), 6)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from calibrate.errors import ConfigError

DIRECTIONS = ("higher", "lower")
REVIEW_PERIODS = ("quarter", "half_year", "year")
UNITS = ("ratio", "rate", "points", "likert", "count", "currency", "score")
SOURCES = ("performance", "survey", "reviews", "innovation")
#: how monthly or daily performance rows add up to quarters (``aggregate:`` of an indicator; see calibrate.sources)
AGGREGATE_RULES = ("sum", "mean", "first", "last", "min", "max")
COMPUTE_KINDS = {
    "column": "performance",  # a column used as it is
    "ratio": "performance",  # [numerator, denominator] columns
    "nps": "survey",  # 0-10 answers -> NPS in points
    "share_satisfied": "survey",  # 1-5 answers -> share answering 4 or 5
    "mean_likert": "survey",  # 1-5 answers -> mean score
    "review": "reviews",  # 360 criterion -> aggregated rating 1-5
    "committee_count": "innovation",  # a count per manager and year (the innovation committee's table)
}
#: compute kinds read from a table with one row per manager and year: measured per year only
YEARLY_KINDS = ("committee_count",)
_SET_KEYS = {"name", "label", "dimensions", "indicators", "description"}
_DIMENSION_KEYS = {"label", "band"}
_INDICATOR_KEYS = {
    "id",
    "label",
    "dimension",
    "direction",
    "unit",
    "source",
    "compute",
    "review_period",
    "weight",
    "min_weight",
    "max_weight",
    "description",
    "aggregate",
}
_REQUIRED_INDICATOR_KEYS = ("id", "label", "dimension", "direction", "unit", "source", "compute", "review_period")
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Dimension:
    id: str
    label_zh: str
    label_en: str
    band: tuple[float, float]

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Indicator:
    id: str
    label_zh: str
    label_en: str
    dimension: str
    direction: str
    unit: str
    source: str
    compute_kind: str
    compute_args: tuple[str, ...]
    review_period: str
    weight: float | None = None
    min_weight: float = 0.0
    max_weight: float = 1.0
    aggregate: str | None = None  # rule for its performance columns when rows are monthly or daily

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang == "zh" else self.label_en

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of its source table this indicator is computed from."""
        return self.compute_args


@dataclass(frozen=True)
class IndicatorSet:
    """A validated indicator set. ``indicators`` keep the file's order."""

    name: str
    label_zh: str
    label_en: str
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    path: str = field(default="", compare=False)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def __getitem__(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def __len__(self) -> int:
        return len(self.indicators)

    def dimension(self, dimension_id: str) -> Dimension:
        for d in self.dimensions:
            if d.id == dimension_id:
                return d
        raise KeyError(dimension_id)

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def aggregation_rules(self) -> dict[str, tuple[str, str]]:
        """Performance column -> (rule, indicator id) for every indicator that declares ``aggregate``."""
        return {column: (str(i.aggregate), i.id) for i in self.indicators if i.aggregate for column in i.compute_args}

    def dimension_of(self) -> pd.Series:
        """Indicator id -> dimension id."""
        return pd.Series({i.id: i.dimension for i in self.indicators}, name="dimension")

    def directions(self) -> pd.Series:
        """Indicator id -> 'higher' or 'lower'."""
        return pd.Series({i.id: i.direction for i in self.indicators}, name="direction")

    def bands(self) -> pd.DataFrame:
        """Dimension weight bands: columns ``low`` and ``high`` (shares of 1)."""
        return pd.DataFrame(
            {"low": {d.id: d.band[0] for d in self.dimensions}, "high": {d.id: d.band[1] for d in self.dimensions}}
        )

    def default_weights(self) -> pd.Series:
        """The weights written in the file (the template's table); error if any is missing."""
        missing = [i.id for i in self.indicators if i.weight is None]
        if missing:
            raise ConfigError(f"{self._where()}: no default weight for {', '.join(missing)}")
        return pd.Series({i.id: float(i.weight) for i in self.indicators}, name="weight")

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """One row per indicator, with labels in the chosen language."""
        rows = []
        for i in self.indicators:
            d = self.dimension(i.dimension)
            rows.append(
                {
                    "indicator": i.id,
                    "label": i.label(lang),
                    "dimension": i.dimension,
                    "dimension_label": d.label(lang),
                    "direction": i.direction,
                    "unit": i.unit,
                    "source": i.source,
                    "review_period": i.review_period,
                    "weight": i.weight,
                    "min_weight": i.min_weight,
                    "max_weight": i.max_weight,
                    "band_low": d.band[0],
                    "band_high": d.band[1],
                }
            )
        return pd.DataFrame(rows)

    def subset(self, ids: list[str] | tuple[str, ...]) -> IndicatorSet:
        """The same set restricted to some indicators (template weights dropped)."""
        unknown = [i for i in ids if i not in self.ids]
        if unknown:
            raise ConfigError(f"{self._where()}: unknown indicator(s) {', '.join(unknown)}")
        inds = tuple(Indicator(**{**i.__dict__, "weight": None}) for i in self.indicators if i.id in ids)
        dims = tuple(d for d in self.dimensions if any(i.dimension == d.id for i in inds))
        return IndicatorSet(self.name, self.label_zh, self.label_en, dims, inds, self.path)

    def _where(self) -> str:
        return Path(self.path).name if self.path else self.name


def available_templates() -> list[str]:
    """Names of the indicator sets shipped with calibrate."""
    folder = resources.files("calibrate") / "templates"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_indicator_set(name_or_path: str | Path) -> IndicatorSet:
    """Load and validate an indicator set: a template name (``account_manager``) or a YAML path."""
    text, where = _read_set_text(name_or_path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({exc})") from None
    return parse_indicator_set(raw, where=where)


def indicator_set_text(name_or_path: str | Path) -> str:
    """The YAML text of a template or file (copied into each run folder for reproducibility)."""
    return _read_set_text(name_or_path)[0]


def _read_set_text(name_or_path: str | Path) -> tuple[str, str]:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise ConfigError(f"indicator set file {path} does not exist")
        return path.read_text(encoding="utf-8"), str(path)
    name = str(name_or_path)
    if name not in available_templates():
        raise ConfigError(
            f"unknown indicator set '{name}': give a YAML path or one of {', '.join(available_templates())}"
        )
    resource = resources.files("calibrate") / "templates" / f"{name}.yaml"
    return resource.read_text(encoding="utf-8"), f"{name}.yaml"


def parse_indicator_set(raw: Any, *, where: str = "indicator set") -> IndicatorSet:
    """Validate the parsed YAML of an indicator set; all problems are reported together."""
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with 'name', 'dimensions' and 'indicators'")
    _unknown_keys(raw, _SET_KEYS, where, errors)
    for key in ("name", "dimensions", "indicators"):
        if key not in raw:
            errors.append(f"{where}: missing '{key}'")
    if errors:
        raise ConfigError("\n".join(errors))
    zh, en = _labels(raw.get("label", {"zh": raw["name"], "en": raw["name"]}), f"{where}: label", errors)
    dimensions = _parse_dimensions(raw["dimensions"], where, errors)
    indicators = _parse_indicators(raw["indicators"], {d.id for d in dimensions}, where, errors)
    _check_weights(dimensions, indicators, where, errors)
    if errors:
        raise ConfigError("\n".join(errors))
    return IndicatorSet(str(raw["name"]), zh, en, tuple(dimensions), tuple(indicators), where)


def _unknown_keys(mapping: dict, allowed: set[str], where: str, errors: list[str]) -> None:
    for key in mapping:
        if key not in allowed:
            errors.append(f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")


def _labels(value: Any, where: str, errors: list[str]) -> tuple[str, str]:
    if isinstance(value, str):
        return value, value
    if not isinstance(value, dict) or not {"zh", "en"} <= set(value):
        errors.append(f"{where}: give both a Chinese and an English label, e.g. {{zh: 净推荐值, en: NPS}}")
        return "", ""
    return str(value["zh"]), str(value["en"])


def _parse_dimensions(raw: Any, where: str, errors: list[str]) -> list[Dimension]:
    if not isinstance(raw, dict) or not raw:
        errors.append(f"{where}: 'dimensions' must map dimension ids to a label and a band")
        return []
    dims = []
    for dim_id, spec in raw.items():
        here = f"{where}: dimension '{dim_id}'"
        if not isinstance(spec, dict):
            errors.append(f"{here}: expected 'label' and 'band'")
            continue
        _unknown_keys(spec, _DIMENSION_KEYS, here, errors)
        zh, en = _labels(spec.get("label", str(dim_id)), f"{here} label", errors)
        band = spec.get("band", [0.0, 1.0])
        if not isinstance(band, (list, tuple)) or len(band) != 2 or not all(isinstance(b, (int, float)) for b in band):
            errors.append(f"{here}: band must be two numbers [low, high], e.g. [0.50, 0.60]")
            continue
        low, high = float(band[0]), float(band[1])
        if not 0 <= low <= high <= 1:
            errors.append(f"{here}: band [{low}, {high}] must satisfy 0 <= low <= high <= 1")
            continue
        dims.append(Dimension(str(dim_id), zh, en, (low, high)))
    return dims


def _parse_indicators(raw: Any, dimension_ids: set[str], where: str, errors: list[str]) -> list[Indicator]:
    if not isinstance(raw, list) or not raw:
        errors.append(f"{where}: 'indicators' must be a non-empty list")
        return []
    seen: set[str] = set()
    out = []
    for k, spec in enumerate(raw, start=1):
        ident = spec.get("id", f"#{k}") if isinstance(spec, dict) else f"#{k}"
        here = f"{where}: indicator {ident}"
        if not isinstance(spec, dict):
            errors.append(f"{here}: expected a mapping")
            continue
        _unknown_keys(spec, _INDICATOR_KEYS, here, errors)
        missing = [key for key in _REQUIRED_INDICATOR_KEYS if key not in spec]
        if missing:
            errors.append(f"{here}: missing {', '.join(missing)}")
            continue
        ind_id = str(spec["id"])
        if ind_id in seen:
            errors.append(f"{here}: duplicate indicator id '{ind_id}'")
            continue
        seen.add(ind_id)
        zh, en = _labels(spec["label"], f"{here} label", errors)
        for key, allowed in (
            ("direction", DIRECTIONS),
            ("review_period", REVIEW_PERIODS),
            ("unit", UNITS),
            ("source", SOURCES),
        ):
            if spec[key] not in allowed:
                errors.append(f"{here}: {key} '{spec[key]}' is not one of {', '.join(allowed)}")
        if spec["dimension"] not in dimension_ids:
            errors.append(f"{here}: dimension '{spec['dimension']}' is not declared under 'dimensions'")
        kind, args = _parse_compute(spec["compute"], spec.get("source"), here, errors)
        if kind in YEARLY_KINDS and spec["review_period"] != "year":
            errors.append(
                f"{here}: compute '{kind}' reads one value per manager and year, so review_period "
                f"must be year (not '{spec['review_period']}')"
            )
        aggregate = _parse_aggregate(spec.get("aggregate"), kind, here, errors)
        weights = {}
        for key, default in (("weight", None), ("min_weight", 0.0), ("max_weight", 1.0)):
            value = spec.get(key, default)
            if value is not None and (not isinstance(value, (int, float)) or not 0 <= value <= 1):
                errors.append(f"{here}: {key} {value!r} must be a number between 0 and 1")
                value = default
            weights[key] = None if value is None else float(value)
        if weights["min_weight"] > weights["max_weight"]:
            errors.append(f"{here}: min_weight {weights['min_weight']} exceeds max_weight {weights['max_weight']}")
        out.append(
            Indicator(
                ind_id,
                zh,
                en,
                str(spec["dimension"]),
                str(spec["direction"]),
                str(spec["unit"]),
                str(spec["source"]),
                kind,
                args,
                str(spec["review_period"]),
                **weights,
                aggregate=aggregate,
            )
        )
    _check_aggregate_conflicts(out, where, errors)
    return out


def _parse_aggregate(value: Any, kind: str, here: str, errors: list[str]) -> str | None:
    """An indicator's ``aggregate`` rule: one of :data:`AGGREGATE_RULES`, for performance columns only."""
    if value is None:
        return None
    if value not in AGGREGATE_RULES:
        errors.append(f"{here}: aggregate {value!r} is not one of {', '.join(AGGREGATE_RULES)}")
        return None
    if COMPUTE_KINDS.get(kind) != "performance":
        errors.append(
            f"{here}: aggregate applies to indicators computed from performance columns (column or "
            f"ratio), not to compute '{kind}'; remove it"
        )
        return None
    return str(value)


def _check_aggregate_conflicts(indicators: list[Indicator], where: str, errors: list[str]) -> None:
    """Two indicators may not declare different rules for the same performance column."""
    seen: dict[str, tuple[str, str]] = {}
    for ind in indicators:
        for column in ind.compute_args if ind.aggregate else ():
            if column in seen and seen[column][0] != ind.aggregate:
                errors.append(
                    f"{where}: indicator {ind.id}: aggregate {ind.aggregate} for column '{column}' "
                    f"contradicts indicator {seen[column][1]} (aggregate {seen[column][0]}); give one rule"
                )
            seen.setdefault(column, (str(ind.aggregate), ind.id))


def _parse_compute(raw: Any, source: Any, here: str, errors: list[str]) -> tuple[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or len(raw) != 1:
        errors.append(
            f"{here}: compute must be one of {', '.join(COMPUTE_KINDS)}, e.g. {{ratio: [revenue, revenue_target]}}"
        )
        return "column", ()
    kind, value = next(iter(raw.items()))
    if kind not in COMPUTE_KINDS:
        errors.append(f"{here}: compute kind '{kind}' is not one of {', '.join(COMPUTE_KINDS)}")
        return "column", ()
    if COMPUTE_KINDS[kind] != source:
        errors.append(f"{here}: compute '{kind}' reads the {COMPUTE_KINDS[kind]} table, but source is '{source}'")
    args = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if kind == "ratio" and len(args) != 2:
        errors.append(f"{here}: ratio needs two columns [numerator, denominator]")
    if kind != "ratio" and len(args) != 1:
        errors.append(f"{here}: {kind} takes one column name")
    return str(kind), tuple(str(a) for a in args)


def _check_weights(dimensions: list[Dimension], indicators: list[Indicator], where: str, errors: list[str]) -> None:
    used = [d for d in dimensions if any(i.dimension == d.id for i in indicators)]
    for d in dimensions:
        if d not in used:
            errors.append(f"{where}: dimension '{d.id}' has no indicators")
    low = sum(d.band[0] for d in used)
    high = sum(d.band[1] for d in used)
    if low > 1 + TOLERANCE or high < 1 - TOLERANCE:
        errors.append(f"{where}: dimension bands cannot sum to 1 (lows sum to {low:.2f}, highs to {high:.2f})")
    for d in used:
        members = [i for i in indicators if i.dimension == d.id]
        if sum(i.min_weight for i in members) > d.band[1] + TOLERANCE:
            errors.append(f"{where}: dimension '{d.id}': indicator minimum weights exceed its band high {d.band[1]}")
        if sum(i.max_weight for i in members) < d.band[0] - TOLERANCE:
            errors.append(
                f"{where}: dimension '{d.id}': indicator maximum weights cannot reach its band low {d.band[0]}"
            )
    given = [i.weight for i in indicators if i.weight is not None]
    if given and len(given) == len(indicators):
        total = sum(given)
        if abs(total - 1) > 1e-4:
            errors.append(f"{where}: indicator weights sum to {total:.4f}, not 1")
        for d in used:
            share = sum(i.weight for i in indicators if i.dimension == d.id)
            if not d.band[0] - 1e-4 <= share <= d.band[1] + 1e-4:
                errors.append(
                    f"{where}: dimension '{d.id}' weights sum to {share:.2f}, outside its band "
                    f"[{d.band[0]:.2f}, {d.band[1]:.2f}]"
                )

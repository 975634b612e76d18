"""The ``scoring`` section of a run config, checked once and turned into typed settings.

Keys (defaults in :data:`DEFAULT_SCORING` below):

``min_responses``
    Fewest survey answers (per manager and quarter) for NPS and satisfaction to be
    reported as a number; below it they are "insufficient" and left out of the score.
``year``
    Calendar year scored; ``null`` = the run's ``year`` if the data has it, else the
    latest year in the data.
``grading``
    ``forced`` (grades by the shares in ``forced_distribution``) or ``bands``
    (grades by the lower score bounds in ``grade_bands``, best grade first).
``rules`` / ``default_rule``
    How each indicator value becomes points (see :mod:`calibrate.scoring.normalise`);
    ``rules`` maps indicator ids to a rule, the others get ``default_rule``. Giving
    ``rules`` replaces the default rules.
``compare_within``
    Columns inside which relative rules (``zscore``, ``minmax``) compare managers:
    ``[period]`` or ``[period, level]``.
``likert_weights``
    Points per satisfaction answer (1-5) for the weighted Likert score.
``reviews``
    360 aggregation: ``min_raters``/``max_raters`` (flags), ``trim`` (drop the highest
    and lowest rating), ``correct_leniency``, ``min_ratees`` (raters whose leniency is
    estimated must rate at least this many managers).
``improvement``
    ``low_grades`` and ``consecutive``: an improvement plan is flagged when a
    manager's latest ``consecutive`` quarters all have a low grade.
``bonus_from`` / ``grade_coefficients`` / ``score_coefficients``
    Bonus = ``targets.bonus_base`` x a coefficient taken from the grade (``grade``) or
    from the annual score through the piecewise-linear points ``[score, coefficient]``
    (``score``; 0 below the first point, flat beyond the last).
``ramp_allowance``
    New hires' attainment judged against the ramped expectation
    (:mod:`calibrate.scoring.ramp`): ``fitted`` (default: the first-year share of
    the ramp estimated by the targets fit from the data), ``off``, or a share in
    (0, 1] (0.5 = half a veteran's revenue in year one). Never applied when the
    targets already include the ramp (detected from the targets; see
    :func:`calibrate.scoring.ramp.targets_include_ramp`).
``stability``
    ``draws`` weightings, each indicator weight drawn uniformly in ``ranges``
    (indicator -> [low, high]) or, when not given, within +-``spread`` (relative) of
    its weight; ``boundary_probability``: a manager whose grade changes in at least
    this share of draws sits on a grade boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from calibrate.errors import ConfigError
from calibrate.indicators import IndicatorSet
from calibrate.keys import Key, Section

#: The ``scoring`` section of a run config: every key and its default (checked by :class:`ScoringSettings`).
DEFAULT_SCORING: dict[str, Any] = {  # read and checked by calibrate.scoring.settings (see its docstring for each key)
    "min_responses": 5,
    "forced_distribution": {"A": 0.1, "B": 0.2, "C": 0.5, "D": 0.15, "E": 0.05},
    "year": None,
    "grading": "forced",
    "grade_bands": {"A": 90, "B": 75, "C": 60, "D": 45, "E": 0},
    "rules": {
        "revenue_attainment": {"rule": "ratio", "target": 1.0, "cap": 1.2},
        "satisfaction": {"rule": "threshold", "threshold": 0.8, "floor": 0.4},
    },
    "default_rule": {"rule": "zscore"},
    "compare_within": ["period"],
    "likert_weights": {1: 0, 2: 25, 3: 50, 4: 75, 5: 100},
    "reviews": {"min_raters": 5, "max_raters": 8, "trim": True, "correct_leniency": True, "min_ratees": 3},
    "improvement": {"low_grades": ["D", "E"], "consecutive": 2},
    "bonus_from": "grade",
    "grade_coefficients": {"A": 1.5, "B": 1.2, "C": 1.0, "D": 0.6, "E": 0.0},
    "score_coefficients": [[40, 0.5], [60, 1.0], [80, 1.5]],
    "stability": {"draws": 500, "spread": 0.2, "ranges": None, "boundary_probability": 0.2},
    "ramp_allowance": "fitted",
}

GRADINGS = ("forced", "bands")
BONUS_SOURCES = ("grade", "score")


@dataclass(frozen=True)
class ReviewSettings:
    min_raters: int = 5
    max_raters: int = 8
    trim: bool = True
    correct_leniency: bool = True
    min_ratees: int = 3


@dataclass(frozen=True)
class StabilitySettings:
    draws: int = 500
    spread: float = 0.2
    ranges: Mapping[str, tuple[float, float]] | None = None
    boundary_probability: float = 0.2


@dataclass(frozen=True)
class ScoringSettings:
    """Typed, checked scoring settings; build with :meth:`from_section`."""

    min_responses: int
    forced_distribution: Mapping[str, float]
    year: int | None
    grading: str
    grade_bands: Mapping[str, float]
    rules: Mapping[str, Mapping[str, Any]]
    default_rule: Mapping[str, Any]
    compare_within: tuple[str, ...]
    likert_weights: Mapping[int, float]
    reviews: ReviewSettings
    low_grades: tuple[str, ...]
    consecutive: int
    bonus_from: str
    grade_coefficients: Mapping[str, float]
    score_coefficients: tuple[tuple[float, float], ...]
    stability: StabilitySettings
    ramp_allowance: str | float = "fitted"

    @property
    def grades(self) -> tuple[str, ...]:
        """Grade labels, best first, of the grading in use."""
        return tuple(self.forced_distribution if self.grading == "forced" else self.grade_bands)

    @classmethod
    def from_section(
        cls, section: Mapping[str, Any] | None = None, indicator_set: IndicatorSet | None = None
    ) -> ScoringSettings:
        """Check a ``scoring`` section (missing keys take their defaults); every problem is reported."""
        raw = {**DEFAULT_SCORING, **dict(section or {})}
        errors: list[str] = [
            f"scoring: unknown key '{k}' (allowed: {', '.join(sorted(DEFAULT_SCORING))})"
            for k in raw
            if k not in DEFAULT_SCORING
        ]
        reviews = _nested(raw, "reviews", errors)
        improvement = _nested(raw, "improvement", errors)
        stability = _nested(raw, "stability", errors)
        min_responses = _whole(raw["min_responses"], "scoring: min_responses", errors, low=1)
        shares = _mapping_of_numbers(raw["forced_distribution"], "scoring: forced_distribution", errors)
        if shares and (any(v < 0 for v in shares.values()) or abs(sum(shares.values()) - 1) > 1e-6):
            errors.append(
                f"scoring: forced_distribution shares must be 0 or more and add up to 1 "
                f"(they add up to {sum(shares.values()):.4f})"
            )
        bands = _mapping_of_numbers(raw["grade_bands"], "scoring: grade_bands", errors)
        if bands and any(a <= b for a, b in zip(list(bands.values()), list(bands.values())[1:])):
            errors.append(
                "scoring: grade_bands are lower score bounds, best grade first, and must fall "
                f"from grade to grade; got {bands}"
            )
        grading = raw["grading"]
        if grading not in GRADINGS:
            errors.append(f"scoring: grading '{grading}' must be 'forced' or 'bands'")
        grades = list(shares if grading == "forced" else bands)
        year = raw["year"]
        if year is not None and not isinstance(year, int):
            errors.append(f"scoring: year must be a whole number or null, got {year!r}")
        rules = raw["rules"] or {}
        if not isinstance(rules, Mapping) or not all(isinstance(v, Mapping) for v in rules.values()):
            errors.append(
                "scoring: rules must map indicator ids to a rule, e.g. "
                "{revenue_attainment: {rule: ratio, target: 1.0, cap: 1.2}}"
            )
            rules = {}
        if indicator_set is not None:
            user_given = rules is not DEFAULT_SCORING["rules"] and rules != DEFAULT_SCORING["rules"]
            unknown = [k for k in rules if k not in indicator_set.ids]
            if unknown and user_given:
                errors.append(
                    f"scoring: rules: unknown indicator(s) {', '.join(unknown)} "
                    f"(the indicator set has {', '.join(indicator_set.ids)})"
                )
            rules = {k: v for k, v in rules.items() if k in indicator_set.ids}
        default_rule = raw["default_rule"]
        if not isinstance(default_rule, Mapping):
            errors.append("scoring: default_rule must be a rule, e.g. {rule: zscore}")
            default_rule = {"rule": "zscore"}
        within = raw["compare_within"]
        within = [within] if isinstance(within, str) else list(within or [])
        if "period" not in within or not set(within) <= {"period", "level", "region"}:
            errors.append(
                f"scoring: compare_within must include 'period' and may add 'level' or 'region'; got {within}"
            )
        likert = _mapping_of_numbers(raw["likert_weights"], "scoring: likert_weights", errors)
        try:
            likert = {int(k): v for k, v in likert.items()}
        except (TypeError, ValueError):
            errors.append(f"scoring: likert_weights keys must be the answers 1-5; got {list(likert)}")
            likert = {}
        review = ReviewSettings(
            min_raters=_whole(reviews.get("min_raters", 5), "scoring: reviews: min_raters", errors, low=1),
            max_raters=_whole(reviews.get("max_raters", 8), "scoring: reviews: max_raters", errors, low=1),
            trim=bool(reviews.get("trim", True)),
            correct_leniency=bool(reviews.get("correct_leniency", True)),
            min_ratees=_whole(reviews.get("min_ratees", 3), "scoring: reviews: min_ratees", errors, low=1),
        )
        low_grades = tuple(improvement.get("low_grades") or ())
        bad = [g for g in low_grades if g not in grades]
        if bad:
            errors.append(f"scoring: improvement: low_grades {bad} are not grades ({', '.join(grades)})")
        consecutive = _whole(improvement.get("consecutive", 2), "scoring: improvement: consecutive", errors, low=1)
        bonus_from = raw["bonus_from"]
        if bonus_from not in BONUS_SOURCES:
            errors.append(f"scoring: bonus_from '{bonus_from}' must be 'grade' or 'score'")
        coefficients = _mapping_of_numbers(raw["grade_coefficients"], "scoring: grade_coefficients", errors)
        if bonus_from == "grade" and coefficients and set(coefficients) != set(grades):
            errors.append(
                f"scoring: grade_coefficients must give a coefficient for each grade "
                f"({', '.join(grades)}); got {', '.join(coefficients)}"
            )
        points = _points(raw["score_coefficients"], errors)
        stab = _stability(stability, indicator_set, errors)
        allowance = _ramp_allowance(raw["ramp_allowance"], errors)
        if errors:
            raise ConfigError("\n".join(errors))
        return cls(
            min_responses=min_responses,
            forced_distribution=shares,
            year=year,
            grading=grading,
            grade_bands=bands,
            rules={k: dict(v) for k, v in rules.items()},
            default_rule=dict(default_rule),
            compare_within=tuple(within),
            likert_weights=likert,
            reviews=review,
            low_grades=low_grades,
            consecutive=consecutive,
            bonus_from=bonus_from,
            grade_coefficients=coefficients,
            score_coefficients=points,
            stability=stab,
            ramp_allowance=allowance,
        )


def _ramp_allowance(value: Any, errors: list[str]) -> str | float:
    """``fitted``, ``off`` or a share in (0, 1]."""
    if value in ("fitted", "off"):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < float(value) <= 1:
        return float(value)
    errors.append(
        f"scoring: ramp_allowance must be 'fitted', 'off' or a share above 0 and at most 1 "
        f"(0.5 = half a veteran's revenue in year one); got {value!r}"
    )
    return "fitted"


_WITHIN = Literal["period", "level", "region"]
#: The ``scoring`` keys as a run config writes them: type, bounds, meaning (defaults: ``DEFAULT_SCORING``).
SCORING_KEYS = {
    "ramp_allowance": Key(
        Literal["fitted", "off"] | float,
        "new hires' attainment judged against the ramped "
        "expectation: fitted (the ramp estimated from the data), off, or a first-year share "
        "in (0, 1]; not applied where the targets already carry the ramp",
        gt=0,
        le=1,
    ),
    "min_responses": Key(int, "fewest survey answers per manager and quarter for NPS and satisfaction to count", ge=1),
    "forced_distribution": Key(dict[str, float], "share of managers per grade, best first, adding up to 1"),
    "year": Key(int | None, "calendar year scored; null: the run's year if the data has it, else the latest"),
    "grading": Key(Literal["forced", "bands"], "grades by the forced_distribution shares or by grade_bands"),
    "grade_bands": Key(dict[str, float], "lower score bound of each grade, best first, falling"),
    "rules": Key(
        dict[str, dict[str, Any]] | None,
        "indicator id -> rule turning values into points "
        "(calibrate.scoring.normalise); giving rules replaces the default rules",
    ),
    "default_rule": Key(dict[str, Any], "the rule of every indicator not in rules"),
    "compare_within": Key(
        _WITHIN | list[_WITHIN], "columns inside which relative rules compare managers: [period] or [period, level]"
    ),
    "likert_weights": Key(dict[int, float], "points per satisfaction answer (1-5) in the weighted Likert score"),
    "reviews": Key(
        {
            "min_raters": Key(int, "fewer raters than this are flagged", ge=1),
            "max_raters": Key(int, "more raters than this are flagged", ge=1),
            "trim": Key(bool, "drop each manager's highest and lowest rating"),
            "correct_leniency": Key(bool, "correct each rater's leniency"),
            "min_ratees": Key(int, "a rater's leniency is estimated from at least this many managers", ge=1),
        },
        "360 review aggregation",
    ),
    "improvement": Key(
        {
            "low_grades": Key(list[str] | None, "grades that count as low"),
            "consecutive": Key(int, "latest quarters that must all be low", ge=1),
        },
        "improvement-plan flag: the latest consecutive quarters all have a low grade",
    ),
    "bonus_from": Key(Literal["grade", "score"], "bonus coefficient from the grade or from the annual score"),
    "grade_coefficients": Key(dict[str, float], "bonus coefficient of each grade (bonus_from: grade)"),
    "score_coefficients": Key(list[list[float]], "[score, coefficient] points, rising (bonus_from: score)"),
    "stability": Key(
        {
            "draws": Key(int, "weightings drawn for the grade-stability figures", ge=10),
            "spread": Key(float, "each weight drawn within +-spread of itself (relative)", ge=0, lt=1),
            "ranges": Key(
                dict[str, list[float]] | None, "indicator -> [low, high] weight range (replaces spread for it)"
            ),
            "boundary_probability": Key(
                float,
                "a manager whose grade changes in at least this share of draws sits on a grade boundary",
                gt=0,
                le=1,
            ),
        },
        "grade stability under weight changes",
    ),
}
SCORING_SECTION = Section(
    "scoring",
    "scores, grades, bonus coefficients, stability (calibrate.scoring.settings)",
    DEFAULT_SCORING,
    SCORING_KEYS,
    ScoringSettings,
    ScoringSettings.from_section,
)


def _nested(raw: dict, key: str, errors: list[str]) -> dict:
    """A nested section: the user's keys over the defaults; unknown keys are errors."""
    default = DEFAULT_SCORING[key]
    given = raw[key] if raw[key] is not default else {}
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        errors.append(f"scoring: {key} must be a mapping with keys {', '.join(default)}")
        return dict(default)
    for k in given:
        if k not in default:
            errors.append(f"scoring: {key}: unknown key '{k}' (allowed: {', '.join(sorted(default))})")
    return {**default, **given}


def _whole(value: Any, where: str, errors: list[str], *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        errors.append(f"{where} must be a whole number of at least {low}, got {value!r}")
        return low
    return int(value)


def _mapping_of_numbers(value: Any, where: str, errors: list[str]) -> dict:
    if not isinstance(value, Mapping) or not value:
        errors.append(f"{where} must map names to numbers")
        return {}
    out = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            errors.append(f"{where}: {k} must be a number, got {v!r}")
            continue
        out[k] = float(v)
    return out


def _points(value: Any, errors: list[str]) -> tuple[tuple[float, float], ...]:
    try:
        points = tuple((float(a), float(c)) for a, c in value)
    except (TypeError, ValueError):
        errors.append(
            f"scoring: score_coefficients must be [score, coefficient] pairs, e.g. "
            f"[[40, 0.5], [60, 1.0], [80, 1.5]]; got {value!r}"
        )
        return ()
    if not points or any(b[0] <= a[0] or b[1] < a[1] for a, b in zip(points, points[1:])):
        errors.append(f"scoring: score_coefficients need rising scores and non-falling coefficients; got {value!r}")
    return points


def _stability(raw: dict, indicator_set: IndicatorSet | None, errors: list[str]) -> StabilitySettings:
    draws = _whole(raw.get("draws"), "scoring: stability: draws", errors, low=10)
    spread = raw.get("spread")
    if isinstance(spread, bool) or not isinstance(spread, (int, float)) or not 0 <= spread < 1:
        errors.append(f"scoring: stability: spread must be a share between 0 and 1 (0.2 = +-20%), got {spread!r}")
        spread = 0.2
    prob = raw.get("boundary_probability")
    if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0 < prob <= 1:
        errors.append(f"scoring: stability: boundary_probability must be above 0 and at most 1, got {prob!r}")
        prob = 0.2
    ranges = raw.get("ranges")
    parsed = None
    if ranges is not None:
        if not isinstance(ranges, Mapping):
            errors.append("scoring: stability: ranges must map indicator ids to [low, high] weights")
        else:
            parsed = {}
            for k, v in ranges.items():
                ok = (
                    isinstance(v, (list, tuple))
                    and len(v) == 2
                    and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
                )
                if not ok or not 0 <= v[0] <= v[1] <= 1:
                    errors.append(
                        f"scoring: stability: ranges: {k} must be [low, high] with 0 <= low <= high <= 1, got {v!r}"
                    )
                    continue
                if indicator_set is not None and k not in indicator_set.ids:
                    errors.append(f"scoring: stability: ranges: unknown indicator '{k}'")
                    continue
                parsed[str(k)] = (float(v[0]), float(v[1]))
    return StabilitySettings(draws=draws, spread=float(spread), ranges=parsed, boundary_probability=float(prob))


def weight_ranges(weights: pd.Series, settings: StabilitySettings) -> pd.DataFrame:
    """Per indicator ``low``/``high`` weights to draw from: the given ranges, else weight x (1 +- spread)."""
    low = weights * (1 - settings.spread)
    high = weights * (1 + settings.spread)
    for k, (lo, hi) in (settings.ranges or {}).items():
        low[k], high[k] = lo, hi
    return pd.DataFrame({"low": low, "high": high})

"""The year's scorecard: from the validated data and a weighting to scores, grades, bonus and stability.

1. Indicator values per manager and quarter come from the panel, except that NPS
   and satisfaction follow the minimum-response rule (insufficient = missing) and
   360 indicators use the trimmed, leniency-corrected review scores.
2. Each value becomes points by its rule; relative rules compare managers within
   each quarter (and optionally level or region).
3. A composite per quarter with its breakdown; the annual score is the mean over
   the quarters of the year the manager was scored (``n_periods``).
4. Annual grades (forced distribution or bands), quarterly grades for the
   improvement-plan flags, bonus = base x coefficient.
5. Stability of grades and ranks over weight draws, and agreement between the
   weighting used and the alternatives (the set's defaults, last year's).

Randomness: the weight draws use the run seed's child stream ``SeedSequence(seed,
spawn_key=(5,))``, so scoring does not depend on what other steps draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibrate.dataset import Dataset
from calibrate.errors import CalibrateError
from calibrate.indicators import IndicatorSet
from calibrate.panel import indicator_panel
from calibrate.results import Summary
from calibrate.schema import expand_to_quarters
from calibrate.scoring.composite import CompositeResult, check_weights, composite_scores, period_means
from calibrate.scoring.customer_measures import nps_interval, satisfaction_scores
from calibrate.scoring.grades import (
    Grading,
    bonus_coefficients,
    bonus_table,
    grade_distribution,
    grading_from,
    improvement_flags,
)
from calibrate.scoring.normalise import Rule, indicator_rules, score_indicators
from calibrate.scoring.nps_intervals import DEFAULT_NPS_METHOD
from calibrate.scoring.reviews360 import ReviewScores, aggregate_reviews
from calibrate.scoring.settings import ScoringSettings, weight_ranges
from calibrate.scoring.stability import StabilityResult, compare_weightings, grade_stability, sample_weights

STREAM = 5  # the scoring step's child stream of the run seed


@dataclass(frozen=True)
class Scorecard:
    """Everything the scoring report shows. ``annual`` (one row per manager) is the main table."""

    year: int
    periods: tuple[str, ...]
    weights: pd.Series
    rules: Mapping[str, Rule]
    grading: Grading
    points: pd.DataFrame
    quarterly: CompositeResult
    period_grades: pd.DataFrame
    annual: pd.DataFrame
    stability: StabilityResult
    comparisons: pd.DataFrame
    customer: pd.DataFrame | None
    reviews: ReviewScores | None

    def to_frame(self) -> pd.DataFrame:
        return self.annual.copy()

    def distribution(self) -> pd.DataFrame:
        return grade_distribution(self.annual["grade"].dropna(), self.grading)

    def to_dict(self) -> dict:
        a = self.annual
        return {
            "year": self.year,
            "periods": list(self.periods),
            "managers_scored": int(a["score"].notna().sum()),
            "grading": self.grading.kind,
            "grades": self.distribution().to_dict("records"),
            "score_mean": float(a["score"].mean()),
            "score_sd": float(a["score"].std()),
            "improvement_plans": int(a["improvement_plan"].sum()),
            "bonus_total": float(a["bonus"].sum()),
            "weights": {k: float(v) for k, v in self.weights.items()},
            "stability": self.stability.to_dict(),
            "reviews": self.reviews.to_dict() if self.reviews is not None else None,
            "insufficient_survey_measures": {}
            if self.customer is None
            else {
                c[: -len("_status")]: int((self.customer[c] == "insufficient").sum())
                for c in self.customer.columns
                if c.endswith("_status")
            },
        }

    def summary(self) -> Summary:
        """The scorecard's figures (:meth:`to_dict`) as a table."""
        return Summary.from_values(f"scorecard {self.year}", self.to_dict())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def scoring_year(quarters: list[str], wanted: int | None, explicit: bool) -> int:
    """The year to score: ``wanted`` when the data has quarters of it; else the latest year in the data
    (an error when the year was set explicitly in ``scoring: year``)."""
    years = sorted({int(q[:4]) for q in quarters})
    if wanted in years:
        return int(wanted)
    if explicit:
        raise CalibrateError(
            f"scoring: year {wanted} has no performance data (the data covers "
            f"{years[0]}-{years[-1]}); set scoring: year to one of those years"
        )
    return years[-1]


def scoring_inputs(
    ds: Dataset, settings: ScoringSettings, panel: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None, ReviewScores | None]:
    """Indicator values per (manager_id, period) for scoring, the customer measures (indexed manager_id,
    period; None without survey indicators) and the 360 result (None without review indicators)."""
    iset = ds.indicator_set
    panel = panel if panel is not None else indicator_panel(ds, outcomes=False)
    values = panel[[c for c in ("region", "level") if c in panel.columns] + list(iset.ids)].copy()
    customer = reviews = None
    kinds = {i.compute_kind for i in iset.indicators}
    if ds.survey is not None and kinds & {"nps", "share_satisfied", "mean_likert"}:
        survey = expand_to_quarters(ds.survey, "period").drop(columns="period").rename(columns={"quarter": "period"})
        customer = _customer_table(survey, iset, settings)
    if ds.reviews is not None and "review" in kinds:
        r = settings.reviews
        reviews = aggregate_reviews(
            ds.reviews,
            min_raters=r.min_raters,
            max_raters=r.max_raters,
            trim=r.trim,
            correct_leniency=r.correct_leniency,
            min_ratees=r.min_ratees,
        )
    for ind in iset.indicators:
        if ind.compute_kind == "nps":
            values[ind.id] = customer[ind.id].reindex(values.index)
        elif ind.compute_kind in ("share_satisfied", "mean_likert"):
            values[ind.id] = customer[f"{ind.id}_{ind.compute_kind}"].reindex(values.index)
        elif ind.compute_kind == "review" and reviews is not None:
            values[ind.id] = reviews.quarterly(ind.compute_args[0]).reindex(values.index)
    return values, customer, reviews


def _customer_table(survey: pd.DataFrame, iset: IndicatorSet, settings: ScoringSettings) -> pd.DataFrame:
    """Survey measures per (manager_id, period), columns prefixed by indicator id: for NPS ``<id>``
    (points, NaN when insufficient), ``<id>_se``, ``<id>_ci_low``/``_ci_high`` and ``<id>_ci_method``
    (the interval used: the adjusted Wald of Rocks 2016 unless the settings say otherwise); for satisfaction
    ``<id>_share_satisfied``, ``<id>_mean_likert``, ``<id>_weighted_likert``; for both
    ``<id>_responses`` and ``<id>_status``."""
    parts = []
    for ind in iset.indicators:
        column = ind.compute_args[0]
        if ind.compute_kind == "nps":
            t = nps_interval(survey, column=column, min_responses=settings.min_responses, method=DEFAULT_NPS_METHOD)
            t = t.set_index(["manager_id", "period"])[
                ["n_responses", "nps", "se", "ci_low", "ci_high", "ci_method", "status"]
            ]
            t = t.rename(columns={"nps": ind.id})
        elif ind.compute_kind in ("share_satisfied", "mean_likert"):
            t = satisfaction_scores(
                survey, column=column, level_weights=settings.likert_weights, min_responses=settings.min_responses
            )
            t = t.set_index(["manager_id", "period"])[
                ["n_responses", "share_satisfied", "mean_likert", "weighted_likert", "status"]
            ]
        else:
            continue
        t = t.rename(columns={"n_responses": "responses"})
        parts.append(t.rename(columns=lambda c: c if c == ind.id else f"{ind.id}_{c}"))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame()


def build_scorecard(
    ds: Dataset,
    settings: ScoringSettings,
    weights: pd.Series | None = None,
    *,
    year: int | None = None,
    seed: int = 0,
    bonus_base: float | pd.Series = 30.0,
    panel: pd.DataFrame | None = None,
    executor: Any = None,
) -> Scorecard:
    """Score every manager for the year (see the module notes). ``weights`` default to the indicator set's.

    ``executor`` (see :mod:`calibrate.distributed`) computes the grade-stability draws elsewhere,
    with the same result."""
    iset = ds.indicator_set
    weights = check_weights(weights if weights is not None else iset.default_weights(), list(iset.ids))
    values, customer, reviews = scoring_inputs(ds, settings, panel)
    quarters = sorted(values.index.get_level_values("period").unique())
    the_year = scoring_year(
        quarters, settings.year if settings.year is not None else year, explicit=settings.year is not None
    )
    periods = tuple(q for q in quarters if int(q[:4]) == the_year)
    values = values[values.index.get_level_values("period").isin(periods)]
    if customer is not None:
        customer = customer[customer.index.get_level_values("period").isin(periods)].reset_index()
    rules = indicator_rules(iset, settings.rules, settings.default_rule)
    points = score_indicators(values, iset, rules, within=settings.compare_within)
    quarterly = composite_scores(points, weights)
    grading = grading_from(settings)

    annual = period_means(quarterly, periods).rename(columns={"composite": "score"})
    annual.insert(0, "region", values["region"].groupby(level="manager_id").first())
    if "level" in values:
        annual.insert(1, "level", values["level"].groupby(level="manager_id").last())
    annual["rank"] = annual["score"].rank(ascending=False, method="min").astype("Int64")
    annual["grade"] = grading.assign(annual["score"])
    period_grades = _period_grades(quarterly, grading)
    flags = improvement_flags(period_grades, settings.low_grades, settings.consecutive).set_index("manager_id")
    annual = annual.join(flags)
    annual["improvement_plan"] = annual["improvement_plan"].fillna(False).astype(bool)
    coefficient = bonus_coefficients(
        annual,
        source=settings.bonus_from,
        grade_coefficients=settings.grade_coefficients,
        score_points=settings.score_coefficients,
    )
    annual = annual.join(bonus_table(coefficient, bonus_base))

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM,)))
    draws = sample_weights(
        weights,
        weight_ranges(weights, settings.stability),
        draws=settings.stability.draws,
        seed=rng,
        dimension_of=iset.dimension_of(),
        bands=iset.bands(),
    )
    stability = grade_stability(
        points,
        annual["score"],
        annual["grade"],
        draws,
        grading,
        boundary_probability=settings.stability.boundary_probability,
        executor=executor,
    )
    annual = annual.join(
        stability.managers.set_index("manager_id")[["p_grade_change", "distance_to_cut", "on_boundary"]]
    )
    comparisons = compare_weightings(points, _alternatives(ds, weights), grading)
    return Scorecard(
        year=the_year,
        periods=periods,
        weights=weights,
        rules=rules,
        grading=grading,
        points=points,
        quarterly=quarterly,
        period_grades=period_grades,
        annual=annual.reset_index(),
        stability=stability,
        comparisons=comparisons,
        customer=customer,
        reviews=reviews,
    )


def _period_grades(quarterly: CompositeResult, grading: Grading) -> pd.DataFrame:
    composite = quarterly.scores["composite"]
    grades = composite.groupby(level="period", group_keys=False).apply(grading.assign)
    return pd.DataFrame({"composite": composite, "grade": grades.reindex(composite.index)}).reset_index()


def _alternatives(ds: Dataset, weights: pd.Series) -> dict[str, pd.Series]:
    """The weighting used plus the alternatives that cover the same indicators."""
    out = {"used": weights}
    candidates = {}
    try:
        candidates["indicator_set_default"] = ds.indicator_set.default_weights()
    except CalibrateError:
        pass
    if ds.last_year_weights is not None:
        candidates["last_year"] = ds.last_year_weights.set_index("indicator")["weight"].astype(float)
    for name, w in candidates.items():
        if set(w.index) == set(weights.index) and abs(w.sum() - 1) <= 1e-4:
            out[name] = w
    return out

"""Scoring managers: customer measures, 360 reviews, indicator points, composite scores, grades,
bonus coefficients and how stable grades are when the weights are uncertain.

>>> from calibrate.scoring import build_scorecard, ScoringSettings     # doctest: +SKIP
>>> card = build_scorecard(load_dataset("data/sample/calibrate.yaml"), ScoringSettings.from_section())  # doctest: +SKIP
>>> card.distribution()                                                 # doctest: +SKIP
"""

from calibrate.scoring.composite import (
    CompositeResult,
    InvalidWeights,
    check_weights,
    composite_matrix,
    composite_scores,
    period_means,
)
from calibrate.scoring.customer_measures import InvalidAnswers, customer_rates, nps_interval, satisfaction_scores
from calibrate.scoring.grades import (
    Grading,
    bonus_coefficients,
    bonus_table,
    distance_to_cut,
    grade_distribution,
    grading_from,
    improvement_flags,
)
from calibrate.scoring.normalise import (
    Rule,
    apply_rule,
    attainment_ratio,
    indicator_rules,
    parse_rule,
    score_indicators,
)
from calibrate.scoring.ramp import ramp_allowance, ramp_shares
from calibrate.scoring.reviews360 import InvalidReviews, ReviewScores, aggregate_reviews, trimmed_mean
from calibrate.scoring.scorecard import Scorecard, build_scorecard, scoring_inputs, scoring_year
from calibrate.scoring.settings import ScoringSettings, weight_ranges
from calibrate.scoring.stability import (
    StabilityResult,
    annual_composites,
    compare_weightings,
    grade_stability,
    sample_weights,
)

__all__ = [
    "CompositeResult",
    "InvalidWeights",
    "check_weights",
    "composite_matrix",
    "composite_scores",
    "period_means",
    "InvalidAnswers",
    "customer_rates",
    "nps_interval",
    "satisfaction_scores",
    "Grading",
    "bonus_coefficients",
    "bonus_table",
    "distance_to_cut",
    "grade_distribution",
    "grading_from",
    "improvement_flags",
    "Rule",
    "apply_rule",
    "attainment_ratio",
    "indicator_rules",
    "parse_rule",
    "score_indicators",
    "ramp_allowance",
    "ramp_shares",
    "InvalidReviews",
    "ReviewScores",
    "aggregate_reviews",
    "trimmed_mean",
    "Scorecard",
    "build_scorecard",
    "scoring_inputs",
    "scoring_year",
    "ScoringSettings",
    "weight_ranges",
    "StabilityResult",
    "annual_composites",
    "compare_weightings",
    "grade_stability",
    "sample_weights",
]

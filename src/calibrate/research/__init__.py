"""Research tools: compare indicator sets, and try new indicators without writing code.

* :func:`compare_indicator_sets` scores every set on the same managers, folds
  and bootstrap resamples: out-of-sample predictive validity of its composite
  score (and of its indicators, the ceiling), weight stability, rank stability
  and redundancy.
* :func:`load_sets` reads template names or YAML paths; :func:`calibrate.loading.load_dataset_for_sets`
  loads a run's data and validates every column the sets read (a new indicator
  is a YAML entry plus a column in the performance file).
* :func:`report_table` and :func:`plot_comparison` draw the result for a report.
"""
from calibrate.research.charts import differences_table, outcome_label, plot_comparison, report_table, weights_table
from calibrate.research.compare import MODELS, WEIGHTINGS, ComparisonResult, compare_indicator_sets
from calibrate.research.metrics import RedundancyResult, indicator_redundancy, rank_stability_over_periods, spearman
from calibrate.research.sets import load_sets, set_panels

__all__ = [
    "MODELS",
    "WEIGHTINGS",
    "ComparisonResult",
    "RedundancyResult",
    "compare_indicator_sets",
    "differences_table",
    "indicator_redundancy",
    "load_sets",
    "outcome_label",
    "plot_comparison",
    "rank_stability_over_periods",
    "report_table",
    "set_panels",
    "spearman",
    "weights_table",
]

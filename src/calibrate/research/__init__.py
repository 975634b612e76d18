"""Research tools: compare indicator sets, and try new indicators without writing code.

* :func:`compare_indicator_sets` scores every set on the same managers, folds
  and bootstrap resamples: out-of-sample predictive validity of its composite
  score (and of its indicators, the ceiling), weight stability, rank stability
  and redundancy.
* :func:`load_sets` reads template names or YAML paths; :func:`calibrate.loading.load_dataset_for_sets`
  loads a run's data and validates every column the sets read (a new indicator
  is a YAML entry plus a column in the performance file).
* Its tables and chart for a report, in the page language, are the application's:
  :mod:`calibrate.report.research` (``report_table``, ``plot_comparison``, ...).
"""

from calibrate.research.compare import MODELS, WEIGHTINGS, ComparisonResult, compare_indicator_sets
from calibrate.research.metrics import RedundancyResult, indicator_redundancy, rank_stability_over_periods, spearman
from calibrate.research.sets import load_sets, set_panels

__all__ = [
    "MODELS",
    "WEIGHTINGS",
    "ComparisonResult",
    "RedundancyResult",
    "compare_indicator_sets",
    "indicator_redundancy",
    "load_sets",
    "rank_stability_over_periods",
    "set_panels",
    "spearman",
]

"""A synthetic company whose truth is known, so every method can be checked for recovering it.

The package splits the job in four: :mod:`~calibrate.sample.spec` (size and true
parameters), :mod:`~calibrate.sample.model` (the simulated company),
:mod:`~calibrate.sample.truth` (``truth.json``, ``truth_managers.csv``,
``truth_raters.csv``) and :mod:`~calibrate.sample.writer` (CSV, Parquet and the
run config); :mod:`~calibrate.sample.draws` holds the generator's own discrete draws.

>>> company = generate_company(SampleSpec(n_managers=40, n_quarters=8, truth_replications=5), seed=1)
>>> sorted(company.tables)[:3]
['ahp_judgments', 'innovation', 'last_year_weights']
"""

from calibrate.sample.draws import choose_without_replacement, weighted_choice
from calibrate.sample.indicator_set import extra_indicator_set, extra_indicator_set_dict, extra_indicator_set_yaml
from calibrate.sample.model import SampleCompany, generate_company
from calibrate.sample.spec import EXTRA_PATTERN, EXTRA_SHARE, KPI_MEAN, KPI_SD, REGIONS, SampleSpec
from calibrate.sample.truth import write_truth
from calibrate.sample.writer import SAMPLE_CONFIG, write_csv_fast, write_sample

__all__ = [
    "EXTRA_PATTERN",
    "EXTRA_SHARE",
    "KPI_MEAN",
    "KPI_SD",
    "REGIONS",
    "SAMPLE_CONFIG",
    "SampleCompany",
    "SampleSpec",
    "choose_without_replacement",
    "extra_indicator_set",
    "extra_indicator_set_dict",
    "extra_indicator_set_yaml",
    "generate_company",
    "weighted_choice",
    "write_csv_fast",
    "write_sample",
    "write_truth",
]

"""The tidy panel: one row per manager and quarter, a column per indicator, plus next-quarter outcomes.

Indicators are computed as their indicator set says (``compute`` in the YAML):
ratios of performance columns, NPS and satisfaction from survey answers, 360
ratings averaged over raters. Half-year and annual values apply to each quarter
they cover. Outcomes for the weight regressions are the *next* quarter's revenue
growth and customer retention, so that cause precedes effect.

>>> panel = indicator_panel(load_dataset("data/sample/calibrate.yaml"))   # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate.customer import nps_table, satisfaction_table
from calibrate.dataset import Dataset
from calibrate.errors import CalibrateError
from calibrate.indicators import Indicator, IndicatorSet
from calibrate.periods import quarter_index
from calibrate.schema import expand_to_quarters

KEY = ["manager_id", "period"]
OUTCOMES = ("next_revenue_growth", "next_retention", "next_customers_kept", "next_customers_start")


def indicator_panel(ds: Dataset, indicator_set: IndicatorSet | None = None, *, outcomes: bool = True) -> pd.DataFrame:
    """Indicator values per manager-quarter (long index ``manager_id, period``), with manager attributes."""
    iset = indicator_set or ds.indicator_set
    perf = ds.performance.copy()
    base = perf[KEY].copy()
    managers = ds.managers.set_index("manager_id")
    base["region"] = base["manager_id"].map(managers["region"])
    if "level" in managers:
        base["level"] = base["manager_id"].map(managers["level"])
    hire_q = managers["hire_date"].dt.year * 4 + (managers["hire_date"].dt.month - 1) // 3
    base["tenure_quarters"] = quarter_index(base["period"]) - base["manager_id"].map(hire_q).to_numpy()
    for ind in iset.indicators:
        base[ind.id] = _indicator_values(ind, ds, perf).to_numpy()
    if outcomes:
        base = base.join(next_quarter_outcomes(perf)[list(OUTCOMES)], on=KEY)
    return base.set_index(KEY).sort_index()


def _indicator_values(ind: Indicator, ds: Dataset, perf: pd.DataFrame) -> pd.Series:
    kind, args = ind.compute_kind, ind.compute_args
    if kind == "column":
        return perf[args[0]].astype(float)
    if kind == "ratio":
        num, den = perf[args[0]].astype(float), perf[args[1]].astype(float)
        return (num / den.where(den > 0)).astype(float)
    if kind in ("nps", "share_satisfied", "mean_likert"):
        if ds.survey is None:
            raise CalibrateError(f"indicator {ind.id} needs survey data: add 'survey' under 'data' in the config")
        survey = _quarterly(ds.survey)
        if kind == "nps":
            table = nps_table(survey, by=["manager_id", "quarter"], column=args[0]).rename(columns={"nps": "value"})
        else:
            table = satisfaction_table(survey, by=["manager_id", "quarter"], column=args[0])
            table = table.rename(columns={kind: "value"})
        return _lookup(perf, table)
    if kind == "review":
        if ds.reviews is None:
            raise CalibrateError(f"indicator {ind.id} needs 360 reviews: add 'reviews' under 'data' in the config")
        reviews = ds.reviews[ds.reviews["criterion"] == args[0]]
        table = (reviews.groupby(["manager_id", "period"])["score"].mean().rename("value").reset_index())
        return _lookup(perf, _quarterly(table))
    raise CalibrateError(f"indicator {ind.id}: compute kind {kind} is not supported")


def _quarterly(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every row a ``quarter``; half-year and year rows are repeated for each quarter."""
    return expand_to_quarters(frame, "period")


def _lookup(perf: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    quarter_col = "quarter" if "quarter" in table else "period"
    values = table.groupby(["manager_id", quarter_col])["value"].mean()
    keys = pd.MultiIndex.from_arrays([perf["manager_id"], perf["period"]])
    return pd.Series(values.reindex(keys).to_numpy(), index=perf.index, dtype=float)


def next_quarter_outcomes(perf: pd.DataFrame) -> pd.DataFrame:
    """Per manager-quarter: log revenue growth to the next quarter and the next quarter's retention.

    Outcomes are NaN in a manager's last quarter, and where the next quarter is not
    consecutive (a gap in the data).
    """
    p = perf.assign(_q=quarter_index(perf["period"])).sort_values(["manager_id", "_q"])
    nxt = p.groupby("manager_id").shift(-1)
    consecutive = (nxt["_q"] - p["_q"]) == 1
    out = p[KEY].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.log(nxt["revenue"].astype(float) / p["revenue"].astype(float))
    out["next_revenue_growth"] = growth.where(consecutive & np.isfinite(growth))
    if {"customers_start", "customers_lost"} <= set(p.columns):
        start, lost = nxt["customers_start"].astype(float), nxt["customers_lost"].astype(float)
        out["next_customers_start"] = start.where(consecutive)
        out["next_customers_kept"] = (start - lost).where(consecutive)
        out["next_retention"] = (1 - lost / start.where(start > 0)).where(consecutive)
    else:
        for col in ("next_customers_start", "next_customers_kept", "next_retention"):
            out[col] = np.nan
    return out.set_index(KEY)

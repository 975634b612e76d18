"""The tidy panel: one row per manager and quarter, a column per indicator, plus next-quarter outcomes.

Indicators are computed as their indicator set says (``compute`` in the YAML):
ratios of performance columns, NPS and satisfaction from survey answers, 360
ratings averaged over raters, yearly counts from the innovation committee's table. Each indicator is measured over its review period
(``review_period`` in the set): a half-yearly or yearly indicator once per half or
year, holding for each quarter in it. Outcomes for the weight regressions are the *next* quarter's revenue
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
from calibrate.memory import release_unused_memory
from calibrate.periods import half_of_quarter, quarter_index
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
    panel = base.set_index(KEY).sort_index()
    del base, perf
    release_unused_memory()  # the intermediate copies are freed: give their pages back (calibrate.memory)
    return panel


def _indicator_values(ind: Indicator, ds: Dataset, perf: pd.DataFrame) -> pd.Series:
    """The indicator per performance row, measured over its review period.

    A quarterly indicator is measured in each quarter. A half-yearly or yearly one is
    measured once over the whole half or year (a ratio of the period's sums, NPS or
    satisfaction from all of the period's answers, the mean of its 360 ratings, the
    mean of a column) and that value holds for each quarter in it: a yearly profit
    margin is the year's profit over the year's revenue, not four noisy quarters.
    """
    kind, args = ind.compute_kind, ind.compute_args
    window = _window_labels(perf["period"], ind.review_period)
    if kind in ("column", "ratio"):
        if ind.review_period == "quarter":
            if kind == "column":
                return perf[args[0]].astype(float)
            num, den = perf[args[0]].astype(float), perf[args[1]].astype(float)
            return (num / den.where(den > 0)).astype(float)
        keys = [perf["manager_id"], window]
        if kind == "column":
            return perf[args[0]].astype(float).groupby(keys).transform("mean")
        num = perf[args[0]].astype(float).groupby(keys).transform("sum")
        den = perf[args[1]].astype(float).groupby(keys).transform("sum")
        return (num / den.where(den > 0)).astype(float)
    if kind in ("nps", "share_satisfied", "mean_likert"):
        if ds.survey is None:
            raise CalibrateError(f"indicator {ind.id} needs survey data: add 'survey' under 'data' in the config")
        # only the columns the measure reads: the survey's other columns are not copied with its rows
        survey = _in_windows(ds.survey[["manager_id", "period", args[0]]], ind.review_period)
        if kind == "nps":
            table = nps_table(survey, by=["manager_id", "window"], column=args[0]).rename(columns={"nps": "value"})
        else:
            table = satisfaction_table(survey, by=["manager_id", "window"], column=args[0])
            table = table.rename(columns={kind: "value"})
        return _lookup(perf, table, window)
    if kind == "review":
        if ds.reviews is None:
            raise CalibrateError(f"indicator {ind.id} needs 360 reviews: add 'reviews' under 'data' in the config")
        reviews = _in_windows(ds.reviews[ds.reviews["criterion"] == args[0]], ind.review_period)
        table = reviews.groupby(["manager_id", "window"])["score"].mean().rename("value").reset_index()
        return _lookup(perf, table, window)
    if kind == "committee_count":
        if ds.innovation is None:
            raise CalibrateError(
                f"indicator {ind.id} needs the innovation committee's table: add 'innovation' "
                "under 'data' in the config"
            )
        counts = ds.innovation.dropna(subset=["manager_id", "year"])
        table = pd.DataFrame(
            {
                "manager_id": counts["manager_id"].to_numpy(),
                "window": counts["year"].astype(int).astype(str).to_numpy(),
                "value": counts[args[0]].astype(float).to_numpy(),
            }
        )
        # a yearly table: each quarter of the year takes the year's count (no row: missing, not 0)
        return _lookup(perf, table, _window_labels(perf["period"], "year"))
    raise CalibrateError(f"indicator {ind.id}: compute kind {kind} is not supported")


def _window_labels(quarters: pd.Series, review_period: str) -> pd.Series:
    """Each quarter's review window: the quarter itself, its half-year (``2024H2``) or its year (``2024``)."""
    if review_period == "half_year":
        codes, distinct = pd.factorize(quarters)
        return pd.Series(
            np.array([half_of_quarter(q) for q in distinct] + [None], dtype=object)[codes], index=quarters.index
        )
    if review_period == "year":
        return quarters.astype(str).str[:4]
    return quarters


def _in_windows(frame: pd.DataFrame, review_period: str) -> pd.DataFrame:
    """Rows with the review window(s) they fall in (column ``window``); a row counts once per window.

    Half-year and year rows are first spread over their quarters (as before), then each
    row is kept once per window it touches, so pooling a year does not count a yearly
    answer four times.
    """
    quarterly = _quarterly(frame.assign(_row=np.arange(len(frame))))
    quarterly["window"] = _window_labels(quarterly["quarter"], review_period).to_numpy()
    return quarterly.drop_duplicates(["_row", "window"])


def _quarterly(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every row a ``quarter``; half-year and year rows are repeated for each quarter."""
    return expand_to_quarters(frame, "period")


def _lookup(perf: pd.DataFrame, table: pd.DataFrame, window: pd.Series) -> pd.Series:
    # observed: survey-based tables keep the survey's categorical IDs (pandas 2 would add every unseen pair)
    values = table.groupby(["manager_id", "window"], observed=True)["value"].mean()
    keys = pd.MultiIndex.from_arrays([perf["manager_id"], window])
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

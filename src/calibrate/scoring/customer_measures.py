"""Customer measures for scoring: NPS with its interval, satisfaction, repeat-purchase and referral rates.

These build on :mod:`calibrate.customer` (the same counts the panel uses) and add
what a score needs: an interval, and a minimum-response rule under which a
measure is reported as *insufficient* rather than as a number.

NPS interval. With ``n`` answers of which shares ``p_P`` are promoters (9-10) and
``p_D`` detractors (0-6), NPS = 100 (p_P - p_D) is a difference of two proportions
of one multinomial sample. :func:`nps_interval` offers the Wald interval, the
adjusted Wald of Rocks (2016, *The American Statistician* 70(4), 365-372; the
default: 3/4 added to promoters and detractors, 3 to ``n``) and a bootstrap
percentile interval; see :mod:`calibrate.scoring.nps_intervals` for the formulas
and ``benchmarks/bench_nps_coverage.py`` for their coverage. Plain Wald is too
narrow with few answers (zero width when everyone is a promoter); the adjusted
Wald is not. The minimum-response rule still reports very small groups as
*insufficient* rather than as a number.

>>> s = pd.DataFrame({"manager_id": ["A"] * 10, "period": ["2025Q1"] * 10,
...                   "recommend": [10, 9, 9, 8, 7, 6, 3, 10, 5, 9]})
>>> row = nps_interval(s, min_responses=5, method="wald").iloc[0]
>>> float(row["nps"]), round(float(row["se"]), 3), row["ci_method"]
(20.0, 27.568, 'wald')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from calibrate.customer import nps_table, satisfaction_table
from calibrate.errors import CalibrateError
from calibrate.scoring.nps_intervals import DEFAULT_N_BOOT, DEFAULT_NPS_METHOD, NPSMethod, check_method, nps_bounds

OK, INSUFFICIENT = "ok", "insufficient"
DEFAULT_LIKERT_WEIGHTS = {1: 0.0, 2: 25.0, 3: 50.0, 4: 75.0, 5: 100.0}


class InvalidAnswers(CalibrateError):
    """Survey answers or customer flags outside the values a measure accepts."""


def nps_interval(
    survey: pd.DataFrame,
    *,
    by: Sequence[str] | None = None,
    column: str = "recommend",
    min_responses: int = 5,
    confidence: float = 0.95,
    method: NPSMethod = DEFAULT_NPS_METHOD,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int | np.random.SeedSequence = 0,
) -> pd.DataFrame:
    """NPS (points, -100..100) per group with its interval and the minimum-response rule.

    ``method`` is ``"adjusted_wald"`` (default; Rocks 2016), ``"wald"`` or
    ``"bootstrap"`` (``n_boot`` trinomial resamples from ``seed``); see
    :mod:`calibrate.scoring.nps_intervals`. Columns: the ``by`` keys,
    ``n_responses``, ``promoters``, ``detractors``, ``p_promoters``,
    ``p_detractors`` (shares 0-1), ``nps`` (the observed score), ``se``
    (points), ``ci_low``/``ci_high`` (points), ``ci_method`` (the method used),
    ``status`` ('ok' or 'insufficient'). Where fewer than ``min_responses``
    customers answered, ``nps``, ``se`` and the interval are NaN and
    ``status`` is 'insufficient'.
    """
    by = list(by or ["manager_id", "period"])
    _check_range(survey, column, 0, 10)
    _check_confidence(confidence)
    method = check_method(method)
    out = nps_table(survey, by=by, column=column)
    n = out["n_responses"].astype(float)
    p_p, p_d = out["promoters"] / n, out["detractors"] / n
    low = high = se = np.full(len(out), np.nan)
    answered = (n >= 1).to_numpy()
    if answered.any():
        low, high, se = (np.full(len(out), np.nan) for _ in range(3))
        low[answered], high[answered], se[answered] = nps_bounds(
            out["promoters"][answered],
            out["detractors"][answered],
            n[answered],
            method=method,
            confidence=confidence,
            n_boot=n_boot,
            seed=seed,
        )
    out = out.assign(p_promoters=p_p, p_detractors=p_d, se=se, ci_low=low, ci_high=high, ci_method=method)
    return _apply_minimum(out, ["nps", "se", "ci_low", "ci_high"], min_responses)


def satisfaction_scores(
    survey: pd.DataFrame,
    *,
    by: Sequence[str] | None = None,
    column: str = "satisfaction",
    satisfied_from: int = 4,
    level_weights: Mapping[int, float] | None = None,
    min_responses: int = 5,
) -> pd.DataFrame:
    """Satisfaction per group: share satisfied (0-1), mean answer (1-5) and a weighted Likert score.

    The weighted Likert score is the mean of ``level_weights[answer]`` (points; the
    default gives 0, 25, 50, 75, 100 to answers 1-5, so it is 0-100). Columns: the
    ``by`` keys, ``n_responses``, ``share_satisfied``, ``mean_likert``,
    ``weighted_likert``, ``status``; the measures are NaN when fewer than
    ``min_responses`` customers answered.
    """
    by = list(by or ["manager_id", "period"])
    weights = {int(k): float(v) for k, v in (level_weights or DEFAULT_LIKERT_WEIGHTS).items()}
    answered = survey.loc[survey[column].notna()]
    levels = answered[column].astype(float)
    unknown = sorted(set(levels.unique()) - set(map(float, weights)))
    if unknown:
        raise InvalidAnswers(
            f"survey column {column}: answer(s) {', '.join(f'{u:g}' for u in unknown)} have no "
            f"weight; likert_weights covers {', '.join(map(str, sorted(weights)))}"
        )
    out = satisfaction_table(survey, by=by, column=column, satisfied_from=satisfied_from)
    points = answered[by].assign(points=levels.map({float(k): v for k, v in weights.items()}))
    weighted = points.groupby(by, sort=True, observed=True)["points"].mean().rename("weighted_likert").reset_index()
    out = out.merge(weighted, on=by, how="left")
    return _apply_minimum(out, ["share_satisfied", "mean_likert", "weighted_likert"], min_responses)


def customer_rates(
    customers: pd.DataFrame,
    columns: Sequence[str] = ("repeat_purchase", "referral"),
    *,
    by: Sequence[str] | None = None,
    min_responses: int = 1,
) -> pd.DataFrame:
    """Rates of yes/no customer facts per group, e.g. repeat purchase and referral.

    ``customers`` has a row per customer and, for each name in ``columns``, 1/True
    (yes), 0/False (no) or blank (unknown, left out). Returns per group
    ``<column>_rate`` (share of yes among known, 0-1) and ``<column>_n`` (customers
    known); a rate is NaN when fewer than ``min_responses`` are known.
    """
    by = list(by or ["manager_id", "period"])
    missing = [c for c in [*by, *columns] if c not in customers.columns]
    if missing:
        raise InvalidAnswers(
            f"customer table has no column(s) {', '.join(missing)}; it has {', '.join(map(str, customers.columns))}"
        )
    parts = []
    for col in columns:
        known = customers[col].dropna()
        flags = (
            known.astype(float)
            if pd.api.types.is_bool_dtype(known)
            else pd.to_numeric(known, errors="coerce").astype(float)
        )
        bad = known[~flags.isin([0.0, 1.0])]
        if len(bad):
            raise InvalidAnswers(
                f"customer column {col}: {bad.iloc[0]!r} (row {bad.index[0]}) is not yes/no; "
                "use 1/0 or True/False, blank when unknown"
            )
        g = flags.groupby([customers.loc[flags.index, b] for b in by], sort=True, observed=True)
        rate, n = g.mean(), g.size()
        parts.append(pd.DataFrame({f"{col}_rate": rate.where(n >= min_responses), f"{col}_n": n}))
    out = pd.concat(parts, axis=1)
    for col in columns:
        out[f"{col}_n"] = out[f"{col}_n"].fillna(0).astype(int)
    return out.reset_index()


def _apply_minimum(out: pd.DataFrame, measures: list[str], min_responses: int) -> pd.DataFrame:
    if int(min_responses) < 1:
        raise CalibrateError(f"min_responses must be at least 1, got {min_responses}")
    enough = out["n_responses"] >= min_responses
    out = out.assign(status=np.where(enough, OK, INSUFFICIENT))
    out[measures] = out[measures].where(enough)
    return out


def _check_range(survey: pd.DataFrame, column: str, low: float, high: float) -> None:
    if column not in survey.columns:
        raise InvalidAnswers(f"survey has no column {column}")
    values = survey[column].dropna().astype(float)
    bad = values[(values < low) | (values > high) | (values != np.round(values))]
    if len(bad):
        raise InvalidAnswers(
            f"survey column {column}: {bad.iloc[0]:g} (row {bad.index[0]}) is not a whole "
            f"answer from {low:g} to {high:g}"
        )


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise CalibrateError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence}")

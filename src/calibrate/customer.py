"""Customer measures from survey answers: NPS and satisfaction per manager and period.

NPS is in points from -100 to 100: the percentage of promoters (9-10) minus the
percentage of detractors (0-6) among customers who answered the 0-10 question.
Satisfaction is the share answering 4 or 5 on the 1-5 scale (``share_satisfied``)
or the mean answer (``mean_likert``).

>>> s = pd.DataFrame({"manager_id": ["A"] * 4, "period": ["2024Q1"] * 4, "recommend": [10, 9, 6, 8]})
>>> float(nps_table(s).loc[0, "nps"])
25.0
"""

from __future__ import annotations

import pandas as pd

PROMOTER, DETRACTOR = 9, 6
SATISFIED = 4


def nps_table(survey: pd.DataFrame, by: list[str] | None = None, column: str = "recommend") -> pd.DataFrame:
    """NPS per group with its counts: columns ``nps``, ``n_responses``, ``promoters``, ``detractors``.

    Blank answers (non-response) are left out. ``nps`` is NaN for a group with no answer.
    """
    by = by or ["manager_id", "period"]
    answered = survey.loc[survey[column].notna(), by + [column]]
    score = answered[column].astype(float)
    grouped = answered.assign(
        promoter=(score >= PROMOTER).astype(float), detractor=(score <= DETRACTOR).astype(float)
    ).groupby(by, sort=True, observed=True)  # observed: survey IDs are categoricals (schema)
    out = grouped.agg(n_responses=(column, "size"), promoters=("promoter", "sum"), detractors=("detractor", "sum"))
    out["nps"] = 100.0 * (out["promoters"] - out["detractors"]) / out["n_responses"]
    return out.reset_index()


def satisfaction_table(
    survey: pd.DataFrame, by: list[str] | None = None, column: str = "satisfaction", satisfied_from: int = SATISFIED
) -> pd.DataFrame:
    """Share satisfied (answers >= ``satisfied_from``) and mean Likert score per group, with counts."""
    by = by or ["manager_id", "period"]
    answered = survey.loc[survey[column].notna(), by + [column]]
    score = answered[column].astype(float)
    grouped = answered.assign(score=score, satisfied=(score >= satisfied_from).astype(float)).groupby(
        by, sort=True, observed=True
    )
    out = grouped.agg(
        n_responses=("score", "size"), share_satisfied=("satisfied", "mean"), mean_likert=("score", "mean")
    )
    return out.reset_index()


def response_rate(survey: pd.DataFrame, by: list[str] | None = None, column: str = "recommend") -> pd.Series:
    """Share of surveyed customers who answered ``column`` per group (rows with a blank answer count as sent)."""
    by = by or ["manager_id", "period"]
    return survey[column].notna().groupby([survey[b] for b in by], observed=True).mean().rename("response_rate")

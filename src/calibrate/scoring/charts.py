"""Tables and charts of the scoring report, drawn from the ``scoring/`` artifacts.

Every function takes the frames as read from the run folder, so the notebook
stays a list of calls. ``pseudonymise`` replaces manager ids by the ``pseudonym``
column written next to them. The words on axes, legends and row names are the
caller's (``words``: the page language's ``scoring_charts`` messages, e.g.
``calibrate.messages.section("scoring_charts", lang)``); ``lang`` picks the indicator
set's own labels.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from calibrate.indicators import IndicatorSet
from calibrate.plotting import PALETTE
from calibrate.scoring.composite import CONTRIBUTION_PREFIX


def shown_ids(frame: pd.DataFrame, pseudonymise: bool) -> pd.DataFrame:
    """The frame with ``manager`` = pseudonym (or id) first, ids and pseudonyms dropped."""
    out = frame.copy()
    out.insert(0, "manager", out["pseudonym"] if pseudonymise else out["manager_id"])
    return out.drop(columns=["manager_id", "pseudonym"])


def example_managers(scores: pd.DataFrame, n: int = 5) -> list[str]:
    """Managers whose breakdown the report shows: best, worst, the median, and the most unstable
    (then the next most unstable) by grade-change probability; ids, at most ``n``."""
    graded = scores.dropna(subset=["score"]).sort_values(["score", "manager_id"], ascending=[False, True])
    picks = [graded["manager_id"].iloc[0], graded["manager_id"].iloc[len(graded) // 2], graded["manager_id"].iloc[-1]]
    unstable = graded.sort_values(["p_grade_change", "manager_id"], ascending=[False, True])["manager_id"]
    for m in unstable:
        if len(picks) >= n:
            break
        if m not in picks:
            picks.append(m)
    return list(dict.fromkeys(picks))[:n]


def breakdown_table(
    scores: pd.DataFrame,
    managers: list[str],
    iset: IndicatorSet,
    lang: str,
    pseudonymise: bool,
    *,
    words: Mapping[str, str],
) -> pd.DataFrame:
    """Points each indicator contributes to the chosen managers' annual scores (rows: indicators)."""
    rows = scores.set_index("manager_id").loc[managers]
    names = rows["pseudonym"] if pseudonymise else rows.index.to_series()
    table = rows[[CONTRIBUTION_PREFIX + i for i in iset.ids]].T
    table.index = [iset[i].label(lang) for i in iset.ids]
    table.columns = list(names)
    total = pd.DataFrame(
        [rows["score"].round(2).to_numpy(), rows["grade"].to_numpy()],
        columns=list(names),
        index=[words["score"], words["grade"]],
    )
    return pd.concat([table.round(2), total])


def plot_score_distribution(scores: pd.DataFrame, grades: list[str], lang: str, *, words: Mapping[str, str]):
    """Histogram of annual scores stacked by grade."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    data = scores.dropna(subset=["score"])
    sns.histplot(
        data=data,
        x="score",
        hue="grade",
        hue_order=grades,
        multiple="stack",
        bins=30,
        palette=PALETTE[: len(grades)],
        ax=ax,
    )
    ax.set_xlabel(words["annual_score"])
    ax.set_ylabel(words["managers"])
    ax.get_legend().set_title(words["grade"])
    fig.tight_layout()
    return fig


def plot_breakdown(
    scores: pd.DataFrame,
    managers: list[str],
    iset: IndicatorSet,
    lang: str,
    pseudonymise: bool,
    *,
    words: Mapping[str, str],
):
    """Horizontal stacked bars: points contributed by each indicator for the chosen managers."""
    table = breakdown_table(scores, managers, iset, lang, pseudonymise, words=words).iloc[:-2].astype(float)
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(managers) + 1.6))
    left = np.zeros(table.shape[1])
    colours = sns.color_palette("tab10", len(table))
    for k, (label, row) in enumerate(table.iterrows()):
        ax.barh(table.columns, row.to_numpy(), left=left, label=label, color=colours[k])
        left += row.to_numpy()
    ax.invert_yaxis()
    ax.set_xlabel(words["points_contributed"])
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_stability(
    stability: pd.DataFrame, grades: list[str], lang: str, boundary_probability: float, *, words: Mapping[str, str]
):
    """Annual score against the probability that the grade changes under uncertain weights."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    sns.scatterplot(
        data=stability,
        x="score",
        y="p_grade_change",
        hue="grade",
        hue_order=grades,
        palette=PALETTE[: len(grades)],
        s=18,
        ax=ax,
    )
    ax.axhline(boundary_probability, color="0.4", linestyle="--", linewidth=1)
    ax.legend(title=words["grade"], loc="upper right", fontsize=8)
    ax.set_xlabel(words["annual_score"])
    ax.set_ylabel(words["p_grade_change"])
    fig.tight_layout()
    return fig


def boundary_table(stability: pd.DataFrame, pseudonymise: bool, limit: int = 20) -> pd.DataFrame:
    """Managers on a grade boundary, most unstable first."""
    on = stability[stability["on_boundary"].astype(bool)]
    on = on.sort_values(["p_grade_change", "manager_id"], ascending=[False, True]).head(limit)
    cols = [
        "manager_id",
        "pseudonym",
        "score",
        "rank",
        "grade",
        "p_grade_up",
        "p_grade_down",
        "best_grade",
        "worst_grade",
        "distance_to_cut",
    ]
    return shown_ids(on[cols], pseudonymise).round(3).reset_index(drop=True)


def data_notes(summary: dict, iset: IndicatorSet, lang: str, *, words: Mapping[str, str]) -> pd.DataFrame:
    """What the scores rest on: survey measures below the minimum responses, the 360 reviews."""
    rows = []
    for indicator, count in (summary.get("insufficient_survey_measures") or {}).items():
        label = iset[indicator].label(lang) if indicator in iset.ids else indicator
        rows.append((words["too_few_answers"].format(label=label), str(count)))
    r = summary.get("reviews")
    if r:
        rows += [
            (words["reviews"], str(r["reviews"])),
            (words["rater_counts"], f"{r['too_few_raters']} / {r['too_many_raters']}"),
            (words["leniency_sd"], f"{r['leniency_sd']:.3f}"),
            (words["residual_sd"], f"{r['residual_sd']:.3f}"),
        ]
    return pd.DataFrame(rows, columns=[words["item"], words["value"]])

"""Tables of the scoring report (``05_scoring``) in the page language, from the ``scoring/`` artifacts.

Headers and words come from the message catalogue (``scoring_report.*``); the notebook
shows them with :func:`calibrate.report.tables.show` (no index, formatted numbers).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from calibrate.messages import text
from calibrate.steps import artifacts as declared


def _t(lang: str):
    return lambda key, **v: text(f"scoring_report.{key}", lang, **v)


def weights_source(source: str, lang: str) -> str:
    """Where the weights came from, in words (a file name stays as it is)."""
    known = {
        declared.path("", "weights.proposal").as_posix(): "source_proposal",
        "indicator_set_default": "source_default",
    }
    return _t(lang)(known[source]) if source in known else source


def intro(summary: dict[str, Any], lang: str) -> str:
    from calibrate.messages import format as fmt

    t = _t(lang)
    return t(
        "intro",
        year=summary["year"],
        first=summary["periods"][0],
        last=summary["periods"][-1],
        managers=fmt.number(summary["managers_scored"]),
        source=weights_source(summary["weights_source"], lang),
        grading=t("grading_forced" if summary["grading"] == "forced" else "grading_bands"),
        plans=fmt.number(summary["improvement_plans"]),
        bonus=fmt.money(summary["bonus_total"], lang, 1),
    )


def weights_table(weights: pd.DataFrame, lang: str) -> pd.DataFrame:
    t = _t(lang)
    return pd.DataFrame(
        {
            t("col_indicator"): weights["label"],
            t("col_dimension"): weights["dimension_label"],
            t("col_weight"): weights["weight"],
            t("col_draw_p5"): weights["draw_p5"],
            t("col_draw_p95"): weights["draw_p95"],
        }
    )


def distribution_table(distribution: pd.DataFrame, lang: str) -> pd.DataFrame:
    t = _t(lang)
    out = pd.DataFrame(
        {
            t("col_grade"): distribution["grade"],
            t("col_managers"): distribution["managers"],
            t("col_share"): distribution["share"],
        }
    )
    if "target_share" in distribution:
        out[t("col_target_share")] = distribution["target_share"]
    return out


def comparisons_table(comparisons: pd.DataFrame, lang: str) -> pd.DataFrame:
    t = _t(lang)
    name = lambda w: (
        t(f"weighting_{w}")
        if w
        in (
            "used",
            "indicator_set_default",
            "last_year",
            "equal",  # noqa: E731
            "proposal",
            "entropy",
            "critic",
        )
        else w
    )
    return pd.DataFrame(
        {
            t("col_weights_a"): comparisons["weights_a"].map(name),
            t("col_weights_b"): comparisons["weights_b"].map(name),
            t("col_spearman"): comparisons["spearman"].round(3),
            t("col_kendall"): comparisons["kendall"].round(3),
            t("col_same_grade"): comparisons["same_grade"],
        }
    )


def boundary_table(stability: pd.DataFrame, lang: str, pseudonymise: bool, limit: int = 20) -> pd.DataFrame:
    """Managers on a grade boundary, most unstable first (pseudonyms unless asked otherwise)."""
    t = _t(lang)
    on = stability[stability["on_boundary"].astype(bool)]
    on = on.sort_values(["p_grade_change", "manager_id"], ascending=[False, True]).head(limit)
    return pd.DataFrame(
        {
            t("col_manager"): (on["pseudonym"] if pseudonymise else on["manager_id"]).astype(str),
            t("col_score"): on["score"].round(1),
            t("col_rank"): on["rank"],
            t("col_grade"): on["grade"],
            t("col_p_up"): on["p_grade_up"],
            t("col_p_down"): on["p_grade_down"],
            t("col_best"): on["best_grade"],
            t("col_worst"): on["worst_grade"],
            t("col_distance"): on["distance_to_cut"].round(2),
        }
    )


def percent_columns(lang: str) -> tuple[str, ...]:
    t = _t(lang)
    return tuple(
        t(k)
        for k in (
            "col_weight",
            "col_draw_p5",
            "col_draw_p95",
            "col_share",
            "col_target_share",
            "col_same_grade",
            "col_p_up",
            "col_p_down",
        )
    )

"""The quarterly review (``calibrate review --quarter 2025Q2`` and ``notebooks/13_quarterly_review.ipynb``).

For each manager: the year-to-date attainment and the probability of reaching the
annual target given the quarters realised so far
(:func:`calibrate.targets.review.review_forecast`); who has fallen from likely to
unlikely since the last review (the review after the quarter before; for a Q1
review, the start-of-year forecast); who newly meets the improvement-plan rule
(``scoring.improvement``); the team's expected year-end share on target
and bonus cost, updated. Settings (scenarios, payout curve, target bonus, heavy
tails) come from the run config's ``targets`` section; the seed from the config.

Artifacts under ``review/`` of the output folder:

================ ==========================================================
summary.json     team figures at this review and at the last one
managers.csv     per manager: YTD actual, target and attainment, probability
changes.csv      managers whose probability crossed the likely/unlikely cut
improvement_     managers who newly meet the improvement-plan rule
plans.csv
================ ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.config import RunConfig
from calibrate.dataset import Dataset
from calibrate.errors import ConfigError
from calibrate.messages import text
from calibrate.periods import parse_quarter, quarter_from_index, quarter_index
from calibrate.privacy import pseudonym
from calibrate.steps import artifacts as declared

FOLDER = "review"


@dataclass(frozen=True)
class QuarterlyReview:
    """This review, the last one and the managers who crossed the cut between them."""

    current: Any  # calibrate.targets.review.ReviewResult
    previous: Any
    changes: pd.DataFrame
    cut: float
    improvement: pd.DataFrame | None = None
    scorecard: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cut": self.cut,
            "fell": int((self.changes["movement"] == "fell").sum()),
            "improvement_plan_new": None if self.improvement is None else int(len(self.improvement)),
            "rose": int((self.changes["movement"] == "rose").sum()),
            "review": self.current.to_dict(),
            "last_review": self.previous.to_dict(),
        }


def compute_review(
    config: RunConfig,
    dataset: Dataset,
    quarter: str,
    *,
    scenarios: int | None = None,
    cut: float = 0.5,
    improvement: bool = True,
) -> QuarterlyReview:
    """The review after ``quarter`` (e.g. ``"2025Q2"``) of the data's performance table; with
    ``improvement`` also who newly meets the improvement-plan rule (:func:`improvement_crossings`)."""
    from calibrate.targets.plan import TargetSettings
    from calibrate.targets.review import review_changes, review_forecast

    if parse_quarter(str(quarter)) is None:
        raise ConfigError(f"--quarter must look like 2025Q2; got {quarter!r}.")
    q = int(quarter_index([str(quarter)])[0])
    last = int(quarter_index(dataset.performance["period"].astype(str)).max())
    if q > last:
        raise ConfigError(f"The data end at {quarter_from_index(last)}: there are no actuals for {quarter} yet.")
    settings = TargetSettings.from_config(config.targets)
    n = int(scenarios or settings.scenarios)
    common: dict[str, Any] = dict(
        year=q // 4,
        scenarios=n,
        seed=config.seed,
        heavy_tails=settings.heavy_tails,
        ramp_first_year_share=settings.ramp_first_year_share,
        payout=settings.payout,
        bonus_base=settings.bonus_base,
        parameter_uncertainty=settings.parameter_uncertainty,
    )
    perf, managers = dataset.performance, dataset.managers
    current = review_forecast(perf, managers, through=quarter_from_index(q), **common)
    previous = review_forecast(
        perf,
        managers,
        through=quarter_from_index(q - 1),
        targets=current.managers.set_index("manager_id")["target"],
        **common,
    )
    changes = review_changes(current.to_frame(), previous.to_frame(), cut=cut)
    if not improvement:
        return QuarterlyReview(current, previous, changes, cut)
    card, settings = year_scorecard(config, dataset, q // 4)
    return QuarterlyReview(current, previous, changes, cut, improvement_crossings(card, settings, quarter), card)


def year_scorecard(config: RunConfig, dataset: Dataset, year: int):
    """The year's scorecard under the config's scoring settings and the indicator set's weights."""
    from calibrate.scoring.scorecard import build_scorecard
    from calibrate.scoring.settings import ScoringSettings

    settings = ScoringSettings.from_section(config.scoring)
    return build_scorecard(dataset, settings, year=year, seed=config.seed), settings


def improvement_crossings(card: Any, settings: Any, quarter: str) -> pd.DataFrame:
    """Managers who meet the improvement-plan rule (``scoring.improvement``: ``consecutive``
    quarters with a grade in ``low_grades``) with the quarters through ``quarter`` and did not
    with the quarters before it. Quarterly grades compare managers within each quarter, so a
    quarter's grade does not depend on later quarters (360 ratings are per half-year)."""
    from calibrate.scoring.grades import improvement_flags

    grades = card.period_grades
    q = quarter_index(grades["period"].astype(str))
    t = int(quarter_index([str(quarter)])[0])
    now = improvement_flags(grades[q <= t], settings.low_grades, settings.consecutive).set_index("manager_id")
    earlier = grades[q <= t - 1]
    before = (
        improvement_flags(earlier, settings.low_grades, settings.consecutive).set_index("manager_id")[
            "improvement_plan"
        ]
        if len(earlier)
        else pd.Series(dtype=bool)
    )
    crossed = now["improvement_plan"] & ~before.reindex(now.index, fill_value=False).astype(bool)
    return now[crossed].reset_index()[["manager_id", "current_low_run", "low_periods"]]


def midyear_whatif(config: RunConfig, dataset: Dataset, changes: dict[str, float], switch: str, card: Any = None):
    """The year scored with ``changes`` (indicator -> new weight, the others scaled) from quarter
    ``switch`` on, against the weights in force (:mod:`calibrate.scoring.midyear`)."""
    from calibrate.scoring.midyear import midyear_reweighting, raise_weight

    if card is None:
        card, settings = year_scorecard(config, dataset, int(str(switch)[:4]))
    else:
        from calibrate.scoring.settings import ScoringSettings

        settings = ScoringSettings.from_section(config.scoring)
    return midyear_reweighting(
        card.points,
        card.weights,
        raise_weight(card.weights, changes),
        switch=switch,
        grading=card.grading,
        bonus_from=settings.bonus_from,
        grade_coefficients=settings.grade_coefficients,
        score_coefficients=settings.score_coefficients,
    )


def write_review(review: QuarterlyReview, folder: Path, *, key: bytes) -> list[Path]:
    """Write the artifacts of the module docstring under ``folder/review``; the files pairing manager IDs
    with their keyed pseudonyms go under ``folder/private/review``."""
    out = declared.path(folder, "review.summary").parent
    private = declared.path(folder, "review.managers").parent

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.insert(1, "pseudonym", [pseudonym(str(m), key) for m in frame["manager_id"]])
        return frame

    managers = review.current.to_frame()
    managers["previous_probability"] = (
        review.previous.to_frame().set_index("manager_id")["probability"].reindex(managers["manager_id"]).to_numpy()
    )
    written = [
        declared.write(out, "review.summary", review.to_dict()),
        declared.write(private, "review.managers", named(managers)),
        declared.write(private, "review.changes", named(review.changes)),
    ]
    if review.improvement is not None:
        written.append(declared.write(private, "review.improvement_plans", named(review.improvement)))
    return written


def team_table(summary: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    """This review against the last: expected share (P5-P95) and bonus P50/P90."""

    def t(key: str) -> str:
        return text(f"quarterly_page.{key}", lang)

    rows = []
    for key, label in (("last_review", t("last_review")), ("review", t("this_review"))):
        r = summary[key]
        rows.append(
            {
                t("col_review"): f"{label} ({r['through']})",
                t("col_expected_share"): f"{r['expected_share']:.1%} ({r['share_p5']:.1%} - {r['share_p95']:.1%})",
                t("col_bonus"): f"{r['bonus_p50']:,.0f} / {r['bonus_p90']:,.0f}",
            }
        )
    return pd.DataFrame(rows)


def plot_probabilities(managers: pd.DataFrame, lang: str = "en", ax: Any = None):
    """Each manager's probability of reaching the annual target: last review against this one."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    ax.scatter(managers["previous_probability"], managers["probability"], s=10, alpha=0.6, color="C0")
    ax.plot([0, 1], [0, 1], color="#7f7f7f", linestyle=":", linewidth=1)
    ax.set_xlabel(text("quarterly_page.axis_previous_probability", lang))
    ax.set_ylabel(text("quarterly_page.axis_probability", lang))
    return ax

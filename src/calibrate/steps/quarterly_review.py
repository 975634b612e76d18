"""The quarterly review (``calibrate review --quarter 2025Q2`` and ``notebooks/13_quarterly_review.ipynb``).

For each manager: the year-to-date attainment and the probability of reaching the
annual target given the quarters realised so far
(:func:`calibrate.targets.review.review_forecast`); who has fallen from likely to
unlikely since the last review (the review after the quarter before; for a Q1
review, the start-of-year forecast); the team's expected year-end share on target
and bonus cost, updated. Settings (scenarios, payout curve, target bonus, heavy
tails) come from the run config's ``targets`` section; the seed from the config.

Artifacts under ``review/`` of the output folder:

================ ==========================================================
summary.json     team figures at this review and at the last one
managers.csv     per manager: YTD actual, target and attainment, probability
changes.csv      managers whose probability crossed the likely/unlikely cut
================ ==========================================================
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate import artifacts
from calibrate.config import RunConfig
from calibrate.dataset import Dataset
from calibrate.errors import ConfigError
from calibrate.periods import parse_quarter, quarter_from_index, quarter_index
from calibrate.plotting import text
from calibrate.privacy import pseudonym

FOLDER = "review"


@dataclass(frozen=True)
class QuarterlyReview:
    """This review, the last one and the managers who crossed the cut between them."""

    current: Any          # calibrate.targets.review.ReviewResult
    previous: Any
    changes: pd.DataFrame
    cut: float

    def to_dict(self) -> dict[str, Any]:
        return {"cut": self.cut, "fell": int((self.changes["movement"] == "fell").sum()),
                "rose": int((self.changes["movement"] == "rose").sum()),
                "review": self.current.to_dict(), "last_review": self.previous.to_dict()}


def compute_review(config: RunConfig, dataset: Dataset, quarter: str, *, scenarios: int | None = None,
                   cut: float = 0.5) -> QuarterlyReview:
    """The review after ``quarter`` (e.g. ``"2025Q2"``) of the data's performance table."""
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
    common = dict(year=q // 4, scenarios=n, seed=config.seed, heavy_tails=settings.heavy_tails,
                  ramp_first_year_share=settings.ramp_first_year_share, payout=settings.payout,
                  bonus_base=settings.bonus_base)
    perf, managers = dataset.performance, dataset.managers
    current = review_forecast(perf, managers, through=quarter_from_index(q), **common)
    previous = review_forecast(perf, managers, through=quarter_from_index(q - 1),
                               targets=current.managers.set_index("manager_id")["target"], **common)
    changes = review_changes(current.to_frame(), previous.to_frame(), cut=cut)
    return QuarterlyReview(current, previous, changes, cut)


def write_review(review: QuarterlyReview, folder: Path, *, salt: str = "calibrate") -> list[Path]:
    """Write the artifacts of the module docstring under ``folder/review``."""
    out = Path(folder) / FOLDER

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.insert(1, "pseudonym", [pseudonym(str(m), salt) for m in frame["manager_id"]])
        return frame

    managers = review.current.to_frame()
    managers["previous_probability"] = (review.previous.to_frame().set_index("manager_id")["probability"]
                                        .reindex(managers["manager_id"]).to_numpy())
    return [artifacts.write_json(review.to_dict(), out / "summary.json"),
            artifacts.write_csv(named(managers), out / "managers.csv"),
            artifacts.write_csv(named(review.changes), out / "changes.csv")]


def team_table(summary: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    """This review against the last: expected share (P5-P95) and bonus P50/P90."""
    t = lambda zh, en: text(lang, zh, en)  # noqa: E731
    rows = []
    for key, label in (("last_review", t("上次评估", "last review")), ("review", t("本次评估", "this review"))):
        r = summary[key]
        rows.append({t("评估", "Review"): f"{label} ({r['through']})",
                     t("预计年末达标比例（P5–P95）", "Expected year-end share on target (P5-P95)"):
                         f"{r['expected_share']:.1%} ({r['share_p5']:.1%} - {r['share_p95']:.1%})",
                     t("奖金 P50 / P90", "Bonus P50 / P90"): f"{r['bonus_p50']:,.0f} / {r['bonus_p90']:,.0f}"})
    return pd.DataFrame(rows)


def plot_probabilities(managers: pd.DataFrame, lang: str = "en", ax: Any = None):
    """Each manager's probability of reaching the annual target: last review against this one."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    ax.scatter(managers["previous_probability"], managers["probability"], s=10, alpha=0.6, color="C0")
    ax.plot([0, 1], [0, 1], color="#7f7f7f", linestyle=":", linewidth=1)
    ax.set_xlabel(text(lang, "上次评估的达标概率", "probability at the last review"))
    ax.set_ylabel(text(lang, "本次评估的达标概率", "probability at this review"))
    return ax

"""The scoring step (report ``05_scoring``) and its artifacts: which weights to score with, and the files written under ``scoring/``.

Files (all deterministic for the same data, config and seed):

=========================  ===================================================================
``scores.csv``              one row per manager: annual score, points per indicator (the
                            breakdown), rank, grade, bonus, improvement-plan and stability columns
``grades.csv``              the compact list: manager, score, rank, grade, coefficient, bonus
``quarterly.csv``           composite, breakdown and grade per manager and quarter
``points.csv``              points (0-100) per manager, quarter and indicator
``stability.csv``           per manager: probability the grade changes, grade and rank ranges
``stability_draws.csv``     per weight draw: Spearman, Kendall, share keeping their grade
``comparisons.csv``         agreement between the weights used and the alternatives
``weights.csv``             the weights used, their source and the 5-95% range of the draws
``grade_distribution.csv``  managers per grade against the target shares
``customer.csv``            NPS with interval, satisfaction measures, per manager and quarter
``reviews360.csv``          360 scores per manager, half-year and criterion with flags
``rater_effects.csv``       estimated leniency per rater
``summary.json``            headline figures for the report and the executive summary
=========================  ===================================================================

Tables carry a ``pseudonym`` column next to ``manager_id`` (keyed with the run's
secret pseudonym key) so that reports can show pseudonyms without knowing the key.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibrate.errors import DataSourceError
from calibrate.indicators import IndicatorSet
from calibrate.privacy import pseudonym
from calibrate.scoring.composite import InvalidWeights, check_weights
from calibrate.scoring.scorecard import Scorecard
from calibrate.steps import artifacts as declared
from calibrate.steps.base import RunContext, Step

WEIGHT_COLUMNS = ("weight", "proposed_weight", "proposed")


def read_weights(path: str | Path, indicator_set: IndicatorSet) -> pd.Series:
    """Weights from a CSV with columns ``indicator`` and ``weight`` (or ``proposed_weight``), checked
    against the indicator set."""
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataSourceError(f"cannot read the weights file {path}: {exc}") from None
    column = next((c for c in WEIGHT_COLUMNS if c in frame.columns), None)
    if "indicator" not in frame.columns or column is None:
        raise InvalidWeights(f"{path.name}: needs columns 'indicator' and 'weight'; it has {', '.join(frame.columns)}")
    try:
        return check_weights(frame.set_index("indicator")[column].astype(float), list(indicator_set.ids))
    except InvalidWeights as exc:
        raise InvalidWeights(f"{path.name}: {exc}") from None


def resolve_weights(run_folder: Path, indicator_set: IndicatorSet, given: str | Path | None = None
                    ) -> tuple[pd.Series, str]:
    """The weights to score with and where they came from: a given file, else the run's
    ``weights/proposal.csv`` (written by the weights step), else the indicator set's defaults."""
    if given is not None:
        return read_weights(given, indicator_set), str(given)
    proposal = declared.path(run_folder, "weights.proposal")
    if proposal.exists():
        return read_weights(proposal, indicator_set), proposal.relative_to(run_folder).as_posix()
    return indicator_set.default_weights(), "indicator_set_default"


def write_scorecard(card: Scorecard, folder: Path, indicator_set: IndicatorSet, *, weights_source: str,
                    key: bytes, lang: str = "en", private: Path | None = None) -> list[Path]:
    """Write the scoring artifacts into ``folder`` (usually ``<run>/scoring``); the per-manager tables,
    which pair IDs with pseudonyms, into ``private`` (in a run ``<run>/private/scoring``; default ``folder``)."""
    folder = Path(folder)
    private = Path(private) if private is not None else folder

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.reset_index() if "manager_id" not in frame.columns else frame.copy()
        out.insert(out.columns.get_loc("manager_id") + 1, "pseudonym",
                   out["manager_id"].map(lambda m: pseudonym(str(m), key)))
        return out

    annual = card.annual
    quarterly = card.quarterly.scores.join(card.period_grades.set_index(["manager_id", "period"])["grade"])
    ranges = card.stability.weights.quantile([0.05, 0.95]).T
    weights = indicator_set.to_frame(lang)[["indicator", "label", "dimension", "dimension_label"]].assign(
        weight=card.weights.to_numpy(), draw_p5=ranges[0.05].to_numpy(), draw_p95=ranges[0.95].to_numpy(),
        source=weights_source,
        rule=[card.rules[i].describe(indicator_set[i].direction) for i in indicator_set.ids])
    grades = annual[["manager_id", "score", "rank", "grade", "coefficient", "bonus", "improvement_plan",
                     "on_boundary"]]
    written = [
        declared.write(private, "scoring.scores", named(annual)),
        declared.write(private, "scoring.grades", named(grades)),
        declared.write(private, "scoring.quarterly", named(quarterly.reset_index())),
        declared.write(private, "scoring.points", named(card.points.reset_index())),
        declared.write(private, "scoring.stability", named(card.stability.managers)),
        declared.write(folder, "scoring.stability_draws", card.stability.draws),
        declared.write(folder, "scoring.comparisons", card.comparisons),
        declared.write(folder, "scoring.weights", weights),
        declared.write(folder, "scoring.grade_distribution", card.distribution()),
    ]
    if card.customer is not None:
        written.append(declared.write(private, "scoring.customer", named(card.customer)))
    if card.reviews is not None:
        written.append(declared.write(private, "scoring.reviews360", named(card.reviews.scores)))
        written.append(declared.write(folder, "scoring.rater_effects", card.reviews.rater_effects))
    written.append(declared.write(folder, "scoring.summary", {**card.summary(), "weights_source": weights_source}))
    return written


def score_run(ctx: RunContext, weights_file: str | Path | None = None) -> tuple[Scorecard, str]:
    """The scorecard of a run and where its weights came from (see :func:`resolve_weights`)."""
    from calibrate.scoring.scorecard import build_scorecard
    from calibrate.scoring.settings import ScoringSettings

    config, ds = ctx.config, ctx.dataset
    settings = ScoringSettings.from_section(config.scoring, ds.indicator_set)
    weights, source = resolve_weights(ctx.folder, ds.indicator_set, weights_file)
    card = build_scorecard(ds, settings, weights, year=config.year or None, seed=config.seed,
                           bonus_base=float(config.targets["bonus_base"]), panel=ctx.panel(),
                           executor=ctx.executor)
    return card, source


def scoring_step(ctx: RunContext) -> list[Path]:
    card, source = score_run(ctx)
    return write_scorecard(card, ctx.path("scoring"), ctx.dataset.indicator_set, weights_source=source,
                           key=ctx.config.pseudonym_key(), lang=ctx.config.lang, private=ctx.path("private/scoring"))


STEP = Step("scoring", "05_scoring", "客户经理评分与评级", "Manager scores and grades", scoring_step)

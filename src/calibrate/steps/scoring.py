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

Ramp allowance (``scoring.ramp_allowance``, :mod:`calibrate.scoring.ramp`): the
attainment indicators (ratios of a column to ``revenue_target``) of new hires
are divided by the expected first-year share before scoring, unless the
company's targets already include the ramp (detected from the targets: then it
would count twice). ``scores.csv`` says per manager which share was used
(``ramp_share``, mean over the scored quarters; 1 = no allowance) and
``summary.json`` how the setting was applied (``ramp_allowance``).

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


def resolve_weights(
    run_folder: Path, indicator_set: IndicatorSet, given: str | Path | None = None
) -> tuple[pd.Series, str]:
    """The weights to score with and where they came from: a given file, else the run's
    ``weights/proposal.csv`` (written by the weights step), else the indicator set's defaults."""
    if given is not None:
        return read_weights(given, indicator_set), str(given)
    proposal = declared.path(run_folder, "weights.proposal")
    if proposal.exists():
        return read_weights(proposal, indicator_set), proposal.relative_to(run_folder).as_posix()
    return indicator_set.default_weights(), "indicator_set_default"


def write_scorecard(
    card: Scorecard,
    folder: Path,
    indicator_set: IndicatorSet,
    *,
    weights_source: str,
    key: bytes,
    lang: str = "en",
    private: Path | None = None,
) -> list[Path]:
    """Write the scoring artifacts into ``folder`` (usually ``<run>/scoring``); the per-manager tables,
    which pair IDs with pseudonyms, into ``private`` (in a run ``<run>/private/scoring``; default ``folder``)."""
    folder = Path(folder)
    private = Path(private) if private is not None else folder

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.reset_index() if "manager_id" not in frame.columns else frame.copy()
        out.insert(
            out.columns.get_loc("manager_id") + 1, "pseudonym", out["manager_id"].map(lambda m: pseudonym(str(m), key))
        )
        return out

    annual = card.annual
    quarterly = card.quarterly.scores.join(card.period_grades.set_index(["manager_id", "period"])["grade"])
    ranges = card.stability.weights.quantile([0.05, 0.95]).T
    weights = indicator_set.to_frame(lang)[["indicator", "label", "dimension", "dimension_label"]].assign(
        weight=card.weights.to_numpy(),
        draw_p5=ranges[0.05].to_numpy(),
        draw_p95=ranges[0.95].to_numpy(),
        source=weights_source,
        rule=[card.rules[i].describe(indicator_set[i].direction) for i in indicator_set.ids],
    )
    grades = annual[["manager_id", "score", "rank", "grade", "coefficient", "bonus", "improvement_plan", "on_boundary"]]
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
    ramp = card.annual.attrs.get("ramp_allowance")
    written.append(
        declared.write(
            folder,
            "scoring.summary",
            {**card.summary(), "weights_source": weights_source, **({"ramp_allowance": ramp} if ramp else {})},
        )
    )
    return written


def attainment_indicators(indicator_set: IndicatorSet) -> list[str]:
    """Indicators measured against the revenue target (ratios over ``revenue_target``)."""
    return [
        i.id
        for i in indicator_set.indicators
        if i.compute_kind == "ratio" and len(i.compute_args) > 1 and i.compute_args[1] == "revenue_target"
    ]


def ramp_adjusted_panel(ctx: RunContext, setting: str | float) -> tuple[pd.DataFrame, dict]:
    """The run's indicator panel with the ramp allowance applied as ``setting`` asks, and what was done."""
    from calibrate.scoring.ramp import scoring_ramp_allowance

    panel, ds = ctx.panel(), ctx.dataset
    indicators = [i for i in attainment_indicators(ds.indicator_set) if i in panel.columns]
    if setting == "off" or not indicators or "tenure_quarters" not in panel.columns:
        out = panel.copy()
        out["ramp_share"] = 1.0
        return out, {
            "setting": setting,
            "applied": False,
            "reason": "off" if setting == "off" else "no_attainment",
            "first_year_share": None,
            "target_ratio": None,
            "rows": 0,
        }
    ramp = None
    if setting == "fitted":
        from calibrate.targets.fit import fit_performance_model

        ramp = fit_performance_model(ds, parameter_uncertainty=False).ramp
    perf = ds.performance.assign(
        manager_id=ds.performance["manager_id"].astype(str), period=ds.performance["period"].astype(str)
    ).set_index(["manager_id", "period"])
    targets = perf["revenue_target"].reindex(panel.index) if "revenue_target" in perf else None
    groups = panel.reset_index()[["period"] + (["level"] if "level" in panel.columns else [])]
    groups.index = panel.index
    adjusted, info = scoring_ramp_allowance(
        panel[indicators], panel["tenure_quarters"], indicators, setting, ramp=ramp, targets=targets, groups=groups
    )
    out = panel.copy()
    out[indicators] = adjusted[indicators]
    out["ramp_share"] = adjusted["ramp_share"]
    return out, info


def score_run(ctx: RunContext, weights_file: str | Path | None = None) -> tuple[Scorecard, str]:
    """The scorecard of a run and where its weights came from (see :func:`resolve_weights`).

    The ramp allowance (``scoring.ramp_allowance``) is applied to the panel first; the
    share used per manager is the ``ramp_share`` column of ``card.annual`` and the
    description ``card.annual.attrs["ramp_allowance"]``."""
    from calibrate.scoring.scorecard import build_scorecard
    from calibrate.scoring.settings import ScoringSettings

    config, ds = ctx.config, ctx.dataset
    settings = ScoringSettings.from_section(config.scoring, ds.indicator_set)
    weights, source = resolve_weights(ctx.folder, ds.indicator_set, weights_file)
    panel, info = ramp_adjusted_panel(ctx, settings.ramp_allowance)
    card = build_scorecard(
        ds,
        settings,
        weights,
        year=config.year or None,
        seed=config.seed,
        bonus_base=float(config.targets["bonus_base"]),
        panel=panel.drop(columns="ramp_share"),
        executor=ctx.executor,
    )
    in_year = panel.index.get_level_values("period").isin(card.periods)
    share = panel.loc[in_year, "ramp_share"].groupby(level="manager_id").mean()
    card.annual["ramp_share"] = card.annual["manager_id"].map(share).fillna(1.0).to_numpy()
    info["managers"] = int((card.annual["ramp_share"] < 1).sum())
    card.annual.attrs["ramp_allowance"] = info
    return card, source


def ramp_text(summary: dict, lang: str) -> str:
    """The report's sentence on the ramp allowance (message catalogue, both languages)."""
    from calibrate.messages import text

    info = summary.get("ramp_allowance") or {}
    reason = info.get("reason", "off")
    share = info.get("first_year_share")
    ratio = info.get("target_ratio")
    return text(
        f"scoring_ramp.{reason}",
        lang,
        managers=info.get("managers", 0),
        share=f"{share:.0%}" if share is not None else "-",
        ratio=f"{ratio:.0%}" if ratio is not None else "-",
    )


def scoring_step(ctx: RunContext) -> list[Path]:
    card, source = score_run(ctx)
    return write_scorecard(
        card,
        ctx.path("scoring"),
        ctx.dataset.indicator_set,
        weights_source=source,
        key=ctx.config.pseudonym_key(),
        lang=ctx.config.lang,
        private=ctx.path("private/scoring"),
    )


STEP = Step("scoring", "05_scoring", scoring_step)

"""The run step ``03_targets``: the target plan and its backtest as artifacts, and what its notebook draws.

Artifacts under ``targets/``; the four per-manager files (marked *) pair real manager IDs with
their keyed pseudonyms and so go to ``private/targets/`` in a run (see :mod:`calibrate.privacy`):

=========================== ==========================================================
plans.csv                   one row per plan: target total, expected share reaching
                            target and its P5/P50/P95, bonus cost P50/P90/P99; the
                            ``data_targets`` row is the backtest year's real targets
calibrated_targets.csv *    per manager: every plan's target and hit probability
manager_probabilities.csv * per plan and manager: probability, attainment quantiles, bonus
regions.csv                 per region: targets and expected shares per plan
share_distribution.csv      per plan: frequency of each number of managers on target
bonus_distribution.csv      per plan: quantiles of the total bonus cost
payout_curve.csv            the payout curve on an attainment grid
model.csv * / ramp.csv    the fitted model per manager; the new-hire ramp
summary.json                settings, team-level estimates, headline numbers
backtest.json               Brier score, shares predicted against realised (or why not run)
reliability.csv             predicted probability bins against observed frequency
backtest_managers.csv *     per manager of the backtest year: target, actual, probability
=========================== ==========================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibrate.config import RunConfig
from calibrate.dataset import Dataset
from calibrate.messages import format as fmt
from calibrate.messages import text as msg
from calibrate.periods import quarter_from_index, quarter_index
from calibrate.privacy import merge_small_groups, pseudonym
from calibrate.steps import artifacts as declared
from calibrate.steps.base import RunContext, Step
from calibrate.targets.backtest import BacktestResult, backtest
from calibrate.targets.fit import InsufficientHistory
from calibrate.targets.plan import (
    PLANS,
    TargetPlan,
    TargetSettings,
    bonus_distribution,
    plan_row,
    share_distribution,
    target_plan,
)

FOLDER = "targets"


def plan_label(plan: str, lang: str = "en") -> str:
    """A plan's short label in the report language (message ``plan_labels.<plan>``)."""
    key = f"plan_labels.{plan}"
    from calibrate.messages import has

    return msg(key, lang) if has(key, lang) else plan


# ---------------------------------------------------------------------------- compute
def review_year(config: RunConfig, ds: Dataset) -> tuple[int, str]:
    """(review year, last quarter used): the config's ``year`` (default the data's last
    year); history after that year is ignored. The plan is for the year after."""
    last = int(quarter_index(ds.performance["period"].astype(str)).max())
    year = int(config.year) if config.year else last // 4
    return year, quarter_from_index(min(last, year * 4 + 3))


def compute_targets(
    config: RunConfig, ds: Dataset, settings: TargetSettings | None = None, *, executor: Any = None
) -> tuple[TargetPlan, BacktestResult | None, str | None]:
    """The plan for the year after the review year and the backtest of the review year.

    Returns (plan, backtest or None, the reason the backtest could not run or None).
    Every Monte Carlo run uses ``config.seed``."""
    settings = settings or TargetSettings.from_config(config.targets)
    year, through = review_year(config, ds)
    workers = executor if executor is not None else 1
    plan = target_plan(ds, settings=settings, seed=config.seed, through=through, workers=workers)
    perf = ds.performance[quarter_index(ds.performance["period"].astype(str)) <= quarter_index([through])[0]]
    try:
        bt = backtest(
            perf,
            ds.managers,
            year=year,
            scenarios=settings.scenarios,
            seed=config.seed,
            heavy_tails=settings.heavy_tails,
            ramp_first_year_share=settings.ramp_first_year_share,
            payout=settings.payout,
            bonus_base=settings.bonus_base,
            workers=workers,
            parameter_uncertainty=settings.parameter_uncertainty,
        )
    except InsufficientHistory as exc:
        return plan, None, str(exc)
    return plan, bt, None


def write_target_artifacts(
    plan: TargetPlan,
    bt: BacktestResult | None,
    folder: Path,
    *,
    key: bytes,
    backtest_reason: str | None = None,
    private: Path | None = None,
) -> list[Path]:
    """Write the artifacts listed in the module docstring into ``folder`` (the per-manager ones
    pairing IDs with pseudonyms into ``private``, default ``folder``); returns their paths."""
    folder = Path(folder)
    private = Path(private) if private is not None else folder
    results = dict(plan.results)
    rows = [
        plan_row(
            name,
            r,
            year=plan.year,
            median_total=float(plan.fit.model.median.sum()),
            last_year=plan.fit.to_frame()["last_year_actual"].to_numpy(dtype=float),
        )
        for name, r in results.items()
    ]
    for row in rows:
        row["realised_share"] = np.nan
    if bt is not None:
        row = plan_row("data_targets", bt.attainment, year=bt.year, median_total=float(bt.fit.model.median.sum()))
        row["realised_share"] = bt.realised_share
        rows.append(row)
        results["data_targets"] = bt.attainment
    plans = pd.DataFrame(rows)

    def with_pseudonym(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out.insert(
            out.columns.get_loc("manager_id") + 1, "pseudonym", [pseudonym(str(m), key) for m in out["manager_id"]]
        )
        return out

    if bt is not None:
        bt_json = bt.to_dict()
        reliability = bt.reliability
        bt_managers = with_pseudonym(bt.managers)
    else:
        bt_json = {"available": False, "reason": backtest_reason or "not run"}
        reliability = pd.DataFrame(
            columns=["bin", "lower", "upper", "managers", "mean_predicted", "observed", "observed_low", "observed_high"]
        )
        bt_managers = pd.DataFrame(
            columns=["manager_id", "pseudonym", "region", "target", "actual", "attainment", "hit", "probability"]
        )
    ramp = plan.fit.ramp.to_frame()
    return [
        declared.write(folder, "targets.plans", plans),
        declared.write(private, "targets.calibrated_targets", with_pseudonym(plan.managers)),
        declared.write(private, "targets.manager_probabilities", with_pseudonym(plan.probabilities())),
        declared.write(folder, "targets.regions", plan.regions()),
        declared.write(folder, "targets.share_distribution", share_distribution(results)),
        declared.write(folder, "targets.bonus_distribution", bonus_distribution(results)),
        declared.write(folder, "targets.payout_curve", plan.payout_curve()),
        declared.write(private, "targets.model", with_pseudonym(plan.fit.to_frame())),
        declared.write(folder, "targets.ramp", ramp),
        declared.write(folder, "targets.summary", plan.to_dict()),
        declared.write(folder, "targets.backtest", bt_json),
        declared.write(folder, "targets.reliability", reliability),
        declared.write(private, "targets.backtest_managers", bt_managers),
    ]


def targets_step(ctx: RunContext) -> list[Path]:
    """Compute the plan and backtest with the run's config and write them under ``targets/``."""
    plan, bt, reason = compute_targets(ctx.config, ctx.dataset, executor=ctx.executor)
    return write_target_artifacts(
        plan,
        bt,
        ctx.path(FOLDER),
        key=ctx.config.pseudonym_key(),
        backtest_reason=reason,
        private=ctx.path(f"private/{FOLDER}"),
    )


STEP = Step("targets", "03_targets", targets_step)


# ---------------------------------------------------------------------------- tables for reports
def notes_text(notes: list[str], lang: str, key: str = "targets_report.notes") -> str:
    """The model's technical notes (written in English by the method layer): verbatim on an English
    page; on a Chinese page their count and where to read them (``<key>_elsewhere``)."""
    if lang == "en":
        return msg(key, lang, notes=" ".join(notes))
    return msg(f"{key}_elsewhere", lang, count=len(notes))


def plans_table(plans: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The plan table formatted for a report: labels, percentages, rounded money."""
    t = lambda key, **v: msg(f"targets.{key}", lang, **v)  # noqa: E731
    pct = lambda v: "" if pd.isna(v) else f"{100 * v:.1f}%"  # noqa: E731
    money = lambda v: "" if pd.isna(v) else f"{v:,.0f}"  # noqa: E731
    return pd.DataFrame(
        {
            t("plan"): [plan_label(p, lang) for p in plans["plan"]],
            t("year"): plans["year"].astype(int).astype(str),
            t("target_total"): plans["target_total"].map(money),
            t("vs_last_year"): plans["growth_vs_last_year"].map(lambda v: "" if pd.isna(v) else f"{100 * v:+.1f}%"),
            t("expected_share_on_target"): plans["expected_share"].map(pct),
            t("share_p5_p95"): [f"{pct(a)} – {pct(b)}" for a, b in zip(plans["share_p5"], plans["share_p95"])],
            t("realised_share"): plans.get("realised_share", pd.Series(np.nan, index=plans.index)).map(pct),
            t("bonus_p50"): plans["bonus_p50"].map(money),
            t("bonus_p90"): plans["bonus_p90"].map(money),
            t("bonus_p99"): plans["bonus_p99"].map(money),
        }
    )


def small_group_label(lang: str, min_group: int) -> str:
    return msg("targets_page.small_group_label", lang, min_group=min_group)


def regions_table(regions: pd.DataFrame, lang: str = "en", *, min_group: int = 5) -> pd.DataFrame:
    """Targets and expected shares per region, formatted; regions with fewer than ``min_group``
    managers are merged into one row (blank when even that row is too small), see :func:`small_groups_note`."""
    t = lambda key, **v: msg(f"targets.{key}", lang, **v)  # noqa: E731
    sums = ("new_hires", "last_year_actual", "median") + tuple(f"{p}_target" for p in PLANS)
    regions, merged = merge_small_groups(
        regions,
        group="region",
        size="managers",
        min_size=min_group,
        other=small_group_label(lang, min_group),
        sums=sums,
        weighted=tuple(f"{p}_share" for p in PLANS),
    )
    if merged:
        regions = regions.astype({c: float for c in regions.columns if c not in ("region", "managers")})
    out = pd.DataFrame(
        {
            t("region"): regions["region"],
            t("managers"): regions["managers"],
            t("new_hires"): regions["new_hires"],
            t("last_year"): regions["last_year_actual"].round(0),
            t("median_forecast"): regions["median"].round(0),
        }
    )
    for plan in PLANS:
        if f"{plan}_target" in regions:
            out[f"{plan_label(plan, lang)}: " + t("target")] = regions[f"{plan}_target"].round(0)
            out[f"{plan_label(plan, lang)}: " + t("share")] = regions[f"{plan}_share"].map(lambda v: fmt.percent(v, 1))
    return out


def small_groups_note(regions: pd.DataFrame, lang: str = "en", *, min_group: int = 5) -> str:
    """The sentence a report shows under region tables when small regions were merged ('' when none)."""
    small = regions.loc[regions["managers"] < min_group, "region"].tolist()
    if not small:
        return ""
    return msg("targets_page.small_groups_note", lang, min_group=min_group, regions=len(small))


def managers_table(
    calibrated: pd.DataFrame,
    lang: str = "en",
    *,
    pseudonymise: bool = True,
    n: int = 8,
    plan: str = "current",
    min_group: int = 5,
) -> pd.DataFrame:
    """The ``n`` managers least and most likely to reach the ``plan`` target, with their
    equal-difficulty and allocated targets; pseudonymised IDs when asked (names never shown).
    The region of a manager whose region has fewer than ``min_group`` managers is not shown."""
    t = lambda key, **v: msg(f"targets.{key}", lang, **v)  # noqa: E731
    sizes = calibrated["region"].map(calibrated["region"].value_counts())
    calibrated = calibrated.assign(
        region=calibrated["region"].where(sizes >= min_group, small_group_label(lang, min_group))
    )
    frame = calibrated.sort_values([f"{plan}_probability", "manager_id"])
    frame = pd.concat([frame.head(n), frame.tail(n)]) if len(frame) > 2 * n else frame
    ids = frame["pseudonym"] if pseudonymise else frame["manager_id"]
    out = pd.DataFrame(
        {
            t("manager"): ids.to_numpy(),
            t("region"): frame["region"].to_numpy(),
            t("last_year"): [fmt.number(v, lang=lang, missing="new_hire") for v in frame["last_year_actual"]],
            t("current_target"): frame[f"{plan}_target"].round(0).to_numpy(),
            t("probability"): frame[f"{plan}_probability"].to_numpy(),
        }
    )  # share 0-1
    for other in ("equal_difficulty", "allocated"):
        if f"{other}_target" in frame:
            out[plan_label(other, lang)] = frame[f"{other}_target"].round(0).to_numpy()
    return out


# ---------------------------------------------------------------------------- charts
def plot_share_distribution(distribution: pd.DataFrame, plans: pd.DataFrame, lang: str = "en", ax: Any = None):
    """Probability of each share of managers reaching target, one line per plan, with the
    expected share marked (and the realised share of the backtest year)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    for k, (name, d) in enumerate(distribution.groupby("plan", sort=False)):
        color = f"C{k}"
        binned = d.groupby(np.floor(100 * d["share"]))["probability"].sum()  # 1-point bins of the share
        ax.plot(binned.index + 0.5, binned.to_numpy(), color=color, drawstyle="steps-mid", label=plan_label(name, lang))
        row = plans[plans["plan"] == name]
        if len(row):
            ax.axvline(100 * float(row["expected_share"].iloc[0]), color=color, linestyle=":", linewidth=1)
            realised = row["realised_share"].iloc[0] if "realised_share" in row else np.nan
            if pd.notna(realised):
                ax.axvline(
                    100 * float(realised),
                    color=color,
                    linestyle="-",
                    linewidth=2,
                    alpha=0.6,
                    label=msg("targets.realised_share_backtest_year", lang),
                )
    ax.set_xlabel(msg("targets.managers_reaching_target", lang))
    ax.set_ylabel(msg("targets.probability_per_1_point_bin", lang))
    ax.legend(fontsize=8)
    return ax


def plot_probability_histogram(
    calibrated: pd.DataFrame, lang: str = "en", probability: float | None = None, ax: Any = None
):
    """Histogram of the managers' hit probabilities under the current plan and one growth
    rate for all; the equal-difficulty probability is the dashed line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    bins = np.linspace(0, 1, 21)
    for k, plan in enumerate(("current", "uniform_growth")):
        if f"{plan}_probability" in calibrated:
            ax.hist(
                calibrated[f"{plan}_probability"], bins=bins, alpha=0.55, color=f"C{k}", label=plan_label(plan, lang)
            )
    if probability is not None:
        ax.axvline(
            probability, color="black", linestyle="--", linewidth=1.5, label=plan_label("equal_difficulty", lang)
        )
    ax.set_xlabel(msg("targets.probability_of_reaching_target", lang))
    ax.set_ylabel(msg("targets.managers_3", lang))
    ax.legend(fontsize=8)
    return ax


def plot_payout_and_cost(curve: pd.DataFrame, bonus: pd.DataFrame, plans: pd.DataFrame, lang: str = "en"):
    """Left: the payout curve (coefficient by attainment). Right: the distribution of the
    total bonus cost per plan (cumulative), with the target bonus pool."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(100 * curve["attainment"], curve["coefficient"], color="C0", linewidth=2)
    left.axvline(100, color="#7f7f7f", linestyle=":", linewidth=1)
    left.set_xlabel(msg("targets.attainment", lang))
    left.set_ylabel(msg("targets.bonus_coefficient", lang))
    left.set_title(msg("targets.payout_curve", lang))
    for k, (name, d) in enumerate(bonus.groupby("plan", sort=False)):
        right.plot(d["cost"], d["level"], color=f"C{k}", label=plan_label(name, lang))
    pool = plans.loc[plans["plan"] != "data_targets", "bonus_target_pool"]
    if len(pool):
        right.axvline(
            float(pool.iloc[0]),
            color="black",
            linestyle="--",
            linewidth=1,
            label=msg("targets.target_bonus_pool", lang),
        )
    right.set_xlabel(msg("targets.total_bonus_cost", lang))
    right.set_ylabel(msg("targets.cumulative_probability", lang))
    right.set_title(msg("targets.bonus_cost_distribution", lang))
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_reliability(reliability: pd.DataFrame, lang: str = "en", ax: Any = None):
    """Reliability diagram: observed share reaching target (95% Wilson interval) against the
    mean predicted probability per bin, point size by managers; the diagonal is perfect."""
    import matplotlib.pyplot as plt

    t = reliability[reliability["managers"] > 0]
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.plot(
        [0, 1], [0, 1], color="#7f7f7f", linestyle="--", linewidth=1, label=msg("targets.perfectly_calibrated", lang)
    )
    ax.errorbar(
        t["mean_predicted"],
        t["observed"],
        yerr=[t["observed"] - t["observed_low"], t["observed_high"] - t["observed"]],
        fmt="none",
        ecolor="C0",
        alpha=0.5,
        capsize=3,
    )
    ax.scatter(
        t["mean_predicted"],
        t["observed"],
        s=20 + 4 * t["managers"],
        color="C0",
        zorder=3,
        label=msg("targets.bins_size_managers", lang),
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(msg("targets.predicted_probability_of_reaching_target", lang))
    ax.set_ylabel(msg("targets.observed_share_reaching_target", lang))
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_ramp(ramp: pd.DataFrame, lang: str = "en", ax: Any = None):
    """New hires' revenue as a share of a veteran's by tenure quarter: observed ratios and the curve used."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(ramp["tenure_quarter"], 100 * ramp["share"], color="C0", label=msg("targets.curve_used", lang))
    seen = ramp[ramp["observations"] > 0]
    if len(seen):
        ax.scatter(
            seen["tenure_quarter"],
            100 * seen["observed_share"],
            s=10 + seen["observations"],
            color="C1",
            zorder=3,
            label=msg("targets.data_size_observations", lang),
        )
    ax.set_ylim(0, 110)
    ax.set_xlabel(msg("targets.tenure_quarter_0_first", lang))
    ax.set_ylabel(msg("targets.revenue_vs_veterans", lang))
    ax.legend(fontsize=8)
    return ax


def model_table(fit: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    """The team-level estimates of the performance model (``summary.json["fit"]``) as a two-column table."""
    t = lambda key, **v: msg(f"targets.{key}", lang, **v)  # noqa: E731
    df = fit.get("annual_df")
    rows = [
        (t("history_used"), f"{fit['first_quarter']} – {fit['last_quarter']}"),
        (t("seasonal_factors_q1_q4"), " / ".join(f"{100 * np.expm1(v):+.1f}%" for v in fit["season"].values())),
        (t("team_mean_annual_growth_log"), f"{100 * fit['growth_mean']:.1f}%"),
        (t("spread_of_growth_between_managers_sd"), f"{100 * fit['growth_between_sd']:.1f}%"),
        (t("mean_shrinkage_toward_the_team_mean"), f"{fit['mean_shrinkage']:.2f}"),
        (t("own_quarterly_noise_sd"), f"{100 * fit['quarterly_sd']:.1f}%"),
        (t("regional_quarterly_shock_sd"), f"{100 * fit['region_sd_quarterly']:.1f}%"),
        (t("annual_tails_t_degrees_of_freedom"), t("normal") if df is None else f"{df:.1f}"),
        (
            t("new_hires_first_year_share_of"),
            f"{100 * fit['ramp_first_year_share']:.0f}% ({t('ramp_source_' + str(fit['ramp_source']))})",
        ),
    ]
    return pd.DataFrame(rows, columns=[t("estimate"), t("value")])


def backtest_table(bt: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    """Backtest scores (``backtest.json``) as a two-column table."""
    t = lambda key, **v: msg(f"targets.{key}", lang, **v)  # noqa: E731
    rows = [
        (t("year_predicted"), str(bt["year"])),
        (t("history_used_for_the_fit"), f"{bt['fit_first_quarter']} – {bt['fit_last_quarter']}"),
        (t("managers_2"), str(bt["managers"])),
        (
            t("predicted_share_on_target_p5_p95"),
            f"{100 * bt['expected_share']:.1f}% ({100 * bt['share_p5']:.1f}% – {100 * bt['share_p95']:.1f}%)",
        ),
        (t("realised_share_on_target"), f"{100 * bt['realised_share']:.1f}%"),
        (t("brier_score_lower_is_better"), f"{bt['brier']:.3f}"),
        (t("brier_skill_vs_the_overall_rate"), f"{bt['brier_skill']:.2f}"),
        (t("mean_predicted_probability_managers_who"), f"{bt['mean_probability_hit']:.2f}"),
        (t("mean_predicted_probability_managers_who_2"), f"{bt['mean_probability_missed']:.2f}"),
    ]
    return pd.DataFrame(rows, columns=[t("measure"), t("value")])

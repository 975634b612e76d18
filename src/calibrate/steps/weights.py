"""The weights step of a run: compute the proposal, write its artifacts, and draw them for notebook 02_weights.

Artifacts (under ``weights/`` in the run folder; CSV/JSON byte-identical for
the same config and data):

=====================  ==========================================================
``proposal.csv``       indicator, label, dimension, weight, ci_low, ci_high,
                       last_year, change, data_source, review_period, binding
                       (+ localised dimension, source and period labels)
``blend.csv``          target, each source's contribution, adjustment, binding
``methods.csv``        every method's weights side by side, with last year's
``methods_ci.csv``     bootstrap mean, SD and percentile interval per method
``regressions.csv``    coefficients of every model with Wald and bootstrap CIs
``regression_fit.csv`` n, managers, R^2 (or its analogue), controls per model
``ahp.csv``            per expert (and the AIJ aggregate): CR, flag, worst judgment
``ahp_priorities.csv`` every expert's priorities and the aggregates
``diagnostics.csv``    VIF per indicator and model
``warnings.csv``       every warning (source, message)
``residuals.parquet``  fitted values and residuals per model (pseudonymised IDs)
``summary.json``       settings, sizes, seed, bootstrap count
``weights.xlsx``       the tables formatted for HR (see :mod:`.excel`)
=====================  ==========================================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.messages import text as msg
from calibrate.steps import artifacts as declared
from calibrate.steps.base import RunContext, Step
from calibrate.steps.weights_workbook import header, localise, localise_codes, write_weights_workbook
from calibrate.weights.proposal import WeightProposal, propose_from_config

__all__ = [
    "weights_step",
    "write_weight_artifacts",
    "ahp_frame",
    "display_table",
    "plot_methods",
    "plot_proposal",
    "plot_ahp_consistency",
    "plot_residuals",
    "plot_effects",
    "model_label",
]

MODELS = ("growth_ols", "growth_mixed", "retention_glm")


def model_label(model: str, lang: str) -> str:
    """A regression model's title in the page language (``weights_report.model_<id>``)."""
    key = f"weights_report.model_{model}"
    return msg(key, lang) if key in _catalogue_keys(lang) else model


_METHOD_ORDER = ("last_year", "equal", "entropy", "critic", "ahp", "evidence", "proposal")


def weights_step(ctx: RunContext) -> list[Path]:
    """Compute the proposal from the run config and write every artifact under ``weights/``."""
    cfg = ctx.config
    result = propose_from_config(ctx.dataset, cfg, panel=ctx.panel(), executor=ctx.executor)
    ctx.cache["weights"] = result
    return write_weight_artifacts(
        result,
        ctx.path("weights"),
        lang=cfg.lang,
        pseudonymise=cfg.pseudonymise,
        key=cfg.pseudonym_key() if cfg.pseudonymise else None,
        history=_earlier_weights(ctx),
    )


def with_code_labels(proposal: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The proposal with the words for its data-source and review-period codes (``workbook.source_<code>``,
    ``workbook.period_<code>``) after the dimension label; a code without words is shown as it is."""
    out = proposal.copy()
    where = list(out.columns).index("dimension_label") + 1 if "dimension_label" in out else len(out.columns)
    words = lambda key, code: msg(key, lang) if key in _catalogue_keys(lang) else code  # noqa: E731
    out.insert(where, "data_source_label", [words(f"workbook.source_{c}", c) for c in out["data_source"]])
    out.insert(where + 1, "review_period_label", [words(f"workbook.period_{c}", c) for c in out["review_period"]])
    return out


def _earlier_weights(ctx: RunContext) -> pd.DataFrame:
    """The proposed weights of the earlier runs of the chain (``previous_run``), oldest first: year, indicator,
    weight; empty for a run that names no previous run."""
    from calibrate.steps.cycle import previous_run_folder, weights_chain

    if previous_run_folder(ctx.config) is None:
        return pd.DataFrame(columns=["year", "indicator", "weight"])
    chain = weights_chain(ctx.folder, ctx.config)
    this = (chain["run"] == ctx.config.run_name) & (chain["year"] == ctx.config.year)
    return chain.loc[~this, ["year", "indicator", "weight"]].reset_index(drop=True)


def ahp_frame(result: WeightProposal) -> pd.DataFrame:
    """Per expert and for the AIJ aggregate: weight, CR, consistent, the judgment to revisit first."""
    if result.ahp is None:
        return pd.DataFrame(
            columns=[
                "expert",
                "weight",
                "consistency_ratio",
                "consistent",
                "worst_pair",
                "worst_value",
                "consistent_value",
                "suggested_value",
            ]
        )
    frame = result.ahp.consistency_frame()
    aij = result.ahp.aij
    worst = aij.worst_judgment
    frame.loc[len(frame)] = {
        "expert": "aggregate (AIJ)",
        "weight": 1.0,
        "consistency_ratio": aij.consistency_ratio,
        "consistent": aij.consistent,
        "worst_pair": f"{worst.row}/{worst.col}" if worst else None,
        "worst_value": worst.value if worst else np.nan,
        "consistent_value": worst.consistent_value if worst else np.nan,
        "suggested_value": worst.suggested_value if worst else np.nan,
    }
    return frame


def write_weight_artifacts(
    result: WeightProposal,
    folder: Path,
    *,
    lang: str = "zh",
    pseudonymise: bool = True,
    key: bytes | None = None,
    history: pd.DataFrame | None = None,
) -> list[Path]:
    """Write the weights artifacts (see the module docstring) into ``folder``; returns the paths.

    ``history``: the earlier runs' proposed weights (year, indicator, weight), kept in ``summary.json`` as
    ``weight_history`` so that the report can show an indicator's trend across years."""
    folder = Path(folder)
    proposal = with_code_labels(result.to_frame(lang), lang)
    labels = proposal.set_index("indicator")["label"]
    methods = result.methods_frame()
    methods.insert(1, "label", methods["indicator"].map(labels))
    blend = result.blend.to_frame()
    blend.insert(1, "label", blend["indicator"].map(labels))
    regressions = result.regression_frame()
    fit = result.regressions.fit_frame() if result.regressions is not None else pd.DataFrame()
    diagnostics = result.regressions.vif_frame() if result.regressions is not None else pd.DataFrame()
    residuals = (
        _residual_table(result.regressions.results, pseudonymise, key)
        if result.regressions is not None
        else pd.DataFrame(columns=["manager_id", "period", "fitted", "residual", "model"])
    )
    ahp = ahp_frame(result)
    ahp_priorities = result.ahp.to_frame() if result.ahp is not None else pd.DataFrame()
    warn = result.warnings_frame()
    methods_ci = (
        result.bootstrap.to_frame()
        if result.bootstrap is not None
        else pd.DataFrame(columns=["method", "indicator", "boot_mean", "boot_sd", "ci_low", "ci_high", "resamples"])
    )
    paths = [
        declared.write(folder, "weights.proposal", proposal),
        declared.write(folder, "weights.blend", blend),
        declared.write(folder, "weights.methods", methods),
        declared.write(folder, "weights.methods_ci", methods_ci),
        declared.write(folder, "weights.regressions", regressions),
        declared.write(folder, "weights.regression_fit", fit),
        declared.write(folder, "weights.ahp", ahp),
        declared.write(folder, "weights.ahp_priorities", ahp_priorities),
        declared.write(folder, "weights.diagnostics", diagnostics),
        declared.write(folder, "weights.warnings", warn),
        declared.write(folder, "weights.residuals", residuals),
        declared.write(folder, "weights.summary", _summary(result, history)),
    ]
    tables = {
        "proposal": proposal[
            [
                "indicator",
                "label",
                "dimension_label",
                "weight",
                "ci_low",
                "ci_high",
                "last_year",
                "change",
                "data_source_label",
                "review_period_label",
                "binding",
            ]
        ],
        "blend": blend,
        "methods": methods,
        "regressions": regressions,
        "fit": fit,
        "ahp": ahp,
        "diagnostics": diagnostics,
        "warnings": warn,
    }
    paths.append(write_weights_workbook(tables, declared.in_folder(folder, "weights.workbook"), lang=lang))
    return paths


def _residual_table(results, pseudonymise: bool, key: bytes | None):
    """Every model's residuals (column ``model``) as one Arrow table, built model by model.

    The same file as the pandas concatenation of the models' frames with a fresh 0..n-1 index, without
    holding that concatenation and its pseudonymised copy beside the Arrow table (3.2M rows at
    100,000 managers, issue 18): each model's rows are pseudonymised and converted on their own.
    """
    import pyarrow as pa

    from calibrate.privacy import pseudonymise as pseudo

    pieces, start = [], 0
    for r in results:
        frame = r.residuals.assign(model=r.model)
        if pseudonymise and len(frame):
            frame = pseudo(frame, key)
        frame.index = pd.RangeIndex(start, start + len(frame))
        start += len(frame)
        pieces.append(pa.Table.from_pandas(frame, preserve_index=True))
        del frame
    return pa.concat_tables(pieces)


def _summary(result: WeightProposal, history: pd.DataFrame | None = None) -> dict:
    s = result.settings
    earlier: dict[str, list[list]] = {}
    if history is not None and len(history):
        for r in history.itertuples(index=False):
            year = None if pd.isna(r.year) else int(r.year)
            earlier.setdefault(str(r.indicator), []).append([year, round(float(r.weight), 10)])
    out = {
        "weight_floor": s.weight_floor,
        "weight_history": earlier,
        "indicator_set": result.indicator_set.name,
        "indicators": list(result.indicator_set.ids),
        "shares": dict(s.shares),
        "evidence_shares": dict(s.evidence_shares),
        "baseline": s.baseline,
        "max_change": s.max_change,
        "controls": list(s.controls),
        "methods": list(s.methods),
        "ci_level": s.ci_level,
        "seed": result.seed,
        "bootstrap": {
            "resamples": result.bootstrap.resamples if result.bootstrap else 0,
            "failed": result.bootstrap.failed if result.bootstrap else 0,
        },
        "profile_managers": int(len(result.profile)),
        "distance_to_target": round(result.blend.distance, 10),
        "binding": {k: v for k, v in result.blend.binding.items() if v},
        "warnings": len(result.warnings),
    }
    if result.regressions is not None:
        out["models"] = {
            r.model: {
                "n": r.n,
                "managers": r.n_managers,
                "r_squared": round(r.r_squared, 10),
                "r_squared_kind": r.r_squared_kind,
            }
            for r in result.regressions.results
        }
        out["r_squared_indicators_revenue"] = round(result.evidence.r_squared_revenue, 10)
    if result.ahp is not None:
        out["ahp"] = {
            "experts": len(result.ahp.experts),
            "inconsistent": [e for e, r in result.ahp.experts.items() if not r.consistent],
            "aggregate_cr": round(result.ahp.aij.consistency_ratio, 10),
        }
    return out


# --------------------------------------------------------------------------- notebook helpers


def display_table(
    frame: pd.DataFrame, lang: str, *, percent: tuple[str, ...] = (), digits: int = 4, drop: tuple[str, ...] = ()
):
    """A styled table for the report: localised headers, percentages, rounded numbers, no index."""
    frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    fmt = {}
    for c in frame.columns:
        if c in percent:
            fmt[header(c, lang)] = "{:.1%}"
        elif pd.api.types.is_float_dtype(frame[c]):
            fmt[header(c, lang)] = lambda v, d=digits: _significant(v, d)
        elif pd.api.types.is_bool_dtype(frame[c]):
            fmt[header(c, lang)] = lambda v: msg("format.yes_word" if v else "format.no_word", lang)
    return (
        localise(localise_codes(frame, lang), lang)
        .style.format(fmt, na_rep="–", escape="html")
        .format_index(escape="html", axis=1)
        .hide(axis="index")
    )


def _significant(value: float, digits: int) -> str:
    """``digits`` significant digits without exponent notation (tiny values print as 0.0000)."""
    if pd.isna(value):
        return "–"
    shown = f"{value:.{digits}g}"
    return f"{value:.{digits}f}" if "e" in shown else shown


def intro(summary: dict, lang: str) -> str:
    """What the proposal blends and within which rules (``weights_report.intro*``)."""
    from calibrate.messages import format as fmt

    t = lambda key, **v: msg(f"weights_report.{key}", lang, **v)  # noqa: E731
    shares, ev, cap, boot = (
        summary["shares"],
        summary["evidence_shares"],
        summary["max_change"],
        summary["bootstrap"]["resamples"],
    )
    out = t(
        "intro",
        evidence=fmt.percent(shares.get("evidence", 0)),
        revenue=fmt.percent(ev["revenue_growth"]),
        retention=fmt.percent(ev["retention"]),
        ahp=fmt.percent(shares.get("ahp", 0)),
        baseline=t(f"baseline_{summary['baseline']}"),
        baseline_share=fmt.percent(shares.get("baseline", 0)),
    )
    out += t("intro_cap", cap=fmt.percent(cap)) if cap is not None else t("intro_no_cap")
    if boot:
        out += t("intro_boot", level=fmt.percent(summary["ci_level"]), resamples=fmt.number(boot))
    return out


def floor_text(proposal: pd.DataFrame, summary: dict, lang: str) -> str:
    """Indicators whose proposed weight falls below the weight floor (``weights.weight_floor``), each with its
    trend across years: the earlier runs' proposals (``weight_history``), last year's weight and the proposal."""
    from calibrate.messages import format as fmt
    from calibrate.plotting import escape

    t = lambda key, **v: msg(f"weights_report.{key}", lang, **v)  # noqa: E731
    floor = float(summary.get("weight_floor", 0.05))
    history = summary.get("weight_history") or {}
    below = proposal[proposal["weight"].astype(float) < floor - 1e-9]
    if not len(below):
        return t("floor_none", floor=fmt.percent(floor))
    lines = [t("floor_intro", floor=fmt.percent(floor))]
    for r in below.itertuples(index=False):
        steps = [
            t("trend_year", weight=fmt.percent(w), year=y) if y is not None else fmt.percent(w)
            for y, w in history.get(r.indicator, [])
        ]
        if not history.get(r.indicator) and not pd.isna(r.last_year):
            steps.append(t("trend_last_year", weight=fmt.percent(r.last_year)))
        steps.append(t("trend_proposed", weight=fmt.percent(r.weight)))
        lines.append(t("floor_item", label=escape(r.label), trend=" → ".join(steps)))
    return "\n".join(lines)


def fit_table(fit: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The regressions' fit (model, outcome, n, managers, R², its kind, controls) with words for codes."""
    t = lambda key: msg(f"weights_report.{key}", lang)  # noqa: E731
    out = fit[["model", "outcome", "n", "managers", "r_squared", "r_squared_kind", "controls"]].copy()
    kinds = {"R²": "r2_plain", "marginal R²": "r2_marginal", "deviance explained": "r2_deviance"}
    out["r_squared_kind"] = [t(kinds[k]) if k in kinds else k for k in out["r_squared_kind"]]
    out["controls"] = [
        t("list_sep").join(t(f"control_{c}") for c in str(v).split("+"))
        if isinstance(v, str) and v
        else t("control_none")
        for v in out["controls"]
    ]
    return out


def ahp_table(ahp: pd.DataFrame, labels: pd.Series, lang: str) -> pd.DataFrame:
    """Per expert: weight, CR, consistent, the judgment to revisit (indicator labels, not ids)."""
    out = ahp.copy()
    out["expert"] = [msg("weights_report.aggregate", lang) if "aggregate" in str(e) else e for e in out["expert"]]
    out["worst_pair"] = [
        " / ".join(str(labels.get(i, i)) for i in str(p).split("/")) if isinstance(p, str) else p
        for p in out["worst_pair"]
    ]
    if "consistent" in out:
        out["consistent"] = out["consistent"].astype(bool)
    return out


def warnings_text(warnings: pd.DataFrame, lang: str, proposal: pd.DataFrame | None = None) -> str:
    """The method layer's warnings in the page language: each rendered from its ``code`` and ``params``
    through ``method_warnings.<code>``, indicator and dimension ids replaced by their labels (from
    ``proposal``), models and outcomes by their words; a warning without a known code is counted by
    the part of the analysis it comes from, never shown in another language."""
    import json

    from calibrate.plotting import escape

    if not len(warnings):
        return msg("weights_report.no_warnings", lang)
    keys = _catalogue_keys(lang)
    names: dict[str, str] = {}
    if proposal is not None:
        names.update(zip(proposal["dimension"].astype(str), proposal["dimension_label"].astype(str)))
        names.update(zip(proposal["indicator"].astype(str), proposal["label"].astype(str)))
    words = lambda key, code: msg(key, lang) if key in keys else code  # noqa: E731
    lines, unknown = [], []
    for row in warnings.itertuples(index=False):
        code = getattr(row, "code", None)
        key = f"method_warnings.{code}"
        if not isinstance(code, str) or key not in keys:
            unknown.append(row.source)
            continue
        params = json.loads(row.params) if isinstance(getattr(row, "params", None), str) else {}
        shown = dict(params)
        if "indicator" in params:
            shown["indicator"] = names.get(params["indicator"], params["indicator"])
        if "indicators" in params:
            shown["indicators"] = msg("weights_report.list_sep", lang).join(
                names.get(i, i) for i in params["indicators"]
            )
        for name in ("model", "outcome"):
            if name in params:
                shown[name] = words(f"workbook.code_{params[name]}", params[name])
        if "better" in params:
            shown["better"] = words(f"method_warnings.better_{params['better']}", params["better"])
        if "group" in params:
            shown["group"] = (
                msg("method_warnings.goal", lang)
                if params["group"] == "goal"
                else names.get(params["group"], params["group"])
            )
        for name in ("row", "col"):
            if name in params:
                shown[name] = names.get(params[name], params[name])
        shown = {k: escape(v) if isinstance(v, str) else v for k, v in shown.items()}  # words from data: inert
        lines.append("- " + msg(key, lang, **shown))
    if unknown:
        counts = pd.Series(unknown).value_counts(sort=False)
        parts = msg("weights_report.list_sep", lang).join(
            msg("weights_report.warning_count", lang, source=words(f"weights_report.source_{s}", s), count=n)
            for s, n in counts.items()
        )
        lines.append(msg("weights_report.warnings_elsewhere", lang, parts=parts))
    return "\n".join(lines)


def _catalogue_keys(lang: str) -> set[str]:
    from calibrate.messages import catalogue

    return set(catalogue(lang))


def plot_methods(methods: pd.DataFrame, lang: str, *, columns: tuple[str, ...] = _METHOD_ORDER):
    """Grouped bars: each method's weight per indicator, last year's first and the proposal last."""
    import matplotlib.pyplot as plt

    cols = [c for c in columns if c in methods.columns]
    labels = methods["label"] if "label" in methods else methods["indicator"]
    fig, ax = plt.subplots(figsize=(11, 4.8))
    n = len(cols)
    width = 0.8 / n
    x = np.arange(len(methods))
    for k, c in enumerate(cols):
        style = {"edgecolor": "black", "linewidth": 1.2} if c == "proposal" else {}
        ax.bar(x + (k - (n - 1) / 2) * width, methods[c].to_numpy(dtype=float), width, label=header(c, lang), **style)
    top = float(np.nanmax(methods[cols].to_numpy(dtype=float)))
    ax.set_ylim(0, top * 1.3)  # room for the legend above the bars
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel(msg("weights_charts.weight", lang))
    ax.set_title(msg("weights_charts.weights_by_method_with_last_year", lang))
    ax.legend(ncol=min(n, 4), fontsize=9, frameon=False)
    fig.tight_layout()
    return fig


def plot_proposal(proposal: pd.DataFrame, lang: str):
    """Proposed weights with their bootstrap interval, and last year's weight as a marker."""
    import matplotlib.pyplot as plt

    frame = proposal.iloc[::-1]
    y = np.arange(len(frame))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(frame) + 1.2))
    ax.barh(y, frame["weight"], color="#1f4e79", alpha=0.85, label=msg("weights_charts.proposed_weight", lang))
    if frame["ci_low"].notna().any():
        err = np.vstack([frame["weight"] - frame["ci_low"], frame["ci_high"] - frame["weight"]])
        ax.errorbar(
            frame["weight"],
            y,
            xerr=np.clip(err, 0, None),
            fmt="none",
            ecolor="black",
            capsize=3,
            label=msg("weights_charts.bootstrap_interval", lang),
        )
    ax.scatter(
        frame["last_year"], y, marker="D", color="#c0504d", zorder=3, label=msg("weights_charts.last_year", lang)
    )
    ax.set_yticks(y, frame["label"])
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title(msg("weights_charts.proposed_weights_with_intervals", lang))
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def plot_ahp_consistency(ahp: pd.DataFrame, lang: str, threshold: float = 0.1):
    """Each expert's consistency ratio against Saaty's 0.1 threshold."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    colors = ["#9bbb59" if ok else "#c0504d" for ok in ahp["consistent"].astype(bool)]
    names = [msg("weights_charts.aggregate_aij", lang) if e == "aggregate (AIJ)" else e for e in ahp["expert"]]
    ax.bar(names, ahp["consistency_ratio"], color=colors)
    ax.axhline(threshold, color="black", linestyle="--", linewidth=1)
    ax.text(len(names) - 0.5, threshold, f" CR = {threshold:g}", va="bottom", ha="right", fontsize=9)
    ax.set_ylabel(msg("weights_charts.consistency_ratio", lang))
    ax.set_title(msg("weights_charts.consistency_of_the_experts_judgments", lang))
    fig.tight_layout()
    return fig


def plot_residuals(residuals: pd.DataFrame, lang: str):
    """Residuals against fitted values, one panel per model (Pearson residuals for the GLM)."""
    import matplotlib.pyplot as plt

    models = [m for m in MODELS if m in set(residuals["model"])]
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.6), squeeze=False)
    for ax, m in zip(axes[0], models):
        part = residuals[residuals["model"] == m]
        ax.scatter(part["fitted"], part["residual"], s=4, alpha=0.35, color="#1f4e79")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(model_label(m, lang), fontsize=10)
        ax.set_xlabel(msg("weights_charts.fitted", lang))
        ax.set_ylabel(msg("weights_charts.residual", lang))
    fig.tight_layout()
    return fig


def plot_effects(regressions: pd.DataFrame, labels: pd.Series, lang: str):
    """Standardised effects (per SD of each indicator) with their intervals, one panel per model."""
    import matplotlib.pyplot as plt

    models = [m for m in MODELS if m in set(regressions["model"])]
    fig, axes = plt.subplots(
        1, len(models), figsize=(4.2 * len(models), 0.4 * labels.size + 1.5), squeeze=False, sharey=True
    )
    for ax, m in zip(axes[0], models):
        part = regressions[regressions["model"] == m].set_index("indicator").reindex(labels.index)
        sd_ratio = part["std_coef"] / part["coef"].where(part["coef"] != 0)
        lo, hi = part["ci_low"] * sd_ratio, part["ci_high"] * sd_ratio
        y = np.arange(len(part))[::-1]
        ax.errorbar(
            part["std_coef"],
            y,
            xerr=np.vstack([part["std_coef"] - lo, hi - part["std_coef"]]),
            fmt="o",
            color="#1f4e79",
            ecolor="#7f7f7f",
            capsize=2,
        )
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(y, labels.to_numpy())
        ax.set_title(model_label(m, lang), fontsize=10)
        ax.set_xlabel(msg("weights_charts.effect_per_sd", lang))
    fig.tight_layout()
    return fig


STEP = Step("weights", "02_weights", weights_step)

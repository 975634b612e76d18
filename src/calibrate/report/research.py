"""Tables and charts of an indicator-set comparison (:mod:`calibrate.research`), in the page language:
every header, axis and legend is ``research.*`` of the message catalogue."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from calibrate.messages import has, text
from calibrate.plotting import PALETTE
from calibrate.research.compare import ComparisonResult

__all__ = ["differences_table", "outcome_label", "plot_comparison", "report_table", "weights_table"]


def _t(key: str, lang: str, **values) -> str:
    return text(f"research.{key}", lang, **values)


def outcome_label(outcome: str, lang: str = "en") -> str:
    """An outcome's name in the page language (``research.outcome_<outcome>``; the id when it has none)."""
    return _t(f"outcome_{outcome}", lang) if has(f"research.outcome_{outcome}", lang) else outcome


def report_table(result: ComparisonResult, lang: str = "en", digits: int = 3) -> pd.DataFrame:
    """The summary with readable headers, one row per set (values rounded to ``digits``)."""
    s = result.to_frame()
    out = pd.DataFrame(
        {_t("col_set", lang): [result.label(n, lang) for n in s["set"]], _t("col_indicators", lang): s["n_indicators"]}
    )
    for o in result.outcomes:
        name = outcome_label(o, lang)
        out[_t("col_composite_r2", lang, name=name)] = s[f"r2_composite_{o}"]
        out[_t("col_indicators_r2", lang, name=name)] = s[f"r2_indicators_{o}"]
    out[_t("col_weight_sd", lang)] = s["weight_sd"]
    out[_t("col_weight_order_kept", lang)] = s["weight_order_kept"]
    out[_t("col_rank_bootstrap", lang)] = s["rank_stability_bootstrap"]
    out[_t("col_rank_periods", lang)] = s["rank_stability_periods"]
    out[_t("col_max_corr", lang)] = s["max_abs_corr"]
    out[_t("col_max_corr_pair", lang)] = s["max_corr_pair"]
    out[_t("col_max_vif", lang)] = s["max_vif"]
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].round(digits)
    return out


def plot_comparison(result: ComparisonResult, lang: str = "en") -> plt.Figure:
    """Out-of-sample R² per set and outcome: bars for the composite score (± 1 se), dots for the ceiling."""
    outcomes = result.outcomes
    fig, axes = plt.subplots(
        1, len(outcomes), figsize=(5.2 * len(outcomes), 0.55 * len(result.sets) + 1.8), squeeze=False, sharey=True
    )
    labels = [result.label(n, lang) for n in result.sets]
    pos = np.arange(len(labels))
    for ax, o in zip(axes[0], outcomes):
        v = result.validity[result.validity["outcome"] == o].set_index(["set", "model"])
        comp = v.xs("composite", level="model").reindex(result.sets)
        ceil = v.xs("indicators", level="model").reindex(result.sets)
        ax.barh(
            pos,
            comp["r2"],
            xerr=comp["r2_se"],
            color=PALETTE[0],
            alpha=0.85,
            height=0.6,
            label=_t("composite", lang),
            error_kw={"ecolor": "#444444", "capsize": 3},
        )
        ax.scatter(ceil["r2"], pos, color=PALETTE[1], zorder=3, marker="D", label=_t("ceiling", lang))
        ax.axvline(0, color="#444444", linewidth=0.8)
        ax.set_yticks(pos, labels)
        ax.set_title(outcome_label(o, lang))
        ax.set_xlabel(_t("axis_r2", lang))
    axes[0][0].invert_yaxis()  # the y axis is shared: first set on top
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def differences_table(
    result: ComparisonResult, reference: str | None = None, lang: str = "en", digits: int = 3
) -> pd.DataFrame:
    """Gain in out-of-sample R² of the composite score over ``reference`` (default: the first set)."""
    reference = reference or result.sets[0]
    d = result.differences(reference)
    return pd.DataFrame(
        {
            _t("col_set", lang): [result.label(n, lang) for n in d["set"]],
            _t("col_outcome", lang): [outcome_label(o, lang) for o in d["outcome"]],
            _t("col_r2", lang): d["r2"].round(digits),
            _t("col_reference_r2", lang): d["r2_reference"].round(digits),
            _t("col_r2_gain", lang): d["delta_r2"].round(digits),
            _t("col_se", lang): d["se"].round(digits),
            "z": d["z"].round(1),
        }
    )


def weights_table(result: ComparisonResult, lang: str = "en", digits: int = 3) -> pd.DataFrame:
    """Weights used per indicator (rows) and set (columns); blank where a set lacks the indicator."""
    w = result.weights.pivot(index="indicator", columns="set", values="weight")
    first = result.weights.drop_duplicates("indicator").set_index("indicator")
    w = w.reindex(index=list(first.index), columns=result.sets).round(digits)
    w.index = first["label_zh" if lang == "zh" else "label_en"].reindex(w.index).to_numpy()
    w.columns = [result.label(n, lang) for n in w.columns]
    w.index.name = _t("col_indicator", lang)
    return w

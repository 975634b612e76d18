"""Tables and charts of an indicator-set comparison, in Chinese or English."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from calibrate.plotting import PALETTE, text
from calibrate.research.compare import ComparisonResult

__all__ = ["differences_table", "outcome_label", "plot_comparison", "report_table", "weights_table"]

_OUTCOME_LABELS = {
    "next_revenue_growth": ("下季度收入增长", "Next-quarter revenue growth"),
    "next_retention": ("下季度客户留存", "Next-quarter retention"),
}


def outcome_label(outcome: str, lang: str = "en") -> str:
    zh, en = _OUTCOME_LABELS.get(outcome, (outcome, outcome))
    return text(lang, zh, en)


def report_table(result: ComparisonResult, lang: str = "en", digits: int = 3) -> pd.DataFrame:
    """The summary with readable headers, one row per set (values rounded to ``digits``)."""
    s = result.to_frame()
    out = pd.DataFrame({text(lang, "指标体系", "Indicator set"): [result.label(n, lang) for n in s["set"]],
                        text(lang, "指标数", "Indicators"): s["n_indicators"]})
    for o in result.outcomes:
        name = outcome_label(o, lang)
        out[text(lang, f"{name}：综合得分 R²", f"{name}: composite R²")] = s[f"r2_composite_{o}"]
        out[text(lang, f"{name}：指标回归 R²（上限）", f"{name}: indicators R² (ceiling)")] = s[f"r2_indicators_{o}"]
    out[text(lang, "权重标准差（自助法）", "Weight sd (bootstrap)")] = s["weight_sd"]
    out[text(lang, "权重排序不变比例", "Weight order kept")] = s["weight_order_kept"]
    out[text(lang, "排名稳定性（自助法）", "Rank stability (bootstrap)")] = s["rank_stability_bootstrap"]
    out[text(lang, "排名稳定性（相邻季度）", "Rank stability (quarter to quarter)")] = s["rank_stability_periods"]
    out[text(lang, "最大相关系数", "Max |correlation|")] = s["max_abs_corr"]
    out[text(lang, "相关最强的指标对", "Most correlated pair")] = s["max_corr_pair"]
    out[text(lang, "最大方差膨胀因子", "Max VIF")] = s["max_vif"]
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].round(digits)
    return out


def plot_comparison(result: ComparisonResult, lang: str = "en") -> plt.Figure:
    """Out-of-sample R² per set and outcome: bars for the composite score (± 1 se), dots for the ceiling."""
    outcomes = result.outcomes
    fig, axes = plt.subplots(1, len(outcomes), figsize=(5.2 * len(outcomes), 0.55 * len(result.sets) + 1.8),
                             squeeze=False, sharey=True)
    labels = [result.label(n, lang) for n in result.sets]
    pos = np.arange(len(labels))
    for ax, o in zip(axes[0], outcomes):
        v = result.validity[result.validity["outcome"] == o].set_index(["set", "model"])
        comp = v.xs("composite", level="model").reindex(result.sets)
        ceil = v.xs("indicators", level="model").reindex(result.sets)
        ax.barh(pos, comp["r2"], xerr=comp["r2_se"], color=PALETTE[0], alpha=0.85, height=0.6,
                label=text(lang, "综合得分", "Composite score"), error_kw={"ecolor": "#444444", "capsize": 3})
        ax.scatter(ceil["r2"], pos, color=PALETTE[1], zorder=3, marker="D",
                   label=text(lang, "指标回归（上限）", "Indicators (ceiling)"))
        ax.axvline(0, color="#444444", linewidth=0.8)
        ax.set_yticks(pos, labels)
        ax.set_title(outcome_label(o, lang))
        ax.set_xlabel(text(lang, "样本外 R²", "Out-of-sample R²"))
    axes[0][0].invert_yaxis()            # the y axis is shared: first set on top
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def differences_table(result: ComparisonResult, reference: str | None = None, lang: str = "en",
                      digits: int = 3) -> pd.DataFrame:
    """Gain in out-of-sample R² of the composite score over ``reference`` (default: the first set)."""
    reference = reference or result.sets[0]
    d = result.differences(reference)
    return pd.DataFrame({
        text(lang, "指标体系", "Indicator set"): [result.label(n, lang) for n in d["set"]],
        text(lang, "结果变量", "Outcome"): [outcome_label(o, lang) for o in d["outcome"]],
        "R²": d["r2"].round(digits),
        text(lang, "参照 R²", "Reference R²"): d["r2_reference"].round(digits),
        text(lang, "R² 差值", "R² gain"): d["delta_r2"].round(digits),
        text(lang, "标准误", "Std. error"): d["se"].round(digits),
        "z": d["z"].round(1),
    })


def weights_table(result: ComparisonResult, lang: str = "en", digits: int = 3) -> pd.DataFrame:
    """Weights used per indicator (rows) and set (columns); blank where a set lacks the indicator."""
    w = result.weights.pivot(index="indicator", columns="set", values="weight")
    first = result.weights.drop_duplicates("indicator").set_index("indicator")
    w = w.reindex(index=list(first.index), columns=result.sets).round(digits)
    w.index = first["label_zh" if lang == "zh" else "label_en"].reindex(w.index).to_numpy()
    w.columns = [result.label(n, lang) for n in w.columns]
    w.index.name = text(lang, "指标", "Indicator")
    return w

"""Data-quality summaries of a validated dataset: coverage, response rates, rater counts, indicator spread."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate.customer import response_rate
from calibrate.dataset import Dataset
from calibrate.indicators import IndicatorSet


def table_overview(ds: Dataset) -> pd.DataFrame:
    """One row per source: rows, columns, content hash (short) and where it came from."""
    rows = []
    for name, info in ds.sources.items():
        frame = getattr(ds, name)
        rows.append(
            {
                "table": name,
                "source": info.label,
                "kind": info.kind,
                "rows": len(frame),
                "columns": frame.shape[1],
                "sha256": info.sha256[:12],
            }
        )
    return pd.DataFrame(rows)


def coverage_by_quarter(ds: Dataset) -> pd.DataFrame:
    """Per quarter: managers with a performance row, survey responses and response rate, 360 raters per manager."""
    perf = ds.performance
    out = perf.groupby("period").agg(
        managers=("manager_id", "nunique"), revenue=("revenue", "sum"), revenue_target=("revenue_target", "sum")
    )
    out["attainment"] = out["revenue"] / out["revenue_target"]
    out["share_hitting_target"] = (perf["revenue"] >= perf["revenue_target"]).groupby(perf["period"]).mean()
    if ds.survey is not None:
        s = ds.survey
        out["surveys_sent"] = s.groupby("period", observed=True).size()
        out["responses"] = s["recommend"].notna().groupby(s["period"], observed=True).sum()
        out["response_rate"] = out["responses"] / out["surveys_sent"]
    return out.reset_index()


def rater_counts(ds: Dataset) -> pd.DataFrame:
    """Distribution of the number of 360 raters per manager, period and criterion (5-8 expected)."""
    if ds.reviews is None:
        return pd.DataFrame(columns=["raters", "reviews", "share"])
    counts = ds.reviews.groupby(["manager_id", "period", "criterion"])["rater_id"].nunique()
    table = counts.value_counts().sort_index().rename("reviews").to_frame()
    table["share"] = table["reviews"] / table["reviews"].sum()
    table.index.name = "raters"
    return table.reset_index()


def indicator_summary(panel: pd.DataFrame, iset: IndicatorSet, lang: str = "en") -> pd.DataFrame:
    """Per indicator: label, direction, non-missing share, mean, sd, P5/P50/P95."""
    rows = []
    for ind in iset.indicators:
        x = panel[ind.id].astype(float)
        rows.append(
            {
                "indicator": ind.id,
                "label": ind.label(lang),
                "unit": ind.unit,
                "direction": ind.direction,
                "available": float(x.notna().mean()),
                "mean": x.mean(),
                "sd": x.std(),
                "p5": x.quantile(0.05),
                "p50": x.median(),
                "p95": x.quantile(0.95),
            }
        )
    return pd.DataFrame(rows)


def data_summary(ds: Dataset) -> dict:
    """Headline counts for the report (plain JSON types)."""
    m, p = ds.managers, ds.performance
    quarters = ds.quarters
    first_q = quarters[0]
    hire_quarter = m["hire_date"].dt.year.astype(str) + "Q" + ((m["hire_date"].dt.month - 1) // 3 + 1).astype(str)
    summary = {
        "managers": int(m["manager_id"].nunique()),
        "regions": int(m["region"].nunique()),
        "quarters": len(quarters),
        "first_quarter": first_q,
        "last_quarter": quarters[-1],
        "performance_rows": int(len(p)),
        "new_hires_in_panel": int((hire_quarter > first_q).sum()),
        "problems": len(ds.report.problems),
        "warnings": len(ds.report.warnings),
    }
    if ds.survey is not None:
        summary["survey_rows"] = int(len(ds.survey))
        summary["response_rate"] = round(float(response_rate(ds.survey, by=["period"]).mean()), 4)
    if ds.reviews is not None:
        summary["review_rows"] = int(len(ds.reviews))
    if ds.ahp_judgments is not None:
        summary["experts"] = int(ds.ahp_judgments["expert"].nunique())
    return summary


def plot_indicator_distributions(
    panel: pd.DataFrame, iset: IndicatorSet, lang: str = "en", ncols: int = 4, *, title: str | None = None
):
    """Histograms of every indicator, one panel each, titled with the indicators' labels in ``lang``;
    ``title``: the figure's title, in the page language (the caller's words)."""
    import matplotlib.pyplot as plt

    n = len(iset.indicators)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), squeeze=False)
    for ax, ind in zip(axes.flat, iset.indicators):
        x = panel[ind.id].dropna().astype(float)
        ax.hist(x, bins=30, color="#1f4e79", alpha=0.85)
        arrow = "↑" if ind.higher_is_better else "↓"
        ax.set_title(f"{ind.label(lang)} {arrow}", fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_coverage(
    coverage: pd.DataFrame, *, managers_label: str = "managers", share_label: str = "share hitting revenue target"
):
    """Managers per quarter and share hitting their revenue target; the axes' labels are the caller's words
    (in the page language)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.bar(coverage["period"], coverage["managers"], color="#9bbb59")
    ax.set_ylabel(managers_label)
    ax2 = ax.twinx()
    ax2.plot(coverage["period"], coverage["share_hitting_target"], color="#c0504d", marker="o")
    ax2.set_ylim(0, 1)
    ax2.set_ylabel(share_label)
    ax2.grid(False)
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    return fig

"""What if one indicator's weight limits or the plan probability changed? The run, side by side with its baseline.

The baseline is the run config as it is; the what-if is the same config with one
indicator's ``min_weight``/``max_weight`` replaced (in a copy of its indicator set)
and/or ``targets.probability`` replaced. Both are computed by the run's own steps
(weights, targets, scoring) in kept folders (see :mod:`calibrate.notebook_run`), so
the comparison is exactly what two runs would publish.

>>> result = what_if("", indicator="nps", min_weight=0.15)     # doctest: +SKIP
>>> result.weights                                              # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from calibrate.messages import text
from calibrate.notebook_params import NotebookParameterError
from calibrate.notebook_run import apply_overrides, cache_root, computed_folder, run_config, steps_up_to
from calibrate.steps import artifacts as declared

_PLANS = ("current", "equal_difficulty", "uniform_growth")


@dataclass(frozen=True)
class WhatIfResult:
    """Baseline and what-if figures side by side (columns ``baseline``, ``what_if`` and their difference)."""

    change: dict[str, Any]
    weights: pd.DataFrame  # indicator, label, baseline, what_if, change
    grades: pd.DataFrame  # grade, baseline, what_if (managers), baseline_share, what_if_share
    movers: pd.DataFrame  # manager, baseline_grade, what_if_grade, baseline_score, what_if_score
    targets: pd.DataFrame  # plan, measure, baseline, what_if, change
    folders: dict[str, Path] = field(default_factory=dict)

    def summary(self, lang: str = "en") -> str:
        """One sentence: what changed and how many managers change grade."""
        n = len(self.movers)
        total = int(self.grades["baseline"].sum())
        return text("whatif_page.summary", lang, change=_describe(self.change, lang), movers=n, total=total)


def what_if(
    config: str | Path = "",
    *,
    indicator: str,
    min_weight: float | None = None,
    max_weight: float | None = None,
    probability: float | None = None,
    bootstrap: int = 0,
    scenarios: int | None = None,
    lang: str = "zh",
    pseudonymise: bool = True,
) -> WhatIfResult:
    """Compute the baseline and the what-if run (weights, targets, scoring) and compare them.

    ``min_weight``/``max_weight``: the indicator's new weight limits (shares of 1;
    None keeps the set's); ``probability``: the new chance of reaching target of the
    equal-difficulty plan (None keeps the config's). ``bootstrap`` and ``scenarios``
    apply to both runs (0 bootstrap resamples is fastest; the proposal is the same).
    """
    base = run_config(config)
    common: dict[str, dict[str, Any]] = {"weights": {"bootstrap": int(bootstrap)}}
    if scenarios is not None:
        common["targets"] = {"scenarios": int(scenarios)}
    baseline = apply_overrides(base, common, lang=lang, pseudonymise=pseudonymise)
    changed_set = _changed_indicator_set(baseline, indicator, min_weight, max_weight)
    sections = {k: dict(v) for k, v in common.items()}
    if probability is not None:
        sections.setdefault("targets", {})["probability"] = float(probability)
    variant = apply_overrides(base, sections, lang=lang, pseudonymise=pseudonymise, indicator_set=changed_set)
    steps = steps_up_to("05_scoring")
    folders = {"baseline": computed_folder(baseline, steps), "what_if": computed_folder(variant, steps)}
    change = {"indicator": indicator, "min_weight": min_weight, "max_weight": max_weight, "probability": probability}
    return compare_runs(folders["baseline"], folders["what_if"], change=change, pseudonymise=pseudonymise)


def compare_runs(
    baseline: Path, what_if: Path, *, change: dict[str, Any] | None = None, pseudonymise: bool = True
) -> WhatIfResult:
    """Compare two run folders holding the weights, targets and scoring artifacts."""
    b_w, w_w = (declared.read(f, "weights.proposal") for f in (baseline, what_if))
    weights = (
        b_w[["indicator", "label", "weight"]]
        .rename(columns={"weight": "baseline"})
        .merge(w_w[["indicator", "weight"]].rename(columns={"weight": "what_if"}), on="indicator", how="left")
    )
    weights["change"] = weights["what_if"] - weights["baseline"]

    b_s, w_s = (declared.read(f, "scoring.scores") for f in (baseline, what_if))
    who = "pseudonym" if pseudonymise else "manager_id"
    scores = b_s[[who, "grade", "score"]].merge(w_s[[who, "grade", "score"]], on=who, suffixes=("_b", "_w"))
    movers = (
        scores[scores["grade_b"] != scores["grade_w"]]
        .rename(
            columns={
                who: "manager",
                "grade_b": "baseline_grade",
                "grade_w": "what_if_grade",
                "score_b": "baseline_score",
                "score_w": "what_if_score",
            }
        )
        .sort_values(["baseline_grade", "what_if_grade", "manager"])
        .reset_index(drop=True)
    )

    b_g, w_g = (declared.read(f, "scoring.grade_distribution") for f in (baseline, what_if))
    grades = b_g[["grade", "managers", "share"]].merge(
        w_g[["grade", "managers", "share"]], on="grade", how="outer", suffixes=("_b", "_w")
    )
    grades = grades.rename(
        columns={
            "managers_b": "baseline",
            "managers_w": "what_if",
            "share_b": "baseline_share",
            "share_w": "what_if_share",
        }
    )

    rows = []
    b_p, w_p = (declared.read(f, "targets.plans").set_index("plan") for f in (baseline, what_if))
    for plan in [p for p in _PLANS if p in b_p.index and p in w_p.index]:
        for measure in ("expected_share", "bonus_p50", "bonus_p90"):
            rows.append(
                {
                    "plan": plan,
                    "measure": measure,
                    "baseline": float(b_p.loc[plan, measure]),
                    "what_if": float(w_p.loc[plan, measure]),
                }
            )
    b_sum, w_sum = (declared.read(f, "scoring.summary") for f in (baseline, what_if))
    rows.append(
        {
            "plan": "scoring",
            "measure": "bonus_total",
            "baseline": float(b_sum["bonus_total"]),
            "what_if": float(w_sum["bonus_total"]),
        }
    )
    targets = pd.DataFrame(rows)
    targets["change"] = targets["what_if"] - targets["baseline"]
    return WhatIfResult(
        change=dict(change or {}),
        weights=weights,
        grades=grades,
        movers=movers,
        targets=targets,
        folders={"baseline": Path(baseline), "what_if": Path(what_if)},
    )


def _changed_indicator_set(config, indicator: str, min_weight: float | None, max_weight: float | None) -> str | None:
    """Path of a copy of the run's indicator set with the new limits (None when nothing changes)."""
    from calibrate.indicators import indicator_set_text

    raw = yaml.safe_load(indicator_set_text(config.indicator_set_path()))
    ids = [i["id"] for i in raw["indicators"]]
    if indicator not in ids:
        raise NotebookParameterError(f"parameter 'indicator' must be one of {', '.join(ids)} (got {indicator!r})")
    if min_weight is not None and max_weight is not None and min_weight > max_weight:
        raise NotebookParameterError(
            f"parameters min_weight {min_weight:g} and max_weight {max_weight:g}: "
            f"the lowest weight cannot exceed the highest"
        )
    if min_weight is None and max_weight is None:
        return None
    entry = raw["indicators"][ids.index(indicator)]
    if min_weight is not None:
        entry["min_weight"] = float(min_weight)
    if max_weight is not None:
        entry["max_weight"] = float(max_weight)
    body = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    path = cache_root() / "indicator_sets" / f"{hashlib.sha256(body.encode()).hexdigest()[:16]}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(body, encoding="utf-8")
    return str(path)


def _describe(change: dict[str, Any], lang: str) -> str:
    parts = []
    low, high = change.get("min_weight"), change.get("max_weight")
    if low is not None or high is not None:
        band = f"[{'–' if low is None else f'{low:.0%}'}, {'–' if high is None else f'{high:.0%}'}]"
        parts.append(text("whatif_page.weight_limits", lang, indicator=change["indicator"], band=band))
    if change.get("probability") is not None:
        parts.append(text("whatif_page.plan_probability", lang, probability=change["probability"]))
    return text("whatif_page.describe_separator", lang).join(parts) or text("whatif_page.describe_none", lang)


# --------------------------------------------------------------------------- tables and the figure
def targets_table(result: WhatIfResult, lang: str = "en") -> pd.DataFrame:
    """Share expected to hit and bonus cost per plan, baseline and what-if, with readable labels
    (``whatif.plan_<plan>`` or ``plan_labels.<plan>``, ``whatif.measure_<measure>`` of the catalogue)."""
    from calibrate.messages import has

    def plan(p: str) -> str:
        key = f"whatif.plan_{p}" if has(f"whatif.plan_{p}", lang) else f"plan_labels.{p}"
        return text(key, lang) if has(key, lang) else p

    t = result.targets
    return pd.DataFrame(
        {
            text("whatif_page.col_plan", lang): [plan(p) for p in t["plan"]],
            text("whatif_page.col_measure", lang): [text(f"whatif.measure_{m}", lang) for m in t["measure"]],
            text("whatif_page.baseline", lang): t["baseline"].round(3),
            text("whatif_page.what_if", lang): t["what_if"].round(3),
            text("whatif_page.col_change", lang): t["change"].round(3),
        }
    )


def plot_what_if(result: WhatIfResult, lang: str = "en"):
    """Two panels: proposed weights and the grade distribution, baseline beside what-if."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [3, 2]})
    w = result.weights.iloc[::-1]
    y = np.arange(len(w))
    left.barh(y + 0.2, w["baseline"], 0.4, color="#9aa5b1", label=text("whatif_page.baseline", lang))
    left.barh(y - 0.2, w["what_if"], 0.4, color="#1f4e79", label=text("whatif_page.what_if", lang))
    left.set_yticks(y, w["label"])
    left.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    left.set_title(text("whatif_page.proposed_weights", lang))
    left.legend(frameon=False, loc="lower right")
    g = result.grades
    x = np.arange(len(g))
    right.bar(x - 0.2, g["baseline"], 0.4, color="#9aa5b1", label=text("whatif_page.baseline", lang))
    right.bar(x + 0.2, g["what_if"], 0.4, color="#1f4e79", label=text("whatif_page.what_if", lang))
    right.set_xticks(x, g["grade"])
    right.set_ylabel(text("whatif_page.axis_managers", lang))
    right.set_title(text("whatif_page.grades_title", lang, movers=len(result.movers)))
    right.legend(frameon=False)
    fig.suptitle(result.summary(lang), fontsize=10)
    fig.tight_layout()
    return fig

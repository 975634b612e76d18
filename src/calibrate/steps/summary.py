"""The executive summary: one decision page (recommended plan, budget, weights, risks) and HR's workbook.

The page is built from the artifacts the earlier steps wrote (weights, targets,
scoring); a step that did not run is simply left out of the page. Individual
managers never appear on the page: it holds aggregates only. Every sentence comes
from the message catalogue of the run's language (:mod:`calibrate.messages`);
the page is a Jinja2 template with autoescape (``report/templates/executive_summary.html.j2``).

Files written under ``summary/``: ``summary.json`` (the page's figures),
``weights.csv`` and ``risks.csv`` (UTF-8 with BOM, for Excel), ``recommendation.csv``;
and ``hr_workbook.xlsx`` in the run folder (see :mod:`calibrate.steps.hr_workbook`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from calibrate import artifacts
from calibrate.messages import format as fmt
from calibrate.messages import text
from calibrate.steps import artifacts as declared
from calibrate.steps.base import RunContext, Step
from calibrate.targets.recommend import LOW_PROBABILITY, bonus_budget, recommend_plan

CR_LIMIT = 0.10
HARD_TARGET_SHARE = 0.5  # fewer than half expected to hit: a plan few can hit
EASY_TARGET_SHARE = 0.9  # more than 90%: no stretch left
DEFAULT_FLOOR = 0.05
PLAN_ORDER = ("current", "equal_difficulty", "uniform_growth", "allocated")


def build_summary(
    folder: Path, lang: str = "zh", *, targets: dict[str, Any] | None = None, weight_floor: float = DEFAULT_FLOOR
) -> dict[str, Any]:
    """Collect the page's figures from a run folder's artifacts (plain JSON types).

    ``targets``: the run config's ``targets`` section (``healthy_band``, ``bonus_budget``,
    ``bonus_base``); ``weight_floor``: weights below it are flagged.
    """
    folder = Path(folder)
    data_json = declared.path(folder, "data.summary")
    data = artifacts.read_json(data_json) if data_json.exists() else {}
    out: dict[str, Any] = {"lang": lang, "data": data, "risks": []}
    risks = out["risks"]
    weights_dir, targets_dir, scoring_dir = folder / "weights", folder / "targets", folder / "scoring"
    if declared.exists(folder, "weights.proposal"):
        out["weights"] = _weights_section(weights_dir, lang, risks, weight_floor)
    if declared.exists(folder, "targets.plans"):
        out["targets"] = _targets_section(targets_dir, lang, risks, targets or {}, out.get("weights"))
    if declared.exists(folder, "scoring.summary"):
        out["scoring"] = _scoring_section(scoring_dir, lang, risks)
    # last year's forecast against what happened (issue 16): the sentence from the cycle step
    if declared.exists(folder, "cycle.forecast_check"):
        check = declared.read(folder, "cycle.forecast_check")
        if check.get("available"):
            out["last_year_forecast"] = check["sentence"]
    if data.get("warnings"):
        _risk(risks, lang, "data", "low", "data_warnings", count=data["warnings"])
    return out


def _risk(risks: list, lang: str, area: str, level: str, key: str, **values: Any) -> None:
    risks.append({"area": area, "level": level, "key": key, "text": text(f"risks.{key}", lang, **values)})


def _weights_section(folder: Path, lang: str, risks: list, floor: float) -> dict[str, Any]:
    proposal = pd.read_csv(declared.in_folder(folder, "weights.proposal"), keep_default_na=False, na_values=[""])
    rows, below, edges = [], [], []
    for r in proposal.itertuples():
        binding = "" if pd.isna(r.binding) else str(r.binding)
        row = {
            "indicator": r.indicator,
            "label": r.label,
            "dimension": str(getattr(r, "dimension_label", r.dimension)),
            "weight": float(r.weight),
            "ci_low": float(r.ci_low),
            "ci_high": float(r.ci_high),
            "last_year": float(r.last_year),
            "change": float(r.change),
            "data_source": str(getattr(r, "data_source_label", r.data_source)),
            "review_period": str(getattr(r, "review_period_label", r.review_period)),
            "binding": binding,
            "below_floor": bool(float(r.weight) < floor - 1e-9),
        }
        rows.append(row)
        if "cap" in binding:
            edges.append(r.label)
            _risk(
                risks,
                lang,
                "weights",
                "medium",
                "weight_cap",
                label=r.label,
                last=fmt.percent(r.last_year),
                now=fmt.percent(r.weight),
            )
        if row["below_floor"]:
            trend = " → ".join(fmt.percent(v) for v in (r.last_year, r.weight))
            below.append({"label": r.label, "trend": trend, "weight": float(r.weight), "last_year": float(r.last_year)})
            _risk(
                risks, lang, "weights", "medium", "weight_floor", label=r.label, trend=trend, floor=fmt.percent(floor)
            )
    dims = proposal.assign(edge=proposal["binding"].fillna("").astype(str).str.contains("band_"))
    band_edges = sorted({str(getattr(r, "dimension_label", r.dimension)) for r in dims.itertuples() if r.edge})
    all_dims = sorted(set(str(getattr(r, "dimension_label", r.dimension)) for r in proposal.itertuples()))
    if band_edges and len(band_edges) == len(all_dims):
        _risk(risks, lang, "weights", "medium", "all_band_edges")
    if (declared.in_folder(folder, "weights.ahp")).exists():
        _ahp_risks(declared.in_folder(folder, "weights.ahp"), proposal, lang, risks)
    if (declared.in_folder(folder, "weights.warnings")).exists():
        warnings = pd.read_csv(declared.in_folder(folder, "weights.warnings"))
        weak = (
            warnings[warnings["code"].isin(["regression.not_significant", "regression.wrong_sign"])]
            if "code" in warnings
            else warnings.iloc[:0]
        )
        if len(weak):
            _risk(risks, lang, "weights", "low", "weak_evidence", count=len(weak))
    return {
        "rows": rows,
        "floor": floor,
        "below_floor": below,
        "capped": edges,
        "band_edges": band_edges,
        "all_band_edges": bool(band_edges) and len(band_edges) == len(all_dims),
    }


def _ahp_risks(path: Path, proposal: pd.DataFrame, lang: str, risks: list) -> None:
    ahp = pd.read_csv(path)
    experts = ahp[~ahp["expert"].astype(str).str.contains("aggregate|AIJ", case=False)] if "expert" in ahp else ahp
    labels = dict(zip(proposal["indicator"], proposal["label"]))
    for r in experts.itertuples():
        if float(r.consistency_ratio) >= CR_LIMIT:
            a, _, b = str(getattr(r, "worst_pair", "") or "").partition("/")
            _risk(
                risks,
                lang,
                "weights",
                "high",
                "ahp_inconsistent",
                expert=r.expert,
                cr=f"{r.consistency_ratio:.2f}",
                limit=f"{CR_LIMIT:.2f}",
                pair=f"{labels.get(a, a)} : {labels.get(b, b)} = {_saaty(r.worst_value)}",
                hint=_saaty(r.suggested_value),
            )


def _targets_section(
    folder: Path, lang: str, risks: list, settings: dict[str, Any], weights: dict[str, Any] | None
) -> dict[str, Any]:
    plans = pd.read_csv(declared.in_folder(folder, "targets.plans"))
    probs_path = declared.path(folder.parent, "targets.manager_probabilities")
    probs = pd.read_csv(probs_path, usecols=["plan", "probability"]) if probs_path.exists() else None
    if "bonus_p99" not in plans:
        plans["bonus_p99"] = float("nan")
    candidates = plans[plans["plan"] != "data_targets"]
    headcount = int(candidates["managers"].iloc[0]) if "managers" in candidates and len(candidates) else 0
    budget = bonus_budget(settings.get("bonus_budget"), float(settings.get("bonus_base", 5.0)), headcount)
    rec = recommend_plan(plans, band=settings.get("healthy_band", (0.60, 0.75)), budget=budget, probabilities=probs)
    flags = rec.table.set_index("plan")
    rows = []
    for r in plans.itertuples():
        rows.append(
            {
                "plan": r.plan,
                "label": text(f"plans.{r.plan}", lang) if r.plan in PLAN_ORDER + ("data_targets",) else r.plan,
                "year": int(r.year),
                "target_total": float(r.target_total),
                "growth": _num(getattr(r, "growth_vs_last_year", None)),
                "expected_share": float(r.expected_share),
                "share_p5": float(r.share_p5),
                "share_p95": float(r.share_p95),
                "bonus_p50": float(r.bonus_p50),
                "bonus_p90": float(r.bonus_p90),
                "bonus_p99": _num(r.bonus_p99),
                "realised_share": _num(getattr(r, "realised_share", None)),
                "in_band": bool(flags["in_band"].get(r.plan, False)),
                "within_budget": bool(flags["within_budget"].get(r.plan, False)),
                "low_probability_share": _num(flags["low_probability_share"].get(r.plan))
                if r.plan in flags.index
                else None,
                "recommended": r.plan == rec.plan,
            }
        )
    chosen = rec.plan or rec.fallback
    accepts = {}
    if chosen is not None:
        row = rec.row(chosen)
        accepts = {
            "low_probability_share": _num(row.get("low_probability_share")),
            "capped": list((weights or {}).get("capped", [])),
            "band_edges": list((weights or {}).get("band_edges", [])),
        }
    recommendation = {
        "plan": rec.plan,
        "status": rec.status,
        "band": list(rec.band),
        "budget": rec.budget,
        "budget_given": settings.get("bonus_budget") is not None,
        "headcount": headcount,
        "relax": rec.relax,
        "fallback": rec.fallback,
        "accepts": accepts,
    }
    current = plans[plans["plan"] == "current"]
    if len(current):
        share = float(current["expected_share"].iloc[0])
        if share < HARD_TARGET_SHARE:
            _risk(risks, lang, "targets", "high", "hard_targets", share=fmt.percent(share))
        elif share > EASY_TARGET_SHARE:
            _risk(risks, lang, "targets", "medium", "easy_targets", share=fmt.percent(share))
    if probs is not None:
        low = probs[(probs["plan"] == "current") & (probs["probability"] < LOW_PROBABILITY)]
        if len(low):
            _risk(
                risks, lang, "targets", "medium", "low_probability", count=len(low), limit=fmt.percent(LOW_PROBABILITY)
            )
    over = [r for r in rows if r["plan"] in PLAN_ORDER and r["bonus_p50"] > budget]
    if over and len(over) == len([r for r in rows if r["plan"] in PLAN_ORDER]):
        _risk(risks, lang, "targets", "high", "all_over_budget", budget=fmt.money(budget, lang))
    backtest = declared.in_folder(folder, "targets.backtest")
    bt = artifacts.read_json(backtest) if backtest.exists() else {}
    return {
        "rows": rows,
        "recommendation": recommendation,
        "backtest": {k: bt.get(k) for k in ("brier", "predicted_share", "realised_share") if k in bt},
    }


def _scoring_section(folder: Path, lang: str, risks: list) -> dict[str, Any]:
    s = declared.read_file(declared.in_folder(folder, "scoring.summary"), "scoring.summary")
    stability = s.get("stability", {})
    on_boundary = int(stability.get("managers_on_boundary", 0))
    if on_boundary:
        _risk(risks, lang, "scoring", "low", "grade_boundary", count=on_boundary)
    return {
        "grades": s.get("grades", []),
        "improvement_plans": s.get("improvement_plans"),
        "managers_scored": s.get("managers_scored"),
        "bonus_total": s.get("bonus_total"),
        "same_grade_mean": stability.get("same_grade_mean"),
        "spearman_mean": stability.get("spearman_mean"),
    }


def _saaty(value: Any) -> str:
    """A judgment as an expert writes it: 3, 1/3."""
    v = float(value)
    return f"{v:g}" if v >= 1 else f"1/{1 / v:g}"


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def summary_step(ctx: RunContext) -> list[Path]:
    from calibrate.steps.hr_workbook import write_hr_workbook

    cfg = ctx.config
    summary = build_summary(
        ctx.folder, cfg.lang, targets=cfg.targets, weight_floor=float(cfg.weights.get("weight_floor", DEFAULT_FLOOR))
    )
    summary["year"] = cfg.year
    summary["run_name"] = cfg.run_name
    summary["indicator_set"] = ctx.dataset.indicator_set.label(cfg.lang)
    written = [declared.write(ctx.path("summary"), "summary.page", summary)]
    if "weights" in summary:
        written.append(declared.write(ctx.path("summary"), "summary.weights", pd.DataFrame(summary["weights"]["rows"])))
    written.append(
        declared.write(
            ctx.path("summary"),
            "summary.risks",
            pd.DataFrame(summary["risks"], columns=["area", "level", "key", "text"]),
        )
    )
    written.append(
        write_hr_workbook(
            ctx.folder,
            declared.path(ctx.folder, "run.hr_workbook"),
            summary,
            lang=cfg.lang,
            pseudonymise=cfg.pseudonymise,
            key=cfg.pseudonym_key() if cfg.pseudonymise else None,
            scoring=cfg.scoring,
            bonus_base=float(cfg.targets.get("bonus_base", 5.0)),
        )
    )
    return written


# ---------------------------------------------------------------------------------------------- page


def page_context(summary: dict[str, Any], lang: str) -> dict[str, Any]:
    """Everything the template shows, formatted for the page language (strings only)."""
    t = lambda key, **v: text(key, lang, **v)  # noqa: E731
    year = summary.get("year")
    data = summary.get("data", {})
    ctx: dict[str, Any] = {
        "lang": lang,
        "t": t,
        "title": t("summary.title", year=year + 1) if isinstance(year, int) and year else t("summary.title_plain"),
    }
    if data:
        ctx["subtitle"] = t(
            "summary.subtitle",
            indicator_set=summary.get("indicator_set", ""),
            people=fmt.number(data.get("managers")),
            regions=fmt.number(data.get("regions")),
            first=data.get("first_quarter", ""),
            last=data.get("last_quarter", ""),
        )
    if summary.get("last_year_forecast"):  # issue 16: last year's forecast against what happened
        ctx["last_year_forecast"] = summary["last_year_forecast"][lang]
    targets = summary.get("targets")
    if targets:
        ctx["decision"] = _decision(targets, summary.get("weights"), lang)
        ctx["plans"] = [
            _plan_row(r, targets["recommendation"], lang) for r in targets["rows"] if r["plan"] != "data_targets"
        ]
        ctx["budget_line"] = fmt.money(targets["recommendation"]["budget"], lang)
        bt = next((r for r in targets["rows"] if r["plan"] == "data_targets"), None)
        if bt and bt["realised_share"] is not None:
            ctx["backtest"] = t(
                "summary.backtest",
                year=bt["year"],
                predicted=fmt.percent(bt["expected_share"]),
                realised=fmt.percent(bt["realised_share"]),
            )
    weights = summary.get("weights")
    if weights:
        ctx["weights"] = [
            {
                "label": r["label"],
                "dimension": r["dimension"],
                "weight": fmt.percent(r["weight"], 1),
                "interval": f"{fmt.percent(r['ci_low'], 1)}–{fmt.percent(r['ci_high'], 1)}",
                "change": fmt.points(r["change"], lang),
                "direction": "up" if r["change"] > 0.0005 else ("down" if r["change"] < -0.0005 else ""),
                "source": r["data_source"],
                "period": r["review_period"],
                "flag": t("summary.below_floor") if r.get("below_floor") else "",
            }
            for r in weights["rows"]
        ]
        ctx["weight_floor"] = [
            t("summary.floor_item", label=b["label"], trend=b["trend"]) for b in weights.get("below_floor", [])
        ]
        ctx["floor"] = fmt.percent(weights.get("floor", DEFAULT_FLOOR))
    scoring = summary.get("scoring")
    if scoring and scoring.get("grades"):
        ctx["grades"] = [{"grade": g["grade"], "managers": fmt.number(g["managers"])} for g in scoring["grades"]]
        ctx["improvement"] = t("summary.improvement", count=fmt.number(scoring.get("improvement_plans")))
        if scoring.get("same_grade_mean") is not None:
            ctx["stability"] = fmt.percent(scoring["same_grade_mean"])
    order = {"high": 0, "medium": 1, "low": 2}
    ctx["risks"] = [
        {"level": r["level"], "text": r.get("text") or text(f"risks.{r['key']}", lang)}
        for r in sorted(summary.get("risks", []), key=lambda r: order.get(r["level"], 3))
    ]
    return ctx


def _plan_row(r: dict[str, Any], rec: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "label": r["label"],
        "growth": fmt.percent(r["growth"], 1) if r["growth"] is not None else "–",
        "share": fmt.percent(r["expected_share"]),
        "range": f"{fmt.percent(r['share_p5'])}–{fmt.percent(r['share_p95'])}",
        "p50": fmt.number(r["bonus_p50"]),
        "p90": fmt.number(r["bonus_p90"]),
        "p99": fmt.number(r["bonus_p99"]),
        "over": r["bonus_p50"] > rec["budget"],
        "in_band": r["in_band"],
        "recommended": r["recommended"],
        "low": fmt.percent(r["low_probability_share"]) if r["low_probability_share"] is not None else "–",
    }


def _decision(targets: dict[str, Any], weights: dict[str, Any] | None, lang: str) -> dict[str, Any]:
    t = lambda key, **v: text(key, lang, **v)  # noqa: E731
    rec = targets["recommendation"]
    by = {r["plan"]: r for r in targets["rows"]}
    band = f"{fmt.percent(rec['band'][0])}–{fmt.percent(rec['band'][1])}"
    budget = fmt.money(rec["budget"], lang)
    source = (
        t("summary.budget_given")
        if rec["budget_given"]
        else t("summary.budget_default", headcount=fmt.number(rec["headcount"]))
    )
    out: dict[str, Any] = {"band": band, "budget": budget, "budget_source": source, "accepts": []}
    chosen = rec["plan"] or rec["fallback"]
    if rec["plan"]:
        r = by[rec["plan"]]
        out["headline"] = t("summary.recommend", plan=r["label"])
        out["why"] = t(
            "summary.recommend_why",
            share=fmt.percent(r["expected_share"]),
            band=band,
            p50=fmt.money(r["bonus_p50"], lang),
            budget=budget,
        )
        out["ok"] = True
    else:
        out["ok"] = False
        out["headline"] = t(f"summary.none_{rec['status']}", band=band, budget=budget)
        relax = rec.get("relax", {})
        if chosen:
            r = by[chosen]
            parts = []
            if "bonus_budget" in relax:
                parts.append(t("summary.relax_budget", amount=fmt.money(relax["bonus_budget"], lang)))
            if "healthy_band" in relax:
                lo, hi = relax["healthy_band"]
                parts.append(t("summary.relax_band", band=f"{fmt.percent(lo)}–{fmt.percent(hi)}"))
            out["why"] = t(
                "summary.relax",
                plan=r["label"],
                what=t("summary.and").join(parts),
                share=fmt.percent(r["expected_share"]),
                p50=fmt.money(r["bonus_p50"], lang),
            )
    accepts = rec.get("accepts") or {}
    if chosen and accepts:
        if accepts.get("low_probability_share") is not None:
            out["accepts"].append(
                t(
                    "summary.accept_low",
                    share=fmt.percent(accepts["low_probability_share"]),
                    limit=fmt.percent(LOW_PROBABILITY),
                )
            )
        if accepts.get("band_edges"):
            out["accepts"].append(
                t("summary.accept_band_edges", dims=t("summary.list_sep").join(accepts["band_edges"]))
            )
        if accepts.get("capped"):
            out["accepts"].append(t("summary.accept_capped", labels=t("summary.list_sep").join(accepts["capped"])))
    return out


def render_summary(summary: dict[str, Any], lang: str = "zh") -> str:
    """The page body as HTML (Jinja2 with autoescape: text from data is escaped)."""
    from calibrate.report.page import render

    return render("executive_summary.html.j2", **page_context(summary, lang))


STEP = Step("executive_summary", "90_executive_summary", summary_step, html="executive_summary")

"""The executive summary: one page of proposed weights, target difficulty, bonus cost and risks.

It is built from the artifacts the earlier steps wrote (weights, targets, scoring);
a step that did not run is simply left out of the page. Individual managers never
appear: the page holds aggregates only. Risks are written in plain language, in
Chinese or English.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate import artifacts
from calibrate.steps.base import RunContext, Step
from calibrate.plotting import text
from calibrate.targets.plan import PLAN_TITLES

CR_LIMIT = 0.10
HARD_TARGET_SHARE = 0.5        # fewer than half expected to hit: a plan few can hit
EASY_TARGET_SHARE = 0.9        # more than 90%: no stretch left
LOW_PROBABILITY = 0.2          # a manager with less than 20% chance faces a target few could hit


def build_summary(folder: Path, lang: str = "zh") -> dict[str, Any]:
    """Collect the page's figures from a run folder's artifacts (plain JSON types)."""
    folder = Path(folder)
    data = artifacts.read_json(folder / "data" / "summary.json") if (folder / "data" / "summary.json").exists() else {}
    out: dict[str, Any] = {"lang": lang, "data": data, "risks": []}
    weights_dir, targets_dir, scoring_dir = folder / "weights", folder / "targets", folder / "scoring"
    if (weights_dir / "proposal.csv").exists():
        out["weights"] = _weights_section(weights_dir, lang, out["risks"])
    if (targets_dir / "plans.csv").exists():
        out["targets"] = _targets_section(targets_dir, lang, out["risks"])
    if (scoring_dir / "summary.json").exists():
        out["scoring"] = _scoring_section(scoring_dir, lang, out["risks"])
    # last year's forecast against what happened (issue 16): the sentence from cycle/forecast_check.json
    check = folder / "cycle" / "forecast_check.json"
    if check.exists() and artifacts.read_json(check).get("available"):
        out["last_year_forecast"] = artifacts.read_json(check)["sentence"]
    if data.get("warnings"):
        out["risks"].append(_risk("data", "low", f"数据校验有 {data['warnings']} 条提示，详见数据质量报告。",
                                  f"Data validation raised {data['warnings']} warning(s): see the data quality report."))
    return out


def _risk(area: str, level: str, zh: str, en: str) -> dict[str, str]:
    return {"area": area, "level": level, "zh": zh, "en": en}


def _weights_section(folder: Path, lang: str, risks: list) -> dict[str, Any]:
    proposal = pd.read_csv(folder / "proposal.csv")
    rows = []
    for r in proposal.itertuples():
        rows.append({
            "indicator": r.indicator, "label": r.label, "dimension": getattr(r, "dimension_label", r.dimension),
            "weight": float(r.weight), "ci_low": float(r.ci_low), "ci_high": float(r.ci_high),
            "last_year": float(r.last_year), "change": float(r.change),
            "data_source": getattr(r, "data_source_label", r.data_source),
            "review_period": getattr(r, "review_period_label", r.review_period),
            "binding": "" if pd.isna(r.binding) else str(r.binding),
        })
        if isinstance(r.binding, str) and "cap" in r.binding:
            risks.append(_risk("weights", "medium",
                               f"「{r.label}」的权重受“较去年变化上限”约束（{r.last_year:.0%} → {r.weight:.0%}），"
                               "证据支持更大的调整，可考虑分年逐步调整。",
                               f"'{r.label}' is held by the cap on change from last year ({r.last_year:.0%} -> "
                               f"{r.weight:.0%}); the evidence asks for a larger move, to be phased over years."))
    if (folder / "ahp.csv").exists():
        ahp = pd.read_csv(folder / "ahp.csv")
        experts = ahp[~ahp["expert"].astype(str).str.contains("aggregate|AIJ", case=False)] if "expert" in ahp else ahp
        labels = dict(zip(proposal["indicator"], proposal["label"]))
        for r in experts.itertuples():
            if float(r.consistency_ratio) >= CR_LIMIT:
                a, _, b = str(getattr(r, "worst_pair", "") or "").partition("/")
                pair = f"{labels.get(a, a)} : {labels.get(b, b)} = {_saaty(r.worst_value)}"
                hint = _saaty(r.suggested_value)
                risks.append(_risk("weights", "high",
                                   f"专家 {r.expert} 的两两比较不一致（CR {r.consistency_ratio:.2f} ≥ {CR_LIMIT:.2f}），"
                                   f"最需复核的判断：{pair}（与其余判断一致的值约为 {hint}）。已纳入汇总，建议请其复核后重算。",
                                   f"Expert {r.expert}'s pairwise judgments are inconsistent (CR "
                                   f"{r.consistency_ratio:.2f} >= {CR_LIMIT:.2f}); the judgment to revisit first: "
                                   f"{pair} (the other judgments imply about {hint}). Ask the expert to review it "
                                   "and rerun."))
    if (folder / "warnings.csv").exists():
        warnings = pd.read_csv(folder / "warnings.csv")
        weak = warnings[warnings["message"].str.contains("not distinguishable|negative", case=False, na=False)]
        if len(weak):
            risks.append(_risk("weights", "low",
                               f"有 {len(weak)} 项指标对收入或留存的影响在统计上不显著或为负，其证据权重已降为零或很低。",
                               f"{len(weak)} indicator effect(s) on revenue or retention are not distinguishable "
                               "from zero or negative; their evidence weight is zero or small."))
    return {"rows": rows}


def _targets_section(folder: Path, lang: str, risks: list) -> dict[str, Any]:
    plans = pd.read_csv(folder / "plans.csv")
    rows = []
    for r in plans.itertuples():
        zh, en = PLAN_TITLES.get(r.plan, (r.plan, r.plan))
        rows.append({"plan": r.plan, "label": zh if lang == "zh" else en, "year": int(r.year),
                     "target_total": float(r.target_total), "growth": _num(getattr(r, "growth_vs_last_year", None)),
                     "expected_share": float(r.expected_share), "share_p5": float(r.share_p5),
                     "share_p95": float(r.share_p95), "bonus_p50": float(r.bonus_p50), "bonus_p90": float(r.bonus_p90),
                     "realised_share": _num(getattr(r, "realised_share", None))})
    current = plans[plans["plan"] == "current"]
    if len(current):
        share = float(current["expected_share"].iloc[0])
        if share < HARD_TARGET_SHARE:
            risks.append(_risk("targets", "high",
                               f"按现行方案，预计只有 {share:.0%} 的经理能达成目标，目标偏难。",
                               f"Under the current plan only {share:.0%} of managers are expected to hit target: "
                               "the targets are hard."))
        elif share > EASY_TARGET_SHARE:
            risks.append(_risk("targets", "medium", f"按现行方案，预计 {share:.0%} 的经理能达成目标，激励不足。",
                               f"Under the current plan {share:.0%} are expected to hit target: little stretch."))
    probs = folder / "manager_probabilities.csv"
    if probs.exists():
        p = pd.read_csv(probs, usecols=["plan", "probability"])
        low = p[(p["plan"] == "current") & (p["probability"] < LOW_PROBABILITY)]
        if len(low):
            risks.append(_risk("targets", "medium",
                               f"现行方案下有 {len(low)} 名经理达成目标的概率低于 {LOW_PROBABILITY:.0%}，其目标几乎无法完成。",
                               f"Under the current plan {len(low)} managers have less than a {LOW_PROBABILITY:.0%} "
                               "chance of hitting target: targets few could hit."))
    backtest = folder / "backtest.json"
    bt = artifacts.read_json(backtest) if backtest.exists() else {}
    return {"rows": rows, "backtest": {k: bt.get(k) for k in ("brier", "predicted_share", "realised_share") if k in bt}}


def _scoring_section(folder: Path, lang: str, risks: list) -> dict[str, Any]:
    s = artifacts.read_json(folder / "summary.json")
    stability = s.get("stability", {})
    on_boundary = int(stability.get("managers_on_boundary", 0))
    if on_boundary:
        risks.append(_risk("scoring", "low",
                           f"{on_boundary} 名经理处在等级边界，权重的合理波动可能改变其等级（详见评分报告）。",
                           f"{on_boundary} managers sit on a grade boundary: plausible weight changes could move "
                           "their grade (see the scoring report)."))
    return {"grades": s.get("grades", []), "improvement_plans": s.get("improvement_plans"),
            "managers_scored": s.get("managers_scored"), "bonus_total": s.get("bonus_total"),
            "same_grade_mean": stability.get("same_grade_mean"), "spearman_mean": stability.get("spearman_mean")}


def _saaty(value: Any) -> str:
    """A judgment as an expert writes it: 3, 1/3."""
    v = float(value)
    return f"{v:g}" if v >= 1 else f"1/{1 / v:g}"


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def summary_step(ctx: RunContext) -> list[Path]:
    summary = build_summary(ctx.folder, ctx.config.lang)
    summary["year"] = ctx.config.year
    summary["run_name"] = ctx.config.run_name
    summary["indicator_set"] = ctx.dataset.indicator_set.label(ctx.config.lang)
    written = [artifacts.write_json(summary, ctx.path("summary/summary.json"))]
    if "weights" in summary:
        written.append(artifacts.write_csv(pd.DataFrame(summary["weights"]["rows"]), ctx.path("summary/weights.csv")))
    written.append(artifacts.write_csv(pd.DataFrame(summary["risks"], columns=["area", "level", "zh", "en"]),
                                       ctx.path("summary/risks.csv")))
    return written


# ---------------------------------------------------------------------------------------------- page

_CSS = """
<style>
.cal-summary {font-family: 'Noto Sans CJK SC','Noto Sans CJK TC','Microsoft YaHei','PingFang SC',sans-serif;
  color:#1d2733; max-width:1180px}
.cal-summary h2 {font-size:17px; margin:14px 0 6px; color:#1f4e79}
.cal-summary .cards {display:flex; gap:10px; flex-wrap:wrap; margin:6px 0 4px}
.cal-summary .card {border:1px solid #d6dde6; border-radius:6px; padding:6px 12px; min-width:170px; background:#f7f9fb}
.cal-summary .card b {display:block; font-size:21px; color:#1f4e79}
.cal-summary .card span {font-size:12px; color:#555}
.cal-summary table {border-collapse:collapse; font-size:12.5px; margin:2px 0}
.cal-summary th {background:#1f4e79; color:#fff; padding:3px 8px; text-align:left !important; font-weight:normal}
.cal-summary td {padding:2px 8px; border-bottom:1px solid #e3e8ee; text-align:left !important}
.cal-summary td.num {text-align:right !important; font-variant-numeric:tabular-nums}
.cal-summary .up {color:#2e7d32} .cal-summary .down {color:#c0504d}
.cal-summary .cols {display:flex; gap:22px; flex-wrap:wrap; align-items:flex-start}
.cal-summary ul.risks {margin:2px 0 0 0; padding-left:18px; font-size:13px}
.cal-summary ul.risks li.high::marker {color:#c0504d} .cal-summary ul.risks li.medium::marker {color:#f79646}
.cal-summary .note {font-size:11.5px; color:#666}
</style>
"""


def render_summary(summary: dict[str, Any], lang: str = "zh") -> str:
    """The page body as HTML (deterministic markup, escaped text)."""
    t = lambda zh, en: text(lang, zh, en)  # noqa: E731
    e = html.escape
    year = summary.get("year")
    data = summary.get("data", {})
    parts = [_CSS, '<div class="cal-summary">']
    parts.append(f"<h1 style='font-size:22px;margin:4px 0'>{e(t(f'{year + 1} 年度绩效方案校准：执行摘要', f'Performance plan {year + 1}: executive summary'))}</h1>"
                 if isinstance(year, int) and year else "")
    if data:
        parts.append("<div class='note'>" + e(t(
            f"{summary.get('indicator_set', '')}｜{data.get('managers')} 名客户经理，{data.get('regions')} 个区域，"
            f"数据期间 {data.get('first_quarter')}–{data.get('last_quarter')}",
            f"{summary.get('indicator_set', '')} | {data.get('managers')} account managers in {data.get('regions')} "
            f"regions, data {data.get('first_quarter')} to {data.get('last_quarter')}")) + "</div>")
    cards = []
    targets = summary.get("targets")
    if targets:
        by = {r["plan"]: r for r in targets["rows"]}
        if "current" in by:
            c = by["current"]
            cards.append((f"{c['expected_share']:.0%}", t("现行方案预计达成目标比例", "expected to hit target, current plan")))
            cards.append((f"{c['bonus_p50']:,.0f} / {c['bonus_p90']:,.0f}", t("奖金总额 P50 / P90（万元）", "bonus cost P50 / P90")))
        if "equal_difficulty" in by:
            d = by["equal_difficulty"]
            cards.append((f"{d['expected_share']:.0%}", t("等难度目标下预计达成比例", "expected to hit, equal-difficulty targets")))
    scoring = summary.get("scoring")
    if scoring and scoring.get("same_grade_mean") is not None:
        cards.append((f"{scoring['same_grade_mean']:.0%}", t("权重波动下等级保持不变的比例", "keep their grade under weight uncertainty")))
    if cards:
        parts.append("<div class='cards'>" + "".join(f"<div class='card'><b>{e(v)}</b><span>{e(k)}</span></div>"
                                                    for v, k in cards) + "</div>")
    parts.append("<div class='cols'><div>")
    weights = summary.get("weights")
    if weights:
        parts.append(f"<h2>{e(t('建议指标权重', 'Proposed indicator weights'))}</h2>")
        head = [t("指标", "Indicator"), t("维度", "Dimension"), t("权重（90% 区间）", "Weight (90% interval)"),
                t("较去年", "vs last year"), t("数据来源", "Data source"), t("考核周期", "Review period")]
        body = []
        for r in weights["rows"]:
            change = r["change"]
            arrow = "▲" if change > 0.0005 else ("▼" if change < -0.0005 else "＝")
            cls = "up" if change > 0.0005 else ("down" if change < -0.0005 else "")
            body.append(
                f"<tr><td>{e(r['label'])}</td><td>{e(str(r['dimension']))}</td>"
                f"<td class='num'>{r['weight']:.1%} ({r['ci_low']:.1%}–{r['ci_high']:.1%})</td>"
                f"<td class='num {cls}'>{arrow} {change * 100:+.1f} pp</td><td>{e(str(r['data_source']))}</td>"
                f"<td>{e(str(r['review_period']))}</td></tr>")
        parts.append(_table(head, body))
    parts.append("</div><div>")
    if targets:
        parts.append(f"<h2>{e(t('目标难度与奖金成本', 'Target difficulty and bonus cost'))}</h2>")
        head = [t("方案", "Plan"), t("较去年增长", "Growth"), t("预计达成比例（P5–P95）", "Expected to hit (P5-P95)"),
                t("奖金 P50", "Bonus P50"), t("奖金 P90", "Bonus P90")]
        body = []
        for r in targets["rows"]:
            if r["plan"] == "data_targets":
                continue
            growth = "" if r["growth"] is None else f"{r['growth']:+.1%}"
            body.append(f"<tr><td>{e(r['label'])}</td><td class='num'>{growth}</td>"
                        f"<td class='num'>{r['expected_share']:.0%} ({r['share_p5']:.0%}–{r['share_p95']:.0%})</td>"
                        f"<td class='num'>{r['bonus_p50']:,.0f}</td><td class='num'>{r['bonus_p90']:,.0f}</td></tr>")
        parts.append(_table(head, body))
        bt = next((r for r in targets["rows"] if r["plan"] == "data_targets"), None)
        if bt and bt["realised_share"] is not None:
            parts.append("<div class='note'>" + e(t(
                f"回测：模型预测 {bt['year']} 年 {bt['expected_share']:.0%} 的经理达成目标，实际为 {bt['realised_share']:.0%}。",
                f"Backtest: the model predicted {bt['expected_share']:.0%} hitting {bt['year']} targets; "
                f"{bt['realised_share']:.0%} did.")) + "</div>")
    if summary.get("last_year_forecast"):          # issue 16: last year's forecast against what happened
        parts.append("<div class='note'>" + e(summary["last_year_forecast"][lang]) + "</div>")
    if scoring and scoring.get("grades"):
        parts.append(f"<h2>{e(t('等级分布', 'Grade distribution'))}</h2>")
        grades = "　".join(f"{g['grade']} {g['managers']}" for g in scoring["grades"])
        extra = t(f"；改进计划 {scoring.get('improvement_plans')} 人", f"; improvement plans: {scoring.get('improvement_plans')}")
        parts.append(f"<div style='font-size:13px'>{e(grades + extra)}</div>")
    parts.append("</div></div>")
    risks = summary.get("risks", [])
    parts.append(f"<h2>{e(t('风险提示', 'Risks'))}</h2>")
    if risks:
        order = {"high": 0, "medium": 1, "low": 2}
        items = sorted(risks, key=lambda r: order.get(r["level"], 3))
        parts.append("<ul class='risks'>" + "".join(f"<li class='{r['level']}'>{e(r[lang])}</li>" for r in items) + "</ul>")
    else:
        parts.append(f"<div>{e(t('未发现需要关注的风险。', 'No risks found.'))}</div>")
    parts.append("<div class='note'>" + e(t("本页仅含汇总数据；个人层面结果见各分报告（经理编号已匿名化）。",
                                             "This page holds aggregates only; individual results are in the detailed "
                                             "reports, with pseudonymised manager IDs.")) + "</div>")
    parts.append("</div>")
    return "\n".join(p for p in parts if p)


def _table(head: list[str], body: list[str]) -> str:
    return ("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table>")


STEP = Step("executive_summary", "90_executive_summary", "执行摘要", "Executive summary", summary_step,
                   html="executive_summary")

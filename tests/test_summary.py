"""The executive summary: figures and plain-language risks from the steps' artifacts."""

from __future__ import annotations

import pandas as pd

from calibrate import artifacts
from calibrate.steps.summary import build_summary, render_summary


def _run_folder(tmp_path, current_share=0.42):
    w = tmp_path / "weights"
    artifacts.write_csv(
        pd.DataFrame(
            {
                "indicator": ["revenue_attainment", "nps", "key_customer_churn"],
                "label": ["收入达成率", "净推荐值", "重点客户流失率"],
                "dimension": ["results", "customer_value", "customer_value"],
                "weight": [0.6, 0.3, 0.1],
                "ci_low": [0.55, 0.25, 0.1],
                "ci_high": [0.65, 0.35, 0.1],
                "last_year": [0.6, 0.25, 0.15],
                "change": [0.0, 0.05, -0.05],
                "data_source": ["performance", "survey", "performance"],
                "review_period": ["quarter"] * 3,
                "binding": ["", "", "change cap"],
            }
        ),
        w / "proposal.csv",
    )
    artifacts.write_csv(
        pd.DataFrame(
            {
                "expert": ["E1", "E2", "aggregate (AIJ)"],
                "consistency_ratio": [0.02, 0.14, 0.03],
                "worst_pair": ["nps/key_customer_churn", "revenue_attainment/nps", "nps/key_customer_churn"],
                "worst_value": [2, 0.2, 1],
                "suggested_value": [2, 3, 1],
            }
        ),
        w / "ahp.csv",
    )
    t = tmp_path / "targets"
    artifacts.write_csv(
        pd.DataFrame(
            {
                "plan": ["current", "equal_difficulty"],
                "year": [2026, 2026],
                "target_total": [1000.0, 1100.0],
                "growth_vs_last_year": [0.1, 0.2],
                "expected_share": [current_share, 0.7],
                "share_p5": [0.35, 0.6],
                "share_p95": [0.5, 0.8],
                "bonus_p50": [90.0, 120.0],
                "bonus_p90": [100.0, 130.0],
                "bonus_p99": [110.0, 140.0],
                "managers": [40, 40],
            }
        ),
        t / "plans.csv",
    )
    artifacts.write_json(
        {"managers": 40, "regions": 5, "first_quarter": "2023Q1", "last_quarter": "2024Q4", "warnings": 0},
        tmp_path / "data" / "summary.json",
    )
    return tmp_path


def test_risks_name_the_inconsistent_expert_the_capped_weight_and_hard_targets(tmp_path):
    page = build_summary(_run_folder(tmp_path), "zh")
    texts = [r["text"] for r in page["risks"]]
    assert any(
        "专家 E2 的两两比较不一致（CR 0.14 ≥ 0.10）" in t and "收入达成率 : 净推荐值 = 1/5" in t and "约为 3" in t
        for t in texts
    )
    assert not any("aggregate" in t or "E1" in t for t in texts)  # consistent experts, the aggregate
    assert any("「重点客户流失率」的权重受“较去年变化上限”约束（15% → 10%）" in t for t in texts)
    assert any("预计只有 42% 的人员能达成目标" in t for t in texts)


def test_easy_targets_are_a_risk_too(tmp_path):
    page = build_summary(_run_folder(tmp_path, current_share=0.95), "en")
    assert any("95% are expected to hit target: little stretch" in r["text"] for r in page["risks"])


def test_page_in_english_holds_the_tables_and_no_individuals(tmp_path):
    page = build_summary(_run_folder(tmp_path), "en")
    page["year"] = 2025
    html = render_summary(page, "en")
    assert "Performance plan 2026: executive summary" in html
    assert "60.0% (55.0%–65.0%)" in html and "+5.0 pp" in html
    assert "42% (35%–50%)" in html and "Equal-difficulty targets" in html
    assert "P-" not in html and "M00" not in html


def test_the_page_recommends_one_plan_beside_the_budget_line(tmp_path):
    page = build_summary(_run_folder(tmp_path), "en", targets={"bonus_base": 5.0})  # budget 5 x 40 = 200
    page["year"] = 2025
    rec = page["targets"]["recommendation"]
    assert (rec["plan"], rec["budget"], rec["band"]) == ("equal_difficulty", 200.0, [0.6, 0.75])
    html = render_summary(page, "en")
    assert "Recommendation: Equal-difficulty targets" in html
    assert "Bonus budget: 200 × 10k CNY (target bonus x 40 managers)" in html
    assert "Bonus P99 (10k CNY)" in html and "140" in html
    assert "@media print" in html and "size:A4" in html


def test_no_qualifying_plan_says_which_constraint_to_relax(tmp_path):
    page = build_summary(_run_folder(tmp_path), "zh", targets={"bonus_base": 5.0, "bonus_budget": 100})
    page["year"] = 2025
    assert page["targets"]["recommendation"]["status"] == "over_budget"
    html = render_summary(page, "zh")
    assert "没有符合条件的方案" in html and "放宽奖金预算至 120 万元" in html
    assert any("所有方案" in r["text"] for r in page["risks"]) is False  # the current plan (90) fits


def test_weights_below_the_floor_are_flagged_with_their_trend(tmp_path):
    page = build_summary(_run_folder(tmp_path), "zh", weight_floor=0.12)
    assert [b["label"] for b in page["weights"]["below_floor"]] == ["重点客户流失率"]
    assert page["weights"]["below_floor"][0]["trend"] == "15% → 10%"
    html = render_summary({**page, "year": 2025}, "zh")
    assert "低于下限" in html and "重点客户流失率：15% → 10%（去年 → 建议）" in html


def test_text_from_the_data_is_escaped(tmp_path):
    folder = _run_folder(tmp_path)
    proposal = pd.read_csv(folder / "weights" / "proposal.csv")
    proposal.loc[0, "label"] = "<script>alert(1)</script>"
    artifacts.write_csv(proposal, folder / "weights" / "proposal.csv")
    html = render_summary({**build_summary(folder, "en"), "year": 2025}, "en")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

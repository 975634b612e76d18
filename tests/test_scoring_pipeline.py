"""The scoring step, its report (papermill) and `calibrate score` on the small sample company."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import calibrate.pipeline as pipeline
from calibrate.cli import main
from calibrate.config import load_config
from calibrate.loading import load_dataset
from calibrate.scoring import Grading, InvalidWeights, ScoringSettings, build_scorecard
from calibrate.steps.base import RunContext
from calibrate.steps.scoring import score_run, scoring_step

PROPOSAL = {
    "revenue_attainment": 0.30,
    "profit_margin": 0.15,
    "new_customer_contribution": 0.10,
    "nps": 0.12,
    "satisfaction": 0.08,
    "key_customer_churn": 0.08,
    "solution_innovation": 0.09,
    "collaboration": 0.08,
}


@pytest.fixture(scope="module")
def scoring_run(small_company_master, tmp_path_factory):
    out = tmp_path_factory.mktemp("scoring_run")
    cfg = load_config(small_company_master / "calibrate.yaml", {"output": str(out / "reports"), "lang": "en"})
    return pipeline.run(cfg, notebooks=["05_scoring"], echo=None)


@pytest.mark.notebook
def test_report_runs_and_shows_pseudonyms_only(scoring_run):
    html = (scoring_run.folder / "05_scoring.html").read_text(encoding="utf-8")
    assert "Manager scores and grades" in html and "data:image/png;base64" in html
    scores = pd.read_csv(scoring_run.folder / "private/scoring/scores.csv")
    shown = [p for p in scores["pseudonym"] if p in html]
    assert shown  # the breakdown and boundary tables
    assert not any(m in html for m in scores["manager_id"])  # no real ids in the report


@pytest.mark.notebook
def test_scores_add_up_grades_follow_the_quotas_and_boundaries_match(scoring_run):
    folder = scoring_run.folder / "private" / "scoring"  # per-manager tables pair IDs with pseudonyms
    scores = pd.read_csv(folder / "scores.csv")
    points = scores.filter(like="points_")
    assert np.allclose(points.sum(axis=1), scores["score"])  # the breakdown adds up to the score
    graded = scores.dropna(subset=["score"])
    counts = graded["grade"].value_counts().reindex(list("ABCDE"), fill_value=0).to_numpy()
    bounds = Grading.forced({"A": 0.1, "B": 0.2, "C": 0.5, "D": 0.15, "E": 0.05}).quota_bounds(len(graded))
    assert graded["score"].is_unique
    assert counts.tolist() == np.diff(np.r_[0, bounds]).tolist()
    stability = pd.read_csv(folder / "stability.csv")
    assert (stability["on_boundary"] == (stability["p_grade_change"] >= 0.2)).all()
    moving = stability["p_grade_change"] > 0
    assert stability.loc[moving, "distance_to_cut"].mean() < stability.loc[~moving, "distance_to_cut"].mean()
    weights = pd.read_csv(scoring_run.folder / "scoring" / "weights.csv")
    assert weights["source"].unique().tolist() == ["indicator_set_default"]
    assert weights["weight"].sum() == pytest.approx(1.0)


def test_step_uses_the_weights_proposal_and_is_byte_identical(small_company_master, tmp_path):
    cfg = load_config(small_company_master / "calibrate.yaml")
    ds = load_dataset(cfg)
    files = {}
    for name in ("a", "b"):
        folder = tmp_path / name
        (folder / "weights").mkdir(parents=True)
        pd.DataFrame({"indicator": list(PROPOSAL), "weight": list(PROPOSAL.values())}).to_csv(
            folder / "weights/proposal.csv", index=False
        )
        written = scoring_step(RunContext(cfg, ds, folder))
        files[name] = {p.relative_to(folder): p.read_bytes() for p in written}
    assert files["a"] == files["b"]
    weights = pd.read_csv(tmp_path / "a/scoring/weights.csv").set_index("indicator")
    assert weights["weight"].to_dict() == pytest.approx(PROPOSAL)
    assert (weights["source"] == "weights/proposal.csv").all()
    comparisons = pd.read_csv(tmp_path / "a/scoring/comparisons.csv")
    versus_default = comparisons[
        (comparisons["weights_a"] == "used") & (comparisons["weights_b"] == "indicator_set_default")
    ]
    assert 0.8 < versus_default["spearman"].iloc[0] < 1.0  # a different weighting ranks a little differently


def test_a_wrong_proposal_names_the_file(small_company_master, tmp_path):
    cfg = load_config(small_company_master / "calibrate.yaml")
    (tmp_path / "weights").mkdir()
    pd.DataFrame({"indicator": ["nps"], "weight": [1.0]}).to_csv(tmp_path / "weights/proposal.csv", index=False)
    with pytest.raises(InvalidWeights, match="proposal.csv: the weights do not match the indicator set: no weight for"):
        score_run(RunContext(cfg, load_dataset(cfg), tmp_path))


def test_too_few_survey_answers_leave_nps_out_and_share_its_weight(small_company_master):
    ds = load_dataset(small_company_master / "calibrate.yaml")
    settings = ScoringSettings.from_section({"min_responses": 12, "stability": {"draws": 20}}, ds.indicator_set)
    card = build_scorecard(ds, settings, seed=1)
    customer = card.customer.set_index(["manager_id", "period"])
    few = customer["nps_responses"] < 12
    assert few.any() and (~few).any()
    assert customer.loc[few, "nps"].isna().all() and (customer.loc[few, "nps_status"] == "insufficient").all()
    quarterly = card.quarterly.scores
    lacking = quarterly["points_nps"].isna()
    assert set(lacking[lacking].index) == set(few[few].index)
    assert (quarterly.loc[lacking, "weight_present"] < 1).all() and quarterly.loc[lacking, "composite"].notna().all()
    assert card.summary()["insufficient_survey_measures"]["nps"] == int(few.sum())


def test_cli_score_prints_the_grade_distribution(small_company_master, tmp_path, capsys):
    code = main(
        [
            "score",
            "--config",
            str(small_company_master / "calibrate.yaml"),
            "--out",
            str(tmp_path / "s"),
            "--output",
            str(tmp_path / "reports"),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    scores = pd.read_csv(tmp_path / "s/scores.csv")
    counts = scores["grade"].value_counts()
    for grade in "ABCD":
        assert any(line.split()[:2] == [grade, str(counts[grade])] for line in printed.splitlines())
    assert "weights from indicator_set_default" in printed and (tmp_path / "s/summary.json").exists()


def test_cli_reports_a_bad_scoring_setting_without_a_traceback(small_company_master, tmp_path, capsys):
    config = tmp_path / "calibrate.yaml"
    text = (small_company_master / "calibrate.yaml").read_text(encoding="utf-8")
    config.write_text(
        text.replace("output: reports", f"output: {tmp_path}\nscoring:\n  grading: curve"), encoding="utf-8"
    )
    for name in (
        "managers.csv",
        "performance.csv",
        "survey.parquet",
        "reviews_360.csv",
        "ahp_judgments.csv",
        "last_year_weights.csv",
    ):
        (tmp_path / name).write_bytes((small_company_master / name).read_bytes())
    assert main(["score", "--config", str(config)]) == 1
    assert "scoring.grading must be 'forced' or 'bands', got 'curve'" in capsys.readouterr().err

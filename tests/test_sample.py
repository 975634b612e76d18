"""The synthetic company: deterministic by seed, and its truth is what the data says."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from tests.conftest import SMALL

from calibrate.loading import load_dataset
from calibrate.panel import indicator_panel
from calibrate.sample import SampleSpec, generate_company, write_sample


def test_same_seed_same_files(tmp_path):
    a, b = write_sample(tmp_path / "a", SMALL, seed=3), write_sample(tmp_path / "b", SMALL, seed=3)
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes(), key


def test_different_seed_different_data():
    x = generate_company(SMALL, seed=1).tables["performance"]["revenue"]
    y = generate_company(SMALL, seed=2).tables["performance"]["revenue"]
    assert not np.array_equal(x.to_numpy()[:50], y.to_numpy()[:50])


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    """data/sample/ is reproducible from `calibrate sample` with the default spec and seed."""
    from tests.conftest import ROOT

    written = write_sample(tmp_path, SampleSpec(), seed=2025)
    for key, path in written.items():
        assert path.read_bytes() == (ROOT / "data" / "sample" / path.name).read_bytes(), key


def test_the_committee_table_draws_from_its_own_stream(tmp_path, monkeypatch):
    """Every other file of a sample company is byte-identical with and without the innovation committee's
    table (truth.json gains only its 'innovation_committee' entry): the table has its own random stream."""
    import calibrate.sample.model as model

    with_table = write_sample(tmp_path / "with", SMALL, seed=3)
    assert {"innovation", "director_config"} <= set(with_table)
    empty = pd.DataFrame({"manager_id": [], "year": [], "accepted_solutions": []})
    monkeypatch.setattr(model, "committee_table", lambda traits, quarters, seed: (empty, {}))
    without = write_sample(tmp_path / "without", SMALL, seed=3)
    for key, path in with_table.items():
        if key not in ("innovation", "truth"):
            assert path.read_bytes() == without[key].read_bytes(), key
    truth = json.loads(with_table["truth"].read_text(encoding="utf-8"))
    assert truth.pop("innovation_committee")["rows"] > 0
    assert truth == {
        k: v for k, v in json.loads(without["truth"].read_text(encoding="utf-8")).items() if k != "innovation_committee"
    }


def test_sample_shape_matches_the_brief(sample_config):
    ds = load_dataset(sample_config)
    assert ds.managers.shape[0] == 400 and ds.managers.region.nunique() == 5
    assert len(ds.quarters) == 12
    assert ds.survey.recommend.isna().mean() > 0.3  # non-response is present
    raters = ds.reviews.groupby(["manager_id", "period", "criterion"]).rater_id.nunique()
    assert raters.between(5, 8).all()
    assert ds.ahp_judgments.expert.nunique() == 5
    new_hires = (ds.managers.hire_date >= "2023-04-01").sum()
    assert 40 <= new_hires <= 120


def test_truth_file_describes_the_data(sample_config):
    truth = json.loads((sample_config.parent / "truth.json").read_text(encoding="utf-8"))
    assert truth["importance_order"]["revenue_growth"] == [
        "nps",
        "satisfaction",
        "solution_innovation",
        "collaboration",
    ]
    assert truth["importance_order"]["retention"] == ["nps", "satisfaction", "collaboration", "solution_innovation"]
    assert 0.45 < truth["ramp"]["first_year_mean"] < 0.55  # a new hire's first year is about half
    fy = truth["final_year"]
    assert 0 < fy["expected_share_hitting_annual_target"] < 1


def test_regression_on_sample_recovers_true_retention_effects(sample_config):
    """A binomial GLM of next-quarter customers kept on the lagged indicators recovers the generator's effects."""
    truth = json.loads((sample_config.parent / "truth.json").read_text(encoding="utf-8"))
    panel = indicator_panel(load_dataset(sample_config)).dropna().reset_index()
    import statsmodels.api as sm

    formula = (
        "next_customers_kept + I(next_customers_start - next_customers_kept) ~ nps + satisfaction"
        " + solution_innovation + collaboration"
    )
    fit = smf.glm(formula, data=panel, family=sm.families.Binomial()).fit()
    for name, effect in truth["spec"]["churn_effects"].items():
        # kept = not lost, so the sign flips; within 3 standard errors
        assert abs(fit.params[name] + effect) < 3 * fit.bse[name], name


def test_leniency_correction_recovers_the_raters_true_leniency(sample_config):
    """Each sample rater has a lasting leniency (truth_raters.csv); the 360 correction of
    calibrate.scoring.reviews360 estimates it and brings the scores nearer the leniency-free means."""
    from calibrate.scoring.reviews360 import aggregate_reviews

    folder = sample_config.parent
    truth = pd.read_csv(folder / "truth_raters.csv").set_index("rater_id")["leniency"]
    reviews = pd.read_csv(folder / "reviews_360.csv")
    result = aggregate_reviews(reviews, trim=False)
    effects = result.rater_effects.set_index("rater_id")
    rated = effects.index[effects["n_ratees"] >= 3]
    true = truth[rated] - np.average(truth[rated], weights=effects.loc[rated, "n_ratings"])  # centred as estimated
    assert np.corrcoef(effects.loc[rated, "leniency"], true)[0, 1] > 0.8
    assert abs(result.leniency_sd - json.loads((folder / "truth.json").read_text())["rater_leniency"]["sd"]) < 0.1
    # per review: mean true leniency of its raters (what an uncorrected mean carries) vs error left after correction
    reviews = reviews.assign(
        true=truth[reviews["rater_id"]].to_numpy() - np.average(truth[rated], weights=effects.loc[rated, "n_ratings"]),
        estimated=effects["leniency"].reindex(reviews["rater_id"]).to_numpy(),
    )
    per_review = reviews.groupby(["manager_id", "period", "criterion"])[["true", "estimated"]].mean()
    uncorrected_rmse = np.sqrt(np.mean(per_review["true"] ** 2))
    corrected_rmse = np.sqrt(np.mean((per_review["true"] - per_review["estimated"]) ** 2))
    assert corrected_rmse < 0.6 * uncorrected_rmse, (corrected_rmse, uncorrected_rmse)
    scores = result.scores.set_index(["manager_id", "period", "criterion"])
    free = scores["raw_mean"] - per_review["true"].reindex(scores.index)  # the leniency-free mean of each review
    assert np.sqrt(np.mean((scores["score"] - free) ** 2)) < np.sqrt(np.mean((scores["raw_mean"] - free) ** 2))

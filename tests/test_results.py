"""Every public result of the method packages has to_frame(), a Summary from summary() and a small _repr_html_."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibrate.results import Summary

REFERENCE = Path(__file__).parent / "reference"
HTML_LIMIT = 20_000  # characters: a summary, never whole arrays (a 400-manager table is far larger)
METHOD_PACKAGES = ("weights", "targets", "scoring", "pls", "research")
# every module of the method packages: a new result type is covered the day it is written
METHOD_MODULES = sorted(
    f"{package}.{info.name}"
    for package in METHOD_PACKAGES
    for info in pkgutil.iter_modules(importlib.import_module(f"calibrate.{package}").__path__)
)
# public dataclasses of those modules that are settings, inputs or parts of a result, not results
NOT_RESULTS = {
    "WorstJudgment",
    "Design",
    "BootstrapInputs",
    "ManagerStack",  # the bootstrap's per-manager inputs, computed blockwise (not a result)
    "WeightSettings",
    "WeightConstraints",
    "TargetSettings",
    "SimulatedChunk",
    "HierarchyAggregate",
    "ExpertHierarchy",  # parts of HierarchicalAHPResult
    "Grading",
    "Rule",
    "Block",
    "PathModel",  # specifications a method takes
    "OuterSolution",
    "BootstrapDraws",
    "InnerEstimates",  # PLS internals, parts of PLSResult
    "RandomInterceptFit",  # the REML solver's output, inside RegressionResult
    "LeanFit",  # the blockwise OLS/logit solvers' output, inside RegressionResult
}


@pytest.fixture(scope="module")
def results(small_company_master) -> dict[str, object]:
    """One instance of every public result type, from the small sample company (and mobi for PLS)."""
    from calibrate.ecsi import fit_ecsi
    from calibrate.indicators import load_indicator_set
    from calibrate.loading import load_dataset
    from calibrate.panel import indicator_panel
    from calibrate.research import compare_indicator_sets, indicator_redundancy
    from calibrate.scoring import build_scorecard
    from calibrate.scoring.composite import composite_scores
    from calibrate.scoring.reviews360 import aggregate_reviews
    from calibrate.scoring.settings import ScoringSettings
    from calibrate.targets import fit_performance_model, target_plan
    from calibrate.targets.backtest import backtest
    from calibrate.targets.calibration import uniform_growth_for_probability
    from calibrate.targets.payout import PayoutCurve
    from calibrate.targets.recommend import recommend_plan
    from calibrate.targets.simulation import attainment, bonus_cost
    from calibrate.weights import propose_weights
    from calibrate.weights.ahp_hierarchy import ahp_hierarchy
    from calibrate.weights.importance import lmg
    from calibrate.weights.outcome_models import outcome_regression

    ds = load_dataset(small_company_master / "calibrate.yaml")
    proposal = propose_weights(ds, bootstrap=10, seed=1, mixed=False)
    fit = fit_performance_model(ds)
    model = fit.model
    curve = PayoutCurve.standard()
    card = build_scorecard(ds, ScoringSettings.from_section({"stability": {"draws": 10}}, ds.indicator_set), seed=1)
    panel = indicator_panel(ds).dropna().reset_index()
    ids = list(ds.indicator_set.ids)
    points = card.points if isinstance(card.points, pd.DataFrame) else None
    out = {
        "AHPResult": proposal.ahp.aij,
        "AHPPanelResult": proposal.ahp,
        "RegressionResult": proposal.regressions.growth_ols,
        "RegressionSuite": proposal.regressions,
        "EvidenceImportance": proposal.evidence,
        "BootstrapResult": proposal.bootstrap,
        "BaselineWeights": next(iter(proposal.baselines.values())),
        "WeightProposal": proposal,
        "ImportanceResult": lmg(panel, "next_revenue_growth", ["nps", "satisfaction", "collaboration"]),
        "BlendResult": proposal.blend,
        "PerformanceModel": model,
        "PerformanceFit": fit,
        "RampEstimate": fit.ramp,
        "AttainmentResult": attainment(model, model.median, scenarios=200, seed=1, payout=curve, bonus_base=1.0),
        "UniformGrowth": uniform_growth_for_probability(model, 0.6, model.median),
        "PayoutCurve": curve,
        "BonusCost": bonus_cost(model, model.median, curve, 1.0, scenarios=200, seed=1),
        "BacktestResult": backtest(ds, scenarios=200, seed=1),
        "TargetPlan": target_plan(ds, settings={"scenarios": 200}, seed=1),
        "StabilityResult": card.stability,
        "ReviewScores": aggregate_reviews(ds.reviews),
        "Scorecard": card,
        "PLSResult": fit_ecsi(pd.read_csv(REFERENCE / "mobi.csv"), n_boot=10, seed=1),
        "ComparisonResult": compare_indicator_sets(
            ds, {"am": load_indicator_set("account_manager")}, weights="equal", bootstrap=0
        ),
        "RedundancyResult": indicator_redundancy(panel, ids),
    }
    out["PLSBootstrap"] = out["PLSResult"].bootstrap
    plans_table = pd.DataFrame(
        {
            "plan": ["current", "equal_difficulty"],
            "expected_share": [0.55, 0.7],
            "bonus_p50": [10.0, 12.0],
            "bonus_p90": [11.0, 13.0],
            "bonus_p99": [12.0, 14.0],
        }
    )
    out["Recommendation"] = recommend_plan(plans_table, budget=12.5)
    out["OutcomeFit"] = outcome_regression(panel, "next_revenue_growth", ["nps", "satisfaction"], cluster="manager_id")
    judgments = pd.DataFrame(
        {"expert": "E1", "row": ["g1", "a", "a", "b", "x"], "col": ["g2", "b", "c", "c", "y"], "value": [2, 3, 5, 2, 2]}
    )
    out["HierarchicalAHPResult"] = ahp_hierarchy(
        judgments, {"goal": ["g1", "g2"], "g1": ["a", "b", "c"], "g2": ["x", "y"]}
    )
    # the calibration cycle (issue 16): a review, a forecast check and a mid-year re-weighting
    from calibrate.scoring.midyear import midyear_reweighting, raise_weight
    from calibrate.targets.backtest import backtest_year
    from calibrate.targets.forecast_check import forecast_check, realised_year
    from calibrate.targets.review import review_forecast

    year = backtest_year(ds)
    review = review_forecast(ds.performance, ds.managers, year=year, through=f"{year}Q2", scenarios=200, seed=1)
    out["ReviewResult"] = review
    out["ForecastCheck"] = forecast_check(
        review.to_frame(),
        realised_year(ds.performance, year),
        expected_share=review.expected_share,
        share_low=0.0,
        share_high=1.0,
    )
    out["MidyearResult"] = midyear_reweighting(
        card.points[ids],
        card.weights,
        raise_weight(card.weights, {ids[0]: 0.5}),
        switch=f"{card.year}Q3",
        grading=card.grading,
        grade_coefficients=ScoringSettings.from_section({}).grade_coefficients,
    )
    if points is not None:
        out["CompositeResult"] = composite_scores(
            points.select_dtypes("number").fillna(0.0)[ids], pd.Series(1 / len(ids), index=ids)
        )
    return out


def _result_types() -> list[str]:
    names = []
    for module in METHOD_MODULES:
        mod = importlib.import_module(f"calibrate.{module}")
        for name, obj in vars(mod).items():
            if (
                inspect.isclass(obj)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == mod.__name__
                and not name.startswith("_")
                and name not in NOT_RESULTS
                and not name.endswith("Settings")
            ):
                names.append(name)
    return sorted(names)


def test_every_public_result_type_is_covered(results):
    assert sorted(results) == _result_types()


@pytest.mark.parametrize("name", _result_types())
def test_result_has_frame_summary_and_small_html(results, name):
    result = results[name]
    assert isinstance(result.to_frame(), pd.DataFrame)
    summary = result.summary()
    assert isinstance(summary, Summary)
    assert isinstance(summary.table, pd.DataFrame) and summary.title
    text, page = str(summary), result._repr_html_()
    assert text and isinstance(page, str) and page.startswith("<div") and len(page) < HTML_LIMIT
    assert page == summary._repr_html_()


def test_summary_keeps_the_figures_callers_read(results):
    """Callers that read the old dict/Series summaries keep working through the Summary's figures."""
    fit = results["PerformanceFit"]
    assert fit.summary()["growth_mean"] == fit.growth_mean and dict(fit.summary()) == fit.to_dict()
    bt = results["BacktestResult"]
    assert bt.summary()["brier"] == bt.brier and bt.summary()["fit"] == bt.fit.to_dict()
    cost = results["BonusCost"]
    assert dict(cost.summary().items()) == cost.to_series().to_dict()
    ahp = results["AHPResult"]
    assert str(ahp.summary()) == ahp.summary_text() and "CR =" in str(ahp.summary())


def test_long_tables_are_cut_in_text_and_html():
    frame = pd.DataFrame({"x": np.arange(500.0)})
    s = Summary(title="long <table>", table=frame)
    assert "460 more rows not shown" in str(s) and "460 more rows not shown" in s._repr_html_()
    assert "long &lt;table&gt;" in s._repr_html_() and len(s._repr_html_()) < HTML_LIMIT


def test_a_summary_reads_as_a_full_mapping():
    """keys(), values() and items() are the Mapping protocol's (a field named ``values`` once shadowed it)."""
    s = Summary.from_values("Backtest", {"brier": 0.18, "managers": 368})
    assert list(s.keys()) == ["brier", "managers"]
    assert list(s.values()) == [0.18, 368]
    assert dict(s.items()) == {"brier": 0.18, "managers": 368}

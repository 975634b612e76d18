"""Research tools: comparing indicator sets, and new indicators from a YAML entry and a data column."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from calibrate.errors import CalibrateError, ConfigError, ValidationError  # noqa: E402
from calibrate.indicators import indicator_set_text, load_indicator_set, parse_indicator_set  # noqa: E402
from calibrate.loading import load_dataset, load_dataset_for_sets  # noqa: E402
from calibrate.plotting import use_theme  # noqa: E402
from calibrate.report.research import differences_table, plot_comparison, report_table, weights_table  # noqa: E402
from calibrate.research import (  # noqa: E402
    compare_indicator_sets,
    indicator_redundancy,
    load_sets,
    rank_stability_over_periods,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO_SET = ROOT / "data" / "sample" / "indicator_sets" / "account_manager_plus_churn.yaml"
SEASON = {"2024Q1": -0.08, "2024Q2": -0.01, "2024Q3": 0.02, "2024Q4": 0.07}


# --------------------------------------------------------------------------- toy data with a known answer


def _toy_set(name: str, directions: dict[str, str], weights: dict[str, float] | None = None):
    """An indicator set over panel columns (one dimension), built the way a YAML file is parsed."""
    indicators = []
    for ident, direction in directions.items():
        entry = {
            "id": ident,
            "label": {"zh": ident, "en": ident},
            "dimension": "all",
            "direction": direction,
            "unit": "score",
            "source": "performance",
            "compute": {"column": ident},
            "review_period": "quarter",
        }
        if weights:
            entry["weight"] = weights[ident]
        indicators.append(entry)
    raw = {
        "name": name,
        "label": {"zh": name, "en": name},
        "dimensions": {"all": {"label": {"zh": "全部", "en": "All"}, "band": [0.0, 1.0]}},
        "indicators": indicators,
    }
    return parse_indicator_set(raw, where=f"{name}.yaml")


def _toy_panel(n_managers: int = 200, seed: int = 0) -> pd.DataFrame:
    """Growth = season + 0.5 a exactly; retention = 0.9 - 0.02 b exactly; a and b independent."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"M{i:03d}" for i in range(n_managers)], list(SEASON)], names=["manager_id", "period"]
    )
    a, b = rng.normal(size=len(index)), rng.normal(size=len(index))
    season = index.get_level_values("period").map(SEASON).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "a": a,
            "b": b,
            "a_flipped": -a,
            "a_rescaled": 100 * a + 7,
            "next_revenue_growth": season + 0.5 * a,
            "next_retention": 0.9 - 0.02 * b,
        },
        index=index,
    )


def test_exact_driver_predicts_perfectly_and_a_diluted_score_halves_r2():
    panel = _toy_panel()
    sets = {
        "a": _toy_set("a", {"a": "higher"}),
        "b": _toy_set("b", {"b": "lower"}),
        "ab": _toy_set("ab", {"a": "higher", "b": "lower"}),
    }
    res = compare_indicator_sets(panel, sets, weights="equal", bootstrap=0)
    assert res.r2("a", "next_revenue_growth") == pytest.approx(1.0, abs=1e-9)
    assert res.r2("b", "next_retention") == pytest.approx(1.0, abs=1e-9)
    # an independent indicator cannot predict: out of sample R^2 near zero (slightly below: estimation noise)
    assert -0.05 < res.r2("a", "next_retention") <= 0.005
    # composite (z_a - z_b) / 2: corr with a is 1/sqrt(2), so R^2 = 0.5 in the population
    assert res.r2("ab", "next_revenue_growth") == pytest.approx(0.5, abs=0.07)
    assert res.r2("ab", "next_retention") == pytest.approx(0.5, abs=0.07)
    # free weights on the indicators recover the exact linear truth: the ceiling is 1
    assert res.r2("ab", "next_revenue_growth", "indicators") == pytest.approx(1.0, abs=1e-9)
    assert res.ranking("next_retention") == ["b", "ab", "a"]
    summary = res.to_frame().set_index("set")
    assert summary.loc["ab", "max_abs_corr"] < 0.15  # independent draws
    assert summary.loc["ab", "max_vif"] == pytest.approx(1.0, abs=0.02)
    # a is drawn afresh every quarter: managers' ranks do not persist
    assert abs(summary.loc["a", "rank_stability_periods"]) < 0.1


def test_direction_and_scale_of_an_indicator_do_not_change_the_result():
    panel = _toy_panel(n_managers=60)
    sets = {
        "a": _toy_set("a", {"a": "higher"}),
        "flipped": _toy_set("flipped", {"a_flipped": "lower"}),
        "rescaled": _toy_set("rescaled", {"a_rescaled": "higher"}),
    }
    res = compare_indicator_sets(panel, sets, weights="equal", bootstrap=0, folds=3)
    p = res.predictions.pivot_table(
        index=["outcome", "model", "manager_id", "period"], columns="set", values="predicted"
    )
    np.testing.assert_allclose(p["flipped"], p["a"], atol=1e-9)
    np.testing.assert_allclose(p["rescaled"], p["a"], atol=1e-9)


def test_weight_function_gets_training_rows_and_all_weight_on_one_indicator_equals_that_indicator():
    panel = _toy_panel(n_managers=50)
    seen: list[int] = []

    def only_a(train: pd.DataFrame, iset) -> dict[str, float]:
        seen.append(train.index.get_level_values("manager_id").nunique())
        return {"a": 1.0, "b": 0.0}

    sets = {"ab": _toy_set("ab", {"a": "higher", "b": "lower"})}
    custom = compare_indicator_sets(panel, sets, weights=only_a, bootstrap=0, folds=5)
    alone = compare_indicator_sets(panel, {"a": _toy_set("a", {"a": "higher"})}, weights="equal", bootstrap=0, folds=5)
    assert custom.r2("ab", "next_revenue_growth") == pytest.approx(alone.r2("a", "next_revenue_growth"), abs=1e-12)
    assert sorted(seen) == [40, 40, 40, 40, 40, 50]  # five training parts of 4/5 of the managers, then all
    assert custom.to_frame()["weights"].iloc[0] == "only_a"


def test_redundancy_figures_match_hand_computation():
    # x = 1..4 and y = (1, 3, 2, 4): r = 4 / 5 = 0.8, so VIF = 1 / (1 - 0.64) = 2.7778
    res = indicator_redundancy(pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [1.0, 3, 2, 4]}), ["x", "y"])
    assert res.max_abs_corr == pytest.approx(0.8)
    assert res.max_vif == pytest.approx(1 / 0.36)
    assert res.max_corr_pair == ("x", "y")
    # an exact sum of two others is infinitely inflated
    frame = pd.DataFrame({"a": [1.0, 2, 4, 3, 6], "b": [2.0, 1, 1, 5, 3]})
    frame["total"] = frame["a"] + frame["b"]
    assert np.isinf(indicator_redundancy(frame, ["a", "b", "total"]).vif).all()


def test_rank_stability_over_periods_hand_case():
    idx = pd.MultiIndex.from_product(
        [["M1", "M2", "M3", "M4"], ["2024Q1", "2024Q2", "2024Q3", "2025Q1"]], names=["manager_id", "period"]
    )
    by_manager = {"M1": [1, 1, 4, 9], "M2": [2, 2, 3, 1], "M3": [3, 3, 2, 5], "M4": [4, 4, 1, 2]}
    scores = pd.Series([v for m in by_manager for v in by_manager[m]], index=idx, dtype=float)
    # Q1->Q2 same order (+1), Q2->Q3 reversed (-1); Q3->2025Q1 is not consecutive and is skipped
    assert rank_stability_over_periods(scores) == pytest.approx(0.0)
    assert rank_stability_over_periods(scores.drop("2024Q3", level="period")) != rank_stability_over_periods(scores)


# --------------------------------------------------------------------------- known truth of the sample company


@pytest.fixture(scope="module")
def sample_dataset(sample_config):
    return load_dataset(sample_config)


def test_sample_set_without_nps_and_satisfaction_predicts_worse(sample_dataset):
    """truth.json: NPS and satisfaction are the true drivers of churn and (with 360s) of revenue growth."""
    full = load_indicator_set("account_manager")
    without = full.subset([i for i in full.ids if i not in ("nps", "satisfaction")])
    res = compare_indicator_sets(sample_dataset, {"with": full, "without": without}, weights="equal", bootstrap=0)
    for outcome in ("next_retention", "next_revenue_growth"):
        for model in ("composite", "indicators"):
            assert res.r2("with", outcome, model) > res.r2("without", outcome, model) + 0.05
    gain = res.differences("without").set_index("outcome")
    assert (gain["z"] > 5).all()
    # without the customer indicators almost nothing about retention is left (the rest has no true effect)
    assert res.r2("without", "next_retention", "indicators") < 0.05
    assert res.r2("with", "next_retention", "indicators") > 0.3


def test_data_driven_weights_are_steadier_with_ten_times_the_managers(sample_dataset, small_company):
    """Bootstrap sd of the entropy weights is clearly smaller with 400 managers than with 40.

    Not by the full sqrt(10): entropy weights hang on extreme values, and a heavy-tailed indicator
    (new_customer_contribution: sd 0.033 at 400 managers, 0.043 at 40) steadies slowly. On the sample
    regenerated with lasting rater leniency the ratio is 1.79 with 200 resamples (1.69-2.12 over seeds 1-3
    with 20); it was above 2 on the earlier sample, hence 1.5 here."""
    sets = {"am": load_indicator_set("account_manager")}
    big = compare_indicator_sets(sample_dataset, sets, weights="entropy", bootstrap=20, seed=1).to_frame()
    small = compare_indicator_sets(
        load_dataset(small_company / "calibrate.yaml"), sets, weights="entropy", bootstrap=20, seed=1
    ).to_frame()
    assert 0 < big["weight_sd"].iloc[0] < small["weight_sd"].iloc[0] / 1.5
    assert big["rank_stability_bootstrap"].iloc[0] > small["rank_stability_bootstrap"].iloc[0]


# --------------------------------------------------------------------------- new indicators without code

PIPELINE = """\
  - id: pipeline_coverage
    label: {zh: 商机覆盖率, en: Pipeline coverage}
    dimension: results
    direction: higher
    unit: ratio
    source: performance
    compute: {ratio: [pipeline, revenue]}
    review_period: quarter
"""
NOISE = """\
  - id: lucky_number
    label: {zh: 幸运数字, en: Lucky number}
    dimension: strategic_behaviour
    direction: higher
    unit: score
    source: performance
    compute: {column: lucky_number}
    review_period: quarter
"""


def _add_columns(folder: Path, seed: int = 11) -> None:
    """pipeline: next quarter's revenue as the sales pipeline sees it (true growth x noise); lucky_number: noise."""
    perf = pd.read_csv(folder / "performance.csv")
    nxt = perf.groupby("manager_id")["revenue"].shift(-1)
    growth = np.log(nxt / perf["revenue"])
    rng = np.random.default_rng(seed)
    perf["pipeline"] = (perf["revenue"] * np.exp(growth.fillna(growth.mean()) + rng.normal(0, 0.1, len(perf)))).round(2)
    perf["lucky_number"] = rng.normal(50, 10, len(perf)).round(2)
    perf.to_csv(folder / "performance.csv", index=False)


def _variant(folder: Path, name: str, entry: str) -> Path:
    text = indicator_set_text("account_manager").replace("name: account_manager", f"name: {name}")
    path = folder / f"{name}.yaml"
    path.write_text(text + entry, encoding="utf-8")
    return path


def test_new_indicator_from_a_yaml_entry_and_a_column(small_company):
    _add_columns(small_company)
    sets = load_sets(
        [
            "account_manager",
            _variant(small_company, "plus_pipeline", PIPELINE),
            _variant(small_company, "plus_noise", NOISE),
        ]
    )
    ds = load_dataset_for_sets(small_company / "calibrate.yaml", sets)
    res = compare_indicator_sets(ds, sets, weights="equal", bootstrap=0, seed=0)
    growth = "next_revenue_growth"
    ranking = res.ranking(growth)
    assert ranking[0] == "plus_pipeline"
    for model in ("composite", "indicators"):
        gain = res.differences("account_manager", model=model).set_index(["set", "outcome"])
        assert gain.loc[("plus_pipeline", growth), "z"] > 4  # clearly better
        assert gain.loc[("plus_noise", growth), "z"] < 2  # noise is never clearly better
    assert res.r2("plus_pipeline", growth, "indicators") > 0.5


def test_a_noise_indicator_lowers_validity_on_average(small_company):
    """With 40 managers one noise column can beat the base set by chance (seed 11 of the test above: composite
    delta_r2 +0.011, z 0.77), so the claim 'noise does not help' is checked on average over five noise columns."""
    deltas = {"composite": [], "indicators": []}
    for seed in range(11, 16):
        _add_columns(small_company, seed)
        sets = load_sets(["account_manager", _variant(small_company, "plus_noise", NOISE)])
        ds = load_dataset_for_sets(small_company / "calibrate.yaml", sets)
        res = compare_indicator_sets(ds, sets, weights="equal", bootstrap=0, seed=0)
        for model in deltas:
            gain = res.differences("account_manager", model=model).set_index(["set", "outcome"])
            deltas[model].append(gain.loc[("plus_noise", "next_revenue_growth"), "delta_r2"])
    assert np.mean(deltas["composite"]) < 0 and np.mean(deltas["indicators"]) < 0


def test_a_new_column_is_validated_like_any_input(small_company):
    _add_columns(small_company)
    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    perf.loc[3, "pipeline"] = "n/a"
    perf.to_csv(small_company / "performance.csv", index=False)
    sets = load_sets([_variant(small_company, "plus_pipeline", PIPELINE)])
    with pytest.raises(ValidationError, match=r"performance.csv row 5, column pipeline: 'n/a' is not a number"):
        load_dataset_for_sets(small_company / "calibrate.yaml", sets)


def test_a_set_reading_a_missing_column_is_named(small_company):
    sets = load_sets([_variant(small_company, "plus_pipeline", PIPELINE)])
    ds = load_dataset(small_company / "calibrate.yaml")
    with pytest.raises(
        CalibrateError,
        match=r"'plus_pipeline', indicator pipeline_coverage: the performance "
        r"data has no column pipeline",
    ):
        compare_indicator_sets(ds, sets, weights="equal", bootstrap=0)


# --------------------------------------------------------------------------- stability, reproducibility


def test_stability_figures_and_reproducibility(small_company_master):
    ds = load_dataset(small_company_master / "calibrate.yaml")
    sets = load_sets(["account_manager", "key_account_director"])
    fixed = compare_indicator_sets(ds, sets, bootstrap=10, seed=3)
    f = fixed.to_frame().set_index("set")
    assert (f["weight_sd"] == 0).all() and (f["weight_order_kept"] == 1).all()
    assert (f["rank_stability_bootstrap"] > 0.95).all()
    w = fixed.weights.set_index(["set", "indicator"])
    assert w.loc[("key_account_director", "revenue_attainment"), "weight"] == 0.25  # the template's 25%
    learnt = compare_indicator_sets(ds, sets, weights="critic", bootstrap=10, seed=3)
    lw = learnt.weights
    assert (learnt.to_frame()["weight_sd"] > 0).all()
    assert np.allclose(lw.groupby("set")["weight"].sum(), 1.0)
    assert ((lw["boot_low"] <= lw["boot_mean"]) & (lw["boot_mean"] <= lw["boot_high"])).all()
    # same seed, same figures; a set's figures do not depend on the other sets compared
    again = compare_indicator_sets(ds, sets, weights="critic", bootstrap=10, seed=3)
    pd.testing.assert_frame_equal(learnt.to_frame(), again.to_frame())
    alone = compare_indicator_sets(
        ds, {"key_account_director": sets["key_account_director"]}, weights="critic", bootstrap=10, seed=3
    )
    pd.testing.assert_frame_equal(
        alone.to_frame().reset_index(drop=True), learnt.to_frame().iloc[[1]].reset_index(drop=True)
    )


# --------------------------------------------------------------------------- bad input


def test_bad_arguments_have_actionable_messages():
    panel = _toy_panel(n_managers=4)
    sets = {"a": _toy_set("a", {"a": "higher"})}
    with pytest.raises(ConfigError, match="weights 'pca' is not one of default, equal, entropy"):
        compare_indicator_sets(panel, sets, weights="pca")
    with pytest.raises(CalibrateError, match="5 folds need at least 5 managers; the data has 4: lower 'folds'"):
        compare_indicator_sets(panel, sets, weights="equal", folds=5)
    with pytest.raises(ConfigError, match=r"no template weight for a: .*weights='equal'"):
        compare_indicator_sets(panel, sets, folds=2)
    with pytest.raises(CalibrateError, match="outcome.s. next_profit are not in the panel"):
        compare_indicator_sets(panel, sets, weights="equal", folds=2, outcomes=["next_profit"])
    with pytest.raises(ConfigError, match="bootstrap must be a whole number of at least 0"):
        compare_indicator_sets(panel, sets, weights="equal", folds=2, bootstrap=-1)
    with pytest.raises(CalibrateError, match="indicator set 'a': weight function <lambda> returned negative"):
        compare_indicator_sets(panel, sets, weights=lambda p, s: {"a": -1.0}, folds=2)
    with pytest.raises(CalibrateError, match="no column for indicator.s. z"):
        compare_indicator_sets(panel, {"z": _toy_set("z", {"z": "higher"})}, weights="equal", folds=2)


# --------------------------------------------------------------------------- report pieces and notebook


def test_tables_and_chart_show_the_comparison():
    panel = _toy_panel(n_managers=40)
    sets = {
        "a": _toy_set("a", {"a": "higher"}, {"a": 1.0}),
        "ab": _toy_set("ab", {"a": "higher", "b": "lower"}, {"a": 0.5, "b": 0.5}),
    }
    res = compare_indicator_sets(panel, sets, bootstrap=5, folds=4)
    use_theme("zh")
    fig = plot_comparison(res, "zh")
    bars = [p.get_width() for p in fig.axes[0].patches]
    assert bars == pytest.approx([res.r2("a", "next_revenue_growth"), res.r2("ab", "next_revenue_growth")])
    table = report_table(res, "zh")
    assert list(table["指标体系"]) == ["a", "ab"]
    assert table["下季度收入增长：综合得分 R²"].iloc[0] == pytest.approx(1.0)
    assert differences_table(res, lang="en")["R² gain"].iloc[0] == pytest.approx(
        round(res.r2("ab", "next_revenue_growth") - 1.0, 3), abs=1e-3
    )
    assert weights_table(res, "en").loc["b", "ab"] == 0.5


@pytest.mark.notebook
def test_research_notebook_runs_under_papermill(small_company, tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "research.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "10_indicator_research.ipynb"),
        str(out),
        parameters={"config": str(small_company / "calibrate.yaml"), "bootstrap": 5, "folds": 3, "lang": "en"},
        cwd=str(ROOT),
        progress_bar=False,
        kernel_name="python3",
    )
    import nbformat

    nb = nbformat.read(str(out), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "Account manager + customer churn" in html and "Key-account director indicators" in html
    assert DEMO_SET.exists()


# --------------------------------------------------------------------------- folds


def test_folds_are_our_own_grouped_balanced_and_fixed_by_the_seed():
    """The folds come from calibrate's own rule (no scikit-learn): a manager's rows share one fold, fold sizes
    differ by at most the largest manager, the seed fixes them, and the exact assignment is pinned."""
    from calibrate.research.compare import grouped_folds

    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(300), rng.integers(1, 12, 300))
    fold = grouped_folds(groups, 5, seed=3)
    assert set(fold) == set(range(5))
    assert all(len(set(fold[groups == g])) == 1 for g in range(300))
    rows = np.bincount(fold)
    assert rows.max() - rows.min() <= 11
    np.testing.assert_array_equal(fold, grouped_folds(groups, 5, seed=3))
    assert not np.array_equal(fold, grouped_folds(groups, 5, seed=4))
    # pinned: a change of numpy's SeedSequence/PCG64 or of the rule shows here
    assert grouped_folds(np.array([0, 0, 1, 2, 2, 2, 3]), folds=2, seed=0).tolist() == [1, 1, 1, 0, 0, 0, 0]
    assert fold[:12].tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4] and rows.tolist() == [375, 375, 374, 372, 373]

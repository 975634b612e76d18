"""12_what_if's computation: a changed weight limit or plan probability beside the baseline run."""

from __future__ import annotations

import pytest

from calibrate.notebook_params import NotebookParameterError
from calibrate.whatif import plot_what_if, targets_table, what_if

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(small_company_master):
    # the steps are computed into the session's cache folder (CALIBRATE_CACHE, tests/conftest.py)
    return what_if(
        small_company_master / "calibrate.yaml",
        indicator="revenue_attainment",
        min_weight=0.28,
        probability=0.8,
        scenarios=500,
        lang="en",
    )


def test_the_changed_limit_binds_and_the_weights_still_add_up(result):
    w = result.weights.set_index("indicator")
    assert w.loc["revenue_attainment", "baseline"] < 0.28 - 1e-6  # the limit is new information
    assert w.loc["revenue_attainment", "what_if"] == pytest.approx(0.28, abs=1e-6)
    assert w["baseline"].sum() == pytest.approx(1) and w["what_if"].sum() == pytest.approx(1)
    assert list(w.index)[0] == "revenue_attainment"  # the indicator set's order


def test_the_equal_difficulty_plan_reaches_the_new_probability(result):
    t = result.targets.set_index(["plan", "measure"])
    # equal-difficulty targets give every manager the plan's chance, so the expected share is that chance
    assert t.loc[("equal_difficulty", "expected_share"), "baseline"] == pytest.approx(0.7, abs=0.01)
    assert t.loc[("equal_difficulty", "expected_share"), "what_if"] == pytest.approx(0.8, abs=0.01)
    assert t.loc[("equal_difficulty", "bonus_p50"), "change"] > 0  # easier targets cost more bonus
    assert t.loc[("current", "expected_share"), "change"] == 0  # last year + growth is unchanged
    assert len(targets_table(result, "zh")) == len(result.targets)


def test_under_a_forced_distribution_movers_balance_per_grade(result):
    g = result.grades.set_index("grade")
    assert (g["baseline"] == g["what_if"]).all()
    moved_out = result.movers["baseline_grade"].value_counts()
    moved_in = result.movers["what_if_grade"].value_counts()
    assert moved_out.sort_index().equals(moved_in.reindex(moved_out.index).sort_index())
    assert result.movers["manager"].str.startswith("P-").all()  # pseudonyms, never IDs
    assert f"{len(result.movers)} of {int(g['baseline'].sum())} managers change grade" in result.summary("en")
    import matplotlib.pyplot as plt

    from calibrate.plotting import use_theme

    use_theme("zh")
    fig = plot_what_if(result, "zh")
    assert len(fig.axes) == 2
    plt.close(fig)


def test_an_unknown_indicator_or_crossed_limits_are_one_line(small_company_master):
    with pytest.raises(NotebookParameterError, match="parameter 'indicator' must be one of revenue_attainment"):
        what_if(small_company_master / "calibrate.yaml", indicator="revenue")
    with pytest.raises(NotebookParameterError, match="min_weight 0.4 and max_weight 0.2"):
        what_if(small_company_master / "calibrate.yaml", indicator="nps", min_weight=0.4, max_weight=0.2)

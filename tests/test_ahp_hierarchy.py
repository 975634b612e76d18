"""Hierarchical AHP, incomplete matrices, random-index tables and the geometric-mean method.

Published figures: AHPy 2.0's README (github PhilipGriffith/AHPy, README of the PyPI release 2.0), whose
worked examples print local/global weights and consistency ratios computed with the Saaty (2005) and the
Donegan & Dodd (1991) random indexes. Only the numbers are used here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibrate import load_dataset
from calibrate.errors import InvalidJudgments
from calibrate.sample import SampleSpec, write_sample
from calibrate.steps.weights import write_weight_artifacts
from calibrate.weights import propose_weights
from calibrate.weights.ahp import RANDOM_INDEX_TABLES, ahp_panel, ahp_priorities, random_index
from calibrate.weights.ahp_hierarchy import HierarchicalAHPResult, ahp_hierarchy


def _long(pairs: dict, expert: str | None = None, parent: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame([(a, b, v) for (a, b), v in pairs.items()], columns=["row", "col", "value"])
    if parent is not None:
        frame["parent"] = parent
    if expert is not None:
        frame.insert(0, "expert", expert)
    return frame


# AHPy README, "Choosing a leader" (the Wikipedia leader example), random_index='saaty' (Saaty 2005)
LEADER_EXPERIENCE = {("Moll", "Nell"): 1 / 4, ("Moll", "Sue"): 4, ("Nell", "Sue"): 9}
LEADER_EDUCATION = {("Moll", "Nell"): 3, ("Moll", "Sue"): 1 / 5, ("Nell", "Sue"): 1 / 7}
LEADER_CRITERIA = {
    ("Experience", "Education"): 4,
    ("Experience", "Charisma"): 3,
    ("Experience", "Age"): 7,
    ("Education", "Charisma"): 1 / 3,
    ("Education", "Age"): 3,
    ("Charisma", "Age"): 5,
}
# AHPy README, "Purchasing a vehicle" (the Wikipedia car example), default random_index='dd' (Donegan & Dodd)
CAR_CRITERIA = {
    ("Cost", "Safety"): 3,
    ("Cost", "Style"): 7,
    ("Cost", "Capacity"): 3,
    ("Safety", "Style"): 9,
    ("Safety", "Capacity"): 1,
    ("Style", "Capacity"): 1 / 7,
}
CAR_COST = {
    ("Price", "Fuel"): 2,
    ("Price", "Maintenance"): 5,
    ("Price", "Resale"): 3,
    ("Fuel", "Maintenance"): 2,
    ("Fuel", "Resale"): 2,
    ("Maintenance", "Resale"): 1 / 2,
}
CAR_CAPACITY = {("Cargo", "Passenger"): 1 / 5}
CAR_TREE = {
    "Criteria": ["Cost", "Safety", "Style", "Capacity"],
    "Cost": ["Price", "Fuel", "Maintenance", "Resale"],
    "Capacity": ["Cargo", "Passenger"],
}
# AHPy README, "Missing Pairwise Comparisons": a 4x4 matrix, then the same without (c, d)
MISSING = {("a", "b"): 1, ("a", "c"): 5, ("a", "d"): 2, ("b", "c"): 3, ("b", "d"): 4, ("c", "d"): 3 / 4}


# --------------------------------------------------------------------------- random-index tables


def test_saaty_2005_table_reproduces_ahpys_leader_consistency_ratios():
    """AHPy README, leader example (random_index='saaty', Saaty 2005 p. 31): Experience CR 0.035 with local
    weights Nell 0.717, Moll 0.217, Sue 0.066; Education CR 0.062; Criteria CR 0.044 with Experience 0.548,
    Charisma 0.27, Education 0.127, Age 0.056."""
    experience = ahp_priorities(_long(LEADER_EXPERIENCE), ri_table="saaty2005")
    assert round(experience.consistency_ratio, 3) == 0.035
    assert experience.priorities.round(3).to_dict() == {"Moll": 0.217, "Nell": 0.717, "Sue": 0.066}
    assert round(ahp_priorities(_long(LEADER_EDUCATION), ri_table="saaty2005").consistency_ratio, 3) == 0.062
    criteria = ahp_priorities(_long(LEADER_CRITERIA), ri_table="saaty2005")
    assert round(criteria.consistency_ratio, 3) == 0.044
    assert criteria.priorities.round(3).to_dict() == {
        "Experience": 0.548,
        "Education": 0.127,
        "Charisma": 0.27,
        "Age": 0.056,
    }


def test_donegan_dodd_table_reproduces_ahpys_car_consistency_ratios_and_the_tables_differ():
    """AHPy README, car example (default random_index='dd', Donegan & Dodd 1991): Criteria CR 0.08,
    Cost CR 0.016. With Saaty's 1980 table the same matrices give 0.074 and 0.015: the table, not the
    judgments, is why published CRs differ."""
    criteria = {t: ahp_priorities(_long(CAR_CRITERIA), ri_table=t).consistency_ratio for t in RANDOM_INDEX_TABLES}
    cost = {t: ahp_priorities(_long(CAR_COST), ri_table=t).consistency_ratio for t in RANDOM_INDEX_TABLES}
    assert round(criteria["donegan_dodd"], 2) == 0.08 and round(cost["donegan_dodd"], 3) == 0.016
    assert round(criteria["saaty1980"], 3) == 0.074 and round(cost["saaty1980"], 3) == 0.015
    assert criteria["saaty1980"] < criteria["saaty2005"] < criteria["donegan_dodd"]


def test_random_index_tables_and_their_limits():
    assert random_index(7) == 1.32 and random_index(7, "saaty2005") == 1.35
    assert random_index(7, "donegan_dodd") == 1.2519
    assert random_index(22, "donegan_dodd") == pytest.approx(1.5371 + (1.5619 - 1.5371) * 2 / 5)
    with pytest.raises(InvalidJudgments, match=r"16 items cannot be compared .* saaty2005 .* at most 15"):
        random_index(16, "saaty2005")
    with pytest.raises(InvalidJudgments, match=r"ri_table must be one of saaty1980, saaty2005, donegan_dodd"):
        ahp_priorities(_long(MISSING), ri_table="alonso")


def test_drinks_case_still_matches_with_the_default_table():
    """The default table stays Saaty (1980): tests/test_ahp.py checks the drinks CR 0.022 against it."""
    assert ahp_priorities(_long(LEADER_CRITERIA)).ri_table == "saaty1980"


# --------------------------------------------------------------------------- geometric mean


def test_geometric_mean_is_the_normalised_row_geometric_mean():
    a = pd.DataFrame([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]], index=list("xyz"), columns=list("xyz"))
    g = np.array([15 ** (1 / 3), (2 / 3) ** (1 / 3), (1 / 10) ** (1 / 3)])
    result = ahp_priorities(a, method="geometric_mean")
    np.testing.assert_allclose(result.priorities.to_numpy(), g / g.sum(), rtol=1e-12)
    # the consistency ratio is the matrix's (principal eigenvalue), whatever the method
    assert result.consistency_ratio == pytest.approx(ahp_priorities(a).consistency_ratio, rel=1e-12)
    assert "row geometric mean" in result.summary_text()
    with pytest.raises(InvalidJudgments, match=r"method must be one of eigenvector, geometric_mean"):
        ahp_priorities(a, method="mean")


# --------------------------------------------------------------------------- incomplete matrices


def test_incomplete_matrix_matches_ahpys_missing_comparison_example():
    """AHPy README, "Missing Pairwise Comparisons" (Donegan & Dodd RI): complete matrix weights b 0.3917,
    a 0.3742, d 0.1349, c 0.0991, CR 0.0372; without (c, d) the computed value of c/d is 0.7302971 and the
    CR stays 0.0372. Logarithmic least squares for incomplete matrices (Bozoki, Fulop & Ronyai 2010) implies
    the same c/d; Harker's method is close (0.721) with the same CR to 4 decimals."""
    complete = ahp_priorities(_long(MISSING), ri_table="donegan_dodd")
    assert complete.priorities.round(4).to_dict() == {"a": 0.3742, "b": 0.3917, "c": 0.0991, "d": 0.1349}
    assert round(complete.consistency_ratio, 4) == 0.0372 and complete.complete
    partial = {k: v for k, v in MISSING.items() if k != ("c", "d")}
    llsm = ahp_priorities(_long(partial), ri_table="donegan_dodd", method="geometric_mean")
    assert llsm.implied[["row", "col"]].values.tolist() == [["c", "d"]]
    assert llsm.implied["implied_value"].iloc[0] == pytest.approx(0.7302971, abs=5e-6)
    assert round(llsm.consistency_ratio, 4) == 0.0372
    harker = ahp_priorities(_long(partial), ri_table="donegan_dodd")
    assert round(harker.consistency_ratio, 4) == 0.0372
    assert harker.implied["implied_value"].iloc[0] == pytest.approx(0.7212, abs=1e-4)
    assert "missing pairs, implied by the other judgments: c/d" in harker.summary_text()


def test_harker_lambda_max_is_the_completed_matrix_perron_root():
    """Harker (1987): w is also the Perron vector of the matrix completed with w_i / w_j."""
    partial = {k: v for k, v in MISSING.items() if k not in {("c", "d"), ("a", "b")}}
    r = ahp_priorities(_long(partial))
    filled = r.matrix.to_numpy()
    np.testing.assert_allclose(filled @ r.priorities.to_numpy(), r.lambda_max * r.priorities.to_numpy(), rtol=1e-10)
    assert len(r.implied) == 2


def test_consistent_incomplete_judgments_recover_the_weights_exactly():
    w = {"a": 8.0, "b": 4.0, "c": 2.0, "d": 1.0}
    chain = {("a", "b"): 2, ("b", "c"): 2, ("c", "d"): 2}  # a spanning tree: 3 of 6 pairs
    for method in ("eigenvector", "geometric_mean"):
        r = ahp_priorities(_long(chain), method=method)
        np.testing.assert_allclose(r.priorities.to_numpy(), np.array(list(w.values())) / 15, rtol=1e-10)
        assert r.consistency_ratio == pytest.approx(0.0, abs=1e-10)


def test_disconnected_judgments_name_the_expert_and_the_groups():
    long = _long({("a", "b"): 2, ("c", "d"): 3}, expert="E2")
    with pytest.raises(
        InvalidJudgments,
        match=r"expert E2 do not link all items: the groups \{a, b\}; "
        r"\{c, d\} are not compared with each other",
    ):
        ahp_panel(long)


def test_panel_aggregates_incomplete_judgments_over_the_experts_who_gave_them():
    e1 = _long({("a", "b"): 3, ("a", "c"): 9}, expert="E1")  # b/c missing
    e2 = _long({("a", "b"): 1 / 3, ("a", "c"): 1, ("b", "c"): 3}, expert="E2")
    panel = ahp_panel(pd.concat([e1, e2]))
    m = panel.aij.matrix
    assert m.loc["a", "b"] == pytest.approx(1.0) and m.loc["a", "c"] == pytest.approx(3.0)
    assert m.loc["b", "c"] == pytest.approx(3.0)  # E2's alone
    assert panel.aij.complete and not panel.experts["E1"].complete


# --------------------------------------------------------------------------- hierarchy


def _car_judgments() -> pd.DataFrame:
    return pd.concat([_long(CAR_CRITERIA), _long(CAR_COST), _long(CAR_CAPACITY)], ignore_index=True)


def test_hierarchy_reproduces_ahpys_car_local_and_global_weights():
    """AHPy README, car example (Donegan & Dodd): Criteria Cost 0.51, Safety 0.234, Capacity 0.215, Style 0.041
    (CR 0.08); Cost local Price 0.488, Fuel 0.252, Resale 0.161, Maintenance 0.1 (CR 0.016), global Price 0.249,
    Fuel 0.129, Resale 0.082, Maintenance 0.051; Cargo local 0.1667, global 0.0358."""
    result = ahp_hierarchy(_car_judgments(), CAR_TREE, ri_table="donegan_dodd")
    frame = result.to_frame().set_index("item")
    assert frame.loc[["Cost", "Safety", "Style", "Capacity"], "local_priority"].round(3).tolist() == [
        0.51,
        0.234,
        0.041,
        0.215,
    ]
    assert frame.loc[["Price", "Fuel", "Maintenance", "Resale"], "local_priority"].round(3).tolist() == [
        0.488,
        0.252,
        0.1,
        0.161,
    ]
    # AHPy multiplies its rounded local weights (0.51 x 0.252 = 0.1285 -> 0.129); unrounded, Fuel is 0.1283
    sub = frame.loc[["Price", "Fuel", "Maintenance", "Resale"]]
    assert [round(round(x, 3) * round(frame.loc["Cost", "local_priority"], 3), 3) for x in sub["local_priority"]] == [
        0.249,
        0.129,
        0.051,
        0.082,
    ]
    assert sub["global_priority"].tolist() == pytest.approx([0.249, 0.129, 0.051, 0.082], abs=1e-3)
    assert sub["global_priority"].to_numpy() == pytest.approx(
        sub["local_priority"].to_numpy() * frame.loc["Cost", "local_priority"], rel=1e-12
    )
    assert round(frame.loc["Cargo", "local_priority"], 4) == 0.1667
    assert round(frame.loc["Cargo", "global_priority"], 4) == 0.0358
    assert round(frame.loc["Cost", "consistency_ratio"], 2) == 0.08
    assert round(frame.loc["Price", "consistency_ratio"], 3) == 0.016
    assert frame.loc["Price", "level"] == 2 and frame.loc["Cost", "level"] == 1
    assert list(result.priorities.index) == [
        "Price",
        "Fuel",
        "Maintenance",
        "Resale",
        "Safety",
        "Style",
        "Cargo",
        "Passenger",
    ]
    assert result.priorities.sum() == pytest.approx(1.0)
    assert "[Cost] CR = 0.016" in result.summary_text()


def test_explicit_parent_column_equals_inference():
    tree = {"goal": ["x", "y"], "x": ["p", "q"], "y": ["p2", "q2"]}
    plain = _long({("x", "y"): 2, ("p", "q"): 3, ("p2", "q2"): 1 / 2})
    tagged = plain.assign(parent=["goal", "x", "y"])
    a, b = ahp_hierarchy(plain, tree), ahp_hierarchy(tagged, tree)
    pd.testing.assert_series_equal(a.priorities, b.priorities)
    assert a.priorities.round(6).to_dict() == {
        "p": 0.5,
        "q": pytest.approx(1 / 6, abs=1e-6),
        "p2": pytest.approx(1 / 9, abs=1e-6),
        "q2": pytest.approx(2 / 9, abs=1e-6),
    }


def test_blank_parent_column_is_inferred_and_a_flat_table_is_not_hierarchical():
    from calibrate.weights.ahp_hierarchy import is_hierarchical

    tree = {"goal": ["x", "y"], "x": ["p", "q"], "y": ["r"]}
    flat = _long({("p", "q"): 2, ("p", "r"): 3, ("q", "r"): 1})
    assert not is_hierarchical(flat.assign(parent=pd.Series([None] * 3, dtype="string")), tree)
    partly = _long({("x", "y"): 2, ("p", "q"): 3}).assign(parent=pd.Series([pd.NA, "x"], dtype="string"))
    assert is_hierarchical(partly, tree)
    assert ahp_hierarchy(partly, tree).priorities.round(4).to_dict() == {"p": 0.5, "q": 0.1667, "r": 0.3333}


def test_hierarchy_panel_aggregates_every_matrix_with_expert_weights():
    tree = {"goal": ["x", "y"], "x": ["p", "q"], "y": ["r"]}
    e1 = _long({("x", "y"): 4, ("p", "q"): 1}, expert="E1")
    e2 = _long({("x", "y"): 1, ("p", "q"): 4}, expert="E2")
    result = ahp_hierarchy(pd.concat([e1, e2]), tree, weights={"E1": 3, "E2": 1})
    # AIJ: x/y = 4^(3/4) -> x = 4^.75 / (1 + 4^.75); p/q = 4^(1/4)
    xy, pq = 4**0.75, 4**0.25
    x = xy / (1 + xy)
    assert result.aij.priorities["p"] == pytest.approx(x * pq / (1 + pq))
    assert result.aij.priorities["r"] == pytest.approx(1 - x)
    # AIP on 2x2 matrices equals AIJ (geometric means of consistent ratios)
    np.testing.assert_allclose(result.aip.to_numpy(), result.aij.priorities.to_numpy(), rtol=1e-12)
    assert set(result.experts) == {"E1", "E2"}
    assert result.experts["E1"].global_priorities["r"] == pytest.approx(0.2)
    checks = result.consistency_frame()
    assert list(checks["weight"]) == pytest.approx([0.75, 0.25])


def test_hierarchy_errors_name_the_entry_and_the_groups():
    tree = {"goal": ["x", "y"], "x": ["p", "q"], "y": ["r", "s"]}
    with pytest.raises(
        InvalidJudgments,
        match=r"entry 1 \(p/r\): p belongs to x and r to y; judgments "
        r"compare items of the same group only",
    ):
        ahp_hierarchy(_long({("p", "r"): 2, ("x", "y"): 1, ("r", "s"): 1}), tree)
    with pytest.raises(InvalidJudgments, match=r"no judgments compare the members of y \(r, s\)"):
        ahp_hierarchy(_long({("x", "y"): 2, ("p", "q"): 1}), tree)
    with pytest.raises(InvalidJudgments, match=r"expert 1 in x: judgment p/q = 12 is off Saaty's 1/9-9 scale"):
        ahp_hierarchy(_long({("x", "y"): 2, ("p", "q"): 12, ("r", "s"): 1}), tree)


# --------------------------------------------------------------------------- the weights proposal


def test_twenty_indicator_company_gets_hierarchical_ahp_weights(tmp_path):
    """The 20-indicator scale company (8 + 12 extra indicators) comes with hierarchical judgments and gets
    AHP weights through its config, the weights artifacts included; a flat matrix of 20 would exceed the
    1980 random index."""
    paths = write_sample(
        tmp_path, SampleSpec(n_managers=40, n_quarters=8, truth_replications=2, extra_indicators=12), seed=7
    )
    ds = load_dataset(paths["config"])
    assert ds.report.ok and not ds.report.warnings
    result = propose_weights(ds, bootstrap=20, mixed=False, seed=3)
    assert isinstance(result.ahp, HierarchicalAHPResult)
    ahp = result.methods_frame().set_index("indicator")["ahp"]
    assert len(ahp) == 20 and ahp.notna().all() and ahp.sum() == pytest.approx(1.0)
    # the panel's weights follow the anchor (last year's weights) the generator drew the judgments around
    anchor = ds.indicator_set.default_weights().reindex(ahp.index)
    assert np.corrcoef(np.log(ahp), np.log(anchor))[0, 1] > 0.8
    frame = result.ahp.to_frame()
    assert set(frame["parent"]) == {"goal", "results", "customer_value", "strategic_behaviour"}
    assert frame.groupby("parent")["local_priority"].sum().to_numpy() == pytest.approx(np.ones(4))
    assert "proposal" in result.bootstrap.draws and np.isfinite(result.bootstrap.draws["ahp"]).all()
    with pytest.raises(InvalidJudgments, match=r"20 items cannot be compared in one AHP matrix"):
        flat = ds.ahp_judgments[ds.ahp_judgments["row"].isin(ds.indicator_set.ids)]
        ahp_panel(flat, items=list(ds.indicator_set.ids))
    write_weight_artifacts(result, tmp_path / "weights", pseudonymise=False)
    checks = pd.read_csv(tmp_path / "weights" / "ahp.csv")
    assert list(checks["expert"]) == ["E1", "E2", "E3", "E4", "E5", "aggregate (AIJ)"]


def test_flat_sample_judgments_still_go_through_the_flat_panel(sample_config):
    """The sample's flat judgments (every pair of the 8 indicators) keep the flat AIJ panel; E5 stays the
    inconsistent expert (CR 0.14, the generator's truth)."""
    ds = load_dataset(sample_config)
    result = propose_weights(ds, bootstrap=0, mixed=False, methods=("regression", "ahp", "critic"))
    assert type(result.ahp).__name__ == "AHPPanelResult"
    assert round(result.ahp.experts["E5"].consistency_ratio, 2) == 0.14
    assert [e for e, r in result.ahp.experts.items() if not r.consistent] == ["E5"]

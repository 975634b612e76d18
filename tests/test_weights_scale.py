"""The weights step at scale: the same numbers with less memory and fewer passes over the rows (issue 18)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibrate import privacy
from calibrate.loading import load_dataset, sample_config_path
from calibrate.panel import indicator_panel
from calibrate.weights.outcome_models import binomial_fit, ols_fit
from calibrate.weights.proposal import manager_profile
from calibrate.weights.regression import outcome_regressions, per_manager_cross_products
from calibrate.weights.uncertainty import (
    ManagerStack,
    bootstrap_inputs,
    bootstrap_weights,
    draw_counts,
    evaluate_resamples,
    resample_sums,
)


@pytest.fixture(scope="module")
def sample():
    ds = load_dataset(sample_config_path())
    panel = indicator_panel(ds)
    suite = outcome_regressions(panel, ds.indicator_set, mixed=False)
    return suite, bootstrap_inputs(suite, manager_profile(panel, ds.indicator_set))


def test_a_manager_stack_gives_the_stored_matrices_bit_for_bit():
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 40, 300)  # unsorted rows; managers 40..44 have none
    groups[groups == 7] = 8  # and one manager in the middle has none
    x, d, y = rng.normal(size=(300, 3)), rng.integers(0, 2, (300, 2)).astype(float), rng.normal(size=300)
    w = rng.uniform(1, 30, 300)
    stored = per_manager_cross_products(np.column_stack([x, d, y]), w, groups, 45, packed=True)
    stack = ManagerStack.from_rows((x, d, y), w, groups, 45)
    assert stack.shape == stored.shape
    assert np.array_equal(stack.to_array(), stored)
    for lo, hi in ((0, 7), (7, 9), (30, 45), (44, 45)):
        assert np.array_equal(stack[lo:hi], stored[lo:hi])
    # the column blocks need not be copied into one matrix first
    assert np.array_equal(per_manager_cross_products((x, d, y), w, groups, 45, packed=True), stored)


def test_bootstrap_inputs_keep_rows_not_per_manager_matrices(sample):
    suite, inputs = sample
    for stack in (inputs.growth_gram, inputs.retention_gram, inputs.glm_hessian):
        assert isinstance(stack, ManagerStack)
    # the sample's rows are in manager order, so the stacks read the design's own arrays (no copy)
    assert np.shares_memory(inputs.growth_gram.columns[0], suite.growth.x)
    assert np.shares_memory(inputs.retention_gram.columns[1], suite.retention.d)
    stored = suite.growth.gram_by_manager(packed=True)
    assert np.array_equal(inputs.growth_gram.to_array(), stored)


def test_one_pass_of_sums_serves_any_subset_of_resamples(sample):
    _, inputs = sample
    counts, _ = draw_counts(3, len(inputs.managers), 0, 12)
    together = resample_sums(inputs, counts)
    alone = resample_sums(inputs, counts[5:7])
    for a, b in zip(together, alone):
        assert np.array_equal(a[5:7], b)
    direct, _ = evaluate_resamples(inputs, counts[5:7])
    given, _ = evaluate_resamples(inputs, counts[5:7], sums=tuple(a[5:7] for a in together))
    for method in direct:
        assert np.array_equal(direct[method], given[method], equal_nan=True)


def test_the_bootstrap_is_the_same_for_any_chunk_with_computed_stacks(sample):
    _, inputs = sample
    one = bootstrap_weights(inputs, resamples=9, seed=4, chunk=9)
    many = bootstrap_weights(inputs, resamples=9, seed=4, chunk=2)
    for method in one.draws:
        assert np.array_equal(one.draws[method], many.draws[method], equal_nan=True)


def test_pseudonyms_cost_one_hmac_per_distinct_manager(monkeypatch):
    calls = []
    real = privacy.pseudonym
    monkeypatch.setattr(privacy, "pseudonym", lambda x, key: calls.append(x) or real(x, key))
    key = b"k" * 20
    frame = pd.DataFrame({"manager_id": ["M1", "M2", "M1", "M1", "M3", "M2"], "v": range(6)})
    out = privacy.pseudonymise(frame, key)
    assert sorted(calls) == ["M1", "M2", "M3"]
    assert list(out["manager_id"]) == [real(m, key) for m in frame["manager_id"]]


def test_declaring_the_constant_changes_no_figure(sample):
    suite, _ = sample
    g, r = suite.growth, suite.retention
    a, b = ols_fit(g.y, g.exog, g.groups), ols_fit(g.y, g.exog, g.groups, hasconst=True)
    assert np.array_equal(a.params, b.params) and np.array_equal(a.bse, b.bse) and a.rsquared == b.rsquared
    a = binomial_fit(r.kept, r.trials, r.exog, r.groups)
    b = binomial_fit(r.kept, r.trials, r.exog, r.groups, hasconst=True)
    assert np.array_equal(a.params, b.params) and np.array_equal(a.bse, b.bse) and a.deviance == b.deviance

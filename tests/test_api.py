"""The researcher's three lines, as the README shows them."""
from __future__ import annotations

import calibrate


def test_three_line_weight_proposal(sample_config):
    ds = calibrate.load_dataset(sample_config)
    proposal = calibrate.propose_weights(ds, bootstrap=30, seed=1).to_frame()
    assert abs(proposal["weight"].sum() - 1) < 1e-9
    assert set(proposal["indicator"]) == set(ds.indicator_set.ids)


def test_every_public_name_resolves():
    for name in calibrate._API:
        assert callable(getattr(calibrate, name)), name

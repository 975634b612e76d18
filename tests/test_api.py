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


def test_three_line_hierarchical_ahp(tmp_path, monkeypatch):
    """The README's hierarchical AHP lines, as typed (in a fresh folder)."""
    monkeypatch.chdir(tmp_path)
    calibrate.write_sample("scale", calibrate.SampleSpec(n_managers=60, extra_indicators=12))
    ds = calibrate.load_dataset("scale/calibrate.yaml")
    frame = calibrate.ahp_hierarchy(ds.ahp_judgments, ds.indicator_set).to_frame()
    assert list(frame.columns[:5]) == ["level", "parent", "item", "local_priority", "global_priority"]
    leaves = frame[frame["level"] == 2]
    assert len(leaves) == 20 and abs(leaves["global_priority"].sum() - 1) < 1e-9
    assert frame.groupby("parent")["local_priority"].sum().round(12).eq(1).all()

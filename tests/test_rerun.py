"""The yearly rerun: a year the data does not reach is an error; last run's weights are next year's as they are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from calibrate.cli.app import main
from calibrate.errors import ConfigError
from calibrate.loading import load_dataset


def _set(folder, **keys):
    path = folder / "calibrate.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = keys.pop("data", {})
    cfg.update(keys)
    cfg["data"].update(data)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_year_beyond_the_data_is_an_error(small_company, capsys):
    cfg = _set(small_company, year=2025)  # the small company's data ends in 2024Q4
    assert main(["validate", "--config", str(cfg), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "calibrate.yaml, column year: year 2025 is after the data's last quarter 2024Q4" in out
    with pytest.raises(ConfigError, match="set year to 2024"):
        load_dataset(cfg)
    assert main(["run", "--config", str(cfg)]) == 1
    assert "year 2025 is after the data's last quarter 2024Q4" in capsys.readouterr().err


@pytest.fixture(scope="module")
def last_run(small_company_master, tmp_path_factory):
    out = tmp_path_factory.mktemp("last_run")
    for lang in ("zh", "en"):
        assert (
            main(
                [
                    "weights",
                    "--config",
                    str(small_company_master / "calibrate.yaml"),
                    "--bootstrap",
                    "0",
                    "--lang",
                    lang,
                    "--output",
                    str(out / lang),
                ]
            )
            == 0
        )
    return out


@pytest.mark.parametrize("artifact", ["zh/weights/proposal.csv", "zh/weights/weights.xlsx", "en/weights/weights.xlsx"])
def test_last_runs_weights_are_accepted_as_they_are(artifact, last_run, small_company):
    cfg = _set(small_company, data={"last_year_weights": str(last_run / artifact)})
    ds = load_dataset(cfg)
    assert not [p for p in ds.report.warnings if "last_year" in p.source or "weights" in p.source]
    proposal = pd.read_csv(last_run / "zh/weights/proposal.csv")
    got = ds.last_year_weights.set_index("indicator")["weight"]
    np.testing.assert_allclose(got[proposal["indicator"]].to_numpy(), proposal["weight"].to_numpy(), atol=1e-9)

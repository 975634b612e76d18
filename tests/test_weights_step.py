"""The weights step: artifacts, reproducible bytes, the HR workbook, the CLI and the 02_weights notebook."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibrate import artifacts
from calibrate.config import load_config
from calibrate.errors import ConfigError, InfeasibleConstraints
from calibrate.loading import load_dataset
from calibrate.pipeline import available_steps
from calibrate.steps.base import RunContext
from calibrate.steps.weights import weights_step
from calibrate.steps.weights_workbook import CREATED
from calibrate.weights.proposal import WeightSettings, propose_from_config

ROOT = Path(__file__).resolve().parents[1]
PROPOSAL_COLUMNS = [
    "indicator",
    "label",
    "dimension",
    "weight",
    "ci_low",
    "ci_high",
    "last_year",
    "change",
    "data_source",
    "review_period",
    "binding",
]
METHOD_COLUMNS = [
    "indicator",
    "label",
    "equal",
    "entropy",
    "critic",
    "ahp",
    "lmg_revenue",
    "lmg_retention",
    "evidence",
    "proposal",
    "last_year",
]


def _config(folder: Path, **weights):
    return load_config(folder / "calibrate.yaml", {"weights": {"bootstrap": 30, **weights}, "lang": "zh"})


@pytest.fixture(scope="module")
def run(small_company_master, tmp_path_factory):
    """The step run once through a RunContext and once through `calibrate weights` (same config)."""
    from calibrate.cli import main

    config = _config(small_company_master)
    folder = tmp_path_factory.mktemp("weights_run")
    ctx = RunContext(config, load_dataset(config), folder)
    paths = weights_step(ctx)
    cli_out = tmp_path_factory.mktemp("weights_cli") / "out"
    cfg_file = cli_out.parent / "calibrate.yaml"
    text = (small_company_master / "calibrate.yaml").read_text(encoding="utf-8")
    text = text.replace("managers: managers.csv", f"managers: {small_company_master / 'managers.csv'}")
    for name in (
        "performance.csv",
        "survey.parquet",
        "reviews_360.csv",
        "innovation_committee.csv",
        "ahp_judgments.csv",
        "last_year_weights.csv",
    ):
        text = text.replace(f": {name}", f": {small_company_master / name}")
    # the same pseudonym key as the step run above (pseudonyms are keyed; see calibrate.privacy)
    text = text.replace("privacy:\n", f"privacy:\n  key_file: {small_company_master / '.calibrate-key'}\n")
    cfg_file.write_text(text + "weights:\n  bootstrap: 30\n", encoding="utf-8")
    return {"ctx": ctx, "paths": paths, "folder": folder, "cli_out": cli_out, "cli_config": cfg_file, "main": main}


def test_proposal_artifacts(run):
    folder = run["folder"] / "weights"
    names = sorted(p.name for p in run["paths"])
    assert names == sorted(
        [
            "proposal.csv",
            "blend.csv",
            "methods.csv",
            "methods_ci.csv",
            "regressions.csv",
            "regression_fit.csv",
            "ahp.csv",
            "ahp_priorities.csv",
            "diagnostics.csv",
            "warnings.csv",
            "residuals.parquet",
            "summary.json",
            "weights.xlsx",
        ]
    )
    proposal = artifacts.read_csv(folder / "proposal.csv")
    assert list(proposal.columns[: len(PROPOSAL_COLUMNS)]) == PROPOSAL_COLUMNS
    assert proposal["weight"].sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(proposal["change"], proposal["weight"] - proposal["last_year"], atol=1e-9)
    assert (proposal["change"].abs() <= 0.05 + 1e-9).all()  # the default change cap
    assert proposal.loc[proposal["indicator"] == "nps", "label"].item() == "净推荐值"
    assert set(proposal["data_source"]) == {"performance", "survey", "reviews"}
    dims = proposal.groupby("dimension")["weight"].sum()
    assert 0.50 - 1e-9 <= dims["results"] <= 0.60 + 1e-9 and 0.25 - 1e-9 <= dims["customer_value"] <= 0.30 + 1e-9
    methods = artifacts.read_csv(folder / "methods.csv")
    assert list(methods.columns) == METHOD_COLUMNS
    np.testing.assert_allclose(methods.drop(columns=["indicator", "label"]).sum(), 1.0, atol=1e-9)
    regressions = artifacts.read_csv(folder / "regressions.csv")
    assert set(regressions["model"]) == {"growth_ols", "growth_mixed", "retention_glm"}
    assert regressions.loc[regressions["model"] == "growth_ols", "boot_low"].notna().all()
    ahp = artifacts.read_csv(folder / "ahp.csv")
    assert list(ahp["expert"]) == ["E1", "E2", "E3", "E4", "E5", "aggregate (AIJ)"]
    residuals = artifacts.read_parquet(folder / "residuals.parquet")
    assert residuals["manager_id"].str.startswith("P-").all()  # pseudonymised
    summary = artifacts.read_json(folder / "summary.json")
    assert summary["bootstrap"] == {"resamples": 30, "failed": 0}
    assert summary["seed"] == 7  # the sample config's seed
    assert "02_weights" in available_steps()


def test_cli_gives_byte_identical_artifacts_and_prints_the_table(run, capsys):
    code = run["main"](["weights", "--config", str(run["cli_config"]), "--output", str(run["cli_out"]), "--lang", "zh"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "建议权重" in printed and "净推荐值" in printed and "weights written to" in printed
    for path in run["paths"]:
        twin = run["cli_out"] / "weights" / path.name
        assert twin.read_bytes() == path.read_bytes(), path.name


def test_workbook_for_hr(run):
    import openpyxl

    wb = openpyxl.load_workbook(run["folder"] / "weights" / "weights.xlsx")
    assert wb.sheetnames == [
        "建议权重",
        "融合与约束",
        "方法对比",
        "回归结果",
        "模型拟合",
        "专家一致性",
        "共线性诊断",
        "提示",
    ]
    ws = wb["建议权重"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["指标代码", "指标", "维度", "建议权重"]
    assert ws.cell(row=2, column=4).number_format == "0.0%"
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width >= 12  # Chinese labels count double
    assert wb.properties.created == CREATED


def test_settings_are_checked_with_actionable_messages(small_company_master):
    with pytest.raises(ConfigError, match=r"weights.shares must add up to 1; they add up to 1.2000"):
        WeightSettings.from_config(
            {**_config(small_company_master).weights, "shares": {"evidence": 0.7, "ahp": 0.3, "baseline": 0.2}}
        )
    with pytest.raises(ConfigError, match="unknown control.*weekday"):
        WeightSettings.from_config({**_config(small_company_master).weights, "controls": ["period", "weekday"]})
    with pytest.raises(ConfigError, match="weights: unknown key 'shrink'"):
        load_config(small_company_master / "calibrate.yaml", {"weights": {"shrink": 0.5}})


def test_rules_that_cannot_hold_stop_before_any_fitting(small_company_master):
    config = _config(small_company_master, max_change=0.001)
    ds = load_dataset(config)
    last = ds.last_year_weights.set_index("indicator")["weight"]
    assert last.sum() == pytest.approx(1.0)
    # with a 0.1-point cap the weights stay at last year's, which already satisfy every band: feasible
    assert propose_from_config(ds, config, bootstrap=0, mixed=False).weights.sub(last).abs().max() <= 0.001 + 1e-9
    ds_bad = ds.__class__(
        **{
            **ds.__dict__,
            "last_year_weights": pd.DataFrame(
                {"indicator": last.index, "weight": last.to_numpy() * [1, 1, 1, 0.7, 0.7, 0.7, 1, 1]}
            ),
        }
    )  # each still >= min_weight
    with pytest.raises(InfeasibleConstraints, match="dimension customer_value .* needs at least 0.25"):
        propose_from_config(ds_bad, config, bootstrap=0, mixed=False)


def test_notebook_executes_in_english(run, tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "02_weights.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "02_weights.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={"run_dir": str(run["folder"]), "lang": "en", "seed": 7, "pseudonymise": True},
        progress_bar=False,
        cwd=str(ROOT),
    )
    import nbformat

    nb = nbformat.read(str(out), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = sum("image/png" in o.get("data", {}) for o in outputs)
    assert images == 5  # proposal, methods, effects, residuals, AHP consistency
    markdown = " ".join(o["data"].get("text/markdown", "") for o in outputs if "data" in o)
    assert "Proposed weights" in markdown and "Methods side by side" in markdown


@pytest.mark.parametrize("pseudonymise", [True, False])
def test_residuals_file_is_the_one_the_concatenated_frame_wrote(tmp_path, pseudonymise):
    # issue 18: the models' residuals become one Arrow table model by model, not a pandas concatenation of
    # all their rows (3.2M at 100,000 managers) and its pseudonymised copy; the file stays byte for byte the same
    from types import SimpleNamespace

    from calibrate.privacy import pseudonymise as pseudo
    from calibrate.steps.weights import _residual_table

    rng = np.random.default_rng(5)

    def frame(n):
        return pd.DataFrame(
            {
                "manager_id": pd.array(rng.choice(["M01", "M02", "M03"], n), dtype="str"),
                "period": pd.array(rng.choice(["2024Q1", "2024Q2"], n), dtype="str"),
                "fitted": rng.normal(size=n),
                "residual": rng.normal(size=n),
            }
        )

    results = [SimpleNamespace(model=m, residuals=frame(n)) for m, n in (("ols", 7), ("mixed", 4), ("glm", 5))]
    key = b"a-test-key-of-32-characters-0123"
    whole = pd.concat([r.residuals.assign(model=r.model) for r in results], ignore_index=True)
    whole = pseudo(whole, key) if pseudonymise else whole
    artifacts.write_parquet(whole.reset_index(drop=True), tmp_path / "concatenated.parquet")
    artifacts.write_parquet(_residual_table(results, pseudonymise, key), tmp_path / "by_model.parquet")
    assert (tmp_path / "by_model.parquet").read_bytes() == (tmp_path / "concatenated.parquet").read_bytes()

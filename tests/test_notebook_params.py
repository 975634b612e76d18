"""Notebook parameters: typed and checked before a kernel starts; overrides of the run config; package data."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from tests.conftest import ROOT

from calibrate.config import load_config
from calibrate.errors import CalibrateError
from calibrate.notebook_params import (
    NOTEBOOK_PARAMETERS,
    NotebookParameterError,
    check_notebook,
    check_parameters,
    config_overrides,
)
from calibrate.notebook_run import apply_overrides, step_folder

NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_every_notebook_declares_its_parameters_and_the_cell_matches():
    import papermill

    assert sorted(NOTEBOOK_PARAMETERS) == NOTEBOOKS
    for name in NOTEBOOKS:
        cell = papermill.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"))
        declared = {p.name: p.default for p in NOTEBOOK_PARAMETERS[name]}
        assert list(cell) == list(declared), name
        assert {k: ast.literal_eval(v["default"]) for k, v in cell.items()} == declared, name
        assert check_parameters(name, {}) == declared  # the defaults pass their own check


@pytest.mark.parametrize(
    "values, message",
    [
        (
            {"probabilty": 0.8},
            "03_targets: no parameter 'probabilty' (its parameters: run_dir, config, lang, seed, "
            "pseudonymise, min_group_size, probability, growth, scenarios)",
        ),
        (
            {"probability": "high"},
            "03_targets: parameter 'probability' must be a number strictly between 0 and 1, "
            "or None for the run config's (got 'high', a str)",
        ),
        ({"probability": 1.0}, "parameter 'probability' must be a number strictly between 0 and 1"),
        ({"scenarios": 2.5}, "parameter 'scenarios' must be a whole number of at least 100, or None"),
        ({"scenarios": True}, "parameter 'scenarios' must be a whole number"),
        ({"lang": "fr"}, "parameter 'lang' must be one of 'zh', 'en' (got 'fr', a str)"),
        ({"pseudonymise": "yes"}, "parameter 'pseudonymise' must be True or False"),
    ],
)
def test_a_wrong_parameter_is_one_line_naming_it_and_the_type(values, message):
    with pytest.raises(NotebookParameterError) as err:
        check_parameters("03_targets", values)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_mappings_and_lists_are_checked_inside():
    check_parameters("05_scoring", {"forced_distribution": {"A": 0.5, "B": 0.5}})
    with pytest.raises(NotebookParameterError, match="'forced_distribution' must be a mapping of names to numbers"):
        check_parameters("05_scoring", {"forced_distribution": {"A": "half"}})
    with pytest.raises(NotebookParameterError, match="'sets' must be a list of strings"):
        check_parameters("10_indicator_research", {"sets": "account_manager"})


def test_the_first_cell_check_sees_a_misspelt_name_in_the_parameters_cell():
    namespace = {
        "run_dir": "",
        "config": "",
        "lang": "zh",
        "seed": None,
        "pseudonymise": True,
        "probabilty": 0.8,
        "json": json,
        "In": [],
        "_": None,
    }
    with pytest.raises(NotebookParameterError, match="no parameter 'probabilty'"):
        check_notebook("03_targets", namespace)
    del namespace["probabilty"]
    assert check_notebook("03_targets", namespace)["probability"] is None


def test_execute_notebook_refuses_a_wrong_parameter_before_starting_a_kernel(tmp_path):
    from calibrate.report.execute import execute_notebook

    started = time.perf_counter()
    with pytest.raises(NotebookParameterError, match="parameter 'scenarios' must be a whole number"):
        execute_notebook("03_targets", {"run_dir": str(tmp_path), "scenarios": "many"}, tmp_path)
    assert not (tmp_path / "notebooks").exists()
    assert time.perf_counter() - started < 5  # no kernel was started (a kernel takes longer)


def test_overrides_map_to_the_run_config_sections():
    assert config_overrides("02_weights", {"max_change": 1.0, "outcome": "retention", "bootstrap": 0}) == {
        "weights": {"max_change": None, "evidence_shares": {"revenue_growth": 0.0, "retention": 1.0}, "bootstrap": 0}
    }
    assert config_overrides("03_targets", {"probability": 0.8, "growth": None}) == {"targets": {"probability": 0.8}}
    assert config_overrides("01_data_quality", {"lang": "en"}) == {}


def test_given_shares_leave_the_rest_to_the_others_in_their_proportions(sample_config):
    config = load_config(sample_config)  # shares 0.5 / 0.3 / 0.2
    changed = apply_overrides(
        config, {"weights": {"shares.evidence": 0.8}, "targets": {"probability": 0.6}}, lang="en", seed=3
    )
    assert changed.weights["shares"] == pytest.approx({"evidence": 0.8, "ahp": 0.12, "baseline": 0.08})
    assert changed.targets["probability"] == 0.6 and changed.lang == "en" and changed.seed == 3
    assert config.weights["shares"]["evidence"] == 0.5  # the original is untouched
    with pytest.raises(NotebookParameterError, match="evidence_share, ahp_share add up to 1.3"):
        apply_overrides(config, {"weights": {"shares.evidence": 0.8, "shares.ahp": 0.5}})


def test_a_step_computes_in_place_with_the_override_and_is_reused(small_company, tmp_path, monkeypatch):
    monkeypatch.setenv("CALIBRATE_CACHE", str(tmp_path / "cache"))
    values = {"config": str(small_company / "calibrate.yaml"), "lang": "en", "probability": 0.8, "scenarios": 200}
    folder = step_folder("03_targets", values)
    summary = json.loads((folder / "targets" / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["probability"] == 0.8 and summary["settings"]["scenarios"] == 200
    assert (folder / "data" / "summary.json").exists() and not (folder / "scoring").exists()
    assert step_folder("03_targets", values) == folder  # the second notebook reuses the computation
    other = step_folder("03_targets", {**values, "probability": 0.6})
    assert other != folder


def test_a_run_folder_is_used_as_it_is_and_a_missing_one_is_one_clear_error(tmp_path):
    assert step_folder("01_data_quality", {"run_dir": str(tmp_path)}) == tmp_path
    with pytest.raises(CalibrateError, match="run_dir .* is not a folder"):
        step_folder("01_data_quality", {"run_dir": str(tmp_path / "nope")})
    with pytest.raises(
        CalibrateError, match="has no manifest naming a config that can be found from it: give the parameter 'config'"
    ):
        step_folder("03_targets", {"run_dir": str(tmp_path), "probability": 0.8})


def test_a_run_folder_finds_its_config_through_the_relative_path_in_its_manifest(sample_config, tmp_path):
    import json
    import os

    from calibrate.notebook_run import run_config

    run = tmp_path / "reports" / "sample"
    run.mkdir(parents=True)
    relative = os.path.relpath(sample_config, run)
    (run / "manifest.json").write_text(json.dumps({"config_from_run": relative}), encoding="utf-8")
    assert not os.path.isabs(relative)
    assert run_config(run_dir=run).path == sample_config.resolve()


def test_notebooks_and_the_sample_never_come_from_the_current_folder(tmp_path, monkeypatch):
    from calibrate.loading import sample_config_path
    from calibrate.report.execute import notebooks_folder

    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "01_data_quality.ipynb", tmp_path / "notebooks")
    (tmp_path / "data" / "sample").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "sample" / "calibrate.yaml", tmp_path / "data" / "sample")
    monkeypatch.chdir(tmp_path)
    assert tmp_path not in notebooks_folder().parents
    assert tmp_path not in sample_config_path().parents
    assert (notebooks_folder() / "01_data_quality.ipynb").exists() and sample_config_path().exists()


def test_calibrate_notebooks_copies_them_for_editing(tmp_path):
    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "calibrate.cli.app", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )

    done = cli("notebooks", "mine")
    assert done.returncode == 0, done.stderr
    copied = sorted(p.name for p in (tmp_path / "mine").iterdir())
    assert copied == sorted([f"{n}.ipynb" for n in NOTEBOOKS] + ["README.md"])
    assert (tmp_path / "mine" / "03_targets.ipynb").read_bytes() == (
        ROOT / "notebooks" / "03_targets.ipynb"
    ).read_bytes()
    again = cli("notebooks", "mine")
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "add --force" in again.stderr
    assert cli("notebooks", "mine", "--force").returncode == 0


def test_ecsi_tables_follow_the_language_and_explain_blank_cells():
    import pandas as pd

    from calibrate.ecsi import fit_ecsi
    from calibrate.report.ecsi import ecsi_table

    result = fit_ecsi(pd.read_csv(ROOT / "tests" / "reference" / "mobi.csv"))
    frame, notes = ecsi_table(result, "reliability", "zh")
    assert list(frame.columns)[:2] == ["潜变量", "测量模式"] and "客户抱怨" in set(frame["潜变量"])
    assert notes == ["客户抱怨：单题项构念，Cronbach α 无定义（留空）。"]
    frame, notes = ecsi_table(result, "paths", "en")
    assert frame.iloc[0, :2].tolist() == ["Image", "Expectation"] and notes == []
    assert not frame.isna().any().any()


def test_the_gallery_lists_every_notebook_with_its_parameters_and_valid_commands():
    import shlex

    import yaml
    from papermill.cli import _resolve_type

    gallery = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1]: line for line in gallery.splitlines() if line.startswith("| `")}
    assert sorted(rows) == NOTEBOOKS
    common = {"run_dir", "config", "lang", "seed", "pseudonymise", "min_group_size"}
    for name in NOTEBOOKS:
        for p in NOTEBOOK_PARAMETERS[name]:
            if p.name not in common or name in ("10_indicator_research", "12_what_if"):
                assert f"`{p.name}`" in rows[name] or p.name in ("lang", "pseudonymise"), (name, p.name)
    commands = [shlex.split(line) for line in gallery.splitlines() if line.startswith("papermill ")]
    assert {c[1].removesuffix(".ipynb") for c in commands} == set(NOTEBOOKS) - {
        "01_data_quality",
        "90_executive_summary",
    }
    for words in commands:
        values = {}
        for k, word in enumerate(words):
            if word == "-p":
                values[words[k + 1]] = _resolve_type(words[k + 2])
            elif word == "-y":
                values.update(yaml.safe_load(words[k + 1]))
        assert values, words
        check_parameters(words[1].removesuffix(".ipynb"), values)


def test_sets_with_the_same_label_are_told_apart():
    import pandas as pd

    from calibrate.research.compare import ComparisonResult

    labels = pd.DataFrame(
        {
            "set": ["account_manager", "am_2026", "key_account_director"],
            "label_zh": ["客户经理绩效指标", "客户经理绩效指标", "大客户总监绩效指标"],
            "label_en": ["Account manager", "Account manager", "Key-account director"],
        }
    )
    empty = pd.DataFrame()
    result = ComparisonResult(per_set=empty, validity=empty, weights=empty, predictions=empty, labels=labels)
    assert [result.label(s, "en") for s in labels["set"]] == [
        "Account manager (account_manager)",
        "Account manager (am_2026)",
        "Key-account director",
    ]
    assert result.label("am_2026", "zh") == "客户经理绩效指标（am_2026）"

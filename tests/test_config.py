"""The run config is one typed model, checked when it is loaded, with a JSON Schema and a generated README table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from calibrate.cli import main
from calibrate.config import load_config
from calibrate.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _with(folder: Path, **sections) -> Path:
    path = folder / "calibrate.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_validate_catches_a_bad_value_in_a_method_section_naming_file_and_key(small_company, capsys):
    cfg = _with(small_company, targets={"probability": 1.7})
    assert main(["validate", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "calibrate.yaml: targets.probability must be a number strictly between 0 and 1, got 1.7" in err
    assert "got 1.7" in err and "Traceback" not in err


def test_every_problem_is_reported_at_once(small_company):
    cfg = _with(
        small_company,
        weights={"shares": {"evidence": 0.7, "ahp": 0.3, "baseline": 0.2}},
        report={"timeout": -5},
        privacy={"salt": "s", "pseudonymize": True},
        lang="fr",
    )
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    lines = str(info.value).splitlines()
    assert (
        "calibrate.yaml: weights.shares must add up to 1; they add up to 1.2000 (evidence 0.7, ahp 0.3, "
        "baseline 0.2)" in lines
    )
    assert "calibrate.yaml: report.timeout: -5: Input should be greater than 0" in lines
    assert (
        "calibrate.yaml: privacy: unknown key 'pseudonymize' (allowed: key_file, min_group_size, pseudonymise)" in lines
    )
    assert any(line.startswith("calibrate.yaml: privacy: 'salt' is no longer used") for line in lines)
    assert "calibrate.yaml: lang 'fr' must be 'zh' or 'en'" in lines


def test_scoring_values_are_checked_at_load(small_company):
    cfg = _with(small_company, scoring={"grading": "curve"})
    with pytest.raises(ConfigError, match=r"calibrate.yaml: scoring.grading must be 'forced' or 'bands', got 'curve'"):
        load_config(cfg)


def test_defaults_fill_the_sections_the_steps_read(small_company):
    from calibrate.weights.proposal import WeightSettings

    cfg = load_config(_with(small_company, weights={"bootstrap": 50}))
    assert cfg.weights == {**WeightSettings().to_dict(), "bootstrap": 50}
    assert cfg.targets["probability"] == 0.7 and cfg.report == {"notebooks": None, "timeout": 900}


def test_schema_command_prints_the_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    targets = schema["$defs"][schema["properties"]["targets"]["$ref"].split("/")[-1]]
    assert targets["additionalProperties"] is False and targets["properties"]["probability"]["default"] == 0.7
    weights = schema["$defs"][schema["properties"]["weights"]["$ref"].split("/")[-1]]
    assert weights["properties"]["shares"]["default"] == {"evidence": 0.5, "ahp": 0.3, "baseline": 0.2}
    assert schema["required"] == ["data"]


def test_readme_config_table_is_generated_from_the_model():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "config_doc.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `targets.probability` | `number > 0, < 1` | `0.7` |" in readme


def test_a_new_weight_setting_or_privacy_key_needs_one_field(small_company):
    from calibrate.weights.proposal import WeightSettings

    cfg = load_config(_with(small_company, privacy={"min_group_size": 7}))
    assert (
        cfg.privacy.min_group_size == 7 == cfg.min_group_size and cfg.model is not None and cfg.model.year == cfg.year
    )
    assert WeightSettings.from_config({"bootstrap": 0, "ci_level": 0.8}).to_dict() == {
        **WeightSettings().to_dict(),
        "bootstrap": 0,
        "ci_level": 0.8,
    }


def test_schema_command_writes_a_file(tmp_path):
    target = tmp_path / "calibrate.schema.json"
    assert main(["schema", "--output", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "calibrate run config"

"""The weights, targets and scoring sections are typed keys of the one config model.

Each key has a type, bounds and a meaning in the JSON Schema and is checked when the config is loaded; the
sections' keys come from their method packages (calibrate.keys declarations beside the settings classes), so a
key added there is picked up without touching the config layer.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from calibrate.cli import main
from calibrate.config import SECTIONS, section_model
from calibrate.keys import Key, Section
from calibrate.targets.plan import DEFAULT_TARGETS, TARGET_KEYS, TargetSettings


def _schema_of(capsys) -> dict:
    assert main(["schema"]) == 0
    return json.loads(capsys.readouterr().out)


def _typed(prop: dict, defs: dict) -> bool:
    """A property says what it holds: a type, an enum/const, a nested model, or alternatives that all do."""
    if "anyOf" in prop:
        return all(_typed(option, defs) for option in prop["anyOf"])
    return "type" in prop or "enum" in prop or "const" in prop or "$ref" in prop


def _walk(name: str, model: dict, defs: dict):
    for key, prop in model["properties"].items():
        yield f"{name}.{key}", prop
        for option in [prop, *prop.get("anyOf", [])]:
            if "$ref" in option:
                yield from _walk(f"{name}.{key}", defs[option["$ref"].split("/")[-1]], defs)


def test_every_key_of_every_method_section_has_a_type_in_the_schema(capsys):
    schema = _schema_of(capsys)
    defs = schema["$defs"]
    seen = []
    for section in ("weights", "targets", "scoring"):
        model = defs[schema["properties"][section]["$ref"].split("/")[-1]]
        assert model["additionalProperties"] is False
        for path, prop in _walk(section, model, defs):
            seen.append(path)
            assert _typed(prop, defs), f"{path} has no type in the schema: {prop}"
            refs = [o["$ref"].split("/")[-1] for o in [prop, *prop.get("anyOf", [])] if "$ref" in o]
            meaning = prop.get("description") or (defs[refs[0]].get("description") if refs else None)
            assert meaning, f"{path} has no meaning in the schema"
    # every key of every section, nested keys included
    assert {
        "weights.shares.ahp",
        "targets.payout.points",
        "scoring.reviews.min_raters",
        "scoring.stability.spread",
    } <= set(seen)
    assert len(seen) == len(set(seen)) > 40
    probability = defs["TargetsSection"]["properties"]["probability"]
    assert probability["type"] == "number" and probability["exclusiveMinimum"] == 0
    assert probability["exclusiveMaximum"] == 1 and probability["default"] == 0.7
    assert defs["ScoringSection"]["properties"]["grading"]["enum"] == ["forced", "bands"]


def test_schema_defaults_are_the_settings_defaults(capsys):
    """Defaults are written once, beside each settings class; the schema shows those."""
    from calibrate.scoring.settings import DEFAULT_SCORING
    from calibrate.weights.proposal import WeightSettings

    defs = _schema_of(capsys)["$defs"]
    for name, defaults in (
        ("Weights", WeightSettings().to_dict()),
        ("Targets", DEFAULT_TARGETS),
        ("Scoring", DEFAULT_SCORING),
    ):
        props = defs[f"{name}Section"]["properties"]
        assert set(props) == set(defaults)
        for key, value in defaults.items():
            assert json.loads(json.dumps(props[key]["default"])) == json.loads(json.dumps(value)), key


BAD_VALUES = [
    ({"targets": {"scenarios": 50}}, "targets.scenarios must be a whole number of at least 100, got 50"),
    ({"targets": {"scenarios": 2000.5}}, "targets.scenarios must be a whole number of at least 100, got 2000.5"),
    ({"targets": {"heavy_tails": "yes"}}, "targets.heavy_tails must be true or false, got 'yes'"),
    ({"targets": {"bonus_budget": -1}}, "targets.bonus_budget must be a number of at least 0, or null, got -1"),
    (
        {"targets": {"payout": {"points": [[0.8, "half"]]}}},
        "targets.payout.points must be a list of pairs of numbers, or null, got [[0.8, 'half']]",
    ),
    ({"weights": {"ci_level": 1.5}}, "weights.ci_level must be a number strictly between 0 and 1, got 1.5"),
    (
        {"weights": {"methods": 5}},
        "weights.methods must be a list of names from 'regression', 'ahp', 'entropy', 'critic', 'equal', got 5",
    ),
    (
        {"weights": {"shares": {"evidence": 0.7, "ahp": "a third"}}},
        "weights.shares.ahp must be a number between 0 and 1, got 'a third'",
    ),
    (
        {"scoring": {"reviews": {"min_raters": 0}}},
        "scoring.reviews.min_raters must be a whole number of at least 1, got 0",
    ),
    (
        {"scoring": {"stability": {"spread": 1.5}}},
        "scoring.stability.spread must be a number from 0 up to below 1, got 1.5",
    ),
    ({"scoring": {"grading": "curve"}}, "scoring.grading must be 'forced' or 'bands', got 'curve'"),
]


@pytest.mark.parametrize(("sections", "line"), BAD_VALUES, ids=[line.split()[0] for _, line in BAD_VALUES])
def test_a_wrong_value_in_a_method_section_gives_one_line_naming_file_and_key(tmp_path, capsys, sections, line):
    config = {"data": {"performance": "performance.csv"}, **sections}
    path = tmp_path / "calibrate.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["validate", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [f"calibrate: calibrate.yaml: {line}"]


def test_cross_field_checks_still_run_at_load(tmp_path, capsys):
    path = tmp_path / "calibrate.yaml"
    config = {
        "data": {"performance": "p.csv"},
        "scoring": {"forced_distribution": {"A": 0.5, "B": 0.6}},
        "targets": {"payout": {"points": [[0.8, 0.5], [1.0, 1.0]], "cap": 0.9}},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["validate", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "calibrate.yaml: scoring: forced_distribution shares must be 0 or more and add up to 1" in err
    assert "calibrate.yaml: targets: payout: cap 0.9 is below the last point's coefficient 1.0" in err


def test_a_key_added_to_a_settings_class_is_typed_from_its_annotation():
    """What another branch does when it adds a setting: a default and a field; the config layer is not edited."""

    @dataclasses.dataclass(frozen=True)
    class WithFlag(TargetSettings):
        parameter_flag: bool = False
        draws_per_manager: int = 3

    section = Section(
        "targets",
        "targets with two new keys",
        {**DEFAULT_TARGETS, "parameter_flag": False, "draws_per_manager": 3, "mode": "fitted"},
        TARGET_KEYS,
        WithFlag,
        lambda section: None,
    )
    model = section_model(section)
    props = model.model_json_schema()["properties"]
    assert props["parameter_flag"]["type"] == "boolean" and props["parameter_flag"]["default"] is False
    assert props["draws_per_manager"]["type"] == "integer"
    assert props["probability"]["exclusiveMaximum"] == 1  # the declared keys keep their declarations
    assert "type" not in props["mode"]  # neither declared nor in the class: untyped, the settings check decides
    assert model.model_validate({"parameter_flag": True}).parameter_flag is True
    with pytest.raises(ValidationError):
        model.model_validate({"parameter_flag": "yes"})
    with pytest.raises(ValidationError):
        model.model_validate({"draws_per_manager": 2.5})


def test_the_config_model_is_built_from_the_method_packages_declarations():
    assert set(SECTIONS) == {"weights", "targets", "scoring"}
    assert SECTIONS["targets"].keys is TARGET_KEYS and SECTIONS["targets"].defaults is DEFAULT_TARGETS
    assert Key(float, "x", gt=0, lt=1).expected() == "a number strictly between 0 and 1"
    assert Path(__file__).name == "test_config_sections.py"


def test_notebook_parameters_that_override_a_config_key_take_its_declaration(capsys):
    """One model family: a notebook parameter overriding a config key has that key's type, bounds and meaning."""
    from calibrate.config import key_of
    from calibrate.notebook_params import NOTEBOOK_PARAMETERS

    overriding = [(nb, p) for nb, params in NOTEBOOK_PARAMETERS.items() for p in params if p.overrides]
    assert {p.overrides for _, p in overriding} >= {
        "targets.probability",
        "targets.scenarios",
        "weights.shares.ahp",
        "scoring.stability.draws",
    }
    assert main(["schema", "--notebooks"]) == 0
    schema = json.loads(capsys.readouterr().out)
    for notebook, p in overriding:
        if p.name == "outcome":  # a word standing for an evidence_shares mapping, declared by the notebook
            continue
        key = key_of(p.overrides)
        assert p.meaning == key.description, p.name
        prop = schema["properties"][notebook]["properties"][p.name]
        number = next(option for option in prop["anyOf"] if option["type"] != "null")
        for bound, word in (
            ("ge", "minimum"),
            ("gt", "exclusiveMinimum"),
            ("le", "maximum"),
            ("lt", "exclusiveMaximum"),
        ):
            assert number.get(word) == getattr(key, bound), (p.name, bound)
        assert prop["default"] is None and key.description in prop["description"]
    mirrored = {p.name: p for p in NOTEBOOK_PARAMETERS["01_data_quality"]}
    assert mirrored["min_group_size"].low == key_of("privacy.min_group_size").ge == 1
    assert mirrored["lang"].choices == ("zh", "en")
    assert schema["properties"]["13_quarterly_review"]["properties"]["scenarios"]["minimum"] == 100


@pytest.mark.parametrize(
    ("sections", "line"),
    [
        ({"weights": 5}, "'weights' must be a mapping of settings, got 5"),
        (
            {"scoring": {"reviews": 3}},
            "scoring.reviews must be a mapping with keys min_raters, max_raters, trim, "
            "correct_leniency, min_ratees, or null, got 3",
        ),
        (
            {"targets": {"payout": {"floor": 0.5}}},
            "targets.payout: unknown key 'floor' (allowed: cap, points, threshold)",
        ),
    ],
)
def test_a_section_or_nested_mapping_of_the_wrong_shape_is_one_line(tmp_path, capsys, sections, line):
    path = tmp_path / "calibrate.yaml"
    path.write_text(yaml.safe_dump({"data": {"performance": "p.csv"}, **sections}), encoding="utf-8")
    assert main(["validate", "--config", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"calibrate: calibrate.yaml: {line}"]

"""The run configuration: one YAML file that, with the data it names, fully describes a run.

Data paths are relative to the config file's folder; ``output`` is relative to the
folder the command runs in. The file is checked once, when it is loaded, by one
typed model (:class:`ConfigModel`, pydantic v2): every key and every value, so a
misspelt key or a value out of range is an error naming the file and the key path
before any step runs.

Where each setting is defined (its type, its default, its check): the top-level
keys, ``privacy``, ``report`` and ``data`` in the models below; the keys of the
``weights``, ``targets`` and ``scoring`` sections beside their method packages'
settings classes (:class:`calibrate.keys.Key` declarations ``WEIGHT_KEYS``,
``TARGET_KEYS``, ``SCORING_KEYS``; defaults in :class:`~calibrate.weights.proposal.WeightSettings`,
``DEFAULT_TARGETS``, ``DEFAULT_SCORING``), from which :func:`section_model` builds a
strict typed model per section; the settings classes' cross-key checks run at load
too. A key added to a section's defaults and settings class is typed from the class's
annotation without a line here. The notebook parameters that override a key take its
declaration through :func:`key_of` (:mod:`calibrate.notebook_params`).
``calibrate schema`` prints the JSON Schema (``--notebooks``: the notebooks'
parameters); ``tools/config_doc.py`` writes the README's config section from it.
"""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)

from calibrate.errors import ConfigError
from calibrate.keys import Key, Section
from calibrate.scoring.settings import SCORING_SECTION
from calibrate.targets.plan import TARGETS_SECTION
from calibrate.weights.proposal import WEIGHTS_SECTION
from calibrate.yamlsafe import load_yaml

DATA_KEYS = ("managers", "performance", "deals", "survey", "reviews", "ahp_judgments", "last_year_weights")
LANGS = ("zh", "en")
MAX_RUN_NAME = 100
SALT_GONE = (
    "privacy: 'salt' is no longer used: pseudonyms are keyed with a secret key kept outside the config "
    "and the outputs. Remove 'salt'; the key is read from $CALIBRATE_PSEUDONYM_KEY or privacy: key_file "
    "(default .calibrate-key beside the config)"
)

_STRICT = ConfigDict(extra="forbid", frozen=True)
DataSource = str | dict[str, Any]


class PrivacySection(BaseModel):
    """How managers appear in reports."""

    model_config = _STRICT
    pseudonymise: StrictBool = Field(
        True, description="reports show keyed pseudonyms (P-xxxxxxxxxxxxxxxx) and no names"
    )
    key_file: str | None = Field(
        None,
        description="file holding the secret pseudonym key (created on first use); default .calibrate-key "
        "beside the config; $CALIBRATE_PSEUDONYM_KEY wins when set; never inside the output folder",
    )
    min_group_size: StrictInt = Field(
        5, ge=1, description="groups (regions) smaller than this are merged or hidden in every report table and chart"
    )


class ReportSection(BaseModel):
    """Which notebooks run and how long each may take."""

    model_config = _STRICT
    notebooks: list[str] | None = Field(None, description="steps whose notebooks run, in order; null: every step")
    timeout: int = Field(900, gt=0, description="seconds one notebook may run")


class DataSection(BaseModel):
    """One source per table: a file path, or a mapping (path/table/url/query/encoding/sheet)."""

    model_config = _STRICT
    managers: DataSource | None = None
    performance: DataSource | None = None
    deals: DataSource | None = None  # one row per deal or order: revenue, profit, new customers derived
    survey: DataSource | None = None
    reviews: DataSource | None = None
    innovation: DataSource | None = None  # the innovation committee: accepted solutions per manager and year
    ahp_judgments: DataSource | None = None
    last_year_weights: DataSource | None = None


def _annotation(key: Key, default: Any, path: str) -> Any:
    """The pydantic annotation of a declared key: its type with the bounds on its numbers."""
    if key.nested:
        sub_defaults = default if key.merged and isinstance(default, dict) else {}
        nested = _section_model(path, key.type, sub_defaults, key.description)
        return nested | None if key.merged else nested
    bounds = {k: getattr(key, k) for k in ("ge", "gt", "le", "lt") if getattr(key, k) is not None}
    return _bounded(key.type, bounds)


def _bounded(t: Any, bounds: dict[str, Any]) -> Any:
    if get_origin(t) in (Union, types.UnionType):
        return Union[tuple(_bounded(a, bounds) for a in get_args(t))]  # noqa: UP007 (built from a tuple)
    if t in (int, float):
        return Annotated[t, Field(allow_inf_nan=False, **bounds) if t is float else Field(**bounds)]
    return t


def _section_model(
    title: str, keys: Mapping[str, Key | None], defaults: Mapping[str, Any], description: str
) -> type[BaseModel]:
    """A strict pydantic model of one config section (or nested mapping) from its key declarations."""
    fields: dict[str, Any] = {}
    for name, key in keys.items():
        default = defaults.get(name)
        if key is None:  # a key the settings class adds without a declaration: checked by the class only
            fields[name] = (Any, Field(default, description="(undeclared)"))
            continue
        extra = None if name in defaults else _no_default  # a key of a mapping given whole: no default of its own
        fields[name] = (
            _annotation(key, default, f"{title}.{name}"),
            Field(default, description=key.description, json_schema_extra=extra),
        )
    model: type[BaseModel] = create_model(
        "".join(part.title().replace("_", "") for part in title.split(".")) + "Section",
        __config__=ConfigDict(extra="forbid", frozen=True, strict=True, title=title),
        __doc__=description,
        **fields,
    )
    return model


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def section_model(section: Section) -> type[BaseModel]:
    """The typed model of a method section: every key of its defaults, typed by its declaration (or, for a key
    declared only in the settings class, by the class's annotation)."""
    keys = {name: section.key(name) for name in section.defaults}
    return _section_model(section.name, keys, section.defaults, section.description)


#: The method sections, declared in their packages; the config model has one typed field per section.
SECTIONS: dict[str, Section] = {s.name: s for s in (WEIGHTS_SECTION, TARGETS_SECTION, SCORING_SECTION)}
WeightsSection = section_model(WEIGHTS_SECTION)
TargetsSection = section_model(TARGETS_SECTION)
ScoringSection = section_model(SCORING_SECTION)


def _weights_defaults() -> dict[str, Any]:
    return dict(WEIGHTS_SECTION.defaults)


def _targets_defaults() -> dict[str, Any]:
    return dict(TARGETS_SECTION.defaults)


def _scoring_defaults() -> dict[str, Any]:
    return dict(SCORING_SECTION.defaults)


class ConfigModel(BaseModel):
    """A run config as written in its YAML file, every key typed (the ``weights``/``targets``/``scoring``
    sections by the models built from their packages' declarations, :data:`SECTIONS`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="calibrate run config")
    run_name: str | None = Field(
        None, description="the run folder <output>/<run_name>/; default: the config's folder name"
    )
    year: StrictInt = Field(0, description="the last year of data; weights and targets are proposed for the next one")
    lang: Literal["zh", "en"] = Field("zh", description="report language")
    seed: StrictInt = Field(0, ge=0, description="one seed for every random draw of the run")
    indicator_set: str = Field("account_manager", description="a template name or a YAML file")
    description: str | None = Field(None, description="free text")
    data: DataSection = Field(description="the tables to read (paths relative to the config file)")
    output: str = Field("reports", description="folder of run folders, relative to where the command runs")
    privacy: PrivacySection = Field(default_factory=PrivacySection)
    previous_run: str | None = Field(
        None, description="last year's run folder (relative to this config's folder): this run is judged against it"
    )
    scheduler: str | None = Field(None, description="Dask scheduler: local, local:N or tcp://host:port; null: no Dask")
    weights: WeightsSection = Field(default_factory=WeightsSection, description=WEIGHTS_SECTION.description)  # type: ignore[valid-type]
    targets: TargetsSection = Field(default_factory=TargetsSection, description=TARGETS_SECTION.description)  # type: ignore[valid-type]
    scoring: ScoringSection = Field(default_factory=ScoringSection, description=SCORING_SECTION.description)  # type: ignore[valid-type]
    report: ReportSection = Field(default_factory=ReportSection)

    @field_validator("weights", "targets", "scoring", mode="wrap")
    @classmethod
    def _cross_checked(cls, v: Any, handler: Any, info: ValidationInfo) -> Any:
        """Types and bounds by the section's model; then the settings class's cross-field checks."""
        if v is None:
            v = {}
        typed = handler(v)
        try:
            SECTIONS[str(info.field_name)].check(v)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return typed

    @field_validator("data", mode="before")
    @classmethod
    def _data_given(cls, v: Any) -> Any:
        if not isinstance(v, dict) or not v:
            raise ValueError(f"'data' must map table names ({', '.join(DATA_KEYS)}) to files or SQL sources")
        return v

    @field_validator("run_name")
    @classmethod
    def _plain_name(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if (
            not v
            or any(ch in v for ch in "/\\:")
            or v.startswith(".")
            or any(not ch.isprintable() for ch in v)
            or v != v.strip()
        ):
            raise ValueError(
                f"run_name {v!r} must be a plain folder name "
                "(no '/', '\\', ':', leading '.', control characters or surrounding spaces)"
            )
        if len(v) > MAX_RUN_NAME:
            raise ValueError(f"run_name is {len(v)} characters long; at most {MAX_RUN_NAME}")
        return v


def key_of(path: str) -> Key:
    """The declaration of one config key by its dotted path: type, bounds and meaning, for what mirrors or
    overrides it (the notebook parameters, :mod:`calibrate.notebook_params`).

    >>> key_of("targets.probability").expected()
    'a number strictly between 0 and 1'
    >>> key_of("privacy.min_group_size").expected()
    'a whole number of at least 1'
    """
    head, *rest = path.split(".")
    if head in SECTIONS:
        keys: Mapping[str, Key | None] = {name: SECTIONS[head].key(name) for name in SECTIONS[head].defaults}
        found: Key | None = None
        for part in rest:
            found = keys.get(part)
            if found is None:
                raise KeyError(f"no config key {path}")
            keys = found.type if found.nested else {}
        if found is None:
            raise KeyError(f"{path} is a section, not a key")
        return found
    model: Any = ConfigModel
    info = None
    for part in path.split("."):
        info = model.model_fields[part]
        model = info.annotation
    assert info is not None
    bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "gt", "le", "lt") if hasattr(m, k)}
    return Key(info.annotation, info.description or "", **bounds)


def default_of(path: str) -> Any:
    """The default of one config key by its dotted path (written once: the model or the settings' defaults)."""
    head, *rest = path.split(".")
    if head in SECTIONS:
        value: Any = SECTIONS[head].defaults
        for part in rest:
            value = value[part]
        return value
    model: Any = ConfigModel
    default = None
    for part in path.split("."):
        info = model.model_fields[part]
        default = info.get_default(call_default_factory=True)
        model = info.annotation
    return default


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a run config (for YAML editors; ``calibrate schema`` prints it)."""
    return ConfigModel.model_json_schema()


@dataclass(frozen=True)
class RunConfig:
    run_name: str
    year: int
    lang: str
    seed: int
    indicator_set: str
    data: dict[str, Any]
    output: Path
    pseudonymise: bool = True
    key_file: Path | None = None  # None: .calibrate-key beside the config (see calibrate.privacy)
    min_group_size: int = 5  # groups smaller than this are not shown in reports
    weights: dict[str, Any] = field(default_factory=_weights_defaults)
    targets: dict[str, Any] = field(default_factory=_targets_defaults)
    scoring: dict[str, Any] = field(default_factory=_scoring_defaults)
    report: dict[str, Any] = field(default_factory=lambda: ReportSection().model_dump())
    scheduler: str | None = None
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    #: The checked file as typed sections: ``config.privacy.<key>`` and ``config.model.<key>`` reach a key
    #: added to :class:`PrivacySection` or :class:`ConfigModel` without another line here.
    privacy: PrivacySection = field(default_factory=PrivacySection)
    model: ConfigModel | None = field(default=None, compare=False)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path(".")

    def indicator_set_path(self) -> str:
        """A template name as it is, a YAML path resolved against the config's folder."""
        value = self.indicator_set
        if value.endswith((".yaml", ".yml")):
            p = Path(value)
            return str(p if p.is_absolute() else self.base_dir / p)
        return value

    def run_folder(self) -> Path:
        return self.output / self.run_name

    def pseudonym_key_file(self) -> Path:
        from calibrate.privacy import DEFAULT_KEY_FILE

        return self.key_file if self.key_file is not None else self.base_dir / DEFAULT_KEY_FILE

    def pseudonym_key(self) -> bytes:
        """The secret pseudonym key (environment or key file, created on first use); never written to outputs."""
        from calibrate.privacy import KEY_ENV, load_key

        key_file = self.pseudonym_key_file().resolve()
        output = self.output.resolve()
        if os.environ.get(KEY_ENV) is None and (key_file == output or output in key_file.parents):
            raise ConfigError(
                f"privacy: key_file {key_file} is inside the output folder {output}; "
                f"keep the pseudonym key outside every run's output"
            )
        from calibrate.messages import text

        return load_key(key_file, announce=lambda path: text("privacy.key_created", self.lang, key_file=str(path)))


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read and check a run config; ``overrides`` replace top-level keys (e.g. from the CLI)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    raw = load_yaml(text, path.name) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: expected a mapping of settings")
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path | None = None) -> RunConfig:
    """Check a config mapping with :class:`ConfigModel`; every problem is reported at once."""
    where = path.name if path else "config"
    problems: list[str] = []
    privacy = raw.get("privacy")
    if isinstance(privacy, dict) and "salt" in privacy:  # the old unkeyed pseudonyms: say how to move on
        problems.append(f"{where}: {SALT_GONE}")
        raw = {**raw, "privacy": {k: v for k, v in privacy.items() if k != "salt"}}
    try:
        model = ConfigModel.model_validate(raw)
    except ValidationError as exc:
        # one line per problem: a union's branches or a list's items can fail the same key more than once
        problems += list(dict.fromkeys(m for m in (_message(where, e, raw) for e in exc.errors()) if m))
    if problems:
        raise ConfigError("\n".join(problems))
    run_name = model.run_name or (path.parent.name if path else "run")
    key_file = None
    if model.privacy.key_file is not None:
        key_file = Path(model.privacy.key_file).expanduser()
        if not key_file.is_absolute():
            key_file = (path.resolve().parent if path else Path(".").resolve()) / key_file
    return RunConfig(
        run_name=run_name,
        year=model.year,
        lang=model.lang,
        seed=model.seed,
        indicator_set=model.indicator_set,
        data=model.data.model_dump(exclude_none=True),
        output=Path(model.output),
        pseudonymise=model.privacy.pseudonymise,
        key_file=key_file,
        min_group_size=model.privacy.min_group_size,
        weights={**_weights_defaults(), **_given_section(raw, "weights")},
        targets={**_targets_defaults(), **_given_section(raw, "targets")},
        scoring={**_scoring_defaults(), **_given_section(raw, "scoring")},
        report=model.report.model_dump(),
        scheduler=model.scheduler,
        path=path.resolve() if path else None,
        raw=dict(raw),
        privacy=model.privacy,
        model=model,
    )


def _given_section(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The keys of a method section as written (checked; the settings classes read them as given)."""
    return dict(raw.get(name) or {})


def _message(where: str, error: Any, raw: Mapping[str, Any]) -> str:
    """One line per problem: ``calibrate.yaml: targets.probability: 1.7 is not between 0 and 1``."""
    if error["loc"] and error["loc"][0] in SECTIONS and error["type"] not in ("extra_forbidden", "value_error"):
        return _section_message(where, error, raw)
    loc = [str(part) for part in error["loc"] if not str(part).startswith(("function-", "str", "dict["))]
    key = ".".join(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = ".".join(loc[:-1])
        allowed = _allowed(loc[:-1])
        return f"{where}: {parent + ': ' if parent else ''}unknown key '{loc[-1]}' (allowed: {', '.join(allowed)})"
    if kind == "value_error":
        # the method sections' own checks already name the section and key
        return "\n".join(f"{where}: {line}" for line in str(error["ctx"]["error"]).splitlines())
    if kind == "missing":
        return f"{where}: {key}: missing"
    if kind == "literal_error" and key == "lang":
        return f"{where}: lang {error['input']!r} must be 'zh' or 'en'"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{where}: {key} must be a whole number, got {error['input']!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{where}: {key} must be true or false, got {error['input']!r}"
    if kind == "dict_type" and loc and loc[0] == "data":
        return ""  # the text alternative of the same source says it
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where}: '{key}' must be a mapping of settings, got {error['input']!r}"
    if kind == "string_type" and loc and loc[0] == "data":
        return f"{where}: {key} must be a file name or a mapping (path/url with table or query), got {error['input']!r}"
    if kind == "string_type" and key == "output":
        return f"{where}: 'output' must be a folder name, got {error['input']!r}"
    if kind == "string_type":
        return f"{where}: '{key}' must be text (a name), got {error['input']!r}"
    return f"{where}: {key}: {error['input']!r}: {error['msg']}"


def _section_message(where: str, error: Any, raw: Mapping[str, Any]) -> str:
    """``calibrate.yaml: targets.probability must be a number strictly between 0 and 1, got 1.7``: the deepest
    declared key on the error's path says what it expects (list positions and union branches are skipped)."""
    section = SECTIONS[error["loc"][0]]
    keys: Mapping[str, Key | None] = {name: section.key(name) for name in section.defaults}
    path, found = [section.name], None
    for part in error["loc"][1:]:
        key = keys.get(part) if isinstance(part, str) else None
        if key is None:
            continue
        path.append(part)
        found = key
        keys = key.type if key.nested else {}
    if found is None and error["type"] in ("model_type", "dict_type"):
        return f"{where}: '{section.name}' must be a mapping of settings, got {error['input']!r}"
    if found is None:
        return f"{where}: {'.'.join(path)}: {error['input']!r}: {error['msg']}"
    return f"{where}: {'.'.join(path)} must be {found.expected()}, got {_given(raw, path, error['input'])!r}"


def _given(raw: Mapping[str, Any], path: list[str], default: Any) -> Any:
    """The value written at ``path`` (the error's input is only the failing part of a list or mapping)."""
    value: Any = raw
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


def _allowed(loc: list[str]) -> list[str]:
    if loc and loc[0] in SECTIONS:
        keys: Mapping[str, Any] = SECTIONS[loc[0]].defaults
        for part in loc[1:]:
            found = SECTIONS[loc[0]].keys.get(part) if keys is SECTIONS[loc[0]].defaults else keys.get(part)
            keys = found.type if found is not None and found.nested else {}
        return sorted(keys)
    model: Any = ConfigModel
    for part in loc:
        model = model.model_fields[part].annotation
    return sorted(model.model_fields)

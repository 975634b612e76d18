"""The run configuration: one YAML file that, with the data it names, fully describes a run.

Data paths are relative to the config file's folder; ``output`` is relative to the
folder the command runs in. Every key is checked: a misspelt key is an error, not
a silently ignored setting.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calibrate.errors import ConfigError
from calibrate.yamlsafe import load_yaml

DATA_KEYS = ("managers", "performance", "survey", "reviews", "ahp_judgments", "last_year_weights")
LANGS = ("zh", "en")
_TOP_KEYS = {"run_name", "year", "lang", "seed", "indicator_set", "data", "output", "privacy",
             "weights", "targets", "scoring", "report", "scheduler", "description"}
_PRIVACY_KEYS = {"pseudonymise", "key_file", "min_group_size"}
MAX_RUN_NAME = 100

DEFAULT_WEIGHTS = {
    "methods": ["regression", "ahp", "entropy", "critic"],
    "shares": {"evidence": 0.5, "ahp": 0.3, "baseline": 0.2},
    "baseline": "critic",
    "max_change": 0.05,
    "bootstrap": 1000,
    "evidence_shares": {"revenue_growth": 0.5, "retention": 0.5},
    "controls": ["period", "tenure"],
    "ci_level": 0.90,
}
DEFAULT_REPORT = {"notebooks": None,  # None: every step, in order
                  "timeout": 900}


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
    key_file: Path | None = None       # None: .calibrate-key beside the config (see calibrate.privacy)
    min_group_size: int = 5            # groups smaller than this are not shown in reports
    weights: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    targets: dict[str, Any] = field(default_factory=dict)
    scoring: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_REPORT))
    scheduler: str | None = None
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

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
            raise ConfigError(f"privacy: key_file {key_file} is inside the output folder {output}; "
                              f"keep the pseudonym key outside every run's output")
        return load_key(key_file)


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
    where = path.name if path else "config"
    errors = [f"{where}: unknown key '{k}' (allowed: {', '.join(sorted(_TOP_KEYS))})" for k in raw if k not in _TOP_KEYS]
    data = raw.get("data")
    if not isinstance(data, dict) or not data:
        errors.append(f"{where}: 'data' must map table names ({', '.join(DATA_KEYS)}) to files or SQL sources")
        data = {}
    for key, spec in data.items():
        if key not in DATA_KEYS:
            errors.append(f"{where}: data: unknown table '{key}' (allowed: {', '.join(DATA_KEYS)})")
        elif not isinstance(spec, (str, dict)) or not spec:
            errors.append(f"{where}: data: {key} must be a file name or a mapping (path/url with table or query), "
                          f"got {spec!r}")
    if "indicator_set" in raw and (not isinstance(raw["indicator_set"], str) or not raw["indicator_set"].strip()):
        errors.append(f"{where}: 'indicator_set' must be a template name or a YAML file, got {raw['indicator_set']!r}")
    if "output" in raw and not isinstance(raw["output"], (str, Path)):
        errors.append(f"{where}: 'output' must be a folder name, got {raw['output']!r}")
    lang = raw.get("lang", "zh")
    if lang not in LANGS:
        errors.append(f"{where}: lang '{lang}' must be 'zh' or 'en'")
    privacy = raw.get("privacy", {}) or {}
    if not isinstance(privacy, dict):
        errors.append(f"{where}: 'privacy' must be a mapping (pseudonymise, key_file, min_group_size), got {privacy!r}")
        privacy = {}
    for k in privacy:
        if k == "salt":
            errors.append(f"{where}: privacy: 'salt' is no longer used: pseudonyms are keyed with a secret key "
                          f"kept outside the config and the outputs. Remove 'salt'; the key is read from "
                          f"$CALIBRATE_PSEUDONYM_KEY or privacy: key_file (default .calibrate-key beside the config)")
        elif k not in _PRIVACY_KEYS:
            errors.append(f"{where}: privacy: unknown key '{k}' (allowed: {', '.join(sorted(_PRIVACY_KEYS))})")
    if not isinstance(privacy.get("pseudonymise", True), bool):
        errors.append(f"{where}: privacy: pseudonymise must be true or false, got {privacy['pseudonymise']!r}")
    if not isinstance(privacy.get("key_file", ""), (str, Path)):
        errors.append(f"{where}: privacy: key_file must be a file name, got {privacy['key_file']!r}")
    min_group = privacy.get("min_group_size", 5)
    if isinstance(min_group, bool) or not isinstance(min_group, int) or min_group < 1:
        errors.append(f"{where}: privacy: min_group_size must be a whole number >= 1, got {min_group!r}")
    from calibrate.scoring.settings import DEFAULT_SCORING
    from calibrate.targets.plan import DEFAULT_TARGETS

    sections = {}
    for name, default in (("weights", DEFAULT_WEIGHTS), ("targets", DEFAULT_TARGETS),
                          ("scoring", DEFAULT_SCORING), ("report", DEFAULT_REPORT)):
        given = raw.get(name, {}) or {}
        if not isinstance(given, dict):
            errors.append(f"{where}: '{name}' must be a mapping")
            given = {}
        for k in given:
            if k not in default:
                errors.append(f"{where}: {name}: unknown key '{k}' (allowed: {', '.join(sorted(default))})")
        sections[name] = {**default, **given}
    for key, kind in (("year", int), ("seed", int)):
        if key in raw and (isinstance(raw[key], bool) or not isinstance(raw[key], int)):
            errors.append(f"{where}: '{key}' must be a whole number, got {raw[key]!r}")
    timeout = sections["report"].get("timeout")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        errors.append(f"{where}: report: timeout must be a whole number of seconds, got {timeout!r}")
    if errors:
        raise ConfigError("\n".join(errors))
    run_name = str(raw.get("run_name", path.parent.name if path else "run"))
    if (not run_name or any(ch in run_name for ch in "/\\:") or run_name.startswith(".")
            or any(not ch.isprintable() for ch in run_name) or run_name != run_name.strip()):
        raise ConfigError(f"{where}: run_name {run_name!r} must be a plain folder name "
                          f"(no '/', '\\', ':', leading '.', control characters or surrounding spaces)")
    if len(run_name) > MAX_RUN_NAME:
        raise ConfigError(f"{where}: run_name is {len(run_name)} characters long; at most {MAX_RUN_NAME}")
    key_file = privacy.get("key_file")
    if key_file is not None:
        key_file = Path(key_file).expanduser()
        if not key_file.is_absolute():
            key_file = (path.resolve().parent if path else Path(".").resolve()) / key_file
    return RunConfig(
        run_name=run_name,
        year=int(raw.get("year", 0)),
        lang=lang,
        seed=int(raw.get("seed", 0)),
        indicator_set=str(raw.get("indicator_set", "account_manager")),
        data=data,
        output=Path(raw.get("output", "reports")),
        pseudonymise=bool(privacy.get("pseudonymise", True)),
        key_file=key_file,
        min_group_size=int(min_group),
        weights=sections["weights"],
        targets=sections["targets"],
        scoring=sections["scoring"],
        report=sections["report"],
        scheduler=raw.get("scheduler"),
        path=path.resolve() if path else None,
        raw=dict(raw),
    )

"""The run configuration: one YAML file that, with the data it names, fully describes a run.

Data paths are relative to the config file's folder; ``output`` is relative to the
folder the command runs in. Every key is checked: a misspelt key is an error, not
a silently ignored setting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from calibrate.errors import ConfigError

DATA_KEYS = ("managers", "performance", "survey", "reviews", "ahp_judgments", "last_year_weights")
LANGS = ("zh", "en")
_TOP_KEYS = {"run_name", "year", "lang", "seed", "indicator_set", "data", "output", "privacy",
             "weights", "targets", "scoring", "report", "scheduler", "description", "previous_run"}
_PRIVACY_KEYS = {"pseudonymise", "salt"}

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
    salt: str = "calibrate"
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


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read and check a run config; ``overrides`` replace top-level keys (e.g. from the CLI)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name}: not valid YAML ({exc})") from None
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
    for key in data:
        if key not in DATA_KEYS:
            errors.append(f"{where}: data: unknown table '{key}' (allowed: {', '.join(DATA_KEYS)})")
    lang = raw.get("lang", "zh")
    if lang not in LANGS:
        errors.append(f"{where}: lang '{lang}' must be 'zh' or 'en'")
    privacy = raw.get("privacy", {}) or {}
    for k in privacy:
        if k not in _PRIVACY_KEYS:
            errors.append(f"{where}: privacy: unknown key '{k}' (allowed: {', '.join(sorted(_PRIVACY_KEYS))})")
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
        if key in raw and not isinstance(raw[key], int):
            errors.append(f"{where}: '{key}' must be a whole number, got {raw[key]!r}")
    if errors:
        raise ConfigError("\n".join(errors))
    run_name = str(raw.get("run_name", path.parent.name if path else "run"))
    if not run_name or any(ch in run_name for ch in "/\\:") or run_name.startswith("."):
        raise ConfigError(f"{where}: run_name {run_name!r} must be a plain folder name")
    return RunConfig(
        run_name=run_name,
        year=int(raw.get("year", 0)),
        lang=lang,
        seed=int(raw.get("seed", 0)),
        indicator_set=str(raw.get("indicator_set", "account_manager")),
        data=data,
        output=Path(raw.get("output", "reports")),
        pseudonymise=bool(privacy.get("pseudonymise", True)),
        salt=str(privacy.get("salt", "calibrate")),
        weights=sections["weights"],
        targets=sections["targets"],
        scoring=sections["scoring"],
        report=sections["report"],
        scheduler=raw.get("scheduler"),
        path=path.resolve() if path else None,
        raw=dict(raw),
    )

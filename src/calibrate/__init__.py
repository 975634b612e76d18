"""calibrate: evidence-based indicator weights and target difficulty for account-manager performance systems."""

from __future__ import annotations

__version__ = "0.1.0"

from calibrate.errors import (  # noqa: F401
    CalibrateError,
    ConfigError,
    DataSourceError,
    InfeasibleConstraints,
    InvalidJudgments,
    NotebookFailed,
    Problem,
    ValidationError,
)

# The public API, imported on first use so that `import calibrate` and the CLI stay fast.
_API = {
    "load_config": "calibrate.config",
    "load_dataset": "calibrate.loading",
    "validate": "calibrate.loading",
    "load_dataset_for_sets": "calibrate.loading",
    "load_indicator_set": "calibrate.indicators",
    "indicator_panel": "calibrate.panel",
    "generate_company": "calibrate.sample",
    "write_sample": "calibrate.sample",
    "SampleSpec": "calibrate.sample",
    "run": "calibrate.pipeline",
    "propose_weights": "calibrate.weights",
    "ahp_priorities": "calibrate.weights",
    "ahp_hierarchy": "calibrate.weights",
    "lmg": "calibrate.weights",
    "outcome_regression": "calibrate.weights.outcome_models",
    "outcome_glm": "calibrate.weights.outcome_models",
    "fit_performance_model": "calibrate.targets",
    "target_plan": "calibrate.targets",
    "attainment": "calibrate.targets.simulation",
    "build_scorecard": "calibrate.scoring",
    "compare_indicator_sets": "calibrate.research",
    "fit_ecsi": "calibrate.ecsi",
}


def __getattr__(name: str):
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'calibrate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_API))

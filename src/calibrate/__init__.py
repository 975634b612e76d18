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

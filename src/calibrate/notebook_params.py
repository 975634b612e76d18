"""Every notebook's parameters: name, type, default, meaning, and what in the run config it overrides.

papermill passes parameters without looking at them (papermill#55), so a misspelt
name or a wrong type would surface many cells later as an obscure error. Here each
notebook declares its parameters once; :func:`check_parameters` runs before papermill
starts a kernel (``calibrate.report.execute``) and :func:`check_notebook` runs in the
notebook's first cell (for JupyterLab). Either stops with one line naming the
parameter and the type it expects.

A parameter left at ``None`` takes the run config's value; a value overrides the run
config for that execution only (see :func:`config_overrides`).

>>> check_parameters("03_targets", {"probability": 0.8})["probability"]
0.8
>>> check_parameters("03_targets", {"probability": "high"})
Traceback (most recent call last):
...
calibrate.notebook_params.NotebookParameterError: 03_targets: parameter 'probability' must be a number strictly between 0 and 1, or None for the run config's (got 'high', a str)
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calibrate.errors import CalibrateError


class NotebookParameterError(CalibrateError):
    """A notebook parameter with an unknown name or a value of the wrong type."""


@dataclass(frozen=True)
class Param:
    """One parameter: ``kind`` is str, int, float, bool, list (of str) or dict (str -> number)."""

    name: str
    kind: type
    default: Any
    meaning: str
    optional: bool = False                    # None allowed (= the run config's value)
    choices: tuple[Any, ...] = ()
    low: float | None = None                  # bounds for numbers
    high: float | None = None
    open_low: bool = False                    # low itself excluded
    open_high: bool = False
    overrides: str | None = None              # "section.key" of the run config it replaces

    def expected(self) -> str:
        """The expected type in words, for the one-line error."""
        if self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind is bool:
            text = "True or False"
        elif self.kind in (int, float):
            text = "a whole number" if self.kind is int else "a number"
            if self.low is not None and self.high is not None:
                between = "strictly between" if self.open_low and self.open_high else "between"
                text += f" {between} {self.low:g} and {self.high:g}"
            elif self.low is not None:
                text += f" of at least {self.low:g}" if not self.open_low else f" above {self.low:g}"
        elif self.kind is list:
            text = "a list of strings"
        elif self.kind is dict:
            text = "a mapping of names to numbers"
        else:
            text = "a string"
        return text + (", or None for the run config's" if self.optional else "")

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.optional
        if self.kind is bool:
            ok = isinstance(value, bool)
        elif self.kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif self.kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
        elif self.kind is list:
            ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        elif self.kind is dict:
            ok = isinstance(value, Mapping) and all(
                isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                for k, v in value.items())
        else:
            ok = isinstance(value, str)
        if not ok:
            return False
        if self.choices and value not in self.choices:
            return False
        if self.kind in (int, float):
            if self.low is not None and (value < self.low or (self.open_low and value == self.low)):
                return False
            if self.high is not None and (value > self.high or (self.open_high and value == self.high)):
                return False
        return True


_RUN = (
    Param("run_dir", str, "", "run folder written by `calibrate run`; \"\" computes this step in place "
          "(in a temporary folder) from `config`"),
    Param("config", str, "", "run config YAML used when computing in place; \"\" = the run's own config "
          "(from run_dir's manifest) or the sample company shipped with the package"),
    Param("lang", str, "zh", "report language", choices=("zh", "en")),
    Param("seed", int, None, "random seed; None = the run config's", optional=True, low=0),
    Param("pseudonymise", bool, True, "show pseudonyms instead of manager IDs"),
    Param("min_group_size", int, 5, "groups (regions) smaller than this are merged or hidden in tables and charts "
          "(privacy.min_group_size)", low=1),
)
_SHARE = {"low": 0.0, "high": 1.0}

NOTEBOOK_PARAMETERS: dict[str, tuple[Param, ...]] = {
    "01_data_quality": _RUN,
    "02_weights": _RUN + (
        Param("evidence_share", float, None, "share of the evidence (regression) weights in the blend",
              optional=True, overrides="weights.shares.evidence", **_SHARE),
        Param("ahp_share", float, None, "share of the experts' AHP weights in the blend",
              optional=True, overrides="weights.shares.ahp", **_SHARE),
        Param("baseline_share", float, None, "share of the data baseline (entropy/CRITIC) in the blend",
              optional=True, overrides="weights.shares.baseline", **_SHARE),
        Param("max_change", float, None, "largest change of one weight from last year (0.05 = 5 points; "
              "1 = no cap)", optional=True, overrides="weights.max_change", **_SHARE),
        Param("bootstrap", int, None, "bootstrap resamples of managers for the intervals (0 = none)",
              optional=True, low=0, overrides="weights.bootstrap"),
        Param("outcome", str, None, "outcome the evidence weights predict", optional=True,
              choices=("both", "revenue_growth", "retention"), overrides="weights.evidence_shares"),
    ),
    "03_targets": _RUN + (
        Param("probability", float, None, "chance of reaching target every manager should have (0.7 = 70%)",
              optional=True, low=0.0, high=1.0, open_low=True, open_high=True, overrides="targets.probability"),
        Param("growth", float, None, "company growth planned on last year's revenue (0.10 = +10%)",
              optional=True, low=-1.0, open_low=True, overrides="targets.company_growth"),
        Param("scenarios", int, None, "Monte Carlo scenarios", optional=True, low=100,
              overrides="targets.scenarios"),
    ),
    "05_scoring": _RUN + (
        Param("forced_distribution", dict, None, "share of managers per grade, best first, adding up to 1 "
              "(e.g. {\"A\": 0.1, \"B\": 0.2, \"C\": 0.5, \"D\": 0.15, \"E\": 0.05})", optional=True,
              overrides="scoring.forced_distribution"),
        Param("stability_draws", int, None, "weight draws for the grade-stability figures", optional=True,
              low=10, overrides="scoring.stability.draws"),
    ),
    "90_executive_summary": _RUN,
    "10_indicator_research": (
        Param("config", str, "", "run config naming the data; \"\" = the sample company shipped with the package"),
        Param("sets", list, ["account_manager", "key_account_director", "sample:account_manager_plus_churn"],
              "indicator sets compared: template names, YAML paths, or sample:NAME for a set shipped "
              "with the sample company"),
        Param("weights", str, "default", "weights of each set's composite",
              choices=("default", "equal", "entropy", "critic", "importance")),
        Param("folds", int, 5, "cross-validation folds (grouped by manager)", low=2),
        Param("bootstrap", int, 200, "bootstrap resamples of managers for the stability figures", low=0),
        Param("seed", int, 0, "fixes the folds and the resamples", low=0),
        Param("lang", str, "zh", "report language", choices=("zh", "en")),
        Param("scheduler", str, None, "where the bootstrap refits run: None = the run config's 'scheduler', "
              "'none' = this process, 'local', 'local:N' or a Dask address such as tcp://host:8786",
              optional=True),
    ),
    "11_ecsi": (
        Param("data_path", str, "", "CSV with the 24 ECSI items; \"\" = the public mobi survey shipped "
              "with the package"),
        Param("bootstrap", int, 200, "bootstrap resamples for the intervals (0 for none)", low=0),
        Param("seed", int, 0, "seed of the bootstrap random generator", low=0),
        Param("scheme", str, "path", "inner weighting scheme", choices=("path", "centroid", "factorial")),
        Param("lang", str, "en", "labels", choices=("zh", "en")),
    ),
    "12_what_if": (
        Param("config", str, "", "run config; \"\" = the sample company shipped with the package"),
        Param("indicator", str, "revenue_attainment", "the indicator whose weight limits change"),
        Param("min_weight", float, 0.30, "its new lowest weight (None = unchanged)", optional=True, **_SHARE),
        Param("max_weight", float, None, "its new highest weight (None = unchanged)", optional=True, **_SHARE),
        Param("probability", float, None, "new plan probability of reaching target (None = unchanged)",
              optional=True, low=0.0, high=1.0, open_low=True, open_high=True),
        Param("bootstrap", int, 0, "bootstrap resamples for the weight intervals (0 = none, fastest)", low=0),
        Param("scenarios", int, None, "Monte Carlo scenarios; None = the run config's", optional=True, low=100),
        Param("lang", str, "zh", "report language", choices=("zh", "en")),
        Param("pseudonymise", bool, True, "show pseudonyms instead of manager IDs"),
    ),
    "06_cycle": (
        Param("run_dir", str, "", "run folder written by `calibrate run` with previous_run in its config; \"\" "
              "shows that no previous run was named"),
        Param("lang", str, "zh", "report language", choices=("zh", "en")),
        Param("seed", int, None, "random seed; None = the run config's", optional=True, low=0),
        Param("pseudonymise", bool, True, "show pseudonyms instead of manager IDs"),
        Param("min_group_size", int, 5, "groups (regions) smaller than this are merged or hidden", low=1),
    ),
    "13_quarterly_review": (
        Param("config", str, "", "run config; \"\" = the sample company shipped with the package"),
        Param("quarter", str, "2025Q2", "last quarter with actuals, e.g. 2026Q2"),
        Param("lang", str, "zh", "report language", choices=("zh", "en")),
        Param("scenarios", int, 2000, "Monte Carlo scenarios", low=100),
        Param("cut", float, 0.5, "probability separating likely from unlikely", low=0.0, high=1.0,
              open_low=True, open_high=True),
        Param("reweight", dict, {"solution_innovation": 0.30}, "mid-year what-if: new weights of some indicators "
              "(the others scaled); {} for none"),
        Param("reweight_from", str, "2025Q3", "first quarter of the new weights"),
        Param("pseudonymise", bool, True, "show pseudonyms instead of manager IDs"),
    ),
}


def parameters_of(notebook: str) -> tuple[Param, ...]:
    if notebook not in NOTEBOOK_PARAMETERS:
        raise NotebookParameterError(f"unknown notebook '{notebook}' (known: {', '.join(NOTEBOOK_PARAMETERS)})")
    return NOTEBOOK_PARAMETERS[notebook]


def defaults(notebook: str) -> dict[str, Any]:
    return {p.name: p.default for p in parameters_of(notebook)}


def check_parameters(notebook: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's parameters (defaults filled in) after checking ``values``.

    Raises :class:`NotebookParameterError` with one line naming the first
    parameter whose name is unknown or whose value is not of the expected type.
    """
    params = {p.name: p for p in parameters_of(notebook)}
    for name, value in values.items():
        if name not in params:
            raise NotebookParameterError(f"{notebook}: no parameter '{name}' (its parameters: "
                                         f"{', '.join(params)})")
        p = params[name]
        if not p.accepts(value):
            raise NotebookParameterError(f"{notebook}: parameter '{name}' must be {p.expected()} "
                                         f"(got {value!r}, a {type(value).__name__})")
    return {**defaults(notebook), **values}


_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def check_notebook(notebook: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Check the parameters a notebook's first cell sees (its globals after the parameters cell).

    Every global that is not a module, a function or a kernel name is taken as a
    parameter, so a misspelt name in the parameters cell is caught too.
    """
    import types

    values = {k: v for k, v in namespace.items()
              if not k.startswith("_") and k not in _KERNEL_NAMES
              and not isinstance(v, (types.ModuleType, types.FunctionType, type))}
    return check_parameters(notebook, values)


def config_overrides(notebook: str, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The run config sections these parameter values replace: ``{section: {key: value}}``.

    Only parameters that are not None and that override something appear; nested keys
    (``weights.shares.ahp``) are merged into the section's mapping by the caller
    (:func:`calibrate.notebook_run.apply_overrides`).
    """
    out: dict[str, dict[str, Any]] = {}
    for p in parameters_of(notebook):
        value = values.get(p.name)
        if p.overrides is None or value is None:
            continue
        section, _, key = p.overrides.partition(".")
        if p.name == "outcome":
            value = {"both": {"revenue_growth": 0.5, "retention": 0.5},
                     "revenue_growth": {"revenue_growth": 1.0, "retention": 0.0},
                     "retention": {"revenue_growth": 0.0, "retention": 1.0}}[value]
        if p.name == "max_change" and value >= 1:
            value = None                          # the config's "no cap"
        out.setdefault(section, {})[key] = value
    return out

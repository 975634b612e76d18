"""Every notebook's parameters: name, type, default, meaning, and what in the run config it overrides.

papermill passes parameters without looking at them (papermill#55), so a misspelt
name or a wrong type would surface many cells later as an obscure error. Here each
notebook declares its parameters once; :func:`check_parameters` runs before papermill
starts a kernel (``calibrate.report.execute``) and :func:`check_notebook` runs in the
notebook's first cell (for JupyterLab). Either stops with one line naming the
parameter and the type it expects.

A parameter left at ``None`` takes the run config's value; a value overrides the run
config for that execution only (see :func:`config_overrides`). A parameter that
overrides or mirrors a run-config key is declared by that key's path
(:func:`from_config`): its type, bounds and meaning are the config model's, written
once there. Every notebook's parameters are a typed model of the same family
(:func:`notebook_model`, pydantic), which checks them; ``calibrate schema --notebooks``
prints their JSON Schema.

>>> check_parameters("03_targets", {"probability": 0.8})["probability"]
0.8
>>> check_parameters("03_targets", {"probability": "high"})
Traceback (most recent call last):
...
calibrate.notebook_params.NotebookParameterError: 03_targets: parameter 'probability' must be a number strictly between 0 and 1, or None for the run config's (got 'high', a str)
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from calibrate.config import default_of, key_of
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
    optional: bool = False  # None allowed (= the run config's value)
    choices: tuple[Any, ...] = ()
    low: float | None = None  # bounds for numbers
    high: float | None = None
    open_low: bool = False  # low itself excluded
    open_high: bool = False
    overrides: str | None = None  # "section.key" of the run config it replaces

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

    def annotation(self) -> Any:
        """The pydantic annotation of the parameter: its kind, choices and bounds (None allowed when optional)."""
        if self.choices:
            base: Any = Literal[self.choices]
        elif self.kind in (int, float):
            bounds: dict[str, Any] = {}
            if self.low is not None:
                bounds["gt" if self.open_low else "ge"] = self.low
            if self.high is not None:
                bounds["lt" if self.open_high else "le"] = self.high
            base = Annotated[self.kind, Field(allow_inf_nan=False, **bounds) if self.kind is float else Field(**bounds)]
        elif self.kind is list:
            base = list[str] | tuple[str, ...]
        elif self.kind is dict:
            base = dict[str, float]
        else:
            base = self.kind
        return base | None if self.optional else base


_CONFIG_DEFAULT: Any = object()


def from_config(
    name: str, path: str, *, overrides: bool = True, default: Any = _CONFIG_DEFAULT, **changes: Any
) -> Param:
    """A parameter with the type, bounds and meaning of the run-config key ``path`` (declared once, in the
    config model). ``overrides``: a value replaces the run config's for this execution (default None: the run
    config's); otherwise the parameter mirrors the key and defaults to its default.

    >>> from_config("probability", "targets.probability").expected()
    "a number strictly between 0 and 1, or None for the run config's"
    """
    key = key_of(path)
    args = get_args(key.type) if get_origin(key.type) in (Union, types.UnionType) else (key.type,)
    kinds = [a for a in args if a is not type(None)]
    kind: Any = kinds[0]
    choices: tuple[Any, ...] = ()
    if get_origin(kind) is Literal:
        choices = get_args(kind)
        kind = type(choices[0])
    elif get_origin(kind) in (dict, list):
        kind = get_origin(kind)
    low = key.gt if key.gt is not None else key.ge
    high = key.lt if key.lt is not None else key.le
    fields: dict[str, Any] = {
        "kind": kind,
        "meaning": key.description,
        "choices": choices,
        "low": low,
        "high": high,
        "open_low": key.gt is not None,
        "open_high": key.lt is not None,
    }
    if overrides:
        fields.update(default=None if default is _CONFIG_DEFAULT else default, optional=True, overrides=path)
    else:
        fields.update(
            default=default_of(path) if default is _CONFIG_DEFAULT else default, optional=len(kinds) < len(args)
        )
    fields.update(changes)
    return Param(name, **fields)


_RUN = (
    Param(
        "run_dir",
        str,
        "",
        'run folder written by `calibrate run`; "" computes this step in place (in a temporary folder) from `config`',
    ),
    Param(
        "config",
        str,
        "",
        'run config YAML used when computing in place; "" = the run\'s own config '
        "(from run_dir's manifest) or the sample company shipped with the package",
    ),
    from_config("lang", "lang", overrides=False),
    from_config("seed", "seed", overrides=False, default=None, optional=True),  # None: the run config's
    from_config("pseudonymise", "privacy.pseudonymise", overrides=False),
    from_config("min_group_size", "privacy.min_group_size", overrides=False),
)
_SHARE: dict[str, Any] = {"low": 0.0, "high": 1.0}

NOTEBOOK_PARAMETERS: dict[str, tuple[Param, ...]] = {
    "01_data_quality": _RUN,
    "02_weights": _RUN
    + (
        from_config("evidence_share", "weights.shares.evidence"),
        from_config("ahp_share", "weights.shares.ahp"),
        from_config("baseline_share", "weights.shares.baseline"),
        from_config("max_change", "weights.max_change"),  # 1 = no cap (the config's null)
        from_config("bootstrap", "weights.bootstrap"),
        Param(
            "outcome",
            str,
            None,
            "outcome the evidence weights predict",
            optional=True,
            choices=("both", "revenue_growth", "retention"),
            overrides="weights.evidence_shares",
        ),
    ),
    "03_targets": _RUN
    + (
        from_config("probability", "targets.probability"),
        from_config("growth", "targets.company_growth"),
        from_config("scenarios", "targets.scenarios"),
    ),
    "05_scoring": _RUN
    + (
        from_config("forced_distribution", "scoring.forced_distribution"),
        from_config("stability_draws", "scoring.stability.draws"),
    ),
    "90_executive_summary": _RUN,
    "10_indicator_research": (
        Param("config", str, "", 'run config naming the data; "" = the sample company shipped with the package'),
        Param(
            "sets",
            list,
            ["account_manager", "key_account_director", "sample:account_manager_plus_churn"],
            "indicator sets compared: template names, YAML paths, or sample:NAME for a set shipped "
            "with the sample company",
        ),
        Param(
            "weights",
            str,
            "default",
            "weights of each set's composite",
            choices=("default", "equal", "entropy", "critic", "importance"),
        ),
        Param("folds", int, 5, "cross-validation folds (grouped by manager)", low=2),
        Param("bootstrap", int, 200, "bootstrap resamples of managers for the stability figures", low=0),
        Param("seed", int, 0, "fixes the folds and the resamples", low=0),
        from_config("lang", "lang", overrides=False),
        Param(
            "scheduler",
            str,
            None,
            "where the bootstrap refits run: None = the run config's 'scheduler', "
            "'none' = this process, 'local', 'local:N' or a Dask address such as tcp://host:8786",
            optional=True,
        ),
    ),
    "11_ecsi": (
        Param("data_path", str, "", 'CSV with the 24 ECSI items; "" = the public mobi survey shipped with the package'),
        Param("bootstrap", int, 200, "bootstrap resamples for the intervals (0 for none)", low=0),
        Param("seed", int, 0, "seed of the bootstrap random generator", low=0),
        Param("scheme", str, "path", "inner weighting scheme", choices=("path", "centroid", "factorial")),
        from_config("lang", "lang", overrides=False, default="en"),
    ),
    "12_what_if": (
        Param("config", str, "", 'run config; "" = the sample company shipped with the package'),
        Param("indicator", str, "revenue_attainment", "the indicator whose weight limits change"),
        Param("min_weight", float, 0.30, "its new lowest weight (None = unchanged)", optional=True, **_SHARE),
        Param("max_weight", float, None, "its new highest weight (None = unchanged)", optional=True, **_SHARE),
        from_config("probability", "targets.probability", overrides=False, default=None, optional=True),
        from_config("bootstrap", "weights.bootstrap", overrides=False, default=0),  # 0: no intervals, fastest
        from_config("scenarios", "targets.scenarios", overrides=False, default=None, optional=True),
        from_config("lang", "lang", overrides=False),
        from_config("pseudonymise", "privacy.pseudonymise", overrides=False),
    ),
    "06_cycle": (
        Param(
            "run_dir",
            str,
            "",
            'run folder written by `calibrate run` with previous_run in its config; "" '
            "shows that no previous run was named",
        ),
        from_config("lang", "lang", overrides=False),
        from_config("seed", "seed", overrides=False, default=None, optional=True),
        from_config("pseudonymise", "privacy.pseudonymise", overrides=False),
        from_config("min_group_size", "privacy.min_group_size", overrides=False),
    ),
    "13_quarterly_review": (
        Param("config", str, "", 'run config; "" = the sample company shipped with the package'),
        Param("quarter", str, "2025Q2", "last quarter with actuals, e.g. 2026Q2"),
        from_config("lang", "lang", overrides=False),
        from_config("scenarios", "targets.scenarios", overrides=False, default=2000),
        Param(
            "cut",
            float,
            0.5,
            "probability separating likely from unlikely",
            low=0.0,
            high=1.0,
            open_low=True,
            open_high=True,
        ),
        Param(
            "reweight",
            dict,
            {"solution_innovation": 0.30},
            "mid-year what-if: new weights of some indicators (the others scaled); {} for none",
        ),
        Param("reweight_from", str, "2025Q3", "first quarter of the new weights"),
        from_config("pseudonymise", "privacy.pseudonymise", overrides=False),
    ),
}


def parameters_of(notebook: str) -> tuple[Param, ...]:
    if notebook not in NOTEBOOK_PARAMETERS:
        raise NotebookParameterError(f"unknown notebook '{notebook}' (known: {', '.join(NOTEBOOK_PARAMETERS)})")
    return NOTEBOOK_PARAMETERS[notebook]


def defaults(notebook: str) -> dict[str, Any]:
    return {p.name: p.default for p in parameters_of(notebook)}


@cache
def notebook_model(notebook: str) -> type[BaseModel]:
    """The typed model of a notebook's parameters (strict: no conversion of a wrong type)."""
    fields: dict[str, Any] = {
        p.name: (
            p.annotation(),
            Field(p.default, description=p.meaning + (f" (overrides {p.overrides})" if p.overrides else "")),
        )
        for p in parameters_of(notebook)
    }
    model: type[BaseModel] = create_model(
        "Notebook_" + notebook, __config__=ConfigDict(extra="forbid", strict=True, title=notebook), **fields
    )
    return model


def notebooks_json_schema() -> dict[str, Any]:
    """The JSON Schema of every notebook's parameters (``calibrate schema --notebooks`` prints it)."""
    return {
        "title": "calibrate notebook parameters",
        "description": "papermill parameters of each notebook (-p NAME VALUE); a parameter that overrides a run "
        "config key has that key's type, bounds and meaning",
        "type": "object",
        "additionalProperties": False,
        "properties": {name: notebook_model(name).model_json_schema() for name in NOTEBOOK_PARAMETERS},
    }


def check_parameters(notebook: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's parameters (defaults filled in) after checking ``values``.

    Raises :class:`NotebookParameterError` with one line naming the first
    parameter whose name is unknown or whose value is not of the expected type.
    """
    params = {p.name: p for p in parameters_of(notebook)}
    for name in values:
        if name not in params:
            raise NotebookParameterError(f"{notebook}: no parameter '{name}' (its parameters: {', '.join(params)})")
    try:
        notebook_model(notebook).model_validate(dict(values))
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        name = next(n for n in values if n in wrong)
        value = values[name]
        raise NotebookParameterError(
            f"{notebook}: parameter '{name}' must be {params[name].expected()} "
            f"(got {value!r}, a {type(value).__name__})"
        ) from None
    return {**defaults(notebook), **values}


_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def check_notebook(notebook: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Check the parameters a notebook's first cell sees (its globals after the parameters cell).

    Every global that is not a module, a function or a kernel name is taken as a
    parameter, so a misspelt name in the parameters cell is caught too.
    """
    import types

    values = {
        k: v
        for k, v in namespace.items()
        if not k.startswith("_")
        and k not in _KERNEL_NAMES
        and not isinstance(v, (types.ModuleType, types.FunctionType, type))
    }
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
            value = {  # a word standing for a mapping of outcome shares
                "both": {"revenue_growth": 0.5, "retention": 0.5},
                "revenue_growth": {"revenue_growth": 1.0, "retention": 0.0},
                "retention": {"revenue_growth": 0.0, "retention": 1.0},
            }[value]
        if p.name == "max_change" and isinstance(value, (int, float)) and value >= 1:
            value = None  # the config's "no cap"
        out.setdefault(section, {})[key] = value
    return out

"""The run folder a step notebook reads: the one `calibrate run` wrote, or one computed in place.

A report notebook opened in JupyterLab has no run folder (``run_dir = ""``): it then
computes its step (and the steps before it) from the run config, by default the sample
company shipped with the package, into a folder of the user's temporary directory.
Parameters that override the run config (``probability``, ``max_change`` ...; see
:mod:`calibrate.notebook_params`) are computed the same way, so a researcher changes
a value and runs the notebook again. Computed folders are kept per config, data and
parameters, so the notebooks of one session share one computation of the sample.

>>> folder = step_folder("03_targets", {"probability": 0.8})     # doctest: +SKIP
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from calibrate.config import RunConfig, load_config, parse_config
from calibrate.errors import CalibrateError
from calibrate.notebook_params import NotebookParameterError, check_parameters, config_overrides

_SHARES = ("evidence", "ahp", "baseline")


def step_folder(notebook: str, values: Mapping[str, Any]) -> Path:
    """The run folder holding ``notebook``'s artifacts for these parameter values (checked here)."""
    values = check_parameters(notebook, dict(values))
    sections = config_overrides(notebook, values)
    run_dir = values.get("run_dir", "")
    if run_dir and not sections:
        folder = Path(run_dir)
        if not folder.is_dir():
            raise CalibrateError(
                f'run_dir {folder} is not a folder: give the folder `calibrate run` wrote, or "" to compute in place'
            )
        return folder
    config = run_config(values.get("config", ""), run_dir)
    config = apply_overrides(
        config, sections, lang=values.get("lang"), seed=values.get("seed"), pseudonymise=values.get("pseudonymise")
    )
    return computed_folder(config, steps_up_to(notebook))


def run_config(config: str | Path = "", run_dir: str | Path = "") -> RunConfig:
    """The config named, else the run folder's (its manifest), else the sample company's."""
    from calibrate.loading import sample_config_path

    if config:
        return load_config(config)
    if run_dir:
        manifest = Path(run_dir) / "manifest.json"
        recorded = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
        named = recorded.get("config_from_run")
        if not named or not (Path(run_dir) / named).exists():
            raise CalibrateError(
                f"{run_dir} has no manifest naming a config that can be found from it: give the parameter 'config'"
            )
        return load_config(Path(run_dir) / named)
    return load_config(sample_config_path())


def steps_up_to(notebook: str) -> list[str]:
    from calibrate.steps import all_steps

    names = list(all_steps())
    if notebook not in names:
        raise CalibrateError(f"{notebook} is not a step notebook (steps: {', '.join(names)})")
    return names[: names.index(notebook) + 1]


def apply_overrides(
    config: RunConfig,
    sections: Mapping[str, Mapping[str, Any]],
    *,
    lang: str | None = None,
    seed: int | None = None,
    pseudonymise: bool | None = None,
    indicator_set: str | None = None,
) -> RunConfig:
    """A copy of ``config`` with section keys replaced (``{"targets": {"probability": 0.8}}``).

    Dotted keys reach into a mapping (``weights: {"shares.ahp": 0.5}``); when some of the
    three blend shares are given, the others share the rest in their configured proportions.
    """
    raw = copy.deepcopy(dict(config.raw))
    for section, keys in sections.items():
        merged = copy.deepcopy(dict(getattr(config, section)))
        given_shares = {k.split(".", 1)[1]: v for k, v in keys.items() if k.startswith("shares.")}
        if given_shares:
            merged["shares"] = _fill_shares(dict(merged.get("shares") or {}), given_shares)
        for key, value in keys.items():
            if key.startswith("shares."):
                continue
            target = merged
            *path, last = key.split(".")
            for part in path:
                target[part] = dict(target.get(part) or {})
                target = target[part]
            target[last] = value
        raw[section] = merged
    if lang is not None:
        raw["lang"] = lang
    if seed is not None:
        raw["seed"] = seed
    if pseudonymise is not None:
        raw["privacy"] = {**(raw.get("privacy") or {}), "pseudonymise": bool(pseudonymise)}
    if indicator_set is not None:
        raw["indicator_set"] = indicator_set
    return parse_config(raw, config.path)


def _fill_shares(configured: dict[str, float], given: dict[str, float]) -> dict[str, float]:
    total = sum(given.values())
    if total > 1 + 1e-9:
        names = ", ".join(f"{k}_share" for k in given)
        raise NotebookParameterError(f"parameters {names} add up to {total:g}: the blend shares must add up to 1")
    rest = [k for k in _SHARES if k not in given]
    configured_rest = sum(float(configured.get(k, 0.0)) for k in rest)
    out = dict(given)
    for k in rest:
        share = float(configured.get(k, 0.0)) / configured_rest if configured_rest > 0 else 1 / len(rest)
        out[k] = (1 - total) * share
    return {k: float(out.get(k, 0.0)) for k in _SHARES}


def cache_root() -> Path:
    """Where computed folders are kept: ``$CALIBRATE_CACHE`` or the temporary directory."""
    given = os.environ.get("CALIBRATE_CACHE")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(given) if given else Path(tempfile.gettempdir()) / f"calibrate-notebooks-{uid}"


def computed_folder(config: RunConfig, steps: list[str]) -> Path:
    """Compute ``steps`` (the first steps of a run, in order) for ``config`` into a kept folder.

    Kept while config and data are unchanged: a folder that already holds these steps (or
    more) is reused as it is, and one holding fewer is copied and completed, so notebooks
    opened one after the other compute each step once.
    """
    from calibrate import __version__
    from calibrate.steps import all_steps

    order = list(all_steps())
    if steps != order[: len(steps)]:
        raise CalibrateError(f"steps {', '.join(steps)} are not the first steps of a run ({', '.join(order)})")
    key = hashlib.sha256(
        json.dumps(
            {
                "version": __version__,
                "config": config.raw,
                "path": str(config.path),
                "indicator_set": _file_stamp(config.indicator_set_path()),
                "data": {
                    n: _file_stamp(config.base_dir / str(s)) if isinstance(s, str) else s
                    for n, s in config.data.items()
                },
            },
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()[:20]
    root = cache_root()

    def kept(n: int) -> Path:
        return root / f"{key}-{n}"

    for n in range(len(order), len(steps) - 1, -1):
        if (kept(n) / ".complete").exists():
            return kept(n)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        done = next((n for n in range(len(steps) - 1, 0, -1) if (kept(n) / ".complete").exists()), 0)
        if done:
            shutil.copytree(kept(done), work, dirs_exist_ok=True)
        _compute(config, steps[done:], work, indicator_set=not done)
        (work / ".complete").write_text("\n".join(steps) + "\n", encoding="utf-8")
        try:
            os.replace(work, kept(len(steps)))
        except OSError:  # computed meanwhile by another notebook: keep that one
            if not (kept(len(steps)) / ".complete").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return kept(len(steps))


def _compute(config: RunConfig, steps: list[str], folder: Path, *, indicator_set: bool = True) -> None:
    from calibrate.loading import load_dataset
    from calibrate.steps import all_steps
    from calibrate.steps.base import RunContext, copy_indicator_set

    dataset = load_dataset(config)
    ctx = RunContext(config, dataset, folder)
    if indicator_set:
        copy_indicator_set(ctx)
    every = all_steps()
    for name in steps:
        every[name].compute(ctx)


def _file_stamp(path: str | Path) -> Any:
    p = Path(path)
    if not p.is_file():
        return str(path)  # a template name or a SQL source: its text is the stamp
    stat = p.stat()
    return [str(p.resolve()), stat.st_size, stat.st_mtime_ns]


def resolve_sets(sets: list[str]) -> list[str]:
    """Indicator sets for :func:`calibrate.research.load_sets`: ``sample:NAME`` is a set shipped with the sample company."""
    from calibrate.resources import shipped_path

    out = []
    for s in sets:
        if s.startswith("sample:"):
            path = shipped_path("sample_company") / "indicator_sets" / f"{s.split(':', 1)[1]}.yaml"
            if not path.exists():
                raise NotebookParameterError(
                    f"parameter 'sets': the sample company has no indicator set "
                    f"'{s.split(':', 1)[1]}' ({path.parent} holds "
                    f"{', '.join(p.stem for p in sorted(path.parent.glob('*.yaml')))})"
                )
            s = str(path)
        out.append(s)
    return out


def research_config(config: str | Path = "") -> Path:
    """The config a research notebook reads: the one named, else the sample company's."""
    from calibrate.loading import sample_config_path

    return Path(config) if config else sample_config_path()


def research_scheduler(config: str | Path = "", scheduler: str | None = None) -> str | None:
    """Where a research notebook's heavy work runs: ``scheduler`` when given, else the run config's.

    ``"none"`` (or ``""``) forces this process; see :func:`calibrate.distributed.executor_for`.
    """
    if scheduler is not None:
        return None if scheduler in ("", "none") else scheduler
    return load_config(research_config(config)).scheduler

"""The annual run: validate, compute each step's artifacts, execute its notebook, publish the run folder.

A step is a plain function that reads the dataset (and earlier artifacts) and
writes artifacts into the run folder; its notebook only reads those artifacts and
draws them. So every statistic lives in the package and the notebooks stay thin.

>>> result = run("data/sample/calibrate.yaml")       # doctest: +SKIP
>>> result.folder                                      # doctest: +SKIP
PosixPath('reports/sample')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calibrate import artifacts
from calibrate.config import RunConfig, load_config
from calibrate.dataset import Dataset
from calibrate.distributed import executor_for, scheduler_label
from calibrate.errors import CalibrateError, NotebookFailed
from calibrate.loading import load_dataset
from calibrate.redact import redact_config
from calibrate.report import (
    atomic_run_folder,
    execute_notebook,
    git_revision,
    kernel_session,
    package_versions,
    render_html,
)
from calibrate.report.clean import check_clean
from calibrate.report.folders import check_output_folder, failed_folder, remove_stale_partials
from calibrate.report.provenance import path_from
from calibrate.report.webfont import embed_cjk_font_in_pages
from calibrate.steps import all_steps
from calibrate.steps.base import RunContext, Step, copy_indicator_set


def available_steps() -> dict[str, Step]:
    """Every step, in notebook order (see :mod:`calibrate.steps`)."""
    return all_steps()


def _progress(message: str) -> None:
    print(message, flush=True)


@dataclass(frozen=True)
class RunResult:
    folder: Path
    manifest: dict[str, Any]
    reports: list[Path]


def run(
    config: RunConfig | str | Path,
    *,
    notebooks: list[str] | None = None,
    echo: Callable[[str], None] | None = _progress,
) -> RunResult:
    """Validate the data and produce the run folder ``<output>/<run_name>/``; atomic, see :mod:`calibrate.report`."""
    if not isinstance(config, RunConfig):
        config = load_config(config)
    say = echo or (lambda _message: None)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    check_output_folder(config.output)  # a read-only or full output folder: one line, before any work
    config.pseudonym_key()  # the key (created on first use) before any work
    t0 = time.perf_counter()
    dataset = load_dataset(config)  # raises before anything is written
    timings["load_and_validate"] = round(time.perf_counter() - t0, 3)
    say(
        f"validated {sum(dataset.report.rows.values())} rows from {len(dataset.sources)} sources "
        f"({timings['load_and_validate']:.1f} s)"
    )
    steps = available_steps()
    names = notebooks or list(config.report["notebooks"] or [n for n, s in steps.items() if s.by_default(config)])
    unknown = [n for n in names if n not in steps]
    if unknown:
        raise CalibrateError(f"unknown report step(s) {', '.join(unknown)}; available: {', '.join(steps)}")
    final = config.run_folder()
    remove_stale_partials(final.parent, say)  # left by runs that were killed (their process is gone)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    reports: list[Path] = []
    try:
        # re-running some steps keeps the other steps' results from the last good run
        with (
            atomic_run_folder(final, start_from_previous=notebooks is not None) as folder,
            executor_for(config.scheduler) as executor,
            kernel_session() as kernel,
        ):
            if config.scheduler:
                say(f"heavy work runs on the Dask scheduler {scheduler_label(config.scheduler)}")
            ctx = RunContext(config, dataset, folder, executor=executor)
            copy_indicator_set(ctx)
            timeout = int(config.report.get("timeout", 900))

            def report(name: str, step: Step) -> tuple[Path, float]:
                """Execute the step's notebook in the run's kernel and render its page (on the report thread)."""
                t = time.perf_counter()
                nb = execute_notebook(name, notebook_parameters(config, folder), folder, timeout=timeout, kernel=kernel)
                page = render_html(
                    nb,
                    folder / f"{step.html or name}.html",
                    title=step.title(config.lang),
                    stamp=_stamp_text(config.lang, stamp),
                    font=False,
                )
                check_clean(name, nb)  # no warning, stderr or error output in any report
                return page, time.perf_counter() - t

            # Step k's notebook runs in the kernel (another process) while step k+1 computes here: its
            # artifacts are all written before it is queued, and notebooks run one at a time, in order.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="calibrate-report") as reporter:
                queued: list[tuple[str, Step, Future]] = []
                for k, name in enumerate(names, start=1):
                    _raise_failed_report(queued)
                    step = steps[name]
                    say(f"[{k}/{len(names)}] {step.title(config.lang)} ...")
                    t0 = time.perf_counter()
                    written = step.compute(ctx)
                    seconds = time.perf_counter() - t0
                    timings[name] = {"compute": round(seconds, 3), "artifacts": len(written)}
                    say(f"      {step.title(config.lang)}: computed in {seconds:.1f} s; report queued")
                    future = reporter.submit(report, name, step)
                    future.add_done_callback(_announce(say, step.title(config.lang)))
                    queued.append((name, step, future))
                for name, _step, future in queued:
                    page, seconds = future.result()
                    timings[name]["notebook"] = round(seconds, 3)
                    reports.append(final / page.name)
            made = [folder / page.name for page in reports]
            embed_cjk_font_in_pages(made, kept=sorted(set(folder.glob("*.html")) - set(made)))
            timings["total"] = round(time.perf_counter() - started, 3)
            manifest = _manifest(config, dataset, folder, timings, stamp)
            artifacts.write_json(manifest, folder / "manifest.json")
    except NotebookFailed as exc:
        failed = failed_folder(final)
        raise NotebookFailed(str(exc).replace("{failed}", str(failed))) from None
    say(f"run folder ready: {final}")
    return RunResult(final, manifest, reports)


def _announce(say: Callable[[str], None], title: str) -> Callable[[Future], None]:
    """Say when a report is ready (called on the report thread as soon as it finishes)."""

    def done(future: Future) -> None:
        if not future.cancelled() and future.exception() is None:
            say(f"      {title}: report ready in {future.result()[1]:.1f} s")

    return done


def _raise_failed_report(queued: list[tuple[str, Step, Future]]) -> None:
    """Stop computing as soon as a queued report has failed (its error, e.g. NotebookFailed, is raised)."""
    for _name, _step, future in queued:
        if future.done() and future.exception() is not None:
            future.result()


def notebook_parameters(config: RunConfig, folder: Path) -> dict[str, Any]:
    return {
        "run_dir": str(folder.resolve()),
        "lang": config.lang,
        "seed": config.seed,
        "pseudonymise": config.pseudonymise,
        "min_group_size": config.min_group_size,
    }


def _relative(location: str | None, base: Path) -> str | None:
    """A file location relative to the config's folder (never the machine's absolute path); URLs as they are."""
    if not location or "://" in str(location):
        return location
    path = Path(location)
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return path.name


def _stamp_text(lang: str, stamp: str) -> str:
    return f"生成时间 {stamp}" if lang == "zh" else f"Generated {stamp}"


def _manifest(config: RunConfig, dataset: Dataset, folder: Path, timings: dict, stamp: str) -> dict[str, Any]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".ipynb", ".html"))
    return {
        "run_name": config.run_name,
        "created": stamp,
        "config_file": config.path.name if config.path else None,
        # where the config is seen from the run folder (a relative path, never the machine's absolute one):
        # notebooks opened on this run folder find the run's config through it
        "config_from_run": path_from(config.run_folder(), config.path),
        "config": redact_config(config.raw),
        "seed": config.seed,
        "steps_run": [k for k in timings if k not in ("load_and_validate", "total")],
        "indicator_set": dataset.indicator_set.name,
        "data": {
            name: {
                "source": info.label,
                "location": _relative(info.location, config.base_dir),
                "kind": info.kind,
                "sha256": info.sha256,
                "rows": dataset.report.rows.get(name),
            }
            for name, info in dataset.sources.items()
        },
        "artifacts": {str(p.relative_to(folder)): artifacts.sha256_of(p) for p in files},
        "packages": package_versions(),
        "git": git_revision(),
        "timings_seconds": timings,
        "previous_run": _previous_run_lineage(config),  # issue 16: the previous run's folder and its hash
    }


def _previous_run_lineage(config: RunConfig) -> dict[str, Any] | None:
    from calibrate.steps.cycle import lineage

    return lineage(config)

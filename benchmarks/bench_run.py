"""Benchmark: the whole sample run (``calibrate run``) against the papermill floor.

Run from the repository root::

    .venv/bin/python benchmarks/bench_run.py                  # the sample config as it is
    .venv/bin/python benchmarks/bench_run.py --quick --json run.json

The run is :func:`calibrate.pipeline.run` on ``data/sample/calibrate.yaml``
(load and validate, every step's computation, its notebook through papermill,
the HTML report, the manifest), into a temporary output folder. The *floor* is
what the same number of notebooks costs when they do nothing: N empty notebooks
(a ``parameters`` cell receiving the same parameters, no other code) executed one
after the other through the same papermill call (:func:`calibrate.report.
execute_notebook`), measured in the same process just after the run. The HTML
rendering of those empty notebooks is timed too (the run renders each report),
and reported beside the floor.

``--quick`` lowers the resampling of the run (weights.bootstrap 100,
targets.scenarios 2000, scoring.stability.draws 100); without it the sample
config's own settings are used.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

QUICK = {"bootstrap": 100, "scenarios": 2000, "stability_draws": 100}


def empty_notebook(folder: Path, name: str) -> Path:
    """A notebook with only a tagged ``parameters`` cell (what papermill needs to inject the run's parameters)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from make_notebook import make_notebook

    params = "run_dir = ''\nlang = 'zh'\nseed = 0\npseudonymise = True"
    return make_notebook(folder / f"{name}.ipynb", [("params", params)])


def run_sample(config_path: Path, overrides: dict, output: Path) -> tuple[float, dict, int]:
    """Seconds for the whole run, the manifest's timings and the number of notebooks executed."""
    from calibrate.config import load_config
    from calibrate.pipeline import run

    config = load_config(config_path, {**overrides, "output": str(output)})
    t0 = time.perf_counter()
    result = run(config, echo=None)
    seconds = time.perf_counter() - t0
    return seconds, result.manifest["timings_seconds"], len(result.reports)


def papermill_floor(count: int, parameters: dict) -> tuple[float, float]:
    """Seconds to execute ``count`` empty notebooks through papermill, and to render them as HTML."""
    from calibrate.report import execute_notebook, render_html

    with tempfile.TemporaryDirectory(prefix="bench_run_floor_") as tmp:
        source = Path(tmp) / "notebooks"
        source.mkdir()
        out = Path(tmp) / "out"
        names = [f"empty_{k:02d}" for k in range(count)]
        for name in names:
            empty_notebook(source, name)
        t0 = time.perf_counter()
        executed = [execute_notebook(name, parameters, out, source_dir=source) for name in names]
        execute = time.perf_counter() - t0
        t0 = time.perf_counter()
        for path in executed:
            render_html(path, out / f"{path.stem}.html", title=path.stem)
        render = time.perf_counter() - t0
    return execute, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "data" / "sample" / "calibrate.yaml"))
    parser.add_argument("--quick", action="store_true", help="lower the run's resampling (see the docstring)")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)

    import yaml

    from calibrate.scoring.settings import DEFAULT_SCORING

    overrides: dict = {}
    if args.quick:
        written = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
        overrides = {"weights": {**(written.get("weights") or {}), "bootstrap": QUICK["bootstrap"]},
                     "targets": {**(written.get("targets") or {}), "scenarios": QUICK["scenarios"]},
                     "scoring": {**(written.get("scoring") or {}),
                                 "stability": {**DEFAULT_SCORING["stability"], "draws": QUICK["stability_draws"]}}}
    print(f"Run benchmark: {args.config}{' (quick settings)' if args.quick else ''}; "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        seconds, timings, notebooks = run_sample(Path(args.config), overrides, Path(tmp))
    parameters = {"run_dir": tempfile.gettempdir(), "lang": "zh", "seed": 0, "pseudonymise": True}
    floor, render = papermill_floor(notebooks, parameters)
    steps = {k: v for k, v in timings.items() if isinstance(v, dict)}
    compute = sum(v["compute"] for v in steps.values())
    notebook_time = sum(v["notebook"] for v in steps.values())
    print(f"\nwhole run                      {seconds:8.1f} s   ({notebooks} notebooks)")
    print(f"  load and validate            {timings['load_and_validate']:8.1f} s")
    for name, v in steps.items():
        print(f"  {name:28s} {v['compute']:8.1f} s compute + {v['notebook']:6.1f} s notebook and HTML")
    print(f"papermill floor                {floor:8.1f} s   ({notebooks} empty notebooks; "
          f"{floor / notebooks:.1f} s each)")
    print(f"  + HTML of the empty ones     {render:8.1f} s")
    print(f"\nrun / papermill floor          {seconds / floor:8.1f}x")
    print(f"notebooks and HTML / (floor + HTML) {notebook_time / (floor + render):8.1f}x "
          f"(the notebooks' own work beyond starting a kernel)")
    if args.json:
        payload = {"benchmark": "run", "config": args.config, "quick": args.quick, "notebooks": notebooks,
                   "run_seconds": round(seconds, 3), "compute_seconds": round(compute, 3),
                   "notebook_seconds": round(notebook_time, 3), "load_seconds": timings["load_and_validate"],
                   "floor_seconds": round(floor, 3), "floor_html_seconds": round(render, 3),
                   "ratio": round(seconds / floor, 3), "steps": steps, "overrides": overrides}
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

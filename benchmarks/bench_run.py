"""Benchmark: the whole sample run (``calibrate run``) against the papermill floor, both as fresh processes.

Run from the repository root::

    .venv/bin/python benchmarks/bench_run.py                      # the sample config as it is
    .venv/bin/python benchmarks/bench_run.py --quick --repeats 3 --json run.json

*Run*: ``calibrate run --config data/sample/calibrate.yaml`` in a new process
(load and validate, every step's computation, its notebook, the HTML report, the
manifest) into a temporary output folder.

*Floor*: what the same number of notebooks costs when they do nothing, done the
way anyone would do it: a new process that executes that many empty notebooks
(a ``parameters`` cell receiving the run's parameters, no other code) with
``papermill.execute_notebook`` (one kernel each, papermill's default) and exports
each to HTML with nbconvert's ``HTMLExporter`` (code hidden).

The two commands are timed in turns (run, floor, run, floor, ...) so that drift
of a shared machine hits both; the ratio of each pair is reported, and the
median of the ratios is the figure to quote. Issue 18's goal is <= 2x.

``--quick`` lowers the run's resampling (weights.bootstrap 100, targets.scenarios
2000, scoring.stability.draws 100); without it the sample config's own settings
are used.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
QUICK = {"bootstrap": 100, "scenarios": 2000, "stability_draws": 100}
STEPS = 5

FLOOR = """
import sys, tempfile
from pathlib import Path
import nbformat, papermill
from nbconvert import HTMLExporter

count = int(sys.argv[1])
with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell("run_dir = ''\\nlang = 'zh'\\nseed = 0\\npseudonymise = True")
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    nbformat.write(nb, str(tmp / "empty.ipynb"))
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    for k in range(count):
        out = tmp / f"out_{k}.ipynb"
        papermill.execute_notebook(str(tmp / "empty.ipynb"), str(out), kernel_name="python3", progress_bar=False,
                                   parameters={"run_dir": str(tmp), "lang": "zh", "seed": 0, "pseudonymise": True})
        body, _ = exporter.from_filename(str(out))
        (tmp / f"out_{k}.html").write_text(body, encoding="utf-8")
"""


def config_for_run(config: Path, quick: bool, folder: Path) -> Path:
    """The config as it is, or a copy with the quick settings (data paths made absolute)."""
    if not quick:
        return config
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["data"] = {k: str((config.parent / v).resolve()) if isinstance(v, str) else v for k, v in raw["data"].items()}
    if str(raw.get("indicator_set", "")).endswith((".yaml", ".yml")):
        raw["indicator_set"] = str((config.parent / raw["indicator_set"]).resolve())
    raw["weights"] = {**(raw.get("weights") or {}), "bootstrap": QUICK["bootstrap"]}
    raw["targets"] = {**(raw.get("targets") or {}), "scenarios": QUICK["scenarios"]}
    scoring = raw.get("scoring") or {}
    raw["scoring"] = {**scoring, "stability": {**(scoring.get("stability") or {}), "draws": QUICK["stability_draws"]}}
    path = folder / "calibrate.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "data" / "sample" / "calibrate.yaml"))
    parser.add_argument("--quick", action="store_true", help="lower the run's resampling (see the docstring)")
    parser.add_argument("--repeats", type=int, default=3, help="pairs of (run, floor) timed in turns")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    calibrate = str(Path(sys.executable).with_name("calibrate"))
    print(
        f"Run benchmark: {args.config}{' (quick settings)' if args.quick else ''}; "
        f"Python {platform.python_version()}; {args.repeats} pairs in turns"
    )
    runs, floors = [], []
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        tmp = Path(tmp)
        config = config_for_run(Path(args.config), args.quick, tmp)
        run_cmd = [calibrate, "run", "--config", str(config), "--output", str(tmp / "reports")]
        floor_cmd = [sys.executable, "-c", FLOOR, str(STEPS)]
        timed(floor_cmd)  # warm the file cache for both
        for _ in range(args.repeats):
            runs.append(timed(run_cmd))
            floors.append(timed(floor_cmd))
    ratios = [r / f for r, f in zip(runs, floors)]
    result = {
        "benchmark": "run",
        "config": args.config,
        "quick": args.quick,
        "notebooks": STEPS,
        "run_seconds": runs,
        "floor_seconds": floors,
        "ratios": ratios,
        "run_median": statistics.median(runs),
        "floor_median": statistics.median(floors),
        "ratio": statistics.median(ratios),
    }
    print(f"calibrate run (fresh process)            median {result['run_median']:6.1f} s   {runs}")
    print(f"floor: {STEPS} empty notebooks + HTML (fresh) median {result['floor_median']:6.1f} s   {floors}")
    print(
        f"run / floor, pair by pair: {', '.join(f'{r:.2f}' for r in ratios)}; median {result['ratio']:.2f}x "
        f"(goal <= 2x)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

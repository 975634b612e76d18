"""Benchmark: the annual run on large synthetic companies: wall time, peak memory and scaling per step.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scale.py                              # 10,000 / 30,000 / 100,000 managers
    .venv/bin/python benchmarks/bench_scale.py --sizes 2000,4000,8000 --no-notebooks --json scale.json

For each size the script generates a company of that many managers x 12 quarters
x 20 indicators (``SampleSpec(extra_indicators=12)``: the 8 account-manager
indicators and 12 extra ones; cached under ``--cache`` so a second run skips
generation), then, in a fresh process per size, runs what ``calibrate run`` runs:

* ``load_dataset`` (read every source and validate it), then the panel;
* every registered step's ``compute(ctx)`` (``calibrate.pipeline.available_steps()``:
  steps appear here as their modules land), in notebook order;
* every step's notebook through papermill (unless ``--no-notebooks``).

Heavy resampling is cut down by config overrides, printed with the results:
``weights.bootstrap`` (``--bootstrap``), ``targets.scenarios`` (``--scenarios``)
and ``scoring.stability.draws`` (``--stability-draws``). Everything else is the
config the generator writes.

Per stage it reports wall time and peak memory: the high-water mark of the
resident set of the process and its children (the notebook kernel), sampled
every 20 ms by a thread (psutil), and the increase over the stage's start. Across
sizes it fits the scaling exponent b of time ~ managers^b (least squares on logs)
and flags stages with b > 1.15 (worse than linear), and stages that finish at a
smaller size but not at a larger one. The generator's own time and memory are
measured the same way when a company is generated.

The machine is shared, so memory is guarded: a stage whose process tree passes
``--max-memory-gb`` (default 12) is stopped and reported as such; the run of that
size then resumes after it (the run folder is kept, so later steps read the
artifacts of the earlier ones) and the stopped step's notebook is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FLAG_EXPONENT = 1.15
DEFAULT_SIZES = "10000,30000,100000"


# --------------------------------------------------------------------------- measuring


class PeakMemory:
    """Samples the resident set of this process and its children; ``stage()`` measures one block.

    ``on_limit`` is called (from the sampling thread) once the resident set passes ``limit`` bytes.
    """

    def __init__(self, interval: float = 0.02, limit: float | None = None, on_limit=None):
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.limit, self.on_limit = limit, on_limit
        self.peak = 0
        # stage() resets ``peak``; a sample taken before a reset is dropped (``_stage`` changed while it was
        # taken): without this a sample of the block before (the panel's build) could land after the reset
        self._lock = threading.Lock()
        self._stage = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def rss(self) -> int:
        import psutil

        total = self.process.memory_info().rss
        for child in self.process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            stage = self._stage
            rss = self.rss()
            with self._lock:
                if stage == self._stage:
                    self.peak = max(self.peak, rss)
            if self.limit is not None and self.peak > self.limit and self.on_limit is not None:
                self.on_limit(self.peak)
            time.sleep(self.interval)

    def stage(self, fn):
        """Run ``fn()``; returns (its result, seconds, peak bytes during it, peak minus bytes at its start)."""
        start_rss = self.rss()
        with self._lock:
            self._stage += 1
            self.peak = start_rss
        t0 = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - t0
        peak = max(self.peak, self.rss())
        return result, seconds, peak, peak - start_rss

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _record(stages: dict, name: str, seconds: float, peak: int, increase: int) -> None:
    stages[name] = {
        "seconds": round(seconds, 3),
        "peak_mb": round(peak / 2**20, 1),
        "increase_mb": round(increase / 2**20, 1),
    }
    print(f"    {name:32s} {seconds:8.2f} s   peak {peak / 2**20:8.0f} MB  (+{increase / 2**20:.0f})", flush=True)


# --------------------------------------------------------------------------- child processes


def generate_child(
    folder: str, managers: int, quarters: int, extra: int, replications: int, seed: int, out: str
) -> None:
    """Write the company into ``folder`` (atomically) and its generation time and memory into ``out``."""
    from calibrate.sample import SampleSpec, write_sample

    target = Path(folder)
    partial = target.with_name(target.name + ".partial")
    spec = SampleSpec(n_managers=managers, n_quarters=quarters, extra_indicators=extra, truth_replications=replications)
    meter = PeakMemory()
    _, seconds, peak, increase = meter.stage(lambda: write_sample(partial, spec, seed=seed))
    meter.close()
    partial.rename(target)
    stages: dict = {}
    _record(stages, "generate", seconds, peak, increase)
    Path(out).write_text(json.dumps(stages))


STOPPED = 3  # exit status of a run child stopped by the memory guard


def run_child(
    folder: str, run_dir: str, overrides: dict, notebooks: bool, after: str, max_bytes: float, out: str
) -> None:
    """Load, validate, then per step compute it and (optionally) execute its notebook, as ``calibrate run``
    does; figures go into ``out`` after every stage. With ``after`` (a step), load and panel are not
    recorded and the steps up to and including ``after`` are skipped (their artifacts are in ``run_dir``)."""
    import psutil
    import yaml

    from calibrate.config import load_config
    from calibrate.loading import load_dataset
    from calibrate.pipeline import available_steps
    from calibrate.pipeline import notebook_parameters as _parameters
    from calibrate.report import execute_notebook
    from calibrate.steps.base import RunContext
    from calibrate.steps.base import copy_indicator_set as _copy_indicator_set

    config_path = Path(folder) / "calibrate.yaml"
    written = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    merged = {k: {**(written.get(k) or {}), **v} if isinstance(v, dict) else v for k, v in overrides.items()}
    result: dict = {"stages": {}, "stopped": None}
    current = {"stage": "load_and_validate", "step": None, "start": time.perf_counter()}

    def save() -> None:
        Path(out + ".tmp").write_text(json.dumps(result))
        os.replace(out + ".tmp", out)

    def stop(peak: float) -> None:  # in the sampling thread: record, end the kernel, leave
        result["stages"][current["stage"]] = {
            "stopped": f"over {max_bytes / 2**30:g} GB",
            "seconds": round(time.perf_counter() - current["start"], 3),
            "peak_mb": round(peak / 2**20, 1),
        }
        result["stopped"] = current["step"] or current["stage"]
        save()
        print(f"    {current['stage']:32s} stopped: memory passed {max_bytes / 2**30:g} GB", flush=True)
        for child in psutil.Process().children(recursive=True):
            child.kill()
        os._exit(STOPPED)

    def measure(stage: str, fn, step: str | None = None, record: bool = True):
        current.update(stage=stage, step=step, start=time.perf_counter())
        value, seconds, peak, increase = meter.stage(fn)
        if record:
            _record(result["stages"], stage, seconds, peak, increase)
            save()
        return value

    meter = PeakMemory(limit=max_bytes, on_limit=stop)
    config = load_config(config_path, {**merged, "output": str(Path(run_dir).parent)})
    dataset = measure("load_and_validate", lambda: load_dataset(config), record=not after)
    ctx = RunContext(config, dataset, Path(run_dir))
    _copy_indicator_set(ctx)  # as calibrate.pipeline.run does; the notebooks read it
    measure("panel", ctx.panel, record=not after)
    steps = list(available_steps().items())
    names = [n for n, _ in steps]
    for name, step in steps[names.index(after) + 1 if after else 0 :]:
        try:
            measure(name, lambda: step.compute(ctx), step=name)
        except Exception as exc:  # noqa: BLE001 - a step that fails at this size is a finding, not the end
            message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:160]
            result["stages"][name] = {"stopped": message, "seconds": round(time.perf_counter() - current["start"], 3)}
            print(f"    {name:32s} failed: {message}", flush=True)
            save()
            continue  # its notebook has nothing to draw
        if notebooks:
            measure(
                f"{name} (notebook)",
                lambda: execute_notebook(
                    name, _parameters(config, ctx.folder), ctx.folder, timeout=int(config.report.get("timeout", 900))
                ),
                step=name,
            )
    meter.close()
    save()


def _child(args: list[str], allow_stop: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        done = subprocess.run([sys.executable, __file__, *args, "--_out", out])
        if done.returncode not in ((0, STOPPED) if allow_stop else (0,)) or not os.path.exists(out):
            raise RuntimeError(f"benchmark child {' '.join(args[:2])} failed with status {done.returncode}")
        return json.loads(Path(out).read_text())


def run_size(folder: Path, overrides: dict, notebooks: bool, max_gb: float) -> dict:
    """Every stage of one company; a step stopped by the memory guard is recorded and the run resumes after it."""
    stages: dict = {}
    after = ""
    with tempfile.TemporaryDirectory(prefix="bench_scale_run_") as tmp:
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()
        while True:
            result = _child(
                [
                    "--_run",
                    str(folder),
                    str(run_dir),
                    json.dumps(overrides),
                    "1" if notebooks else "0",
                    after,
                    str(max_gb),
                ],
                allow_stop=True,
            )
            stages.update(result["stages"])
            stopped = result["stopped"]
            if stopped is None or stopped in ("load_and_validate", "panel"):
                return stages
            after = stopped


# --------------------------------------------------------------------------- the benchmark


def company_folder(cache: Path, managers: int, quarters: int, extra: int, replications: int, seed: int) -> Path:
    return cache / f"company_m{managers}_q{quarters}_x{extra}_r{replications}_s{seed}"


def scaling_exponent(sizes: list[int], seconds: list[float]) -> float | None:
    """Slope b of log(seconds) = a + b log(managers), by least squares; None with fewer than 2 sizes."""
    pairs = [(n, s) for n, s in zip(sizes, seconds) if s is not None and s > 0]
    if len(pairs) < 2:
        return None
    x, y = np.log([p[0] for p in pairs]), np.log([p[1] for p in pairs])
    return float(np.polyfit(x, y, 1)[0])


def summarise(sizes: list[int], per_size: dict[int, dict]) -> dict:
    """Per stage the exponent of time and of memory, the stages flagged, and those that did not finish.

    Flagged: a time exponent above ``FLAG_EXPONENT``, or a stage that finished at a
    smaller size and not at a larger one. The memory exponent (of the stage's
    increase over its start) is shown for stages whose increase reaches 500 MB; it
    is only indicative, as the allocator keeps freed memory between stages.
    """
    names: list[str] = ["generate"] if any("generate" in per_size[n] for n in sizes) else []
    for n in sizes:
        names += [k for k in per_size[n] if k not in names]
    exponents, memory_exponents, flagged = {}, {}, []
    for name in names:
        stages = [per_size[n].get(name) for n in sizes]
        b = scaling_exponent(sizes, [_seconds(s) for s in stages])
        increases = [None if _seconds(s) is None else s["increase_mb"] for s in stages]
        big = max((x for x in increases if x is not None), default=0) >= 500
        bm = scaling_exponent(sizes, increases) if big else None
        exponents[name] = None if b is None else round(b, 3)
        memory_exponents[name] = None if bm is None else round(bm, 3)
        finished = [_seconds(s) is not None for s in stages]
        breaks = any(
            finished[i] and not finished[j]
            for i in range(len(sizes))
            for j in range(i + 1, len(sizes))
            if stages[j] is not None
        )
        if (b is not None and b > FLAG_EXPONENT) or breaks:
            flagged.append(name)
    stopped = {name: [n for n in sizes if "stopped" in per_size[n].get(name, {})] for name in names}
    return {
        "stages": names,
        "exponents": exponents,
        "memory_exponents": memory_exponents,
        "flagged": flagged,
        "stopped": {k: v for k, v in stopped.items() if v},
    }


def _seconds(stage: dict | None) -> float | None:
    return None if stage is None or "stopped" in stage else stage["seconds"]


def print_table(sizes: list[int], per_size: dict[int, dict], summary: dict) -> None:
    head = f"{'stage':34s}" + "".join(f"{f'{n:,} managers':>24s}" for n in sizes) + f"{'exponent':>10s}{'memory':>8s}"
    print("\n" + head)
    print(f"{'':34s}" + "".join(f"{'seconds   peak MB':>24s}" for _ in sizes) + f"{'(time)':>10s}{'(+MB)':>8s}")
    print("-" * len(head))
    for name in summary["stages"]:
        cells = ""
        for n in sizes:
            s = per_size[n].get(name)
            if s and "stopped" in s:
                cells += f"{'stopped: ' + s['stopped'].split(':')[0]:>24s}"
            else:
                cells += f"{s['seconds']:>13.2f} {s['peak_mb']:>10.0f}" if s else f"{'-':>24s}"
        b, bm = summary["exponents"][name], summary["memory_exponents"][name]
        flag = ""
        if name in summary["flagged"]:
            flag = "  << worse than linear" if (b or 0) > FLAG_EXPONENT else "  << fails at scale"
        print(
            f"{name:34s}{cells}{'' if b is None else f'{b:>10.2f}':>10s}{'' if bm is None else f'{bm:>8.2f}':>8s}{flag}"
        )
    total = [sum(v["seconds"] for k, v in per_size[n].items() if k != "generate" and "stopped" not in v) for n in sizes]
    print(f"{'total (without generate)':34s}" + "".join(f"{t:>13.2f} {'':>10s}" for t in total))
    if summary["flagged"]:
        print(
            f"\nflagged (time exponent > {FLAG_EXPONENT}, or finished at a smaller size only): "
            f"{', '.join(summary['flagged'])}"
        )
    else:
        print(f"\nno stage grows faster than managers^{FLAG_EXPONENT}")
    for name, where in summary["stopped"].items():
        why = "; ".join(f"{n:,}: {per_size[n][name]['stopped']}" for n in where)
        print(f"did not finish: {name} ({why}); its exponent uses the sizes where it finished")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"numbers of managers (default {DEFAULT_SIZES})")
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--extra", type=int, default=12, help="extra indicators (default 12: 20 in all)")
    parser.add_argument(
        "--replications",
        type=int,
        default=20,
        help="truth-file re-simulations of the final year (default 20; not used by the run)",
    )
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--bootstrap", type=int, default=100, help="weights.bootstrap (default 100)")
    parser.add_argument("--scenarios", type=int, default=2000, help="targets.scenarios (default 2000)")
    parser.add_argument("--stability-draws", type=int, default=100, help="scoring.stability.draws (default 100)")
    parser.add_argument("--no-notebooks", action="store_true", help="skip executing the notebooks")
    parser.add_argument(
        "--max-memory-gb",
        type=float,
        default=12.0,
        help="stop a stage whose processes pass this resident memory (default 12)",
    )
    parser.add_argument(
        "--cache",
        default=os.path.join(tempfile.gettempdir(), "calibrate_bench_scale"),
        help="folder that keeps generated companies between runs",
    )
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--_generate", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--_run", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--_out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._generate:
        folder, *numbers = args._generate
        generate_child(folder, *map(int, numbers), args._out)
        return 0
    if args._run:
        folder, run_dir, overrides, notebooks, after, max_gb = args._run
        run_child(folder, run_dir, json.loads(overrides), notebooks == "1", after, float(max_gb) * 2**30, args._out)
        return 0

    from calibrate.scoring.settings import DEFAULT_SCORING

    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    overrides = {
        "weights": {"bootstrap": args.bootstrap},
        "targets": {"scenarios": args.scenarios},
        "scoring": {"stability": {**DEFAULT_SCORING["stability"], "draws": args.stability_draws}},
    }
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    print(
        f"Scale benchmark: {', '.join(f'{n:,}' for n in sizes)} managers x {args.quarters} quarters x "
        f"{8 + args.extra} indicators; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    print(
        f"overrides: weights.bootstrap={args.bootstrap}, targets.scenarios={args.scenarios}, "
        f"scoring.stability.draws={args.stability_draws}; notebooks {'off' if args.no_notebooks else 'on'}; "
        f"memory guard {args.max_memory_gb:g} GB"
    )
    per_size: dict[int, dict] = {}
    for n in sizes:
        print(f"\n{n:,} managers", flush=True)
        folder = company_folder(cache, n, args.quarters, args.extra, args.replications, args.seed)
        stages: dict = {}
        if not (folder / "calibrate.yaml").exists():
            stages.update(
                _child(
                    [
                        "--_generate",
                        str(folder),
                        str(n),
                        str(args.quarters),
                        str(args.extra),
                        str(args.replications),
                        str(args.seed),
                    ]
                )
            )
        else:
            print(f"    (company cached in {folder})")
        stages.update(run_size(folder, overrides, not args.no_notebooks, args.max_memory_gb))
        per_size[n] = stages
    summary = summarise(sizes, per_size)
    print_table(sizes, per_size, summary)
    if args.json:
        payload = {
            "benchmark": "scale",
            "sizes": sizes,
            "quarters": args.quarters,
            "indicators": 8 + args.extra,
            "overrides": overrides,
            "notebooks": not args.no_notebooks,
            "max_memory_gb": args.max_memory_gb,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__},
            "per_size": {str(n): per_size[n] for n in sizes},
            **summary,
            "flag_exponent": FLAG_EXPONENT,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the test suite at a base revision against the suite at this revision, in the same session.

Run from the repository root (each suite takes minutes; a pair is the two of them)::

    .venv/bin/python benchmarks/bench_suite.py --base bd63940
    .venv/bin/python benchmarks/bench_suite.py --base bd63940 --repeats 2 --workers 2 --json suite.json

Both revisions are exported with ``git archive`` into a temporary folder (the
committed files only, as a fresh clone has them) and their ``tests/`` run there
with this checkout's virtual environment, the package imported from the
export's ``src/`` (``PYTHONPATH``; the script checks which ``calibrate`` a
process imports). The command is what ``make test`` runs after lint:
``python -m pytest -n WORKERS --dist loadfile`` (``--workers 1``: serial).
Each suite gets an empty ``CALIBRATE_CACHE`` and temporary folder, as in CI,
and the sample's pseudonym key (revisions before the key was created whole
could fail the suite when two test processes created it at once).

The two suites run in turns (base, head, base, head, ...) so that drift of a
shared machine hits both; reported per suite: wall time, CPU time of every
process it started (pytest, its workers, kernels, clusters: the children's
resource usage), tests passed, and the ratios head / base. Issue 18 goal 6 is
a head / base wall ratio <= 0.6 against the suite of the day it was filed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def export(revision: str, into: Path) -> Path:
    """The committed files of ``revision`` in ``into`` (``git archive``: no ignored or untracked file)."""
    into.mkdir(parents=True)
    archive = into.with_suffix(".tar")
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), revision], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    # the sample's pseudonym key, as a checkout that has run once has it: before it was created whole and
    # then linked, two test processes creating it at once could read it empty (the base's suite failed so)
    key = into / "data" / "sample" / ".calibrate-key"
    key.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    key.chmod(0o600)
    return into


def environment(copy: Path, scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "CALIBRATE_CACHE", "PYTHONPATH")}
    (scratch / "cache").mkdir(parents=True)
    (scratch / "tmp").mkdir()
    env.update(PYTHONPATH=str(copy / "src"), CALIBRATE_CACHE=str(scratch / "cache"), TMPDIR=str(scratch / "tmp"))
    return env


def imported_from(copy: Path, env: dict[str, str]) -> Path:
    code = "import calibrate, pathlib; print(pathlib.Path(calibrate.__file__).resolve())"
    out = subprocess.run([sys.executable, "-c", code], cwd=copy, env=env, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def run_suite(copy: Path, workers: int, scratch: Path, log: Path) -> dict:
    env = environment(copy, scratch)
    where = imported_from(copy, env)
    if not where.is_relative_to(copy / "src"):
        raise SystemExit(f"the suite in {copy} would import calibrate from {where}, not from its own src/")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if workers > 1:
        command += ["-n", str(workers), "--dist", "loadfile"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.run(command, cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = log.read_text(encoding="utf-8")
    passed = re.findall(r"(\d+) passed", text)
    failed = re.findall(r"(\d+) failed", text)
    return {
        "exit": code,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "passed": int(passed[-1]) if passed else 0,
        "failed": int(failed[-1]) if failed else 0,
        "log": str(log),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the base revision (a commit, tag or branch)")
    parser.add_argument("--head", default="HEAD", help="the revision measured against it (default HEAD)")
    parser.add_argument("--repeats", type=int, default=1, help="pairs of suites (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="test processes, as make test's PYTEST_WORKERS")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--logs", help="keep each suite's output in this folder (default: a new temporary one)")
    args = parser.parse_args()
    logs = Path(args.logs or tempfile.mkdtemp(prefix="calibrate_suite_logs_"))
    logs.mkdir(parents=True, exist_ok=True)

    results: dict[str, list[dict]] = {"base": [], "head": []}
    # a short path: the kernels' Unix socket paths live in the suite's temporary folder (at most 107 bytes)
    with tempfile.TemporaryDirectory(prefix="cbs-", dir="/tmp" if os.path.isdir("/tmp") else None) as tmp:
        tmp = Path(tmp)
        copies = {side: export(rev, tmp / side) for side, rev in (("base", args.base), ("head", args.head))}
        for k in range(args.repeats):
            for side in ("base", "head"):
                figures = run_suite(copies[side], args.workers, tmp / f"s{side[0]}{k}", logs / f"{side}-{k}.log")
                results[side].append(figures)
                print(
                    f"{side} ({getattr(args, side)}) pair {k + 1}: {figures['passed']} passed, "
                    f"{figures['failed']} failed, wall {figures['wall_s']:.1f} s, CPU {figures['cpu_s']:.1f} s",
                    flush=True,
                )
                if figures["exit"] != 0:
                    text = Path(figures["log"]).read_text(encoding="utf-8")
                    first = [line for line in text.splitlines() if line.startswith("E ")][:40]
                    print("\n".join(first) + "\n...\n" + text[-2000:], file=sys.stderr)
                    print(f"the suite failed; its output: {figures['log']}", file=sys.stderr)
                    return 1
    ratios = {
        what: statistics.median(h[what] / b[what] for b, h in zip(results["base"], results["head"], strict=True))
        for what in ("wall_s", "cpu_s")
    }
    print(
        f"head / base, median of {args.repeats} pair(s): wall {ratios['wall_s']:.2f}x, CPU {ratios['cpu_s']:.2f}x "
        f"({args.workers} test process(es)); outputs in {logs}"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"base": args.base, "head": args.head, "results": results, "ratios": ratios}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

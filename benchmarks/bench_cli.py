"""Benchmark: how fast the command line answers ``--help`` and ``--version``.

    .venv/bin/python benchmarks/bench_cli.py [--repeats 15] [--json cli.json]

Each figure is the median wall time of a fresh interpreter process (start-up
included), measured in turns with the baseline ``python -c "import pandas"`` in
the same run, so the ratio holds whatever else the machine is doing. The goal
(issue 18) is a ratio <= 0.3: the CLI imports nothing scientific until a command
needs it. The scientific modules a ``--help`` process loaded are listed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "calibrate --help": [
        sys.executable,
        "-c",
        "import sys; from calibrate.cli import main; sys.argv[0] = 'calibrate'\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    ],
    "calibrate --version": [
        sys.executable,
        "-c",
        "from calibrate.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass",
    ],
    "import pandas (baseline)": [sys.executable, "-c", "import pandas"],
}
SCIENTIFIC = ("numpy", "pandas", "scipy", "statsmodels", "sklearn", "matplotlib", "yaml", "pydantic")


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def loaded_by_help() -> list[str]:
    code = (
        "import sys\nfrom calibrate.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {SCIENTIFIC!r} if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stderr.strip().splitlines()[-1].split(",") if m] if out.stderr.strip() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    for cmd in COMMANDS.values():  # warm the file cache
        wall(cmd)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):  # in turns: drift hits every command alike
        for name, cmd in COMMANDS.items():
            times[name].append(wall(cmd))
    median = {name: statistics.median(t) for name, t in times.items()}
    base = median["import pandas (baseline)"]
    result = {
        "median_seconds": median,
        "ratio_help_to_import_pandas": median["calibrate --help"] / base,
        "ratio_version_to_import_pandas": median["calibrate --version"] / base,
        "scientific_modules_loaded_by_help": loaded_by_help(),
        "repeats": args.repeats,
    }
    for name, m in median.items():
        print(f"{name:28s} {m * 1000:8.1f} ms (median of {args.repeats})")
    print(
        f"--help / import pandas: {result['ratio_help_to_import_pandas']:.2f}x   "
        f"--version / import pandas: {result['ratio_version_to_import_pandas']:.2f}x   (goal <= 0.30x)"
    )
    print(f"scientific modules loaded by --help: {result['scientific_modules_loaded_by_help'] or 'none'}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()

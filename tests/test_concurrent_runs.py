"""Runs at the same time never collide (issue 11 item 9): each has its own kernel sockets in a private
temporary folder, nothing is left in the folder the command runs in, and every run completes with the same
page."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_three_runs_started_together_all_complete(small_company, tmp_path):
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = {**os.environ, "CALIBRATE_PSEUDONYM_KEY": "a-test-key-of-enough-length-0123456789"}
    code = "import sys; from calibrate.cli import main; sys.exit(main(sys.argv[1:]))"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                "run",
                "--config",
                str(small_company / "calibrate.yaml"),
                "--only",
                "01_data_quality",
                "--output",
                str(tmp_path / "reports"),
                "--run-name",
                f"run{k}",
            ],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(3)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert "Invalid Signature" not in err and "Traceback" not in err
    pages = [(tmp_path / "reports" / f"run{k}" / "01_data_quality.html").read_text(encoding="utf-8") for k in range(3)]
    # the same data and config give the same page: nothing differs but the time stamp
    stamp = re.compile(r"(Generated|生成时间) \d{4}-\d\d-\d\d \d\d:\d\d UTC")
    assert all(len(stamp.findall(page)) == 1 for page in pages)
    assert len({stamp.sub("", page) for page in pages}) == 1
    assert list(workdir.iterdir()) == []  # no kernel-ipc-* or other debris here
    assert not [p for p in (tmp_path / "reports").iterdir() if ".partial-" in p.name]

"""Trust (issue 16): random corruptions of the sample tables and config never end in a traceback.

``calibrate validate`` and ``calibrate run --only 01_data_quality`` either succeed (exit 0) or
exit 1 with a message that starts ``calibrate:`` (or the validation report's problem lines).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from calibrate.cli.app import main

# each example copies and reads the company (~1 s): shrinking would take minutes, the failing example is printed as is
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
CSV_TABLES = ["managers.csv", "performance.csv", "reviews_360.csv", "ahp_judgments.csv", "last_year_weights.csv"]
TABLES = CSV_TABLES + ["survey.parquet"]
VALUES = [
    "",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "nan",
    "=1+1",
    "<script>x</script>",
    "-1",
    "0",
    "abc",
    "\x00",
    "２０２４Q1",
    "2024Q5",
    "1/0",
    "9/0",
    "   ",
    "M9999",
    "1e-320",
    "TRUE",
    "9" * 400,
    "2024-02-30",
    "1,5",
]
CONFIG_KEYS = [
    "run_name",
    "year",
    "lang",
    "seed",
    "indicator_set",
    "data",
    "output",
    "privacy",
    "weights",
    "targets",
    "scoring",
    "report",
    "surprise",
]
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(-3, 3), max_size=2),
)

corruption = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(TABLES), st.integers(0, 30), st.integers(0, 7), st.sampled_from(VALUES)),
    st.tuples(st.just("drop_column"), st.sampled_from(TABLES), st.integers(0, 7)),
    st.tuples(st.just("duplicate_column"), st.sampled_from(CSV_TABLES), st.integers(0, 7)),
    st.tuples(st.just("header_only"), st.sampled_from(TABLES)),
    st.tuples(st.just("duplicate_row"), st.sampled_from(TABLES), st.integers(0, 30)),
    st.tuples(st.just("truncate"), st.sampled_from(TABLES), st.floats(0, 1)),
    st.tuples(st.just("garbage"), st.sampled_from(TABLES), st.binary(max_size=64)),
    st.tuples(st.just("config"), st.sampled_from(CONFIG_KEYS), ANY_VALUE),
    st.tuples(
        st.just("section"),
        st.sampled_from(["weights", "targets", "scoring", "report", "privacy"]),
        st.sampled_from(
            [
                "bootstrap",
                "methods",
                "shares",
                "timeout",
                "notebooks",
                "scenarios",
                "pseudonymise",
                "min_group_size",
                "growth",
                "key_file",
            ]
        ),
        ANY_VALUE,
    ),
)


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype("string")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        frame.astype("string").to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def _corrupt(folder: Path, ops) -> None:
    for op in ops:
        kind = op[0]
        if kind in ("config", "section"):
            raw = yaml.safe_load((folder / "calibrate.yaml").read_text(encoding="utf-8"))
            if kind == "config":
                raw[op[1]] = op[2]
            else:
                section = raw.get(op[1]) if isinstance(raw.get(op[1]), dict) else {}
                raw[op[1]] = {**section, op[2]: op[3]}
            (folder / "calibrate.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
            continue
        path = folder / op[1]
        if kind == "truncate":
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * op[2])])
            continue
        if kind == "garbage":
            path.write_bytes(op[2])
            continue
        try:
            frame = _read(path)
        except Exception:  # an earlier operation already broke the file
            continue
        if kind == "cell" and len(frame) and len(frame.columns):
            frame.iloc[op[2] % len(frame), op[3] % len(frame.columns)] = op[4]
        elif kind == "drop_column" and len(frame.columns):
            frame = frame.drop(columns=frame.columns[op[2] % len(frame.columns)])
        elif kind == "duplicate_column" and len(frame.columns):
            column = frame.columns[op[2] % len(frame.columns)]
            text = path.read_text(encoding="utf-8").splitlines()
            k = list(frame.columns).index(column)
            path.write_text(
                "\n".join(f"{line},{line.split(',')[k] if len(line.split(',')) > k else ''}" for line in text) + "\n",
                encoding="utf-8",
            )
            continue
        elif kind == "header_only":
            frame = frame.iloc[:0]
        elif kind == "duplicate_row" and len(frame):
            frame = pd.concat([frame, frame.iloc[[op[2] % len(frame)]]], ignore_index=True)
        _write(frame, path)


def _call(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)  # an uncaught exception fails the test
    return code, out.getvalue(), err.getvalue()


def _check(code: int, out: str, err: str) -> None:
    assert code in (0, 1), (code, err[-500:])
    assert "Traceback" not in out + err
    if code == 1:
        first = err.strip().splitlines()[0] if err.strip() else out.strip().splitlines()[0]
        # validate's count line in the config's language (the sample config's is zh)
        assert first.startswith("calibrate:") or "problem(s)" in first or "个问题" in first, first


@pytest.fixture(scope="module")
def master(small_company_master) -> Path:
    return small_company_master


@settings(
    max_examples=150,
    deadline=None,
    phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(corruption, min_size=1, max_size=3))
def test_validate_never_ends_in_a_traceback(master, ops):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "company"
        shutil.copytree(master, folder)
        _corrupt(folder, ops)
        _check(*_call(["validate", "--config", str(folder / "calibrate.yaml")]))


@pytest.mark.notebook
@settings(
    max_examples=8,
    deadline=None,
    phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(corruption, min_size=1, max_size=2))
def test_run_data_quality_never_ends_in_a_traceback(master, ops):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "company"
        shutil.copytree(master, folder)
        _corrupt(folder, ops)
        _check(
            *_call(
                [
                    "run",
                    "--config",
                    str(folder / "calibrate.yaml"),
                    "--output",
                    str(Path(tmp) / "reports"),
                    "--only",
                    "01_data_quality",
                ]
            )
        )

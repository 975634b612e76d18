"""Trust (issue 11): keyed pseudonyms, no secrets or formulas in outputs, read-only SQL, safe YAML,
runs that never collide or leave debris, and bad input that always ends in one clear error."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest
import yaml

from calibrate import artifacts
from calibrate.cli.app import main
from calibrate.config import load_config
from calibrate.errors import ConfigError, DataSourceError, NotebookFailed
from calibrate.privacy import KEY_ENV, pseudonym
from calibrate.report.folders import atomic_run_folder

KEY = b"a-test-key-that-is-long-enough"


def _notebook(folder: Path, name: str, cells: list) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = cells
    nbformat.write(nb, str(folder / f"{name}.ipynb"))
    return folder


def _cfg(folder: Path, **changes) -> Path:
    raw = yaml.safe_load((folder / "calibrate.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    path = folder / "calibrate.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _cli(capsys, *argv) -> tuple[int, str]:
    """Exit code and everything printed (validate prints its report on stdout, errors go to stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# ---------- 1. keyed pseudonyms -------------------------------------------------------------


def test_pseudonyms_are_keyed_not_a_plain_hash_of_the_id():
    old = "P-" + hashlib.sha256(b"calibrate:M0001").hexdigest()[:8]  # the former, reversible scheme
    assert pseudonym("M0001", KEY) != old
    assert pseudonym("M0001", KEY) == pseudonym("M0001", KEY)  # stable with the same key
    assert pseudonym("M0001", KEY) != pseudonym("M0001", KEY + b"x")  # another key, another pseudonym
    assert len(pseudonym("M0001", KEY)) == 2 + 16


def test_pseudonyms_do_not_collide_among_a_million_managers():
    ids = {pseudonym(f"M{i:07d}", KEY) for i in range(1_000_000)}
    assert len(ids) == 1_000_000


def test_key_file_is_created_once_private_and_announced(small_company, capsys, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    (small_company / ".calibrate-key").unlink(missing_ok=True)  # copied from a company already run
    config = load_config(small_company / "calibrate.yaml")
    key = config.pseudonym_key()
    path = small_company / ".calibrate-key"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    err = capsys.readouterr().err
    assert str(path) in err and "假名密钥" in err  # said in the config's language (zh), from the catalogue
    assert config.pseudonym_key() == key  # the same key next time, no new message
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(KEY_ENV, "from-the-environment-0123456789")
    assert config.pseudonym_key() == b"from-the-environment-0123456789"


def test_a_run_starting_while_another_creates_the_key_reads_that_key_whole(tmp_path, monkeypatch):
    """Two runs of a new company starting at the same moment: the second reads the key file while the first is
    creating it. It must never see the file without its key (an empty file opened first and written after was
    read half made: "must hold at least 16 characters"), and both must end with the one kept key."""
    import secrets

    from calibrate import privacy

    monkeypatch.delenv(KEY_ENV, raising=False)
    key_file = tmp_path / "company" / ".calibrate-key"
    drawn = secrets.token_hex
    seen = {}

    def draw_while_another_run_starts(n):
        if "other" not in seen:  # the other run starts while this one draws its key
            seen["other"] = None
            seen["other"] = privacy.load_key(key_file, announce=str, echo=lambda _m: None)
        return drawn(n)

    monkeypatch.setattr(privacy.secrets, "token_hex", draw_while_another_run_starts)
    first = privacy.load_key(key_file, announce=str, echo=lambda _m: None)
    assert len(first) == 64 and seen["other"] == first
    assert key_file.read_text(encoding="utf-8").strip().encode() == first
    assert [p.name for p in key_file.parent.iterdir()] == [".calibrate-key"]  # no draft left beside it


def test_key_file_inside_the_output_folder_is_refused(small_company, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = _cfg(small_company, privacy={"key_file": "reports/secret.key"}, output=str(small_company / "reports"))
    with pytest.raises(ConfigError, match="outside"):
        load_config(path).pseudonym_key()


def test_the_old_salt_is_refused_with_a_clear_message(small_company, capsys):
    path = _cfg(small_company, privacy={"pseudonymise": True, "salt": "acme"})
    code, err = _cli(capsys, "validate", "--config", str(path))
    assert code == 1 and "'salt' is no longer used" in err and "Traceback" not in err


# ---------- 5. no formulas from data ---------------------------------------------------------


def test_csv_cells_that_could_run_as_formulas_are_neutralised(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "ok", None],
            "value": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0],
        }
    )
    path = artifacts.write_csv(frame, tmp_path / "out.csv")
    back = pd.read_csv(path)
    assert back["name"].tolist()[:5] == ['\'=HYPERLINK("http://x")', "'+1", "'-cmd", "'@SUM(A1)", "ok"]
    assert back["value"].tolist() == [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0]  # numbers stay numbers


def test_xlsx_text_cells_are_neutralised(tmp_path):
    import openpyxl

    from calibrate.steps.weights_workbook import write_weights_workbook

    frame = pd.DataFrame({"indicator": ["=1+1", "revenue"], "weight": [-0.25, 0.75]})
    path = write_weights_workbook({"proposal": frame}, tmp_path / "w.xlsx", lang="en")
    ws = openpyxl.load_workbook(path).worksheets[0]
    cells = [ws.cell(row=r, column=1).value for r in (2, 3)]
    assert cells == ["'=1+1", "revenue"] and ws.cell(row=2, column=2).value == -0.25


# ---------- 6. no credentials or machine paths in the manifest -------------------------------


def test_manifest_redacts_passwords_and_holds_relative_paths(small_company, tmp_path):
    from calibrate import pipeline

    path = _cfg(
        small_company,
        data={
            "managers": "managers.csv",
            "performance": {
                "url": "postgresql://hr:s3cr3t-pw@db.example/people?sslmode=require&password=also",
                "table": "performance",
            },
            "survey": {"path": "survey.parquet", "api_token": "tok-123"},
        },
    )
    config = load_config(path)
    info = SimpleNamespace(
        label="managers.csv", location=str(small_company / "managers.csv"), kind="csv", sha256="0" * 64
    )
    dataset = SimpleNamespace(
        sources={"managers": info},
        report=SimpleNamespace(rows={"managers": 3}),
        indicator_set=SimpleNamespace(name="account_manager"),
    )
    (tmp_path / "run").mkdir()
    manifest = pipeline._manifest(config, dataset, tmp_path / "run", {"total": 1.0}, "now")
    text = json.dumps(manifest)
    assert "s3cr3t-pw" not in text and "also" not in text and "tok-123" not in text
    assert "postgresql://hr:***@db.example/people" in text
    assert str(small_company) not in text and str(tmp_path) not in text
    assert manifest["data"]["managers"]["location"] == "managers.csv"


# ---------- 7. SQL stays read-only ------------------------------------------------------------


def test_duckdb_queries_cannot_write_or_read_other_files(tmp_path):
    import duckdb

    from calibrate.io import read_source

    db = tmp_path / "hr.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE performance AS SELECT 'M1' AS manager_id, 1.0 AS revenue")
    target = tmp_path / "stolen.csv"
    with pytest.raises(DataSourceError, match="one SELECT"):
        read_source({"path": str(db), "query": f"COPY (SELECT 42) TO '{target}'"})
    assert not target.exists()
    (tmp_path / "secret.csv").write_text("a\n1\n")
    with pytest.raises(DataSourceError):
        read_source({"path": str(db), "query": f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')"})
    with pytest.raises(DataSourceError, match="one SELECT"):
        read_source({"path": str(db), "query": "SELECT 1; DROP TABLE performance"})
    assert read_source({"path": str(db), "query": "SELECT * FROM performance"}).frame.shape == (1, 2)


# ---------- 8. YAML alias bombs ----------------------------------------------------------------

BOMB = (
    "\n".join(
        ["run_name: bomb", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
        + [f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]" for p, c in zip("abcdefg", "bcdefgh")]
    )
    + "\ndata: {managers: m.csv}\n"
)


def test_a_yaml_alias_bomb_is_refused(tmp_path, capsys):
    path = tmp_path / "calibrate.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB) < 700
    code, err = _cli(capsys, "validate", "--config", str(path))
    assert code == 1 and "expands into more than" in err and len(err.strip().splitlines()) == 1


# ---------- 10, 11. killed runs, names that cannot clash ---------------------------------------


def test_stale_partial_folders_of_dead_runs_are_removed_and_reported(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "reports"
    stale = out / f".sample.partial-{dead.pid}-123"
    (stale / "data").mkdir(parents=True)
    (stale / "data" / "panel.csv").write_text("manager_id\nM0001\n")
    alive = out / f".other.partial-{os.getpid()}-456"  # a run still in progress: kept
    alive.mkdir()
    said = []
    with atomic_run_folder(out / "sample", echo=said.append) as folder:
        (folder / "ok.txt").write_text("ok")
    assert not stale.exists() and alive.exists()
    assert any(stale.name in line and "interrupted" in line for line in said)


def test_a_run_named_like_a_failed_run_cannot_delete_it(tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(RuntimeError):
        with atomic_run_folder(out / "X") as folder:
            (folder / "failed-notebook.ipynb").write_text("{}")
            raise RuntimeError("boom")
    kept = [p for p in out.rglob("failed-notebook.ipynb")]
    assert len(kept) == 1
    with atomic_run_folder(out / "X.failed") as folder:
        (folder / "ok.txt").write_text("ok")
    assert kept[0].exists()  # the failed run of X survives
    assert kept[0].parent == out / ".failed" / "X"


# ---------- 13. clean reports -------------------------------------------------------------------


def test_a_notebook_that_writes_to_stderr_fails_the_run(tmp_path):
    from calibrate.report.clean import check_clean
    from calibrate.report.execute import execute_notebook

    nb_dir = _notebook(
        tmp_path / "nbs" / "notebooks",
        "noisy",
        [nbformat.v4.new_code_cell("import warnings\nwarnings.warn('IProgress not found')")],
    )
    done = execute_notebook("noisy", {}, tmp_path / "out", source_dir=nb_dir)
    with pytest.raises(NotebookFailed, match="IProgress not found"):
        check_clean("noisy", done)


# ---------- 14. bad input: one clear error ------------------------------------------------------


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"privacy": 5}, "'privacy' must be a mapping"),
        ({"data": {"managers": 5, "performance": "performance.csv"}}, "data.managers must be a file name"),
        ({"output": 5}, "'output' must be a folder name"),
        ({"report": {"timeout": "soon"}}, "timeout must be a whole number"),
        ({"run_name": "bad\x07name"}, "control characters"),
        ({"run_name": "x" * 101}, "at most 100"),
        ({"seed": True}, "seed must be a whole number"),
        ({"privacy": {"min_group_size": "few"}}, "privacy.min_group_size must be a whole number"),
    ],
)
def test_wrong_config_types_give_one_error(small_company, capsys, change, expected):
    path = _cfg(small_company, **change)
    code, err = _cli(capsys, "validate", "--config", str(path))
    assert code == 1 and expected in err and "Traceback" not in err, err


def _set_cell(folder: Path, file: str, row: int, column: str, value: str) -> None:
    frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    frame.to_csv(folder / file, index=False)


@pytest.mark.parametrize(
    "value, expected",
    [("inf", "is not a finite number"), ("1e308", "is larger than 1e+15"), ("-inf", "is not a finite number")],
)
def test_infinite_and_huge_numbers_are_rejected_with_row_and_column(small_company, capsys, value, expected):
    _set_cell(small_company, "performance.csv", 4, "revenue", value)
    code, err = _cli(capsys, "validate", "--config", str(small_company / "calibrate.yaml"), "--lang", "en")
    assert code == 1 and f"performance.csv row 6, column revenue: {value} {expected}" in err, err


def test_a_zero_revenue_target_is_rejected(small_company, capsys):
    _set_cell(small_company, "performance.csv", 0, "revenue_target", "0")
    code, err = _cli(capsys, "validate", "--config", str(small_company / "calibrate.yaml"), "--lang", "en")
    assert code == 1 and "performance.csv row 2, column revenue_target: 0 is not a positive amount" in err, err


def test_a_duplicated_column_name_is_rejected(small_company, capsys):
    text = (small_company / "managers.csv").read_text(encoding="utf-8").splitlines()
    text = [line + ("," + line.split(",")[2]) for line in text]  # the region column twice
    (small_company / "managers.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    code, err = _cli(capsys, "validate", "--config", str(small_company / "calibrate.yaml"))
    assert code == 1 and "managers.csv row 1, column region: the column name appears twice" in err, err


@pytest.mark.parametrize("file", ["performance.csv", "ahp_judgments.csv"])
def test_a_header_only_table_is_rejected(small_company, capsys, file):
    header = (small_company / file).read_text(encoding="utf-8").splitlines()[0]
    (small_company / file).write_text(header + "\n", encoding="utf-8")
    code, err = _cli(capsys, "validate", "--config", str(small_company / "calibrate.yaml"), "--lang", "en")
    assert code == 1 and f"{file}: the table has no rows" in err, err


def test_an_output_folder_that_cannot_be_written_gives_one_line(small_company, capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, err = _cli(
        capsys,
        "run",
        "--config",
        str(small_company / "calibrate.yaml"),
        "--output",
        str(blocker / "reports"),
        "--only",
        "01_data_quality",
    )
    assert code == 1 and f"cannot write to the output folder {blocker / 'reports'}" in err, err
    assert len(err.strip().splitlines()) == 1


# ---------- 15. validate checks everything run checks ------------------------------------------


def test_validate_reports_an_unconfigured_source_the_set_needs(small_company, capsys):
    raw = yaml.safe_load((small_company / "calibrate.yaml").read_text(encoding="utf-8"))
    del raw["data"]["survey"]
    _cfg(small_company, data=raw["data"])
    code, err = _cli(capsys, "validate", "--config", str(small_company / "calibrate.yaml"), "--lang", "en")
    assert code == 1 and "reads the 'survey' table, but no 'survey' data source is configured" in err, err


def test_validate_reports_ahp_judgments_outside_the_set(small_company, capsys):
    _set_cell(small_company, "ahp_judgments.csv", 0, "row", "golf_handicap")
    code, err = _cli(capsys, "validate", "--config", str(small_company / "calibrate.yaml"), "--lang", "en")
    assert code == 1 and "ahp_judgments.csv row 2, column row: 'golf_handicap' is not an indicator" in err, err


def test_validate_reports_ahp_shares_without_judgments(small_company, capsys):
    raw = yaml.safe_load((small_company / "calibrate.yaml").read_text(encoding="utf-8"))
    del raw["data"]["ahp_judgments"]
    _cfg(small_company, data=raw["data"])
    code, err = _cli(capsys, "validate", "--config", str(small_company / "calibrate.yaml"), "--lang", "en")
    assert code == 1 and "weights.shares.ahp is above 0 but there are no AHP judgments" in err, err

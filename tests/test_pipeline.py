"""The run end to end: papermill executes the notebook, HTML without code, manifest, atomic folders."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pandas as pd
import pytest
from tests.conftest import ROOT, SMALL_SETTINGS

import calibrate.pipeline as pipeline
import calibrate.report.execute as report
from calibrate.config import load_config
from calibrate.errors import NotebookFailed, ValidationError

pytestmark = pytest.mark.notebook


def _config(folder, tmp_path, **over):
    return load_config(folder / "calibrate.yaml", {"output": str(tmp_path / "reports"), **over})


@pytest.fixture(scope="module")
def first_run(full_runs):
    """The English full run of the session (tests/conftest.py)."""
    return full_runs["a"]


def test_run_folder_has_html_manifest_and_artifacts(first_run):
    folder = first_run.folder
    assert (folder / "01_data_quality.html").exists()
    assert (folder / "notebooks" / "01_data_quality.ipynb").exists()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7
    assert set(manifest["data"]) == {
        "managers",
        "performance",
        "survey",
        "reviews",
        "innovation",
        "ahp_judgments",
        "last_year_weights",
    }
    assert len(manifest["data"]["performance"]["sha256"]) == 64
    assert manifest["packages"]["pandas"] and manifest["packages"]["papermill"]
    assert "revision" in manifest["git"]
    assert manifest["timings_seconds"]["01_data_quality"]["notebook"] > 0
    assert "private/data/panel.parquet" in manifest["artifacts"]


def test_html_hides_code_and_loads_nothing_from_the_network(first_run):
    html = (first_run.folder / "01_data_quality.html").read_text(encoding="utf-8")
    assert "Data quality report" in html
    assert "plotting.use_theme" not in html  # code cells are hidden
    assert "data:image/png;base64" in html  # charts are embedded
    assert 'src="http' not in html and "cdn.jsdelivr" not in html


def test_executed_notebook_got_the_parameters(first_run):
    nb = nbformat.read(str(first_run.folder / "notebooks" / "01_data_quality.ipynb"), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'lang = "en"' in injected[0].source


def test_invalid_data_writes_nothing(small_company, tmp_path):
    perf = pd.read_csv(small_company / "performance.csv", dtype=str)
    perf.loc[0, "revenue"] = "lots"
    perf.to_csv(small_company / "performance.csv", index=False)
    with pytest.raises(ValidationError):
        pipeline.run(_config(small_company, tmp_path), notebooks=["01_data_quality"], echo=None)
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_failing_notebook_keeps_last_good_report(full_runs, small_company, tmp_path, monkeypatch):
    cfg = _config(small_company, tmp_path)
    good = cfg.run_folder()
    shutil.copytree(full_runs["a"].folder, good)  # the last good run
    before = (good / "manifest.json").read_bytes()
    nb_dir = tmp_path / "nbs"
    shutil.copytree(ROOT / "notebooks", nb_dir)
    broken = nbformat.read(str(nb_dir / "01_data_quality.ipynb"), as_version=4)
    broken.cells.append(nbformat.v4.new_code_cell("raise ValueError('the board changed the plan')"))
    nbformat.write(broken, str(nb_dir / "01_data_quality.ipynb"))
    monkeypatch.setattr(report, "notebooks_folder", lambda: nb_dir)
    with pytest.raises(NotebookFailed) as info:
        pipeline.run(cfg, notebooks=["01_data_quality"], echo=None)
    message = str(info.value)
    assert "notebook 01_data_quality failed in cell" in message
    assert "ValueError: the board changed the plan" in message
    assert (good / "manifest.json").read_bytes() == before  # the last good run is untouched
    failed = tmp_path / "reports" / ".failed" / "sample" / "notebooks" / "01_data_quality.ipynb"
    assert failed.exists() and str(failed.parent.parent) in message  # kept for inspection
    assert not [
        p for p in (tmp_path / "reports").iterdir() if p.name.startswith(".") and p.name != ".failed"
    ]  # no half-written folders


def test_full_run_has_every_report(full_runs):
    folder = full_runs["a"].folder
    for name in ("01_data_quality", "02_weights", "03_targets", "05_scoring", "executive_summary"):
        assert (folder / f"{name}.html").exists(), name
    assert (folder / "weights" / "weights.xlsx").exists()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["steps_run"] == [
        "01_data_quality",
        "02_weights",
        "03_targets",
        "05_scoring",
        "90_executive_summary",
    ]
    page = (folder / "executive_summary.html").read_text(encoding="utf-8")
    assert "Proposed indicator weights" in page and "Target plans, share hitting target and bonus cost" in page


def test_chinese_run_has_chinese_pages_and_the_embedded_font(full_runs):
    page = (full_runs["zh"].folder / "executive_summary.html").read_text(encoding="utf-8")
    assert "建议指标权重" in page and "风险提示" in page
    assert "font/ttf;base64" in page  # Chinese text renders without system fonts


def test_reports_show_no_names_or_real_ids(full_runs, small_company_master):
    managers = pd.read_csv(small_company_master / "managers.csv")
    for html in full_runs["a"].folder.glob("*.html"):
        text = html.read_text(encoding="utf-8")
        leaked = [m for m in managers["manager_id"] if re.search(rf"\b{m}\b", text)]
        assert not leaked, (html.name, leaked[:3])
        assert not [n for n in managers["name"] if n in text], html.name


STAMP = re.compile(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC")


def test_same_config_gives_byte_identical_artifacts(full_runs):
    """The computation is deterministic: "b", the same configuration computed again (without its notebooks,
    which only read the artifacts), has every artifact of run "a" byte for byte."""
    a, b = full_runs["a"].folder, full_runs["b"].folder
    computed = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    assert "weights/weights.xlsx" in computed and len(computed) > 30
    assert computed == set(full_runs["a"].manifest["artifacts"]) | {"indicator_set.yaml"}
    for rel in sorted(computed):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_rerunning_one_step_keeps_the_others_and_makes_the_same_page(full_runs, tmp_path, small_company_master):
    """Re-running the executive summary on a copy of run "a" keeps every other step's results, and the page
    made again is the same page: nothing differs but the time stamp, stated once (the pages' determinism)."""
    import shutil as sh

    src = full_runs["a"].folder
    copy = tmp_path / "reports" / src.name
    sh.copytree(src, copy)
    assert full_runs["a"].manifest["config_file"] == "calibrate.yaml"  # no absolute path of this machine
    cfg = load_config(
        small_company_master / "calibrate.yaml", {"output": str(tmp_path / "reports"), "lang": "en", **SMALL_SETTINGS}
    )
    result = pipeline.run(cfg, notebooks=["90_executive_summary"], echo=None)
    assert (result.folder / "weights" / "proposal.csv").read_bytes() == (src / "weights" / "proposal.csv").read_bytes()
    assert result.manifest["steps_run"] == ["90_executive_summary"]
    again = (result.folder / "executive_summary.html").read_text(encoding="utf-8")
    before = (src / "executive_summary.html").read_text(encoding="utf-8")
    assert "Proposed indicator weights" in again
    assert len(STAMP.findall(again)) == 1 and len(STAMP.findall(before)) == 1
    assert STAMP.sub("", again) == STAMP.sub("", before)
    for html in src.glob("*.html"):
        if html.name != "executive_summary.html":  # the other pages are kept as they were
            assert (result.folder / html.name).read_bytes() == html.read_bytes(), html.name


def test_full_run_writes_exactly_the_declared_artifacts(full_runs):
    from calibrate.steps import artifacts as declared

    folder = full_runs["a"].folder
    written = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix not in (".html", ".ipynb") and p.name not in ("manifest.json", "indicator_set.yaml")
    }
    where = {a.name: declared.path(folder, a.name).relative_to(folder).as_posix() for a in declared.ARTIFACTS}
    required = {where[a.name] for a in declared.ARTIFACTS if not a.optional}
    every = set(where.values())
    assert required <= written, sorted(required - written)
    assert written <= every, sorted(written - every)
    private = {where[a.name] for a in declared.ARTIFACTS if a.private}
    assert private and all(p.startswith("private/") for p in private)
    assert set(full_runs["a"].manifest["artifacts"]) >= required

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
def first_run(small_company_master, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    cfg = load_config(small_company_master / "calibrate.yaml", {"output": str(out / "reports"), "lang": "en"})
    return pipeline.run(cfg, notebooks=["01_data_quality"], echo=None)


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


def test_failing_notebook_keeps_last_good_report(small_company, tmp_path, monkeypatch):
    cfg = _config(small_company, tmp_path)
    good = pipeline.run(cfg, notebooks=["01_data_quality"], echo=None).folder
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


def test_same_config_gives_byte_identical_artifacts(full_runs):
    a, b = full_runs["a"], full_runs["b"]
    assert a.manifest["artifacts"] == b.manifest["artifacts"]
    files = [p for p in a.folder.rglob("*") if p.is_file() and p.suffix not in (".ipynb", ".html", ".json")]
    assert any(p.name == "weights.xlsx" for p in files) and len(files) > 30
    for path in files:
        assert path.read_bytes() == (b.folder / path.relative_to(a.folder)).read_bytes(), path
    for path in a.folder.glob("**/summary.json"):
        assert path.read_bytes() == (b.folder / path.relative_to(a.folder)).read_bytes(), path
    # the HTML differs in nothing but the time stamp, stated once
    stamp = re.compile(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC")
    for html in a.folder.glob("*.html"):
        text_a = html.read_text(encoding="utf-8")
        text_b = (b.folder / html.name).read_text(encoding="utf-8")
        assert len(stamp.findall(text_a)) == 1, html.name
        assert stamp.sub("", text_a) == stamp.sub("", text_b), html.name


def test_rerunning_one_step_keeps_the_others(full_runs, tmp_path, small_company_master):
    import shutil as sh

    src = full_runs["b"].folder
    copy = tmp_path / "reports" / src.name
    sh.copytree(src, copy)
    assert full_runs["b"].manifest["config_file"] == "calibrate.yaml"  # no absolute path of this machine
    cfg = load_config(
        small_company_master / "calibrate.yaml", {"output": str(tmp_path / "reports"), "lang": "en", **SMALL_SETTINGS}
    )
    result = pipeline.run(cfg, notebooks=["90_executive_summary"], echo=None)
    assert (result.folder / "weights" / "proposal.csv").read_bytes() == (src / "weights" / "proposal.csv").read_bytes()
    assert result.manifest["steps_run"] == ["90_executive_summary"]
    assert "Proposed indicator weights" in (result.folder / "executive_summary.html").read_text(encoding="utf-8")


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

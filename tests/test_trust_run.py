"""Trust (issue 11), end to end: one whole pseudonymised run of a company whose data and config carry
script payloads, a one-person region, a leading '=' and a manager named in a validation warning.

Reports must show no live tag or event handler, no real ID or name, no group under the minimum size;
CSV artifacts no formula; the key appears in no output; every executed notebook is clean.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
import yaml
from tests.test_pipeline import SMALL_SETTINGS

import calibrate.pipeline as pipeline
from calibrate.config import load_config
from calibrate.report.clean import unclean_outputs

pytestmark = pytest.mark.notebook

KEY = "hostile-run-key-0123456789abcdef"
NAME = '<script>alert("xss-name")</script>'
REGION = '<img src=x onerror=alert("xss-region")>'
EXPERT = '<svg onload=alert("xss-expert")>'
FORMULA_EXPERT = '=HYPERLINK("http://example.invalid/xss","open")'
LABEL = '<script>alert("xss-label")</script>'
DIMENSION = '<b onmouseover=alert("xss-dimension")>Results</b>'
ID_SUFFIX = '<i onclick=alert("xss-id")>'


@pytest.fixture(scope="module")
def hostile(small_company_master, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile") / "company"
    shutil.copytree(small_company_master, folder)
    managers = pd.read_csv(folder / "managers.csv", dtype=str, keep_default_na=False)
    real_ids = managers["manager_id"].tolist()
    names = [n for n in managers["name"] if n]
    # one manager gets a payload in the ID (in every table), one a region of its own, all a payload name
    odd = managers.loc[4, "manager_id"]
    renamed = {odd: odd + ID_SUFFIX}
    managers["name"] = NAME
    active = managers[managers["leave_date"] == ""]
    managers.loc[active.index[0], "region"] = REGION
    silent = active["manager_id"].iloc[1]  # no performance rows: named in a warning
    managers["manager_id"] = managers["manager_id"].replace(renamed)
    managers.to_csv(folder / "managers.csv", index=False)
    for file in ("performance.csv", "reviews_360.csv", "innovation_committee.csv"):
        frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        if file == "performance.csv":
            frame = frame[frame["manager_id"] != silent]
        frame["manager_id"] = frame["manager_id"].replace(renamed)
        frame.to_csv(folder / file, index=False)
    survey = pd.read_parquet(folder / "survey.parquet")
    survey["manager_id"] = survey["manager_id"].replace(renamed)
    survey.to_parquet(folder / "survey.parquet", index=False)
    ahp = pd.read_csv(folder / "ahp_judgments.csv", dtype=str)
    ahp["expert"] = ahp["expert"].replace({"E1": EXPERT, "E2": FORMULA_EXPERT})
    ahp.to_csv(folder / "ahp_judgments.csv", index=False)
    from importlib import resources

    iset = yaml.safe_load((resources.files("calibrate") / "templates" / "account_manager.yaml").read_text("utf-8"))
    iset["indicators"][0]["label"]["en"] = LABEL
    iset["dimensions"]["results"]["label"]["en"] = DIMENSION
    (folder / "hostile_set.yaml").write_text(yaml.safe_dump(iset, allow_unicode=True), encoding="utf-8")
    raw = yaml.safe_load((folder / "calibrate.yaml").read_text(encoding="utf-8"))
    raw.update(
        {
            "indicator_set": "hostile_set.yaml",
            "description": '<script>alert("xss-description")</script>',
            "lang": "en",
            "output": str(folder.parent / "reports"),
            **SMALL_SETTINGS,
            "privacy": {"pseudonymise": True, "key_file": str(folder.parent / "keys" / "pseudonyms.key")},
        }
    )
    (folder / "calibrate.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    (folder.parent / "keys").mkdir()
    (folder.parent / "keys" / "pseudonyms.key").write_text(KEY + "\n")
    result = pipeline.run(load_config(folder / "calibrate.yaml"), echo=None)
    return {"result": result, "ids": real_ids + [odd + ID_SUFFIX], "names": names, "silent": silent}


class _LiveMarkup(HTMLParser):
    """Collects every start tag and script body that carries one of the payload markers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        text = self.get_starttag_text() or ""
        if "xss-" in text or any(name.startswith("on") and "alert" in (value or "") for name, value in attrs):
            self.live.append(text)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "xss-" in data:
            self.live.append(data[:80])


def test_no_report_contains_a_live_tag_or_event_handler(hostile):
    pages = sorted(hostile["result"].folder.glob("*.html"))
    assert len(pages) == 5
    shown = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        parser = _LiveMarkup()
        parser.feed(text)
        assert not parser.live, (page.name, parser.live[:3])
        shown += text.count("xss-")  # the payloads are shown, as inert text
    assert shown > 0


def test_no_real_id_or_name_anywhere_in_reports_notebooks_or_manifest(hostile):
    folder = hostile["result"].folder
    files = [*folder.glob("*.html"), *folder.glob("notebooks/*.ipynb"), folder / "manifest.json"]
    assert len(files) == 11
    warning = (folder / "data" / "validation.csv").read_text(encoding="utf-8")
    assert "no performance rows" in warning and hostile["silent"] not in warning  # pseudonymised there too
    for path in files:
        text = path.read_text(encoding="utf-8")
        leaked = [m for m in hostile["ids"] if re.search(rf"(?<!\w){re.escape(m)}(?!\w)", text)]
        assert not leaked, (path.name, leaked[:3])
        assert not [n for n in hostile["names"] if n in text], path.name


def test_a_one_person_region_is_not_published(hostile):
    page = (hostile["result"].folder / "03_targets.html").read_text(encoding="utf-8")
    assert "xss-region" not in page  # its name appears nowhere, not even escaped
    assert "Other (regions under 5 managers)" in page
    assert "region(s) with fewer than 5 managers are shown merged" in page


def test_csv_artifacts_hold_no_formula(hostile):
    folder = hostile["result"].folder
    found = 0
    for path in folder.rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in frame.columns:
            assert not str(column).startswith(("=", "+", "@")), (path.name, column)
            cells = frame[column][frame[column].str.match(r"^[=+\-@]")]
            numbers = pd.to_numeric(cells, errors="coerce")
            assert numbers.notna().all(), (path.name, column, cells[numbers.isna()].tolist()[:3])
        found += frame.apply(lambda c: c.str.startswith("'=HYPERLINK")).to_numpy().sum()
    assert found > 0  # the expert's formula is there, neutralised


def test_the_key_is_in_no_output_and_every_notebook_is_clean(hostile):
    folder = hostile["result"].folder
    for path in folder.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    for notebook in folder.glob("notebooks/*.ipynb"):
        assert unclean_outputs(notebook) == [], notebook.name
    assert not (folder.parent / ".failed").exists()


def test_files_pairing_ids_with_pseudonyms_are_only_in_private(hostile):
    folder = hostile["result"].folder
    pairing = []
    for path in folder.rglob("*.csv"):
        columns = pd.read_csv(path, nrows=0).columns
        if "manager_id" in columns and "pseudonym" in columns:
            pairing.append(path.relative_to(folder))
    assert len(pairing) >= 8
    assert all(p.parts[0] == "private" for p in pairing), [str(p) for p in pairing if p.parts[0] != "private"]

"""Reports of a run (application layer): notebook execution, HTML without code, the CJK web font, atomic run folders.

The modules: :mod:`.execute` runs a notebook with papermill, :mod:`.html` renders it,
:mod:`.folders` publishes a run folder atomically, :mod:`.provenance` records package
versions and the git revision, :mod:`.webfont` embeds the Chinese font subset.
"""

from calibrate.report.execute import execute_notebook, kernel_session, notebooks_folder
from calibrate.report.folders import atomic_run_folder
from calibrate.report.html import render_html
from calibrate.report.provenance import git_revision, package_versions

__all__ = [
    "atomic_run_folder",
    "execute_notebook",
    "git_revision",
    "kernel_session",
    "notebooks_folder",
    "package_versions",
    "render_html",
]

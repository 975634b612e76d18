"""Every artifact of a run, declared once: which step writes it, where, in which format, with which columns.

Steps write and later steps, notebooks and the executive summary read artifacts by
their declared name (``"weights.proposal"``), never by a spelled-out file name:

>>> path(Path("reports/sample"), "weights.proposal").as_posix()
'reports/sample/weights/proposal.csv'

``columns`` are the columns a table must have when it is written (the contract its
readers rely on); ``optional`` artifacts are written only when the data has what
they need (360 reviews, survey answers). The run folder layout is
``<run>/<step folder>/<file>``; commands that run one step alone (``calibrate
simulate``, ``calibrate score``) write the same files flat into their own folder
(:func:`in_folder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calibrate import artifacts as files
from calibrate.errors import CalibrateError

FORMATS = ("csv", "parquet", "json", "xlsx")


@dataclass(frozen=True)
class Artifact:
    name: str  # "<step>.<what>", e.g. "weights.proposal"
    file: str  # file name inside the step's folder
    columns: tuple[str, ...] = ()  # tables: columns every writer must provide
    optional: bool = False  # written only when the data has what it needs
    description: str = ""
    private: bool = False  # pairs real manager IDs with pseudonyms: lives under <run>/private/
    people: bool = False  # a CSV people open in a spreadsheet: written UTF-8 with BOM (Excel)

    @property
    def step(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def folder(self) -> str:
        return FOLDERS[self.step]

    @property
    def format(self) -> str:
        return self.file.rsplit(".", 1)[1]


#: The folder inside a run that holds the files pairing real manager IDs with pseudonyms.
PRIVATE = "private"

#: The folder of each writing step inside the run folder.
FOLDERS = {
    "data": "data",
    "weights": "weights",
    "targets": "targets",
    "scoring": "scoring",
    "summary": "summary",
    "cycle": "cycle",
    "review": "review",
    "run": "",
}

_PROPOSAL_COLUMNS = (
    "indicator",
    "label",
    "dimension",
    "dimension_label",
    "weight",
    "ci_low",
    "ci_high",
    "last_year",
    "change",
    "data_source",
    "data_source_label",
    "review_period",
    "review_period_label",
    "binding",
)
_PLAN_COLUMNS = ("plan", "year", "target_total", "expected_share", "share_p5", "share_p95", "bonus_p50", "bonus_p90")

ARTIFACTS: tuple[Artifact, ...] = (
    # data quality (01_data_quality)
    Artifact("data.validation", "validation.csv", description="every validation finding"),
    Artifact("data.tables", "tables.csv", description="what was read from each source"),
    Artifact("data.coverage", "coverage.csv", description="coverage by quarter"),
    Artifact("data.raters", "raters.csv", description="360 raters per manager"),
    Artifact("data.indicators", "indicators.csv", description="indicator summaries"),
    Artifact(
        "data.panel", "panel.parquet", description="the indicator panel (manager x period x indicator)", private=True
    ),
    Artifact("data.summary", "summary.json", description="headline counts of the data"),
    Artifact("data.aggregation", "aggregation.csv", description="how monthly or daily rows became quarters"),
    # weights (02_weights)
    Artifact("weights.proposal", "proposal.csv", _PROPOSAL_COLUMNS, description="the proposed weights", people=True),
    Artifact("weights.blend", "blend.csv", description="each source's weights and the blend"),
    Artifact("weights.methods", "methods.csv", description="every method side by side"),
    Artifact("weights.methods_ci", "methods_ci.csv", description="bootstrap intervals of every method"),
    Artifact("weights.regressions", "regressions.csv", description="outcome regression coefficients"),
    Artifact("weights.regression_fit", "regression_fit.csv", description="fit statistics of the regressions"),
    Artifact("weights.ahp", "ahp.csv", description="AHP consistency per expert"),
    Artifact("weights.ahp_priorities", "ahp_priorities.csv", description="AHP priorities"),
    Artifact("weights.diagnostics", "diagnostics.csv", description="variance inflation factors"),
    Artifact("weights.warnings", "warnings.csv", description="warnings of the proposal"),
    Artifact("weights.residuals", "residuals.parquet", description="regression residuals (pseudonymised)"),
    Artifact("weights.summary", "summary.json", description="settings and headline figures"),
    Artifact("weights.workbook", "weights.xlsx", description="the proposal as an Excel workbook"),
    # targets (03_targets)
    Artifact(
        "targets.plans", "plans.csv", _PLAN_COLUMNS, description="each target plan's totals, shares, cost", people=True
    ),
    Artifact(
        "targets.calibrated_targets",
        "calibrated_targets.csv",
        description="targets per manager",
        private=True,
        people=True,
    ),
    Artifact(
        "targets.manager_probabilities",
        "manager_probabilities.csv",
        ("plan", "probability"),
        description="each manager's chance of reaching each plan's target",
        private=True,
    ),
    Artifact("targets.regions", "regions.csv", description="plans by region"),
    Artifact("targets.share_distribution", "share_distribution.csv", description="share on target, by scenario"),
    Artifact("targets.bonus_distribution", "bonus_distribution.csv", description="bonus cost quantiles"),
    Artifact("targets.payout_curve", "payout_curve.csv", description="the payout curve"),
    Artifact("targets.model", "model.csv", description="the fitted performance model per manager", private=True),
    Artifact("targets.ramp", "ramp.csv", description="new hires' ramp-up"),
    Artifact("targets.summary", "summary.json", description="settings and headline figures"),
    Artifact("targets.backtest", "backtest.json", description="last year's forecast against what happened"),
    Artifact("targets.reliability", "reliability.csv", description="reliability diagram of the backtest"),
    Artifact("targets.backtest_managers", "backtest_managers.csv", description="backtest per manager", private=True),
    # scoring (05_scoring)
    Artifact("scoring.scores", "scores.csv", description="annual scores", private=True),
    Artifact("scoring.grades", "grades.csv", description="grades, coefficients and bonus", private=True, people=True),
    Artifact("scoring.quarterly", "quarterly.csv", description="quarterly scores and grades", private=True),
    Artifact("scoring.points", "points.csv", description="points per indicator", private=True),
    Artifact("scoring.stability", "stability.csv", description="grade stability per manager", private=True),
    Artifact("scoring.stability_draws", "stability_draws.csv", description="weight draws"),
    Artifact("scoring.comparisons", "comparisons.csv", description="rank agreement between weightings"),
    Artifact("scoring.weights", "weights.csv", description="the weights scored with"),
    Artifact("scoring.grade_distribution", "grade_distribution.csv", description="share per grade"),
    Artifact("scoring.customer", "customer.csv", optional=True, description="customer measures (survey)", private=True),
    Artifact("scoring.reviews360", "reviews360.csv", optional=True, description="360 review scores", private=True),
    Artifact("scoring.rater_effects", "rater_effects.csv", optional=True, description="360 rater leniency"),
    Artifact("scoring.summary", "summary.json", description="headline figures"),
    # executive summary (90_executive_summary)
    Artifact("summary.page", "summary.json", description="the executive summary's figures"),
    Artifact("summary.weights", "weights.csv", optional=True, description="the summary's weights table", people=True),
    Artifact(
        "summary.risks", "risks.csv", ("area", "level", "key", "text"), description="the summary's risks", people=True
    ),
    # last year's run against this year's data (06_cycle, only when the config names previous_run)
    Artifact(
        "cycle.forecast_check",
        "forecast_check.json",
        optional=True,
        description="last year's forecast share, Brier score, bonus forecast against what happened",
    ),
    Artifact(
        "cycle.forecast_managers",
        "forecast_managers.csv",
        optional=True,
        private=True,
        description="each manager's forecast probability and whether the target was hit",
    ),
    Artifact("cycle.reliability", "reliability.csv", optional=True, description="reliability of last year's P(hit)"),
    Artifact(
        "cycle.weights_chain",
        "weights_chain.csv",
        optional=True,
        description="each indicator's weight in every run of the chain",
    ),
    # the quarterly review (calibrate review), in its own output folder
    Artifact("review.summary", "summary.json", optional=True, description="the team's updated year-end forecast"),
    Artifact(
        "review.managers",
        "managers.csv",
        optional=True,
        private=True,
        description="year-to-date attainment and P(hit) per manager, now and at the last review",
    ),
    Artifact(
        "review.changes",
        "changes.csv",
        optional=True,
        private=True,
        description="who fell from likely to unlikely, or rose",
    ),
    Artifact(
        "review.improvement_plans",
        "improvement_plans.csv",
        optional=True,
        private=True,
        description="who newly meets the improvement-plan rule",
        people=True,
    ),
    # files for people at the top of the run folder
    Artifact(
        "run.hr_workbook", "hr_workbook.xlsx", description="HR's workbook: weights, scores, bonus, plans, targets"
    ),
)

_BY_NAME = {a.name: a for a in ARTIFACTS}

#: What each step and notebook reads from earlier steps (checked by the tests against ARTIFACTS).
READS: dict[str, tuple[str, ...]] = {
    "scoring": ("weights.proposal",),
    "summary": (
        "data.summary",
        "weights.proposal",
        "weights.ahp",
        "weights.warnings",
        "targets.plans",
        "targets.manager_probabilities",
        "targets.backtest",
        "scoring.summary",
    ),
}


def declared(name: str) -> Artifact:
    """The declaration of an artifact; an undeclared name is a programming error caught by the tests."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise CalibrateError(f"no artifact is declared as {name!r} (see calibrate.steps.artifacts)") from None


def path(run_dir: str | Path, name: str) -> Path:
    """Where artifact ``name`` lives in a run folder (``private/<step>/`` for the private ones)."""
    a = declared(name)
    return Path(run_dir) / (PRIVATE if a.private else "") / a.folder / a.file


def in_folder(folder: str | Path, name: str) -> Path:
    """Where artifact ``name`` lives in a step's own folder (or a one-step command's output folder)."""
    return Path(folder) / declared(name).file


def write(folder: str | Path, name: str, value: Any) -> Path:
    """Write artifact ``name`` into a step's folder in its declared format; tables must have the declared columns."""
    a = declared(name)
    target = in_folder(folder, name)
    if a.format in ("csv", "parquet"):
        names = value.column_names if hasattr(value, "column_names") else value.columns  # an Arrow table or frame
        missing = [c for c in a.columns if c not in names]
        if missing:
            raise CalibrateError(f"artifact {name}: columns {', '.join(missing)} are missing")
        if a.format == "csv":
            return files.write_csv(value, target, bom=a.people)
        return files.write_parquet(value, target)
    if a.format == "json":
        return files.write_json(value, target)
    raise CalibrateError(f"artifact {name}: {a.format} files are written by their own writer")


def read(run_dir: str | Path, name: str) -> Any:
    """Read artifact ``name`` from a run folder (a DataFrame for tables, plain JSON types for json)."""
    return read_file(path(run_dir, name), name)


def read_file(target: Path, name: str) -> Any:
    a = declared(name)
    if a.format == "csv":
        return files.read_csv(target)
    if a.format == "parquet":
        return files.read_parquet(target)
    if a.format == "json":
        return files.read_json(target)
    raise CalibrateError(f"artifact {name}: {a.format} files are not read back")


def exists(run_dir: str | Path, name: str) -> bool:
    return path(run_dir, name).exists()

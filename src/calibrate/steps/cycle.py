"""The run step ``06_cycle``: this run against the previous year's run (``previous_run:`` in the config).

A run may name the folder of last year's run. The step then reads that run's
target plan (``targets/plans.csv`` and ``targets/manager_probabilities.csv``) and
scores its forecast for the year now in the data with
:func:`calibrate.targets.forecast_check.forecast_check`; it also collects each
indicator's weight across every run of the chain (each run's manifest names the
run before it). A run without ``previous_run`` leaves the step out unless it is
asked for by name; it then writes only ``cycle/forecast_check.json`` with
``available: false``.

A relative ``previous_run`` is taken from the config file's folder.

Artifacts under ``cycle/``:

=========================== ==========================================================
forecast_check.json         last year's forecast share (P5-P95) against the realised
                            share, Brier score and decomposition, bonus P50/P90
                            against the realised bonus, and the summary sentence
forecast_managers.csv       per manager: forecast probability, target, actual, hit
reliability.csv             forecast bins against observed frequencies
weights_chain.csv           run, year, indicator, weight for every run of the chain
=========================== ==========================================================
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate import artifacts
from calibrate.config import RunConfig
from calibrate.errors import CalibrateError
from calibrate.messages import LANGS, text
from calibrate.privacy import pseudonym
from calibrate.report.provenance import path_from
from calibrate.steps import artifacts as declared
from calibrate.steps.base import RunContext, Step

MANIFEST = "manifest.json"
FOLDER = "cycle"
PLAN = "current"  # the plan whose forecast is checked: the company's own targets


def previous_run_folder(config: RunConfig) -> Path | None:
    """The folder named by ``previous_run`` (relative to the config file's folder), or None."""
    value = (config.raw or {}).get("previous_run")
    if not value:
        return None
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else (config.base_dir / path)


def folder_sha256(folder: Path) -> str:
    """SHA-256 over every file of a run folder (relative path and content hash, in path order)."""
    digest = hashlib.sha256()
    for p in sorted(q for q in Path(folder).rglob("*") if q.is_file()):
        digest.update(str(p.relative_to(folder)).encode("utf-8") + b"\0")
        digest.update(artifacts.sha256_of(p).encode("ascii") + b"\n")
    return digest.hexdigest()


def lineage(config: RunConfig) -> dict[str, Any] | None:
    """What the manifest records of the previous run: its folder and the folder's hash."""
    folder = previous_run_folder(config)
    if folder is None:
        return None
    if not folder.is_dir():
        raise CalibrateError(
            f"previous_run: the folder {folder} does not exist; name the folder of last year's run "
            "(e.g. reports/sample_2024) or remove previous_run from the config."
        )
    # the folder as seen from this run's folder: never the machine's absolute path
    return {"folder": path_from(config.run_folder(), folder), "name": folder.name, "sha256": folder_sha256(folder)}


def _need(folder: Path, name: str) -> Path:
    path = declared.path(folder, name)
    if not path.exists():
        raise CalibrateError(
            f"previous_run: {path} is missing; last year's run must include the targets step "
            "(03_targets) to be checked against this year's data."
        )
    return path


def check_previous_forecast(previous: Path, performance: pd.DataFrame, *, plan: str = PLAN):
    """Score the previous run's ``plan`` forecast against the year it forecast, now in ``performance``."""
    from calibrate.targets.forecast_check import forecast_check, realised_year
    from calibrate.targets.plan import payout_curve_from_config

    plans = pd.read_csv(_need(previous, "targets.plans"))
    probs = pd.read_csv(_need(previous, "targets.manager_probabilities"), dtype={"manager_id": str})
    settings = artifacts.read_json(_need(previous, "targets.summary")).get("settings", {})
    row = plans[plans["plan"] == plan]
    if row.empty:
        raise CalibrateError(
            f"previous_run: {declared.path(previous, 'targets.plans')} has no row for the plan {plan!r}."
        )
    row = row.iloc[0]
    year = int(row["year"])
    forecast = probs.loc[probs["plan"] == plan, ["manager_id", "target", "probability"]]
    payout = payout_curve_from_config({"points": settings["payout"]}) if settings.get("payout") else None
    bonus_base = settings.get("bonus_base") if payout is not None else None
    check = forecast_check(
        forecast,
        realised_year(performance, year),
        expected_share=float(row["expected_share"]),
        share_low=float(row["share_p5"]),
        share_high=float(row["share_p95"]),
        bonus_p50=None if payout is None else float(row["bonus_p50"]),
        bonus_p90=None if payout is None else float(row["bonus_p90"]),
        payout=payout,
        bonus_base=bonus_base,
    )
    return year, check


def weights_chain(folder: Path, config: RunConfig | None = None, *, limit: int = 20) -> pd.DataFrame:
    """Each indicator's proposed weight in this run and every earlier run of the chain
    (run, year, indicator, weight), oldest first; a run without weights is skipped."""
    rows = []
    seen: set[str] = set()
    current: Path | None = Path(folder)
    year = config.year if config else None
    name = config.run_name if config else Path(folder).name
    previous = previous_run_folder(config) if config else None
    for _ in range(limit):
        if current is None or str(current.resolve()) in seen:
            break
        seen.add(str(current.resolve()))
        proposal = declared.path(current, "weights.proposal")
        if proposal.exists():
            w = pd.read_csv(proposal)
            rows.append(
                pd.DataFrame(
                    {"run": name, "year": year, "indicator": w["indicator"], "weight": w["weight"].astype(float)}
                )
            )
        current = previous
        if current is None:
            break
        manifest = current / MANIFEST
        info = artifacts.read_json(manifest) if manifest.exists() else {}
        name = info.get("run_name", current.name)
        year = (info.get("config") or {}).get("year")
        recorded = (info.get("previous_run") or {}).get("folder")
        previous = (current / recorded).resolve() if recorded else None
    if not rows:
        return pd.DataFrame(columns=["run", "year", "indicator", "weight"])
    return pd.concat(rows[::-1], ignore_index=True)


def forecast_sentence(check: dict[str, Any]) -> dict[str, str]:
    """The executive summary's line, e.g. "last year we forecast 58% (50-66%); 55% hit"."""
    e, lo, hi, r = (round(100 * check[k]) for k in ("expected_share", "share_low", "share_high", "realised_share"))
    y = check["year"]
    return {
        lang: text("cycle_page.forecast_sentence", lang, year=y, expected=e, low=lo, high=hi, realised=r)
        for lang in LANGS
    }


def cycle_step(ctx: RunContext) -> list[Path]:
    """Write the artifacts of the module docstring (only ``forecast_check.json`` without a previous run)."""
    previous = previous_run_folder(ctx.config)
    out = ctx.path(FOLDER)
    if previous is None:
        return [
            declared.write(out, "cycle.forecast_check", {"available": False, "reason": "no previous_run in the config"})
        ]
    lineage(ctx.config)  # a clear error when the folder is missing
    year, check = check_previous_forecast(previous, ctx.dataset.performance)
    summary = {
        "available": True,
        "previous_run": os.path.relpath(previous.resolve(), ctx.folder.resolve()),
        "plan": PLAN,
        "year": year,
        **check.to_dict(),
    }
    summary["sentence"] = forecast_sentence(summary)
    managers = check.to_frame()
    key = ctx.config.pseudonym_key()
    managers.insert(1, "pseudonym", [pseudonym(m, key) for m in managers["manager_id"]])
    return [
        declared.write(out, "cycle.forecast_check", summary),
        declared.write(
            declared.path(ctx.folder, "cycle.forecast_managers").parent, "cycle.forecast_managers", managers
        ),
        declared.write(out, "cycle.reliability", check.reliability),
        declared.write(out, "cycle.weights_chain", weights_chain(ctx.folder, ctx.config)),
    ]


STEP = Step(
    "cycle",
    "06_cycle",
    cycle_step,
    when=lambda config: previous_run_folder(config) is not None,
)  # only runs that name a previous run


# ---------------------------------------------------------------------------- for the notebook
def check_table(check: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    """forecast_check.json as a two-column table."""

    def t(key: str) -> str:
        return text(f"cycle_page.{key}", lang)

    rows = [
        (t("year_forecast"), str(check["year"])),
        (
            t("forecast_share"),
            f"{check['expected_share']:.1%} ({check['share_low']:.1%} - {check['share_high']:.1%})",
        ),
        (t("realised_share"), f"{check['realised_share']:.1%}"),
        (t("inside_interval"), t("yes") if check["inside_interval"] else t("no")),
        (
            t("managers_scored"),
            f"{check['managers_scored']} / {check['managers_forecast']}",
        ),
        (t("brier"), f"{check['brier']:.3f}"),
        (t("brier_skill"), f"{check['brier_skill']:.2f}"),
    ]
    if "bonus_p50" in check:
        rows += [
            (
                t("forecast_bonus"),
                f"{check['bonus_p50']:,.0f} / {check['bonus_p90']:,.0f}",
            ),
            (t("realised_bonus"), f"{check['realised_bonus']:,.0f}"),
        ]
    return pd.DataFrame(rows, columns=[t("col_measure"), t("col_value")])


def plot_weights_chain(chain: pd.DataFrame, lang: str = "en", ax: Any = None):
    """Each indicator's weight across the runs of the chain (one line per indicator)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    order = list(dict.fromkeys(chain["run"]))
    for k, (indicator, d) in enumerate(chain.groupby("indicator", sort=True)):
        d = d.set_index("run").reindex(order)
        ax.plot(range(len(order)), 100 * d["weight"], marker="o", color=f"C{k % 10}", label=indicator)
    ax.set_xticks(range(len(order)))
    labels = chain.drop_duplicates("run").set_index("run")["year"].reindex(order)
    ax.set_xticklabels([f"{r}\n{'' if pd.isna(y) else int(y)}" for r, y in labels.items()], fontsize=8)
    ax.set_ylabel(text("cycle_page.axis_weight", lang))
    ax.legend(fontsize=7, ncol=2)
    return ax

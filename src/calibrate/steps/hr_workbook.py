"""``hr_workbook.xlsx``: the files HR works from, in the page language.

Sheets: weights (whole percentages summing to 100 by largest remainder, the
exact weight beside, a total row, indicators below the weight floor marked);
each manager's composite score, rank, grade, bonus coefficient and bonus; the
improvement-plan list with the reason, the first low quarter of the current low
run and a suggested plan window (3 months, 6 when the low run is longer than the
trigger); each manager's target under the recommended plan with P(hit target);
notes. Manager IDs are the pseudonyms the earlier steps wrote (through
:mod:`calibrate.privacy`) unless the run sets ``privacy.pseudonymise: false``.
The workbook's creation date is fixed, so the same run gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibrate.messages import format as fmt
from calibrate.messages import text
from calibrate.steps import artifacts as declared
from calibrate.steps.weights_workbook import CREATED, _width

LOW_GRADES = ("D", "E")
CONSECUTIVE = 2


def _ids(frame: pd.DataFrame, pseudonymise: bool, key: bytes | None) -> pd.Series:
    if not pseudonymise:
        return frame["manager_id"].astype(str)
    if "pseudonym" in frame:
        return frame["pseudonym"].astype(str)
    from calibrate.privacy import pseudonym

    if key is None:
        raise ValueError("pseudonymised HR tables need the pseudonym column or the run's key")
    return frame["manager_id"].map(lambda m: pseudonym(str(m), key))


def weights_sheet(proposal: pd.DataFrame, lang: str, floor: float) -> pd.DataFrame:
    """Indicator, dimension, weight (%) by largest remainder, exact weight, last year (%), below-floor mark, total row."""
    t = lambda key: text(f"hr.{key}", lang)  # noqa: E731
    pct = fmt.whole_percentages(proposal["weight"].to_numpy(dtype=float))
    last = proposal["last_year"].to_numpy(dtype=float)
    last_pct = fmt.whole_percentages(last) if np.nansum(last) > 0 else [None] * len(last)
    out = pd.DataFrame(
        {
            t("col_indicator"): proposal["label"].astype(str).to_numpy(),
            t("col_dimension"): proposal.get("dimension_label", proposal.get("dimension")).astype(str).to_numpy(),
            t("col_weight_pct"): pct,
            t("col_weight_exact"): proposal["weight"].astype(float).round(4).to_numpy(),
            t("col_last_year_pct"): last_pct,
            t("col_below_floor"): [t("yes_mark") if w < floor - 1e-9 else t("no_mark") for w in proposal["weight"]],
        }
    )
    total = {
        out.columns[0]: t("total"),
        out.columns[1]: "",
        out.columns[2]: int(sum(pct)),
        out.columns[3]: round(float(proposal["weight"].sum()), 4),
        out.columns[4]: int(sum(last_pct)) if last_pct[0] is not None else None,
        out.columns[5]: "",
    }
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def managers_sheet(scores: pd.DataFrame, lang: str, pseudonymise: bool, key: bytes | None) -> pd.DataFrame:
    t = lambda key: text(f"hr.{key}", lang)  # noqa: E731
    s = scores.sort_values(["rank", "manager_id"], kind="stable")
    return pd.DataFrame(
        {
            t("col_manager"): _ids(s, pseudonymise, key).to_numpy(),
            t("col_region"): s["region"].astype(str).to_numpy(),
            t("col_score"): s["score"].astype(float).round(1).to_numpy(),
            t("col_rank"): s["rank"].astype(int).to_numpy(),
            t("col_grade"): s["grade"].astype(str).to_numpy(),
            t("col_coefficient"): s["coefficient"].astype(float).round(2).to_numpy(),
            t("col_bonus"): s["bonus"].astype(float).round(2).to_numpy(),
            t("col_improvement"): [t("yes_mark") if bool(v) else t("no_mark") for v in s["improvement_plan"]],
        }
    )


def first_low_periods(quarterly: pd.DataFrame, low_grades: tuple[str, ...]) -> pd.Series:
    """Per manager, the first quarter of the low-grade run that ends at the manager's last graded quarter."""
    from calibrate.periods import quarter_index

    g = quarterly.dropna(subset=["grade"]).assign(_q=lambda f: quarter_index(f["period"]))
    g = g.sort_values(["manager_id", "_q"], kind="stable")
    manager = g["manager_id"].to_numpy()
    q = g["_q"].to_numpy()
    low = g["grade"].isin(low_grades).to_numpy()
    same = np.zeros(len(g), dtype=bool)
    same[1:] = manager[1:] == manager[:-1]
    # a low quarter continues a run when the same manager's previous quarter is the quarter before and low too
    continues = np.zeros(len(g), dtype=bool)
    continues[1:] = same[1:] & low[:-1] & (q[1:] - q[:-1] == 1)
    position = np.arange(len(g))
    run_start = np.maximum.accumulate(np.where(low & ~continues, position, 0)) if len(g) else position
    last = np.ones(len(g), dtype=bool)
    last[:-1] = ~same[1:]  # each manager's last graded quarter
    ends = last & low
    periods = g["period"].astype(str).to_numpy()
    return pd.Series(periods[run_start[ends]], index=pd.Index(manager[ends]), name="first_low_period", dtype=object)


def plan_window(year: int, low_run: int, consecutive: int, lang: str) -> str:
    """3 months from January of the year after the run's year; 6 when the low run is longer than the trigger."""
    months = 6 if low_run > consecutive else 3
    start, end = f"{year + 1}-01", f"{year + 1}-{months:02d}"
    return text("hr.window", lang, start=start, end=end, months=months)


def improvement_sheet(
    scores: pd.DataFrame,
    quarterly: pd.DataFrame | None,
    lang: str,
    pseudonymise: bool,
    key: bytes | None,
    *,
    year: int,
    low_grades: tuple[str, ...],
    consecutive: int,
) -> pd.DataFrame:
    t = lambda key: text(f"hr.{key}", lang)  # noqa: E731
    s = scores[scores["improvement_plan"].astype(bool)].sort_values(["rank", "manager_id"], ascending=[False, True])
    first = first_low_periods(quarterly, low_grades) if quarterly is not None else pd.Series(dtype=object)
    runs = s["current_low_run"].astype(int) if "current_low_run" in s else pd.Series(consecutive, index=s.index)
    grades = "/".join(low_grades)
    return pd.DataFrame(
        {
            t("col_manager"): _ids(s, pseudonymise, key).to_numpy(),
            t("col_region"): s["region"].astype(str).to_numpy(),
            t("col_score"): s["score"].astype(float).round(1).to_numpy(),
            t("col_grade"): s["grade"].astype(str).to_numpy(),
            t("col_reason"): [text("hr.reason", lang, count=int(n), grades=grades) for n in runs],
            t("col_first_low"): [str(first.get(m, "–")) for m in s["manager_id"]],
            t("col_low_periods"): runs.to_numpy(),
            t("col_window"): [plan_window(year, int(n), consecutive, lang) for n in runs],
        },
        columns=[
            t(k)
            for k in (
                "col_manager",
                "col_region",
                "col_score",
                "col_grade",
                "col_reason",
                "col_first_low",
                "col_low_periods",
                "col_window",
            )
        ],
    )


def targets_sheet(
    calibrated: pd.DataFrame, plan: str, lang: str, pseudonymise: bool, key: bytes | None
) -> pd.DataFrame:
    t = lambda key: text(f"hr.{key}", lang)  # noqa: E731
    c = calibrated.sort_values(["region", "manager_id"], kind="stable")
    last = [fmt.missing_or(v, lambda x: round(float(x), 1), "new_hire", lang) for v in c["last_year_actual"]]
    return pd.DataFrame(
        {
            t("col_manager"): _ids(c, pseudonymise, key).to_numpy(),
            t("col_region"): c["region"].astype(str).to_numpy(),
            t("col_last_year_actual"): last,
            t("col_target"): c[f"{plan}_target"].astype(float).round(1).to_numpy(),
            t("col_probability"): c[f"{plan}_probability"].astype(float).round(3).to_numpy(),
        }
    )


def notes_sheet(
    lang: str,
    *,
    floor: float,
    bonus_base: float,
    low_grades: tuple[str, ...],
    consecutive: int,
    plan_label: str | None,
    recommended: bool,
    pseudonymise: bool,
) -> pd.DataFrame:
    t = lambda key, **v: text(f"hr.{key}", lang, **v)  # noqa: E731
    lines = [
        t("note_weights"),
        t("note_floor", floor=fmt.percent(floor)),
        t("note_scores", base=fmt.money(bonus_base, lang, 1)),
        t("note_improvement", grades="/".join(low_grades), consecutive=consecutive),
    ]
    if plan_label:
        lines.append(t("note_targets", plan=plan_label) if recommended else t("note_targets_none", plan=plan_label))
        lines.append(t("note_new_hire"))
    lines.append(t("note_pseudonyms") if pseudonymise else t("note_real_ids"))
    return pd.DataFrame({t("notes_heading"): lines})


def hr_tables(
    folder: Path,
    summary: dict[str, Any],
    *,
    lang: str,
    pseudonymise: bool = True,
    key: bytes | None = None,
    scoring: dict[str, Any] | None = None,
    bonus_base: float = 5.0,
) -> dict[str, pd.DataFrame]:
    """The workbook's sheets (sheet name in ``lang`` -> table) from a run folder's artifacts."""
    folder = Path(folder)
    improvement = (scoring or {}).get("improvement") or {}
    low_grades = tuple(improvement.get("low_grades") or LOW_GRADES)
    consecutive = int(improvement.get("consecutive") or CONSECUTIVE)
    floor = float((summary.get("weights") or {}).get("floor", 0.05))
    year = int(summary.get("year") or 0)
    sheets: dict[str, pd.DataFrame] = {}
    t = lambda key: text(f"hr.{key}", lang)  # noqa: E731
    proposal = declared.path(folder, "weights.proposal")
    if proposal.exists():
        sheets[t("sheet_weights")] = weights_sheet(pd.read_csv(proposal), lang, floor)
    scores_path = declared.path(folder, "scoring.scores")
    if scores_path.exists():
        scores = pd.read_csv(scores_path)
        quarterly_path = declared.path(folder, "scoring.quarterly")
        quarterly = pd.read_csv(quarterly_path) if quarterly_path.exists() else None
        sheets[t("sheet_managers")] = managers_sheet(scores, lang, pseudonymise, key)
        sheets[t("sheet_improvement")] = improvement_sheet(
            scores, quarterly, lang, pseudonymise, key, year=year, low_grades=low_grades, consecutive=consecutive
        )
    rec = (summary.get("targets") or {}).get("recommendation") or {}
    plan = rec.get("plan") or rec.get("fallback")
    calibrated = declared.path(folder, "targets.calibrated_targets")
    plan_label = None
    if plan and calibrated.exists():
        plan_label = text(f"plans.{plan}", lang)
        sheets[t("sheet_targets")] = targets_sheet(pd.read_csv(calibrated), plan, lang, pseudonymise, key)
    sheets[t("sheet_notes")] = notes_sheet(
        lang,
        floor=floor,
        bonus_base=bonus_base,
        low_grades=low_grades,
        consecutive=consecutive,
        plan_label=plan_label,
        recommended=bool(rec.get("plan")),
        pseudonymise=pseudonymise,
    )
    return sheets


_PERCENT_KEYS = ("col_probability",)
_EXACT_KEYS = ("col_weight_exact",)


def write_hr_workbook(
    folder: Path,
    path: Path,
    summary: dict[str, Any],
    *,
    lang: str,
    pseudonymise: bool = True,
    key: bytes | None = None,
    scoring: dict[str, Any] | None = None,
    bonus_base: float = 5.0,
) -> Path:
    """Write ``hr_workbook.xlsx`` (see the module docstring); returns its path."""
    import xlsxwriter

    sheets = hr_tables(
        folder, summary, lang=lang, pseudonymise=pseudonymise, key=key, scoring=scoring, bonus_base=bonus_base
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": text("hr.title", lang), "author": "calibrate", "created": CREATED})
    head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    bold = wb.add_format({"bold": True, "top": 1})
    formats = {
        "pct": wb.add_format({"num_format": "0.0%"}),
        "exact": wb.add_format({"num_format": "0.0000"}),
        "num": wb.add_format({"num_format": "#,##0.0#"}),
        "int": wb.add_format({"num_format": "#,##0"}),
        "text": wb.add_format({"text_wrap": False}),
    }
    percent_cols = {text(f"hr.{k}", lang) for k in _PERCENT_KEYS}
    exact_cols = {text(f"hr.{k}", lang) for k in _EXACT_KEYS}
    total_label = text("hr.total", lang)
    for name, frame in sheets.items():
        ws = wb.add_worksheet(name[:31])
        for j, col in enumerate(frame.columns):
            ws.write_string(0, j, str(col), head)
            kind = "pct" if col in percent_cols else "exact" if col in exact_cols else None
            widths = [_width(col)]
            for i, v in enumerate(frame[col].tolist(), start=1):
                is_total = frame.iloc[i - 1, 0] == total_label
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    ws.write_blank(i, j, None, bold if is_total else None)
                    continue
                if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                    ws.write_number(i, j, int(v), bold if is_total else formats["int"])
                    shown = f"{int(v):,}"
                elif isinstance(v, (float, np.floating)):
                    f = formats[kind] if kind else (formats["int"] if float(v).is_integer() else formats["num"])
                    ws.write_number(i, j, float(v), bold if is_total else f)
                    shown = f"{float(v):,.4f}"
                else:
                    ws.write_string(i, j, str(v), bold if is_total else formats["text"])
                    shown = str(v)
                widths.append(_width(shown))
            ws.set_column(j, j, min(max(max(widths) + 2, 8), 90))
        ws.freeze_panes(1, 0)
    wb.close()
    return path

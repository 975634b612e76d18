"""A ramp allowance for new hires: attainment judged against what a manager of their tenure can reach.

A new account manager sells less than a veteran while building a book of
customers (the sample company's first-year revenue is about half a veteran's).
Where targets are set at veteran level, raw attainment punishes every new hire;
the allowance divides a new hire's attainment by the expected share of a
veteran's revenue at their tenure:

    adjusted attainment = attainment / share(tenure quarter)    (tenure quarters 0..3)

``share`` is either one number for the whole first year (``mode="first_year"``,
the default: the *first-year share*) or a curve by tenure quarter
(``mode="curve"``: ``share(k)`` for every quarter ``k`` below ``full_at``).
The default share is the ramp fitted from the company's own data by
:func:`calibrate.targets.fit_performance_model` (``fit.ramp.first_year_share``,
``fit.ramp.share``): pass that object as ``ramp``, or a number as
``first_year_share`` to configure it. Managers past their first year (or past
``full_at`` in curve mode) are unchanged, as are rows with an unknown tenure.

Do not apply it where targets already include the ramp (e.g. targets set with
:func:`calibrate.targets.calibration.ramp_share`, or the targets step's plans,
whose performance model carries the ramp): that would count the ramp twice.
:func:`targets_include_ramp` detects it from the targets themselves, and
:func:`scoring_ramp_allowance` (the scoring step's entry, setting
``scoring.ramp_allowance``) skips the allowance when it finds it.

Detection rule: within each quarter (and job level when known), the median
target of veterans (tenure quarter >= ``full_at``) is the reference; the
median over first-year manager-quarters of ``target / reference`` is the
*target ratio* ``r``. Targets set at veteran level give ``r`` near 1; ramped
targets give ``r`` near the first-year share ``s``. The targets count as
ramped when ``r`` is closer to ``s`` than to 1 on the log scale
(``r < sqrt(s)``). With fewer than ``min_rows`` first-year rows no
decision can be made and the allowance applies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError

RampMode = Literal["first_year", "curve"]
FIRST_YEAR_QUARTERS = 4


class RampCurve(Protocol):
    """What the allowance needs of a fitted ramp (e.g. ``calibrate.targets.fit.RampEstimate``)."""

    @property
    def first_year_share(self) -> float: ...

    def share(self, tenure_quarters: Any) -> np.ndarray: ...


def ramp_shares(
    tenure_quarters: pd.Series,
    *,
    ramp: RampCurve | None = None,
    first_year_share: float | None = None,
    mode: RampMode = "first_year",
    full_at: int = 8,
) -> pd.Series:
    """Expected share (0-1] of a veteran's result per row from its tenure (quarters, 0 = first quarter).

    1 where no allowance applies (settled managers, unknown tenure).
    """
    share_of = _share_function(ramp, first_year_share, mode)
    k = pd.to_numeric(tenure_quarters, errors="coerce").astype(float)
    window = FIRST_YEAR_QUARTERS if mode == "first_year" else int(full_at)
    ramping = k.notna() & (k < window)
    out = pd.Series(1.0, index=tenure_quarters.index, name="ramp_share")
    if ramping.any():
        out[ramping] = share_of(np.maximum(k[ramping].to_numpy(), 0.0))
    return out


def ramp_allowance(
    values: pd.DataFrame,
    tenure_quarters: pd.Series,
    indicators: Sequence[str],
    *,
    ramp: RampCurve | None = None,
    first_year_share: float | None = None,
    mode: RampMode = "first_year",
    full_at: int = 8,
) -> pd.DataFrame:
    """``values`` with the ``indicators`` columns (attainment-like: higher is better, 1 = on target)
    divided by each row's expected ramp share; adds a ``ramp_share`` column saying what was used.

    ``tenure_quarters`` is aligned with ``values`` by index (e.g. the panel's
    ``tenure_quarters`` column). Give ``ramp`` (a fitted ramp, the default
    source) or ``first_year_share`` (a configured number in (0, 1]); a
    configured number wins. Apply it before the scoring rule, so that floors
    and caps still hold on the adjusted attainment.

    >>> v = pd.DataFrame({"revenue_attainment": [0.5, 1.0]}, index=["new", "veteran"])
    >>> ramp_allowance(v, pd.Series([1, 12], index=v.index), ["revenue_attainment"], first_year_share=0.5)
             revenue_attainment  ramp_share
    new                     1.0         0.5
    veteran                 1.0         1.0
    """
    absent = [c for c in indicators if c not in values.columns]
    if absent:
        raise CalibrateError(
            f"ramp allowance: no column(s) {', '.join(absent)} in the values "
            f"(it has {', '.join(map(str, values.columns))})"
        )
    tenure = tenure_quarters.reindex(values.index)
    share = ramp_shares(tenure, ramp=ramp, first_year_share=first_year_share, mode=mode, full_at=full_at)
    out = values.copy()
    for c in indicators:
        out[c] = values[c] / share
    out["ramp_share"] = share
    return out


def _share_function(
    ramp: RampCurve | None, first_year_share: float | None, mode: RampMode
) -> Callable[[np.ndarray], np.ndarray]:
    if mode not in ("first_year", "curve"):
        raise CalibrateError(f"ramp allowance mode {mode!r} is not one of first_year, curve")
    if first_year_share is None and ramp is None:
        raise CalibrateError(
            "ramp allowance needs the fitted ramp (ramp=fit.ramp from fit_performance_model) "
            "or a first_year_share between 0 and 1"
        )
    if first_year_share is not None:
        share = float(first_year_share)
        if not 0 < share <= 1:
            raise CalibrateError(f"first_year_share must be above 0 and at most 1, got {first_year_share}")
        if mode == "curve":
            raise CalibrateError(
                "mode='curve' follows the fitted ramp; give ramp=..., or use mode='first_year' "
                "with a configured first_year_share"
            )
        return lambda k: np.full(len(k), share)
    if mode == "first_year":
        share = float(ramp.first_year_share)
        return lambda k: np.full(len(k), share)
    return lambda k: np.clip(np.asarray(ramp.share(k), dtype=float), 1e-6, 1.0)


def targets_include_ramp(
    targets: pd.Series,
    tenure_quarters: pd.Series,
    first_year_share: float,
    *,
    groups: pd.DataFrame | None = None,
    full_at: int = 8,
    min_rows: int = 8,
) -> tuple[bool | None, float]:
    """(targets already ramped for new hires?, target ratio ``r``) by the rule of the module notes.

    ``targets`` (currency units) and ``tenure_quarters`` are aligned rows (e.g. manager-quarters);
    ``groups`` holds the columns that define comparable rows (e.g. ``period`` and ``level``).
    Returns ``(None, nan)`` when there are too few first-year or veteran rows to tell.
    """
    frame = pd.DataFrame(
        {
            "target": pd.to_numeric(targets, errors="coerce").to_numpy(dtype=float),
            "tenure": pd.to_numeric(tenure_quarters, errors="coerce").to_numpy(dtype=float),
        }
    )
    keys: list[str] = []
    if groups is not None:
        keys = [str(c) for c in groups.columns]
        for c in keys:
            frame[c] = groups[c].to_numpy()
    frame = frame[(frame["target"] > 0) & frame["tenure"].notna()]
    veteran = frame[frame["tenure"] >= full_at]
    reference = veteran.groupby(keys)["target"].median() if keys else pd.Series(veteran["target"].median(), index=[0])
    first = frame[(frame["tenure"] >= 0) & (frame["tenure"] < FIRST_YEAR_QUARTERS)]
    ref = (
        first.set_index(keys).index.map(reference)
        if keys
        else pd.Index(np.full(len(first), reference.iloc[0] if len(reference) else np.nan))
    )
    ratio = first["target"].to_numpy() / np.asarray(ref, dtype=float)
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size < min_rows:
        return None, float("nan")
    r = float(np.median(ratio))
    return bool(r < np.sqrt(float(first_year_share))), r


def scoring_ramp_allowance(
    values: pd.DataFrame,
    tenure_quarters: pd.Series,
    indicators: Sequence[str],
    setting: str | float,
    *,
    ramp: RampCurve | None = None,
    targets: pd.Series | None = None,
    groups: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The allowance as the ``scoring.ramp_allowance`` setting asks: ``"fitted"`` (the fitted
    ``ramp``'s first-year share), ``"off"``, or a share in (0, 1]. Skipped when the ``targets``
    (aligned with ``values``) already include the ramp (:func:`targets_include_ramp`).

    Returns (values, adjusted where applied, with a ``ramp_share`` column; a description:
    setting, applied, reason (``off``, ``targets_include_ramp``, ``applied``), first_year_share,
    target_ratio, rows adjusted)."""
    info: dict[str, Any] = {
        "setting": setting,
        "applied": False,
        "reason": "off",
        "first_year_share": None,
        "target_ratio": None,
        "rows": 0,
    }
    out = values.copy()
    out["ramp_share"] = 1.0
    if setting == "off":
        return out, info
    share = float(ramp.first_year_share) if setting == "fitted" and ramp is not None else None
    if setting != "fitted":
        share = float(setting)
    if share is None:
        raise CalibrateError("ramp allowance 'fitted' needs the fitted ramp (fit_performance_model(...).ramp)")
    info["first_year_share"] = share
    if targets is not None:
        ramped, ratio = targets_include_ramp(targets, tenure_quarters, share, groups=groups)
        info["target_ratio"] = None if np.isnan(ratio) else ratio
        if ramped:
            info["reason"] = "targets_include_ramp"
            return out, info
    out = ramp_allowance(values, tenure_quarters, indicators, first_year_share=share)
    info.update(applied=True, reason="applied", rows=int((out["ramp_share"] < 1).sum()))
    return out, info

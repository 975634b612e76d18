"""Indicator values -> points: rules that know whether higher or lower is better.

Points are on a 0-100 scale where 100 is full marks; a ``ratio`` rule with a cap
above 1 can give more (attainment capped at 120% gives at most 120 points).

Rules (a config entry ``{rule: <kind>, ...}``):

``ratio`` (score vs target; ``target``, ``cap`` = 1.2, ``floor`` = 0)
    attainment = value / target for higher-is-better, ``2 - value / target`` for
    lower-is-better (on target = 100%, every point below target adds as much as a
    point above would; zero churn against a 5% target is 200%); points = 100 x
    attainment clipped to [floor, cap]. Example: revenue 130% of target with cap
    1.2 scores 120 points.
``threshold`` (``threshold``, ``floor``)
    full marks at or beyond the threshold, 0 at or beyond the floor, linear in
    between. Higher-is-better: satisfaction >= 80% scores 100, <= 40% scores 0,
    60% scores 50. Lower-is-better (floor above threshold): a reply within 24 hours
    is on time (100), 72 hours or more scores 0, 48 hours 50.
``minmax``
    100 x (value - min) / (max - min) among the managers compared (flipped for
    lower-is-better); 50 for everyone when all values are equal.
``zscore``
    a T-score, 50 + 10 z with z = (value - mean) / sd (population sd) among the
    managers compared, sign flipped for lower-is-better, clipped to [0, 100]; 50
    for everyone when all values are equal.

Relative rules (``minmax``, ``zscore``) compare managers within groups (by default
each period). Missing values stay missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError
from calibrate.indicators import IndicatorSet

FULL_MARKS = 100.0
RULE_KINDS = ("ratio", "threshold", "minmax", "zscore")
_RULE_KEYS = {
    "ratio": {"target", "cap", "floor"},
    "threshold": {"threshold", "floor"},
    "minmax": set(),
    "zscore": set(),
}


@dataclass(frozen=True)
class Rule:
    """One scoring rule; build with :func:`parse_rule`."""

    kind: str
    target: float = 1.0
    cap: float = 1.2
    floor: float = 0.0
    threshold: float = 0.0

    @property
    def relative(self) -> bool:
        """True when a manager's points depend on the other managers' values."""
        return self.kind in ("minmax", "zscore")

    def describe(self, direction: str = "higher") -> str:
        if self.kind == "ratio":
            return f"ratio to target {self.target:g}, capped at {self.cap:.0%}"
        if self.kind == "threshold":
            sign = ">=" if direction == "higher" else "<="
            return f"full marks at {sign} {self.threshold:g}, none at {self.floor:g}, linear between"
        return {"minmax": "min-max among peers", "zscore": "T-score (50 + 10 z) among peers"}[self.kind]


def parse_rule(spec: Mapping[str, Any], indicator: str = "", direction: str = "higher") -> Rule:
    """Check a rule written in a config (``{rule: threshold, threshold: 0.8, floor: 0.4}``)."""
    where = f"scoring rule for {indicator}" if indicator else "scoring rule"
    kind = spec.get("rule")
    if kind not in RULE_KINDS:
        raise ConfigError(f"{where}: 'rule' must be one of {', '.join(RULE_KINDS)}, got {kind!r}")
    extra = set(spec) - {"rule"} - _RULE_KEYS[kind]
    if extra:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(extra))} for rule '{kind}' "
            f"(allowed: {', '.join(sorted(_RULE_KEYS[kind])) or 'none'})"
        )
    values = {}
    for key in _RULE_KEYS[kind]:
        if key in spec:
            v = spec[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise ConfigError(f"{where}: {key} must be a number, got {v!r}")
            values[key] = float(v)
    if kind == "ratio":
        rule = Rule("ratio", **values)
        if rule.target <= 0 or rule.cap <= rule.floor or rule.floor < 0:
            raise ConfigError(
                f"{where}: needs target > 0 and 0 <= floor < cap; got target {rule.target:g}, "
                f"floor {rule.floor:g}, cap {rule.cap:g}"
            )
        return rule
    if kind == "threshold":
        if not {"threshold", "floor"} <= set(values):
            raise ConfigError(f"{where}: a threshold rule needs 'threshold' (full marks) and 'floor' (no marks)")
        rule = Rule("threshold", threshold=values["threshold"], floor=values["floor"])
        if (direction == "higher") != (rule.floor < rule.threshold) or rule.floor == rule.threshold:
            side = "below" if direction == "higher" else "above"
            raise ConfigError(
                f"{where}: {indicator or 'the indicator'} is {direction}-is-better, so the floor "
                f"({rule.floor:g}) must lie {side} the threshold ({rule.threshold:g})"
            )
        return rule
    return Rule(kind)


def apply_rule(
    rule: Rule, values: pd.Series, direction: str = "higher", groups: pd.Series | list[pd.Series] | None = None
) -> pd.Series:
    """Points (0-100, ratio rules up to 100 x cap) for ``values``; relative rules compare within ``groups``."""
    x = values.astype(float)
    higher = direction == "higher"
    if rule.kind == "ratio":
        attainment = attainment_ratio(x, rule.target, direction)
        return (FULL_MARKS * attainment.clip(rule.floor, rule.cap)).rename(values.name)
    if rule.kind == "threshold":
        share = (x - rule.floor) / (rule.threshold - rule.floor)
        return (FULL_MARKS * share.clip(0.0, 1.0)).rename(values.name)
    grouped = x.groupby(groups if groups is not None else np.zeros(len(x), dtype=int), sort=False)
    if rule.kind == "minmax":
        low, high = grouped.transform("min"), grouped.transform("max")
        span = high - low
        share = (x - low) / span.where(span > 0)
        share = share if higher else 1.0 - share
        out = FULL_MARKS * share.where(span > 0, 0.5)
    else:
        mean, sd = grouped.transform("mean"), grouped.transform(lambda s: s.std(ddof=0))
        z = ((x - mean) / sd.where(sd > 0)).where(sd > 0, 0.0)
        out = (50.0 + 10.0 * (z if higher else -z)).clip(0.0, FULL_MARKS)
    return out.where(x.notna()).rename(values.name)


def attainment_ratio(actual: pd.Series | float, target: pd.Series | float, direction: str = "higher") -> pd.Series:
    """Attainment against a target (1.0 = on target): actual / target, or 2 - actual / target when lower is better.

    Targets of 0 or less give NaN (no attainment can be computed).
    """
    target = target.where(target > 0) if isinstance(target, pd.Series) else (target if target > 0 else np.nan)
    ratio = actual / target
    return ratio if direction == "higher" else np.maximum(2.0 - ratio, 0.0)


def indicator_rules(
    indicator_set: IndicatorSet, rules: Mapping[str, Mapping[str, Any]], default_rule: Mapping[str, Any]
) -> dict[str, Rule]:
    """The rule of each indicator: its own from ``rules``, else ``default_rule``."""
    return {
        ind.id: parse_rule(rules.get(ind.id, default_rule), ind.id, ind.direction) for ind in indicator_set.indicators
    }


def score_indicators(
    values: pd.DataFrame, indicator_set: IndicatorSet, rules: Mapping[str, Rule], *, within: Sequence[str] = ("period",)
) -> pd.DataFrame:
    """Points per manager-period and indicator (same index as ``values``, one column per indicator).

    ``values`` holds one column per indicator and, as columns or index levels, the
    ``within`` keys relative rules compare inside (e.g. period, level).
    """
    missing = [i for i in indicator_set.ids if i not in values.columns]
    if missing:
        raise ConfigError(f"no values for indicator(s) {', '.join(missing)} to score")
    frame = values.reset_index() if any(w in (values.index.names or []) for w in within) else values
    absent = [w for w in within if w not in frame.columns]
    if absent:
        raise ConfigError(f"cannot compare managers within {', '.join(absent)}: the data has no such column")
    groups = [frame[w].reset_index(drop=True) for w in within]
    out = {}
    for ind in indicator_set.indicators:
        column = frame[ind.id].reset_index(drop=True)
        out[ind.id] = apply_rule(rules[ind.id], column, ind.direction, groups).to_numpy()
    return pd.DataFrame(out, index=values.index)

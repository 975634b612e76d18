"""The larger indicator set of a sample company with extra indicators (8 + K)."""

from __future__ import annotations

import yaml

from calibrate.indicators import IndicatorSet, indicator_set_text, parse_indicator_set
from calibrate.sample.spec import EXTRA_SHARE, SampleSpec


def extra_indicator_set_dict(spec: SampleSpec) -> dict:
    """The ``account_manager`` set plus the spec's extra indicators, as the YAML mapping.

    Each extra indicator joins a dimension (:data:`EXTRA_PATTERN`); a dimension keeps
    its template total (so every band still holds) and gives ``EXTRA_SHARE`` of it,
    in equal parts, to its extra indicators; the template's indicators share the
    rest in their template proportions. Weights are in units of 0.0001 and sum to 1.
    """
    raw = yaml.safe_load(indicator_set_text("account_manager"))
    plan = spec.extra_plan()
    extras = [
        {
            "id": row.indicator,
            "label": {"zh": f"扩展指标{row.indicator[4:]}", "en": f"Extra KPI {row.indicator[4:]}"},
            "dimension": row.dimension,
            "direction": row.direction,
            "unit": "score",
            "source": "performance",
            "compute": {"column": row.indicator},
            "review_period": "quarter",
            "description": "synthetic score 0-100; its true effect on growth is in truth.json",
        }
        for row in plan.itertuples()
    ]
    for dim in raw["dimensions"]:
        own = [i for i in raw["indicators"] if i["dimension"] == dim]
        new = [i for i in extras if i["dimension"] == dim]
        total = round(sum(i["weight"] for i in own) * 10_000)
        each = round(total * EXTRA_SHARE / len(new)) if new else 0
        rest = total - each * len(new)
        template_total = sum(i["weight"] for i in own)
        shares = [int(i["weight"] / template_total * rest) for i in own]
        shares[0] += rest - sum(shares)
        for ind, bp in zip(own, shares):
            ind["weight"] = bp / 10_000
        for ind in new:
            ind["weight"] = each / 10_000
    raw["indicators"] = raw["indicators"] + extras
    n = len(raw["indicators"])
    raw["name"] = f"account_manager_{n}"
    raw["label"] = {"zh": f"客户经理绩效指标（{n}项）", "en": f"Account manager indicators ({n})"}
    return raw


def extra_indicator_set(spec: SampleSpec) -> IndicatorSet:
    """The validated 8 + K indicator set of a spec with extra indicators."""
    return parse_indicator_set(extra_indicator_set_dict(spec), where=f"indicator_set_{8 + spec.extra_indicators}.yaml")


def extra_indicator_set_yaml(spec: SampleSpec) -> str:
    """The YAML text written beside a sample company with extra indicators."""
    n = 8 + spec.extra_indicators
    head = (
        f"# Indicator set of a synthetic company with {spec.extra_indicators} extra indicators "
        f"(written by calibrate.sample).\n# The 8 account-manager indicators plus kpi_01..kpi_"
        f"{spec.extra_indicators:02d}; {n} in all.\n"
    )
    return head + yaml.safe_dump(extra_indicator_set_dict(spec), allow_unicode=True, sort_keys=False)

"""Deal- and order-level exports (a CRM's deals, a finance system's orders) -> performance columns per manager-quarter.

A ``deals`` source has one row per deal: owner, customer, amount, close date, and
where the export has them, stage and profit. An *export profile* (YAML shipped in
``calibrate/profiles/``, chosen by ``profile:`` in the data spec) names the export's
headers; ``columns:`` in the spec adds to or overrides it, ``won:`` lists the stages
that count as won (rows with another stage are left out; without a stage column every
row counts).

Derived per manager and quarter of the close date, from won deals:

* ``revenue``: the sum of amounts; ``profit``: the sum of profits (when the export has them);
* ``new_customers``: customers whose first won deal in the whole export falls in that
  quarter with that manager; ``new_customer_revenue``: those customers' won amounts in
  that quarter;
* ``customers_with_deals``: distinct customers with a won deal.

Deals before the performance table's first quarter count only to tell new customers
from old ones. Manager-quarters of the performance table without a won deal get 0.
The owner is matched to a ``manager_id``, or else to a manager's ``name``.

>>> profile = load_profile("zoho_deals"); profile["columns"]["Deal Owner"]
'owner'
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from calibrate.errors import ConfigError, DataSourceError, Problem, ValidationError
from calibrate.io import RawTable, read_source
from calibrate.periods import period_start
from calibrate.sources import map_columns

FIELDS = ("owner", "customer", "amount", "close_date", "stage", "profit", "deal")
REQUIRED = ("owner", "customer", "amount", "close_date")
DERIVED = ("revenue", "profit", "new_customers", "new_customer_revenue", "customers_with_deals")
_SPEC_KEYS = {"profile", "columns", "won"}


def available_profiles() -> list[str]:
    """Names of the export profiles shipped with calibrate."""
    folder = resources.files("calibrate") / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_profile(name: str) -> dict[str, Any]:
    """An export profile: ``columns`` (export header -> deal field), ``optional`` headers, ``won`` stages."""
    if name not in available_profiles():
        raise ConfigError(f"unknown deals profile '{name}' (available: {', '.join(available_profiles())})")
    text = (resources.files("calibrate") / "profiles" / f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def read_deals(spec: Any, *, base_dir: str | Path = ".") -> tuple[RawTable, list[str]]:
    """Read a deals export and rename its headers to the deal fields; returns the table and the won stages."""
    if not isinstance(spec, dict):
        spec = {"path": spec}
    where = {k: v for k, v in spec.items() if k not in _SPEC_KEYS}
    profile = load_profile(str(spec["profile"])) if spec.get("profile") else {"columns": {}, "won": []}
    table = read_source(where, base_dir=base_dir)
    present = set(table.frame.columns)
    optional = set(profile.get("optional", []))
    mapping = {h: f for h, f in profile["columns"].items() if h in present or h not in optional}
    mapping = {h: f for h, f in mapping.items() if h in present or f in REQUIRED}
    given = spec.get("columns") or {}
    if not isinstance(given, dict):
        raise DataSourceError(f"{table.info.label}: 'columns' must map the export's headers to deal fields")
    overridden = set(given.values())
    mapping = {h: f for h, f in mapping.items() if f not in overridden}
    mapping.update({str(h): str(f) for h, f in given.items()})
    bad = sorted(set(mapping.values()) - set(FIELDS))
    if bad:
        raise DataSourceError(
            f"{table.info.label}: unknown deal field(s) {', '.join(bad)} (deal fields: {', '.join(FIELDS)})"
        )
    absent = [h for h, f in mapping.items() if h not in present]
    if absent:
        profile_text = f" (profile {spec['profile']})" if spec.get("profile") else ""
        raise DataSourceError(
            f"{table.info.label}: the export has no column {', '.join(map(repr, absent))}"
            f"{profile_text}; map the export's own header with columns: {{<header>: "
            f"{mapping[absent[0]]}}} (headers: {', '.join(map(str, table.frame.columns))})"
        )
    table = map_columns(table, mapping)
    missing = [f for f in REQUIRED if f not in table.frame.columns]
    if missing:
        raise DataSourceError(
            f"{table.info.label}: deals need the field(s) {', '.join(missing)}: choose a profile "
            f"({', '.join(available_profiles())}) or map headers with columns: {{<header>: <field>}}"
        )
    won = spec.get("won", profile.get("won", []))
    return table, [str(s) for s in (won if isinstance(won, list) else [won])]


def derive_performance(deals: RawTable, won: list[str], managers: pd.DataFrame) -> pd.DataFrame:
    """Per manager and quarter (columns ``manager_id, period``): the :data:`DERIVED` columns from won deals.

    ``managers`` holds ``manager_id`` and, to match owners by name, ``name``. Raises
    :class:`ValidationError` naming the row and header of every unreadable cell or unknown owner.
    """
    frame, info = deals.frame, deals.info
    problems: list[Problem] = []
    amount = _numbers(frame["amount"], "amount", info, problems)
    profit = _numbers(frame["profit"], "profit", info, problems) if "profit" in frame else None
    dates = _dates(frame["close_date"], info, problems)
    manager = _owners(frame["owner"], managers, info, problems)
    customer = frame["customer"].astype("string").str.strip()
    for pos in np.flatnonzero(customer.isna().to_numpy() | (customer == "").to_numpy())[:50]:
        problems.append(
            Problem(info.label, info.row_number(pos), info.header("customer"), "value is missing", code="value_missing")
        )
    if problems:
        raise ValidationError(problems)
    if "stage" in frame and won:
        is_won = frame["stage"].astype("string").str.strip().isin(won).to_numpy(dtype=bool)
    else:
        is_won = np.ones(len(frame), dtype=bool)
    d = pd.DataFrame(
        {
            "manager_id": manager,
            "customer": customer.to_numpy(),
            "amount": amount,
            "date": dates,
            "order": np.arange(len(frame)),
        }
    )
    if profit is not None:
        d["profit"] = profit
    d = d[is_won].sort_values(["date", "order"], kind="stable")
    d["period"] = [f"{t.year}Q{(t.month - 1) // 3 + 1}" for t in d["date"]]
    first = d.drop_duplicates("customer", keep="first")
    new_key = first["customer"] + "|" + first["manager_id"] + "|" + first["period"]
    d["is_new"] = (d["customer"] + "|" + d["manager_id"] + "|" + d["period"]).isin(set(new_key))
    g = d.groupby(["manager_id", "period"])
    out = pd.DataFrame({"revenue": g["amount"].sum()})
    if profit is not None:
        out["profit"] = g["profit"].sum()
    out["new_customers"] = first.groupby(["manager_id", "period"]).size().reindex(out.index, fill_value=0)
    out["new_customer_revenue"] = (
        d[d["is_new"]].groupby(["manager_id", "period"])["amount"].sum().reindex(out.index, fill_value=0.0)
    )
    out["customers_with_deals"] = g["customer"].nunique()
    return out.reset_index()


def merge_into_performance(performance: RawTable, derived: pd.DataFrame, deals_label: str) -> RawTable:
    """Add the derived columns to the performance table's rows (0 where a manager-quarter had no won deal)."""
    frame = performance.frame
    clash = [c for c in derived.columns if c not in ("manager_id", "period") and c in frame.columns]
    if clash:
        raise DataSourceError(
            f"{performance.info.label} and {deals_label} both give {', '.join(clash)}: drop the column from one of them"
        )
    keys = pd.MultiIndex.from_arrays([frame["manager_id"].astype("string").str.strip(), frame["period"]])
    values = derived.set_index(["manager_id", "period"])
    out = frame.copy()
    for column in values.columns:
        out[column] = values[column].reindex(keys).fillna(0).to_numpy()
    headers = tuple(performance.info.headers) + tuple((c, f"{c} [{deals_label}]") for c in values.columns)
    return RawTable(out, dataclasses.replace(performance.info, headers=headers))


def _numbers(column: pd.Series, field: str, info, problems: list[Problem]) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        values = column.astype(float)
    else:
        text = column.astype("string").str.strip().str.replace(r"[,，¥￥$€\s]|RMB|CNY|元", "", regex=True)
        values = pd.to_numeric(text, errors="coerce").astype(float)
    bad = values.isna().to_numpy().copy()
    if field == "profit":
        bad &= column.notna().to_numpy() & (column.astype("string").str.strip() != "").fillna(False).to_numpy()
    for pos in np.flatnonzero(bad)[:50]:
        shown = column.iloc[pos]
        problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                info.header(field),
                "value is missing" if pd.isna(shown) else f"{shown!r} is not an amount",
                code="value_missing" if pd.isna(shown) else "not_an_amount",
                params={} if pd.isna(shown) else {"value": repr(shown)},
            )
        )
    return values.fillna(0).to_numpy()


def _dates(column: pd.Series, info, problems: list[Problem]) -> np.ndarray:
    codes, distinct = pd.factorize(column)
    starts = [period_start(v) or _other_date(v) for v in distinct]
    bad = [s is None for s in starts]
    for pos in np.flatnonzero(np.array(bad + [True])[codes])[:50]:
        shown = column.iloc[pos]
        problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                info.header("close_date"),
                "value is missing" if pd.isna(shown) else f"{shown!r} is not a date",
                code="value_missing" if pd.isna(shown) else "not_a_close_date",
                params={} if pd.isna(shown) else {"value": repr(shown)},
            )
        )
    values = pd.DatetimeIndex([s if s is not None else pd.NaT for s in starts] + [pd.NaT])
    return np.asarray(values[codes])


def _other_date(value: object) -> pd.Timestamp | None:
    """Dates written another way (``10/01/2024`` month first, as US CRM exports do; ``Oct 1, 2024``)."""
    if pd.isna(value):
        return None
    stamp = pd.to_datetime(str(value).strip(), errors="coerce")
    return None if pd.isna(stamp) else pd.Timestamp(stamp).normalize()


def _owners(column: pd.Series, managers: pd.DataFrame, info, problems: list[Problem]) -> np.ndarray:
    ids = managers["manager_id"].astype("string").str.strip()
    lookup = {i: i for i in ids.dropna()}
    if "name" in managers:
        names = managers["name"].astype("string").str.strip()
        counts = names.value_counts()
        for name, manager_id in zip(names, ids):
            if pd.notna(name) and counts.get(name, 0) == 1 and name not in lookup:
                lookup[name] = manager_id
    owner = column.astype("string").str.strip()
    mapped = owner.map(lookup)
    for pos in np.flatnonzero(mapped.isna().to_numpy())[:50]:
        shown = column.iloc[pos]
        problems.append(
            Problem(
                info.label,
                info.row_number(pos),
                info.header("owner"),
                "value is missing"
                if pd.isna(shown)
                else f"owner {shown!r} is neither a manager_id nor a (unique) name in the managers table",
                code="value_missing" if pd.isna(shown) else "unknown_owner",
                params={} if pd.isna(shown) else {"value": repr(shown)},
            )
        )
    return mapped.astype(object).to_numpy()

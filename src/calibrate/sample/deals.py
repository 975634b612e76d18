"""The sample company's CRM deals export (``deals.csv``, Chinese CRM headers), consistent with its performance table.

Each manager-quarter's won deals add up, to the cent, to the performance table's
``revenue`` and ``profit``; each new customer has exactly one won deal in the quarter
it was won, and those deals add up to ``new_customer_revenue``. Deals with customers
the manager already had go to customers whose first deal is dated in the quarter
before the data starts (the export's history). Lost deals (阶段 输单) are mixed in
and must be left out. Deriving the performance columns from this export
(:func:`calibrate.deals.derive_performance`) therefore gives the table back exactly:
a test checks it.

Draws come from their own stream (``SeedSequence(seed).spawn(7)[6]``): the other
sample tables do not change.

>>> from calibrate.sample import SampleSpec, generate_company
>>> c = generate_company(SampleSpec(n_managers=10, n_quarters=8, truth_replications=5), seed=1)
>>> list(deals_export(c.tables, seed=1).columns)
['商机编号', '负责人', '负责人工号', '客户名称', '成交金额', '毛利', '结单日期', '阶段']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate.periods import quarter_from_index, quarter_index

WON, LOST = "赢单", "输单"


def deals_export(tables: dict[str, pd.DataFrame], seed: int) -> pd.DataFrame:
    """One row per deal: id, owner name and id, customer, amount and profit (万元, two decimals), close date, stage."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(7)[6])
    perf = tables["performance"].sort_values(["manager_id", "period"], kind="stable").reset_index(drop=True)
    managers = tables["managers"].set_index("manager_id")
    q = quarter_index(perf["period"])
    revenue = np.rint(perf["revenue"].to_numpy(float) * 100).astype(np.int64)
    profit = np.rint(perf["profit"].to_numpy(float) * 100).astype(np.int64)
    new_rev = np.rint(perf["new_customer_revenue"].to_numpy(float) * 100).astype(np.int64)
    n_new = perf["new_customers"].to_numpy(np.int64)
    old_rev = revenue - new_rev
    # existing customers of each manager: as many as at the start of their first quarter (at least one)
    first_rows = ~perf["manager_id"].duplicated().to_numpy()
    pool = dict(zip(perf["manager_id"][first_rows], np.maximum(1, perf["customers_start"][first_rows].to_numpy())))
    n_old = np.where(old_rev > 0, 1 + np.floor(rng.random(len(perf)) * 3).astype(np.int64), 0)
    n_old = np.where((n_old == 0) & (n_new == 0) & (profit != 0), 1, n_old)  # profit with no sale: one deal
    # deals of each row: its new customers first, then its existing customers
    per_row = n_new + n_old
    row = np.repeat(np.arange(len(perf)), per_row)
    within = np.arange(len(row)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    is_new = within < n_new[row]
    share = rng.random(len(row)) + 0.05
    amount = np.zeros(len(row), dtype=np.int64)
    for mask, total in ((is_new, new_rev), (~is_new, old_rev)):
        amount[mask] = _split(total, row[mask], share[mask], len(perf))
    gross = np.where(revenue[row] > 0, amount, 1)
    deal_profit = _split(profit, row, gross.astype(float), len(perf))
    manager = perf["manager_id"].to_numpy()[row]
    sizes = np.array([pool[m] for m in manager], dtype=np.int64)
    old_pick = np.floor(rng.random(len(row)) * sizes).astype(np.int64)
    new_seq = np.cumsum(is_new) - 1
    customer = np.where(
        is_new,
        [f"{m}-N{k:05d}" for m, k in zip(manager, new_seq)],
        [f"{m}-C{k:03d}" for m, k in zip(manager, old_pick)],
    )
    day = _day_in_quarter(q[row], rng.random(len(row)))
    won = pd.DataFrame(
        {
            "manager_id": manager,
            "customer": customer,
            "amount": amount,
            "profit": deal_profit,
            "date": day,
            "stage": WON,
        }
    )
    # history: one won deal per existing customer, in the quarter before the data starts
    before = int(q.min()) - 1
    hist_m = np.repeat(np.array(list(pool)), np.array(list(pool.values())))
    hist_k = np.concatenate([np.arange(n) for n in pool.values()])
    hist_amount = 100 + np.floor(rng.random(len(hist_m)) * 5000).astype(np.int64)
    history = pd.DataFrame(
        {
            "manager_id": hist_m,
            "customer": [f"{m}-C{k:03d}" for m, k in zip(hist_m, hist_k)],
            "amount": hist_amount,
            "profit": hist_amount // 5,
            "date": _day_in_quarter(np.full(len(hist_m), before), rng.random(len(hist_m))),
            "stage": WON,
        }
    )
    # lost deals: about one in three manager-quarters, with existing customers
    lost_rows = np.flatnonzero(rng.random(len(perf)) < 0.35)
    lost_m = perf["manager_id"].to_numpy()[lost_rows]
    lost = pd.DataFrame(
        {
            "manager_id": lost_m,
            "customer": [f"{m}-C{int(u * pool[m]):03d}" for m, u in zip(lost_m, rng.random(len(lost_m)))],
            "amount": 100 + np.floor(rng.random(len(lost_rows)) * 20000).astype(np.int64),
            "profit": 0,
            "date": _day_in_quarter(q[lost_rows], rng.random(len(lost_rows))),
            "stage": LOST,
        }
    )
    deals = pd.concat([history, won, lost], ignore_index=True).sort_values("date", kind="stable")
    deals = deals.reset_index(drop=True)
    return pd.DataFrame(
        {
            "商机编号": [f"D{k + 1:07d}" for k in range(len(deals))],
            "负责人": deals["manager_id"].map(managers["name"]).to_numpy(),
            "负责人工号": deals["manager_id"].to_numpy(),
            "客户名称": deals["customer"].to_numpy(),
            "成交金额": [_money(c) for c in deals["amount"]],
            "毛利": [_money(c) for c in deals["profit"]],
            "结单日期": deals["date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "阶段": deals["stage"].to_numpy(),
        }
    )


def _split(total: np.ndarray, row: np.ndarray, share: np.ndarray, rows: int) -> np.ndarray:
    """Whole cents ``total[r]`` split over the deals of row r in proportion to ``share``; the last deal takes the rest."""
    if len(row) == 0:
        return np.zeros(0, dtype=np.int64)
    weight_sum = np.bincount(row, weights=share, minlength=rows)
    parts = np.floor(total[row] * (share / weight_sum[row])).astype(np.int64)
    last = np.r_[row[1:] != row[:-1], True]
    given = np.bincount(row, weights=parts, minlength=rows).astype(np.int64)
    parts[last] += (total - given)[row[last]]
    return parts


def _day_in_quarter(q: np.ndarray, u: np.ndarray) -> pd.Series:
    starts = pd.to_datetime(pd.Series([f"{quarter_from_index(int(i))[:4]}-{(int(i) % 4) * 3 + 1:02d}-01" for i in q]))
    return starts + pd.to_timedelta(np.floor(u * 90).astype(np.int64), unit="D")


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(int(cents)) // 100}.{abs(int(cents)) % 100:02d}"

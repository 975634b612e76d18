"""A synthetic company whose truth is known, so every method can be checked for recovering it.

The generator simulates account managers quarter by quarter:

* revenue is a random walk in logs with a manager's own annual growth ``g_i``
  (drawn from a known team distribution), seasonality, a shock shared by all
  managers of a region, heavy-tailed (Student-t) idiosyncratic noise, a ramp for
  new hires, and the *true effects* of last quarter's NPS, share of satisfied
  customers and 360 ratings;
* customers are lost each quarter with a logistic probability that depends on
  last quarter's NPS, satisfaction and collaboration;
* NPS and satisfaction are not drawn directly: customers answer a survey
  (0-10 recommendation, 1-5 satisfaction, some do not answer) and the indicators
  are computed from the answers exactly as :mod:`calibrate.panel` computes them;
* 360 ratings come from 5-8 raters per manager and half-year, with rater leniency;
* five experts give AHP pairwise judgments (one of them inconsistent);
* the company sets targets by opinion: last year's actual plus 10%.

Indicators are generated independently of each manager's base growth, so pooled
regressions of next-quarter growth and retention on the lagged indicators are
unbiased for the effects written to ``truth.json``. The truth file also holds,
for the final year, every manager's true probability of hitting the annual
revenue target (from re-simulating that year many times from the state at the
end of the year before), for the backtest of the target model.

>>> company = generate_company(SampleSpec(n_managers=40, n_quarters=8), seed=1)
>>> sorted(company.tables)[:3]
['ahp_judgments', 'last_year_weights', 'managers']
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from calibrate.indicators import load_indicator_set
from calibrate.periods import quarter_from_index, quarter_index

REGIONS = ("华东", "华北", "华南", "华中", "西部")
REGION_SHARES = (0.30, 0.22, 0.20, 0.15, 0.13)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰"
SATISFIED = 4  # a 1-5 answer of 4 or 5 counts as satisfied


@dataclass(frozen=True)
class SampleSpec:
    """Size and true parameters of the synthetic company. Money is in 10k CNY (万元) per quarter."""

    n_managers: int = 400
    n_quarters: int = 12
    first_quarter: str = "2023Q1"
    key_account_share: float = 0.15
    new_hire_share: float = 0.18        # hired during the panel
    leaver_share: float = 0.04          # leave before the final year
    # revenue process (quarterly, log scale)
    growth_mean: float = 0.08           # team mean of managers' annual growth g_i
    growth_sd: float = 0.05             # spread of g_i across managers
    noise_sd: float = 0.06              # idiosyncratic quarterly shock (sd)
    noise_df: float = 5.0               # Student-t degrees of freedom (heavy tails)
    region_sd: float = 0.03             # quarterly region shock (sd), shared within a region
    season: tuple[float, float, float, float] = (-0.08, -0.01, 0.02, 0.07)
    base_median: float = 300.0          # full-productivity quarterly revenue, account manager
    base_sd: float = 0.35
    key_account_multiplier: float = 2.5
    ramp_amplitude: float = 0.75        # ramp(k) = 1 - amplitude * exp(-k / ramp_scale), k = tenure quarters
    ramp_scale: float = 3.0
    target_uplift: float = 0.10         # the company's opinion: last year + 10%
    # true effects of last quarter's indicators on this quarter's log revenue growth, per natural unit
    growth_effects: dict = field(default_factory=lambda: {
        "nps": 0.0007, "satisfaction": 0.06, "solution_innovation": 0.012, "collaboration": 0.003})
    # true effects on the log-odds of losing a customer in a quarter, per natural unit
    churn_effects: dict = field(default_factory=lambda: {
        "nps": -0.008, "satisfaction": -1.0, "solution_innovation": -0.05, "collaboration": -0.15})
    churn_base_rate: float = 0.05       # quarterly loss probability at the reference values
    reference: dict = field(default_factory=lambda: {
        "nps": 10.0, "satisfaction": 0.65, "solution_innovation": 3.4, "collaboration": 3.4})
    truth_replications: int = 400       # re-simulations of the final year for the true hit probabilities
    experts: int = 5


@dataclass(frozen=True)
class SampleCompany:
    tables: dict[str, pd.DataFrame]
    truth: dict
    truth_managers: pd.DataFrame


def generate_company(spec: SampleSpec = SampleSpec(), seed: int = 2025) -> SampleCompany:
    """Simulate the company. Deterministic for a given spec and seed."""
    streams = np.random.SeedSequence(seed).spawn(5)
    rng_traits, rng_panel, rng_ahp, rng_truth, rng_names = (np.random.default_rng(s) for s in streams)
    quarters = [quarter_from_index(quarter_index([spec.first_quarter])[0] + t) for t in range(spec.n_quarters)]
    managers, traits = _managers(spec, quarters, rng_traits, rng_names)
    sim = _Simulation(spec, traits, quarters)
    run = sim.run(rng_panel, reps=1, record=True)
    tables = {
        "managers": managers,
        "performance": run["performance"],
        "survey": run["survey"],
        "reviews": run["reviews"],
    }
    template = load_indicator_set("account_manager")
    last_weights = template.default_weights()
    tables["ahp_judgments"] = _ahp_judgments(list(template.ids), last_weights.to_numpy(), spec.experts, rng_ahp)
    tables["last_year_weights"] = pd.DataFrame({"indicator": last_weights.index, "weight": last_weights.to_numpy()})
    truth, truth_managers = _truth(spec, sim, run, traits, quarters, rng_truth, seed)
    return SampleCompany(tables, truth, truth_managers)


def write_sample(folder: str | Path, spec: SampleSpec = SampleSpec(), seed: int = 2025) -> dict[str, Path]:
    """Generate the company and write its files (the layout of ``data/sample/``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    company = generate_company(spec, seed)
    t = company.tables
    paths = {
        "managers": folder / "managers.csv",
        "performance": folder / "performance.csv",
        "survey": folder / "survey.parquet",
        "reviews": folder / "reviews_360.csv",
        "ahp_judgments": folder / "ahp_judgments.csv",
        "last_year_weights": folder / "last_year_weights.csv",
        "truth": folder / "truth.json",
        "truth_managers": folder / "truth_managers.csv",
        "config": folder / "calibrate.yaml",
    }
    t["managers"].to_csv(paths["managers"], index=False, encoding="utf-8")
    t["performance"].to_csv(paths["performance"], index=False, float_format="%.4f")
    t["survey"].to_parquet(paths["survey"], index=False)
    t["reviews"].to_csv(paths["reviews"], index=False)
    t["ahp_judgments"].to_csv(paths["ahp_judgments"], index=False)
    t["last_year_weights"].to_csv(paths["last_year_weights"], index=False, float_format="%.4f")
    paths["truth"].write_text(json.dumps(company.truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    company.truth_managers.to_csv(paths["truth_managers"], index=False, float_format="%.6f")
    paths["config"].write_text(SAMPLE_CONFIG.format(year=int(company.truth["final_year"]["year"]), seed=seed),
                               encoding="utf-8")
    return paths


SAMPLE_CONFIG = """\
# Run configuration for the synthetic sample company (written by `calibrate sample`).
# Data paths are relative to this file; `output` is relative to where the command runs.
run_name: sample
year: {year}
lang: zh
seed: {seed}
indicator_set: account_manager
data:
  managers: managers.csv
  performance: performance.csv
  survey: survey.parquet
  reviews: reviews_360.csv
  ahp_judgments: ahp_judgments.csv
  last_year_weights: last_year_weights.csv
output: reports
privacy:
  pseudonymise: true
"""


# --------------------------------------------------------------------------- managers and traits

def _managers(spec: SampleSpec, quarters: list[str], rng: np.random.Generator,
              rng_names: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    n, nq = spec.n_managers, spec.n_quarters
    ids = np.array([f"M{k:04d}" for k in range(1, n + 1)])
    region = rng.choice(len(REGIONS), size=n, p=REGION_SHARES)
    key_account = rng.random(n) < spec.key_account_share
    # hire quarter relative to the panel start: veterans negative (long tenure), new hires 1..nq-1
    new_hire = rng.random(n) < spec.new_hire_share
    hire_q = np.where(new_hire, rng.integers(1, nq, size=n), -rng.integers(6, 48, size=n))
    leave_possible = (~new_hire) & (rng.random(n) < spec.leaver_share)
    final_year_start = nq - 4
    leave_q = np.where(leave_possible, rng.integers(2, max(final_year_start, 3), size=n), nq)  # first absent quarter
    start_idx = quarter_index([spec.first_quarter])[0]
    hire_date = [_quarter_start(start_idx + q) + pd.Timedelta(days=int(d))
                 for q, d in zip(hire_q, rng.integers(0, 80, size=n))]
    leave_date = [(_quarter_start(start_idx + q) - pd.Timedelta(days=1)).date().isoformat() if q < nq else ""
                  for q in leave_q]
    names = [SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c % 3 else "")
             for a, b, c in zip(rng_names.integers(0, len(SURNAMES), n), rng_names.integers(0, len(GIVEN), n),
                                rng_names.integers(0, len(GIVEN), n))]
    managers = pd.DataFrame({
        "manager_id": ids,
        "name": names,
        "region": [REGIONS[r] for r in region],
        "level": np.where(key_account, "key_account_director", "account_manager"),
        "hire_date": [d.date().isoformat() for d in hire_date],
        "leave_date": leave_date,
    })
    traits = {
        "manager_id": ids,
        "region": region,
        "hire_q": hire_q,
        "leave_q": leave_q,
        "growth": rng.normal(spec.growth_mean, spec.growth_sd, n),
        "base": spec.base_median * np.exp(rng.normal(0, spec.base_sd, n))
        * np.where(key_account, spec.key_account_multiplier, 1.0),
        "cx": rng.normal(0, 1, n),              # persistent customer experience
        "innovation": rng.normal(0, 1, n),
        "collaboration": rng.normal(0, 1, n),
        "margin": np.clip(rng.normal(0.22, 0.04, n), 0.05, 0.45),
        "customers": np.where(key_account, 8 + rng.poisson(10, n), 15 + rng.poisson(20, n)),
        "win_rate": rng.gamma(4.0, 0.5, n),     # expected new customers per quarter at full productivity
    }
    return managers, traits


def _quarter_start(index: int) -> pd.Timestamp:
    return pd.Timestamp(year=int(index // 4), month=int(index % 4) * 3 + 1, day=1)


# --------------------------------------------------------------------------- the quarterly simulation

class _Simulation:
    """Quarter-by-quarter simulation over units = (replication, manager)."""

    def __init__(self, spec: SampleSpec, traits: dict, quarters: list[str]):
        self.spec, self.traits, self.quarters = spec, traits, quarters
        self.n = len(traits["manager_id"])
        n_regions = len(REGIONS)
        self.n_regions = n_regions
        self.rater_pool = {r: np.array([f"R{r + 1}{k:04d}" for k in range(int((traits["region"] == r).sum() * 1.6) + 8)])
                           for r in range(n_regions)}

    def ramp(self, tenure_q: np.ndarray) -> np.ndarray:
        s = self.spec
        return 1.0 - s.ramp_amplitude * np.exp(-np.maximum(tenure_q, 0) / s.ramp_scale)

    def run(self, rng: np.random.Generator, *, reps: int, record: bool, start_state: dict | None = None,
            first_t: int = 0) -> dict:
        """Simulate quarters ``first_t..n_quarters-1`` for ``reps`` replications of every manager."""
        s, tr, n = self.spec, self.traits, self.n
        units = reps * n
        m = np.tile(np.arange(n), reps)              # manager of each unit
        rep = np.repeat(np.arange(reps), n)
        if start_state is None:
            state = {
                "level": rng.normal(0, 0.08, units),  # random-walk component of log revenue
                "customers": tr["customers"][m].astype(np.int64),
                "prev": None,                        # last quarter's observed indicators
                "history": [],                       # (t, revenue) per quarter, for targets
            }
        else:
            state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in start_state.items()}
            state["level"] = np.tile(start_state["level"], reps)
            state["customers"] = np.tile(start_state["customers"], reps)
            state["prev"] = {k: np.tile(v, reps) for k, v in start_state["prev"].items()}
            state["history"] = [(t, np.tile(r, reps)) for t, r in start_state["history"]]
        perf_rows, survey_rows, review_rows = [], [], []
        half_cache: dict = {}
        snapshots = {}
        for t in range(first_t, s.n_quarters):
            q = t % 4
            active = (tr["hire_q"][m] <= t) & (tr["leave_q"][m] > t)
            tenure = t - tr["hire_q"][m]
            ramp = self.ramp(tenure)
            # revenue
            region_shock = rng.normal(0, s.region_sd, (reps, self.n_regions))[rep, tr["region"][m]]
            noise = rng.standard_t(s.noise_df, units) * s.noise_sd / np.sqrt(s.noise_df / (s.noise_df - 2))
            effect = self._effect(state["prev"], s.growth_effects, units)
            if t > 0:
                state["level"] = state["level"] + tr["growth"][m] / 4 + region_shock + noise + effect
            log_rev = np.log(tr["base"][m]) + np.log(ramp) + s.season[q] + state["level"]
            revenue = np.exp(log_rev)
            target = self._target(t, state["history"], m, ramp, tenure)
            # customers and churn
            churn_logit = np.log(s.churn_base_rate / (1 - s.churn_base_rate)) + self._effect(
                state["prev"], s.churn_effects, units)
            p_lost = expit(churn_logit)
            customers = np.maximum(state["customers"], 3)
            lost = rng.binomial(customers, p_lost)
            key = np.maximum(np.round(customers * 0.2).astype(np.int64), 2)
            key_lost = rng.binomial(key, p_lost * 0.8)
            new_customers = rng.poisson(tr["win_rate"][m])
            new_share = np.clip(new_customers * rng.uniform(0.02, 0.06, units), 0, 0.6)
            state["customers"] = np.where(active, customers - lost + new_customers, state["customers"])
            profit = revenue * np.clip(tr["margin"][m] + rng.normal(0, 0.02, units), -0.1, 0.6)
            # indicators observed this quarter (they act on next quarter)
            survey, nps, satisfied = self._survey(t, m, rng, record)
            half = t // 2
            if half not in half_cache:
                half_cache[half] = self._reviews(t, m, rng, record)
            reviews, innovation, collaboration = half_cache[half]
            state["prev"] = {"nps": nps, "satisfaction": satisfied,
                             "solution_innovation": innovation, "collaboration": collaboration}
            state["history"].append((t, np.where(active, revenue, np.nan)))
            snapshots[t] = {"revenue": revenue, "target": target, "active": active,
                            "indicators": {k: np.where(active, v, np.nan) for k, v in state["prev"].items()}}
            if record:
                idx = np.flatnonzero(active)
                perf_rows.append(pd.DataFrame({
                    "manager_id": tr["manager_id"][m[idx]],
                    "period": self.quarters[t],
                    "revenue_target": np.round(target[idx], 2),
                    "revenue": np.round(revenue[idx], 2),
                    "profit": np.round(profit[idx], 2),
                    "new_customers": new_customers[idx],
                    "new_customer_target": np.maximum(np.round(tr["win_rate"][m[idx]] * 1.1), 1).astype(int),
                    "new_customer_revenue": np.round(revenue[idx] * new_share[idx], 2),
                    "customers_start": customers[idx],
                    "customers_lost": lost[idx],
                    "key_customers": key[idx],
                    "key_customers_lost": key_lost[idx],
                }))
                survey_rows.append(survey[survey["manager_id"].isin(set(tr["manager_id"][idx]))])
                if reviews is not None and t % 2 == 1:
                    review_rows.append(reviews[reviews["manager_id"].isin(set(tr["manager_id"][idx]))])
            if t == s.n_quarters - 5:
                snapshots["state_before_final_year"] = {
                    "level": state["level"].copy(), "customers": state["customers"].copy(),
                    "prev": {k: v.copy() for k, v in state["prev"].items()},
                    "history": [(tt, r.copy()) for tt, r in state["history"]],
                }
        out = {"snapshots": snapshots}
        if record:
            out["performance"] = pd.concat(perf_rows, ignore_index=True)
            out["survey"] = pd.concat(survey_rows, ignore_index=True)
            out["reviews"] = pd.concat(review_rows, ignore_index=True)
        return out

    def _effect(self, prev: dict | None, effects: dict, units: int) -> np.ndarray:
        if prev is None:
            return np.zeros(units)
        total = np.zeros(units)
        for name, beta in effects.items():
            x = prev[name] - self.spec.reference[name]
            total += beta * np.nan_to_num(x, nan=0.0)   # a missing indicator has no effect
        return total

    def _target(self, t: int, history: list, m: np.ndarray, ramp: np.ndarray, tenure: np.ndarray) -> np.ndarray:
        """The company's target: last year's de-seasonalised, de-ramped actual run-rate x season x ramp x uplift."""
        s, tr = self.spec, self.traits
        year_start = t - t % 4
        season = np.exp(s.season[t % 4])
        past = [(tt, r) for tt, r in history if year_start - 4 <= tt < year_start]
        if len(past) == 4:
            deseasoned = np.stack([r / np.exp(s.season[tt % 4]) / self.ramp(tt - tr["hire_q"][m]) for tt, r in past])
            quarters_seen = np.isfinite(deseasoned).sum(axis=0)
            run_rate = np.where(quarters_seen == 4, np.nansum(deseasoned, axis=0) / 4, np.nan)
        else:
            run_rate = np.full(len(m), np.nan)
        # no full year of history (first year, or a new hire): the planners' view of a typical manager
        fallback = np.median(tr["base"]) * np.where(tr["base"][m] > 2 * np.median(tr["base"]), s.key_account_multiplier, 1.0)
        own = tr["base"][m] * np.exp(s.growth_mean / 4 * t)
        plan = np.where(np.isfinite(run_rate), run_rate * (1 + s.target_uplift),
                        np.where(tenure >= 4, own * 1.02, fallback))
        return plan * season * ramp

    def _survey(self, t: int, m: np.ndarray, rng: np.random.Generator, record: bool):
        """Customer answers; returns (rows or None, NPS in points, share satisfied) per unit."""
        tr = self.traits
        units = len(m)
        cx_t = 0.6 * tr["cx"][m] + 0.8 * rng.standard_normal(units)
        sent = np.minimum(tr["customers"][m], 10 + rng.poisson(10, units))
        unit_of = np.repeat(np.arange(units), sent)
        k = len(unit_of)
        responded = rng.random(k) < 0.65
        z = rng.standard_normal(k)
        recommend = np.clip(np.round(7.7 + 1.2 * cx_t[unit_of] + 1.7 * z), 0, 10)
        satisfaction = np.clip(np.round(3.75 + 0.45 * cx_t[unit_of] + 0.45 * z + 0.55 * rng.standard_normal(k)), 1, 5)
        rec_given = responded & (rng.random(k) > 0.05)
        sat_given = responded & (rng.random(k) > 0.05)
        n_rec = np.bincount(unit_of, weights=rec_given, minlength=units)
        promoters = np.bincount(unit_of, weights=rec_given & (recommend >= 9), minlength=units)
        detractors = np.bincount(unit_of, weights=rec_given & (recommend <= 6), minlength=units)
        n_sat = np.bincount(unit_of, weights=sat_given, minlength=units)
        happy = np.bincount(unit_of, weights=sat_given & (satisfaction >= SATISFIED), minlength=units)
        with np.errstate(invalid="ignore", divide="ignore"):
            nps = np.where(n_rec > 0, 100.0 * (promoters - detractors) / n_rec, np.nan)
            satisfied = np.where(n_sat > 0, happy / n_sat, np.nan)
        rows = None
        if record:
            seq = np.arange(k) - np.repeat(np.cumsum(sent) - sent, sent)
            rows = pd.DataFrame({
                "manager_id": tr["manager_id"][m[unit_of]],
                "period": self.quarters[t],
                "customer_id": [f"C{mi + 1:04d}-{j + 1:02d}" for mi, j in zip(m[unit_of], seq)],
                "recommend": pd.array(np.where(rec_given, recommend, np.nan), dtype="Int64"),
                "satisfaction": pd.array(np.where(sat_given, satisfaction, np.nan), dtype="Int64"),
            })
        return rows, nps, satisfied

    def _reviews(self, t: int, m: np.ndarray, rng: np.random.Generator, record: bool):
        """360 ratings for the half-year containing quarter t: 5-8 raters x two criteria."""
        tr = self.traits
        units = len(m)
        raters = rng.integers(5, 9, units)
        unit_of = np.repeat(np.arange(units), raters)
        k = len(unit_of)
        lenience = rng.normal(0, 0.3, k)
        level_i = 0.8 * tr["innovation"][m] + 0.6 * rng.standard_normal(units)
        level_c = 0.8 * tr["collaboration"][m] + 0.6 * rng.standard_normal(units)
        score_i = np.clip(np.round(3.4 + 0.6 * level_i[unit_of] + lenience + rng.normal(0, 0.6, k)), 1, 5)
        score_c = np.clip(np.round(3.4 + 0.6 * level_c[unit_of] + lenience + rng.normal(0, 0.6, k)), 1, 5)
        innovation = np.bincount(unit_of, weights=score_i, minlength=units) / raters
        collaboration = np.bincount(unit_of, weights=score_c, minlength=units) / raters
        rows = None
        if record:
            year, half = int(self.quarters[t][:4]), 1 if int(self.quarters[t][-1]) <= 2 else 2
            rater_ids = []
            for u, r in zip(range(units), raters):
                pool = self.rater_pool[tr["region"][m[u]]]
                rater_ids.extend(rng.choice(pool, size=r, replace=False))
            roles = rng.choice(["peer", "subordinate", "supervisor", "cross_team"], size=k, p=[0.4, 0.25, 0.15, 0.2])
            base = pd.DataFrame({"manager_id": tr["manager_id"][m[unit_of]], "period": f"{year}H{half}",
                                 "rater_id": rater_ids, "rater_role": roles})
            rows = pd.concat([base.assign(criterion="solution_innovation", score=score_i.astype(int)),
                              base.assign(criterion="collaboration", score=score_c.astype(int))], ignore_index=True)
        return rows, innovation, collaboration


# --------------------------------------------------------------------------- AHP experts

SAATY = np.array([1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9])
SAATY_TEXT = ["1/9", "1/8", "1/7", "1/6", "1/5", "1/4", "1/3", "1/2", "1", "2", "3", "4", "5", "6", "7", "8", "9"]


def _ahp_judgments(items: list[str], anchor: np.ndarray, experts: int, rng: np.random.Generator) -> pd.DataFrame:
    """Each expert perturbs the anchor weights and judges every pair with noise; the last is inconsistent."""
    rows = []
    for e in range(experts):
        noise = 0.55 if e == experts - 1 else 0.12
        w = anchor * np.exp(rng.normal(0, 0.25, len(items)))
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                ratio = np.log(w[i] / w[j]) * 1.8 + rng.normal(0, noise)   # experts exaggerate differences
                k = int(np.argmin(np.abs(np.log(SAATY) - ratio)))
                rows.append({"expert": f"E{e + 1}", "row": items[i], "col": items[j], "value": SAATY_TEXT[k]})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the truth

def _truth(spec: SampleSpec, sim: _Simulation, run: dict, traits: dict, quarters: list[str],
           rng: np.random.Generator, seed: int) -> tuple[dict, pd.DataFrame]:
    final = list(range(spec.n_quarters - 4, spec.n_quarters))
    snaps = run["snapshots"]
    full_year = np.all(np.stack([snaps[t]["active"] for t in final]), axis=0)
    annual_target = sum(snaps[t]["target"] for t in final)
    annual_actual = sum(snaps[t]["revenue"] for t in final)
    # re-simulate the final year from the state at the end of the year before
    reps = spec.truth_replications
    rerun = sim.run(rng, reps=reps, record=False, start_state=snaps["state_before_final_year"],
                    first_t=spec.n_quarters - 4)
    n = sim.n
    rep_actual = sum(rerun["snapshots"][t]["revenue"] for t in final).reshape(reps, n)
    rep_target = sum(rerun["snapshots"][t]["target"] for t in final).reshape(reps, n)
    hit = rep_actual >= rep_target
    p_hit = hit.mean(axis=0)
    share_hit = hit[:, full_year].mean(axis=1)
    truth_managers = pd.DataFrame({
        "manager_id": traits["manager_id"],
        "annual_growth": traits["growth"],
        "base_quarterly_revenue": traits["base"],
        "hire_quarter": [quarter_from_index(quarter_index([spec.first_quarter])[0] + int(h)) for h in traits["hire_q"]],
        "customer_experience": traits["cx"],
        "innovation": traits["innovation"],
        "collaboration": traits["collaboration"],
        "final_year_full": full_year,
        "final_year_target": np.round(annual_target, 2),
        "final_year_actual": np.round(annual_actual, 2),
        "final_year_p_hit": p_hit,
    })
    s = spec
    observed = {k: np.concatenate([snaps[t]["indicators"][k] for t in range(spec.n_quarters)])
                for k in s.growth_effects}
    sd = {k: float(np.nanstd(v)) for k, v in observed.items()}
    standardised_growth = {k: s.growth_effects[k] * sd[k] for k in s.growth_effects}
    standardised_churn = {k: s.churn_effects[k] * sd[k] for k in s.churn_effects}
    ordering_growth = sorted(standardised_growth, key=lambda k: -abs(standardised_growth[k]))
    ordering_churn = sorted(standardised_churn, key=lambda k: -abs(standardised_churn[k]))
    truth = {
        "seed": seed,
        "spec": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(spec).items()},
        "revenue_model": (
            "log revenue[i,t] = log base[i] + log ramp(tenure) + season[q] + level[i,t]; "
            "level[i,t] = level[i,t-1] + growth[i]/4 + region_shock[r,t] + noise[i,t] "
            "+ sum_k growth_effects[k] * (x_k[i,t-1] - reference[k]); noise ~ Student-t(noise_df) scaled to noise_sd"),
        "churn_model": ("customers_lost[i,t] ~ Binomial(customers_start[i,t], p); logit p = logit(churn_base_rate) "
                        "+ sum_k churn_effects[k] * (x_k[i,t-1] - reference[k])"),
        "outcomes": {
            "revenue_growth": "log(revenue[t] / revenue[t-1]) of the same manager, which includes the season change",
            "retention": "1 - customers_lost[t] / customers_start[t]",
        },
        "indicators_without_effect": ["revenue_attainment", "profit_margin", "new_customer_contribution",
                                      "key_customer_churn"],
        "indicator_sd": sd,
        "standardised_effects": {"revenue_growth": standardised_growth, "churn_log_odds": standardised_churn},
        "importance_order": {"revenue_growth": ordering_growth, "retention": ordering_churn},
        "notes": ("Only nps, satisfaction, solution_innovation and collaboration act on next-quarter growth and "
                  "churn. revenue_attainment has no causal effect but partly reflects each manager's own growth "
                  "rate (targets add a flat 10%), so it predicts growth in a pooled regression; a model with "
                  "manager effects removes that. New hires grow fast while they ramp up."),
        "ramp": {"formula": "ramp(k) = 1 - ramp_amplitude * exp(-k / ramp_scale)",
                 "first_year_mean": float(np.mean(sim.ramp(np.arange(4)))),
                 "second_year_mean": float(np.mean(sim.ramp(np.arange(4, 8))))},
        "final_year": {
            "year": int(quarters[-1][:4]),
            "managers_full_year": int(full_year.sum()),
            "expected_share_hitting_annual_target": float(p_hit[full_year].mean()),
            "share_hitting_p5_p50_p95": [float(x) for x in np.quantile(share_hit, [0.05, 0.5, 0.95])],
            "realised_share_hitting_annual_target": float((annual_actual >= annual_target)[full_year].mean()),
            "replications": reps,
        },
    }
    return truth, truth_managers

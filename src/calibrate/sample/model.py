"""The simulated company: a synthetic company whose truth is known, so every method can be checked for recovering it.

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
* 360 ratings come from 5-8 raters of the manager's region per half-year; each
  rater has a lasting leniency (``SampleSpec.rater_leniency_sd``), recorded in
  ``truth_raters.csv``;
* five experts give AHP pairwise judgments (one of them inconsistent);
* an innovation committee accepts solutions: a yearly negative-binomial count per
  manager driven by the same innovation trait as the 360 ratings
  (:mod:`calibrate.sample.innovation`, from its own stream);
* the company sets targets by opinion: last year's actual plus 10%.

Indicators are generated independently of each manager's base growth, so pooled
regressions of next-quarter growth and retention on the lagged indicators are
unbiased for the effects written to ``truth.json``. The truth file also holds,
for the final year, every manager's true probability of hitting the annual
revenue target (from re-simulating that year many times from the state at the
end of the year before), for the backtest of the target model.

``SampleSpec(extra_indicators=K)`` adds K more indicators ``kpi_01..kpi_K``
(scores 0-100, columns of the performance table) drawn from their own random
stream, a few of which act on next-quarter growth (:data:`EXTRA_PATTERN`); the
company then comes with an indicator set of all 8 + K indicators
(``indicator_set_<8+K>.yaml``). The other draws are untouched by the option.

Reproducible through our own streams: one ``SeedSequence`` per company, a child
stream per job (traits, panel, AHP, truth, names; the extra indicators a sixth),
and discrete draws written in :mod:`calibrate.sample.draws` rather than taken from
``Generator.choice``, whose algorithm numpy may change.

Large companies (say 100,000 managers x 12 quarters) are generated with
vectorised code throughout; the re-simulation behind the truth file runs in
blocks of replications so that memory stays bounded (see :func:`_final_year_hits`).

>>> company = generate_company(SampleSpec(n_managers=40, n_quarters=8, truth_replications=5), seed=1)
>>> sorted(company.tables)[:3]
['ahp_judgments', 'innovation', 'last_year_weights']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import expit

from calibrate.indicators import IndicatorSet, load_indicator_set
from calibrate.periods import quarter_from_index, quarter_index
from calibrate.sample.draws import choose_without_replacement, weighted_choice
from calibrate.sample.indicator_set import extra_indicator_set
from calibrate.sample.innovation import committee_table
from calibrate.sample.spec import (
    GIVEN,
    KPI_MEAN,
    KPI_PERSISTENCE,
    KPI_SD,
    REGION_SHARES,
    REGIONS,
    ROLE_SHARES,
    ROLES,
    SATISFIED,
    SURNAMES,
    SampleSpec,
)
from calibrate.sample.truth import company_truth


@dataclass(frozen=True)
class SampleCompany:
    """The generated tables (as ``load_dataset`` expects them), the truth dict and the per-manager truth.

    ``indicator_set`` is the set the company is scored with: the ``account_manager``
    template, or with extra indicators the 8 + K set of :func:`extra_indicator_set`.
    ``truth_raters`` holds every 360 rater's true leniency (rating points).
    """

    tables: dict[str, pd.DataFrame]
    truth: dict
    truth_managers: pd.DataFrame
    indicator_set: IndicatorSet | None = None
    truth_raters: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per table: its name, rows and columns."""
        return pd.DataFrame([{"table": k, "rows": len(v), "columns": v.shape[1]} for k, v in self.tables.items()])


def generate_company(spec: SampleSpec = SampleSpec(), seed: int = 2025) -> SampleCompany:
    """Simulate the company. Deterministic for a given spec and seed."""
    root = np.random.SeedSequence(seed)
    streams = root.spawn(5)
    rng_traits, rng_panel, rng_ahp, rng_truth, rng_names = (np.random.default_rng(s) for s in streams)
    # the extra indicators draw from a sixth child stream only: the five above are untouched by the option
    extra = _ExtraStreams(root.spawn(1)[0]) if spec.extra_indicators else None
    quarters = [quarter_from_index(quarter_index([spec.first_quarter])[0] + t) for t in range(spec.n_quarters)]
    managers, traits = _managers(spec, quarters, rng_traits, rng_names)
    if extra is not None:
        traits["kpi"] = extra.traits.standard_normal((spec.n_managers, spec.extra_indicators))
    sim = _Simulation(spec, traits, quarters)
    run = sim.run(rng_panel, reps=1, record=True, rng_extra=extra.panel if extra else None)
    tables = {
        "managers": managers,
        "performance": run["performance"],
        "survey": run["survey"],
        "reviews": run["reviews"],
    }
    template = extra_indicator_set(spec) if extra is not None else load_indicator_set("account_manager")
    last_weights = template.default_weights()
    if extra is None:
        tables["ahp_judgments"] = _ahp_judgments(list(template.ids), last_weights.to_numpy(), spec.experts, rng_ahp)
    else:
        # one AHP matrix holds at most 15 items (Saaty's random index): the larger set is judged as a hierarchy
        tables["ahp_judgments"] = _ahp_hierarchical_judgments(template, last_weights, spec.experts, rng_ahp)
    tables["last_year_weights"] = pd.DataFrame({"indicator": last_weights.index, "weight": last_weights.to_numpy()})
    truth, truth_managers, truth_raters = company_truth(
        spec, sim, run, traits, quarters, rng_truth, seed, extra.truth if extra else None
    )
    # the innovation committee's yearly counts: their own stream, after everything else
    tables["innovation"], truth["innovation_committee"] = committee_table(traits, quarters, seed)
    return SampleCompany(tables, truth, truth_managers, template, truth_raters)


class _ExtraStreams:
    """Child streams of the extra indicators: traits, the recorded panel, the truth re-simulation."""

    def __init__(self, seq: np.random.SeedSequence):
        self.traits, self.panel, self.truth = (np.random.default_rng(s) for s in seq.spawn(3))


# --------------------------------------------------------------------------- managers and traits


def _managers(
    spec: SampleSpec, quarters: list[str], rng: np.random.Generator, rng_names: np.random.Generator
) -> tuple[pd.DataFrame, dict]:
    n, nq = spec.n_managers, spec.n_quarters
    ids = np.array([f"M{k:04d}" for k in range(1, n + 1)])
    region = weighted_choice(rng, REGION_SHARES, n)
    key_account = rng.random(n) < spec.key_account_share
    # hire quarter relative to the panel start: veterans negative (long tenure), new hires 1..nq-1
    new_hire = rng.random(n) < spec.new_hire_share
    hire_q = np.where(new_hire, rng.integers(1, nq, size=n), -rng.integers(6, 48, size=n))
    leave_possible = (~new_hire) & (rng.random(n) < spec.leaver_share)
    final_year_start = nq - 4
    leave_q = np.where(leave_possible, rng.integers(2, max(final_year_start, 3), size=n), nq)  # first absent quarter
    start_idx = quarter_index([spec.first_quarter])[0]
    hire_date = _quarter_starts(start_idx + hire_q) + pd.to_timedelta(rng.integers(0, 80, size=n), unit="D")
    leave_date = np.where(leave_q < nq, _iso_dates(_quarter_starts(start_idx + leave_q) - pd.Timedelta(days=1)), "")
    names = [
        SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c % 3 else "")
        for a, b, c in zip(
            rng_names.integers(0, len(SURNAMES), n),
            rng_names.integers(0, len(GIVEN), n),
            rng_names.integers(0, len(GIVEN), n),
        )
    ]
    managers = pd.DataFrame(
        {
            "manager_id": ids,
            "name": names,
            "region": [REGIONS[r] for r in region],
            "level": np.where(key_account, "key_account_director", "account_manager"),
            "hire_date": _iso_dates(hire_date),
            "leave_date": list(leave_date),
        }
    )
    traits = {
        "manager_id": ids,
        "region": region,
        "hire_q": hire_q,
        "leave_q": leave_q,
        "growth": rng.normal(spec.growth_mean, spec.growth_sd, n),
        "base": spec.base_median
        * np.exp(rng.normal(0, spec.base_sd, n))
        * np.where(key_account, spec.key_account_multiplier, 1.0),
        "cx": rng.normal(0, 1, n),  # persistent customer experience
        "innovation": rng.normal(0, 1, n),
        "collaboration": rng.normal(0, 1, n),
        "margin": np.clip(rng.normal(0.22, 0.04, n), 0.05, 0.45),
        "customers": np.where(key_account, 8 + rng.poisson(10, n), 15 + rng.poisson(20, n)),
        "win_rate": rng.gamma(4.0, 0.5, n),  # expected new customers per quarter at full productivity
    }
    # every 360 rater of a region's pool has a lasting leniency (rating points added to each of their ratings)
    traits["rater_leniency"] = rng.normal(0, spec.rater_leniency_sd, int(rater_pool_sizes(region).sum()))
    return managers, traits


def rater_pool_sizes(region: np.ndarray) -> np.ndarray:
    """360 raters in each region's pool: 1.6 per manager of the region, plus 8."""
    counts = np.bincount(np.asarray(region, dtype=np.int64), minlength=len(REGIONS))
    return (counts * 1.6).astype(np.int64) + 8


def rater_ids(region: np.ndarray) -> np.ndarray:
    """Ids of every region's raters, region by region: ``R<region number><4 digits>``."""
    return np.concatenate(
        [
            np.array([f"R{r + 1}{k:04d}" for k in range(size)], dtype=object)
            for r, size in enumerate(rater_pool_sizes(region))
        ]
    )


def _quarter_starts(index: np.ndarray) -> pd.DatetimeIndex:
    """First day of each quarter index (year * 4 + quarter - 1)."""
    index = np.asarray(index, dtype=np.int64)
    months = (index // 4 - 1970) * 12 + index % 4 * 3
    return pd.DatetimeIndex(months.astype("datetime64[M]").astype("datetime64[ns]"))


def _iso_dates(dates: pd.DatetimeIndex) -> np.ndarray:
    """YYYY-MM-DD text of each date (as ``date.isoformat()`` writes it)."""
    return np.asarray(dates.strftime("%Y-%m-%d"), dtype=object)


# --------------------------------------------------------------------------- the quarterly simulation


class _Simulation:
    """Quarter-by-quarter simulation over units = (replication, manager)."""

    def __init__(self, spec: SampleSpec, traits: dict, quarters: list[str]):
        self.spec, self.traits, self.quarters = spec, traits, quarters
        self.n = len(traits["manager_id"])
        n_regions = len(REGIONS)
        self.n_regions = n_regions
        sizes = rater_pool_sizes(traits["region"])
        self.pool_size, self.pool_offset = sizes, np.cumsum(sizes) - sizes
        self.pool_text = pd.array(rater_ids(traits["region"]), dtype="str")
        self.manager_text = pd.array(traits["manager_id"], dtype="str")
        self.extra = spec.extra_indicators
        if self.extra:
            plan = spec.extra_plan()
            self.extra_effects = plan["growth_effect"].to_numpy(dtype=float)

    def ramp(self, tenure_q: np.ndarray) -> np.ndarray:
        s = self.spec
        return 1.0 - s.ramp_amplitude * np.exp(-np.maximum(tenure_q, 0) / s.ramp_scale)

    def run(
        self,
        rng: np.random.Generator,
        *,
        reps: int,
        record: bool,
        start_state: dict | None = None,
        first_t: int = 0,
        rng_extra: np.random.Generator | None = None,
    ) -> dict:
        """Simulate quarters ``first_t..n_quarters-1`` for ``reps`` replications of every manager.

        ``rng_extra`` draws the extra indicators (needed when the spec has any); ``rng``
        draws everything else, in the same order with or without them.
        """
        s, tr, n = self.spec, self.traits, self.n
        units = reps * n
        m = np.tile(np.arange(n), reps)  # manager of each unit
        rep = np.repeat(np.arange(reps), n)
        if start_state is None:
            state = {
                "level": rng.normal(0, 0.08, units),  # random-walk component of log revenue
                "customers": tr["customers"][m].astype(np.int64),
                "prev": None,  # last quarter's observed indicators
                "history": [],  # (t, revenue) per quarter, for targets
                "prev_extra": None,  # last quarter's extra indicators, units x K
            }
        else:
            state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in start_state.items()}
            state["level"] = np.tile(start_state["level"], reps)
            state["customers"] = np.tile(start_state["customers"], reps)
            state["prev"] = {k: np.tile(v, reps) for k, v in start_state["prev"].items()}
            state["history"] = [(t, np.tile(r, reps)) for t, r in start_state["history"]]
            if start_state.get("prev_extra") is not None:
                state["prev_extra"] = np.tile(start_state["prev_extra"], (reps, 1))
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
            if self.extra and state["prev_extra"] is not None:
                effect = effect + (state["prev_extra"] - KPI_MEAN) @ self.extra_effects
            if t > 0:
                state["level"] = state["level"] + tr["growth"][m] / 4 + region_shock + noise + effect
            log_rev = np.log(tr["base"][m]) + np.log(ramp) + s.season[q] + state["level"]
            revenue = np.exp(log_rev)
            target = self._target(t, state["history"], m, ramp, tenure)
            # customers and churn
            churn_logit = np.log(s.churn_base_rate / (1 - s.churn_base_rate)) + self._effect(
                state["prev"], s.churn_effects, units
            )
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
            survey, nps, satisfied = self._survey(t, m, rng, record, keep=active)
            half = t // 2
            if half not in half_cache:
                half_cache[half] = self._reviews(t, m, rng, record)
            reviews, innovation, collaboration = half_cache[half]
            state["prev"] = {
                "nps": nps,
                "satisfaction": satisfied,
                "solution_innovation": innovation,
                "collaboration": collaboration,
            }
            if self.extra:
                state["prev_extra"] = self._extra_scores(m, rng_extra)
            state["history"].append((t, np.where(active, revenue, np.nan)))
            snapshots[t] = {
                "revenue": revenue,
                "target": target,
                "active": active,
                "indicators": {k: np.where(active, v, np.nan) for k, v in state["prev"].items()},
            }
            if self.extra and record:
                snapshots[t]["extra"] = np.where(active[:, None], state["prev_extra"], np.nan)
            if record:
                idx = np.flatnonzero(active)
                perf_rows.append(
                    pd.DataFrame(
                        {
                            "manager_id": self.manager_text.take(m[idx]),
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
                            **{name: state["prev_extra"][idx, j] for j, name in enumerate(s.extra_ids)},
                        }
                    )
                )
                survey_rows.append(survey)
                if reviews is not None and t % 2 == 1:
                    rows, unit_of = reviews
                    keep = active[unit_of]
                    review_rows.append(rows[np.concatenate([keep, keep])])
            if t == s.n_quarters - 5:
                snapshots["state_before_final_year"] = {
                    "level": state["level"].copy(),
                    "customers": state["customers"].copy(),
                    "prev": {k: v.copy() for k, v in state["prev"].items()},
                    "history": [(tt, r.copy()) for tt, r in state["history"]],
                    "prev_extra": None if state["prev_extra"] is None else state["prev_extra"].copy(),
                }
        out = {"snapshots": snapshots}
        if record:
            out["performance"] = pd.concat(perf_rows, ignore_index=True)
            out["survey"] = pd.concat(survey_rows, ignore_index=True)
            out["reviews"] = pd.concat(review_rows, ignore_index=True)
        return out

    def _extra_scores(self, m: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Extra indicator scores 0-100 this quarter (units x K): a persistent trait plus quarterly noise."""
        noise = rng.standard_normal((len(m), self.extra))
        z = KPI_PERSISTENCE * self.traits["kpi"][m] + np.sqrt(1 - KPI_PERSISTENCE**2) * noise
        return np.clip(np.round(KPI_MEAN + KPI_SD * z, 1), 0.0, 100.0)

    def _effect(self, prev: dict | None, effects: dict, units: int) -> np.ndarray:
        if prev is None:
            return np.zeros(units)
        total = np.zeros(units)
        for name, beta in effects.items():
            x = prev[name] - self.spec.reference[name]
            total += beta * np.nan_to_num(x, nan=0.0)  # a missing indicator has no effect
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
        fallback = np.median(tr["base"]) * np.where(
            tr["base"][m] > 2 * np.median(tr["base"]), s.key_account_multiplier, 1.0
        )
        own = tr["base"][m] * np.exp(s.growth_mean / 4 * t)
        plan = np.where(
            np.isfinite(run_rate), run_rate * (1 + s.target_uplift), np.where(tenure >= 4, own * 1.02, fallback)
        )
        return plan * season * ramp

    def _survey(self, t: int, m: np.ndarray, rng: np.random.Generator, record: bool, keep: np.ndarray | None = None):
        """Customer answers; returns (rows or None, NPS in points, share satisfied) per unit.

        Rows are written only for units where ``keep`` is true (managers employed that quarter).
        """
        tr = self.traits
        units = len(m)
        cx_t = 0.6 * tr["cx"][m] + 0.8 * rng.standard_normal(units)
        sent = np.minimum(tr["customers"][m], 10 + rng.poisson(10, units))
        unit_of = np.repeat(np.arange(units), sent)
        k = len(unit_of)
        responded = rng.random(k) < 0.65
        z = rng.standard_normal(k)
        recommend = np.clip(np.round((7.7 + 1.2 * cx_t)[unit_of] + 1.7 * z), 0, 10)
        satisfaction = np.clip(np.round((3.75 + 0.45 * cx_t)[unit_of] + 0.45 * z + 0.55 * rng.standard_normal(k)), 1, 5)
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
            rows_kept = np.flatnonzero(keep[unit_of]) if keep is not None else np.arange(k)
            who, seq = m[unit_of[rows_kept]], seq[rows_kept]
            rows = pd.DataFrame(
                {
                    "manager_id": self.manager_text.take(who),
                    "period": self.quarters[t],
                    "customer_id": _customer_ids(who, seq),
                    "recommend": pd.array(np.where(rec_given, recommend, np.nan)[rows_kept], dtype="Int64"),
                    "satisfaction": pd.array(np.where(sat_given, satisfaction, np.nan)[rows_kept], dtype="Int64"),
                }
            )
        return rows, nps, satisfied

    def _reviews(self, t: int, m: np.ndarray, rng: np.random.Generator, record: bool):
        """360 ratings for the half-year containing quarter t: 5-8 raters of the region x two criteria.

        A rating is ``round(3.4 + 0.6 level + leniency[rater] + noise)`` clipped to 1-5,
        where each rater's leniency lasts (``traits["rater_leniency"]``).
        """
        tr = self.traits
        units = len(m)
        raters = rng.integers(5, 9, units)
        unit_of = np.repeat(np.arange(units), raters)
        k = len(unit_of)
        region = tr["region"][m]
        rater = self.pool_offset[region][unit_of] + choose_without_replacement(rng, self.pool_size[region], raters)
        lenience = tr["rater_leniency"][rater]
        level_i = 0.8 * tr["innovation"][m] + 0.6 * rng.standard_normal(units)
        level_c = 0.8 * tr["collaboration"][m] + 0.6 * rng.standard_normal(units)
        score_i = np.clip(np.round(3.4 + 0.6 * level_i[unit_of] + lenience + rng.normal(0, 0.6, k)), 1, 5)
        score_c = np.clip(np.round(3.4 + 0.6 * level_c[unit_of] + lenience + rng.normal(0, 0.6, k)), 1, 5)
        innovation = np.bincount(unit_of, weights=score_i, minlength=units) / raters
        collaboration = np.bincount(unit_of, weights=score_c, minlength=units) / raters
        rows = None
        if record:
            year, half = int(self.quarters[t][:4]), 1 if int(self.quarters[t][-1]) <= 2 else 2
            roles = np.array(ROLES, dtype=object)[weighted_choice(rng, ROLE_SHARES, k)]
            base = pd.DataFrame(
                {
                    "manager_id": self.manager_text.take(m[unit_of]),
                    "period": f"{year}H{half}",
                    "rater_id": self.pool_text.take(rater),
                    "rater_role": roles,
                }
            )
            rows = pd.concat(
                [
                    base.assign(criterion="solution_innovation", score=score_i.astype(int)),
                    base.assign(criterion="collaboration", score=score_c.astype(int)),
                ],
                ignore_index=True,
            )
            rows = (rows, unit_of)
        return rows, innovation, collaboration


def _customer_ids(manager: np.ndarray, seq: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``C0001-01``-style ids (manager number, customer number), built in Arrow rather than row by row."""
    if len(manager) == 0:
        return pd.array([], dtype="str")
    n_m, n_s = int(manager.max()) + 1, int(seq.max()) + 1
    prefix = pd.array([f"C{i + 1:04d}-" for i in range(n_m)], dtype="str").take(manager)
    suffix = pd.array([f"{j + 1:02d}" for j in range(n_s)], dtype="str").take(seq)
    joined = pc.binary_join_element_wise(prefix._pa_array, suffix._pa_array, pa.scalar("", pa.large_string()))
    return pd.array(joined, dtype="str")


# --------------------------------------------------------------------------- AHP experts

SAATY = np.array([1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9])
SAATY_TEXT = ["1/9", "1/8", "1/7", "1/6", "1/5", "1/4", "1/3", "1/2", "1", "2", "3", "4", "5", "6", "7", "8", "9"]


def _ahp_judgments(items: list[str], anchor: np.ndarray, experts: int, rng: np.random.Generator) -> pd.DataFrame:
    """Each expert perturbs the anchor weights and judges every pair with noise; the last is inconsistent."""
    rows = []
    for e in range(experts):
        noise = 0.8 if e == experts - 1 else 0.12  # the last expert is inconsistent (CR 0.14 on the sample)
        w = anchor * np.exp(rng.normal(0, 0.25, len(items)))
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                ratio = np.log(w[i] / w[j]) * 1.8 + rng.normal(0, noise)  # experts exaggerate differences
                k = int(np.argmin(np.abs(np.log(SAATY) - ratio)))
                rows.append({"expert": f"E{e + 1}", "row": items[i], "col": items[j], "value": SAATY_TEXT[k]})
    return pd.DataFrame(rows)


def _ahp_hierarchical_judgments(
    template: IndicatorSet, anchor: pd.Series, experts: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Hierarchical judgments (dimensions, then the indicators within each dimension), drawn as in
    :func:`_ahp_judgments`: each expert perturbs the anchor weights, judges each pair of a group with noise
    and exaggeration; the last expert is inconsistent."""
    dimension_of = template.dimension_of()
    groups: dict[str, list[str]] = {"goal": []}
    for ident in template.ids:
        d = str(dimension_of[ident])
        if d not in groups:
            groups["goal"].append(d)
            groups[d] = []
        groups[d].append(str(ident))
    rows = []
    for e in range(experts):
        noise = 0.8 if e == experts - 1 else 0.12
        w = anchor.reindex(list(template.ids)).to_numpy() * np.exp(rng.normal(0, 0.25, len(template)))
        share = pd.Series(w, index=list(template.ids))
        share = pd.concat([share, share.groupby(dimension_of).sum()])
        for items in groups.values():
            for i in range(len(items)):
                for j in range(i + 1, len(items)):
                    ratio = np.log(share[items[i]] / share[items[j]]) * 1.8 + rng.normal(0, noise)
                    k = int(np.argmin(np.abs(np.log(SAATY) - ratio)))
                    rows.append({"expert": f"E{e + 1}", "row": items[i], "col": items[j], "value": SAATY_TEXT[k]})
    return pd.DataFrame(rows)

"""The known truth of a sample company: ``truth.json``, ``truth_managers.csv`` and ``truth_raters.csv``.

``truth.json`` holds the spec, the true models and effects (raw and per standard
deviation of the observed indicators, with their order), the new-hire ramp, the
raters' leniency spread and, for the final year, the true share of managers who
hit the annual target (from re-simulating that year many times from the state at
the end of the year before). ``truth_managers.csv`` holds each manager's traits and
true hit probability; ``truth_raters.csv`` each 360 rater's lasting leniency.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibrate.periods import quarter_from_index, quarter_index
from calibrate.sample import spec as _spec
from calibrate.sample.spec import KPI_MEAN, REGIONS, SampleSpec

TRUTH_FILES = {"truth": "truth.json", "truth_managers": "truth_managers.csv", "truth_raters": "truth_raters.csv"}


def write_truth(
    folder: Path, truth: dict, truth_managers: pd.DataFrame, truth_raters: pd.DataFrame | None
) -> dict[str, Path]:
    """Write the three truth files into ``folder``; returns their paths by name."""
    paths = {name: folder / file for name, file in TRUTH_FILES.items()}
    paths["truth"].write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    truth_managers.to_csv(paths["truth_managers"], index=False, float_format="%.6f")
    if truth_raters is None:
        del paths["truth_raters"]
    else:
        truth_raters.to_csv(paths["truth_raters"], index=False, float_format="%.6f")
    return paths


def _final_year_hits(
    spec: SampleSpec, sim: Any, start: dict, rng: np.random.Generator, rng_extra: np.random.Generator | None
) -> np.ndarray:
    """replications x managers: does the manager hit the annual target in a re-simulated final year?

    Up to ``TRUTH_SINGLE_PASS`` replications x managers run in one pass with ``rng``
    (the original single pass, so small companies keep their truth file). Larger
    re-simulations run in blocks of replications, each with its own child streams
    of ``rng`` (and ``rng_extra``), so memory stays bounded whatever the size; the
    blocks depend only on the number of managers, so the result is fixed by spec and seed.
    """
    reps, n = spec.truth_replications, sim.n
    final = list(range(spec.n_quarters - 4, spec.n_quarters))
    if reps * n <= _spec.TRUTH_SINGLE_PASS:
        blocks = [(reps, rng, rng_extra)]
    else:
        size = max(1, _spec.TRUTH_BLOCK_UNITS // n)
        counts = [min(size, reps - b) for b in range(0, reps, size)]
        extras = rng_extra.spawn(len(counts)) if rng_extra is not None else [None] * len(counts)
        blocks = list(zip(counts, rng.spawn(len(counts)), extras))
    hits = []
    for count, block_rng, block_extra in blocks:
        rerun = sim.run(
            block_rng, reps=count, record=False, start_state=start, first_t=spec.n_quarters - 4, rng_extra=block_extra
        )
        actual = sum(rerun["snapshots"][t]["revenue"] for t in final).reshape(count, n)
        target = sum(rerun["snapshots"][t]["target"] for t in final).reshape(count, n)
        hits.append(actual >= target)
        del rerun
    return hits[0] if len(hits) == 1 else np.concatenate(hits)


def company_truth(
    spec: SampleSpec,
    sim: Any,
    run: dict,
    traits: dict,
    quarters: list[str],
    rng: np.random.Generator,
    seed: int,
    rng_extra: np.random.Generator | None = None,
) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """The truth file's contents, the per-manager truth and the per-rater truth of a simulated company.

    ``sim`` is the company's simulation (:class:`calibrate.sample.model._Simulation`),
    ``run`` its recorded run; the final year is re-simulated ``truth_replications``
    times with ``rng`` for the true hit probabilities.
    """
    final = list(range(spec.n_quarters - 4, spec.n_quarters))
    snaps = run["snapshots"]
    full_year = np.all(np.stack([snaps[t]["active"] for t in final]), axis=0)
    annual_target = sum(snaps[t]["target"] for t in final)
    annual_actual = sum(snaps[t]["revenue"] for t in final)
    # re-simulate the final year from the state at the end of the year before
    reps = spec.truth_replications
    hit = _final_year_hits(spec, sim, snaps["state_before_final_year"], rng, rng_extra)
    p_hit = hit.mean(axis=0)
    share_hit = hit[:, full_year].mean(axis=1)
    first_index = quarter_index([spec.first_quarter])[0]
    hire_index, hire_position = np.unique(first_index + traits["hire_q"], return_inverse=True)
    truth_managers = pd.DataFrame(
        {
            "manager_id": traits["manager_id"],
            "annual_growth": traits["growth"],
            "base_quarterly_revenue": traits["base"],
            "hire_quarter": np.array([quarter_from_index(int(h)) for h in hire_index])[hire_position],
            "customer_experience": traits["cx"],
            "innovation": traits["innovation"],
            "collaboration": traits["collaboration"],
            "final_year_full": full_year,
            "final_year_target": np.round(annual_target, 2),
            "final_year_actual": np.round(annual_actual, 2),
            "final_year_p_hit": p_hit,
        }
    )
    truth_raters = pd.DataFrame(
        {
            "rater_id": sim.pool_text.to_numpy(dtype=object),
            "region": np.array(REGIONS, dtype=object)[np.repeat(np.arange(len(REGIONS)), sim.pool_size)],
            "leniency": traits["rater_leniency"],
        }
    )
    s = spec
    observed = {
        k: np.concatenate([snaps[t]["indicators"][k] for t in range(spec.n_quarters)]) for k in s.growth_effects
    }
    sd = {k: float(np.nanstd(v)) for k, v in observed.items()}
    standardised_growth = {k: s.growth_effects[k] * sd[k] for k in s.growth_effects}
    standardised_churn = {k: s.churn_effects[k] * sd[k] for k in s.churn_effects}
    ordering_growth = sorted(standardised_growth, key=lambda k: -abs(standardised_growth[k]))
    ordering_churn = sorted(standardised_churn, key=lambda k: -abs(standardised_churn[k]))
    spec_dict = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(spec).items()}
    if not spec.extra_indicators:
        del spec_dict["extra_indicators"]  # the truth file of a company without them is unchanged
    truth = {
        "seed": seed,
        "spec": spec_dict,
        "revenue_model": (
            "log revenue[i,t] = log base[i] + log ramp(tenure) + season[q] + level[i,t]; "
            "level[i,t] = level[i,t-1] + growth[i]/4 + region_shock[r,t] + noise[i,t] "
            "+ sum_k growth_effects[k] * (x_k[i,t-1] - reference[k]); noise ~ Student-t(noise_df) scaled to noise_sd"
        ),
        "churn_model": (
            "customers_lost[i,t] ~ Binomial(customers_start[i,t], p); logit p = logit(churn_base_rate) "
            "+ sum_k churn_effects[k] * (x_k[i,t-1] - reference[k])"
        ),
        "outcomes": {
            "revenue_growth": "log(revenue[t] / revenue[t-1]) of the same manager, which includes the season change",
            "retention": "1 - customers_lost[t] / customers_start[t]",
        },
        "indicators_without_effect": [
            "revenue_attainment",
            "profit_margin",
            "new_customer_contribution",
            "key_customer_churn",
        ],
        "indicator_sd": sd,
        "standardised_effects": {"revenue_growth": standardised_growth, "churn_log_odds": standardised_churn},
        "importance_order": {"revenue_growth": ordering_growth, "retention": ordering_churn},
        "notes": (
            "Only nps, satisfaction, solution_innovation and collaboration act on next-quarter growth and "
            "churn. revenue_attainment has no causal effect but partly reflects each manager's own growth "
            "rate (targets add a flat 10%), so it predicts growth in a pooled regression; a model with "
            "manager effects removes that. New hires grow fast while they ramp up."
        ),
        "rater_leniency": {
            "model": (
                "360 rating[manager, half, criterion, rater] = clip(round(3.4 + 0.6 * level + leniency[rater] "
                "+ noise), 1, 5); leniency[rater] ~ Normal(0, rater_leniency_sd) lasts for all the rater's "
                "ratings; noise ~ Normal(0, 0.6)"
            ),
            "sd": spec.rater_leniency_sd,
            "realised_sd": float(np.std(traits["rater_leniency"])),
            "raters": int(len(truth_raters)),
            "file": "truth_raters.csv",
        },
        "ramp": {
            "formula": "ramp(k) = 1 - ramp_amplitude * exp(-k / ramp_scale)",
            "first_year_mean": float(np.mean(sim.ramp(np.arange(4)))),
            "second_year_mean": float(np.mean(sim.ramp(np.arange(4, 8)))),
        },
        "final_year": {
            "year": int(quarters[-1][:4]),
            "managers_full_year": int(full_year.sum()),
            "expected_share_hitting_annual_target": float(p_hit[full_year].mean()),
            "share_hitting_p5_p50_p95": [float(x) for x in np.quantile(share_hit, [0.05, 0.5, 0.95])],
            "realised_share_hitting_annual_target": float((annual_actual >= annual_target)[full_year].mean()),
            "replications": reps,
        },
    }
    if spec.extra_indicators:
        _add_extra_truth(truth, spec, snaps)
    return truth, truth_managers, truth_raters


def _add_extra_truth(truth: dict, spec: SampleSpec, snaps: dict) -> None:
    """Effects of the extra indicators: per score point and per sd, in the growth ranking; which have none."""
    plan = spec.extra_plan()
    observed = np.concatenate([snaps[t]["extra"] for t in range(spec.n_quarters)])
    sd = np.nanstd(observed, axis=0)
    extra = {}
    for j, row in enumerate(plan.itertuples()):
        extra[row.indicator] = {
            "dimension": row.dimension,
            "direction": row.direction,
            "growth_effect": row.growth_effect,
            "reference": KPI_MEAN,
            "sd": float(sd[j]),
            "standardised_growth_effect": float(row.growth_effect * sd[j]),
        }
    truth["extra_indicators"] = extra
    truth["indicator_set_file"] = f"indicator_set_{8 + spec.extra_indicators}.yaml"
    truth["indicator_sd"].update({k: v["sd"] for k, v in extra.items()})
    growth = truth["standardised_effects"]["revenue_growth"]
    growth.update({k: v["standardised_growth_effect"] for k, v in extra.items()})
    truth["importance_order"]["revenue_growth"] = sorted(growth, key=lambda k: -abs(growth[k]))
    truth["indicators_without_effect"] += [k for k, v in extra.items() if v["growth_effect"] == 0]
    truth["revenue_model"] += (
        "; the extra indicators kpi_XX add sum_k extra_indicators[k].growth_effect * "
        "(kpi_k[i,t-1] - reference) to level[i,t]"
    )
    truth["notes"] += (
        f" The {spec.extra_indicators} extra indicators (kpi_XX, scores 0-100) act on growth only, "
        "with the effects under extra_indicators; they do not act on churn."
    )

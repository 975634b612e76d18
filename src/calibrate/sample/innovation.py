"""The sample company's innovation committee: solutions it accepted from each manager, per year.

One row per manager and year in which the manager was employed for at least one
quarter of the data (``manager_id, year, accepted_solutions``). The count is a
negative binomial (a Poisson whose rate carries Gamma-distributed luck) with a
mean proportional to the share of the year employed and log-linear in the
manager's innovation trait, the same trait behind the 360 ``solution_innovation``
ratings (:mod:`calibrate.sample.model`)::

    accepted[i, y] ~ Poisson(exposure[i, y] * base_rate * exp(trait_effect * innovation[i]) * G[i, y])
    G[i, y] ~ Gamma(shape=k, scale=1/k)          (so Var = mu + mu^2 / k)

The parameters (:data:`~calibrate.sample.spec.INNOVATION_BASE_RATE` and the two
after it) are written to ``truth.json`` under ``innovation_committee``; each
manager's trait is ``innovation`` in ``truth_managers.csv``. Draws come from their
own stream (``SeedSequence(seed).spawn(8)[7]``): the other sample tables do not change.

>>> import numpy as np
>>> traits = {"manager_id": np.array(["M0001", "M0002"]), "innovation": np.array([0.0, 1.0]),
...           "hire_q": np.array([-8, 5]), "leave_q": np.array([8, 8])}
>>> table, truth = committee_table(traits, ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2",
...                                          "2024Q3", "2024Q4"], seed=1)
>>> table[["manager_id", "year"]].to_numpy().tolist()
[['M0001', 2023], ['M0001', 2024], ['M0002', 2024]]
>>> truth["rows"], truth["dispersion"]
(3, 3.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate.sample.spec import INNOVATION_BASE_RATE, INNOVATION_DISPERSION, INNOVATION_TRAIT_EFFECT

FILE = "innovation_committee.csv"


def committee_table(traits: dict, quarters: list[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """(the committee's table, its truth for ``truth.json``) from the managers' traits.

    ``traits`` holds ``manager_id``, ``innovation`` (the trait, standard normal),
    ``hire_q`` and ``leave_q`` (the first quarter employed and the first quarter absent,
    counted from the first quarter of ``quarters``).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(8)[7])
    years = np.array([int(q[:4]) for q in quarters])
    t = np.arange(len(quarters))
    employed = (np.asarray(traits["hire_q"])[:, None] <= t) & (np.asarray(traits["leave_q"])[:, None] > t)
    distinct = np.unique(years)
    quarters_in_year = np.stack([employed[:, years == y].sum(axis=1) for y in distinct], axis=1)  # managers x years
    manager, year = np.nonzero(quarters_in_year)
    exposure = quarters_in_year[manager, year] / 4.0
    trait = np.asarray(traits["innovation"], dtype=float)[manager]
    mean = exposure * INNOVATION_BASE_RATE * np.exp(INNOVATION_TRAIT_EFFECT * trait)
    luck = rng.gamma(INNOVATION_DISPERSION, 1.0 / INNOVATION_DISPERSION, len(mean))
    accepted = rng.poisson(mean * luck)
    table = pd.DataFrame(
        {
            "manager_id": np.asarray(traits["manager_id"])[manager],
            "year": distinct[year],
            "accepted_solutions": accepted.astype(np.int64),
        }
    )
    truth = {
        "file": FILE,
        "model": (
            "accepted_solutions[i,y] ~ Poisson(exposure[i,y] * base_rate * exp(trait_effect * innovation[i]) "
            "* G[i,y]); G ~ Gamma(shape=dispersion, scale=1/dispersion), i.e. negative binomial with "
            "variance mu + mu^2/dispersion; exposure = quarters employed in the year / 4; innovation[i] is "
            "truth_managers.csv's innovation, the trait behind the 360 solution_innovation ratings"
        ),
        "base_rate": INNOVATION_BASE_RATE,
        "trait_effect": INNOVATION_TRAIT_EFFECT,
        "dispersion": INNOVATION_DISPERSION,
        "rows": int(len(table)),
        "mean_accepted": float(accepted.mean()) if len(accepted) else 0.0,
        "share_zero": float((accepted == 0).mean()) if len(accepted) else 0.0,
        "notes": (
            "The count has no effect of its own on growth or churn: it measures the same innovation trait "
            "as the 360 ratings, whose effects are under standardised_effects."
        ),
    }
    return table, truth

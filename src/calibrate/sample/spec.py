"""What the synthetic company is made of: its size, its true parameters and fixed constants."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from calibrate.errors import ConfigError

REGIONS = ("华东", "华北", "华南", "华中", "西部")
REGION_SHARES = (0.30, 0.22, 0.20, 0.15, 0.13)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰"
SATISFIED = 4  # a 1-5 answer of 4 or 5 counts as satisfied

# Extra indicators kpi_01..kpi_K cycle through this pattern: (dimension, direction, true effect on next-quarter
# log revenue growth per score point). Scores are 0-100 with mean KPI_MEAN and sd about KPI_SD; the effect acts on
# (score - KPI_MEAN). Most have no effect; a lower-is-better one hurts growth.
EXTRA_PATTERN = (
    ("results", "higher", 0.0008),
    ("customer_value", "higher", 0.0),
    ("strategic_behaviour", "higher", 0.0),
    ("results", "higher", 0.0),
    ("customer_value", "higher", 0.0005),
    ("strategic_behaviour", "lower", 0.0),
    ("results", "lower", -0.0006),
    ("customer_value", "higher", 0.0),
    ("strategic_behaviour", "higher", 0.0003),
    ("results", "higher", 0.0),
    ("customer_value", "lower", 0.0),
    ("strategic_behaviour", "higher", 0.0),
)
ROLES = ("peer", "subordinate", "supervisor", "cross_team")  # 360 rater roles and their shares
ROLE_SHARES = (0.4, 0.25, 0.15, 0.2)
KPI_MEAN, KPI_SD, KPI_PERSISTENCE = 60.0, 10.0, 0.7  # score = mean + sd * (0.7 trait + 0.71 quarterly noise)
EXTRA_SHARE = 0.3  # share of each dimension's weight given to its extra indicators in the larger set
# the truth file's re-simulation: up to TRUTH_SINGLE_PASS replications x managers in one pass (as always),
# larger ones in blocks of about TRUTH_BLOCK_UNITS (arrays of that size are the fastest per unit)
TRUTH_SINGLE_PASS, TRUTH_BLOCK_UNITS = 500_000, 100_000


@dataclass(frozen=True)
class SampleSpec:
    """Size and true parameters of the synthetic company. Money is in 10k CNY (万元) per quarter."""

    n_managers: int = 400
    n_quarters: int = 12
    first_quarter: str = "2023Q1"
    key_account_share: float = 0.15
    new_hire_share: float = 0.18  # hired during the panel
    leaver_share: float = 0.04  # leave before the final year
    # revenue process (quarterly, log scale)
    growth_mean: float = 0.08  # team mean of managers' annual growth g_i
    growth_sd: float = 0.05  # spread of g_i across managers
    noise_sd: float = 0.06  # idiosyncratic quarterly shock (sd)
    noise_df: float = 5.0  # Student-t degrees of freedom (heavy tails)
    region_sd: float = 0.03  # quarterly region shock (sd), shared within a region
    season: tuple[float, float, float, float] = (-0.08, -0.01, 0.02, 0.07)
    base_median: float = 300.0  # full-productivity quarterly revenue, account manager
    base_sd: float = 0.35
    key_account_multiplier: float = 2.5
    ramp_amplitude: float = 0.75  # ramp(k) = 1 - amplitude * exp(-k / ramp_scale), k = tenure quarters
    ramp_scale: float = 3.0
    target_uplift: float = 0.10  # the company's opinion: last year + 10%
    # true effects of last quarter's indicators on this quarter's log revenue growth, per natural unit
    growth_effects: dict = field(
        default_factory=lambda: {
            "nps": 0.0007,
            "satisfaction": 0.06,
            "solution_innovation": 0.012,
            "collaboration": 0.003,
        }
    )
    # true effects on the log-odds of losing a customer in a quarter, per natural unit
    churn_effects: dict = field(
        default_factory=lambda: {
            "nps": -0.008,
            "satisfaction": -1.0,
            "solution_innovation": -0.05,
            "collaboration": -0.15,
        }
    )
    churn_base_rate: float = 0.05  # quarterly loss probability at the reference values
    reference: dict = field(
        default_factory=lambda: {"nps": 10.0, "satisfaction": 0.65, "solution_innovation": 3.4, "collaboration": 3.4}
    )
    truth_replications: int = 400  # re-simulations of the final year for the true hit probabilities
    experts: int = 5
    rater_leniency_sd: float = 0.3  # each 360 rater's lasting leniency ~ N(0, sd), in rating points
    extra_indicators: int = 0  # 0-99 extra indicators kpi_01..kpi_NN (see EXTRA_PATTERN)

    def __post_init__(self) -> None:
        if not 0 <= self.extra_indicators <= 99:
            raise ConfigError(f"extra_indicators is {self.extra_indicators}: give a whole number from 0 to 99")
        if self.n_managers < 1 or self.n_quarters < 5:
            raise ConfigError(
                f"a sample company needs at least 1 manager and 5 quarters "
                f"(got {self.n_managers} managers, {self.n_quarters} quarters)"
            )

    @property
    def extra_ids(self) -> list[str]:
        """Ids of the extra indicators: kpi_01, kpi_02, ... (empty without extra indicators)."""
        return [f"kpi_{k:02d}" for k in range(1, self.extra_indicators + 1)]

    def extra_plan(self) -> pd.DataFrame:
        """One row per extra indicator: id, dimension, direction and true growth effect per score point."""
        rows = [
            {"indicator": ident, "dimension": d, "direction": direction, "growth_effect": beta}
            for ident, (d, direction, beta) in zip(self.extra_ids, _cycle(EXTRA_PATTERN, self.extra_indicators))
        ]
        return pd.DataFrame(rows, columns=["indicator", "dimension", "direction", "growth_effect"])


def _cycle(pattern: tuple, k: int) -> list:
    return [pattern[i % len(pattern)] for i in range(k)]


# The innovation committee (innovation_committee.csv): solutions it accepted from each manager in a year.
# accepted[i, y] ~ Poisson(exposure[i, y] * INNOVATION_BASE_RATE * exp(INNOVATION_TRAIT_EFFECT * innovation[i]) * G),
# G ~ Gamma(shape=INNOVATION_DISPERSION, scale=1/INNOVATION_DISPERSION): a negative binomial with
# variance mu + mu^2 / INNOVATION_DISPERSION. innovation[i] is the trait behind the 360 innovation ratings.
INNOVATION_BASE_RATE = 1.5  # accepted solutions in a full year, for a manager of average innovation
INNOVATION_TRAIT_EFFECT = 0.45  # log-rate per standard deviation of the innovation trait
INNOVATION_DISPERSION = 3.0  # negative-binomial shape k (year-to-year luck of the committee's decisions)

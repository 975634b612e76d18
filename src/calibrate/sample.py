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

``SampleSpec(extra_indicators=K)`` adds K more indicators ``kpi_01..kpi_K``
(scores 0-100, columns of the performance table) drawn from their own random
stream, a few of which act on next-quarter growth (:data:`EXTRA_PATTERN`); the
company then comes with an indicator set of all 8 + K indicators
(``indicator_set_<8+K>.yaml``). Without extra indicators the files are the same,
byte for byte, as before the option existed.

Large companies (say 100,000 managers x 12 quarters) are generated with
vectorised code throughout; the re-simulation behind the truth file runs in
blocks of replications so that memory stays bounded (see :func:`_final_year_hits`).

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
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from scipy.special import expit

from calibrate.errors import ConfigError
from calibrate.indicators import IndicatorSet, load_indicator_set, parse_indicator_set
from calibrate.periods import quarter_from_index, quarter_index

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
KPI_MEAN, KPI_SD, KPI_PERSISTENCE = 60.0, 10.0, 0.7   # score = mean + sd * (0.7 trait + 0.71 quarterly noise)
EXTRA_SHARE = 0.3          # share of each dimension's weight given to its extra indicators in the larger set
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
    extra_indicators: int = 0           # 0-99 extra indicators kpi_01..kpi_NN (see EXTRA_PATTERN)

    def __post_init__(self) -> None:
        if not 0 <= self.extra_indicators <= 99:
            raise ConfigError(f"extra_indicators is {self.extra_indicators}: give a whole number from 0 to 99")
        if self.n_managers < 1 or self.n_quarters < 5:
            raise ConfigError(f"a sample company needs at least 1 manager and 5 quarters "
                              f"(got {self.n_managers} managers, {self.n_quarters} quarters)")

    @property
    def extra_ids(self) -> list[str]:
        """Ids of the extra indicators: kpi_01, kpi_02, ... (empty without extra indicators)."""
        return [f"kpi_{k:02d}" for k in range(1, self.extra_indicators + 1)]

    def extra_plan(self) -> pd.DataFrame:
        """One row per extra indicator: id, dimension, direction and true growth effect per score point."""
        rows = [{"indicator": ident, "dimension": d, "direction": direction, "growth_effect": beta}
                for ident, (d, direction, beta) in zip(self.extra_ids, _cycle(EXTRA_PATTERN, self.extra_indicators))]
        return pd.DataFrame(rows, columns=["indicator", "dimension", "direction", "growth_effect"])


def _cycle(pattern: tuple, k: int) -> list:
    return [pattern[i % len(pattern)] for i in range(k)]


@dataclass(frozen=True)
class SampleCompany:
    """The generated tables (as ``load_dataset`` expects them), the truth dict and the per-manager truth.

    ``indicator_set`` is the set the company is scored with: the ``account_manager``
    template, or with extra indicators the 8 + K set of :func:`extra_indicator_set`.
    """

    tables: dict[str, pd.DataFrame]
    truth: dict
    truth_managers: pd.DataFrame
    indicator_set: IndicatorSet | None = None

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
    truth, truth_managers = _truth(spec, sim, run, traits, quarters, rng_truth, seed,
                                   extra.truth if extra else None)
    return SampleCompany(tables, truth, truth_managers, template)


class _ExtraStreams:
    """Child streams of the extra indicators: traits, the recorded panel, the truth re-simulation."""

    def __init__(self, seq: np.random.SeedSequence):
        self.traits, self.panel, self.truth = (np.random.default_rng(s) for s in seq.spawn(3))


def write_sample(folder: str | Path, spec: SampleSpec = SampleSpec(), seed: int = 2025) -> dict[str, Path]:
    """Generate the company and write its files (the layout of ``data/sample/``).

    With extra indicators the folder also holds ``indicator_set_<8+K>.yaml`` and the
    config points at it. Returns the written paths by name.
    """
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
    settings = {"indicator_set": "account_manager", "ahp_line": "  ahp_judgments: ahp_judgments.csv\n",
                "weights_section": ""}
    if spec.extra_indicators:
        settings = {"indicator_set": f"indicator_set_{len(company.indicator_set)}.yaml",
                    "ahp_line": "  ahp_judgments: ahp_judgments.csv\n", "weights_section": ""}
        paths["indicator_set"] = folder / settings["indicator_set"]
        paths["indicator_set"].write_text(extra_indicator_set_yaml(spec), encoding="utf-8")
    write_csv_fast(t["managers"], paths["managers"])
    write_csv_fast(t["performance"], paths["performance"], decimals=4)
    t["survey"].to_parquet(paths["survey"], index=False)
    write_csv_fast(t["reviews"], paths["reviews"])
    if "ahp_judgments" in t:
        t["ahp_judgments"].to_csv(paths["ahp_judgments"], index=False)
    t["last_year_weights"].to_csv(paths["last_year_weights"], index=False, float_format="%.4f")
    paths["truth"].write_text(json.dumps(company.truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    company.truth_managers.to_csv(paths["truth_managers"], index=False, float_format="%.6f")
    paths["config"].write_text(SAMPLE_CONFIG.format(year=int(company.truth["final_year"]["year"]), seed=seed,
                                                    **settings), encoding="utf-8")
    return paths


def write_csv_fast(frame: pd.DataFrame, path: str | Path, decimals: int | None = None,
                   rows_per_piece: int = 1_000_000) -> Path:
    """Write ``frame.to_csv(path, index=False, float_format=f"%.{decimals}f")`` byte for byte, in Arrow.

    pandas formats a float format value by value in Python (about 1 s per million
    values); here every column is turned into text at once. Used when it is exact:
    text without a comma, quote or line break, whole numbers, and floats holding at
    most ``decimals`` decimals below 1e9 (the generator rounds its money to cents);
    any other frame is left to pandas. ``decimals`` must be given when there are floats.
    """
    path = Path(path)
    columns = [_csv_text(frame[c], decimals) for c in frame.columns]
    if len(columns) < 2 or any(c is None for c in columns) or any(_needs_quotes(str(c)) for c in frame.columns):
        frame.to_csv(path, index=False, float_format=None if decimals is None else f"%.{decimals}f")
        return path
    comma, newline, empty = (pa.scalar(t, pa.large_string()) for t in (",", "\n", ""))
    with path.open("wb") as fh:
        fh.write((",".join(map(str, frame.columns)) + "\n").encode("utf-8"))
        for start in range(0, len(frame), rows_per_piece):
            piece = [c.slice(start, rows_per_piece) for c in columns]
            lines = pc.binary_join_element_wise(*piece, comma)
            lines = pc.binary_join_element_wise(lines, empty, newline)            # each row ends with a newline
            lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
            data = lines.buffers()[2]
            if len(lines):
                fh.write(memoryview(data)[int(offsets[0]):int(offsets[-1])])
    return path


def _needs_quotes(text: str) -> bool:
    return any(ch in text for ch in ',"\r\n')


def _csv_text(column: pd.Series, decimals: int | None) -> pa.Array | None:
    """The column as pandas would write it in a CSV, as Arrow text; None when only pandas can say."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        values = column.array if isinstance(dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()
        return pc.fill_null(pc.cast(pa.array(values), pa.large_string()), "")
    if pd.api.types.is_float_dtype(dtype):
        return _fixed_decimals(column.to_numpy(dtype=float, na_value=np.nan), decimals)
    if pd.api.types.is_string_dtype(dtype):
        values = pa.array(column.array if isinstance(column.array, pd.arrays.ArrowStringArray) else column.to_numpy(),
                          from_pandas=True)
        if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
            return None
        values = pc.cast(values, pa.large_string())
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if pc.any(pc.match_substring_regex(values, '[,"\r\n]')).as_py():
            return None
        return pc.fill_null(values, "")
    return None


def _fixed_decimals(x: np.ndarray, decimals: int | None) -> pa.Array | None:
    """``"%.{decimals}f" % v`` for every v, when each v holds at most that many decimals (else None)."""
    if decimals is None or decimals < 1:
        return None
    missing = np.isnan(x)
    finite = np.where(missing, 0.0, x)
    if not np.all(np.abs(finite) < 1e9):
        return None
    scale = 10 ** decimals
    scaled = finite * scale
    whole = np.rint(scaled)
    if not np.all(np.abs(scaled - whole) < 1e-6):
        return None
    digits = np.abs(whole).astype(np.int64)
    sign = pa.array(np.where(np.signbit(finite), "-", ""), pa.large_string())
    integer = pc.cast(pa.array(digits // scale), pa.large_string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(digits % scale), pa.large_string()), width=decimals, padding="0")
    text = pc.binary_join_element_wise(pc.binary_join_element_wise(sign, integer, pa.scalar("", pa.large_string())),
                                       fraction, pa.scalar(".", pa.large_string()))
    return pc.if_else(pa.array(missing), pa.scalar("", pa.large_string()), text)


SAMPLE_CONFIG = """\
# Run configuration for the synthetic sample company (written by `calibrate sample`).
# Data paths are relative to this file; `output` is relative to where the command runs.
run_name: sample
year: {year}
lang: zh
seed: {seed}
indicator_set: {indicator_set}
data:
  managers: managers.csv
  performance: performance.csv
  survey: survey.parquet
  reviews: reviews_360.csv
{ahp_line}  last_year_weights: last_year_weights.csv
output: reports
privacy:
  pseudonymise: true
{weights_section}"""


# --------------------------------------------------------------------------- the larger indicator set

def extra_indicator_set_dict(spec: SampleSpec) -> dict:
    """The ``account_manager`` set plus the spec's extra indicators, as the YAML mapping.

    Each extra indicator joins a dimension (:data:`EXTRA_PATTERN`); a dimension keeps
    its template total (so every band still holds) and gives ``EXTRA_SHARE`` of it,
    in equal parts, to its extra indicators; the template's indicators share the
    rest in their template proportions. Weights are in units of 0.0001 and sum to 1.
    """
    from calibrate.indicators import indicator_set_text

    raw = yaml.safe_load(indicator_set_text("account_manager"))
    plan = spec.extra_plan()
    extras = [{"id": row.indicator,
               "label": {"zh": f"扩展指标{row.indicator[4:]}", "en": f"Extra KPI {row.indicator[4:]}"},
               "dimension": row.dimension, "direction": row.direction, "unit": "score", "source": "performance",
               "compute": {"column": row.indicator}, "review_period": "quarter",
               "description": "synthetic score 0-100; its true effect on growth is in truth.json"}
              for row in plan.itertuples()]
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
    return parse_indicator_set(extra_indicator_set_dict(spec),
                               where=f"indicator_set_{8 + spec.extra_indicators}.yaml")


def extra_indicator_set_yaml(spec: SampleSpec) -> str:
    """The YAML text written beside a sample company with extra indicators."""
    n = 8 + spec.extra_indicators
    head = (f"# Indicator set of a synthetic company with {spec.extra_indicators} extra indicators "
            f"(written by calibrate.sample).\n# The 8 account-manager indicators plus kpi_01..kpi_"
            f"{spec.extra_indicators:02d}; {n} in all.\n")
    return head + yaml.safe_dump(extra_indicator_set_dict(spec), allow_unicode=True, sort_keys=False)


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
    hire_date = _quarter_starts(start_idx + hire_q) + pd.to_timedelta(rng.integers(0, 80, size=n), unit="D")
    leave_date = np.where(leave_q < nq, _iso_dates(_quarter_starts(start_idx + leave_q) - pd.Timedelta(days=1)), "")
    names = [SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c % 3 else "")
             for a, b, c in zip(rng_names.integers(0, len(SURNAMES), n), rng_names.integers(0, len(GIVEN), n),
                                rng_names.integers(0, len(GIVEN), n))]
    managers = pd.DataFrame({
        "manager_id": ids,
        "name": names,
        "region": [REGIONS[r] for r in region],
        "level": np.where(key_account, "key_account_director", "account_manager"),
        "hire_date": _iso_dates(hire_date),
        "leave_date": list(leave_date),
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
        self.rater_pool = {r: np.array([f"R{r + 1}{k:04d}" for k in range(int((traits["region"] == r).sum() * 1.6) + 8)])
                           for r in range(n_regions)}
        sizes = np.array([len(self.rater_pool[r]) for r in range(n_regions)], dtype=np.int64)
        self.pool_size, self.pool_offset = sizes, np.cumsum(sizes) - sizes
        self.pool_text = pd.array(np.concatenate([self.rater_pool[r] for r in range(n_regions)]), dtype="str")
        self.manager_text = pd.array(traits["manager_id"], dtype="str")
        self.extra = spec.extra_indicators
        if self.extra:
            plan = spec.extra_plan()
            self.extra_effects = plan["growth_effect"].to_numpy(dtype=float)

    def ramp(self, tenure_q: np.ndarray) -> np.ndarray:
        s = self.spec
        return 1.0 - s.ramp_amplitude * np.exp(-np.maximum(tenure_q, 0) / s.ramp_scale)

    def run(self, rng: np.random.Generator, *, reps: int, record: bool, start_state: dict | None = None,
            first_t: int = 0, rng_extra: np.random.Generator | None = None) -> dict:
        """Simulate quarters ``first_t..n_quarters-1`` for ``reps`` replications of every manager.

        ``rng_extra`` draws the extra indicators (needed when the spec has any); ``rng``
        draws everything else, in the same order with or without them.
        """
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
                "prev_extra": None,                  # last quarter's extra indicators, units x K
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
            survey, nps, satisfied = self._survey(t, m, rng, record, keep=active)
            half = t // 2
            if half not in half_cache:
                half_cache[half] = self._reviews(t, m, rng, record)
            reviews, innovation, collaboration = half_cache[half]
            state["prev"] = {"nps": nps, "satisfaction": satisfied,
                             "solution_innovation": innovation, "collaboration": collaboration}
            if self.extra:
                state["prev_extra"] = self._extra_scores(m, rng_extra)
            state["history"].append((t, np.where(active, revenue, np.nan)))
            snapshots[t] = {"revenue": revenue, "target": target, "active": active,
                            "indicators": {k: np.where(active, v, np.nan) for k, v in state["prev"].items()}}
            if self.extra and record:
                snapshots[t]["extra"] = np.where(active[:, None], state["prev_extra"], np.nan)
            if record:
                idx = np.flatnonzero(active)
                perf_rows.append(pd.DataFrame({
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
                }))
                survey_rows.append(survey)
                if reviews is not None and t % 2 == 1:
                    rows, unit_of = reviews
                    keep = active[unit_of]
                    review_rows.append(rows[np.concatenate([keep, keep])])
            if t == s.n_quarters - 5:
                snapshots["state_before_final_year"] = {
                    "level": state["level"].copy(), "customers": state["customers"].copy(),
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
        z = KPI_PERSISTENCE * self.traits["kpi"][m] + np.sqrt(1 - KPI_PERSISTENCE ** 2) * noise
        return np.clip(np.round(KPI_MEAN + KPI_SD * z, 1), 0.0, 100.0)

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

    def _survey(self, t: int, m: np.ndarray, rng: np.random.Generator, record: bool,
                keep: np.ndarray | None = None):
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
            rows = pd.DataFrame({
                "manager_id": self.manager_text.take(who),
                "period": self.quarters[t],
                "customer_id": _customer_ids(who, seq),
                "recommend": pd.array(np.where(rec_given, recommend, np.nan)[rows_kept], dtype="Int64"),
                "satisfaction": pd.array(np.where(sat_given, satisfaction, np.nan)[rows_kept], dtype="Int64"),
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
            region = tr["region"][m]
            # the same draws as rng.choice(pool of the unit's region, size=raters, replace=False) unit by unit
            picked = choose_without_replacement(rng, self.pool_size[region], raters)
            rater_ids = self.pool_text.take(self.pool_offset[region][unit_of] + picked)
            roles = rng.choice(["peer", "subordinate", "supervisor", "cross_team"], size=k, p=[0.4, 0.25, 0.15, 0.2])
            base = pd.DataFrame({"manager_id": self.manager_text.take(m[unit_of]), "period": f"{year}H{half}",
                                 "rater_id": rater_ids, "rater_role": roles})
            rows = pd.concat([base.assign(criterion="solution_innovation", score=score_i.astype(int)),
                              base.assign(criterion="collaboration", score=score_c.astype(int))], ignore_index=True)
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


# --------------------------------------------------------------------------- drawing raters

_LOW32 = np.uint64(0xFFFFFFFF)


def choose_without_replacement(rng: np.random.Generator, pool_sizes: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenated ``rng.choice(pool_sizes[u], size=sizes[u], replace=False)`` over units u, vectorised.

    Gives the same numbers as the loop and leaves ``rng`` in the same state, for a
    PCG64 generator (``default_rng``): it replays numpy's algorithm (Floyd's
    sampling, then a Fisher-Yates shuffle, each step one bounded draw by Lemire's
    method from the 32-bit stream) on a block of raw 32-bit draws. The rare draw
    that Lemire's method rejects is replayed exactly, one unit at a time. Falls
    back to the loop for other bit generators and for pools where numpy switches
    algorithm (pools over 10,000 with samples over 1/50 of them, or no spare item).
    """
    pool_sizes = np.asarray(pool_sizes, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    floyd_only = (np.all(pool_sizes > sizes) & np.all(pool_sizes < 2 ** 32)
                  & np.all((pool_sizes <= 10_000) | (sizes <= pool_sizes // 50)))
    if not isinstance(rng.bit_generator, np.random.PCG64) or not floyd_only or np.any(sizes < 1):
        parts = [rng.choice(int(p), size=int(r), replace=False) for p, r in zip(pool_sizes, sizes)]
        return np.concatenate(parts) if parts else np.empty(0, np.int64)
    if len(sizes) == 0:
        return np.empty(0, np.int64)
    state = rng.bit_generator.state
    buffered = int(state["has_uint32"])
    stream = _Stream(state)
    per_unit = 2 * sizes - 1                     # r Floyd draws + (r - 1) shuffle draws, none rejected
    width = int(sizes.max())
    out = np.full((len(sizes), width), -1, dtype=np.int64)
    first, offset = 0, 0                         # first unit not done; stream position of its first draw
    while first < len(sizes):
        starts = offset + np.cumsum(per_unit[first:]) - per_unit[first:]
        stream.ensure(int(starts[-1] + per_unit[-1]) + 64)
        rejected = _floyd_and_shuffle(stream.values, starts, pool_sizes[first:], sizes[first:], out[first:])
        if rejected is None:
            offset = int(starts[-1] + per_unit[-1])
            break
        # units before the first rejected draw are exact; replay that unit draw by draw, then carry on after it
        u = first + rejected
        offset = int(starts[rejected])
        out[u, :sizes[u]], offset = _replay_unit(stream, offset, int(pool_sizes[u]), int(sizes[u]))
        first = u + 1
    rng.bit_generator.state = stream.state_after(offset, buffered)
    return out[np.arange(width) < sizes[:, None]]


class _Stream:
    """The 32-bit draws a PCG64 generator would hand out next, drawn from a copy of it."""

    def __init__(self, state: dict):
        self.start = state
        self.copy = np.random.PCG64()
        self.copy.state = state
        self.values = np.array([state["uinteger"]] if state["has_uint32"] else [], dtype=np.uint64)
        self.raw = np.empty(0, dtype=np.uint64)

    def ensure(self, length: int) -> None:
        if len(self.values) >= length:
            return
        more = self.copy.random_raw((length - len(self.values)) // 2 + 1024).astype(np.uint64)
        pairs = np.empty(2 * len(more), dtype=np.uint64)
        pairs[0::2], pairs[1::2] = more & _LOW32, more >> np.uint64(32)
        self.values = np.concatenate([self.values, pairs])
        self.raw = np.concatenate([self.raw, more])

    def state_after(self, consumed: int, buffered: int) -> dict:
        """The generator's state once ``consumed`` 32-bit draws have been handed out."""
        fresh = consumed - buffered
        if fresh <= 0:
            state = dict(self.start)
            state["has_uint32"] = int(buffered and consumed == 0)
            return state
        used = (fresh + 1) // 2
        gen = np.random.PCG64()
        gen.state = self.start
        gen.random_raw(used)
        state = gen.state
        state["has_uint32"] = fresh % 2
        state["uinteger"] = int(self.raw[used - 1] >> np.uint64(32))
        return state


def _lemire(x: np.ndarray, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """numpy's bounded draw in [0, bound] from 32-bit values x: (value, whether x is rejected)."""
    span = bound.astype(np.uint64) + np.uint64(1)
    product = x * span
    threshold = (_LOW32 - bound.astype(np.uint64)) % span
    return (product >> np.uint64(32)).astype(np.int64), (product & _LOW32) < threshold


def _floyd_and_shuffle(values: np.ndarray, starts: np.ndarray, pools: np.ndarray, sizes: np.ndarray,
                       out: np.ndarray) -> int | None:
    """Fill ``out`` (units x max size) assuming no rejected draw; return the first unit with one, or None."""
    units = len(sizes)
    first_bad = units
    for t in range(int(sizes.max())):                       # Floyd: j runs pool - r .. pool - 1
        sel = np.flatnonzero(sizes > t)
        j = pools[sel] - sizes[sel] + t
        val, bad = _lemire(values[starts[sel] + t], j)
        if bad.any():
            first_bad = min(first_bad, int(sel[bad][0]))
        dup = (out[sel, :t] == val[:, None]).any(axis=1)
        out[sel, t] = np.where(dup, j, val)
    for step in range(int(sizes.max()) - 1):                # shuffle: i runs r - 1 .. 1
        sel = np.flatnonzero(sizes >= step + 2)
        i = sizes[sel] - 1 - step
        k, bad = _lemire(values[starts[sel] + sizes[sel] + step], i)
        if bad.any():
            first_bad = min(first_bad, int(sel[bad][0]))
        a, b = out[sel, i], out[sel, k]
        out[sel, i], out[sel, k] = b, a
    return None if first_bad == units else first_bad


def _replay_unit(stream: _Stream, pos: int, pool: int, size: int) -> tuple[np.ndarray, int]:
    """One unit drawn step by step, rejected draws included; returns its items and the next stream position."""
    def bounded(bound: int) -> int:
        nonlocal pos
        while True:
            stream.ensure(pos + 1)
            value, bad = _lemire(stream.values[pos:pos + 1], np.array([bound]))
            pos += 1
            if not bad[0]:
                return int(value[0])

    idx: list[int] = []
    for j in range(pool - size, pool):
        val = bounded(j)
        idx.append(j if val in idx else val)
    for i in range(size - 1, 0, -1):
        k = bounded(i)
        idx[i], idx[k] = idx[k], idx[i]
    return np.array(idx, dtype=np.int64), pos


# --------------------------------------------------------------------------- AHP experts

SAATY = np.array([1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9])
SAATY_TEXT = ["1/9", "1/8", "1/7", "1/6", "1/5", "1/4", "1/3", "1/2", "1", "2", "3", "4", "5", "6", "7", "8", "9"]


def _ahp_judgments(items: list[str], anchor: np.ndarray, experts: int, rng: np.random.Generator) -> pd.DataFrame:
    """Each expert perturbs the anchor weights and judges every pair with noise; the last is inconsistent."""
    rows = []
    for e in range(experts):
        noise = 0.8 if e == experts - 1 else 0.12   # the last expert is inconsistent (CR 0.14 on the sample)
        w = anchor * np.exp(rng.normal(0, 0.25, len(items)))
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                ratio = np.log(w[i] / w[j]) * 1.8 + rng.normal(0, noise)   # experts exaggerate differences
                k = int(np.argmin(np.abs(np.log(SAATY) - ratio)))
                rows.append({"expert": f"E{e + 1}", "row": items[i], "col": items[j], "value": SAATY_TEXT[k]})
    return pd.DataFrame(rows)


def _ahp_hierarchical_judgments(template: IndicatorSet, anchor: pd.Series, experts: int,
                                rng: np.random.Generator) -> pd.DataFrame:
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


# --------------------------------------------------------------------------- the truth

def _final_year_hits(spec: SampleSpec, sim: _Simulation, start: dict, rng: np.random.Generator,
                     rng_extra: np.random.Generator | None) -> np.ndarray:
    """replications x managers: does the manager hit the annual target in a re-simulated final year?

    Up to ``TRUTH_SINGLE_PASS`` replications x managers run in one pass with ``rng``
    (the original single pass, so small companies keep their truth file). Larger
    re-simulations run in blocks of replications, each with its own child streams
    of ``rng`` (and ``rng_extra``), so memory stays bounded whatever the size; the
    blocks depend only on the number of managers, so the result is fixed by spec and seed.
    """
    reps, n = spec.truth_replications, sim.n
    final = list(range(spec.n_quarters - 4, spec.n_quarters))
    if reps * n <= TRUTH_SINGLE_PASS:
        blocks = [(reps, rng, rng_extra)]
    else:
        size = max(1, TRUTH_BLOCK_UNITS // n)
        counts = [min(size, reps - b) for b in range(0, reps, size)]
        extras = rng_extra.spawn(len(counts)) if rng_extra is not None else [None] * len(counts)
        blocks = list(zip(counts, rng.spawn(len(counts)), extras))
    hits = []
    for count, block_rng, block_extra in blocks:
        rerun = sim.run(block_rng, reps=count, record=False, start_state=start, first_t=spec.n_quarters - 4,
                        rng_extra=block_extra)
        actual = sum(rerun["snapshots"][t]["revenue"] for t in final).reshape(count, n)
        target = sum(rerun["snapshots"][t]["target"] for t in final).reshape(count, n)
        hits.append(actual >= target)
        del rerun
    return hits[0] if len(hits) == 1 else np.concatenate(hits)


def _truth(spec: SampleSpec, sim: _Simulation, run: dict, traits: dict, quarters: list[str],
           rng: np.random.Generator, seed: int,
           rng_extra: np.random.Generator | None = None) -> tuple[dict, pd.DataFrame]:
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
    truth_managers = pd.DataFrame({
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
    })
    s = spec
    observed = {k: np.concatenate([snaps[t]["indicators"][k] for t in range(spec.n_quarters)])
                for k in s.growth_effects}
    sd = {k: float(np.nanstd(v)) for k, v in observed.items()}
    standardised_growth = {k: s.growth_effects[k] * sd[k] for k in s.growth_effects}
    standardised_churn = {k: s.churn_effects[k] * sd[k] for k in s.churn_effects}
    ordering_growth = sorted(standardised_growth, key=lambda k: -abs(standardised_growth[k]))
    ordering_churn = sorted(standardised_churn, key=lambda k: -abs(standardised_churn[k]))
    spec_dict = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(spec).items()}
    if not spec.extra_indicators:
        del spec_dict["extra_indicators"]        # the truth file of a company without them is unchanged
    truth = {
        "seed": seed,
        "spec": spec_dict,
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
    if spec.extra_indicators:
        _add_extra_truth(truth, spec, snaps)
    return truth, truth_managers


def _add_extra_truth(truth: dict, spec: SampleSpec, snaps: dict) -> None:
    """Effects of the extra indicators: per score point and per sd, in the growth ranking; which have none."""
    plan = spec.extra_plan()
    observed = np.concatenate([snaps[t]["extra"] for t in range(spec.n_quarters)])
    sd = np.nanstd(observed, axis=0)
    extra = {}
    for j, row in enumerate(plan.itertuples()):
        extra[row.indicator] = {"dimension": row.dimension, "direction": row.direction,
                                "growth_effect": row.growth_effect, "reference": KPI_MEAN,
                                "sd": float(sd[j]), "standardised_growth_effect": float(row.growth_effect * sd[j])}
    truth["extra_indicators"] = extra
    truth["indicator_set_file"] = f"indicator_set_{8 + spec.extra_indicators}.yaml"
    truth["indicator_sd"].update({k: v["sd"] for k, v in extra.items()})
    growth = truth["standardised_effects"]["revenue_growth"]
    growth.update({k: v["standardised_growth_effect"] for k, v in extra.items()})
    truth["importance_order"]["revenue_growth"] = sorted(growth, key=lambda k: -abs(growth[k]))
    truth["indicators_without_effect"] += [k for k, v in extra.items() if v["growth_effect"] == 0]
    truth["revenue_model"] += ("; the extra indicators kpi_XX add sum_k extra_indicators[k].growth_effect * "
                               "(kpi_k[i,t-1] - reference) to level[i,t]")
    truth["notes"] += (f" The {spec.extra_indicators} extra indicators (kpi_XX, scores 0-100) act on growth only, "
                       "with the effects under extra_indicators; they do not act on churn.")

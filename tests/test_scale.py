"""Scale: the extra indicators, the vectorised generator, and the fast paths of loading and validation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import yaml

from calibrate.errors import ConfigError
from calibrate.indicators import load_indicator_set
from calibrate.io import _read_plain_csv_arrow, read_source
from calibrate.loading import load_dataset, validate
from calibrate.panel import indicator_panel
from calibrate.sample import (
    EXTRA_PATTERN,
    SampleSpec,
    choose_without_replacement,
    generate_company,
    weighted_choice,
    write_csv_fast,
    write_sample,
)
from calibrate.sample import spec as sample_spec
from calibrate.schema import _expand_rows, _to_datetime_distinct, _to_numeric_distinct, expand_to_quarters

EXTRA = SampleSpec(n_managers=40, n_quarters=8, truth_replications=20, extra_indicators=12)


@pytest.fixture(scope="module")
def extra_company(tmp_path_factory):
    folder = tmp_path_factory.mktemp("extra_company")
    return folder, write_sample(folder, EXTRA, seed=7)


# --------------------------------------------------------------------------- rater draws


def _floyd(u, pool, size):
    """Floyd's algorithm for one unit, item by item, from the doubles u (the reference for the vectorised one)."""
    kept = []
    for step, j in enumerate(range(pool - size, pool)):
        t = min(int(u[step] * (j + 1)), j)
        kept.append(j if t in kept else t)
    return kept


@pytest.mark.parametrize(
    "pools",
    [
        np.array([9, 12, 150, 300, 90, 100]),  # the sample's pools
        np.array([3_000_000_000, 3_500_000_000, 4_000_000_000]),  # huge pools
        np.array([40_000, 48_000, 10_001]),  # pools of a 100,000-manager company
    ],
)
def test_choose_without_replacement_is_floyd_on_our_own_uniform_stream(pools):
    """Each unit's raters are Floyd's algorithm on its own doubles from rng.random; nothing else is drawn."""
    units = np.resize(pools, 400)
    sizes = np.random.default_rng(1).integers(1, 9, len(units))
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    got = choose_without_replacement(b, units, sizes)
    u = a.random(int(sizes.sum()))
    starts = np.cumsum(sizes) - sizes
    expected = np.concatenate([_floyd(u[s : s + r], int(p), int(r)) for s, p, r in zip(starts, units, sizes)])
    np.testing.assert_array_equal(got, expected)
    assert a.bit_generator.state == b.bit_generator.state  # the stream moved by exactly sum(sizes) doubles


def test_choose_without_replacement_gives_every_subset_alike():
    """Pool 5, two items: each of the 10 pairs within 4 standard errors of 1/10 over 20,000 units; a full pool works."""
    sizes = np.full(20_000, 2)
    picked = choose_without_replacement(np.random.default_rng(11), np.full(20_000, 5), sizes).reshape(-1, 2)
    assert (picked[:, 0] != picked[:, 1]).all() and picked.min() == 0 and picked.max() == 4
    pair = np.sort(picked, axis=1) @ np.array([5, 1])
    counts = np.bincount(pair, minlength=25)[[a * 5 + b for a in range(5) for b in range(a + 1, 5)]]
    se = np.sqrt(20_000 * 0.1 * 0.9)
    assert np.all(np.abs(counts - 2_000) < 4 * se), counts
    full = choose_without_replacement(np.random.default_rng(3), [5, 7], [5, 7])
    assert sorted(full[:5]) == list(range(5)) and sorted(full[5:]) == list(range(7))


def test_weighted_choice_is_the_inverse_cdf_of_uniform_doubles():
    shares = [0.30, 0.22, 0.20, 0.15, 0.13]
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    got = weighted_choice(a, shares, 50_000)
    expected = np.searchsorted(np.cumsum(shares) / np.sum(shares), b.random(50_000), side="right")
    np.testing.assert_array_equal(got, expected)
    assert np.abs(np.bincount(got) / 50_000 - shares).max() < 0.01


# --------------------------------------------------------------------------- CSV writing


def test_write_csv_fast_is_pandas_to_csv_byte_for_byte(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    money = np.round(rng.normal(0, 500, n), 2)
    money[:4] = [-0.0, -0.004, 0.0, 123456789.12]
    frame = pd.DataFrame(
        {
            "manager_id": pd.array([f"M{i:04d}" for i in range(n)], dtype="str"),
            "region": pd.array(np.where(rng.random(n) < 0.1, None, "华东"), dtype="str"),
            "money": np.where(rng.random(n) < 0.05, np.nan, money),
            "score": np.round(rng.uniform(0, 100, n), 1),
            "count": rng.integers(-3, 40, n),
            "answer": pd.array(np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 11, n)), dtype="Int64"),
            "blank": "",
        }
    )
    for decimals in (4, 2):
        frame.to_csv(tmp_path / "pandas.csv", index=False, float_format=f"%.{decimals}f")
        write_csv_fast(frame, tmp_path / "fast.csv", decimals=decimals, rows_per_piece=700)
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    # text that needs quotes, and floats with more decimals than asked for, are left to pandas
    for other in (frame.assign(region="a,b"), frame.assign(money=rng.normal(size=n))):
        other.to_csv(tmp_path / "pandas.csv", index=False, float_format="%.4f")
        write_csv_fast(other, tmp_path / "fast.csv", decimals=4)
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


# --------------------------------------------------------------------------- extra indicators


def test_spec_rejects_an_impossible_number_of_extra_indicators():
    with pytest.raises(ConfigError, match="extra_indicators is 120: give a whole number from 0 to 99"):
        SampleSpec(extra_indicators=120)


def test_indicator_set_of_twenty_is_valid_and_weights_hold_the_bands(extra_company):
    folder, paths = extra_company
    assert paths["indicator_set"].name == "indicator_set_20.yaml"
    config = yaml.safe_load(paths["config"].read_text(encoding="utf-8"))
    assert config["indicator_set"] == "indicator_set_20.yaml" and config["data"]["ahp_judgments"] == "ahp_judgments.csv"
    iset = load_indicator_set(paths["indicator_set"])
    assert len(iset) == 20 and iset.ids[:8] == load_indicator_set("account_manager").ids
    assert iset.ids[8:] == tuple(f"kpi_{k:02d}" for k in range(1, 13))
    weights = iset.default_weights()
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
    by_dimension = weights.groupby(iset.dimension_of()).sum()
    # the template's dimension totals are kept: 0.55 / 0.28 / 0.17, inside the bands
    assert by_dimension.to_dict() == pytest.approx(
        {"results": 0.55, "customer_value": 0.28, "strategic_behaviour": 0.17}
    )
    bands = iset.bands().loc[by_dimension.index]
    assert ((by_dimension >= bands["low"]) & (by_dimension <= bands["high"])).all()
    # each dimension gives 30% of its weight to its 4 extra indicators, in equal parts
    assert weights["kpi_01"] == pytest.approx(0.55 * 0.3 / 4, abs=1e-4)
    assert iset["kpi_07"].direction == "lower" and iset["kpi_02"].dimension == "customer_value"
    last_year = pd.read_csv(paths["last_year_weights"])
    assert list(last_year["indicator"]) == list(iset.ids)


def test_extra_company_loads_and_its_truth_lists_the_effects(extra_company):
    folder, paths = extra_company
    ds = load_dataset(paths["config"])
    assert ds.report.ok and not ds.report.warnings
    panel = indicator_panel(ds)
    kpis = panel[[f"kpi_{k:02d}" for k in range(1, 13)]]
    assert kpis.notna().all().all() and kpis.min().min() >= 0 and kpis.max().max() <= 100
    assert 55 < kpis.mean().mean() < 65  # scores are centred on KPI_MEAN = 60
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))
    effects = {k: v["growth_effect"] for k, v in truth["extra_indicators"].items()}
    assert effects == {f"kpi_{k + 1:02d}": EXTRA_PATTERN[k][2] for k in range(12)}
    assert [k for k, v in effects.items() if v] == ["kpi_01", "kpi_05", "kpi_07", "kpi_09"]
    assert truth["spec"]["extra_indicators"] == 12
    assert set(truth["indicators_without_effect"]) >= {k for k, v in effects.items() if v == 0}
    order = truth["importance_order"]["revenue_growth"]
    assert order.index("kpi_01") < order.index("kpi_02")  # an acting indicator ranks above any without effect


def test_extra_indicators_draw_from_their_own_stream():
    """Adding extra indicators leaves every draw of the standard company as it was: the same survey, 360
    reviews, managers and customer counts; only revenue moves (the extra indicators act on growth)."""
    plain = generate_company(SampleSpec(n_managers=40, n_quarters=8, truth_replications=10), seed=11).tables
    extra = generate_company(
        SampleSpec(n_managers=40, n_quarters=8, truth_replications=10, extra_indicators=3), seed=11
    ).tables
    for name in ("managers", "survey", "reviews"):
        pd.testing.assert_frame_equal(plain[name], extra[name])
    for column in ("customers_start", "customers_lost", "new_customers", "key_customers_lost"):
        pd.testing.assert_series_equal(plain["performance"][column], extra["performance"][column])
    assert not np.allclose(plain["performance"]["revenue"].iloc[-40:], extra["performance"]["revenue"].iloc[-40:])
    # the extra company's AHP judgments are hierarchical (dimensions, then indicators within each dimension)
    assert {"results", "customer_value"} <= set(extra["ahp_judgments"]["row"]) and "ahp_judgments" in plain


def test_regression_recovers_the_extra_indicators_effects():
    """OLS of next-quarter log growth on the 12 extra indicators (quarter dummies, clustered by manager)
    finds the four true effects and no others: the extra indicators are independent of everything else."""
    spec = SampleSpec(n_managers=1500, n_quarters=8, truth_replications=2, extra_indicators=12)
    company = generate_company(spec, seed=3)
    perf = company.tables["performance"].sort_values(["manager_id", "period"])
    nxt = perf.groupby("manager_id")[["revenue", "period"]].shift(-1)
    consecutive = nxt["period"].notna()
    data = perf[consecutive].assign(growth=np.log(nxt["revenue"][consecutive] / perf["revenue"][consecutive]))
    kpis = spec.extra_ids
    fit = smf.ols("growth ~ C(period) + " + " + ".join(kpis), data=data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["manager_id"])[0]}
    )
    truth = company.truth["extra_indicators"]
    for k in kpis:
        assert abs(fit.params[k] - truth[k]["growth_effect"]) < 3.5 * fit.bse[k], k
    assert fit.params["kpi_01"] / fit.bse["kpi_01"] > 4  # 0.0008 per point is found


def test_truth_resimulation_in_blocks_estimates_the_same_probabilities(monkeypatch):
    """Above TRUTH_SINGLE_PASS replications x managers the final year is re-simulated in blocks; it estimates
    the same hit probabilities as the single pass, and is fixed by the seed."""
    spec = SampleSpec(n_managers=40, n_quarters=8, truth_replications=300)
    single = generate_company(spec, seed=5).truth_managers["final_year_p_hit"]
    monkeypatch.setattr(sample_spec, "TRUTH_SINGLE_PASS", 1_000)
    monkeypatch.setattr(sample_spec, "TRUTH_BLOCK_UNITS", 400)  # blocks of 10 replications
    blocked = generate_company(spec, seed=5).truth_managers["final_year_p_hit"]
    again = generate_company(spec, seed=5).truth_managers["final_year_p_hit"]
    pd.testing.assert_series_equal(blocked, again)
    assert not blocked.equals(single)
    assert abs(blocked.mean() - single.mean()) < 0.02
    assert np.abs(blocked - single).max() < 0.15  # 300 replications: sd of a difference <= 0.04
    assert np.corrcoef(blocked, single)[0, 1] > 0.95


# --------------------------------------------------------------------------- loading and validation fast paths


def test_numbers_stored_as_numbers_give_the_same_messages_as_text(small_company):
    """A Parquet performance table (typed numbers) skips the text path and gives the same messages as the CSV."""
    perf = pd.read_csv(small_company / "performance.csv")
    perf["new_customers"] = perf["new_customers"].astype(float)
    perf.loc[3, "new_customers"] = 2.5
    perf.loc[5, "revenue"] = -4.0
    perf.loc[7, "profit"] = np.nan
    perf.loc[8, "revenue_target"] = np.nan
    perf.to_csv(small_company / "performance.csv", index=False)
    as_text = validate(small_company / "calibrate.yaml").problems
    perf.to_parquet(small_company / "performance.parquet", index=False)
    config = yaml.safe_load((small_company / "calibrate.yaml").read_text(encoding="utf-8"))
    config["data"]["performance"] = "performance.parquet"
    (small_company / "calibrate.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    as_numbers = validate(small_company / "calibrate.yaml").problems
    # a CSV counts its header as row 1, Parquet counts records from 1: the same problems, one row apart
    assert [(p.row - 1, p.column, p.message) for p in as_text] == [(p.row, p.column, p.message) for p in as_numbers]
    assert [str(p) for p in as_numbers] == [
        "performance.parquet row 9, column revenue_target: value is missing",
        "performance.parquet row 6, column revenue: -4.0 is outside at least 0",
        "performance.parquet row 8, column profit: value is missing",
        "performance.parquet row 4, column new_customers: 2.5 is not a whole number",
    ]


def test_distinct_value_parsing_matches_pandas():
    text = pd.Series(["3", "4", " 5", "x", None, "4", "3.50", "", "1e1"] * 50, dtype="string")
    pd.testing.assert_series_equal(_to_numeric_distinct(text), pd.to_numeric(text, errors="coerce").astype(float))
    dates = pd.Series(["2024-01-05", "2023/12/31", "not a date", None, "2024-01-05"] * 40, dtype="string")
    pd.testing.assert_series_equal(_to_datetime_distinct(dates), pd.to_datetime(dates, errors="coerce", format="mixed"))


def test_expanding_periods_by_distinct_label_is_the_row_by_row_table():
    frame = pd.DataFrame(
        {
            "manager_id": pd.array(["a", "b", "c", "a", "d"] * 30, dtype="str"),
            "period": pd.array(["2024H1", "2024Q3", "2024", "2024H1", "2023 h2"] * 30, dtype="string"),
            "score": np.arange(150.0),
        },
        index=np.arange(150)[::-1],
    )
    expanded = expand_to_quarters(frame)
    pd.testing.assert_frame_equal(expanded, _expand_rows(frame, "period"))
    assert len(expanded) == 30 * (2 + 1 + 4 + 2 + 2)
    assert list(expanded["quarter"][:4]) == ["2024Q1", "2024Q2", "2024Q3", "2024Q1"]
    with pytest.raises(ValueError, match="not a period label: 'junk'"):
        expand_to_quarters(pd.DataFrame({"period": ["2024Q1", "junk", "2024"]}))


@pytest.mark.parametrize(
    "content, fast",
    [
        ("a,b,c\n1,x,\n2,,z\n", True),
        ("\ufeff名字,地区\r\n王伟,华东\r\n\r\n李娜,\r\n", True),  # BOM, CRLF, a blank line, Chinese text
        ("a,b\nNA,null\n", True),  # 'NA' stays text, as pandas reads it here
        ('a,b\n"1,5",2\n', False),  # quotes: pandas' reader
        ("a,b,c\n1,2\n", False),  # a short row: pandas' reader (fills blanks)
    ],
)  # repeated header names are refused (tests/test_trust.py::test_a_duplicated_column_name_is_rejected)
def test_plain_csv_read_by_arrow_is_what_pandas_reads(tmp_path, content, fast):
    path = tmp_path / "t.csv"
    path.write_bytes(content.encode("utf-8"))
    expected = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    expected.columns = [c.lstrip("\ufeff") for c in expected.columns]
    arrow = _read_plain_csv_arrow(path, ",")
    assert (arrow is not None) == fast
    pd.testing.assert_frame_equal(read_source(path).frame, expected)

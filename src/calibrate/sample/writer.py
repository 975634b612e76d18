"""Writing a sample company: its data files (CSV, Parquet), its run config and its truth files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from calibrate.indicators import load_indicator_set
from calibrate.sample.deals import deals_export
from calibrate.sample.indicator_set import extra_indicator_set_yaml
from calibrate.sample.innovation import FILE as INNOVATION_FILE
from calibrate.sample.model import generate_company
from calibrate.sample.spec import SampleSpec
from calibrate.sample.truth import write_truth


def write_sample(folder: str | Path, spec: SampleSpec = SampleSpec(), seed: int = 2025) -> dict[str, Path]:
    """Generate the company and write its files (the layout of ``data/sample/``).

    With extra indicators the folder also holds ``indicator_set_<8+K>.yaml`` and the
    config points at it. The truth files are written by :func:`calibrate.sample.truth.write_truth`.
    Returns the written paths by name.
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
        "deals": folder / "deals.csv",
        "innovation": folder / INNOVATION_FILE,
        "config": folder / "calibrate.yaml",
        "director_config": folder / "calibrate_key_account_director.yaml",
    }
    settings = {
        "indicator_set": "account_manager",
        "ahp_line": "  ahp_judgments: ahp_judgments.csv\n",
        "weights_section": "",
    }
    if spec.extra_indicators:
        settings = {
            "indicator_set": f"indicator_set_{len(company.indicator_set)}.yaml",
            "ahp_line": "  ahp_judgments: ahp_judgments.csv\n",
            "weights_section": "",
        }
        paths["indicator_set"] = folder / settings["indicator_set"]
        paths["indicator_set"].write_text(extra_indicator_set_yaml(spec), encoding="utf-8")
    write_csv_fast(t["managers"], paths["managers"])
    write_csv_fast(t["performance"], paths["performance"], decimals=4)
    t["survey"].to_parquet(paths["survey"], index=False)
    write_csv_fast(t["reviews"], paths["reviews"])
    if "ahp_judgments" in t:
        t["ahp_judgments"].to_csv(paths["ahp_judgments"], index=False)
        # the key_account_director set is this set without satisfaction: the same experts' judgments on its items
        director = set(load_indicator_set("key_account_director").ids)
        judged = t["ahp_judgments"]
        paths["ahp_judgments_director"] = folder / "ahp_judgments_key_account_director.csv"
        judged[judged["row"].isin(director) & judged["col"].isin(director)].to_csv(
            paths["ahp_judgments_director"], index=False
        )
    t["last_year_weights"].to_csv(paths["last_year_weights"], index=False, float_format="%.4f")
    # a CRM deals export from which the performance table's revenue, profit and new-customer columns are derived
    deals_export(t, seed).to_csv(paths["deals"], index=False)
    # the innovation committee's yearly counts, read by the key_account_director set (and its run config)
    write_csv_fast(t["innovation"], paths["innovation"])
    paths.update(write_truth(folder, company.truth, company.truth_managers, company.truth_raters))
    paths["config"].write_text(
        SAMPLE_CONFIG.format(year=int(company.truth["final_year"]["year"]), seed=seed, **settings), encoding="utf-8"
    )
    paths["director_config"].write_text(
        DIRECTOR_CONFIG.format(year=int(company.truth["final_year"]["year"]), seed=seed), encoding="utf-8"
    )
    return paths


def write_csv_fast(
    frame: pd.DataFrame, path: str | Path, decimals: int | None = None, rows_per_piece: int = 1_000_000
) -> Path:
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
            lines = pc.binary_join_element_wise(lines, empty, newline)  # each row ends with a newline
            lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
            data = lines.buffers()[2]
            if len(lines):
                fh.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
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
        values = pa.array(
            column.array if isinstance(column.array, pd.arrays.ArrowStringArray) else column.to_numpy(),
            from_pandas=True,
        )
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
    scale = 10**decimals
    scaled = finite * scale
    whole = np.rint(scaled)
    if not np.all(np.abs(scaled - whole) < 1e-6):
        return None
    digits = np.abs(whole).astype(np.int64)
    sign = pa.array(np.where(np.signbit(finite), "-", ""), pa.large_string())
    integer = pc.cast(pa.array(digits // scale), pa.large_string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(digits % scale), pa.large_string()), width=decimals, padding="0")
    text = pc.binary_join_element_wise(
        pc.binary_join_element_wise(sign, integer, pa.scalar("", pa.large_string())),
        fraction,
        pa.scalar(".", pa.large_string()),
    )
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
  innovation: innovation_committee.csv
{ahp_line}  last_year_weights: last_year_weights.csv
output: reports
privacy:
  pseudonymise: true
{weights_section}"""

DIRECTOR_CONFIG = """\
# The sample company scored with the key_account_director indicator set (written by `calibrate sample`):
# solution innovation is the innovation committee's yearly count of accepted solutions.
run_name: sample_key_account_director
year: {year}
lang: zh
seed: {seed}
indicator_set: key_account_director
data:
  managers: managers.csv
  performance: performance.csv
  survey: survey.parquet
  reviews: reviews_360.csv
  innovation: innovation_committee.csv
  ahp_judgments: ahp_judgments_key_account_director.csv
output: reports
privacy:
  pseudonymise: true
"""

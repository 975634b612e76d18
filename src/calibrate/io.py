"""Read any supported source into a DataFrame of raw values, remembering where each row came from.

Supported sources (the kind is taken from the file's ending, or from the keys of a mapping):

* ``.csv`` / ``.txt``: UTF-8 (with or without BOM), or the GBK/GB18030 that Chinese Excel writes;
* ``.xlsx`` / ``.xlsm`` (optionally ``{path: x.xlsx, sheet: 2024}``);
* ``.parquet``;
* ``.duckdb`` / ``.db`` with a table: ``{path: hr.duckdb, table: performance}`` (DuckDB, embedded);
* any SQLAlchemy URL: ``{url: "postgresql://...", table: performance}`` or ``{url: ..., query: "SELECT ..."}``.

Rows keep their position so that validation can say "performance.csv row 17": for
files with a header, row numbers count the header as row 1, as a spreadsheet does;
for Parquet and SQL they count records from 1.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.errors import CalibrateError, DataSourceError

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# the oldest pandas the tool is tested with (pyproject.toml and environment.yml say the same)
PANDAS_FLOOR = (3, 0)


def check_pandas(version: str) -> None:
    """One clear line when pandas is older than :data:`PANDAS_FLOOR`.

    With pandas 2.2.3 the sample does not load: blank cells of text columns read back as
    the word 'None' (336 false problems in managers.csv alone), and grouping the survey's
    categorical IDs adds every unseen pair.
    """
    found = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if found < PANDAS_FLOOR:
        floor = ".".join(map(str, PANDAS_FLOOR))
        raise CalibrateError(
            f"calibrate needs pandas {floor} or later; this environment has pandas {version} "
            f"(pip install --upgrade 'pandas>={floor}')"
        )


check_pandas(pd.__version__)


@dataclass(frozen=True)
class SourceInfo:
    """Where a table came from: the label used in messages, the first data row's number, a content hash."""

    label: str
    kind: str
    first_row: int
    sha256: str
    location: str
    #: canonical column -> the header in the source, for columns renamed by a column mapping
    headers: tuple[tuple[str, str], ...] = ()
    #: the source row of each record when records were regrouped (monthly rows summed to quarters)
    rows: tuple[int, ...] | None = None
    #: how rows were aggregated to quarters: (column, rule, where the rule came from), and the rows read
    aggregation: tuple[tuple[str, str, str], ...] = ()
    rows_read: int | None = None

    def row_number(self, position: int) -> int:
        """Row number (as the user sees it) of the record at 0-based ``position``."""
        if self.rows is not None:
            return self.rows[position]
        return self.first_row + position

    def header(self, column: str) -> str:
        """``column`` as the source names it: ``营收 (revenue)`` for a mapped column, else ``column``."""
        original = dict(self.headers).get(column)
        return f"{original} ({column})" if original and original != column else column


@dataclass(frozen=True)
class RawTable:
    frame: pd.DataFrame
    info: SourceInfo


def read_source(spec: str | Path | dict[str, Any], *, base_dir: str | Path = ".") -> RawTable:
    """Read one source. Values keep the types the source gives (CSV cells stay text)."""
    if isinstance(spec, dict):
        return _read_mapping(spec, Path(base_dir))
    return _read_file(_resolve(spec, Path(base_dir)), {})


def _resolve(path: str | Path, base_dir: Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else base_dir / path


def _read_mapping(spec: dict[str, Any], base_dir: Path) -> RawTable:
    allowed = {"path", "sheet", "table", "query", "url", "encoding", "separator"}
    unknown = set(spec) - allowed
    if unknown:
        raise DataSourceError(
            f"data source {spec}: unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})"
        )
    if "url" in spec:
        return _read_sqlalchemy(spec)
    if "path" not in spec:
        raise DataSourceError(f"data source {spec}: give a 'path' or a SQLAlchemy 'url'")
    path = _resolve(spec["path"], base_dir)
    if path.suffix.lower() in (".duckdb", ".db"):
        return _read_duckdb(path, spec)
    return _read_file(path, spec)


def _read_file(path: Path, options: dict[str, Any]) -> RawTable:
    if not path.exists():
        raise DataSourceError(f"{path}: file not found")
    suffix = path.suffix.lower()
    digest = _file_sha256(path)
    if suffix in (".csv", ".txt", ".tsv"):
        frame = _read_csv(path, options)
        return RawTable(frame, SourceInfo(path.name, "csv", 2, digest, str(path)))
    if suffix in (".xlsx", ".xlsm", ".xls"):
        sheet = options.get("sheet", 0)
        if isinstance(sheet, int) and not isinstance(sheet, bool):
            sheet = _sheet_named(path, sheet)  # `sheet: 2025` unquoted in YAML: the sheet named 2025
        try:
            frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
            header = pd.read_excel(path, sheet_name=sheet, dtype=object, header=None, nrows=1)
            header = header.iloc[0].tolist() if len(header) else None
        except ValueError as exc:
            raise DataSourceError(f"{path.name}: cannot read sheet {sheet!r} ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for damaged files
            raise DataSourceError(f"{path.name}: not a readable Excel workbook ({exc})") from None
        label = path.name if sheet == 0 else f"{path.name} [sheet {sheet}]"
        return RawTable(_clean_columns(frame, label, header), SourceInfo(label, "xlsx", 2, digest, str(path)))
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001
            raise DataSourceError(f"{path.name}: not a readable Parquet file ({exc})") from None
        return RawTable(_clean_columns(frame, path.name), SourceInfo(path.name, "parquet", 1, digest, str(path)))
    if suffix in (".duckdb", ".db"):
        raise DataSourceError(
            f"{path.name}: a database file needs a table, e.g. {{path: {path.name}, table: performance}}"
        )
    raise DataSourceError(f"{path.name}: unsupported file type '{suffix}' (use .csv, .xlsx, .parquet or a database)")


def _sheet_named(path: Path, sheet: int) -> int | str:
    """A sheet given as a number: the sheet of that name when there is one, else the position."""
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        names = book.sheetnames
        book.close()
    except Exception:  # noqa: BLE001 - unreadable files are reported by the reader below
        return sheet
    return str(sheet) if str(sheet) in names else sheet


def _read_csv(path: Path, options: dict[str, Any]) -> pd.DataFrame:
    encodings = (options["encoding"],) if "encoding" in options else CSV_ENCODINGS
    sep = options.get("separator", "\t" if path.suffix.lower() == ".tsv" else ",")
    if str(options.get("encoding", "utf-8")).lower().replace("_", "-") in UTF8_NAMES:
        fast = _read_plain_csv_arrow(path, sep)
        if fast is not None:
            return _clean_columns(fast, path.name)
    last_error: Exception | None = None
    for encoding in encodings:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, sep=sep)
            header = (
                pd.read_csv(path, dtype=str, header=None, nrows=1, keep_default_na=False, encoding=encoding, sep=sep)
                .iloc[0]
                .tolist()
            )  # the names as written (pandas renames repeats)
            return _clean_columns(frame, path.name, header)
        except UnicodeDecodeError as exc:
            last_error = exc
        except pd.errors.ParserError as exc:
            raise DataSourceError(f"{path.name}: not a well-formed CSV file ({exc})") from None
        except pd.errors.EmptyDataError:
            raise DataSourceError(f"{path.name}: the file is empty") from None
    raise DataSourceError(
        f"{path.name}: cannot decode the text as {' or '.join(encodings)} "
        f"(byte {getattr(last_error, 'start', '?')}); save it as UTF-8 or GBK, or set 'encoding' in the config"
    )


UTF8_NAMES = ("utf-8", "utf8", "utf-8-sig")


def _read_plain_csv_arrow(path: Path, sep: str) -> pd.DataFrame | None:
    """The table pandas' reader gives for a *plain* CSV, read with Arrow's parser (several times faster).

    Plain: valid UTF-8 (a BOM is fine), a one-character separator, no quote
    character anywhere, distinct non-empty header names, and every row with as many
    fields as the header. Those are the files on which both readers agree cell for
    cell (all cells as text, empty cells missing). Returns None for any other file,
    which then goes through pandas as before, with its messages.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if len(sep) != 1 or sep in "\r\n" or _has_quote(path):
        return None
    try:
        with path.open("rb") as fh:
            header = fh.readline().decode("utf-8-sig")
    except (UnicodeDecodeError, OSError):
        return None
    names = header.rstrip("\r\n").split(sep)
    if not header.strip() or "" in names or len(set(names)) != len(names):
        return None
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.large_string() for n in names}, null_values=[""], strings_can_be_null=True
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    return pd.DataFrame({name: pd.array(table.column(k), dtype="str") for k, name in enumerate(names)})


def _has_quote(path: Path) -> bool:
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            if b'"' in block:
                return True
    return False


def _read_duckdb(path: Path, spec: dict[str, Any]) -> RawTable:
    import duckdb

    if not path.exists():
        raise DataSourceError(f"{path}: database file not found")
    query = _query(spec, path.name)
    try:
        # read-only and no file access from SQL: a query cannot write (COPY ... TO) or read other files
        with duckdb.connect(str(path), read_only=True, config={"enable_external_access": False}) as con:
            frame = con.execute(query).df()
    except duckdb.Error as exc:
        raise DataSourceError(f"{path.name}: {query!r} failed ({exc})") from None
    label = f"{path.name}:{spec.get('table', 'query')}"
    return RawTable(_clean_columns(frame, label), SourceInfo(label, "duckdb", 1, _frame_sha256(frame), str(path)))


def _read_sqlalchemy(spec: dict[str, Any]) -> RawTable:
    import sqlalchemy

    url = spec["url"]
    query = _query(spec, url)
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as con:
            frame = pd.read_sql(sqlalchemy.text(query), con)
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - drivers raise their own types
        raise DataSourceError(f"{_safe_url(url)}: {query!r} failed ({exc})") from None
    label = f"{_safe_url(url)}:{spec.get('table', 'query')}"
    return RawTable(_clean_columns(frame, label), SourceInfo(label, "sql", 1, _frame_sha256(frame), _safe_url(url)))


_READ_ONLY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def _query(spec: dict[str, Any], where: str) -> str:
    if "query" in spec:
        query = str(spec["query"])
        plain = _COMMENTS.sub(" ", query).strip().rstrip(";").strip()
        if not _READ_ONLY.match(plain) or ";" in plain:
            raise DataSourceError(
                f"{where}: the query must be one SELECT (or WITH ... SELECT) statement; calibrate only reads data"
            )
        return query
    if "table" in spec:
        table = str(spec["table"])
        if not table.replace("_", "").replace(".", "").isalnum():
            raise DataSourceError(f"{where}: table name {table!r} may hold only letters, digits, '_' and '.'")
        return f"SELECT * FROM {table}"
    raise DataSourceError(f"{where}: give a 'table' or a 'query'")


def _safe_url(url: str) -> str:
    """The URL without its password, for messages and the manifest."""
    try:
        import sqlalchemy

        return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url.split("@")[-1]


def _clean_columns(frame: pd.DataFrame, label: str = "data source", header: list | None = None) -> pd.DataFrame:
    """Column names stripped; DataSourceError when a name appears twice (as written in ``header``, if given)."""
    frame = frame.copy()
    names = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    written = [str(c).strip().lstrip("\ufeff") for c in header] if header is not None else names
    seen: dict[str, int] = {}
    for k, name in enumerate(written, start=1):
        if name in seen and name not in ("", "nan", "None"):
            raise DataSourceError(
                f"{label} row 1, column {name}: the column name appears twice "
                f"(columns {seen[name]} and {k}); rename or remove one"
            )
        seen.setdefault(name, k)
    frame.columns = names
    return frame.reset_index(drop=True)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _frame_sha256(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()

"""Files as CRM systems write them: one Arrow table of source columns, whatever the input.

Every source becomes a :class:`Loaded`: an Arrow table with positional column names (``c0``, ``c1``, ...,
so that two source columns with the same name stay two columns) plus the source's own names. CSV files are
read by Arrow's multi-threaded reader with every column as text; the separator, the encoding and the header
row are found from the first 256 KB.
"""

from __future__ import annotations

import codecs
import csv
import io
import lzma
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .._errors import DataContractError, ParameterError, format_examples
from .._validation import check_encoding

__all__ = ["Loaded", "load_source"]

_CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".dat"}
_COMPRESSED = {".gz", ".bz2", ".xz", ".zip"}
_EXCEL = {".xlsx", ".xlsm", ".xls"}
_PARQUET = {".parquet", ".pq"}
_HEAD_BYTES = 256 * 1024
#: How far down a header row is searched for (title blocks of 1C and Bitrix24 exports are a few lines).
HEADER_SEARCH_ROWS = 30
_SEPARATORS = (";", ",", "\t", "|")
_WHITESPACE = r"\s+"


@dataclass
class Loaded:
    """A source read into Arrow, before any contract check."""

    table: pa.Table  # columns c0..c{n-1}
    names: list[str]
    source: str
    kind: str  # "csv", "excel", "parquet" or "frame"
    header_line: int = (
        1  # 1-based line (or sheet row) of the header; data row i is on line header_line + 1 + i
    )
    options: dict[str, Any] = field(default_factory=dict)
    header_found: bool = True
    first_line: str = ""  # the source's first non-empty line, for messages about title rows
    title_like: bool = False  # the first line has fewer fields than the lines below it (a title block)
    # Excel columns mixing text and number cells: position -> each number cell's value (NaN elsewhere).
    # The table holds such a column as text; the numbers are kept so that they are read as the numbers they
    # are instead of as text that would vote on the column's decimal mark.
    cell_numbers: dict[int, np.ndarray] = field(default_factory=dict)


def load_source(
    source: Any,
    *,
    wanted: list[str],
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> Loaded:
    """Read ``source`` (a path, a pandas/polars frame, a polars LazyFrame or an Arrow table)."""
    # A bool is an int to Python, but header_row=True means nothing; refused rather than read as line 1.
    bad_type = isinstance(header_row, bool) or not isinstance(header_row, int)
    if header_row is not None and (bad_type or header_row < 1):
        raise ParameterError(
            f"header_row must be the 1-based line number of the header (1 = first line); got {header_row!r}."
        )
    _check_sep(sep)
    check_encoding(encoding)
    if isinstance(source, pd.DataFrame):
        names = [str(c).strip() for c in source.columns]
        return Loaded(_frame_to_arrow(source), names, f"pandas DataFrame ({len(source):,} rows)", "frame")
    module = type(source).__module__.split(".")[0]
    if module == "polars":
        kind = type(source).__name__
        frame = source.collect() if kind == "LazyFrame" else source
        table = _positional(_plain_strings(frame.to_arrow()))
        return Loaded(
            table, [str(c) for c in frame.columns], f"polars {kind} ({frame.height:,} rows)", "frame"
        )
    if isinstance(source, pa.Table):
        names = [str(c) for c in source.column_names]
        return Loaded(
            _positional(_plain_strings(source)), names, f"Arrow table ({source.num_rows:,} rows)", "frame"
        )
    if not isinstance(source, str | Path):
        raise DataContractError(
            f"source must be a file path or a pandas/polars DataFrame, got {type(source).__name__}."
        )
    path = Path(source)
    if path.is_dir():
        raise DataContractError(
            f"Cannot read {str(path)!r}: it is a folder, not a file. Pass the path of the export file in it."
        )
    if not path.is_file():
        raise DataContractError(
            f"Cannot read {str(path)!r}: no such file. Check the path (relative to {Path.cwd()})."
        )
    inner = _kind_suffix(path)
    if inner in _EXCEL:
        return _read_excel(path, wanted, 0 if sheet is None else sheet, header_row)
    if inner in _PARQUET:
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise DataContractError(f"Cannot read {str(path)!r}: {exc}. Is it a valid Parquet file?") from exc
        return Loaded(_positional(_plain_strings(table)), list(table.column_names), str(path), "parquet")
    if inner not in _CSV_SUFFIXES and inner not in _COMPRESSED:
        raise DataContractError(
            f"Cannot tell the format of {str(path)!r} from its name. Use a .csv, .txt, .xlsx or .parquet "
            "file, or read it yourself and pass the DataFrame."
        )
    return _read_csv(path, wanted, sep, encoding, header_row)


def _kind_suffix(path: Path) -> str:
    """The suffix that says what kind of file ``path`` is: ``.csv`` for ``sales.csv.gz``, in lower case."""
    suffixes = [s.lower() for s in path.suffixes]
    return suffixes[-2] if len(suffixes) > 1 and suffixes[-1] in _COMPRESSED else (suffixes or [""])[-1]


#: The source kinds each reading option applies to, for the message that refuses it elsewhere.
_APPLIES_TO = {"sep": "text (CSV) files", "encoding": "text (CSV) files", "sheet": "Excel workbooks"}


def check_reading_options(
    source: Any, *, sep: Any = None, encoding: Any = None, sheet: Any = None, database: bool = False
) -> None:
    """Refuse a reading option that means nothing for this source: ignoring it would hide a mistake.

    A ``sheet=`` given with a CSV file usually means the wrong file was picked; an ``encoding=`` given with a
    workbook, that the user expects text that Excel does not store. ``database``: the source is a table or
    query of a database, where none of them applies.
    """
    given = {"sep": sep, "encoding": encoding, "sheet": sheet}
    if database:
        what = "a database table or query"
    elif not isinstance(source, str | Path):
        what = "a table already in memory"
    else:
        path = Path(source)
        inner = _kind_suffix(path)
        if inner in _EXCEL:
            what, given = f"{path.name!r}, an Excel workbook", {"sep": sep, "encoding": encoding}
        elif inner in _PARQUET:
            what = f"{path.name!r}, a Parquet file"
        else:
            what, given = f"{path.name!r}, a text (CSV) file", {"sheet": sheet}
    for name, value in given.items():
        if value is not None:
            raise ParameterError(
                f"{name}={value!r} applies to {_APPLIES_TO[name]} only, and the source is {what}. "
                f"Remove {name}= (or give the file it was meant for)."
            )


def _check_sep(sep: Any) -> None:
    """Refuse a separator the CSV readers cannot split on (they take one character, or whitespace runs)."""
    if sep is None or sep == _WHITESPACE or (isinstance(sep, str) and len(sep) == 1 and sep not in '\r\n"'):
        return
    raise ParameterError(
        f"sep must be one character such as ';', ',', '\\t' (TAB) or '|', or r'\\s+' for columns separated "
        f"by runs of spaces; got {sep!r}. Leave it out to have the separator found from the header row."
    )


# --------------------------------------------------------------------------------------------------
# frames
# --------------------------------------------------------------------------------------------------


def _positional(table: pa.Table) -> pa.Table:
    return table.rename_columns([f"c{i}" for i in range(table.num_columns)])


def _plain_strings(table: pa.Table) -> pa.Table:
    """String views (polars) become plain strings, which every Arrow kernel supports."""
    columns = []
    for col in table.columns:
        kind = col.type
        if str(kind) == "string_view":
            col = col.cast(pa.large_string())
        elif pa.types.is_dictionary(kind) and str(kind.value_type) == "string_view":
            col = col.cast(pa.dictionary(kind.index_type, pa.large_string()))
        columns.append(col)
    return pa.table(columns, names=[f"c{i}" for i in range(len(columns))])


def _frame_to_arrow(
    frame: pd.DataFrame, excel: bool = False, cell_numbers: dict[int, np.ndarray] | None = None
) -> pa.Table:
    """``frame`` as Arrow; for Excel, the number cells of text columns are recorded in ``cell_numbers``."""
    arrays = []
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        array, numbers = _series_to_arrow(series, excel)
        if numbers is not None and cell_numbers is not None:
            cell_numbers[i] = numbers
        arrays.append(array)
    return pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))])


def _series_to_arrow(series: pd.Series, excel: bool) -> tuple[pa.Array, np.ndarray | None]:
    """The column as Arrow, plus the values of its number cells when it is text mixed with numbers."""
    if not (excel and series.dtype == object):
        try:
            return pa.array(series, from_pandas=True), None
        except (pa.ArrowException, TypeError, ValueError):
            pass
    # Mixed Python objects (Excel cells, hand-made frames): per-value type checks are unavoidable here, and
    # only these columns pay for them.
    values = series.to_numpy(dtype=object)
    present = ~pd.isna(series).to_numpy()
    is_text = np.array([isinstance(v, str) for v in values], dtype=bool)
    is_time = np.array([hasattr(v, "year") for v in values], dtype=bool) & present
    is_number = np.array(
        [isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values], dtype=bool
    )
    is_number &= present
    if not present.any() or (is_text | ~present).all():
        return pa.array([v if ok else None for v, ok in zip(values, present, strict=True)], pa.string()), None
    if (is_number | ~present).all():
        return pa.array(np.where(present, values, np.nan).astype(float), from_pandas=True), None
    if (is_time | ~present).all():
        return pa.array(pd.to_datetime(pd.Series(values)), from_pandas=True), None
    if excel and is_time.any() and (is_time | is_number | ~present).all():
        # A date column where some cells are Excel serial numbers instead of formatted dates.
        out = pd.Series(pd.NaT, index=range(len(values)), dtype="datetime64[ns]")
        out[is_time] = pd.to_datetime(pd.Series(values[is_time])).to_numpy()
        serial = np.asarray(values[is_number], dtype=float)
        out[is_number] = (pd.Timestamp("1899-12-30") + pd.to_timedelta(serial, unit="D")).to_numpy()
        return pa.array(out, from_pandas=True), None
    text = [_cell_text(v) if ok else None for v, ok in zip(values, present, strict=True)]
    numbers = None
    if excel and is_number.any():
        numbers = np.full(len(values), np.nan)
        numbers[is_number] = np.asarray(values[is_number], dtype=float)
    return pa.array(text, pa.string()), numbers


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


# --------------------------------------------------------------------------------------------------
# header rows
# --------------------------------------------------------------------------------------------------


def _find_header(rows: list[list[str]], wanted: list[str]) -> int | None:
    need = [w for w in wanted if w]
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = {c.strip().lstrip("\ufeff") for c in row}
        if all(w in cells for w in need):
            return i
    return None


def _read_excel(path: Path, wanted: list[str], sheet: str | int, header_row: int | None) -> Loaded:
    try:
        raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object)
    except ValueError as exc:
        sheets = _sheet_names(path)
        raise DataContractError(
            f"Cannot read sheet {sheet!r} of {str(path)!r}: {exc}. The workbook has the sheets "
            f"{format_examples(sheets, limit=20)}; pass sheet= with one of them (a name or a 0-based position)."
        ) from exc
    except (OSError, ImportError) as exc:
        raise DataContractError(f"Cannot read {str(path)!r}: {exc}. Is it a valid Excel file?") from exc
    head = [["" if pd.isna(v) else str(v) for v in row] for row in raw.head(HEADER_SEARCH_ROWS).to_numpy()]
    found = True
    if header_row is not None:
        h = header_row - 1
    else:
        h = _find_header(head, wanted)
        found = h is not None
        h = h or 0
    if h >= len(raw):
        raise DataContractError(f"header_row={h + 1} is beyond the {len(raw):,} rows of {str(path)!r}.")
    names = [f"Unnamed: {i}" if pd.isna(v) else str(v).strip() for i, v in enumerate(raw.iloc[h].tolist())]
    body = raw.iloc[h + 1 :].reset_index(drop=True)
    options = {"sheet": sheet}
    if h:
        options["header row"] = h + 1
    first = next((" ".join(c for c in row if c) for row in head if any(row)), "")
    title = _title_like([sum(1 for c in row if c) for row in head])
    cell_numbers: dict[int, np.ndarray] = {}
    table = _frame_to_arrow(body, excel=True, cell_numbers=cell_numbers)
    return Loaded(table, names, str(path), "excel", h + 1, options, found, first, title, cell_numbers)


def _title_like(widths: list[int]) -> bool:
    """Whether the first non-empty line is narrower than the widest line below it (a title above a table)."""
    filled = [w for w in widths if w > 0]
    return len(filled) > 1 and filled[0] < max(filled[1:])


def _sheet_names(path: Path) -> list[str]:
    try:
        return list(pd.ExcelFile(path).sheet_names)
    except Exception:  # only used to enrich an error message
        return []


# --------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------


def _open(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        zf = zipfile.ZipFile(path)
        return zf.open(zf.namelist()[0])
    if suffix == ".xz":
        return lzma.open(path, "rb")
    if suffix in (".gz", ".bz2"):
        return pa.input_stream(str(path), compression="gzip" if suffix == ".gz" else "bz2")
    return pa.OSFile(str(path), "rb")


def _head(path: Path) -> bytes:
    with _open(path) as fh:
        return fh.read(_HEAD_BYTES)


def _detect_encoding(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    sample = head[:4096]
    if len(sample) >= 4:
        if sample[1::2].count(0) > len(sample) // 4:
            return "utf-16-le"
        if sample[0::2].count(0) > len(sample) // 4:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _HEAD_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1251"  # 1C and Bitrix24 exports


def _head_lines(head: bytes, encoding: str) -> list[str]:
    try:
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
    except UnicodeError as exc:  # also a UTF-16 decoder's "no BOM", which is not a UnicodeDecodeError
        raise DataContractError(
            f"Cannot decode the file as {encoding!r} ({exc}). Pass encoding= (for example 'cp1251' for 1C "
            "exports or 'utf-16'), or leave it out to have UTF-8 or cp1251 found from the file."
        ) from exc
    lines = [ln.rstrip("\r") for ln in text.lstrip("\ufeff").split("\n")]
    if len(head) == _HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of the sample may be cut in half
    return lines


def _split(line: str, sep: str) -> list[str]:
    if sep == _WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=sep), [])


def _sniff(lines: list[str]) -> str:
    body = [ln for ln in lines[:50] if ln.strip()]
    best, best_score = None, 0
    for cand in _SEPARATORS:
        counts = [len(_split(ln, cand)) - 1 for ln in body]
        if counts and min(counts) > 0 and len(set(counts)) == 1 and counts[0] > best_score:
            best, best_score = cand, counts[0]
    # Fixed-width or space-separated research files (CDNOW) have none of the usual separators.
    return best if best is not None else _WHITESPACE


def _locate_header(
    lines: list[str], wanted: list[str], sep: str | None, header_row: int | None
) -> tuple[int, str, bool]:
    if header_row is not None:
        h = header_row - 1
        if h >= len(lines):
            raise DataContractError(f"header_row={header_row} is beyond the first lines of the file.")
        return h, sep or _sniff(lines[h:]), True
    candidates = [sep] if sep else [*_SEPARATORS, _WHITESPACE]
    for i in range(min(HEADER_SEARCH_ROWS, len(lines))):
        hits = [
            (len(_split(lines[i], c)), c)
            for c in candidates
            if _find_header([_split(lines[i], c)], wanted) == 0
        ]
        # A real separator wins over whitespace: a header padded around its separators ("Client ; Date")
        # also splits on whitespace, into more fields, the separators among them.
        real = [hit for hit in hits if hit[1] != _WHITESPACE]
        if hits:
            return i, max(real or hits, key=lambda hit: hit[0])[1], True
    return 0, sep or _sniff(lines), False


def _read_csv(
    path: Path, wanted: list[str], sep: str | None, encoding: str | None, header_row: int | None
) -> Loaded:
    head = _head(path)
    enc = encoding or _detect_encoding(head)
    lines = _head_lines(head, enc)
    h, used_sep, found = _locate_header(lines, wanted, sep, header_row)
    names = [c.strip() for c in _split(lines[h], used_sep)] if lines else []
    if names:
        names[0] = names[0].lstrip("\ufeff")
    shown_sep = {"\t": "TAB", _WHITESPACE: "whitespace"}.get(used_sep, used_sep)
    options = {"encoding": enc.replace("-sig", ""), "separator": shown_sep}
    if h:
        options["header row"] = h + 1
    if len(names) == 1:
        wrong = next((ch for ch in (";", "\t", ",", "|") if ch in names[0]), None)
        if wrong is not None:
            shown = "TAB" if wrong == "\t" else repr(wrong)
            raise DataContractError(
                f"{str(path)!r} was read as one column named {names[0][:60]!r} with separator "
                f"{'TAB' if used_sep == chr(9) else repr(used_sep)}: the separator is wrong. The header "
                f"contains {shown}; pass sep={wrong!r}."
            )
    if not names:
        raise DataContractError(f"{str(path)!r} is empty: there is no header row.")
    columns = [f"c{i}" for i in range(len(names))]
    if used_sep == _WHITESPACE or len(used_sep) > 1:
        table = _read_with_pandas(path, enc, used_sep, h, columns)
    else:
        table = _read_with_arrow(path, enc, used_sep, h, columns, encoding is None)
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    title = _title_like([max(len(_split(ln, c)) for c in _SEPARATORS) for ln in lines[:HEADER_SEARCH_ROWS]])
    return Loaded(table, names, str(path), "csv", h + 1, options, found, first, title)


def _read_with_pandas(path: Path, enc: str, sep: str, h: int, columns: list[str]) -> pa.Table:
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            header=None,
            names=columns,
            skiprows=h + 1,
            encoding=enc,
            dtype=str,
            keep_default_na=False,
            engine="python" if sep != _WHITESPACE else "c",
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        raise DataContractError(
            f"Cannot parse {str(path)!r} with separator {sep!r} and encoding {enc!r}: {exc}. "
            "Pass sep= (and encoding=) explicitly."
        ) from exc
    return pa.Table.from_pandas(frame, preserve_index=False)


def _read_with_arrow(
    path: Path, enc: str, sep: str, h: int, columns: list[str], may_fall_back: bool
) -> pa.Table:
    ragged: list[tuple[int, int, str]] = []

    def on_bad_row(row: Any) -> str:
        ragged.append((row.actual_columns, row.expected_columns, row.text))
        return "skip"

    read_opts = pacsv.ReadOptions(
        column_names=columns, skip_rows=h + 1, encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc
    )
    parse_opts = pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, invalid_row_handler=on_bad_row)
    convert_opts = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in columns},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
    )
    try:
        with _open(path) as fh:
            table = pacsv.read_csv(
                fh, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts
            )
    except pa.ArrowInvalid as exc:
        if may_fall_back and enc == "utf-8" and "UTF8" in str(exc):
            return _read_with_arrow(path, "cp1251", sep, h, columns, False)
        raise DataContractError(
            f"Cannot parse {str(path)!r} as CSV with separator {sep!r} and encoding {enc!r}: {exc}. "
            "Pass sep= (and encoding=) explicitly."
        ) from exc
    if ragged:
        raise _ragged_error(path, enc, sep, len(columns), ragged)
    return table


def _ragged_error(
    path: Path, enc: str, sep: str, n_columns: int, ragged: list[tuple[int, int, str]]
) -> DataContractError:
    texts = {text for _, _, text in ragged[:5]}
    lines: list[int] = []
    with _open(path) as fh:
        stream = io.TextIOWrapper(
            fh if hasattr(fh, "readable") else io.BytesIO(fh.read()), encoding=enc, newline=""
        )
        for number, line in enumerate(stream, start=1):
            if line.rstrip("\r\n") in texts:
                lines.append(number)
                if len(lines) >= 5:
                    break
    where = (
        f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}" if lines else "rows"
    )
    actual, expected, text = ragged[0]
    return DataContractError(
        f"{str(path)!r}: {len(ragged):,} row(s) have a different number of fields than the header "
        f"({expected} columns); first at {where}: {text[:80]!r} has {actual} fields. Fix those lines (an "
        f"unquoted separator {sep!r} inside a value, or a missing field), or check sep=."
    )

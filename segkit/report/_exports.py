"""Customer lists that open well: CSV for the reader's Excel, and one formatted workbook with a sheet per list.

A Russian-locale Excel expects ``;`` between fields, a decimal comma and ``DD.MM.YYYY`` dates, and only
recognises UTF-8 when the file starts with a byte-order mark; an English one expects ``,``, a decimal point
and ISO dates. :func:`export_csv` writes either. Column names stay the codes by default, because the next
report (and CRM imports) read these files back; ``labels=True`` writes the human names instead.
:func:`export_workbook` writes one ``.xlsx`` with a sheet per list: bold, frozen, width-fitted headers with
the human column names, and numbers kept as numbers with Excel formats (Excel shows them in its own locale).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from ..i18n import (
    check_currency,
    check_lang,
    currency_symbol,
    format_number,
    persona_label,
    symbol_first,
    t,
    translate,
)
from ._format import _is_money, _is_percent, column_label, list_title

__all__ = ["export_csv", "export_customer_lists", "export_workbook"]

#: CSV dialect per language: field separator, decimal mark, encoding (``utf-8-sig`` writes the BOM).
CSV_DIALECTS = {
    "en": {"sep": ",", "decimal": ".", "encoding": "utf-8"},
    "ru": {"sep": ";", "decimal": ",", "encoding": "utf-8-sig"},
}
#: Rows of a list that still go into the report's workbook. Kit convention: a styled sheet of a million
#: rows takes minutes to write and Excel itself stops at 1,048,576; the CSV beside it always has every row.
WORKBOOK_MAX_ROWS = 100_000
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_VALUE_KINDS = {
    "segment": ("segment",),
    "rfm_segment": ("segment",),
    "status": ("status",),
    "base": ("base",),
    "strategy": ("strategy",),
    "action": ("segment_action",),
    "approach": ("persona_approach",),
}


def _dates_as_text(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = _date_text(series, lang)
    return out


def _date_text(series: pd.Series, lang: str) -> pd.Series:
    """Dates as the reader's Excel types them: ``YYYY-MM-DD`` (en) or ``DD.MM.YYYY`` (ru), with
    ``HH:MM:SS`` after a space when any value has a time of day; missing dates are empty.

    Built from numpy's ISO text by rearranging fixed-width characters: pandas' ``strftime`` formats a
    day-first pattern value by value, which takes seconds per million rows.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)  # the wall-clock time, as strftime writes it
    values = series.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(values)
    known = values[~missing]
    has_time = bool((known != known.astype("datetime64[D]")).any())
    # YYYY-MM-DD[THH:MM:SS], fixed width: datetime64[ns] spans the years 1677-2262.
    iso = np.datetime_as_string(values, unit="s" if has_time else "D")
    if lang == "ru" or has_time:
        width = iso.dtype.itemsize // 4
        chars = iso.view("<U1").reshape(len(iso), width)
        if lang == "ru":
            day_first = [8, 9, 7, 5, 6, 4, 0, 1, 2, 3]  # DD.MM.YYYY, the dots put in below
            chars = chars[:, day_first + list(range(10, width))]
            chars[:, [2, 5]] = "."
        if has_time:
            chars[:, 10] = " "
        iso = np.ascontiguousarray(chars).view(f"<U{width}").ravel()
    text = iso.astype(object)
    text[missing] = ""
    return pd.Series(text, index=series.index, name=series.name)


def _human(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Vocabulary values and column names in ``lang`` (segments, statuses, strategies ...)."""
    out = frame.copy()
    for column in out.columns:
        if column in ("persona_name", "name"):
            out[column] = out[column].map(lambda v: persona_label(v, lang) if pd.notna(v) else v)
        elif column in _VALUE_KINDS:
            kinds = _VALUE_KINDS[column]
            out[column] = out[column].map(lambda v, k=kinds: translate(v, k, lang) if pd.notna(v) else v)
    out.columns = [column_label(c, lang) for c in out.columns]
    return out


def _prepare(frame: pd.DataFrame, index: bool) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"A customer list must be a pandas DataFrame; got {type(frame).__name__}.")
    out = frame.reset_index() if index and (frame.index.name or any(frame.index.names)) else frame.copy()
    out.columns = [str(c) for c in out.columns]
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object)
    return out


def export_csv(
    frame: pd.DataFrame, path: str | Path, *, lang: str = "en", index: bool = True, labels: bool = False
) -> Path:
    """Write a customer list as CSV that the reader's Excel opens correctly.

    Parameters
    ----------
    frame : DataFrame
        The list (e.g. :func:`segkit.rfm_segments` output); a named index (``customer_id``) is written as
        the first column.
    path : str or Path
        The file to write.
    lang : {"en", "ru"}
        ``"ru"``: UTF-8 with a byte-order mark, ``;`` separators, decimal comma, ``DD.MM.YYYY`` dates.
        ``"en"``: plain UTF-8, ``,`` separators, decimal point, ISO dates.
    index : bool, default True
        Write a named index as a column.
    labels : bool, default False
        Human column names and translated segment/status names instead of the codes (for reading only:
        segkit reads its own lists back by the codes).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from segkit.report import export_csv
    >>> df = pd.DataFrame({"revenue": [1234.5]}, index=pd.Index(["c1"], name="customer_id"))
    >>> path = export_csv(df, pathlib.Path(tempfile.mkdtemp()) / "list.csv", lang="ru")
    >>> path.read_bytes()
    b'\\xef\\xbb\\xbfcustomer_id;revenue\\nc1;1234,5\\n'
    """
    lang = check_lang(lang)
    out = _dates_as_text(_prepare(frame, index), lang)
    if labels:
        out = _human(out, lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dialect = CSV_DIALECTS[lang]
    out.to_csv(
        path, index=False, sep=dialect["sep"], decimal=dialect["decimal"], encoding=dialect["encoding"]
    )
    return path


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", name).strip()[:31] or "list"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _number_format(code: str, lang: str, currency: str | None) -> str | None:
    if _is_percent(code, None):
        return "0.0%"
    if _is_money(code, None):
        if currency is None:
            return "#,##0.00"
        symbol = currency_symbol(currency)
        return f'"{symbol}"#,##0.00' if symbol_first(currency, lang) else f'#,##0.00 "{symbol}"'
    return None


def export_workbook(
    lists: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    lang: str = "en",
    currency: str | None = None,
    index: bool = True,
) -> Path:
    """Write several customer lists into one Excel workbook, a sheet per list.

    Parameters
    ----------
    lists : mapping of str to DataFrame
        ``{name: table}``; a known list name (``"rfm_segments"``, ``"churn_risk_scores"``, ...) gets its human
        name as the sheet name, any other name is used as it is (cut to Excel's 31 characters).
    path : str or Path
        The ``.xlsx`` file to write.
    lang : {"en", "ru"}
        Language of the sheet names, column headers and vocabulary values (segments, statuses, ...).
    currency : str, optional
        ISO 4217 code shown in the money columns' number format.
    index : bool, default True
        Write a named index (``customer_id``) as the first column.

    Returns
    -------
    Path
        The file written. Headers are bold, the header row is frozen, columns are as wide as their content
        (up to 60 characters); numbers stay numbers, with percentage and money formats.
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    lang = check_lang(lang)
    currency = check_currency(currency)
    if not isinstance(lists, Mapping) or not lists:
        raise ParameterError(
            "lists must be a non-empty mapping {name: DataFrame}, e.g. {'rfm_segments': table}."
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    sheets: list[pd.DataFrame] = []
    # openpyxl writes each sheet's frame: the header and the first row, every style on them. The rows are
    # then written straight into the sheet's XML with the first row's styles (see _write_rows): openpyxl
    # takes tens of microseconds a cell, minutes for the lists of a large base.
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in lists.items():
            codes = _prepare(frame, index)
            sheet = _sheet_name(list_title(str(name), lang), used)
            human = _human(codes, lang)
            sheets.append(human)
            human.head(1).to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for position, code in enumerate(codes.columns, start=1):
                letter = get_column_letter(position)
                ws[f"{letter}1"].font = Font(bold=True)
                ws[f"{letter}1"].alignment = Alignment(wrap_text=True, vertical="top")
                fmt = (
                    _number_format(code, lang, currency)
                    if pd.api.types.is_numeric_dtype(codes[code])
                    else None
                )
                if pd.api.types.is_datetime64_any_dtype(codes[code]):
                    fmt = "DD.MM.YYYY" if lang == "ru" else "YYYY-MM-DD"
                if fmt:
                    for cell in ws[letter][1:]:
                        cell.number_format = fmt
                ws.column_dimensions[letter].width = _width(ws[f"{letter}1"].value, codes[code])
    _write_rows(path, sheets)
    return path


#: Characters XML 1.0 cannot hold (openpyxl refuses them too): dropped from text cells.
_XML_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
#: Excel's day 0 for serial dates (1900 date system).
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _write_rows(path: Path, sheets: list[pd.DataFrame]) -> None:
    """Write every data row of each sheet into the workbook openpyxl saved with the header and first row.

    Each column's cells take the style openpyxl gave its first cell, so the rows look exactly as openpyxl
    would write them; the XML is built a column at a time (vectorised), not a cell at a time.
    """
    import zipfile

    with zipfile.ZipFile(path) as book:
        parts = {info.filename: book.read(info) for info in book.infolist()}
    for number, frame in enumerate(sheets, start=1):
        if len(frame) <= 1:
            continue  # openpyxl already wrote the only row
        part = f"xl/worksheets/sheet{number}.xml"
        xml = parts[part].decode("utf-8")
        first = re.search(r'<row r="2"[^>]*>(.*?)</row>', xml)
        styles = dict(re.findall(r'<c r="([A-Z]+)2"(?=[^>]*?\bs="(\d+)")', first.group(1))) if first else {}
        rows = _rows_xml(frame, styles)
        start = xml.index('<row r="2"') if first else xml.index("</sheetData>")
        xml = xml[:start] + rows + xml[xml.index("</sheetData>") :]
        last = f"{_letter(len(frame.columns))}{len(frame) + 1}"
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:{last}"/>', xml, count=1)
        parts[part] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, data in parts.items():
            book.writestr(name, data)


def _letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position)


def _rows_xml(frame: pd.DataFrame, styles: Mapping[str, str]) -> str:
    """``<row>`` elements 2.. for ``frame`` (the header is row 1); empty values are left out."""
    numbers = pd.Series(range(2, len(frame) + 2), dtype="int64").astype(str).to_numpy(dtype=object)
    row = '<row r="' + numbers + '">'
    for position in range(1, len(frame.columns) + 1):
        letter = _letter(position)
        style = f' s="{styles[letter]}"' if letter in styles else ""
        row = row + _cells_xml(frame.iloc[:, position - 1], letter, style, numbers)
    return "".join((row + "</row>").tolist())


def _cells_xml(values: pd.Series, letter: str, style: str, numbers: Any) -> Any:
    """One column's ``<c>`` elements as an object array (an empty string where the value is missing)."""
    import numpy as np

    values = values.reset_index(drop=True)
    missing = values.isna().to_numpy()
    if pd.api.types.is_bool_dtype(values):
        kind, text = "b", values.fillna(False).astype(int).astype(str)
    elif pd.api.types.is_datetime64_any_dtype(values):
        kind, text = "n", ((values - _EXCEL_EPOCH) / pd.Timedelta(days=1)).astype(str)
    elif pd.api.types.is_numeric_dtype(values):
        as_float = pd.to_numeric(values, errors="coerce").astype("float64")
        missing = missing | ~np.isfinite(as_float.to_numpy())
        kind = "n"
        text = values.astype(str) if pd.api.types.is_integer_dtype(values) else as_float.astype(str)
    else:
        kind = "inlineStr"
        text = (
            values.astype(str)
            .str.replace(_XML_ILLEGAL, "", regex=True)
            .str.replace("&", "&amp;", regex=False)
            .str.replace("<", "&lt;", regex=False)
            .str.replace(">", "&gt;", regex=False)
        )
    opening = '<c r="' + letter + numbers + '"' + style + f' t="{kind}">'
    if kind == "inlineStr":
        cells = opening + '<is><t xml:space="preserve">' + text.to_numpy(dtype=object) + "</t></is></c>"
    else:
        cells = opening + "<v>" + text.to_numpy(dtype=object) + "</v></c>"
    cells[missing] = ""
    return cells


def _width(header: Any, values: pd.Series) -> float:
    sample = values.head(500)
    longest = max(
        [len(str(header)) * 0.9, *(len(f"{v:,.2f}" if isinstance(v, float) else str(v)) for v in sample)]
    )
    return float(min(max(longest + 2, 8), 60))


def export_customer_lists(
    lists: Mapping[str, pd.DataFrame],
    folder: str | Path,
    *,
    lang: str = "en",
    currency: str | None = None,
    workbook: str | None = "customer_lists.xlsx",
) -> dict[str, Path]:
    """Write every list as ``<name>.csv`` (see :func:`export_csv`) and all of them into one workbook.

    Returns
    -------
    dict
        ``{name: csv path}``, plus ``"workbook"`` for the workbook when one is written.
    """
    folder = Path(folder)
    out = {str(name): export_csv(frame, folder / f"{name}.csv", lang=lang) for name, frame in lists.items()}
    if workbook:
        out["workbook"] = export_workbook(lists, folder / workbook, lang=lang, currency=currency)
    return out


def read_list(path: str | Path) -> pd.DataFrame:
    """Read back a customer list written by :func:`export_csv` in either dialect.

    The dialect is recognised from the file: a byte-order mark or a header split by ``;`` is the Russian
    one (``;``, decimal comma), anything else the English one. Customer ids stay text; ``DD.MM.YYYY`` and
    ISO dates stay as written (the workbook shows them as the CSV does).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from segkit.report import export_csv
    >>> from segkit.report._exports import read_list
    >>> df = pd.DataFrame({"revenue": [1234.5]}, index=pd.Index(["007"], name="customer_id"))
    >>> read_list(export_csv(df, pathlib.Path(tempfile.mkdtemp()) / "x.csv", lang="ru")).to_dict("list")
    {'customer_id': ['007'], 'revenue': [1234.5]}
    """
    path = Path(path)
    dialect = _dialect_of(path)
    return pd.read_csv(
        path,
        sep=dialect["sep"],
        decimal=dialect["decimal"],
        encoding="utf-8-sig",
        dtype={"customer_id": str},
        keep_default_na=False,
        na_values=[""],
    )


def _dialect_of(path: Path) -> dict[str, str]:
    """The CSV dialect a list was written in: a byte-order mark or a header split by ``;`` is the Russian one."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    russian = head.startswith(b"\xef\xbb\xbf") or first.count(";") > first.count(",")
    return CSV_DIALECTS["ru" if russian else "en"]


def workbook_from_folder(
    folder: str | Path,
    *,
    lang: str = "en",
    currency: str | None = None,
    name: str = "customer_lists.xlsx",
    max_rows: int = WORKBOOK_MAX_ROWS,
) -> Path | None:
    """Collect every customer list (``*.csv``) of a report folder into one workbook, a sheet per list.

    A list longer than ``max_rows`` stays in its CSV only; a last sheet names each such list, its number of
    rows and its file, so nothing is left out without a word.

    Returns the workbook written, or ``None`` when the folder holds no list.
    """
    folder = Path(folder)
    files = sorted(folder.glob("*.csv"))
    if not files:
        return None
    lists: dict[str, pd.DataFrame] = {}
    too_long: list[str] = []
    for file in files:
        rows = _count_rows(file, max_rows)
        if rows > max_rows:
            too_long.append(
                t(
                    "download.workbook_too_long",
                    lang,
                    list=list_title(file.stem, lang),
                    rows=format_number(rows, lang=lang),
                    limit=format_number(max_rows, lang=lang),
                    file=file.name,
                )
            )
        else:
            lists[file.stem] = read_list(file)
    if too_long:
        notes = pd.DataFrame({t("download.workbook_notes", lang): too_long})
        lists[t("download.workbook_notes", lang)] = notes
    return export_workbook(lists, folder / name, lang=lang, currency=currency, index=False)


def _count_rows(path: Path, max_rows: int) -> int:
    """Data rows of a list: its line breaks, or, when they pass ``max_rows``, the parsed rows.

    A quoted value may hold a line break, so counting breaks can only overstate the rows: a list under the
    limit by that count is under it, and one over it is parsed to be sure. That parse streams the file
    through Arrow's CSV reader and converts one column only: a list of a large base (a row per customer)
    is never held whole, where reading it into pandas took seconds and gigabytes per list.
    """
    with path.open("rb") as handle:
        breaks = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    if breaks - 1 <= max_rows:
        return breaks - 1
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(skip_rows=1, autogenerate_column_names=True),
        parse_options=pa_csv.ParseOptions(delimiter=_dialect_of(path)["sep"], newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(include_columns=["f0"], column_types={"f0": pa.string()}),
    )
    return sum(batch.num_rows for batch in reader)

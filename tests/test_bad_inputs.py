"""The bad-input matrix: exports as they come from 1C, Bitrix24, amoCRM and shops, and hand-made broken files.

Each case states its exact outcome: either a segkit error (class and the words that matter) or the exact
revenue, customer and order counts and dates. None may be silently wrong. Properties at the end: any amount
written in any supported convention reads back to the same cents, and row order never changes the result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segkit
from segkit import DataContractError, DataQualityWarning, ParameterError, SegkitError
from segkit.cli import main as cli_main
from segkit.io._numbers import parse_numbers

NBSP = "\u00a0"
MAP = {"customer": "Client", "date": "Date", "amount": "Sum"}


@dataclass
class Case:
    """One input and its exact expected outcome."""

    id: str
    source: Callable[[Path], Any]  # tmp_path -> what read_transactions gets
    kwargs: dict[str, Any] = field(default_factory=dict)
    error: type[Exception] | None = None
    words: tuple[str, ...] = ()  # every one must be in the error message (or in the warnings)
    revenue: float | None = None
    customers: int | None = None
    orders: int | None = None
    kept: int | None = None
    dates: tuple[str, str] | None = None  # first and last transaction
    amounts: list[float] | None = None  # canonical amounts in canonical order
    dropped: dict[str, int] = field(default_factory=dict)  # reasons that must have these counts
    options: dict[str, str] = field(default_factory=dict)  # read_options entries
    warns: tuple[str, ...] = ()  # words in a DataQualityWarning
    notes: tuple[str, ...] = ()  # words in quality.notes
    as_of: str | None = None  # default as-of date


def csv(text: str, encoding: str = "utf-8", name: str = "export.csv") -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(text.encode(encoding))
        return path

    return make


def frame(**columns: list[Any]) -> Callable[[Path], pd.DataFrame]:
    return lambda tmp: pd.DataFrame(columns)


def rows(*lines: str, header: str = "Client;Date;Sum") -> str:
    return "\n".join([header, *lines]) + "\n"


def excel(frame_rows: list[list[Any]], sheet: str = "Sheet1") -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "book.xlsx"
        pd.DataFrame(frame_rows).to_excel(path, sheet_name=sheet, index=False, header=False)
        return path

    return make


def parquet(table: pa.Table) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        import pyarrow.parquet as pq

        path = tmp / "t.parquet"
        pq.write_table(table, path)
        return path

    return make


def _late_comma(tmp: Path) -> Path:
    body = [f"c{i % 50};01.03.2024;100" for i in range(9_999)] + ["c1;02.03.2024;99,90"]
    return csv(rows(*body))(tmp)


def _parquet_row_groups(tmp: Path) -> Path:
    import pyarrow.parquet as pq

    n = 3000
    table = pa.table(
        {
            "Client": [["b", "a", "c"][i % 3] for i in range(n)],
            "Date": [f"2024-01-{1 + i % 28:02d}" for i in range(n)],
            "Sum": [2.0] * n,
            "Row": list(range(n)),
        }
    )
    path = tmp / "groups.parquet"
    pq.write_table(table, path, row_group_size=700)
    return path


def _lazy(tmp: Path) -> Any:
    pl = pytest.importorskip("polars")
    return pl.DataFrame(
        {"Client": ["a", "b", "a"], "Date": ["2024-01-01"] * 3, "Sum": [1.5, 2.0, 3.25]}
    ).lazy()


def _dup_frame(tmp: Path) -> pd.DataFrame:
    df = pd.DataFrame([["a", "2024-01-01", "5", "7"]], columns=["Client", "Date", "Sum", "Sum"])
    return df


def _dup_unmapped(tmp: Path) -> pd.DataFrame:
    return pd.DataFrame(
        [["a", "2024-01-01", "5", "x", "y"]], columns=["Client", "Date", "Sum", "Note", "Note"]
    )


CASES = [
    # ------------------------------------------------------------------ numbers: the decimal mark
    Case(
        "semicolon file, dot decimals",
        csv(rows("a;01.02.2024;12.50", "b;02.02.2024;3.99")),
        MAP,
        revenue=16.49,
        amounts=[12.5, 3.99],
        options={"decimal mark": "."},
    ),
    Case(
        "comma decimals mixed with dots",
        csv(rows("a;01.02.2024;12,50", "b;02.02.2024;3.99")),
        MAP,
        error=DataContractError,
        words=("Column 'Sum'", "mixed decimal marks", "'12,50'", "'3.99'", "1 row"),
    ),
    Case(
        "decimal comma only on the last of 10,000 rows",
        _late_comma,
        {**MAP, "duplicates": "keep"},
        revenue=999_999.9,
        kept=10_000,
        customers=50,
    ),
    Case(
        "quantity x price in a ; file with dot decimals",
        csv(rows("a;01.02.2024;2;12.50", "b;01.02.2024;3;0.99", header="Client;Date;Qty;Price")),
        {"customer": "Client", "date": "Date", "quantity": "Qty", "price": "Price"},
        revenue=27.97,
    ),
    Case(
        "tab file, comma decimals",
        csv(rows("a\t01.02.2024\t1 234,50", "b\t02.02.2024\t0,99", header="Client\tDate\tSum")),
        MAP,
        revenue=1235.49,
    ),
    Case(
        "only ambiguous values 1,234",
        csv(rows("a;01.02.2024;1,234", "b;02.02.2024;2,500")),
        MAP,
        error=DataContractError,
        words=("cannot tell the decimal mark", "'1,234'", "decimal=','"),
    ),
    Case(
        "ambiguous values with decimal=','",
        csv(rows("a;01.02.2024;1,234", "b;02.02.2024;2,500")),
        {**MAP, "decimal": ","},
        amounts=[1.23, 2.5],
    ),
    Case(
        "ambiguous values with thousands=','",
        csv(rows("a;01.02.2024;1,234", "b;02.02.2024;2,500")),
        {**MAP, "thousands": ","},
        amounts=[1234.0, 2500.0],
    ),
    Case(
        "1,234 decided by 12.50 in the same column",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["1,234", "12.50"]),
        MAP,
        revenue=1246.5,
    ),
    Case(
        "1.234 decided by 12,50 in the same column",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["1.234", "12,50"]),
        MAP,
        revenue=1246.5,
    ),
    Case(
        "0,125 is a decimal (zero before the mark)",
        frame(Client=["a"], Date=["2024-01-01"], Sum=["0,125"]),
        MAP,
        amounts=[0.12],
    ),
    Case(
        "full grouping 1.234.567,89",
        frame(Client=["a"], Date=["2024-01-01"], Sum=["1.234.567,89"]),
        MAP,
        amounts=[1234567.89],
    ),
    Case(
        "repeated comma 1,234,567 means thousands",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["1,234,567", "5"]),
        MAP,
        revenue=1234572.0,
    ),
    Case(
        "invalid grouping 12,34,567",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["12,34,567", "1.50"]),
        MAP,
        error=DataContractError,
        words=("Column 'Sum'", "unparseable number", "'12,34,567'", "invalid='drop'"),
    ),
    Case(
        "decimal='.' given, a comma value is invalid",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["12,50", "3.99"]),
        {**MAP, "decimal": "."},
        error=DataContractError,
        words=("unparseable number", "'12,50'", "decimal '.'"),
    ),
    Case(
        "decimal='.' given, invalid='drop'",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["12,50", "3.99"]),
        {**MAP, "decimal": ".", "invalid": "drop"},
        amounts=[3.99],
        dropped={"invalid value": 1},
    ),
    Case(
        "apostrophe thousands 1'234.50",
        frame(Client=["a"], Date=["2024-01-01"], Sum=["1'234.50"]),
        MAP,
        amounts=[1234.5],
    ),
    Case(
        "explicit thousands=' '",
        frame(Client=["a"], Date=["2024-01-01"], Sum=["1 234,5"]),
        {**MAP, "thousands": " "},
        amounts=[1234.5],
    ),
    # ------------------------------------------------------------------ numbers: signs, currency, non-finite
    Case(
        "rubles: 1 234,50 руб.",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["1 234,50 руб.", "10 р."]),
        MAP,
        revenue=1244.5,
    ),
    Case(
        "63 183,08 ₽ with no-break space",
        frame(Client=["a"], Date=["2024-01-01"], Sum=[f"63{NBSP}183,08 ₽"]),
        MAP,
        amounts=[63183.08],
    ),
    Case("$1,234.50", frame(Client=["a"], Date=["2024-01-01"], Sum=["$1,234.50"]), MAP, amounts=[1234.5]),
    Case(
        "€ and ISO codes",
        frame(Client=["a", "b", "c"], Date=["2024-01-01"] * 3, Sum=["€99,90", "RUB 10,00", "5,50 EUR"]),
        MAP,
        revenue=115.4,
    ),
    Case(
        "(123.45) is negative",
        frame(Client=["a", "a"], Date=["2024-01-01", "2024-01-02"], Sum=["200.00", "(123.45)"]),
        MAP,
        amounts=[200.0, -123.45],
        revenue=76.55,
    ),
    Case(
        "SAP trailing minus 123.45-",
        frame(Client=["a", "a"], Date=["2024-01-01", "2024-01-02"], Sum=["200.00", "123.45-"]),
        MAP,
        amounts=[200.0, -123.45],
    ),
    Case(
        "unicode minus −5,00",
        frame(Client=["a", "a"], Date=["2024-01-01", "2024-01-02"], Sum=["10,00", "−5,00"]),
        MAP,
        revenue=5.0,
    ),
    Case(
        "inf amount",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["inf", "5"]),
        MAP,
        error=DataContractError,
        words=("Column 'Sum'", "infinite or NaN", "'inf'", "1 row"),
    ),
    Case(
        "-inf amount dropped by invalid='drop'",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["-inf", "5"]),
        {**MAP, "invalid": "drop"},
        revenue=5.0,
        dropped={"invalid value": 1},
    ),
    Case(
        "NaN text amount",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["NaN", "5"]),
        MAP,
        error=DataContractError,
        words=("infinite or NaN", "'NaN'"),
    ),
    Case(
        "non-finite float amount",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=[np.inf, 5.0]),
        MAP,
        error=DataContractError,
        words=("Column 'Sum'", "unparseable number", "inf"),
    ),
    Case(
        "garbage text amount",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["abc", "5"]),
        MAP,
        error=DataContractError,
        words=("Column 'Sum'", "unparseable number (1 row; e.g. 'abc')"),
    ),
    # ------------------------------------------------------------------ columns
    Case(
        "two columns of the same mapped name (CSV)",
        csv(rows("a;01.02.2024;5;7", header="Client;Date;Sum;Sum")),
        MAP,
        error=DataContractError,
        words=("Column 'Sum'", "appears 2 times", "columns 3, 4"),
    ),
    Case(
        "pandas frame with duplicate mapped names",
        _dup_frame,
        MAP,
        error=DataContractError,
        words=("Column 'Sum'", "appears 2 times"),
    ),
    Case("duplicate name on an unmapped column", _dup_unmapped, MAP, revenue=5.0, customers=1),
    Case(
        "entirely empty amount column",
        frame(Client=["a", "b"], Date=["2024-01-01"] * 2, Sum=["", None]),
        MAP,
        error=DataContractError,
        words=("Column 'Sum' is entirely empty", "2 rows"),
    ),
    Case(
        "entirely empty date column",
        frame(Client=["a", "b"], Date=[None, ""], Sum=["1", "2"]),
        MAP,
        error=DataContractError,
        words=("Column 'Date' is entirely empty",),
    ),
    Case(
        "entirely empty customer column",
        frame(Client=[None, None], Date=["2024-01-01"] * 2, Sum=["1", "2"]),
        MAP,
        error=DataContractError,
        words=("Column 'Client' is entirely empty",),
    ),
    Case(
        "misspelt column",
        frame(Client=["a"], Date=["2024-01-01"], Sum=["1"]),
        {**MAP, "customer": "client"},
        error=DataContractError,
        words=("Column 'client' (given as customer=) is not in the data", "Did you mean 'Client'?"),
    ),
    # ------------------------------------------------------------------ dates
    Case(
        "typo date 2099 does not move the default as-of date",
        frame(
            Client=["a", "b", "c", "d"],
            Date=["2024-01-10", "2024-03-01", "2024-06-30", "2099-06-30"],
            Sum=["1", "2", "3", "4"],
        ),
        MAP,
        revenue=10.0,
        as_of="2024-07-01",
        warns=("row 5: 2099-06-30", "far outside the bulk"),
    ),
    Case(
        "typo date with outlier_dates='raise'",
        frame(
            Client=["a", "b", "c", "d"],
            Date=["2024-01-10", "2024-03-01", "2024-06-30", "2099-06-30"],
            Sum=["1", "2", "3", "4"],
        ),
        {**MAP, "outlier_dates": "raise"},
        error=DataContractError,
        words=("far outside the bulk", "row 5", "outlier_dates='drop'"),
    ),
    Case(
        "typo date with outlier_dates='drop'",
        frame(
            Client=["a", "b", "c", "d"],
            Date=["2024-01-10", "2024-03-01", "2024-06-30", "1901-06-30"],
            Sum=["1", "2", "3", "4"],
        ),
        {**MAP, "outlier_dates": "drop"},
        revenue=6.0,
        dropped={"outlier date": 1},
        dates=("2024-01-10", "2024-06-30"),
    ),
    Case(
        "date-only mixed with date-times",
        frame(Client=["a", "b"], Date=["2024-01-05", "2024-01-06 14:30:00"], Sum=["1", "2"]),
        MAP,
        dates=("2024-01-05", "2024-01-06 14:30:00"),
    ),
    Case(
        "milliseconds",
        frame(Client=["a", "b"], Date=["2024-01-05 10:00:00.123", "2024-01-05T10:00:01,5"], Sum=["1", "2"]),
        MAP,
        dates=("2024-01-05 10:00:00.123", "2024-01-05 10:00:01.5"),
    ),
    Case(
        "UTC offsets of several zones go to UTC",
        frame(Client=["a", "b"], Date=["2024-01-05T01:00:00+03:00", "2024-01-05T10:00:00Z"], Sum=["1", "2"]),
        MAP,
        dates=("2024-01-04 22:00:00", "2024-01-05 10:00:00"),
        options={"time zone": "UTC (several"},
    ),
    Case(
        "one offset everywhere keeps the wall clock",
        frame(
            Client=["a", "b"], Date=["2024-01-05T01:00:00+03:00", "2024-01-06T10:00:00+03:00"], Sum=["1", "2"]
        ),
        MAP,
        dates=("2024-01-05 01:00:00", "2024-01-06 10:00:00"),
        options={"time zone": "UTC+03:00 as written"},
    ),
    Case(
        "timezone='Europe/Moscow'",
        frame(Client=["a"], Date=["2024-01-05T22:00:00Z"], Sum=["1"]),
        {**MAP, "timezone": "Europe/Moscow"},
        dates=("2024-01-06 01:00:00", "2024-01-06 01:00:00"),
    ),
    Case(
        "Unix seconds by option",
        frame(Client=["a", "b"], Date=["1704067200", "1704153600"], Sum=["1", "2"]),
        {**MAP, "date_format": "unix"},
        dates=("2024-01-01", "2024-01-02"),
    ),
    Case(
        "Unix milliseconds by option",
        frame(Client=["a"], Date=[1704067200500], Sum=["1"]),
        {**MAP, "date_format": "unix_ms"},
        dates=("2024-01-01 00:00:00.5", "2024-01-01 00:00:00.5"),
    ),
    Case(
        "Excel serial days by option",
        frame(Client=["a"], Date=["45292.5"], Sum=["1"]),
        {**MAP, "date_format": "excel"},
        dates=("2024-01-01 12:00:00", "2024-01-01 12:00:00"),
    ),
    Case(
        "Excel workbook with numeric date cells",
        excel([["Client", "Date", "Sum"], ["a", 45292, 10.5], ["b", pd.Timestamp("2024-01-03"), 2]]),
        MAP,
        dates=("2024-01-01", "2024-01-03"),
        revenue=12.5,
    ),
    Case(
        "numbers in a date column without an option",
        parquet(pa.table({"Client": ["a", "b"], "Date": [1704067200, 1704153600], "Sum": [1.0, 2.0]})),
        MAP,
        error=DataContractError,
        words=("numbers instead of dates", "date_format='unix'"),
    ),
    Case(
        "digit strings in a date column",
        frame(Client=["a", "b"], Date=["45292", "45293"], Sum=["1", "2"]),
        MAP,
        error=DataContractError,
        words=("unparseable date", "date_format='excel'"),
    ),
    Case(
        "two-digit years get a note",
        frame(Client=["a", "b"], Date=["01.07.24", "02.07.24"], Sum=["1", "2"]),
        MAP,
        dates=("2024-07-01", "2024-07-02"),
        notes=("Two-digit years: 2 rows",),
    ),
    Case(
        "dates before 1990 get a note",
        frame(Client=["a", "b", "c"], Date=["1989-12-31", "1990-01-02", "1990-02-01"], Sum=["1", "2", "3"]),
        MAP,
        notes=("Dates before 1990: 1 row", "row 2: 1989-12-31"),
    ),
    Case(
        "ambiguous slash dates",
        frame(Client=["a", "b"], Date=["01/02/2024", "03/04/2024"], Sum=["1", "2"]),
        MAP,
        error=DataContractError,
        words=("ambiguous dates", "date_format='%d/%m/%Y'"),
    ),
    Case(
        "slash dates decided day first",
        frame(Client=["a", "b"], Date=["01/02/2024", "25/04/2024"], Sum=["1", "2"]),
        MAP,
        dates=("2024-02-01", "2024-04-25"),
    ),
    Case(
        "slash dates both orders",
        frame(Client=["a", "b"], Date=["25/01/2024", "01/25/2024"], Sum=["1", "2"]),
        MAP,
        error=DataContractError,
        words=("both day first", "month first"),
    ),
    Case(
        "30 February",
        frame(Client=["a", "b"], Date=["30.02.2024", "01.03.2024"], Sum=["1", "2"]),
        MAP,
        error=DataContractError,
        words=("Column 'Date'", "unparseable date", "'30.02.2024'"),
    ),
    Case(
        "AM/PM times",
        frame(Client=["a", "b"], Date=["1/13/2024 12:05 AM", "1/13/2024 3:45 PM"], Sum=["1", "2"]),
        MAP,
        dates=("2024-01-13 00:05:00", "2024-01-13 15:45:00"),
    ),
    # ------------------------------------------------------------------ files
    Case(
        "1C title block above the header",
        csv(
            "Отчёт о продажах за период 01.01.2024 - 31.03.2024\nОрганизация: ООО Ромашка\n\n"
            + rows("a;01.02.2024;1 234,50", "b;02.02.2024;99,90"),
            "cp1251",
        ),
        MAP,
        revenue=1334.4,
        options={"header row": "4", "encoding": "cp1251"},
    ),
    Case(
        "title block, header_row given",
        csv("Report\n" + rows("a;01.02.2024;5", "b;02.02.2024;6")),
        {**MAP, "header_row": 2},
        revenue=11.0,
    ),
    Case(
        "title block and a wrong column name",
        csv("Отчёт о продажах\n" + rows("a;01.02.2024;5")),
        {**MAP, "customer": "Клиент"},
        error=DataContractError,
        words=("header row", "header_row=", "'Отчёт о продажах'"),
    ),
    Case(
        "Excel title rows above the header",
        excel(
            [
                ["Выгрузка из 1С", None, None],
                [None, None, None],
                ["Client", "Date", "Sum"],
                ["a", "01.02.2024", "5,5"],
            ]
        ),
        MAP,
        revenue=5.5,
        options={"header row": "3"},
    ),
    Case(
        "UTF-16 file",
        csv(rows("Иван;01.02.2024;5,5", "Пётр;02.02.2024;6,5"), "utf-16"),
        MAP,
        revenue=12.0,
        customers=2,
        options={"encoding": "utf-16"},
    ),
    Case("UTF-8 with BOM", csv(rows("a;01.02.2024;5,5"), "utf-8-sig"), MAP, revenue=5.5),
    Case(
        "embedded newline in a quoted field",
        csv('Client;Date;Sum;Note\na;01.02.2024;5,5;"first line\nsecond line"\nb;02.02.2024;1,5;x\n'),
        MAP,
        revenue=7.0,
        kept=2,
    ),
    Case(
        "ragged row",
        csv(rows("a;01.02.2024;5", "b;02.02.2024;6;extra", "c;03.02.2024;7")),
        MAP,
        error=DataContractError,
        words=("line 3", "4 fields", "3 columns"),
    ),
    Case(
        "wrong separator gives one column",
        csv(rows("a;01.02.2024;5")),
        {**MAP, "sep": ","},
        error=DataContractError,
        words=("one column", "separator is wrong", "sep=';'"),
    ),
    Case(
        "one column whose header holds a TAB",
        csv("Client\tDate\tSum\na\t2024-01-01\t5\n"),
        {**MAP, "sep": ";"},
        error=DataContractError,
        words=("separator is wrong", "TAB"),
    ),
    Case("Polars LazyFrame", _lazy, MAP, revenue=6.75, customers=2),
    Case(
        "wrong Excel sheet",
        excel([["Client", "Date", "Sum"], ["a", "2024-01-01", 1]], sheet="Продажи"),
        {**MAP, "sheet": "Sales"},
        error=DataContractError,
        words=("Sales", "'Продажи'", "sheet="),
    ),
    Case(
        "Excel sheet by name",
        excel([["Client", "Date", "Sum"], ["a", "2024-01-01", 1]], sheet="Продажи"),
        {**MAP, "sheet": "Продажи"},
        revenue=1.0,
    ),
    Case(
        "Parquet with several row groups of dictionary ids",
        _parquet_row_groups,
        MAP,
        revenue=6000.0,
        customers=3,
        kept=3000,
    ),
    Case(
        "pandas categorical ids with padding",
        lambda tmp: pd.DataFrame(
            {"Client": pd.Categorical([" a", "a ", "b"]), "Date": ["2024-01-01"] * 3, "Sum": [1.0, 2.0, 3.0]}
        ),
        MAP,
        revenue=6.0,
        customers=2,
    ),
    # ------------------------------------------------------------------ placeholder customers
    Case(
        "Розничный покупатель dropped and counted",
        frame(
            Client=["Розничный покупатель", "a", "розничный покупатель ", "Гость"],
            Date=["2024-01-01"] * 4,
            Sum=["100", "5", "100", "7"],
        ),
        MAP,
        revenue=5.0,
        customers=1,
        dropped={"placeholder customer": 3},
        warns=("'Розничный покупатель' (1 row)",),
    ),
    Case(
        "placeholders='keep'",
        frame(Client=["Частное лицо", "a"], Date=["2024-01-01"] * 2, Sum=["100", "5"]),
        {**MAP, "placeholders": "keep"},
        revenue=105.0,
        customers=2,
        warns=("kept as customers",),
    ),
    Case(
        "ids 0, - and unknown",
        frame(Client=["0", "-", "unknown", "b"], Date=["2024-01-01"] * 4, Sum=["1", "2", "3", "4"]),
        MAP,
        revenue=4.0,
        customers=1,
    ),
    Case(
        "own placeholder list",
        frame(Client=["NONAME", "0", "b"], Date=["2024-01-01"] * 3, Sum=["1", "2", "4"]),
        {**MAP, "placeholder_customers": ["noname"]},
        revenue=6.0,
        customers=2,
        dropped={"placeholder customer": 1},
    ),
    # ------------------------------------------------------------------ parameters
    Case(
        "bad decimal parameter",
        frame(Client=["a"], Date=["2024-01-01"], Sum=["1"]),
        {**MAP, "decimal": ";"},
        error=ParameterError,
        words=("decimal must be one of '.', ','",),
    ),
    Case(
        "bad date_format",
        frame(Client=["a"], Date=["2024-01-01"], Sum=["1"]),
        {**MAP, "date_format": "dd.mm"},
        error=ParameterError,
        words=("date_format must be a strptime format",),
    ),
    Case(
        "header_row 0",
        frame(Client=["a"], Date=["2024-01-01"], Sum=["1"]),
        {**MAP, "header_row": 0},
        error=ParameterError,
        words=("header_row must be the 1-based line number",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_matrix(case: Case, tmp_path: Path) -> None:
    source = case.source(tmp_path)
    if case.error is not None:
        with pytest.raises(case.error) as err:
            segkit.read_transactions(source, **case.kwargs)
        for word in case.words:
            assert word in str(err.value), f"{word!r} not in {err.value}"
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tx = segkit.read_transactions(source, **case.kwargs)
    q = tx.quality
    assert q.accounted
    if case.revenue is not None:
        assert q.net_revenue == pytest.approx(case.revenue, abs=1e-9)
        assert tx.data["amount"].sum() == pytest.approx(case.revenue, abs=1e-6)
    if case.customers is not None:
        assert q.n_customers == case.customers
    if case.kept is not None:
        assert q.rows_kept == case.kept
    if case.amounts is not None:
        assert tx.data["amount"].tolist() == case.amounts
    if case.dates is not None:
        assert (q.date_min, q.date_max) == (pd.Timestamp(case.dates[0]), pd.Timestamp(case.dates[1]))
    for reason, n in case.dropped.items():
        assert q.dropped[reason] == n
    for key, value in case.options.items():
        assert str(q.read_options[key]).startswith(value), q.read_options
    quality_warnings = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    for word in case.warns:
        assert any(word in w for w in quality_warnings), quality_warnings
        assert any(word in w for w in q.warnings)
    for word in case.notes:
        assert any(word in n for n in q.notes), q.notes
    if case.as_of is not None:
        assert tx.default_as_of == pd.Timestamp(case.as_of)
        assert "within the bulk of the data" in q.as_of_rule


def test_matrix_has_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


# ---------------------------------------------------------------------------------------------- dates typed


@pytest.mark.parametrize(
    ("text", "expected"),
    [("01.07.2024", "2024-07-01"), ("1.7.2024", "2024-07-01"), ("2024-07-01", "2024-07-01")],
)
def test_date_parameter_accepted_forms(text: str, expected: str) -> None:
    assert segkit.parse_date_param(text) == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("01/07/2024", ("ambiguous", "2024-07-01 (1 July 2024, day first)", "2024-01-07 (7 January 2024")),
        ("25/12/2024", ("slashes", "2024-12-25")),
        ("2024/07/01", ("slashes", "year first")),
        ("01/07/24", ("year is not written in full",)),
        ("yesterday", ("YYYY-MM-DD", "DD.MM.YYYY")),
        ("31.02.2024", ("not a real date",)),
        (20240701, ("YYYY-MM-DD",)),
    ],
)
def test_date_parameter_refused_forms(text: Any, words: tuple[str, ...]) -> None:
    with pytest.raises(ParameterError) as err:
        segkit.parse_date_param(text, "as_of")
    for word in words:
        assert word in str(err.value)


# ---------------------------------------------------------------------------------------------- the CLI


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli_main(args)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_cli_mixed_decimals_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = csv(rows("a;01.02.2024;12,50", "b;02.02.2024;3.99"))(tmp_path)
    code, text = _cli(
        ["check", "--data", str(path), "--customer", "Client", "--date", "Date", "--amount", "Sum"], capsys
    )
    assert code == 2
    assert "mixed decimal marks" in text and "--decimal ," in text and "decimal=" not in text


def test_cli_flags_reach_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = csv("Выгрузка\n" + rows("a;01.02.2024;1,234", "Гость;02.02.2024;2,500"))(tmp_path)
    code, text = _cli(
        [
            "check",
            "--data",
            str(path),
            "--customer",
            "Client",
            "--date",
            "Date",
            "--amount",
            "Sum",
            "--decimal",
            ",",
            "--header-row",
            "2",
            "--placeholders",
            "keep",
        ],
        capsys,
    )
    assert code == 0, text
    assert "3.73" in text  # 1.234 + 2.500 rounded to cents: decimal comma taken from the flag
    assert "placeholder-customer rows found (policy 'keep')" in text


def test_cli_wrong_separator_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = csv(rows("a;01.02.2024;5"))(tmp_path)
    code, text = _cli(
        [
            "check",
            "--data",
            str(path),
            "--customer",
            "Client",
            "--date",
            "Date",
            "--amount",
            "Sum",
            "--sep",
            ",",
        ],
        capsys,
    )
    assert code == 2 and "separator is wrong" in text and "--sep ';'" in text


def test_cli_as_of_with_slashes_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = csv(rows("a;01.02.2024;5"))(tmp_path)
    code, text = _cli(
        [
            "report",
            "--data",
            str(path),
            "--customer",
            "Client",
            "--date",
            "Date",
            "--amount",
            "Sum",
            "--as-of",
            "01/07/2024",
            "--out",
            str(tmp_path / "r"),
        ],
        capsys,
    )
    assert code == 2
    assert "--as-of 01/07/2024 is ambiguous" in text and "1 July 2024" in text
    assert not (tmp_path / "r").exists()


def test_every_error_is_a_segkit_error_not_a_traceback(tmp_path: Path) -> None:
    broken = [csv("\n")(tmp_path), csv("Client;Date;Sum\n", name="header_only.csv")(tmp_path)]
    for path in broken:
        with pytest.raises(SegkitError):
            segkit.read_transactions(path, **MAP)


# ---------------------------------------------------------------------------------------------- properties

_CONVENTIONS = [
    # (decimal, thousands separator, currency prefix, currency suffix)
    (".", "", "", ""),
    (".", ",", "$", ""),
    (",", " ", "", " руб."),
    (",", NBSP, "", " ₽"),
    (",", ".", "€", ""),
    (".", "'", "", " USD"),
    (",", "", "", " р."),
]
_NEGATIVE = ["-{}", "({})", "{}-"]


def _write(cents: int, decimal: str, thousands: str, prefix: str, suffix: str, negative: str) -> str:
    whole, frac = divmod(abs(cents), 100)
    digits = f"{whole:,}".replace(",", thousands)
    text = f"{prefix}{digits}{decimal}{frac:02d}{suffix}"
    return negative.format(text) if cents < 0 else text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cents=st.lists(st.integers(-(10**11), 10**11), min_size=1, max_size=30),
    convention=st.sampled_from(_CONVENTIONS),
    negative=st.sampled_from(_NEGATIVE),
)
def test_any_convention_round_trips_to_the_same_cents(
    cents: list[int], convention: tuple, negative: str
) -> None:
    texts = [_write(c, *convention, negative) for c in cents]
    parsed = parse_numbers(pa.array(texts), "Sum")
    assert not parsed.invalid.any(), texts
    assert np.round(parsed.values * 100).astype(np.int64).tolist() == cents


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cents=st.lists(st.integers(1, 10**9), min_size=2, max_size=20),
    convention=st.sampled_from(_CONVENTIONS),
)
def test_round_trip_through_read_transactions(cents: list[int], convention: tuple) -> None:
    texts = [_write(c, *convention, "-{}") for c in cents]
    raw = pd.DataFrame(
        {
            "Client": [f"c{i % 3}" for i in range(len(cents))],
            "Date": ["2024-01-01"] * len(cents),
            "Sum": texts,
        }
    )
    tx = segkit.read_transactions(raw, **MAP, duplicates="keep")
    assert round(tx.quality.net_revenue * 100) == sum(cents)


@pytest.mark.filterwarnings("ignore::segkit.DataQualityWarning")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_row_order_never_changes_the_result(seed: int) -> None:
    rng = np.random.default_rng(7)
    n = 200
    raw = pd.DataFrame(
        {
            "Client": rng.choice(["a", "b", "c", "Гость", "", "d"], n),
            "Invoice": [f"o{i}" for i in rng.integers(0, 120, n)],
            "Date": pd.Series(
                pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
            ).dt.strftime("%d.%m.%Y"),
            "Sum": [f"{v:.2f}".replace(".", ",") for v in rng.normal(50, 40, n)],
        }
    )
    raw.loc[5] = raw.loc[4]  # an exact duplicate pair
    kwargs = {**MAP, "order": "Invoice", "zero_amount": "keep"}
    base = segkit.read_transactions(raw, **kwargs)
    shuffled = raw.sample(frac=1.0, random_state=seed % (2**31)).reset_index(drop=True)
    other = segkit.read_transactions(shuffled, **kwargs)
    assert base.quality.to_dict() | {"source": ""} == other.quality.to_dict() | {"source": ""}
    key = ["order_date", "customer_id", "order_id", "amount"]
    a = base.data.sort_values(key).reset_index(drop=True)
    b = other.data.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)

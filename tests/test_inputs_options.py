"""Bad read options and mappings: each is refused up front with a ParameterError naming what to change."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import segkit
from segkit import ParameterError

FRAME = pd.DataFrame(
    {
        "Client": ["a", "b", "a"],
        "Date": ["2024-01-01", "2024-01-02", "2024-01-03"],
        "Sum": ["10", "20", "30"],
        "Region": ["N", "S", "N"],
    }
)
MAP = {"customer": "Client", "date": "Date", "amount": "Sum"}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    FRAME.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"customer": "Client", "date": "Client", "amount": "Sum"}, ("customer=", "date=", "'Client'")),
        ({"customer": "Client", "date": "Date", "amount": "Date"}, ("date=", "amount=", "'Date'")),
        ({**MAP, "product": "Sum"}, ("amount=", "product=", "'Sum'")),
        ({**MAP, "attributes": ["Client"]}, ("customer=", "attributes=", "'Client'")),
        ({**MAP, "attributes": ["Region", "Region"]}, ("attributes=", "twice", "'Region'")),
    ],
)
def test_one_column_for_two_roles_is_refused_before_parsing(
    export: Path, kwargs: dict, words: tuple[str, ...]
) -> None:
    for source in (export, FRAME):
        with pytest.raises(ParameterError) as info:
            segkit.read_transactions(source, **kwargs)
        assert all(w in str(info.value) for w in words), str(info.value)
        assert "unparseable" not in str(info.value)


def test_attributes_as_one_string_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"attributes must be a list.*\['Region'\]"):
        segkit.read_transactions(FRAME, **MAP, attributes="Region")


def test_distinct_roles_still_read() -> None:
    tx = segkit.read_transactions(FRAME, **MAP, attributes=["Region"])
    assert tx.data["Region"].tolist() == ["N", "S", "N"]


@pytest.mark.parametrize("sep", ["xx", "", ";;", "\n", 5])
def test_unusable_separator_is_a_parameter_error(export: Path, sep: object) -> None:
    with pytest.raises(ParameterError, match=r"sep must be one character.*got") as info:
        segkit.read_transactions(export, **MAP, sep=sep)
    assert repr(sep) in str(info.value)


@pytest.mark.parametrize("sep", [",", r"\s+"])
def test_usable_separators_still_read(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "export.txt"
    path.write_text("Client Date Sum\na 2024-01-01 10\nb 2024-01-02 20\n")
    source = path if sep == r"\s+" else tmp_path / "export.csv"
    if sep == ",":
        FRAME.to_csv(source, index=False)
    tx = segkit.read_transactions(source, **MAP, sep=sep)
    assert tx.quality.rows_kept >= 2


@pytest.mark.parametrize("dated", ["2024-01-01T10:00:00+03:00", "2024-01-01 10:00"])
def test_unknown_timezone_is_refused_whatever_the_data(tmp_path: Path, dated: str) -> None:
    path = tmp_path / "export.csv"
    path.write_text(f"Client,Date,Sum\na,{dated},10\n")
    with pytest.raises(ParameterError, match=r"timezone must be an IANA zone name.*'Mars/Base'"):
        segkit.read_transactions(path, **MAP, timezone="Mars/Base")


def test_misspelt_timezone_suggests_the_zone() -> None:
    with pytest.raises(ParameterError, match=r"Did you mean 'Europe/Moscow'"):
        segkit.read_transactions(FRAME, **MAP, timezone="Europe/Moskow")


def test_known_timezone_still_converts(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Client,Date,Sum\na,2024-01-01T10:00:00+00:00,10\n")
    tx = segkit.read_transactions(path, **MAP, timezone="Europe/Moscow")
    assert str(tx.data["order_date"].iloc[0]) == "2024-01-01 13:00:00"


@pytest.mark.parametrize("fmt", ["%Q", "%d.%m.%", "dd.mm.yyyy", 2024])
def test_bad_date_format_is_a_parameter_error(export: Path, fmt: object) -> None:
    with pytest.raises(ParameterError, match=r"date_format must be a strptime format") as info:
        segkit.read_transactions(export, **MAP, date_format=fmt)
    assert repr(fmt) in str(info.value)


def test_bad_date_format_is_refused_for_a_typed_source(tmp_path: Path) -> None:
    path = tmp_path / "export.parquet"
    FRAME.assign(Date=pd.to_datetime(FRAME["Date"]), Sum=[10.0, 20.0, 30.0]).to_parquet(path)
    with pytest.raises(ParameterError, match=r"date_format must be a strptime format.*'%Q'"):
        segkit.read_transactions(path, **MAP, date_format="%Q")


def _workbook(tmp_path: Path, sums: list[object]) -> Path:
    path = tmp_path / "export.xlsx"
    dates = [f"2024-01-{i + 1:02d}" for i in range(len(sums))]
    pd.DataFrame({"Client": [f"c{i}" for i in range(len(sums))], "Date": dates, "Sum": sums}).to_excel(
        path, index=False
    )
    return path


@pytest.mark.parametrize(
    ("sums", "amounts"),
    [
        (["1 234,50", 500.25, 1734.75], [1234.5, 500.25, 1734.75]),
        (["12,50", 1500, 0.5], [12.5, 1500.0, 0.5]),
        (["1,234.50", 500.25], [1234.5, 500.25]),
    ],
)
def test_excel_number_cells_do_not_vote_on_the_decimal_mark(
    tmp_path: Path, sums: list[object], amounts: list[float]
) -> None:
    tx = segkit.read_transactions(_workbook(tmp_path, sums), **MAP)
    assert sorted(tx.data["amount"].tolist()) == sorted(amounts)


def test_excel_text_cells_still_decide_and_may_conflict(tmp_path: Path) -> None:
    with pytest.raises(segkit.DataContractError, match="mixed decimal marks"):
        segkit.read_transactions(_workbook(tmp_path, ["1 234,50", "12.50", 7.25]), **MAP)


def test_a_folder_is_named_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(segkit.DataContractError, match="it is a folder, not a file"):
        segkit.read_transactions(tmp_path, **MAP)


@pytest.mark.parametrize("header_row", [True, False])
def test_header_row_refuses_bools(export: Path, header_row: bool) -> None:
    with pytest.raises(ParameterError, match="header_row must be the 1-based line number"):
        segkit.read_transactions(export, **MAP, header_row=header_row)


@pytest.mark.parametrize(
    ("make", "option", "words"),
    [
        (
            "csv",
            {"sheet": "Sales"},
            ("sheet='Sales'", "Excel workbooks only", "'export.csv', a text (CSV) file"),
        ),
        ("xlsx", {"encoding": "cp1251"}, ("encoding='cp1251'", "text (CSV) files only", "an Excel workbook")),
        ("xlsx", {"sep": ";"}, ("sep=';'", "text (CSV) files only", "an Excel workbook")),
        ("parquet", {"sep": ";"}, ("sep=';'", "'export.parquet', a Parquet file")),
        ("parquet", {"sheet": 0}, ("sheet=0", "a Parquet file")),
        ("frame", {"encoding": "cp1251"}, ("encoding='cp1251'", "a table already in memory")),
        ("frame", {"sep": ";"}, ("sep=';'", "a table already in memory")),
    ],
)
def test_an_option_the_source_cannot_use_is_refused(
    tmp_path: Path, make: str, option: dict, words: tuple[str, ...]
) -> None:
    source: object = FRAME
    if make == "csv":
        source = tmp_path / "export.csv"
        FRAME.to_csv(source, index=False)
    elif make == "xlsx":
        source = _workbook(tmp_path, ["10", "20"])
    elif make == "parquet":
        source = tmp_path / "export.parquet"
        FRAME.to_parquet(source)
    with pytest.raises(ParameterError) as info:
        segkit.read_transactions(source, **MAP, **option)
    message = str(info.value)
    assert all(w in message for w in words), message
    assert "Remove" in message


def test_a_table_of_a_database_refuses_file_options(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "base.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("frame", FRAME)
        con.execute("CREATE TABLE sales AS SELECT * FROM frame")
    with pytest.raises(ParameterError, match=r"encoding='cp1251'.*a database table or query"):
        segkit.read_transactions(f"duckdb:///{path}", table="sales", **MAP, encoding="cp1251")
    assert segkit.read_transactions(f"duckdb:///{path}", table="sales", **MAP).quality.n_customers == 2


def test_the_options_each_source_uses_still_read(tmp_path: Path) -> None:
    csv = tmp_path / "export.csv"
    FRAME.to_csv(csv, index=False, sep=";", encoding="cp1251")
    assert segkit.read_transactions(csv, **MAP, sep=";", encoding="cp1251").quality.n_customers == 2
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as writer:
        FRAME.iloc[:1].to_excel(writer, sheet_name="Old", index=False)
        FRAME.to_excel(writer, sheet_name="Sales", index=False)
    assert segkit.read_transactions(book, **MAP).quality.rows_kept == 1
    assert segkit.read_transactions(book, **MAP, sheet="Sales").quality.rows_kept == 3


def test_a_header_padded_around_its_separators_keeps_the_separator(tmp_path: Path) -> None:
    # Split on whitespace, the padded header would give more fields than on ";" (the ";" among them).
    path = tmp_path / "padded.csv"
    path.write_text(" Client ; Date ; Sum \nOOO Romashka ; 01.07.2024 ; 100 \nB ; 02.07.2024 ; 5 \n")
    tx = segkit.read_transactions(path, **MAP)
    assert tx.quality.read_options["separator"] == ";"
    assert sorted(tx.data["customer_id"]) == ["B", "OOO Romashka"]
    assert tx.quality.net_revenue == 105.0


@pytest.mark.parametrize("encoding", ["utf9", "rot13", 5])
def test_an_unknown_encoding_is_a_parameter_error(export: Path, encoding: object) -> None:
    with pytest.raises(ParameterError, match=r"is not a text encoding Python knows.*'cp1251'") as info:
        segkit.read_transactions(export, **MAP, encoding=encoding)
    assert f"encoding={encoding!r}" in str(info.value)


@pytest.mark.parametrize(
    ("written", "given"), [("utf-8", "cp1251"), ("utf-8", "latin-1"), ("cp1251", "latin-1")]
)
def test_a_header_decoded_with_the_wrong_encoding_names_the_right_one(
    tmp_path: Path, written: str, given: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Клиент;Дата;Сумма\nА;01.07.2024;100\n".encode(written))
    try:
        segkit.read_transactions(path, customer="Клиент", date="Дата", amount="Сумма", encoding=given)
    except segkit.DataContractError as exc:
        assert f"decoded as {given!r}" in str(exc) and f"Pass encoding={written!r}" in str(exc), str(exc)
    else:  # pragma: no cover - the header cannot hold the names in the wrong encoding
        pytest.fail("a header decoded with the wrong encoding was read")


def test_utf16_given_for_a_file_without_its_mark_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Клиент;Дата;Сумма\nА;01.07.2024;100\n".encode("cp1251"))
    with pytest.raises(segkit.DataContractError, match=r"Cannot decode the file as 'utf-16'.*leave it out"):
        segkit.read_transactions(path, customer="Клиент", date="Дата", amount="Сумма", encoding="utf-16")

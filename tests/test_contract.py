"""The data contract: good inputs in every supported form, and bad inputs that must fail clearly."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit import DataContractError, ParameterError

RAW = pd.DataFrame(
    {
        "Client": ["a", "a", "b", "c", "c"],
        "Invoice": ["1", "2", "3", "4", "C5"],
        "When": [
            "2024-01-05 10:00:00",
            "2024-02-01 11:30:00",
            "2024-02-03 09:00:00",
            "2024-03-01 12:00:00",
            "2024-03-02 12:00:00",
        ],
        "Sum": ["100.004", "50.5", "20", "30", "-30"],
    }
)
MAPPING = {"customer": "Client", "order": "Invoice", "date": "When", "amount": "Sum"}


def test_canonical_table_from_dataframe() -> None:
    tx = segkit.read_transactions(RAW, **MAPPING)
    data = tx.data
    assert list(data.columns) == ["customer_id", "order_id", "order_date", "amount", "is_return"]
    assert data["amount"].tolist() == [100.0, 50.5, 20.0, 30.0, -30.0]  # rounded to cents
    assert data["is_return"].tolist() == [False, False, False, False, True]
    assert data["order_date"].dtype == "datetime64[ns]"
    assert tx.quality.rows_read == 5 and tx.quality.rows_kept == 5 and tx.quality.accounted
    assert tx.quality.n_customers == 3 and tx.quality.n_orders == 4
    assert tx.quality.net_revenue == pytest.approx(170.5)
    assert tx.default_as_of == pd.Timestamp("2024-03-03")


def test_input_is_not_modified() -> None:
    before = RAW.copy()
    segkit.read_transactions(RAW, **MAPPING)
    pd.testing.assert_frame_equal(RAW, before)


def test_returns_policies() -> None:
    dropped = segkit.read_transactions(RAW, **MAPPING, returns="drop")
    assert dropped.quality.dropped["return/cancellation"] == 1
    assert (dropped.data["amount"] > 0).all()
    with pytest.raises(
        DataContractError,
        match=r"Column 'Sum': returns or cancellations present \(negative amount\) \(1 row; e.g. -30.0\)",
    ):
        segkit.read_transactions(RAW, **MAPPING, returns="raise")


def test_cancel_prefix_marks_positive_cancellation_lines_as_returns() -> None:
    raw = RAW.assign(Sum=["100", "50.5", "20", "30", "30"])  # some exports keep the sign on quantity only
    tx = segkit.read_transactions(raw, **MAPPING, cancel_prefix="C")
    assert tx.data.loc[tx.data["order_id"] == "C5", "amount"].tolist() == [-30.0]
    assert tx.data.loc[tx.data["order_id"] == "C5", "is_return"].tolist() == [True]
    assert tx.quality.returns_found == 1


def test_every_row_is_accounted_for() -> None:
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "a", None, "b", "b", "c", ""],
            "order_date": ["2024-01-01"] * 7,
            "amount": ["10", "10", "5", "0", "-3", "7", "8"],
            "order_id": ["o1", "o1", "o2", "o3", "o4", "o5", "o6"],
        }
    )
    tx = segkit.read_transactions(raw, returns="drop")
    q = tx.quality
    assert q.dropped == {
        "exact duplicate": 1,
        "missing customer_id": 2,
        "placeholder customer": 0,
        "invalid value": 0,
        "return/cancellation": 1,
        "zero amount": 1,
    }
    assert q.rows_kept == 2 and q.rows_read == 7 and q.accounted
    assert q.duplicates_found == 1
    assert set(tx.data["customer_id"]) == {"a", "c"}


def test_keep_policies() -> None:
    raw = pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "order_date": ["2024-01-01"] * 3, "amount": [5.0, 5.0, 0.0]}
    )
    tx = segkit.read_transactions(raw, duplicates="keep", zero_amount="keep")
    assert len(tx) == 3 and tx.quality.duplicates_found == 1 and tx.quality.rows_dropped == 0


def test_russian_csv_cp1251_semicolon_decimal_comma(tmp_path: Path) -> None:
    text = (
        "Контрагент;Дата;Сумма;Номер\n"
        "ООО Ромашка;01.02.2024;1 234,50;A-1\n"
        "ИП Иванов;15.02.2024;99,90;A-2\n"
        "ООО Ромашка;03.03.2024;-234,50;A-3\n"
    )
    path = tmp_path / "export_1c.csv"
    path.write_bytes(text.encode("cp1251"))
    tx = segkit.read_transactions(path, customer="Контрагент", date="Дата", amount="Сумма", order="Номер")
    assert tx.data["customer_id"].tolist() == ["ООО Ромашка", "ИП Иванов", "ООО Ромашка"]
    assert tx.data["amount"].tolist() == [1234.5, 99.9, -234.5]
    assert tx.data["order_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-02-01",
        "2024-02-15",
        "2024-03-03",
    ]
    opts = tx.quality.read_options
    assert opts["encoding"] == "cp1251" and opts["separator"] == ";" and opts["decimal mark"] == ","
    assert opts["date format"] == "%d.%m.%Y"


def test_utf8_bom_and_gzip(tmp_path: Path) -> None:
    body = "customer_id,order_date,amount\nx,2024-05-01,10.50\ny,2024-05-02,3\n"
    path = tmp_path / "shop.csv.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(body.encode("utf-8-sig"))
    tx = segkit.read_transactions(path)
    assert tx.data["customer_id"].tolist() == ["x", "y"]
    assert tx.quality.order_id_source.startswith("derived")


def test_excel_and_parquet_and_polars(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "order_date": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 11:00"]),
            "amount": [1.5, 2.25],
            "order_id": ["o1", "o2"],
        }
    )
    expected = segkit.read_transactions(frame).data
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    pl = pytest.importorskip("polars")
    for source in (tmp_path / "t.xlsx", tmp_path / "t.parquet", pl.from_pandas(frame)):
        got = segkit.read_transactions(source).data
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_quantity_times_price_and_cost_gives_margin() -> None:
    raw = pd.DataFrame(
        {
            "cust": ["a", "b"],
            "day": ["2024-01-01", "2024-01-02"],
            "qty": ["3", "2"],
            "unit": ["1.10", "0.333"],
            "cogs": ["2.00", "1.00"],
            "cat": ["toys", " food "],
        }
    )
    tx = segkit.read_transactions(
        raw, customer="cust", date="day", quantity="qty", price="unit", cost="cogs", category="cat"
    )
    assert tx.data["amount"].tolist() == [3.3, 0.67]
    assert tx.data["margin"].tolist() == [1.3, -0.33]
    assert tx.data["category"].tolist() == ["toys", "food"]


def test_float_customer_ids_lose_the_trailing_zero() -> None:
    raw = pd.DataFrame(
        {"customer_id": [17850.0, np.nan, 12.0], "order_date": ["2024-01-01"] * 3, "amount": [1.0, 2.0, 3.0]}
    )
    tx = segkit.read_transactions(raw)
    assert sorted(tx.data["customer_id"]) == ["12", "17850"]
    assert tx.quality.dropped["missing customer_id"] == 1


def test_as_transactions_accepts_a_canonical_frame() -> None:
    frame = pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-01"], "amount": [-5.0]})
    tx = segkit.io._contract.as_transactions(frame)
    assert tx.data["is_return"].tolist() == [True]
    with pytest.raises(DataContractError, match=r"lacks the canonical column\(s\) \['amount'\]"):
        segkit.io._contract.as_transactions(frame.drop(columns="amount"))


# ---------------------------------------------------------------------------------------------- errors


def test_missing_column_names_alternatives() -> None:
    with pytest.raises(DataContractError) as err:
        segkit.read_transactions(RAW, customer="client", date="When", amount="Sum")
    message = str(err.value)
    assert "Column 'client' (given as customer=) is not in the data" in message
    assert "Did you mean 'Client'?" in message


def test_unparseable_amount_names_column_count_examples_and_fix() -> None:
    raw = RAW.assign(Sum=["100", "abc", "20", "n/a?", "7"])
    with pytest.raises(DataContractError) as err:
        segkit.read_transactions(raw, **MAPPING)
    message = str(err.value)
    assert message.startswith("Column 'Sum': unparseable number (2 rows; e.g. 'abc', 'n/a?').")
    assert "invalid='drop'" in message
    dropped = segkit.read_transactions(raw, **MAPPING, invalid="drop")
    assert dropped.quality.dropped["invalid value"] == 2 and dropped.quality.accounted


def test_unparseable_dates_raise_with_examples() -> None:
    raw = RAW.assign(When=["2024-01-05", "2024-02-01", "yesterday", "2024-03-01", ""])
    with pytest.raises(
        DataContractError,
        match=r"Column 'When': missing or unparseable date \(2 rows; e.g. 'yesterday', ''\)",
    ):
        segkit.read_transactions(raw, **MAPPING)


def test_ambiguous_day_month_order_asks_for_a_format() -> None:
    raw = RAW.assign(When=["01/02/2024", "03/04/2024", "05/06/2024", "07/08/2024", "09/10/2024"])
    with pytest.raises(DataContractError, match="ambiguous dates.*Pass date_format="):
        segkit.read_transactions(raw, **MAPPING)
    tx = segkit.read_transactions(raw, **MAPPING, date_format="%d/%m/%Y")
    assert tx.data["order_date"].min() == pd.Timestamp("2024-02-01")


def test_day_month_order_resolved_by_the_data() -> None:
    raw = RAW.assign(When=["01/02/2024", "25/04/2024", "05/06/2024", "07/08/2024", "09/10/2024"])
    tx = segkit.read_transactions(raw, **MAPPING)
    assert tx.quality.read_options["date format"] == "%d/%m/%Y"


def test_missing_customer_raise_policy() -> None:
    raw = RAW.assign(Client=["a", None, "b", "", "c"])
    with pytest.raises(
        DataContractError, match=r"Column 'Client': customer id is missing \(2 rows; e.g. 'row 3', 'row 5'\)"
    ):
        segkit.read_transactions(raw, **MAPPING, missing_customer="raise")


def test_bad_policy_value_names_the_parameter() -> None:
    with pytest.raises(ParameterError, match=r"returns must be one of 'net', 'drop', 'raise'; got 'keep'"):
        segkit.read_transactions(RAW, **MAPPING, returns="keep")


def test_no_amount_column() -> None:
    raw = RAW.drop(columns="Sum")
    with pytest.raises(DataContractError, match="No amount column: pass amount="):
        segkit.read_transactions(raw, customer="Client", date="When")


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match="no such file"):
        segkit.read_transactions(tmp_path / "nope.csv")
    odd = tmp_path / "data.json"
    odd.write_text("{}")
    with pytest.raises(DataContractError, match="Cannot tell the format"):
        segkit.read_transactions(odd)
    with pytest.raises(DataContractError, match="source must be a file path"):
        segkit.read_transactions(42)


def test_everything_dropped_is_an_error() -> None:
    raw = pd.DataFrame({"customer_id": ["a", None], "order_date": ["2024-01-01"] * 2, "amount": [0.0, 2.0]})
    with pytest.raises(DataContractError, match="No rows left after the checks"):
        segkit.read_transactions(raw)


# ------------------------------------------------------------------------------------------- real data


@pytest.mark.realdata
def test_online_retail_messy_file(online_retail_path: Path) -> None:
    tx = segkit.read_transactions(
        online_retail_path,
        customer="CustomerID",
        date="InvoiceDate",
        order="InvoiceNo",
        quantity="Quantity",
        price="UnitPrice",
        cancel_prefix="C",
    )
    q = tx.quality
    assert q.rows_read == 541_909 and q.accounted
    assert q.duplicates_found == 5_268 and q.dropped["exact duplicate"] == 5_268
    assert q.dropped["missing customer_id"] == 135_037  # 135,080 lack an id; 43 of those were duplicates
    assert q.n_orders == 18_532
    assert q.returns_found == 8_872


@pytest.mark.realdata
def test_online_retail_clean_filter_matches_the_literature(online_retail_tx: segkit.Transactions) -> None:
    q = online_retail_tx.quality
    assert q.rows_kept == 397_880  # 397,884 minus 4 lines whose amount rounds to 0.00
    assert q.n_customers == 4_338 and q.n_orders == 18_532
    assert q.net_revenue == pytest.approx(8_911_407.90, abs=0.01)


@pytest.mark.realdata
def test_cdnow_several_rows_per_customer_day(cdnow_master_path: Path) -> None:
    tx = segkit.read_transactions(
        cdnow_master_path,
        customer="customer_id",
        date="date",
        amount="dollar_value",
        quantity="number_of_cds",
        duplicates="keep",
        zero_amount="keep",
    )
    q = tx.quality
    assert q.rows_read == q.rows_kept == 69_659
    assert q.n_customers == 23_570
    assert q.read_options["separator"] == "whitespace" and q.read_options["date format"] == "%Y%m%d"
    # Several lines on one customer-day become one order: 69,659 lines, 67,591 customer-day orders.
    raw = pd.read_csv(cdnow_master_path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    assert q.n_orders == raw[["customer_id", "date"]].drop_duplicates().shape[0] == 67_591


def test_returns_keep_their_margin_sign_cancellations_flip_with_amount() -> None:
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "order_id": ["o1", "R1", "C2"],
            "order_date": ["2024-01-01", "2024-01-05", "2024-01-06"],
            "amount": [-10.0, -10.0, 8.0],
            "margin": [-2.0, 2.0, 1.0],  # the return of a loss-making sale gives the loss back
        }
    )
    tx = segkit.read_transactions(raw, cancel_prefix="C")
    assert tx.data["amount"].tolist() == [-10.0, -10.0, -8.0]
    assert tx.data["margin"].tolist() == [-2.0, 2.0, -1.0]


def test_to_ibis_is_the_canonical_table_on_the_shared_connection() -> None:
    tx = segkit.read_transactions(RAW, **MAPPING)
    assert tx._data is None  # pandas is made only when asked for
    table = tx.to_ibis()
    assert table is tx.to_ibis()  # registered once
    assert table.columns == tuple(tx.columns)
    assert table.count().execute() == 5
    assert table.amount.sum().execute() == pytest.approx(170.5)
    assert table.customer_id.nunique().execute() == 3
    assert tx.data["customer_id"].tolist() == ["a", "a", "b", "c", "c"]


def test_transactions_from_a_pandas_frame_still_work() -> None:
    frame = segkit.read_transactions(RAW, **MAPPING).data
    tx = segkit.Transactions(data=frame, quality=None)
    assert len(tx) == 5 and tx.has("is_return") and not tx.has("margin")
    assert tx.to_ibis().amount.sum().execute() == pytest.approx(170.5)

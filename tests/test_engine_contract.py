"""The data contract as engine expressions: typed sources give what the Arrow contract gives on the same data.

Each case writes a typed frame to Parquet and reads it twice: as the file (checked in DuckDB, never pulled into
Python) and as the same Arrow table (the Arrow contract). Canonical rows, quality reports, warnings and errors
must agree; row numbers in messages are the same because both number rows in the source order.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import segkit
from segkit._backend import connection
from segkit.report._notebook import sample_path

KEY = ["order_date", "customer_id", "order_id", "amount"]


def _read(source, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tx = segkit.read_transactions(source, **kwargs)
    return tx, [str(w.message) for w in caught if issubclass(w.category, segkit.DataQualityWarning)]


def _both(frame: pd.DataFrame | pa.Table, tmp_path: Path, **kwargs):
    path = tmp_path / "typed.parquet"
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path)
    engine = _read(path, **kwargs)
    arrow = _read(pq.read_table(path), **kwargs)
    return engine, arrow


def _sorted(tx: segkit.Transactions) -> pd.DataFrame:
    return tx.data.sort_values(KEY, kind="stable").reset_index(drop=True)


def _assert_same(engine, arrow) -> None:
    (etx, ewarn), (atx, awarn) = engine, arrow
    assert etx._from_engine and etx._arrow is None  # checked in the engine, nothing collected yet
    pd.testing.assert_frame_equal(_sorted(etx), _sorted(atx))
    pd.testing.assert_frame_equal(etx.data, atx.data)  # the same order too: by date, ties in source order
    e, a = etx.quality.to_dict(), atx.quality.to_dict()
    for key in ("source", "read_options"):
        e.pop(key), a.pop(key)
    assert e == a
    assert ewarn == awarn


def _assert_same_error(tmp_path: Path, frame: pd.DataFrame, **kwargs) -> str:
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    with pytest.raises(segkit.SegkitError) as engine:
        segkit.read_transactions(path, **kwargs)
    with pytest.raises(segkit.SegkitError) as arrow:
        segkit.read_transactions(pq.read_table(path), **kwargs)
    assert type(engine.value) is type(arrow.value)
    assert str(engine.value) == str(arrow.value)
    return str(engine.value)


def _days(*days: str) -> pd.Series:
    return pd.to_datetime(pd.Series(days))


@pytest.fixture
def adversarial() -> pd.DataFrame:
    """Duplicates, placeholders, whitespace and float-written ids, returns, zero amounts, NULL customers."""
    n = 40
    base = pd.Timestamp("2024-01-01 09:00")
    customers = [f"c{i % 7}" for i in range(n)]
    customers[3] = "  c1 "  # whitespace: the same customer as c1
    customers[5] = "Гость"  # a placeholder
    customers[6] = "guest"
    customers[8] = None
    customers[9] = "  "  # empty once trimmed: missing
    customers[10] = "12345.0"  # a number exported through a float column
    customers[11] = "N/A"
    frame = pd.DataFrame(
        {
            "customer_id": customers,
            "order_id": [f"o{i}" if i % 9 else f"C{i}" for i in range(n)],
            "order_date": [base + pd.Timedelta(days=3 * i, hours=i % 5) for i in range(n)],
            "amount": [round(10 + 3.3 * i, 2) if i % 6 else -4.5 for i in range(n)],
            "margin": [1.25 * (i % 4) for i in range(n)],
            "quantity": [i % 3 + 1 for i in range(n)],
            "channel": ["web" if i % 2 else " shop " for i in range(n)],
            "region": ["north" if i % 3 else "south" for i in range(n)],
        }
    )
    frame.loc[12, "amount"] = 0.0
    frame.loc[13, "amount"] = 0.125  # a half cent: rounded half to even, as numpy does
    frame.loc[14, "amount"] = 2.675
    dup = frame.iloc[[1, 2, 2]]  # exact duplicates: every column equal
    return pd.concat([frame, dup], ignore_index=True)


# ---------------------------------------------------------------------------------------------- parity


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"cancel_prefix": "C"},
        {"cancel_prefix": "C", "returns": "drop"},
        {"duplicates": "keep", "placeholders": "keep", "zero_amount": "keep"},
        {"placeholder_customers": ["c2"], "attributes": ["region"]},
    ],
)
def test_adversarial_source_matches_the_arrow_contract(adversarial, tmp_path, kwargs) -> None:
    engine, arrow = _both(adversarial, tmp_path, **kwargs)
    _assert_same(engine, arrow)
    q = engine[0].quality
    assert q.accounted and q.duplicates_found == 3 and q.placeholders_found >= 2


def test_ids_are_cleaned_as_the_arrow_contract_cleans_them(adversarial, tmp_path) -> None:
    (tx, _), _ = _both(adversarial, tmp_path)
    ids = set(tx.data["customer_id"])
    assert "12345" in ids and "c1" in ids and "  c1 " not in ids and "N/A" not in ids
    assert tx.data["channel"].isin(["web", "shop"]).all()
    assert 0.12 in tx.data["amount"].tolist() and 2.68 in tx.data["amount"].tolist()  # numpy's rounding


def test_float_and_integer_id_columns(tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [17850.0, np.nan, 12.0, 12.0, 7.5],
            "order_id": pd.array([1, 2, 3, None, 5], dtype="Int64"),
            "order_date": _days("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    engine, arrow = _both(frame, tmp_path, invalid="drop")
    _assert_same(engine, arrow)
    assert sorted(set(engine[0].data["customer_id"])) == ["12", "17850", "7.5"]
    assert engine[0].quality.dropped["invalid value"] == 1


def test_quantity_times_price_and_cost_give_amount_and_margin(tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "cust": ["a", "b", "b"],
            "day": _days("2024-01-01", "2024-01-02", "2024-02-01"),
            "qty": [3, 2, -1],
            "unit": [1.10, 0.333, 5.0],
            "cogs": [2.0, 1.0, -4.0],
        }
    )
    kwargs = dict(customer="cust", date="day", quantity="qty", price="unit", cost="cogs")
    engine, arrow = _both(frame, tmp_path, **kwargs)
    _assert_same(engine, arrow)
    assert engine[0].data["amount"].tolist() == [3.3, 0.67, -5.0]
    assert engine[0].data["margin"].tolist() == [1.3, -0.33, -1.0]


def test_derived_orders_without_an_order_column(tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "order_date": _days(
                "2024-01-01 10:00", "2024-01-01 18:00", "2024-01-03 00:00", "2024-01-03 00:00"
            ),
            "amount": [5.0, 6.0, 7.0, -1.0],
        }
    )
    engine, arrow = _both(frame, tmp_path)
    _assert_same(engine, arrow)
    tx = engine[0]
    assert tx.data["order_id"].tolist() == ["a|2024-01-01", "a|2024-01-01", "a|2024-01-03", "b|2024-01-03"]
    assert tx.quality.n_orders == 2 and tx.quality.order_id_source.startswith("derived")


def test_outlier_dates_and_the_default_as_of(tmp_path) -> None:
    days = [pd.Timestamp("2023-01-01") + pd.Timedelta(days=i) for i in range(300)]
    days[7] = pd.Timestamp("2099-03-01")  # a typo far beyond the bulk
    days[9] = pd.Timestamp("1985-05-05")  # far before it, and before 1990
    frame = pd.DataFrame(
        {"customer_id": [f"c{i % 20}" for i in range(300)], "order_date": days, "amount": 10.0}
    )
    for policy in ("warn", "drop"):
        engine, arrow = _both(frame, tmp_path, outlier_dates=policy)
        _assert_same(engine, arrow)
    tx, found = _both(frame, tmp_path)[0]
    assert tx.quality.default_as_of == pd.Timestamp("2023-10-28")
    assert "row 9: 2099-03-01" in found[0] and "row 11: 1985-05-05" in found[0]
    assert any("Dates before 1990" in note for note in tx.quality.notes)
    message = _assert_same_error(tmp_path, frame, outlier_dates="raise")
    assert "dated far outside the bulk" in message


def test_future_dates_warn(tmp_path) -> None:
    future = pd.Timestamp.now().normalize() + pd.Timedelta(days=40)
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "order_date": [future - pd.Timedelta(days=90 * k) for k in range(4)],
            "amount": [1.0, 2.0, 3.0, 4.0],
        }
    )
    engine, arrow = _both(frame, tmp_path)
    _assert_same(engine, arrow)
    assert any("after today's run date (rows 2;" in w for w in engine[1])


# ---------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("column", "values", "match"),
    [
        ("order_date", [None, "2024-01-02", None, "2024-01-04"], r"missing or unparseable date \(2 rows"),
        ("amount", [1.0, np.inf, np.nan, 4.0], r"infinite or NaN values are not amounts"),
        ("amount", [1.0, None, 3.0, 4.0], r"'amount': missing or unparseable number"),
        ("order_id", ["o1", None, "o3", "o4"], r"'order_id': missing or unparseable order id"),
    ],
)
def test_invalid_values_raise_like_the_arrow_contract(tmp_path, column, values, match) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "order_id": ["o1", "o2", "o3", "o4"],
            "order_date": _days("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"),
            "amount": [1.0, 2.0, 3.0, 4.0],
        }
    )
    if column == "order_date":
        frame[column] = pd.to_datetime(pd.Series(values))
    elif column == "amount":
        frame[column] = pd.Series(values, dtype="float64")
        if values[1] is None:  # a NULL, not a NaN
            frame = pa.Table.from_pandas(frame).set_column(
                3, "amount", pa.array([1.0, None, 3.0, 4.0], pa.float64())
            )
    else:
        frame[column] = values
    if isinstance(frame, pa.Table):
        frame = frame.to_pandas()
    message = _assert_same_error(tmp_path, frame)
    assert re.search(match, message)
    engine, arrow = _both(frame, tmp_path, invalid="drop")
    _assert_same(engine, arrow)


def test_missing_customers_and_returns_raise_like_the_arrow_contract(adversarial, tmp_path) -> None:
    message = _assert_same_error(tmp_path, adversarial, missing_customer="raise")
    assert "customer id is missing (3 rows; e.g. 'row 10', 'row 11', 'row 13')" in message
    message = _assert_same_error(tmp_path, adversarial, returns="raise", cancel_prefix="C")
    assert "returns or cancellations present (negative amount or order id starting with 'C')" in message


def test_empty_and_all_dropped_sources(tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["guest", "guest"],
            "order_date": _days("2024-01-01", "2024-01-02"),
            "amount": [1.0, 2.0],
        }
    )
    assert "No rows left after the checks" in _assert_same_error(tmp_path, frame)
    empty = frame.assign(customer_id=pd.Series([None, None], dtype="object"))
    assert "is entirely empty" in _assert_same_error(tmp_path, empty)


def test_missing_column_is_named_before_anything_runs(tmp_path) -> None:
    frame = pd.DataFrame({"customer_id": ["a"], "order_date": _days("2024-01-01"), "amount": [1.0]})
    message = _assert_same_error(tmp_path, frame, customer="client")
    assert "Column 'client' (given as customer=) is not in the data" in message


# ---------------------------------------------------------------------------------------------- the table


def test_sample_parquet_is_an_engine_table_on_the_shared_connection(tmp_path) -> None:
    path = tmp_path / "sample.parquet"
    csv = segkit.read_transactions(sample_path())
    pq.write_table(csv.to_arrow(), path)
    tx = segkit.read_transactions(path)
    assert tx._from_engine and tx._data is None
    table = tx.to_ibis()
    assert table._find_backend() is connection()
    assert list(table.columns) == list(csv.columns)  # only the canonical columns, made once
    assert table.count().execute() == len(csv) == tx.quality.rows_kept
    pd.testing.assert_frame_equal(tx.data, csv.data)
    assert tx.quality.read_options["date format"] == "native datetime"
    summary = segkit.customer_summary(tx)  # the engine's analyses read the table as it is
    assert len(summary) == csv.quality.n_customers


def test_text_columns_in_parquet_fall_back_to_the_arrow_contract(tmp_path) -> None:
    frame = pd.DataFrame(
        {"Клиент": ["a", "b"], "Дата": ["01.02.2024", "05.03.2024"], "Сумма": ["1 200,50", "3"]}
    )
    path = tmp_path / "text.parquet"
    frame.to_parquet(path)
    tx = segkit.read_transactions(path, customer="Клиент", date="Дата", amount="Сумма")
    assert not tx._from_engine
    assert tx.data["amount"].tolist() == [1200.5, 3.0]
    assert tx.quality.read_options["date format"] == "%d.%m.%Y"


def _engine_objects() -> set[str]:
    return {
        r[0]
        for r in connection()
        .raw_sql(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
        )
        .fetchall()
    }


def test_the_view_and_staging_tables_are_dropped(tmp_path) -> None:
    frame = pd.DataFrame({"customer_id": ["a"], "order_date": _days("2024-01-01"), "amount": [1.0]})
    path = tmp_path / "one.parquet"
    frame.to_parquet(path)
    before = _engine_objects()
    tx = segkit.read_transactions(path)
    made = _engine_objects() - before
    # The canonical table is a view over the staged rows, stored once, beside the customer dictionary;
    # nothing else stays behind.
    assert {name.split("_")[1] for name in made} == {"tx", "stage", "keys"}, made
    assert not [t for t in made if t.startswith(("segkit_parquet", "segkit_hashes", "segkit_repeats"))]
    del tx
    import gc

    gc.collect()
    assert not made & _engine_objects()  # the canonical table and its storage went with their Transactions


def test_a_large_base_is_stored_once_in_a_parquet_file(tmp_path, monkeypatch) -> None:
    from segkit._backend import table_folder
    from segkit.io import _engine

    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c", "a"],
            "order_date": _days("2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-01"),
            "amount": [1.0, 2.0, -3.0, 0.0, 1.0],
        }
    )
    path = tmp_path / "small.parquet"
    frame.to_parquet(path)
    in_memory = segkit.read_transactions(path, zero_amount="keep")
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 2)
    before = set(table_folder().iterdir())
    on_disk = segkit.read_transactions(path, zero_amount="keep")
    files = set(table_folder().iterdir()) - before
    assert len(files) == 1 and next(iter(files)).suffix == ".parquet"
    pd.testing.assert_frame_equal(on_disk.data, in_memory.data)
    assert on_disk.quality.to_dict() == in_memory.quality.to_dict()
    assert on_disk.quality.duplicates_found == 1
    del on_disk
    import gc

    gc.collect()
    assert not files & set(table_folder().iterdir())  # the file went with its Transactions


def test_ibis_table_source_is_checked_where_it_lives() -> None:
    con = connection()
    raw = con.create_table(
        "segkit_test_raw",
        pd.DataFrame(
            {
                "cust": ["a", "b", "b"],
                "day": _days("2024-01-01", "2024-01-02", "2024-01-02"),
                "sum": [1.0, 2, 2],
            }
        ),
        temp=True,
        overwrite=True,
    )
    tx = segkit.read_transactions(raw, customer="cust", date="day", amount="sum")
    assert tx._from_engine and tx.quality.duplicates_found == 1 and len(tx) == 2
    assert tx.quality.source == "Ibis table on duckdb"
    con.drop_table("segkit_test_raw", force=True)
